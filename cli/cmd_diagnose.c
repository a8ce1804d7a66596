/*
 * cmd_diagnose.c - `gatewatch report --by shape|breaker|retry`: the analyses of
 * analyze/ as a table, JSON or CSV. cli/cmd_report.c hands these keys over;
 * the figures come from analyze/, this file only formats them.
 *
 * Every view keeps what the gateway made apart from what the upstream did:
 * shape rates count only 5xx the gateway did not make (gateway_5xx beside
 * them), the breaker ignores gateway-made attempts (ignored), and retry
 * groups say who failed first (who). Text from logs is escaped everywhere.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analyze/breaker.h"
#include "cli/cli.h"
#include "cli/cmd_diagnose.h"
#include "cli/retain.h"
#include "analyze/retry.h"
#include "analyze/shape.h"

enum dx_format { DX_TABLE, DX_JSON, DX_CSV };

/* See cmd_diagnose.h. */
bool
diagnose_is_key(const char *by)
{
	return strcmp(by, "shape") == 0 || strcmp(by, "breaker") == 0 ||
	    strcmp(by, "retry") == 0;
}



/* See cmd_diagnose.h. */
const char *
diagnose_time(int64_t ms, char *buf, size_t size)
{
	time_t t;
	struct tm tm;
	char base[32];

	if (ms < 0) {
		snprintf(buf, size, "-");
		return buf;
	}
	t = (time_t)(ms / 1000);
	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		snprintf(buf, size, "@%" PRId64, ms / 1000);
	else
		snprintf(buf, size, "%s.%03dZ", base, (int)(ms % 1000));
	return buf;
}

/* See cmd_diagnose.h. */
const char *
diagnose_request_text(const char *method, const char *path,
    const char *query, char *buf, size_t size)
{
	char raw[4096];

	snprintf(raw, sizeof(raw), "%s%s%s%s%s", method != NULL ? method : "",
	    method != NULL ? " " : "", path != NULL ? path : "-",
	    query != NULL ? "?" : "", query != NULL ? query : "");
	return safe_text(buf, size, raw, strlen(raw));
}

/* Shape text for people: "(no query)" for "". */
static const char *
dx_shape(const char *s)
{
	return s != NULL && *s ? s : "(no query)";
}

/* A JSON "name": value pair of an example request (or null). */
static void
dx_json_example(FILE *f, const struct diag_example *e, bool has)
{
	char t[40];

	fputs("\"example\": ", f);
	if (!has) {
		fputs("null", f);
		return;
	}
	fprintf(f, "{\"id\": %" PRId64 ", \"time\": \"%s\", \"method\": ",
	    e->id, diagnose_time(e->ts_ms, t, sizeof(t)));
	cli_json_string(f, e->method);
	fputs(", \"path\": ", f);
	cli_json_string(f, e->path);
	fputs(", \"query\": ", f);
	if (e->query != NULL)
		cli_json_string(f, e->query);
	else
		fputs("null", f);
	fprintf(f, ", \"status\": %d, \"cause\": \"%s\", \"attempts\": %d,"
	    " \"request_id\": ", e->status, cause_name(e->cause),
	    e->n_attempts);
	if (e->request_id != NULL)
		cli_json_string(f, e->request_id);
	else
		fputs("null", f);
	fputs(", \"gateway_message\": ", f);
	if (e->message != NULL)
		cli_json_string(f, e->message);
	else
		fputs("null", f);
	fputc('}', f);
}

/* Cut an escaped string to cols columns (one per character) in place. */
static char *
dx_cut(char *s, size_t cols)
{
	size_t c = 0, b = 0;

	while (s[b] && c < cols) {
		b++;
		while ((s[b] & 0xc0) == 0x80)
			b++;
		c++;
	}
	s[b] = '\0';
	return s;
}

/* --- shape ------------------------------------------------------------- */

