/*
 * cmd_report.c - `gatewatch report`: grouped failure figures as a table, JSON
 * or CSV. The store computes the groups; this file only formats them.
 *
 * JSON: an array of objects, one per group, with the keys named as in --by
 * plus requests, errors_5xx, rate_5xx, failed, attempts, failed_attempts
 * (and request_ms_avg). CSV: a header line, then one row per group, same
 * columns. Text from logs is escaped in every format.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/clock.h"
#include "cli/cmd_diagnose.h"
#include "cli/options.h"
#include "cli/output.h"
#include "store/capture_stats.h"
#include "cli/retain.h"
#include "store/store.h"

static void
report_usage(FILE *f, const struct opt *opts)
{
	fputs("usage: gatewatch report [-d DB] [--since T] [--until T] [--by KEYS]\n"
	    "                        [--upstream U] [--cause C] [--status N]\n"
	    "                        [--limit N] [--format table|json|csv]\n\n"
	    "Requests and failures grouped by KEYS, a comma list of upstream,\n"
	    "cause, status, path, source, minute, who (default: upstream,cause),\n"
	    "or one diagnosis view: shape, breaker or retry; or capture: per\n"
	    "capture and gateway port (capture --listen), the failed client\n"
	    "requests tied to an upstream, their share, and those left untied.\n"
	    "A request counts under the upstream that gave its final answer ('-'\n"
	    "when it reached none); attempts count under the upstream they were\n"
	    "sent to, so an upstream whose failures were retried elsewhere shows\n"
	    "failed_attempts.\n\n", f);
	opt_usage(f, opts, 22);
	fputs("\n  T is 2026-11-25T10:00:00Z, 2026-11-25 10:00 (UTC), @EPOCH, or an\n"
	    "  age such as 30m, 2h, 7d.\n", f);
}

static double
rate(int64_t part, int64_t whole)
{
	return whole > 0 ? (double)part / (double)whole : 0.0;
}

/* The figure columns of every group, after its keys. */
static const struct out_col report_figures[] = {
	{"requests", OUT_INT, OUT_IN_ALL, NULL, 9, 0, 2},
	{"errors_5xx", OUT_INT, OUT_IN_ALL, "5xx", 8, 0, 1},
	{"rate_5xx", OUT_REAL, OUT_IN_DATA, NULL, 0, 4, 1},
	{"5xx%", OUT_PERCENT, OUT_IN_TABLE, NULL, 7, 2, 1},
	{"failed", OUT_INT, OUT_IN_ALL, NULL, 8, 0, 1},
	{"attempts", OUT_INT, OUT_IN_ALL, NULL, 9, 0, 1},
	{"failed_attempts", OUT_INT, OUT_IN_ALL, "failed_a", 8, 0, 1},
	{"request_ms_avg", OUT_REAL, OUT_IN_JSON, NULL, 0, 1, 1},
};
#define REPORT_FIGURES	(sizeof(report_figures) / sizeof(report_figures[0]))

/* The figures of one group (or the total line). */
static void
report_put_figures(struct out *o, int64_t requests, int64_t errors_5xx,
    int64_t failed, int64_t attempts, int64_t failed_attempts,
    double request_ms_avg)
{
	out_int(o, requests);
	out_int(o, errors_5xx);
	out_real(o, rate(errors_5xx, requests));
	out_real(o, rate(errors_5xx, requests));
	out_int(o, failed);
	out_int(o, attempts);
	out_int(o, failed_attempts);
	if (request_ms_avg >= 0)
		out_real(o, request_ms_avg);
	else
		out_absent(o);
	out_row_end(o);
}

/*
 * The groups of q in format fmt: one column per key (a status is a JSON
 * number), then the figures; the table ends with a total line when there
 * is more than one group.
 */
