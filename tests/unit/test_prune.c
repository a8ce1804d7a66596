/*
 * test_prune.c - retention (store/prune.c): exactly the older raw rows go,
 * with everything that hangs on them (attempts, joined error lines,
 * rejects), reports over the kept range stay the same and over the whole
 * range equal the rollups, late error lines of pruned requests, rollups,
 * the size cap, interned strings and the writers' caches, step sizes.
 */
#include "tests/unit/test_store_fixture.h"

#include "store/prune.h"

#define HOUR	(3600 * INT64_C(1000))
#define DAY	(24 * HOUR)
#define NDAYS	30

/* Events every hour for NDAYS days up to T0, in daily batches; every
 * fifth a 502 with a joined refused error, every seventh retried; a
 * reject between each day's lines. Returns the source id. */
static int64_t
fill_month(struct fx *f)
{
	int64_t src = fx_source(f, "access.log", "nginx_access");
	int64_t start = T0 - NDAYS * DAY;
	int n = 0;

	for (int d = 0; d < NDAYS; d++) {
		for (int h = 0; h < 24; h++, n++) {
			int64_t ts = start + d * DAY + h * HOUR + 1000;
			char path[32], client[32];

			snprintf(path, sizeof(path), "/v1/item/%d", n);
			snprintf(client, sizeof(client), "10.1.%d.%d",
			    n / 200, n % 200);
			if (n % 5 == 0) {
				fx_event(f, ts, 0, client, "GET", path, "a=1",
				    502, 3, GW_CAUSE_UNKNOWN,
				    "10.0.0.5:8080 502 1");
				fx_error(f, ts - 500, client, "GET", path,
				    "a=1", "10.0.0.5:8080",
				    GW_CAUSE_UPSTREAM_REFUSED);
			} else if (n % 7 == 0)
				fx_event(f, ts, 0, client, "GET", path, "a=1",
				    200, 9, GW_CAUSE_OK, "10.0.0.5:8080 502 7, "
				    "10.0.0.6:8080 200 0");
			else
				fx_event(f, ts, 0, client, "GET", path, NULL,
				    200, 2, GW_CAUSE_OK, "10.0.0.6:8080 200 0");
			/* Line numbers grow through the month. */
			f->b.events[f->b.n_events - 1].line_no = (uint64_t)n *
			    2 + 1;
			if (f->b.n_errors > 0)
				f->b.errors[f->b.n_errors - 1].line_no =
				    (uint64_t)n * 2 + 1;
		}
		assert_int_equal(batch_add_reject(&f->b, (uint64_t)n * 2, 0,
		    "bad line", "garbage", 7), 0);
		fx_write(f, src);
	}
	return src;
}

/* A report as one comparable text (csv-like). */
static char *
report_text(struct fx *f, int64_t since, int64_t until, int nk,
    enum report_key k0, enum report_key k1)
{
	struct report_query q = {.since_ms = since, .until_ms = until,
	    .keys = {k0, k1}, .n_keys = nk, .cause = GW_CAUSE_ANY,
	    .status = -1};
	struct report_row *rows;
	size_t n, len = 0;
	char *buf = calloc(1, 65536);

	assert_non_null(buf);
	if (store_report(f->s, &q, &rows, &n, f->err, sizeof(f->err)) != 0)
		fail_msg("report: %s", f->err);
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(buf + len, 65536 - len,
		    "%s,%s,%lld,%lld,%lld,%lld,%lld\n", rows[i].key[0],
		    nk > 1 ? rows[i].key[1] : "", (long long)rows[i].requests,
		    (long long)rows[i].errors_5xx, (long long)rows[i].failed,
		    (long long)rows[i].attempts,
		    (long long)rows[i].failed_attempts);
	store_report_free(rows, n);
	return buf;
}

/* Prune under p in steps of max_rows until done; returns the steps. */
static int
prune_all(struct fx *f, const struct store_prune_policy *p, int max_rows,
    struct store_prune_result *r)
{
	int steps = 0;
	int64_t before = -1;

	memset(r, 0, sizeof(*r));
	do {
		before = r->requests;
		if (store_prune_step(f->s, p, max_rows, r, f->err,
		    sizeof(f->err)) != 0)
			fail_msg("prune: %s", f->err);
		/* A step never takes more than it was allowed. */
		assert_true(r->requests - before <= max_rows);
		assert_true(++steps < 100000);
	} while (r->more);
	return steps;
}

