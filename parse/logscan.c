/*
 * logscan.c - bounds-checked line reading for the gateway formats; see
 * logscan.h.
 *
 * Everything here works on (pointer, length) and checks the length before
 * every byte it reads, so a format built on it cannot read past a line that
 * is cut, binary or not NUL-terminated. Time stamps are read by
 * core/timeparse.c, the one reader every format shares.
 */
#include <string.h>

#include "core/reqline.h"
#include "parse/logscan.h"
#include "parse/query.h"

/* See logscan.h. */
void
logscan_init(struct logscan *s, const char *line, size_t len)
{
	s->p = line;
	s->end = line + len;
}

/* See logscan.h. */
bool
logscan_eol(const struct logscan *s)
{
	return s->p >= s->end;
}

/* See logscan.h. */
bool
logscan_char(struct logscan *s, char c)
{
	if (s->p < s->end && *s->p == c) {
		s->p++;
		return true;
	}
	return false;
}

/* See logscan.h. */
bool
logscan_lit(struct logscan *s, const char *lit, size_t n)
{
	if ((size_t)(s->end - s->p) < n || memcmp(s->p, lit, n) != 0)
		return false;
	s->p += n;
	return true;
}

/* See logscan.h. */
size_t
logscan_spaces(struct logscan *s)
{
	const char *start = s->p;

	while (s->p < s->end && *s->p == ' ')
		s->p++;
	return (size_t)(s->p - start);
}

/* See logscan.h. */
bool
logscan_token(struct logscan *s, struct logspan *out)
{
	const char *start = s->p;
	const char *sp;

	if (s->p >= s->end || *s->p == ' ')
		return false;
	sp = memchr(s->p, ' ', (size_t)(s->end - s->p));
	s->p = sp != NULL ? sp : s->end;
	out->p = start;
	out->n = (size_t)(s->p - start);
	return true;
}

/* See logscan.h. */
bool
logscan_quoted(struct logscan *s, struct logspan *out)
{
	const char *q;

	if (s->p >= s->end || *s->p != '"')
		return false;
	for (q = s->p + 1; q < s->end; q++) {
		if (*q == '\\' && q + 1 < s->end) {
			q++;
			continue;
		}
		if (*q == '"') {
			out->p = s->p + 1;
			out->n = (size_t)(q - out->p);
			s->p = q + 1;
			return true;
		}
	}
	return false;
}

/* See logscan.h. */
bool
logscan_until(struct logscan *s, char c, struct logspan *out)
{
	const char *q = memchr(s->p, c, (size_t)(s->end - s->p));

	if (q == NULL)
		return false;
	out->p = s->p;
	out->n = (size_t)(q - s->p);
	s->p = q;
	return true;
}

/* See logscan.h. */
bool
logspan_eq(struct logspan v, const char *lit)
{
	size_t n = strlen(lit);

	return v.n == n && (n == 0 || memcmp(v.p, lit, n) == 0);
}

/* See logscan.h. */
bool
logspan_is_dash(struct logspan v)
{
	return v.n == 1 && v.p[0] == '-';
}

/* See logscan.h. */
bool
logspan_has(struct logspan v, const char *lit)
{
	return v.n > 0 && memmem(v.p, v.n, lit, strlen(lit)) != NULL;
}

/* See logscan.h. */
bool
logspan_int(struct logspan v, int64_t *out)
{
	size_t i = 0;
	int64_t x = 0;
	bool neg = false;

	if (v.n > 0 && (v.p[0] == '-' || v.p[0] == '+')) {
		neg = v.p[0] == '-';
		i = 1;
	}
	if (i == v.n || v.n - i > 18)
		return false;
	for (; i < v.n; i++) {
		if (v.p[i] < '0' || v.p[i] > '9')
			return false;
		x = x * 10 + (v.p[i] - '0');
	}
	*out = neg ? -x : x;
	return true;
}

