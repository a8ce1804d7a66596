/*
 * test_oom_store.c - out of memory in the store: writing a batch (SQLite,
 * the intern caches, the join, the rollups), the report and the console's
 * queries, as SQLite's fault simulation does.
 *
 * SQLite's allocations and ours count on one fault countdown (oom.h:
 * sqlite3_config(SQLITE_CONFIG_MALLOC) around SQLite's allocator, and
 * core/alloc.h), walked n = 1, 2, ... once and persistently:
 *   - store_write_batch() either stores the whole batch or fails with
 *     "out of memory" having stored nothing (every table, the source's
 *     position included, is as before: exactly once), and the same batch
 *     written again without the fault is stored; in the end the database
 *     is row for row the one a run without faults writes (so no cache was
 *     left believing in a row that was rolled back);
 *   - store_report(), the console's queries and the console's model
 *     (tui/snapshot.c) answer exactly what they answer without the fault,
 *     or fail with "out of memory", and work again after.
 * tests/unit/oom.h says how a walk goes.
 */
#include "tests/unit/test_store_fixture.h"

#include "core/alloc.h"
#include "store/block.h"
#include "store/console.h"
#include "tui/snapshot.h"
#include "tests/unit/oom.h"

#define ROUNDS_MAX 4000

/* Every row of every table of the database at path, as text. */
static char *
dump(const char *path)
{
	sqlite3 *db;
	sqlite3_stmt *tables, *rows;
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	assert_non_null(f);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY,
	    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT name FROM "
	    "sqlite_master WHERE type = 'table' AND name <> 'name_hash_key' "
	    "ORDER BY name", -1, &tables,
	    NULL), SQLITE_OK);
	while (sqlite3_step(tables) == SQLITE_ROW) {
		const char *table = (const char *)sqlite3_column_text(tables,
		    0);
		size_t n = strlen(table);
		char sql[160];

		/* a names' keys table (schema 017) is in the order of its
		   keyed hashes: by id */
		snprintf(sql, sizeof(sql), "SELECT * FROM \"%s\"%s", table,
		    n > 5 && strcmp(table + n - 5, "_keys") == 0 ?
		    " ORDER BY id" : "");
		fprintf(f, "[%s]\n", sqlite3_column_text(tables, 0));
		assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &rows, NULL),
		    SQLITE_OK);
		while (sqlite3_step(rows) == SQLITE_ROW) {
			for (int i = 0; i < sqlite3_column_count(rows); i++) {
				const unsigned char *t =
				    sqlite3_column_text(rows, i);
				/* keyed per database (name_hash_key), and
				 * the wall clock of the run */
				const char *name =
				    sqlite3_column_name(rows, i);
				if (strstr(name, "hash") != NULL ||
				    strstr(name, "_seen_ms") != NULL)
					continue;
				fprintf(f, "%s|", t != NULL ? (const char *)t :
				    "NULL");
			}
			fputc('\n', f);
		}
		sqlite3_finalize(rows);
	}
	sqlite3_finalize(tables);
	sqlite3_close(db);
	fclose(f);
	return out;
}

/* The k-th batch: requests with attempts, error lines that join them,
 * a reject; new names each round, so the intern caches grow. */
static void
fill(struct fx *f, int64_t src, int k)
{
	char path[64], up[64];
	int64_t t = T0 + (int64_t)k * 1000;

	snprintf(path, sizeof(path), "/api/r%d", k);
	snprintf(up, sizeof(up), "10.0.%d.%d:80 502 2, 10.0.0.9:80 200 0",
	    k / 250, k % 250);
	fx_event(f, t, 0, "10.1.0.1", "GET", path, "id=1", 200, 12,
	    GW_CAUSE_OK, up);
	fx_event(f, t + 1, 0, "10.1.0.2", "POST", "/api/orders", NULL, 502, 30,
	    GW_CAUSE_UPSTREAM_REFUSED, "10.0.0.5:80 502 2");
	fx_event(f, t + 2, 0, "10.1.0.3", "GET", path, NULL, 200, 1,
	    GW_CAUSE_OK, NULL);
	fx_error(f, t + 1, "10.1.0.2", "POST", "/api/orders", NULL,
	    "10.0.0.5:80", GW_CAUSE_UPSTREAM_REFUSED);
	assert_int_equal(batch_add_reject(&f->b, 4, 400, "unparsed", "junk",
	    4), 0);
	f->b.source_id = src;
	f->b.position = (uint64_t)(k + 1) * 1000;
	f->b.line_no = (uint64_t)(k + 1) * 5;
}