static int
print_groups(enum out_format fmt, const struct report_query *q,
    const struct report_row *rows, size_t n)
{
	struct out_col cols[REPORT_KEYS_MAX + REPORT_FIGURES];
	size_t ncols = 0;
	struct out o;
	int64_t tr = 0, t5 = 0, tf = 0, ta = 0, tfa = 0;

	for (int k = 0; k < q->n_keys; k++)
		cols[ncols++] = (struct out_col){report_key_name(q->keys[k]),
		    q->keys[k] == REPORT_KEY_STATUS ? OUT_DIGITS : OUT_TEXT,
		    OUT_IN_ALL, NULL, OUT_AUTO, 0, 2};
	memcpy(cols + ncols, report_figures, sizeof(report_figures));
	ncols += REPORT_FIGURES;
	out_start(&o, stdout, fmt, cols, ncols);
	out_rows_begin(&o, NULL);
	for (size_t i = 0; i < n; i++) {
		const struct report_row *r = &rows[i];

		for (int k = 0; k < q->n_keys; k++)
			out_text(&o, r->key[k] ? r->key[k] : "-");
		report_put_figures(&o, r->requests, r->errors_5xx, r->failed,
		    r->attempts, r->failed_attempts, r->request_ms_avg);
		tr += r->requests;
		t5 += r->errors_5xx;
		tf += r->failed;
		ta += r->attempts;
		tfa += r->failed_attempts;
	}
	if (fmt == OUT_TABLE && n > 1) {
		out_span(&o, (size_t)q->n_keys, "total");
		report_put_figures(&o, tr, t5, tf, ta, tfa, -1);
	}
	out_rows_end(&o);
	return out_end(&o);
}

/*
 * The error-log groups, for a window with no requests but error-log lines
 * (an error log read without its access log): by upstream and cause, how
 * many lines, how many not joined to a request, their wall-clock range.
 */
static const struct out_col error_cols[] = {
	{"upstream", OUT_TEXT, OUT_IN_ALL, NULL, 24, 0, 0},
	{"cause", OUT_TEXT, OUT_IN_ALL, NULL, 26, 0, 2},
	{"lines", OUT_INT, OUT_IN_ALL, NULL, 8, 0, 1},
	{"unjoined", OUT_INT, OUT_IN_ALL, NULL, 8, 0, 1},
	{"first", OUT_WALL, OUT_IN_ALL, NULL, 19, 0, 2},
	{"last", OUT_WALL, OUT_IN_ALL, NULL, 0, 0, 2},
};

struct error_table {
	struct out o;
	bool header;
};

static void
print_error_group(void *ctx, const struct store_error_group *g)
{
	struct error_table *t = ctx;

	if (!t->header) {
		out_note_begin(&t->o);
		out_note_printf(&t->o, "(no requests in the database for this "
		    "window; the gateway's error log\n names these failures: "
		    "ingest its access log to count them per request)");
		out_note_end(&t->o);
		out_rows_begin(&t->o, NULL);
		t->header = true;
	}
	out_text(&t->o, g->upstream);
	out_text(&t->o, cause_name(g->cause));
	out_int(&t->o, g->lines);
	out_int(&t->o, g->unjoined);
	out_time(&t->o, g->first_ms);
	out_time(&t->o, g->last_ms);
	out_row_end(&t->o);
}

/*
 * The error-log groups of q's window in format fmt; *any set when there
 * was one. 0, or -1 with err filled.
 */
static int
print_error_groups(struct store *st, const struct report_query *q,
    enum out_format fmt, bool *any, char *err, size_t errlen)
{
	struct error_table t = { .header = false };
	int rc;

	out_start(&t.o, stdout, fmt, error_cols,
	    sizeof(error_cols) / sizeof(error_cols[0]));
	rc = store_error_groups(st, q->since_ms, q->until_ms,
	    print_error_group, &t, err, errlen);
	if (t.header)
		out_rows_end(&t.o);
	if (t.header || fmt == OUT_TABLE) {
		if (out_end(&t.o) != 0 && rc == 0) {
			snprintf(err, errlen, "out of memory");
			rc = -1;
		}
	} else
		(void)out_end(&t.o);	/* nothing was written */
	*any = t.header;
	return rc;
}

