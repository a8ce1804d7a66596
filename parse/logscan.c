/*
 * logscan.c - bounds-checked line reading for the gateway formats; see
 * logscan.h.
 *
 * Everything here works on (pointer, length) and checks the length before
 * every byte it reads, so a format built on it cannot read past a line that
 * is cut, binary or not NUL-terminated. Times are converted with a civil
 * calendar formula (no timegm(), no locale, no TZ environment).
 */
#include <string.h>

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

/* See logscan.h. Days from civil, after H. Hinnant's algorithm. */
int64_t
logtime_civil(int y, int mon, int d, int h, int mi, int sec)
{
	int64_t yy = y - (mon <= 2);
	int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
	int64_t yoe = yy - era * 400;
	int64_t doy = (153 * (mon + (mon > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	int64_t days = era * 146097 + doe - 719468;

	return days * 86400 + h * 3600 + mi * 60 + sec;
}

/* n decimal digits at p (bounds checked by the caller); -1 if not digits. */
static int
logtime_num(const char *p, int n)
{
	int x = 0;

	for (int i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		x = x * 10 + (p[i] - '0');
	}
	return x;
}

/* Month number of a three-letter English name; 0 when none. */
static int
logtime_month(const char *p)
{
	static const char names[] = "JanFebMarAprMayJunJulAugSepOctNovDec";

	for (int i = 0; i < 12; i++)
		if (memcmp(p, names + 3 * i, 3) == 0)
			return i + 1;
	return 0;
}

/* Fraction digits at *i of v as ms (extra digits dropped); advances *i. */
static int
logtime_frac_ms(struct logspan v, size_t *i)
{
	int ms = 0, fd = 0;

	if (*i >= v.n || v.p[*i] != '.')
		return 0;
	for ((*i)++; *i < v.n && v.p[*i] >= '0' && v.p[*i] <= '9'; (*i)++) {
		if (fd < 3) {
			ms = ms * 10 + (v.p[*i] - '0');
			fd++;
		}
	}
	while (fd++ < 3)
		ms *= 10;
	return ms;
}

/* "+0100", "-07:00", "Z" at *i; false when malformed. */
static bool
logtime_zone(struct logspan v, size_t *i, int *tz_min)
{
	int h, m, sign;

	if (*i < v.n && v.p[*i] == 'Z') {
		(*i)++;
		*tz_min = 0;
		return true;
	}
	if (*i >= v.n || (v.p[*i] != '+' && v.p[*i] != '-'))
		return false;
	sign = v.p[*i] == '-' ? -1 : 1;
	(*i)++;
	if (v.n - *i < 4)
		return false;
	h = logtime_num(v.p + *i, 2);
	*i += 2;
	if (*i < v.n && v.p[*i] == ':')
		(*i)++;
	if (v.n - *i < 2)
		return false;
	m = logtime_num(v.p + *i, 2);
	*i += 2;
	if (h < 0 || m < 0 || h > 23 || m > 59)
		return false;
	*tz_min = sign * (h * 60 + m);
	return true;
}

/* Check ranges and produce ms; false when out of range. */
static bool
logtime_make(int y, int mon, int d, int h, int mi, int sec, int ms,
    int64_t *out)
{
	if (y < 1970 || y > 9999 || mon < 1 || mon > 12 || d < 1 || d > 31 ||
	    h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 60)
		return false;
	*out = logtime_civil(y, mon, d, h, mi, sec) * 1000 + ms;
	return true;
}

/* See logscan.h. */
bool
logtime_clf(struct logspan v, int64_t *ms, int *tz_min, bool *has_tz)
{
	int y, mon, d, h, mi, sec, frac;
	size_t i = 20;
	int64_t t;

	/* 10/Oct/2000:13:55:36 */
	if (v.n < 20 || v.p[2] != '/' || v.p[6] != '/' || v.p[11] != ':' ||
	    v.p[14] != ':' || v.p[17] != ':')
		return false;
	d = logtime_num(v.p, 2);
	mon = logtime_month(v.p + 3);
	y = logtime_num(v.p + 7, 4);
	h = logtime_num(v.p + 12, 2);
	mi = logtime_num(v.p + 15, 2);
	sec = logtime_num(v.p + 18, 2);
	frac = logtime_frac_ms(v, &i);
	if (!logtime_make(y, mon, d, h, mi, sec, frac, &t))
		return false;
	*has_tz = false;
	*tz_min = 0;
	if (i < v.n && v.p[i] == ' ') {
		i++;
		if (!logtime_zone(v, &i, tz_min))
			return false;
		*has_tz = true;
		t -= (int64_t)*tz_min * 60000;
	}
	if (i != v.n)
		return false;
	*ms = t;
	return true;
}

/* See logscan.h. */
bool
logtime_iso(struct logspan v, int64_t *ms, int *tz_min, bool *has_tz)
{
	int y, mon, d, h, mi, sec, frac;
	size_t i = 19;
	int64_t t;

	/* 2018-07-02T22:23:00 */
	if (v.n < 19 || v.p[4] != '-' || v.p[7] != '-' ||
	    (v.p[10] != 'T' && v.p[10] != ' ') || v.p[13] != ':' ||
	    v.p[16] != ':')
		return false;
	y = logtime_num(v.p, 4);
	mon = logtime_num(v.p + 5, 2);
	d = logtime_num(v.p + 8, 2);
	h = logtime_num(v.p + 11, 2);
	mi = logtime_num(v.p + 14, 2);
	sec = logtime_num(v.p + 17, 2);
	frac = logtime_frac_ms(v, &i);
	if (!logtime_make(y, mon, d, h, mi, sec, frac, &t))
		return false;
	*has_tz = false;
	*tz_min = 0;
	if (i < v.n) {
		if (!logtime_zone(v, &i, tz_min) || i != v.n)
			return false;
		*has_tz = true;
		t -= (int64_t)*tz_min * 60000;
	}
	*ms = t;
	return true;
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
	const char *slash;

	if (sep == NULL)
		return v;
	r.p = sep + 3;
	r.n = (size_t)(v.p + v.n - r.p);
	slash = memchr(r.p, '/', r.n);
	if (slash != NULL)
		r.n = (size_t)(slash - r.p);
	return r;
}

/* See logscan.h. */
int
logreq_target(struct gw_event *ev, struct logspan t, struct arena *a)
{
	const char *q;
	struct logspan path = t;

	/* absolute form: scheme://host[:port]/path */
	if (t.n > 0 && t.p[0] != '/') {
		const char *sep = memmem(t.p, t.n, "://", 3);

		if (sep != NULL) {
			struct logspan hp, rest;
			const char *slash;

			hp.p = sep + 3;
			hp.n = (size_t)(t.p + t.n - hp.p);
			slash = memchr(hp.p, '/', hp.n);
			rest.p = slash != NULL ? slash : hp.p + hp.n;
			rest.n = (size_t)(t.p + t.n - rest.p);
			hp.n = (size_t)(rest.p - hp.p);
			if (ev->host == NULL && hp.n > 0) {
				struct logspan h, port;

				if (logspan_split_port(hp, &h, &port))
					hp = h;
				if ((ev->host = logspan_dup(hp, a)) == NULL)
					return -1;
			}
			path = rest;
			if (path.n == 0) {
				path.p = "/";
				path.n = 1;
			}
		}
	}
	q = memchr(path.p, '?', path.n);
	if (q != NULL) {
		struct logspan qs = { q + 1, (size_t)(path.p + path.n - q - 1) };

		path.n = (size_t)(q - path.p);
		ev->query = arena_strndup(a, qs.p, qs.n);
		ev->shape = query_shape(qs.p, qs.n, a);
		if (ev->query == NULL || ev->shape == NULL)
			return -1;
	}
	if (path.n > 0 && (ev->path = logspan_dup(path, a)) == NULL)
		return -1;
	return 0;
}

/* See logscan.h. */
int
logreq_fill(struct gw_event *ev, struct logspan req, struct arena *a)
{
	struct logscan s;
	struct logspan method, target, proto;

	logscan_init(&s, req.p, req.n);
	if (!logscan_token(&s, &method) || logscan_spaces(&s) == 0 ||
	    !logscan_token(&s, &target))
		return 1;
	for (size_t i = 0; i < method.n; i++)
		if (method.p[i] < 'A' || method.p[i] > 'Z')
			return 1;
	proto.n = 0;
	if (logscan_spaces(&s) > 0 && logscan_token(&s, &proto) &&
	    !logscan_eol(&s))
		return 1;
	if ((ev->method = logspan_dup(method, a)) == NULL)
		return -1;
	if (proto.n > 0 && (ev->protocol = logspan_dup(proto, a)) == NULL)
		return -1;
	return logreq_target(ev, target, a);
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
