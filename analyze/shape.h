/*
 * shape.h - query-parameter shapes that fail more than their siblings.
 *
 * Requests are grouped by route (method + normalised path, route.h) and
 * final upstream; inside a group each query shape (parse/query.h) is
 * compared with the other shapes of the group. A shape is flagged when its
 * rate of 5xx not made by the gateway is above its siblings' beyond doubt:
 * both sides have at least min_requests requests and the lower Wilson
 * score bound of the shape's rate exceeds the upper Wilson bound of its
 * siblings' pooled rate (z = 2.576, i.e. two 99% intervals that do not
 * overlap). Flagging is repeated, worst first, with flagged shapes left
 * out of the siblings, so two bad shapes of one route do not hide each
 * other. Each finding names how the shape differs from its closest healthy
 * sibling: a key only one of them has, keys that differ only in case or
 * '_'/'-' (userName vs username), or a value kind (age=<empty> vs
 * age=<number>).
 *
 * Gateway-made 5xx (rate limits, auth, no route, no live upstream) are
 * never counted against a shape; they are reported next to it.
 */
#ifndef GW_SHAPE_H
#define GW_SHAPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/diag_query.h"

/* Thresholds of the test. */
struct shape_config {
	int64_t min_requests;	/* requests a shape, and its siblings, need
				   before anything is said (default 20) */
	double z;		/* Wilson score z (default 2.576: 99%) */
};

/* The defaults above. */
struct shape_config shape_config_default(void);

/* How a flagged shape differs from its closest healthy sibling. */
enum shape_diff_kind {
	SHAPE_DIFF_KEY_EXTRA,	/* key only in the flagged shape */
	SHAPE_DIFF_KEY_MISSING,	/* key only in the healthy one */
	SHAPE_DIFF_KEY_SPELLING,	/* same key but for case or '_'/'-' */
	SHAPE_DIFF_VALUE_KIND	/* same key, other value kind */
};

/* "key_extra", "key_missing", "key_spelling", "value_kind". */
const char *shape_diff_kind_name(enum shape_diff_kind k);

struct shape_diff {
	enum shape_diff_kind kind;
	char *key;		/* as in the flagged shape (NULL: missing) */
	char *other_key;	/* as in the healthy one (NULL: extra) */
	char *value;		/* "<empty>", "<number>", "<text>" (flagged) */
	char *other_value;	/* same, healthy */
	bool case_differs;	/* spelling: case (userName vs username) */
	bool sep_differs;	/* spelling: '_' or '-' (user_name vs username) */
};

/*
 * Differences of shape a (flagged) against shape b (healthy), in a's key
 * order, then b's missing keys. *out freed with shape_diffs_free(). 0 or -1
 * (out of memory).
 */
int shape_diff(const char *a, const char *b, struct shape_diff **out,
    size_t *n);
void shape_diffs_free(struct shape_diff *d, size_t n);

/* One flagged shape. Strings are owned by the finding. */
struct shape_finding {
	char *method, *route, *upstream;
	char *shape;		/* "" = no query */
	int64_t requests, failed, gateway_5xx;
	double rate, rate_low;	/* failed / requests, its Wilson lower bound */
	/* The group's healthy (unflagged) shapes together. */
	int64_t sibling_requests, sibling_failed;
	int n_siblings;
	double sibling_rate, sibling_high;	/* rate, Wilson upper bound */
	double excess;		/* failed beyond the siblings' rate */
	/* The healthy shape it is compared with, and how they differ. */
	char *closest;
	int64_t closest_requests, closest_failed;
	struct shape_diff *diffs;
	size_t n_diffs;
	char *difference;	/* the diffs in plain words */
	struct diag_example example;	/* a failing request, if found */
	bool has_example;
};

/* Counts gathered before the test; opaque. */
struct shape_set;

/* An empty set; NULL when out of memory. Free with shape_set_free(). */
struct shape_set *shape_set_new(void);
void shape_set_free(struct shape_set *set);

/*
 * Add requests of one method, path (normalised here), final upstream and
 * shape; rows of the same route add up. 0 or -1 (out of memory).
 */
int shape_set_add(struct shape_set *set, const char *method,
    const char *path, const char *upstream, const char *shape,
    int64_t requests, int64_t failed, int64_t gateway_5xx);

/*
 * Run the test over every group: flagged shapes, worst (most excess
 * failures) first, no examples. *out freed with shape_findings_free().
 */
int shape_set_find(struct shape_set *set, const struct shape_config *cfg,
    struct shape_finding **out, size_t *n);

/*
 * Everything above from the store for window w (w->upstream filters), with
 * an example failing request per finding. 0 or -1 with err filled.
 */
int shape_findings(struct store *s, const struct diag_window *w,
    const struct shape_config *cfg, struct shape_finding **out, size_t *n,
    char *err, size_t errlen);
void shape_findings_free(struct shape_finding *f, size_t n);

/* Wilson score interval of k successes in n trials at z; 0..1 (n = 0: 0, 1). */
double shape_wilson_low(int64_t k, int64_t n, double z);
double shape_wilson_high(int64_t k, int64_t n, double z);

#endif
