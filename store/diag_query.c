/*
 * diag_query.c - the store's queries for analyze/; see diag_query.h.
 *
 * The SQL is in store/stmt.c's table (STMT_DIAG_*), prepared once per
 * handle like every statement of store/, and reset when a call is done.
 *
 * Index use, by statement:
 *   - shape counts read every request of the window: through request_runs
 *     (schema/013) when a bound is given, as a plain table scan when not (the "_ALL"
 *     variant disables the index with a unary '+', which is faster than a
 *     million index lookups); they are summed in C, not by GROUP BY (see
 *     diag_shape_counts for why);
 *   - the attempt stream walks request_runs in time order and finds each
 *     request's attempts by primary key; it sorts one second's requests
 *     at a time (memory bounded by the busiest second);
 *   - retry groups, cause counts and examples only look at requests that
 *     failed or were retried, through the partial index requests_trouble_ts
 *     (schema/003_diagnose.sql): a few percent of the rows.
 * The WHERE clauses repeat the partial index's condition word for word so
 * SQLite knows it may use it.
 */
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/cause.h"
#include "core/grow.h"
#include "store/diag_query.h"
#include "store/store_int.h"

/* See diag_query.h. */
struct diag_window
diag_window_all(void)
{
	return (struct diag_window){.since_ms = INT64_MIN,
	    .until_ms = INT64_MAX, .upstream = NULL};
}

/* Prepare statement id and bind the window as ?1, ?2, ?3; NULL on error. */
static sqlite3_stmt *
diag_prepare(struct store *s, enum store_stmt_id id,
    const struct diag_window *w, char *err, size_t errlen)
{
	sqlite3_stmt *st = store_stmt_fresh(s, id, err, errlen);

	if (st == NULL)
		return NULL;
	sqlite3_bind_int64(st, 1, w->since_ms);
	sqlite3_bind_int64(st, 2, w->until_ms);
	if (w->upstream != NULL)
		sqlite3_bind_text(st, 3, w->upstream, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 3);
	return st;
}

/* Text of column i, "" for NULL. */
static const char *
diag_text(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t != NULL ? (const char *)t : "";
}

/*
 * Step st to its end, calling row(st, fn, ctx) for each row; reset it.
 * Returns 0, the callback's non-zero value, or -1 with err filled.
 */
static int
diag_run(struct store *s, sqlite3_stmt *st,
    int (*row)(sqlite3_stmt *, void *, void *), void *fn, void *ctx,
    const char *what, char *err, size_t errlen)
{
	int rc, cb = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if ((cb = row(st, fn, ctx)) != 0)
			break;
	if (cb == 0 && rc != SQLITE_DONE) {
		store_fail_db(s, err, errlen, what);
		cb = -1;
	}
	sqlite3_reset(st);
	return cb;
}

/* One group of requests by ids, while summing. */
struct diag_group {
	int64_t key[4];		/* method, path, upstream, shape ids; 0 NULL */
	int64_t requests, failed, gateway_5xx;
};

/* Groups by id, in the order they first came, found through a hash map. */
struct diag_groups {
	struct diag_group *v;
	size_t n, cap;
	struct hashtab index;	/* key -> index into v */
};

/* The group of key k, added (zeroed) when new; NULL on OOM. */
static struct diag_group *
diag_group_get(struct diag_groups *g, const int64_t *k)
{
	uint64_t h = hashtab_hash(&g->index, k, sizeof(g->v->key));
	struct hashtab_pos pos;
	uintptr_t i;

	hashtab_first(&g->index, h, &pos);
	while (hashtab_next(&g->index, &pos, &i))
		if (memcmp(g->v[i].key, k, sizeof(g->v[i].key)) == 0)
			return &g->v[i];
	if (grow_array((void **)&g->v, &g->cap, g->n, sizeof(*g->v), 4096) !=
	    0 || hashtab_add(&g->index, h, g->n) != HASHTAB_OK)
		return NULL;
	memcpy(g->v[g->n].key, k, sizeof(g->v[g->n].key));
	return &g->v[g->n++];
}