/* Nothing refers to a row that is gone. */
static void
check_no_dangling(struct fx *f)
{
	assert_int_equal(fx_int(f, "SELECT count(*) FROM attempts a WHERE"
	    " NOT EXISTS (SELECT 1 FROM requests r WHERE r.id = a.request_id)"),
	    0);
	assert_int_equal(fx_int(f, "SELECT count(*) FROM gateway_errors e"
	    " WHERE e.request_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM"
	    " requests r WHERE r.id = e.request_id)"), 0);
	assert_int_equal(fx_int(f, "SELECT count(*) FROM attempts_all a WHERE"
	    " a.error_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM"
	    " gateway_errors e WHERE e.id = a.error_id)"), 0);
	assert_int_equal(fx_int(f, "SELECT count(*) FROM requests r WHERE"
	    " r.error_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM"
	    " gateway_errors e WHERE e.id = r.error_id)"), 0);
}

/* prune --older-than 7d: exactly the newer requests stay; reports over
 * the last 7 days are unchanged, over the month they equal the rollups. */
static void
test_prune_keeps_exactly_newer(void **state)
{
	struct store_prune_result r;
	struct fx f;
	int64_t newest, cut, raw_gone, roll_gone, src;
	char *week_before, *week_path_before, *month_before, *after;
	char sql[256];

	(void)state;
	fx_init(&f);
	src = fill_month(&f);
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM requests"),
	    NDAYS * 24);
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM gateway_errors"
	    " WHERE request_id IS NOT NULL"), NDAYS * 24 / 5);
	assert_int_equal(store_newest_event_ms(f.s, INT64_MAX, &newest, f.err,
	    sizeof(f.err)), 0);
	assert_int_equal(newest, T0 - DAY + 23 * HOUR + 1000);
	cut = newest - 7 * DAY;
	/* A minute-aligned week, as `report --since` on a whole minute. */
	int64_t since = (cut / 60000 + 1) * 60000;
	week_before = report_text(&f, since, INT64_MAX, 2, REPORT_KEY_UPSTREAM,
	    REPORT_KEY_CAUSE);
	week_path_before = report_text(&f, since, INT64_MAX, 1,
	    REPORT_KEY_PATH, 0);
	month_before = report_text(&f, INT64_MIN, INT64_MAX, 2,
	    REPORT_KEY_UPSTREAM, REPORT_KEY_CAUSE);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM requests WHERE"
	    " ts_ms >= %lld", (long long)cut);
	int64_t newer = fx_int(&f, sql);
	int64_t position = fx_int(&f, "SELECT position FROM sources");

	struct store_prune_policy p = {cut, INT64_MIN, 0, 0};
	int steps = prune_all(&f, &p, 7, &r);
	assert_true(steps > (NDAYS * 24 - newer) / 7);

	/* Exactly the newer requests, and nothing refers to the others. */
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM requests"), newer);
	fx_check_runs(&f);
	/* the runs of the pruned days went with their rows */
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM request_runs WHERE"
	    " sec < %lld", (long long)(cut / 1000));
	assert_int_equal(fx_int(&f, sql), 0);
	assert_int_equal(r.requests, NDAYS * 24 - newer);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM requests WHERE"
	    " ts_ms < %lld", (long long)cut);
	assert_int_equal(fx_int(&f, sql), 0);
	check_no_dangling(&f);
	/* Every error line went with its request; none was left unjoined. */
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM gateway_errors"
	    " WHERE request_id IS NULL"), 0);
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM gateway_errors"),
	    fx_int(&f, "SELECT count(*) FROM requests WHERE status = 502"));
	/* Rejects before the first kept line of the source went too. */
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM rejects WHERE"
	    " line_no < (SELECT min(line_no) FROM requests)");
	assert_int_equal(fx_int(&f, sql), 0);
	assert_true(fx_int(&f, "SELECT count(*) FROM rejects") >= 7);
	/* The position is never pruned. */
	assert_int_equal(fx_int(&f, "SELECT position FROM sources"), position);
	(void)src;

	/* The readers learn how far it went. */
	assert_int_equal(store_pruned_before(f.s, &raw_gone, &roll_gone, f.err,
	    sizeof(f.err)), 0);
	assert_int_equal(raw_gone, cut);
	assert_true(roll_gone == INT64_MIN);

	after = report_text(&f, since, INT64_MAX, 2, REPORT_KEY_UPSTREAM,
	    REPORT_KEY_CAUSE);
	assert_string_equal(after, week_before);
	free(after);
	after = report_text(&f, since, INT64_MAX, 1, REPORT_KEY_PATH, 0);
	assert_string_equal(after, week_path_before);
	free(after);
	after = report_text(&f, INT64_MIN, INT64_MAX, 2, REPORT_KEY_UPSTREAM,
	    REPORT_KEY_CAUSE);
	assert_string_equal(after, month_before);
	free(after);

	/* Pruning again finds nothing. */
	prune_all(&f, &p, 7, &r);
	assert_int_equal(r.requests + r.errors + r.rejects + r.rollup_rows, 0);
	free(week_before);
	free(week_path_before);
	free(month_before);
	fx_free(&f);
}

