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
#include "cli/output.h"
#include "cli/retain.h"
#include "analyze/retry.h"
#include "analyze/shape.h"

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
	if (ms < 0) {
		snprintf(buf, size, "-");
		return buf;
	}
	return cli_utc(ms, CLI_UTC_MS, buf, size);
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

/* See cmd_diagnose.h. */
void
diagnose_example_json(struct out *o, const struct diag_example *e, bool has)
{
	if (!has) {
		out_null(o);
		return;
	}
	out_obj_begin(o, NULL);
	out_kv_int(o, "id", e->id);
	out_kv_time(o, "time", e->ts_ms);
	out_kv_text(o, "method", e->method != NULL ? e->method : "");
	out_kv_text(o, "path", e->path != NULL ? e->path : "");
	out_kv_text(o, "query", e->query);
	out_kv_int(o, "status", e->status);
	out_kv_text(o, "cause", cause_name(e->cause));
	out_kv_int(o, "attempts", e->n_attempts);
	out_kv_text(o, "request_id", e->request_id);
	out_kv_text(o, "gateway_message", e->message);
	out_obj_end(o);
}

/* --- shape ------------------------------------------------------------- */

/*
 * A finding: the table shows "METHOD route", the shape for people and
 * rates as percentages, with the closest healthy shape and an example on
 * lines of their own; JSON adds the differences one by one and the
 * example as an object; CSV flattens the example.
 */
static const struct out_col shape_cols[] = {
	{"route", OUT_TEXT, OUT_IN_TABLE, NULL, 32, 0, 0},
	{"method", OUT_TEXT, OUT_IN_DATA, NULL, 0, 0, 0},
	{"route", OUT_TEXT, OUT_IN_DATA, NULL, 0, 0, 0},
	{"upstream", OUT_TEXT, OUT_IN_ALL, NULL, 22, 0, 1},
	{"shape", OUT_TEXT, OUT_IN_TABLE, NULL, 36, 0, 1},
	{"shape", OUT_TEXT, OUT_IN_DATA, NULL, 0, 0, 0},
	{"requests", OUT_INT, OUT_IN_ALL, NULL, 8, 0, 1},
	{"errors_5xx", OUT_INT, OUT_IN_ALL, "5xx", 6, 0, 1},
	{"rate_5xx", OUT_REAL, OUT_IN_DATA, NULL, 0, 4, 0},
	{"5xx%", OUT_PERCENT, OUT_IN_TABLE, NULL, 7, 2, 1},
	{"rate_5xx_low", OUT_REAL, OUT_IN_DATA, NULL, 0, 4, 0},
	{"gateway_5xx", OUT_INT, OUT_IN_DATA, NULL, 0, 0, 0},
	{"sibling_shapes", OUT_INT, OUT_IN_JSON, NULL, 0, 0, 0},
	{"sibling_requests", OUT_INT, OUT_IN_DATA, NULL, 0, 0, 0},
	{"sibling_errors_5xx", OUT_INT, OUT_IN_DATA, NULL, 0, 0, 0},
	{"sibling_rate_5xx", OUT_REAL, OUT_IN_DATA, NULL, 0, 4, 0},
	{"others%", OUT_PERCENT, OUT_IN_TABLE, NULL, 8, 2, 1},
	{"sibling_rate_5xx_high", OUT_REAL, OUT_IN_DATA, NULL, 0, 4, 0},
	{"excess_5xx", OUT_REAL, OUT_IN_JSON, NULL, 0, 1, 0},
	{"gw_5xx", OUT_INT, OUT_IN_TABLE, NULL, 6, 0, 1},
	{"closest_shape", OUT_TEXT, OUT_IN_DATA, NULL, 0, 0, 0},
	{"difference_kinds", OUT_TEXT, OUT_IN_CSV, NULL, 0, 0, 0},
	{"differences", OUT_NESTED, OUT_IN_JSON, NULL, 0, 0, 0},
	{"difference", OUT_TEXT, OUT_IN_DATA, NULL, 0, 0, 0},
	{"example", OUT_NESTED, OUT_IN_JSON, NULL, 0, 0, 0},
	{"example_time", OUT_TIME, OUT_IN_CSV, NULL, 0, 0, 0},
	{"example_method", OUT_TEXT, OUT_IN_CSV, NULL, 0, 0, 0},
	{"example_path", OUT_TEXT, OUT_IN_CSV, NULL, 0, 0, 0},
	{"example_query", OUT_TEXT, OUT_IN_CSV, NULL, 0, 0, 0},
	{"example_status", OUT_INT, OUT_IN_CSV, NULL, 0, 0, 0},
	{"example_message", OUT_TEXT, OUT_IN_CSV, NULL, 0, 0, 0},
};