/*
 * Paths of requests in blocks (schema/015), which carry the text rather
 * than paths.id: each text once, with the id paths has for it, or when
 * none (a path only blocks name) a negative id of its own (-1 - its
 * index), so the groups are the same as if every path were interned.
 */
struct diag_texts {
	char **name;
	int64_t *id;
	size_t n, cap;
	struct hashtab index;	/* text -> index into name */
};

static void
diag_texts_free(struct diag_texts *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->name[i]);
	free(t->name);
	free(t->id);
	hashtab_free(&t->index);
}

/* The group id of path text p (n bytes) into *id; 0 or -1 with err. */
static int
diag_text_id(struct store *s, struct diag_texts *t, const char *p, size_t n,
    int64_t *id, char *err, size_t errlen)
{
	uint64_t h = hashtab_hash(&t->index, p, n);
	struct hashtab_pos pos;
	sqlite3_stmt *st;
	uintptr_t i;
	size_t cap;
	int rc;

	hashtab_first(&t->index, h, &pos);
	while (hashtab_next(&t->index, &pos, &i))
		if (strlen(t->name[i]) == n && memcmp(t->name[i], p, n) == 0) {
			*id = t->id[i];
			return 0;
		}
	if ((st = store_stmt_fresh(s, STMT_DIAG_PATH_ID, err, errlen)) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, p, (int)n, SQLITE_STATIC);
	rc = sqlite3_step(st);
	*id = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) :
	    -1 - (int64_t)t->n;
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_fail_db(s, err, errlen, "diagnose: path");
	cap = t->cap;
	if (grow_array((void **)&t->name, &cap, t->n, sizeof(*t->name),
	    4096) != 0)
		return store_fail(err, errlen, "out of memory");
	cap = t->cap;
	if (grow_array((void **)&t->id, &cap, t->n, sizeof(*t->id), 4096) != 0)
		return store_fail(err, errlen, "out of memory");
	t->cap = cap;
	if ((t->name[t->n] = gw_malloc(n + 1)) == NULL)
		return store_fail(err, errlen, "out of memory");
	memcpy(t->name[t->n], p, n);
	t->name[t->n][n] = '\0';
	if (hashtab_add(&t->index, h, t->n) != HASHTAB_OK) {
		free(t->name[t->n]);
		return store_fail(err, errlen, "out of memory");
	}
	t->id[t->n++] = *id;
	return 0;
}

/* An interned-name table read whole: ids ascending, names copied. */
struct diag_names {
	int64_t *id;
	char **name;
	size_t n;
};

static void
diag_names_free(struct diag_names *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->name[i]);
	free(t->id);
	free(t->name);
	memset(t, 0, sizeof(*t));
}

/* Read table statement id into t; 0 or -1 with err filled. */
static int
diag_names_load(struct store *s, enum store_stmt_id id, struct diag_names *t,
    char *err, size_t errlen)
{
	struct diag_window all = diag_window_all();
	sqlite3_stmt *st = diag_prepare(s, id, &all, err, errlen);
	size_t cap = 0;
	int rc;

	memset(t, 0, sizeof(*t));
	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (t->n == cap) {
			size_t nc = cap ? cap * 2 : 64;
			int64_t *ni = gw_realloc(t->id, nc * sizeof(*ni));
			char **nn;

			if (ni == NULL)
				goto oom;
			t->id = ni;
			if ((nn = gw_realloc(t->name, nc * sizeof(*nn))) == NULL)
				goto oom;
			t->name = nn;
			cap = nc;
		}
		t->id[t->n] = sqlite3_column_int64(st, 0);
		if ((t->name[t->n] = gw_strdup(diag_text(st, 1))) == NULL)
			goto oom;
		t->n++;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		diag_names_free(t);
		return store_fail_db(s, err, errlen, "diagnose: names");
	}
	return 0;
oom:
	sqlite3_reset(st);
	diag_names_free(t);
	return store_fail(err, errlen, "out of memory");
}

