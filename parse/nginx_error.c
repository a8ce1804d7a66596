/*
 * nginx_error.c - the nginx error log; see nginx_error.h.
 *
 * A line is a fixed prefix, a free-text message and trailing fields:
 *
 *   2026/11/25 10:15:02 [error] 1234#1234: *567 MESSAGE while ACTION,
 *     client: C, server: S, request: "R", upstream: "U", host: "H"
 *
 * The prefix has a fixed shape and is scanned by hand (faster and simpler
 * than a regex); its date is read by core/timeparse.c and the request
 * line split by core/reqline.c, as in every other format. The message is free text that may itself hold ", " and
 * quotes, so the trailing fields are found from the ", client: " marker:
 * each occurrence (up to a few) is tried in turn and the first one after
 * which the rest of the line is a clean list of known fields wins; when
 * none is clean
 * (nginx cuts error lines at 2 KiB), the first is taken and fields are read
 * as far as they go. A quoted value ends at the first quote followed by the
 * end of the line or by another known field, so quotes inside a request
 * line do not end it early.
 *
 * The cause is found by an ordered table of rules over the whole message
 * (before any copy is capped): a rule can ask for the start of the message,
 * a substring of it, and the action nginx appends ("while connecting to
 * upstream"), which is always the end of the message. The first rule that
 * matches decides, so stop rules for look-alike messages that are not
 * failures (a response buffered to a temporary file, a dry-run limit, a
 * client's own error) come before the broad ones.
 *
 * Every read of the line is bounded by its length; the line need not be
 * NUL-terminated. Copies go to the caller's arena and are capped.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "core/hex.h"
#include "core/reqline.h"
#include "core/timeparse.h"
#include "parse/nginx_error.h"

#define NE_MESSAGE_MAX	1024	/* bytes of message kept */
#define NE_FIELD_MAX	1024	/* client, server, host, upstream, method */
#define NE_REQUEST_MAX	8192	/* the request line, before it is split */
#define NE_CLIENT_TRIES	16	/* ", client: " markers tried per line */

/* A literal and its length, for the tables below. */
#define NE_LIT(s)	{ (s), sizeof(s) - 1 }
#define NE_NONE		{ NULL, 0 }

struct ne_lit {
	const char *s;
	size_t n;
};

/* What the fixed prefix of a line holds. */
struct ne_prefix {
	int64_t local_ms;
	int level;
	int64_t conn;
	size_t msg_off;		/* where the message starts */
};

/* The trailing fields after the message, as spans of the line. */
enum ne_key {
	NE_KEY_SERVER,
	NE_KEY_REQUEST,
	NE_KEY_SUBREQUEST,
	NE_KEY_UPSTREAM,
	NE_KEY_HOST,
	NE_KEY_REFERRER,
	NE_KEY_BYTES_CLIENT,	/* stream module: bytes from/to client:N/N */
	NE_KEY_BYTES_UPSTREAM,
	NE_KEY_COUNT
};

static const struct {
	struct ne_lit lit;	/* includes the opening quote when quoted */
	bool quoted;
} ne_keys[NE_KEY_COUNT] = {
	[NE_KEY_SERVER] = { NE_LIT(", server: "), false },
	[NE_KEY_REQUEST] = { NE_LIT(", request: \""), true },
	[NE_KEY_SUBREQUEST] = { NE_LIT(", subrequest: \""), true },
	[NE_KEY_UPSTREAM] = { NE_LIT(", upstream: \""), true },
	[NE_KEY_HOST] = { NE_LIT(", host: \""), true },
	[NE_KEY_REFERRER] = { NE_LIT(", referrer: \""), true },
	[NE_KEY_BYTES_CLIENT] = { NE_LIT(", bytes from/to client:"), false },
	[NE_KEY_BYTES_UPSTREAM] = { NE_LIT(", bytes from/to upstream:"), false },
};

struct ne_span {
	const char *p;
	size_t n;
	bool set;
};

struct ne_tail {
	size_t msg_len;		/* message bytes before ", client: " */
	struct ne_span client;
	struct ne_span field[NE_KEY_COUNT];
};

static const struct ne_lit ne_client_marker = NE_LIT(", client: ");

