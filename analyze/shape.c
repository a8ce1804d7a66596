/*
 * shape.c - parameter shapes that fail more than their siblings; see
 * shape.h for the test.
 *
 * Counts arrive per (method, path, upstream, shape) - from the store's one
 * aggregate query, or from a test - and are merged per route in a hash
 * table (core/hashtab.h, keyed: paths come from logs) keyed by the four
 * strings (path normalised first), so memory grows
 * with the number of distinct route/upstream/shape tuples, not requests.
 * The test then sorts the entries by group and walks each group once.
 *
 * Why Wilson bounds: they stay inside [0, 1] and behave at rates of 0 and
 * 1 and small n, which is exactly where a shape that always fails sits;
 * requiring the two intervals to be disjoint at 99% is stricter than a
 * one-sided test at 1%, which keeps the many comparisons of a large
 * database from flagging noise.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "analyze/route.h"
#include "analyze/shape.h"
#include "core/hashtab.h"

/* Counts of one (method, route, upstream, shape). */
struct shape_entry {
	char *key;		/* method \x1f route \x1f upstream \x1f shape */
	size_t group_len;	/* bytes of key up to the shape's separator */
	int64_t requests, failed, gateway_5xx;
	bool flagged;
};

struct shape_set {
	struct shape_entry *v;
	size_t n, cap;
	struct hashtab index;	/* key -> index into v, of all n (or none) */
};

#define SHAPE_SEP '\x1f'

/* See shape.h. */
struct shape_config
shape_config_default(void)
{
	return (struct shape_config){.min_requests = 20, .z = 2.576};
}

/* See shape.h. */
const char *
shape_diff_kind_name(enum shape_diff_kind k)
{
	switch (k) {
	case SHAPE_DIFF_KEY_EXTRA: return "key_extra";
	case SHAPE_DIFF_KEY_MISSING: return "key_missing";
	case SHAPE_DIFF_KEY_SPELLING: return "key_spelling";
	case SHAPE_DIFF_VALUE_KIND: return "value_kind";
	}
	return "?";
}

/* See shape.h. */
double
shape_wilson_low(int64_t k, int64_t n, double z)
{
	double p, z2, c, h;

	if (n <= 0)
		return 0;
	p = (double)k / (double)n;
	z2 = z * z / (double)n;
	c = p + z2 / 2;
	h = z * sqrt(p * (1 - p) / (double)n + z2 / (4 * (double)n));
	return fmax(0, (c - h) / (1 + z2));
}

/* See shape.h. */
double
shape_wilson_high(int64_t k, int64_t n, double z)
{
	double p, z2, c, h;

	if (n <= 0)
		return 1;
	p = (double)k / (double)n;
	z2 = z * z / (double)n;
	c = p + z2 / 2;
	h = z * sqrt(p * (1 - p) / (double)n + z2 / (4 * (double)n));
	return fmin(1, (c + h) / (1 + z2));
}

/* --- shape text -------------------------------------------------------- */

/* One "key=<kind>" of a shape. */
struct shape_param {
	const char *key;
	size_t key_len;
	const char *value;	/* "<kind>" */
	size_t value_len;
	bool matched;
};

#define SHAPE_PARAMS_MAX 64

/*
 * Split shape s into params (at most SHAPE_PARAMS_MAX; the "..." that
 * query_shape() adds after its last kept key is skipped). Returns count.
 */
static size_t
shape_parse(const char *s, struct shape_param *p)
{
	size_t n = 0;

	while (s != NULL && *s != '\0' && n < SHAPE_PARAMS_MAX) {
		size_t len = strcspn(s, "&");
		const char *eq = NULL;

		/* The value kind follows the last "=<" of the item. */
		for (size_t i = 0; i + 1 < len; i++)
			if (s[i] == '=' && s[i + 1] == '<')
				eq = s + i;
		if (eq != NULL) {
			p[n] = (struct shape_param){s, (size_t)(eq - s), eq + 1,
			    len - (size_t)(eq - s) - 1, false};
			n++;
		} else if (!(len == 3 && memcmp(s, "...", 3) == 0)) {
			p[n] = (struct shape_param){s, len, "", 0, false};
			n++;
		}
		s += len;
		if (*s == '&')
			s++;
	}
	return n;
}

