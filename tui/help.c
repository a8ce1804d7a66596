/*
 * help.c - the `?` screen: what every key does and what the columns mean.
 */
#include "tui/app.h"
#include "tui/text.h"

static const struct {
	const char *key, *what;
} help_keys[] = {
	{"Up/Down  j/k", "move the selection (PgUp/PgDn, g/G: page, ends)"},
	{"Tab / S-Tab", "next / previous pane"},
	{"Enter", "drill in: an upstream's causes and failing requests; a "
	    "cause's upstreams; a request with its attempts"},
	{"Backspace", "back out one level (also Esc, Left, h)"},
	{"/", "filter: upstream=U cause=C status=N path=/P, or just a word "
	    "(502, upstream_refused, /api, 10.0.0.1:80)"},
	{"v  1 2 3 4", "view: 1 overview, 2 shapes, 3 breaker, 4 retries "
	    "(v: next)"},
	{"e", "explain the selected upstream: why it failed, with evidence"},
	{"s", "sort the focused table by the next column"},
	{"w", "window: 5m, 1h, 24h, all"},
	{"c", "split the chart by cause, status or upstream"},
	{"p", "pause / resume refreshing"},
	{"r", "refresh now (also the diagnosis views)"},
	{"?", "this help (any key closes it)"},
	{"q", "quit"},
};

static const char *const help_notes[] = {
	"Counts are those of `gatewatch report` for the same window and filter:",
	"a request counts under the upstream that gave its final answer,",
	"fail.att counts attempts that failed (also those retried elsewhere).",
	"state: 5xx rate of the recent points against --degraded/--failing.",
	"who: upstream / network failures are red, the gateway's own",
	"(no_live_upstream, rate_limited, auth_failure, no_route, ...) magenta;",
	"'- (gateway)' holds requests that reached no upstream.",
	"Views 2-4 and explain read raw rows: built when opened, on r, and",
	"about once a minute while data arrives. Gateway-made 5xx never count",
	"against a shape or a breaker (gw 5xx, gw/client columns).",
	"Text from logs is escaped: control bytes show as \\xHH.",
};

/* See app.h. */
void
help_draw(const struct app *a, int h, int w)
{
	const struct theme *t = &a->theme;
	int y = 0;

	pane_title(a, y++, 0, w, "gatewatch top - help", "any key: back", true);
	y++;
	for (size_t i = 0; i < sizeof(help_keys) / sizeof(help_keys[0]) &&
	    y < h; i++, y++) {
		text_put(stdscr, y, 1, 14, help_keys[i].key, theme_attr(t, TH_KEY),
		    t->unicode, TEXT_LEFT, true);
		text_put(stdscr, y, 16, w - 17, help_keys[i].what,
		    theme_attr(t, TH_NORMAL), t->unicode, TEXT_LEFT, false);
	}
	y++;
	for (size_t i = 0; i < sizeof(help_notes) / sizeof(help_notes[0]) &&
	    y < h; i++, y++)
		text_put(stdscr, y, 1, w - 2, help_notes[i],
		    theme_attr(t, TH_DIM), t->unicode, TEXT_LEFT, false);
}
