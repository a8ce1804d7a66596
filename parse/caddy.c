/*
 * caddy.c - Caddy's JSON logs: the access log and the reverse proxy's
 * runtime log.
 *
 * Caddy writes one JSON object per line, {"level":..,"ts":..,"logger":..,
 * "msg":..,...}, "ts" in epoch seconds (or an ISO 8601 string when so
 * configured). Three kinds of line matter:
 *
 *   - logger "http.log.access..." ("handled request"): a request with
 *     status, duration, size and request{remote_ip, remote_port, method,
 *     host, uri, proto}. It names no upstream.
 *   - logger "http.handlers.reverse_proxy", msg "upstream roundtrip" (debug
 *     level): one per attempt, with "upstream", "duration", the request as
 *     sent, and either "status" (it answered) or "error" (it did not). A
 *     failed one becomes a struct gw_gateway_error with its upstream and the
 *     cause its error text states, which the store joins to the request by
 *     client, method, path, query and time: Caddy logs epoch times, so
 *     local_ms is UTC and the request's tz_min is 0.
 *   - logger "http.log.error..." with msg "no upstreams available": a
 *     gateway error naming no upstream (no_live_upstream).
 * Any other Caddy line is a notice.
 *
 * When both kinds come in one stream (Caddy's default: everything to one
 * writer), the roundtrip lines of a request always precede its access line,
 * so they are also kept in a small ring keyed by client address and port,
 * method and URI, and the access line takes them as its attempts, in order:
 * upstream, status, duration, cause. Then even requests that succeeded
 * carry their upstream. The ring is per input and bounded; a roundtrip
 * whose access line never comes is simply overwritten. An access line
 * finds its roundtrips through a hash table of ring slots by key
 * (core/hashtab.h, keyed: the keys come from requests).
 */
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "parse/format.h"
#include "core/hashtab.h"
#include "parse/jsonfast.h"
#include "parse/jsonlog.h"
#include "parse/logscan.h"

#define CADDY_PENDING	256	/* roundtrips remembered per input */
#define CADDY_KEY_MAX	512	/* bytes of the key kept for comparison */
#define CADDY_ADDR_MAX	128	/* bytes of an upstream address kept */
#define CADDY_PENDING_MS 600000	/* a roundtrip older than this is stale */

/* One attempt seen in the runtime log, waiting for its access line. */
struct caddy_pending {
	bool used;
	uint64_t hash;
	size_t key_len;
	char key[CADDY_KEY_MAX];
	char addr[CADDY_ADDR_MAX];
	int status;		/* -1 when it failed without an answer */
	int duration_ms;
	int64_t ts_ms;
	enum gw_cause cause;
};

/* Per-input state. */
struct caddy_state {
	struct json_tokener *tok;
	bool general_only;	/* tests: json-c for every line */
	size_t fast_count;	/* lines caddy_fast_line read */
	struct caddy_pending ring[CADDY_PENDING];
	size_t next;		/* ring slot written next */
	size_t n_used;
	struct hashtab index;	/* key -> ring slot, of every used one */
};

/* The Caddy error text of a failed roundtrip to a cause (causes.md). */
static enum gw_cause
caddy_error_cause(struct logspan e)
{
	if (logspan_has(e, "connection refused"))
		return GW_CAUSE_UPSTREAM_REFUSED;
	if (logspan_has(e, "timeout awaiting response headers"))
		return GW_CAUSE_UPSTREAM_READ_TIMEOUT;
	if (logspan_has(e, "i/o timeout"))
		return e.n >= 5 && memcmp(e.p, "dial ", 5) == 0 ?
		    GW_CAUSE_UPSTREAM_CONNECT_TIMEOUT :
		    GW_CAUSE_UPSTREAM_READ_TIMEOUT;
	if (logspan_has(e, "no route to host") ||
	    logspan_has(e, "network is unreachable") ||
	    logspan_has(e, "host is down"))
		return GW_CAUSE_UPSTREAM_UNREACHABLE;
	if (logspan_has(e, "no such host") ||
	    logspan_has(e, "server misbehaving"))
		return GW_CAUSE_DNS_FAILURE;
	if (logspan_has(e, "tls: ") || logspan_has(e, "x509: "))
		return GW_CAUSE_TLS_FAILURE;
	if (logspan_has(e, "connection reset by peer"))
		return GW_CAUSE_UPSTREAM_RESET;
	if (logspan_has(e, "malformed HTTP"))
		return GW_CAUSE_UPSTREAM_INVALID_RESPONSE;
	if (logspan_has(e, "response headers too big") ||
	    logspan_has(e, "response headers exceeded"))
		return GW_CAUSE_UPSTREAM_HEADER_TOO_BIG;
	if (logspan_eq(e, "EOF") || logspan_eq(e, "unexpected EOF") ||
	    (e.n >= 5 && memcmp(e.p + e.n - 5, ": EOF", 5) == 0))
		return GW_CAUSE_UPSTREAM_CLOSED_EARLY;
	if (logspan_has(e, "no upstreams available"))
		return GW_CAUSE_NO_LIVE_UPSTREAM;
	if (logspan_has(e, "context canceled"))
		return GW_CAUSE_CLIENT_CLOSED;
	return GW_CAUSE_UNKNOWN;
}