/*
 * Rules from message to cause, first match wins. Each non-NULL part must
 * hold: start is a prefix of the message, has occurs in it, phase ends it.
 * A rule whose cause is GW_CAUSE_UNKNOWN stops the search with no cause.
 */
struct ne_rule {
	struct ne_lit start;
	struct ne_lit has;
	struct ne_lit phase;
	enum gw_cause cause;
};

#define P_CONNECT	NE_LIT(" while connecting to upstream")
#define P_SSL		NE_LIT(" while SSL handshaking to upstream")
#define P_SENDING	NE_LIT(" while sending request to upstream")
#define P_HEADER	NE_LIT(" while reading response header from upstream")
#define P_BODY		NE_LIT(" while reading upstream")

static const struct ne_rule ne_rules[] = {
	/* Look-alikes that are not failures. */
	{ NE_LIT("an upstream response is buffered"), NE_NONE, NE_NONE,
	    GW_CAUSE_UNKNOWN },
	{ NE_LIT("limiting requests, dry run"), NE_NONE, NE_NONE,
	    GW_CAUSE_UNKNOWN },
	{ NE_LIT("limiting connections, dry run"), NE_NONE, NE_NONE,
	    GW_CAUSE_UNKNOWN },

	/* The client went away first; other client errors are its own. */
	{ NE_NONE, NE_LIT("client prematurely closed connection"), NE_NONE,
	    GW_CAUSE_CLIENT_CLOSED },
	{ NE_LIT("client "), NE_NONE, NE_NONE, GW_CAUSE_UNKNOWN },

	/* The gateway refused by itself. */
	{ NE_LIT("no live upstreams"), NE_NONE, NE_NONE,
	    GW_CAUSE_NO_LIVE_UPSTREAM },
	{ NE_LIT("limiting requests"), NE_NONE, NE_NONE,
	    GW_CAUSE_RATE_LIMITED },
	{ NE_LIT("limiting connections"), NE_NONE, NE_NONE,
	    GW_CAUSE_RATE_LIMITED },
	{ NE_LIT("auth request unexpected status"), NE_NONE, NE_NONE,
	    GW_CAUSE_AUTH_FAILURE },

	/* Name resolution (before timeouts: "(110: Operation timed out)"). */
	{ NE_LIT("no resolver defined"), NE_NONE, NE_NONE,
	    GW_CAUSE_DNS_FAILURE },
	{ NE_LIT("host not found in upstream"), NE_NONE, NE_NONE,
	    GW_CAUSE_DNS_FAILURE },
	{ NE_NONE, NE_LIT(" could not be resolved"), NE_NONE,
	    GW_CAUSE_DNS_FAILURE },

	/* The upstream answered, but not with valid HTTP. */
	{ NE_LIT("upstream sent too big header"), NE_NONE, NE_NONE,
	    GW_CAUSE_UPSTREAM_HEADER_TOO_BIG },
	{ NE_LIT("upstream sent invalid"), NE_NONE, NE_NONE,
	    GW_CAUSE_UPSTREAM_INVALID_RESPONSE },
	{ NE_LIT("upstream sent no valid"), NE_NONE, NE_NONE,
	    GW_CAUSE_UPSTREAM_INVALID_RESPONSE },
	{ NE_LIT("upstream sent duplicate header line"), NE_NONE, NE_NONE,
	    GW_CAUSE_UPSTREAM_INVALID_RESPONSE },
	{ NE_LIT("upstream sent unexpected FastCGI record"), NE_NONE, NE_NONE,
	    GW_CAUSE_UPSTREAM_INVALID_RESPONSE },
	{ NE_LIT("upstream sent more data than specified"), NE_NONE, NE_NONE,
	    GW_CAUSE_UPSTREAM_INVALID_RESPONSE },

	/* TLS towards the upstream (a client's handshake has no "to upstream"). */
	{ NE_LIT("upstream SSL certificate"), NE_NONE, NE_NONE,
	    GW_CAUSE_TLS_FAILURE },
	{ NE_NONE, NE_LIT("timed out"), P_SSL,
	    GW_CAUSE_UPSTREAM_CONNECT_TIMEOUT },
	{ NE_NONE, NE_NONE, P_SSL, GW_CAUSE_TLS_FAILURE },

	/* Connecting. */
	{ NE_LIT("connect() "), NE_LIT("(113: No route to host)"), NE_NONE,
	    GW_CAUSE_UPSTREAM_UNREACHABLE },
	{ NE_LIT("connect() "), NE_LIT("(101: Network is unreachable)"), NE_NONE,
	    GW_CAUSE_UPSTREAM_UNREACHABLE },
	{ NE_LIT("connect() "), NE_LIT("(112: Host is down)"), NE_NONE,
	    GW_CAUSE_UPSTREAM_UNREACHABLE },
	{ NE_LIT("connect() "), NE_LIT("(111: Connection refused)"), NE_NONE,
	    GW_CAUSE_UPSTREAM_REFUSED },
	/* the gateway host's own policy (SELinux, a firewall on output) */
	{ NE_LIT("connect() "), NE_LIT("(13: Permission denied)"), P_CONNECT,
	    GW_CAUSE_GATEWAY_INTERNAL },
	{ NE_LIT("connect() to unix:"), NE_LIT("(2: No such file or directory)"),
	    NE_NONE, GW_CAUSE_UPSTREAM_REFUSED },
	{ NE_NONE, NE_LIT("timed out"), P_CONNECT,
	    GW_CAUSE_UPSTREAM_CONNECT_TIMEOUT },

	/* Sending the request, waiting for the response header. */
	{ NE_NONE, NE_LIT("timed out"), P_HEADER,
	    GW_CAUSE_UPSTREAM_READ_TIMEOUT },
	{ NE_NONE, NE_LIT("timed out"), P_SENDING,
	    GW_CAUSE_UPSTREAM_READ_TIMEOUT },
	{ NE_LIT("upstream prematurely closed"), NE_NONE, P_HEADER,
	    GW_CAUSE_UPSTREAM_CLOSED_EARLY },
	{ NE_LIT("upstream prematurely closed"), NE_NONE, P_SENDING,
	    GW_CAUSE_UPSTREAM_CLOSED_EARLY },
	{ NE_NONE, NE_LIT("(104: Connection reset by peer)"), P_HEADER,
	    GW_CAUSE_UPSTREAM_RESET },
	{ NE_NONE, NE_LIT("(104: Connection reset by peer)"), P_SENDING,
	    GW_CAUSE_UPSTREAM_RESET },
	{ NE_NONE, NE_LIT("(32: Broken pipe)"), P_SENDING,
	    GW_CAUSE_UPSTREAM_RESET },
	{ NE_NONE, NE_LIT("(32: Broken pipe)"), P_HEADER,
	    GW_CAUSE_UPSTREAM_RESET },

	/* Anything going wrong after the header: the body was cut short. */
	{ NE_NONE, NE_NONE, P_BODY, GW_CAUSE_UPSTREAM_TRUNCATED },
};

