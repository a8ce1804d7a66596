/*
 * envoy.c - Envoy access logs: the default text format and JSON.
 *
 * Default format (both the short form of older releases and the current
 * one, which adds the code details, connection termination details and the
 * upstream transport failure reason after the flags, and six unquoted
 * fields after the upstream host):
 *
 *   [%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%
 *   %PROTOCOL%" %RESPONSE_CODE% %RESPONSE_FLAGS% [%RESPONSE_CODE_DETAILS%
 *   %CONNECTION_TERMINATION_DETAILS% "%UPSTREAM_TRANSPORT_FAILURE_REASON%"]
 *   %BYTES_RECEIVED% %BYTES_SENT% %DURATION%
 *   %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%"
 *   "%REQ(USER-AGENT)%" "%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%"
 *   "%UPSTREAM_HOST%" [%UPSTREAM_CLUSTER% %UPSTREAM_LOCAL_ADDRESS%
 *   %DOWNSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_REMOTE_ADDRESS%
 *   %REQUESTED_SERVER_NAME% %ROUTE_NAME%]
 *
 * The two are told apart by the token after the flags: a number is
 * %BYTES_RECEIVED% of the short form. JSON logs use the command operators'
 * names in snake case as keys ("response_flags", "upstream_host", ... as in
 * Envoy's and Istio's documented json_format examples).
 *
 * The cause comes from %RESPONSE_FLAGS% per shared/causes.md, refined by
 * %RESPONSE_CODE_DETAILS% and the transport failure reason where the table
 * says so (connect timeout vs refused, reset vs clean close, and a reset
 * after the response started = truncated). URX (retry limit exceeded) only
 * says the last attempt's cause stands. A 5xx without any flag is the
 * upstream's own answer. %UPSTREAM_HOST% is the attempt's address; when no
 * host was chosen (UH, UO) the cluster stands in for it, as nginx's group.
 * ext_authz answers (UAEX: the auth service failed or denied) are
 * auth_failure and never an attempt of the route's cluster; Envoy's
 * access log does not name the auth service.
 *
 * JSON lines are read in one pass without json-c (parse/jsonfast.h) when
 * they allow, json-c reading the rest.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "parse/format.h"
#include "parse/jsonlog.h"
#include "parse/logscan.h"

/* The fields of one access-log entry, as spans; n = 0 when absent. */
struct envoy_line {
	struct logspan start, method, path, protocol, flags, details,
	    transport, xff, user_agent, request_id, authority, upstream,
	    cluster, remote;
	int64_t code, bytes_sent, duration, upstream_time, attempt_count;
};

/* Envoy's "-" (and JSON null, already absent) as "no value". */
static struct logspan
envoy_opt(struct logspan v)
{
	if (logspan_is_dash(v))
		v.n = 0;
	return v;
}

/* A number or "-" (-1). */
static bool
envoy_num(struct logspan v, int64_t *out)
{
	if (logspan_is_dash(v)) {
		*out = -1;
		return true;
	}
	return logspan_int(v, out);
}

/* Does the comma list of flags hold flag? */
static bool
envoy_flag(struct logspan flags, const char *flag)
{
	size_t n = strlen(flag);
	const char *p = flags.p, *end = flags.p + flags.n;

	while (p < end) {
		const char *c = memchr(p, ',', (size_t)(end - p));
		size_t len = (size_t)((c != NULL ? c : end) - p);

		if (len == n && memcmp(p, flag, n) == 0)
			return true;
		p = c != NULL ? c + 1 : end;
	}
	return false;
}