/*
 * Pruning every request, the newest included: the new requests take ids
 * after the pruned ones (SQLite's next rowid would give those out again,
 * below the prune's mark, so their strings were never marked), no run
 * claims them twice (schema/013), and they are read once each.
 */
static void
test_prune_runs_ids_again(void **state)
{
	struct store_prune_result r;
	struct fx f;
	char *before, *after;

	(void)state;
	fx_init(&f);
	int64_t src = fill_month(&f);
	int64_t n = fx_int(&f, "SELECT count(*) FROM requests");
	struct store_prune_policy p = {T0 + DAY, INT64_MIN, 0, 0};
	prune_all(&f, &p, 50, &r);
	assert_int_equal(r.requests, n);
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM requests"), 0);
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM request_runs"), 0);

	/* times a day later, two minutes apart: ids after the pruned ones */
	for (int i = 0; i < 30; i++)
		fx_event(&f, T0 + 2 * DAY + (i % 3) * 120000 + i, 0, "10.0.0.1",
		    "GET", "/again", NULL, 200, 2, GW_CAUSE_OK,
		    "10.0.0.6:8080 200 0");
	fx_write(&f, src);
	assert_int_equal(fx_int(&f, "SELECT min(id) FROM requests"), n + 1);
	fx_check_runs(&f);
	before = report_text(&f, T0 + 2 * DAY + 60000, INT64_MAX, 1,
	    REPORT_KEY_UPSTREAM, 0);
	after = report_text(&f, T0 + 2 * DAY + 60123, INT64_MAX, 1,
	    REPORT_KEY_UPSTREAM, 0);
	/* 20 requests from the second minute on, read raw and by rollup */
	assert_string_equal(before, "10.0.0.6:8080,,20,0,0,20,0\n");
	assert_string_equal(after, before);
	free(before);
	free(after);
	fx_free(&f);
}

/* A report whose bounds are off the minute over a pruned range answers
 * from the rollups, bounds widened to whole minutes, and says so. */
static void
test_prune_report_coverage(void **state)
{
	struct store_prune_result r;
	struct report_coverage c;
	struct fx f;
	int64_t cut = T0 - 10 * DAY;

	(void)state;
	fx_init(&f);
	fill_month(&f);
	char *rollups = report_text(&f, T0 - 20 * DAY, INT64_MAX, 1,
	    REPORT_KEY_UPSTREAM, 0);
	struct store_prune_policy p = {cut, INT64_MIN, 0, 0};
	prune_all(&f, &p, 100, &r);

	struct report_query q = {.since_ms = T0 - 20 * DAY + 30000,
	    .until_ms = INT64_MAX, .keys = {REPORT_KEY_UPSTREAM}, .n_keys = 1,
	    .cause = GW_CAUSE_ANY, .status = -1};
	assert_int_equal(store_report_coverage(f.s, &q, &c, f.err,
	    sizeof(f.err)), 0);
	assert_true(c.raw_partial && c.rounded && !c.raw && !c.rollup_partial);
	/* The minute of since taken whole: the same as the aligned one. */
	char *off = report_text(&f, q.since_ms, INT64_MAX, 1,
	    REPORT_KEY_UPSTREAM, 0);
	assert_string_equal(off, rollups);

	/* By path reads raw rows: it says it covers only what is left. */
	q.keys[0] = REPORT_KEY_PATH;
	assert_int_equal(store_report_coverage(f.s, &q, &c, f.err,
	    sizeof(f.err)), 0);
	assert_true(c.raw && c.raw_partial && !c.rounded);
	/* A window after the pruning point is whole. */
	q.since_ms = cut + 60000;
	assert_int_equal(store_report_coverage(f.s, &q, &c, f.err,
	    sizeof(f.err)), 0);
	assert_false(c.raw_partial);
	free(off);
	free(rollups);
	fx_free(&f);
}

