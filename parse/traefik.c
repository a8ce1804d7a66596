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
 *
 * The JSON form is read in one pass without json-c (parse/jsonfast.h)
 * when the line allows; json-c reads the rest, and Traefik's own log
 * lines, of which ForwardAuth failures make the next matching request
 * auth_failure with the auth service as its attempt (see "ForwardAuth"
 * below).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "parse/clf.h"
#include "parse/format.h"
#include "parse/jsonfast.h"
#include "parse/jsonlog.h"
#include "parse/logscan.h"

/*
 * ForwardAuth failures from Traefik's own (debug) log, waiting for the
 * access line of their request (see traefik_auth_line).
 */
#define TRAEFIK_AUTH_PENDING	64
#define TRAEFIK_AUTH_ADDR_MAX	128
#define TRAEFIK_AUTH_MS		60000	/* older than this: stale */

struct traefik_auth {
	bool used;
	int status;		/* the auth service's answer, -1 none */
	int64_t ts_ms;
	char addr[TRAEFIK_AUTH_ADDR_MAX];
};

/* The members of the JSON form read, by index. */
enum {
	TJ_DS, TJ_START_UTC, TJ_START_LOCAL, TJ_OS, TJ_RETRIES, TJ_DURATION,
	TJ_ODURATION, TJ_SIZE, TJ_CLIENT, TJ_METHOD, TJ_HOST, TJ_PROTOCOL,
	TJ_PATH, TJ_SADDR, TJ_SURL, TJ_SNAME,
	TJ_N
};

static const char *const traefik_json_keys[TJ_N] = {
	[TJ_DS] = "DownstreamStatus", [TJ_START_UTC] = "StartUTC",
	[TJ_START_LOCAL] = "StartLocal", [TJ_OS] = "OriginStatus",
	[TJ_RETRIES] = "RetryAttempts", [TJ_DURATION] = "Duration",
	[TJ_ODURATION] = "OriginDuration", [TJ_SIZE] = "DownstreamContentSize",
	[TJ_CLIENT] = "ClientHost", [TJ_METHOD] = "RequestMethod",
	[TJ_HOST] = "RequestHost", [TJ_PROTOCOL] = "RequestProtocol",
	[TJ_PATH] = "RequestPath", [TJ_SADDR] = "ServiceAddr",
	[TJ_SURL] = "ServiceURL", [TJ_SNAME] = "ServiceName",
};

