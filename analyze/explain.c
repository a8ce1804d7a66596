/*
 * explain.c - one upstream's failures in plain words; see explain.h.
 *
 * Each source of evidence is asked once for the window and the upstream:
 * store_report() for the totals (rollups where the window allows), the
 * store's per-cause failure counts with an example each, the shape test,
 * the retry summary and the breaker replay, all filtered to the upstream.
 * Sentences are built here, in the library, as data (title, evidence); the
 * front end decides how to show them and escapes what came from logs.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "analyze/explain.h"
#include "analyze/retry.h"

/* See explain.h. */
const char *
explain_kind_name(enum explain_kind k)
{
	switch (k) {
	case EXPLAIN_CAUSE: return "cause";
	case EXPLAIN_SHAPE: return "shape";
	case EXPLAIN_RETRY: return "retry";
	case EXPLAIN_BREAKER: return "breaker";
	}
	return "?";
}

/* See explain.h. */
const char *
explain_cause_text(enum gw_cause cause)
{
	switch (cause) {
	case GW_CAUSE_OK: return "nothing failed";
	case GW_CAUSE_UNKNOWN:
		return "failed with no evidence of why (no error-log line"
		    " and nothing in the timings tells)";
	case GW_CAUSE_UPSTREAM_REFUSED:
		return "refused the connection: nothing listened on the port,"
		    " or the host said no";
	case GW_CAUSE_UPSTREAM_CONNECT_TIMEOUT:
		return "did not answer the connect within the gateway's"
		    " connect timeout";
	case GW_CAUSE_UPSTREAM_UNREACHABLE:
		return "could not be reached: no route to the host, or the"
		    " host is down";
	case GW_CAUSE_DNS_FAILURE:
		return "could not be resolved: its name did not resolve";
	case GW_CAUSE_TLS_FAILURE:
		return "failed the TLS handshake (certificate or protocol)";
	case GW_CAUSE_UPSTREAM_RESET:
		return "reset the connection after accepting the request";
	case GW_CAUSE_UPSTREAM_CLOSED_EARLY:
		return "closed the connection before sending a response"
		    " header";
	case GW_CAUSE_UPSTREAM_READ_TIMEOUT:
		return "accepted the request but did not answer within the"
		    " read timeout";
	case GW_CAUSE_UPSTREAM_INVALID_RESPONSE:
		return "answered with something that is not valid HTTP";
	case GW_CAUSE_UPSTREAM_HEADER_TOO_BIG:
		return "sent a response header too big for the gateway's"
		    " buffer";
	case GW_CAUSE_UPSTREAM_TRUNCATED:
		return "broke off the response body after the header (the"
		    " client may have seen a 2xx)";
	case GW_CAUSE_UPSTREAM_5XX:
		return "answered 5xx itself; the gateway passed it on";
	case GW_CAUSE_NO_LIVE_UPSTREAM:
		return "was not tried: the gateway had every server of the"
		    " group marked down";
	case GW_CAUSE_UPSTREAM_OVERLOADED:
		return "was not tried: a queue, connection limit or circuit"
		    " breaker of the gateway refused to send more";
	case GW_CAUSE_RATE_LIMITED:
		return "was not tried: the gateway's rate or connection limit"
		    " refused the request";
	case GW_CAUSE_AUTH_FAILURE:
		return "is the auth service the gateway asked before the"
		    " route (auth_request, forward_auth): it failed or refused,"
		    " so the client's request was refused; the route's own"
		    " upstream was not tried";
	case GW_CAUSE_NO_ROUTE:
		return "was not tried: no route or backend is configured for"
		    " the request";
	case GW_CAUSE_GATEWAY_INTERNAL:
		return "was not involved: the gateway failed by itself";
	case GW_CAUSE_CLIENT_CLOSED:
		return "was not at fault: the client went away before the"
		    " answer";
	case GW_CAUSE_ANY:
	case GW_CAUSE_COUNT:
		break;
	}
	return "failed";
}

/* "2026-11-25T10:15:00Z" into buf. */
static const char *
explain_time(int64_t ms, char *buf, size_t size)
{
	time_t t = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, size, "@%" PRId64, ms / 1000);
	return buf;
}

/* malloc'ed printf; NULL when out of memory. */
static char *
explain_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *
explain_fmt(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	return n < 0 ? NULL : s;
}

