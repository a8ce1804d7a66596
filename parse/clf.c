/*
 * clf.c - Apache's common and combined logs and any CLF-style line.
 *
 *   127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /a.gif HTTP/1.0"
 *     200 2326 ["referer" "user agent"] [anything else]
 *
 * An optional leading "vhost:port " (Apache's vhost_combined) or "vhost "
 * is skipped.
 * Such a log names no upstream: requests carry their status, path, query
 * and bytes, and a 5xx is `unknown` (nothing says who failed). Apache's
 * combined format is also nginx's, which detection tries first, so this
 * format mostly gets the common format and the CLF variants.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "parse/clf.h"
#include "parse/format.h"

/* Split at s; false when it is no CLF prefix. */
static bool
clf_split_at(struct logscan *s, struct clf_line *l)
{
	int64_t st;

	if (!logscan_token(s, &l->host) || !logscan_char(s, ' ') ||
	    !logscan_token(s, &l->ident) || !logscan_char(s, ' ') ||
	    !logscan_token(s, &l->user) || !logscan_lit(s, " [", 2) ||
	    !logscan_until(s, ']', &l->time) || !logscan_lit(s, "] ", 2) ||
	    !logscan_quoted(s, &l->request) || !logscan_char(s, ' ') ||
	    !logscan_token(s, &l->status) || !logscan_char(s, ' ') ||
	    !logscan_token(s, &l->bytes))
		return false;
	if (l->time.n < 26 || l->time.p[2] != '/' || l->time.p[20] != ' ')
		return false;
	if (l->status.n != 3 || !logspan_int(l->status, &st))
		return false;
	if (!logspan_is_dash(l->bytes) && !logspan_int(l->bytes, &st))
		return false;
	return logscan_eol(s) || *s->p == ' ';
}

/* See clf.h. */
bool
clf_split(const char *line, size_t len, struct clf_line *l,
    struct logscan *rest)
{
	struct logspan vhost;

	while (len > 0 && line[len - 1] == '\r')
		len--;
	logscan_init(rest, line, len);
	if (clf_split_at(rest, l))
		return true;
	/*
	 * vhost_combined: "example.com:443 " first (%v:%p), or a host name
	 * alone (%v), as sites log it; the rest must be a whole CLF line.
	 */
	logscan_init(rest, line, len);
	if (!logscan_token(rest, &vhost) || vhost.p[0] == '"' ||
	    vhost.p[0] == '[' || (memchr(vhost.p, ':', vhost.n) == NULL &&
	    memchr(vhost.p, '.', vhost.n) == NULL) || !logscan_char(rest, ' '))
		return false;
	return clf_split_at(rest, l);
}

/* See clf.h. */
int
clf_fill(const struct clf_line *l, struct gw_event *ev, int default_tz,
    struct arena *a, const char **reason)
{
	int64_t v;
	struct timeparse t;
	int rc;

	if (!logspan_clf_time(l->time, &t)) {
		*reason = "bad CLF time";
		return 1;
	}
	ev->ts_ms = timeparse_ms(&t, default_tz);
	ev->tz_min = t.has_tz ? t.tz_min : default_tz;
	ev->tz_known = t.has_tz;
	if ((ev->client = logspan_dup(l->host, a)) == NULL)
		return -1;
	logspan_int(l->status, &v);
	ev->status = (int)v;
	if (!logspan_is_dash(l->bytes) && logspan_int(l->bytes, &v))
		ev->bytes = v;
	else
		ev->bytes = 0;
	if ((rc = logreq_fill(ev, l->request, a)) < 0)
		return -1;
	return 0;
}

/* See format.h. */
static enum format_result
clf_match(void *state, const char *line, size_t len)
{
	struct clf_line l;
	struct logscan rest;

	return clf_split(line, len, &l, &rest) ? FORMAT_EVENT : FORMAT_REJECT;
}

/* See format.h: the state is the default zone (the options may not last). */
static void *
clf_open(const struct format_opts *o, enum format_result *why, char *err,
    size_t errlen)
{
	int *tz = gw_malloc(sizeof(*tz));

	if (tz == NULL) {
		snprintf(err, errlen, "out of memory");
		*why = FORMAT_NOMEM;
		return NULL;
	}
	*tz = o != NULL ? o->tz_min : 0;
	return tz;
}

/* See format.h. */
static void
clf_close(void *state)
{
	free(state);
}

/* See format.h. */
static enum format_result
clf_take(void *state, struct gw_batch *b, const char *line, size_t len,
    uint64_t line_no, uint64_t offset, const char **reason)
{
	struct clf_line l;
	struct logscan rest;
	struct gw_event *ev;
	int rc;

	if (!clf_split(line, len, &l, &rest)) {
		*reason = "not a CLF line";
		return FORMAT_REJECT;
	}
	if ((ev = batch_add_event(b)) == NULL)
		return FORMAT_NOMEM;
	logev_init(ev, line_no, offset);
	rc = clf_fill(&l, ev, state != NULL ? *(const int *)state : 0,
	    b->arena, reason);
	if (rc != 0) {
		b->n_events--;
		return rc < 0 ? FORMAT_NOMEM : FORMAT_REJECT;
	}
	ev->cause = ev->status >= 500 && ev->status <= 599 ?
	    GW_CAUSE_UNKNOWN : GW_CAUSE_OK;
	return FORMAT_EVENT;
}

const struct line_format clf_format = {
	.name = "clf",
	.kind = "clf_access",
	.match = clf_match,
	.open = clf_open,
	.close = clf_close,
	.take = clf_take,
};