static void
dx_shape_table(const struct shape_finding *f, size_t n)
{
	char route[96], up[48], shape[64], req[256], t[40], msg[256];

	if (n == 0) {
		printf("(no query shape fails more than its siblings beyond"
		    " doubt in this window)\n");
		return;
	}
	printf("%-32s %-22s %-36s %8s %6s %7s %8s %6s\n", "route", "upstream",
	    "shape", "requests", "5xx", "5xx%", "others%", "gw_5xx");
	for (size_t i = 0; i < n; i++) {
		char raw[1024];

		snprintf(raw, sizeof(raw), "%s%s%s", f[i].method,
		    *f[i].method ? " " : "", f[i].route);
		safe_text(route, sizeof(route), raw, strlen(raw));
		safe_text(up, sizeof(up), f[i].upstream, strlen(f[i].upstream));
		safe_text(shape, sizeof(shape), dx_shape(f[i].shape),
		    strlen(dx_shape(f[i].shape)));
		printf("%-32s %-22s %-36s %8" PRId64 " %6" PRId64 " %6.2f%%"
		    " %7.2f%% %6" PRId64 "\n", dx_cut(route, 32), dx_cut(up, 22),
		    dx_cut(shape, 36), f[i].requests, f[i].failed,
		    100 * f[i].rate, 100 * f[i].sibling_rate, f[i].gateway_5xx);
		printf("    differs from '");
		safe_put(stdout, dx_shape(f[i].closest), strlen(dx_shape(
		    f[i].closest)));
		printf("' (%" PRId64 " requests, %" PRId64 " 5xx): ",
		    f[i].closest_requests, f[i].closest_failed);
		safe_put(stdout, f[i].difference, strlen(f[i].difference));
		putchar('\n');
		if (f[i].has_example) {
			const struct diag_example *e = &f[i].example;

			printf("    e.g. %s %s -> %d", diagnose_time(e->ts_ms, t,
			    sizeof(t)), diagnose_request_text(e->method,
			    e->path, e->query, req, sizeof(req)), e->status);
			if (e->message != NULL)
				printf(" (gateway: %s)", safe_text(msg,
				    sizeof(msg), e->message,
				    strlen(e->message)));
			putchar('\n');
		}
	}
}

static void
dx_shape_json(const struct shape_finding *f, size_t n)
{
	printf("[");
	for (size_t i = 0; i < n; i++) {
		printf("%s\n  {\"method\": ", i ? "," : "");
		cli_json_string(stdout, f[i].method);
		printf(", \"route\": ");
		cli_json_string(stdout, f[i].route);
		printf(", \"upstream\": ");
		cli_json_string(stdout, f[i].upstream);
		printf(", \"shape\": ");
		cli_json_string(stdout, f[i].shape);
		printf(", \"requests\": %" PRId64 ", \"errors_5xx\": %" PRId64
		    ", \"rate_5xx\": %.4f, \"rate_5xx_low\": %.4f,"
		    " \"gateway_5xx\": %" PRId64 ", \"sibling_shapes\": %d,"
		    " \"sibling_requests\": %" PRId64 ", \"sibling_errors_5xx\": %"
		    PRId64 ", \"sibling_rate_5xx\": %.4f,"
		    " \"sibling_rate_5xx_high\": %.4f, \"excess_5xx\": %.1f,"
		    " \"closest_shape\": ", f[i].requests, f[i].failed,
		    f[i].rate, f[i].rate_low, f[i].gateway_5xx, f[i].n_siblings,
		    f[i].sibling_requests, f[i].sibling_failed,
		    f[i].sibling_rate, f[i].sibling_high, f[i].excess);
		cli_json_string(stdout, f[i].closest);
		printf(", \"differences\": [");
		for (size_t k = 0; k < f[i].n_diffs; k++) {
			const struct shape_diff *d = &f[i].diffs[k];

			printf("%s{\"kind\": \"%s\", \"key\": ", k ? ", " : "",
			    shape_diff_kind_name(d->kind));
			if (d->key != NULL)
				cli_json_string(stdout, d->key);
			else
				fputs("null", stdout);
			printf(", \"value\": ");
			if (d->value != NULL)
				cli_json_string(stdout, d->value);
			else
				fputs("null", stdout);
			printf(", \"other_key\": ");
			if (d->other_key != NULL)
				cli_json_string(stdout, d->other_key);
			else
				fputs("null", stdout);
			printf(", \"other_value\": ");
			if (d->other_value != NULL)
				cli_json_string(stdout, d->other_value);
			else
				fputs("null", stdout);
			printf("}");
		}
		printf("], \"difference\": ");
		cli_json_string(stdout, f[i].difference);
		printf(", ");
		dx_json_example(stdout, &f[i].example, f[i].has_example);
		printf("}");
	}
	printf("%s]\n", n ? "\n" : "");
}