/* A new reason at the end of r->reasons (zeroed); NULL on OOM. */
static struct explain_reason *
explain_add(struct explain_report *r, size_t *cap)
{
	struct explain_reason *x;

	if (r->n_reasons == *cap) {
		size_t nc = *cap ? *cap * 2 : 8;
		struct explain_reason *nv = gw_realloc(r->reasons,
		    nc * sizeof(*nv));

		if (nv == NULL)
			return NULL;
		r->reasons = nv;
		*cap = nc;
	}
	x = &r->reasons[r->n_reasons++];
	memset(x, 0, sizeof(*x));
	x->cause = GW_CAUSE_UNKNOWN;	/* set by cause reasons */
	x->first_ms = x->last_ms = -1;
	return x;
}

/* Collected per-cause rows (diag_upstream_causes callback). */
struct explain_causes {
	struct diag_cause_row *v;
	size_t n;
	bool oom;
};

static int
explain_cause_row(void *ctx, const struct diag_cause_row *row)
{
	struct explain_causes *c = ctx;
	struct diag_cause_row *nv = gw_realloc(c->v, (c->n + 1) * sizeof(*nv));

	if (nv == NULL) {
		c->oom = true;
		return -2;
	}
	c->v = nv;
	c->v[c->n++] = *row;
	return 0;
}

/* Reasons from failed attempts, one per cause; 0 or -1. */
static int
explain_causes(struct store *s, const struct diag_window *w,
    struct explain_report *r, size_t *cap, char *err, size_t errlen)
{
	struct explain_causes c = {0};
	char t0[32], t1[32];
	int rc = diag_upstream_causes(s, w, explain_cause_row, &c, err,
	    errlen);

	if (rc != 0) {
		if (c.oom)
			snprintf(err, errlen, "out of memory");
		free(c.v);
		return -1;
	}
	for (size_t i = 0; i < c.n; i++) {
		const struct diag_cause_row *row = &c.v[i];
		struct explain_reason *x = explain_add(r, cap);

		if (x == NULL)
			goto oom;
		x->kind = EXPLAIN_CAUSE;
		x->cause = row->cause;
		x->who = cause_who(row->cause);
		x->gateway_made = x->who == GW_WHO_GATEWAY;
		x->count = row->count;
		x->first_ms = row->first_ms;
		x->last_ms = row->last_ms;
		if (x->gateway_made)
			r->gateway_made += row->count;
		x->title = explain_fmt("%s: %s %s", cause_name(row->cause),
		    r->upstream,
		    explain_cause_text(row->cause));
		x->evidence = explain_fmt("%" PRId64 " failed attempt%s from %s"
		    " to %s; %" PRId64 " the client's final answer, %" PRId64
		    " retried elsewhere; %" PRId64 " with the gateway's"
		    " error-log line", row->count, row->count == 1 ? "" : "s",
		    explain_time(row->first_ms, t0, sizeof(t0)),
		    explain_time(row->last_ms, t1, sizeof(t1)), row->final,
		    row->count - row->final, row->messages);
		if (x->title == NULL || x->evidence == NULL)
			goto oom;
		if (diag_example_for_cause(s, w, row->cause, &x->example,
		    &x->has_example, err, errlen) != 0) {
			free(c.v);
			return -1;
		}
	}
	free(c.v);
	return 0;
oom:
	free(c.v);
	snprintf(err, errlen, "out of memory");
	return -1;
}

/* Reasons from shapes that fail more than their siblings; 0 or -1. */
static int
explain_shapes(struct store *s, const struct diag_window *w,
    const struct shape_config *cfg, struct explain_report *r, size_t *cap,
    char *err, size_t errlen)
{
	struct shape_finding *f;
	size_t n;

	if (shape_findings(s, w, cfg, &f, &n, err, errlen) != 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct explain_reason *x = explain_add(r, cap);

		if (x == NULL)
			goto oom;
		x->kind = EXPLAIN_SHAPE;
		x->who = GW_WHO_UPSTREAM;
		x->count = f[i].failed;
		x->title = explain_fmt("%s%s%s with query '%s' fails %.1f%% of"
		    " the time (%" PRId64 " of %" PRId64 ") against %.1f%%"
		    " for the route's other shapes: %s", f[i].method,
		    *f[i].method ? " " : "", f[i].route,
		    *f[i].shape ? f[i].shape : "(no query)", 100 * f[i].rate,
		    f[i].failed, f[i].requests, 100 * f[i].sibling_rate,
		    f[i].difference);
		x->evidence = explain_fmt("99%% Wilson bounds: at least %.1f%%"
		    " against at most %.1f%% over %" PRId64 " requests of %d"
		    " other shape%s; closest healthy shape '%s' (%" PRId64
		    " requests, %" PRId64 " 5xx)", 100 * f[i].rate_low,
		    100 * f[i].sibling_high, f[i].sibling_requests,
		    f[i].n_siblings, f[i].n_siblings == 1 ? "" : "s",
		    f[i].closest != NULL && *f[i].closest ? f[i].closest :
		    "(no query)", f[i].closest_requests, f[i].closest_failed);
		if (x->title == NULL || x->evidence == NULL)
			goto oom;
		x->example = f[i].example;
		x->has_example = f[i].has_example;
		memset(&f[i].example, 0, sizeof(f[i].example));
		if (x->has_example) {
			x->first_ms = x->last_ms = x->example.ts_ms;
		}
	}
	shape_findings_free(f, n);
	return 0;
oom:
	shape_findings_free(f, n);
	snprintf(err, errlen, "out of memory");
	return -1;
}

