/*
 * breaker.c - circuit-breaker replay; see breaker.h for the model.
 *
 * One state machine per upstream id, found through a hash table
 * (core/hashtab.h); events are fed in time order (the store streams them
 * so) and the only memory that grows is the list of open periods. The
 * sliding window is a ring of buckets: a bucket remembers which slot of
 * time it counts, and a stale one is cleared when time comes back to its
 * position.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/floordiv.h"
#include "analyze/breaker.h"
#include "core/cause.h"
#include "core/hashtab.h"

#define BREAKER_BUCKETS_MAX 1000

enum breaker_state {
	BREAKER_CLOSED,
	BREAKER_OPEN,
	BREAKER_HALF_OPEN
};

struct breaker_bucket {
	int64_t slot;		/* floor(ts_ms / bucket_ms) it counts */
	int64_t total, failed;
};

/* One upstream's machine and results. */
struct breaker_machine {
	struct breaker_upstream u;
	size_t cap_opens;
	enum breaker_state state;
	int consecutive;
	int64_t open_until;
	struct breaker_bucket *buckets;	/* window_buckets of them */
};

struct breaker_replay {
	struct breaker_config cfg;
	int64_t bucket_ms;
	struct breaker_machine *m;
	size_t n, cap;
	struct hashtab index;	/* upstream id -> index into m */
};

/* See breaker.h. */
struct breaker_config
breaker_config_default(void)
{
	return (struct breaker_config){.consecutive_failures = 5,
	    .failure_rate = 0.5, .min_requests = 20, .window_ms = 10000,
	    .window_buckets = 10, .open_ms = 30000};
}

/* See breaker.h. */
const char *
breaker_trip_name(enum breaker_trip t)
{
	return t == BREAKER_TRIP_RATE ? "failure_rate" : "consecutive_failures";
}

/* See breaker.h. */
struct breaker_replay *
breaker_replay_new(const struct breaker_config *cfg)
{
	struct breaker_replay *r;
	struct breaker_config c = cfg != NULL ? *cfg :
	    breaker_config_default();

	if (c.window_buckets < 1 || c.window_buckets > BREAKER_BUCKETS_MAX ||
	    c.window_ms < c.window_buckets || c.open_ms < 0 ||
	    c.consecutive_failures < 1 || c.min_requests < 1)
		return NULL;
	if ((r = gw_calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->cfg = c;
	r->bucket_ms = c.window_ms / c.window_buckets;
	hashtab_init(&r->index, 0);
	return r;
}

/* Free what one upstream result owns. */
static void
breaker_upstream_clear(struct breaker_upstream *u)
{
	free(u->name);
	free(u->opens);
	memset(u, 0, sizeof(*u));
}

/* See breaker.h. */
void
breaker_upstreams_free(struct breaker_upstream *u, size_t n)
{
	for (size_t i = 0; u != NULL && i < n; i++)
		breaker_upstream_clear(&u[i]);
	free(u);
}

/* Drop every machine; their results too unless keep_results. */
static void
breaker_machines_drop(struct breaker_replay *r, bool keep_results)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->m[i].buckets);
		if (!keep_results)
			breaker_upstream_clear(&r->m[i].u);
	}
	free(r->m);
	hashtab_free(&r->index);
	r->m = NULL;
	r->n = r->cap = 0;
}

/* See breaker.h. */
void
breaker_replay_free(struct breaker_replay *r)
{
	if (r == NULL)
		return;
	breaker_machines_drop(r, false);
	free(r);
}

/* The machine of upstream id, created when new; NULL on OOM. */
static struct breaker_machine *
breaker_machine(struct breaker_replay *r, int64_t id)
{
	struct breaker_machine *m;
	struct hashtab_pos pos;
	uint64_t h = hashtab_hash(&r->index, &id, sizeof(id));
	uintptr_t i;

	hashtab_first(&r->index, h, &pos);
	while (hashtab_next(&r->index, &pos, &i))
		if (r->m[i].u.upstream_id == id)
			return &r->m[i];
	if (r->n == r->cap) {
		size_t nc = r->cap ? r->cap * 2 : 16;
		struct breaker_machine *nm = gw_realloc(r->m, nc * sizeof(*nm));

		if (nm == NULL)
			return NULL;
		r->m = nm;
		r->cap = nc;
	}
	m = &r->m[r->n];
	memset(m, 0, sizeof(*m));
	m->buckets = gw_calloc((size_t)r->cfg.window_buckets,
	    sizeof(*m->buckets));
	if (m->buckets == NULL)
		return NULL;
	if (hashtab_add(&r->index, h, r->n) != HASHTAB_OK) {
		free(m->buckets);
		return NULL;
	}
	for (int b = 0; b < r->cfg.window_buckets; b++)
		m->buckets[b].slot = INT64_MIN;
	m->u.upstream_id = id;
	m->u.first_ms = m->u.last_ms = -1;
	r->n++;
	return m;
}

