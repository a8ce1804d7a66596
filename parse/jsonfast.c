/*
 * jsonfast.c - one-pass reading of JSON log lines; see jsonfast.h.
 */
#include <stdlib.h>
#include <string.h>

#include "parse/jsonfast.h"

/* As jsonlog.c: the largest magnitude jsonlog_int returns. */
#define JF_INT_MAX	INT64_C(999999999999999999)

/*
 * A number member as json-c's get_double reads it (strtod). Digits that
 * fit 2^53 over a power of ten up to 1e22 are both exact doubles, and
 * IEEE division rounds their quotient correctly, as strtod rounds the
 * text: the same double without strtod's cost (Clinger's fast path).
 */
double
jf_double(const struct jf_val *v)
{
	static const double pow10[] = {
		1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
		1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21,
		1e22,
	};
	const char *p = v->s.p, *e = v->s.p + v->s.n;
	bool neg = p < e && *p == '-';
	uint64_t m = 0;
	size_t digits = 0, frac = 0;
	bool dot = false;
	char buf[64];

	for (p += neg; p < e; p++) {
		if (*p == '.') {
			dot = true;
			continue;
		}
		m = m * 10 + (uint64_t)(*p - '0');
		frac += dot;
		if (m != 0)	/* significant digits: m < 10^digits */
			digits++;
	}
	if (digits <= 15 && frac <= 22) {
		double d = (double)m / pow10[frac];
		return neg ? -d : d;
	}
	/* LC_NUMERIC is "C" in every command (cli/main.c), as json-c's */
	if (v->s.n >= sizeof(buf))
		return 0;
	memcpy(buf, v->s.p, v->s.n);
	buf[v->s.n] = '\0';
	return strtod(buf, NULL);
}

/* An object or array at c->p, checked and skipped. */
static bool
jf_skip_nested(struct jf_scan *c, int depth)
{
	const char *e = c->end;
	char close = *c->p == '{' ? '}' : ']';
	bool obj = close == '}';

	if (depth > JF_DEPTH)
		return false;
	c->p++;
	jf_ws(c);
	if (c->p < e && *c->p == close) {
		c->p++;
		return true;
	}
	for (;;) {
		struct jf_val v;

		if (obj) {
			struct logspan key;

			if (!jf_string(c, &key))
				return false;
			jf_ws(c);
			if (c->p >= e || *c->p != ':')
				return false;
			c->p++;
			jf_ws(c);
		}
		if (!jf_skip(c, depth, &v))
			return false;
		jf_ws(c);
		if (c->p < e && *c->p == ',') {
			c->p++;
			jf_ws(c);
			continue;
		}
		if (c->p < e && *c->p == close) {
			c->p++;
			return true;
		}
		return false;
	}
}

/* See jsonfast.h. */
bool
jf_skip(struct jf_scan *c, int depth, struct jf_val *v)
{
	const char *e = c->end, *start = c->p;

	v->type = JF_OTHER;
	v->s.p = c->p;
	v->s.n = 0;
	if (c->p >= e)
		return false;
	switch (*c->p) {
	case '"':
		v->type = JF_STR;
		return jf_string(c, &v->s);
	case '{':
	case '[':
		if (*c->p == '{')
			v->type = JF_OBJ;
		if (!jf_skip_nested(c, depth + 1))
			return false;
		v->s.n = (size_t)(c->p - start);
		return true;
	case 't':
		if (e - c->p >= 4 && memcmp(c->p, "true", 4) == 0) {
			c->p += 4;
			return true;
		}
		return false;
	case 'f':
		if (e - c->p >= 5 && memcmp(c->p, "false", 5) == 0) {
			c->p += 5;
			return true;
		}
		return false;
	case 'n':
		if (e - c->p >= 4 && memcmp(c->p, "null", 4) == 0) {
			c->p += 4;
			v->type = JF_ABSENT;
			v->s.p = NULL;
			return true;
		}
		return false;
	default:
		return jf_number(c, v);
	}
}

/* The key table's home slot of a name. */
static inline size_t
jf_hash(const char *p, size_t n)
{
	return (n * 7 + (unsigned char)p[0] * 31 +
	    (unsigned char)p[n - 1] * 3 + (n > 2 ? (unsigned char)p[n / 2] :
	    0)) % JF_SLOTS;
}

/* See jsonfast.h. */
void
jf_keys_init(struct jf_keys *k, const char *const *names, size_t n)
{
	memset(k, 0, sizeof(*k));
	k->name = names;
	k->n = n;
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(names[i]), h = jf_hash(names[i], len);

		k->len[i] = (uint8_t)len;
		while (k->slot[h] != 0)
			h = (h + 1) % JF_SLOTS;
		k->slot[h] = (uint8_t)(i + 1);
	}
}

/* The index of key in k, or -1. */
static inline int
jf_lookup(const struct jf_keys *k, struct logspan key)
{
	size_t h;

	if (key.n == 0 || key.n > 255)
		return -1;
	for (h = jf_hash(key.p, key.n); k->slot[h] != 0;
	    h = (h + 1) % JF_SLOTS) {
		int i = k->slot[h] - 1;

		if (k->len[i] == key.n && memcmp(k->name[i], key.p, key.n) ==
		    0)
			return i;
	}
	return -1;
}

/* See jsonfast.h. */
bool
jf_flat(const struct jf_keys *k, const char *line, size_t len,
    struct jf_val *vals)
{
	struct jf_scan c;
	const char *e;

	while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == ' '))
		len--;
	for (size_t i = 0; i < k->n; i++) {
		vals[i].type = JF_ABSENT;
		vals[i].s.p = NULL;
		vals[i].s.n = 0;
	}
	c.p = line;
	c.end = e = line + len;
	if (len == 0 || *c.p != '{')
		return false;
	c.p++;
	jf_ws(&c);
	if (c.p < e && *c.p == '}')
		return c.p + 1 == e;
	for (;;) {
		struct logspan key;
		struct jf_val v;
		int i;

		if (!jf_string(&c, &key))
			return false;
		jf_ws(&c);
		if (c.p >= e || *c.p != ':')
			return false;
		c.p++;
		jf_ws(&c);
		/* most members of a log line are strings: no call for them */
		if (c.p < e && *c.p == '"') {
			v.type = JF_STR;
			if (!jf_string(&c, &v.s))
				return false;
		} else if (!jf_skip(&c, 1, &v))
			return false;
		if ((i = jf_lookup(k, key)) >= 0)
			vals[i] = v;
		jf_ws(&c);
		if (c.p < e && *c.p == ',') {
			c.p++;
			jf_ws(&c);
			continue;
		}
		if (c.p < e && *c.p == '}')
			return c.p + 1 == e;
		return false;
	}
}

/* See jsonfast.h. */
bool
jf_get_int(const struct jf_val *v, int64_t *out)
{
	double d;

	switch (v->type) {
	case JF_INT:
		*out = jf_int(v);	/* 18 digits: within JF_INT_MAX */
		return true;
	case JF_DBL:
		d = jf_double(v);
		if (!(d < (double)JF_INT_MAX && d > -(double)JF_INT_MAX))
			return false;
		*out = (int64_t)d;
		return true;
	case JF_STR:
		return logspan_int(v->s, out);
	default:
		return false;
	}
}
