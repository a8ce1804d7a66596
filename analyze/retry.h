/*
 * retry.h - requests that needed more than one upstream attempt.
 *
 * A retry hides a failing upstream behind a healthy one: the client sees a
 * 200, the report counts it under the upstream that answered. This groups
 * the retried requests by the upstream and cause of their first failing
 * attempt, and says how many a retry saved (the final answer was not a
 * failure), which upstream saved most of them, and what it cost: the time
 * spent on the attempts before the final one.
 */
#ifndef GW_RETRY_H
#define GW_RETRY_H

#include <stddef.h>
#include <stdint.h>

#include "core/cause.h"
#include "store/diag_query.h"

/* Retried requests of one first-failing upstream and cause. */
struct retry_group {
	char *first_upstream;
	enum gw_cause first_cause;
	enum gw_cause_who who;		/* cause_who(first_cause) */
	int64_t requests;		/* retried after failing here */
	int64_t saved;			/* of those, final answer not a failure */
	int64_t failed;			/* requests - saved */
	char *rescued_by;		/* final upstream of most saved ones,
					   NULL when none was saved */
	int64_t rescued_by_count;
	double extra_ms_avg;		/* mean time on the earlier attempts */
	double request_ms_avg;		/* mean request time, -1 unknown */
};

struct retry_summary {
	int64_t requests;		/* every request in the window */
	int64_t retried;		/* with more than one attempt */
	int64_t retried_after_failure;	/* of those, with a failed attempt */
	int64_t saved, failed;		/* of those */
	double saved_share;		/* saved / requests */
	double extra_ms_avg;		/* over retried_after_failure */
	double retried_ms_avg;		/* their mean request time, -1 */
	double single_ok_ms_avg;	/* same for one-attempt successes, -1 */
	struct retry_group *groups;	/* most requests first */
	size_t n_groups;
};

/*
 * The summary of window w (w->upstream: only requests whose first failing
 * attempt went there; requests still counts every request). 0 or -1 with
 * err filled; free with retry_summary_free().
 */
int retry_summarize(struct store *s, const struct diag_window *w,
    struct retry_summary *out, char *err, size_t errlen);
void retry_summary_free(struct retry_summary *r);

#endif
