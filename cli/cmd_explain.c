/*
 * cmd_explain.c - `gatewatch explain UPSTREAM`: why one upstream failed, in
 * plain words, each reason with its evidence (counts, an example request,
 * the gateway's error message). analyze/explain.c finds the reasons; this
 * file prints them as text or JSON, escaping whatever came from logs.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/clock.h"
#include "cli/cmd_diagnose.h"
#include "cli/options.h"
#include "cli/output.h"
#include "analyze/explain.h"
#include "cli/retain.h"
#include "core/safe.h"
#include "store/capture_stats.h"

/*
 * The gateway ports of the captures in gateway-host mode: how many failed
 * client requests the wire tied to an upstream and how many it left
 * untied. An untied failure names no upstream, so the upstream explained
 * may have more failures than it shows: it is said next to its reasons.
 */
#define WIRE_PORTS_MAX	64

struct wire_ports {
	struct wire_port {
		char source[256];
		struct store_capture_port p;
	} v[WIRE_PORTS_MAX];
	int n;
};

static void
wire_ports_add(void *ctx, const char *source,
    const struct store_capture_stats *cs)
{
	struct wire_ports *w = ctx;

	for (int i = 0; i < cs->n_ports && w->n < WIRE_PORTS_MAX; i++) {
		snprintf(w->v[w->n].source, sizeof(w->v[w->n].source), "%s",
		    source);
		w->v[w->n++].p = cs->ports[i];
	}
}

static double
share(int64_t part, int64_t whole)
{
	return whole > 0 ? (double)part / (double)whole : 1.0;
}

static void
wire_ports_text(const struct wire_ports *w)
{
	if (w->n == 0)
		return;
	printf("\nGateway-host captures (whole captures, not the window): a"
	    " failed client\nrequest the wire left untied names no upstream;"
	    " some may be this one's.\n");
	for (int i = 0; i < w->n; i++) {
		const struct store_capture_port *p = &w->v[i].p;

		printf("  gateway port %d (", p->port);
		safe_put(stdout, w->v[i].source, strlen(w->v[i].source));
		printf("): %" PRId64 " failed client requests, %" PRId64
		    " tied to an upstream (%.1f%%), %" PRId64 " untied\n",
		    p->failed, p->failed_tied,
		    100.0 * share(p->failed_tied, p->failed),
		    p->failed - p->failed_tied);
	}
}

/* JSON: "captures": one object per gateway port. */
static void
wire_ports_json(struct out *o, const struct wire_ports *w)
{
	out_arr_begin(o, "captures");
	for (int i = 0; i < w->n; i++) {
		const struct store_capture_port *p = &w->v[i].p;

		out_obj_begin(o, NULL);
		out_kv_text(o, "source", w->v[i].source);
		out_kv_int(o, "port", p->port);
		out_kv_int(o, "requests", p->requests);
		out_kv_int(o, "failed", p->failed);
		out_kv_int(o, "failed_tied", p->failed_tied);
		out_kv_real(o, "tied_share", share(p->failed_tied, p->failed),
		    4);
		out_kv_int(o, "failed_untied", p->failed - p->failed_tied);
		out_obj_end(o);
	}
	out_arr_end(o);
}

static void
explain_usage(FILE *f, const struct opt *opts)
{
	fputs("usage: gatewatch explain UPSTREAM [-d DB] [--since T] [--until T]\n"
	    "                         [--limit N] [--format text|json]\n\n"
	    "The top reasons UPSTREAM (as in `report --by upstream`, e.g.\n"
	    "10.0.0.5:8080) failed in the window, in plain words: failures by\n"
	    "cause, query shapes that fail more than their siblings, retries\n"
	    "that hid its failures, what a circuit breaker would have done.\n"
	    "Each comes with counts, an example request and the gateway's own\n"
	    "error message. Refusals the gateway made itself (rate limits, auth,\n"
	    "no live upstream) are listed apart. --limit: reasons of each kind\n"
	    "(default 5, 0 = all). With captures in gateway-host mode (capture\n"
	    "--listen), the failed client requests tied to an upstream and\n"
	    "those left untied, per gateway port.\n\n", f);
	opt_usage(f, opts, 22);
	fputs("\n  T is 2026-11-25T10:00:00Z, 2026-11-25 10:00 (UTC), @EPOCH, or an\n"
	    "  age such as 30m, 2h, 7d.\n", f);
}

/* --format: text or json into *(bool *)value (json). */
static int
explain_format_cb(const struct opt *opt, const char *arg, const char *cmd)
{
	if (strcmp(arg, "json") == 0)
		*(bool *)opt->value = true;
	else if (strcmp(arg, "text") == 0)
		*(bool *)opt->value = false;
	else {
		fprintf(stderr, "gatewatch %s: --format is text or json\n", cmd);
		return -1;
	}
	return 0;
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
		    sizeof(req)), e->status, cause_name(e->cause),
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
explain_print_text(const struct explain_report *r, const struct wire_ports *w)
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
	wire_ports_text(w);
}