/* Keys equal once case and '_'/'-' are ignored. */
static bool
shape_key_similar(const struct shape_param *a, const struct shape_param *b)
{
	size_t i = 0, j = 0;

	for (;;) {
		while (i < a->key_len && (a->key[i] == '_' || a->key[i] == '-'))
			i++;
		while (j < b->key_len && (b->key[j] == '_' || b->key[j] == '-'))
			j++;
		if (i == a->key_len || j == b->key_len)
			return i == a->key_len && j == b->key_len;
		if (tolower((unsigned char)a->key[i]) !=
		    tolower((unsigned char)b->key[j]))
			return false;
		i++;
		j++;
	}
}

/* Same key bytes. */
static bool
shape_key_equal(const struct shape_param *a, const struct shape_param *b)
{
	return a->key_len == b->key_len &&
	    memcmp(a->key, b->key, a->key_len) == 0;
}

/* Same value kind. */
static bool
shape_value_equal(const struct shape_param *a, const struct shape_param *b)
{
	return a->value_len == b->value_len &&
	    memcmp(a->value, b->value, a->value_len) == 0;
}

/* Append a diff to *d (n entries, cap *cap); 0 or -1. */
static int
shape_diff_push(struct shape_diff **d, size_t *n, size_t *cap,
    enum shape_diff_kind kind, const struct shape_param *a,
    const struct shape_param *b)
{
	struct shape_diff *x;

	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 4;
		struct shape_diff *nd = gw_realloc(*d, nc * sizeof(*nd));

		if (nd == NULL)
			return -1;
		*d = nd;
		*cap = nc;
	}
	x = &(*d)[*n];
	memset(x, 0, sizeof(*x));
	x->kind = kind;
	if (a != NULL && ((x->key = gw_strndup(a->key, a->key_len)) == NULL ||
	    (x->value = gw_strndup(a->value, a->value_len)) == NULL))
		goto oom;
	if (b != NULL && ((x->other_key = gw_strndup(b->key, b->key_len)) ==
	    NULL || (x->other_value = gw_strndup(b->value, b->value_len)) == NULL))
		goto oom;
	if (kind == SHAPE_DIFF_KEY_SPELLING) {
		size_t i = 0, j = 0;
		bool sep_a = memchr(a->key, '_', a->key_len) != NULL ||
		    memchr(a->key, '-', a->key_len) != NULL;
		bool sep_b = memchr(b->key, '_', b->key_len) != NULL ||
		    memchr(b->key, '-', b->key_len) != NULL;

		/* Case differs when the letters, separators dropped, do. */
		for (;;) {
			while (i < a->key_len && strchr("_-", a->key[i]) &&
			    a->key[i] != '\0')
				i++;
			while (j < b->key_len && strchr("_-", b->key[j]) &&
			    b->key[j] != '\0')
				j++;
			if (i == a->key_len || j == b->key_len)
				break;
			if (a->key[i] != b->key[j])
				x->case_differs = true;
			i++;
			j++;
		}
		x->sep_differs = sep_a || sep_b;
	}
	(*n)++;
	return 0;
oom:
	free(x->key);
	free(x->value);
	free(x->other_key);
	free(x->other_value);
	return -1;
}

