/*
 * logformat.c - nginx log_format text compiled to one PCRE2 pattern; see
 * logformat.h.
 *
 * Compiling reads the format the way nginx does (ngx_conf_read_token for the
 * quoting, ngx_http_log_compile for the variables): each string argument is
 * cut into literal text and $variables, the arguments are concatenated, and
 * the result becomes one anchored pattern: literals escaped, every variable
 * a named group (?<vN>...) whose sub-pattern fits what nginx writes for it.
 * Group numbers are resolved once, at compile time, and kept per known
 * variable, so a parse only reads the ovector.
 *
 * Backtracking is kept linear: numbers, times, addresses and upstream lists
 * are possessive; free text is possessive too when the next literal byte can
 * never occur in it (with escape=default or json nginx writes '"', '\' and
 * control bytes escaped, so `"$http_user_agent"` is `[^"\\...]*+`), and lazy
 * only when it can (`$remote_user [` with a space). A match limit and a
 * bounded JIT stack stop whatever remains; a line over LF_LINE_MAX bytes is
 * rejected before matching.
 *
 * The pattern is compiled without UTF (bytes are bytes, invalid UTF-8 is
 * only text) and JIT-compiled when the library can; otherwise the
 * interpreter runs it. When it is JIT-compiled and made only of pieces
 * whose order of ends is known, a line is first matched by hand (see
 * "Matching without PCRE2": the same spans, at a fraction of the cost);
 * PCRE2 takes the lines that does not match. The match data, the hand
 * matcher's spans and the memo of the last $time_local live in the
 * logformat, so a struct logformat must be used by one thread at a time
 * (logformat_parse takes it const for callers' sake and writes only that
 * scratch space).
 *
 * Times ($time_local, $time_iso8601, $msec) are read by core/timeparse.c
 * and $request is split by core/reqline.c, the readers every format
 * shares. Parsed strings go to the caller's arena, unescaped per the
 * format's escape= mode, each copied as it is found into room reserved
 * for the line's strings once it matched, the room's unused end given
 * back (lf_copy). Cookies ($cookie_*, $http_cookie) and Authorization are
 * matched but never stored: struct gw_event has no place for them and no
 * code here copies an opaque variable.
 *
 * Reading log_format from nginx.conf is parse/nginxconf.c.
 */
#include <assert.h>
#include <ctype.h>
#include <endian.h>
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "core/alloc.h"
#include "core/hex.h"
#include "core/textbuf.h"
#include "core/reqline.h"
#include "core/timeparse.h"
#include "parse/access_cause.h"
#include "parse/logformat.h"
#include "parse/query.h"

/* Longest line matched; longer ones are rejected (nginx lines are short). */
#define LF_LINE_MAX		(1024 * 1024)
/* PCRE2 match and depth limits: far above what a real line needs. */
#define LF_MATCH_LIMIT		5000000
#define LF_DEPTH_LIMIT		10000
#define LF_JIT_STACK_MIN	(32 * 1024)
#define LF_JIT_STACK_MAX	(1024 * 1024)
/* Most variables in one format. */
#define LF_VARS_MAX		256
/* Bytes of a $time_local: "10/Oct/2000:13:55:36 -0700". */
#define LF_TIME_LOCAL_LEN	26

/*
 * A scanner of text runs (lf_run_end_bytes): the fastest the CPU has,
 * picked when a format is compiled.
 */
typedef size_t lf_run_end_fn(const unsigned char *s, size_t n, size_t i,
    bool token, unsigned char stop);

/* next-literal markers for the pattern emitters */
#define LF_NEXT_VAR		(-1)
#define LF_NEXT_END		(-2)

enum lf_escape {
	LF_ESC_DEFAULT,
	LF_ESC_JSON,
	LF_ESC_NONE
};

/* What the value of a variable looks like. */
enum lf_kind {
	LF_K_TEXT,		/* anything */
	LF_K_TOKEN,		/* no white space */
	LF_K_STATUS,		/* three digits */
	LF_K_NUM,		/* digits */
	LF_K_DEC,		/* digits, optional fraction */
	LF_K_ADDR,		/* IPv4, IPv6, unix: */
	LF_K_TIME_LOCAL,	/* 10/Oct/2000:13:55:36 -0700 */
	LF_K_TIME_ISO,		/* 2000-10-10T13:55:36-07:00 */
	LF_K_ADDR_LIST,		/* upstream lists, ", " and " : " */
	LF_K_STATUS_LIST,
	LF_K_TIME_LIST,
	LF_K_NUM_LIST
};

/* Variables the parser reads; every other one is matched and dropped. */
enum lf_var {
	LF_V_NONE = 0,
	LF_V_REMOTE_ADDR,
	LF_V_REALIP_ADDR,
	LF_V_TIME_LOCAL,
	LF_V_TIME_ISO,
	LF_V_MSEC,
	LF_V_REQUEST,
	LF_V_METHOD,
	LF_V_REQUEST_URI,
	LF_V_URI,
	LF_V_ARGS,
	LF_V_STATUS,
	LF_V_BODY_BYTES,
	LF_V_REQUEST_TIME,
	LF_V_HOST,
	LF_V_HTTP_HOST,
	LF_V_SERVER_NAME,
	LF_V_PROTOCOL,
	LF_V_REQUEST_ID,
	LF_V_X_REQUEST_ID,
	LF_V_UP_ADDR,
	LF_V_UP_STATUS,
	LF_V_UP_CONNECT,
	LF_V_UP_HEADER,
	LF_V_UP_RESPONSE,
	LF_V_COUNT
};

struct lf_known {
	const char *name;
	enum lf_var var;
	enum lf_kind kind;
};

/* Variables with a known shape, by exact (lower-case) name. */
static const struct lf_known lf_known_vars[] = {
	{ "remote_addr", LF_V_REMOTE_ADDR, LF_K_ADDR },
	{ "realip_remote_addr", LF_V_REALIP_ADDR, LF_K_ADDR },
	{ "server_addr", LF_V_NONE, LF_K_ADDR },
	{ "binary_remote_addr", LF_V_NONE, LF_K_TEXT },
	{ "remote_user", LF_V_NONE, LF_K_TEXT },
	{ "remote_port", LF_V_NONE, LF_K_NUM },
	{ "server_port", LF_V_NONE, LF_K_NUM },
	{ "realip_remote_port", LF_V_NONE, LF_K_NUM },
	{ "time_local", LF_V_TIME_LOCAL, LF_K_TIME_LOCAL },
	{ "time_iso8601", LF_V_TIME_ISO, LF_K_TIME_ISO },
	{ "msec", LF_V_MSEC, LF_K_DEC },
	{ "request", LF_V_REQUEST, LF_K_TEXT },
	{ "request_method", LF_V_METHOD, LF_K_TOKEN },
	{ "request_uri", LF_V_REQUEST_URI, LF_K_TEXT },
	{ "uri", LF_V_URI, LF_K_TEXT },
	{ "document_uri", LF_V_URI, LF_K_TEXT },
	{ "args", LF_V_ARGS, LF_K_TEXT },
	{ "query_string", LF_V_ARGS, LF_K_TEXT },
	{ "status", LF_V_STATUS, LF_K_STATUS },
	{ "body_bytes_sent", LF_V_BODY_BYTES, LF_K_NUM },
	{ "bytes_sent", LF_V_NONE, LF_K_NUM },
	{ "request_time", LF_V_REQUEST_TIME, LF_K_DEC },
	{ "request_length", LF_V_NONE, LF_K_NUM },
	{ "host", LF_V_HOST, LF_K_TOKEN },
	{ "http_host", LF_V_HTTP_HOST, LF_K_TEXT },
	{ "server_name", LF_V_SERVER_NAME, LF_K_TOKEN },
	{ "scheme", LF_V_NONE, LF_K_TOKEN },
	{ "server_protocol", LF_V_PROTOCOL, LF_K_TOKEN },
	{ "request_id", LF_V_REQUEST_ID, LF_K_TOKEN },
	{ "req_id", LF_V_REQUEST_ID, LF_K_TOKEN },	/* ingress-nginx's */
	{ "http_x_request_id", LF_V_X_REQUEST_ID, LF_K_TEXT },
	{ "upstream_addr", LF_V_UP_ADDR, LF_K_ADDR_LIST },
	{ "upstream_status", LF_V_UP_STATUS, LF_K_STATUS_LIST },
	{ "upstream_connect_time", LF_V_UP_CONNECT, LF_K_TIME_LIST },
	{ "upstream_header_time", LF_V_UP_HEADER, LF_K_TIME_LIST },
	{ "upstream_response_time", LF_V_UP_RESPONSE, LF_K_TIME_LIST },
	{ "upstream_response_length", LF_V_NONE, LF_K_NUM_LIST },
	{ "upstream_bytes_received", LF_V_NONE, LF_K_NUM_LIST },
	{ "upstream_bytes_sent", LF_V_NONE, LF_K_NUM_LIST },
	{ "upstream_cache_status", LF_V_NONE, LF_K_TOKEN },
	{ "connection", LF_V_NONE, LF_K_NUM },
	{ "connection_requests", LF_V_NONE, LF_K_NUM },
	{ "pipe", LF_V_NONE, LF_K_TOKEN },
	{ "gzip_ratio", LF_V_NONE, LF_K_DEC },
	{ "proxy_host", LF_V_NONE, LF_K_TOKEN },
	{ "proxy_add_x_forwarded_for", LF_V_NONE, LF_K_TEXT },
	{ "request_completion", LF_V_NONE, LF_K_TOKEN },
};

/*
 * Families matched as opaque text: $http_*, $sent_http_*, $cookie_* (never
 * stored), $ssl_*, $arg_*, $upstream_http_* ... Listed for documentation:
 * every unknown variable is opaque text too.
 */

struct logformat {
	pcre2_general_context *gctx;	/* PCRE2's memory through gw_malloc */
	pcre2_code *re;
	pcre2_match_data *md;		/* scratch: one thread at a time */
	pcre2_match_context *mctx;
	pcre2_jit_stack *jit_stack;
	bool jit;
	enum lf_escape esc;
	int default_tz_min;
	unsigned logged;		/* ACCESS_LOGGED_* */
	bool logs_secrets;		/* cookies or credentials in lines */
	uint32_t group[LF_V_COUNT];	/* first capture of each, 0 absent */
	char *pattern;
	/* the hand matcher (below), NULL ops when the format has none */
	struct lf_op *ops;
	size_t n_ops;
	char *fast_lits;		/* literal bytes of the ops */
	PCRE2_SIZE *fast_ov;		/* its spans: scratch as md */
	bool fast_off;			/* tests: PCRE2 alone */
	lf_run_end_fn *run_end;		/* its scanner of text runs */
	size_t fast_count;		/* lines it matched (tests) */
	/* the last $time_local it took, seconds aside: scratch as md */
	unsigned char fast_time[LF_TIME_LOCAL_LEN];
	bool fast_time_set;
	struct timeparse_memo clf_memo;	/* $time_local: scratch as md */
};

/* One piece of the format: literal bytes or a variable name. */
struct lf_item {
	bool is_var;
	size_t off, len;	/* into the item text pool */
	size_t pos;		/* offset in the format text, for errors */
};

struct lf_items {
	struct lf_item *v;
	size_t n, cap;
	struct textbuf pool;
};

static void
lf_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Fill err (if any) with a formatted message. */
static void
lf_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* True for the bytes nginx allows in a variable name. */
static bool
lf_is_name_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_';
}

/* Append a literal or variable item; adjacent literals merge. */
static void
lf_items_add(struct lf_items *it, bool is_var, const char *s, size_t n,
    size_t pos)
{
	struct lf_item *last = it->n > 0 ? &it->v[it->n - 1] : NULL;

	if (!is_var && n == 0)
		return;
	if (!is_var && last != NULL && !last->is_var &&
	    last->off + last->len == it->pool.len) {
		textbuf_add(&it->pool, s, n);
		last->len += n;
		return;
	}
	if (it->n == it->cap) {
		size_t cap = it->cap ? it->cap * 2 : 32;
		struct lf_item *v = gw_realloc(it->v, cap * sizeof(*v));
		if (v == NULL) {
			it->pool.oom = true;
			return;
		}
		it->v = v;
		it->cap = cap;
	}
	it->v[it->n].is_var = is_var;
	it->v[it->n].off = it->pool.len;
	it->v[it->n].len = n;
	it->v[it->n].pos = pos;
	it->n++;
	textbuf_add(&it->pool, s, n);
}

/*
 * Cut one argument (already unquoted, s/n) into literals and variables as
 * ngx_http_log_compile does; pos is its offset in the format text.
 */
