/*
 * jsonlog.h - one JSON log line to a json-c object, and typed field reads.
 *
 * The JSON formats (Envoy JSON, Caddy, Traefik JSON) parse each line with
 * json-c's tokener, given the line's length (lines are not NUL-terminated),
 * reusing one tokener per input. Reads return spans into json-c's own
 * strings, valid until the object is put; the formats copy what they keep
 * into the batch arena.
 */
#ifndef GW_JSONLOG_H
#define GW_JSONLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "parse/jsonfast.h"
#include "parse/logscan.h"

/*
 * Parse exactly one JSON object from line (len bytes, trailing blanks and a
 * CR allowed). Returns the object (free with json_object_put) or NULL when
 * the line is not one complete object.
 */
struct json_object *jsonlog_parse(struct json_tokener *tok, const char *line,
    size_t len);

/* The member key of o, or NULL (also when o is not an object). */
struct json_object *jsonlog_get(struct json_object *o, const char *key);

/* A string member (also a number, as its text); false when absent/null. */
bool jsonlog_str(struct json_object *o, const char *key, struct logspan *out);

/*
 * An integer member, or a string holding one; false otherwise, and also
 * when its magnitude passes 18 digits (as logspan_int), so callers may add
 * it to a time or a count without overflow.
 */
bool jsonlog_int(struct json_object *o, const char *key, int64_t *out);

/* A number member (int or double), or a string holding one. */
bool jsonlog_double(struct json_object *o, const char *key, double *out);

/*
 * Does a JSON line hold a member (or a string) ending in "authorization"
 * or "cookie", any case ("request_Authorization", "Cookie",
 * "downstream_Set-Cookie")? Gateways log them when told to log headers;
 * such a line, rejected, is not stored whole (format.h line_withholds).
 * An escaped quote counts too (JSON inside a JSON string).
 * Conservative: a value ending so ("no cookie") counts.
 */
bool jsonlog_line_credentials(void *state, const char *line, size_t len);

/*
 * A line's members by index into a key table: read through json-c (o set)
 * or from a one-pass read (o NULL, vals from jf_flat). A format reads
 * its members through these once, for both paths, so the two cannot
 * differ in what they do with a value.
 */
struct jsonlog_src {
	struct json_object *o;
	const struct jf_keys *k;
	const struct jf_val *vals;
};

/*
 * Member i as jsonlog_str reads it (n = 0 when absent). False only from
 * a one-pass read that cannot tell what json-c would give (a number or a
 * boolean where a string is read): the line is then json-c's.
 */
bool jsonlog_src_str(const struct jsonlog_src *s, size_t i,
    struct logspan *out);

/* Member i as jsonlog_int reads it, on both paths. */
bool jsonlog_src_int(const struct jsonlog_src *s, size_t i, int64_t *out);

#endif