/* The request fields of a line, as spans. */
struct caddy_request {
	struct logspan ip, port, method, host, uri, proto;
};

/* Read the "request" member; false when there is none. */
static bool
caddy_request(struct json_object *o, struct caddy_request *r)
{
	struct json_object *req = jsonlog_get(o, "request");

	memset(r, 0, sizeof(*r));
	if (req == NULL || !json_object_is_type(req, json_type_object))
		return false;
	/* client_ip (Caddy >= 2.7, after trusted proxies) over remote_ip */
	if (!jsonlog_str(req, "client_ip", &r->ip) || r->ip.n == 0)
		jsonlog_str(req, "remote_ip", &r->ip);
	jsonlog_str(req, "remote_port", &r->port);
	jsonlog_str(req, "method", &r->method);
	jsonlog_str(req, "host", &r->host);
	jsonlog_str(req, "uri", &r->uri);
	jsonlog_str(req, "proto", &r->proto);
	return true;
}

/* The first value of header name in request.headers, or false. */
static bool
caddy_header(struct json_object *o, const char *name, struct logspan *out)
{
	struct json_object *req = jsonlog_get(o, "request");
	struct json_object *h = req ? jsonlog_get(req, "headers") : NULL;
	struct json_object *v = h ? jsonlog_get(h, name) : NULL;
	const char *s;

	if (v != NULL && json_object_is_type(v, json_type_array) &&
	    json_object_array_length(v) > 0)
		v = json_object_array_get_idx(v, 0);
	if (v == NULL || !json_object_is_type(v, json_type_string))
		return false;
	s = json_object_get_string(v);
	out->p = s;
	out->n = (size_t)json_object_get_string_len(v);
	return out->n > 0;
}

/*
 * A roundtrip of forward_auth: Caddy sends the auth service the client's
 * request rewritten to the auth URI, with the original URI and method in
 * X-Forwarded-Uri / X-Forwarded-Method. r is turned back into the client's
 * request (so the roundtrip keys and joins as it); true when it was one.
 */
static bool
caddy_forward_auth(struct json_object *o, struct caddy_request *r)
{
	struct logspan uri, method;

	if (!caddy_header(o, "X-Forwarded-Uri", &uri))
		return false;
	r->uri = uri;
	if (caddy_header(o, "X-Forwarded-Method", &method))
		r->method = method;
	return true;
}

/* Build the pending-ring key of r into buf; its length (capped). */
static size_t
caddy_key(const struct caddy_request *r, char *buf)
{
	const struct logspan *parts[] = { &r->ip, &r->port, &r->method,
	    &r->uri };
	size_t n = 0;

	for (size_t i = 0; i < 4; i++) {
		size_t k = parts[i]->n;

		if (n + k + 1 > CADDY_KEY_MAX)
			k = CADDY_KEY_MAX - n - 1;
		if (k > 0)
			memcpy(buf + n, parts[i]->p, k);
		n += k;
		buf[n++] = '\n';
		if (n >= CADDY_KEY_MAX - 1)
			break;
	}
	return n;
}

/* "ts": epoch seconds (number) or an ISO 8601 string, to UTC ms. */
static bool
caddy_ts(struct json_object *o, int64_t *ms)
{
	struct json_object *v = jsonlog_get(o, "ts");
	struct logspan s;
	struct timeparse t;

	if (v == NULL)
		return false;
	if (json_object_is_type(v, json_type_double) ||
	    json_object_is_type(v, json_type_int)) {
		double d = json_object_get_double(v);

		if (d < 0 || d > 1e11)
			return false;
		*ms = (int64_t)(d * 1000.0 + 0.5);
		return true;
	}
	if (!jsonlog_str(o, "ts", &s))
		return false;
	/* Caddy's time_format iso8601/rfc3339 stamps; no zone read as UTC */
	if (!logspan_iso_time(s, &t))
		return false;
	*ms = t.ms;
	return true;
}

/*
 * Milliseconds as an int: -1 when negative or not a number, INT_MAX when
 * longer (as the nginx parser clamps), never a conversion out of range.
 */
static int
caddy_ms_int(double ms)
{
	if (!(ms >= 0))
		return -1;
	return ms < (double)INT_MAX ? (int)(ms + 0.5) : INT_MAX;
}

/*
 * A duration: seconds as a number (Caddy's default encoder) or a Go
 * duration string ("1.5ms", "2s"). -1 when absent or unreadable.
 */
