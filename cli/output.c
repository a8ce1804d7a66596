/*
 * output.c - the one table / JSON / CSV writer of the front end; see
 * output.h.
 *
 * JSON and CSV are written as the cells come. A table with OUT_AUTO
 * columns is kept as lines of rendered cells (text already escaped; a
 * finished row in one block) until out_end(), when the widths are known;
 * a table of fixed widths is written line by line. Each line is laid out:
 * text cut to its column on a character boundary and padded by columns
 * (not bytes), numbers right-aligned. JSON separators follow one rule: ", " between
 * the members of an object or the items of an array, and ",\n  " with
 * each row on a line of its own in a rows array.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/output.h"

#define OUT_DEPTH_MAX	((int)(sizeof(((struct out *)0)->first) / \
			    sizeof(((struct out *)0)->first[0])))

/* A table line: the header, a row of cells, or a note of the view's own. */
enum out_line_kind { LINE_HEADER, LINE_ROW, LINE_NOTE };

struct out_line {
	enum out_line_kind kind;
	char **cells;		/* LINE_ROW: one per column (NULL: none) */
	bool compact;		/* cells and their text in one block */
	size_t span;		/* LINE_ROW: cells[0] spans this many */
	char *note;		/* LINE_NOTE */
	size_t note_len;
};

/* See output.h. */
int
out_format_parse(const char *s, enum out_format *f)
{
	if (strcmp(s, "table") == 0)
		*f = OUT_TABLE;
	else if (strcmp(s, "json") == 0)
		*f = OUT_JSON;
	else if (strcmp(s, "csv") == 0)
		*f = OUT_CSV;
	else
		return -1;
	return 0;
}

/* See output.h. */
void
out_start(struct out *o, FILE *f, enum out_format fmt,
    const struct out_col *cols, size_t ncols)
{
	memset(o, 0, sizeof(*o));
	o->f = f;
	o->fmt = fmt;
	o->cols = cols;
	o->ncols = ncols;
	o->first[0] = true;
	/* Fixed widths only: no need to wait for the last row. */
	o->stream = fmt == OUT_TABLE;
	for (size_t c = 0; c < ncols; c++)
		if ((cols[c].in & OUT_IN_TABLE) && cols[c].width == OUT_AUTO)
			o->stream = false;
}

/* The bit of the current format in out_col.in. */
static unsigned
out_bit(const struct out *o)
{
	return o->fmt == OUT_TABLE ? OUT_IN_TABLE : o->fmt == OUT_JSON ?
	    OUT_IN_JSON : OUT_IN_CSV;
}

/* --- the escaping rules ------------------------------------------ */

/* s (NULL as "") escaped with safe_text and quoted as a JSON string. */
static void
out_json_string(FILE *f, const char *s)
{
	char safe[4096];

	safe_text(safe, sizeof(safe), s != NULL ? s : "",
	    s != NULL ? strlen(s) : 0);
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)safe; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

/* True when s is a plain decimal number: [+-]digits[.digits][e[+-]digits]. */
static bool
out_csv_number(const char *s)
{
	bool digits = false;

	if (*s == '+' || *s == '-')
		s++;
	while (isdigit((unsigned char)*s)) {
		s++;
		digits = true;
	}
	if (*s == '.') {
		s++;
		while (isdigit((unsigned char)*s)) {
			s++;
			digits = true;
		}
	}
	if (!digits)
		return false;
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (!isdigit((unsigned char)*s))
			return false;
		while (isdigit((unsigned char)*s))
			s++;
	}
	return *s == '\0';
}

/* True when out_csv_field() prefixes s with a quote (see below). */
static bool
out_csv_formula(const char *s)
{
	if (s == NULL || strchr("=+-@\t\r", s[0]) == NULL || s[0] == '\0')
		return false;
	return strcmp(s, "-") != 0 && !out_csv_number(s);
}

/*
 * s (NULL as "") escaped with safe_text as a CSV field, quoted if needed.
 * A cell a spreadsheet would run as a formula (OWASP: starting with =, +,
 * -, @, tab or CR) gets a leading ' - except a number ("-12", "+3.5e2")
 * and the lone "-" that means "none", which are data.
 */
