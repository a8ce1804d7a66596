/*
 * registry.h - gatewatch's metrics in memory, and their text exposition.
 *
 * A registry holds the series of the families gatewatch exports (see the
 * enum below) with their label values, bounded three ways: at most
 * max_upstreams distinct `upstream` label values (the rest are summed
 * under upstream="_other"), at most max_sources `source` values (likewise
 * "_other"; a name over 200 bytes goes there too), and at most max_series
 * series in all. A series that gains
 * nothing for idle_ms is dropped by metrics_expire(): it comes back from 0
 * if it shows up again, which Prometheus reads as a counter reset.
 * gatewatch_metrics_series_dropped_total counts what was not exported on
 * its own: every upstream or source name folded into "_other" (once per
 * idle period), every series refused by the budget and every series
 * dropped as idle.
 *
 * A series born after the first exposition was rendered is shown at 0 in
 * the next one, its counts from the one after: Prometheus's rate() takes
 * a new series' first sample as its start, so the first failures of a new
 * upstream x cause would otherwise never show as an increase (or alert).
 *
 * Thread safety: every function takes the registry's own lock, held only
 * while it changes or renders memory - metrics_render() writes into a
 * buffer, never to a socket - so a reader of the exposition can never hold
 * up the code that counts.
 */
#ifndef GW_METRICS_REGISTRY_H
#define GW_METRICS_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/cause.h"

struct metrics_registry;

struct metrics_limits {
	size_t max_upstreams;	/* distinct upstream label values, >= 1 */
	size_t max_sources;	/* distinct source label values, >= 1 */
	size_t max_series;	/* series of all families together */
	int64_t idle_ms;	/* a series unchanged this long is dropped */
};

#define METRICS_MAX_UPSTREAMS_DEFAULT	200
#define METRICS_MAX_SOURCES_DEFAULT	64
#define METRICS_MAX_SERIES_DEFAULT	20000
#define METRICS_IDLE_MS_DEFAULT		(15 * 60 * 1000)

/* The label value of every upstream or source beyond its cap. */
#define METRICS_OTHER	"_other"

/* Buckets of gatewatch_upstream_response_duration_seconds (+Inf apart). */
#define METRICS_BUCKETS	13
extern const double metrics_buckets[METRICS_BUCKETS];

/* Limits with every field at its default. */
void metrics_limits_default(struct metrics_limits *l);

/* A new, empty registry; NULL when out of memory. Free with _free(). */
struct metrics_registry *metrics_registry_new(const struct metrics_limits *l);
void metrics_registry_free(struct metrics_registry *r);

/*
 * Counting. now_ms is a monotonic clock in ms (idle tracking); strings are
 * copied. Each returns 0, or -1 when out of memory (nothing counted).
 * A request counts under the upstream that gave its final answer ("-" when
 * none) and its exact status; an attempt under its own upstream.
 */
int metrics_add_requests(struct metrics_registry *r, int64_t now_ms,
    const char *upstream, int status, enum gw_cause cause, uint64_t n);
int metrics_add_attempts(struct metrics_registry *r, int64_t now_ms,
    const char *upstream, enum gw_cause cause, uint64_t n);
/* n upstream answers of `seconds` each, into the duration histogram. */
int metrics_observe_duration(struct metrics_registry *r, int64_t now_ms,
    const char *upstream, double seconds, uint64_t n);
int metrics_add_lines_read(struct metrics_registry *r, int64_t now_ms,
    const char *source, uint64_t n);
int metrics_add_lines_rejected(struct metrics_registry *r, int64_t now_ms,
    const char *source, const char *reason, uint64_t n);
/* The capture's kernel drop counter, as read (monotonic by nature). */
void metrics_set_packets_dropped(struct metrics_registry *r, uint64_t n);

/* Drop every series (and cap slot) idle since before now_ms - idle_ms. */
void metrics_expire(struct metrics_registry *r, int64_t now_ms);

/* Series held now, and the series_dropped counter (for tests). */
size_t metrics_series(struct metrics_registry *r);
uint64_t metrics_series_dropped(struct metrics_registry *r);

/* What the process_* family says; given by the caller (see exporter.h). */
struct metrics_process {
	double cpu_seconds;
	double start_time_seconds;	/* since the epoch */
	uint64_t resident_bytes, virtual_bytes;
	uint64_t open_fds, max_fds;
};

/*
 * The exposition (text format 0.0.4) of every family, with
 * gatewatch_build_info{version} and, when proc is not NULL, the process_*
 * family. *out is malloc'ed, NUL-terminated, *len bytes; free() it.
 * Returns 0, or -1 when out of memory.
 */
int metrics_render(struct metrics_registry *r, const char *version,
    const struct metrics_process *proc, char **out, size_t *len);

/*
 * Label value v escaped for the exposition into buf (size >= 1, always
 * NUL-terminated, cut on a whole escape): backslash, double quote and
 * newline as the format says; other control bytes and invalid UTF-8 as
 * \\xHH (the text of core/safe.h, its backslash escaped in turn).
 */
void metrics_escape_label(char *buf, size_t size, const char *v);

#endif
