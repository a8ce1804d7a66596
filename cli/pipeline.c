/*
 * pipeline.c - batches and a writer thread; see pipeline.h.
 *
 * Each batch is FREE, FILLING (the caller's), QUEUED, WRITING (the
 * writer's) or, with a sink that reads on after it returned
 * (pipeline_new_async), READ until its mark says the sink is done with
 * it. Batches go to the sink in the order they were handed over (seq).
 * The caller takes a free batch, else waits on its own thread for the
 * sink to be done with the oldest read one (its mark), else for the
 * writer. The writer, before it sleeps, waits until the sink reads no
 * batch (drain): what the sink may need of the writer's thread to get
 * there (store.h: the block encoder waits for the blocks it finished to
 * be inserted) happens there, and the caller never waits on a writer
 * that sleeps. A mutex and one condition variable guard the states; the
 * first error of the writer is kept and returned at the next call.
 * The writer thread takes no signal (nor do the threads it starts, such
 * as store/blocks.c's): they are the caller's, whose loop waits for them
 * (poll(2) in tail, the capture's read) and whose handler stops it.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/pipeline.h"
#include "core/quiet_thread.h"

/*
 * Two batches, with an async sink too: the one filled, the one written
 * or read. A third (the caller up to two batches ahead of the writer)
 * cost 5 MiB of peak RSS (1M production lines: 56 -> 61 MiB, 10M: 59 ->
 * 66 with a third encoder in blocks.c, past issue 11's 64) for a gain
 * the shared 2-core machine (load 6-8) could not show.
 */
#define PIPELINE_BATCHES	2

enum { PB_FREE, PB_FILLING, PB_QUEUED, PB_WRITING, PB_READ };

struct pipeline {
	gw_sink_fn sink;
	pipeline_async_fn async;	/* or NULL: sink */
	pipeline_read_fn read;
	void *ctx;
	struct gw_batch batches[PIPELINE_BATCHES];
	int state[PIPELINE_BATCHES];
	uint64_t seq[PIPELINE_BATCHES];	/* order handed over */
	uint64_t mark[PIPELINE_BATCHES];	/* PB_READ: the sink's */
	uint64_t next_seq;
	int filling;			/* index of the caller's batch */
	int queued;			/* batches QUEUED or WRITING */
	bool draining;			/* the writer waits for the sink */
	bool drained;			/* and has since its last batch */
	bool stop;
	bool failed;
	char error[512];
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
};

/* With p->mu held: the oldest batch in state st, or -1. */
static int
oldest(const struct pipeline *p, int st)
{
	int i = -1;

	for (int k = 0; k < PIPELINE_BATCHES; k++)
		if (p->state[k] == st && (i < 0 || p->seq[k] < p->seq[i]))
			i = k;
	return i;
}

/* With p->mu held: note the writer's first failure. */
static void
note_failure(struct pipeline *p, const char *err)
{
	if (!p->failed) {
		p->failed = true;
		snprintf(p->error, sizeof(p->error), "%s", err);
	}
}

/* With p->mu held: free every batch the sink reads (it reads none now). */
static void
free_read(struct pipeline *p)
{
	for (int k = 0; k < PIPELINE_BATCHES; k++)
		if (p->state[k] == PB_READ) {
			batch_clear(&p->batches[k]);
			p->state[k] = PB_FREE;
		}
}

