/*
 * traefik.c - Traefik's access log, in its CLF and JSON forms.
 *
 * CLF (Traefik's CommonLogFormatter): the combined format plus the request
 * count, router, service URL and duration:
 *
 *   10.0.0.1 - - [10/Oct/2000:13:55:36 +0000] "GET /a HTTP/1.1" 502 11
 *     "-" "curl/8.0" 5 "api@docker" "http://10.0.0.5:80" 3ms
 *
 * JSON: one object per line with Traefik's field names: DownstreamStatus
 * (what the client got), OriginStatus (what the upstream answered, 0 when
 * it never answered), ServiceAddr / ServiceURL (the upstream), ServiceName,
 * RetryAttempts, StartUTC, Duration (ns), ClientHost, RequestMethod,
 * RequestPath (with the query), RequestHost, RequestProtocol.
 *
 * Causes per shared/causes.md: a downstream 5xx with the same OriginStatus
 * is upstream_5xx; with OriginStatus 0 Traefik made it, and its access log
 * does not say why: unknown. 499 is client_closed. The CLF form carries no
 * OriginStatus, so every 5xx there is unknown. RetryAttempts adds that many
 * failed attempts (cause unknown) before the final one, addressed to the
 * service's name: Traefik does not log which server each retry went to.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "parse/clf.h"
#include "parse/format.h"
#include "parse/jsonlog.h"
#include "parse/logscan.h"

/* Per-input state of both forms. */
struct traefik_state {
	int tz_min;
	struct json_tokener *tok;	/* JSON form only */
};

/* The Traefik-only tail of a CLF line. */
struct traefik_tail {
	struct logspan count, router, service, duration;
};

/* Split a Traefik CLF line; false when it is not one. */
static bool
traefik_split(const char *line, size_t len, struct clf_line *l,
    struct traefik_tail *t)
{
	struct logscan s;
	struct logspan ref, ua;
	int64_t v;

	if (!clf_split(line, len, l, &s))
		return false;
	if (!logscan_char(&s, ' ') || !logscan_quoted(&s, &ref) ||
	    !logscan_char(&s, ' ') || !logscan_quoted(&s, &ua) ||
	    !logscan_char(&s, ' ') || !logscan_token(&s, &t->count) ||
	    !logscan_char(&s, ' ') || !logscan_quoted(&s, &t->router) ||
	    !logscan_char(&s, ' ') || !logscan_quoted(&s, &t->service) ||
	    !logscan_char(&s, ' ') || !logscan_token(&s, &t->duration) ||
	    !logscan_eol(&s))
		return false;
	if (t->duration.n < 3 ||
	    memcmp(t->duration.p + t->duration.n - 2, "ms", 2) != 0)
		return false;
	t->duration.n -= 2;
	return logspan_int(t->duration, &v);
}

/* See format.h. */
static enum format_result
traefik_match(void *state, const char *line, size_t len)
{
	struct clf_line l;
	struct traefik_tail t;

	return traefik_split(line, len, &l, &t) ? FORMAT_EVENT : FORMAT_REJECT;
}

/* See format.h: both forms. */
static void *
traefik_open(const struct format_opts *o, enum format_result *why,
    char *err, size_t errlen)
{
	struct traefik_state *st = gw_calloc(1, sizeof(*st));

	if (st == NULL || (st->tok = json_tokener_new()) == NULL) {
		free(st);
		snprintf(err, errlen, "out of memory");
		*why = FORMAT_NOMEM;
		return NULL;
	}
	st->tz_min = o != NULL ? o->tz_min : 0;
	return st;
}

/* See format.h. */
static void
traefik_close(void *state)
{
	struct traefik_state *st = state;

	if (st == NULL)
		return;
	json_tokener_free(st->tok);
	free(st);
}

/*
 * Attempts of a request: retries failed ones to group (may be NULL), then
 * one to addr with status and cause. -1 when out of memory.
 */