/* The cause of UF from the details and the transport failure reason. */
static enum gw_cause
envoy_connect_cause(const struct envoy_line *l)
{
	struct logspan d = l->details, t = l->transport;

	if (logspan_has(d, "timeout") || logspan_has(t, "timeout") ||
	    logspan_has(t, "Timeout"))
		return GW_CAUSE_UPSTREAM_CONNECT_TIMEOUT;
	if (logspan_has(t, "TLS") || logspan_has(t, "tls") ||
	    logspan_has(t, "CERTIFICATE") || logspan_has(d, "tls"))
		return GW_CAUSE_TLS_FAILURE;
	if (logspan_has(d, "No_route_to_host") ||
	    logspan_has(d, "Network_is_unreachable") ||
	    logspan_has(t, "No route to host") ||
	    logspan_has(t, "Network is unreachable"))
		return GW_CAUSE_UPSTREAM_UNREACHABLE;
	return GW_CAUSE_UPSTREAM_REFUSED;
}

/* The cause of UC / UR from the details. */
static enum gw_cause
envoy_reset_cause(const struct envoy_line *l, bool remote_reset)
{
	struct logspan d = l->details;

	if (logspan_has(d, "upstream_reset_after_response_started"))
		return GW_CAUSE_UPSTREAM_TRUNCATED;
	if (logspan_has(d, "remote_reset") ||
	    logspan_has(d, "remote_refused_stream_reset"))
		return GW_CAUSE_UPSTREAM_RESET;
	if (logspan_has(d, "connection_termination"))
		return GW_CAUSE_UPSTREAM_CLOSED_EARLY;
	return remote_reset ? GW_CAUSE_UPSTREAM_RESET :
	    GW_CAUSE_UPSTREAM_CLOSED_EARLY;
}

/* The request's cause per the Envoy table of shared/causes.md. */
static enum gw_cause
envoy_cause(const struct envoy_line *l)
{
	struct logspan f = l->flags;

	if (f.n > 0) {
		if (envoy_flag(f, "UF"))
			return envoy_connect_cause(l);
		if (envoy_flag(f, "UH") || envoy_flag(f, "LH"))
			return GW_CAUSE_NO_LIVE_UPSTREAM;
		if (envoy_flag(f, "UO"))
			return GW_CAUSE_UPSTREAM_OVERLOADED;
		if (envoy_flag(f, "UT"))
			return GW_CAUSE_UPSTREAM_READ_TIMEOUT;
		if (envoy_flag(f, "UR"))
			return envoy_reset_cause(l, true);
		if (envoy_flag(f, "UC"))
			return envoy_reset_cause(l, false);
		if (envoy_flag(f, "DF"))
			return GW_CAUSE_DNS_FAILURE;
		if (envoy_flag(f, "UPE"))
			return GW_CAUSE_UPSTREAM_INVALID_RESPONSE;
		if (envoy_flag(f, "NR") || envoy_flag(f, "NC"))
			return GW_CAUSE_NO_ROUTE;
		if (envoy_flag(f, "RL") || envoy_flag(f, "RLSE"))
			return GW_CAUSE_RATE_LIMITED;
		if (envoy_flag(f, "UAEX"))
			return GW_CAUSE_AUTH_FAILURE;
		if (envoy_flag(f, "DC"))
			return GW_CAUSE_CLIENT_CLOSED;
		if (envoy_flag(f, "DPE") || envoy_flag(f, "SI"))
			return GW_CAUSE_GATEWAY_INTERNAL;
	}
	if (l->code >= 500 && l->code <= 599) {
		/* no flag: the upstream's own answer, when one answered */
		if (l->upstream.n > 0 && (l->details.n == 0 ||
		    logspan_eq(l->details, "via_upstream")))
			return GW_CAUSE_UPSTREAM_5XX;
		return GW_CAUSE_UNKNOWN;
	}
	if (logspan_has(l->details, "upstream_reset_after_response_started"))
		return GW_CAUSE_UPSTREAM_TRUNCATED;
	return GW_CAUSE_OK;
}

/* Is c a cause of the gateway alone (no upstream attempt failed)? */
static bool
envoy_gateway_only(enum gw_cause c)
{
	return c == GW_CAUSE_NO_ROUTE || c == GW_CAUSE_RATE_LIMITED ||
	    c == GW_CAUSE_AUTH_FAILURE || c == GW_CAUSE_GATEWAY_INTERNAL ||
	    c == GW_CAUSE_DNS_FAILURE;
}

