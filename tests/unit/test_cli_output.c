/*
 * test_cli_output.c - cli/output.c, the one table/JSON/CSV writer, and
 * cli/options.c, the one option parser: layout (widths, cuts on a
 * character boundary, a spanning total), the escaping rules of each format
 * (terminal escapes, CSV formula guard, JSON strings), JSON nesting, and
 * options read from argv and help lines written from the same table.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/logsource.h"
#include "cli/options.h"
#include "cli/output.h"

/* A memory stream and what was written to it. */
struct mem {
	FILE *f;
	char *buf;
	size_t len;
};

static void
mem_open(struct mem *m)
{
	m->buf = NULL;
	m->len = 0;
	m->f = open_memstream(&m->buf, &m->len);
	assert_non_null(m->f);
}

static const char *
mem_text(struct mem *m)
{
	fflush(m->f);
	return m->buf;
}

static void
mem_close(struct mem *m)
{
	fclose(m->f);
	free(m->buf);
}

static const struct out_col table_cols[] = {
	{"key", OUT_TEXT, OUT_IN_ALL, NULL, OUT_AUTO, 0, 2},
	{"n", OUT_INT, OUT_IN_ALL, "count", 6, 0, 2},
	{"share", OUT_PERCENT, OUT_IN_TABLE, NULL, 7, 2, 1},
	{"share", OUT_REAL, OUT_IN_DATA, NULL, 0, 3, 0},
};

/* The rows of table_cols in fmt; the table gets a total line. */
static void
write_table_rows(struct out *o, FILE *f, enum out_format fmt)
{
	out_start(o, f, fmt, table_cols, 4);
	out_rows_begin(o, NULL);
	out_text(o, "a");
	out_int(o, 5);
	out_real(o, 0.5);
	out_real(o, 0.5);
	out_row_end(o);
	out_text(o, "caf\xc3\xa9\x1b");
	out_int(o, 10);
	out_real(o, 0.25);
	out_real(o, 0.25);
	out_row_end(o);
	out_span(o, 1, "total");
	out_int(o, 15);
	out_real(o, 0.75);
	out_real(o, 0.75);
	out_row_end(o);
	out_rows_end(o);
	assert_int_equal(out_end(o), 0);
}

/* Widths from the widest escaped cell, numbers right, a spanning total. */
static void
test_table_layout(void **state)
{
	struct out o;
	struct mem m;

	(void)state;
	mem_open(&m);
	write_table_rows(&o, m.f, OUT_TABLE);
	assert_string_equal(mem_text(&m),
	    "key        count   share\n"
	    "a              5  50.00%\n"
	    "caf\xc3\xa9\\x1b      10  25.00%\n"
	    "total         15  75.00%\n");
	mem_close(&m);
}

/* Text is cut to its column on a character boundary and padded by
   columns, never bytes; notes come under their row. */
static void
test_table_cut(void **state)
{
	static const struct out_col cols[] = {
		{"name", OUT_TEXT, OUT_IN_ALL, NULL, 4, 0, 0},
		{"v", OUT_INT, OUT_IN_ALL, NULL, 3, 0, 1},
	};
	struct out o;
	struct mem m;

	(void)state;
	mem_open(&m);
	out_start(&o, m.f, OUT_TABLE, cols, 2);
	out_note_begin(&o);
	out_note_printf(&o, "before %d", 1);
	out_note_end(&o);
	out_rows_begin(&o, NULL);
	out_text(&o, "abcdef");
	out_int(&o, 1);
	out_row_end(&o);
	out_note_begin(&o);
	out_note_printf(&o, "  from the log: ");
	out_note_text(&o, "\x1b[2J");
	out_note_end(&o);
	out_text(&o, "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9");
	out_int(&o, 2);
	out_row_end(&o);
	out_text(&o, "\xc3\xa9");
	out_null(&o);
	out_row_end(&o);
	out_rows_end(&o);
	assert_int_equal(out_end(&o), 0);
	assert_string_equal(mem_text(&m),
	    "before 1\n"
	    "name   v\n"
	    "abcd   1\n"
	    "  from the log: \\x1b[2J\n"
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9   2\n"
	    "\xc3\xa9      -\n");
	mem_close(&m);
}

/* CSV: the header, quoting, and the formula guard (numbers and the lone
   "-" are data). */
