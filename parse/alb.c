/*
 * alb.c - AWS Application Load Balancer access logs (as S3 delivers them,
 * one file per 5 minutes, usually .log.gz: the reader unpacks it).
 *
 *   type time elb client:port target:port request_processing_time
 *   target_processing_time response_processing_time elb_status_code
 *   target_status_code received_bytes sent_bytes "request" "user_agent"
 *   ssl_cipher ssl_protocol target_group_arn "trace_id" "domain_name"
 *   "chosen_cert_arn" matched_rule_priority request_creation_time
 *   "actions_executed" "redirect_url" "error_reason" [more fields]
 *
 * AWS only ever appends fields, so anything after error_reason is
 * accepted and ignored. `time` is when the response was sent (UTC),
 * request_creation_time when the request came in.
 *
 * Causes per shared/causes.md: a target_status_code means the target
 * answered (equal 5xx = upstream_5xx); a 5xx with target status "-" was made
 * by the load balancer: 502 unknown (the log cannot split its connection
 * failures), 503 no_live_upstream, 500 gateway_internal, 504 a connect
 * timeout when the request took the 10 s connect timeout, else a read
 * (idle) timeout; 460 client_closed, 561 auth_failure. error_reason, set
 * for Lambda targets and authentication actions, decides first when set.
 */
#include <string.h>

#include "parse/format.h"
#include "parse/logscan.h"

/* ALB's connect timeout: a 504 that took about this long timed out there. */
#define ALB_CONNECT_TIMEOUT_MS	10000
#define ALB_CONNECT_SLACK_MS	1000

/* The fields of one line, as spans. */
struct alb_line {
	struct logspan type, time, client, target, request, user_agent,
	    created, error_reason;
	int64_t t_req, t_target, t_resp;	/* ms, -1 = "-1" */
	int64_t elb_status, target_status;	/* -1 = "-" */
	int64_t sent;
};

/* Is v one of the documented request types? */
static bool
alb_type(struct logspan v)
{
	static const char *const types[] = { "http", "https", "h2", "grpcs",
	    "ws", "wss", NULL };

	for (size_t i = 0; types[i] != NULL; i++)
		if (logspan_eq(v, types[i]))
			return true;
	return false;
}

/* A status, or "-" as -1. */
static bool
alb_status(struct logspan v, int64_t *out)
{
	if (logspan_is_dash(v)) {
		*out = -1;
		return true;
	}
	return v.n == 3 && logspan_int(v, out);
}

/* A processing time in seconds, "-1" kept as -1. */
static bool
alb_seconds(struct logspan v, int64_t *out)
{
	if (logspan_eq(v, "-1")) {
		*out = -1;
		return true;
	}
	return logspan_sec_ms(v, out) && *out >= 0;
}

/* The next field: quoted when it starts with a quote. */
static bool
alb_field(struct logscan *s, struct logspan *out)
{
	if (!logscan_char(s, ' '))
		return false;
	if (!logscan_eol(s) && *s->p == '"')
		return logscan_quoted(s, out);
	return logscan_token(s, out);
}

/* Split a line; false when it is not an ALB access-log line. */
static bool
alb_split(const char *line, size_t len, struct alb_line *l)
{
	struct logscan s;
	struct logspan tok, skip;
	int64_t v;

	while (len > 0 && line[len - 1] == '\r')
		len--;
	logscan_init(&s, line, len);
	if (!logscan_token(&s, &l->type) || !alb_type(l->type) ||
	    !alb_field(&s, &l->time) || l->time.n < 20 ||
	    l->time.p[l->time.n - 1] != 'Z' || !alb_field(&s, &skip) ||
	    !alb_field(&s, &l->client) || !alb_field(&s, &l->target) ||
	    !alb_field(&s, &tok) || !alb_seconds(tok, &l->t_req) ||
	    !alb_field(&s, &tok) || !alb_seconds(tok, &l->t_target) ||
	    !alb_field(&s, &tok) || !alb_seconds(tok, &l->t_resp) ||
	    !alb_field(&s, &tok) || !alb_status(tok, &l->elb_status) ||
	    !alb_field(&s, &tok) || !alb_status(tok, &l->target_status) ||
	    !alb_field(&s, &tok) || !logspan_int(tok, &v) ||
	    !alb_field(&s, &tok) || !logspan_int(tok, &l->sent) ||
	    !alb_field(&s, &l->request) || !alb_field(&s, &l->user_agent))
		return false;
	/* ssl_cipher .. matched_rule_priority: 7 fields */
	for (int i = 0; i < 7; i++)
		if (!alb_field(&s, &skip))
			return false;
	l->created.n = 0;
	l->error_reason.n = 0;
	/* request_creation_time, actions, redirect, error_reason: newer */
	if (!alb_field(&s, &l->created))
		return logscan_eol(&s);
	if (!alb_field(&s, &skip) || !alb_field(&s, &skip) ||
	    !alb_field(&s, &l->error_reason))
		return true;
	if (logspan_is_dash(l->error_reason))
		l->error_reason.n = 0;
	return true;
}

