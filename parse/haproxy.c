/*
 * haproxy.c - HAProxy's `option httplog` lines as requests.
 *
 *   [syslog header] 10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in
 *     static/srv1 10/0/30/69/109 200 2750 - - ---- 1/1/1/1/0 0/0
 *     {captured} {captured} "GET /index.html HTTP/1.1"
 *
 * The body is the same whether HAProxy logs raw to stdout, to a syslog
 * socket (RFC 3164 "<134>Feb  6 12:14:14 haproxy[1]: ", RFC 5424) or
 * through rsyslog into /var/log/haproxy.log: the body is looked for at the
 * start of the line, then after each of the first spaces, so any header
 * works. A line is split into spans first without copying anything (that is
 * also `match`), then the kept fields are copied into the batch arena.
 *
 * Upstream: "backend/server", or the server's address when --haproxy-cfg
 * names a config whose `backend`/`listen` sections list `server NAME ADDR`
 * (read once per input into a sorted table). The timers TR/Tw/Tc/Tr/Ta give
 * the attempt's connect and header times (-1 = phase never reached); the
 * termination state decides the cause per shared/causes.md; <NOSRV> means no
 * server was chosen. The `retries` counter (a leading '+' = redispatched to
 * another server) counts attempts that left no line of their own: they are
 * added, failed, before the final one, with the cause of a connect failure
 * when the final state is one, else unknown.
 *
 * The accept date carries no zone: the input's default offset applies.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "parse/format.h"
#include "parse/logscan.h"

#define HAP_BODY_SEARCH	256		/* header bytes searched for the body */
#define HAP_CFG_MAX	(16 << 20)	/* largest haproxy.cfg read */

/* One `server` of the configuration: "backend/server" -> address. */
struct hap_server {
	char *key;
	size_t key_len;
	char *addr;
	uint16_t addr_len;	/* event_len(strlen(addr)) */
};

/* Per-input state. */
struct hap_state {
	int tz_min;
	struct hap_server *servers;	/* sorted by key */
	size_t n_servers;
	bool general_only;	/* tests: hap_split for every line */
	size_t fast_count;	/* lines hap_fast_split read */
	/* the last accept date's first 20 bytes ("06/Feb/2009:12:14:14")
	 * and their seconds, read by timeparse_clf (hap_date) */
	char date_key[20];
	int64_t date_secs;
	bool date_valid;
};

/* The spans and numbers of one httplog line. */
struct hap_line {
	struct logspan client, date, frontend, backend, server, tsc, request;
	struct logspan host;	/* the client's address, without its port */
	int64_t t[5];		/* TR, Tw, Tc, Tr, Ta */
	int64_t status, bytes, retries;
	bool redispatch, nosrv, has_request;
};

/* Read "a/b/c..." of n signed integers ('+' allowed, logasap). */
static bool
hap_slashed(struct logspan v, int64_t *out, int n)
{
	struct logscan s;
	struct logspan part;

	logscan_init(&s, v.p, v.n);
	for (int i = 0; i < n; i++) {
		if (i < n - 1) {
			if (!logscan_until(&s, '/', &part))
				return false;
			s.p++;
		} else {
			part.p = s.p;
			part.n = (size_t)(s.end - s.p);
		}
		if (!logspan_int(part, &out[i]))
			return false;
	}
	return true;
}

/* A client "ip:port" at the start of the body: cheap first check; its
 * address without the port in *h. */
static bool
hap_client_ok(struct logspan c, struct logspan *h)
{
	struct logspan p;

	/* "-:47625" (a unix-socket or abns bind: no address) and "unix:1"
	 * are clients too */
	if (c.n == 0 || !((c.p[0] >= '0' && c.p[0] <= '9') || c.p[0] == ':' ||
	    (c.p[0] >= 'a' && c.p[0] <= 'f') || (c.p[0] >= 'A' && c.p[0] <= 'F')
	    || c.p[0] == '[' || c.p[0] == '-' || c.p[0] == 'u'))
		return false;
	return logspan_split_port(c, h, &p);
}