static void
test_write_batch(void **state)
{
	struct fx f, ref;
	int64_t src, ref_src;
	int rounds = 0;

	(void)state;
	fx_init(&f);
	/* no fsync per batch: the walk commits hundreds */
	assert_int_equal(store_set_bulk(f.s, true, f.err, sizeof(f.err)), 0);
	src = fx_source(&f, "a.log", "nginx_access");
	fill(&f, src, rounds++);
	assert_int_equal(store_write_batch(f.s, &f.b, f.err, sizeof(f.err)),
	    0);
	batch_clear(&f.b);

	for (int persistent = 0; persistent < 2; persistent++) {
		for (long n = 1;; n++) {
			unsigned long hit;
			char *before, *after;
			int rc;

			assert_true(n < OOM_N_MAX && rounds < ROUNDS_MAX);
			fill(&f, src, rounds++);
			before = dump(f.path);
			f.err[0] = '\0';
			gw_fault_install(n, persistent);
			rc = store_write_batch(f.s, &f.b, f.err, sizeof(f.err));
			hit = gw_fault_uninstall();
			if (rc != 0) {
				assert_true(hit > 0);
				if (strstr(f.err, "out of memory") == NULL)
					fail_msg("fault %ld%s: \"%s\"", n,
					    persistent ? "+" : "", f.err);
				after = dump(f.path);
				if (strcmp(before, after) != 0)
					fail_msg("fault %ld%s: a failed batch "
					    "changed the database", n,
					    persistent ? "+" : "");
				free(after);
				/* the same batch, without the fault */
				if (store_write_batch(f.s, &f.b, f.err,
				    sizeof(f.err)) != 0)
					fail_msg("fault %ld%s, then: %s", n,
					    persistent ? "+" : "", f.err);
			}
			free(before);
			batch_clear(&f.b);
			if (hit == 0) {
				assert_true(n > 10);
				break;
			}
		}
	}

	/* the same rounds without any fault: the same rows */
	fx_init(&ref);
	assert_int_equal(store_set_bulk(ref.s, true, ref.err,
	    sizeof(ref.err)), 0);
	ref_src = fx_source(&ref, "a.log", "nginx_access");
	assert_int_equal(ref_src, src);
	for (int k = 0; k < rounds; k++) {
		fill(&ref, ref_src, k);
		assert_int_equal(store_write_batch(ref.s, &ref.b, ref.err,
		    sizeof(ref.err)), 0);
		batch_clear(&ref.b);
	}
	char *a = dump(f.path), *b = dump(ref.path);
	if (strcmp(a, b) != 0)
		oom_fail_diff("the database differs from a run without faults", a,
		    b);
	free(a);
	free(b);
	fx_free(&ref);
	fx_free(&f);
}

/* Round k's batch for blocks: two full blocks of plain requests and a
 * few more (the first goes out to be finished while the second fills,
 * store/blocks.c), failed requests (rows) of new paths while the first is
 * out; each round's paths its own. */