/* A reason of the JSON form: its kind, cause, counts, words, example. */
static const struct out_col explain_cols[] = {
	{"kind", OUT_TEXT, OUT_IN_JSON, NULL, 0, 0, 0},
	{"cause", OUT_TEXT, OUT_IN_JSON, NULL, 0, 0, 0},
	{"who", OUT_TEXT, OUT_IN_JSON, NULL, 0, 0, 0},
	{"gateway_made", OUT_BOOL, OUT_IN_JSON, NULL, 0, 0, 0},
	{"count", OUT_INT, OUT_IN_JSON, NULL, 0, 0, 0},
	{"first", OUT_TIME, OUT_IN_JSON, NULL, 0, 0, 0},
	{"last", OUT_TIME, OUT_IN_JSON, NULL, 0, 0, 0},
	{"title", OUT_TEXT, OUT_IN_JSON, NULL, 0, 0, 0},
	{"evidence", OUT_TEXT, OUT_IN_JSON, NULL, 0, 0, 0},
	{"example", OUT_NESTED, OUT_IN_JSON, NULL, 0, 0, 0},
};

static int
explain_print_json(const struct explain_report *r, const struct wire_ports *w)
{
	struct out o;

	out_start(&o, stdout, OUT_JSON, explain_cols,
	    sizeof(explain_cols) / sizeof(explain_cols[0]));
	out_obj_begin(&o, NULL);
	out_kv_text(&o, "upstream", r->upstream);
	if (r->since_ms == INT64_MIN)
		out_kv_null(&o, "since");
	else
		out_kv_time(&o, "since", r->since_ms);
	if (r->until_ms == INT64_MAX)
		out_kv_null(&o, "until");
	else
		out_kv_time(&o, "until", r->until_ms);
	out_kv_int(&o, "requests", r->requests);
	out_kv_int(&o, "errors_5xx", r->errors_5xx);
	out_kv_int(&o, "attempts", r->attempts);
	out_kv_int(&o, "failed_attempts", r->failed_attempts);
	out_kv_int(&o, "gateway_made", r->gateway_made);
	out_rows_begin(&o, "reasons");
	for (size_t i = 0; i < r->n_reasons; i++) {
		const struct explain_reason *x = &r->reasons[i];

		out_text(&o, explain_kind_name(x->kind));
		if (x->kind == EXPLAIN_CAUSE)
			out_text(&o, cause_name(x->cause));
		else
			out_null(&o);
		out_text(&o, cause_who_name(x->who));
		out_bool(&o, x->gateway_made);
		out_int(&o, x->count);
		if (x->first_ms >= 0)
			out_time(&o, x->first_ms);
		else
			out_null(&o);
		if (x->last_ms >= 0)
			out_time(&o, x->last_ms);
		else
			out_null(&o);
		out_text(&o, x->title);
		out_text(&o, x->evidence);
		diagnose_example_json(&o, &x->example, x->has_example);
		out_row_end(&o);
	}
	out_rows_end(&o);
	wire_ports_json(&o, w);
	out_obj_end(&o);
	return out_end(&o);
}

int
cmd_explain(int argc, char **argv)
{
	const char *db = cli_default_db();
	struct diag_window w = diag_window_all();
	struct explain_report r;
	struct store *st;
	bool json = false;
	size_t limit = 5;
	const struct opt opts[] = {
		OPT_DB(&db),
		OPT_SINCE(&w.since_ms),
		OPT_UNTIL(&w.until_ms),
		OPT_CALLBACK('n', "limit", &limit, "N",
		    "reasons of each kind (default 5; 0: all)", opt_count_cb),
		OPT_CALLBACK('f', "format", &json, "F", "text (default) or json",
		    explain_format_cb),
		OPT_END(),
	};
	char err[512];
	int first, rc;

	if ((rc = opt_parse("explain", argc, argv, opts, explain_usage,
	    &first)) >= 0)
		return rc;
	if (first + 1 != argc) {
		explain_usage(stderr, opts);
		return EXIT_USAGE;
	}
	w.upstream = argv[first];
	if (access(db, F_OK) != 0) {
		fprintf(stderr, "gatewatch explain: %s: no such database (run "
		    "'gatewatch ingest' first)\n", db);
		return EXIT_ERR;
	}
	if (store_open(db, &st, err, sizeof(err)) != 0) {
		fprintf(stderr, "gatewatch explain: %s\n", err);
		return EXIT_ERR;
	}
	cli_note_upgrade("explain", db, st);
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
	struct wire_ports *wp = calloc(1, sizeof(*wp));
	if (wp == NULL) {
		fprintf(stderr, "gatewatch explain: out of memory\n");
		explain_report_free(&r);
		store_close(st);
		return EXIT_ERR;
	}
	if (store_capture_stats_each(st, wire_ports_add, wp, err,
	    sizeof(err)) != 0)
		fprintf(stderr, "gatewatch explain: %s\n", err);
	if (json) {
		if (explain_print_json(&r, wp) != 0)
			fprintf(stderr, "gatewatch explain: out of memory\n");
	} else
		explain_print_text(&r, wp);
	free(wp);
	explain_report_free(&r);
	store_close(st);
	return EXIT_OK;
}
