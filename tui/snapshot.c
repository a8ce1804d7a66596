/*
 * snapshot.c - one refresh of the console's model; see snapshot.h.
 *
 * The window: a span window (5m, 1h, 24h) ends at the end of the minute
 * of "now" - or, when the newest request is older than the span, at the
 * end of the minute of that request (the data is old: show its last hour,
 * not an empty screen). Bounds are whole minutes, so the tables come from
 * the rollups and equal `gatewatch report --since @S --until @U`. `all`
 * has no bounds. Charts have SNAPSHOT_POINTS points: 5 s each in the 5m
 * window (from raw rows), whole minutes otherwise (from the rollups); the
 * sparklines, trends and chart share one read of them (every split).
 *
 * The state of an upstream is read from its recent points (the last
 * tenth of the window that had requests): the 5xx rate there against the
 * thresholds. Its onset is where the run of failing points that reaches
 * the present began: "failing since".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/alloc.h"
#include "core/floordiv.h"
#include "core/cause.h"
#include "tui/snapshot.h"

/* A source written to within this long is being followed. */
#define SNAPSHOT_FOLLOWING_MS 10000
/* Points that count as "recent" for an upstream's state. */
#define SNAPSHOT_RECENT (SNAPSHOT_POINTS / 10)

static const char *const window_names[WINDOW_COUNT] = {
	[WINDOW_5M] = "5m", [WINDOW_1H] = "1h", [WINDOW_24H] = "24h",
	[WINDOW_ALL] = "all",
};
static const int64_t window_span_ms[WINDOW_COUNT] = {
	[WINDOW_5M] = 5 * 60000, [WINDOW_1H] = 3600000,
	[WINDOW_24H] = 86400000, [WINDOW_ALL] = 0,
};

/* See snapshot.h. */
const char *
window_name(enum window_id w)
{
	return (unsigned)w < WINDOW_COUNT ? window_names[w] : "?";
}

/* See snapshot.h. */
int
window_from_name(const char *s)
{
	for (int i = 0; i < WINDOW_COUNT; i++)
		if (strcmp(s, window_names[i]) == 0)
			return i;
	return -1;
}

/* See snapshot.h. */
const char *
upstream_state_name(enum upstream_state s)
{
	switch (s) {
	case STATE_OK: return "ok";
	case STATE_DEGRADED: return "degraded";
	case STATE_FAILING: return "failing";
	default: return "idle";
	}
}

/* ms rounded down to its minute (also before 1970). */
static int64_t
snapshot_minute(int64_t ms)
{
	return floor_div(ms, 60000) * 60000;
}

/* See snapshot.h. */
void
snapshot_window(const struct snapshot_spec *spec, int64_t first_ms,
    int64_t last_ms, struct snapshot *s)
{
	int64_t span = window_span_ms[spec->window], end, elapsed;

	s->first_ms = first_ms;
	s->last_ms = last_ms;
	s->anchored = false;
	s->n_points = SNAPSHOT_POINTS;
	if (spec->window == WINDOW_ALL) {
		int64_t m0, m1, step;

		s->since_ms = INT64_MIN;
		s->until_ms = INT64_MAX;
		if (last_ms < 0) {
			m1 = snapshot_minute(spec->now_ms) + 60000;
			m0 = m1 - SNAPSHOT_POINTS * 60000;
		} else {
			m0 = snapshot_minute(first_ms);
			m1 = snapshot_minute(last_ms) + 60000;
		}
		step = (m1 - m0 + SNAPSHOT_POINTS * 60000 - 1) /
		    (SNAPSHOT_POINTS * 60000) * 60000;
		if (step < 60000)
			step = 60000;
		s->start_ms = m0;
		s->step_ms = step;
		s->n_points = (int)((m1 - m0 + step - 1) / step);
		if (s->n_points < 1)
			s->n_points = 1;
		elapsed = last_ms >= 0 ? last_ms - first_ms + 1 : 0;
	} else {
		end = spec->now_ms;
		if (last_ms >= 0 && (last_ms < end - span || last_ms >= end)) {
			/* Old data (or clocks ahead): end at the data. */
			s->anchored = last_ms < end - span;
			end = last_ms + 1;
		}
		s->until_ms = snapshot_minute(end - 1) + 60000;
		s->since_ms = s->until_ms - span;
		s->start_ms = s->since_ms;
		s->step_ms = span / SNAPSHOT_POINTS;
		elapsed = end - s->since_ms;
		if (first_ms > s->since_ms)
			elapsed = end - first_ms;
	}
	s->req_per_s = 0;
	if (elapsed < 1000)
		elapsed = 1000;
	s->req_per_s = (double)s->totals.requests / ((double)elapsed / 1000.0);
}