/* Split a body at s; false when it is not an httplog body. */
static bool
hap_split_body(struct logscan *s, struct hap_line *l)
{
	struct logspan tok, bs, conn, queue, rest;
	int64_t cn[5], q[2];
	const char *slash;

	if (!logscan_token(s, &l->client) || !hap_client_ok(l->client,
	    &l->host) ||
	    !logscan_lit(s, " [", 2) || !logscan_until(s, ']', &l->date) ||
	    !logscan_lit(s, "] ", 2) || !logscan_token(s, &l->frontend) ||
	    !logscan_char(s, ' ') || !logscan_token(s, &bs) ||
	    !logscan_char(s, ' ') || !logscan_token(s, &tok))
		return false;
	/* a log-format adding one field (%H, %hr...) before the timers */
	if (!hap_slashed(tok, l->t, 5) && (!logscan_char(s, ' ') ||
	    !logscan_token(s, &tok) || !hap_slashed(tok, l->t, 5)))
		return false;
	if (!logscan_char(s, ' ') ||
	    !logscan_token(s, &tok) || !logspan_int(tok, &l->status) ||
	    !logscan_char(s, ' ') || !logscan_token(s, &tok) ||
	    !logspan_int(tok, &l->bytes) || !logscan_char(s, ' ') ||
	    !logscan_token(s, &tok) || !logscan_char(s, ' ') ||
	    !logscan_token(s, &tok) || !logscan_char(s, ' ') ||
	    !logscan_token(s, &l->tsc) || l->tsc.n != 4 ||
	    !logscan_char(s, ' ') || !logscan_token(s, &conn) ||
	    !logscan_char(s, ' ') || !logscan_token(s, &queue))
		return false;
	if (l->date.n < 20 || l->date.p[2] != '/')
		return false;
	slash = memchr(bs.p, '/', bs.n);
	if (slash == NULL)
		return false;
	l->backend.p = bs.p;
	l->backend.n = (size_t)(slash - bs.p);
	l->server.p = slash + 1;
	l->server.n = (size_t)(bs.p + bs.n - l->server.p);
	l->nosrv = logspan_eq(l->server, "<NOSRV>");
	l->redispatch = false;
	if (memmem(conn.p, conn.n, "/+", 2) != NULL || !hap_slashed(conn, cn,
	    5)) {
		/* "+N" retries: redispatched to another server */
		const char *last = memrchr(conn.p, '/', conn.n);

		if (last == NULL || last + 1 >= conn.p + conn.n ||
		    last[1] != '+')
			return false;
		struct logspan head = { conn.p, (size_t)(last - conn.p) };
		struct logspan rc = { last + 2, (size_t)(conn.p + conn.n -
		    last - 2) };
		if (!hap_slashed(head, cn, 4) || !logspan_int(rc, &cn[4]))
			return false;
		l->redispatch = true;
	}
	l->retries = cn[4];
	if (!hap_slashed(queue, q, 2))
		return false;
	/* optional {captures}, then the quoted request */
	for (int i = 0; i < 2; i++) {
		logscan_spaces(s);
		if (logscan_char(s, '{')) {
			if (!logscan_until(s, '}', &tok))
				return false;
			s->p++;
		}
	}
	logscan_spaces(s);
	l->has_request = false;
	if (logscan_eol(s))
		return true;
	if (*s->p != '"')
		return false;
	rest.p = s->p + 1;
	rest.n = (size_t)(s->end - rest.p);
	if (rest.n > 0 && rest.p[rest.n - 1] == '"')
		rest.n--;	/* else cut by HAProxy: keep what there is */
	l->request = rest;
	l->has_request = true;
	return true;
}

/*
 * A field of "a/b/c..." or a token as logspan_int reads it (optional
 * sign, 1 to 18 digits), ended by the byte stop; the cursor moves past
 * stop. plus: whether '+' is allowed ('-' always is). False (and no use
 * of *out) otherwise: the caller's line goes to hap_split.
 */