/* See format.h. */
static enum format_result
alb_match(void *state, const char *line, size_t len)
{
	struct alb_line l;

	return alb_split(line, len, &l) ? FORMAT_EVENT : FORMAT_REJECT;
}

/* The cause an error_reason states, or GW_CAUSE_OK when it states none. */
static enum gw_cause
alb_reason_cause(struct logspan r)
{
	if (r.n == 0)
		return GW_CAUSE_OK;
	if (r.n > 4 && memcmp(r.p, "Auth", 4) == 0)
		return GW_CAUSE_AUTH_FAILURE;
	if (logspan_eq(r, "LambdaInvalidResponse") ||
	    logspan_eq(r, "LambdaResponseTooLarge"))
		return GW_CAUSE_UPSTREAM_INVALID_RESPONSE;
	if (logspan_eq(r, "LambdaUnhandled"))
		return GW_CAUSE_UPSTREAM_5XX;
	if (logspan_eq(r, "LambdaThrottling") ||
	    logspan_eq(r, "LambdaEC2ThrottledException"))
		return GW_CAUSE_UPSTREAM_OVERLOADED;
	return GW_CAUSE_OK;
}

/* The request's cause per the ALB table of shared/causes.md. */
static enum gw_cause
alb_cause(const struct alb_line *l, int64_t total_ms)
{
	int64_t st = l->elb_status;
	enum gw_cause rc = alb_reason_cause(l->error_reason);

	if (rc != GW_CAUSE_OK)
		return rc;
	if (st == 460)
		return GW_CAUSE_CLIENT_CLOSED;
	if (st == 561)
		return GW_CAUSE_AUTH_FAILURE;
	if (st < 500 || st > 599)
		return GW_CAUSE_OK;
	if (l->target_status >= 0)
		return l->target_status == st ? GW_CAUSE_UPSTREAM_5XX :
		    GW_CAUSE_UNKNOWN;
	switch (st) {
	case 503:
		return GW_CAUSE_NO_LIVE_UPSTREAM;
	case 500:
		return GW_CAUSE_GATEWAY_INTERNAL;
	case 504:
		if (total_ms >= ALB_CONNECT_TIMEOUT_MS - ALB_CONNECT_SLACK_MS &&
		    total_ms <= ALB_CONNECT_TIMEOUT_MS + ALB_CONNECT_SLACK_MS)
			return GW_CAUSE_UPSTREAM_CONNECT_TIMEOUT;
		return GW_CAUSE_UPSTREAM_READ_TIMEOUT;
	default:
		return GW_CAUSE_UNKNOWN;
	}
}

/* See format.h. */
static enum format_result
alb_take(void *state, struct gw_batch *b, const char *line, size_t len,
    uint64_t line_no, uint64_t offset, const char **reason)
{
	struct alb_line l;
	struct gw_event *ev;
	struct logspan host, port;
	int64_t end, start = -1, total = -1;
	struct timeparse t;

	if (!alb_split(line, len, &l)) {
		*reason = "not an ALB access-log line";
		return FORMAT_REJECT;
	}
	/* ALB writes UTC ("...Z"); a stamp without a zone is read as UTC */
	if (!logspan_iso_time(l.time, &t)) {
		*reason = "bad ALB time";
		return FORMAT_REJECT;
	}
	end = t.ms;
	if (l.created.n > 0 && logspan_iso_time(l.created, &t))
		start = t.ms;
	if ((ev = batch_add_event(b)) == NULL)
		return FORMAT_NOMEM;
	logev_init(ev, line_no, offset);
	ev->ts_ms = end;
	ev->tz_min = 0;
	ev->tz_known = true;
	ev->status = (int)l.elb_status;
	ev->bytes = l.sent;
	if (l.t_req >= 0 && l.t_target >= 0 && l.t_resp >= 0)
		total = l.t_req + l.t_target + l.t_resp;
	else if (start >= 0 && end >= start)
		total = end - start;
	ev->request_ms = total >= 0 ? (int)total : -1;
	if (logspan_split_port(l.client, &host, &port))
		l.client = host;
	if ((ev->client = logspan_dup(l.client, b->arena)) == NULL)
		return FORMAT_NOMEM;
	if (logreq_fill(ev, l.request, b->arena) < 0)
		return FORMAT_NOMEM;
	ev->cause = alb_cause(&l, start >= 0 && end >= start ? end - start :
	    -1);
	if (!logspan_is_dash(l.target)) {
		struct gw_attempt *at = logev_attempts(b->arena, 1);

		if (at == NULL ||
		    (at->addr = logspan_dup(l.target, b->arena)) == NULL)
			return FORMAT_NOMEM;
		at->status = l.target_status >= 0 ? (int)l.target_status :
		    l.elb_status >= 500 ? (int)l.elb_status : -1;
		if (l.t_target >= 0)
			at->header_ms = at->response_ms = logscan_ms(l.t_target);
		at->cause = ev->cause == GW_CAUSE_AUTH_FAILURE ? GW_CAUSE_OK :
		    ev->cause;
		ev->attempts = at;
		ev->n_attempts = 1;
	}
	return FORMAT_EVENT;
}

const struct line_format alb_format = {
	.name = "alb",
	.kind = "alb_access",
	.match = alb_match,
	.take = alb_take,
};