/* The lines under a finding in the table: closest shape, example. */
static void
dx_shape_notes(struct out *o, const struct shape_finding *f)
{
	char req[256], t[40], msg[256];

	out_note_begin(o);
	out_note_printf(o, "    differs from '");
	out_note_text(o, dx_shape(f->closest));
	out_note_printf(o, "' (%" PRId64 " requests, %" PRId64 " 5xx): ",
	    f->closest_requests, f->closest_failed);
	out_note_text(o, f->difference);
	out_note_end(o);
	if (!f->has_example)
		return;
	const struct diag_example *e = &f->example;

	out_note_begin(o);
	out_note_printf(o, "    e.g. %s %s -> %d", diagnose_time(e->ts_ms, t,
	    sizeof(t)), diagnose_request_text(e->method, e->path, e->query,
	    req, sizeof(req)), e->status);
	if (e->message != NULL)
		out_note_printf(o, " (gateway: %s)", safe_text(msg,
		    sizeof(msg), e->message, strlen(e->message)));
	out_note_end(o);
}

static void
dx_shape_row(struct out *o, const struct shape_finding *f)
{
	const struct diag_example *e = &f->example;
	char route[1024], kinds[256] = "";

	snprintf(route, sizeof(route), "%s%s%s", f->method,
	    *f->method ? " " : "", f->route);
	for (size_t k = 0; k < f->n_diffs; k++) {
		size_t l = strlen(kinds);

		snprintf(kinds + l, sizeof(kinds) - l, "%s%s", k ? ";" : "",
		    shape_diff_kind_name(f->diffs[k].kind));
	}
	out_text(o, route);
	out_text(o, f->method);
	out_text(o, f->route);
	out_text(o, f->upstream);
	out_text(o, dx_shape(f->shape));
	out_text(o, f->shape);
	out_int(o, f->requests);
	out_int(o, f->failed);
	out_real(o, f->rate);
	out_real(o, f->rate);
	out_real(o, f->rate_low);
	out_int(o, f->gateway_5xx);
	out_int(o, f->n_siblings);
	out_int(o, f->sibling_requests);
	out_int(o, f->sibling_failed);
	out_real(o, f->sibling_rate);
	out_real(o, f->sibling_rate);
	out_real(o, f->sibling_high);
	out_real(o, f->excess);
	out_int(o, f->gateway_5xx);
	out_text(o, f->closest);
	out_text(o, kinds);
	out_arr_begin(o, NULL);
	for (size_t k = 0; k < f->n_diffs; k++) {
		const struct shape_diff *d = &f->diffs[k];

		out_obj_begin(o, NULL);
		out_kv_text(o, "kind", shape_diff_kind_name(d->kind));
		out_kv_text(o, "key", d->key);
		out_kv_text(o, "value", d->value);
		out_kv_text(o, "other_key", d->other_key);
		out_kv_text(o, "other_value", d->other_value);
		out_obj_end(o);
	}
	out_arr_end(o);
	out_text(o, f->difference);
	diagnose_example_json(o, e, f->has_example);
	if (f->has_example) {
		out_time(o, e->ts_ms);
		out_text(o, e->method);
		out_text(o, e->path);
		out_text(o, e->query);
		out_int(o, e->status);
		out_text(o, e->message);
	} else
		for (int k = 0; k < 6; k++)
			out_null(o);
	out_row_end(o);
	dx_shape_notes(o, f);
}

static int
dx_shape_print(enum out_format fmt, const struct shape_finding *f, size_t n)
{
	struct out o;

	if (n == 0 && fmt == OUT_TABLE) {
		printf("(no query shape fails more than its siblings beyond"
		    " doubt in this window)\n");
		return 0;
	}
	out_start(&o, stdout, fmt, shape_cols,
	    sizeof(shape_cols) / sizeof(shape_cols[0]));
	out_rows_begin(&o, NULL);
	for (size_t i = 0; i < n; i++)
		dx_shape_row(&o, &f[i]);
	out_rows_end(&o);
	return out_end(&o);
}