/* A late error line for a request already pruned joins nothing, changes
 * no rollup, and is itself pruned as old. */
static void
test_prune_late_error(void **state)
{
	struct store_prune_result r;
	struct fx f;
	int64_t src, err_src;

	(void)state;
	fx_init(&f);
	src = fx_source(&f, "access.log", "nginx_access");
	err_src = fx_source(&f, "error.log", "nginx_error");
	fx_event(&f, T0 - 2 * DAY, 0, "10.1.2.3", "GET", "/a", NULL, 502, 3,
	    GW_CAUSE_UNKNOWN, "10.0.0.5:8080 502 1");
	fx_event(&f, T0, 0, "10.1.2.4", "GET", "/b", NULL, 200, 3,
	    GW_CAUSE_OK, "10.0.0.6:8080 200 0");
	fx_write(&f, src);
	struct store_prune_policy p = {T0 - DAY, INT64_MIN, 0, 0};
	prune_all(&f, &p, 10, &r);
	assert_int_equal(r.requests, 1);
	int64_t rollup_sum = fx_int(&f, "SELECT sum(requests) FROM"
	    " rollup_minute WHERE cause = 1");
	assert_int_equal(rollup_sum, 1);

	/* The error log arrives late. */
	fx_error(&f, T0 - 2 * DAY - 500, "10.1.2.3", "GET", "/a", NULL,
	    "10.0.0.5:8080", GW_CAUSE_UPSTREAM_REFUSED);
	fx_write(&f, err_src);
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM gateway_errors"
	    " WHERE request_id IS NULL"), 1);
	assert_int_equal(fx_int(&f, "SELECT sum(requests) FROM rollup_minute"
	    " WHERE cause = 1"), rollup_sum);
	check_no_dangling(&f);
	prune_all(&f, &p, 10, &r);
	assert_int_equal(r.errors, 1);
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM gateway_errors"), 0);
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM requests"), 1);
	fx_free(&f);
}

/* Rollups go by their own cutoff, a few minutes a step, all three kinds;
 * raw rows of those minutes go first. */
static void
test_prune_rollups(void **state)
{
	struct store_prune_result r;
	struct fx f;
	int64_t raw_gone, roll_gone, cut = T0 - 20 * DAY;
	char sql[400];

	(void)state;
	fx_init(&f);
	fill_month(&f);
	struct store_prune_policy p = {cut, cut, 0, 0};
	prune_all(&f, &p, 16, &r);
	assert_true(r.rollup_rows > 0);
	snprintf(sql, sizeof(sql), "SELECT (SELECT count(*) FROM rollup_minute"
	    " WHERE minute < %lld) + (SELECT count(*) FROM rollup_attempt_minute"
	    " WHERE minute < %lld) + (SELECT count(*) FROM"
	    " rollup_latency_minute WHERE minute < %lld)",
	    (long long)(cut / 60000), (long long)(cut / 60000),
	    (long long)(cut / 60000));
	assert_int_equal(fx_int(&f, sql), 0);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM rollup_minute WHERE"
	    " minute >= %lld", (long long)(cut / 60000));
	assert_true(fx_int(&f, sql) > 0);
	assert_int_equal(store_pruned_before(f.s, &raw_gone, &roll_gone, f.err,
	    sizeof(f.err)), 0);
	assert_int_equal(roll_gone, cut / 60000 * 60000);
	assert_true(raw_gone >= roll_gone);
	/* Over the whole range the rollups now start at the cutoff. */
	struct report_query q = {.since_ms = INT64_MIN, .until_ms = INT64_MAX,
	    .cause = GW_CAUSE_ANY, .status = -1};
	struct report_coverage c;
	assert_int_equal(store_report_coverage(f.s, &q, &c, f.err,
	    sizeof(f.err)), 0);
	assert_true(c.rollup_partial);
	check_no_dangling(&f);
	fx_free(&f);
}