/* One line per capture source: how complete the wire's picture was. */
static void
print_capture(void *ctx, const char *source,
    const struct store_capture_stats *cs)
{
	FILE *f = ctx;

	fputs("capture ", f);
	safe_put(f, source, strlen(source));
	fprintf(f, ": %" PRId64 " packets, %" PRId64 " flows, %" PRId64
	    " exchanges", cs->packets, cs->flows, cs->exchanges);
	if (cs->received >= 0)
		fprintf(f, "; kernel: %" PRId64 " received, %" PRId64
		    " dropped, %" PRId64 " dropped by the interface",
		    cs->received, cs->dropped < 0 ? 0 : cs->dropped,
		    cs->if_dropped < 0 ? 0 : cs->if_dropped);
	fprintf(f, "; %" PRId64 " flows evicted, %" PRId64 " gaps (%" PRId64
	    " bytes), %" PRId64 " exchanges incomplete", cs->evicted, cs->gaps,
	    cs->gap_bytes, cs->incomplete);
	if (cs->requests_dropped > 0)
		fprintf(f, "; %" PRId64 " requests dropped unanswered by the "
		    "memory budget", cs->requests_dropped);
	if (cs->downstream_failed > 0)
		fprintf(f, "; %" PRId64 " of %" PRId64 " failed client requests "
		    "tied to an upstream", cs->downstream_failed_tied,
		    cs->downstream_failed);
	fputc('\n', f);
	for (int i = 0; i < cs->n_ports; i++) {
		const struct store_capture_port *p = &cs->ports[i];

		fprintf(f, "  gateway port %d: %" PRId64 " client requests, %"
		    PRId64 " failed, %" PRId64 " tied to an upstream (%.1f%%), %"
		    PRId64 " failed untied\n", p->port, p->requests, p->failed,
		    p->failed_tied, p->failed > 0 ? 100.0 *
		    (double)p->failed_tied / (double)p->failed : 100.0,
		    p->failed - p->failed_tied);
	}
}

/*
 * --by capture: per capture source and gateway port (gateway-host mode),
 * the client requests, the failed ones, those tied to an upstream attempt
 * and their share, and the failed ones left untied apart (the gateway's
 * own refusals, and what the wire could not tie). Whole captures: the
 * window does not apply.
 */
static const struct out_col capture_cols[] = {
	{"source", OUT_TEXT, OUT_IN_DATA, NULL, 0, 0, 0},
	{"port", OUT_INT, OUT_IN_ALL, NULL, 5, 0, 0},
	{"requests", OUT_INT, OUT_IN_ALL, NULL, 9, 0, 1},
	{"failed", OUT_INT, OUT_IN_ALL, NULL, 8, 0, 1},
	{"failed_tied", OUT_INT, OUT_IN_ALL, "tied", 8, 0, 1},
	{"tied_pct", OUT_PERCENT, OUT_IN_TABLE, "tied%", 8, 1, 1},
	{"tied_share", OUT_REAL, OUT_IN_DATA, NULL, 0, 4, 0},
	{"failed_untied", OUT_INT, OUT_IN_ALL, "untied", 8, 0, 1},
	{"source", OUT_TEXT, OUT_IN_TABLE, NULL, 0, 0, 2},
};

/* One row per gateway port of a capture source. */
static void
print_capture_port(void *ctx, const char *source,
    const struct store_capture_stats *cs)
{
	struct out *o = ctx;

	for (int i = 0; i < cs->n_ports; i++) {
		const struct store_capture_port *p = &cs->ports[i];
		double share = rate(p->failed_tied, p->failed);

		out_text(o, source);
		out_int(o, p->port);
		out_int(o, p->requests);
		out_int(o, p->failed);
		out_int(o, p->failed_tied);
		out_real(o, share);
		out_real(o, share);
		out_int(o, p->failed - p->failed_tied);
		out_text(o, source);
		out_row_end(o);
	}
}

