/*
 * wire_join.c - downstream requests tied to upstream attempts; see
 * wire_join.h for the rules.
 *
 * Two lists of held records in arrival order: downstream (released by
 * end time + hold) and upstream (kept twice as long, so every downstream
 * that may claim one is released before it). Ties are made when a
 * downstream record is released, against every upstream record still
 * held; the number held is what the traffic of hold_us leaves, bounded by
 * max_held. Lookups are linear scans over that window.
 */
#include <stdlib.h>
#include <string.h>

#include "wire_join.h"

#define DEFAULT_HOLD_US		(3 * INT64_C(1000000))
#define DEFAULT_MAX_HELD	16384
#define DEFAULT_HEADER_BUFFER	4096

struct held {
	struct held *prev, *next;
	struct http_exchange x;
	bool tied;		/* upstream: claimed by a downstream */
	uint64_t claimed;	/* downstream: pass that gave it a connect */
	struct held *att[GW_ATTEMPTS_MAX];	/* downstream: tied so far */
	int n_att;
	bool by_id;		/* downstream: an attempt carried its id */
};

struct held_list {
	struct held *head, *tail;
	size_t n;
};

struct wire_join {
	struct wire_join_opts o;
	wire_join_out_fn out;
	void *ctx;
	struct held_list down, up;
	int64_t now_us;
	uint64_t pass;		/* counts releases, for held.claimed */
	struct wire_join_stats stats;
};

static void
hl_append(struct held_list *l, struct held *h)
{
	h->next = NULL;
	h->prev = l->tail;
	if (l->tail != NULL)
		l->tail->next = h;
	else
		l->head = h;
	l->tail = h;
	l->n++;
}

static void
hl_remove(struct held_list *l, struct held *h)
{
	if (h->prev != NULL)
		h->prev->next = h->next;
	else
		l->head = h->next;
	if (h->next != NULL)
		h->next->prev = h->prev;
	else
		l->tail = h->prev;
	l->n--;
}

/* See wire_join.h. */
struct wire_join *
wire_join_new(const struct wire_join_opts *o, wire_join_out_fn out, void *ctx)
{
	struct wire_join *j = calloc(1, sizeof(*j));

	if (j == NULL)
		return NULL;
	if (o != NULL)
		j->o = *o;
	if (j->o.hold_us <= 0)
		j->o.hold_us = DEFAULT_HOLD_US;
	if (j->o.max_held == 0)
		j->o.max_held = DEFAULT_MAX_HELD;
	if (j->o.header_buffer <= 0)
		j->o.header_buffer = DEFAULT_HEADER_BUFFER;
	j->out = out;
	j->ctx = ctx;
	return j;
}

/* See wire_join.h. */
void
wire_join_free(struct wire_join *j)
{
	struct held *h;

	if (j == NULL)
		return;
	while ((h = j->down.head) != NULL) {
		hl_remove(&j->down, h);
		free(h);
	}
	while ((h = j->up.head) != NULL) {
		hl_remove(&j->up, h);
		free(h);
	}
	free(j);
}

/* See wire_join.h. */
enum gw_cause
wire_join_cause(const struct http_exchange *down,
    const struct http_exchange *const *att, int n)
{
	const struct http_exchange *last = n > 0 ? att[n - 1] : NULL;
	bool is_5xx = down->status >= 500 && down->status <= 599;

	if (down->conn_only)	/* the gateway's own port failed */
		return down->cause;
	if (last != NULL && last->cause != GW_CAUSE_OK)
		return last->cause;
	if (is_5xx) {
		for (int i = n - 1; i >= 0; i--)
			if (att[i]->cause != GW_CAUSE_OK)
				return att[i]->cause;
		return GW_CAUSE_UNKNOWN;
	}
	switch (down->cause) {
	case GW_CAUSE_CLIENT_CLOSED:
	case GW_CAUSE_UPSTREAM_INVALID_RESPONSE:
	case GW_CAUSE_UPSTREAM_TRUNCATED:
		return down->cause;
	default:
		return GW_CAUSE_OK;
	}
}

/* See wire_join.h. */
void
wire_join_refuse(const struct http_exchange *down, struct http_exchange *last,
    int64_t header_buffer)
{
	if (down->status < 500 || down->status > 599 || down->conn_only ||
	    last->cause != GW_CAUSE_OK || last->status < 100 ||
	    last->status >= 500)
		return;
	last->cause = last->header_bytes >= header_buffer ?
	    GW_CAUSE_UPSTREAM_HEADER_TOO_BIG :
	    GW_CAUSE_UPSTREAM_INVALID_RESPONSE;
	last->status = down->status;
}