/* --- breaker ----------------------------------------------------------- */

/*
 * An upstream replayed through the breaker: the table and JSON give one
 * row per upstream (each opening on a line of its own, or in JSON's
 * timeline), CSV one row per opening.
 */
static const struct out_col breaker_cols[] = {
	{"upstream", OUT_TEXT, OUT_IN_TABLE, NULL, 24, 0, 0},
	{"upstream", OUT_TEXT, OUT_IN_DATA, NULL, 0, 0, 0},
	{"attempts", OUT_INT, OUT_IN_ALL, NULL, 9, 0, 1},
	{"failed", OUT_INT, OUT_IN_ALL, NULL, 8, 0, 1},
	{"ignored", OUT_INT, OUT_IN_ALL, NULL, 8, 0, 1},
	{"first", OUT_TIME, OUT_IN_JSON, NULL, 0, 0, 0},
	{"last", OUT_TIME, OUT_IN_JSON, NULL, 0, 0, 0},
	{"opens", OUT_INT, OUT_IN_ALL, NULL, 6, 0, 1},
	{"open_s", OUT_REAL, OUT_IN_TABLE, NULL, 9, 1, 1},
	{"open_ms", OUT_INT, OUT_IN_JSON, NULL, 0, 0, 0},
	{"spared", OUT_INT, OUT_IN_ALL, NULL, 8, 0, 1},
	{"spared_failed", OUT_INT, OUT_IN_ALL, "spared_f", 8, 0, 1},
	{"timeline", OUT_NESTED, OUT_IN_JSON, NULL, 0, 0, 0},
	{"open_time", OUT_TIME, OUT_IN_CSV, NULL, 0, 0, 0},
	{"open_ms", OUT_INT, OUT_IN_CSV, NULL, 0, 0, 0},
	{"close_time", OUT_TIME, OUT_IN_CSV, NULL, 0, 0, 0},
	{"close_ms", OUT_INT, OUT_IN_CSV, NULL, 0, 0, 0},
	{"reason", OUT_TEXT, OUT_IN_CSV, NULL, 0, 0, 0},
	{"open_spared", OUT_INT, OUT_IN_CSV, NULL, 0, 0, 0},
	{"open_spared_failed", OUT_INT, OUT_IN_CSV, NULL, 0, 0, 0},
	{"probes_failed", OUT_INT, OUT_IN_CSV, NULL, 0, 0, 0},
};

/* One row of upstream u; o the opening of CSV's row (NULL: none). */
static void
dx_breaker_row(struct out *out, const struct breaker_upstream *u,
    const struct breaker_open *o)
{
	out_text(out, u->name != NULL ? u->name : "?");
	out_text(out, u->name);
	out_int(out, u->attempts);
	out_int(out, u->failures);
	out_int(out, u->ignored);
	out_time(out, u->first_ms);
	out_time(out, u->last_ms);
	out_int(out, (int64_t)u->n_opens);
	out_real(out, (double)u->open_total_ms / 1000);
	out_int(out, u->open_total_ms);
	out_int(out, u->spared);
	out_int(out, u->spared_failed);
	out_arr_begin(out, NULL);
	for (size_t k = 0; k < u->n_opens; k++) {
		const struct breaker_open *t = &u->opens[k];

		out_obj_begin(out, NULL);
		out_kv_time(out, "open", t->open_ms);
		out_kv_int(out, "open_ms", t->open_ms);
		if (t->close_ms >= 0) {
			out_kv_time(out, "close", t->close_ms);
			out_kv_int(out, "close_ms", t->close_ms);
		} else {
			out_kv_null(out, "close");
			out_kv_null(out, "close_ms");
		}
		out_kv_text(out, "reason", breaker_trip_name(t->reason));
		out_kv_int(out, "window_requests", t->window_requests);
		out_kv_int(out, "window_failed", t->window_failed);
		out_kv_int(out, "spared", t->spared);
		out_kv_int(out, "spared_failed", t->spared_failed);
		out_kv_int(out, "probes_failed", t->probes_failed);
		out_obj_end(out);
	}
	out_arr_end(out);
	if (o == NULL) {
		for (int k = 0; k < 8; k++)
			out_null(out);
	} else {
		out_time(out, o->open_ms);
		out_int(out, o->open_ms);
		if (o->close_ms >= 0) {
			out_time(out, o->close_ms);
			out_int(out, o->close_ms);
		} else {
			out_null(out);
			out_null(out);
		}
		out_text(out, breaker_trip_name(o->reason));
		out_int(out, o->spared);
		out_int(out, o->spared_failed);
		out_int(out, o->probes_failed);
	}
	out_row_end(out);
}

