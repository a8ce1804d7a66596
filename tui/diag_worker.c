/*
 * diag_worker.c - the diagnosis models built on a thread; see
 * diag_worker.h.
 *
 * Hand-over: one mutex and one condition variable guard the request (the
 * newest spec and its number) and the result (the model of the newest
 * number, not yet taken). The console thread only writes a request and
 * takes a result; the worker thread only reads requests and writes
 * results. Each result is owned by exactly one side at a time: the worker
 * until it is stored under the lock, then the console once taken; a
 * result for an older number than the newest request is freed by the
 * worker and never seen.
 *
 * Cutting a build short: two atomics, read without the lock, say which
 * request is newest and whether the worker is stopping. A progress
 * handler on the worker's own connection checks them every few thousand
 * SQLite instructions and interrupts the statement when the running build
 * is no longer wanted; analyze/ then fails like on any SQLite error, and
 * the worker throws that outcome away (store_set_progress installs the
 * handler on the worker's connection). After an interrupted or failed build the connection is closed and the
 * next build opens a fresh one, so no half-done statement or transaction
 * carries over.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "tui/diag_worker.h"

struct diag_worker {
	const struct store *view;	/* the console's; its database */
	diag_build_fn build;
	void *ctx;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;		/* a request, or stop */
	/* Under lock. */
	struct diagnosis_spec want;	/* the newest request */
	uint64_t asked;			/* its number, 0 none yet */
	uint64_t started;		/* the last number the worker began */
	bool ready;			/* result is the outcome of `asked` */
	struct diagnosis *result;	/* NULL when the build failed */
	char result_err[256];
	bool stopping;
	/* Lock-free, for the progress handler. */
	atomic_uint_fast64_t newest;	/* = asked */
	atomic_uint_fast64_t building;	/* the number being built, 0 none */
	atomic_bool stop;
	/* The worker thread's own. */
	struct store *store;
	bool given;			/* store is the caller's: kept on a
					   failed build, never closed here */
};

/* See diag_worker.h. */
bool
diag_worker_abandoned(const struct diag_worker *w)
{
	uint_fast64_t b = atomic_load(&w->building);

	return atomic_load(&w->stop) || (b != 0 &&
	    b != atomic_load(&w->newest));
}

/* Progress handler: non-zero interrupts the statement. */
static int
diag_worker_progress(void *arg)
{
	return diag_worker_abandoned(arg) ? 1 : 0;
}

/* The default builder. */
static int
diag_worker_default_build(void *ctx, const struct diag_worker *w,
    struct store *s, const struct diagnosis_spec *spec,
    struct diagnosis **out, char *err, size_t errlen)
{
	(void)ctx;
	(void)w;
	return diagnosis_build(s, spec, out, err, errlen);
}

/* Open the worker's connection if it has none; 0 or -1 with err. */
static int
diag_worker_open(struct diag_worker *w, char *err, size_t errlen)
{
	int rc;

	if (w->store != NULL)
		return 0;
	rc = store_open_reader(w->view, &w->store, err, errlen);
	if (rc == 0)
		store_set_progress(w->store, diag_worker_progress, w);
	return rc;
}

/* Build the model of request number n; store the outcome if still wanted. */
static void
diag_worker_run(struct diag_worker *w, const struct diagnosis_spec *spec,
    uint64_t n)
{
	struct diagnosis *d = NULL;
	char err[256] = "";
	int rc;

	atomic_store(&w->building, n);
	rc = diag_worker_open(w, err, sizeof(err));
	if (rc == 0 && !diag_worker_abandoned(w))
		rc = w->build(w->ctx, w, w->store, spec, &d, err, sizeof(err));
	if (rc != 0 && w->store != NULL && !w->given) {
		/* Start the next build on a clean connection. */
		store_close(w->store);
		w->store = NULL;
	}
	atomic_store(&w->building, 0);
	pthread_mutex_lock(&w->lock);
	if (n == w->asked && !w->stopping) {
		diagnosis_free(w->result);
		w->result = rc == 0 ? d : NULL;
		d = NULL;
		snprintf(w->result_err, sizeof(w->result_err), "%s",
		    rc == 0 ? "" : err[0] != '\0' ? err : "failed");
		w->ready = true;
	}
	pthread_mutex_unlock(&w->lock);
	diagnosis_free(d);	/* superseded meanwhile */
}