/* Name of id in t ("" for 0 or unknown). */
static const char *
diag_name_of(const struct diag_names *t, int64_t id)
{
	size_t lo = 0, hi = t->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->id[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < t->n && t->id[lo] == id ? t->name[lo] : "";
}

/*
 * See diag_query.h. Why not GROUP BY in SQL: the groups are keyed by path,
 * which holds every id of a route (/users/17, /users/42, ...), so a window
 * of 1M requests has some 200,000 groups, and SQLite forms them by sorting
 * all rows in a temp B-tree: 1.5-2.5 s on the 1M-request benchmark. Reading
 * six integer columns and summing them in a hash table is about three
 * times faster and uses memory per group, not per row; names are then
 * read once per table.
 */
int
diag_shape_counts(struct store *s, const struct diag_window *w,
    diag_shape_fn fn, void *ctx, char *err, size_t errlen)
{
	bool open = w->since_ms == INT64_MIN && w->until_ms == INT64_MAX;
	struct diag_names names[4] = {{0}};
	struct diag_groups g = {0};
	struct diag_texts texts = {0};
	sqlite3_stmt *st;
	int rc, ret = 0;

	hashtab_init(&g.index, 0);
	hashtab_init(&texts.index, 0);

	st = diag_prepare(s, open ? STMT_DIAG_SHAPE_COUNTS_ALL :
	    STMT_DIAG_SHAPE_COUNTS, w, err, errlen);
	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		/* read before any conversion of the column */
		bool text = sqlite3_column_type(st, 1) == SQLITE_TEXT;
		int64_t k[4];
		struct diag_group *x;

		for (int i = 0; i < 4; i++)
			k[i] = i == 1 && text ? 0 : sqlite3_column_int64(st, i);
		/* a block's request whose path no row interned: its text
		 * (requests_all's path_key, stmt.c's V_PATH_KEY) */
		if (text) {
			const char *p = (const char *)sqlite3_column_text(st, 1);
			size_t n = (size_t)sqlite3_column_bytes(st, 1);

			if (p == NULL || diag_text_id(s, &texts, p, n, &k[1],
			    err, errlen) != 0) {
				sqlite3_reset(st);
				ret = p == NULL ? store_fail(err, errlen,
				    "out of memory") : -1;
				goto done;
			}
		}
		if ((x = diag_group_get(&g, k)) == NULL) {
			sqlite3_reset(st);
			ret = store_fail(err, errlen, "out of memory");
			goto done;
		}
		x->requests++;
		if (sqlite3_column_int(st, 4)) {
			if (cause_who(cause_from_id(sqlite3_column_int(st,
			    5))) == GW_WHO_GATEWAY)
				x->gateway_5xx++;
			else
				x->failed++;
		}
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		ret = store_fail_db(s, err, errlen, "diagnose: shapes");
		goto done;
	}
	if (diag_names_load(s, STMT_DIAG_METHOD_NAMES, &names[0], err, errlen) ||
	    diag_names_load(s, STMT_DIAG_PATH_NAMES, &names[1], err, errlen) ||
	    diag_names_load(s, STMT_DIAG_UPSTREAM_NAMES, &names[2], err, errlen) ||
	    diag_names_load(s, STMT_DIAG_SHAPE_NAMES, &names[3], err, errlen)) {
		ret = -1;
		goto done;
	}
	for (size_t i = 0; i < g.n && ret == 0; i++) {
		const struct diag_group *x = &g.v[i];
		struct diag_shape_row r;

		r = (struct diag_shape_row){
			.method = diag_name_of(&names[0], x->key[0]),
			.path = x->key[1] < 0 ? texts.name[-1 - x->key[1]] :
			    diag_name_of(&names[1], x->key[1]),
			.upstream = diag_name_of(&names[2], x->key[2]),
			.shape = diag_name_of(&names[3], x->key[3]),
			.requests = x->requests, .failed = x->failed,
			.gateway_5xx = x->gateway_5xx,
		};
		ret = fn(ctx, &r);
	}
done:
	for (int i = 0; i < 4; i++)
		diag_names_free(&names[i]);
	diag_texts_free(&texts);
	free(g.v);
	hashtab_free(&g.index);
	return ret;
}

/* One attempt row to its callback. */
static int
diag_attempt_row(sqlite3_stmt *st, void *fn, void *ctx)
{
	struct diag_attempt_row r = {
		.ts_ms = sqlite3_column_int64(st, 0),
		.request_id = sqlite3_column_int64(st, 1),
		.upstream_id = sqlite3_column_int64(st, 2),
		.seq = sqlite3_column_int(st, 3),
		.status = sqlite3_column_int(st, 4),
		.cause = cause_from_id(sqlite3_column_int(st, 5)),
	};

	return ((diag_attempt_fn)fn)(ctx, &r);
}