static void
test_csv(void **state)
{
	static const char *const cells[] = {
		"=1+2", "-12", "-", "@x", "a,b", "q\"x", "+3.5e2", "-x",
	};
	static const char *const want =
	    "key,n,share\n"
	    "a,5,0.500\n"
	    "caf\xc3\xa9\\x1b,10,0.250\n"
	    "key,n,share\n"
	    "\"'=1+2\",0,0.000\n"
	    "-12,1,0.000\n"
	    "-,2,0.000\n"
	    "\"'@x\",3,0.000\n"
	    "\"a,b\",4,0.000\n"
	    "\"q\"\"x\",5,0.000\n"
	    "+3.5e2,6,0.000\n"
	    "\"'-x\",7,0.000\n";
	struct out o;
	struct mem m;

	(void)state;
	mem_open(&m);
	write_table_rows(&o, m.f, OUT_CSV);
	out_start(&o, m.f, OUT_CSV, table_cols, 4);
	out_rows_begin(&o, NULL);
	for (size_t i = 0; i < sizeof(cells) / sizeof(cells[0]); i++) {
		out_text(&o, cells[i]);
		out_int(&o, (int64_t)i);
		out_real(&o, 0);
		out_real(&o, 0);
		out_row_end(&o);
	}
	out_rows_end(&o);
	assert_int_equal(out_end(&o), 0);
	assert_string_equal(mem_text(&m), want);
	mem_close(&m);
}

static const struct out_col json_cols[] = {
	{"status", OUT_DIGITS, OUT_IN_ALL, NULL, 0, 0, 0},
	{"name", OUT_TEXT, OUT_IN_ALL, NULL, 0, 0, 0},
	{"extra", OUT_REAL, OUT_IN_JSON, NULL, 0, 1, 0},
	{"tags", OUT_NESTED, OUT_IN_JSON, NULL, 0, 0, 0},
};

/* An object around rows, nested arrays and objects, absent keys. */
static void
write_nested(struct out *o, FILE *f, enum out_format fmt)
{
	out_start(o, f, fmt, json_cols, 4);
	out_obj_begin(o, NULL);
	out_kv_int(o, "total", 3);
	out_rows_begin(o, "groups");
	out_text(o, "502");
	out_text(o, "a\"b");
	out_absent(o);
	out_arr_begin(o, NULL);
	out_obj_begin(o, NULL);
	out_kv_text(o, "k", NULL);
	out_obj_end(o);
	out_obj_begin(o, NULL);
	out_kv_text(o, "k", "v");
	out_obj_end(o);
	out_arr_end(o);
	out_row_end(o);
	out_text(o, "5x");
	out_text(o, NULL);
	out_real(o, 1.5);
	out_arr_begin(o, NULL);
	out_arr_end(o);
	out_row_end(o);
	out_text(o, "");
	out_text(o, "\x1b[2J");
	out_absent(o);
	out_null(o);
	out_row_end(o);
	out_rows_end(o);
	out_obj_end(o);
	assert_int_equal(out_end(o), 0);
}

static void
test_json(void **state)
{
	struct out o;
	struct mem m;

	(void)state;
	mem_open(&m);
	write_nested(&o, m.f, OUT_JSON);
	assert_string_equal(mem_text(&m),
	    "{\"total\": 3, \"groups\": [\n"
	    "  {\"status\": 502, \"name\": \"a\\\"b\", \"tags\":"
	    " [{\"k\": null}, {\"k\": \"v\"}]},\n"
	    "  {\"status\": \"5x\", \"name\": \"\", \"extra\": 1.5,"
	    " \"tags\": []},\n"
	    "  {\"status\": \"\", \"name\": \"\\\\x1b[2J\", \"tags\": null}\n"
	    "]}\n");
	mem_close(&m);
}

/* The same calls in CSV: the JSON-only parts take their cells and write
   nothing, so the columns stay in step. */
static void
test_json_only_parts_skipped(void **state)
{
	struct out o;
	struct mem m;

	(void)state;
	mem_open(&m);
	write_nested(&o, m.f, OUT_CSV);
	assert_string_equal(mem_text(&m),
	    "status,name\n"
	    "502,\"a\"\"b\"\n"
	    "5x,\n"
	    ",\\x1b[2J\n");
	mem_close(&m);
}

/* An empty view: JSON "[]", CSV the header, the table its header. */
static void
test_empty(void **state)
{
	static const enum out_format fmts[] = {OUT_JSON, OUT_CSV, OUT_TABLE};
	static const char *const want[] = {
		"[]\n", "key,n,share\n", "key   count   share\n",
	};
	struct out o;
	struct mem m;

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		mem_open(&m);
		out_start(&o, m.f, fmts[i], table_cols, 4);
		out_rows_begin(&o, NULL);
		out_rows_end(&o);
		assert_int_equal(out_end(&o), 0);
		assert_string_equal(mem_text(&m), want[i]);
		mem_close(&m);
	}
}

static int usage_calls;

static void
count_usage(FILE *f, const struct opt *opts)
{
	(void)f;
	(void)opts;
	usage_calls++;
}

