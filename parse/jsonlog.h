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

#endif