/* Turn l into an event of b; a FORMAT_* result. */
static enum format_result
envoy_fill(const struct envoy_line *l, struct gw_batch *b, uint64_t line_no,
    uint64_t offset, const char **reason)
{
	struct arena *a = b->arena;
	struct gw_event *ev;
	struct logspan host, port, client = { NULL, 0 };
	int64_t ms;
	struct timeparse t;
	int n = 0, extra = 0;

	/* START_TIME is UTC; a stamp without a zone is read as UTC */
	if (!logspan_iso_time(l->start, &t)) {
		*reason = "bad Envoy start time";
		return FORMAT_REJECT;
	}
	ms = t.ms;
	if ((ev = batch_add_event(b)) == NULL)
		return FORMAT_NOMEM;
	logev_init(ev, line_no, offset);
	ev->tz_min = 0;
	ev->tz_known = true;
	ev->ts_ms = ms + (l->duration > 0 ? l->duration : 0);
	ev->request_ms = logscan_ms(l->duration);
	ev->status = (int)l->code;
	ev->bytes = l->bytes_sent;
	/* the client: the downstream peer, else the first X-Forwarded-For */
	if (l->remote.n > 0) {
		client = l->remote;
		if (logspan_split_port(client, &host, &port))
			client = host;
	} else if (l->xff.n > 0) {
		const char *c = memchr(l->xff.p, ',', l->xff.n);

		client.p = l->xff.p;
		client.n = c != NULL ? (size_t)(c - l->xff.p) : l->xff.n;
	}
	if ((client.n > 0 && (ev->client = logspan_dup(client, a)) == NULL) ||
	    (l->method.n > 0 && (ev->method = logspan_dup(l->method, a)) ==
	    NULL) ||
	    (l->protocol.n > 0 && (ev->protocol = logspan_dup(l->protocol,
	    a)) == NULL) ||
	    (l->authority.n > 0 && (ev->host = logspan_dup(l->authority, a)) ==
	    NULL) ||
	    (l->request_id.n > 0 && (ev->request_id = logspan_dup(l->request_id,
	    a)) == NULL))
		return FORMAT_NOMEM;
	if (l->path.n > 0 && logreq_target(ev, l->path, a) != 0)
		return FORMAT_NOMEM;
	ev->cause = envoy_cause(l);

	/* the short format's documented example writes "tcp://10.0.2.1:80" */
	struct logspan up = logspan_url_hostport(l->upstream);

	if (up.n > 0) {
		n = 1;
		if (l->attempt_count > 1)
			extra = l->attempt_count - 1 > GW_ATTEMPTS_MAX - 1 ?
			    GW_ATTEMPTS_MAX - 1 : (int)l->attempt_count - 1;
	} else if (l->cluster.n > 0 &&
	    (ev->cause == GW_CAUSE_NO_LIVE_UPSTREAM ||
	    ev->cause == GW_CAUSE_UPSTREAM_OVERLOADED))
		n = 1;
	if (n > 0) {
		struct gw_attempt *at = logev_attempts(a, n + extra);
		struct gw_attempt *last;
		const char *group = NULL;

		if (at == NULL)
			return FORMAT_NOMEM;
		last = &at[extra];
		last->addr = logspan_dup(up.n > 0 ? up : l->cluster, a);
		if (last->addr == NULL)
			return FORMAT_NOMEM;
		if (extra > 0) {
			group = l->cluster.n > 0 ? logspan_dup(l->cluster, a) :
			    NULL;
			if (l->cluster.n > 0 && group == NULL)
				return FORMAT_NOMEM;
			for (int i = 0; i < extra; i++) {
				at[i].addr = group;
				at[i].cause = GW_CAUSE_UNKNOWN;
			}
		}
		last->status = (int)l->code > 0 ? (int)l->code : -1;
		last->header_ms = logscan_ms(l->upstream_time);
		last->cause = envoy_gateway_only(ev->cause) ? GW_CAUSE_OK :
		    ev->cause;
		ev->attempts = at;
		ev->n_attempts = n + extra;
	}
	return FORMAT_EVENT;
}