/* Whether downstream d was open when time t passed. */
static bool
open_at(const struct http_exchange *d, int64_t t)
{
	return d->start_us <= t && t <= d->end_us;
}

/* Whether u's request is d's by method and path. */
static bool
same_request(const struct http_exchange *d, const struct http_exchange *u)
{
	return strcmp(d->method, u->method) == 0 &&
	    strcmp(d->path, u->path) == 0;
}

/*
 * Whether d is the downstream request that owns upstream u by time: of
 * the held downstream requests open when u started (and, when byreq, of
 * the same method and path), d started last.
 */
static bool
owns_by_time(const struct wire_join *j, const struct held *d,
    const struct held *u, bool byreq)
{
	int64_t t = u->x.start_us;

	if (!open_at(&d->x, t))
		return false;
	for (struct held *o = j->down.head; o != NULL; o = o->next) {
		if (o == d || !open_at(&o->x, t) ||
		    (byreq && !same_request(&o->x, &u->x)))
			continue;
		if (o->x.start_us > d->x.start_us)
			return false;
	}
	return true;
}

/*
 * Whether d (being released) owns the failed connect u. A gateway tries
 * one connect at a time per request, so concurrent failed connects go to
 * different requests: of the requests open when u's SYN left that got no
 * connect earlier in this pass, the one that started last owns it.
 */
static bool
owns_connect(struct wire_join *j, struct held *d, const struct held *u)
{
	int64_t t = u->x.start_us;
	struct held *best = NULL, *best_any = NULL;

	if (!open_at(&d->x, t))
		return false;
	for (struct held *o = j->down.head; ; o = o->next) {
		struct held *c = o != NULL ? o : d;

		if (open_at(&c->x, t)) {
			if (best_any == NULL || c->x.start_us > best_any->x.start_us)
				best_any = c;
			if (c->claimed != j->pass && (best == NULL ||
			    c->x.start_us > best->x.start_us))
				best = c;
		}
		if (o == NULL)
			break;
	}
	if (best == NULL)
		best = best_any;
	best->claimed = j->pass;
	return best == d;
}

/* Sort attempts by start time (insertion sort: there are few). */
static void
sort_attempts(const struct http_exchange **a, int n)
{
	for (int i = 1; i < n; i++) {
		const struct http_exchange *x = a[i];
		int k = i - 1;

		while (k >= 0 && a[k]->start_us > x->start_us) {
			a[k + 1] = a[k];
			k--;
		}
		a[k + 1] = x;
	}
}

/* Tie upstream u to downstream d. */
static void
tie(struct held *d, struct held *u)
{
	if (d->n_att < GW_ATTEMPTS_MAX) {
		d->att[d->n_att++] = u;
		u->tied = true;
	}
}

/*
 * Tie to d the upstream requests that are its by id, or else by method
 * and path. Only records that ended after d started can be d's: the list
 * is in end order, so the scan walks back from the newest and stops there.
 */
static void
tie_requests(struct wire_join *j, struct held *d)
{
	const struct http_exchange *x = &d->x;
	struct held *best = NULL;

	for (struct held *u = j->up.tail; u != NULL &&
	    u->x.end_us >= x->start_us; u = u->prev) {
		if (u->tied || u->x.conn_only || x->request_id[0] == '\0' ||
		    strcmp(u->x.request_id, x->request_id) != 0)
			continue;
		tie(d, u);
		d->by_id = true;
		j->stats.tied_id++;
	}
	if (d->by_id || d->n_att > 0)
		return;
	/* One attempt by method and path: the first that started while d
	 * was open and that no later request of the same kind owns. */
	for (struct held *u = j->up.tail; u != NULL &&
	    u->x.end_us >= x->start_us; u = u->prev) {
		if (u->tied || u->x.conn_only || !u->x.has_request ||
		    (u->x.request_id[0] != '\0' && x->request_id[0] != '\0') ||
		    !same_request(x, &u->x) || !owns_by_time(j, d, u, true))
			continue;
		if (best == NULL || u->x.start_us < best->x.start_us)
			best = u;
	}
	if (best != NULL) {
		tie(d, best);
		j->stats.tied_match++;
	}
}

/* Tie to d the failed connects (no request) that are its by time. */
static void
tie_connects(struct wire_join *j, struct held *d)
{
	struct held *found[GW_ATTEMPTS_MAX];
	int n = 0;

	j->pass++;
	for (struct held *u = j->up.tail; u != NULL && n < GW_ATTEMPTS_MAX &&
	    u->x.end_us >= d->x.start_us; u = u->prev)
		if (!u->tied && u->x.conn_only)
			found[n++] = u;
	/* in time order, so concurrent connects spread over requests */
	for (int i = n - 1; i >= 0; i--) {
		if (owns_connect(j, d, found[i])) {
			tie(d, found[i]);
			j->stats.tied_time++;
		}
	}
}

