/*
 * table.c - the table widget; see table.h.
 *
 * Column widths are decided per draw: start from every column's minimum,
 * drop the lowest-priority column while they do not fit, then hand the
 * spare columns out left to right up to each column's maximum (max 0
 * takes the rest). The rows drawn are a window around the selection, so
 * the selected row is always visible; nothing is remembered between draws.
 */
#include <string.h>

#include "tui/table.h"

#define TABLE_COLS_MAX 16

/* Decide widths (0 = dropped) of t's columns for w screen columns. */
static void
table_widths(const struct table *t, int w, int *width)
{
	bool on[TABLE_COLS_MAX];
	int need, i, spare;

	for (i = 0; i < t->n_cols && i < TABLE_COLS_MAX; i++)
		on[i] = true;
	for (;;) {
		int lowest = -1;

		need = 0;
		for (i = 0; i < t->n_cols; i++)
			if (on[i])
				need += t->cols[i].min + 1;
		if (need <= w)
			break;
		for (i = 0; i < t->n_cols; i++)
			if (on[i] && (lowest < 0 ||
			    t->cols[i].priority < t->cols[lowest].priority))
				lowest = i;
		if (lowest < 0 || t->cols[lowest].priority >= 100)
			break;
		on[lowest] = false;
	}
	spare = w - need;
	for (i = 0; i < t->n_cols; i++) {
		width[i] = on[i] ? t->cols[i].min : 0;
		if (!on[i] || spare <= 0 || t->cols[i].max == 0)
			continue;
		int add = t->cols[i].max - t->cols[i].min;

		if (add > spare)
			add = spare;
		if (add > 0) {
			width[i] += add;
			spare -= add;
		}
	}
	for (i = 0; i < t->n_cols && spare > 0; i++)
		if (on[i] && t->cols[i].max == 0) {
			width[i] += spare;
			spare = 0;
		}
}

/* See table.h. */
void
table_draw(const struct app *a, const struct table *t, int y, int x,
    int h, int w, bool focus)
{
	const struct theme *th = &a->theme;
	int width[TABLE_COLS_MAX], cx, body = h - 2;
	size_t sel = t->sel, first = 0;
	struct table_cell cell;

	if (h <= 0 || w <= 0)
		return;
	pane_title(a, y, x, w, t->title, t->extra, focus);
	if (h < 2)
		return;
	table_widths(t, w, width);
	cx = x;
	mvhline(y + 1, x, ' ', w);
	for (int i = 0; i < t->n_cols; i++) {
		if (width[i] == 0)
			continue;
		text_put(stdscr, y + 1, cx, width[i], t->cols[i].title,
		    theme_attr(th, TH_COLUMNS), th->unicode, t->cols[i].align,
		    true);
		cx += width[i] + 1;
	}
	for (int r = 0; r < body; r++)
		mvhline(y + 2 + r, x, ' ', w);
	if (t->n_rows == 0) {
		if (body > 0 && t->empty != NULL)
			text_put(stdscr, y + 2, x + 1, w - 1, t->empty,
			    theme_attr(th, TH_DIM), th->unicode, TEXT_LEFT,
			    false);
		return;
	}
	if (sel >= t->n_rows)
		sel = t->n_rows - 1;
	if (body > 0 && sel >= (size_t)body)
		first = sel - (size_t)body + 1;
	for (int r = 0; r < body && first + (size_t)r < t->n_rows; r++) {
		size_t row = first + (size_t)r;
		bool selected = focus && row == sel;

		cx = x;
		if (selected)
			mvhline(y + 2 + r, x, ' ' | theme_attr(th, TH_SELECTED),
			    w);
		for (int i = 0; i < t->n_cols; i++) {
			attr_t at;

			if (width[i] == 0)
				continue;
			memset(&cell, 0, sizeof(cell));
			cell.role = TH_NORMAL;
			t->cell(a, t->ctx, row, i, width[i], &cell);
			at = selected ? theme_attr(th, TH_SELECTED) :
			    theme_attr(th, cell.role);
			text_put(stdscr, y + 2 + r, cx, width[i], cell.text, at,
			    th->unicode, t->cols[i].align, true);
			cx += width[i] + 1;
		}
	}
}