/* A reason for retries that hid this upstream's failures; 0 or -1. */
static int
explain_retries(struct store *s, const struct diag_window *w,
    struct explain_report *r, size_t *cap, char *err, size_t errlen)
{
	struct retry_summary rs;
	struct explain_reason *x;
	const char *rescuer = NULL;
	int64_t best = 0;

	if (retry_summarize(s, w, &rs, err, errlen) != 0)
		return -1;
	if (rs.retried_after_failure == 0) {
		retry_summary_free(&rs);
		return 0;
	}
	for (size_t i = 0; i < rs.n_groups; i++)
		if (rs.groups[i].rescued_by != NULL &&
		    rs.groups[i].rescued_by_count > best) {
			best = rs.groups[i].rescued_by_count;
			rescuer = rs.groups[i].rescued_by;
		}
	if ((x = explain_add(r, cap)) == NULL)
		goto oom;
	x->kind = EXPLAIN_RETRY;
	x->who = GW_WHO_UPSTREAM;
	x->count = rs.retried_after_failure;
	x->title = explain_fmt("%" PRId64 " request%s failed on %s first and"
	    " %s retried: %" PRId64 " saved by the retry%s%s%s, %" PRId64
	    " failed anyway - the final answer hides these failures",
	    rs.retried_after_failure, rs.retried_after_failure == 1 ? "" : "s",
	    r->upstream, rs.retried_after_failure == 1 ? "was" : "were",
	    rs.saved, rescuer != NULL ? " (mostly by " : "",
	    rescuer != NULL ? rescuer : "", rescuer != NULL ? ")" : "",
	    rs.failed);
	x->evidence = explain_fmt("each retry cost %.0f ms on the failed"
	    " attempt%s before the final one; retried requests took %.0f ms"
	    " on average against %.0f ms for one-attempt successes",
	    rs.extra_ms_avg, rs.retried_after_failure == 1 ? "" : "s",
	    rs.retried_ms_avg < 0 ? 0 : rs.retried_ms_avg,
	    rs.single_ok_ms_avg < 0 ? 0 : rs.single_ok_ms_avg);
	retry_summary_free(&rs);
	if (x->title == NULL || x->evidence == NULL)
		goto oom;
	return 0;
oom:
	retry_summary_free(&rs);
	snprintf(err, errlen, "out of memory");
	return -1;
}

/* A reason for what a circuit breaker would have done; 0 or -1. */
static int
explain_breaker(struct store *s, const struct diag_window *w,
    const struct breaker_config *cfg, struct explain_report *r, size_t *cap,
    char *err, size_t errlen)
{
	struct breaker_config c = cfg != NULL ? *cfg :
	    breaker_config_default();
	struct breaker_upstream *u;
	struct explain_reason *x;
	char t0[32];
	size_t n, i;

	if (breaker_run(s, w, &c, &u, &n, err, errlen) != 0)
		return -1;
	for (i = 0; i < n; i++)
		if (u[i].name != NULL && strcmp(u[i].name, r->upstream) == 0)
			break;
	if (i == n || u[i].n_opens == 0) {
		breaker_upstreams_free(u, n);
		return 0;
	}
	if ((x = explain_add(r, cap)) == NULL)
		goto oom;
	x->kind = EXPLAIN_BREAKER;
	x->who = GW_WHO_UPSTREAM;
	x->count = u[i].spared;
	x->first_ms = u[i].opens[0].open_ms;
	x->last_ms = u[i].opens[u[i].n_opens - 1].open_ms;
	x->title = explain_fmt("a circuit breaker would have opened %zu"
	    " time%s, first at %s (%s), sparing %s %" PRId64 " attempt%s, %"
	    PRId64 " of which failed", u[i].n_opens,
	    u[i].n_opens == 1 ? "" : "s",
	    explain_time(u[i].opens[0].open_ms, t0, sizeof(t0)),
	    breaker_trip_name(u[i].opens[0].reason), r->upstream,
	    u[i].spared, u[i].spared == 1 ? "" : "s", u[i].spared_failed);
	x->evidence = explain_fmt("breaker: open after %d failures in a row"
	    " or %.0f%% of at least %" PRId64 " attempts in %.0f s, for %.0f"
	    " s, then one probe; open %.1f s in all over %" PRId64
	    " attempts (%" PRId64 " failed)", c.consecutive_failures,
	    100 * c.failure_rate, c.min_requests, (double)c.window_ms / 1000,
	    (double)c.open_ms / 1000, (double)u[i].open_total_ms / 1000,
	    u[i].attempts, u[i].failures);
	breaker_upstreams_free(u, n);
	if (x->title == NULL || x->evidence == NULL)
		goto oom;
	return 0;
oom:
	breaker_upstreams_free(u, n);
	snprintf(err, errlen, "out of memory");
	return -1;
}