static int
lf_split_arg(struct lf_items *it, const char *s, size_t n, size_t pos,
    char *err, size_t errlen)
{
	size_t i = 0, lit = 0;

	while (i < n) {
		size_t name, name_len;
		bool brace = false;

		if (s[i] != '$') {
			i++;
			continue;
		}
		lf_items_add(it, false, s + lit, i - lit, pos + lit);
		if (++i == n) {
			lf_err(err, errlen, "'$' without a variable name at "
			    "offset %zu", pos + i - 1);
			return -1;
		}
		if (s[i] == '{') {
			brace = true;
			i++;
		}
		name = i;
		while (i < n && lf_is_name_char((unsigned char)s[i]))
			i++;
		name_len = i - name;
		if (brace) {
			if (i == n || s[i] != '}') {
				lf_err(err, errlen, "missing '}' in variable "
				    "at offset %zu", pos + name - 2);
				return -1;
			}
			i++;
		}
		if (name_len == 0) {
			lf_err(err, errlen, "'$' without a variable name at "
			    "offset %zu", pos + name - (brace ? 2 : 1));
			return -1;
		}
		lf_items_add(it, true, s + name, name_len, pos + name);
		lit = i;
	}
	lf_items_add(it, false, s + lit, n - lit, pos + lit);
	return 0;
}

/*
 * Read one argument of the format text at *pp (quoted or bare) and unquote
 * it into out as nginx's config reader does: \" \' \\ stand for the byte,
 * \t \r \n for control bytes, any other backslash stays. Returns 1 with an
 * argument, 0 at the end (or at ';'), -1 on error.
 */
static int
lf_read_arg(const char **pp, const char *end, struct textbuf *out,
    const char *text, char *err, size_t errlen)
{
	const char *p = *pp;
	char quote = 0;

	while (p < end && isspace((unsigned char)*p))
		p++;
	if (p == end || *p == ';') {
		const char *q = p < end ? p + 1 : p;
		while (q < end && isspace((unsigned char)*q))
			q++;
		if (q != end) {
			lf_err(err, errlen, "text after ';' at offset %zu",
			    (size_t)(q - text));
			return -1;
		}
		*pp = end;
		return 0;
	}
	out->len = 0;
	textbuf_add(out, "", 0);
	if (*p == '"' || *p == '\'')
		quote = *p++;
	for (;;) {
		if (p == end) {
			if (quote) {
				lf_err(err, errlen, "unterminated quote at "
				    "offset %zu", (size_t)(*pp - text));
				return -1;
			}
			break;
		}
		if (quote && *p == quote) {
			p++;
			break;
		}
		if (!quote && (isspace((unsigned char)*p) || *p == ';'))
			break;
		if (*p == '\\' && end - p >= 2) {
			char c = p[1], r = 0;
			switch (c) {
			case '"':
			case '\'':
			case '\\':
				r = c;
				break;
			case 't':
				r = '\t';
				break;
			case 'r':
				r = '\r';
				break;
			case 'n':
				r = '\n';
				break;
			}
			if (r != 0) {
				textbuf_add(out, &r, 1);
				p += 2;
				continue;
			}
		}
		textbuf_add(out, p, 1);
		p++;
	}
	if (quote && p < end && !isspace((unsigned char)*p) && *p != ';') {
		lf_err(err, errlen, "unexpected text after quote at offset %zu",
		    (size_t)(p - text));
		return -1;
	}
	*pp = p;
	return 1;
}

/* The known entry for variable name (any case), or NULL for opaque. */
/*
 * True for variables that carry cookies or credentials: $http_cookie,
 * $cookie_*, $http_authorization, $http_proxy_authorization, Set-Cookie.
 * Lines of a format with one of these must not be kept whole (see
 * logformat_logs_secrets).
 */
static bool
lf_is_secret(const char *name, size_t n)
{
	static const char *const exact[] = {"http_cookie",
	    "http_authorization", "http_proxy_authorization",
	    "sent_http_set_cookie", "upstream_http_set_cookie"};
	char low[64];

	if (n >= sizeof(low))
		return false;
	for (size_t i = 0; i < n; i++)
		low[i] = (char)tolower((unsigned char)name[i]);
	low[n] = '\0';
	if (strncmp(low, "cookie_", 7) == 0)
		return true;
	for (size_t i = 0; i < sizeof(exact) / sizeof(exact[0]); i++)
		if (strcmp(low, exact[i]) == 0)
			return true;
	return false;
}

static const struct lf_known *
lf_lookup(const char *name, size_t n)
{
	char low[64];
	size_t i;

	if (n >= sizeof(low))
		return NULL;
	for (i = 0; i < n; i++)
		low[i] = (char)tolower((unsigned char)name[i]);
	low[n] = '\0';
	for (i = 0; i < sizeof(lf_known_vars) / sizeof(lf_known_vars[0]); i++)
		if (strcmp(lf_known_vars[i].name, low) == 0)
			return &lf_known_vars[i];
	return NULL;
}

/* True for ASCII letters and digits. */
static bool
lf_is_alnum(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

/* Append the n bytes at s to the pattern as a literal. */
static void
lf_emit_literal(struct textbuf *b, const unsigned char *s, size_t n)
{
	char tmp[8];
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = s[i];
		if (lf_is_alnum(c) || c == ' ') {
			textbuf_add(b, (const char *)&s[i], 1);
		} else if (c > 0x20 && c < 0x7f) {
			tmp[0] = '\\';
			tmp[1] = (char)c;
			textbuf_add(b, tmp, 2);
		} else {
			snprintf(tmp, sizeof(tmp), "\\x{%02x}", c);
			textbuf_str(b, tmp);
		}
	}
}

/* True when byte c (>= 0) is white space as PCRE2's \s sees it. */
static bool
lf_is_space(int c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

/*
 * Append the sub-pattern of free text (kind TEXT or TOKEN) followed by
 * next (a byte, LF_NEXT_VAR or LF_NEXT_END).
 */
static void
lf_emit_text(struct textbuf *b, enum lf_kind kind, enum lf_escape esc,
    int next)
{
	bool token = kind == LF_K_TOKEN;
	bool possessive;
	const char *run, *escape;
	char nx[8];

	if (esc == LF_ESC_NONE) {
		possessive = next == LF_NEXT_END ||
		    (token && next >= 0 && lf_is_space(next));
		if (possessive || next < 0) {
			if (token)
				textbuf_str(b, possessive ? "\\S*+" : "\\S*?");
			else
				textbuf_str(b, possessive ? ".*+" : ".*?");
			return;
		}
		/* lazy by runs: stop only where the next literal can begin */
		snprintf(nx, sizeof(nx), "\\x%02x", (unsigned)next & 0xffu);
		textbuf_str(b, "(?:[^");
		textbuf_str(b, nx);
		textbuf_str(b, token ? "\\s]++|" : "]++|");
		textbuf_str(b, nx);
		textbuf_str(b, ")*?");
		return;
	}
	/* default and json: '"', '\' and control bytes come escaped */
	possessive = next == LF_NEXT_END || next == '"' ||
	    (next >= 0 && next < 0x20) || (token && next == ' ');
	/* a run of plain bytes, then (escape, run)*; escapes never hold NUL */
	run = token ? "[^\"\\\\\\x00-\\x20]" : "[^\"\\\\\\x00-\\x1f]";
	escape = "\\\\[^\\x00]";

	if (possessive) {
		textbuf_str(b, run);
		textbuf_str(b, "*+(?:");
		textbuf_str(b, escape);
		textbuf_str(b, run);
		textbuf_str(b, "*+)*+");
	} else if (next < 0) {
		textbuf_str(b, "(?:");
		textbuf_str(b, run);
		textbuf_str(b, "|");
		textbuf_str(b, escape);
		textbuf_str(b, ")*?");
	} else {
		/*
		 * Lazy by runs, not bytes: a run never holds the byte the next
		 * literal starts with, so every place the literal could begin
		 * is still tried, with one backtracking frame per occurrence
		 * of that byte instead of one per byte.
		 */
		snprintf(nx, sizeof(nx), "\\x%02x", (unsigned)next & 0xffu);
		textbuf_str(b, "(?:");
		textbuf_add(b, run, strlen(run) - 1);
		textbuf_str(b, nx);
		textbuf_str(b, "]++|");
		textbuf_str(b, escape);
		textbuf_str(b, "|");
		textbuf_str(b, nx);
		textbuf_str(b, ")*?");
	}
}

/* True when next is a byte that can start or continue a number. */
static bool
lf_next_numeric(int next)
{
	return next == LF_NEXT_VAR || (next >= '0' && next <= '9') ||
	    next == '.';
}

/* Append the sub-pattern for a variable of kind, followed by next. */
static void
lf_emit_var(struct textbuf *b, enum lf_kind kind, enum lf_escape esc,
    int next)
{
	bool num_bt = lf_next_numeric(next);
	bool list_bt = next == LF_NEXT_VAR || next == ',' ||
	    (next >= 0 && lf_is_space(next));
	const char *rep = list_bt ? "*" : "*+";

	switch (kind) {
	case LF_K_TEXT:
	case LF_K_TOKEN:
		lf_emit_text(b, kind, esc, next);
		break;
	case LF_K_STATUS:
		textbuf_str(b, "(?:[0-9]{3}|-)");
		break;
	case LF_K_NUM:
		textbuf_str(b, num_bt ? "(?:[0-9]+|-)" : "(?:[0-9]++|-)");
		break;
	case LF_K_DEC:
		textbuf_str(b, num_bt ? "(?:[0-9]+(?:\\.[0-9]+)?|-)" :
		    "(?:[0-9]++(?:\\.[0-9]++)?+|-)");
		break;
	case LF_K_ADDR:
		if (next == LF_NEXT_VAR || next == ':' || next == '.' ||
		    next == '%' || (next >= 0 && isxdigit(next)))
			textbuf_str(b, "(?:unix:[^\\s\"\\x00]*?|"
			    "[0-9A-Fa-f:.]+?(?:%[0-9A-Za-z_.-]+?)?|-)");
		else	/* a list ("a, b, c": X-Forwarded-For set as the
			 * address) is taken too; its first is the client */
			textbuf_str(b, "(?:unix:[^\\s\"\\x00]*+|"
			    "[0-9A-Fa-f:.]++(?:%[0-9A-Za-z_.-]++)?+"
			    "(?:, [0-9A-Fa-f:.]++(?:%[0-9A-Za-z_.-]++)?+)*+|-)");
		break;
	case LF_K_TIME_LOCAL:
		textbuf_str(b, "[0-9]{2}/[A-Za-z]{3}/[0-9]{4}:[0-9]{2}:"
		    "[0-9]{2}:[0-9]{2} [+-][0-9]{4}");
		break;
	case LF_K_TIME_ISO:
		textbuf_str(b, "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:"
		    "[0-9]{2}(?:\\.[0-9]+)?+(?:Z|[+-][0-9]{2}:?[0-9]{2})?+");
		break;
	case LF_K_ADDR_LIST:
		if (next == LF_NEXT_VAR || (next >= 0 && !lf_is_space(next) &&
		    next != ',' && next != '"' && next != '\\'))
			textbuf_str(b, "[^\\s,\"\\\\\\x00]+?(?:(?:, | : )"
			    "[^\\s,\"\\\\\\x00]+?)*");
		else {
			textbuf_str(b, "[^\\s,\"\\\\\\x00]++(?:(?:, | : )"
			    "[^\\s,\"\\\\\\x00]++)");
			textbuf_str(b, rep);
		}
		break;
	case LF_K_STATUS_LIST:
		textbuf_str(b, "(?:[0-9]{3}|-)(?:(?:, | : )(?:[0-9]{3}|-))");
		textbuf_str(b, rep);
		break;
	case LF_K_TIME_LIST:
		if (num_bt)
			textbuf_str(b, "(?:[0-9]+(?:\\.[0-9]+)?|-)(?:(?:, | : )"
			    "(?:[0-9]+(?:\\.[0-9]+)?|-))*");
		else {
			textbuf_str(b, "(?:[0-9]++(?:\\.[0-9]++)?+|-)"
			    "(?:(?:, | : )(?:[0-9]++(?:\\.[0-9]++)?+|-))");
			textbuf_str(b, rep);
		}
		break;
	case LF_K_NUM_LIST:
		if (num_bt)
			textbuf_str(b, "(?:[0-9]+|-)"
			    "(?:(?:, | : )(?:[0-9]+|-))*");
		else {
			textbuf_str(b, "(?:[0-9]++|-)"
			    "(?:(?:, | : )(?:[0-9]++|-))");
			textbuf_str(b, rep);
		}
		break;
	}
}

/* ------------------------------------------------------------------ */
/* Matching without PCRE2                                               */

/*
 * The same match as the pattern, by hand, for the formats whose pattern
 * is all of the shapes below (every built-in one but apisix, and most
 * users'): PCRE2's JIT was ~40% of the parse thread of `ingest`. It reads
 * the compiled pattern's own pieces, in the order the emitters above wrote
 * them, and gives the spans PCRE2 would: the first match of a backtracking
 * search, trying a piece's ends in the order PCRE2 tries them.
 *
 *   - a literal: its bytes;
 *   - a possessive or single-answer piece (addresses, numbers, statuses,
 *     times, text up to '"' or a control byte or the end, tokens up to a
 *     space, lists followed by '"' or the end): one end, found forwards;
 *   - lazy text followed by a literal byte nx (`$remote_user [`): ends in
 *     rising order, each where nx stands after a whole run, escape or nx;
 *   - a greedy list (`$upstream_addr $upstream_status`): each count of
 *     items, most first.
 *
 * Anything else (escape=none, a variable right after a variable, the
 * backtracking forms of numbers and addresses before digits, ':' or
 * '.') leaves the format to PCRE2 alone. A line is given to PCRE2 as well
 * when this search does not match (so a reject keeps PCRE2's reason), when
 * it tries more than LF_FAST_TRIES ends, or when the line is longer than
 * LF_FAST_LINE_MAX: below that, PCRE2 cannot reach its match limit or JIT
 * stack limit on a line this search matches, so both always agree
 * (tests/unit/test_logformat.c compares them on hostile lines too).
 */
#define LF_FAST_LINE_MAX	(16 * 1024)
#define LF_FAST_TRIES		32
#define LF_FAST_LIST_MAX	32	/* greedy list items given back */
#define LF_FAIL			SIZE_MAX

enum lf_form {
	LF_F_LIT,		/* literal bytes */
	LF_F_ONE,		/* one possible end */
	LF_F_LAZY,		/* lazy text before the byte nx */
	LF_F_GREEDY		/* list, items given back from the most */
};

/* What lf_fast_at does for an op: its form, and a LF_F_ONE's kind. */
enum lf_code {
	LF_C_LIT,
	LF_C_LAZY,
	LF_C_GREEDY,
	LF_C_ONE		/* + its kind: LF_C_ONE + LF_K_NUM_LIST the last */
};

struct lf_op {
	enum lf_form form;
	enum lf_kind kind;
	unsigned char code;	/* enum lf_code, + kind for LF_F_ONE */
	unsigned char nx;	/* LF_F_LAZY: first byte of the next literal */
	bool then_lit;		/* LF_F_ONE: the literal after it is matched
				 * here (off..mask), its own op skipped */
	uint32_t group;		/* capture number of a variable */
	PCRE2_SIZE *span;	/* its two entries of lf->fast_ov */
	size_t off, len;	/* LF_F_LIT: bytes in lf->fast_lits */
	uint64_t word, mask;	/* LF_F_LIT of at most 8 bytes: its bytes
				 * as a little-endian word, and which */
};

/*
 * Byte classes of the sub-patterns (see lf_emit_var, lf_emit_text), one
 * table lookup a byte: LF_CLS(c) is the class bits of byte c, written once
 * and expanded into the table at compile time.
 */
#define LF_CL_DIGIT	0x01	/* [0-9] */
#define LF_CL_HEXADDR	0x02	/* [0-9A-Fa-f:.] */
#define LF_CL_ZONE	0x04	/* [0-9A-Za-z_.-] */
#define LF_CL_UNIX	0x08	/* [^\s"\x00] */
#define LF_CL_ITEM	0x10	/* [^\s,"\\\x00] */
#define LF_CL_ALPHA	0x20	/* [A-Za-z] */
#define LF_IS_DIGIT(c)	((c) >= '0' && (c) <= '9')
#define LF_IS_ALPHA(c)	(((c) >= 'a' && (c) <= 'z') || ((c) >= 'A' && (c) <= 'Z'))
#define LF_IS_SPACE(c)	((c) == ' ' || ((c) >= '\t' && (c) <= '\r'))
#define LF_IS_UNIX(c)	((c) != 0 && (c) != '"' && !LF_IS_SPACE(c))
#define LF_CLS(c) (							\
	(LF_IS_DIGIT(c) ? LF_CL_DIGIT : 0) |				\
	(LF_IS_DIGIT(c) || ((c) >= 'a' && (c) <= 'f') ||		\
	    ((c) >= 'A' && (c) <= 'F') || (c) == ':' || (c) == '.' ?	\
	    LF_CL_HEXADDR : 0) |					\
	(LF_IS_DIGIT(c) || LF_IS_ALPHA(c) || (c) == '_' || (c) == '.' ||	\
	    (c) == '-' ? LF_CL_ZONE : 0) |				\
	(LF_IS_UNIX(c) ? LF_CL_UNIX : 0) |				\
	(LF_IS_UNIX(c) && (c) != ',' && (c) != '\\' ? LF_CL_ITEM : 0) |	\
	(LF_IS_ALPHA(c) ? LF_CL_ALPHA : 0))