static void
dx_shape_csv(const struct shape_finding *f, size_t n)
{
	char t[40];

	printf("method,route,upstream,shape,requests,errors_5xx,rate_5xx,"
	    "rate_5xx_low,gateway_5xx,sibling_requests,sibling_errors_5xx,"
	    "sibling_rate_5xx,sibling_rate_5xx_high,closest_shape,"
	    "difference_kinds,difference,example_time,example_method,"
	    "example_path,example_query,example_status,example_message\n");
	for (size_t i = 0; i < n; i++) {
		const struct diag_example *e = &f[i].example;
		char kinds[256] = "";

		for (size_t k = 0; k < f[i].n_diffs; k++) {
			size_t l = strlen(kinds);

			snprintf(kinds + l, sizeof(kinds) - l, "%s%s",
			    k ? ";" : "", shape_diff_kind_name(
			    f[i].diffs[k].kind));
		}
		cli_csv_field(stdout, f[i].method);
		putchar(',');
		cli_csv_field(stdout, f[i].route);
		putchar(',');
		cli_csv_field(stdout, f[i].upstream);
		putchar(',');
		cli_csv_field(stdout, f[i].shape);
		printf(",%" PRId64 ",%" PRId64 ",%.4f,%.4f,%" PRId64 ",%" PRId64
		    ",%" PRId64 ",%.4f,%.4f,", f[i].requests, f[i].failed,
		    f[i].rate, f[i].rate_low, f[i].gateway_5xx,
		    f[i].sibling_requests, f[i].sibling_failed,
		    f[i].sibling_rate, f[i].sibling_high);
		cli_csv_field(stdout, f[i].closest);
		printf(",%s,", kinds);
		cli_csv_field(stdout, f[i].difference);
		if (f[i].has_example) {
			printf(",%s,", diagnose_time(e->ts_ms, t, sizeof(t)));
			cli_csv_field(stdout, e->method);
			putchar(',');
			cli_csv_field(stdout, e->path);
			putchar(',');
			cli_csv_field(stdout, e->query);
			printf(",%d,", e->status);
			cli_csv_field(stdout, e->message);
		} else
			printf(",,,,,,");
		putchar('\n');
	}
}

/* --- breaker ----------------------------------------------------------- */

static void
dx_breaker_table(const struct breaker_upstream *u, size_t n,
    const struct breaker_config *c)
{
	char up[48], t0[40], t1[40];

	printf("circuit breaker: opens after %d failures in a row or %.0f%% of"
	    " >= %" PRId64 " attempts in %.0f s; open %.0f s, then one probe\n",
	    c->consecutive_failures, 100 * c->failure_rate, c->min_requests,
	    (double)c->window_ms / 1000, (double)c->open_ms / 1000);
	printf("%-24s %9s %8s %8s %6s %9s %8s %8s\n", "upstream", "attempts",
	    "failed", "ignored", "opens", "open_s", "spared", "spared_f");
	for (size_t i = 0; i < n; i++) {
		const char *name = u[i].name != NULL ? u[i].name : "?";

		safe_text(up, sizeof(up), name, strlen(name));
		printf("%-24s %9" PRId64 " %8" PRId64 " %8" PRId64 " %6zu %9.1f"
		    " %8" PRId64 " %8" PRId64 "\n", dx_cut(up, 24),
		    u[i].attempts, u[i].failures, u[i].ignored, u[i].n_opens,
		    (double)u[i].open_total_ms / 1000, u[i].spared,
		    u[i].spared_failed);
		for (size_t k = 0; k < u[i].n_opens; k++) {
			const struct breaker_open *o = &u[i].opens[k];

			printf("    open %s -> %s  %-20s spared %" PRId64 " (%"
			    PRId64 " failed), %d failed probe%s\n",
			    diagnose_time(o->open_ms, t0, sizeof(t0)),
			    o->close_ms >= 0 ? diagnose_time(o->close_ms, t1,
			    sizeof(t1)) : "still open", breaker_trip_name(
			    o->reason), o->spared, o->spared_failed,
			    o->probes_failed, o->probes_failed == 1 ? "" : "s");
		}
	}
	if (n == 0)
		printf("(no upstream attempts in this window)\n");
}