/* See logscan.h. */
bool
logspan_sec_ms(struct logspan v, int64_t *out)
{
	size_t i = 0, digits = 0;
	int64_t whole = 0, frac = 0, scale = 1000;
	bool neg = false;

	if (v.n > 0 && v.p[0] == '-') {
		neg = true;
		i = 1;
	}
	for (; i < v.n && v.p[i] >= '0' && v.p[i] <= '9'; i++, digits++) {
		if (digits > 12)
			return false;
		whole = whole * 10 + (v.p[i] - '0');
	}
	if (digits == 0)
		return false;
	if (i < v.n && v.p[i] == '.') {
		int fd = 0;

		for (i++; i < v.n && v.p[i] >= '0' && v.p[i] <= '9'; i++) {
			/* keep 4 fractional digits: ms plus one for rounding */
			if (fd < 4) {
				frac = frac * 10 + (v.p[i] - '0');
				fd++;
			}
		}
		while (fd < 4) {
			frac *= 10;
			fd++;
		}
	}
	if (i != v.n)
		return false;
	whole = whole * scale + (frac + 5) / 10;
	*out = neg ? -whole : whole;
	return true;
}

/* See logscan.h. */
char *
logspan_dup(struct logspan v, struct arena *a)
{
	if (v.n == 0)
		return NULL;
	return arena_strndup(a, v.p, v.n);
}

/* See logscan.h. */
char *
logspan_dup_opt(struct logspan v, struct arena *a)
{
	if (logspan_is_dash(v))
		return NULL;
	return logspan_dup(v, a);
}

/* See logscan.h. */
bool
logspan_clf_time(struct logspan v, struct timeparse *t)
{
	return v.n > 0 && timeparse_clf(v.p, v.n, t) == v.n;
}

/* See logscan.h. */
bool
logspan_iso_time(struct logspan v, struct timeparse *t)
{
	return v.n > 0 && timeparse_iso(v.p, v.n, 0, t) == v.n;
}

/* See logscan.h. */
bool
logspan_split_port(struct logspan v, struct logspan *host,
    struct logspan *port)
{
	size_t i = v.n;

	while (i > 0 && v.p[i - 1] >= '0' && v.p[i - 1] <= '9')
		i--;
	if (i == v.n || i < 2 || v.p[i - 1] != ':' || v.n - i > 5)
		return false;
	host->p = v.p;
	host->n = i - 1;
	port->p = v.p + i;
	port->n = v.n - i;
	if (host->n >= 2 && host->p[0] == '[' && host->p[host->n - 1] == ']') {
		host->p++;
		host->n -= 2;
	}
	return host->n > 0;
}

/* See logscan.h. */
struct logspan
logspan_url_hostport(struct logspan v)
{
	const char *sep = v.n > 0 ? memmem(v.p, v.n, "://", 3) : NULL;
	struct logspan r = v;

	if (sep == NULL)
		return v;
	r.p = sep + 3;
	r.n = (size_t)(v.p + v.n - r.p);
	/* the authority ends at the path, the query or the fragment */
	for (size_t i = 0; i < r.n; i++)
		if (r.p[i] == '/' || r.p[i] == '?' || r.p[i] == '#') {
			r.n = i;
			break;
		}
	/* userinfo: a ForwardAuth address or a server URL may carry a
	 * password (Go's client sends it as Basic auth); after the last
	 * '@', as Go's url.Parse reads it */
	for (size_t i = r.n; i > 0; i--)
		if (r.p[i - 1] == '@') {
			r.n -= i;
			r.p += i;
			break;
		}
	return r;
}

/*
 * Fill ev's host (when it has none yet), path, query and shape from a
 * request split by core/reqline.c, with their lengths when lens (the
 * spans' lengths: the caller's spans hold no NUL); 0, or -1 when out of
 * memory.
 */