#define LF_CLS4(c)	LF_CLS(c), LF_CLS((c) + 1), LF_CLS((c) + 2), LF_CLS((c) + 3)
#define LF_CLS16(c)	LF_CLS4(c), LF_CLS4((c) + 4), LF_CLS4((c) + 8), \
			LF_CLS4((c) + 12)
#define LF_CLS64(c)	LF_CLS16(c), LF_CLS16((c) + 16), LF_CLS16((c) + 32), \
			LF_CLS16((c) + 48)
static const unsigned char lf_cls[256] = {
	LF_CLS64(0), LF_CLS64(64), LF_CLS64(128), LF_CLS64(192)
};

static inline bool
lf_c_digit(unsigned char c)
{
	return LF_IS_DIGIT(c);
}

static inline bool
lf_c_is(unsigned char c, unsigned cls)
{
	return (lf_cls[c] & cls) != 0;
}

/* A run byte of escaped text: [^"\\\x00-\x1f], tokens also not ' '. */
static inline bool
lf_c_run(unsigned char c, bool token)
{
	return c > (token ? 0x20 : 0x1f) && c != '"' && c != '\\';
}

#ifdef __SSE2__
/* Bits of the bytes of v that end a run (see lf_run_end). */
static inline unsigned
lf_run_stops16(__m128i v, __m128i nx, __m128i ctl)
{
	__m128i m = _mm_or_si128(_mm_or_si128(
	    _mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
	    _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
	    _mm_or_si128(_mm_cmpeq_epi8(v, nx),
	    _mm_cmpeq_epi8(_mm_min_epu8(v, ctl), v)));

	return (unsigned)_mm_movemask_epi8(m);
}
#endif

/*
 * The first j >= i where s[j] is not a run byte (lf_c_run) or is stop
 * (0: none; NUL is never a run byte), byte by byte.
 */
static size_t
lf_run_end_bytes(const unsigned char *s, size_t n, size_t i, bool token,
    unsigned char stop)
{
	while (i < n && lf_c_run(s[i], token) && (stop == 0 || s[i] != stop))
		i++;
	return i;
}

#ifdef __SSE2__
/*
 * lf_run_end_bytes sixteen bytes at a time: text fields (the user agent,
 * the request) are most of a line's bytes. The last bytes are one load
 * that ends at n (the bytes before i, read already, shifted out), never
 * one past it.
 */
static inline size_t
lf_run_end_sse2(const unsigned char *s, size_t n, size_t i, bool token,
    unsigned char stop)
{
	const __m128i nx = _mm_set1_epi8((char)stop);
	const __m128i ctl = _mm_set1_epi8(token ? 0x20 : 0x1f);
	unsigned bits;

	if (n < 16)
		return lf_run_end_bytes(s, n, i, token, stop);
	while (n - i >= 16) {
		bits = lf_run_stops16(_mm_loadu_si128((const __m128i *)(s + i)),
		    nx, ctl);
		if (bits != 0)
			return i + (size_t)__builtin_ctz(bits);
		i += 16;
	}
	if (i == n)
		return n;
	bits = lf_run_stops16(_mm_loadu_si128((const __m128i *)(s + n - 16)),
	    nx, ctl) >> (16 - (n - i));
	return bits != 0 ? i + (size_t)__builtin_ctz(bits) : n;
}
#endif

#if defined(__x86_64__) && defined(__GNUC__)
#define LF_HAVE_AVX2	1
#include <immintrin.h>

/* lf_run_end_sse2 thirty-two bytes at a time, for CPUs with AVX2. */
__attribute__((target("avx2"))) static inline size_t
lf_run_end_avx2(const unsigned char *s, size_t n, size_t i, bool token,
    unsigned char stop)
{
	const __m256i quote = _mm256_set1_epi8('"');
	const __m256i bslash = _mm256_set1_epi8('\\');
	const __m256i nx = _mm256_set1_epi8((char)stop);
	const __m256i ctl = _mm256_set1_epi8(token ? 0x20 : 0x1f);
	unsigned bits, skip = 0;

	if (n < 32)
		return lf_run_end_bytes(s, n, i, token, stop);
	while (i < n) {
		__m256i v, m;

		if (n - i < 32) {
			skip = (unsigned)(32 - (n - i));
			i = n - 32;
		}
		v = _mm256_loadu_si256((const __m256i *)(s + i));
		m = _mm256_or_si256(_mm256_or_si256(
		    _mm256_cmpeq_epi8(v, quote), _mm256_cmpeq_epi8(v, bslash)),
		    _mm256_or_si256(_mm256_cmpeq_epi8(v, nx),
		    _mm256_cmpeq_epi8(_mm256_min_epu8(v, ctl), v)));
		bits = (unsigned)_mm256_movemask_epi8(m) >> skip;
		if (bits != 0)
			return i + skip + (size_t)__builtin_ctz(bits);
		i += 32;
	}
	return n;
}
#endif

/* The run scanner for this CPU: AVX2, SSE2 or bytes. */
static lf_run_end_fn *
lf_run_end_pick(void)
{
#ifdef LF_HAVE_AVX2
	if (__builtin_cpu_supports("avx2"))
		return lf_run_end_avx2;
#endif
#ifdef __SSE2__
	return lf_run_end_sse2;
#else
	return lf_run_end_bytes;
#endif
}

/*
 * The top bit of each byte of the eight at s that is not a digit: b ^ '0'
 * is a digit's value when below 10, adding 0x76 sets the top bit from 10
 * up, or'ing b ^ '0' from 0x80 up. A carry out of a byte (from 0x8a up,
 * not a digit) only reaches the bytes after it: the first non-digit's
 * bit is always right, and the next one's when the first is a '.'.
 */
static inline uint64_t
lf_nondigits8(const unsigned char *s)
{
	uint64_t w;

	memcpy(&w, s, 8);
	w = le64toh(w) ^ 0x3030303030303030u;
	return ((w + 0x7676767676767676u) | w) & 0x8080808080808080u;
}

/* The end of `[0-9]++` from i (at least one digit), or LF_FAIL. */
static inline __attribute__((always_inline)) size_t
lf_sc_digits(const unsigned char *s, size_t n, size_t i)
{
	size_t j = i;

	if (n - i >= 8) {
		/* most numbers of a line are short: one word */
		uint64_t m = lf_nondigits8(s + i);

		if (m != 0) {
			j = i + (size_t)__builtin_ctzll(m) / 8;
			return j > i ? j : LF_FAIL;
		}
	}

	while (j < n && lf_c_digit(s[j]))
		j++;
	return j > i ? j : LF_FAIL;
}

/* `(?:[0-9]++|-)` */
static inline __attribute__((always_inline)) size_t
lf_sc_num(const unsigned char *s, size_t n, size_t i)
{
	size_t j = lf_sc_digits(s, n, i);

	if (j != LF_FAIL)
		return j;
	return i < n && s[i] == '-' ? i + 1 : LF_FAIL;
}

/* `(?:[0-9]++(?:\.[0-9]++)?+|-)` */
static inline __attribute__((always_inline)) size_t
lf_sc_dec(const unsigned char *s, size_t n, size_t i)
{
	size_t j, k;

	if (n - i >= 8) {
		/* "0.004" and the like in one word: the first non-digit,
		 * and past a '.' the next */
		uint64_t m = lf_nondigits8(s + i);

		if (m != 0 && (m & 0x80) == 0) {
			j = i + (size_t)__builtin_ctzll(m) / 8;
			if (s[j] != '.')
				return j;
			m &= m - 1;
			if (m != 0) {
				k = i + (size_t)__builtin_ctzll(m) / 8;
				return k > j + 1 ? k : j;
			}
		}
	}
	j = lf_sc_digits(s, n, i);

	if (j == LF_FAIL)
		return i < n && s[i] == '-' ? i + 1 : LF_FAIL;
	if (j < n && s[j] == '.' &&
	    (k = lf_sc_digits(s, n, j + 1)) != LF_FAIL)
		return k;
	return j;
}

/* `(?:[0-9]{3}|-)` */
static inline __attribute__((always_inline)) size_t
lf_sc_status(const unsigned char *s, size_t n, size_t i)
{
	if (n - i >= 3 && lf_c_digit(s[i]) && lf_c_digit(s[i + 1]) &&
	    lf_c_digit(s[i + 2]))
		return i + 3;
	return i < n && s[i] == '-' ? i + 1 : LF_FAIL;
}

/* The bytes at i fit pat: 'd' a digit, 'a' a letter, else itself. */
static bool
lf_sc_shape(const unsigned char *s, size_t n, size_t i, const char *pat)
{
	size_t m = strlen(pat);

	if (n - i < m)
		return false;
	for (size_t k = 0; k < m; k++) {
		unsigned char c = s[i + k];
		if (pat[k] == 'd' ? !lf_c_digit(c) : pat[k] == 'a' ?
		    !((c | 0x20) >= 'a' && (c | 0x20) <= 'z') :
		    c != (unsigned char)pat[k])
			return false;
	}
	return true;
}

/* `[0-9]{2}/[A-Za-z]{3}/[0-9]{4}:[0-9]{2}:[0-9]{2}:[0-9]{2} [+-][0-9]{4}` */
static size_t
lf_sc_time_local(const unsigned char *s, size_t n, size_t i)
{
	/* "dd/aaa/dddd:dd:dd:dd +dddd": where the digits and letters are */
	static const unsigned char digits[] = {
		0, 1, 7, 8, 9, 10, 12, 13, 15, 16, 18, 19, 22, 23, 24, 25
	};
	const unsigned char *t = s + i;
	unsigned bad = 0;

	if (n - i < 26)
		return LF_FAIL;
	if (t[2] != '/' || t[6] != '/' || t[11] != ':' || t[14] != ':' ||
	    t[17] != ':' || t[20] != ' ' || (t[21] != '+' && t[21] != '-'))
		return LF_FAIL;
	for (size_t k = 0; k < sizeof(digits); k++)
		bad |= (unsigned)(t[digits[k]] - '0') > 9;
	for (size_t k = 3; k < 6; k++)
		bad |= !lf_c_is(t[k], LF_CL_ALPHA);
	return bad ? LF_FAIL : i + 26;
}

/*
 * `[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?+`
 * `(?:Z|[+-][0-9]{2}:?[0-9]{2})?+`
 */
static size_t
lf_sc_time_iso(const unsigned char *s, size_t n, size_t i)
{
	size_t j;

	if (!lf_sc_shape(s, n, i, "dddd-dd-ddTdd:dd:dd"))
		return LF_FAIL;
	j = i + 19;
	if (j < n && s[j] == '.') {
		size_t k = lf_sc_digits(s, n, j + 1);
		if (k != LF_FAIL)
			j = k;
	}
	if (j < n && s[j] == 'Z')
		return j + 1;
	if (j < n && (s[j] == '+' || s[j] == '-')) {
		if (lf_sc_shape(s, n, j + 1, "dd:dd"))
			return j + 6;
		if (lf_sc_shape(s, n, j + 1, "dddd"))
			return j + 5;
	}
	return j;
}

/*
 * The first j >= i where s[j] is not of class LF_CL_HEXADDR (hexaddr) or
 * LF_CL_ITEM (!hexaddr), sixteen bytes at a time while sixteen are left:
 * a client address or an upstream's is most often one load.
 */
static inline size_t
lf_class_end(const unsigned char *s, size_t n, size_t i, bool hexaddr)
{
#ifdef __SSE2__
	while (n - i >= 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(s + i));
		__m128i in;
		unsigned out;

		if (hexaddr) {
			__m128i d = _mm_sub_epi8(v, _mm_set1_epi8('0'));
			__m128i h = _mm_sub_epi8(_mm_or_si128(v,
			    _mm_set1_epi8(0x20)), _mm_set1_epi8('a'));

			in = _mm_or_si128(_mm_or_si128(
			    _mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(9)), d),
			    _mm_cmpeq_epi8(_mm_min_epu8(h, _mm_set1_epi8(5)), h)),
			    _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8(':')),
			    _mm_cmpeq_epi8(v, _mm_set1_epi8('.'))));
			out = ~(unsigned)_mm_movemask_epi8(in) & 0xffffu;
		} else {
			/* stops: \s (' ', \t..\r), ',', '"', '\\', NUL */
			__m128i c = _mm_sub_epi8(v, _mm_set1_epi8('\t'));
			__m128i stop = _mm_or_si128(_mm_or_si128(
			    _mm_cmpeq_epi8(_mm_min_epu8(c, _mm_set1_epi8(4)), c),
			    _mm_cmpeq_epi8(v, _mm_set1_epi8(' '))),
			    _mm_or_si128(_mm_or_si128(
			    _mm_cmpeq_epi8(v, _mm_set1_epi8(',')),
			    _mm_cmpeq_epi8(v, _mm_set1_epi8('"'))),
			    _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('\\')),
			    _mm_cmpeq_epi8(v, _mm_setzero_si128()))));
			out = (unsigned)_mm_movemask_epi8(stop);
		}
		if (out != 0)
			return i + (size_t)__builtin_ctz(out);
		i += 16;
	}
