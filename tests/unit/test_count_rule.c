/*
 * test_count_rule.c - the counting rule "requests by their final upstream,
 * attempts by their own" gives the report (store_report) and the console
 * (store/console.c) the same numbers, on the same database, for every
 * grouping the two share:
 *   - by upstream: requests, 5xx, failed, attempts, failed attempts,
 *     request time (sum and count), and the per-status (500/502/503/504)
 *     and gateway-made 5xx splits against the report by upstream,status
 *     and by upstream,who,status;
 *   - by cause: requests, 5xx and attempts (console_causes, which leaves
 *     ok out), and the most affected upstream against the report by
 *     cause,upstream;
 *   - per minute and upstream, cause or status: the console's charts
 *     against the report by minute,<key>;
 *   - the totals: the report without keys.
 * Each under no filter, a window of whole minutes, an upstream, a cause,
 * a status and all of them at once.
 *
 * The databases are real ingests: tests/tools/genlog's low-cardinality
 * log (8 upstreams, retries `502, 200`, every failure kind nginx logs)
 * spread over a quarter of an hour, and its production-cardinality
 * profile (-P: 50 upstreams), each read by `gatewatch ingest` (GW_TOOLS
 * and GW_BIN, as tests/run.sh sets them).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tests/unit/test_store_fixture.h"

#include "store/console.h"

/* 2026-11-25 00:00:00Z, where genlog starts. */
#define GEN_START_S	1795564800LL
#define GEN_START_MS	(GEN_START_S * 1000)

/* A database made by ingesting a generated log. */
struct gen_db {
	char dir[64], db[96];
	struct store *s;	/* the report's handle */
	struct store *rs;	/* the console's, a second connection */
	struct console *c;
	int64_t first_ms, last_ms;
	char err[512];
};

/* Run a shell command; fail the test unless it exits 0. */
static void
run(const char *cmd)
{
	int rc = system(cmd);

	if (rc != 0)
		fail_msg("'%s' exited %d", cmd, rc);
}

/* Generate a log with genlog args, ingest it into a new database. */
static void
gen_open(struct gen_db *g, const char *genlog_args)
{
	const char *tools = getenv("GW_TOOLS"), *bin = getenv("GW_BIN");
	char cmd[1024];

	memset(g, 0, sizeof(*g));
	if (tools == NULL)
		tools = "build/tools";
	if (bin == NULL)
		bin = "build/gatewatch";
	snprintf(g->dir, sizeof(g->dir), "/tmp/gw-count-XXXXXX");
	if (mkdtemp(g->dir) == NULL)
		fail_msg("mkdtemp failed");
	snprintf(g->db, sizeof(g->db), "%s/count.db", g->dir);
	snprintf(cmd, sizeof(cmd), "'%s/genlog' %s > '%s/access.log' &&"
	    " '%s' ingest -q -d '%s' '%s/access.log'", tools, genlog_args,
	    g->dir, bin, g->db, g->dir);
	run(cmd);
	assert_int_equal(store_open(g->db, &g->s, g->err, sizeof(g->err)), 0);
	assert_int_equal(store_open(g->db, &g->rs, g->err, sizeof(g->err)),
	    0);
	assert_int_equal(console_new(g->rs, &g->c, g->err, sizeof(g->err)),
	    0);
	assert_int_equal(console_time_span(g->c, &g->first_ms, &g->last_ms,
	    g->err, sizeof(g->err)), 0);
	assert_true(g->last_ms > g->first_ms);
}

static void
gen_close(struct gen_db *g)
{
	char cmd[256];

	console_free(g->c);
	store_close(g->rs);
	store_close(g->s);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", g->dir);
	run(cmd);
}