static void
out_csv_field(FILE *f, const char *s)
{
	char safe[4096];
	bool formula = out_csv_formula(s);

	safe_text(safe, sizeof(safe), s != NULL ? s : "",
	    s != NULL ? strlen(s) : 0);
	if (!formula && strpbrk(safe, ",\"\n") == NULL) {
		fputs(safe, f);
		return;
	}
	/* OWASP: the quote that defuses a formula, inside a quoted cell. */
	fputc('"', f);
	if (formula)
		fputc('\'', f);
	for (const char *p = safe; *p; p++) {
		if (*p == '"')
			fputc('"', f);
		fputc(*p, f);
	}
	fputc('"', f);
}

/* --- table lines ---------------------------------------------------- */

/* A new table line of kind; NULL when memory ran out (noted). */
static struct out_line *
out_line_add(struct out *o, enum out_line_kind kind)
{
	struct out_line *l;

	if (o->nlines == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 16;
		struct out_line *n = realloc(o->lines, cap * sizeof(*n));

		if (n == NULL) {
			o->nomem = true;
			return NULL;
		}
		o->lines = n;
		o->cap = cap;
	}
	l = &o->lines[o->nlines];
	memset(l, 0, sizeof(*l));
	l->kind = kind;
	if (kind == LINE_ROW && (l->cells = calloc(o->ncols,
	    sizeof(*l->cells))) == NULL) {
		o->nomem = true;
		return NULL;
	}
	o->nlines++;
	return l;
}

/* The row being filled: the last line when it is an open row. */
static struct out_line *
out_row_line(struct out *o)
{
	if (o->in_row && o->nlines > 0 &&
	    o->lines[o->nlines - 1].kind == LINE_ROW)
		return &o->lines[o->nlines - 1];
	return NULL;
}

/* Keep text (ours, already safe) as the table cell of column c. */
static void
out_table_cell(struct out *o, size_t c, const char *text)
{
	struct out_line *l = out_row_line(o);

	if (l == NULL)
		return;
	if ((l->cells[c] = strdup(text)) == NULL)
		o->nomem = true;
}