static int
caddy_duration_ms(struct json_object *o, const char *key)
{
	struct json_object *v = jsonlog_get(o, key);
	struct logspan s;
	double x = 0, unit = 1000.0;
	char buf[64], *end;

	if (v == NULL)
		return -1;
	if (json_object_is_type(v, json_type_double) ||
	    json_object_is_type(v, json_type_int)) {
		x = json_object_get_double(v) * 1000.0;
		return caddy_ms_int(x);
	}
	if (!jsonlog_str(o, key, &s) || s.n == 0 || s.n >= sizeof(buf))
		return -1;
	memcpy(buf, s.p, s.n);
	buf[s.n] = '\0';
	x = strtod(buf, &end);
	if (strcmp(end, "ns") == 0)
		unit = 1e-6;
	else if (strcmp(end, "us") == 0 || strcmp(end, "\xc2\xb5s") == 0)
		unit = 1e-3;
	else if (strcmp(end, "ms") == 0)
		unit = 1.0;
	else if (strcmp(end, "s") == 0)
		unit = 1000.0;
	else if (strcmp(end, "m") == 0)
		unit = 60000.0;
	else
		return -1;
	return caddy_ms_int(x * unit);
}

/* Remember a roundtrip for the access line of its request. */
static void
caddy_remember(struct caddy_state *st, const struct caddy_request *r,
    struct logspan upstream, int status, int duration_ms, int64_t ts_ms,
    enum gw_cause cause)
{
	struct caddy_pending *p = &st->ring[st->next];

	if (p->used) {		/* overwritten */
		hashtab_remove(&st->index, p->hash, st->next);
		p->used = false;
		st->n_used--;
	}
	p->key_len = caddy_key(r, p->key);
	p->hash = hashtab_hash(&st->index, p->key, p->key_len);
	if (hashtab_add(&st->index, p->hash, st->next) != HASHTAB_OK)
		return;		/* cannot happen: room for the whole ring */
	p->used = true;
	st->n_used++;
	if (upstream.n >= sizeof(p->addr))
		upstream.n = sizeof(p->addr) - 1;
	memcpy(p->addr, upstream.p, upstream.n);
	p->addr[upstream.n] = '\0';
	p->status = status;
	p->duration_ms = duration_ms;
	p->ts_ms = ts_ms;
	p->cause = cause;
	st->next = (st->next + 1) % CADDY_PENDING;
}

