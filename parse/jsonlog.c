/*
 * jsonlog.c - JSON log lines through json-c; see jsonlog.h.
 *
 * json_tokener_parse_ex() is handed the line with its length, so json-c
 * never reads past it; the tokener is reset before each line so a broken
 * line cannot leave state behind for the next one. Whatever follows the
 * object must be blanks, or the line is not taken as JSON.
 */
#include <stdlib.h>
#include <string.h>

#include "parse/jsonlog.h"

/*
 * Largest magnitude jsonlog_int returns: 18 digits, as logspan_int, so a
 * value from a hostile line can be added to a time or a length without
 * overflowing int64_t, and a double converts without undefined behaviour.
 */
#define JSONLOG_INT_MAX	INT64_C(999999999999999999)

/* See jsonlog.h. */
struct json_object *
jsonlog_parse(struct json_tokener *tok, const char *line, size_t len)
{
	struct json_object *o;
	size_t used;

	while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == ' '))
		len--;
	if (len == 0 || line[0] != '{' || len > (size_t)INT32_MAX)
		return NULL;
	json_tokener_reset(tok);
	o = json_tokener_parse_ex(tok, line, (int)len);
	if (o == NULL)
		return NULL;
	used = json_tokener_get_parse_end(tok);
	if (json_tokener_get_error(tok) != json_tokener_success ||
	    used != len || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* See jsonlog.h. */
struct json_object *
jsonlog_get(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	if (o == NULL || !json_object_is_type(o, json_type_object))
		return NULL;
	if (!json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

/* See jsonlog.h. */
bool
jsonlog_str(struct json_object *o, const char *key, struct logspan *out)
{
	struct json_object *v = jsonlog_get(o, key);

	if (v == NULL || json_object_is_type(v, json_type_null) ||
	    json_object_is_type(v, json_type_object) ||
	    json_object_is_type(v, json_type_array))
		return false;
	out->p = json_object_get_string(v);
	if (json_object_is_type(v, json_type_string))
		out->n = (size_t)json_object_get_string_len(v);
	else
		out->n = out->p != NULL ? strlen(out->p) : 0;
	return out->p != NULL;
}

/* See jsonlog.h. */
bool
jsonlog_int(struct json_object *o, const char *key, int64_t *out)
{
	struct json_object *v = jsonlog_get(o, key);
	struct logspan s;

	if (v == NULL)
		return false;
	if (json_object_is_type(v, json_type_int)) {
		int64_t x = json_object_get_int64(v);

		if (x > JSONLOG_INT_MAX || x < -JSONLOG_INT_MAX)
			return false;
		*out = x;
		return true;
	}
	if (json_object_is_type(v, json_type_double)) {
		double d = json_object_get_double(v);

		/* NaN fails both comparisons; the bound rounds up to 1e18 */
		if (!(d < (double)JSONLOG_INT_MAX &&
		    d > -(double)JSONLOG_INT_MAX))
			return false;
		*out = (int64_t)d;
		return true;
	}
	if (!json_object_is_type(v, json_type_string))
		return false;
	s.p = json_object_get_string(v);
	s.n = (size_t)json_object_get_string_len(v);
	return logspan_int(s, out);
}

/* See jsonlog.h. */
bool
jsonlog_double(struct json_object *o, const char *key, double *out)
{
	struct json_object *v = jsonlog_get(o, key);
	char buf[64], *endp;
	int n;

	if (v == NULL)
		return false;
	if (json_object_is_type(v, json_type_int) ||
	    json_object_is_type(v, json_type_double)) {
		*out = json_object_get_double(v);
		return true;
	}
	if (!json_object_is_type(v, json_type_string))
		return false;
	n = json_object_get_string_len(v);
	if (n <= 0 || n >= (int)sizeof(buf))
		return false;
	memcpy(buf, json_object_get_string(v), (size_t)n);
	buf[n] = '\0';
	*out = strtod(buf, &endp);
	return *endp == '\0';
}

/* See jsonlog.h. */
bool
jsonlog_src_str(const struct jsonlog_src *s, size_t i, struct logspan *out)
{
	if (s->o == NULL)
		return jf_str_ok(&s->vals[i], out);
	if (!jsonlog_str(s->o, s->k->name[i], out)) {
		out->p = NULL;
		out->n = 0;
	}
	return true;
}

/* See jsonlog.h. */
bool
jsonlog_src_int(const struct jsonlog_src *s, size_t i, int64_t *out)
{
	if (s->o == NULL)
		return jf_get_int(&s->vals[i], out);
	return jsonlog_int(s->o, s->k->name[i], out);
}

/* Do the n bytes before end spell lit (lower case), any case? */
static bool
jsonlog_ends_ci(const char *start, const char *end, const char *lit,
    size_t n)
{
	if ((size_t)(end - start) < n)
		return false;
	end -= n;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)end[i];

		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c + ('a' - 'A'));
		if (c != (unsigned char)lit[i])
			return false;
	}
	return true;
}

/* See jsonlog.h. */
bool
jsonlog_line_credentials(void *state, const char *line, size_t len)
{
	const char *p = line, *end = line + len, *q;

	(void)state;
	while (p < end && (q = memchr(p, '"', (size_t)(end - p))) != NULL) {
		const char *e = q > line && q[-1] == '\\' ? q - 1 : q;

		if (jsonlog_ends_ci(line, e, "authorization", 13) ||
		    jsonlog_ends_ci(line, e, "cookie", 6))
			return true;
		p = q + 1;
	}
	return false;
}