/* Actions that make an [error] line without a cause a failure record. */
static const struct ne_lit ne_upstream_words[] = {
	NE_LIT(" to upstream"),
	NE_LIT(" from upstream"),
	NE_LIT(" reading upstream"),
};

static const struct ne_lit ne_levels[] = {
	NE_LIT("emerg"), NE_LIT("alert"), NE_LIT("crit"), NE_LIT("error"),
	NE_LIT("warn"), NE_LIT("notice"), NE_LIT("info"), NE_LIT("debug"),
};

#define NE_LEVEL_ERROR	3

/* True when the n bytes at p begin with lit. */
static bool
ne_starts(const char *p, size_t n, const struct ne_lit *lit)
{
	return n >= lit->n && memcmp(p, lit->s, lit->n) == 0;
}

/* True when the n bytes at p end with lit. */
static bool
ne_ends(const char *p, size_t n, const struct ne_lit *lit)
{
	return n >= lit->n && memcmp(p + n - lit->n, lit->s, lit->n) == 0;
}

/* The first lit in the n bytes at p, or NULL. */
static const char *
ne_find(const char *p, size_t n, const struct ne_lit *lit)
{
	if (lit->n == 0 || n < lit->n)
		return NULL;
	return memmem(p, n, lit->s, lit->n);
}

