/*
 * reqline.c - request lines and targets; see reqline.h.
 *
 * A request line is scanned once from each end: the method from the
 * front, the version from the back, the target is what is left. Every
 * read is bounded by the length given.
 */
#include <string.h>

#include "core/reqline.h"

/* RFC 9110 tchar: the bytes of a token (a method; a scheme is stricter). */
static const unsigned char rl_tchar[256] = {
	['!'] = 1, ['#'] = 1, ['$'] = 1, ['%'] = 1, ['&'] = 1, ['\''] = 1,
	['*'] = 1, ['+'] = 1, ['-'] = 1, ['.'] = 1, ['^'] = 1, ['_'] = 1,
	['`'] = 1, ['|'] = 1, ['~'] = 1,
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

/* RFC 3986 scheme: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ). */
static bool
rl_scheme(const char *p, size_t n)
{
	if (n == 0 || !((p[0] >= 'a' && p[0] <= 'z') ||
	    (p[0] >= 'A' && p[0] <= 'Z')))
		return false;
	for (size_t i = 1; i < n; i++) {
		char c = p[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '+' || c == '-' ||
		    c == '.'))
			return false;
	}
	return true;
}

/* Authority "user@host:port" at p: out->authority (no userinfo) and
 * out->host (no port, no brackets). */
static void
rl_authority(const char *p, size_t n, struct reqline *out)
{
	const char *at = n > 0 ? memrchr(p, '@', n) : NULL;
	const char *h, *end;

	if (at != NULL) {
		n -= (size_t)(at + 1 - p);
		p = at + 1;
	}
	out->authority.p = p;
	out->authority.n = n;
	end = p + n;
	if (n > 0 && p[0] == '[') {
		const char *close = memchr(p, ']', n);

		h = p + 1;
		end = close != NULL ? close : p + n;
	} else {
		const char *colon = memchr(p, ':', n);

		h = p;
		if (colon != NULL)
			end = colon;
	}
	out->host.p = h;
	out->host.n = (size_t)(end - h);
}

/* Path and query of an origin-form-like target p (n bytes). */
static void
rl_path_query(const char *p, size_t n, struct reqline *out)
{
	const char *q = n > 0 ? memchr(p, '?', n) : NULL;

	out->path.p = p;
	out->path.n = q != NULL ? (size_t)(q - p) : n;
	out->query.p = NULL;
	out->query.n = 0;
	if (q != NULL && (size_t)(q + 1 - p) < n) {
		out->query.p = q + 1;
		out->query.n = n - (size_t)(q + 1 - p);
	}
}

/* See reqline.h. */
void
reqline_target(const char *p, size_t n, bool connect, struct reqline *out)
{
	const char *sep;

	out->authority = out->host = out->path = out->query =
	    (struct reqline_span){ NULL, 0 };
	if (n == 0) {
		out->form = REQLINE_OTHER;
		return;
	}
	if (p[0] == '/') {
		out->form = REQLINE_ORIGIN;
		rl_path_query(p, n, out);
		return;
	}
	if (n == 1 && p[0] == '*') {
		out->form = REQLINE_ASTERISK;
		out->path.p = p;
		out->path.n = 1;
		return;
	}
	sep = memmem(p, n, "://", 3);
	if (sep != NULL && rl_scheme(p, (size_t)(sep - p))) {
		const char *a = sep + 3, *end = p + n, *e = a;

		while (e < end && *e != '/' && *e != '?' && *e != '#')
			e++;
		out->form = REQLINE_ABSOLUTE;
		rl_authority(a, (size_t)(e - a), out);
		rl_path_query(e, (size_t)(end - e), out);
		if (out->path.n == 0) {
			out->path.p = "/";
			out->path.n = 1;
		}
		return;
	}
	if (connect) {
		out->form = REQLINE_AUTHORITY;
		rl_authority(p, n, out);
		return;
	}
	out->form = REQLINE_OTHER;
	rl_path_query(p, n, out);
}

/* See reqline.h. */
bool
reqline_split(const char *p, size_t n, struct reqline *out)
{
	size_t m = 0, i, end = n, last;

	out->method = out->proto = (struct reqline_span){ NULL, 0 };
	out->authority = out->host = out->path = out->query = out->method;
	out->form = REQLINE_OTHER;
	while (m < n && m <= REQLINE_METHOD_MAX &&
	    rl_tchar[(unsigned char)p[m]])
		m++;
	if (m == 0 || m > REQLINE_METHOD_MAX || m >= n || p[m] != ' ')
		return false;
	for (i = m; i < n && p[i] == ' '; i++)
		;
	while (end > i && p[end - 1] == ' ')
		end--;
	if (end == i)
		return false;
	/* the version: the last word, when it is "HTTP/..."; most often
	 * " HTTP/x.y", seen without walking back over it */
	if (end - i > 9 && p[end - 9] == ' ' &&
	    memcmp(p + end - 8, "HTTP/", 5) == 0 && p[end - 3] != ' ' &&
	    p[end - 2] != ' ' && p[end - 1] != ' ')
		last = end - 8;
	else
		for (last = end; last > i && p[last - 1] != ' '; last--)
			;
	if (last > i && end - last > 5 && memcmp(p + last, "HTTP/", 5) == 0) {
		out->proto.p = p + last;
		out->proto.n = end - last;
		for (end = last; end > i && p[end - 1] == ' '; end--)
			;
	}
	out->method.p = p;
	out->method.n = m;
	reqline_target(p + i, end - i, m == 7 && memcmp(p, "CONNECT", 7) == 0,
	    out);
	return true;
}