/*
 * Reading the default text format when fields may hold quotes.
 *
 * Envoy writes the text format without escaping: a User-Agent (or
 * X-Forwarded-For, request id, :authority, even a path) that holds
 * `" "` adds quotes that a left-to-right scan would take for field ends,
 * shifting every field after it - a client could then write the status,
 * flags or upstream host of its own line. So the line is read by its
 * quote count instead:
 *
 *   - the fields Envoy writes itself are anchored: the start time and
 *     the request's opening quote from the front; the trailing unquoted
 *     fields (after the last quote) and "%UPSTREAM_HOST%" (an address,
 *     checked) from the end, then "%REQ(:AUTHORITY)%" and
 *     "%REQ(X-REQUEST-ID)%" back from it;
 *   - the request's closing quote is every quote in turn: each that
 *     yields the fixed fields (status, flags, byte counts, durations: no
 *     quotes in them) followed by "X-Forwarded-For" is a reading;
 *   - whatever extra quotes remain belong to the User-Agent.
 *
 * A line with exactly one reading is taken; none is not an Envoy line;
 * more than one (a field forging the fixed fields) is rejected as
 * ambiguous, and so is a line whose extra quotes leave an
 * X-Forwarded-For that is not a list of addresses. Backslashes are not
 * escapes here: Envoy writes them as they came.
 */
#define ENVOY_QUOTES_MAX	64

static const char envoy_ambiguous[] = "ambiguous Envoy text line: a quote "
    "inside a field (User-Agent, X-Forwarded-For, request id, path) leaves "
    "more than one reading; log with envoy-json";

/* Does v hold only bytes of addresses, ports and URL schemes ("-" too)? */
static bool
envoy_addr_like(struct logspan v, bool list)
{
	for (size_t i = 0; i < v.n; i++) {
		unsigned char c = (unsigned char)v.p[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		    (c >= 'A' && c <= 'Z') || c == '.' || c == ':' ||
		    c == '-' || c == '_' || c == '[' || c == ']' || c == '/' ||
		    c == '%' || (list && (c == ',' || c == ' '))))
			return false;
	}
	return true;
}

/* A token with no quote in it. */
static bool
envoy_token(struct logscan *s, struct logspan *out)
{
	return logscan_token(s, out) && memchr(out->p, '"', out->n) == NULL;
}

/*
 * The fixed fields after the request, from p (just after its closing
 * quote) up to the opening quote of X-Forwarded-For (*xff_open). Envoy
 * writes them all; none may hold a quote but the transport failure
 * reason's own two.
 */
static bool
envoy_fixed(const char *p, const char *end, struct envoy_line *l,
    const char **xff_open)
{
	struct logscan s;
	struct logspan tok;
	const char *q;

	logscan_init(&s, p, (size_t)(end - p));
	if (!logscan_char(&s, ' ') || !envoy_token(&s, &tok) ||
	    !logspan_int(tok, &l->code) || !logscan_char(&s, ' ') ||
	    !envoy_token(&s, &l->flags) || !logscan_char(&s, ' ') ||
	    !envoy_token(&s, &tok))
		return false;
	l->flags = envoy_opt(l->flags);
	l->details = l->transport = (struct logspan){ NULL, 0 };
	if (!logspan_int(tok, &l->bytes_sent)) {
		/* current default: details, termination details, "reason" */
		l->details = envoy_opt(tok);
		if (!logscan_char(&s, ' ') || !envoy_token(&s, &tok) ||
		    !logscan_char(&s, ' ') || s.p >= s.end || *s.p != '"' ||
		    (q = memchr(s.p + 1, '"', (size_t)(s.end - s.p - 1))) ==
		    NULL)
			return false;
		l->transport.p = s.p + 1;
		l->transport.n = (size_t)(q - s.p - 1);
		l->transport = envoy_opt(l->transport);
		s.p = q + 1;
		if (!logscan_char(&s, ' ') || !envoy_token(&s, &tok) ||
		    !logspan_int(tok, &l->bytes_sent))
			return false;
	}
	/* that was %BYTES_RECEIVED%; then sent, duration, service time */
	if (!logscan_char(&s, ' ') || !envoy_token(&s, &tok) ||
	    !logspan_int(tok, &l->bytes_sent) || !logscan_char(&s, ' ') ||
	    !envoy_token(&s, &tok) || !envoy_num(tok, &l->duration) ||
	    !logscan_char(&s, ' ') || !envoy_token(&s, &tok) ||
	    !envoy_num(tok, &l->upstream_time) || !logscan_char(&s, ' ') ||
	    s.p >= s.end || *s.p != '"')
		return false;
	*xff_open = s.p;
	return true;
}