/* Release downstream d: emit it with its attempts, free them all. */
static int
release(struct wire_join *j, struct held *d)
{
	const struct http_exchange *att[GW_ATTEMPTS_MAX];
	const struct http_exchange *x = &d->x;
	int n, rc;

	hl_remove(&j->down, d);
	tie_requests(j, d);	/* late upstream records */
	tie_connects(j, d);
	n = d->n_att;
	for (int i = 0; i < n; i++)
		att[i] = &d->att[i]->x;
	sort_attempts(att, n);
	if (n > 0)
		wire_join_refuse(x, (struct http_exchange *)att[n - 1],
		    j->o.header_buffer);
	enum gw_cause cause = wire_join_cause(x, att, n);
	if (cause != GW_CAUSE_OK || (x->status >= 500 && x->status <= 599)) {
		j->stats.failed++;
		if (n > 0)
			j->stats.failed_tied++;
	}
	rc = j->out(j->ctx, x, att, n, cause);
	for (int i = 0; i < n; i++) {
		hl_remove(&j->up, d->att[i]);
		free(d->att[i]);
	}
	free(d);
	return rc;
}

/* An upstream record that no downstream claimed in time. */
static void
drop_upstream(struct wire_join *j, struct held *u)
{
	hl_remove(&j->up, u);
	j->stats.upstream_untied++;
	free(u);
}

/*
 * Whether d can go now: it succeeded and an attempt already tied gave the
 * same status with no failure (a failure waits for slower evidence).
 */
static bool
answered(const struct held *d)
{
	int s = d->x.status;

	if ((s >= 500 && s <= 599) || d->x.cause != GW_CAUSE_OK)
		return false;
	for (int i = 0; i < d->n_att; i++)
		if (d->att[i]->x.cause == GW_CAUSE_OK &&
		    d->att[i]->x.status == s)
			return true;
	return false;
}

/* See wire_join.h. */
int
wire_join_add(struct wire_join *j, const struct http_exchange *x)
{
	struct held *h = malloc(sizeof(*h));

	if (h == NULL)
		return -1;
	h->x = *x;
	h->tied = false;
	h->claimed = 0;
	h->n_att = 0;
	h->by_id = false;
	if (x->end_us > j->now_us)
		j->now_us = x->end_us;
	if (x->downstream) {
		j->stats.downstream++;
		hl_append(&j->down, h);
		tie_requests(j, h);
		if (answered(h))
			return release(j, h);
	} else {
		j->stats.upstream++;
		hl_append(&j->up, h);
	}
	return 0;
}

/* See wire_join.h. */
int
wire_join_advance(struct wire_join *j, int64_t now_us)
{
	struct held *h;

	if (now_us > j->now_us)
		j->now_us = now_us;
	while ((h = j->down.head) != NULL &&
	    (h->x.end_us + j->o.hold_us <= j->now_us ||
	    j->down.n > j->o.max_held)) {
		if (j->down.n > j->o.max_held)
			j->stats.forced++;
		if (release(j, h) != 0)
			return -1;
	}
	/*
	 * Upstream records in age order; one a held downstream has claimed
	 * stays with it (it is freed with it) and is stepped over, so a
	 * claimed record whose downstream lingers (a hostile capture can
	 * give it an end far ahead) never keeps the others from going.
	 * The list holds at most max_held unclaimed records, plus those the
	 * held downstreams claimed (GW_ATTEMPTS_MAX each at most).
	 */
	struct held *next;
	for (h = j->up.head; h != NULL; h = next) {
		next = h->next;
		if (h->tied)
			continue;
		if (h->x.end_us + 2 * j->o.hold_us > j->now_us &&
		    j->up.n <= j->o.max_held)
			break;
		if (j->up.n > j->o.max_held)
			j->stats.forced++;
		drop_upstream(j, h);
	}
	return 0;
}

/* See wire_join.h. */
int
wire_join_flush(struct wire_join *j)
{
	struct held *h;

	while ((h = j->down.head) != NULL)
		if (release(j, h) != 0)
			return -1;
	while ((h = j->up.head) != NULL)
		drop_upstream(j, h);
	return 0;
}

/* See wire_join.h. */
void
wire_join_stats(const struct wire_join *j, struct wire_join_stats *s)
{
	*s = j->stats;
}