static inline __attribute__((always_inline)) bool
hf_int(const char **pp, const char *e, char stop, bool plus, int64_t *out)
{
	const char *p = *pp, *s, *lim;
	bool neg = false;
	int64_t x = 0;

	if (p < e && (*p == '-' || (plus && *p == '+'))) {
		neg = *p == '-';
		p++;
	}
	s = p;
	/* at most 18 digits: a 19th is not stop, so the field is refused */
	lim = e - p > 18 ? p + 18 : e;
	while (p < lim && (unsigned)(*p - '0') <= 9)
		x = x * 10 + (*p++ - '0');
	if (p == s || p >= e || *p != stop)
		return false;
	*out = neg ? -x : x;
	*pp = p + 1;
	return true;
}

/* A non-empty token ended by a space (not the line's end); past it. */
static inline __attribute__((always_inline)) bool
hf_token(const char **pp, const char *e, struct logspan *out)
{
	const char *p = *pp, *s = p;

	while (p < e && *p != ' ')
		p++;
	if (p == s || p >= e)
		return false;
	out->p = s;
	out->n = (size_t)(p - s);
	*pp = p + 1;
	return true;
}

/*
 * The body of an httplog line at the start of line, in the layout HAProxy
 * writes: one pass over the bytes, no call per field. It takes a line
 * only when hap_split_body at the same start would take it and fill l
 * the same (the timers first, no redispatch '+', the queue's two
 * counters); every other line is hap_split's, which stays the reference
 * (tests/unit/test_fastpath.c reads HAProxy lines both ways).
 */
static bool
hap_fast_split(const char *line, size_t len, struct hap_line *l)
{
	const char *p = line, *e, *q;
	struct logspan bs, tok;
	int64_t cn[5], q0;

	while (len > 0 && line[len - 1] == '\r')
		len--;
	e = line + len;
	/* client, then " [" */
	while (p < e && *p != ' ')
		p++;
	l->client.p = line;
	l->client.n = (size_t)(p - line);
	if (e - p < 2 || p[1] != '[' || !hap_client_ok(l->client, &l->host))
		return false;
	p += 2;
	if ((q = memchr(p, ']', (size_t)(e - p))) == NULL)
		return false;
	l->date.p = p;
	l->date.n = (size_t)(q - p);
	p = q + 1;
	if (p >= e || *p != ' ' || l->date.n < 20 || l->date.p[2] != '/')
		return false;
	p++;
	if (!hf_token(&p, e, &l->frontend) || !hf_token(&p, e, &bs) ||
	    !hf_int(&p, e, '/', true, &l->t[0]) ||
	    !hf_int(&p, e, '/', true, &l->t[1]) ||
	    !hf_int(&p, e, '/', true, &l->t[2]) ||
	    !hf_int(&p, e, '/', true, &l->t[3]) ||
	    !hf_int(&p, e, ' ', true, &l->t[4]) ||
	    !hf_int(&p, e, ' ', true, &l->status) ||
	    !hf_int(&p, e, ' ', true, &l->bytes) ||
	    !hf_token(&p, e, &tok) || !hf_token(&p, e, &tok) ||
	    !hf_token(&p, e, &l->tsc) || l->tsc.n != 4 ||
	    !hf_int(&p, e, '/', false, &cn[0]) ||
	    !hf_int(&p, e, '/', false, &cn[1]) ||
	    !hf_int(&p, e, '/', false, &cn[2]) ||
	    !hf_int(&p, e, '/', false, &cn[3]) ||
	    !hf_int(&p, e, ' ', false, &cn[4]) ||
	    !hf_int(&p, e, '/', true, &q0) ||
	    !hf_int(&p, e, ' ', true, &q0))
		return false;
	if ((q = memchr(bs.p, '/', bs.n)) == NULL)
		return false;
	l->backend.p = bs.p;
	l->backend.n = (size_t)(q - bs.p);
	l->server.p = q + 1;
	l->server.n = (size_t)(bs.p + bs.n - l->server.p);
	l->nosrv = l->server.n == 7 && memcmp(l->server.p, "<NOSRV>", 7) == 0;
	l->redispatch = false;
	l->retries = cn[4];
	/* optional {captures}, then the quoted request, as hap_split_body */
	for (int i = 0; i < 2; i++) {
		while (p < e && *p == ' ')
			p++;
		if (p < e && *p == '{') {
			p++;
			if ((q = memchr(p, '}', (size_t)(e - p))) == NULL)
				return false;
			p = q + 1;
		}
	}
	while (p < e && *p == ' ')
		p++;
	l->has_request = false;
	if (p >= e)
		return true;
	if (*p != '"')
		return false;
	l->request.p = p + 1;
	l->request.n = (size_t)(e - l->request.p);
	if (l->request.n > 0 && l->request.p[l->request.n - 1] == '"')
		l->request.n--;
	l->has_request = true;
	return true;
}