/* qsort: ring ages ascending. */
static int
caddy_age_cmp(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Give ev the remembered roundtrips of its request, oldest first, and
 * forget them. Returns 0, or -1 when out of memory.
 */
static int
caddy_attach(struct caddy_state *st, struct gw_event *ev,
    const struct caddy_request *r, struct arena *a)
{
	char key[CADDY_KEY_MAX];
	size_t key_len, idx[GW_ATTEMPTS_MAX], age[CADDY_PENDING], n_age = 0;
	uint64_t h;
	int n = 0;
	struct gw_attempt *at;
	struct hashtab_pos pos;
	uintptr_t v;

	if (st->n_used == 0)
		return 0;
	key_len = caddy_key(r, key);
	h = hashtab_hash(&st->index, key, key_len);
	/* The slots under this hash by age (oldest first), then as a scan of
	 * the ring would meet them. */
	hashtab_first(&st->index, h, &pos);
	while (hashtab_next(&st->index, &pos, &v))
		age[n_age++] = (v + CADDY_PENDING - st->next) % CADDY_PENDING;
	qsort(age, n_age, sizeof(*age), caddy_age_cmp);
	for (size_t k = 0; k < n_age && n < GW_ATTEMPTS_MAX; k++) {
		size_t i = (st->next + age[k]) % CADDY_PENDING;
		struct caddy_pending *p = &st->ring[i];

		if (ev->ts_ms - p->ts_ms > CADDY_PENDING_MS) {
			hashtab_remove(&st->index, p->hash, i);
			p->used = false;
			st->n_used--;
			continue;
		}
		if (p->hash == h && p->key_len == key_len &&
		    memcmp(p->key, key, key_len) == 0 &&
		    p->ts_ms <= ev->ts_ms + 1000)
			idx[n++] = i;
	}
	if (n == 0)
		return 0;
	if ((at = logev_attempts(a, n)) == NULL)
		return -1;
	for (int i = 0; i < n; i++) {
		struct caddy_pending *p = &st->ring[idx[i]];

		size_t addr_n = strlen(p->addr);	/* a NUL may cut it */

		if ((at[i].addr = arena_strndup(a, p->addr, addr_n)) == NULL)
			return -1;
		at[i].addr_len = event_len(addr_n);
		at[i].status = p->status;
		at[i].response_ms = p->duration_ms;
		at[i].cause = p->cause;
		hashtab_remove(&st->index, p->hash, idx[i]);
		p->used = false;
		st->n_used--;
	}
	ev->attempts = at;
	ev->n_attempts = n;
	return 0;
}

/* The request's cause from its status and attempts. */
static enum gw_cause
caddy_request_cause(const struct gw_event *ev)
{
	const struct gw_attempt *last;

	if (ev->status == 499)
		return GW_CAUSE_CLIENT_CLOSED;
	if (ev->status < 500 || ev->status > 599)
		return GW_CAUSE_OK;
	if (ev->n_attempts == 0)
		return GW_CAUSE_UNKNOWN;	/* the store's join may say */
	last = &ev->attempts[ev->n_attempts - 1];
	if (last->cause != GW_CAUSE_OK)
		return last->cause;
	return last->status == ev->status ? GW_CAUSE_UPSTREAM_5XX :
	    GW_CAUSE_UNKNOWN;
}

/*
 * Copy r's client, method, host, path, query into ev, with their lengths
 * when lens (r's spans hold no NUL: caddy_fast_line's; json-c decodes
 * \u0000 into a string, whose length is strlen()'s then, event_fill).
 */
static int
caddy_fill_request(struct gw_event *ev, const struct caddy_request *r,
    struct arena *a, bool lens)
{
	uint16_t n[4] = { 0, 0, 0, 0 };

	if ((r->ip.n > 0 && (ev->client = logspan_dup_len(r->ip, a, &n[0])) ==
	    NULL) ||
	    (r->method.n > 0 && (ev->method = logspan_dup_len(r->method, a,
	    &n[1])) == NULL) ||
	    (r->host.n > 0 && (ev->host = logspan_dup_len(r->host, a,
	    &n[2])) == NULL) ||
	    (r->proto.n > 0 && (ev->protocol = logspan_dup_len(r->proto, a,
	    &n[3])) == NULL))
		return -1;
	if (lens) {
		ev->client_len = n[0];
		ev->method_len = n[1];
		ev->host_len = n[2];
		ev->protocol_len = n[3];
		if (r->uri.n > 0 && logreq_target_lens(ev, r->uri, a) != 0)
			return -1;
	} else if (r->uri.n > 0 && logreq_target(ev, r->uri, a) != 0)
		return -1;
	return 0;
}

/*
 * The request of an access line, with the roundtrips remembered for it:
 * bytes -1 and request_ms -1 when the line has none; lens as
 * caddy_fill_request.
 */
static enum format_result
caddy_access_event(struct caddy_state *st, struct gw_batch *b, int64_t ts,
    const struct caddy_request *r, int64_t status, int64_t bytes,
    int request_ms, bool lens, uint64_t line_no, uint64_t offset,
    const char **reason)
{
	struct gw_event *ev;

	/* the event keeps an int: 2^32 + 500 must not pass for a 500 */
	if (status < 0 || status > 999) {
		*reason = "Caddy access line with a status out of 0-999";
		return FORMAT_REJECT;
	}
	if ((ev = batch_add_event(b)) == NULL)
		return FORMAT_NOMEM;
	logev_init(ev, line_no, offset);
	ev->ts_ms = ts;
	ev->tz_min = 0;
	ev->tz_known = true;
	ev->status = (int)status;
	ev->bytes = bytes;
	ev->request_ms = request_ms;
	if (caddy_fill_request(ev, r, b->arena, lens) != 0 ||
	    caddy_attach(st, ev, r, b->arena) != 0)
		return FORMAT_NOMEM;
	ev->cause = caddy_request_cause(ev);
	if (lens)
		event_fill_client(ev);	/* every length is set */
	return FORMAT_EVENT;
}

/* An access line: a request, with the roundtrips remembered for it. */
static enum format_result
caddy_access(struct caddy_state *st, struct json_object *o,
    struct gw_batch *b, int64_t ts, uint64_t line_no, uint64_t offset,
    const char **reason)
{
	struct caddy_request r;
	int64_t status, size;

	if (!caddy_request(o, &r) || !jsonlog_int(o, "status", &status)) {
		*reason = "Caddy access line without request or status";
		return FORMAT_REJECT;
	}
	return caddy_access_event(st, b, ts, &r, status,
	    jsonlog_int(o, "size", &size) ? size : -1,
	    caddy_duration_ms(o, "duration"), false, line_no, offset, reason);
}

/* ------------------------------------------------------------------ */
/* Access and roundtrip lines without json-c                            */

/*
 * json-c builds a tree per line (a malloc per member, a hash table per
 * object): about 8 us a line, 96% of Caddy's parse thread. An access
 * line in the form Caddy's encoder writes is read here in one pass
 * instead, the members used taken as spans of the line (parse/jsonfast.h,
 * shared with Envoy JSON and Traefik JSON); the json-c path stays the
 * reference and takes every other line. The pass takes a line only inside
 * a subset where the two cannot differ:
 *
 *   - jsonfast.h's subset of JSON (no escape, printable ASCII, short
 *     numbers without exponent, nesting at most JF_DEPTH deep);
 *   - "ts", "status", "size" and "duration" numbers (integers of at most
 *     18 digits: json-c's int64 without its overflow rules), "logger"
 *     and the request's members strings, "request" an object, each as
 *     the json-c path reads it; duplicate members: the last, as json-c;
 *   - "logger" an access logger ("http.log.access..."), or the reverse
 *     proxy's with an "upstream roundtrip" (caddy_fast_roundtrip: json-c
 *     took ~40k instructions for each, a fifth of the parse thread on a
 *     log with its error lines).
 *
 * Anything else (another runtime line, a string "ts" or "duration", an
 * escape, a member of another type, a forward_auth roundtrip) is the
 * json-c path's. tests/unit/test_fastpath.c reads every Caddy line both
 * ways.
 */
struct cf_line {
	struct jf_val ts, logger, status, size, duration, request;
	struct jf_val level, msg, upstream, error;	/* a roundtrip's */
	/* the request's (a later "request" replaces them all) */
	struct jf_val ip, remote_ip, port, method, host, uri, proto;
	struct jf_val headers, fwd_uri;	/* fwd_uri: X-Forwarded-Uri */
};

static bool cf_object(struct jf_scan *c, int depth, struct cf_line *l,
    int which);

/* Any value; its type and span in v (objects skipped unless which). */
static bool
cf_value(struct jf_scan *c, int depth, struct jf_val *v, struct cf_line *l,
    int which)
{
	const char *e = c->end;

	v->type = JF_OTHER;
	v->s.p = c->p;
	v->s.n = 0;
	if (c->p >= e)
		return false;
	switch (*c->p) {
	case '"':
		v->type = JF_STR;
		return jf_string(c, &v->s);
	case '{':
		if (which != 0)
			v->type = JF_OBJ;
		return cf_object(c, depth + 1, l, which);
	case '[':
		if (depth + 1 > JF_DEPTH)
			return false;
		c->p++;
		jf_ws(c);
		if (c->p < e && *c->p == ']') {
			c->p++;
			return true;
		}
		for (;;) {
			struct jf_val item;

			/* Caddy's header values: arrays of strings */
			if (c->p < e && *c->p == '"') {
				if (!jf_string(c, &item.s))
					return false;
			} else if (!cf_value(c, depth + 1, &item, NULL, 0))
				return false;
			jf_ws(c);
			if (c->p < e && *c->p == ',') {
				c->p++;
				jf_ws(c);
				continue;
			}
			if (c->p < e && *c->p == ']') {
				c->p++;
				return true;
			}
			return false;
		}
	case 't':
		if (e - c->p >= 4 && memcmp(c->p, "true", 4) == 0) {
			c->p += 4;
			return true;
		}
		return false;
	case 'f':
		if (e - c->p >= 5 && memcmp(c->p, "false", 5) == 0) {
			c->p += 5;
			return true;
		}
		return false;
	case 'n':
		if (e - c->p >= 4 && memcmp(c->p, "null", 4) == 0) {
			c->p += 4;
			v->type = JF_ABSENT;
			v->s.p = NULL;
			return true;
		}
		return false;
	default:
		return jf_number(c, v);
	}
}

/* The member of l a key names: of the line (which 1) or of its request
 * (which 2); NULL for the others. */
static struct jf_val *
cf_member(struct cf_line *l, int which, struct logspan k)
{
#define CF_KEY(lit, member)						\
	if (k.n == sizeof(lit) - 1 && memcmp(k.p, lit, k.n) == 0)	\
		return &l->member
	if (which == 1) {
		CF_KEY("ts", ts);
		CF_KEY("logger", logger);
		CF_KEY("status", status);
		CF_KEY("size", size);
		CF_KEY("duration", duration);
		CF_KEY("request", request);
		CF_KEY("level", level);
		CF_KEY("msg", msg);
		CF_KEY("upstream", upstream);
		CF_KEY("error", error);
	} else if (which == 2) {
		CF_KEY("client_ip", ip);
		CF_KEY("remote_ip", remote_ip);
		CF_KEY("remote_port", port);
		CF_KEY("method", method);
		CF_KEY("host", host);
		CF_KEY("uri", uri);
		CF_KEY("proto", proto);
		CF_KEY("headers", headers);
	} else if (which == 3) {
		CF_KEY("X-Forwarded-Uri", fwd_uri);
	}
#undef CF_KEY
	return NULL;
}

/*
 * An object at c->p; which 1 reads the line's members into l, 2 the
 * request's, 3 the request's headers, 0 only checks it.
 */
static bool
cf_object(struct jf_scan *c, int depth, struct cf_line *l, int which)
{
	const char *e = c->end;

	if (depth > JF_DEPTH || c->p >= e || *c->p != '{')
		return false;
	c->p++;
	jf_ws(c);
	if (c->p < e && *c->p == '}') {
		c->p++;
		return true;
	}
	for (;;) {
		struct logspan key;
		struct jf_val v, *m;
		int inner = 0;

		if (!jf_string(c, &key))
			return false;
		jf_ws(c);
		if (c->p >= e || *c->p != ':')
			return false;
		c->p++;
		jf_ws(c);
		m = cf_member(l, which, key);
		if (which == 1 && m == &l->request) {
			/* a later "request" replaces an earlier one whole */
			memset(&l->ip, 0, sizeof(*l) -
			    offsetof(struct cf_line, ip));
			if (c->p < e && *c->p == '{')
				inner = 2;
		} else if (which == 2 && m == &l->headers) {
			/* and later "headers" the earlier */
			memset(&l->fwd_uri, 0, sizeof(l->fwd_uri));
			if (c->p < e && *c->p == '{')
				inner = 3;
		}
		/* most members are strings: no call for them (as jf_flat) */
		if (c->p < e && *c->p == '"') {
			v.type = JF_STR;
			if (!jf_string(c, &v.s))
				return false;
		} else if (!cf_value(c, depth, &v, l, inner))
			return false;
		if (m != NULL)
			*m = v;
		jf_ws(c);
		if (c->p < e && *c->p == ',') {
			c->p++;
			jf_ws(c);
			continue;
		}
		if (c->p < e && *c->p == '}') {
			c->p++;
			return true;
		}
		return false;
	}
}

static bool
cf_str_or_absent(const struct jf_val *v)
{
	return v->type == JF_ABSENT || v->type == JF_STR;
}

/* The request of l as caddy_request reads it. */
static void
cf_request(const struct cf_line *l, struct caddy_request *r)
{
	memset(r, 0, sizeof(*r));
	r->ip = l->ip.s;
	if (l->ip.type != JF_STR || l->ip.s.n == 0) {
		if (l->remote_ip.type == JF_STR)
			r->ip = l->remote_ip.s;
	}
	r->port = l->port.s;
	r->method = l->method.s;
	r->host = l->host.s;
	r->uri = l->uri.s;
	r->proto = l->proto.s;
}

/* A duration member as caddy_duration_ms reads a number (or none). */
static int
cf_duration_ms(const struct jf_val *v)
{
	if (v->type == JF_ABSENT)
		return -1;
	return caddy_ms_int(v->type == JF_INT ? (double)jf_int(v) * 1000.0 :
	    jf_double(v) * 1000.0);
}

/* An "upstream roundtrip" line's values, as either reader finds them. */
struct caddy_trip {
	struct logspan up;	/* "upstream", not empty */
	struct logspan msg;	/* "msg" */
	struct logspan err;	/* "error"; n 0: none */
	int64_t status;		/* "status", or -1 */
	int duration_ms;	/* "duration", or -1 */
	int level;		/* caddy_level_name's */
	bool auth;		/* a forward_auth request (caddy_forward_auth) */
};

static enum format_result caddy_roundtrip(struct caddy_state *st,
    struct gw_batch *b, const struct caddy_request *r,
    const struct caddy_trip *t, int64_t ts, uint64_t line_no,
    uint64_t offset);
static int caddy_level_name(const struct logspan *lv);

/*
 * The reverse proxy's "upstream roundtrip" line l (its logger checked),
 * as caddy_runtime reads it: FORMAT_ERROR, FORMAT_NOTICE or FORMAT_NOMEM,
 * or FORMAT_BLANK when it is not one this pass takes. Inside the subset
 * of caddy_fast_line and: "msg" "upstream roundtrip", "upstream" a
 * non-empty string, "error" and "level" strings, "status" an integer,
 * "duration" a number (each or none), the request's members strings and
 * no X-Forwarded-Uri among its headers (forward_auth: json-c's).
 */
static enum format_result
caddy_fast_roundtrip(struct caddy_state *st, struct gw_batch *b,
    const struct cf_line *l, int64_t ts, uint64_t line_no, uint64_t offset)
{
	struct caddy_request r;
	struct caddy_trip t = { .up = l->upstream.s, .msg = l->msg.s };

	if (l->msg.type != JF_STR || !logspan_eq(l->msg.s,
	    "upstream roundtrip") || l->upstream.type != JF_STR ||
	    t.up.n == 0 || l->request.type != JF_OBJ ||
	    l->fwd_uri.type != JF_ABSENT || !cf_str_or_absent(&l->level) ||
	    !cf_str_or_absent(&l->error) ||
	    (l->status.type != JF_ABSENT && l->status.type != JF_INT) ||
	    (l->duration.type != JF_ABSENT && l->duration.type != JF_INT &&
	    l->duration.type != JF_DBL) ||
	    !cf_str_or_absent(&l->ip) || !cf_str_or_absent(&l->remote_ip) ||
	    !cf_str_or_absent(&l->port) || !cf_str_or_absent(&l->method) ||
	    !cf_str_or_absent(&l->host) || !cf_str_or_absent(&l->uri) ||
	    !cf_str_or_absent(&l->proto))
		return FORMAT_BLANK;
	cf_request(l, &r);
	if (l->error.type == JF_STR)
		t.err = l->error.s;
	t.status = l->status.type == JF_INT ? jf_int(&l->status) : -1;
	t.duration_ms = cf_duration_ms(&l->duration);
	t.level = caddy_level_name(l->level.type == JF_STR ? &l->level.s :
	    NULL);
	return caddy_roundtrip(st, b, &r, &t, ts, line_no, offset);
}

/*
 * Read an access line (or a roundtrip, caddy_fast_roundtrip) in one
 * pass: FORMAT_EVENT or FORMAT_NOMEM as caddy_access would, or
 * FORMAT_BLANK when the line is not one this pass takes (the json-c path
 * reads it).
 */
static enum format_result
caddy_fast_line(struct caddy_state *st, struct gw_batch *b,
    const char *line, size_t len, uint64_t line_no, uint64_t offset,
    const char **reason)
{
	struct cf_line l;
	struct jf_scan c;
	struct caddy_request r;
	int64_t ts;
	double d;

	while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == ' '))
		len--;
	memset(&l, 0, sizeof(l));
	c.p = line;
	c.end = line + len;
	if (!cf_object(&c, 1, &l, 1) || c.p != c.end ||
	    (l.ts.type != JF_INT && l.ts.type != JF_DBL) ||
	    l.logger.type != JF_STR)
		return FORMAT_BLANK;
	/* caddy_ts */
	d = l.ts.type == JF_INT ? (double)jf_int(&l.ts) : jf_double(&l.ts);
	if (d < 0 || d > 1e11)
		return FORMAT_BLANK;	/* the json-c path rejects it */
	ts = (int64_t)(d * 1000.0 + 0.5);
	if (logspan_eq(l.logger.s, "http.handlers.reverse_proxy"))
		return caddy_fast_roundtrip(st, b, &l, ts, line_no, offset);
	if (l.logger.s.n < 15 ||
	    memcmp(l.logger.s.p, "http.log.access", 15) != 0 ||
	    l.request.type != JF_OBJ || l.status.type != JF_INT ||
	    (l.size.type != JF_ABSENT && l.size.type != JF_INT) ||
	    (l.duration.type != JF_ABSENT && l.duration.type != JF_INT &&
	    l.duration.type != JF_DBL) ||
	    !cf_str_or_absent(&l.ip) || !cf_str_or_absent(&l.remote_ip) ||
	    !cf_str_or_absent(&l.port) || !cf_str_or_absent(&l.method) ||
	    !cf_str_or_absent(&l.host) || !cf_str_or_absent(&l.uri) ||
	    !cf_str_or_absent(&l.proto))
		return FORMAT_BLANK;
	cf_request(&l, &r);
	/* the subset's strings hold no byte below 0x20 (jsonfast.h) */
	return caddy_access_event(st, b, ts, &r, jf_int(&l.status),
	    l.size.type == JF_INT ? jf_int(&l.size) : -1,
	    cf_duration_ms(&l.duration), true, line_no, offset, reason);
}