#endif
	while (i < n && lf_c_is(s[i], hexaddr ? LF_CL_HEXADDR : LF_CL_ITEM))
		i++;
	return i;
}

/* `[0-9A-Fa-f:.]++(?:%[0-9A-Za-z_.-]++)?+` */
static size_t
lf_sc_addr1(const unsigned char *s, size_t n, size_t i)
{
	size_t j = lf_class_end(s, n, i, true), k;

	if (j == i)
		return LF_FAIL;
	if (j < n && s[j] == '%') {
		for (k = j + 1; k < n && lf_c_is(s[k], LF_CL_ZONE); k++)
			;
		if (k > j + 1)
			j = k;
	}
	return j;
}

/*
 * The possessive address: `(?:unix:[^\s"\x00]*+|ADDR1(?:, ADDR1)*+|-)`,
 * ADDR1 as lf_sc_addr1.
 */
static size_t
lf_sc_addr(const unsigned char *s, size_t n, size_t i, bool *esc)
{
	size_t j, k;

	if (n - i >= 5 && memcmp(s + i, "unix:", 5) == 0) {
		*esc = true;	/* a '\\' may be in it */
		for (j = i + 5; j < n && lf_c_is(s[j], LF_CL_UNIX); j++)
			;
		return j;
	}
	if ((j = lf_sc_addr1(s, n, i)) != LF_FAIL) {
		while (n - j >= 2 && s[j] == ',' && s[j + 1] == ' ' &&
		    (k = lf_sc_addr1(s, n, j + 2)) != LF_FAIL)
			j = k;
		return j;
	}
	return i < n && s[i] == '-' ? i + 1 : LF_FAIL;
}

/* One item of a list of kind. Inlined where kind is known: its switch
 * then goes. */
static inline __attribute__((always_inline)) size_t
lf_sc_item(enum lf_kind kind, const unsigned char *s, size_t n, size_t i)
{
	size_t j;

	switch (kind) {
	case LF_K_ADDR_LIST:
		j = lf_class_end(s, n, i, false);
		return j > i ? j : LF_FAIL;
	case LF_K_STATUS_LIST:
		return lf_sc_status(s, n, i);
	case LF_K_TIME_LIST:
		return lf_sc_dec(s, n, i);
	default:
		return lf_sc_num(s, n, i);
	}
}

/*
 * Scan a list of kind from i: its first item, then `(?:, | : )ITEM` as
 * often as they follow. ends[0..*count) get the end after 1, 2, ... items
 * (at most max, then *count is max + 1: too many to give back). The end
 * of the longest, or LF_FAIL without a first item.
 */
static inline __attribute__((always_inline)) size_t
lf_sc_list(enum lf_kind kind, const unsigned char *s, size_t n, size_t i,
    size_t *ends, size_t max, size_t *count)
{
	size_t j = lf_sc_item(kind, s, n, i), k, c = 0;

	if (j == LF_FAIL)
		return LF_FAIL;
	for (;;) {
		if (ends != NULL) {
			if (c == max) {
				c++;
				break;
			}
			ends[c++] = j;
		}
		if (n - j >= 2 && s[j] == ',' && s[j + 1] == ' ')
			k = lf_sc_item(kind, s, n, j + 2);
		else if (n - j >= 3 && s[j] == ' ' && s[j + 1] == ':' &&
		    s[j + 2] == ' ')
			k = lf_sc_item(kind, s, n, j + 3);
		else
			break;
		if (k == LF_FAIL)
			break;
		j = k;
	}
	if (count != NULL)
		*count = c;
	return j;
}

/* Search state of one line. */
struct lf_fast_run {
	struct logformat *lf;		/* its scratch space written */
	const unsigned char *s;
	size_t n;
	unsigned tries;		/* ends tried at branching pieces */
	bool esc;		/* a '\\' passed in a variable's value */
};

/*
 * Possessive text: `RUN*+(?:\\[^\x00]RUN*+)*+`; r->esc set past an escape.
 * run_end is the format's scanner (lf->run_end), a constant where the
 * matcher is made for one (lf_fast_at_with).
 */
static inline __attribute__((always_inline)) size_t
lf_sc_text(struct lf_fast_run *r, size_t i, bool token,
    lf_run_end_fn *run_end)
{
	const unsigned char *s = r->s;
	size_t n = r->n;

	for (;;) {
		i = run_end(s, n, i, token, 0);
		if (n - i >= 2 && s[i] == '\\' && s[i + 1] != 0) {
			r->esc = true;
			i += 2;
		} else
			return i;
	}
}

/*
 * lf_sc_time_local, first against the last one it took (lf->fast_time):
 * a log's lines share their time for a second, the shape is a function of
 * the bytes, and only the seconds' two digits are read again.
 */
static size_t
lf_sc_time_local_memo(struct logformat *lf, const unsigned char *s, size_t n,
    size_t i)
{
	const unsigned char *t = s + i;
	const unsigned char *m = lf->fast_time;
	uint64_t a, b, c, ma, mb, mc;
	size_t j;

	if (n - i < LF_TIME_LOCAL_LEN)
		return LF_FAIL;
	if (lf->fast_time_set) {
		/* bytes 0..17 and 20..25: three loads, 18..19 masked */
		memcpy(&a, t, 8);
		memcpy(&b, t + 8, 8);
		memcpy(&c, t + 18, 8);
		memcpy(&ma, m, 8);
		memcpy(&mb, m + 8, 8);
		memcpy(&mc, m + 18, 8);
		if (a == ma && b == mb && t[16] == m[16] && t[17] == m[17] &&
		    ((c ^ mc) & le64toh(~(uint64_t)0xffff)) == 0 &&
		    lf_c_digit(t[18]) && lf_c_digit(t[19]))
			return i + LF_TIME_LOCAL_LEN;
	}
	if ((j = lf_sc_time_local(s, n, i)) != LF_FAIL) {
		memcpy(lf->fast_time, t, LF_TIME_LOCAL_LEN);
		lf->fast_time_set = true;
	}
	return j;
}

/* The end of op's literal (off..mask) at i, or LF_FAIL. */
static inline size_t
lf_lit_at(const struct logformat *lf, const struct lf_op *op,
    const unsigned char *s, size_t n, size_t i)
{
	const char *l = lf->fast_lits + op->off;

	if (op->mask != 0 && n - i >= 8) {
		/* one load and compare for the short ones */
		uint64_t w;

		memcpy(&w, s + i, 8);
		return (le64toh(w) & op->mask) == op->word ? i + op->len :
		    LF_FAIL;
	}
	if (n - i < op->len)
		return LF_FAIL;
	/* a few bytes: a loop beats a call to memcmp */
	for (size_t j = 0; j < op->len; j++)
		if (s[i + j] != (unsigned char)l[j])
			return LF_FAIL;
	return i + op->len;
}

typedef int lf_fast_at_fn(struct lf_fast_run *r, size_t k, size_t i);

/*
 * Match ops k.. from i to the end of the line, as PCRE2 backtracks: 1 on
 * a match (spans in lf->fast_ov), 0 when none, -1 when the search gave up.
 * Made once for each run scanner (lf_fast_at_avx2, _sse2, _any): run_end
 * and at (the one made, for the search's next piece) are constants there,
 * the scanner inlined into its callers.
 */