/* Find and split the body of a line, whatever syslog header it has. */
static bool
hap_split(const char *line, size_t len, struct hap_line *l)
{
	struct logscan s;
	size_t lim = len < HAP_BODY_SEARCH ? len : HAP_BODY_SEARCH;

	while (len > 0 && line[len - 1] == '\r')
		len--;
	logscan_init(&s, line, len);
	if (hap_split_body(&s, l))
		return true;
	for (size_t i = 0; i < lim; i++) {
		if (line[i] != ' ' || i + 1 >= len || line[i + 1] == ' ')
			continue;
		logscan_init(&s, line + i + 1, len - i - 1);
		if (hap_split_body(&s, l))
			return true;
	}
	return false;
}

/* See format.h. */
static enum format_result
hap_match(void *state, const char *line, size_t len)
{
	struct hap_line l;

	return hap_split(line, len, &l) ? FORMAT_EVENT : FORMAT_REJECT;
}

/*
 * The cause of a request from its termination state (the first two
 * characters), status, server and response timer, per shared/causes.md.
 */
static enum gw_cause
hap_cause(const struct hap_line *l)
{
	char who = l->tsc.p[0], phase = l->tsc.p[1];
	int64_t st = l->status, tr = l->t[3];

	switch (who) {
	case 'C':		/* client aborted */
		return GW_CAUSE_CLIENT_CLOSED;
	case 'c':
		/* client timeout: in the data phase, or while it was still
		 * sending the request (cR, answered 408) */
		if (phase == 'D' || phase == 'R')
			return GW_CAUSE_CLIENT_CLOSED;
		break;
	case 'S':
		if (phase == 'C')
			return l->nosrv ? GW_CAUSE_NO_LIVE_UPSTREAM :
			    GW_CAUSE_UPSTREAM_REFUSED;
		if (phase == 'H')
			return GW_CAUSE_UPSTREAM_CLOSED_EARLY;
		if (phase == 'D')
			return st >= 500 && tr >= 0 ? GW_CAUSE_UPSTREAM_5XX :
			    GW_CAUSE_UPSTREAM_TRUNCATED;
		break;
	case 's':
		if (phase == 'C')
			return GW_CAUSE_UPSTREAM_CONNECT_TIMEOUT;
		if (phase == 'H')
			return GW_CAUSE_UPSTREAM_READ_TIMEOUT;
		if (phase == 'Q')
			return GW_CAUSE_UPSTREAM_OVERLOADED;
		if (phase == 'D')
			return st >= 500 && tr >= 0 ? GW_CAUSE_UPSTREAM_5XX :
			    GW_CAUSE_UPSTREAM_TRUNCATED;
		break;
	case 'P':
		if (phase == 'H')
			return GW_CAUSE_UPSTREAM_INVALID_RESPONSE;
		if (phase == 'R' && st == 429)
			return GW_CAUSE_RATE_LIMITED;
		if (phase == 'R' && (st == 401 || st == 403 || st == 407))
			return GW_CAUSE_AUTH_FAILURE;
		break;
	case 'I':		/* internal error of the proxy */
		return GW_CAUSE_GATEWAY_INTERNAL;
	case '-':
		if (st >= 500 && st <= 599 && tr >= 0 && !l->nosrv)
			return GW_CAUSE_UPSTREAM_5XX;
		break;
	default:
		break;
	}
	return st >= 500 && st <= 599 ? GW_CAUSE_UNKNOWN : GW_CAUSE_OK;
}

