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
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/clock.h"
#include "cli/cmd_diagnose.h"
#include "store/capture_stats.h"
#include "cli/retain.h"
#include "store/store.h"

enum out_format { OUT_TABLE, OUT_JSON, OUT_CSV };

static void
report_usage(FILE *f)
{
	fprintf(f,
	    "usage: gatewatch report [-d DB] [--since T] [--until T] [--by KEYS]\n"
	    "                        [--upstream U] [--cause C] [--status N]\n"
	    "                        [--limit N] [--format table|json|csv]\n\n"
	    "Requests and failures grouped by KEYS, a comma list of upstream,\n"
	    "cause, status, path, source, minute, who (default: upstream,cause),\n"
	    "or one diagnosis view: shape, breaker or retry.\n"
	    "A request counts under the upstream that gave its final answer ('-'\n"
	    "when it reached none); attempts count under the upstream they were\n"
	    "sent to, so an upstream whose failures were retried elsewhere shows\n"
	    "failed_attempts.\n\n"
	    "  -d, --db DB         database (default ./%s, or $GATEWATCH_DB)\n"
	    "  --since T           requests at or after T\n"
	    "  --until T           requests before T\n"
	    "  -b, --by KEYS       what to group by (above)\n"
	    "  --upstream U        only requests or attempts of upstream U\n"
	    "  --cause C           only this cause (upstream_refused, ...)\n"
	    "  --status N          only this status\n"
	    "  -n, --limit N       at most N groups (default 0: all)\n"
	    "  -f, --format F      table (default), json or csv\n\n"
	    "  T is 2026-11-25T10:00:00Z, 2026-11-25 10:00 (UTC), @EPOCH, or an\n"
	    "  age such as 30m, 2h, 7d.\n", GW_DEFAULT_DB);
}

static double
rate(int64_t part, int64_t whole)
{
	return whole > 0 ? (double)part / (double)whole : 0.0;
}


static bool
key_is_number(enum report_key k)
{
	return k == REPORT_KEY_STATUS;
}

static void
print_json(const struct report_query *q, const struct report_row *rows,
    size_t n)
{
	printf("[");
	for (size_t i = 0; i < n; i++) {
		const struct report_row *r = &rows[i];
		printf("%s\n  {", i ? "," : "");
		for (int k = 0; k < q->n_keys; k++) {
			cli_json_string(stdout, report_key_name(q->keys[k]));
			fputs(": ", stdout);
			const char *v = r->key[k] ? r->key[k] : "-";
			if (key_is_number(q->keys[k]) && strspn(v, "0123456789") ==
			    strlen(v) && *v)
				fputs(v, stdout);
			else
				cli_json_string(stdout, v);
			fputs(", ", stdout);
		}
		printf("\"requests\": %" PRId64 ", \"errors_5xx\": %" PRId64
		    ", \"rate_5xx\": %.4f, \"failed\": %" PRId64
		    ", \"attempts\": %" PRId64 ", \"failed_attempts\": %" PRId64,
		    r->requests, r->errors_5xx, rate(r->errors_5xx, r->requests),
		    r->failed, r->attempts, r->failed_attempts);
		if (r->request_ms_avg >= 0)
			printf(", \"request_ms_avg\": %.1f", r->request_ms_avg);
		printf("}");
	}
	printf("%s]\n", n ? "\n" : "");
}


static void
print_csv(const struct report_query *q, const struct report_row *rows,
    size_t n)
{
	for (int k = 0; k < q->n_keys; k++)
		printf("%s,", report_key_name(q->keys[k]));
	printf("requests,errors_5xx,rate_5xx,failed,attempts,failed_attempts\n");
	for (size_t i = 0; i < n; i++) {
		const struct report_row *r = &rows[i];
		for (int k = 0; k < q->n_keys; k++) {
			cli_csv_field(stdout, r->key[k] ? r->key[k] : "-");
			fputc(',', stdout);
		}
		printf("%" PRId64 ",%" PRId64 ",%.4f,%" PRId64 ",%" PRId64 ",%"
		    PRId64 "\n", r->requests, r->errors_5xx,
		    rate(r->errors_5xx, r->requests), r->failed, r->attempts,
		    r->failed_attempts);
	}
}

#define COL_MAX 48