static void
fill_blocks(struct fx *f, int64_t src, int k)
{
	int64_t t = T0 + (int64_t)k * 100000;

	for (int i = 0; i < 2 * BLOCK_MAX_ROWS + 100; i++) {
		char path[48];

		snprintf(path, sizeof(path), "/b/%d/%d", k, i % 300);
		fx_event(f, t + i, 0, i % 2 ? "10.3.0.1" : "10.3.0.2", "GET",
		    path, i % 5 ? "q=1" : NULL, 200, i, GW_CAUSE_OK,
		    "10.0.0.1:80 200 0");
		/* while the first block is out: failed requests (rows),
		 * each of a new path (allocations that may fail) */
		if (i > BLOCK_MAX_ROWS && i % 8 == 0) {
			snprintf(path, sizeof(path), "/x/%d/%d", k, i);
			fx_event(f, t + i, 0, "10.3.0.3", "GET", path, NULL,
			    502, 3, GW_CAUSE_UPSTREAM_5XX, "10.0.0.1:80 502 0");
		}
	}
	f->b.source_id = src;
	f->b.position = (uint64_t)(k + 1) * 100000;
	f->b.line_no = (uint64_t)(k + 1) * 9000;
}

/* The blocks' bytes, which dump() cuts at a NUL. */
static char *
dump_blocks(const char *path)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	char *out = NULL, *rest = dump(path);
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	assert_non_null(f);
	fputs(rest, f);
	free(rest);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY,
	    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT first_id, hex(data)"
	    " FROM request_blocks ORDER BY first_id", -1, &st, NULL),
	    SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW)
		fprintf(f, "%lld %s\n", (long long)sqlite3_column_int64(st, 0),
		    (const char *)sqlite3_column_text(st, 1));
	sqlite3_finalize(st);
	sqlite3_close(db);
	fclose(f);
	return out;
}

/*
 * Blocks: a batch that fails while a full block is out being finished on
 * the helper thread (or at any other point) stores nothing and forgets
 * that block (the next batch, another, is stored without it), and the
 * database is block for block the one a run of the stored batches
 * without faults writes. The walk steps n
 * by half again each time (a batch of 8,000 requests makes thousands of
 * allocations).
 */
static void
test_write_batch_blocks(void **state)
{
	struct fx f, ref;
	int64_t src, ref_src;
	int rounds = 0, failed = 0, stored[200], n_stored = 0;

	(void)state;
	fx_init(&f);
	store_set_blocks(f.s, true);
	assert_int_equal(store_set_bulk(f.s, true, f.err, sizeof(f.err)), 0);
	src = fx_source(&f, "a.log", "nginx_access");
	for (int persistent = 0; persistent < 2; persistent++) {
		for (long n = 1;; n += n / 2 + 1) {
			unsigned long hit;
			char *before, *after;
			int rc;

			assert_true(n < 10 * OOM_N_MAX && rounds < 190);
			fill_blocks(&f, src, rounds);
			before = dump_blocks(f.path);
			f.err[0] = '\0';
			gw_fault_install(n, persistent);
			rc = store_write_batch(f.s, &f.b, f.err, sizeof(f.err));
			hit = gw_fault_uninstall();
			batch_clear(&f.b);
			if (rc == 0)
				stored[n_stored++] = rounds;
			rounds++;
			if (rc != 0) {
				failed++;
				assert_true(hit > 0);
				if (strstr(f.err, "out of memory") == NULL)
					fail_msg("fault %ld%s: \"%s\"", n,
					    persistent ? "+" : "", f.err);
				after = dump_blocks(f.path);
				if (strcmp(before, after) != 0)
					fail_msg("fault %ld%s: a failed batch "
					    "changed the database", n,
					    persistent ? "+" : "");
				free(after);
				/* another batch (what was dropped must not
				 * come back with it) */
				fill_blocks(&f, src, rounds);
				if (store_write_batch(f.s, &f.b, f.err,
				    sizeof(f.err)) != 0)
					fail_msg("fault %ld%s, then: %s", n,
					    persistent ? "+" : "", f.err);
				batch_clear(&f.b);
				stored[n_stored++] = rounds++;
			}
			free(before);
			if (hit == 0)
				break;
		}
	}
	assert_true(failed > 10);

	fx_init(&ref);
	store_set_blocks(ref.s, true);
	assert_int_equal(store_set_bulk(ref.s, true, ref.err,
	    sizeof(ref.err)), 0);
	ref_src = fx_source(&ref, "a.log", "nginx_access");
	assert_int_equal(ref_src, src);
	for (int k = 0; k < n_stored; k++) {
		fill_blocks(&ref, ref_src, stored[k]);
		assert_int_equal(store_write_batch(ref.s, &ref.b, ref.err,
		    sizeof(ref.err)), 0);
		batch_clear(&ref.b);
	}
	char *a = dump_blocks(f.path), *b = dump_blocks(ref.path);
	if (strcmp(a, b) != 0)
		oom_fail_diff("the database differs from a run without faults", a,
		    b);
	free(a);
	free(b);
	fx_free(&ref);
	fx_free(&f);
}