/* The store's filter for the snapshot's window and the view's filter. */
static struct console_filter
snapshot_filter(const struct snapshot *s)
{
	struct console_filter f = console_filter_all();
	const struct view_filter *v = &s->spec.filter;

	f.since_ms = s->since_ms;
	f.until_ms = s->until_ms;
	f.upstream = v->upstream[0] != '\0' ? v->upstream : NULL;
	f.cause = v->cause;
	f.status = v->status;
	f.path = v->path[0] != '\0' ? v->path : NULL;
	return f;
}

/* Fill the state of each source: following, caught up, behind. */
static void
snapshot_source_states(struct snapshot *s)
{
	for (size_t i = 0; i < s->n_sources; i++) {
		struct snap_source *x = &s->sources[i];
		struct stat sb;

		if (x->src.last_seen_ms >= s->spec.now_ms -
		    SNAPSHOT_FOLLOWING_MS)
			x->state = "following";
		else if (x->src.path == NULL || strcmp(x->src.path, "-") == 0 ||
		    stat(x->src.path, &sb) != 0 || !S_ISREG(sb.st_mode))
			x->state = "idle";
		else if (sb.st_size > x->src.position)
			x->state = "behind";
		else
			x->state = "caught up";
	}
}

/* Rates per point of one series line against per-point totals. */
static void
snapshot_rates(const int64_t *part, const int64_t *whole, int n,
    double *out)
{
	for (int p = 0; p < SNAPSHOT_POINTS; p++)
		out[p] = p < n && whole[p] > 0 ?
		    (double)part[p] / (double)whole[p] : -1;
}

/* State, recent rate and onset of an upstream from its points. */
static void
snapshot_upstream_state(struct snap_upstream *u, const int64_t *req,
    const int64_t *e5, int n, const struct snapshot_thresholds *t)
{
	int64_t r = 0, e = 0;
	int seen = 0, p;

	for (p = n - 1; p >= 0 && seen < SNAPSHOT_RECENT; p--) {
		if (req[p] == 0)
			continue;
		r += req[p];
		e += e5[p];
		seen++;
	}
	u->onset = -1;
	if (r == 0) {
		u->recent_rate = 0;
		u->state = STATE_IDLE;
		return;
	}
	u->recent_rate = (double)e / (double)r;
	u->state = u->recent_rate >= t->failing ? STATE_FAILING :
	    u->recent_rate >= t->degraded ? STATE_DEGRADED : STATE_OK;
	if (u->state != STATE_FAILING)
		return;
	for (p = n - 1; p >= 0; p--) {
		if (req[p] == 0)
			continue;
		if ((double)e5[p] / (double)req[p] < t->failing)
			break;
		u->onset = p;
	}
}

/* Totals per point: the sum of every line of a series. */
static void
snapshot_point_totals(const struct console_series *cs, int64_t *req,
    int64_t *e5)
{
	memset(req, 0, SNAPSHOT_POINTS * sizeof(*req));
	memset(e5, 0, SNAPSHOT_POINTS * sizeof(*e5));
	for (size_t i = 0; i < cs->n_lines; i++)
		for (int p = 0; p < cs->n_points && p < SNAPSHOT_POINTS; p++) {
			req[p] += cs->lines[i].requests[p];
			e5[p] += cs->lines[i].errors_5xx[p];
		}
}

/* Read the series of the snapshot's window, every split at once. */
static int
snapshot_series(struct console *c, const struct snapshot *s,
    struct console_series cs[CONSOLE_SPLIT_COUNT], char *err, size_t errlen)
{
	struct console_filter f = snapshot_filter(s);

	return console_series_splits(c, &f, s->start_ms, s->step_ms,
	    s->n_points, cs, err, errlen);
}