/* The --by capture view; an exit status. */
static int
report_captures(struct store *st, enum out_format fmt)
{
	struct out o;
	char err[512];
	int rc;

	out_start(&o, stdout, fmt, capture_cols,
	    sizeof(capture_cols) / sizeof(capture_cols[0]));
	out_rows_begin(&o, NULL);
	rc = store_capture_stats_each(st, print_capture_port, &o, err,
	    sizeof(err));
	out_rows_end(&o);
	if (out_end(&o) != 0)
		fprintf(stderr, "gatewatch report: out of memory\n");
	if (rc != 0) {
		fprintf(stderr, "gatewatch report: %s\n", err);
		return EXIT_ERR;
	}
	if (fmt == OUT_TABLE && o.rows == 0)
		printf("(no capture in gateway-host mode: run `gatewatch capture"
		    " --listen PORTS`)\n");
	return EXIT_OK;
}

/* Lines no parser understood, and how many of them are kept. */
static void
print_rejects(struct store *st)
{
	int64_t rejected, kept;
	char err[512];

	if (store_reject_counts(st, 0, &rejected, &kept, err,
	    sizeof(err)) != 0) {
		fprintf(stderr, "gatewatch report: %s\n", err);
		return;
	}
	if (rejected == 0)
		return;
	printf("rejected lines: %" PRId64 " (%" PRId64 " kept in the rejects "
	    "table%s)\n", rejected, kept, kept < rejected ? "; a source keeps "
	    "its first 1000, then 1 in 1000" : "");
}

static int
parse_keys(const char *s, struct report_query *q)
{
	q->n_keys = 0;
	while (*s) {
		size_t len = strcspn(s, ",");
		if (len > 0) {
			int k = report_key_from_name(s, len);
			if (k < 0 || q->n_keys == REPORT_KEYS_MAX) {
				fprintf(stderr, "gatewatch report: unknown key '%.*s' "
				    "(upstream, cause, status, path, source, minute, who)\n",
				    (int)len, s);
				return -1;
			}
			for (int i = 0; i < q->n_keys; i++)
				if (q->keys[i] == (enum report_key)k)
					goto next;
			q->keys[q->n_keys++] = (enum report_key)k;
		}
next:
		s += len;
		if (*s == ',')
			s++;
	}
	return 0;
}

/* What report's options say. */
struct report_args {
	struct report_query q;
	const char *diag_by;	/* --by shape|breaker|retry */
	bool by_capture;	/* --by capture */
};

/* --by: group keys, or a diagnosis view. */
static int
report_by_cb(const struct opt *opt, const char *arg, const char *cmd)
{
	struct report_args *a = opt->value;

	(void)cmd;
	if (diagnose_is_key(arg)) {
		a->diag_by = arg;
		return 0;
	}
	if (strcmp(arg, "capture") == 0) {
		a->by_capture = true;
		return 0;
	}
	return parse_keys(arg, &a->q);
}

/* --cause: a name of the taxonomy. */
static int
report_cause_cb(const struct opt *opt, const char *arg, const char *cmd)
{
	if (!cause_from_name(arg, strlen(arg), (enum gw_cause *)opt->value)) {
		fprintf(stderr, "gatewatch %s: unknown cause '%s'\n", cmd, arg);
		return -1;
	}
	return 0;
}

/* --status: an HTTP status. */
static int
report_status_cb(const struct opt *opt, const char *arg, const char *cmd)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (end == arg || *end != '\0' || errno != 0 || v < 100 || v > 999) {
		fprintf(stderr, "gatewatch %s: --status takes an HTTP status, "
		    "100 to 999\n", cmd);
		return -1;
	}
	*(int *)opt->value = (int)v;
	return 0;
}