/* A report's rows as text. */
static char *
report_text(struct report_row *rows, size_t n, int n_keys)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	assert_non_null(f);
	for (size_t i = 0; i < n; i++) {
		for (int k = 0; k < n_keys; k++)
			fprintf(f, "%s ", rows[i].key[k]);
		fprintf(f, "%lld %lld %lld %lld %lld %.3f\n",
		    (long long)rows[i].requests,
		    (long long)rows[i].errors_5xx, (long long)rows[i].failed,
		    (long long)rows[i].attempts,
		    (long long)rows[i].failed_attempts,
		    rows[i].request_ms_avg);
	}
	fclose(f);
	return out;
}

/* What the console shows of the database, as text; NULL with err. */
static char *
console_text(struct console *c, char *err, size_t errlen)
{
	struct console_filter all = console_filter_all();
	struct console_upstream *up = NULL;
	struct console_cause *ca = NULL;
	struct console_request *rq = NULL;
	size_t n_up = 0, n_ca = 0, n_rq = 0;
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	if (console_begin(c, err, errlen) != 0)
		return NULL;
	if (console_upstreams(c, &all, &up, &n_up, err, errlen) != 0 ||
	    console_causes(c, &all, &ca, &n_ca, err, errlen) != 0 ||
	    console_failures(c, &all, 50, &rq, &n_rq, err, errlen) != 0) {
		console_upstreams_free(up, n_up);
		console_causes_free(ca, n_ca);
		console_end(c);
		return NULL;
	}
	console_end(c);
	assert_non_null(f = open_memstream(&out, &len));
	/* upstreams come in no particular order: by name */
	for (size_t i = 0; i < n_up; i++)
		for (size_t j = i + 1; j < n_up; j++)
			if (strcmp(up[j].name, up[i].name) < 0) {
				struct console_upstream t = up[i];
				up[i] = up[j];
				up[j] = t;
			}
	for (size_t i = 0; i < n_up; i++)
		fprintf(f, "U %s %lld %lld %lld %lld %lld\n", up[i].name,
		    (long long)up[i].c.requests, (long long)up[i].c.failed,
		    (long long)up[i].c.attempts, (long long)up[i].p50_ms,
		    (long long)up[i].p99_ms);
	for (size_t i = 0; i < n_ca; i++)
		fprintf(f, "C %d %lld %lld %s\n", ca[i].cause,
		    (long long)ca[i].requests, (long long)ca[i].attempts,
		    ca[i].top_upstream != NULL ? ca[i].top_upstream : "-");
	for (size_t i = 0; i < n_rq; i++) {
		fprintf(f, "R %lld %s %s %s %d %d %d", (long long)rq[i].id,
		    rq[i].path, rq[i].upstream != NULL ? rq[i].upstream : "-",
		    rq[i].error != NULL ? rq[i].error : "-", rq[i].status,
		    rq[i].cause, rq[i].n_attempts);
		for (int a = 0; a < rq[i].n_attempts; a++)
			fprintf(f, " %s/%d/%s", rq[i].attempts[a].upstream,
			    rq[i].attempts[a].cause,
			    rq[i].attempts[a].error != NULL ?
			    rq[i].attempts[a].error : "-");
		fputc('\n', f);
	}
	fclose(f);
	console_upstreams_free(up, n_up);
	console_causes_free(ca, n_ca);
	console_requests_free(rq, n_rq);
	return out;
}