/* Count one outcome at ts into the window; return the window's sums. */
static void
breaker_window_add(const struct breaker_replay *r, struct breaker_machine *m,
    int64_t ts, bool failed, int64_t *total, int64_t *n_failed)
{
	int64_t slot = floor_div(ts, r->bucket_ms);
	int nb = r->cfg.window_buckets;
	struct breaker_bucket *b = &m->buckets[(size_t)(((slot % nb) + nb) %
	    nb)];

	if (b->slot != slot)
		*b = (struct breaker_bucket){slot, 0, 0};
	b->total++;
	b->failed += failed;
	*total = *n_failed = 0;
	for (int i = 0; i < nb; i++)
		if (m->buckets[i].slot > slot - nb &&
		    m->buckets[i].slot <= slot) {
			*total += m->buckets[i].total;
			*n_failed += m->buckets[i].failed;
		}
}

/* Forget the window and the run of failures (the breaker closed). */
static void
breaker_window_reset(const struct breaker_replay *r,
    struct breaker_machine *m)
{
	for (int i = 0; i < r->cfg.window_buckets; i++)
		m->buckets[i] = (struct breaker_bucket){INT64_MIN, 0, 0};
	m->consecutive = 0;
}

/* Open a new period at ts; 0 or -1. */
static int
breaker_trip(const struct breaker_replay *r, struct breaker_machine *m,
    int64_t ts, enum breaker_trip why, int64_t total, int64_t failed)
{
	struct breaker_upstream *u = &m->u;

	if (u->n_opens == m->cap_opens) {
		size_t nc = m->cap_opens ? m->cap_opens * 2 : 4;
		struct breaker_open *no = gw_realloc(u->opens, nc * sizeof(*no));

		if (no == NULL)
			return -1;
		u->opens = no;
		m->cap_opens = nc;
	}
	u->opens[u->n_opens++] = (struct breaker_open){.open_ms = ts,
	    .close_ms = -1, .reason = why, .window_requests = total,
	    .window_failed = failed};
	m->state = BREAKER_OPEN;
	m->open_until = ts + r->cfg.open_ms;
	return 0;
}

/* True when cause counts against the upstream; *ignored when neither. */
static bool
breaker_failed(enum gw_cause cause, bool *ignored)
{
	enum gw_cause_who who;

	*ignored = false;
	if (cause == GW_CAUSE_OK)
		return false;
	who = cause_who(cause);
	if (who == GW_WHO_GATEWAY || who == GW_WHO_CLIENT) {
		*ignored = true;
		return false;
	}
	return true;
}

/* See breaker.h. */
int
breaker_replay_feed(struct breaker_replay *r, int64_t upstream_id,
    int64_t ts, enum gw_cause cause)
{
	struct breaker_machine *m = breaker_machine(r, upstream_id);
	struct breaker_upstream *u;
	struct breaker_open *cur;
	int64_t total, n_failed;
	bool ignored, failed = breaker_failed(cause, &ignored);

	if (m == NULL)
		return -1;
	u = &m->u;
	u->attempts++;
	if (u->first_ms < 0)
		u->first_ms = ts;
	u->last_ms = ts;
	if (ignored) {
		u->ignored++;
		return 0;
	}
	u->failures += failed;
	cur = u->n_opens > 0 ? &u->opens[u->n_opens - 1] : NULL;
	if (m->state == BREAKER_OPEN) {
		if (ts < m->open_until) {
			cur->spared++;
			cur->spared_failed += failed;
			u->spared++;
			u->spared_failed += failed;
			return 0;
		}
		m->state = BREAKER_HALF_OPEN;
	}
	if (m->state == BREAKER_HALF_OPEN) {
		/* This attempt is the probe. */
		if (failed) {
			cur->probes_failed++;
			m->state = BREAKER_OPEN;
			m->open_until = ts + r->cfg.open_ms;
		} else {
			cur->close_ms = ts;
			u->open_total_ms += ts - cur->open_ms;
			m->state = BREAKER_CLOSED;
			breaker_window_reset(r, m);
		}
		return 0;
	}
	m->consecutive = failed ? m->consecutive + 1 : 0;
	breaker_window_add(r, m, ts, failed, &total, &n_failed);
	if (m->consecutive >= r->cfg.consecutive_failures)
		return breaker_trip(r, m, ts, BREAKER_TRIP_CONSECUTIVE, total,
		    n_failed);
	if (total >= r->cfg.min_requests &&
	    (double)n_failed >= r->cfg.failure_rate * (double)total)
		return breaker_trip(r, m, ts, BREAKER_TRIP_RATE, total,
		    n_failed);
	return 0;
}

