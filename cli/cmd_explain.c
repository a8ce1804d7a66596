/*
 * cmd_explain.c - `gatewatch explain UPSTREAM`: why one upstream failed, in
 * plain words, each reason with its evidence (counts, an example request,
 * the gateway's error message). analyze/explain.c finds the reasons; this
 * file prints them as text or JSON, escaping whatever came from logs.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/clock.h"
#include "cli/cmd_diagnose.h"
#include "analyze/explain.h"
#include "cli/retain.h"

static void
explain_usage(FILE *f)
{
	fprintf(f,
	    "usage: gatewatch explain UPSTREAM [-d DB] [--since T] [--until T]\n"
	    "                         [--limit N] [--format text|json]\n\n"
	    "The top reasons UPSTREAM (as in `report --by upstream`, e.g.\n"
	    "10.0.0.5:8080) failed in the window, in plain words: failures by\n"
	    "cause, query shapes that fail more than their siblings, retries\n"
	    "that hid its failures, what a circuit breaker would have done.\n"
	    "Each comes with counts, an example request and the gateway's own\n"
	    "error message. Refusals the gateway made itself (rate limits, auth,\n"
	    "no live upstream) are listed apart. --limit: reasons of each kind\n"
	    "(default 5, 0 = all).\n\n"
	    "  -d, --db DB         database (default ./%s, or $GATEWATCH_DB)\n"
	    "  --since T           requests at or after T\n"
	    "  --until T           requests before T\n"
	    "  -n, --limit N       reasons of each kind (default 5; 0: all)\n"
	    "  -f, --format F      text (default) or json\n\n"
	    "  T is 2026-11-25T10:00:00Z, 2026-11-25 10:00 (UTC), @EPOCH, or an\n"
	    "  age such as 30m, 2h, 7d.\n", GW_DEFAULT_DB);
}

/* Print one reason as text. */
static void
explain_print_reason(const struct explain_reason *x, int n)
{
	char req[512], t[40];

	printf("%2d. ", n);
	safe_put(stdout, x->title, strlen(x->title));
	printf("\n    ");
	safe_put(stdout, x->evidence, strlen(x->evidence));
	putchar('\n');
	if (x->has_example) {
		const struct diag_example *e = &x->example;

		printf("    e.g. %s %s -> %d (%s, %d attempt%s)",
		    diagnose_time(e->ts_ms, t, sizeof(t)),
		    diagnose_request_text(e->method, e->path, e->query, req,
		    sizeof(req)), e->status, cause_name((enum gw_cause)e->cause),
		    e->n_attempts, e->n_attempts == 1 ? "" : "s");
		if (e->request_id != NULL) {
			printf(" id ");
			safe_put(stdout, e->request_id, strlen(e->request_id));
		}
		putchar('\n');
		if (e->message != NULL) {
			printf("    gateway said: ");
			safe_put(stdout, e->message, strlen(e->message));
			putchar('\n');
		}
	}
}

static void
explain_print_text(const struct explain_report *r)
{
	char t0[40], t1[40];
	size_t own = 0;
	int k = 0;

	printf("upstream ");
	safe_put(stdout, r->upstream, strlen(r->upstream));
	printf(", %s to %s\n", r->since_ms == INT64_MIN ? "start" :
	    diagnose_time(r->since_ms, t0, sizeof(t0)),
	    r->until_ms == INT64_MAX ? "end" : diagnose_time(r->until_ms, t1,
	    sizeof(t1)));
	printf("  %" PRId64 " requests answered by it, %" PRId64 " with a 5xx;"
	    " %" PRId64 " attempts sent to it, %" PRId64 " failed\n\n",
	    r->requests, r->errors_5xx, r->attempts, r->failed_attempts);
	for (size_t i = 0; i < r->n_reasons; i++)
		own += !r->reasons[i].gateway_made;
	if (own == 0)
		printf("Nothing this upstream did wrong shows in the window.\n");
	else
		printf("Why it failed, most first:\n");
	for (size_t i = 0; i < r->n_reasons; i++) {
		if (r->reasons[i].gateway_made)
			continue;
		explain_print_reason(&r->reasons[i], ++k);
	}
	if (own < r->n_reasons) {
		printf("\nMade by the gateway, not by this upstream (%" PRId64
		    "):\n", r->gateway_made);
		k = 0;
		for (size_t i = 0; i < r->n_reasons; i++)
			if (r->reasons[i].gateway_made)
				explain_print_reason(&r->reasons[i], ++k);
	}
}