static void
print_table(const struct report_query *q, const struct report_row *rows,
    size_t n)
{
	size_t w[REPORT_KEYS_MAX];
	char safe[COL_MAX * 4 + 8];

	for (int k = 0; k < q->n_keys; k++) {
		w[k] = strlen(report_key_name(q->keys[k]));
		for (size_t i = 0; i < n; i++) {
			size_t l = safe_width(rows[i].key[k] ? rows[i].key[k] : "-");
			if (l > w[k])
				w[k] = l > COL_MAX ? COL_MAX : l;
		}
	}
	for (int k = 0; k < q->n_keys; k++)
		printf("%-*s  ", (int)w[k], report_key_name(q->keys[k]));
	printf("%9s %8s %7s %8s %9s %8s\n", "requests", "5xx", "5xx%",
	    "failed", "attempts", "failed_a");
	int64_t tr = 0, t5 = 0, tf = 0, ta = 0, tfa = 0;
	for (size_t i = 0; i < n; i++) {
		const struct report_row *r = &rows[i];
		for (int k = 0; k < q->n_keys; k++) {
			const char *v = r->key[k] ? r->key[k] : "-";
			safe_text(safe, sizeof(safe), v, strlen(v));
			/* Cut to the column, on a character boundary. */
			size_t cols = 0, b = 0;
			while (safe[b] && cols < w[k]) {
				b++;
				while ((safe[b] & 0xc0) == 0x80)
					b++;
				cols++;
			}
			safe[b] = '\0';
			printf("%s%*s  ", safe, (int)(w[k] - cols), "");
		}
		printf("%9" PRId64 " %8" PRId64 " %6.2f%% %8" PRId64 " %9" PRId64
		    " %8" PRId64 "\n", r->requests, r->errors_5xx,
		    100.0 * rate(r->errors_5xx, r->requests), r->failed,
		    r->attempts, r->failed_attempts);
		tr += r->requests;
		t5 += r->errors_5xx;
		tf += r->failed;
		ta += r->attempts;
		tfa += r->failed_attempts;
	}
	if (n > 1) {
		size_t lead = 0;
		for (int k = 0; k < q->n_keys; k++)
			lead += w[k] + 2;
		printf("%-*s%9" PRId64 " %8" PRId64 " %6.2f%% %8" PRId64 " %9"
		    PRId64 " %8" PRId64 "\n", (int)lead, "total", tr, t5,
		    100.0 * rate(t5, tr), tf, ta, tfa);
	}
}

/* ms (a wall-clock time as if UTC) as "2026-11-25 10:15:02". */
static void
wall_time(int64_t ms, char *buf, size_t n)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, n, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(buf, n, "-");
}

/* The error-log groups (table form). */
struct error_table {
	bool header;
	int64_t total;
};