int
cmd_report(int argc, char **argv)
{
	const char *db = cli_default_db();
	struct report_args a = {.q = {
		.since_ms = INT64_MIN, .until_ms = INT64_MAX, .status = -1,
		.cause = GW_CAUSE_ANY, .n_keys = 2, .keys = {REPORT_KEY_UPSTREAM, REPORT_KEY_CAUSE},
	}};
	struct report_query q;
	enum out_format fmt = OUT_TABLE;
	const struct opt opts[] = {
		OPT_DB(&db),
		OPT_SINCE(&a.q.since_ms),
		OPT_UNTIL(&a.q.until_ms),
		OPT_CALLBACK('b', "by", &a, "KEYS", "what to group by (above)",
		    report_by_cb),
		OPT_STRING(0, "upstream", &a.q.upstream, "U",
		    "only requests or attempts of upstream U"),
		OPT_CALLBACK(0, "cause", &a.q.cause, "C",
		    "only this cause (upstream_refused, ...)", report_cause_cb),
		OPT_CALLBACK(0, "status", &a.q.status, "N", "only this status",
		    report_status_cb),
		OPT_CALLBACK('n', "limit", &a.q.limit, "N",
		    "at most N groups (default 0: all)", opt_count_cb),
		OPT_CALLBACK('f', "format", &fmt, "F",
		    "table (default), json or csv", opt_out_format_cb),
		OPT_END(),
	};
	const char *diag_by;
	bool by_capture;
	char err[512];
	int first, rc;

	if ((rc = opt_parse("report", argc, argv, opts, report_usage,
	    &first)) >= 0)
		return rc;
	if (first < argc) {
		fprintf(stderr, "gatewatch report: unexpected '%s'\n",
		    argv[first]);
		return EXIT_USAGE;
	}
	q = a.q;
	diag_by = a.diag_by;
	by_capture = a.by_capture;
	if (access(db, F_OK) != 0) {
		fprintf(stderr, "gatewatch report: %s: no such database (run "
		    "'gatewatch ingest' first)\n", db);
		return EXIT_ERR;
	}
	if (diag_by != NULL && (q.cause != GW_CAUSE_ANY || q.status >= 0))
		fprintf(stderr, "gatewatch report: --cause and --status do not"
		    " apply to --by %s; ignored\n", diag_by);
	struct store *st;
	if (store_open(db, &st, err, sizeof(err)) != 0) {
		fprintf(stderr, "gatewatch report: %s\n", err);
		return EXIT_ERR;
	}
	cli_note_upgrade("report", db, st);
	if (by_capture) {
		rc = report_captures(st, fmt);
		store_close(st);
		return rc;
	}
	if (diag_by != NULL) {
		rc = diagnose_report(diag_by, st, &q, fmt);
		store_close(st);
		return rc;
	}
	struct report_row *rows;
	size_t n;
	struct report_coverage cov;
	if (store_report_coverage(st, &q, &cov, err, sizeof(err)) != 0 ||
	    retain_note(stderr, "report", st, q.since_ms, cov.raw, err,
	    sizeof(err)) != 0 ||
	    store_report(st, &q, &rows, &n, err, sizeof(err)) != 0) {
		fprintf(stderr, "gatewatch report: %s\n", err);
		store_close(st);
		return EXIT_ERR;
	}
	/*
	 * An error log alone still tells who failed and why: a window with
	 * no requests lists its lines, in JSON and CSV instead of the empty
	 * groups, in a table under them.
	 */
	bool errors = false;
	if (n == 0 && fmt != OUT_TABLE && print_error_groups(st, &q, fmt,
	    &errors, err, sizeof(err)) != 0)
		fprintf(stderr, "gatewatch report: %s\n", err);
	if (!errors && print_groups(fmt, &q, rows, n) != 0)
		fprintf(stderr, "gatewatch report: out of memory\n");
	if (fmt == OUT_TABLE) {
		if (n == 0) {
			if (print_error_groups(st, &q, fmt, &errors, err,
			    sizeof(err)) != 0)
				fprintf(stderr, "gatewatch report: %s\n", err);
			if (!errors)
				printf("(no requests in the database for this "
				    "window)\n");
		}
		/* Table readers are people: say how complete captures were. */
		if (store_capture_stats_each(st, print_capture, stdout, err,
		    sizeof(err)) != 0)
			fprintf(stderr, "gatewatch report: %s\n", err);
		print_rejects(st);
	}
	store_report_free(rows, n);
	store_close(st);
	return EXIT_OK;
}