/* Values stored, operands after the options wherever they were. */
static void
test_options_parse(void **state)
{
	const char *db = "default.db", *longer = NULL;
	int64_t since = 0;
	bool quiet = false;
	size_t limit = 0;
	enum out_format fmt = OUT_TABLE;
	const struct opt opts[] = {
		OPT_DB(&db),
		OPT_SINCE(&since),
		OPT_FLAG('q', "quiet", &quiet, "no summary"),
		OPT_CALLBACK('n', "limit", &limit, "N", "at most N\nof them",
		    opt_count_cb),
		OPT_CALLBACK('f', "format", &fmt, "F", "table, json or csv",
		    opt_out_format_cb),
		OPT_STRING(0, "a-rather-long-option", &longer, "VALUE",
		    "help on the next line"),
		OPT_END(),
	};
	char *argv[] = {
		"x", "-d", "my.db", "--since=@60", "-qn", "7", "file1",
		"--format", "json", "--a-rather-long-option", "v", "file2",
		NULL,
	};
	char *bad_limit[] = {"x", "--limit", "-1", NULL};
	char *bad_option[] = {"x", "--bogus", NULL};
	char *help[] = {"x", "-h", NULL};
	int first;

	(void)state;
	assert_int_equal(opt_parse("test", 12, argv, opts, count_usage,
	    &first), -1);
	assert_string_equal(db, "my.db");
	assert_int_equal(since, 60000);
	assert_true(quiet);
	assert_int_equal(limit, 7);
	assert_int_equal(fmt, OUT_JSON);
	assert_string_equal(longer, "v");
	assert_int_equal(first, 10);
	assert_string_equal(argv[10], "file1");
	assert_string_equal(argv[11], "file2");
	assert_int_equal(usage_calls, 0);

	assert_int_equal(opt_parse("test", 3, bad_limit, opts, count_usage,
	    &first), EXIT_USAGE);
	assert_int_equal(usage_calls, 0);
	assert_int_equal(opt_parse_strict("test", 3, bad_limit, opts,
	    count_usage, &first), EXIT_USAGE);
	assert_int_equal(usage_calls, 1);
	assert_int_equal(opt_parse("test", 2, bad_option, opts, count_usage,
	    &first), EXIT_USAGE);
	assert_int_equal(usage_calls, 2);
	assert_int_equal(opt_parse("test", 2, help, opts, count_usage,
	    &first), EXIT_OK);
	assert_int_equal(usage_calls, 3);
}

/* Help lines from the table: aligned at the column, continued there,
   and on a line of their own after an option that reaches it. */
static void
test_options_usage(void **state)
{
	const char *db = NULL;
	bool quiet = false;
	size_t limit = 0;
	const struct opt opts[] = {
		OPT_DB(&db),
		OPT_FLAG('q', "quiet", &quiet, "no summary"),
		OPT_CALLBACK('n', "limit", &limit, "N", "at most N\nof them",
		    opt_count_cb),
		OPT_STRING(0, "hidden", &db, "X", NULL),
		OPT_STRING(0, "a-rather-long-option", &db, "VALUE",
		    "help on the next line"),
		OPT_END(),
	};
	struct mem m;

	(void)state;
	mem_open(&m);
	opt_usage(m.f, opts, 22);
	opt_usage_n(m.f, opts, 1, 16);
	assert_string_equal(mem_text(&m),
	    "  -d, --db DB         database (default ./gatewatch.db, or"
	    " $GATEWATCH_DB)\n"
	    "  -q, --quiet         no summary\n"
	    "  -n, --limit N       at most N\n"
	    "                      of them\n"
	    "  --a-rather-long-option VALUE\n"
	    "                      help on the next line\n"
	    "  -d, --db DB   database (default ./gatewatch.db, or"
	    " $GATEWATCH_DB)\n");
	mem_close(&m);
}

/*
 * The kind a source had comes from the database, not from this build
 * (a database shared with a group, or copied): the note about a kind
 * change escapes it, as every text from outside before the terminal.
 */
static void
test_kind_change_escaped(void **state)
{
	char buf[512];

	logsource_kind_change("nginx_error\x1b]0;owned\x07\x1b[2J",
	    "nginx_access", buf, sizeof(buf));
	assert_null(strchr(buf, '\x1b'));
	assert_null(strchr(buf, '\x07'));
	assert_non_null(strstr(buf, "nginx_error\\x1b]0;owned\\x07"));
	assert_non_null(strstr(buf, "recognised as nginx_access now"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_layout),
		cmocka_unit_test(test_table_cut),
		cmocka_unit_test(test_csv),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_json_only_parts_skipped),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_options_parse),
		cmocka_unit_test(test_options_usage),
		cmocka_unit_test(test_kind_change_escaped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