static void
print_error_group(void *ctx, const struct store_error_group *g)
{
	struct error_table *t = ctx;
	char safe[256], first[32], last[32];

	if (!t->header) {
		printf("(no requests in the database for this window; the "
		    "gateway's error log\n names these failures: ingest its "
		    "access log to count them per request)\n");
		printf("%-24s  %-26s %8s %8s  %-19s  %s\n", "upstream", "cause",
		    "lines", "unjoined", "first", "last");
		t->header = true;
	}
	safe_text(safe, sizeof(safe), g->upstream, strlen(g->upstream));
	wall_time(g->first_ms, first, sizeof(first));
	wall_time(g->last_ms, last, sizeof(last));
	printf("%-24.24s  %-26s %8" PRId64 " %8" PRId64 "  %-19s  %s\n", safe,
	    cause_name((enum gw_cause)g->cause), g->lines, g->unjoined, first,
	    last);
	t->total += g->lines;
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

/* A whole decimal number from min to max in *v; -1 for anything else. */
static int
report_number(const char *s, long min, long max, long *v)
{
	char *end;

	errno = 0;
	*v = strtol(s, &end, 10);
	if (end == s || *end != '\0' || errno != 0 || *v < min || *v > max)
		return -1;
	return 0;
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

int
cmd_report(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"db", required_argument, NULL, 'd'},
		{"since", required_argument, NULL, 's'},
		{"until", required_argument, NULL, 'u'},
		{"by", required_argument, NULL, 'b'},
		{"format", required_argument, NULL, 'f'},
		{"upstream", required_argument, NULL, 'U'},
		{"cause", required_argument, NULL, 'c'},
		{"status", required_argument, NULL, 'S'},
		{"limit", required_argument, NULL, 'n'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *db = getenv("GATEWATCH_DB") ? getenv("GATEWATCH_DB") :
	    GW_DEFAULT_DB;
	struct report_query q = {
		.since_ms = INT64_MIN, .until_ms = INT64_MAX, .status = -1,
		.n_keys = 2, .keys = {REPORT_KEY_UPSTREAM, REPORT_KEY_CAUSE},
	};
	enum out_format fmt = OUT_TABLE;
	const char *diag_by = NULL;	/* --by shape|breaker|retry */
	int64_t now = clk_wall_ms();
	char err[512];
	long v;
	int ch;

	while ((ch = getopt_long(argc, argv, "d:b:f:n:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'd': db = optarg; break;
		case 's':
		case 'u':
			if (cli_parse_time(optarg, now, ch == 's' ? &q.since_ms :
			    &q.until_ms) != 0) {
				fprintf(stderr, "gatewatch report: bad time '%s'\n",
				    optarg);
				return EXIT_USAGE;
			}
			break;
		case 'b':
			if (diagnose_is_key(optarg)) {
				diag_by = optarg;
				break;
			}
			if (parse_keys(optarg, &q) != 0)
				return EXIT_USAGE;
			break;
		case 'f':
			if (strcmp(optarg, "table") == 0)
				fmt = OUT_TABLE;
			else if (strcmp(optarg, "json") == 0)
				fmt = OUT_JSON;
			else if (strcmp(optarg, "csv") == 0)
				fmt = OUT_CSV;
			else {
				fprintf(stderr, "gatewatch report: --format is table, "
				    "json or csv\n");
				return EXIT_USAGE;
			}
			break;
		case 'U': q.upstream = optarg; break;
		case 'c':
			if (cause_from_name(optarg, strlen(optarg)) < 0) {
				fprintf(stderr, "gatewatch report: unknown cause '%s'\n",
				    optarg);
				return EXIT_USAGE;
			}
			q.cause = optarg;
			break;
		case 'S':
			if (report_number(optarg, 100, 999, &v) != 0) {
				fprintf(stderr, "gatewatch report: --status takes "
				    "an HTTP status, 100 to 999\n");
				return EXIT_USAGE;
			}
			q.status = (int)v;
			break;
		case 'n':
			if (report_number(optarg, 0, 1000000000, &v) != 0) {
				fprintf(stderr, "gatewatch report: --limit takes a "
				    "count (0 = all)\n");
				return EXIT_USAGE;
			}
			q.limit = (size_t)v;
			break;
		case 'h': report_usage(stdout); return EXIT_OK;
		default: report_usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "gatewatch report: unexpected '%s'\n", argv[optind]);
		return EXIT_USAGE;
	}
	if (access(db, F_OK) != 0) {
		fprintf(stderr, "gatewatch report: %s: no such database (run "
		    "'gatewatch ingest' first)\n", db);
		return EXIT_ERR;
	}
	if (diag_by != NULL)
		return diagnose_report(diag_by, db, &q, fmt == OUT_JSON ? "json" :
		    fmt == OUT_CSV ? "csv" : "table");
	struct store *st;
	if (store_open(db, &st, err, sizeof(err)) != 0) {
		fprintf(stderr, "gatewatch report: %s\n", err);
		return EXIT_ERR;
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
	switch (fmt) {
	case OUT_TABLE:
		print_table(&q, rows, n);
		if (n == 0) {
			/* An error log alone still tells who failed and why. */
			struct error_table et = { 0 };
			if (store_error_groups(st, q.since_ms, q.until_ms,
			    print_error_group, &et, err, sizeof(err)) != 0)
				fprintf(stderr, "gatewatch report: %s\n", err);
			if (!et.header)
				printf("(no requests in the database for this "
				    "window)\n");
		}
		/* Table readers are people: say how complete captures were. */
		if (store_capture_stats_each(st, print_capture, stdout, err,
		    sizeof(err)) != 0)
			fprintf(stderr, "gatewatch report: %s\n", err);
		print_rejects(st);
		break;
	case OUT_JSON: print_json(&q, rows, n); break;
	case OUT_CSV: print_csv(&q, rows, n); break;
	}
	store_report_free(rows, n);
	store_close(st);
	return EXIT_OK;
}