/* True when the byte is an ASCII digit. */
static bool
ne_isdigit(char c)
{
	return c >= '0' && c <= '9';
}

/* Read 1..max digits at p[*i] into *v and advance *i; false when none. */
static bool
ne_number(const char *p, size_t n, size_t *i, int max, int64_t *v)
{
	int64_t x = 0;
	int k = 0;

	while (*i < n && ne_isdigit(p[*i]) && k < max) {
		x = x * 10 + (p[*i] - '0');
		(*i)++;
		k++;
	}
	if (k == 0 || (*i < n && ne_isdigit(p[*i])))
		return false;
	*v = x;
	return true;
}

/* True when p[*i] is c (bounded by n); advances past it. */
static bool
ne_byte(const char *p, size_t n, size_t *i, char c)
{
	if (*i >= n || p[*i] != c)
		return false;
	(*i)++;
	return true;
}

/*
 * Scan the fixed prefix "YYYY/MM/DD HH:MM:SS [level] PID#TID: [*CONN ]".
 * Returns 0 and fills *pre, or -1 with *reason when the line has not that
 * shape or no message follows it.
 */
static int
ne_prefix(const char *p, size_t n, struct ne_prefix *pre, const char **reason)
{
	size_t i, j;
	struct timeparse t;
	int64_t pid, tid, conn;

	i = timeparse_nginx(p, n, &t);
	if (i == 0 || !ne_byte(p, n, &i, ' ')) {
		/* the shape of a stamp with a field out of range, or none */
		*reason = i == 0 && n >= 19 && p[4] == '/' && p[7] == '/' &&
		    p[10] == ' ' && p[13] == ':' && p[16] == ':' ?
		    "nginx error log: date or time out of range" :
		    "not an nginx error-log line: no date and time";
		return -1;
	}

	pre->level = -1;
	if (ne_byte(p, n, &i, '[')) {
		for (size_t k = 0; k < sizeof(ne_levels) / sizeof(ne_levels[0]);
		    k++) {
			const struct ne_lit *l = &ne_levels[k];
			if (ne_starts(p + i, n - i, l) && n - i > l->n &&
			    p[i + l->n] == ']') {
				pre->level = (int)k;
				i += l->n + 1;
				break;
			}
		}
	}
	if (pre->level < 0 || !ne_byte(p, n, &i, ' ')) {
		*reason = "not an nginx error-log line: no [level]";
		return -1;
	}

	if (!ne_number(p, n, &i, 10, &pid) || !ne_byte(p, n, &i, '#') ||
	    !ne_number(p, n, &i, 10, &tid) || !ne_byte(p, n, &i, ':') ||
	    !ne_byte(p, n, &i, ' ')) {
		*reason = "not an nginx error-log line: no PID#TID";
		return -1;
	}

	pre->conn = -1;
	j = i;
	if (ne_byte(p, n, &j, '*')) {
		size_t k = j;

		while (k < n && ne_isdigit(p[k]))
			k++;
		if (k == n)
			i = n;	/* cut inside "*CONN" */
		else if (ne_number(p, n, &j, 18, &conn) &&
		    ne_byte(p, n, &j, ' ')) {
			pre->conn = conn;
			i = j;
		}
	}
	if (i >= n) {
		*reason = "nginx error log: line ends before the message";
		return -1;
	}

	pre->local_ms = t.ms;
	pre->msg_off = i;
	return 0;
}

/* The trailing field that starts at p (n bytes left), or -1. */
static int
ne_key_at(const char *p, size_t n)
{
	if (n < 2 || p[0] != ',' || p[1] != ' ')
		return -1;
	for (int k = 0; k < NE_KEY_COUNT; k++)
		if (ne_starts(p, n, &ne_keys[k].lit))
			return k;
	return -1;
}

/* Bytes of an unquoted value at p: up to the next known field or the end. */
static size_t
ne_plain_len(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] == ',' && ne_key_at(p + i, n - i) >= 0)
			return i;
	return n;
}

/*
 * Bytes of a quoted value at p (after its opening quote): up to the first
 * quote that ends the line or is followed by a known field. Returns false
 * when there is none (the line was cut); *len is then the rest of the line.
 */