static void
dx_breaker_json(const struct breaker_upstream *u, size_t n)
{
	char t[40];

	printf("[");
	for (size_t i = 0; i < n; i++) {
		printf("%s\n  {\"upstream\": ", i ? "," : "");
		cli_json_string(stdout, u[i].name);
		printf(", \"attempts\": %" PRId64 ", \"failed\": %" PRId64
		    ", \"ignored\": %" PRId64 ", \"first\": \"%s\"",
		    u[i].attempts, u[i].failures, u[i].ignored,
		    diagnose_time(u[i].first_ms, t, sizeof(t)));
		printf(", \"last\": \"%s\", \"opens\": %zu, \"open_ms\": %"
		    PRId64 ", \"spared\": %" PRId64 ", \"spared_failed\": %"
		    PRId64 ", \"timeline\": [", diagnose_time(u[i].last_ms, t,
		    sizeof(t)), u[i].n_opens, u[i].open_total_ms, u[i].spared,
		    u[i].spared_failed);
		for (size_t k = 0; k < u[i].n_opens; k++) {
			const struct breaker_open *o = &u[i].opens[k];

			printf("%s{\"open\": \"%s\", \"open_ms\": %" PRId64,
			    k ? ", " : "", diagnose_time(o->open_ms, t,
			    sizeof(t)), o->open_ms);
			if (o->close_ms >= 0)
				printf(", \"close\": \"%s\", \"close_ms\": %"
				    PRId64, diagnose_time(o->close_ms, t,
				    sizeof(t)), o->close_ms);
			else
				printf(", \"close\": null, \"close_ms\": null");
			printf(", \"reason\": \"%s\", \"window_requests\": %"
			    PRId64 ", \"window_failed\": %" PRId64
			    ", \"spared\": %" PRId64 ", \"spared_failed\": %"
			    PRId64 ", \"probes_failed\": %d}",
			    breaker_trip_name(o->reason), o->window_requests,
			    o->window_failed, o->spared, o->spared_failed,
			    o->probes_failed);
		}
		printf("]}");
	}
	printf("%s]\n", n ? "\n" : "");
}

static void
dx_breaker_csv(const struct breaker_upstream *u, size_t n)
{
	char t[40];

	printf("upstream,attempts,failed,ignored,opens,spared,spared_failed,"
	    "open_time,open_ms,close_time,close_ms,reason,open_spared,"
	    "open_spared_failed,probes_failed\n");
	for (size_t i = 0; i < n; i++) {
		size_t k = 0;

		do {
			const struct breaker_open *o = k < u[i].n_opens ?
			    &u[i].opens[k] : NULL;

			cli_csv_field(stdout, u[i].name);
			printf(",%" PRId64 ",%" PRId64 ",%" PRId64 ",%zu,%" PRId64
			    ",%" PRId64 ",", u[i].attempts, u[i].failures,
			    u[i].ignored, u[i].n_opens, u[i].spared,
			    u[i].spared_failed);
			if (o == NULL) {
				printf(",,,,,,,\n");
				continue;
			}
			printf("%s,%" PRId64 ",", diagnose_time(o->open_ms, t,
			    sizeof(t)), o->open_ms);
			if (o->close_ms >= 0)
				printf("%s,%" PRId64 ",", diagnose_time(
				    o->close_ms, t, sizeof(t)), o->close_ms);
			else
				printf(",,");
			printf("%s,%" PRId64 ",%" PRId64 ",%d\n",
			    breaker_trip_name(o->reason), o->spared,
			    o->spared_failed, o->probes_failed);
		} while (++k < u[i].n_opens);
	}
}