/* The span between quotes q[i] and q[j]. */
static struct logspan
envoy_between(const char *const *q, int i, int j)
{
	struct logspan v = { q[i] + 1, (size_t)(q[j] - q[i] - 1) };

	return v;
}

/* Do quotes q[i] and q[i + 1] read `" "`: one field's end, the next's
 * start? */
static bool
envoy_sep(const char *const *q, int i)
{
	return q[i + 1] == q[i] + 2 && q[i][1] == ' ';
}

/*
 * Split a default-format line into l. Returns 1, 0 when it is not one,
 * -1 when it is one but ambiguous (*reason set).
 */
static int
envoy_split(const char *line, size_t len, struct envoy_line *l,
    const char **reason)
{
	const char *q[ENVOY_QUOTES_MAX], *end;
	struct logscan s, r;
	struct logspan rs, tok, req = { NULL, 0 };
	struct envoy_line fixed;
	int nq = 0, readings = 0, k = -1;

	memset(l, 0, sizeof(*l));
	l->attempt_count = -1;
	while (len > 0 && line[len - 1] == '\r')
		len--;
	end = line + len;
	logscan_init(&s, line, len);
	if (!logscan_char(&s, '[') || !logscan_until(&s, ']', &l->start) ||
	    l->start.n < 20 || l->start.p[4] != '-' ||
	    !logscan_lit(&s, "] ", 2) || s.p >= s.end || *s.p != '"')
		return 0;
	for (const char *p = s.p; p < end &&
	    (p = memchr(p, '"', (size_t)(end - p))) != NULL; p++) {
		if (nq == ENVOY_QUOTES_MAX) {
			*reason = envoy_ambiguous;
			return -1;
		}
		q[nq++] = p;
	}
	/* request 2, [reason 2], five quoted fields 10 */
	if (nq < 12)
		return 0;
	/* from the end: trailing tokens, "upstream", "authority", "id" */
	const char *tail = q[nq - 1] + 1;
	if ((tail < end && *tail != ' ') || !envoy_sep(q, nq - 3) ||
	    !envoy_sep(q, nq - 5) || !envoy_sep(q, nq - 7) ||
	    q[nq - 2][-1] != ' ')
		return 0;
	l->upstream = envoy_opt(envoy_between(q, nq - 2, nq - 1));
	l->authority = envoy_opt(envoy_between(q, nq - 4, nq - 3));
	l->request_id = envoy_opt(envoy_between(q, nq - 6, nq - 5));
	if (!envoy_addr_like(l->upstream, false))
		return 0;
	/* from the front: each quote as the request's end */
	for (int c = 1; c < nq - 7; c++) {
		struct envoy_line t = *l;
		const char *xo;
		int kk;

		if (!envoy_fixed(q[c] + 1, end, &t, &xo))
			continue;
		for (kk = c + 1; kk < nq && q[kk] != xo; kk++)
			;
		/* X-Forwarded-For, then the User-Agent's opening quote */
		if (kk + 2 > nq - 7 - 1 || !envoy_sep(q, kk + 1))
			continue;
		if (++readings > 1) {
			*reason = envoy_ambiguous;
			return -1;
		}
		fixed = t;
		req = envoy_between(q, 0, c);
		k = kk;
	}
	if (readings == 0)
		return 0;
	*l = fixed;
	l->xff = envoy_opt(envoy_between(q, k, k + 1));
	l->user_agent = envoy_opt(envoy_between(q, k + 2, nq - 7));
	/* extra quotes went to the User-Agent: X-Forwarded-For must be what
	 * it says, or the split between the two is a guess */
	if (nq - 7 - (k + 2) > 1 && !envoy_addr_like(l->xff, true)) {
		*reason = envoy_ambiguous;
		return -1;
	}
	/* optional: cluster, upstream local, downstream local, remote, ... */
	logscan_init(&s, tail, (size_t)(end - tail));
	if (logscan_char(&s, ' ') && logscan_token(&s, &tok)) {
		l->cluster = envoy_opt(tok);
		for (int i = 0; i < 3; i++)
			if (!logscan_char(&s, ' ') || !logscan_token(&s, &tok))
				break;
			else if (i == 2)
				l->remote = envoy_opt(tok);
	}
	/* the request: "METHOD PATH PROTOCOL", each possibly "-" */
	logscan_init(&r, req.p, req.n);
	if (!logscan_token(&r, &l->method) || !logscan_char(&r, ' ') ||
	    !logscan_token(&r, &l->path) || !logscan_char(&r, ' ') ||
	    !logscan_token(&r, &rs) || !logscan_eol(&r))
		return 0;
	l->method = envoy_opt(l->method);
	l->path = envoy_opt(l->path);
	l->protocol = envoy_opt(rs);
	return 1;
}