static inline __attribute__((always_inline)) int
lf_fast_at_with(struct lf_fast_run *r, size_t k, size_t i,
    lf_run_end_fn *run_end, lf_fast_at_fn *at)
{
	const struct logformat *lf = r->lf;
	const unsigned char *s = r->s;
	size_t n = r->n;
	/* the ops' bounds in locals: the spans' stores could be to them */
	const struct lf_op *ops = lf->ops, *end = ops + lf->n_ops, *op;

	for (op = ops + k; op < end; op++) {
		size_t j;

		/* one switch a piece: a LF_F_ONE's kind is in its code */
		switch (op->code) {
		case LF_C_LIT:
			if ((i = lf_lit_at(lf, op, s, n, i)) == LF_FAIL)
				return 0;
			continue;
		case LF_C_ONE + LF_K_TEXT:
			j = lf_sc_text(r, i, false, run_end);
			break;
		case LF_C_ONE + LF_K_TOKEN:
			j = lf_sc_text(r, i, true, run_end);
			break;
		case LF_C_ONE + LF_K_STATUS:
			j = lf_sc_status(s, n, i);
			break;
		case LF_C_ONE + LF_K_NUM:
			j = lf_sc_num(s, n, i);
			break;
		case LF_C_ONE + LF_K_DEC:
			j = lf_sc_dec(s, n, i);
			break;
		case LF_C_ONE + LF_K_ADDR:
			j = lf_sc_addr(s, n, i, &r->esc);
			break;
		case LF_C_ONE + LF_K_TIME_LOCAL:
			j = lf_sc_time_local_memo(r->lf, s, n, i);
			break;
		case LF_C_ONE + LF_K_TIME_ISO:
			j = lf_sc_time_iso(s, n, i);
			break;
		case LF_C_ONE + LF_K_ADDR_LIST:
			j = lf_sc_list(LF_K_ADDR_LIST, s, n, i, NULL, 0, NULL);
			break;
		case LF_C_ONE + LF_K_STATUS_LIST:
			j = lf_sc_list(LF_K_STATUS_LIST, s, n, i, NULL, 0, NULL);
			break;
		case LF_C_ONE + LF_K_TIME_LIST:
			j = lf_sc_list(LF_K_TIME_LIST, s, n, i, NULL, 0, NULL);
			break;
		case LF_C_ONE + LF_K_NUM_LIST:
			j = lf_sc_list(LF_K_NUM_LIST, s, n, i, NULL, 0, NULL);
			break;
		case LF_C_LAZY: {
			bool token = op->kind == LF_K_TOKEN;

			for (j = i;;) {
				unsigned char c;

				if (j < n && s[j] == op->nx) {
					int rc;

					if (++r->tries > LF_FAST_TRIES)
						return -1;
					op->span[0] = i;
					op->span[1] = j;
					if ((rc = at(r, (size_t)(op - ops) + 1,
					    j)) != 0)
						return rc;
					j++;	/* nx as an iteration */
					continue;
				}
				if (j >= n)
					return 0;
				c = s[j];
				if (lf_c_run(c, token))
					j = run_end(s, n, j, token, op->nx);
				else if (c == '\\' && n - j >= 2 &&
				    s[j + 1] != 0) {
					r->esc = true;
					j += 2;
				} else
					return 0;
			}
		}
		default: {	/* LF_C_GREEDY */
			size_t ends[LF_FAST_LIST_MAX], count, m;
			int rc;

			if (lf_sc_list(op->kind, s, n, i, ends, LF_FAST_LIST_MAX,
			    &count) == LF_FAIL)
				return 0;
			if (count > LF_FAST_LIST_MAX)
				return -1;
			op->span[0] = i;
			for (m = count; m-- > 0;) {
				if (++r->tries > LF_FAST_TRIES)
					return -1;
				op->span[1] = ends[m];
				if ((rc = at(r, (size_t)(op - ops) + 1,
				    ends[m])) != 0)
					return rc;
			}
			return 0;
		}
		}
		/* a LF_F_ONE piece, its one end j */
		if (j == LF_FAIL)
			return 0;
		op->span[0] = i;
		op->span[1] = j;
		i = j;
		if (op->then_lit) {
			if ((i = lf_lit_at(lf, op, s, n, i)) == LF_FAIL)
				return 0;
			op++;
		}
	}
	return i == n ? 1 : 0;
}

/* lf_fast_at_with for a scanner that is a pointer (tests' "bytes"). */
static int
lf_fast_at_any(struct lf_fast_run *r, size_t k, size_t i)
{
	return lf_fast_at_with(r, k, i, r->lf->run_end, lf_fast_at_any);
}

#ifdef __SSE2__
/* lf_fast_at_with, lf_run_end_sse2 inlined. */
static int
lf_fast_at_sse2(struct lf_fast_run *r, size_t k, size_t i)
{
	return lf_fast_at_with(r, k, i, lf_run_end_sse2, lf_fast_at_sse2);
}
#endif

#ifdef LF_HAVE_AVX2
/* lf_fast_at_with, lf_run_end_avx2 inlined: for CPUs with AVX2 only. */
__attribute__((target("avx2"))) static int
lf_fast_at_avx2(struct lf_fast_run *r, size_t k, size_t i)
{
	return lf_fast_at_with(r, k, i, lf_run_end_avx2, lf_fast_at_avx2);
}
#endif

/* The hand matcher made for lf's scanner. */
static int
lf_fast_at(struct lf_fast_run *r)
{
#ifdef LF_HAVE_AVX2
	if (r->lf->run_end == lf_run_end_avx2)
		return lf_fast_at_avx2(r, 0, 0);
#endif
#ifdef __SSE2__
	if (r->lf->run_end == lf_run_end_sse2)
		return lf_fast_at_sse2(r, 0, 0);
#endif
	return lf_fast_at_any(r, 0, 0);
}

/*
 * True when the line matched by hand (spans in lf->fast_ov); *esc false
 * when no value of a variable holds a '\\' (nothing to unescape).
 */
static bool
lf_fast_match(struct logformat *lf, const char *line, size_t len, bool *esc)
{
	struct lf_fast_run r = {
		.lf = lf, .s = (const unsigned char *)line, .n = len,
	};

	if (len > LF_FAST_LINE_MAX)
		return false;
	lf->fast_ov[0] = 0;
	lf->fast_ov[1] = len;
	if (lf_fast_at(&r) != 1)
		return false;
	*esc = r.esc;
	return true;
}

/*
 * The hand matcher's piece for a variable of kind before next (as
 * lf_emit_var sees it), or false when it has none (PCRE2 only).
 */
static bool
lf_fast_form(enum lf_kind kind, enum lf_escape esc, int next,
    enum lf_form *form)
{
	bool num_bt = lf_next_numeric(next);
	bool list_bt = next == LF_NEXT_VAR || next == ',' ||
	    (next >= 0 && lf_is_space(next));

	*form = LF_F_ONE;
	if (next == LF_NEXT_VAR || esc == LF_ESC_NONE)
		return false;
	switch (kind) {
	case LF_K_TEXT:
	case LF_K_TOKEN:
		if (next == LF_NEXT_END || next == '"' || next < 0x20 ||
		    (kind == LF_K_TOKEN && next == ' '))
			return true;
		/* lazy before nx: not '\\', which an escape could take too */
		*form = LF_F_LAZY;
		return next != '\\';
	case LF_K_STATUS:
	case LF_K_TIME_LOCAL:
	case LF_K_TIME_ISO:
		return true;
	case LF_K_NUM:
	case LF_K_DEC:
		return !num_bt;
	case LF_K_ADDR:
		return !(next == ':' || next == '.' || next == '%' ||
		    (next >= 0 && isxdigit(next)));
	case LF_K_ADDR_LIST:
		if (next >= 0 && !lf_is_space(next) && next != ',' &&
		    next != '"' && next != '\\')
			return false;
		break;
	case LF_K_TIME_LIST:
	case LF_K_NUM_LIST:
		if (num_bt)
			return false;
		break;
	case LF_K_STATUS_LIST:
		break;
	}
	if (list_bt)
		*form = LF_F_GREEDY;
	return true;
}

/*
 * The hand matcher's ops for items (nvars variables), when every piece has
 * a form: 1 with lf->ops set, 0 when the format is PCRE2's alone, -1 when
 * out of memory. The literals stay in the items' pool (the caller keeps
 * it as lf->fast_lits).
 */
static int
lf_fast_compile(struct logformat *lf, const struct lf_items *it,
    size_t nvars)
{
	struct lf_op *ops;
	size_t i, var = 0;

	if (it->n == 0)
		return 0;
	if ((ops = gw_calloc(it->n, sizeof(*ops))) == NULL)
		return -1;
	for (i = 0; i < it->n; i++) {
		const struct lf_item *item = &it->v[i];
		const struct lf_known *k;
		struct lf_op *op = &ops[i];
		int next;

		if (!item->is_var) {
			op->form = LF_F_LIT;
			op->code = LF_C_LIT;
			op->off = item->off;
			op->len = item->len;
			for (size_t b = 0; b < item->len && item->len <= 8; b++) {
				op->word |= (uint64_t)(unsigned char)
				    it->pool.p[item->off + b] << (8 * b);
				op->mask |= (uint64_t)0xff << (8 * b);
			}
			continue;
		}
		if (i + 1 == it->n)
			next = LF_NEXT_END;
		else if (it->v[i + 1].is_var)
			next = LF_NEXT_VAR;
		else
			next = (unsigned char)it->pool.p[it->v[i + 1].off];
		k = lf_lookup(it->pool.p + item->off, item->len);
		op->kind = k != NULL ? k->kind : LF_K_TEXT;
		op->group = (uint32_t)++var;
		op->nx = (unsigned char)next;
		if (!lf_fast_form(op->kind, lf->esc, next, &op->form)) {
			free(ops);
			return 0;
		}
		op->code = op->form == LF_F_LAZY ? LF_C_LAZY :
		    op->form == LF_F_GREEDY ? LF_C_GREEDY :
		    (unsigned char)(LF_C_ONE + op->kind);
	}
	lf->fast_ov = gw_calloc(2 * (nvars + 1), sizeof(*lf->fast_ov));
	if (lf->fast_ov == NULL) {
		free(ops);
		return -1;
	}
	for (i = 0; i < it->n; i++) {
		struct lf_op *op = &ops[i];

		if (op->form == LF_F_LIT)
			continue;
		op->span = lf->fast_ov + 2 * op->group;
		/* a literal after a single-ended piece: matched with it (no
		 * search resumes at that literal: only at the op after a
		 * lazy or greedy piece) */
		if (op->form == LF_F_ONE && i + 1 < it->n &&
		    ops[i + 1].form == LF_F_LIT) {
			op->then_lit = true;
			op->off = ops[i + 1].off;
			op->len = ops[i + 1].len;
			op->word = ops[i + 1].word;
			op->mask = ops[i + 1].mask;
		}
	}
	lf->ops = ops;
	lf->n_ops = it->n;
	return 1;
}

const char *
logformat_builtin(const char *name)
{
	if (name == NULL)
		return NULL;
	if (strcmp(name, "combined") == 0)
		return "'$remote_addr - $remote_user [$time_local] "
		    "\"$request\" $status $body_bytes_sent "
		    "\"$http_referer\" \"$http_user_agent\"'";
	/* Kubernetes ingress-nginx's default (its "upstreaminfo"). */
	if (strcmp(name, "ingress-nginx") == 0)
		return "'$remote_addr - $remote_user [$time_local] "
		    "\"$request\" $status $body_bytes_sent "
		    "\"$http_referer\" \"$http_user_agent\" "
		    "$request_length $request_time [$proxy_upstream_name] "
		    "[$proxy_alternative_upstream_name] $upstream_addr "
		    "$upstream_response_length $upstream_response_time "
		    "$upstream_status $req_id'";
	/* Apache APISIX's default access_log_format. */
	if (strcmp(name, "apisix") == 0)
		return "'$remote_addr - $remote_user [$time_local] $http_host "
		    "\"$request\" $status $body_bytes_sent $request_time "
		    "\"$http_referer\" \"$http_user_agent\" $upstream_addr "
		    "$upstream_status $upstream_response_time "
		    "\"$upstream_scheme://$upstream_host$upstream_uri\"'";
	/* The "main" of nginx's documentation and of distributions' confs. */
	if (strcmp(name, "main") == 0)
		return "'$remote_addr - $remote_user [$time_local] "
		    "\"$request\" $status $body_bytes_sent "
		    "\"$http_referer\" \"$http_user_agent\" "
		    "\"$http_x_forwarded_for\"'";
	if (strcmp(name, "upstream") == 0)
		return "'$remote_addr - $remote_user [$time_local] "
		    "\"$request\" $status $body_bytes_sent "
		    "\"$http_referer\" \"$http_user_agent\" "
		    "rt=$request_time uaddr=\"$upstream_addr\" "
		    "us=\"$upstream_status\" uct=\"$upstream_connect_time\" "
		    "uht=\"$upstream_header_time\" "
		    "urt=\"$upstream_response_time\" rid=$request_id'";
	return NULL;
}

void
logformat_free(struct logformat *lf)
{
	if (lf == NULL)
		return;
	pcre2_match_data_free(lf->md);
	pcre2_match_context_free(lf->mctx);
	pcre2_jit_stack_free(lf->jit_stack);
	pcre2_code_free(lf->re);
	pcre2_general_context_free(lf->gctx);
	free(lf->pattern);
	free(lf->ops);
	free(lf->fast_lits);
	free(lf->fast_ov);
	free(lf);
}

bool
logformat_has_upstream(const struct logformat *lf)
{
	return lf != NULL && (lf->logged &
	    (ACCESS_LOGGED_ADDR | ACCESS_LOGGED_STATUS)) != 0;
}

/* See logformat.h. */
char *
logformat_text_from_arg(const char *arg)
{
	const char *p = arg;
	size_t n = 0;
	char *out, *o;

	while (*p == ' ' || *p == '\t' || *p == '\n')
		p++;
	/*
	 * The whole directive pasted from nginx.conf: "log_format NAME
	 * [escape=..] 'text' ...;" - the name and the closing ';' go.
	 */
	if (strncmp(p, "log_format", 10) == 0 && (p[10] == ' ' ||
	    p[10] == '\t' || p[10] == '\n')) {
		const char *q = p + 10, *end;
		char *rest, *r;
		while (*q == ' ' || *q == '\t' || *q == '\n')
			q++;
		while (*q != '\0' && *q != ' ' && *q != '\t' && *q != '\n')
			q++;	/* the name */
		while (*q == ' ' || *q == '\t' || *q == '\n')
			q++;
		end = q + strlen(q);
		while (end > q && (end[-1] == ' ' || end[-1] == '\t' ||
		    end[-1] == '\n' || end[-1] == '\r'))
			end--;
		if (end > q && end[-1] == ';')
			end--;
		if ((rest = gw_strndup(q, (size_t)(end - q))) == NULL)
			return NULL;
		r = *rest != '\0' ? logformat_text_from_arg(rest) : NULL;
		free(rest);
		if (r != NULL || *q == '\0' || end == q)
			return r != NULL ? r : gw_strdup("");
		return NULL;
	}
	if (*p == '\'' || *p == '"' || strncmp(p, "escape=", 7) == 0)
		return gw_strdup(arg);
	for (const char *q = arg; *q; q++)
		n += (*q == '\'' || *q == '\\') ? 2 : 1;
	if ((out = gw_malloc(n + 3)) == NULL)
		return NULL;
	o = out;
	*o++ = '\'';
	for (const char *q = arg; *q; q++) {
		if (*q == '\'' || *q == '\\')
			*o++ = '\\';
		*o++ = *q;
	}
	*o++ = '\'';
	*o = '\0';
	return out;
}