/* 0: why it failed (causes, shapes); 1: context (retries, breaker); 2:
 * the gateway's own refusals. */
static int
explain_tier(const struct explain_reason *x)
{
	if (x->gateway_made)
		return 2;
	return x->kind == EXPLAIN_RETRY || x->kind == EXPLAIN_BREAKER;
}

/* By tier, then most count first. */
static int
explain_reason_cmp(const void *pa, const void *pb)
{
	const struct explain_reason *a = pa, *b = pb;

	if (explain_tier(a) != explain_tier(b))
		return explain_tier(a) - explain_tier(b);
	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	return (int)a->kind - (int)b->kind;
}

/* Free one reason's strings and example. */
static void
explain_reason_clear(struct explain_reason *x)
{
	free(x->title);
	free(x->evidence);
	diag_example_clear(&x->example);
}

/* Keep at most max reasons of each side (own, gateway-made). */
static void
explain_trim(struct explain_report *r, size_t max)
{
	size_t own = 0, gw = 0, o = 0;

	for (size_t i = 0; i < r->n_reasons; i++) {
		size_t *k = r->reasons[i].gateway_made ? &gw : &own;

		if (max > 0 && *k >= max) {
			explain_reason_clear(&r->reasons[i]);
			continue;
		}
		(*k)++;
		r->reasons[o++] = r->reasons[i];
	}
	r->n_reasons = o;
}

/* See explain.h. */
int
explain_upstream(struct store *s, const struct diag_window *w,
    size_t max_reasons, const struct shape_config *shape_cfg,
    const struct breaker_config *breaker_cfg, struct explain_report *out,
    char *err, size_t errlen)
{
	struct shape_config sc = shape_cfg != NULL ? *shape_cfg :
	    shape_config_default();
	struct report_query q = {.since_ms = w->since_ms,
	    .until_ms = w->until_ms, .cause = GW_CAUSE_ANY, .status = -1,
	    .upstream = w->upstream};
	struct report_row *rows;
	size_t n_rows, cap = 0;

	memset(out, 0, sizeof(*out));
	if (w->upstream == NULL) {
		snprintf(err, errlen, "explain: no upstream given");
		return -1;
	}
	if ((out->upstream = gw_strdup(w->upstream)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	out->since_ms = w->since_ms;
	out->until_ms = w->until_ms;
	if (store_report(s, &q, &rows, &n_rows, err, errlen) != 0)
		goto fail;
	if (n_rows > 0) {
		out->requests = rows[0].requests;
		out->errors_5xx = rows[0].errors_5xx;
		out->attempts = rows[0].attempts;
		out->failed_attempts = rows[0].failed_attempts;
	}
	store_report_free(rows, n_rows);
	if (explain_causes(s, w, out, &cap, err, errlen) != 0 ||
	    explain_shapes(s, w, &sc, out, &cap, err, errlen) != 0 ||
	    explain_retries(s, w, out, &cap, err, errlen) != 0 ||
	    explain_breaker(s, w, breaker_cfg, out, &cap, err, errlen) != 0)
		goto fail;
	if (out->n_reasons > 1)
		qsort(out->reasons, out->n_reasons, sizeof(*out->reasons),
		    explain_reason_cmp);
	explain_trim(out, max_reasons);
	return 0;
fail:
	explain_report_free(out);
	return -1;
}

/* See explain.h. */
void
explain_report_free(struct explain_report *r)
{
	for (size_t i = 0; i < r->n_reasons; i++)
		explain_reason_clear(&r->reasons[i]);
	free(r->reasons);
	free(r->upstream);
	memset(r, 0, sizeof(*r));
}
