/*
 * wrapper.c - transport wrappers peeled off a log line; see wrapper.h.
 *
 * The first byte decides what is tried, so a plain gateway line (an IP
 * address, "2026/..." of nginx's error log, "{" of a JSON log) costs one or
 * two byte tests:
 *
 *   0xEF        a UTF-8 BOM (stripped, then look again)
 *   '<'         syslog <PRI>: RFC 5424 ("<PRI>1 ...") or RFC 3164
 *   A-Z month   RFC 3164 without <PRI> / rsyslog's traditional file format /
 *               journalctl -o short
 *   digit       only when "YYYY-MM-DDT" follows: CRI ("TS stdout F ..."),
 *               rsyslog's ISO file format, journalctl -o short-iso
 *   '{'         only `{"log":"` (Docker json-file) and `{"__CURSOR"`
 *               (journalctl -o json); any other JSON is the gateway's own
 *   other       "name  | " of `docker compose logs` (ANSI colours allowed);
 *               after it, "TS " of `docker compose logs -t`
 *
 * Each layer is peeled at most once, compose only as the outermost one. A
 * syslog header must end in a program tag ("nginx:", "haproxy[12]:") unless
 * it had a <PRI>, so a format starting with a time stamp of its own is not
 * taken for syslog. JSON strings are decoded into a scratch buffer; partial
 * records (CRI "P", Docker's log without "\n") are joined per stream.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/timeparse.h"
#include "parse/wrapper.h"

#define WRAP_TAG_MAX	64	/* longest syslog tag taken */
#define WRAP_HOST_MAX	255	/* longest host name taken */
#define WRAP_NAME_MAX	64	/* longest compose service name */

/* A partial line being joined, per stream (0 unknown/stdout, 1 stderr). */
struct wrap_join {
	char *buf;
	size_t len, cap;
	bool active, cut;
};

struct wrapper {
	size_t max;		/* budget of a joined line */
	char *scratch;		/* decoded JSON values */
	size_t scratch_cap;
	struct wrap_join join[2];
	/* the last RFC 3164 time read whole ("Dec  6 12:00:00"): the lines
	 * of one second share it (ts_3164_kept) */
	char ts_key[15];
	bool ts_valid;
};

/* See wrapper.h. */
struct wrapper *
wrapper_new(size_t max_line)
{
	struct wrapper *w = gw_calloc(1, sizeof(*w));

	if (w != NULL)
		w->max = max_line > 0 ? max_line : 1 << 20;
	return w;
}