/* The report of keys under cf; fail the test on error. */
static struct report_row *
report(struct gen_db *g, const struct console_filter *cf, size_t *n,
    int n_keys, const enum report_key *keys)
{
	struct report_query q = {.since_ms = cf->since_ms,
	    .until_ms = cf->until_ms, .status = cf->status,
	    .n_keys = n_keys, .upstream = cf->upstream,
	    .cause = cf->cause};
	struct report_row *rows;

	for (int i = 0; i < n_keys; i++)
		q.keys[i] = keys[i];
	if (store_report(g->s, &q, &rows, n, g->err, sizeof(g->err)) != 0)
		fail_msg("report: %s", g->err);
	return rows;
}

/* The row of rows whose keys are k0 (and k1, k2 when given), or NULL. */
static struct report_row *
find(struct report_row *rows, size_t n, const char *k0, const char *k1,
    const char *k2)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(rows[i].key[0], k0) == 0 &&
		    (k1 == NULL || strcmp(rows[i].key[1], k1) == 0) &&
		    (k2 == NULL || strcmp(rows[i].key[2], k2) == 0))
			return &rows[i];
	return NULL;
}

/* The filters every comparison runs under (upstream and cause: busy). */
#define N_FILTERS 7
static struct console_filter
filter_n(const struct gen_db *g, int i, const char *upstream)
{
	struct console_filter cf = console_filter_all();
	/* Whole minutes: the first half of the data (at least a minute),
	   not its last minute. */
	int64_t m0 = g->first_ms / 60000 * 60000;
	int64_t span = (g->last_ms - m0) / 60000;
	int64_t m1 = m0 + (span > 1 ? span / 2 : 1) * 60000;

	switch (i) {
	case 1:
		cf.since_ms = m0;
		cf.until_ms = m1;
		break;
	case 2: cf.upstream = upstream; break;
	case 3: cf.cause = GW_CAUSE_UNKNOWN; break;	/* 502s */
	case 4: cf.status = 502; break;
	case 5: cf.status = 200; break;
	case 6:
		cf.since_ms = m0;
		cf.until_ms = m1;
		cf.upstream = upstream;
		cf.status = 502;
		cf.cause = GW_CAUSE_UNKNOWN;
		break;
	}
	return cf;
}

/* The upstream table equals the report by upstream, field by field. */
static int64_t
check_upstreams(struct gen_db *g, const struct console_filter *cf)
{
	static const enum report_key by_up[] = {REPORT_KEY_UPSTREAM};
	static const enum report_key by_up_status[] = {REPORT_KEY_UPSTREAM,
	    REPORT_KEY_STATUS};
	static const enum report_key by_up_who_status[] = {
	    REPORT_KEY_UPSTREAM, REPORT_KEY_WHO, REPORT_KEY_STATUS};
	static const char *const slot[4] = {"500", "502", "503", "504"};
	struct console_upstream *u;
	struct report_row *r, *rs, *rw;
	size_t nu, nr, ns, nw;
	int64_t requests = 0;

	assert_int_equal(console_begin(g->c, g->err, sizeof(g->err)), 0);
	if (console_upstreams(g->c, cf, &u, &nu, g->err, sizeof(g->err)) != 0)
		fail_msg("upstreams: %s", g->err);
	console_end(g->c);
	r = report(g, cf, &nr, 1, by_up);
	rs = report(g, cf, &ns, 2, by_up_status);
	rw = report(g, cf, &nw, 3, by_up_who_status);
	assert_int_equal(nu, nr);
	for (size_t i = 0; i < nu; i++) {
		struct report_row *x = find(r, nr, u[i].name, NULL, NULL);
		int64_t gw5xx = 0;

		assert_non_null(x);
		assert_int_equal(u[i].c.requests, x->requests);
		assert_int_equal(u[i].c.errors_5xx, x->errors_5xx);
		assert_int_equal(u[i].c.failed, x->failed);
		assert_int_equal(u[i].c.attempts, x->attempts);
		assert_int_equal(u[i].c.failed_attempts, x->failed_attempts);
		if (u[i].c.request_ms_n > 0)
			assert_true(x->request_ms_avg * (double)
			    u[i].c.request_ms_n >= (double)u[i].c.request_ms_sum -
			    0.5 && x->request_ms_avg * (double)
			    u[i].c.request_ms_n <= (double)u[i].c.request_ms_sum +
			    0.5);
		else
			assert_true(x->request_ms_avg < 0);
		for (int j = 0; j < 4; j++) {
			struct report_row *y = find(rs, ns, u[i].name, slot[j],
			    NULL);

			assert_int_equal(u[i].c.status_5xx[j],
			    y != NULL ? y->requests : 0);
		}
		for (size_t j = 0; j < nw; j++)
			if (strcmp(rw[j].key[0], u[i].name) == 0 &&
			    strcmp(rw[j].key[1], "gateway") == 0 &&
			    strlen(rw[j].key[2]) == 3 && rw[j].key[2][0] == '5')
				gw5xx += rw[j].requests;
		assert_int_equal(u[i].c.gateway_5xx, gw5xx);
		requests += u[i].c.requests;
	}
	store_report_free(r, nr);
	store_report_free(rs, ns);
	store_report_free(rw, nw);
	console_upstreams_free(u, nu);
	return requests;
}