/* The console's whole model (tui/snapshot.c) as text; NULL with err. */
static char *
snapshot_text(struct console *c, char *err, size_t errlen)
{
	struct snapshot_spec spec;
	struct snapshot *snap;
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	memset(&spec, 0, sizeof(spec));
	spec.window = (enum window_id)window_from_name("all");
	spec.filter.cause = -1;
	spec.filter.status = -1;
	spec.upstreams = spec.causes = spec.failures = true;
	spec.chart_by = CONSOLE_SPLIT_UPSTREAM;
	spec.failures_limit = 50;
	spec.thresholds.degraded = 0.01;
	spec.thresholds.failing = 0.10;
	spec.now_ms = T0 + 3600 * 1000;
	if (snapshot_build(c, &spec, &snap, err, errlen) != 0)
		return NULL;
	assert_non_null(f = open_memstream(&out, &len));
	fprintf(f, "%lld %lld %lld %d\n", (long long)snap->totals.requests,
	    (long long)snap->totals.failed, (long long)snap->totals.attempts,
	    snap->n_points);
	for (size_t i = 0; i < snap->n_sources; i++)
		fprintf(f, "S %s\n", snap->sources[i].state);
	for (size_t i = 0; i < snap->n_upstreams; i++)
		fprintf(f, "U %s %lld %d\n", snap->upstreams[i].u.name,
		    (long long)snap->upstreams[i].u.c.requests,
		    (int)snap->upstreams[i].state);
	for (size_t i = 0; i < snap->n_causes; i++)
		fprintf(f, "C %d %s\n", snap->causes[i].c.cause,
		    snap->causes[i].c.top_upstream != NULL ?
		    snap->causes[i].c.top_upstream : "-");
	for (int i = 0; i < snap->n_lines; i++)
		fprintf(f, "L %s %lld\n", snap->lines[i].name,
		    (long long)snap->lines[i].errors_5xx);
	for (size_t i = 0; i < snap->n_failures; i++)
		fprintf(f, "F %lld %s %s\n", (long long)snap->failures[i].id,
		    snap->failures[i].path, snap->failures[i].upstream != NULL ?
		    snap->failures[i].upstream : "-");
	fclose(f);
	snapshot_free(snap);
	return out;
}