/* See format.h. */
static enum format_result
envoy_match(void *state, const char *line, size_t len)
{
	struct envoy_line l;
	const char *reason = NULL;

	return (envoy_split(line, len, &l, &reason) == 1) ? FORMAT_EVENT :
	    FORMAT_REJECT;
}

/* See format.h. */
static enum format_result
envoy_take(void *state, struct gw_batch *b, const char *line, size_t len,
    uint64_t line_no, uint64_t offset, const char **reason)
{
	struct envoy_line l;
	int rc = envoy_split(line, len, &l, reason);

	if (rc < 0)
		return FORMAT_REJECT;
	if (rc == 0) {
		*reason = "not an Envoy default-format access log line";
		return FORMAT_REJECT;
	}
	return envoy_fill(&l, b, line_no, offset, reason);
}

const struct line_format envoy_format = {
	.name = "envoy",
	.kind = "envoy_access",
	.match = envoy_match,
	.take = envoy_take,
};

/* --- JSON ---------------------------------------------------------------- */

/* See format.h: a JSON object with Envoy's response_flags key. */
static enum format_result
envoy_json_match(void *state, const char *line, size_t len)
{
	return (len > 2 && line[0] == '{' &&
	    memmem(line, len, "\"response_flags\"", 16) != NULL &&
	    memmem(line, len, "\"response_code\"", 15) != NULL) ? FORMAT_EVENT :
	    FORMAT_REJECT;
}

/*
 * The members read, by index. Envoy's own examples and Istio name the
 * command operators in snake case; Envoy Gateway's default JSON format
 * names some after the header they print ("x-envoy-origin-path",
 * ":authority", "user-agent", "x-request-id", "x-forwarded-for",
 * "x-envoy-upstream-service-time"): those stand in when the snake-case
 * member is absent (or "-").
 */