/* See logformat.h. */
bool
logformat_logs_secrets(const struct logformat *lf)
{
	return lf->logs_secrets;
}

/* See logformat.h. */
bool
logformat_has_fast(const struct logformat *lf)
{
	return lf->ops != NULL;
}

/* See logformat.h. */
void
logformat_use_fast(struct logformat *lf, bool on)
{
	lf->fast_off = !on;
}

/* See logformat.h. */
bool
logformat_use_scanner(struct logformat *lf, const char *name)
{
	if (strcmp(name, "bytes") == 0)
		lf->run_end = lf_run_end_bytes;
#ifdef __SSE2__
	else if (strcmp(name, "sse2") == 0)
		lf->run_end = lf_run_end_sse2;
#endif
#ifdef LF_HAVE_AVX2
	else if (strcmp(name, "avx2") == 0 && __builtin_cpu_supports("avx2"))
		lf->run_end = lf_run_end_avx2;
#endif
	else
		return false;
	return true;
}

size_t
logformat_fast_count(const struct logformat *lf)
{
	return lf->fast_count;
}

const char *
logformat_pattern(const struct logformat *lf)
{
	return lf != NULL ? lf->pattern : NULL;
}

/*
 * Turn the format text into items (and the escape mode). Returns 0, or -1
 * (LOGFORMAT_NOMEM when out of memory) with err filled.
 */
static int
lf_tokenize(const char *text, struct lf_items *it, enum lf_escape *esc,
    char *err, size_t errlen)
{
	const char *p = text, *end = text + strlen(text);
	struct textbuf arg = { 0 };
	bool first = true;
	int rc, nargs = 0;

	*esc = LF_ESC_DEFAULT;
	for (;;) {
		const char *start;
		while (p < end && isspace((unsigned char)*p))
			p++;
		start = p;
		rc = lf_read_arg(&p, end, &arg, text, err, errlen);
		if (rc <= 0)
			break;
		if (arg.oom)
			break;
		if (first && arg.len >= 7 && memcmp(arg.p, "escape=", 7) == 0) {
			const char *v = arg.p + 7;
			if (strcmp(v, "default") == 0)
				*esc = LF_ESC_DEFAULT;
			else if (strcmp(v, "json") == 0)
				*esc = LF_ESC_JSON;
			else if (strcmp(v, "none") == 0)
				*esc = LF_ESC_NONE;
			else {
				lf_err(err, errlen, "unknown escape \"%s\" at "
				    "offset %zu", v, (size_t)(start - text));
				rc = -1;
				break;
			}
			first = false;
			continue;
		}
		first = false;
		nargs++;
		/* a quoted argument starts one byte in */
		if (*start == '"' || *start == '\'')
			start++;
		if (lf_split_arg(it, arg.p, arg.len, (size_t)(start - text),
		    err, errlen) < 0) {
			rc = -1;
			break;
		}
	}
	if (rc >= 0 && (arg.oom || it->pool.oom)) {
		lf_err(err, errlen, "out of memory");
		rc = LOGFORMAT_NOMEM;
	}
	if (rc == 0 && nargs == 0) {
		lf_err(err, errlen, "log_format has no format string");
		rc = -1;
	}
	free(arg.p);
	return rc;
}

/* PCRE2 allocates through these, so a test's fault reaches it too. */
static void *
lf_pcre2_malloc(PCRE2_SIZE n, void *data)
{
	(void)data;
	return gw_malloc(n);
}

static void
lf_pcre2_free(void *p, void *data)
{
	(void)data;
	free(p);
}

int
logformat_compile(const char *text, int default_tz_min,
    struct logformat **out, char *err, size_t errlen)
{
	struct lf_items it = { 0 };
	struct textbuf pat = { 0 };
	struct logformat *lf = NULL;
	size_t i, nvars = 0;
	int errcode, rc = -1;
	PCRE2_SIZE erroff;
	pcre2_compile_context *cctx;
	char name[16];
	const uint32_t opts = PCRE2_ANCHORED | PCRE2_ENDANCHORED |
	    PCRE2_DOTALL | PCRE2_NEVER_UTF | PCRE2_NEVER_UCP |
	    PCRE2_NO_AUTO_CAPTURE | PCRE2_NEVER_BACKSLASH_C;

	*out = NULL;
	if (text == NULL) {
		lf_err(err, errlen, "no log_format text");
		return -1;
	}
	lf = gw_calloc(1, sizeof(*lf));
	if (lf == NULL) {
		lf_err(err, errlen, "out of memory");
		return LOGFORMAT_NOMEM;
	}
	lf->default_tz_min = default_tz_min;
	lf->run_end = lf_run_end_pick();
	if ((rc = lf_tokenize(text, &it, &lf->esc, err, errlen)) < 0)
		goto fail;
	rc = -1;

	for (i = 0; i < it.n; i++) {
		const struct lf_item *item = &it.v[i];
		const unsigned char *s =
		    (const unsigned char *)it.pool.p + item->off;
		const struct lf_known *k;
		int next;

		if (!item->is_var) {
			lf_emit_literal(&pat, s, item->len);
			continue;
		}
		if (++nvars > LF_VARS_MAX) {
			lf_err(err, errlen, "more than %d variables",
			    LF_VARS_MAX);
			goto fail;
		}
		if (i + 1 == it.n)
			next = LF_NEXT_END;
		else if (it.v[i + 1].is_var)
			next = LF_NEXT_VAR;
		else
			next = (unsigned char)it.pool.p[it.v[i + 1].off];
		k = lf_lookup((const char *)s, item->len);
		if (lf_is_secret((const char *)s, item->len))
			lf->logs_secrets = true;
		snprintf(name, sizeof(name), "(?<v%zu>", nvars);
		textbuf_str(&pat, name);
		lf_emit_var(&pat, k != NULL ? k->kind : LF_K_TEXT, lf->esc,
		    next);
		textbuf_str(&pat, ")");
	}
	if (pat.oom || it.pool.oom) {
		goto nomem;
	}
	if (pat.p == NULL)
		textbuf_add(&pat, "", 0);

	lf->gctx = pcre2_general_context_create(lf_pcre2_malloc, lf_pcre2_free,
	    NULL);
	if (lf->gctx == NULL || (cctx = pcre2_compile_context_create(lf->gctx))
	    == NULL) {
		goto nomem;
	}
	lf->re = pcre2_compile((PCRE2_SPTR)pat.p, pat.len, opts, &errcode,
	    &erroff, cctx);
	pcre2_compile_context_free(cctx);
	if (lf->re == NULL && errcode == PCRE2_ERROR_HEAP_FAILED) {
		goto nomem;
	}
	if (lf->re == NULL) {
		PCRE2_UCHAR msg[128];
		pcre2_get_error_message(errcode, msg, sizeof(msg));
		lf_err(err, errlen, "cannot compile log_format: %s", msg);
		goto fail;
	}
	/*
	 * PCRE2 10.42 (Debian 12) crashes inside the JIT compiler when an
	 * allocation fails (its failure paths were first tested in 10.45,
	 * PCRE2 issue #627): the tests' fault is held here. Without memory
	 * the JIT fails cleanly in practice and the interpreter is used.
	 */
	gw_fault_hold();
	lf->jit = pcre2_jit_compile(lf->re, PCRE2_JIT_COMPLETE) == 0;
	gw_fault_release();
	lf->md = pcre2_match_data_create_from_pattern(lf->re, lf->gctx);
	lf->mctx = pcre2_match_context_create(lf->gctx);
	if (lf->md == NULL || lf->mctx == NULL) {
		goto nomem;
	}
	pcre2_set_match_limit(lf->mctx, LF_MATCH_LIMIT);
	pcre2_set_depth_limit(lf->mctx, LF_DEPTH_LIMIT);
	if (lf->jit) {
		/* without its stack long lines would hit the limit of the
		 * default one: out of memory, not another answer */
		lf->jit_stack = pcre2_jit_stack_create(LF_JIT_STACK_MIN,
		    LF_JIT_STACK_MAX, lf->gctx);
		if (lf->jit_stack == NULL) {
			goto nomem;
		}
		pcre2_jit_stack_assign(lf->mctx, NULL, lf->jit_stack);
	}

	/* group numbers resolved once; a variable's first occurrence wins */
	nvars = 0;
	for (i = 0; i < it.n; i++) {
		const struct lf_known *k;
		int g;

		if (!it.v[i].is_var)
			continue;
		nvars++;
		k = lf_lookup(it.pool.p + it.v[i].off, it.v[i].len);
		if (k == NULL || k->var == LF_V_NONE || lf->group[k->var] != 0)
			continue;
		snprintf(name, sizeof(name), "v%zu", nvars);
		g = pcre2_substring_number_from_name(lf->re, (PCRE2_SPTR)name);
		if (g <= 0) {
			lf_err(err, errlen, "internal: no group %s", name);
			goto fail;
		}
		lf->group[k->var] = (uint32_t)g;
	}
	if (lf->jit) {
		int fr = lf_fast_compile(lf, &it, nvars);
		if (fr < 0)
			goto nomem;
	}
	if (lf->group[LF_V_UP_ADDR])
		lf->logged |= ACCESS_LOGGED_ADDR;
	if (lf->group[LF_V_UP_STATUS])
		lf->logged |= ACCESS_LOGGED_STATUS;
	if (lf->group[LF_V_UP_CONNECT])
		lf->logged |= ACCESS_LOGGED_CONNECT;
	if (lf->group[LF_V_UP_HEADER])
		lf->logged |= ACCESS_LOGGED_HEADER;