static void
explain_print_json(const struct explain_report *r)
{
	char t[40];

	printf("{\"upstream\": ");
	cli_json_string(stdout, r->upstream);
	printf(", \"since\": ");
	if (r->since_ms == INT64_MIN)
		printf("null");
	else
		printf("\"%s\"", diagnose_time(r->since_ms, t, sizeof(t)));
	printf(", \"until\": ");
	if (r->until_ms == INT64_MAX)
		printf("null");
	else
		printf("\"%s\"", diagnose_time(r->until_ms, t, sizeof(t)));
	printf(", \"requests\": %" PRId64 ", \"errors_5xx\": %" PRId64
	    ", \"attempts\": %" PRId64 ", \"failed_attempts\": %" PRId64
	    ", \"gateway_made\": %" PRId64 ", \"reasons\": [", r->requests,
	    r->errors_5xx, r->attempts, r->failed_attempts, r->gateway_made);
	for (size_t i = 0; i < r->n_reasons; i++) {
		const struct explain_reason *x = &r->reasons[i];
		const struct diag_example *e = &x->example;

		printf("%s\n  {\"kind\": \"%s\", \"cause\": %s%s%s,"
		    " \"who\": \"%s\", \"gateway_made\": %s, \"count\": %"
		    PRId64 ", \"first\": ", i ? "," : "",
		    explain_kind_name(x->kind), x->cause >= 0 ? "\"" : "",
		    x->cause >= 0 ? cause_name((enum gw_cause)x->cause) : "null",
		    x->cause >= 0 ? "\"" : "", cause_who_name(x->who),
		    x->gateway_made ? "true" : "false", x->count);
		if (x->first_ms >= 0)
			printf("\"%s\"", diagnose_time(x->first_ms, t, sizeof(t)));
		else
			printf("null");
		printf(", \"last\": ");
		if (x->last_ms >= 0)
			printf("\"%s\"", diagnose_time(x->last_ms, t, sizeof(t)));
		else
			printf("null");
		printf(", \"title\": ");
		cli_json_string(stdout, x->title);
		printf(", \"evidence\": ");
		cli_json_string(stdout, x->evidence);
		printf(", \"example\": ");
		if (!x->has_example) {
			printf("null}");
			continue;
		}
		printf("{\"id\": %" PRId64 ", \"time\": \"%s\", \"method\": ",
		    e->id, diagnose_time(e->ts_ms, t, sizeof(t)));
		cli_json_string(stdout, e->method);
		printf(", \"path\": ");
		cli_json_string(stdout, e->path);
		printf(", \"query\": ");
		if (e->query != NULL)
			cli_json_string(stdout, e->query);
		else
			printf("null");
		printf(", \"status\": %d, \"cause\": \"%s\", \"attempts\": %d,"
		    " \"request_id\": ", e->status,
		    cause_name((enum gw_cause)e->cause), e->n_attempts);
		if (e->request_id != NULL)
			cli_json_string(stdout, e->request_id);
		else
			printf("null");
		printf(", \"gateway_message\": ");
		if (e->message != NULL)
			cli_json_string(stdout, e->message);
		else
			printf("null");
		printf("}}");
	}
	printf("%s]}\n", r->n_reasons ? "\n" : "");
}

int
cmd_explain(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"db", required_argument, NULL, 'd'},
		{"since", required_argument, NULL, 's'},
		{"until", required_argument, NULL, 'u'},
		{"format", required_argument, NULL, 'f'},
		{"limit", required_argument, NULL, 'n'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *db = getenv("GATEWATCH_DB") ? getenv("GATEWATCH_DB") :
	    GW_DEFAULT_DB;
	struct diag_window w = diag_window_all();
	struct explain_report r;
	struct store *st;
	bool json = false;
	size_t limit = 5;
	int64_t now = clk_wall_ms();
	char err[512], *end;
	long v;
	int ch;

	while ((ch = getopt_long(argc, argv, "d:f:n:h", longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'd': db = optarg; break;
		case 's':
		case 'u':
			if (cli_parse_time(optarg, now, ch == 's' ? &w.since_ms :
			    &w.until_ms) != 0) {
				fprintf(stderr, "gatewatch explain: bad time"
				    " '%s'\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'f':
			if (strcmp(optarg, "json") == 0)
				json = true;
			else if (strcmp(optarg, "text") == 0)
				json = false;
			else {
				fprintf(stderr, "gatewatch explain: --format is"
				    " text or json\n");
				return EXIT_USAGE;
			}
			break;
		case 'n':
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (end == optarg || *end != '\0' || errno != 0 ||
			    v < 0) {
				fprintf(stderr, "gatewatch explain: --limit takes"
				    " a count (0 = all)\n");
				return EXIT_USAGE;
			}
			limit = (size_t)v;
			break;
		case 'h': explain_usage(stdout); return EXIT_OK;
		default: explain_usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind + 1 != argc) {
		explain_usage(stderr);
		return EXIT_USAGE;
	}
	w.upstream = argv[optind];
	if (access(db, F_OK) != 0) {
		fprintf(stderr, "gatewatch explain: %s: no such database (run "
		    "'gatewatch ingest' first)\n", db);
		return EXIT_ERR;
	}
	if (store_open(db, &st, err, sizeof(err)) != 0) {
		fprintf(stderr, "gatewatch explain: %s\n", err);
		return EXIT_ERR;
	}
	if (retain_note(stderr, "explain", st, w.since_ms, true, err,
	    sizeof(err)) != 0 ||
	    explain_upstream(st, &w, limit, NULL, NULL, &r, err,
	    sizeof(err)) != 0) {
		fprintf(stderr, "gatewatch explain: %s\n", err);
		store_close(st);
		return EXIT_ERR;
	}
	if (r.attempts == 0 && r.requests == 0 && r.n_reasons == 0)
		fprintf(stderr, "gatewatch explain: no requests or attempts for"
		    " upstream '%s' in this window (names as in `gatewatch"
		    " report --by upstream`)\n", w.upstream);
	if (json)
		explain_print_json(&r);
	else
		explain_print_text(&r);
	explain_report_free(&r);
	store_close(st);
	return EXIT_OK;
}