/* See diag_query.h. */
int
diag_attempt_stream(struct store *s, const struct diag_window *w,
    diag_attempt_fn fn, void *ctx, char *err, size_t errlen)
{
	sqlite3_stmt *st = diag_prepare(s, STMT_DIAG_ATTEMPT_STREAM, w, err,
	    errlen);

	if (st == NULL)
		return -1;
	return diag_run(s, st, diag_attempt_row, (void *)fn, ctx,
	    "diagnose: attempts", err, errlen);
}

/* One upstream name to its callback. */
static int
diag_name_row(sqlite3_stmt *st, void *fn, void *ctx)
{
	return ((diag_name_fn)fn)(ctx, sqlite3_column_int64(st, 0),
	    diag_text(st, 1));
}

/* See diag_query.h. */
int
diag_upstream_names(struct store *s, diag_name_fn fn, void *ctx,
    char *err, size_t errlen)
{
	struct diag_window all = diag_window_all();
	sqlite3_stmt *st = diag_prepare(s, STMT_DIAG_UPSTREAM_NAMES, &all, err,
	    errlen);

	if (st == NULL)
		return -1;
	return diag_run(s, st, diag_name_row, (void *)fn, ctx,
	    "diagnose: upstreams", err, errlen);
}

/* One retry group to its callback. */
static int
diag_retry_row(sqlite3_stmt *st, void *fn, void *ctx)
{
	struct diag_retry_row r = {
		.first_upstream = diag_text(st, 0),
		.final_upstream = diag_text(st, 1),
		.first_cause = cause_from_id(sqlite3_column_int(st, 2)),
		.requests = sqlite3_column_int64(st, 3),
		.saved = sqlite3_column_int64(st, 4),
		.extra_ms_sum = sqlite3_column_int64(st, 5),
		.request_ms_sum = sqlite3_column_int64(st, 6),
		.request_ms_n = sqlite3_column_int64(st, 7),
	};

	return ((diag_retry_fn)fn)(ctx, &r);
}

/* See diag_query.h. */
int
diag_retry_groups(struct store *s, const struct diag_window *w,
    diag_retry_fn fn, void *ctx, char *err, size_t errlen)
{
	sqlite3_stmt *st = diag_prepare(s, STMT_DIAG_RETRY_GROUPS, w, err,
	    errlen);

	if (st == NULL)
		return -1;
	return diag_run(s, st, diag_retry_row, (void *)fn, ctx,
	    "diagnose: retries", err, errlen);
}

/* See diag_query.h. */
int
diag_totals(struct store *s, const struct diag_window *w,
    struct diag_totals *t, char *err, size_t errlen)
{
	sqlite3_stmt *st = diag_prepare(s, STMT_DIAG_TOTALS, w, err, errlen);
	int rc;

	memset(t, 0, sizeof(*t));
	t->single_ok_ms_avg = -1;
	if (st == NULL)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		t->requests = sqlite3_column_int64(st, 0);
		t->retried = sqlite3_column_int64(st, 1);
		if (sqlite3_column_type(st, 2) != SQLITE_NULL)
			t->single_ok_ms_avg = sqlite3_column_double(st, 2);
	} else
		store_fail_db(s, err, errlen, "diagnose: totals");
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

/* One cause row to its callback. */
static int
diag_cause_row(sqlite3_stmt *st, void *fn, void *ctx)
{
	struct diag_cause_row r = {
		.cause = cause_from_id(sqlite3_column_int(st, 0)),
		.count = sqlite3_column_int64(st, 1),
		.final = sqlite3_column_int64(st, 2),
		.messages = sqlite3_column_int64(st, 3),
		.first_ms = sqlite3_column_int64(st, 4),
		.last_ms = sqlite3_column_int64(st, 5),
	};

	return ((diag_cause_fn)fn)(ctx, &r);
}

