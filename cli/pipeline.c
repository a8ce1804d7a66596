/*
 * pipeline.c - two batches and a writer thread; see pipeline.h.
 *
 * State: `filling` belongs to the caller, `pending` to the writer while
 * `busy` is set. A mutex and one condition variable guard the hand-over;
 * the first error of the writer is kept and returned at the next call.
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

struct pipeline {
	gw_sink_fn sink;
	void *ctx;
	struct gw_batch batches[2];
	struct gw_batch *filling;
	struct gw_batch *pending;
	bool busy;		/* pending is being (or waits to be) stored */
	bool stop;
	bool failed;
	char error[512];
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
};

static void *
writer_main(void *arg)
{
	struct pipeline *p = arg;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->busy && !p->stop)
			pthread_cond_wait(&p->cv, &p->mu);
		if (!p->busy && p->stop)
			break;
		struct gw_batch *b = p->pending;
		pthread_mutex_unlock(&p->mu);
		char err[512] = "";
		int rc = p->failed ? 0 : p->sink(p->ctx, b, err, sizeof(err));
		batch_clear(b);
		pthread_mutex_lock(&p->mu);
		if (rc != 0 && !p->failed) {
			p->failed = true;
			snprintf(p->error, sizeof(p->error), "%s", err);
		}
		p->busy = false;
		pthread_cond_broadcast(&p->cv);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

struct pipeline *
pipeline_new(gw_sink_fn sink, void *ctx, char *err, size_t errlen)
{
	struct pipeline *p = calloc(1, sizeof(*p));
	if (p == NULL)
		goto oom;
	p->sink = sink;
	p->ctx = ctx;
	if (batch_init(&p->batches[0]) != 0)
		goto oom;
	if (batch_init(&p->batches[1]) != 0)
		goto oom;
	p->filling = &p->batches[0];
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	if (quiet_thread_create(&p->thread, writer_main, p) != 0) {
		snprintf(err, errlen, "cannot start the writer thread");
		batch_destroy(&p->batches[0]);
		batch_destroy(&p->batches[1]);
		free(p);
		return NULL;
	}
	return p;
oom:
	snprintf(err, errlen, "out of memory");
	if (p != NULL) {
		batch_destroy(&p->batches[0]);
		batch_destroy(&p->batches[1]);
		free(p);
	}
	return NULL;
}

struct gw_batch *
pipeline_batch(struct pipeline *p)
{
	return p->filling;
}

/* With p->mu held: wait for the writer to be idle; 0 or -1 if it failed. */
static int
wait_idle(struct pipeline *p, char *err, size_t errlen)
{
	while (p->busy)
		pthread_cond_wait(&p->cv, &p->mu);
	if (p->failed) {
		snprintf(err, errlen, "%s", p->error);
		return -1;
	}
	return 0;
}

int
pipeline_flush(struct pipeline *p, char *err, size_t errlen)
{
	pthread_mutex_lock(&p->mu);
	int rc = wait_idle(p, err, errlen);
	if (rc == 0) {
		struct gw_batch *full = p->filling;
		struct gw_batch *next = full == &p->batches[0] ?
		    &p->batches[1] : &p->batches[0];
		/* The next batch continues the same source. */
		next->source_id = full->source_id;
		next->position = full->position;
		next->line_no = full->line_no;
		next->held_bytes = full->held_bytes;
		next->held_lines = full->held_lines;
		p->pending = full;
		p->filling = next;
		p->busy = true;
		pthread_cond_broadcast(&p->cv);
	}
	pthread_mutex_unlock(&p->mu);
	return rc;
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
	batch_destroy(&p->batches[0]);
	batch_destroy(&p->batches[1]);
	free(p);
	return rc;
}