/* See shape.h. */
int
shape_diff(const char *a, const char *b, struct shape_diff **out, size_t *n)
{
	struct shape_param pa[SHAPE_PARAMS_MAX], pb[SHAPE_PARAMS_MAX];
	size_t na = shape_parse(a, pa), nb = shape_parse(b, pb);
	struct shape_diff *d = NULL;
	size_t nd = 0, cap = 0;

	/* Same key and kind: no difference. */
	for (size_t i = 0; i < na; i++)
		for (size_t j = 0; j < nb; j++)
			if (!pb[j].matched && shape_key_equal(&pa[i], &pb[j]) &&
			    shape_value_equal(&pa[i], &pb[j])) {
				pa[i].matched = pb[j].matched = true;
				break;
			}
	for (size_t i = 0; i < na; i++) {
		struct shape_param *m = NULL;

		if (pa[i].matched)
			continue;
		/* Same key, other kind; else a key spelled differently. */
		for (size_t j = 0; j < nb && m == NULL; j++)
			if (!pb[j].matched && shape_key_equal(&pa[i], &pb[j]))
				m = &pb[j];
		if (m != NULL) {
			if (shape_diff_push(&d, &nd, &cap,
			    SHAPE_DIFF_VALUE_KIND, &pa[i], m) != 0)
				goto oom;
		} else {
			for (size_t j = 0; j < nb && m == NULL; j++)
				if (!pb[j].matched &&
				    shape_key_similar(&pa[i], &pb[j]))
					m = &pb[j];
			if (shape_diff_push(&d, &nd, &cap, m != NULL ?
			    SHAPE_DIFF_KEY_SPELLING : SHAPE_DIFF_KEY_EXTRA,
			    &pa[i], m) != 0)
				goto oom;
		}
		pa[i].matched = true;
		if (m != NULL)
			m->matched = true;
	}
	for (size_t j = 0; j < nb; j++)
		if (!pb[j].matched && shape_diff_push(&d, &nd, &cap,
		    SHAPE_DIFF_KEY_MISSING, NULL, &pb[j]) != 0)
			goto oom;
	*out = d;
	*n = nd;
	return 0;
oom:
	shape_diffs_free(d, nd);
	*out = NULL;
	*n = 0;
	return -1;
}

/* See shape.h. */
void
shape_diffs_free(struct shape_diff *d, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(d[i].key);
		free(d[i].value);
		free(d[i].other_key);
		free(d[i].other_value);
	}
	free(d);
}

