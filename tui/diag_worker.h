/*
 * diag_worker.h - builds the console's diagnosis models (diagnosis.h) on
 * a thread of their own, so the console stays responsive while a view
 * that scans millions of rows is computed.
 *
 * The console asks (diag_worker_request) and later collects
 * (diag_worker_take); only the newest request counts: asking again
 * supersedes a build in progress, which is abandoned, and its result, if
 * any, is thrown away. The worker opens its own connection to the
 * database (connections are not shared between threads here) through the
 * console's handle (store_open_reader) when first asked, and owns it. An abandoned build, or one under a worker being
 * freed, is cut short inside SQLite (a progress handler sees the flag),
 * so superseding and quitting take milliseconds, not the build's seconds.
 */
#ifndef GW_TUI_DIAG_WORKER_H
#define GW_TUI_DIAG_WORKER_H

#include <stdbool.h>
#include <stddef.h>

#include "tui/diagnosis.h"
#include "store/store.h"

struct diag_worker;

/*
 * How a model is built: diagnosis_build() unless a test hands another.
 * w lets a slow builder ask diag_worker_abandoned(); ctx is the builder's.
 */
typedef int (*diag_build_fn)(void *ctx, const struct diag_worker *w,
    struct store *s, const struct diagnosis_spec *spec,
    struct diagnosis **out, char *err, size_t errlen);

/*
 * Start a worker on the database view is open on (view must outlive the
 * worker) that builds with build(ctx, ...), or diagnosis_build() when
 * build is NULL. The thread takes no terminal signals. 0, or -1 with err
 * filled. Free with diag_worker_free().
 */
int diag_worker_new(const struct store *view, diag_build_fn build,
    void *ctx, struct diag_worker **out, char *err, size_t errlen);

/*
 * The same on a connection s opened by the caller (before a privilege drop
 * that would stop the worker from opening one): used for every build, kept
 * after a failed one, never closed by the worker; the caller closes it
 * after diag_worker_free(). s NULL: as diag_worker_new().
 */
int diag_worker_new_on(const struct store *view, struct store *s,
    diag_build_fn build, void *ctx, struct diag_worker **out, char *err,
    size_t errlen);

/* Abandon any build, stop the thread, close its connection, free all. */
void diag_worker_free(struct diag_worker *w);

/* Ask for the model of spec; supersedes every earlier request. */
void diag_worker_request(struct diag_worker *w,
    const struct diagnosis_spec *spec);

/*
 * The outcome of the newest request, once: 1 with *out the model (the
 * caller frees it) or NULL with err filled when the build failed; 0 while
 * it is being built or when nothing was asked since the last take.
 */
int diag_worker_take(struct diag_worker *w, struct diagnosis **out,
    char *err, size_t errlen);

/*
 * True when the build running on w's thread is no longer wanted (a newer
 * request, or the worker is being freed). For builders; any thread.
 */
bool diag_worker_abandoned(const struct diag_worker *w);

#endif