static int
dx_breaker_print(enum out_format fmt, const struct breaker_upstream *u,
    size_t n, const struct breaker_config *c)
{
	struct out out;
	char t0[40], t1[40];

	if (fmt == OUT_TABLE)
		printf("circuit breaker: opens after %d failures in a row or"
		    " %.0f%% of >= %" PRId64 " attempts in %.0f s; open %.0f s,"
		    " then one probe\n", c->consecutive_failures,
		    100 * c->failure_rate, c->min_requests,
		    (double)c->window_ms / 1000, (double)c->open_ms / 1000);
	out_start(&out, stdout, fmt, breaker_cols,
	    sizeof(breaker_cols) / sizeof(breaker_cols[0]));
	out_rows_begin(&out, NULL);
	for (size_t i = 0; i < n; i++) {
		if (fmt == OUT_CSV) {
			/* One row per opening, or one with none. */
			size_t k = 0;

			do
				dx_breaker_row(&out, &u[i], k < u[i].n_opens ?
				    &u[i].opens[k] : NULL);
			while (++k < u[i].n_opens);
			continue;
		}
		dx_breaker_row(&out, &u[i], NULL);
		for (size_t k = 0; k < u[i].n_opens; k++) {
			const struct breaker_open *o = &u[i].opens[k];

			out_note_begin(&out);
			out_note_printf(&out, "    open %s -> %s  %-20s spared %"
			    PRId64 " (%" PRId64 " failed), %d failed probe%s",
			    diagnose_time(o->open_ms, t0, sizeof(t0)),
			    o->close_ms >= 0 ? diagnose_time(o->close_ms, t1,
			    sizeof(t1)) : "still open", breaker_trip_name(
			    o->reason), o->spared, o->spared_failed,
			    o->probes_failed, o->probes_failed == 1 ? "" : "s");
			out_note_end(&out);
		}
	}
	if (n == 0) {
		out_note_begin(&out);
		out_note_printf(&out, "(no upstream attempts in this window)");
		out_note_end(&out);
	}
	out_rows_end(&out);
	return out_end(&out);
}

/* --- retry ------------------------------------------------------------- */

/* Retried requests by the upstream that failed first and its cause. */
static const struct out_col retry_cols[] = {
	{"first_upstream", OUT_TEXT, OUT_IN_ALL, "first_failed", 22, 0, 0},
	{"cause", OUT_TEXT, OUT_IN_ALL, NULL, 26, 0, 1},
	{"who", OUT_TEXT, OUT_IN_ALL, NULL, 8, 0, 1},
	{"requests", OUT_INT, OUT_IN_ALL, NULL, 8, 0, 1},
	{"saved", OUT_INT, OUT_IN_ALL, NULL, 7, 0, 1},
	{"failed", OUT_INT, OUT_IN_ALL, NULL, 7, 0, 1},
	{"extra_ms_avg", OUT_REAL, OUT_IN_ALL, "extra_ms", 9, 1, 1},
	{"rescued_by", OUT_TEXT, OUT_IN_ALL, NULL, 22, 0, 1},
	{"rescued_by_count", OUT_INT, OUT_IN_DATA, NULL, 0, 0, 0},
};

