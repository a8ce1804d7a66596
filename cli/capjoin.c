/*
 * capjoin.c - the wire join's thread; see capjoin.h.
 *
 * Two chunks, as cli/pipeline.c has two batches: `filling` belongs to the
 * capture side, `pending` to the join thread while `busy` is set; one
 * mutex and one condition variable guard the hand-over. A chunk is a run
 * of records, each a tag (type, size) and its payload, 8-byte aligned;
 * its buffer is allocated once, CAPJOIN_CHUNK plus room for the largest
 * record (HTTP_EXCHANGE_PACK_MAX: the strings are bounded by struct
 * http_exchange's arrays), so a record always fits after a hand-over and
 * memory never grows.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/capjoin.h"
#include "core/alloc.h"
#include "core/quiet_thread.h"

#define CHUNK_CAP	(CAPJOIN_CHUNK + HTTP_EXCHANGE_PACK_MAX + 64)

enum { REC_EXCHANGE = 1, REC_TICK = 2 };

struct rec_tag {
	uint32_t type;
	uint32_t size;		/* the whole record's, a multiple of 8 */
};

struct rec_tick {
	int64_t ts_us;
	uint64_t position, line_no;
	uint32_t advance, packet;
};

struct chunk {
	uint8_t *buf;
	size_t len;
	bool finish;		/* run fns.finish after its records */
};

struct capjoin {
	struct capjoin_fns fns;
	void *ctx;
	struct chunk chunks[2];
	struct chunk *filling, *pending;
	bool busy, stop, failed;
	bool started;		/* the thread runs */
	char error[512];
	struct http_exchange scratch;	/* the join thread's */
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
};

_Static_assert(sizeof(struct rec_tag) % 8 == 0 &&
    sizeof(struct rec_tick) % 8 == 0, "records stay 8-byte aligned");

/* The join thread: the records of chunk k, in order; 0 or -1 (err). */
static int
run_records(struct capjoin *c, const struct chunk *k, char *err,
    size_t errlen)
{
	size_t off = 0;

	while (off < k->len) {
		struct rec_tag tag;
		const uint8_t *p = k->buf + off + sizeof(tag);
		int rc;

		memcpy(&tag, k->buf + off, sizeof(tag));
		if (tag.type == REC_EXCHANGE) {
			http_exchange_unpack(p, &c->scratch);
			rc = c->fns.exchange(c->ctx, &c->scratch, err, errlen);
		} else {
			struct rec_tick t;

			memcpy(&t, p, sizeof(t));
			rc = c->fns.tick(c->ctx, t.ts_us, t.advance != 0,
			    t.packet != 0, t.position, t.line_no, err, errlen);
		}
		if (rc != 0)
			return -1;
		off += tag.size;
	}
	return 0;
}

/*
 * The join thread: chunk k. After a failure (failed, or a record of k)
 * its records are dropped, but finish still runs: what the join holds is
 * released and counted, as the packet loop flushed the join after its own
 * failures. 0 or -1 (err: the first error).
 */
static int
run_chunk(struct capjoin *c, const struct chunk *k, bool failed, char *err,
    size_t errlen)
{
	int rc = failed ? 0 : run_records(c, k, err, errlen);

	if (k->finish) {
		char ferr[512] = "";

		if (c->fns.finish(c->ctx, ferr, sizeof(ferr)) != 0 &&
		    rc == 0 && !failed) {
			snprintf(err, errlen, "%s", ferr);
			rc = -1;
		}
	}
	return rc;
}

