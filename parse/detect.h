/*
 * detect.h - what kind of log a file is, from a sample of its first lines.
 *
 * An nginx error log is recognised by the fixed prefix of its lines
 * (nginx_error_match); an access log by parsing the lines with each
 * built-in log_format of logformat.h ("upstream", then "combined").
 */
#ifndef GW_DETECT_H
#define GW_DETECT_H

#include <stddef.h>

enum detect_kind {
	DETECT_NOMEM = -1,	/* out of memory: nothing was decided */
	DETECT_UNKNOWN,
	DETECT_NGINX_ERROR,
	DETECT_NGINX_ACCESS,
	/* other gateways' logs go here */
	DETECT_KIND_COUNT
};

/*
 * Decide from the n sample lines lines[i] (lens[i] bytes each, no newline,
 * not NUL-terminated; a trailing CR is ignored). A kind wins when more than
 * half of the non-empty lines are of it; the error log is tried first. For
 * an access log *format_name (when format_name is not NULL) is set to the
 * built-in format that parses the most lines, "upstream" on a tie with
 * "combined"; otherwise it is set to NULL. DETECT_NOMEM when out of
 * memory (never taken for "no match").
 */
enum detect_kind detect_lines(const char *const *lines, const size_t *lens,
    size_t n, const char **format_name);

/* "nginx_access", "nginx_error" or "unknown"; never NULL. */
const char *detect_kind_name(enum detect_kind k);

#endif