static int
dx_retry_print(enum out_format fmt, const struct retry_summary *r,
    size_t limit)
{
	struct out o;

	if (fmt == OUT_TABLE) {
		printf("%" PRId64 " requests; %" PRId64 " needed more than one"
		    " attempt, %" PRId64 " after a failed one: %" PRId64
		    " saved by the retry (%.2f%% of all requests), %" PRId64
		    " failed anyway.\n", r->requests, r->retried,
		    r->retried_after_failure, r->saved, 100 * r->saved_share,
		    r->failed);
		if (r->retried_after_failure > 0)
			printf("Extra latency: %.0f ms per retried request on"
			    " the failed attempts; retried requests took %.0f"
			    " ms on average, one-attempt successes %.0f ms.\n",
			    r->extra_ms_avg, r->retried_ms_avg < 0 ? 0 :
			    r->retried_ms_avg, r->single_ok_ms_avg < 0 ? 0 :
			    r->single_ok_ms_avg);
		if (r->n_groups == 0)
			return 0;
		putchar('\n');
	}
	out_start(&o, stdout, fmt, retry_cols,
	    sizeof(retry_cols) / sizeof(retry_cols[0]));
	out_obj_begin(&o, NULL);
	out_kv_int(&o, "requests", r->requests);
	out_kv_int(&o, "retried", r->retried);
	out_kv_int(&o, "retried_after_failure", r->retried_after_failure);
	out_kv_int(&o, "saved", r->saved);
	out_kv_int(&o, "failed", r->failed);
	out_kv_real(&o, "saved_share", r->saved_share, 6);
	out_kv_real(&o, "extra_ms_avg", r->extra_ms_avg, 1);
	if (r->retried_ms_avg >= 0)
		out_kv_real(&o, "retried_request_ms_avg", r->retried_ms_avg, 1);
	if (r->single_ok_ms_avg >= 0)
		out_kv_real(&o, "single_ok_request_ms_avg",
		    r->single_ok_ms_avg, 1);
	out_rows_begin(&o, "groups");
	for (size_t i = 0; i < r->n_groups && (limit == 0 || i < limit); i++) {
		const struct retry_group *g = &r->groups[i];

		out_text(&o, g->first_upstream);
		out_text(&o, cause_name(g->first_cause));
		out_text(&o, cause_who_name(g->who));
		out_int(&o, g->requests);
		out_int(&o, g->saved);
		out_int(&o, g->failed);
		out_real(&o, g->extra_ms_avg);
		if (g->rescued_by != NULL)
			out_text(&o, g->rescued_by);
		else
			out_null(&o);
		out_int(&o, g->rescued_by_count);
		out_row_end(&o);
	}
	out_rows_end(&o);
	out_obj_end(&o);
	return out_end(&o);
}

/* --- entry ------------------------------------------------------------- */

/* Run and print one view; 0 or -1 with err filled. */
static int
dx_run(struct store *st, const char *by, const struct diag_window *w,
    size_t limit, enum out_format fmt, char *err, size_t errlen)
{
	int rc;

	if (strcmp(by, "shape") == 0) {
		struct shape_config cfg = shape_config_default();
		struct shape_finding *f;
		size_t n;

		if (shape_findings(st, w, &cfg, &f, &n, err, errlen) != 0)
			return -1;
		rc = dx_shape_print(fmt, f, limit > 0 && limit < n ? limit : n);
		shape_findings_free(f, n);
	} else if (strcmp(by, "breaker") == 0) {
		struct breaker_config cfg = breaker_config_default();
		struct breaker_upstream *u;
		size_t n;

		if (breaker_run(st, w, &cfg, &u, &n, err, errlen) != 0)
			return -1;
		rc = dx_breaker_print(fmt, u, limit > 0 && limit < n ? limit :
		    n, &cfg);
		breaker_upstreams_free(u, n);
	} else {
		struct retry_summary r;

		if (retry_summarize(st, w, &r, err, errlen) != 0)
			return -1;
		rc = dx_retry_print(fmt, &r, limit);
		retry_summary_free(&r);
	}
	if (rc != 0)
		snprintf(err, errlen, "out of memory");
	return rc;
}

/* See cmd_diagnose.h. */
int
diagnose_report(const char *by, struct store *st,
    const struct report_query *q, enum out_format fmt)
{
	struct diag_window w = {.since_ms = q->since_ms,
	    .until_ms = q->until_ms, .upstream = q->upstream};
	char err[512];
	int rc;

	rc = retain_note(stderr, "report", st, q->since_ms, true, err,
	    sizeof(err));
	if (rc == 0)
		rc = dx_run(st, by, &w, q->limit, fmt, err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "gatewatch report: %s\n", err);
		return EXIT_ERR;
	}
	return EXIT_OK;
}
