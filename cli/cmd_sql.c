/*
 * cmd_sql.c - `gatewatch sql`: the user's own read-only SQL, printed as a
 * table, JSON or CSV.
 *
 * Plain sqlite3 reads a gatewatch database too, but not the requests kept
 * in compressed blocks (schema/015): only gatewatch's virtual table
 * requests_all decodes them. Here the documented views (request_view,
 * attempt_view, attempts_all) read it, so a hand query sees every
 * request (store_query(), store/sql.c). Nothing is written.
 *
 * A table is laid out once its rows are in, so it shows at most
 * --max-rows rows a statement (then says how many more there were); JSON
 * and CSV are written row by row, all of them, in constant memory. List
 * prints what sqlite3's default mode prints (no header, '|' between
 * values, NULL as nothing, a real as SQLite turns it into text), text
 * escaped as everywhere: a script compares it with sqlite3's output.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/options.h"
#include "cli/output.h"
#include "core/safe.h"
#include "store/store.h"

#define SQL_MAX_TEXT	(1u << 20)	/* SQL read from stdin */
#define SQL_BLOB_SHOWN	2048		/* bytes of a blob shown as hex */
#define SQL_NAME_MAX	128		/* a column name as shown */

static void
sql_usage(FILE *f, const struct opt *opts)
{
	fputs("usage: gatewatch sql [-d DB] [--format table|json|csv|list]"
	    " [--max-rows N] [SQL...]\n\n"
	    "Runs read-only SQL on the database and prints each statement's\n"
	    "rows. request_view, attempt_view and attempts_all show every\n"
	    "request, also those kept in compressed blocks (requests_all),\n"
	    "which plain sqlite3 does not read. The SQL is the arguments,\n"
	    "joined by spaces, or standard input when there are none or the\n"
	    "one argument is '-'. Statements that write are refused.\n\n", f);
	opt_usage(f, opts, 25);
}

/* What the row callback needs. */
struct sql_out {
	enum out_format fmt;
	bool list;		/* --format list: sqlite3's default mode */
	size_t max_rows;	/* table: rows shown a statement (0 all) */
	struct out o;
	struct out_col *cols;
	char (*names)[SQL_NAME_MAX];
	size_t ncols;
	size_t rows, hidden;	/* this statement's rows; not shown */
	bool open;		/* a view is started */
	size_t views;		/* statements printed */
};

/* Close the statement's view, with the count of rows not shown. */
static int
sql_end_view(struct sql_out *so)
{
	int rc = 0;

	if (!so->open)
		return 0;
	out_rows_end(&so->o);
	if (out_end(&so->o) != 0) {
		fprintf(stderr, "gatewatch sql: out of memory for the table "
		    "(what fitted is shown)\n");
		rc = -1;
	}
	if (so->hidden > 0)
		printf("(%zu more row%s not shown: --max-rows, or --format "
		    "csv or json for all)\n", so->hidden,
		    so->hidden == 1 ? "" : "s");
	so->open = false;
	so->views++;
	free(so->cols);
	free(so->names);
	so->cols = NULL;
	so->names = NULL;
	return rc;
}

/* A new statement's columns: start its view. */
static int
sql_begin_view(struct sql_out *so, size_t ncols, const char *const *names)
{
	if (sql_end_view(so) != 0)
		return -1;
	so->cols = calloc(ncols, sizeof(*so->cols));
	so->names = calloc(ncols, sizeof(*so->names));
	if (so->cols == NULL || so->names == NULL) {
		fprintf(stderr, "gatewatch sql: out of memory\n");
		return -1;
	}
	for (size_t i = 0; i < ncols; i++) {
		/* A name may come from the file (a view's columns). */
		safe_text(so->names[i], SQL_NAME_MAX, names[i],
		    strlen(names[i]));
		so->cols[i] = (struct out_col){.name = so->names[i],
		    .type = OUT_TEXT, .in = OUT_IN_ALL, .width = OUT_AUTO,
		    .gap = 2};
	}
	if (ncols > 0)
		so->cols[ncols - 1].width = 0;
	so->ncols = ncols;
	so->rows = so->hidden = 0;
	/* Statements after the first: a blank line between them. */
	if (so->views > 0 && so->fmt != OUT_JSON)
		putchar('\n');
	out_start(&so->o, stdout, so->fmt, so->cols, ncols);
	out_rows_begin(&so->o, NULL);
	so->open = true;
	return 0;
}

