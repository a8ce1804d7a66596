/*
 * logformat.h - nginx log_format text compiled to one PCRE2 pattern.
 *
 * The text is what follows the format name in nginx.conf: optional
 * escape=default|json|none, then one or more quoted (or bare) strings with
 * $variables / ${variables}. Each variable becomes a named capture whose
 * sub-pattern fits what nginx writes for it; literal text is matched exactly.
 * Unknown variables are captured as opaque text. The registry's formats
 * that read nginx's access log with it are parse/nginx_access.c.
 */
#ifndef GW_LOGFORMAT_H
#define GW_LOGFORMAT_H

#include <stdbool.h>
#include <stddef.h>

#include "core/arena.h"
#include "core/event.h"
#include "parse/format.h"

struct logformat;

/*
 * The text of a built-in format, or NULL: "combined" (nginx's), "main"
 * (combined plus "$http_x_forwarded_for", as in nginx's documentation),
 * "ingress-nginx" (Kubernetes ingress-nginx's default "upstreaminfo"),
 * "apisix" (Apache APISIX's default) and "upstream" (README.md).
 */
const char *logformat_builtin(const char *name);

/*
 * Compile format text (see file comment). default_tz_min is the offset used
 * for times that carry none ($msec, $time_iso8601 without offset). Returns 0
 * -1 with err filled (naming the position in the text) when the text does
 * not compile, or LOGFORMAT_NOMEM with err "out of memory". Free with
 * logformat_free().
 */
#define LOGFORMAT_NOMEM (-2)
int logformat_compile(const char *text, int default_tz_min,
    struct logformat **out, char *err, size_t errlen);
void logformat_free(struct logformat *lf);

/*
 * True when the format logs cookies or credentials ($http_cookie,
 * $cookie_*, $http_authorization, ...): they are never stored, so a line
 * that does not parse must not be kept whole either.
 */
bool logformat_logs_secrets(const struct logformat *lf);

/* True when the format logs $upstream_addr or $upstream_status. */
bool logformat_has_upstream(const struct logformat *lf);

/*
 * The format text for a --log-format argument (malloc'd, caller frees;
 * NULL on OOM). Text that starts as nginx.conf writes it (a quote, or
 * escape=) is taken as is; otherwise it is the content of one string, as
 * users paste it ($remote_addr - "$request" ...), so its spaces and quotes
 * are literal: it is quoted here so the compiler reads it that way. The
 * whole directive as it stands in nginx.conf ("log_format main '...'
 * '...';") is accepted too: its name and the closing ';' are dropped.
 */
char *logformat_text_from_arg(const char *arg);

/*
 * Parse one line (without its newline; len bytes, not NUL-terminated) into
 * ev: every field found, upstream attempts, query shape and causes inferred
 * from the access log alone. Strings are allocated from a. Returns
 * FORMAT_EVENT; FORMAT_REJECT with *reason set to a static text when the
 * line does not match; FORMAT_NOMEM when a ran out.
 * ev->line_no and ev->offset are kept; every other field is overwritten.
 * lf holds the match scratch space: one logformat serves one thread at a
 * time (compile one per thread to parse in parallel).
 */
enum format_result logformat_parse(const struct logformat *lf, const char *line, size_t len,
    struct arena *a, struct gw_event *ev, const char **reason);

/*
 * True when lines of the format are matched by hand before PCRE2 (see
 * "Matching without PCRE2" in logformat.c); logformat_use_fast(lf, false)
 * makes every line go to PCRE2, so tests compare the two.
 */
bool logformat_has_fast(const struct logformat *lf);
void logformat_use_fast(struct logformat *lf, bool on);

/*
 * The hand matcher's scanner of text runs: "avx2", "sse2" or "bytes"
 * (compile picks the fastest the CPU has); false when this build or CPU
 * has none by that name. For tests, which compare them.
 */
bool logformat_use_scanner(struct logformat *lf, const char *name);

/* Lines the hand matcher matched since compile (tests). */
size_t logformat_fast_count(const struct logformat *lf);

/* The PCRE2 pattern the format compiled to (diagnostics, tests). */
const char *logformat_pattern(const struct logformat *lf);

#endif