static int
logreq_apply(struct gw_event *ev, const struct reqline *r, struct arena *a,
    bool lens)
{
	if (r->host.n > 0 && ev->host == NULL) {
		if ((ev->host = arena_strndup(a, r->host.p, r->host.n)) == NULL)
			return -1;
		if (lens)
			ev->host_len = event_len(r->host.n);
	}
	if (r->path.n > 0) {
		if ((ev->path = arena_strndup(a, r->path.p, r->path.n)) == NULL)
			return -1;
		if (lens)
			ev->path_len = event_len(r->path.n);
	}
	if (r->query.n > 0) {
		size_t n;

		ev->query = arena_strndup(a, r->query.p, r->query.n);
		ev->shape = query_shape_len(r->query.p, r->query.n, a, &n);
		if (ev->query == NULL || ev->shape == NULL)
			return -1;
		if (lens) {
			ev->query_len = event_len(r->query.n);
			ev->shape_len = event_len(n);
		}
	}
	return 0;
}

/* logreq_target's work; lens as logreq_apply. */
static int
logreq_target_at(struct gw_event *ev, struct logspan t, struct arena *a,
    bool lens)
{
	struct reqline r;

	reqline_target(t.p, t.n, ev->method != NULL &&
	    strcmp(ev->method, "CONNECT") == 0, &r);
	return logreq_apply(ev, &r, a, lens);
}

/* See logscan.h. */
int
logreq_target(struct gw_event *ev, struct logspan t, struct arena *a)
{
	return logreq_target_at(ev, t, a, false);
}

/* See logscan.h. */
int
logreq_target_lens(struct gw_event *ev, struct logspan t, struct arena *a)
{
	return logreq_target_at(ev, t, a, true);
}

/* logreq_fill's work; lens as logreq_apply. */
static int
logreq_fill_at(struct gw_event *ev, struct logspan req, struct arena *a,
    bool lens)
{
	struct reqline r;

	if (!reqline_split(req.p, req.n, &r))
		return 1;
	if ((ev->method = arena_strndup(a, r.method.p, r.method.n)) == NULL)
		return -1;
	if (r.proto.n > 0 && (ev->protocol = arena_strndup(a, r.proto.p,
	    r.proto.n)) == NULL)
		return -1;
	if (lens) {
		ev->method_len = event_len(r.method.n);
		ev->protocol_len = r.proto.n > 0 ? event_len(r.proto.n) : 0;
	}
	return logreq_apply(ev, &r, a, lens);
}

/* See logscan.h. */
int
logreq_fill(struct gw_event *ev, struct logspan req, struct arena *a)
{
	return logreq_fill_at(ev, req, a, false);
}

/* See logscan.h. */
int
logreq_fill_lens(struct gw_event *ev, struct logspan req, struct arena *a)
{
	return logreq_fill_at(ev, req, a, true);
}

/* See logscan.h. */
char *
logspan_dup_len(struct logspan v, struct arena *a, uint16_t *len)
{
	if (v.n == 0)
		return NULL;
	*len = event_len(v.n);
	return arena_strndup(a, v.p, v.n);
}

/* See logscan.h. */
void
logev_lens_done(struct gw_event *ev, const char *line, size_t len)
{
	if (memchr(line, '\0', len) == NULL) {
		event_fill_client(ev);
		return;
	}
	event_unfill(ev);
}

/* See logscan.h. */
void
logev_init(struct gw_event *ev, uint64_t line_no, uint64_t offset)
{
	memset(ev, 0, sizeof(*ev));
	ev->ts_ms = -1;
	ev->status = -1;
	ev->bytes = -1;
	ev->request_ms = -1;
	ev->line_no = line_no;
	ev->offset = offset;
}

/* See logscan.h. */
struct gw_attempt *
logev_attempts(struct arena *a, int n)
{
	struct gw_attempt *at;

	if (n <= 0)
		return NULL;
	at = arena_alloc(a, sizeof(*at) * (size_t)n);
	if (at == NULL)
		return NULL;
	for (int i = 0; i < n; i++) {
		memset(&at[i], 0, sizeof(at[i]));
		at[i].status = -1;
		at[i].connect_ms = -1;
		at[i].header_ms = -1;
		at[i].response_ms = -1;
	}
	return at;
}