/* A blob as lowercase hex, cut at SQL_BLOB_SHOWN bytes ("..." after). */
static void
sql_blob(struct out *o, const unsigned char *p, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	char buf[2 * SQL_BLOB_SHOWN + 4];
	size_t n = len < SQL_BLOB_SHOWN ? len : SQL_BLOB_SHOWN, j = 0;

	for (size_t i = 0; i < n; i++) {
		buf[j++] = hex[p[i] >> 4];
		buf[j++] = hex[p[i] & 15];
	}
	if (n < len)
		buf[j++] = '.', buf[j++] = '.', buf[j++] = '.';
	buf[j] = '\0';
	out_text(o, buf);
}

/*
 * One row as sqlite3's list mode prints it (a statement's column names,
 * vals NULL, print nothing): values apart by '|', an integer in decimal,
 * a real as SQLite's own text of it ("%!.15g": 1.0, 2.5, 1.0e+20), NULL as
 * nothing, text and a blob's bytes escaped (safe_put: control bytes, the
 * backslash and invalid UTF-8 as \xHH, so a value never spans lines).
 */
static int
sql_list_row(size_t ncols, const struct store_value *vals)
{
	char num[64];

	if (vals == NULL)
		return 0;
	for (size_t i = 0; i < ncols; i++) {
		const struct store_value *v = &vals[i];
		if (i > 0)
			putchar('|');
		switch (v->type) {
		case STORE_V_INT:
			printf("%" PRId64, v->i);
			break;
		case STORE_V_REAL:
			store_real_text(num, sizeof(num), v->r);
			fputs(num, stdout);
			break;
		case STORE_V_TEXT:
		case STORE_V_BLOB:
			safe_put(stdout, v->s, v->len);
			break;
		case STORE_V_NULL:
			break;
		}
	}
	putchar('\n');
	if (ferror(stdout))
		return -1;	/* a closed pipe: stop reading */
	return 0;
}

static int
sql_row(void *ctx, size_t ncols, const char *const *names,
    const struct store_value *vals)
{
	struct sql_out *so = ctx;
	char num[64];

	if (so->list)
		return sql_list_row(ncols, vals);
	if (vals == NULL)
		return sql_begin_view(so, ncols, names);
	so->rows++;
	if (so->fmt == OUT_TABLE && so->max_rows > 0 &&
	    so->rows > so->max_rows) {
		so->hidden++;
		return 0;
	}
	for (size_t i = 0; i < ncols; i++) {
		const struct store_value *v = &vals[i];
		switch (v->type) {
		case STORE_V_INT:
			out_int(&so->o, v->i);
			break;
		case STORE_V_REAL:
			snprintf(num, sizeof(num), "%.15g", v->r);
			/* JSON has no inf or nan: those go as text. */
			if (strspn(num, "0123456789.-+e") == strlen(num))
				out_number_text(&so->o, num);
			else
				out_text(&so->o, num);
			break;
		case STORE_V_TEXT:
			out_text(&so->o, v->s);
			break;
		case STORE_V_BLOB:
			sql_blob(&so->o, v->s, v->len);
			break;
		case STORE_V_NULL:
			out_null(&so->o);
			break;
		}
	}
	out_row_end(&so->o);
	if (ferror(stdout))
		return -1;	/* a closed pipe: stop reading */
	return 0;
}

/* --format: table, json, csv, or list (this command's own). */
static int
sql_format_cb(const struct opt *opt, const char *arg, const char *cmd)
{
	struct sql_out *so = opt->value;

	so->list = strcmp(arg, "list") == 0;
	if (so->list)
		return 0;
	if (out_format_parse(arg, &so->fmt) != 0) {
		fprintf(stderr, "gatewatch %s: --format is table, json, csv or "
		    "list\n", cmd);
		return -1;
	}
	return 0;
}