/* Per-input state of both forms. */
struct traefik_state {
	int tz_min;
	struct json_tokener *tok;	/* JSON form only */
	struct jf_keys keys;
	bool general_only;	/* tests: json-c for every line */
	size_t fast_count;	/* lines the one-pass read took */
	struct traefik_auth auth[TRAEFIK_AUTH_PENDING];
	size_t auth_next;	/* slot written next */
	size_t auth_used;
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
	st->general_only = o != NULL && o->general_only;
	jf_keys_init(&st->keys, traefik_json_keys, TJ_N);
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

/*
 * A string member, empty when absent or "-"; false when a one-pass read
 * cannot say.
 */
static bool
traefik_str(const struct jsonlog_src *s, int i, struct logspan *v)
{
	if (!jsonlog_src_str(s, (size_t)i, v))
		return false;
	if (logspan_is_dash(*v))
		v->n = 0;
	return true;
}

/* The string members of an access line. */
struct traefik_json_line {
	struct logspan start, client, method, host, protocol, path, saddr,
	    surl, sname;
};

/* Read them; false when a one-pass read cannot say. */
static bool
traefik_json_strs(const struct jsonlog_src *s, struct traefik_json_line *l)
{
	if (!traefik_str(s, TJ_START_UTC, &l->start) ||
	    (l->start.n == 0 && !traefik_str(s, TJ_START_LOCAL, &l->start)))
		return false;
	return traefik_str(s, TJ_CLIENT, &l->client) &&
	    traefik_str(s, TJ_METHOD, &l->method) &&
	    traefik_str(s, TJ_HOST, &l->host) &&
	    traefik_str(s, TJ_PROTOCOL, &l->protocol) &&
	    traefik_str(s, TJ_PATH, &l->path) &&
	    traefik_str(s, TJ_SADDR, &l->saddr) &&
	    traefik_str(s, TJ_SURL, &l->surl) &&
	    traefik_str(s, TJ_SNAME, &l->sname);
}

/*
 * ForwardAuth. Traefik's ForwardAuth middleware asks the auth service
 * first; when it cannot reach it, it answers the client 500 itself, and
 * when the service answers other than 2xx, it passes that answer on (401,
 * 403, a redirect, or the service's own 5xx). Either way the request
 * never reaches the router's service: its access line has no
 * ServiceName, ServiceURL or ServiceAddr and no OriginStatus (a
 * RouterName unless the middleware is an entry point's) - the same line
 * as any other middleware's answer. What says it was the
 * auth service, and which, is Traefik's own log at debug level (in the
 * same stream when both go to stdout, as in a container), written
 * before the access line:
 *
 *   v3: {"level":"debug","middlewareName":"auth@file",
 *        "middlewareType":"ForwardAuth","error":"... connection refused",
 *        "message":"Error calling http://auth:9000/verify", "time":...}
 *       {..., "message":"Remote error http://auth:9000/verify.
 *        StatusCode: 401"}
 *   v2: the same with "middlewareType":"ForwardedAuthType", "msg", and
 *       "Error calling URL. Cause: ERR".
 *
 * Such a line is remembered (bounded ring, per input); the next access
 * line that reached no service, with the status it implies (500 after
 * "Error calling", the service's after "Remote error"), within a second
 * of its time, takes it: cause auth_failure, with the auth service as
 * its attempt (shared/causes.md) - never the router's service. Denials
 * (4xx) are auth_failure too, as Envoy's UAEX. Without the debug line an
 * answer that reached no service stays as before (unknown when 5xx):
 * BasicAuth, IPAllowList or a plugin answer the same way.
 */

/* Remember a ForwardAuth failure of Traefik's log line o. */
static enum format_result
traefik_auth_line(struct traefik_state *st, struct json_object *o)
{
	struct logspan type = { NULL, 0 }, msg = { NULL, 0 }, when, url, rest;
	struct traefik_auth *p;
	struct timeparse t;
	int64_t status = -1;
	const char *dot;

	if (!jsonlog_str(o, "middlewareType", &type) ||
	    !(logspan_eq(type, "ForwardAuth") ||
	    logspan_eq(type, "ForwardedAuthType")))
		return FORMAT_NOTICE;
	if (!jsonlog_str(o, "message", &msg))
		jsonlog_str(o, "msg", &msg);
	if (!jsonlog_str(o, "time", &when) || !logspan_iso_time(when, &t))
		return FORMAT_NOTICE;
	if (msg.n > 13 && memcmp(msg.p, "Error calling ", 14) == 0) {
		url.p = msg.p + 14;
		url.n = msg.n - 14;
		/* v2: "URL. Cause: ERR" */
		for (size_t i = 0; i + 9 <= url.n; i++)
			if (memcmp(url.p + i, ". Cause: ", 9) == 0) {
				url.n = i;
				break;
			}
	} else if (msg.n > 13 && memcmp(msg.p, "Remote error ", 13) == 0) {
		url.p = msg.p + 13;
		url.n = msg.n - 13;
		dot = NULL;
		for (size_t i = 0; i + 14 <= url.n; i++)
			if (memcmp(url.p + i, ". StatusCode: ", 14) == 0)
				dot = url.p + i;
		if (dot == NULL)
			return FORMAT_NOTICE;
		rest.p = dot + 14;
		rest.n = (size_t)(url.p + url.n - rest.p);
		url.n = (size_t)(dot - url.p);
		/* only a 4xx or 5xx is ever taken (traefik_json_fill): a
		 * redirect to a login page (302, on every unauthenticated
		 * request behind oauth2-proxy) must not hold a place in the
		 * ring and push out a pending denial */
		if (!logspan_int(rest, &status) || status < 400 ||
		    status > 599)
			return FORMAT_NOTICE;
	} else
		return FORMAT_NOTICE;
	url = logspan_url_hostport(url);
	if (url.n == 0)
		return FORMAT_NOTICE;
	p = &st->auth[st->auth_next];
	if (!p->used)
		st->auth_used++;
	p->used = true;
	p->status = (int)status;
	p->ts_ms = timeparse_ms(&t, st->tz_min);
	if (url.n >= sizeof(p->addr))
		url.n = sizeof(p->addr) - 1;
	memcpy(p->addr, url.p, url.n);
	p->addr[url.n] = '\0';
	st->auth_next = (st->auth_next + 1) % TRAEFIK_AUTH_PENDING;
	return FORMAT_NOTICE;
}

/*
 * The remembered ForwardAuth failure of a request that reached no
 * service, answered ds, between start_ms and end_ms: the oldest that
 * fits, taken out of the ring; NULL when none.
 */
static struct traefik_auth *
traefik_auth_take(struct traefik_state *st, int64_t ds, int64_t start_ms,
    int64_t end_ms)
{
	struct traefik_auth *best = NULL;

	if (st->auth_used == 0)
		return NULL;
	for (size_t k = 0; k < TRAEFIK_AUTH_PENDING; k++) {
		/* oldest first: from the slot written next */
		struct traefik_auth *p =
		    &st->auth[(st->auth_next + k) % TRAEFIK_AUTH_PENDING];

		if (!p->used)
			continue;
		if (end_ms - p->ts_ms > TRAEFIK_AUTH_MS) {
			p->used = false;
			st->auth_used--;
			continue;
		}
		if ((p->status < 0 ? ds == 500 : ds == p->status) &&
		    p->ts_ms >= start_ms - 1000 && p->ts_ms <= end_ms + 1000) {
			best = p;
			break;
		}
	}
	if (best != NULL) {
		best->used = false;
		st->auth_used--;
	}
	return best;
}

/*
 * Fill ev from a Traefik JSON access line; a FORMAT_* result, or -1 when
 * a one-pass read cannot say (nothing changed then).
 */
static int
traefik_json_fill(struct traefik_state *st, const struct jsonlog_src *s,
    struct gw_batch *b, uint64_t line_no, uint64_t offset,
    const char **reason)
{
	struct traefik_json_line l;
	struct logspan addr;
	int64_t ms, ds, os = 0, dur = -1, odur = -1, retries = 0, bytes;
	struct timeparse t;
	struct gw_event *ev;
	struct arena *a = b->arena;
	struct traefik_auth *auth;

	if (!traefik_json_strs(s, &l))
		return -1;
	/* the event keeps an int: 2^32 + 500 must not pass for a 500 */
	if (!jsonlog_src_int(s, TJ_DS, &ds) || ds < 0 || ds > 999) {
		*reason = "Traefik JSON without a DownstreamStatus (0-999)";
		return FORMAT_REJECT;
	}
	if (!logspan_iso_time(l.start, &t)) {
		*reason = "Traefik JSON without a StartUTC time";
		return FORMAT_REJECT;
	}
	if ((ev = batch_add_event(b)) == NULL)
		return FORMAT_NOMEM;
	logev_init(ev, line_no, offset);
	ms = timeparse_ms(&t, st->tz_min);
	jsonlog_src_int(s, TJ_OS, &os);
	jsonlog_src_int(s, TJ_RETRIES, &retries);
	if (jsonlog_src_int(s, TJ_DURATION, &dur))
		dur /= 1000000;		/* ns */
	if (jsonlog_src_int(s, TJ_ODURATION, &odur))
		odur /= 1000000;
	ev->ts_ms = ms + (dur > 0 ? dur : 0);
	ev->tz_min = 0;
	ev->tz_known = true;
	ev->status = (int)ds;
	ev->request_ms = logscan_ms(dur);
	ev->bytes = jsonlog_src_int(s, TJ_SIZE, &bytes) ? bytes : -1;
	if ((l.client.n > 0 && (ev->client = logspan_dup(l.client, a)) ==
	    NULL) ||
	    (l.method.n > 0 && (ev->method = logspan_dup(l.method, a)) ==
	    NULL) ||
	    (l.host.n > 0 && (ev->host = logspan_dup(l.host, a)) == NULL) ||
	    (l.protocol.n > 0 && (ev->protocol = logspan_dup(l.protocol, a)) ==
	    NULL) ||
	    (l.path.n > 0 && logreq_target(ev, l.path, a) != 0))
		return FORMAT_NOMEM;

	if (ds == 499)
		ev->cause = GW_CAUSE_CLIENT_CLOSED;
	else if (ds >= 500 && ds <= 599)
		ev->cause = os == ds ? GW_CAUSE_UPSTREAM_5XX : GW_CAUSE_UNKNOWN;
	addr = l.saddr;
	if (addr.n == 0)
		addr = logspan_url_hostport(l.surl);
	/* a 429 that reached no service: Traefik's own RateLimit (or
	 * InFlightReq) middleware answered */
	if (ds == 429 && addr.n == 0 && l.sname.n == 0)
		ev->cause = GW_CAUSE_RATE_LIMITED;
	/* an answer of ForwardAuth's: the auth service is the evidence */
	if (addr.n == 0 && l.sname.n == 0 && os <= 0 && ds >= 400 &&
	    ds != 499 && (auth = traefik_auth_take(st, ds, ms,
	    ev->ts_ms)) != NULL) {
		struct logspan none = { NULL, 0 };
		struct logspan aaddr = { auth->addr, strlen(auth->addr) };

		ev->cause = GW_CAUSE_AUTH_FAILURE;
		return traefik_attempts(ev, a, aaddr, none, 0, auth->status,
		    -1) != 0 ? FORMAT_NOMEM : FORMAT_EVENT;
	}
	if (addr.n > 0 && traefik_attempts(ev, a, addr, l.sname, retries,
	    os > 0 && os <= 999 ? (int)os : ds >= 500 ? (int)ds : -1,
	    logscan_ms(odur)) != 0)
		return FORMAT_NOMEM;
	return FORMAT_EVENT;
}

/*
 * See format.h: the JSON form. The one-pass read (parse/jsonfast.h)
 * first; json-c for the lines it leaves, and for Traefik's own log lines
 * (no DownstreamStatus), of which ForwardAuth failures are remembered.
 */
static enum format_result
traefik_json_take(void *state, struct gw_batch *b, const char *line,
    size_t len, uint64_t line_no, uint64_t offset, const char **reason)
{
	struct traefik_state *st = state;
	struct jf_val vals[TJ_N];
	struct jsonlog_src src = { NULL, &st->keys, vals };
	size_t n0 = b->n_events;
	int r;

	if (!st->general_only && jf_flat(&st->keys, line, len, vals) &&
	    vals[TJ_DS].type != JF_ABSENT &&
	    (r = traefik_json_fill(st, &src, b, line_no, offset, reason)) >=
	    0) {
		st->fast_count++;
		if (r != FORMAT_EVENT)
			b->n_events = n0;
		return (enum format_result)r;
	}
	if ((src.o = jsonlog_parse(st->tok, line, len)) == NULL) {
		*reason = "not a JSON object";
		return FORMAT_REJECT;
	}
	if (jsonlog_get(src.o, "DownstreamStatus") == NULL &&
	    jsonlog_get(src.o, "middlewareType") != NULL)
		r = traefik_auth_line(st, src.o);
	else if (jsonlog_get(src.o, "DownstreamStatus") == NULL &&
	    jsonlog_get(src.o, "level") != NULL &&
	    jsonlog_get(src.o, "time") != NULL &&
	    (jsonlog_get(src.o, "message") != NULL ||
	    jsonlog_get(src.o, "msg") != NULL))
		r = FORMAT_NOTICE;	/* Traefik's own log, not a request */
	else
		r = traefik_json_fill(st, &src, b, line_no, offset, reason);
	if (r != FORMAT_EVENT)
		b->n_events = n0;
	json_object_put(src.o);
	return (enum format_result)r;
}

/* See format.h. */
static size_t
traefik_json_fast_count(void *state)
{
	return ((struct traefik_state *)state)->fast_count;
}

const struct line_format traefik_json_format = {
	.name = "traefik-json",
	.kind = "traefik_access",
	.match = traefik_json_match,
	.open = traefik_open,
	.close = traefik_close,
	.take = traefik_json_take,
	.fast_count = traefik_json_fast_count,
	.line_withholds = jsonlog_line_credentials,
};