static bool
ne_quoted_len(const char *p, size_t n, size_t *len)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] != '"')
			continue;
		if (i + 1 == n || ne_key_at(p + i + 1, n - i - 1) >= 0) {
			*len = i;
			return true;
		}
	}
	*len = n;
	return false;
}

/* True when a client address looks like one: no blanks, no quotes. */
static bool
ne_client_ok(const char *p, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (p[i] == ' ' || p[i] == '"' || p[i] == '\t')
			return false;
	return true;
}

/*
 * Read the fields that follow ", client: " at p (n bytes, marker included).
 * Strict: every byte must belong to a known field, else false. Not strict:
 * read as far as the fields go and keep them.
 */
static bool
ne_fields(const char *p, size_t n, bool strict, struct ne_tail *t)
{
	size_t i = ne_client_marker.n, len;

	len = ne_plain_len(p + i, n - i);
	if (strict && !ne_client_ok(p + i, len))
		return false;
	t->client = (struct ne_span){ p + i, len, true };
	i += len;

	while (i < n) {
		int k = ne_key_at(p + i, n - i);
		bool closed = true;

		if (k < 0)
			return !strict;
		i += ne_keys[k].lit.n;
		if (ne_keys[k].quoted)
			closed = ne_quoted_len(p + i, n - i, &len);
		else
			len = ne_plain_len(p + i, n - i);
		if (strict && (!closed || t->field[k].set))
			return false;
		t->field[k] = (struct ne_span){ p + i, len, true };
		i += len + (closed && ne_keys[k].quoted);
	}
	return true;
}

/*
 * Split the message (n bytes at p, the part of the line after the prefix)
 * from its trailing fields into *t.
 */
static void
ne_tail(const char *p, size_t n, struct ne_tail *t)
{
	const char *first = ne_find(p, n, &ne_client_marker);
	const char *c = first;

	int tries = 0;

	memset(t, 0, sizeof(*t));
	t->msg_len = n;
	while (c != NULL && tries++ < NE_CLIENT_TRIES) {
		size_t off = (size_t)(c - p);
		struct ne_tail try;

		memset(&try, 0, sizeof(try));
		if (ne_fields(c, n - off, true, &try)) {
			*t = try;
			t->msg_len = off;
			return;
		}
		c = ne_find(c + 1, n - off - 1, &ne_client_marker);
	}
	if (first != NULL) {
		ne_fields(first, n - (size_t)(first - p), false, t);
		t->msg_len = (size_t)(first - p);
	}
}

/* Length of the first o bytes of s without a UTF-8 sequence cut short. */
static size_t
ne_utf8_cut(const char *s, size_t o)
{
	size_t k = o, back = 0, need;
	unsigned char lead;

	while (k > 0 && back < 3 && ((unsigned char)s[k - 1] & 0xc0) == 0x80) {
		k--;
		back++;
	}
	if (k == 0 || ((unsigned char)s[k - 1] & 0xc0) != 0xc0)
		return o;
	lead = (unsigned char)s[k - 1];
	need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
	return back + 1 < need ? k - 1 : o;
}

/*
 * Copy at most max bytes of the n bytes at p into the arena, NUL-terminated;
 * with unescape, "\xHH" (but not \x00) and "\"" become the byte they stand
 * for. A cut copy does not end inside a UTF-8 sequence. *ok is cleared when
 * the arena is out of memory.
 */
static char *
ne_copy(struct arena *a, const char *p, size_t n, size_t max, bool unescape,
    bool *ok)
{
	size_t cap = n < max ? n : max, o = 0, i = 0;
	bool cut = false;
	char *s = arena_alloc(a, cap + 1);

	if (s == NULL) {
		*ok = false;
		return NULL;
	}
	while (i < n) {
		char c = p[i];
		size_t used = 1;
		int hi = n - i >= 4 ? hex_digit((unsigned char)p[i + 2]) : -1;
		int lo = n - i >= 4 ? hex_digit((unsigned char)p[i + 3]) : -1;

		if (unescape && c == '\\' && n - i >= 4 && p[i + 1] == 'x' &&
		    hi >= 0 && lo >= 0 && (hi | lo) != 0) {
			c = (char)(hi * 16 + lo);
			used = 4;
		} else if (unescape && c == '\\' && n - i >= 2 &&
		    p[i + 1] == '"') {
			c = '"';
			used = 2;
		}
		if (o == cap) {
			cut = true;
			break;
		}
		s[o++] = c;
		i += used;
	}
	if (cut)
		o = ne_utf8_cut(s, o);
	s[o] = '\0';
	return s;
}