/* Order of the server table: bytes, then length. */
static int
hap_server_cmp(const void *a, const void *b)
{
	const struct hap_server *x = a, *y = b;
	size_t n = x->key_len < y->key_len ? x->key_len : y->key_len;
	int c = memcmp(x->key, y->key, n);

	if (c != 0)
		return c;
	return x->key_len < y->key_len ? -1 : x->key_len > y->key_len;
}

/* The configured server "backend/server" (span k), or NULL. */
static const struct hap_server *
hap_server_find(const struct hap_state *st, struct logspan k)
{
	size_t lo = 0, hi = st->n_servers;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct hap_server *m = &st->servers[mid];
		size_t n = m->key_len < k.n ? m->key_len : k.n;
		int c = memcmp(m->key, k.p, n);

		if (c == 0)
			c = m->key_len < k.n ? -1 : m->key_len > k.n;
		if (c == 0)
			return m;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Add "backend/server" -> addr; -1 when out of memory. */
static int
hap_server_add(struct hap_state *st, size_t *cap, const char *backend,
    struct logspan name, struct logspan addr)
{
	struct hap_server *sv;
	size_t bl = strlen(backend);

	if (st->n_servers == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		void *p = gw_realloc(st->servers, ncap * sizeof(*st->servers));

		if (p == NULL)
			return -1;
		st->servers = p;
		*cap = ncap;
	}
	sv = &st->servers[st->n_servers];
	sv->key_len = bl + 1 + name.n;
	sv->key = gw_malloc(sv->key_len + 1);
	sv->addr = gw_strndup(addr.p, addr.n);
	if (sv->key == NULL || sv->addr == NULL) {
		free(sv->key);
		free(sv->addr);
		return -1;
	}
	memcpy(sv->key, backend, bl);
	sv->key[bl] = '/';
	memcpy(sv->key + bl + 1, name.p, name.n);
	sv->key[sv->key_len] = '\0';
	sv->addr_len = event_len(strlen(sv->addr));	/* a NUL may cut it */
	st->n_servers++;
	return 0;
}

/* The next blank-separated word of [*p, end); false at the end. */
static bool
hap_word(const char **p, const char *end, struct logspan *w)
{
	const char *q = *p;

	while (q < end && (*q == ' ' || *q == '\t' || *q == '\r'))
		q++;
	w->p = q;
	while (q < end && *q != ' ' && *q != '\t' && *q != '\r')
		q++;
	w->n = (size_t)(q - w->p);
	*p = q;
	return w->n > 0;
}

/*
 * Read the `server NAME ADDR[:PORT]` lines of every `backend` and `listen`
 * section of the haproxy.cfg in buf. Returns 0 or -1 (out of memory).
 */
static int
hap_cfg_scan(struct hap_state *st, const char *buf, size_t len)
{
	char section[256] = "";
	size_t cap = 0;
	const char *p = buf, *end = buf + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *q = p, *eol = nl != NULL ? nl : end;
		struct logspan kw, name, addr;

		p = nl != NULL ? nl + 1 : end;
		if (!hap_word(&q, eol, &kw) || kw.p[0] == '#')
			continue;
		if (logspan_eq(kw, "backend") || logspan_eq(kw, "listen")) {
			section[0] = '\0';
			if (hap_word(&q, eol, &name) &&
			    name.n < sizeof(section)) {
				memcpy(section, name.p, name.n);
				section[name.n] = '\0';
			}
			continue;
		}
		if (logspan_eq(kw, "frontend") || logspan_eq(kw, "defaults") ||
		    logspan_eq(kw, "global") || logspan_eq(kw, "peers") ||
		    logspan_eq(kw, "resolvers") || logspan_eq(kw, "userlist") ||
		    logspan_eq(kw, "cache") || logspan_eq(kw, "program")) {
			section[0] = '\0';
			continue;
		}
		if (!logspan_eq(kw, "server") || section[0] == '\0' ||
		    !hap_word(&q, eol, &name) || !hap_word(&q, eol, &addr))
			continue;
		if (addr.n > 5 && (memcmp(addr.p, "ipv4@", 5) == 0 ||
		    memcmp(addr.p, "ipv6@", 5) == 0)) {
			addr.p += 5;
			addr.n -= 5;
		}
		if (hap_server_add(st, &cap, section, name, addr) != 0)
			return -1;
	}
	return 0;
}

