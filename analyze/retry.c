/*
 * retry.c - retry accounting; see retry.h.
 *
 * The store sums per (first failing upstream, cause, final upstream) over
 * the partial index of failed-or-retried requests; here the rows are folded
 * into (first failing upstream, cause), keeping the final upstream that
 * saved the most. The number of such rows is at most upstreams^2 x causes,
 * so a linear search is enough.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "analyze/retry.h"

/* A final upstream that saved requests of one group. */
struct retry_rescuer {
	char *name;
	int64_t saved;
};

/* Folding state: groups and, per group, rescuers. */
struct retry_fold {
	struct retry_group *g;
	struct retry_rescuer **resc;	/* per group, n_resc[i] entries */
	size_t *n_resc;
	double *extra_sum, *ms_sum;
	int64_t *ms_n;
	size_t n, cap;
	bool oom;
};

/* Group i's rescuer name, added when new; -1 on OOM. */
static int
retry_rescuer_add(struct retry_fold *f, size_t i, const char *name,
    int64_t saved)
{
	struct retry_rescuer *r;

	for (size_t k = 0; k < f->n_resc[i]; k++)
		if (strcmp(f->resc[i][k].name, name) == 0) {
			f->resc[i][k].saved += saved;
			return 0;
		}
	r = gw_realloc(f->resc[i], (f->n_resc[i] + 1) * sizeof(*r));
	if (r == NULL)
		return -1;
	f->resc[i] = r;
	if ((r[f->n_resc[i]].name = gw_strdup(name)) == NULL)
		return -1;
	r[f->n_resc[i]++].saved = saved;
	return 0;
}

/* Make room for one more group; -1 on OOM. */
static int
retry_fold_grow(struct retry_fold *f)
{
	size_t nc = f->cap ? f->cap * 2 : 16;

#define RETRY_GROW(p) do { \
	void *np = gw_realloc((p), nc * sizeof(*(p))); \
	if (np == NULL) \
		return -1; \
	(p) = np; \
} while (0)
	RETRY_GROW(f->g);
	RETRY_GROW(f->resc);
	RETRY_GROW(f->n_resc);
	RETRY_GROW(f->extra_sum);
	RETRY_GROW(f->ms_sum);
	RETRY_GROW(f->ms_n);
#undef RETRY_GROW
	f->cap = nc;
	return 0;
}

/* diag_retry_groups() callback. */
static int
retry_row(void *ctx, const struct diag_retry_row *r)
{
	struct retry_fold *f = ctx;
	size_t i;

	for (i = 0; i < f->n; i++)
		if (f->g[i].first_cause == r->first_cause &&
		    strcmp(f->g[i].first_upstream, r->first_upstream) == 0)
			break;
	if (i == f->n) {
		if (f->n == f->cap && retry_fold_grow(f) != 0)
			goto oom;
		memset(&f->g[i], 0, sizeof(f->g[i]));
		f->resc[i] = NULL;
		f->n_resc[i] = 0;
		f->extra_sum[i] = f->ms_sum[i] = 0;
		f->ms_n[i] = 0;
		f->n++;
		if ((f->g[i].first_upstream = gw_strdup(r->first_upstream)) ==
		    NULL)
			goto oom;
		f->g[i].first_cause = r->first_cause;
		f->g[i].who = cause_who(r->first_cause);
	}
	f->g[i].requests += r->requests;
	f->g[i].saved += r->saved;
	f->extra_sum[i] += (double)r->extra_ms_sum;
	f->ms_sum[i] += (double)r->request_ms_sum;
	f->ms_n[i] += r->request_ms_n;
	if (r->saved > 0 && retry_rescuer_add(f, i, r->final_upstream,
	    r->saved) != 0)
		goto oom;
	return 0;
oom:
	f->oom = true;
	return -2;
}

/* Most requests first, then upstream and cause. */
static int
retry_group_cmp(const void *pa, const void *pb)
{
	const struct retry_group *a = pa, *b = pb;
	int c;

	if (a->requests != b->requests)
		return a->requests > b->requests ? -1 : 1;
	if ((c = strcmp(a->first_upstream, b->first_upstream)) != 0)
		return c;
	return a->first_cause - b->first_cause;
}

/* Free the folding state; the groups too unless keep_groups. */
static void
retry_fold_free(struct retry_fold *f, bool keep_groups)
{
	for (size_t i = 0; i < f->n; i++) {
		for (size_t k = 0; k < f->n_resc[i]; k++)
			free(f->resc[i][k].name);
		free(f->resc[i]);
		if (!keep_groups) {
			free(f->g[i].first_upstream);
			free(f->g[i].rescued_by);
		}
	}
	if (!keep_groups)
		free(f->g);
	free(f->resc);
	free(f->n_resc);
	free(f->extra_sum);
	free(f->ms_sum);
	free(f->ms_n);
}

/* See retry.h. */
int
retry_summarize(struct store *s, const struct diag_window *w,
    struct retry_summary *out, char *err, size_t errlen)
{
	struct retry_fold f = {0};
	struct diag_totals t;
	double extra = 0, ms = 0;
	int64_t ms_n = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if (diag_totals(s, w, &t, err, errlen) != 0)
		return -1;
	rc = diag_retry_groups(s, w, retry_row, &f, err, errlen);
	if (rc != 0) {
		if (f.oom)
			snprintf(err, errlen, "out of memory");
		retry_fold_free(&f, false);
		return -1;
	}
	for (size_t i = 0; i < f.n; i++) {
		struct retry_group *g = &f.g[i];
		size_t best = SIZE_MAX;

		g->failed = g->requests - g->saved;
		g->extra_ms_avg = g->requests > 0 ? f.extra_sum[i] /
		    (double)g->requests : 0;
		g->request_ms_avg = f.ms_n[i] > 0 ? f.ms_sum[i] /
		    (double)f.ms_n[i] : -1;
		for (size_t k = 0; k < f.n_resc[i]; k++)
			if (best == SIZE_MAX ||
			    f.resc[i][k].saved > f.resc[i][best].saved)
				best = k;
		if (best != SIZE_MAX) {
			g->rescued_by = f.resc[i][best].name;
			g->rescued_by_count = f.resc[i][best].saved;
			f.resc[i][best].name = NULL;
		}
		out->retried_after_failure += g->requests;
		out->saved += g->saved;
		extra += f.extra_sum[i];
		ms += f.ms_sum[i];
		ms_n += f.ms_n[i];
	}
	out->requests = t.requests;
	out->retried = t.retried;
	out->failed = out->retried_after_failure - out->saved;
	out->saved_share = t.requests > 0 ? (double)out->saved /
	    (double)t.requests : 0;
	out->extra_ms_avg = out->retried_after_failure > 0 ? extra /
	    (double)out->retried_after_failure : 0;
	out->retried_ms_avg = ms_n > 0 ? ms / (double)ms_n : -1;
	out->single_ok_ms_avg = t.single_ok_ms_avg;
	if (f.n > 1)
		qsort(f.g, f.n, sizeof(*f.g), retry_group_cmp);
	out->groups = f.g;
	out->n_groups = f.n;
	retry_fold_free(&f, true);
	return 0;
}

/* See retry.h. */
void
retry_summary_free(struct retry_summary *r)
{
	for (size_t i = 0; i < r->n_groups; i++) {
		free(r->groups[i].first_upstream);
		free(r->groups[i].rescued_by);
	}
	free(r->groups);
	memset(r, 0, sizeof(*r));
}