/* The upstream table: rows, per-row sparklines and states. */
static int
snapshot_upstreams(struct console *c, struct snapshot *s,
    const struct console_filter *f, char *err, size_t errlen)
{
	struct console_upstream *u;
	size_t n;

	if (console_upstreams(c, f, &u, &n, err, errlen) != 0)
		return -1;
	memset(&s->totals, 0, sizeof(s->totals));
	for (size_t i = 0; i < n; i++) {
		struct console_counts *t = &s->totals, *x = &u[i].c;

		t->requests += x->requests;
		t->errors_5xx += x->errors_5xx;
		t->failed += x->failed;
		for (int j = 0; j < 4; j++)
			t->status_5xx[j] += x->status_5xx[j];
		t->gateway_5xx += x->gateway_5xx;
		t->attempts += x->attempts;
		t->failed_attempts += x->failed_attempts;
	}
	if ((s->upstreams = gw_calloc(n ? n : 1, sizeof(*s->upstreams))) == NULL) {
		console_upstreams_free(u, n);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		s->upstreams[i].u = u[i];
		s->upstreams[i].onset = -1;
		for (int p = 0; p < SNAPSHOT_POINTS; p++)
			s->upstreams[i].rate[p] = -1;
	}
	s->n_upstreams = n;
	free(u);	/* the rows' strings now belong to the snapshot */
	return 0;
}

/* Per-row sparklines and states of the upstreams, from the series. */
static void
snapshot_upstream_lines(struct snapshot *s, const struct console_series *cs)
{
	int64_t req[SNAPSHOT_POINTS], e5[SNAPSHOT_POINTS];

	snapshot_point_totals(cs, req, e5);
	snapshot_rates(e5, req, cs->n_points, s->all_rate);
	for (size_t i = 0; i < cs->n_lines; i++) {
		const struct console_line *l = &cs->lines[i];

		for (size_t j = 0; j < s->n_upstreams; j++) {
			struct snap_upstream *x = &s->upstreams[j];

			if (x->u.id != l->key)
				continue;
			snapshot_rates(l->errors_5xx, l->requests, cs->n_points,
			    x->rate);
			snapshot_upstream_state(x, l->requests, l->errors_5xx,
			    cs->n_points, &s->spec.thresholds);
		}
	}
	for (size_t j = 0; j < s->n_upstreams; j++)
		if (s->upstreams[j].u.c.requests == 0)
			s->upstreams[j].state = STATE_IDLE;
}

/* The causes table with a trend per cause. */
static int
snapshot_causes(struct console *c, struct snapshot *s,
    const struct console_filter *f, const struct console_series *cs,
    char *err, size_t errlen)
{
	struct console_cause *v;
	size_t n;

	if (console_causes(c, f, &v, &n, err, errlen) != 0)
		return -1;
	if ((s->causes = gw_calloc(n ? n : 1, sizeof(*s->causes))) == NULL) {
		console_causes_free(v, n);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		s->causes[i].c = v[i];
		for (int p = 0; p < SNAPSHOT_POINTS; p++)
			s->causes[i].trend[p] = p < s->n_points ? 0 : -1;
	}
	s->n_causes = n;
	free(v);
	for (size_t i = 0; i < cs->n_lines; i++)
		for (size_t j = 0; j < s->n_causes; j++) {
			if (s->causes[j].c.cause != cs->lines[i].key)
				continue;
			for (int p = 0; p < cs->n_points && p < SNAPSHOT_POINTS;
			    p++)
				s->causes[j].trend[p] =
				    (double)cs->lines[i].requests[p];
		}
	return 0;
}

/* The over-time chart: every 5xx, and the biggest groups of the split. */
static void
snapshot_chart(struct snapshot *s, const struct console_series *series)
{
	const struct console_series *cs = &series[(unsigned)s->spec.chart_by <
	    CONSOLE_SPLIT_COUNT ? s->spec.chart_by : CONSOLE_SPLIT_CAUSE];
	int64_t req[SNAPSHOT_POINTS], e5[SNAPSHOT_POINTS];
	bool used[256];

	snapshot_point_totals(cs, req, e5);
	snapshot_rates(e5, req, cs->n_points, s->all_rate);
	memset(used, 0, sizeof(used));
	for (s->n_lines = 0; s->n_lines < SNAPSHOT_LINES; s->n_lines++) {
		const struct console_line *best = NULL;
		int64_t best_e5 = 0;
		size_t best_i = 0;

		for (size_t i = 0; i < cs->n_lines && i < 256; i++) {
			int64_t t = 0;

			if (used[i])
				continue;
			for (int p = 0; p < cs->n_points; p++)
				t += cs->lines[i].errors_5xx[p];
			if (t > best_e5) {
				best = &cs->lines[i];
				best_e5 = t;
				best_i = i;
			}
		}
		if (best == NULL)
			break;
		used[best_i] = true;
		struct snap_line *l = &s->lines[s->n_lines];
		snprintf(l->name, sizeof(l->name), "%s", best->name);
		l->key = best->key;
		l->errors_5xx = best_e5;
		snapshot_rates(best->errors_5xx, req, cs->n_points, l->rate);
	}
}