static int
traefik_attempts(struct gw_event *ev, struct arena *a, struct logspan addr,
    struct logspan group, int64_t retries, int status, int ms)
{
	struct gw_attempt *at;
	const char *g = NULL;
	int extra = retries > 0 ? (retries > GW_ATTEMPTS_MAX - 1 ?
	    GW_ATTEMPTS_MAX - 1 : (int)retries) : 0;

	if ((at = logev_attempts(a, extra + 1)) == NULL)
		return -1;
	if (extra > 0 && group.n > 0 && (g = logspan_dup(group, a)) == NULL)
		return -1;
	for (int i = 0; i < extra; i++) {
		at[i].addr = g;
		at[i].cause = GW_CAUSE_UNKNOWN;
	}
	if ((at[extra].addr = logspan_dup(addr, a)) == NULL)
		return -1;
	at[extra].status = status;
	at[extra].response_ms = ms;
	at[extra].cause = ev->cause;
	ev->attempts = at;
	ev->n_attempts = extra + 1;
	return 0;
}

/* See format.h: the CLF form. */
static enum format_result
traefik_take(void *state, struct gw_batch *b, const char *line, size_t len,
    uint64_t line_no, uint64_t offset, const char **reason)
{
	struct traefik_state *st = state;
	struct clf_line l;
	struct traefik_tail t;
	struct gw_event *ev;
	int64_t ms;
	int rc;

	if (!traefik_split(line, len, &l, &t)) {
		*reason = "not a Traefik CLF line";
		return FORMAT_REJECT;
	}
	if ((ev = batch_add_event(b)) == NULL)
		return FORMAT_NOMEM;
	logev_init(ev, line_no, offset);
	if ((rc = clf_fill(&l, ev, st->tz_min, b->arena, reason)) != 0) {
		b->n_events--;
		return rc < 0 ? FORMAT_NOMEM : FORMAT_REJECT;
	}
	if (!logspan_int(t.duration, &ms))
		ms = -1;
	ev->request_ms = logscan_ms(ms);
	if (ms > 0)
		ev->ts_ms += ms;	/* CLF time is the start */
	if (ev->status == 499)
		ev->cause = GW_CAUSE_CLIENT_CLOSED;
	else if (ev->status >= 500 && ev->status <= 599)
		ev->cause = GW_CAUSE_UNKNOWN;
	else if (ev->status == 429 && (logspan_is_dash(t.service) ||
	    t.service.n == 0))
		ev->cause = GW_CAUSE_RATE_LIMITED;	/* its own RateLimit */
	if (!logspan_is_dash(t.service) && t.service.n > 0) {
		struct logspan none = { NULL, 0 };

		if (traefik_attempts(ev, b->arena,
		    logspan_url_hostport(t.service), none, 0, ev->status,
		    logscan_ms(ms)) != 0)
			return FORMAT_NOMEM;
	}
	return FORMAT_EVENT;
}

const struct line_format traefik_format = {
	.name = "traefik",
	.kind = "traefik_access",
	.match = traefik_match,
	.open = traefik_open,
	.close = traefik_close,
	.take = traefik_take,
};

/* --- JSON ---------------------------------------------------------------- */

/* See format.h. */
static enum format_result
traefik_json_match(void *state, const char *line, size_t len)
{
	return (len > 2 && line[0] == '{' &&
	    memmem(line, len, "\"DownstreamStatus\"", 18) != NULL &&
	    memmem(line, len, "\"RequestMethod\"", 15) != NULL) ? FORMAT_EVENT :
	    FORMAT_REJECT;
}

/* A string member, empty when absent or "-". */
static struct logspan
traefik_str(struct json_object *o, const char *key)
{
	struct logspan v = { NULL, 0 };

	if (!jsonlog_str(o, key, &v) || logspan_is_dash(v))
		v.n = 0;
	return v;
}

/* Fill ev from a Traefik JSON object; a FORMAT_* result. */
static enum format_result
traefik_json_fill(struct traefik_state *st, struct json_object *o,
    struct gw_event *ev, struct arena *a, const char **reason)
{
	struct logspan start = traefik_str(o, "StartUTC"), v, addr;
	int64_t ms, ds, os = 0, dur = -1, odur = -1, retries = 0, bytes;
	struct timeparse t;