/*
 * Rollups of requests no upstream answered (no attempt: the gateway's own
 * refusals, or a log without upstream fields) go by their cutoff too:
 * with the attempt and latency rollups empty, the oldest minute of the
 * three was NULL (SQL's min() of several values is NULL when one is) and
 * no rollup was ever pruned. Fails on main.
 */
static void
test_prune_rollups_no_attempts(void **state)
{
	struct store_prune_result r;
	struct fx f;
	int64_t src, cut = T0 - 2 * DAY;
	char sql[200];

	(void)state;
	fx_init(&f);
	src = fx_source(&f, "access.log", "nginx_access");
	for (int d = 0; d < 5; d++)
		fx_event(&f, T0 - (4 - d) * DAY, 0, "10.0.0.1", "GET", "/a",
		    NULL, 403, 1, GW_CAUSE_OK, NULL);
	fx_write(&f, src);
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM"
	    " rollup_attempt_minute"), 0);
	struct store_prune_policy p = {cut, cut, 0, 0};
	prune_all(&f, &p, 100, &r);
	assert_int_equal(r.requests, 2);
	assert_int_equal(r.rollup_rows, 2);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM rollup_minute WHERE"
	    " minute < %lld", (long long)(cut / 60000));
	assert_int_equal(fx_int(&f, sql), 0);
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM rollup_minute"), 3);
	fx_free(&f);
}

/* The size cap takes the oldest raw rows first, rollups only when no raw
 * row is left. */
static void
test_prune_size_cap(void **state)
{
	struct store_prune_result r;
	struct store_size sz;
	struct fx f;
	int64_t rollups;

	(void)state;
	fx_init(&f);
	fill_month(&f);
	rollups = fx_int(&f, "SELECT count(*) FROM rollup_minute");
	assert_int_equal(store_size(f.s, &sz, f.err, sizeof(f.err)), 0);
	assert_true(sz.used_bytes > 0);

	/* Just under what is used: some raw rows go, the oldest. */
	struct store_prune_policy p = {INT64_MIN, INT64_MIN,
	    sz.used_bytes - 1, 0};
	memset(&r, 0, sizeof(r));
	assert_int_equal(store_prune_step(f.s, &p, 50, &r, f.err,
	    sizeof(f.err)), 0);
	assert_int_equal(r.requests, 50);
	assert_true(r.capped);
	assert_int_equal(fx_int(&f, "SELECT min(ts_ms) FROM requests"),
	    T0 - NDAYS * DAY + 50 * HOUR + 1000);
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM rollup_minute"),
	    rollups);
	check_no_dangling(&f);

	/* A cap nothing fits: every raw row, then the rollups. */
	p.max_bytes = 1;
	prune_all(&f, &p, 500, &r);
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM requests"), 0);
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM gateway_errors"), 0);
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM rejects"), 0);
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM rollup_minute"), 0);
	/* Sources stay: a restart still resumes. */
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM sources"), 1);
	fx_free(&f);
}

/* Interned strings no row uses go; a writer that cached one learns it
 * at its next batch and stores the string again. */
