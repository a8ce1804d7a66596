/*
 * reqline.h - the one splitter of HTTP request lines and request targets,
 * for the access logs (nginx $request, HAProxy %r, CLF, ALB), the nginx
 * error log's request: field and the wire.
 *
 * One rule, RFC 9112's (section 3): "METHOD SP request-target SP
 * HTTP-version"; the method is a token (RFC 9110 tchar, at most
 * REQLINE_METHOD_MAX bytes, case kept); the version is the last word when
 * it starts with "HTTP/", else there is none (HTTP/0.9 "GET /path"). The
 * target is whatever lies between, spaces included (old nginx wrote
 * request lines with raw spaces as they came). Its four forms:
 *
 *   origin-form     "/p?q"              path "/p", query "q"
 *   absolute-form   "http://h:8080/p?q" host "h" (authority "h:8080"),
 *                                       path "/p" ("/" when empty), query
 *   authority-form  "h:443" (CONNECT)   host "h", authority "h:443", no path
 *   asterisk-form   "*" (OPTIONS)       path "*"
 *
 * Any other target (a proxy's garbage, "foo") is kept as the path. An
 * empty query ("/p?") is no query. Spans point into the input (but for
 * the path "/" of an absolute-form target without one, a constant);
 * nothing is copied, unescaped or allocated.
 */
#ifndef GW_REQLINE_H
#define GW_REQLINE_H

#include <stdbool.h>
#include <stddef.h>

#define REQLINE_METHOD_MAX	32

enum reqline_form {
	REQLINE_ORIGIN,
	REQLINE_ABSOLUTE,
	REQLINE_AUTHORITY,
	REQLINE_ASTERISK,
	REQLINE_OTHER,
};

/* Bytes of the input; n == 0 when absent. */
struct reqline_span {
	const char *p;
	size_t n;
};

struct reqline {
	struct reqline_span method;
	struct reqline_span authority;	/* absolute/authority form:
					 * "host[:port]", userinfo dropped */
	struct reqline_span host;	/* the same without port and brackets */
	struct reqline_span path;	/* without the query */
	struct reqline_span query;	/* without the '?'; n == 0: none */
	struct reqline_span proto;	/* "HTTP/1.1"; n == 0: HTTP/0.9 */
	enum reqline_form form;
};

/*
 * Split a request line (n bytes at p, no NUL needed). False, *out zeroed,
 * when it is none: no method token, no target ("-", a TLS hello sent to a
 * plain port, HAProxy's "<BADREQ>").
 */
bool reqline_split(const char *p, size_t n, struct reqline *out);

/*
 * Split a request target alone (n bytes at p) into out's host, authority,
 * path and query; connect tells that the method was CONNECT (the
 * authority-form). out->method and out->proto are left as they are.
 */
void reqline_target(const char *p, size_t n, bool connect,
    struct reqline *out);

#endif