static void *
join_main(void *arg)
{
	struct capjoin *c = arg;

	pthread_mutex_lock(&c->mu);
	for (;;) {
		while (!c->busy && !c->stop)
			pthread_cond_wait(&c->cv, &c->mu);
		if (!c->busy && c->stop)
			break;
		struct chunk *k = c->pending;
		bool failed = c->failed;
		pthread_mutex_unlock(&c->mu);
		char err[512] = "";
		int rc = run_chunk(c, k, failed, err, sizeof(err));
		k->len = 0;
		k->finish = false;
		pthread_mutex_lock(&c->mu);
		if (rc != 0 && !c->failed) {
			c->failed = true;
			snprintf(c->error, sizeof(c->error), "%s",
			    err[0] != '\0' ? err : "out of memory");
		}
		c->busy = false;
		pthread_cond_broadcast(&c->cv);
	}
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

/* See capjoin.h. */
struct capjoin *
capjoin_new(const struct capjoin_fns *fns, void *ctx, char *err,
    size_t errlen)
{
	struct capjoin *c = gw_calloc(1, sizeof(*c));

	if (c == NULL || (c->chunks[0].buf = gw_malloc(CHUNK_CAP)) == NULL ||
	    (c->chunks[1].buf = gw_malloc(CHUNK_CAP)) == NULL) {
		snprintf(err, errlen, "out of memory");
		capjoin_free(c);
		return NULL;
	}
	c->fns = *fns;
	c->ctx = ctx;
	c->filling = &c->chunks[0];
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	/* no signal lands on it: they are the capture loop's and console's */
	if (quiet_thread_create(&c->thread, join_main, c) != 0) {
		snprintf(err, errlen, "cannot start the join thread");
		capjoin_free(c);
		return NULL;
	}
	c->started = true;
	return c;
}

/* With c->mu held: wait for the thread to be idle; 0 or -1 (err). */
static int
wait_idle(struct capjoin *c, char *err, size_t errlen)
{
	while (c->busy)
		pthread_cond_wait(&c->cv, &c->mu);
	if (c->failed) {
		snprintf(err, errlen, "%s", c->error);
		return -1;
	}
	return 0;
}

/* With c->mu held and the thread idle: the filling chunk is its. */
static void
pass_filling(struct capjoin *c)
{
	c->pending = c->filling;
	c->filling = c->filling == &c->chunks[0] ? &c->chunks[1] :
	    &c->chunks[0];
	c->busy = true;
	pthread_cond_broadcast(&c->cv);
}

/* Hand the filling chunk over. */
static int
handoff(struct capjoin *c, char *err, size_t errlen)
{
	pthread_mutex_lock(&c->mu);
	int rc = wait_idle(c, err, errlen);
	if (rc == 0)
		pass_filling(c);
	pthread_mutex_unlock(&c->mu);
	return rc;
}

/* Room for a record of size n (tag included) in the filling chunk. */
static int
room(struct capjoin *c, size_t n, char *err, size_t errlen)
{
	if (c->filling->len + n <= CHUNK_CAP)
		return 0;
	return handoff(c, err, errlen);
}

/* After a record: hand a full chunk over. */
static int
added(struct capjoin *c, char *err, size_t errlen)
{
	return c->filling->len >= CAPJOIN_CHUNK ? handoff(c, err, errlen) : 0;
}

/* See capjoin.h. */
int
capjoin_exchange(struct capjoin *c, const struct http_exchange *x, char *err,
    size_t errlen)
{
	struct rec_tag tag = {REC_EXCHANGE, 0};

	if (room(c, sizeof(tag) + HTTP_EXCHANGE_PACK_MAX, err, errlen) != 0)
		return -1;
	uint8_t *p = c->filling->buf + c->filling->len;
	tag.size = (uint32_t)(sizeof(tag) + http_exchange_pack(x,
	    p + sizeof(tag)));
	memcpy(p, &tag, sizeof(tag));
	c->filling->len += tag.size;
	return added(c, err, errlen);
}

/* See capjoin.h. */
void *
capjoin_reserve(struct capjoin *c, char *err, size_t errlen)
{
	if (room(c, sizeof(struct rec_tag) + HTTP_EXCHANGE_PACK_MAX, err,
	    errlen) != 0)
		return NULL;
	return c->filling->buf + c->filling->len + sizeof(struct rec_tag);
}

/* See capjoin.h. */
int
capjoin_commit(struct capjoin *c, size_t size, char *err, size_t errlen)
{
	struct rec_tag tag = {REC_EXCHANGE, (uint32_t)(sizeof(tag) + size)};

	/* (capjoin_reserve made room for HTTP_EXCHANGE_PACK_MAX) */
	if (size > HTTP_EXCHANGE_PACK_MAX || size % 8 != 0) {
		snprintf(err, errlen, "capjoin: a packed exchange of %zu "
		    "bytes", size);
		return -1;
	}
	memcpy(c->filling->buf + c->filling->len, &tag, sizeof(tag));
	c->filling->len += tag.size;
	return added(c, err, errlen);
}

/* See capjoin.h. */
int
capjoin_tick(struct capjoin *c, int64_t ts_us, bool advance, bool packet,
    uint64_t position, uint64_t line_no, char *err, size_t errlen)
{
	struct rec_tag tag = {REC_TICK, sizeof(tag) + sizeof(struct rec_tick)};
	struct rec_tick t = {ts_us, position, line_no, advance, packet};

	if (room(c, tag.size, err, errlen) != 0)
		return -1;
	uint8_t *p = c->filling->buf + c->filling->len;
	memcpy(p, &tag, sizeof(tag));
	memcpy(p + sizeof(tag), &t, sizeof(t));
	c->filling->len += tag.size;
	return added(c, err, errlen);
}

/* See capjoin.h. */
int
capjoin_handoff(struct capjoin *c, char *err, size_t errlen)
{
	int rc = 0;

	if (c->filling->len == 0)
		return 0;
	/* never waits: while the thread works, the records stay for the
	 * next call (the packet loop must not stall on the join) */
	pthread_mutex_lock(&c->mu);
	if (c->failed) {
		snprintf(err, errlen, "%s", c->error);
		rc = -1;
	} else if (!c->busy)
		pass_filling(c);
	pthread_mutex_unlock(&c->mu);
	return rc;
}

/* See capjoin.h. */
int
capjoin_finish(struct capjoin *c, char *err, size_t errlen)
{
	int rc;

	/* handed over even after a failure: the thread drops its records
	 * but runs finish */
	c->filling->finish = true;
	pthread_mutex_lock(&c->mu);
	while (c->busy)
		pthread_cond_wait(&c->cv, &c->mu);
	pass_filling(c);
	rc = wait_idle(c, err, errlen);
	c->stop = true;
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mu);
	pthread_join(c->thread, NULL);
	c->started = false;
	return rc;
}

/* See capjoin.h. */
void
capjoin_free(struct capjoin *c)
{
	if (c == NULL)
		return;
	if (c->started) {
		pthread_mutex_lock(&c->mu);
		while (c->busy)
			pthread_cond_wait(&c->cv, &c->mu);
		c->stop = true;
		pthread_cond_broadcast(&c->cv);
		pthread_mutex_unlock(&c->mu);
		pthread_join(c->thread, NULL);
		c->started = false;
	}
	if (c->filling != NULL) {	/* mu and cv were made */
		pthread_mutex_destroy(&c->mu);
		pthread_cond_destroy(&c->cv);
	}
	free(c->chunks[0].buf);
	free(c->chunks[1].buf);
	free(c);
}
