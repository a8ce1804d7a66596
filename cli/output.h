/*
 * output.h - the one writer of the front end's tables, JSON and CSV
 * (cli/output.c). Every view (report, its diagnosis views, explain, the
 * error-log listing) declares its columns - name, type, the formats they
 * appear in, their table width - and hands rows of cells; the writer
 * renders them as an aligned table, a JSON array of objects or CSV, with
 * the escaping rules in one place:
 *
 *   - table: text from logs escaped for the terminal (safe_text, \xHH),
 *     cut to its column on a character boundary; numbers right-aligned;
 *   - JSON: strings escaped (safe_text, then JSON's own escapes);
 *   - CSV: text escaped (safe_text), quoted when needed, and a cell a
 *     spreadsheet would run as a formula (=, +, -, @, tab, CR) gets a
 *     leading ' - except plain numbers and the lone "-".
 *
 * Usage: out_start(), out_rows_begin(), then per row one cell call per
 * column in the declared order (out_text, out_int, ...; a column absent
 * from the current format takes its call and writes nothing) and
 * out_row_end(); out_rows_end(), out_end(). JSON that is more than rows
 * (an object around them, nested arrays and objects in a cell) is written
 * with out_obj_begin/out_arr_begin and the out_kv_* calls, which do
 * nothing in the other formats. A table is laid out when out_end() is
 * called (its widths may depend on every row; a table of fixed widths is
 * written line by line), so between out_start() and out_end() a view
 * writes nothing itself: a line of its own under a row goes through
 * out_note_*, after out_row_end().
 */
#ifndef GW_CLI_OUTPUT_H
#define GW_CLI_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum out_format { OUT_TABLE, OUT_JSON, OUT_CSV };

/* "table", "json", "csv" into *f; -1 for anything else. */
int out_format_parse(const char *s, enum out_format *f);

enum out_type {
	OUT_TEXT,	/* a string (NULL: "" in JSON and CSV) */
	OUT_DIGITS,	/* a string written as a JSON number when all digits */
	OUT_INT,	/* int64_t */
	OUT_REAL,	/* double with prec digits after the point */
	OUT_PERCENT,	/* double (a share) shown as 100 x it, prec digits, '%' */
	OUT_TIME,	/* ms since the epoch, UTC "2026-11-25T10:15:00.000Z";
			   "-" for a negative one */
	OUT_WALL,	/* ms as a wall clock as logged, "2026-11-25 10:15:00" */
	OUT_BOOL,	/* bool: true / false */
	OUT_NESTED,	/* JSON only: an array or object (out_arr_begin...) */
};

/* Formats a column appears in (out_col.in). */
#define OUT_IN_TABLE	1u
#define OUT_IN_JSON	2u
#define OUT_IN_CSV	4u
#define OUT_IN_DATA	(OUT_IN_JSON | OUT_IN_CSV)
#define OUT_IN_ALL	(OUT_IN_TABLE | OUT_IN_JSON | OUT_IN_CSV)

/* out_col.width: as wide as the widest cell (at most OUT_AUTO_MAX). */
#define OUT_AUTO	(-1)
#define OUT_AUTO_MAX	48

struct out_col {
	const char *name;	/* JSON key and CSV header */
	enum out_type type;
	unsigned in;		/* OUT_IN_* */
	const char *head;	/* table header; NULL: name */
	int width;		/* table: columns it takes; text is cut to it
				   and left-aligned, numbers right-aligned;
				   0: not padded (last column); OUT_AUTO */
	int prec;		/* OUT_REAL, OUT_PERCENT */
	int gap;		/* table: spaces before it (none before the
				   first column shown) */
};

struct out_line;

/* The writer; fields are its own. */
struct out {
	FILE *f;
	enum out_format fmt;
	const struct out_col *cols;
	size_t ncols;
	size_t col;		/* the next cell's column */
	int depth;		/* JSON nesting, rows array included */
	bool first[16];		/* JSON: nothing written yet at this depth */
	bool rows_style[16];	/* JSON: this array holds rows */
	size_t rows;		/* rows written */
	bool in_row;		/* a row is open */
	bool csv_first;		/* CSV: no cell written in this row yet */
	int rows_depth;		/* JSON: depth of the rows array */
	int skip_depth;		/* table, CSV: JSON containers being skipped */
	bool note;		/* table: a note is open */
	bool dropping;		/* JSON, CSV: a total line, not written */
	bool stream;		/* table of fixed widths: lines written as
				   they are done */
	/* Table: lines laid out at out_end(). */
	struct out_line *lines;
	size_t nlines, cap;
	bool nomem;		/* a table line could not be kept */
	int *widths;
};

/* Start a view of ncols cols (kept by pointer) written to f as fmt. */
void out_start(struct out *o, FILE *f, enum out_format fmt,
    const struct out_col *cols, size_t ncols);

/*
 * The rows. JSON: an array ("key": [ inside an object, or [ at the top
 * when key is NULL), one object per row on a line of its own. CSV: the
 * header line. Table: the header line, at out_end().
 */
void out_rows_begin(struct out *o, const char *key);
void out_rows_end(struct out *o);

/* Cells, in column order. */
void out_text(struct out *o, const char *s);
void out_int(struct out *o, int64_t v);
/* A number already formatted (digits, sign, point, exponent only). */
void out_number_text(struct out *o, const char *text);
void out_real(struct out *o, double v);
void out_time(struct out *o, int64_t ms);
void out_bool(struct out *o, bool v);
/* No value: JSON null, CSV empty, table "-". */
void out_null(struct out *o);
/* No value, and in JSON no key either. */
void out_absent(struct out *o);
/*
 * A table's total line: its first cell, text spanning the first span
 * columns; the next cell call fills column span. In JSON and CSV the
 * whole row, up to out_row_end(), is left out.
 */
void out_span(struct out *o, size_t span, const char *s);
void out_row_end(struct out *o);

/*
 * JSON beyond rows (nothing in table and CSV). In an object each takes a
 * key; as an OUT_NESTED cell or an array item, key is NULL.
 */
void out_obj_begin(struct out *o, const char *key);
void out_obj_end(struct out *o);
void out_arr_begin(struct out *o, const char *key);
void out_arr_end(struct out *o);
void out_kv_text(struct out *o, const char *key, const char *s);	/* NULL: null */
void out_kv_int(struct out *o, const char *key, int64_t v);
void out_kv_real(struct out *o, const char *key, double v, int prec);
void out_kv_bool(struct out *o, const char *key, bool v);
void out_kv_time(struct out *o, const char *key, int64_t ms);	/* OUT_TIME */
void out_kv_null(struct out *o, const char *key);

/*
 * Table only: a line of the view's own under the current row (or before
 * the first), built in pieces: text of ours (printf) and text from logs
 * (escaped).
 */
void out_note_begin(struct out *o);
void out_note_printf(struct out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void out_note_text(struct out *o, const char *s);
void out_note_end(struct out *o);

/*
 * Finish: the table laid out and written; JSON's closing newline. Returns
 * 0, or -1 when memory for the table ran out (what fitted is written).
 */
int out_end(struct out *o);

#endif