/* Everything of the snapshot that is read inside the transaction. */
static int
snapshot_read(struct console *c, struct snapshot *s, char *err,
    size_t errlen)
{
	struct console_series series[CONSOLE_SPLIT_COUNT];
	struct console_filter f;
	struct console_source *src;
	size_t n;
	int rc;

	int64_t rollup_pruned;

	if (console_time_span(c, &s->first_ms, &s->last_ms, err, errlen) != 0 ||
	    console_pruned_before(c, &s->raw_pruned_ms, &rollup_pruned, err,
	    errlen) != 0)
		return -1;
	snapshot_window(&s->spec, s->first_ms, s->last_ms, s);
	f = snapshot_filter(s);
	/* The upstream rows give the header's totals too. */
	if (snapshot_upstreams(c, s, &f, err, errlen) != 0)
		return -1;
	snapshot_window(&s->spec, s->first_ms, s->last_ms, s);
	/* One read for the sparklines, the trends and the chart. */
	if (snapshot_series(c, s, series, err, errlen) != 0)
		return -1;
	snapshot_upstream_lines(s, &series[CONSOLE_SPLIT_UPSTREAM]);
	rc = s->spec.causes ? snapshot_causes(c, s, &f,
	    &series[CONSOLE_SPLIT_CAUSE], err, errlen) : 0;
	if (rc == 0)
		snapshot_chart(s, series);
	for (int by = 0; by < CONSOLE_SPLIT_COUNT; by++)
		console_series_free(&series[by]);
	if (rc != 0)
		return -1;
	if (s->spec.failures && console_failures(c, &f, s->spec.failures_limit,
	    &s->failures, &s->n_failures, err, errlen) != 0)
		return -1;
	if (s->spec.detail_id > 0 && console_request(c, s->spec.detail_id,
	    &s->detail, &s->n_detail, err, errlen) != 0)
		return -1;
	if (console_sources(c, 8, &src, &n, err, errlen) != 0)
		return -1;
	if ((s->sources = gw_calloc(n ? n : 1, sizeof(*s->sources))) == NULL) {
		console_sources_free(src, n);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		s->sources[i].src = src[i];
	s->n_sources = n;
	free(src);
	snapshot_source_states(s);
	return 0;
}

/* See snapshot.h. */
int
snapshot_build(struct console *c, const struct snapshot_spec *spec,
    struct snapshot **out, char *err, size_t errlen)
{
	struct snapshot *s = gw_calloc(1, sizeof(*s));
	int rc;

	*out = NULL;
	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	s->spec = *spec;
	s->built_ms = spec->now_ms;
	if (console_begin(c, err, errlen) != 0) {
		snapshot_free(s);
		return -1;
	}
	rc = snapshot_read(c, s, err, errlen);
	console_end(c);
	if (rc != 0) {
		snapshot_free(s);
		return -1;
	}
	*out = s;
	return 0;
}

/* See snapshot.h. */
void
snapshot_free(struct snapshot *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n_sources; i++) {
		free(s->sources[i].src.path);
		free(s->sources[i].src.kind);
	}
	free(s->sources);
	for (size_t i = 0; i < s->n_upstreams; i++)
		free(s->upstreams[i].u.name);
	free(s->upstreams);
	for (size_t i = 0; i < s->n_causes; i++)
		free(s->causes[i].c.top_upstream);
	free(s->causes);
	console_requests_free(s->failures, s->n_failures);
	console_requests_free(s->detail, s->n_detail);
	free(s);
}

static const char *const sort_up_names[SORT_UP_COUNT] = {
	[SORT_UP_5XX] = "5xx", [SORT_UP_RATE] = "5xx%",
	[SORT_UP_REQUESTS] = "requests", [SORT_UP_FAILED_ATT] = "failed att",
	[SORT_UP_P99] = "p99", [SORT_UP_NAME] = "name",
};
static const char *const sort_cause_names[SORT_CAUSE_COUNT] = {
	[SORT_CAUSE_REQUESTS] = "requests", [SORT_CAUSE_ATTEMPTS] = "attempts",
	[SORT_CAUSE_NAME] = "name",
};