enum {
	EJ_START, EJ_METHOD, EJ_PATH, EJ_PROTOCOL, EJ_FLAGS, EJ_DETAILS,
	EJ_TRANSPORT, EJ_XFF, EJ_UA, EJ_ID, EJ_AUTHORITY, EJ_UPSTREAM,
	EJ_CLUSTER, EJ_REMOTE, EJ_CODE, EJ_BYTES_SENT, EJ_DURATION,
	EJ_UPSTREAM_TIME, EJ_ATTEMPTS,
	EJ_GW_PATH, EJ_GW_AUTHORITY, EJ_GW_UA, EJ_GW_ID, EJ_GW_XFF,
	EJ_GW_UPSTREAM_TIME,
	EJ_N
};

static const char *const envoy_json_keys[EJ_N] = {
	[EJ_START] = "start_time", [EJ_METHOD] = "method", [EJ_PATH] = "path",
	[EJ_PROTOCOL] = "protocol", [EJ_FLAGS] = "response_flags",
	[EJ_DETAILS] = "response_code_details",
	[EJ_TRANSPORT] = "upstream_transport_failure_reason",
	[EJ_XFF] = "x_forwarded_for", [EJ_UA] = "user_agent",
	[EJ_ID] = "request_id", [EJ_AUTHORITY] = "authority",
	[EJ_UPSTREAM] = "upstream_host", [EJ_CLUSTER] = "upstream_cluster",
	[EJ_REMOTE] = "downstream_remote_address",
	[EJ_CODE] = "response_code", [EJ_BYTES_SENT] = "bytes_sent",
	[EJ_DURATION] = "duration",
	[EJ_UPSTREAM_TIME] = "upstream_service_time",
	[EJ_ATTEMPTS] = "upstream_request_attempt_count",
	[EJ_GW_PATH] = "x-envoy-origin-path", [EJ_GW_AUTHORITY] = ":authority",
	[EJ_GW_UA] = "user-agent", [EJ_GW_ID] = "x-request-id",
	[EJ_GW_XFF] = "x-forwarded-for",
	[EJ_GW_UPSTREAM_TIME] = "x-envoy-upstream-service-time",
};

/* Per-input state of the JSON form. */
struct envoy_json_state {
	struct json_tokener *tok;
	struct jf_keys keys;
	bool general_only;	/* tests: json-c for every line */
	size_t fast_count;	/* lines the one-pass read took */
};

/* See format.h: a json-c tokener reused for every line of the input. */
static void *
envoy_json_open(const struct format_opts *o, enum format_result *why,
    char *err, size_t errlen)
{
	struct envoy_json_state *st = gw_calloc(1, sizeof(*st));

	if (st == NULL || (st->tok = json_tokener_new()) == NULL) {
		free(st);
		snprintf(err, errlen, "out of memory");
		*why = FORMAT_NOMEM;
		return NULL;
	}
	jf_keys_init(&st->keys, envoy_json_keys, EJ_N);
	st->general_only = o != NULL && o->general_only;
	return st;
}

/* See format.h. */
static void
envoy_json_close(void *state)
{
	struct envoy_json_state *st = state;

	if (st == NULL)
		return;
	json_tokener_free(st->tok);
	free(st);
}

/*
 * Member i (or, when it is absent or "-", member alt unless -1) as a
 * span, "-" and absent as empty. False when a one-pass read cannot say.
 */
static bool
envoy_json_str(const struct jsonlog_src *s, int i, int alt,
    struct logspan *out)
{
	if (!jsonlog_src_str(s, (size_t)i, out))
		return false;
	*out = envoy_opt(*out);
	if (out->n == 0 && alt >= 0) {
		if (!jsonlog_src_str(s, (size_t)alt, out))
			return false;
		*out = envoy_opt(*out);
	}
	return true;
}

/*
 * Read the members into l: 1, 0 when the line is not an Envoy access
 * line (*reason set), -1 when a one-pass read cannot say.
 */