/* Free the per-input state. */
static void
hap_close(void *state)
{
	struct hap_state *st = state;

	if (st == NULL)
		return;
	for (size_t i = 0; i < st->n_servers; i++) {
		free(st->servers[i].key);
		free(st->servers[i].addr);
	}
	free(st->servers);
	free(st);
}

/*
 * Read --haproxy-cfg into st: FORMAT_EVENT (read), FORMAT_REJECT (cannot
 * be read) or FORMAT_NOMEM, err filled but for FORMAT_EVENT.
 */
static enum format_result
hap_cfg_load(struct hap_state *st, const char *path, char *err,
    size_t errlen)
{
	FILE *f = fopen(path, "r");
	char *buf;
	size_t n;
	enum format_result r = FORMAT_EVENT;

	if (f == NULL) {
		snprintf(err, errlen, "%s: cannot open", path);
		return FORMAT_REJECT;
	}
	buf = gw_malloc(HAP_CFG_MAX);
	if (buf == NULL) {
		fclose(f);
		snprintf(err, errlen, "out of memory");
		return FORMAT_NOMEM;
	}
	n = fread(buf, 1, HAP_CFG_MAX, f);
	if (ferror(f)) {
		snprintf(err, errlen, "%s: read error", path);
		r = FORMAT_REJECT;
	} else if (hap_cfg_scan(st, buf, n) != 0) {
		snprintf(err, errlen, "out of memory");
		r = FORMAT_NOMEM;
	}
	fclose(f);
	free(buf);
	if (r == FORMAT_EVENT && st->n_servers > 0)
		qsort(st->servers, st->n_servers, sizeof(*st->servers),
		    hap_server_cmp);
	return r;
}

/* See format.h: the per-input state, with the config's servers. */
static void *
hap_open(const struct format_opts *o, enum format_result *why, char *err,
    size_t errlen)
{
	struct hap_state *st = gw_calloc(1, sizeof(*st));

	if (st == NULL) {
		snprintf(err, errlen, "out of memory");
		*why = FORMAT_NOMEM;
		return NULL;
	}
	st->tz_min = o != NULL ? o->tz_min : 0;
	st->general_only = o != NULL && o->general_only;
	if (o != NULL && o->haproxy_cfg != NULL &&
	    (*why = hap_cfg_load(st, o->haproxy_cfg, err, errlen)) !=
	    FORMAT_EVENT) {
		hap_close(st);
		return NULL;
	}
	return st;
}