/* See snapshot.h. */
const char *
sort_upstreams_name(enum sort_upstreams k)
{
	return (unsigned)k < SORT_UP_COUNT ? sort_up_names[k] : "?";
}

/* See snapshot.h. */
const char *
sort_causes_name(enum sort_causes k)
{
	return (unsigned)k < SORT_CAUSE_COUNT ? sort_cause_names[k] : "?";
}

/* -1, 0, 1 for a < b, a == b, a > b, descending when desc. */
static int
snapshot_cmp(double a, double b, bool desc)
{
	int r = a < b ? -1 : a > b ? 1 : 0;

	return desc ? -r : r;
}

/* Rows to sort and the key; qsort has no context argument in C11. */
struct sort_item {
	size_t index;
	double key;
	const char *name;
	double tie;
};

/* Order sort items by key (descending), then tie, then name. */
static int
snapshot_item_cmp(const void *pa, const void *pb)
{
	const struct sort_item *a = pa, *b = pb;
	int r = snapshot_cmp(a->key, b->key, true);

	if (r == 0)
		r = snapshot_cmp(a->tie, b->tie, true);
	if (r == 0)
		r = strcmp(a->name != NULL ? a->name : "",
		    b->name != NULL ? b->name : "");
	return r;
}

/* Permute n elements of size sz at v by the sorted items. */
static void
snapshot_permute(void *v, size_t n, size_t sz, const struct sort_item *it)
{
	char *copy;

	if (n == 0 || (copy = gw_malloc(n * sz)) == NULL)
		return;
	memcpy(copy, v, n * sz);
	for (size_t i = 0; i < n; i++)
		memcpy((char *)v + i * sz, copy + it[i].index * sz, sz);
	free(copy);
}

/* See snapshot.h. */
void
snapshot_sort_upstreams(struct snapshot *s, enum sort_upstreams k)
{
	struct sort_item *it = gw_calloc(s->n_upstreams ? s->n_upstreams : 1,
	    sizeof(*it));

	if (it == NULL)
		return;
	for (size_t i = 0; i < s->n_upstreams; i++) {
		const struct snap_upstream *u = &s->upstreams[i];
		const struct console_counts *c = &u->u.c;

		it[i].index = i;
		it[i].name = u->u.name;
		it[i].tie = (double)c->requests;
		switch (k) {
		case SORT_UP_5XX:
			it[i].key = (double)c->errors_5xx;
			it[i].tie = (double)c->failed_attempts;
			break;
		case SORT_UP_RATE:
			it[i].key = c->requests ? (double)c->errors_5xx /
			    (double)c->requests : 0;
			break;
		case SORT_UP_REQUESTS: it[i].key = (double)c->requests; break;
		case SORT_UP_FAILED_ATT:
			it[i].key = (double)c->failed_attempts;
			break;
		case SORT_UP_P99: it[i].key = (double)u->u.p99_ms; break;
		default: it[i].key = 0; it[i].tie = 0; break;
		}
	}
	qsort(it, s->n_upstreams, sizeof(*it), snapshot_item_cmp);
	snapshot_permute(s->upstreams, s->n_upstreams, sizeof(*s->upstreams),
	    it);
	free(it);
}

/* See snapshot.h. */
void
snapshot_sort_causes(struct snapshot *s, enum sort_causes k)
{
	struct sort_item *it = gw_calloc(s->n_causes ? s->n_causes : 1,
	    sizeof(*it));

	if (it == NULL)
		return;
	for (size_t i = 0; i < s->n_causes; i++) {
		const struct console_cause *c = &s->causes[i].c;

		it[i].index = i;
		it[i].name = cause_name(c->cause);
		it[i].key = k == SORT_CAUSE_REQUESTS ? (double)c->requests :
		    k == SORT_CAUSE_ATTEMPTS ? (double)c->attempts : 0;
		it[i].tie = k == SORT_CAUSE_NAME ? 0 : (double)(c->requests +
		    c->attempts);
	}
	qsort(it, s->n_causes, sizeof(*it), snapshot_item_cmp);
	snapshot_permute(s->causes, s->n_causes, sizeof(*s->causes), it);
	free(it);
}