/* See wrapper.h. */
void
wrapper_free(struct wrapper *w)
{
	if (w == NULL)
		return;
	free(w->scratch);
	free(w->join[0].buf);
	free(w->join[1].buf);
	free(w);
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool
is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/*
 * Length of an RFC 3164 time ("Dec  6 12:00:00", optional ".ffffff") at
 * p, or 0; read (and checked: no 30 February) by core/timeparse.c. The
 * time itself is not kept: the gateway's line has its own.
 */
static size_t
ts_3164(const char *p, size_t n)
{
	struct timeparse t;

	return timeparse_rfc3164(p, n, -1, &t);
}

/*
 * ts_3164 with the last valid time's 15 bytes kept: the same bytes again
 * without a fraction after them are the same valid 15-byte time (what
 * decides it is in those bytes), so only another second, or a fraction,
 * is read again.
 */
static size_t
ts_3164_kept(struct wrapper *w, const char *p, size_t n)
{
	size_t t;

	if (w->ts_valid && n >= 15 && memcmp(p, w->ts_key, 15) == 0 &&
	    (n == 15 || p[15] != '.'))
		return 15;
	if ((t = ts_3164(p, n)) > 0) {
		memcpy(w->ts_key, p, 15);
		w->ts_valid = true;
	}
	return t;
}

/*
 * Length of an RFC 3339 time with its 'T' ("2026-12-06T12:00:00.123+01:00",
 * zone optional: Z, +hh:mm, +hhmm, +hh) at p, or 0; core/timeparse.c.
 */
static size_t
ts_iso(const char *p, size_t n)
{
	struct timeparse t;

	if (n < 11 || p[10] != 'T')
		return 0;
	return timeparse_iso(p, n, 0, &t);
}

/* The bytes of a program tag's name: letters, digits, "_-./". */
static const unsigned char tag_char[256] = {
	['_'] = 1, ['-'] = 1, ['.'] = 1, ['/'] = 1,
	['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1,
	['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
	['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1,
	['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1,
	['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1,
	['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
	['Y'] = 1, ['Z'] = 1,
	['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
	['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1,
	['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1,
	['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
	['y'] = 1, ['z'] = 1,
};

/*
 * A syslog program tag ending at the first ':' of token (tok bytes): "nginx",
 * "haproxy[123]", "traefik/1"; its length without the ':' or 0.
 */
static size_t
tag_len(const char *tok, size_t n)
{
	size_t i = 0;

	if (n < 2 || tok[n - 1] != ':' || !is_alpha(tok[0]))
		return 0;
	n--;
	while (i < n && i < WRAP_TAG_MAX && tag_char[(unsigned char)tok[i]])
		i++;
	if (i < n && tok[i] == '[') {
		size_t j = i + 1;
		while (j < n && is_digit(tok[j]))
			j++;
		if (j == i + 1 || j >= n || tok[j] != ']')
			return 0;
		i = j + 1;
	}
	return i == n ? n : 0;
}

/* Length of the token at p (up to a space or the end). */
static size_t
token(const char *p, size_t n)
{
	const char *sp = memchr(p, ' ', n);

	return sp != NULL ? (size_t)(sp - p) : n;
}

/*
 * After the time of a syslog header: "[host ]tag: message". With need_tag
 * false (a <PRI> was seen) a missing tag leaves the rest as the message.
 */
static bool
syslog_rest(const char *p, size_t n, bool need_tag, struct wrapped *out)
{
	size_t a = token(p, n), t;

	if ((t = tag_len(p, a)) > 0) {
		out->tag = p;
		out->tag_len = t;
		p += a, n -= a;
	} else if (a > 0 && a <= WRAP_HOST_MAX && a < n) {
		size_t b = token(p + a + 1, n - a - 1);
		if ((t = tag_len(p + a + 1, b)) > 0) {
			out->host = p;
			out->host_len = a;
			out->tag = p + a + 1;
			out->tag_len = t;
			p += a + 1 + b;
			n -= a + 1 + b;
		} else if (need_tag) {
			return false;
		}
	} else if (need_tag) {
		return false;
	}
	if (n > 0 && *p == ' ')
		p++, n--;
	out->p = p;
	out->len = n;
	return true;
}

/* A tag "name[pid]" without pid, for callers that compare names. */
static void
tag_trim_pid(struct wrapped *out)
{
	const char *b;

	if (out->tag != NULL && (b = memchr(out->tag, '[', out->tag_len)))
		out->tag_len = (size_t)(b - out->tag);
}

/* RFC 5424 structured data: "-" or "[...]..."; its length or 0. */
static size_t
sd_len(const char *p, size_t n)
{
	size_t i = 0;

	if (n > 0 && p[0] == '-')
		return 1;
	while (i < n && p[i] == '[') {
		bool quoted = false;
		for (i++; i < n; i++) {
			if (quoted && p[i] == '\\') {
				i++;
				continue;
			}
			if (p[i] == '"')
				quoted = !quoted;
			else if (!quoted && p[i] == ']')
				break;
		}
		if (i >= n)
			return 0;
		i++;
	}
	return i;
}

/* "<PRI>..." at p: RFC 5424 or RFC 3164 (or a bare "<PRI>message"). */
static bool
peel_pri(struct wrapper *w, const char *p, size_t n, struct wrapped *out)
{
	size_t i = 1, t;

	while (i < n && i <= 4 && is_digit(p[i]))
		i++;
	if (i == 1 || i >= n || p[i] != '>')
		return false;
	p += i + 1, n -= i + 1;
	if (n >= 2 && p[0] == '1' && p[1] == ' ') {
		/* RFC 5424: VERSION TS HOST APP PROCID MSGID SD [MSG] */
		const char *f[5];
		size_t fl[5];
		p += 2, n -= 2;
		for (int k = 0; k < 5; k++) {
			f[k] = p;
			fl[k] = token(p, n);
			if (fl[k] == 0 || fl[k] >= n)
				return false;
			p += fl[k] + 1, n -= fl[k] + 1;
		}
		if ((t = sd_len(p, n)) == 0)
			return false;
		p += t, n -= t;
		if (n > 0 && *p == ' ')
			p++, n--;
		if (n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
			p += 3, n -= 3;
		if (!(fl[1] == 1 && f[1][0] == '-')) {
			out->host = f[1];
			out->host_len = fl[1];
		}
		if (!(fl[2] == 1 && f[2][0] == '-')) {
			out->tag = f[2];
			out->tag_len = fl[2];
		}
		out->p = p;
		out->len = n;
		out->layers |= WRAP_RFC5424;
		return true;
	}
	if ((t = ts_3164_kept(w, p, n)) > 0 || (t = ts_iso(p, n)) > 0) {
		if (t < n && p[t] == ' ') {
			p += t + 1, n -= t + 1;
			if (!syslog_rest(p, n, false, out))
				return false;
			out->layers |= WRAP_SYSLOG;
			tag_trim_pid(out);
			return true;
		}
	}
	/* "<PRI>message" (HAProxy's `format short` / `priority`) */
	out->p = p;
	out->len = n;
	out->layers |= WRAP_SYSLOG;
	return true;
}

/* A syslog line without <PRI> whose time is t bytes at p. */
static bool
peel_plain_syslog(const char *p, size_t n, size_t t, struct wrapped *out)
{
	struct wrapped w = *out;

	if (t == 0 || t >= n || p[t] != ' ')
		return false;
	if (!syslog_rest(p + t + 1, n - t - 1, true, &w))
		return false;
	*out = w;
	out->layers |= WRAP_SYSLOG;
	tag_trim_pid(out);
	return true;
}

/* CRI: "TS stdout|stderr F|P message"; t = length of TS. *partial set. */
static bool
peel_cri(const char *p, size_t n, size_t t, struct wrapped *out,
    bool *partial)
{
	int stream;

	if (t + 10 > n || p[t] != ' ')
		return false;
	p += t + 1, n -= t + 1;
	if (memcmp(p, "stdout ", 7) == 0)
		stream = 1;
	else if (memcmp(p, "stderr ", 7) == 0)
		stream = 2;
	else
		return false;
	p += 7, n -= 7;
	if ((p[0] != 'F' && p[0] != 'P') || !(n == 1 || p[1] == ' '))
		return false;
	out->stream = stream;
	*partial = p[0] == 'P';
	p += n > 1 ? 2 : 1;
	n -= n > 1 ? 2 : 1;
	out->p = p;
	out->len = n;
	out->layers |= WRAP_CRI;
	return true;
}

/* ESC [ ... letter sequences at p; bytes skipped. */
static size_t
skip_ansi(const char *p, size_t n)
{
	size_t i = 0;

	while (i + 1 < n && p[i] == '\x1b' && p[i + 1] == '[') {
		size_t j = i + 2;
		while (j < n && (is_digit(p[j]) || p[j] == ';'))
			j++;
		if (j >= n || !is_alpha(p[j]))
			break;
		i = j + 1;
	}
	return i;
}

/* "name  | message" of docker compose logs (colours allowed). */
static bool
peel_compose(const char *p, size_t n, struct wrapped *out)
{
	size_t i = skip_ansi(p, n), start = i, end;

	while (i < n && i - start < WRAP_NAME_MAX && (is_alpha(p[i]) ||
	    is_digit(p[i]) || p[i] == '_' || p[i] == '-' || p[i] == '.'))
		i++;
	end = i;
	if (end == start || i >= n || p[i] != ' ')
		return false;
	while (i < n && p[i] == ' ')
		i++;
	if (i >= n || p[i] != '|')
		return false;
	i++;
	i += skip_ansi(p + i, n - i);
	if (i < n && p[i] == ' ')
		i++;
	else if (i < n)
		return false;
	out->tag = p + start;
	out->tag_len = end - start;
	out->p = p + i;
	out->len = n - i;
	out->layers |= WRAP_COMPOSE;
	return true;
}

/* Grow the scratch buffer to n bytes; false on OOM. */
static bool
scratch_fit(struct wrapper *w, size_t n)
{
	if (n <= w->scratch_cap)
		return true;
	size_t cap = w->scratch_cap ? w->scratch_cap : 256;
	while (cap < n)
		cap *= 2;
	char *b = gw_realloc(w->scratch, cap);
	if (b == NULL)
		return false;
	w->scratch = b;
	w->scratch_cap = cap;
	return true;
}

/* Value of one hex digit, or -1. */
static int
hexval(char c)
{
	if (is_digit(c))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Four hex digits at p (n bytes left); -1 when not. */
static long
hex4(const char *p, size_t n)
{
	long v = 0;

	if (n < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		int h = hexval(p[i]);
		if (h < 0)
			return -1;
		v = v * 16 + h;
	}
	return v;
}

/*
 * Decode the inside of a JSON string (raw, n bytes) into dst (at least n
 * bytes: decoding never grows). Returns the length, or (size_t)-1 on a
 * bad escape.
 */
static size_t
json_unescape(const char *raw, size_t n, char *dst)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		if (raw[i] != '\\') {
			dst[o++] = raw[i];
			continue;
		}
		if (++i >= n)
			return (size_t)-1;
		switch (raw[i]) {
		case 'n': dst[o++] = '\n'; break;
		case 't': dst[o++] = '\t'; break;
		case 'r': dst[o++] = '\r'; break;
		case 'b': dst[o++] = '\b'; break;
		case 'f': dst[o++] = '\f'; break;
		case '"': case '\\': case '/': dst[o++] = raw[i]; break;
		case 'u': {
			long cp = hex4(raw + i + 1, n - i - 1);
			if (cp < 0)
				return (size_t)-1;
			i += 4;
			if (cp >= 0xD800 && cp < 0xDC00 && i + 6 < n + 0 &&
			    raw[i + 1] == '\\' && raw[i + 2] == 'u') {
				long lo = hex4(raw + i + 3, n - i - 3);
				if (lo >= 0xDC00 && lo < 0xE000) {
					cp = 0x10000 + ((cp - 0xD800) << 10) +
					    (lo - 0xDC00);
					i += 6;
				}
			}
			if (cp < 0x80) {
				dst[o++] = (char)cp;
			} else if (cp < 0x800) {
				dst[o++] = (char)(0xC0 | (cp >> 6));
				dst[o++] = (char)(0x80 | (cp & 0x3F));
			} else if (cp < 0x10000) {
				dst[o++] = (char)(0xE0 | (cp >> 12));
				dst[o++] = (char)(0x80 | ((cp >> 6) & 0x3F));
				dst[o++] = (char)(0x80 | (cp & 0x3F));
			} else {
				dst[o++] = (char)(0xF0 | (cp >> 18));
				dst[o++] = (char)(0x80 | ((cp >> 12) & 0x3F));
				dst[o++] = (char)(0x80 | ((cp >> 6) & 0x3F));
				dst[o++] = (char)(0x80 | (cp & 0x3F));
			}
			break;
		}
		default:
			return (size_t)-1;
		}
	}
	return o;
}

/* A cursor over a JSON object's members, top level only. */
struct jmember {
	const char *key;
	size_t key_len;
	const char *val;	/* string: its raw inside; else the value */
	size_t val_len;
	bool is_string;
};

static size_t
json_ws(const char *p, size_t n, size_t i)
{
	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	return i;
}

/* End of the string whose opening quote is at p[i]: index after the
 * closing quote, or 0. */
static size_t
json_str_end(const char *p, size_t n, size_t i)
{
	for (i++; i < n; i++) {
		if (p[i] == '\\')
			i++;
		else if (p[i] == '"')
			return i + 1;
	}
	return 0;
}

/* The next member from *pos (after '{' or a ','); false at the end. */
static bool
json_member(const char *p, size_t n, size_t *pos, struct jmember *m)
{
	size_t i = json_ws(p, n, *pos), e;

	if (i < n && p[i] == ',')
		i = json_ws(p, n, i + 1);
	if (i >= n || p[i] != '"' || (e = json_str_end(p, n, i)) == 0)
		return false;
	m->key = p + i + 1;
	m->key_len = e - i - 2;
	i = json_ws(p, n, e);
	if (i >= n || p[i] != ':')
		return false;
	i = json_ws(p, n, i + 1);
	if (i >= n)
		return false;
	if (p[i] == '"') {
		if ((e = json_str_end(p, n, i)) == 0)
			return false;
		m->val = p + i + 1;
		m->val_len = e - i - 2;
		m->is_string = true;
		*pos = e;
		return true;
	}
	/* a number, literal, array or object: skip it, strings aware */
	size_t start = i;
	int depth = 0;
	for (; i < n; i++) {
		char c = p[i];
		if (c == '"') {
			if ((e = json_str_end(p, n, i)) == 0)
				return false;
			i = e - 1;
		} else if (c == '[' || c == '{') {
			depth++;
		} else if (c == ']' || c == '}') {
			if (depth == 0)
				break;
			depth--;
		} else if (c == ',' && depth == 0) {
			break;
		}
	}
	if (depth != 0)
		return false;
	m->val = p + start;
	m->val_len = i - start;
	m->is_string = false;
	*pos = i;
	return true;
}

static bool
key_is(const struct jmember *m, const char *k)
{
	size_t l = strlen(k);

	return m->key_len == l && memcmp(m->key, k, l) == 0;
}

/* journald's MESSAGE as an array of byte values: decode into dst. */
static size_t
json_bytes(const char *v, size_t n, char *dst)
{
	size_t o = 0, i = 1;

	if (n < 2 || v[0] != '[')
		return (size_t)-1;
	while (i < n && v[i] != ']') {
		int x = 0, d = 0;
		while (i < n && (v[i] == ' ' || v[i] == ','))
			i++;
		while (i < n && is_digit(v[i]) && d < 4)
			x = x * 10 + (v[i++] - '0'), d++;
		if (d == 0 || x > 255)
			break;
		dst[o++] = (char)x;
	}
	return o;
}

/*
 * Docker json-file ({"log":"...\n","stream":"stdout","time":"..."}) or
 * journald JSON. *partial is set for a Docker record without its "\n".
 */
static int
peel_json(struct wrapper *w, const char *p, size_t n, struct wrapped *res,
    bool *partial)
{
	struct wrapped copy = *res, *out = &copy;
	bool docker = n > 8 && memcmp(p, "{\"log\":\"", 8) == 0;
	size_t i = json_ws(p, n, 1);
	struct jmember m;
	bool got = false, bytes = false;
	const char *msg = NULL;
	size_t msg_len = 0, pos = 1;

	if (!docker && !(i + 10 < n && memcmp(p + i, "\"__CURSOR\"", 10) ==
	    0))
		return 0;
	while (json_member(p, n, &pos, &m)) {
		if (docker && key_is(&m, "log") && m.is_string) {
			msg = m.val, msg_len = m.val_len, got = true;
		} else if (docker && key_is(&m, "stream") && m.is_string) {
			if (m.val_len == 6 && memcmp(m.val, "stderr", 6) == 0)
				out->stream = 2;
			else if (m.val_len == 6 && memcmp(m.val, "stdout", 6)
			    == 0)
				out->stream = 1;
		} else if (!docker && key_is(&m, "MESSAGE")) {
			msg = m.val, msg_len = m.val_len, got = true;
			bytes = !m.is_string;
		} else if (!docker && key_is(&m, "_HOSTNAME") && m.is_string) {
			out->host = m.val, out->host_len = m.val_len;
		} else if (!docker && key_is(&m, "SYSLOG_IDENTIFIER") &&
		    m.is_string) {
			out->tag = m.val, out->tag_len = m.val_len;
		} else if (!docker && key_is(&m, "_TRANSPORT") && m.is_string &&
		    m.val_len == 6 && memcmp(m.val, "stdout", 6) == 0) {
			out->stream = 1;
		}
	}
	if (!got)
		return 0;
	if (!scratch_fit(w, msg_len + 1))
		return -1;
	size_t len = bytes ? json_bytes(msg, msg_len, w->scratch) :
	    json_unescape(msg, msg_len, w->scratch);
	if (len == (size_t)-1)
		return 0;
	*partial = false;
	if (docker) {
		if (len > 0 && w->scratch[len - 1] == '\n')
			len--;
		else
			*partial = true;
	}
	while (len > 0 && (w->scratch[len - 1] == '\n' ||
	    w->scratch[len - 1] == '\r'))
		len--;
	out->p = w->scratch;
	out->len = len;
	out->layers |= docker ? WRAP_DOCKER : WRAP_JOURNAL;
	*res = copy;
	return 1;
}

/*
 * Add out's payload to the stream's join buffer. With partial, WRAP_HELD;
 * otherwise out points at the joined line: WRAP_LINE or WRAP_TOO_LONG.
 */
static enum wrap_result
join_add(struct wrapper *w, struct wrapped *out, bool partial)
{
	struct wrap_join *j = &w->join[out->stream == 2];

	if (!partial && !j->active)
		return WRAP_LINE;
	size_t take = out->len;
	if (j->len + take > w->max) {
		take = w->max > j->len ? w->max - j->len : 0;
		j->cut = true;
	}
	if (j->len + take > j->cap) {
		size_t cap = j->cap ? j->cap : 4096;
		while (cap < j->len + take)
			cap *= 2;
		char *b = gw_realloc(j->buf, cap);
		if (b == NULL)
			return WRAP_NOMEM;
		j->buf = b;
		j->cap = cap;
	}
	if (take > 0)
		memcpy(j->buf + j->len, out->p, take);
	j->len += take;
	if (partial) {
		j->active = true;
		return WRAP_HELD;
	}
	out->p = j->buf;
	out->len = j->len;
	bool cut = j->cut;
	j->len = 0;
	j->active = false;
	j->cut = false;
	return cut ? WRAP_TOO_LONG : WRAP_LINE;
}

/* See wrapper.h. */
enum wrap_result
wrapper_peel(struct wrapper *w, const char *line, size_t len,
    struct wrapped *out)
{
	const char *p = line;
	size_t n = len, t;
	bool partial = false;

	memset(out, 0, sizeof(*out));
	out->p = line;
	out->len = len;
	/* the common case first: a gateway's own line starting with an
	 * address or nginx's error-log date, not an RFC 3339 time */
	if (len > 0 && is_digit(line[0]) && (len < 20 || line[4] != '-' ||
	    line[10] != 'T'))
		return WRAP_LINE;
	for (int round = 0; round < 4 && n > 0; round++) {
		unsigned char c = (unsigned char)p[0];
		unsigned had = out->layers;

		if (c == 0xEF && n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) {
			out->p = p + 3;
			out->len = n - 3;
			out->layers |= WRAP_BOM;
		} else if (c == '<') {
			if ((had & (WRAP_SYSLOG | WRAP_RFC5424)) ||
			    !peel_pri(w, p, n, out))
				break;
		} else if (c == '{') {
			if (had & (WRAP_DOCKER | WRAP_JOURNAL | WRAP_CRI))
				break;
			int r = peel_json(w, p, n, out, &partial);
			if (r < 0)
				return WRAP_NOMEM;
			if (r == 0)
				break;
		} else if (is_digit((char)c)) {
			if (n < 20 || p[4] != '-' || p[10] != 'T' ||
			    (t = ts_iso(p, n)) == 0)
				break;
			if (!(had & (WRAP_CRI | WRAP_DOCKER | WRAP_JOURNAL)) &&
			    peel_cri(p, n, t, out, &partial)) {
				/* joined below, nothing inside to peel */
			} else if (!(had & WRAP_SYSLOG) &&
			    peel_plain_syslog(p, n, t, out)) {
				/* rsyslog ISO file format, short-iso */
			} else if (had == WRAP_COMPOSE && t < n && p[t] == ' ') {
				/* docker compose logs -t */
				out->p = p + t + 1;
				out->len = n - t - 1;
				out->layers |= WRAP_DOCKER;
			} else {
				break;
			}
		} else if (!(had & WRAP_SYSLOG) && c >= 'A' && c <= 'Z' &&
		    (t = ts_3164_kept(w, p, n)) > 0 && peel_plain_syslog(p, n, t,
		    out)) {
			/* RFC 3164 without <PRI>, rsyslog, journalctl short */
		} else if ((had & ~WRAP_BOM) == 0 && (is_alpha((char)c) ||
		    is_digit((char)c) || c == 0x1b) && peel_compose(p, n, out)) {
			/* docker compose logs */
		} else {
			break;
		}
		p = out->p;
		n = out->len;
		if (partial || (out->layers & (WRAP_CRI | WRAP_DOCKER |
		    WRAP_JOURNAL)))
			break;	/* a runtime's payload is the gateway's line */
	}
	if (out->layers & (WRAP_CRI | WRAP_DOCKER))
		return join_add(w, out, partial);
	return WRAP_LINE;
}

/* See wrapper.h. */
bool
wrapper_holding(const struct wrapper *w, int join)
{
	return join >= 0 && join < 2 && w->join[join].active;
}

/* See wrapper.h. */
bool
wrapper_end_join(struct wrapper *w, int join, const char **text,
    size_t *len)
{
	if (!wrapper_holding(w, join))
		return false;
	struct wrap_join *j = &w->join[join];
	*text = j->buf;
	*len = j->len;
	j->len = 0;
	j->active = false;
	j->cut = false;
	return true;
}

/* See wrapper.h. */
bool
wrapper_hand_over(struct wrapper *from, struct wrapper *to, int join)
{
	if (!wrapper_holding(from, join) || wrapper_holding(to, join))
		return false;
	struct wrap_join j = to->join[join];	/* an idle buffer: reused */

	to->join[join] = from->join[join];
	from->join[join] = j;
	from->join[join].len = 0;
	from->join[join].active = false;
	from->join[join].cut = false;
	return true;
}

/* See wrapper.h. */
const char *
wrapper_name(unsigned layers)
{
	if (layers & WRAP_COMPOSE)
		return "compose";
	if (layers & WRAP_CRI)
		return "cri";
	if (layers & WRAP_DOCKER)
		return "docker";
	if (layers & WRAP_JOURNAL)
		return "journald";
	if (layers & WRAP_RFC5424)
		return "rfc5424";
	if (layers & WRAP_SYSLOG)
		return "syslog";
	if (layers & WRAP_BOM)
		return NULL;
	return NULL;
}