	if (!jsonlog_int(o, "DownstreamStatus", &ds)) {
		*reason = "Traefik JSON without DownstreamStatus";
		return FORMAT_REJECT;
	}
	if (start.n == 0)
		start = traefik_str(o, "StartLocal");
	if (!logspan_iso_time(start, &t)) {
		*reason = "Traefik JSON without a StartUTC time";
		return FORMAT_REJECT;
	}
	ms = timeparse_ms(&t, st->tz_min);
	jsonlog_int(o, "OriginStatus", &os);
	jsonlog_int(o, "RetryAttempts", &retries);
	if (jsonlog_int(o, "Duration", &dur))
		dur /= 1000000;		/* ns */
	if (jsonlog_int(o, "OriginDuration", &odur))
		odur /= 1000000;
	ev->ts_ms = ms + (dur > 0 ? dur : 0);
	ev->tz_min = 0;
	ev->tz_known = true;
	ev->status = (int)ds;
	ev->request_ms = logscan_ms(dur);
	ev->bytes = jsonlog_int(o, "DownstreamContentSize", &bytes) ? bytes :
	    -1;
	v = traefik_str(o, "ClientHost");
	if (v.n > 0 && (ev->client = logspan_dup(v, a)) == NULL)
		return FORMAT_NOMEM;
	v = traefik_str(o, "RequestMethod");
	if (v.n > 0 && (ev->method = logspan_dup(v, a)) == NULL)
		return FORMAT_NOMEM;
	v = traefik_str(o, "RequestHost");
	if (v.n > 0 && (ev->host = logspan_dup(v, a)) == NULL)
		return FORMAT_NOMEM;
	v = traefik_str(o, "RequestProtocol");
	if (v.n > 0 && (ev->protocol = logspan_dup(v, a)) == NULL)
		return FORMAT_NOMEM;
	v = traefik_str(o, "RequestPath");
	if (v.n > 0 && logreq_target(ev, v, a) != 0)
		return FORMAT_NOMEM;

	if (ds == 499)
		ev->cause = GW_CAUSE_CLIENT_CLOSED;
	else if (ds >= 500 && ds <= 599)
		ev->cause = os == ds ? GW_CAUSE_UPSTREAM_5XX : GW_CAUSE_UNKNOWN;
	addr = traefik_str(o, "ServiceAddr");
	if (addr.n == 0)
		addr = logspan_url_hostport(traefik_str(o, "ServiceURL"));
	/* a 429 that reached no service: Traefik's own RateLimit (or
	 * InFlightReq) middleware answered */
	if (ds == 429 && addr.n == 0 && traefik_str(o, "ServiceName").n == 0)
		ev->cause = GW_CAUSE_RATE_LIMITED;
	if (addr.n > 0 && traefik_attempts(ev, a, addr,
	    traefik_str(o, "ServiceName"), retries,
	    os > 0 ? (int)os : ds >= 500 ? (int)ds : -1,
	    odur >= 0 ? (int)odur : -1) != 0)
		return FORMAT_NOMEM;
	return FORMAT_EVENT;
}

/* See format.h: the JSON form. */
static enum format_result
traefik_json_take(void *state, struct gw_batch *b, const char *line,
    size_t len, uint64_t line_no, uint64_t offset, const char **reason)
{
	struct traefik_state *st = state;
	struct json_object *o = jsonlog_parse(st->tok, line, len);
	struct gw_event *ev;
	enum format_result r;

	if (o == NULL) {
		*reason = "not a JSON object";
		return FORMAT_REJECT;
	}
	if ((ev = batch_add_event(b)) == NULL) {
		json_object_put(o);
		return FORMAT_NOMEM;
	}
	logev_init(ev, line_no, offset);
	r = traefik_json_fill(st, o, ev, b->arena, reason);
	if (r != FORMAT_EVENT)
		b->n_events--;
	json_object_put(o);
	return r;
}

const struct line_format traefik_json_format = {
	.name = "traefik-json",
	.kind = "traefik_access",
	.match = traefik_json_match,
	.open = traefik_open,
	.close = traefik_close,
	.take = traefik_json_take,
};