/* The copy of a span, or NULL when it is absent, empty or "-". */
static char *
ne_field(struct arena *a, const struct ne_span *sp, size_t max, bool unescape,
    bool *ok)
{
	if (!sp->set || sp->n == 0 || (sp->n == 1 && sp->p[0] == '-'))
		return NULL;
	return ne_copy(a, sp->p, sp->n, max, unescape, ok);
}

/*
 * Cut an upstream URL in place down to its address: "http://10.0.0.5:8080/x"
 * gives "10.0.0.5:8080", "http://unix:/run/app.sock:/x" gives
 * "unix:/run/app.sock", "http://[::1]:8080/" gives "[::1]:8080",
 * "http://backend/x" the group name "backend". Returns NULL when nothing
 * is left.
 */
static const char *
ne_upstream_addr(char *u)
{
	char *p = strstr(u, "://"), *end;

	if (p != NULL)
		u = p + 3;
	if (strncmp(u, "unix:", 5) == 0)
		end = strchr(u + 5, ':');
	else
		end = strchr(u, '/');
	if (end != NULL)
		*end = '\0';
	return *u != '\0' ? u : NULL;
}

/* The span's bytes as a string in place: the byte after it (a separator
 * of the request line, or its end) becomes the NUL. */
static const char *
ne_span_str(char *r, size_t n, struct reqline_span sp)
{
	uintptr_t at = (uintptr_t)sp.p, start = (uintptr_t)r;

	if (sp.n == 0)
		return NULL;
	if (at < start || at >= start + n)	/* "/" of "http://h" */
		return sp.p;
	r[(at - start) + sp.n] = '\0';
	return r + (at - start);
}

/*
 * Split a request line in place into method, path and query with
 * core/reqline.c: "GET /p?q=1 HTTP/1.1". The host of an absolute-form
 * target is not kept: the error line names the host in its own field.
 */
static void
ne_split_request(char *r, struct gw_gateway_error *out)
{
	struct reqline rl;
	size_t n = strlen(r);

	if (!reqline_split(r, n, &rl))
		return;
	out->method = ne_span_str(r, n, rl.method);
	out->path = ne_span_str(r, n, rl.path);
	out->query = ne_span_str(r, n, rl.query);
}

/* True when an [error] (or worse) line speaks of an upstream exchange. */
static bool
ne_upstream_failure(const char *msg, size_t n, int level)
{
	if (level > NE_LEVEL_ERROR)
		return false;
	for (size_t k = 0;
	    k < sizeof(ne_upstream_words) / sizeof(ne_upstream_words[0]); k++)
		if (ne_find(msg, n, &ne_upstream_words[k]) != NULL)
			return true;
	return false;
}

/* See nginx_error.h. */
bool
nginx_error_match(const char *line, size_t len)
{
	struct ne_prefix pre;
	const char *reason;

	if (line == NULL)
		return false;
	return ne_prefix(line, len, &pre, &reason) == 0;
}

/* See nginx_error.h. */
enum gw_cause
nginx_error_cause(const char *msg, size_t len)
{
	if (msg == NULL)
		return GW_CAUSE_UNKNOWN;
	for (size_t k = 0; k < sizeof(ne_rules) / sizeof(ne_rules[0]); k++) {
		const struct ne_rule *r = &ne_rules[k];

		if (r->start.s != NULL && !ne_starts(msg, len, &r->start))
			continue;
		if (r->phase.s != NULL && !ne_ends(msg, len, &r->phase))
			continue;
		if (r->has.s != NULL && ne_find(msg, len, &r->has) == NULL)
			continue;
		return r->cause;
	}
	return GW_CAUSE_UNKNOWN;
}