static int
envoy_json_read(const struct jsonlog_src *s, struct envoy_line *l,
    const char **reason)
{
	memset(l, 0, sizeof(*l));
	if (!envoy_json_str(s, EJ_START, -1, &l->start) ||
	    !envoy_json_str(s, EJ_METHOD, -1, &l->method) ||
	    !envoy_json_str(s, EJ_PATH, EJ_GW_PATH, &l->path) ||
	    !envoy_json_str(s, EJ_PROTOCOL, -1, &l->protocol) ||
	    !envoy_json_str(s, EJ_FLAGS, -1, &l->flags) ||
	    !envoy_json_str(s, EJ_DETAILS, -1, &l->details) ||
	    !envoy_json_str(s, EJ_TRANSPORT, -1, &l->transport) ||
	    !envoy_json_str(s, EJ_XFF, EJ_GW_XFF, &l->xff) ||
	    !envoy_json_str(s, EJ_UA, EJ_GW_UA, &l->user_agent) ||
	    !envoy_json_str(s, EJ_ID, EJ_GW_ID, &l->request_id) ||
	    !envoy_json_str(s, EJ_AUTHORITY, EJ_GW_AUTHORITY, &l->authority) ||
	    !envoy_json_str(s, EJ_UPSTREAM, -1, &l->upstream) ||
	    !envoy_json_str(s, EJ_CLUSTER, -1, &l->cluster) ||
	    !envoy_json_str(s, EJ_REMOTE, -1, &l->remote))
		return -1;
	/* the event keeps an int: 2^32 + 500 must not pass for a 500 */
	if (!jsonlog_src_int(s, EJ_CODE, &l->code) || l->code < 0 ||
	    l->code > 999 || l->start.n == 0) {
		*reason = "Envoy JSON without start_time or response_code "
		    "(0-999)";
		return 0;
	}
	if (!jsonlog_src_int(s, EJ_BYTES_SENT, &l->bytes_sent))
		l->bytes_sent = -1;
	if (!jsonlog_src_int(s, EJ_DURATION, &l->duration))
		l->duration = -1;
	if (!jsonlog_src_int(s, EJ_UPSTREAM_TIME, &l->upstream_time) &&
	    !jsonlog_src_int(s, EJ_GW_UPSTREAM_TIME, &l->upstream_time))
		l->upstream_time = -1;
	if (!jsonlog_src_int(s, EJ_ATTEMPTS, &l->attempt_count))
		l->attempt_count = -1;
	return 1;
}

/* See format.h: the one-pass read first, json-c for what it leaves. */
static enum format_result
envoy_json_take(void *state, struct gw_batch *b, const char *line,
    size_t len, uint64_t line_no, uint64_t offset, const char **reason)
{
	struct envoy_json_state *st = state;
	struct jf_val vals[EJ_N];
	struct jsonlog_src src = { NULL, &st->keys, vals };
	struct envoy_line l;
	enum format_result r;
	int rc;

	if (!st->general_only && jf_flat(&st->keys, line, len, vals) &&
	    (rc = envoy_json_read(&src, &l, reason)) >= 0) {
		st->fast_count++;
		return rc == 0 ? FORMAT_REJECT :
		    envoy_fill(&l, b, line_no, offset, reason);
	}
	if ((src.o = jsonlog_parse(st->tok, line, len)) == NULL) {
		*reason = "not a JSON object";
		return FORMAT_REJECT;
	}
	rc = envoy_json_read(&src, &l, reason);
	r = rc > 0 ? envoy_fill(&l, b, line_no, offset, reason) :
	    FORMAT_REJECT;
	json_object_put(src.o);
	return r;
}

/* See format.h. */
static size_t
envoy_json_fast_count(void *state)
{
	return ((struct envoy_json_state *)state)->fast_count;
}

const struct line_format envoy_json_format = {
	.name = "envoy-json",
	.kind = "envoy_access",
	.match = envoy_json_match,
	.open = envoy_json_open,
	.close = envoy_json_close,
	.take = envoy_json_take,
	.fast_count = envoy_json_fast_count,
	.line_withholds = jsonlog_line_credentials,
};