/* Fill ev's attempts from l; -1 when out of memory. */
static int
hap_attempts(struct hap_state *st, struct gw_event *ev,
    const struct hap_line *l, struct arena *a)
{
	const struct hap_server *sv;
	const char *addr, *group;
	uint16_t addr_len = 0, group_len;
	struct logspan bs;
	struct gw_attempt *at, *last;
	enum gw_cause retry_cause = GW_CAUSE_UNKNOWN;
	int n, retries;

	if (l->nosrv) {
		/* no server chosen: the backend stands in, as nginx's group */
		if (ev->cause != GW_CAUSE_NO_LIVE_UPSTREAM &&
		    ev->cause != GW_CAUSE_UPSTREAM_OVERLOADED)
			return 0;
		if ((at = logev_attempts(a, 1)) == NULL ||
		    (at->addr = logspan_dup_len(l->backend, a,
		    &at->addr_len)) == NULL)
			return -1;
		at->status = (int)l->status;
		at->cause = ev->cause;
		ev->attempts = at;
		ev->n_attempts = 1;
		return 0;
	}
	bs.p = l->backend.p;
	bs.n = l->backend.n + 1 + l->server.n;
	sv = st->n_servers > 0 ? hap_server_find(st, bs) : NULL;
	if (sv != NULL) {
		addr = sv->addr;
		addr_len = sv->addr_len;
	} else
		addr = logspan_dup_len(bs, a, &addr_len);
	group_len = addr_len;
	group = l->redispatch ? logspan_dup_len(l->backend, a, &group_len) :
	    addr;
	if (addr == NULL || group == NULL)
		return -1;
	retries = l->retries < 0 ? 0 : l->retries > GW_ATTEMPTS_MAX - 1 ?
	    GW_ATTEMPTS_MAX - 1 : (int)l->retries;
	n = retries + 1;
	if ((at = logev_attempts(a, n)) == NULL)
		return -1;
	if (ev->cause == GW_CAUSE_UPSTREAM_REFUSED ||
	    ev->cause == GW_CAUSE_UPSTREAM_CONNECT_TIMEOUT)
		retry_cause = ev->cause;
	for (int i = 0; i < retries; i++) {
		at[i].addr = group;
		at[i].addr_len = group_len;
		at[i].cause = retry_cause;
	}
	last = &at[n - 1];
	last->addr = addr;
	last->addr_len = addr_len;
	if (l->t[2] >= 0)
		last->connect_ms = logscan_ms(l->t[2]);
	if (l->t[2] >= 0 && l->t[3] >= 0)
		last->header_ms = (int)(l->t[2] + l->t[3]);
	if (l->t[4] >= 0 && l->t[2] >= 0) {
		int64_t r = l->t[4] - (l->t[0] > 0 ? l->t[0] : 0) -
		    (l->t[1] > 0 ? l->t[1] : 0);

		last->response_ms = r >= 0 ? (int)r : 0;
	}
	if (l->t[3] >= 0 || l->status >= 500)
		last->status = (int)l->status;
	switch (ev->cause) {
	case GW_CAUSE_RATE_LIMITED:
	case GW_CAUSE_AUTH_FAILURE:
		last->cause = GW_CAUSE_OK;
		break;
	default:
		last->cause = ev->cause;
	}
	ev->attempts = at;
	ev->n_attempts = n;
	return 0;
}

/* HAProxy's own messages: kept as notices, nothing to store. */
static const char *const hap_notices[] = { "Proxy ", "Server ", "backend ",
    "Backend ", "Health check", "Stopping ", "Pausing ", "Resuming ",
    "Enabling ", "Disabling ", "Connect from ", "Loading ", "Starting ",
    "Halting ", "Shutting down", "Exiting", "Ready", "[NOTICE]",
    "[WARNING]", "[ALERT]", NULL };

/*
 * A line that is not an httplog request. HAProxy's own messages are
 * notices; a line with a client and an accept date (tcplog, a connection
 * error such as "SSL handshake failure", a custom log-format) and anything
 * else is a reject with its reason: nothing unparsed is silent.
 */
static enum format_result
hap_other(const char *line, size_t len, const char **reason)
{
	size_t lim = len < HAP_BODY_SEARCH ? len : HAP_BODY_SEARCH;
	const char *tag = memmem(line, lim, "haproxy[", 8);
	struct logscan s;
	struct logspan client, date, host;

	if (tag != NULL) {
		/* an unpeeled syslog header: the body follows "]: " */
		const char *end = memmem(tag, (size_t)(line + lim - tag), "]: ",
		    3);
		if (end != NULL) {
			len -= (size_t)(end + 3 - line);
			line = end + 3;
		}
	}
	for (size_t i = 0; hap_notices[i] != NULL; i++) {
		size_t n = strlen(hap_notices[i]);
		if (len >= n && memcmp(line, hap_notices[i], n) == 0)
			return FORMAT_NOTICE;
	}
	logscan_init(&s, line, len);
	if (logscan_token(&s, &client) && hap_client_ok(client, &host) &&
	    logscan_lit(&s, " [", 2) && logscan_until(&s, ']', &date) &&
	    date.n >= 20 && date.p[2] == '/') {
		*reason = logspan_has((struct logspan){ line, len },
		    "handshake failure") ? "HAProxy connection error, no "
		    "request (SSL handshake failure)" : "HAProxy line with a "
		    "client but not in httplog format (tcplog or a custom "
		    "log-format)";
		return FORMAT_REJECT;
	}
	*reason = "not an HAProxy httplog line";
	return FORMAT_REJECT;
}