/* See diag_query.h. */
int
diag_upstream_causes(struct store *s, const struct diag_window *w,
    diag_cause_fn fn, void *ctx, char *err, size_t errlen)
{
	sqlite3_stmt *st;

	if (w->upstream == NULL)
		return store_fail(err, errlen, "diagnose: no upstream given");
	if ((st = diag_prepare(s, STMT_DIAG_UPSTREAM_CAUSES, w, err, errlen)) ==
	    NULL)
		return -1;
	return diag_run(s, st, diag_cause_row, (void *)fn, ctx,
	    "diagnose: causes", err, errlen);
}

/* See diag_query.h. */
void
diag_example_clear(struct diag_example *e)
{
	free(e->method);
	free(e->path);
	free(e->query);
	free(e->request_id);
	free(e->message);
	memset(e, 0, sizeof(*e));
}

/* Copy the example columns of st's current row into e; 0 or -1 (OOM). */
static int
diag_example_copy(sqlite3_stmt *st, struct diag_example *e)
{
	bool oom = false;

	e->id = sqlite3_column_int64(st, 0);
	e->ts_ms = sqlite3_column_int64(st, 1);
	e->method = store_col_dup(st, 2, &oom);
	e->path = store_col_dup(st, 3, &oom);
	e->query = store_col_dup(st, 4, &oom);
	e->request_id = store_col_dup(st, 5, &oom);
	e->message = store_col_dup(st, 6, &oom);
	e->status = sqlite3_column_int(st, 7);
	e->cause = cause_from_id(sqlite3_column_int(st, 8));
	e->n_attempts = sqlite3_column_int(st, 9);
	if (oom) {
		diag_example_clear(e);
		return -1;
	}
	return 0;
}

/*
 * Step st until accept() takes a row (NULL accept: the first row); copy it
 * into out. Finalizes st.
 */
static int
diag_example_pick(struct store *s, sqlite3_stmt *st, diag_accept_fn accept,
    void *ctx, struct diag_example *out, bool *found, char *err,
    size_t errlen)
{
	int rc, ret = 0;

	memset(out, 0, sizeof(*out));
	*found = false;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (accept != NULL && !accept(ctx, diag_text(st, 2),
		    diag_text(st, 3)))
			continue;
		if (diag_example_copy(st, out) != 0)
			ret = store_fail(err, errlen, "out of memory");
		else
			*found = true;
		break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		ret = store_fail_db(s, err, errlen, "diagnose: example");
	sqlite3_reset(st);
	return ret;
}

/* See diag_query.h. */
int
diag_example_for_cause(struct store *s, const struct diag_window *w,
    enum gw_cause cause, struct diag_example *out, bool *found, char *err,
    size_t errlen)
{
	sqlite3_stmt *st;

	memset(out, 0, sizeof(*out));
	*found = false;
	if (w->upstream == NULL)
		return store_fail(err, errlen, "diagnose: no upstream given");
	if ((st = diag_prepare(s, STMT_DIAG_EXAMPLE_CAUSE, w, err,
	    errlen)) == NULL)
		return -1;
	sqlite3_bind_int(st, 4, cause);
	return diag_example_pick(s, st, NULL, NULL, out, found, err, errlen);
}

/* See diag_query.h. */
int
diag_example_for_shape(struct store *s, const struct diag_window *w,
    const char *method, const char *shape, diag_accept_fn accept, void *ctx,
    struct diag_example *out, bool *found, char *err, size_t errlen)
{
	sqlite3_stmt *st;

	memset(out, 0, sizeof(*out));
	*found = false;
	if (w->upstream == NULL)
		return store_fail(err, errlen, "diagnose: no upstream given");
	if ((st = diag_prepare(s, STMT_DIAG_EXAMPLE_SHAPE, w, err,
	    errlen)) == NULL)
		return -1;
	sqlite3_bind_text(st, 4, shape != NULL ? shape : "", -1,
	    SQLITE_STATIC);
	sqlite3_bind_text(st, 5, method != NULL ? method : "", -1,
	    SQLITE_STATIC);
	sqlite3_bind_int(st, 6, DIAG_EXAMPLE_SCAN);
	return diag_example_pick(s, st, accept, ctx, out, found, err, errlen);
}