/* Syslog-like level of Caddy's level name v (NULL: none). */
static int
caddy_level_name(const struct logspan *lv)
{
	struct logspan v;

	if (lv == NULL)
		return 6;
	v = *lv;
	if (logspan_eq(v, "debug"))
		return 7;
	if (logspan_eq(v, "info"))
		return 6;
	if (logspan_eq(v, "warn"))
		return 4;
	if (logspan_eq(v, "error"))
		return 3;
	return 2;	/* panic, fatal, dpanic */
}

/* Syslog-like level of a line's "level". */
static int
caddy_level(struct json_object *o)
{
	struct logspan v;

	return caddy_level_name(jsonlog_str(o, "level", &v) ? &v : NULL);
}

/* Fill a gateway error (syslog-like level) from a runtime line; FORMAT_*
 * result. */
static enum format_result
caddy_gateway_error(int level, struct gw_batch *b,
    const struct caddy_request *r, struct logspan upstream,
    struct logspan msg, enum gw_cause cause, int64_t ts, uint64_t line_no,
    uint64_t offset)
{
	struct gw_gateway_error *e = batch_add_error(b);
	struct gw_event tmp;
	struct arena *a = b->arena;

	if (e == NULL)
		return FORMAT_NOMEM;
	memset(e, 0, sizeof(*e));
	e->local_ms = ts;
	e->level = level;
	e->conn = -1;
	e->cause = cause;
	e->line_no = line_no;
	e->offset = offset;
	/* the request's fields, split as for an event */
	logev_init(&tmp, line_no, offset);
	if (caddy_fill_request(&tmp, r, a, false) != 0)
		return FORMAT_NOMEM;
	e->client = tmp.client;
	e->method = tmp.method;
	e->path = tmp.path;
	e->query = tmp.query;
	e->host = tmp.host;
	if ((msg.n > 0 && (e->message = logspan_dup(msg.n > 1024 ?
	    (struct logspan){ msg.p, 1024 } : msg, a)) == NULL) ||
	    (upstream.n > 0 && (e->upstream = logspan_dup(upstream, a)) ==
	    NULL))
		return FORMAT_NOMEM;
	return FORMAT_ERROR;
}

