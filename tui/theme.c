/*
 * theme.c - colours with a monochrome fallback; see theme.h.
 *
 * Colour pairs are numbered after the roles. Without colours every role
 * maps to a plain attribute that still tells things apart: bold for what
 * fails, reverse for the selection, underline for the gateway's own
 * failures, dim for the rest.
 */
#include <langinfo.h>
#include <stdlib.h>
#include <string.h>

#include "tui/theme.h"

/* Foreground, background and extra attribute of each role in colour. */
static const struct {
	short fg, bg;
	attr_t extra;
	attr_t mono;
} theme_roles[TH_COUNT] = {
	[TH_NORMAL] = {-1, -1, A_NORMAL, A_NORMAL},
	[TH_HEADER] = {COLOR_CYAN, -1, A_BOLD, A_BOLD},
	[TH_TITLE] = {COLOR_WHITE, COLOR_BLUE, A_NORMAL, A_UNDERLINE},
	[TH_TITLE_FOCUS] = {COLOR_BLACK, COLOR_CYAN, A_BOLD,
	    A_BOLD | A_UNDERLINE},
	[TH_COLUMNS] = {COLOR_GREEN, -1, A_BOLD, A_BOLD},
	[TH_SELECTED] = {COLOR_BLACK, COLOR_YELLOW, A_NORMAL, A_REVERSE},
	[TH_OK] = {COLOR_GREEN, -1, A_NORMAL, A_NORMAL},
	[TH_DEGRADED] = {COLOR_YELLOW, -1, A_BOLD, A_BOLD},
	[TH_FAILING] = {COLOR_RED, -1, A_BOLD, A_BOLD | A_STANDOUT},
	[TH_GATEWAY] = {COLOR_MAGENTA, -1, A_BOLD, A_UNDERLINE},
	[TH_UPSTREAM] = {COLOR_RED, -1, A_NORMAL, A_BOLD},
	[TH_DIM] = {COLOR_BLUE, -1, A_BOLD, A_DIM},
	[TH_KEY] = {COLOR_BLACK, COLOR_CYAN, A_NORMAL, A_REVERSE},
	[TH_MARK] = {COLOR_RED, -1, A_BOLD, A_BOLD},
};

/* See theme.h. */
void
theme_init(struct theme *t, bool no_color)
{
	const char *nc = getenv("NO_COLOR");
	const char *cs = nl_langinfo(CODESET);

	memset(t, 0, sizeof(*t));
	t->unicode = cs != NULL && (strcmp(cs, "UTF-8") == 0 ||
	    strcmp(cs, "utf8") == 0);
	t->color = !no_color && (nc == NULL || nc[0] == '\0') && has_colors();
	if (t->color && start_color() == OK) {
		use_default_colors();
		for (int r = 1; r < TH_COUNT; r++) {
			init_pair((short)r, theme_roles[r].fg, theme_roles[r].bg);
			t->attr[r] = COLOR_PAIR(r) | theme_roles[r].extra;
		}
		t->attr[TH_NORMAL] = A_NORMAL;
		return;
	}
	t->color = false;
	for (int r = 0; r < TH_COUNT; r++)
		t->attr[r] = theme_roles[r].mono;
}

/* See theme.h. */
attr_t
theme_attr(const struct theme *t, enum theme_role r)
{
	return (unsigned)r < TH_COUNT ? t->attr[r] : A_NORMAL;
}