/* --- retry ------------------------------------------------------------- */

static void
dx_retry_table(const struct retry_summary *r, size_t limit)
{
	char up[48], resc[48];

	printf("%" PRId64 " requests; %" PRId64 " needed more than one attempt,"
	    " %" PRId64 " after a failed one: %" PRId64 " saved by the retry"
	    " (%.2f%% of all requests), %" PRId64 " failed anyway.\n",
	    r->requests, r->retried, r->retried_after_failure, r->saved,
	    100 * r->saved_share, r->failed);
	if (r->retried_after_failure > 0)
		printf("Extra latency: %.0f ms per retried request on the"
		    " failed attempts; retried requests took %.0f ms on average"
		    ", one-attempt successes %.0f ms.\n", r->extra_ms_avg,
		    r->retried_ms_avg < 0 ? 0 : r->retried_ms_avg,
		    r->single_ok_ms_avg < 0 ? 0 : r->single_ok_ms_avg);
	if (r->n_groups == 0)
		return;
	printf("\n%-22s %-26s %-8s %8s %7s %7s %9s %-22s\n", "first_failed",
	    "cause", "who", "requests", "saved", "failed", "extra_ms",
	    "rescued_by");
	for (size_t i = 0; i < r->n_groups && (limit == 0 || i < limit); i++) {
		const struct retry_group *g = &r->groups[i];
		const char *rb = g->rescued_by != NULL ? g->rescued_by : "-";

		safe_text(up, sizeof(up), g->first_upstream,
		    strlen(g->first_upstream));
		safe_text(resc, sizeof(resc), rb, strlen(rb));
		printf("%-22s %-26s %-8s %8" PRId64 " %7" PRId64 " %7" PRId64
		    " %9.1f %-22s\n", dx_cut(up, 22),
		    cause_name(g->first_cause), cause_who_name(g->who),
		    g->requests, g->saved, g->failed, g->extra_ms_avg,
		    dx_cut(resc, 22));
	}
}

static void
dx_retry_json(const struct retry_summary *r, size_t limit)
{
	printf("{\"requests\": %" PRId64 ", \"retried\": %" PRId64
	    ", \"retried_after_failure\": %" PRId64 ", \"saved\": %" PRId64
	    ", \"failed\": %" PRId64 ", \"saved_share\": %.6f,"
	    " \"extra_ms_avg\": %.1f", r->requests, r->retried,
	    r->retried_after_failure, r->saved, r->failed, r->saved_share,
	    r->extra_ms_avg);
	if (r->retried_ms_avg >= 0)
		printf(", \"retried_request_ms_avg\": %.1f", r->retried_ms_avg);
	if (r->single_ok_ms_avg >= 0)
		printf(", \"single_ok_request_ms_avg\": %.1f",
		    r->single_ok_ms_avg);
	printf(", \"groups\": [");
	for (size_t i = 0; i < r->n_groups && (limit == 0 || i < limit); i++) {
		const struct retry_group *g = &r->groups[i];

		printf("%s\n  {\"first_upstream\": ", i ? "," : "");
		cli_json_string(stdout, g->first_upstream);
		printf(", \"cause\": \"%s\", \"who\": \"%s\", \"requests\": %"
		    PRId64 ", \"saved\": %" PRId64 ", \"failed\": %" PRId64
		    ", \"extra_ms_avg\": %.1f, \"rescued_by\": ",
		    cause_name(g->first_cause),
		    cause_who_name(g->who), g->requests, g->saved, g->failed,
		    g->extra_ms_avg);
		if (g->rescued_by != NULL)
			cli_json_string(stdout, g->rescued_by);
		else
			fputs("null", stdout);
		printf(", \"rescued_by_count\": %" PRId64 "}",
		    g->rescued_by_count);
	}
	printf("%s]}\n", r->n_groups ? "\n" : "");
}