static void
test_queries(void **state)
{
	struct fx f;
	int64_t src;
	struct report_query q = {
		.since_ms = INT64_MIN, .until_ms = INT64_MAX,
		.keys = { REPORT_KEY_UPSTREAM, REPORT_KEY_CAUSE,
		    REPORT_KEY_PATH },
		.n_keys = 3, .status = -1,
	};
	struct report_row *rows;
	size_t n_rows;
	struct console *c;
	char *ref_report, *ref_console, *ref_snap;

	(void)state;
	fx_init(&f);
	src = fx_source(&f, "a.log", "nginx_access");
	for (int k = 0; k < 6; k++) {
		fill(&f, src, k);
		assert_int_equal(store_write_batch(f.s, &f.b, f.err,
		    sizeof(f.err)), 0);
		batch_clear(&f.b);
	}
	assert_int_equal(store_report(f.s, &q, &rows, &n_rows, f.err,
	    sizeof(f.err)), 0);
	ref_report = report_text(rows, n_rows, q.n_keys);
	store_report_free(rows, n_rows);
	assert_int_equal(console_new(f.s, &c, f.err, sizeof(f.err)), 0);
	assert_non_null(ref_console = console_text(c, f.err, sizeof(f.err)));
	assert_non_null(ref_snap = snapshot_text(c, f.err, sizeof(f.err)));
	console_free(c);

	for (int persistent = 0; persistent < 2; persistent++) {
		for (long n = 1;; n++) {
			unsigned long hit;
			int rc;

			assert_true(n < OOM_N_MAX);
			f.err[0] = '\0';
			rows = NULL;
			n_rows = 0;
			gw_fault_install(n, persistent);
			rc = store_report(f.s, &q, &rows, &n_rows, f.err,
			    sizeof(f.err));
			hit = gw_fault_uninstall();
			if (rc == 0) {
				char *t = report_text(rows, n_rows, q.n_keys);
				if (strcmp(t, ref_report) != 0) {
					char what[64];
					snprintf(what, sizeof(what),
					    "report, fault %ld%s", n,
					    persistent ? "+" : "");
					oom_fail_diff(what, t, ref_report);
				}
				free(t);
				store_report_free(rows, n_rows);
			} else if (strstr(f.err, "out of memory") == NULL) {
				fail_msg("report, fault %ld%s: \"%s\"", n,
				    persistent ? "+" : "", f.err);
			}
			if (hit == 0)
				break;
		}
		for (long n = 1;; n++) {
			unsigned long hit;
			char *t = NULL;

			assert_true(n < OOM_N_MAX);
			f.err[0] = '\0';
			gw_fault_install(n, persistent);
			c = NULL;
			if (console_new(f.s, &c, f.err, sizeof(f.err)) == 0)
				t = console_text(c, f.err, sizeof(f.err));
			hit = gw_fault_uninstall();
			if (t != NULL && strcmp(t, ref_console) != 0) {
				char what[64];
				snprintf(what, sizeof(what),
				    "console, fault %ld%s", n,
				    persistent ? "+" : "");
				oom_fail_diff(what, t, ref_console);
			}
			if (t == NULL && strstr(f.err, "out of memory") == NULL)
				fail_msg("console, fault %ld%s: \"%s\"", n,
				    persistent ? "+" : "", f.err);
			free(t);
			/* the same reader works again without the fault */
			if (c != NULL) {
				char *again = console_text(c, f.err,
				    sizeof(f.err));
				if (again == NULL)
					fail_msg("console after fault %ld%s: "
					    "%s", n, persistent ? "+" : "",
					    f.err);
				assert_string_equal(again, ref_console);
				free(again);
				console_free(c);
			}
			if (hit == 0)
				break;
		}
	}
	/* the console's model, on one reader */
	assert_int_equal(console_new(f.s, &c, f.err, sizeof(f.err)), 0);
	for (int persistent = 0; persistent < 2; persistent++) {
		for (long n = 1;; n++) {
			unsigned long hit;
			char *t;

			assert_true(n < OOM_N_MAX);
			f.err[0] = '\0';
			gw_fault_install(n, persistent);
			t = snapshot_text(c, f.err, sizeof(f.err));
			hit = gw_fault_uninstall();
			if (t != NULL && strcmp(t, ref_snap) != 0) {
				char what[64];
				snprintf(what, sizeof(what),
				    "snapshot, fault %ld%s", n,
				    persistent ? "+" : "");
				oom_fail_diff(what, t, ref_snap);
			}
			if (t == NULL && strstr(f.err, "out of memory") == NULL)
				fail_msg("snapshot, fault %ld%s: \"%s\"", n,
				    persistent ? "+" : "", f.err);
			free(t);
			t = snapshot_text(c, f.err, sizeof(f.err));
			if (t == NULL)
				fail_msg("snapshot after fault %ld%s: %s", n,
				    persistent ? "+" : "", f.err);
			assert_string_equal(t, ref_snap);
			free(t);
			if (hit == 0)
				break;
		}
	}
	console_free(c);
	free(ref_snap);
	free(ref_report);
	free(ref_console);
	fx_free(&f);
}

static int
setup(void **state)
{
	(void)state;
	oom_sqlite_hook();
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_batch),
		cmocka_unit_test(test_write_batch_blocks),
		cmocka_unit_test(test_queries),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