/*
 * logspan_clf_time on an accept date, with the seconds of the last one
 * kept: lines of one second share "06/Feb/2009:12:14:14", so only the
 * fraction is read (as timeparse_clf reads it: any digits, the first
 * three kept) when nothing else follows. Anything else, or another
 * second, is timeparse_clf's, whose seconds are kept when it read no zone.
 * general_only (tests): timeparse_clf alone.
 */
static bool
hap_date(struct hap_state *st, struct logspan v, struct timeparse *t)
{
	if (st->general_only)
		return logspan_clf_time(v, t);
	if (st->date_valid && v.n >= 20 && memcmp(v.p, st->date_key, 20) ==
	    0) {
		size_t i = 20;
		int ms = 0, fd = 0;

		if (i < v.n && v.p[i] == '.') {
			for (i++; i < v.n && v.p[i] >= '0' && v.p[i] <= '9';
			    i++, fd++)
				if (fd < 3)
					ms = ms * 10 + (v.p[i] - '0');
			for (int k = fd; k < 3; k++)
				ms *= 10;
		}
		if (i == v.n && (v.n == 20 || fd > 0)) {
			t->ms = st->date_secs * 1000 + ms;
			t->tz_min = 0;
			t->has_tz = false;
			return true;
		}
	}
	if (!logspan_clf_time(v, t))
		return false;
	if (!t->has_tz && v.n >= 20) {
		memcpy(st->date_key, v.p, 20);
		st->date_secs = t->ms / 1000;
		st->date_valid = true;
	}
	return true;
}

/* See format.h. */
static enum format_result
hap_take(void *state, struct gw_batch *b, const char *line, size_t len,
    uint64_t line_no, uint64_t offset, const char **reason)
{
	struct hap_state *st = state;
	struct hap_line l;
	struct gw_event *ev;
	struct timeparse t;

	if (!st->general_only && hap_fast_split(line, len, &l))
		st->fast_count++;
	else if (!hap_split(line, len, &l))
		return hap_other(line, len, reason);
	if (!hap_date(st, l.date, &t)) {
		*reason = "bad HAProxy date";
		return FORMAT_REJECT;
	}
	if ((ev = batch_add_event(b)) == NULL)
		return FORMAT_NOMEM;
	logev_init(ev, line_no, offset);
	ev->tz_min = t.has_tz ? t.tz_min : st->tz_min;
	ev->tz_known = t.has_tz;
	ev->ts_ms = timeparse_ms(&t, st->tz_min) + (l.t[4] > 0 ? l.t[4] : 0);
	ev->request_ms = logscan_ms(l.t[4]);
	ev->status = (int)l.status;
	ev->bytes = l.bytes;
	if (!logspan_is_dash(l.host) && (ev->client = logspan_dup_len(l.host,
	    b->arena, &ev->client_len)) == NULL)
		return FORMAT_NOMEM;
	if (l.has_request && logreq_fill_lens(ev, l.request, b->arena) < 0)
		return FORMAT_NOMEM;
	ev->cause = hap_cause(&l);
	if (hap_attempts(st, ev, &l, b->arena) != 0)
		return FORMAT_NOMEM;
	/* every string is a span of the line (HAProxy writes a NUL of a
	 * request as it came) */
	logev_lens_done(ev, line, len);
	return FORMAT_EVENT;
}

/* See format.h. */
static size_t
hap_fast_count(void *state)
{
	return ((struct hap_state *)state)->fast_count;
}

const struct line_format haproxy_format = {
	.name = "haproxy",
	.kind = "haproxy_access",
	.match = hap_match,
	.open = hap_open,
	.close = hap_close,
	.take = hap_take,
	.fast_count = hap_fast_count,
};