/* The thread: wait for a request, build it, until stopped. */
static void *
diag_worker_main(void *arg)
{
	struct diag_worker *w = arg;
	struct diagnosis_spec spec;
	uint64_t n;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (!w->stopping && w->started == w->asked)
			pthread_cond_wait(&w->wake, &w->lock);
		if (w->stopping)
			break;
		spec = w->want;
		n = w->started = w->asked;
		pthread_mutex_unlock(&w->lock);
		diag_worker_run(w, &spec, n);
		pthread_mutex_lock(&w->lock);
	}
	pthread_mutex_unlock(&w->lock);
	if (!w->given)
		store_close(w->store);
	w->store = NULL;
	return NULL;
}

/* See diag_worker.h. */
int
diag_worker_new(const struct store *view, diag_build_fn build, void *ctx,
    struct diag_worker **out, char *err, size_t errlen)
{
	return diag_worker_new_on(view, NULL, build, ctx, out, err, errlen);
}

/* See diag_worker.h. */
int
diag_worker_new_on(const struct store *view, struct store *s,
    diag_build_fn build,
    void *ctx, struct diag_worker **out, char *err, size_t errlen)
{
	struct diag_worker *w = gw_calloc(1, sizeof(*w));
	sigset_t sigs, old;
	int rc;

	*out = NULL;
	if (w == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	w->view = view;
	w->build = build != NULL ? build : diag_worker_default_build;
	if (s != NULL) {
		w->store = s;
		w->given = true;
		store_set_progress(s, diag_worker_progress, w);
	}
	w->ctx = ctx;
	atomic_init(&w->newest, 0);
	atomic_init(&w->building, 0);
	atomic_init(&w->stop, false);
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->wake, NULL);
	/* Terminal signals (resize, ^C) stay with the console's thread. */
	sigfillset(&sigs);
	pthread_sigmask(SIG_BLOCK, &sigs, &old);
	rc = pthread_create(&w->thread, NULL, diag_worker_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		pthread_cond_destroy(&w->wake);
		pthread_mutex_destroy(&w->lock);
		free(w);
		snprintf(err, errlen, "cannot start the diagnosis thread");
		return -1;
	}
	*out = w;
	return 0;
}

/* See diag_worker.h. */
void
diag_worker_free(struct diag_worker *w)
{
	if (w == NULL)
		return;
	atomic_store(&w->stop, true);
	pthread_mutex_lock(&w->lock);
	w->stopping = true;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	diagnosis_free(w->result);
	pthread_cond_destroy(&w->wake);
	pthread_mutex_destroy(&w->lock);
	free(w);
}

/* See diag_worker.h. */
void
diag_worker_request(struct diag_worker *w, const struct diagnosis_spec *spec)
{
	pthread_mutex_lock(&w->lock);
	w->want = *spec;
	w->asked++;
	atomic_store(&w->newest, w->asked);
	/* An outcome not yet taken is of an older request now. */
	diagnosis_free(w->result);
	w->result = NULL;
	w->ready = false;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
}

/* See diag_worker.h. */
int
diag_worker_take(struct diag_worker *w, struct diagnosis **out, char *err,
    size_t errlen)
{
	int taken = 0;

	*out = NULL;
	pthread_mutex_lock(&w->lock);
	if (w->ready) {
		*out = w->result;
		if (w->result == NULL)
			snprintf(err, errlen, "%s", w->result_err);
		w->result = NULL;
		w->ready = false;
		taken = 1;
	}
	pthread_mutex_unlock(&w->lock);
	return taken;
}