static void
dx_retry_csv(const struct retry_summary *r, size_t limit)
{
	printf("first_upstream,cause,who,requests,saved,failed,extra_ms_avg,"
	    "rescued_by,rescued_by_count\n");
	for (size_t i = 0; i < r->n_groups && (limit == 0 || i < limit); i++) {
		const struct retry_group *g = &r->groups[i];

		cli_csv_field(stdout, g->first_upstream);
		printf(",%s,%s,%" PRId64 ",%" PRId64 ",%" PRId64 ",%.1f,",
		    cause_name(g->first_cause),
		    cause_who_name(g->who), g->requests, g->saved, g->failed,
		    g->extra_ms_avg);
		cli_csv_field(stdout, g->rescued_by);
		printf(",%" PRId64 "\n", g->rescued_by_count);
	}
}

/* --- entry ------------------------------------------------------------- */

/* Run and print one view; 0 or -1 with err filled. */
static int
dx_run(struct store *st, const char *by, const struct diag_window *w,
    size_t limit, enum dx_format fmt, char *err, size_t errlen)
{
	if (strcmp(by, "shape") == 0) {
		struct shape_config cfg = shape_config_default();
		struct shape_finding *f;
		size_t n;

		if (shape_findings(st, w, &cfg, &f, &n, err, errlen) != 0)
			return -1;
		size_t shown = limit > 0 && limit < n ? limit : n;
		if (fmt == DX_TABLE)
			dx_shape_table(f, shown);
		else if (fmt == DX_JSON)
			dx_shape_json(f, shown);
		else
			dx_shape_csv(f, shown);
		shape_findings_free(f, n);
	} else if (strcmp(by, "breaker") == 0) {
		struct breaker_config cfg = breaker_config_default();
		struct breaker_upstream *u;
		size_t n;

		if (breaker_run(st, w, &cfg, &u, &n, err, errlen) != 0)
			return -1;
		size_t shown = limit > 0 && limit < n ? limit : n;
		if (fmt == DX_TABLE)
			dx_breaker_table(u, shown, &cfg);
		else if (fmt == DX_JSON)
			dx_breaker_json(u, shown);
		else
			dx_breaker_csv(u, shown);
		breaker_upstreams_free(u, n);
	} else {
		struct retry_summary r;

		if (retry_summarize(st, w, &r, err, errlen) != 0)
			return -1;
		if (fmt == DX_TABLE)
			dx_retry_table(&r, limit);
		else if (fmt == DX_JSON)
			dx_retry_json(&r, limit);
		else
			dx_retry_csv(&r, limit);
		retry_summary_free(&r);
	}
	return 0;
}

/* See cmd_diagnose.h. */
int
diagnose_report(const char *by, const char *db, const struct report_query *q,
    const char *format)
{
	struct diag_window w = {.since_ms = q->since_ms,
	    .until_ms = q->until_ms, .upstream = q->upstream};
	enum dx_format fmt = strcmp(format, "json") == 0 ? DX_JSON :
	    strcmp(format, "csv") == 0 ? DX_CSV : DX_TABLE;
	struct store *st;
	char err[512];
	int rc;

	if (q->cause != GW_CAUSE_ANY || q->status >= 0)
		fprintf(stderr, "gatewatch report: --cause and --status do not"
		    " apply to --by %s; ignored\n", by);
	if (store_open(db, &st, err, sizeof(err)) != 0) {
		fprintf(stderr, "gatewatch report: %s\n", err);
		return EXIT_ERR;
	}
	rc = retain_note(stderr, "report", st, q->since_ms, true, err,
	    sizeof(err));
	if (rc == 0)
		rc = dx_run(st, by, &w, q->limit, fmt, err, sizeof(err));
	store_close(st);
	if (rc != 0) {
		fprintf(stderr, "gatewatch report: %s\n", err);
		return EXIT_ERR;
	}
	return EXIT_OK;
}