/* The cause table equals the report by cause (and cause,upstream). */
static int64_t
check_causes(struct gen_db *g, const struct console_filter *cf)
{
	static const enum report_key by_cause[] = {REPORT_KEY_CAUSE};
	static const enum report_key by_cause_up[] = {REPORT_KEY_CAUSE,
	    REPORT_KEY_UPSTREAM};
	struct console_cause *v;
	struct report_row *r, *ru;
	size_t nv, nr, nu, matched = 0;
	int64_t failed = 0;

	if (console_causes(g->c, cf, &v, &nv, g->err, sizeof(g->err)) != 0)
		fail_msg("causes: %s", g->err);
	r = report(g, cf, &nr, 1, by_cause);
	ru = report(g, cf, &nu, 2, by_cause_up);
	for (size_t i = 0; i < nr; i++) {
		struct console_cause *x = NULL;

		if (strcmp(r[i].key[0], "ok") == 0)
			continue;
		for (size_t j = 0; j < nv; j++)
			if (strcmp(cause_name(v[j].cause),
			    r[i].key[0]) == 0)
				x = &v[j];
		assert_non_null(x);
		matched++;
		assert_int_equal(x->requests, r[i].requests);
		assert_int_equal(x->errors_5xx, r[i].errors_5xx);
		assert_int_equal(x->attempts, r[i].attempts);
		failed += x->requests;
		/* The top upstream has the most requests of the cause (or,
		   with none, attempts) in the report by cause,upstream. */
		assert_non_null(x->top_upstream);
		struct report_row *t = find(ru, nu, r[i].key[0],
		    x->top_upstream, NULL);
		assert_non_null(t);
		for (size_t j = 0; j < nu; j++) {
			if (strcmp(ru[j].key[0], r[i].key[0]) != 0)
				continue;
			if (x->requests > 0)
				assert_true(ru[j].requests <= t->requests);
			else
				assert_true(ru[j].attempts <= t->attempts);
		}
	}
	assert_int_equal(matched, nv);
	store_report_free(r, nr);
	store_report_free(ru, nu);
	console_causes_free(v, nv);
	return failed;
}

/* Minute m as the report names it. */
static void
minute_name(int64_t ms, char *buf, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%MZ", &tm);
}