/* All of stdin, at most SQL_MAX_TEXT bytes; NULL after a message. */
static char *
sql_read_stdin(void)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);

	if (buf == NULL)
		return NULL;
	for (;;) {
		if (len + 1 >= cap) {
			if (cap >= SQL_MAX_TEXT) {
				fprintf(stderr, "gatewatch sql: standard input "
				    "holds more than %u bytes of SQL\n",
				    SQL_MAX_TEXT);
				free(buf);
				return NULL;
			}
			char *nb = realloc(buf, cap * 2);
			if (nb == NULL) {
				free(buf);
				return NULL;
			}
			buf = nb;
			cap *= 2;
		}
		size_t n = fread(buf + len, 1, cap - 1 - len, stdin);
		len += n;
		if (n == 0) {
			if (ferror(stdin)) {
				fprintf(stderr, "gatewatch sql: standard input:"
				    " %s\n", strerror(errno));
				free(buf);
				return NULL;
			}
			break;
		}
	}
	buf[len] = '\0';
	return buf;
}

/* The arguments from first on, joined by spaces. */
static char *
sql_join(int argc, char **argv, int first)
{
	size_t len = 1;
	char *s, *p;

	for (int i = first; i < argc; i++)
		len += strlen(argv[i]) + 1;
	if ((s = p = malloc(len)) == NULL)
		return NULL;
	for (int i = first; i < argc; i++) {
		size_t n = strlen(argv[i]);
		memcpy(p, argv[i], n);
		p += n;
		*p++ = ' ';
	}
	*p = '\0';
	return s;
}

int
cmd_sql(int argc, char **argv)
{
	const char *db = cli_default_db();
	struct sql_out so = {.fmt = OUT_TABLE, .max_rows = 1000};
	const struct opt opts[] = {
		OPT_DB(&db),
		OPT_CALLBACK('f', "format", &so, "F",
		    "table (default), json, csv or list\n"
		    "(sqlite3's: no header, '|' between)", sql_format_cb),
		OPT_CALLBACK(0, "max-rows", &so.max_rows, "N",
		    "rows a table shows per statement\n"
		    "(default 1000, 0 all)", opt_count_cb),
		OPT_END(),
	};
	struct store *st;
	char err[512], *sql;
	int first, rc;

	if ((rc = opt_parse("sql", argc, argv, opts, sql_usage, &first)) >= 0)
		return rc;
	if (first >= argc || (first == argc - 1 &&
	    strcmp(argv[first], "-") == 0))
		sql = sql_read_stdin();
	else
		sql = sql_join(argc, argv, first);
	if (sql == NULL)
		return EXIT_ERR;
	if (access(db, F_OK) != 0) {
		fprintf(stderr, "gatewatch sql: %s: no such database (run "
		    "'gatewatch ingest' first)\n", db);
		free(sql);
		return EXIT_ERR;
	}
	/* An older schema is refused, not upgraded: sql writes nothing. */
	struct store_open_opts sopts = {.group = -1, .no_upgrade = true};
	if (store_open_with(db, &sopts, &st, err, sizeof(err)) != 0) {
		fprintf(stderr, "gatewatch sql: %s\n", err);
		free(sql);
		return EXIT_ERR;
	}
	rc = EXIT_OK;
	if (store_query(st, sql, sql_row, &so, err, sizeof(err)) != 0) {
		rc = EXIT_ERR;
		sql_end_view(&so);
		fflush(stdout);
		if (!ferror(stdout))
			fprintf(stderr, "gatewatch sql: %s\n", err);
	} else if (sql_end_view(&so) != 0)
		rc = EXIT_ERR;
	if (fflush(stdout) != 0 && rc == EXIT_OK) {
		fprintf(stderr, "gatewatch sql: standard output: %s\n",
		    strerror(errno));
		rc = EXIT_ERR;
	}
	store_close(st);
	free(sql);
	return rc;
}