/* Columns text takes: one per character (escaped text is UTF-8). */
static size_t
out_cols_of(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* Write s cut to width columns and padded to them (0: as it is). */
static void
out_put_left(FILE *f, const char *s, int width)
{
	size_t cols = 0, b = 0;

	if (width <= 0) {
		fputs(s, f);
		return;
	}
	while (s[b] && cols < (size_t)width) {
		b++;
		while (((unsigned char)s[b] & 0xc0) == 0x80)
			b++;
		cols++;
	}
	fwrite(s, 1, b, f);
	fprintf(f, "%*s", (int)((size_t)width - cols), "");
}

/* Write s right-aligned in width columns. */
static void
out_put_right(FILE *f, const char *s, int width)
{
	size_t cols = out_cols_of(s);

	if (width > 0 && cols < (size_t)width)
		fprintf(f, "%*s", (int)((size_t)width - cols), "");
	fputs(s, f);
}

/* Left-aligned in a table: text and times; numbers go right. */
static bool
out_is_text(enum out_type t)
{
	return t == OUT_TEXT || t == OUT_DIGITS || t == OUT_TIME ||
	    t == OUT_WALL;
}

/* Lay out one row (or the header, l NULL) of the table. */
static void
out_table_line(struct out *o, const struct out_line *l)
{
	size_t shown = 0, skip = 0;
	bool after_span = false;

	for (size_t c = 0; c < o->ncols; c++) {
		const struct out_col *col = &o->cols[c];
		const char *s;

		if (!(col->in & OUT_IN_TABLE))
			continue;
		if (skip > 0) {
			skip--;
			continue;
		}
		if (shown++ > 0 && !after_span)
			fprintf(o->f, "%*s", col->gap, "");
		after_span = false;
		if (l != NULL && l->span > 0 && shown == 1) {
			/* The label takes the spanned columns and the gap
			   before the next one. */
			int w = 0;
			size_t k = 0;

			for (size_t d = c; d < o->ncols && k <= l->span; d++) {
				if (!(o->cols[d].in & OUT_IN_TABLE))
					continue;
				if (k < l->span)
					w += o->widths[d];
				if (k > 0)
					w += o->cols[d].gap;
				k++;
			}
			fprintf(o->f, "%-*s", w, l->cells[0] ? l->cells[0] :
			    "");
			skip = l->span - 1;
			after_span = true;
			continue;
		}
		s = l == NULL ? (col->head ? col->head : col->name) :
		    l->cells[c] ? l->cells[c] : "";
		if (l == NULL && out_is_text(col->type) && o->widths[c] > 0)
			fprintf(o->f, "%-*s", o->widths[c], s);
		else if (out_is_text(col->type))
			out_put_left(o->f, s, o->widths[c]);
		else
			out_put_right(o->f, s, o->widths[c]);
	}
	fputc('\n', o->f);
}

/* Free what line l holds. */
static void
out_line_free(const struct out *o, struct out_line *l)
{
	if (l->cells != NULL && !l->compact)
		for (size_t c = 0; c < o->ncols; c++)
			free(l->cells[c]);
	free(l->cells);
	free(l->note);
	l->cells = NULL;
	l->note = NULL;
}

/* A finished row's cells into one block (a large table stays small). */
static void
out_line_compact(struct out *o, struct out_line *l)
{
	size_t bytes = o->ncols * sizeof(char *);
	char **blk, *p;

	for (size_t c = 0; c < o->ncols; c++)
		if (l->cells[c] != NULL)
			bytes += strlen(l->cells[c]) + 1;
	if ((blk = malloc(bytes)) == NULL)
		return;		/* kept as it is */
	p = (char *)(blk + o->ncols);
	for (size_t c = 0; c < o->ncols; c++) {
		blk[c] = NULL;
		if (l->cells[c] == NULL)
			continue;
		size_t len = strlen(l->cells[c]) + 1;
		memcpy(p, l->cells[c], len);
		blk[c] = p;
		p += len;
		free(l->cells[c]);
	}
	free(l->cells);
	l->cells = blk;
	l->compact = true;
}

/* The fixed widths of the table columns into o->widths; 0 or -1. */
static int
out_fixed_widths(struct out *o)
{
	if (o->widths != NULL)
		return 0;
	o->widths = calloc(o->ncols ? o->ncols : 1, sizeof(*o->widths));
	if (o->widths == NULL) {
		o->nomem = true;
		return -1;
	}
	for (size_t c = 0; c < o->ncols; c++)
		o->widths[c] = o->cols[c].width == OUT_AUTO ? 0 :
		    o->cols[c].width;
	return 0;
}

/* The last line is done: written now when streaming, else kept small. */
static void
out_line_done(struct out *o)
{
	struct out_line *l;

	if (o->fmt != OUT_TABLE || o->nlines == 0)
		return;
	l = &o->lines[o->nlines - 1];
	if (!o->stream) {
		if (l->kind == LINE_ROW && !l->compact)
			out_line_compact(o, l);
		return;
	}
	if (out_fixed_widths(o) == 0) {
		if (l->kind == LINE_NOTE) {
			if (l->note != NULL)
				fwrite(l->note, 1, l->note_len, o->f);
		} else
			out_table_line(o, l->kind == LINE_HEADER ? NULL : l);
	}
	out_line_free(o, l);
	o->nlines--;
}

/* The table: widths, then every line. */
static void
out_table_write(struct out *o)
{
	if (out_fixed_widths(o) != 0)
		return;
	for (size_t c = 0; c < o->ncols; c++) {
		const struct out_col *col = &o->cols[c];
		const char *head = col->head ? col->head : col->name;

		if (col->width != OUT_AUTO) {
			o->widths[c] = col->width;
			continue;
		}
		size_t w = strlen(head);
		for (size_t i = 0; i < o->nlines; i++) {
			const struct out_line *l = &o->lines[i];
			size_t cw;

			if (l->kind != LINE_ROW || l->span > 0 ||
			    l->cells[c] == NULL)
				continue;
			cw = out_cols_of(l->cells[c]);
			if (cw > w)
				w = cw > OUT_AUTO_MAX ? OUT_AUTO_MAX : cw;
		}
		o->widths[c] = (int)w;
	}
	for (size_t i = 0; i < o->nlines; i++) {
		const struct out_line *l = &o->lines[i];

		if (l->kind == LINE_NOTE) {
			if (l->note != NULL)
				fwrite(l->note, 1, l->note_len, o->f);
		} else
			out_table_line(o, l->kind == LINE_HEADER ? NULL : l);
	}
}

/* --- JSON ----------------------------------------------------------- */

/* Before a value or member at the current depth: its separator. */
static void
out_json_sep(struct out *o)
{
	if (o->first[o->depth]) {
		o->first[o->depth] = false;
		if (o->rows_style[o->depth])
			fputs("\n  ", o->f);
		return;
	}
	fputs(o->rows_style[o->depth] ? ",\n  " : ", ", o->f);
}

/* Separator and "key": (no key when NULL). */
static void
out_json_key(struct out *o, const char *key)
{
	out_json_sep(o);
	if (key != NULL) {
		out_json_string(o->f, key);
		fputs(": ", o->f);
	}
}

/* Open a container: c is '{' or '['. */
static void
out_json_open(struct out *o, char c, bool rows)
{
	fputc(c, o->f);
	if (o->depth + 1 < OUT_DEPTH_MAX)
		o->depth++;
	o->first[o->depth] = true;
	o->rows_style[o->depth] = rows;
}

static void
out_json_close(struct out *o, char c)
{
	if (o->rows_style[o->depth] && !o->first[o->depth])
		fputc('\n', o->f);
	if (o->depth > 0)
		o->depth--;
	fputc(c, o->f);
}

/* --- rows and cells ------------------------------------------------- */

/* See output.h. */
void
out_rows_begin(struct out *o, const char *key)
{
	bool first = true;

	switch (o->fmt) {
	case OUT_TABLE:
		if (out_line_add(o, LINE_HEADER) != NULL)
			out_line_done(o);
		break;
	case OUT_JSON:
		if (o->depth > 0 || !o->first[0])
			out_json_key(o, key);
		else
			o->first[0] = false;
		out_json_open(o, '[', true);
		break;
	case OUT_CSV:
		for (size_t c = 0; c < o->ncols; c++) {
			if (!(o->cols[c].in & OUT_IN_CSV))
				continue;
			fprintf(o->f, "%s%s", first ? "" : ",",
			    o->cols[c].name);
			first = false;
		}
		fputc('\n', o->f);
		break;
	}
	o->rows_depth = o->depth;
}

/* See output.h. */
void
out_rows_end(struct out *o)
{
	if (o->fmt == OUT_JSON)
		out_json_close(o, ']');
}

/* Open the row if none is. */
static void
out_row_open(struct out *o)
{
	if (o->in_row)
		return;
	o->in_row = true;
	o->col = 0;
	o->csv_first = true;
	if (o->fmt == OUT_TABLE)
		out_line_add(o, LINE_ROW);
	else if (o->fmt == OUT_JSON) {
		out_json_sep(o);
		out_json_open(o, '{', false);
	}
}

/*
 * The column the next cell fills, opening the row first; NULL when the
 * column is not in this format (the cell is skipped) or there is none.
 */
static const struct out_col *
out_next_col(struct out *o, size_t *c)
{
	const struct out_col *col;

	if (o->dropping)
		return NULL;
	out_row_open(o);
	if (o->col >= o->ncols)
		return NULL;
	*c = o->col++;
	col = &o->cols[*c];
	if (!(col->in & out_bit(o)))
		return NULL;
	if (o->fmt == OUT_JSON && col->type != OUT_NESTED)
		out_json_key(o, col->name);
	else if (o->fmt == OUT_CSV) {
		if (!o->csv_first)
			fputc(',', o->f);
		o->csv_first = false;
	}
	return col;
}

/* True when s is one or more digits only. */
static bool
out_all_digits(const char *s)
{
	return *s != '\0' && strspn(s, "0123456789") == strlen(s);
}

/* See output.h. */
void
out_text(struct out *o, const char *s)
{
	const struct out_col *col;
	size_t c;
	char safe[4096];

	if ((col = out_next_col(o, &c)) == NULL)
		return;
	switch (o->fmt) {
	case OUT_TABLE:
		safe_text(safe, sizeof(safe), s ? s : "", s ? strlen(s) : 0);
		out_table_cell(o, c, safe);
		break;
	case OUT_JSON:
		if (col->type == OUT_DIGITS && s != NULL && out_all_digits(s))
			fputs(s, o->f);
		else
			out_json_string(o->f, s);
		break;
	case OUT_CSV:
		out_csv_field(o->f, s);
		break;
	}
}

/* A number cell: text already formatted (ours, no escaping needed). */
static void
out_number(struct out *o, const char *text)
{
	const struct out_col *col;
	size_t c;

	if ((col = out_next_col(o, &c)) == NULL)
		return;
	if (o->fmt == OUT_TABLE)
		out_table_cell(o, c, text);
	else
		fputs(text, o->f);
}

/* See output.h. */
void
out_number_text(struct out *o, const char *text)
{
	out_number(o, text);
}

/* See output.h. */
void
out_int(struct out *o, int64_t v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%" PRId64, v);
	out_number(o, buf);
}

/* See output.h. */
void
out_real(struct out *o, double v)
{
	const struct out_col *col;
	char buf[64];

	if (!o->dropping)
		out_row_open(o);
	col = o->col < o->ncols ? &o->cols[o->col] : NULL;
	if (col != NULL && col->type == OUT_PERCENT)
		snprintf(buf, sizeof(buf), "%.*f%%", col->prec, 100.0 * v);
	else
		snprintf(buf, sizeof(buf), "%.*f", col ? col->prec : 0, v);
	out_number(o, buf);
}

/* See output.h. */
void
out_bool(struct out *o, bool v)
{
	out_number(o, v ? "true" : "false");
}

/* ms as the text of type t (OUT_TIME or OUT_WALL). */
static const char *
out_time_text(enum out_type t, int64_t ms, char *buf, size_t size)
{
	if (t == OUT_WALL)
		return cli_utc(ms, CLI_UTC_WALL, buf, size);
	if (ms < 0) {
		snprintf(buf, size, "-");
		return buf;
	}
	return cli_utc(ms, CLI_UTC_MS, buf, size);
}

/* See output.h. */
void
out_time(struct out *o, int64_t ms)
{
	const struct out_col *col;
	size_t c;
	char buf[48];

	if ((col = out_next_col(o, &c)) == NULL)
		return;
	out_time_text(col->type, ms, buf, sizeof(buf));
	if (o->fmt == OUT_TABLE)
		out_table_cell(o, c, buf);
	else if (o->fmt == OUT_JSON)
		out_json_string(o->f, buf);
	else
		fputs(buf, o->f);
}

/* See output.h. */
void
out_null(struct out *o)
{
	const struct out_col *col;
	size_t c;

	if ((col = out_next_col(o, &c)) == NULL)
		return;
	if (o->fmt == OUT_TABLE)
		out_table_cell(o, c, "-");
	else if (o->fmt == OUT_JSON) {
		if (col->type == OUT_NESTED)
			out_json_key(o, col->name);
		fputs("null", o->f);
	}
}

/* See output.h. */
void
out_absent(struct out *o)
{
	if (o->dropping)
		return;
	out_row_open(o);
	if (o->col >= o->ncols)
		return;
	size_t c = o->col++;
	if (o->fmt == OUT_CSV && (o->cols[c].in & OUT_IN_CSV)) {
		if (!o->csv_first)
			fputc(',', o->f);
		o->csv_first = false;
	}
}

/* See output.h. */
void
out_span(struct out *o, size_t span, const char *s)
{
	struct out_line *l;

	if (o->fmt != OUT_TABLE) {
		o->dropping = true;
		return;
	}
	out_row_open(o);
	if ((l = out_row_line(o)) == NULL)
		return;
	l->span = span;
	if ((l->cells[0] = strdup(s)) == NULL)
		o->nomem = true;
	/* Column indexes of the cells that follow. */
	for (size_t c = 0, k = 0; c < o->ncols && k < span; c++, o->col++)
		k += (o->cols[c].in & OUT_IN_TABLE) != 0;
}

/* See output.h. */
void
out_row_end(struct out *o)
{
	if (o->dropping) {
		o->dropping = false;
		o->skip_depth = 0;
		return;
	}
	if (!o->in_row)
		return;
	if (o->fmt == OUT_JSON)
		out_json_close(o, '}');
	else if (o->fmt == OUT_CSV)
		fputc('\n', o->f);
	else if (out_row_line(o) != NULL)
		out_line_done(o);
	o->in_row = false;
	o->skip_depth = 0;
	o->rows++;
}

/* --- JSON beyond rows ----------------------------------------------- */

/*
 * Before a container: in JSON its separator and key (the column's name
 * when it is the cell of an OUT_NESTED column); true when it is to be
 * written. In the other formats it takes the cell's column and is skipped
 * with all it holds.
 */
static bool
out_json_value(struct out *o, const char *key)
{
	const struct out_col *col;
	size_t c;

	if (o->dropping) {
		o->skip_depth++;
		return false;
	}
	if (o->fmt != OUT_JSON) {
		if (o->in_row && o->skip_depth++ == 0 && key == NULL)
			(void)out_next_col(o, &c);
		return false;
	}
	if (o->in_row && o->depth == o->rows_depth + 1 && key == NULL) {
		if ((col = out_next_col(o, &c)) != NULL)
			out_json_key(o, col->name);
		return true;
	}
	out_json_key(o, key);
	return true;
}

/* See output.h. */
void
out_obj_begin(struct out *o, const char *key)
{
	if (o->fmt == OUT_JSON && !o->in_row && o->depth == 0 &&
	    o->first[0]) {
		o->first[0] = false;
		out_json_open(o, '{', false);
		return;
	}
	if (out_json_value(o, key))
		out_json_open(o, '{', false);
}

/* See output.h. */
void
out_obj_end(struct out *o)
{
	if (o->skip_depth > 0)
		o->skip_depth--;
	else if (o->fmt == OUT_JSON)
		out_json_close(o, '}');
}

/* See output.h. */
void
out_arr_begin(struct out *o, const char *key)
{
	if (out_json_value(o, key))
		out_json_open(o, '[', false);
}

/* See output.h. */
void
out_arr_end(struct out *o)
{
	if (o->skip_depth > 0)
		o->skip_depth--;
	else if (o->fmt == OUT_JSON)
		out_json_close(o, ']');
}

/* True when a member may be written (JSON, not inside a skipped cell). */
static bool
out_kv_ok(struct out *o, const char *key)
{
	if (o->fmt != OUT_JSON || o->skip_depth > 0)
		return false;
	out_json_key(o, key);
	return true;
}

/* See output.h. */
void
out_kv_text(struct out *o, const char *key, const char *s)
{
	if (!out_kv_ok(o, key))
		return;
	if (s != NULL)
		out_json_string(o->f, s);
	else
		fputs("null", o->f);
}

/* See output.h. */
void
out_kv_int(struct out *o, const char *key, int64_t v)
{
	if (out_kv_ok(o, key))
		fprintf(o->f, "%" PRId64, v);
}

/* See output.h. */
void
out_kv_real(struct out *o, const char *key, double v, int prec)
{
	if (out_kv_ok(o, key))
		fprintf(o->f, "%.*f", prec, v);
}

/* See output.h. */
void
out_kv_bool(struct out *o, const char *key, bool v)
{
	if (out_kv_ok(o, key))
		fputs(v ? "true" : "false", o->f);
}

/* See output.h. */
void
out_kv_time(struct out *o, const char *key, int64_t ms)
{
	char buf[48];

	if (out_kv_ok(o, key))
		out_json_string(o->f, out_time_text(OUT_TIME, ms, buf,
		    sizeof(buf)));
}

/* See output.h. */
void
out_kv_null(struct out *o, const char *key)
{
	if (out_kv_ok(o, key))
		fputs("null", o->f);
}

/* --- notes ---------------------------------------------------------- */

/* See output.h. */
void
out_note_begin(struct out *o)
{
	if (o->fmt == OUT_TABLE)
		o->note = out_line_add(o, LINE_NOTE) != NULL;
}

/* Append len bytes of s to the open note. */
static void
out_note_add(struct out *o, const char *s, size_t len)
{
	struct out_line *l;
	char *n;

	if (!o->note || o->nlines == 0)
		return;
	l = &o->lines[o->nlines - 1];
	if ((n = realloc(l->note, l->note_len + len + 1)) == NULL) {
		o->nomem = true;
		return;
	}
	memcpy(n + l->note_len, s, len);
	l->note = n;
	l->note_len += len;
	n[l->note_len] = '\0';
}

/* See output.h. */
void
out_note_printf(struct out *o, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	if (!o->note)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0)
		out_note_add(o, buf, (size_t)n < sizeof(buf) ? (size_t)n :
		    sizeof(buf) - 1);
}

/* See output.h. */
void
out_note_text(struct out *o, const char *s)
{
	char safe[4096];

	if (!o->note || s == NULL)
		return;
	safe_text(safe, sizeof(safe), s, strlen(s));
	out_note_add(o, safe, strlen(safe));
}

/* See output.h. */
void
out_note_end(struct out *o)
{
	if (!o->note)
		return;
	out_note_add(o, "\n", 1);
	o->note = false;
	out_line_done(o);
}

/* See output.h. */
int
out_end(struct out *o)
{
	if (o->fmt == OUT_TABLE)
		out_table_write(o);
	else if (o->fmt == OUT_JSON && !o->first[0])
		fputc('\n', o->f);
	for (size_t i = 0; i < o->nlines; i++)
		out_line_free(o, &o->lines[i]);
	free(o->lines);
	free(o->widths);
	o->lines = NULL;
	o->widths = NULL;
	o->nlines = o->cap = 0;
	return o->nomem ? -1 : 0;
}