/* By upstream id (qsort). */
static int
breaker_by_id(const void *pa, const void *pb)
{
	const struct breaker_upstream *a = pa, *b = pb;

	return (a->upstream_id > b->upstream_id) -
	    (a->upstream_id < b->upstream_id);
}

/* See breaker.h. */
int
breaker_replay_take(struct breaker_replay *r, struct breaker_upstream **out,
    size_t *n)
{
	struct breaker_upstream *v = NULL;

	*out = NULL;
	*n = 0;
	if (r->n > 0 && (v = gw_calloc(r->n, sizeof(*v))) == NULL)
		return -1;
	for (size_t i = 0; i < r->n; i++) {
		struct breaker_machine *m = &r->m[i];

		/* Still open at the end: count the time up to the last event. */
		if (m->state != BREAKER_CLOSED && m->u.n_opens > 0)
			m->u.open_total_ms += m->u.last_ms -
			    m->u.opens[m->u.n_opens - 1].open_ms;
		v[i] = m->u;
	}
	*n = r->n;
	breaker_machines_drop(r, true);
	if (*n > 1)
		qsort(v, *n, sizeof(*v), breaker_by_id);
	*out = v;
	return 0;
}

/* diag_attempt_stream() callback: feed the replay. */
static int
breaker_stream_row(void *ctx, const struct diag_attempt_row *a)
{
	return breaker_replay_feed(ctx, a->upstream_id, a->ts_ms, a->cause) ?
	    -2 : 0;
}

/* Names for the results: diag_upstream_names() callback. */
struct breaker_names {
	struct breaker_upstream *v;
	size_t n;
	bool oom;
};

static int
breaker_name_row(void *ctx, int64_t id, const char *name)
{
	struct breaker_names *bn = ctx;
	size_t lo = 0, hi = bn->n;

	while (lo < hi) {	/* v is sorted by id */
		size_t mid = lo + (hi - lo) / 2;

		if (bn->v[mid].upstream_id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < bn->n && bn->v[lo].upstream_id == id &&
	    (bn->v[lo].name = gw_strdup(name)) == NULL) {
		bn->oom = true;
		return -2;
	}
	return 0;
}

/* Most spared first, then most failures, then name. */
static int
breaker_by_spared(const void *pa, const void *pb)
{
	const struct breaker_upstream *a = pa, *b = pb;

	if (a->spared != b->spared)
		return a->spared > b->spared ? -1 : 1;
	if (a->failures != b->failures)
		return a->failures > b->failures ? -1 : 1;
	return strcmp(a->name != NULL ? a->name : "",
	    b->name != NULL ? b->name : "");
}

/* See breaker.h. */
int
breaker_run(struct store *s, const struct diag_window *w,
    const struct breaker_config *cfg, struct breaker_upstream **out,
    size_t *n, char *err, size_t errlen)
{
	struct breaker_replay *r = breaker_replay_new(cfg);
	struct breaker_names bn = {0};
	int rc;

	*out = NULL;
	*n = 0;
	if (r == NULL) {
		snprintf(err, errlen, "breaker: bad configuration or out of"
		    " memory");
		return -1;
	}
	rc = diag_attempt_stream(s, w, breaker_stream_row, r, err, errlen);
	if (rc == -2)
		snprintf(err, errlen, "out of memory");
	if (rc != 0 || breaker_replay_take(r, &bn.v, &bn.n) != 0) {
		if (rc == 0)
			snprintf(err, errlen, "out of memory");
		breaker_replay_free(r);
		return -1;
	}
	breaker_replay_free(r);
	rc = diag_upstream_names(s, breaker_name_row, &bn, err, errlen);
	if (rc != 0) {
		if (bn.oom)
			snprintf(err, errlen, "out of memory");
		breaker_upstreams_free(bn.v, bn.n);
		return -1;
	}
	if (bn.n > 1)
		qsort(bn.v, bn.n, sizeof(*bn.v), breaker_by_spared);
	*out = bn.v;
	*n = bn.n;
	return 0;
}