/* The diffs in plain words, "; "-separated; NULL when out of memory. */
static char *
shape_diff_text(const struct shape_diff *d, size_t n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (f == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		const struct shape_diff *x = &d[i];

		if (i > 0)
			fputs("; ", f);
		switch (x->kind) {
		case SHAPE_DIFF_KEY_SPELLING:
			fprintf(f, "key '%s' where the healthy shape has '%s'"
			    " (differs only in %s)", x->key, x->other_key,
			    x->case_differs && x->sep_differs ? "case and '_'/'-'" :
			    x->case_differs ? "case" : "'_'/'-'");
			break;
		case SHAPE_DIFF_VALUE_KIND:
			fprintf(f, "%s=%s where the healthy shape has %s=%s",
			    x->key, x->value, x->other_key, x->other_value);
			break;
		case SHAPE_DIFF_KEY_EXTRA:
			fprintf(f, "key '%s' that the healthy shape does not"
			    " send", x->key);
			break;
		case SHAPE_DIFF_KEY_MISSING:
			fprintf(f, "no key '%s' that the healthy shape sends",
			    x->other_key);
			break;
		}
	}
	if (n == 0)
		fputs("same keys and value kinds", f);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* --- the set ----------------------------------------------------------- */

/* See shape.h. */
struct shape_set *
shape_set_new(void)
{
	struct shape_set *set = gw_calloc(1, sizeof(struct shape_set));

	if (set != NULL)
		hashtab_init(&set->index, 0);
	return set;
}

/* See shape.h. */
void
shape_set_free(struct shape_set *set)
{
	if (set == NULL)
		return;
	for (size_t i = 0; i < set->n; i++)
		free(set->v[i].key);
	free(set->v);
	hashtab_free(&set->index);
	free(set);
}

/* Index every entry again (after shape_set_find sorted them); 0 or -1. */
static int
shape_set_reindex(struct shape_set *set)
{
	hashtab_clear(&set->index);
	if (hashtab_reserve(&set->index, set->n) != HASHTAB_OK)
		return -1;
	for (size_t i = 0; i < set->n; i++) {
		const char *k = set->v[i].key;

		if (hashtab_add(&set->index, hashtab_hash(&set->index, k,
		    strlen(k)), i) != HASHTAB_OK)
			return -1;
	}
	return 0;
}

/* See shape.h. */
int
shape_set_add(struct shape_set *set, const char *method, const char *path,
    const char *upstream, const char *shape, int64_t requests,
    int64_t failed, int64_t gateway_5xx)
{
	char route[1024], kbuf[4096];
	char *key = kbuf;
	size_t group_len, klen;
	struct hashtab_pos pos;
	uintptr_t i;
	uint64_t h;
	int n1, n2;

	route_normalize(path, path != NULL ? strlen(path) : 0, route,
	    sizeof(route));
	if (method == NULL)
		method = "";
	if (upstream == NULL)
		upstream = "";
	if (shape == NULL)
		shape = "";
	/* The key, on the stack unless it is long. */
	n1 = snprintf(NULL, 0, "%s%c%s%c%s", method, SHAPE_SEP, route,
	    SHAPE_SEP, upstream);
	n2 = snprintf(NULL, 0, "%c%s", SHAPE_SEP, shape);
	if (n1 < 0 || n2 < 0)
		return -1;
	group_len = (size_t)n1;
	klen = group_len + (size_t)n2;
	if (klen >= sizeof(kbuf) && (key = gw_malloc(klen + 1)) == NULL)
		return -1;
	snprintf(key, klen + 1, "%s%c%s%c%s%c%s", method, SHAPE_SEP, route,
	    SHAPE_SEP, upstream, SHAPE_SEP, shape);
	if (set->index.n != set->n && shape_set_reindex(set) != 0)
		goto oom;
	h = hashtab_hash(&set->index, key, klen);
	hashtab_first(&set->index, h, &pos);
	while (hashtab_next(&set->index, &pos, &i)) {
		struct shape_entry *e = &set->v[i];

		if (strcmp(e->key, key) == 0) {
			e->requests += requests;
			e->failed += failed;
			e->gateway_5xx += gateway_5xx;
			if (key != kbuf)
				free(key);
			return 0;
		}
	}
	if (set->n == set->cap) {
		size_t nc = set->cap ? set->cap * 2 : 256;
		struct shape_entry *nv = gw_realloc(set->v, nc * sizeof(*nv));

		if (nv == NULL)
			goto oom;
		set->v = nv;
		set->cap = nc;
	}
	if (key == kbuf && (key = gw_strdup(kbuf)) == NULL)
		return -1;
	if (hashtab_add(&set->index, h, set->n) != HASHTAB_OK)
		goto oom;
	set->v[set->n++] = (struct shape_entry){key, group_len, requests,
	    failed, gateway_5xx, false};
	return 0;
oom:
	if (key != kbuf)
		free(key);
	return -1;
}

/* Order entries by group, then shape (qsort). */
static int
shape_entry_cmp(const void *pa, const void *pb)
{
	const struct shape_entry *a = pa, *b = pb;

	return strcmp(a->key, b->key);
}

/* True when entries a and b are of one group. */
static bool
shape_same_group(const struct shape_entry *a, const struct shape_entry *b)
{
	return a->group_len == b->group_len &&
	    memcmp(a->key, b->key, a->group_len) == 0;
}

/*
 * Flag the shapes of group v[0..n) worst first (see the file comment);
 * returns how many were flagged.
 */
static size_t
shape_group_flag(struct shape_entry *v, size_t n,
    const struct shape_config *cfg)
{
	int64_t all_n = 0, all_f = 0;
	size_t flagged = 0;

	for (size_t i = 0; i < n; i++) {
		all_n += v[i].requests;
		all_f += v[i].failed;
	}
	for (;;) {
		double best_score = 0;
		size_t best = n;

		for (size_t i = 0; i < n; i++) {
			int64_t on = all_n - v[i].requests;
			int64_t of = all_f - v[i].failed;
			double lo, hi;

			if (v[i].flagged || v[i].requests < cfg->min_requests ||
			    on < cfg->min_requests)
				continue;
			lo = shape_wilson_low(v[i].failed, v[i].requests,
			    cfg->z);
			hi = shape_wilson_high(of, on, cfg->z);
			if (lo > hi && (best == n || lo - hi > best_score)) {
				best = i;
				best_score = lo - hi;
			}
		}
		if (best == n)
			return flagged;
		v[best].flagged = true;
		all_n -= v[best].requests;
		all_f -= v[best].failed;
		flagged++;
	}
}

/* The shape part of an entry's key. */
static const char *
shape_of(const struct shape_entry *e)
{
	return e->key + e->group_len + 1;
}

/* Copy the n bytes at s; NULL when out of memory. */
static char *
shape_dup(const char *s, size_t n)
{
	return gw_strndup(s, n);
}

/* Fill finding f for flagged entry e of group v[0..n); 0 or -1. */
static int
shape_finding_fill(struct shape_finding *f, const struct shape_entry *e,
    const struct shape_entry *v, size_t n, const struct shape_config *cfg)
{
	const char *k = e->key, *s1 = strchr(k, SHAPE_SEP);
	const char *s2 = strchr(s1 + 1, SHAPE_SEP);
	size_t best_diffs = SIZE_MAX;
	int64_t best_n = -1;

	memset(f, 0, sizeof(*f));
	if ((f->method = shape_dup(k, (size_t)(s1 - k))) == NULL ||
	    (f->route = shape_dup(s1 + 1, (size_t)(s2 - s1 - 1))) == NULL ||
	    (f->upstream = shape_dup(s2 + 1, (size_t)(k + e->group_len - s2 -
	    1))) == NULL || (f->shape = gw_strdup(shape_of(e))) == NULL)
		return -1;
	f->requests = e->requests;
	f->failed = e->failed;
	f->gateway_5xx = e->gateway_5xx;
	f->rate = (double)e->failed / (double)e->requests;
	f->rate_low = shape_wilson_low(e->failed, e->requests, cfg->z);
	for (size_t i = 0; i < n; i++) {
		struct shape_diff *d;
		size_t nd;

		if (v[i].flagged)
			continue;
		f->sibling_requests += v[i].requests;
		f->sibling_failed += v[i].failed;
		f->n_siblings++;
		/* Closest: fewest differences, then most requests. */
		if (shape_diff(shape_of(e), shape_of(&v[i]), &d, &nd) != 0)
			return -1;
		if (nd < best_diffs || (nd == best_diffs &&
		    v[i].requests > best_n)) {
			shape_diffs_free(f->diffs, f->n_diffs);
			free(f->closest);
			f->diffs = d;
			f->n_diffs = nd;
			best_diffs = nd;
			best_n = v[i].requests;
			f->closest_requests = v[i].requests;
			f->closest_failed = v[i].failed;
			if ((f->closest = gw_strdup(shape_of(&v[i]))) == NULL)
				return -1;
		} else
			shape_diffs_free(d, nd);
	}
	f->sibling_rate = f->sibling_requests > 0 ?
	    (double)f->sibling_failed / (double)f->sibling_requests : 0;
	f->sibling_high = shape_wilson_high(f->sibling_failed,
	    f->sibling_requests, cfg->z);
	f->excess = (double)f->failed - (double)f->requests * f->sibling_rate;
	if ((f->difference = shape_diff_text(f->diffs, f->n_diffs)) == NULL)
		return -1;
	return 0;
}

/* Worst first: most excess failures, then highest rate, then by name. */
static int
shape_finding_cmp(const void *pa, const void *pb)
{
	const struct shape_finding *a = pa, *b = pb;
	int c;

	if (a->excess != b->excess)
		return a->excess > b->excess ? -1 : 1;
	if (a->rate != b->rate)
		return a->rate > b->rate ? -1 : 1;
	if ((c = strcmp(a->route, b->route)) != 0)
		return c;
	if ((c = strcmp(a->upstream, b->upstream)) != 0)
		return c;
	return strcmp(a->shape, b->shape);
}

/* See shape.h. */
int
shape_set_find(struct shape_set *set, const struct shape_config *cfg,
    struct shape_finding **out, size_t *n_out)
{
	struct shape_finding *fv = NULL;
	size_t nf = 0, cap = 0;

	*out = NULL;
	*n_out = 0;
	if (set->n > 0)
		qsort(set->v, set->n, sizeof(*set->v), shape_entry_cmp);
	/* The index names the old order; a later add builds it again. */
	hashtab_clear(&set->index);
	for (size_t g = 0; g < set->n;) {
		size_t end = g + 1;

		while (end < set->n && shape_same_group(&set->v[g],
		    &set->v[end]))
			end++;
		for (size_t i = g; i < end; i++)
			set->v[i].flagged = false;
		if (shape_group_flag(set->v + g, end - g, cfg) > 0) {
			for (size_t i = g; i < end; i++) {
				if (!set->v[i].flagged)
					continue;
				if (nf == cap) {
					size_t nc = cap ? cap * 2 : 8;
					struct shape_finding *nv = gw_realloc(fv,
					    nc * sizeof(*nv));

					if (nv == NULL)
						goto oom;
					fv = nv;
					cap = nc;
				}
				if (shape_finding_fill(&fv[nf++], &set->v[i],
				    set->v + g, end - g, cfg) != 0)
					goto oom;
			}
		}
		g = end;
	}
	if (nf > 1)
		qsort(fv, nf, sizeof(*fv), shape_finding_cmp);
	*out = fv;
	*n_out = nf;
	return 0;
oom:
	shape_findings_free(fv, nf);
	return -1;
}

/* See shape.h. */
void
shape_findings_free(struct shape_finding *f, size_t n)
{
	for (size_t i = 0; f != NULL && i < n; i++) {
		free(f[i].method);
		free(f[i].route);
		free(f[i].upstream);
		free(f[i].shape);
		free(f[i].closest);
		free(f[i].difference);
		shape_diffs_free(f[i].diffs, f[i].n_diffs);
		diag_example_clear(&f[i].example);
	}
	free(f);
}

/* --- from the store ---------------------------------------------------- */

/* diag_shape_counts() callback: add a row to the set. */
static int
shape_collect(void *ctx, const struct diag_shape_row *r)
{
	return shape_set_add(ctx, r->method, r->path, r->upstream, r->shape,
	    r->requests, r->failed, r->gateway_5xx) != 0 ? -2 : 0;
}

/* diag_example_for_shape() filter: the request's path is of the route. */
static bool
shape_route_accept(void *ctx, const char *method, const char *path)
{
	char route[1024];

	route_normalize(path, strlen(path), route, sizeof(route));
	return strcmp(route, ctx) == 0;
}

/* See shape.h. */
int
shape_findings(struct store *s, const struct diag_window *w,
    const struct shape_config *cfg, struct shape_finding **out, size_t *n,
    char *err, size_t errlen)
{
	struct shape_set *set = shape_set_new();
	int rc;

	*out = NULL;
	*n = 0;
	if (set == NULL)
		goto oom;
	rc = diag_shape_counts(s, w, shape_collect, set, err, errlen);
	if (rc == -2)
		goto oom;
	if (rc != 0) {
		shape_set_free(set);
		return -1;
	}
	rc = shape_set_find(set, cfg, out, n);
	shape_set_free(set);
	set = NULL;
	if (rc != 0)
		goto oom;
	for (size_t i = 0; i < *n; i++) {
		struct shape_finding *f = &(*out)[i];
		struct diag_window ew = *w;

		ew.upstream = f->upstream;
		if (diag_example_for_shape(s, &ew, f->method, f->shape,
		    shape_route_accept, f->route, &f->example,
		    &f->has_example, err, errlen) != 0) {
			shape_findings_free(*out, *n);
			*out = NULL;
			*n = 0;
			return -1;
		}
	}
	return 0;
oom:
	shape_set_free(set);
	snprintf(err, errlen, "out of memory");
	return -1;
}
