/*
 * table.h - a table widget: a title bar, column headings and rows, with a
 * selected row kept in view. The columns that do not fit the width are
 * dropped, lowest priority first; the rest share the spare width.
 */
#ifndef GW_TUI_TABLE_H
#define GW_TUI_TABLE_H

#include <stdbool.h>
#include <stddef.h>

#include "tui/app.h"
#include "tui/text.h"

struct table_column {
	const char *title;
	int min, max;		/* columns; max 0 = takes all that is left */
	enum text_align align;
	int priority;		/* higher stays longer */
};

/* What one cell shows. */
struct table_cell {
	char text[1024];	/* untrusted text is fine: it is escaped */
	enum theme_role role;
};

/* Fill cell (row, col) of a table; ctx is the caller's. */
typedef void (*table_cell_fn)(const struct app *a, const void *ctx,
    size_t row, int col, int width, struct table_cell *cell);

struct table {
	const char *title;
	const char *extra;	/* right side of the title bar, may be NULL */
	const struct table_column *cols;
	int n_cols;
	size_t n_rows;
	size_t sel;		/* selected row, clamped when drawn */
	table_cell_fn cell;
	const void *ctx;
	const char *empty;	/* shown when there are no rows */
};

/* Draw t into (y, x, h, w) of stdscr. */
void table_draw(const struct app *a, const struct table *t, int y, int x,
    int h, int w, bool focus);

#endif