/*
 * See nginx_error.h. Every field of *out but line_no and offset is set;
 * those are left for the caller. A trailing CR is ignored; a line with a
 * NUL byte is rejected. Running out of arena memory is FORMAT_NOMEM.
 */
enum format_result
nginx_error_parse(const char *line, size_t len, struct arena *a,
    struct gw_gateway_error *out, const char **reason)
{
	struct ne_prefix pre;
	struct ne_tail t;
	const char *msg;
	char *req, *ups;
	bool ok = true;

	if (line == NULL || len == 0) {
		*reason = "empty line";
		return FORMAT_REJECT;
	}
	if (line[len - 1] == '\r')
		len--;
	if (memchr(line, '\0', len) != NULL) {
		*reason = "NUL byte in line";
		return FORMAT_REJECT;
	}
	if (ne_prefix(line, len, &pre, reason) != 0)
		return FORMAT_REJECT;

	msg = line + pre.msg_off;
	ne_tail(msg, len - pre.msg_off, &t);

	out->local_ms = pre.local_ms;
	out->level = pre.level;
	out->conn = pre.conn;
	out->cause = nginx_error_cause(msg, t.msg_len);
	out->message = ne_copy(a, msg, t.msg_len, NE_MESSAGE_MAX, false, &ok);
	out->client = ne_field(a, &t.client, NE_FIELD_MAX, false, &ok);
	out->server = ne_field(a, &t.field[NE_KEY_SERVER], NE_FIELD_MAX, false,
	    &ok);
	out->host = ne_field(a, &t.field[NE_KEY_HOST], NE_FIELD_MAX, true, &ok);
	out->method = out->path = out->query = out->upstream = NULL;

	req = ne_field(a, &t.field[NE_KEY_REQUEST], NE_REQUEST_MAX,
	    true, &ok);
	if (req != NULL)
		ne_split_request(req, out);
	ups = ne_field(a, &t.field[NE_KEY_UPSTREAM], NE_FIELD_MAX, true,
	    &ok);
	if (ups != NULL)
		out->upstream = ne_upstream_addr(ups);
	/*
	 * A failure of a subrequest's own upstream: the subrequest that
	 * decides the client's answer is auth_request's, so the client's
	 * failure is auth_failure, with the auth service as the upstream named
	 * (causes.md). It joins only a request that reached no upstream of its
	 * own (store/join.c), so a mirror subrequest's failure is never laid
	 * on the route's upstream.
	 */
	if (t.field[NE_KEY_SUBREQUEST].set && out->cause !=
	    GW_CAUSE_CLIENT_CLOSED && (out->cause != GW_CAUSE_UNKNOWN ||
	    ne_upstream_failure(msg, t.msg_len, pre.level)))
		out->cause = GW_CAUSE_AUTH_FAILURE;

	if (!ok) {
		*reason = "out of memory";
		return FORMAT_NOMEM;
	}
	if (out->cause != GW_CAUSE_UNKNOWN ||
	    ne_upstream_failure(msg, t.msg_len, pre.level))
		return FORMAT_ERROR;
	return FORMAT_NOTICE;
}

/* The registry's match: a cheap look at "2026/11/25 10:15:02 [" first. */
static enum format_result
ne_format_match(void *state, const char *line, size_t len)
{
	(void)state;
	return (len > 20 && line[4] == '/' && line[7] == '/' &&
	    nginx_error_match(line, len)) ? FORMAT_EVENT :
	    FORMAT_REJECT;
}

/* The registry's take: a gateway error record, a notice or a reject. */
static enum format_result
ne_format_take(void *state, struct gw_batch *b, const char *line, size_t len,
    uint64_t line_no, uint64_t offset, const char **reason)
{
	struct gw_gateway_error *ge = batch_add_error(b);
	enum format_result r;

	(void)state;
	if (ge == NULL)
		return FORMAT_NOMEM;
	r = nginx_error_parse(line, len, b->arena, ge, reason);
	if (r != FORMAT_ERROR) {
		b->n_errors--;
		return r;
	}
	ge->line_no = line_no;
	ge->offset = offset;
	return r;
}

const struct line_format nginx_error_format = {
	.name = "nginx-error",
	.kind = "nginx_error",
	.match = ne_format_match,
	.take = ne_format_take,
	.per_line = true,
};