/*
 * An "upstream roundtrip" t of request r, as both readers take it
 * (caddy_runtime through json-c, caddy_fast_roundtrip): remembered for
 * the access line to come, and a gateway error when the upstream failed
 * (an error) or answered 5xx; FORMAT_NOTICE otherwise. An auth service
 * that fails is the client's auth_failure, never the route's upstream's
 * (causes.md).
 */
static enum format_result
caddy_roundtrip(struct caddy_state *st, struct gw_batch *b,
    const struct caddy_request *r, const struct caddy_trip *t, int64_t ts,
    uint64_t line_no, uint64_t offset)
{
	enum gw_cause fail5xx = t->auth ? GW_CAUSE_AUTH_FAILURE :
	    GW_CAUSE_UPSTREAM_5XX;
	enum gw_cause cause;

	if (t->err.n == 0) {
		bool is5xx = t->status >= 500 && t->status <= 599;

		caddy_remember(st, r, t->up, (int)t->status, t->duration_ms,
		    ts, is5xx ? fail5xx : GW_CAUSE_OK);
		/*
		 * The upstream itself answered 5xx: when the access log is
		 * a file of its own, this line is the only evidence of who
		 * answered, so it is kept for the store to join like a
		 * failure.
		 */
		if (!is5xx)
			return FORMAT_NOTICE;
		return caddy_gateway_error(t->level, b, r, t->up, t->msg,
		    fail5xx, ts, line_no, offset);
	}
	cause = t->auth ? GW_CAUSE_AUTH_FAILURE : caddy_error_cause(t->err);
	caddy_remember(st, r, t->up, -1, t->duration_ms, ts, cause);
	return caddy_gateway_error(t->level, b, r, t->up, t->err, cause, ts,
	    line_no, offset);
}