/* Every chart split, minute by minute, equals the report by minute,key. */
static void
check_series(struct gen_db *g, const struct console_filter *cf)
{
	static const enum report_key key_of[CONSOLE_SPLIT_COUNT] = {
		[CONSOLE_SPLIT_UPSTREAM] = REPORT_KEY_UPSTREAM,
		[CONSOLE_SPLIT_CAUSE] = REPORT_KEY_CAUSE,
		[CONSOLE_SPLIT_STATUS] = REPORT_KEY_STATUS,
	};
	int64_t start = g->first_ms / 60000 * 60000;
	int n_points = (int)((g->last_ms - start) / 60000) + 1;

	for (int by = 0; by < CONSOLE_SPLIT_COUNT; by++) {
		enum report_key keys[2] = {REPORT_KEY_MINUTE, key_of[by]};
		struct console_series s;
		struct report_row *r;
		size_t nr, seen = 0;

		if (console_series(g->c, cf, (enum console_split)by, start,
		    60000, n_points, &s, g->err, sizeof(g->err)) != 0)
			fail_msg("series: %s", g->err);
		r = report(g, cf, &nr, 2, keys);
		for (size_t i = 0; i < s.n_lines; i++)
			for (int p = 0; p < s.n_points; p++) {
				char m[32];
				struct report_row *x;

				minute_name(start + (int64_t)p * 60000, m,
				    sizeof(m));
				x = find(r, nr, m, s.lines[i].name, NULL);
				if (s.lines[i].requests[p] == 0 && x == NULL)
					continue;
				if (x == NULL)
					fail_msg("no report row %s %s", m,
					    s.lines[i].name);
				assert_int_equal(s.lines[i].requests[p],
				    x->requests);
				assert_int_equal(s.lines[i].errors_5xx[p],
				    x->errors_5xx);
				seen++;
			}
		/* Every report group with requests is a point of a line. */
		for (size_t i = 0; i < nr; i++)
			if (r[i].requests == 0)
				seen++;
		assert_int_equal(seen, nr);
		store_report_free(r, nr);
		console_series_free(&s);
	}
}

/* The upstream with the most attempts (for the upstream filter). */
static char *
busiest(struct gen_db *g)
{
	static const enum report_key by_up[] = {REPORT_KEY_UPSTREAM};
	struct console_filter cf = console_filter_all();
	struct report_row *r;
	size_t n, top = 0;
	char *name;

	r = report(g, &cf, &n, 1, by_up);
	assert_true(n > 1);
	for (size_t i = 1; i < n; i++)
		if (r[i].attempts > r[top].attempts)
			top = i;
	name = strdup(r[top].key[0]);
	store_report_free(r, n);
	assert_non_null(name);
	return name;
}

/* All the comparisons, under every filter. */
static void
check_all(struct gen_db *g)
{
	char *up = busiest(g);
	int64_t all_requests = 0;

	for (int k = 0; k < N_FILTERS; k++) {
		struct console_filter cf = filter_n(g, k, up);
		struct report_row *t;
		size_t nt;
		int64_t requests, failed;

		requests = check_upstreams(g, &cf);
		failed = check_causes(g, &cf);
		check_series(g, &cf);
		/* The header's totals: the report without keys. */
		t = report(g, &cf, &nt, 0, NULL);
		assert_int_equal(nt, 1);
		assert_int_equal(requests, t[0].requests);
		assert_int_equal(failed, t[0].failed);
		if (k == 0)
			all_requests = requests;
		/* Every filter leaves something to compare. */
		assert_true(requests > 0);
		assert_true(t[0].attempts > 0);
		if (k != 5)	/* status 200 */
			assert_true(failed > 0);
		store_report_free(t, nt);
	}
	assert_true(all_requests > 1000);
	free(up);
}

/* genlog's low-cardinality log, 20 ms a line over ~15 minutes. */
static void
test_lowcard(void **state)
{
	struct gen_db g;
	char args[64];

	snprintf(args, sizeof(args), "40000 7 20 %lld", GEN_START_S);
	gen_open(&g, args);
	assert_int_equal(g.first_ms / 86400000, GEN_START_MS / 86400000);
	check_all(&g);
	gen_close(&g);
}

/* genlog -P: production cardinality (50 upstreams, many paths). */
static void
test_prodcard(void **state)
{
	struct gen_db g;

	gen_open(&g, "-P -H 0 60000 11");
	check_all(&g);
	gen_close(&g);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lowcard),
		cmocka_unit_test(test_prodcard),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
