/*
 * theme.h - the console's colours and glyphs, chosen once at start.
 *
 * Widgets ask for a role (what a thing is: a header, a failing row, a cause
 * the gateway made) and get the curses attribute for it; whether that is a
 * colour or bold/reverse/underline (monochrome terminals, NO_COLOR) is
 * decided here and nowhere else. Likewise the glyphs: Unicode blocks when
 * the locale is UTF-8, ASCII otherwise.
 */
#ifndef GW_TUI_THEME_H
#define GW_TUI_THEME_H

#include <stdbool.h>

#include <curses.h>

enum theme_role {
	TH_NORMAL,
	TH_HEADER,	/* the top lines */
	TH_TITLE,	/* a pane's title */
	TH_TITLE_FOCUS,	/* the title of the pane keys go to */
	TH_COLUMNS,	/* column headings */
	TH_SELECTED,	/* the selected row */
	TH_OK,
	TH_DEGRADED,
	TH_FAILING,
	TH_GATEWAY,	/* a failure the gateway itself made */
	TH_UPSTREAM,	/* a failure of the upstream or the network */
	TH_DIM,		/* secondary text */
	TH_KEY,		/* a key name in the footer and help */
	TH_MARK,	/* chart marks */
	TH_COUNT
};

struct theme {
	attr_t attr[TH_COUNT];
	bool color;	/* colours in use */
	bool unicode;	/* the locale is UTF-8: block glyphs */
};

/*
 * Pick attributes and glyphs; call after initscr(). Colours unless
 * no_color, the NO_COLOR environment variable is set (non-empty) or the
 * terminal has none; Unicode when the locale's codeset is UTF-8.
 */
void theme_init(struct theme *t, bool no_color);

/* The attribute for a role. */
attr_t theme_attr(const struct theme *t, enum theme_role r);

#endif