/* A runtime line of the reverse proxy or the error logger. */
static enum format_result
caddy_runtime(struct caddy_state *st, struct json_object *o,
    struct gw_batch *b, struct logspan logger, int64_t ts, uint64_t line_no,
    uint64_t offset)
{
	struct logspan msg = { "", 0 }, up = { "", 0 };
	struct caddy_request r;

	jsonlog_str(o, "msg", &msg);
	if (!caddy_request(o, &r))
		return FORMAT_NOTICE;
	if (logspan_eq(logger, "http.handlers.reverse_proxy") &&
	    logspan_eq(msg, "upstream roundtrip") &&
	    jsonlog_str(o, "upstream", &up) && up.n > 0) {
		struct caddy_trip t = { .up = up, .msg = msg };

		if (!jsonlog_str(o, "error", &t.err))
			t.err.n = 0;
		if (!jsonlog_int(o, "status", &t.status))
			t.status = -1;
		t.duration_ms = caddy_duration_ms(o, "duration");
		t.level = caddy_level(o);
		t.auth = caddy_forward_auth(o, &r);
		return caddy_roundtrip(st, b, &r, &t, ts, line_no, offset);
	}
	if (logger.n >= 14 && memcmp(logger.p, "http.log.error", 14) == 0 &&
	    logspan_has(msg, "no upstreams available")) {
		up.n = 0;
		return caddy_gateway_error(caddy_level(o), b, &r, up, msg,
		    GW_CAUSE_NO_LIVE_UPSTREAM, ts, line_no, offset);
	}
	return FORMAT_NOTICE;
}