static void *
writer_main(void *arg)
{
	struct pipeline *p = arg;

	quiet_thread_name("gw-writer");
	pthread_mutex_lock(&p->mu);
	for (;;) {
		int i = oldest(p, PB_QUEUED);

		if (i < 0 && p->read != NULL && !p->drained) {
			/* about to sleep: the sink done with every batch (and
			 * with what it does on this thread meanwhile) */
			char err[512] = "";

			p->draining = true;
			pthread_mutex_unlock(&p->mu);
			int rc = p->read(p->ctx, 0, true, err, sizeof(err));
			pthread_mutex_lock(&p->mu);
			p->draining = false;
			p->drained = true;
			if (rc < 0)
				note_failure(p, err);
			free_read(p);
			pthread_cond_broadcast(&p->cv);
			continue;
		}
		if (i < 0) {
			if (p->stop)
				break;
			pthread_cond_wait(&p->cv, &p->mu);
			continue;
		}
		struct gw_batch *b = &p->batches[i];
		bool failed = p->failed;
		uint64_t mark = 0;

		p->state[i] = PB_WRITING;
		p->drained = false;
		pthread_mutex_unlock(&p->mu);
		char err[512] = "";
		int rc = 0;
		if (!failed)
			rc = p->async != NULL ? p->async(p->ctx, b, &mark, err,
			    sizeof(err)) : p->sink(p->ctx, b, err, sizeof(err));
		pthread_mutex_lock(&p->mu);
		if (rc != 0)
			note_failure(p, err);
		if (p->async != NULL && !failed && rc == 0 && mark > 0) {
			p->state[i] = PB_READ;
			p->mark[i] = mark;
		} else {
			batch_clear(b);
			p->state[i] = PB_FREE;
		}
		p->queued--;
		pthread_cond_broadcast(&p->cv);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

static struct pipeline *
pipeline_make(gw_sink_fn sink, pipeline_async_fn async, pipeline_read_fn read,
    void *ctx, char *err, size_t errlen)
{
	struct pipeline *p = calloc(1, sizeof(*p));
	int k;

	if (p == NULL)
		goto oom;
	p->sink = sink;
	p->async = async;
	p->read = read;
	p->ctx = ctx;
	for (k = 0; k < PIPELINE_BATCHES; k++)
		if (batch_init(&p->batches[k]) != 0)
			goto oom;
	p->filling = 0;
	p->state[0] = PB_FILLING;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	if (quiet_thread_create(&p->thread, writer_main, p) != 0) {
		snprintf(err, errlen, "cannot start the writer thread");
		pthread_mutex_destroy(&p->mu);
		pthread_cond_destroy(&p->cv);
		for (k = 0; k < PIPELINE_BATCHES; k++)
			batch_destroy(&p->batches[k]);
		free(p);
		return NULL;
	}
	return p;
oom:
	snprintf(err, errlen, "out of memory");
	if (p != NULL) {
		for (k = 0; k < PIPELINE_BATCHES; k++)
			batch_destroy(&p->batches[k]);
		free(p);
	}
	return NULL;
}

struct pipeline *
pipeline_new(gw_sink_fn sink, void *ctx, char *err, size_t errlen)
{
	return pipeline_make(sink, NULL, NULL, ctx, err, errlen);
}

struct pipeline *
pipeline_new_async(pipeline_async_fn sink, pipeline_read_fn read, void *ctx,
    char *err, size_t errlen)
{
	return pipeline_make(NULL, sink, read, ctx, err, errlen);
}

struct gw_batch *
pipeline_batch(struct pipeline *p)
{
	return &p->batches[p->filling];
}

/* With p->mu held: 0, or -1 with err set if the writer failed. */
static int
failure(struct pipeline *p, char *err, size_t errlen)
{
	if (p->failed) {
		snprintf(err, errlen, "%s", p->error);
		return -1;
	}
	return 0;
}

/* With p->mu held: wait until the writer stored everything handed over
 * and sleeps, the sink reading no batch (drained); 0 or -1 as above. */
static int
wait_idle(struct pipeline *p, char *err, size_t errlen)
{
	while (p->queued > 0 || p->draining ||
	    (p->read != NULL && !p->drained))
		pthread_cond_wait(&p->cv, &p->mu);
	return failure(p, err, errlen);
}

int
pipeline_flush(struct pipeline *p, char *err, size_t errlen)
{
	pthread_mutex_lock(&p->mu);
	int rc = failure(p, err, errlen);
	if (rc != 0) {
		pthread_mutex_unlock(&p->mu);
		return rc;
	}
	struct gw_batch *full = &p->batches[p->filling];
	int next;

	p->state[p->filling] = PB_QUEUED;
	p->seq[p->filling] = p->next_seq++;
	p->queued++;
	pthread_cond_broadcast(&p->cv);
	for (;;) {
		if ((next = oldest(p, PB_FREE)) >= 0)
			break;
		int r = oldest(p, PB_READ);
		if (r >= 0 && !p->draining) {
			/* the sink's mark, on this thread: not the writer */
			uint64_t mark = p->mark[r];

			pthread_mutex_unlock(&p->mu);
			(void)p->read(p->ctx, mark, true, NULL, 0);
			pthread_mutex_lock(&p->mu);
			if (p->state[r] == PB_READ && p->mark[r] == mark) {
				batch_clear(&p->batches[r]);
				p->state[r] = PB_FREE;
			}
			continue;
		}
		pthread_cond_wait(&p->cv, &p->mu);
	}
	/* The next batch continues the same source. */
	struct gw_batch *b = &p->batches[next];
	b->source_id = full->source_id;
	b->position = full->position;
	b->line_no = full->line_no;
	b->held_bytes = full->held_bytes;
	b->held_lines = full->held_lines;
	p->state[next] = PB_FILLING;
	p->filling = next;
	pthread_mutex_unlock(&p->mu);
	return 0;
}

int
pipeline_sync(struct pipeline *p, char *err, size_t errlen)
{
	pthread_mutex_lock(&p->mu);
	int rc = wait_idle(p, err, errlen);
	pthread_mutex_unlock(&p->mu);
	return rc;
}

int
pipeline_free(struct pipeline *p, char *err, size_t errlen)
{
	if (p == NULL)
		return 0;
	pthread_mutex_lock(&p->mu);
	int rc = wait_idle(p, err, errlen);
	p->stop = true;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	pthread_join(p->thread, NULL);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	for (int k = 0; k < PIPELINE_BATCHES; k++)
		batch_destroy(&p->batches[k]);
	free(p);
	return rc;
}
