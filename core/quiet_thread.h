/*
 * quiet_thread.h - start a worker thread that takes no signal.
 *
 * Signals are the loop's and the console's: their handlers set a stop
 * flag, and a signal interrupts the wait they are in. A worker (the
 * store's writer and its block encoder, capture's join thread) starts with
 * every signal blocked, so none lands on it instead; threads it starts
 * inherit that mask. quiet_thread_name() names the calling thread, as
 * top -H, perf and /proc/PID/task/TID/comm then show it (the process keeps
 * its own name: the main thread's).
 */
#ifndef GW_QUIET_THREAD_H
#define GW_QUIET_THREAD_H

#include <pthread.h>
#include <signal.h>

/* pthread_create() of fn(arg) with every signal blocked; its result. */
static inline int
quiet_thread_create(pthread_t *t, void *(*fn)(void *), void *arg)
{
	sigset_t all, old;
	int rc;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(t, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

/* Name the calling thread (at most 15 bytes are kept); best effort. */
static inline void
quiet_thread_name(const char *name)
{
#ifdef __linux__
	(void)pthread_setname_np(pthread_self(), name);
#else
	(void)name;
#endif
}

#endif