/* See format.h: Caddy's JSON encoder starts every line the same way. */
static enum format_result
caddy_match(void *state, const char *line, size_t len)
{
	size_t lim = len < 48 ? len : 48;

	return (len > 12 && memcmp(line, "{\"level\":\"", 10) == 0 &&
	    memmem(line, lim, "\",\"ts\":", 7) != NULL) ? FORMAT_EVENT :
	    FORMAT_REJECT;
}

/* See format.h. */
static void *
caddy_open(const struct format_opts *o, enum format_result *why, char *err,
    size_t errlen)
{
	struct caddy_state *st = gw_calloc(1, sizeof(*st));

	if (st == NULL || (st->tok = json_tokener_new()) == NULL) {
		free(st);
		snprintf(err, errlen, "out of memory");
		*why = FORMAT_NOMEM;
		return NULL;
	}
	st->general_only = o != NULL && o->general_only;
	hashtab_init(&st->index, CADDY_PENDING);
	if (hashtab_reserve(&st->index, CADDY_PENDING) != HASHTAB_OK) {
		json_tokener_free(st->tok);
		free(st);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	return st;
}

/* See format.h. */
static void
caddy_close(void *state)
{
	struct caddy_state *st = state;

	if (st == NULL)
		return;
	json_tokener_free(st->tok);
	hashtab_free(&st->index);
	free(st);
}

/* See format.h. */
static enum format_result
caddy_take(void *state, struct gw_batch *b, const char *line, size_t len,
    uint64_t line_no, uint64_t offset, const char **reason)
{
	struct caddy_state *st = state;
	struct json_object *o;
	struct logspan logger = { "", 0 };
	enum format_result r;
	int64_t ts;

	if (!st->general_only && (r = caddy_fast_line(st, b, line, len,
	    line_no, offset, reason)) != FORMAT_BLANK) {
		st->fast_count++;
		return r;
	}
	if ((o = jsonlog_parse(st->tok, line, len)) == NULL) {
		*reason = "not a JSON object";
		return FORMAT_REJECT;
	}
	if (!caddy_ts(o, &ts)) {
		json_object_put(o);
		*reason = "Caddy line without a time (ts)";
		return FORMAT_REJECT;
	}
	jsonlog_str(o, "logger", &logger);
	if (logger.n >= 15 && memcmp(logger.p, "http.log.access", 15) == 0)
		r = caddy_access(st, o, b, ts, line_no, offset, reason);
	else
		r = caddy_runtime(st, o, b, logger, ts, line_no, offset);
	json_object_put(o);
	return r;
}

/* See format.h. */
static size_t
caddy_fast_count(void *state)
{
	return ((struct caddy_state *)state)->fast_count;
}

const struct line_format caddy_format = {
	.name = "caddy",
	.kind = "caddy",
	.match = caddy_match,
	.open = caddy_open,
	.close = caddy_close,
	.take = caddy_take,
	.fast_count = caddy_fast_count,
	.line_withholds = jsonlog_line_credentials,
};