static void
test_prune_strings_epoch(void **state)
{
	struct store_prune_result r = {0};
	struct store *other;
	struct fx f;
	int64_t src;

	(void)state;
	fx_init(&f);
	src = fx_source(&f, "access.log", "nginx_access");
	fx_event(&f, T0 - 2 * DAY, 0, "10.9.9.9", "GET", "/old", NULL, 200, 3,
	    GW_CAUSE_OK, "10.0.0.6:8080 200 0");
	fx_event(&f, T0, 0, "10.1.1.1", "GET", "/new", NULL, 200, 3,
	    GW_CAUSE_OK, "10.0.0.6:8080 200 0");
	fx_write(&f, src);	/* f.s now caches "/old" and "10.9.9.9" */

	/* Another connection (gatewatch prune beside tail) prunes. */
	assert_int_equal(store_open(f.path, &other, f.err, sizeof(f.err)), 0);
	struct store_prune_policy p = {T0 - DAY, INT64_MIN, 0, 0};
	while (store_prune_step(other, &p, 10, &r, f.err, sizeof(f.err)) ==
	    0 && r.more)
		;
	assert_int_equal(store_prune_strings(other, &r, f.err,
	    sizeof(f.err)), 0);
	assert_true(r.strings >= 2);	/* "/old" and its client, its shape */
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM paths WHERE"
	    " name = '/old'"), 0);
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM paths WHERE"
	    " name = '/new'"), 1);
	store_close(other);

	/* The writer uses "/old" again: it must not write the stale id. */
	fx_event(&f, T0 + 1000, 0, "10.9.9.9", "GET", "/old", NULL, 200, 3,
	    GW_CAUSE_OK, "10.0.0.6:8080 200 0");
	fx_write(&f, src);
	assert_string_equal(fx_text(&f, "SELECT path FROM request_view WHERE"
	    " ts_ms = " "1795601701000"), "/old");
	assert_string_equal(fx_text(&f, "SELECT client FROM request_view WHERE"
	    " ts_ms = " "1795601701000"), "10.9.9.9");
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM requests r WHERE"
	    " NOT EXISTS (SELECT 1 FROM paths p WHERE p.id = r.path_id)"), 0);
	fx_free(&f);
}

/* The steps' own sweep: strings of pruned rows go (after their marks
 * are an hour and a minute older than the pruning point), those of kept
 * rows stay, and no kept row points at a removed string. */
static void
test_prune_strings_swept(void **state)
{
	struct store_prune_result r;
	struct fx f;
	int64_t cut = T0 - 7 * DAY;
	char sql[400];

	(void)state;
	fx_init(&f);
	fill_month(&f);
	int64_t paths = fx_int(&f, "SELECT count(*) FROM paths");
	assert_int_equal(paths, NDAYS * 24);	/* one path per request */
	struct store_prune_policy p = {cut, INT64_MIN, 0, 0};
	prune_all(&f, &p, 50, &r);
	assert_true(r.strings > 0);
	int64_t kept = fx_int(&f, "SELECT count(DISTINCT path_id) FROM"
	    " requests");
	/* One request an hour: at most two more paths within the margin. */
	int64_t left = fx_int(&f, "SELECT count(*) FROM paths");
	assert_true(left >= kept && left <= kept + 2);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM paths WHERE last_ms"
	    " < %lld", (long long)(cut - 3660000 - 9));
	assert_int_equal(fx_int(&f, sql), 0);
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM requests r WHERE"
	    " NOT EXISTS (SELECT 1 FROM paths p WHERE p.id = r.path_id)"), 0);
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM requests r WHERE"
	    " NOT EXISTS (SELECT 1 FROM hosts h WHERE h.id = r.host_id)"
	    " AND r.host_id IS NOT NULL"), 0);
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM gateway_errors e"
	    " WHERE NOT EXISTS (SELECT 1 FROM paths p WHERE p.id = e.path_id)"),
	    0);
	assert_true(fx_int(&f, "SELECT value FROM store_meta WHERE"
	    " key = 'intern_epoch'") >= 1);
	/* Every row was marked before it could go. */
	assert_int_equal(fx_int(&f, "SELECT value FROM store_meta WHERE"
	    " key = 'mark_request_id'"), NDAYS * 24);

	/* The writer, whose caches knew the removed strings, still writes
	   valid ids (first day's client and path again, new time). */
	fx_event(&f, T0 + 1000, 0, "10.1.0.0", "GET", "/v1/item/0", "a=1",
	    200, 3, GW_CAUSE_OK, "10.0.0.6:8080 200 0");
	fx_write(&f, fx_source(&f, "more.log", "nginx_access"));
	assert_string_equal(fx_text(&f, "SELECT path || ' ' || client FROM"
	    " request_view ORDER BY ts_ms DESC LIMIT 1"), "/v1/item/0 10.1.0.0");
	fx_free(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prune_keeps_exactly_newer),
		cmocka_unit_test(test_prune_runs_ids_again),
		cmocka_unit_test(test_prune_report_coverage),
		cmocka_unit_test(test_prune_late_error),
		cmocka_unit_test(test_prune_rollups),
		cmocka_unit_test(test_prune_rollups_no_attempts),
		cmocka_unit_test(test_prune_size_cap),
		cmocka_unit_test(test_prune_strings_epoch),
		cmocka_unit_test(test_prune_strings_swept),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