	lf->pattern = pat.p;
	free(it.v);
	if (lf->ops != NULL)
		lf->fast_lits = it.pool.p;	/* the ops' literals */
	else
		free(it.pool.p);
	*out = lf;
	return 0;
nomem:
	lf_err(err, errlen, "out of memory");
	rc = LOGFORMAT_NOMEM;
fail:
	free(it.v);
	free(it.pool.p);
	free(pat.p);
	logformat_free(lf);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Parsing one line                                                     */

/* A span of the line. */
struct lf_val {
	const char *p;
	size_t n;
};

/*
 * The room reserved for a line's strings (lf_copy): its bytes, at most
 * LF_ROOM_LINE of them, and a NUL for each of LF_ROOM_STRINGS strings.
 * The strings of an event are parts of its line, so they most often fit
 * (a format can copy the same bytes twice: $request's "?q" without a path,
 * then $request_uri's); one that does not gets an allocation of its own.
 */
#define LF_ROOM_LINE	2048
#define LF_ROOM_STRINGS	(16 + GW_ATTEMPTS_MAX)

/*
 * What one parse works with. The event's strings are copied as the line
 * is read (lf_copy), one after the other into room reserved in the arena
 * once the line matched (c->room..c->room_end), whose unused end is given
 * back when the event is filled (kept when a string that did not fit took
 * an allocation of its own after it: at most one room a line).
 */
struct lf_ctx {
	const struct logformat *lf;
	struct logformat *scratch;	/* lf, its scratch space */
	const char *line, *line_end;
	const PCRE2_SIZE *ov;
	struct arena *a;
	bool plain;		/* no escape to undo in the line */
	bool oom;
	char *room, *room_end;	/* reserved: [room, room_end) */
	char *w;		/* the next string goes here */
	size_t room_n;		/* bytes reserved (arena_shrink) */
	struct gw_attempt at[GW_ATTEMPTS_MAX];	/* lf_fill_attempts */
	int n_at;
};

/* The span variable v matched, false when the format lacks it. */
static bool
lf_get(const struct lf_ctx *c, enum lf_var v, struct lf_val *out)
{
	uint32_t g = c->lf->group[v];

	if (g == 0 || c->ov[2 * g] == PCRE2_UNSET)
		return false;
	out->p = c->line + c->ov[2 * g];
	out->n = c->ov[2 * g + 1] - c->ov[2 * g];
	return true;
}

/* True when the span is nginx's "-" (no value). */
static bool
lf_is_dash(const struct lf_val *v)
{
	return v->n == 1 && v->p[0] == '-';
}

/* Four hex digits at s (n bytes available) as a number, or -1. */
static long
lf_hex4(const char *s, size_t n)
{
	long v = 0;
	size_t i;

	if (n < 4)
		return -1;
	for (i = 0; i < 4; i++) {
		int h = hex_digit((unsigned char)s[i]);
		if (h < 0)
			return -1;
		v = v << 4 | h;
	}
	return v;
}

/* Write code point cp as UTF-8 at d; returns bytes written. */
static size_t
lf_utf8(char *d, long cp)
{
	if (cp < 0x80) {
		d[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		d[0] = (char)(0xc0 | cp >> 6);
		d[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		d[0] = (char)(0xe0 | cp >> 12);
		d[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		d[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	d[0] = (char)(0xf0 | cp >> 18);
	d[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	d[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	d[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/*
 * Undo nginx's escaping of the n bytes at s into d (room for n bytes):
 * default writes \xHH, json \" \\ \n \r \t \b \f \uXXXX. An escape that
 * would give a NUL, or is malformed, is copied as written. Returns the
 * length written.
 */
static size_t
lf_unescape_into(char *d, const char *s, size_t n, enum lf_escape esc)
{
	size_t i = 0, o = 0;

	while (i < n) {
		const char *e;
		int hi, lo;
		long cp, cp2;

		if (s[i] != '\\' || n - i < 2) {
			d[o++] = s[i++];
			continue;
		}
		e = s + i + 1;
		if (esc == LF_ESC_DEFAULT) {
			if (*e == 'x' && n - i >= 4 &&
			    (hi = hex_digit((unsigned char)e[1])) >= 0 &&
			    (lo = hex_digit((unsigned char)e[2])) >= 0 &&
			    (hi | lo) != 0) {
				d[o++] = (char)(hi << 4 | lo);
				i += 4;
				continue;
			}
			d[o++] = s[i++];
			continue;
		}
		switch (*e) {
		case '"':
		case '\\':
		case '/':
			d[o++] = *e;
			i += 2;
			continue;
		case 'n':
			d[o++] = '\n';
			i += 2;
			continue;
		case 'r':
			d[o++] = '\r';
			i += 2;
			continue;
		case 't':
			d[o++] = '\t';
			i += 2;
			continue;
		case 'b':
			d[o++] = '\b';
			i += 2;
			continue;
		case 'f':
			d[o++] = '\f';
			i += 2;
			continue;
		case 'u':
			cp = lf_hex4(e + 1, n - i - 2);
			if (cp > 0 && (cp < 0xd800 || cp > 0xdfff)) {
				o += lf_utf8(d + o, cp);
				i += 6;
				continue;
			}
			if (cp >= 0xd800 && cp <= 0xdbff && n - i >= 12 &&
			    e[5] == '\\' && e[6] == 'u' &&
			    (cp2 = lf_hex4(e + 7, n - i - 8)) >= 0xdc00 &&
			    cp2 <= 0xdfff) {
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				    (cp2 - 0xdc00);
				o += lf_utf8(d + o, cp);
				i += 12;
				continue;
			}
			break;
		}
		d[o++] = s[i++];
	}
	return o;
}

/*
 * memcpy(d, s, n) for the short strings of a line (up to 32 bytes)
 * without a call: two loads that may overlap, none outside s[0..n) or
 * d[0..n).
 */
static inline void
lf_copy_bytes(char *d, const char *s, size_t n)
{
	uint64_t a, b;
	uint32_t x, y;

	if (n >= 8 && n <= 16) {
		memcpy(&a, s, 8);
		memcpy(&b, s + n - 8, 8);
		memcpy(d, &a, 8);
		memcpy(d + n - 8, &b, 8);
	} else if (n >= 4 && n < 8) {
		memcpy(&x, s, 4);
		memcpy(&y, s + n - 4, 4);
		memcpy(d, &x, 4);
		memcpy(d + n - 4, &y, 4);
	} else if (n < 4) {
		for (size_t i = 0; i < n; i++)
			d[i] = s[i];
	} else if (n <= 32) {
		/* a request id, a host, most paths */
		unsigned char h[16], t[16];

		memcpy(h, s, 16);
		memcpy(t, s + n - 16, 16);
		memcpy(d, h, 16);
		memcpy(d + n - 16, t, 16);
	} else
		memcpy(d, s, n);
}

/* lf_copy's other cases: a string that does not fit the room or holds a
 * '\\' (unescaped). */
static __attribute__((noinline)) void
lf_copy_slow(struct lf_ctx *c, const char **to, uint16_t *len,
    const char *s, size_t n)
{
	char *d = c->w;
	size_t o;

	if ((size_t)(c->room_end - d) > n)
		c->w = d + n + 1;	/* o <= n: unescaping only shortens */
	else if ((d = arena_alloc(c->a, n + 1)) == NULL) {
		c->oom = true;
		*to = NULL;
		return;
	}
	if (c->plain || memchr(s, '\\', n) == NULL) {
		lf_copy_bytes(d, s, n);
		o = n;
	} else {
		o = lf_unescape_into(d, s, n, c->lf->esc);
		if (d + n + 1 == c->w)
			c->w = d + o + 1;
	}
	d[o] = '\0';
	*to = d;
	/* strlen's: a matched value holds no NUL (the patterns and the
	 * hand matcher exclude it, LF_ESC_NONE lines with one are
	 * rejected) and unescaping makes none */
	*len = event_len(o);
}

/*
 * *to becomes a NUL-terminated copy of the n bytes at s, unescaped per the
 * format's escape= mode, *len its length: in the room reserved for the
 * line when it fits, else in an allocation of its own (c->oom when none).
 */
static inline __attribute__((always_inline)) void
lf_copy(struct lf_ctx *c, const char **to, uint16_t *len, const char *s,
    size_t n)
{
	char *d = c->w;

	if (__builtin_expect(c->plain && (size_t)(c->room_end - d) > n, 1)) {
		c->w = d + n + 1;
		lf_copy_bytes(d, s, n);
		d[n] = '\0';
		*to = d;
		*len = event_len(n);	/* as lf_copy_slow's */
		return;
	}
	lf_copy_slow(c, to, len, s, n);
}

/*
 * Reserve the room for the strings of the line (lf_copy); false when out
 * of memory.
 */
static bool
lf_room(struct lf_ctx *c)
{
	size_t n = (size_t)(c->line_end - c->line);

	c->room_n = (n < LF_ROOM_LINE ? n : LF_ROOM_LINE) + LF_ROOM_STRINGS;
	if ((c->room = arena_alloc(c->a, c->room_n)) == NULL)
		return false;
	c->room_end = c->room + c->room_n;
	c->w = c->room;
	return true;
}

/* *to: variable v's value (lf_copy); NULL when absent or "-". */
static void
lf_text(struct lf_ctx *c, const char **to, uint16_t *len, enum lf_var v)
{
	struct lf_val val;

	if (!lf_get(c, v, &val) || lf_is_dash(&val)) {
		*to = NULL;
		return;
	}
	lf_copy(c, to, len, val.p, val.n);
}

/*
 * ev's client: the address of variable v, the first of a ", " list. A
 * canonical dotted quad is read as such from the line (ev->client_form,
 * client_v4), so neither the list's ',' nor the copy is looked at again.
 */
static void
lf_client(struct lf_ctx *c, struct gw_event *ev, enum lf_var v)
{
	struct lf_val val;
	const char *comma;

	if (!lf_get(c, v, &val) || lf_is_dash(&val)) {
		ev->client = NULL;
		return;
	}
	/* event_ipv4 reads no byte past s[n] when it is not a digit or a
	 * dot (core/event.h): the byte after an address in the line */
	if (val.p + val.n < c->line_end && !lf_c_digit(
	    (unsigned char)val.p[val.n]) && val.p[val.n] != '.' &&
	    event_ipv4(val.p, val.n, &ev->client_v4)) {
		ev->client_form = GW_CLIENT_V4;
		lf_copy(c, &ev->client, &ev->client_len, val.p, val.n);
		return;
	}
	if ((comma = memchr(val.p, ',', val.n)) != NULL)
		val.n = (size_t)(comma - val.p);
	lf_copy(c, &ev->client, &ev->client_len, val.p, val.n);
}

/* lf_int but for three bytes. */
static __attribute__((noinline)) int64_t
lf_int_any(const char *s, size_t n)
{
	int64_t v = 0;
	size_t i;

	if (n == 0 || n > 18)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/*
 * Digits at s (n bytes) as a number; -1 for "-", empty or non-digits. A
 * status, three bytes, without a call.
 */
static inline int64_t
lf_int(const char *s, size_t n)
{
	if (n == 3) {
		unsigned d0 = (unsigned char)s[0] - '0';
		unsigned d1 = (unsigned char)s[1] - '0';
		unsigned d2 = (unsigned char)s[2] - '0';

		if (d0 > 9 || d1 > 9 || d2 > 9)
			return -1;
		return d0 * 100 + d1 * 10 + d2;
	}
	return lf_int_any(s, n);
}

/* lf_ms but for "d.ddd". */
static __attribute__((noinline)) int64_t
lf_ms_any(const char *s, size_t n)
{
	int64_t secs = 0, ms = 0;
	size_t i, ip;

	/* one pass: the whole part ends at the first non-digit, which
	 * must be the dot (anything else is malformed either way) */
	for (ip = 0; ip < n && s[ip] >= '0' && s[ip] <= '9'; ip++)
		if (ip < 18)
			secs = secs * 10 + (s[ip] - '0');
	if (ip == 0 || ip > 18 || (ip < n && s[ip] != '.'))
		return -1;
	if (secs > INT64_MAX / 1000 - 1)
		return -1;
	if (n - ip == 4 && s[ip] == '.' && lf_c_digit((unsigned char)s[ip + 1]) &&
	    lf_c_digit((unsigned char)s[ip + 2]) &&
	    lf_c_digit((unsigned char)s[ip + 3]))	/* "0.004", the usual */
		return secs * 1000 + (s[ip + 1] - '0') * 100 +
		    (s[ip + 2] - '0') * 10 + (s[ip + 3] - '0');
	if (ip < n) {
		if (ip + 1 == n)
			return -1;
		for (i = 0; i < 3; i++) {
			size_t k = ip + 1 + i;
			char ch = k < n ? s[k] : '0';
			if (ch < '0' || ch > '9')
				return -1;
			ms = ms * 10 + (ch - '0');
		}
		for (i = ip + 4; i < n; i++)
			if (s[i] < '0' || s[i] > '9')
				return -1;
	}
	return secs * 1000 + ms;
}

/*
 * Seconds with an optional fraction ("0.004", "12") at s as milliseconds,
 * digits past the third decimal dropped; -1 for "-" or malformed. nginx's
 * usual "0.004", four digits and the dot, without a call.
 */
static inline int64_t
lf_ms(const char *s, size_t n)
{
	if (n == 5 && s[1] == '.') {
		unsigned d0 = (unsigned char)s[0] - '0';
		unsigned d2 = (unsigned char)s[2] - '0';
		unsigned d3 = (unsigned char)s[3] - '0';
		unsigned d4 = (unsigned char)s[4] - '0';

		if (d0 > 9 || d2 > 9 || d3 > 9 || d4 > 9)
			return -1;
		return d0 * 1000 + d2 * 100 + d3 * 10 + d4;
	}
	return lf_ms_any(s, n);
}

/* A duration in ms clamped to int; -1 stays -1. */
static inline int
lf_ms_int(const char *s, size_t n)
{
	int64_t v = lf_ms(s, n);

	return v > INT_MAX ? INT_MAX : (int)v;
}

/* True when v is one whole stamp for reader (bytes taken, 0 if none). */
static bool
lf_whole(const struct lf_val *v, size_t taken)
{
	return taken > 0 && taken == v->n;
}

/*
 * Fill ev's time fields through core/timeparse.h; false when a time
 * variable is malformed. $time_local carries its zone; $time_iso8601
 * without an offset is read in the default zone; $msec (epoch seconds)
 * gives the instant, the others the zone.
 */
static bool
lf_fill_time(struct lf_ctx *c, struct gw_event *ev)
{
	struct lf_val v;
	struct timeparse t;

	if (lf_get(c, LF_V_TIME_LOCAL, &v)) {
		if (!lf_whole(&v, timeparse_clf_memo(&c->scratch->clf_memo,
		    v.p, v.n, &t)) || !t.has_tz)
			return false;
		ev->ts_ms = t.ms;
		ev->tz_min = t.tz_min;
		ev->tz_known = true;
	} else if (lf_get(c, LF_V_TIME_ISO, &v)) {
		if (!lf_whole(&v, timeparse_iso(v.p, v.n, 0, &t)))
			return false;
		ev->ts_ms = timeparse_ms(&t, c->lf->default_tz_min);
		ev->tz_min = t.has_tz ? t.tz_min : c->lf->default_tz_min;
		ev->tz_known = t.has_tz;
	}
	if (lf_get(c, LF_V_MSEC, &v)) {
		if (!lf_whole(&v, timeparse_epoch(v.p, v.n, &t)))
			return false;
		ev->ts_ms = t.ms;
	}
	return true;
}

/*
 * Set host (when the event has none yet), path and query from a request
 * split by core/reqline.c; the pieces are unescaped as they are copied.
 */
static void
lf_fill_split(struct lf_ctx *c, struct gw_event *ev, const struct reqline *r)
{
	if (r->host.n > 0 && ev->host == NULL)
		lf_copy(c, &ev->host, &ev->host_len, r->host.p, r->host.n);
	if (r->path.n > 0)
		lf_copy(c, &ev->path, &ev->path_len, r->path.p, r->path.n);
	if (r->query.n > 0)
		lf_copy(c, &ev->query, &ev->query_len, r->query.p,
		    r->query.n);
}

/*
 * Split $request ("GET /p?q HTTP/1.1", "GET /p" for HTTP/0.9) with
 * core/reqline.c. Garbage (a TLS hello sent to a plain port, "-") leaves
 * the fields NULL. True when its method is CONNECT.
 */
static bool
lf_fill_request(struct lf_ctx *c, struct gw_event *ev, const struct lf_val *v)
{
	struct reqline r;

	if (!reqline_split(v->p, v->n, &r))
		return false;
	lf_copy(c, &ev->method, &ev->method_len, r.method.p, r.method.n);
	if (r.proto.n > 0)
		lf_copy(c, &ev->protocol, &ev->protocol_len, r.proto.p,
		    r.proto.n);
	lf_fill_split(c, ev, &r);
	/* a method is tchars: no escape in it */
	return r.method.n == 7 && memcmp(r.method.p, "CONNECT", 7) == 0;
}

/* Request line fields from $request, else $request_uri / $uri + $args. */
static void
lf_fill_request_fields(struct lf_ctx *c, struct gw_event *ev)
{
	struct lf_val v;
	bool connect = false;

	if (lf_get(c, LF_V_REQUEST, &v) && !lf_is_dash(&v))
		connect = lf_fill_request(c, ev, &v);
	if (ev->path == NULL) {
		if (lf_get(c, LF_V_REQUEST_URI, &v) && !lf_is_dash(&v) &&
		    v.n > 0) {
			struct reqline r;

			reqline_target(v.p, v.n, connect, &r);
			lf_fill_split(c, ev, &r);
		} else if (lf_get(c, LF_V_URI, &v) && !lf_is_dash(&v) &&
		    v.n > 0) {
			lf_copy(c, &ev->path, &ev->path_len, v.p, v.n);
			if (lf_get(c, LF_V_ARGS, &v) && !lf_is_dash(&v) &&
			    v.n > 0)
				lf_copy(c, &ev->query, &ev->query_len, v.p, v.n);
		}
	}
	if (ev->method == NULL)
		lf_text(c, &ev->method, &ev->method_len, LF_V_METHOD);
	if (ev->protocol == NULL)
		lf_text(c, &ev->protocol, &ev->protocol_len, LF_V_PROTOCOL);
}

/* Iterator over one upstream list ("a, b : c"). */
struct lf_list {
	const char *p, *end;	/* p NULL when done */
	const char *lim;	/* bytes up to here may be read (the line's) */
	int group;
};

/* Start iterating v of line lim; a whole "-" or empty value has no items. */
static void
lf_list_init(struct lf_list *l, const struct lf_val *v, const char *lim)
{
	l->group = 0;
	l->lim = lim;
	l->end = v->p + v->n;
	l->p = (v->n == 0 || lf_is_dash(v)) ? NULL : v->p;
}

/*
 * The first ',' or ' ' in [q, end), else end; the bytes up to lim >= end
 * may be read. Sixteen at a time where SSE2 is: an item is most often
 * the whole value.
 */
static inline __attribute__((always_inline)) const char *
lf_list_sep(const char *q, const char *end, const char *lim)
{
#ifdef __SSE2__
	const __m128i comma = _mm_set1_epi8(',');
	const __m128i space = _mm_set1_epi8(' ');

	while (lim - q >= 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)q);
		int bits = _mm_movemask_epi8(_mm_or_si128(
		    _mm_cmpeq_epi8(v, comma), _mm_cmpeq_epi8(v, space)));

		if (bits != 0) {
			q += __builtin_ctz((unsigned)bits);
			return q < end ? q : end;
		}
		if (end - q <= 16)
			return end;
		q += 16;
	}
#endif
	while (q < end && *q != ',' && *q != ' ')
		q++;
	return q;
}

/* Next item and its group; false at the end. */
static bool
lf_list_next(struct lf_list *l, struct lf_val *item, int *group)
{
	const char *q;

	if (l->p == NULL)
		return false;
	q = lf_list_sep(l->p, l->end, l->lim);
	item->p = l->p;
	item->n = (size_t)(q - l->p);
	*group = l->group;
	if (l->end - q >= 2 && q[0] == ',' && q[1] == ' ') {
		l->p = q + 2;
	} else if (l->end - q >= 3 && q[0] == ' ' && q[1] == ':' &&
	    q[2] == ' ') {
		l->p = q + 3;
		l->group++;
	} else
		l->p = NULL;
	return true;
}

/* A new attempt at t: nothing known yet. */
static inline void
lf_attempt_init(struct gw_attempt *t)
{
	t->addr = NULL;
	t->addr_len = 0;
	t->status = t->connect_ms = -1;
	t->header_ms = t->response_ms = -1;
	t->cause = GW_CAUSE_OK;
}

/* What item of list says of attempt t. */
static inline __attribute__((always_inline)) void
lf_attempt_set(struct lf_ctx *c, struct gw_attempt *t, enum lf_var list,
    const struct lf_val *item)
{
	switch (list) {
	case LF_V_UP_ADDR:
		if (!lf_is_dash(item) && item->n > 0)
			lf_copy(c, &t->addr, &t->addr_len, item->p, item->n);
		break;
	case LF_V_UP_STATUS:
		t->status = (int)lf_int(item->p, item->n);
		break;
	case LF_V_UP_CONNECT:
		t->connect_ms = lf_ms_int(item->p, item->n);
		break;
	case LF_V_UP_HEADER:
		t->header_ms = lf_ms_int(item->p, item->n);
		break;
	default:
		t->response_ms = lf_ms_int(item->p, item->n);
		break;
	}
}

/*
 * Read upstream list `list` into the attempts c->at (c->n_at of them so
 * far), list a constant where it is inlined. A value of one item (no ','
 * or ' ' in it: one try, most requests) is that item, in group 0, with
 * no iterator; lf_list_next reads the others.
 */
static inline __attribute__((always_inline)) void
lf_fill_list(struct lf_ctx *c, enum lf_var list)
{
	struct lf_val v, item;
	struct lf_list l;
	int i, group;

	if (!lf_get(c, list, &v) || v.n == 0 || lf_is_dash(&v))
		return;
	if (lf_list_sep(v.p, v.p + v.n, c->line_end) == v.p + v.n) {
		if (c->n_at == 0) {
			lf_attempt_init(&c->at[0]);
			c->n_at = 1;
		}
		c->at[0].group = 0;
		lf_attempt_set(c, &c->at[0], list, &v);
		return;
	}
	lf_list_init(&l, &v, c->line_end);
	for (i = 0; i < GW_ATTEMPTS_MAX && lf_list_next(&l, &item, &group);
	    i++) {
		struct gw_attempt *t = &c->at[i];

		if (i == c->n_at) {
			lf_attempt_init(t);
			c->n_at++;
		}
		t->group = (int16_t)group;
		lf_attempt_set(c, t, list, &item);
	}
}

/*
 * Build the attempts (c->at, c->n_at) from the upstream lists. The lists
 * are aligned by position; a shorter list leaves -1/NULL; at most
 * GW_ATTEMPTS_MAX are kept. The group index comes from $upstream_addr,
 * else the next list that has the item: later lists override the group
 * of earlier ones. Each list is read once, straight into the attempts.
 */
static void
lf_fill_attempts(struct lf_ctx *c)
{
	c->n_at = 0;
	lf_fill_list(c, LF_V_UP_RESPONSE);
	lf_fill_list(c, LF_V_UP_HEADER);
	lf_fill_list(c, LF_V_UP_CONNECT);
	lf_fill_list(c, LF_V_UP_STATUS);
	lf_fill_list(c, LF_V_UP_ADDR);
}

/* Fill ev from a matched line; returns NULL or a reason to reject it. */
static const char *
lf_fill(struct lf_ctx *c, struct gw_event *ev)
{
	struct lf_val v;

	if (!lf_fill_time(c, ev))
		return "bad time";
	if (!lf_room(c))
		goto nomem;
	lf_client(c, ev, LF_V_REMOTE_ADDR);
	if (ev->client == NULL)
		lf_client(c, ev, LF_V_REALIP_ADDR);
	lf_text(c, &ev->host, &ev->host_len, LF_V_HOST);
	if (ev->host == NULL)
		lf_text(c, &ev->host, &ev->host_len, LF_V_HTTP_HOST);
	if (ev->host == NULL)
		lf_text(c, &ev->host, &ev->host_len, LF_V_SERVER_NAME);
	/* after the host variables: an absolute-form host only without them */
	lf_fill_request_fields(c, ev);
	lf_text(c, &ev->request_id, &ev->request_id_len, LF_V_REQUEST_ID);
	if (ev->request_id == NULL)
		lf_text(c, &ev->request_id, &ev->request_id_len,
		    LF_V_X_REQUEST_ID);
	if (lf_get(c, LF_V_STATUS, &v))
		ev->status = (int)lf_int(v.p, v.n);
	if (lf_get(c, LF_V_BODY_BYTES, &v))
		ev->bytes = lf_int(v.p, v.n);
	if (lf_get(c, LF_V_REQUEST_TIME, &v))
		ev->request_ms = lf_ms_int(v.p, v.n);
	lf_fill_attempts(c);
	/* the line read: its strings copied, then what is made of them */
	arena_shrink(c->a, c->room, c->room_n, (size_t)(c->w - c->room));
	if (c->oom)
		goto nomem;
	if (ev->client_form == GW_CLIENT_UNSET)
		event_fill_client(ev);	/* the copy is in the cache now */
	if (ev->query != NULL) {
		size_t n;

		if ((ev->shape = query_shape_len(ev->query,
		    event_strlen(ev->query, ev->query_len), c->a, &n)) == NULL)
			goto nomem;
		ev->shape_len = event_len(n);
	}
	if (c->n_at > 0) {
		size_t bytes = (size_t)c->n_at * sizeof(*ev->attempts);

		if ((ev->attempts = arena_alloc(c->a, bytes)) == NULL)
			goto nomem;
		memcpy(ev->attempts, c->at, bytes);
		ev->n_attempts = c->n_at;
	}
	access_cause_infer_logged(ev, c->lf->logged);
	return NULL;
nomem:
	c->oom = true;
	return "out of memory";
}

enum format_result
logformat_parse(const struct logformat *lf, const char *line, size_t len,
    struct arena *a, struct gw_event *ev, const char **reason)
{
	/* the match data is per-logformat scratch; see the file comment */
	struct logformat *scratch = (struct logformat *)lf;
	struct lf_ctx c;
	uint64_t line_no = ev->line_no, offset = ev->offset;
	const char *why;
	bool esc = true;
	int rc;

	memset(ev, 0, sizeof(*ev));
	ev->line_no = line_no;
	ev->offset = offset;
	ev->ts_ms = -1;
	ev->tz_min = lf->default_tz_min;
	ev->status = -1;
	ev->bytes = -1;
	ev->request_ms = -1;

	if (len > LF_LINE_MAX) {
		*reason = "line too long";
		return FORMAT_REJECT;
	}
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len == 0) {
		*reason = "empty line";
		return FORMAT_REJECT;
	}
	/* with escaping on no sub-pattern matches NUL: look on failure only */
	if (lf->esc == LF_ESC_NONE && memchr(line, '\0', len) != NULL) {
		*reason = "NUL byte in line";
		return FORMAT_REJECT;
	}
	if (lf->ops != NULL && !lf->fast_off &&
	    lf_fast_match(scratch, line, len, &esc)) {
		scratch->fast_count++;
		c.ov = lf->fast_ov;
		goto matched;
	}
	if (lf->jit)
		rc = pcre2_jit_match(lf->re, (PCRE2_SPTR)line, len, 0, 0,
		    scratch->md, lf->mctx);
	else
		rc = pcre2_match(lf->re, (PCRE2_SPTR)line, len, 0, 0,
		    scratch->md, lf->mctx);
	if (rc < 0) {
		switch (rc) {
		case PCRE2_ERROR_NOMATCH:
			*reason = memchr(line, '\0', len) != NULL ?
			    "NUL byte in line" :
			    "line does not match log_format";
			break;
		case PCRE2_ERROR_NOMEMORY:
			*reason = "out of memory";
			return FORMAT_NOMEM;
		case PCRE2_ERROR_MATCHLIMIT:
		case PCRE2_ERROR_DEPTHLIMIT:
		case PCRE2_ERROR_JIT_STACKLIMIT:
			*reason = "match limit exceeded";
			break;
		default:
			*reason = "match error";
			break;
		}
		return FORMAT_REJECT;
	}
	c.ov = pcre2_get_ovector_pointer(scratch->md);
matched:
	c.lf = lf;
	c.scratch = scratch;
	c.line = line;
	c.line_end = line + len;
	c.a = a;
	/* one look for escapes, not one a field: the hand matcher's
	 * (it passes every '\\' of a value), else the line's */
	c.plain = lf->esc == LF_ESC_NONE || !esc ||
	    memchr(line, '\\', len) == NULL;
	c.oom = false;
	c.room = c.room_end = c.w = NULL;
	c.n_at = 0;
	why = lf_fill(&c, ev);
	if (c.oom) {
		*reason = "out of memory";
		return FORMAT_NOMEM;
	}
	if (why != NULL) {
		*reason = why;
		return FORMAT_REJECT;
	}
	return FORMAT_EVENT;
}
