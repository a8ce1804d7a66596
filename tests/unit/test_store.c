/*
 * test_store.c - the store: open and migrations, writing batches, sources,
 * rejects, rollback, and the write speed (printed, loosely asserted).
 * The join is in test_store_join.c, reports in test_store_report.c.
 */
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include "store/latency.h"
#include "store/prune.h"
#include "tests/unit/test_store_fixture.h"
#include "store/store_int.h"

extern const char *const gw_schema_sql[];

/* Number of schema files built in. */
static int
schema_files(void)
{
	int n = 0;

	while (gw_schema_sql[n] != NULL)
		n++;
	return n;
}

/* A fresh database gets every schema file; opening again changes nothing. */
static void
test_open_fresh_and_again(void **state)
{
	struct fx f;

	fx_init(&f);
	assert_true(schema_files() >= 1);
	assert_int_equal(store_schema_version(f.s), schema_files());
	assert_int_equal(fx_int(&f, "PRAGMA user_version"), schema_files());
	assert_string_equal(fx_text(&f, "PRAGMA journal_mode"), "wal");
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM causes"),
	    GW_CAUSE_COUNT);
	/* The seeded names are exactly cause_name()'s. */
	for (int c = 0; c < GW_CAUSE_COUNT; c++) {
		char sql[128];

		snprintf(sql, sizeof(sql), "SELECT name FROM causes WHERE id = %d",
		    c);
		assert_string_equal(fx_text(&f, sql), cause_name(c));
	}
	int64_t src = fx_source(&f, "a.log", "nginx_access");
	fx_event(&f, T0, 0, "10.0.0.1", "GET", "/a", NULL, 200, 5,
	    GW_CAUSE_OK, "10.0.0.5:80 200 0");
	fx_write(&f, src);
	store_close(f.s);

	assert_int_equal(store_open(f.path, &f.s, f.err, sizeof(f.err)), 0);
	assert_int_equal(store_schema_version(f.s), schema_files());
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM requests"), 1);
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM causes"),
	    GW_CAUSE_COUNT);
	fx_free(&f);
}

/*
 * A new database takes every schema file in one transaction (db.c,
 * db_migrate): its WAL holds each page once, the commit of the last
 * file. On main each file committed on its own: 81 frames for the 40
 * pages of a new database.
 */
static void
test_open_fresh_one_transaction(void **state)
{
	struct fx f;
	int log = -1, done = -1, pages;

	(void)state;
	fx_init(&f);
	pages = fx_int(&f, "PRAGMA page_count");
	assert_int_equal(sqlite3_wal_checkpoint_v2(f.s->db, NULL,
	    SQLITE_CHECKPOINT_PASSIVE, &log, &done), SQLITE_OK);
	assert_true(log > 0);
	assert_true(log <= pages);
	fx_free(&f);
}

static void fx_open_old(struct fx *f, int version);

/*
 * Every row sql returns on path's database, as text, one line a row
 * (malloc'd).
 */
static char *
db_rows(const char *path, const char *sql)
{
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap);
	sqlite3 *db;
	sqlite3_stmt *st;

	assert_non_null(buf);
	buf[0] = '\0';
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	while (sqlite3_step(st) == SQLITE_ROW) {
		for (int i = 0; i < sqlite3_column_count(st); i++) {
			const unsigned char *t = sqlite3_column_text(st, i);
			size_t len = t != NULL ? strlen((const char *)t) : 6;

			while (n + len + 2 >= cap) {
				cap *= 2;
				assert_non_null(buf = realloc(buf, cap));
			}
			memcpy(buf + n, t != NULL ? (const char *)t : "(null)",
			    len);
			n += len;
			buf[n++] = i + 1 < sqlite3_column_count(st) ? '|' : '\n';
			buf[n] = '\0';
		}
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	return buf;
}

/*
 * A new database takes one script of what the schema files leave
 * (schema/flatten.c, db_migrate) and ends up as the files make it: the
 * same user_version, the same objects in sqlite_schema with the same
 * text in the same order (a planner choosing among equal indexes sees
 * them as it did), the same rows in every table (name_hash_key: one key
 * each, drawn per database). The files' database: every file but the
 * last, then the last on its own, as an upgrade does.
 */
static void
test_open_final_schema_same(void **state)
{
	struct fx a, b;
	char *ta, *tb, *tables;

	(void)state;
	fx_init(&a);
	fx_open_old(&b, schema_files() - 1);
	store_close(b.s);
	assert_int_equal(store_open(b.path, &b.s, b.err, sizeof(b.err)), 0);
	assert_int_equal(store_upgraded_from(b.s), schema_files() - 1);
	assert_int_equal(fx_int(&a, "PRAGMA user_version"), schema_files());
	assert_int_equal(fx_int(&b, "PRAGMA user_version"), schema_files());
	ta = db_rows(a.path, "SELECT type, name, tbl_name, sql FROM "
	    "sqlite_schema ORDER BY rowid");
	tb = db_rows(b.path, "SELECT type, name, tbl_name, sql FROM "
	    "sqlite_schema ORDER BY rowid");
	assert_true(strlen(ta) > 1000);
	assert_string_equal(ta, tb);
	free(ta);
	free(tb);
	/* every table's rows, in the order of its key (a full scan's) */
	tables = db_rows(a.path, "SELECT name FROM sqlite_schema WHERE "
	    "type = 'table' AND name <> 'name_hash_key' ORDER BY rowid");
	for (char *t = tables, *nl; (nl = strchr(t, '\n')) != NULL;
	    t = nl + 1) {
		char sql[256];

		*nl = '\0';
		snprintf(sql, sizeof(sql), "SELECT * FROM \"%s\"", t);
		ta = db_rows(a.path, sql);
		tb = db_rows(b.path, sql);
		assert_string_equal(ta, tb);
		free(ta);
		free(tb);
	}
	free(tables);
	assert_int_equal(fx_int(&a, "SELECT count(*) FROM causes"),
	    GW_CAUSE_COUNT);
	assert_int_equal(fx_int(&a, "SELECT count(*) FROM name_hash_key "
	    "WHERE k0 <> 0 OR k1 <> 0"), 1);
	assert_int_equal(fx_int(&b, "SELECT count(*) FROM name_hash_key"), 1);
	assert_string_equal(fx_text(&a, "PRAGMA integrity_check"), "ok");
	fx_free(&a);
	fx_free(&b);
}

/*
 * The script stands for the files: the new database's schema changed
 * once an object, not at every DROP, RENAME and ALTER TABLE of the files
 * (PRAGMA schema_version counts the changes). On main a new database ran
 * every file: 84 changes, against 36 here (one per object).
 */
static void
test_open_fresh_takes_final_script(void **state)
{
	struct fx a, b;
	int64_t objects;

	(void)state;
	fx_init(&a);
	fx_open_old(&b, schema_files() - 1);
	store_close(b.s);
	assert_int_equal(store_open(b.path, &b.s, b.err, sizeof(b.err)), 0);
	objects = fx_int(&a, "SELECT count(*) FROM sqlite_schema WHERE "
	    "sql IS NOT NULL");
	assert_true(fx_int(&a, "PRAGMA schema_version") <= objects);
	assert_true(fx_int(&b, "PRAGMA schema_version") > objects);
	fx_free(&a);
	fx_free(&b);
}

/* A database at version 0 holding someone's data is upgraded in place. */
static void
test_open_upgrades_version_0(void **state)
{
	char path[] = "/tmp/gw-test-store-v0-XXXXXX", err[256];
	struct store *s;
	sqlite3 *db;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE notes (x);"
	    "INSERT INTO notes VALUES (42);", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);

	assert_int_equal(store_open(path, &s, err, sizeof(err)), 0);
	assert_int_equal(store_schema_version(s), schema_files());
	store_close(s);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT (SELECT x FROM notes),"
	    " (SELECT count(*) FROM sqlite_schema WHERE name = 'requests')",
	    -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 42);
	assert_int_equal(sqlite3_column_int(st, 1), 1);
	sqlite3_finalize(st);
	sqlite3_close(db);
	fx_unlink(path);
}

/* A database newer than we know is refused with a clear message. */
static void
test_open_newer_fails(void **state)
{
	char path[] = "/tmp/gw-test-store-new-XXXXXX", err[256] = "";
	struct store *s = (struct store *)1;
	sqlite3 *db;
	char sql[64];
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d",
	    schema_files() + 1);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);

	assert_int_equal(store_open(path, &s, err, sizeof(err)), -1);
	assert_null(s);
	assert_non_null(strstr(err, "newer"));
	assert_non_null(strstr(err, path));
	fx_unlink(path);
}

/* A batch's rows come back as written, with interned strings. */
static void
test_write_and_read_back(void **state)
{
	struct fx f;
	struct store_totals t;

	fx_init(&f);
	int64_t src = fx_source(&f, "access.log", "nginx_access");
	struct gw_event *e = fx_event(&f, T0 + 1234, 60, "10.0.0.1", "POST",
	    "/v1/users", "id=7", 502, 30, GW_CAUSE_UNKNOWN,
	    "10.0.0.5:8080 502 1, 10.0.0.6:8080 502 1");
	e->request_id = fx_str(&f, "abc123");
	e->attempts[1].group = 1;
	fx_event(&f, T0 + 2000, 60, "10.0.0.2", "GET", "/v1/users", NULL,
	    200, -1, GW_CAUSE_OK, NULL)->bytes = -1;
	f.b.position = 4000;
	f.b.line_no = 40;
	fx_write(&f, src);

	assert_int_equal(fx_int(&f, "SELECT count(*) FROM requests"), 2);
	assert_string_equal(fx_text(&f, "SELECT client || ' ' || method || ' '"
	    " || path || '?' || query || ' ' || status || ' ' || upstream"
	    " || ' ' || cause || ' ' || request_id || ' ' || n_attempts"
	    " FROM request_view WHERE id = 1"),
	    "10.0.0.1 POST /v1/users?id=7 502 10.0.0.6:8080 unknown abc123 2");
	assert_int_equal(fx_int(&f, "SELECT local_end_ms - ts_ms FROM requests"
	    " WHERE id = 1"), 3600000);
	assert_string_equal(fx_text(&f, "SELECT upstream || ' ' || cause"
	    " FROM request_view WHERE id = 2"), "- ok");
	assert_int_equal(fx_int(&f, "SELECT bytes FROM requests WHERE id = 2"),
	    -1);	/* NULL */
	assert_int_equal(fx_int(&f, "SELECT request_ms FROM requests"
	    " WHERE id = 2"), -1);
	assert_string_equal(fx_text(&f, "SELECT group_concat(upstream || ' '"
	    " || status || ' ' || grp || ' ' || (header_ms IS NULL), ',')"
	    " FROM (SELECT * FROM attempt_view ORDER BY request_id, seq)"),
	    "10.0.0.5:8080 502 0 1,10.0.0.6:8080 502 1 1");
	/* Interned once. */
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM paths"), 1);
	assert_int_equal(fx_int(&f, "SELECT position FROM sources"), 5000);
	assert_int_equal(fx_int(&f, "SELECT line_no FROM sources"), 50);

	assert_int_equal(store_totals(f.s, &t, f.err, sizeof(f.err)), 0);
	assert_int_equal(t.requests, 2);
	assert_int_equal(t.attempts, 2);
	assert_int_equal(t.first_ms, T0 + 1234);
	assert_int_equal(t.last_ms, T0 + 2000);
	fx_check_rollups(&f);
	fx_free(&f);
}

/* Rejected lines are kept byte for byte, NULs included, cut at 4 KiB. */
static void
test_rejects_raw_bytes(void **state)
{
	struct fx f;
	static const char raw[] = "GET \0/x\0 \xff\xfe garbage";
	char big[GW_REJECT_RAW_MAX + 100];
	struct store_totals t;

	fx_init(&f);
	int64_t src = fx_source(&f, "access.log", "nginx_access");
	assert_int_equal(batch_add_reject(&f.b, 7, 700, "bad request line",
	    raw, sizeof(raw) - 1), 0);
	memset(big, 'x', sizeof(big));
	assert_int_equal(batch_add_reject(&f.b, 8, 800, "too long", big,
	    sizeof(big)), 0);
	fx_write(&f, src);

	sqlite3 *db;
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_open(f.path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT line_no, offset, reason,"
	    " raw FROM rejects ORDER BY id", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 7);
	assert_int_equal(sqlite3_column_int(st, 1), 700);
	assert_string_equal(sqlite3_column_text(st, 2), "bad request line");
	assert_int_equal(sqlite3_column_bytes(st, 3), sizeof(raw) - 1);
	assert_memory_equal(sqlite3_column_blob(st, 3), raw, sizeof(raw) - 1);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_bytes(st, 3), GW_REJECT_RAW_MAX);
	sqlite3_finalize(st);
	sqlite3_close(db);
	assert_int_equal(store_totals(f.s, &t, f.err, sizeof(f.err)), 0);
	assert_int_equal(t.rejects, 2);
	fx_free(&f);
}

/* Mode bits of path, -1 when it does not exist. */
static int
file_mode(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (int)(st.st_mode & 07777) : -1;
}

/*
 * A new database and the files SQLite makes beside it (-wal, -shm) are
 * 0600 whatever the umask; with a group, 0640 and that group. Side files
 * (DB.tail.log) take the database's mode.
 */
static void
test_new_database_modes(void **state)
{
	struct fx f;
	char p[96];
	mode_t old = umask(022);

	fx_init(&f);
	int64_t src = fx_source(&f, "a.log", "nginx_access");
	fx_event(&f, T0, 0, "10.0.0.1", "GET", "/a", NULL, 200, 5,
	    GW_CAUSE_OK, "10.0.0.5:80 200 0");
	fx_write(&f, src);
	assert_int_equal(file_mode(f.path), 0600);
	snprintf(p, sizeof(p), "%s-wal", f.path);
	assert_int_equal(file_mode(p), 0600);
	snprintf(p, sizeof(p), "%s-shm", f.path);
	assert_int_equal(file_mode(p), 0600);
	int fd = store_side_file(f.path, ".tail.log", f.err, sizeof(f.err));
	assert_true(fd >= 0);
	close(fd);
	snprintf(p, sizeof(p), "%s.tail.log", f.path);
	assert_int_equal(file_mode(p), 0600);
	unlink(p);
	fx_free(&f);

	/* With a group: 0640, owned by it (our own group: always allowed). */
	struct store_open_opts o = {.group = (int64_t)getegid()};
	struct store *s;
	char path[] = "/tmp/gw-test-store-grp-XXXXXX", err[256];
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	unlink(path);
	assert_int_equal(store_open_with(path, &o, &s, err, sizeof(err)), 0);
	assert_int_equal(file_mode(path), 0640);
	fd = store_side_file(path, ".capture.log", err, sizeof(err));
	assert_true(fd >= 0);
	close(fd);
	snprintf(p, sizeof(p), "%s.capture.log", path);
	assert_int_equal(file_mode(p), 0640);
	unlink(p);
	store_close(s);
	fx_unlink(path);
	umask(old);
}

/*
 * A database path that is a symlink is refused, and nothing is written
 * where it points; a side file that is a symlink too.
 */
static void
test_symlinked_database_refused(void **state)
{
	char dir[] = "/tmp/gw-test-store-link-XXXXXX", target[64], link[48],
	    side[64], err[256] = "";
	struct store *s = (struct store *)1;

	assert_non_null(mkdtemp(dir));
	snprintf(target, sizeof(target), "%s/elsewhere", dir);
	snprintf(link, sizeof(link), "%s/gatewatch.db", dir);
	assert_int_equal(symlink(target, link), 0);	/* dangling */
	assert_int_equal(store_open(link, &s, err, sizeof(err)), -1);
	assert_null(s);
	assert_non_null(strstr(err, "symbolic link"));
	assert_int_equal(file_mode(target), -1);	/* nothing made */

	/* Pointing at an existing file changes nothing either. */
	FILE *t = fopen(target, "w");
	assert_non_null(t);
	fputs("not yours\n", t);
	fclose(t);
	assert_int_equal(store_open(link, &s, err, sizeof(err)), -1);
	struct stat st;
	assert_int_equal(stat(target, &st), 0);
	assert_int_equal(st.st_size, 10);

	/* A side file planted as a symlink is refused. */
	unlink(link);
	assert_int_equal(store_open(link, &s, err, sizeof(err)), 0);
	snprintf(side, sizeof(side), "%s.tail.log", link);
	assert_int_equal(symlink(target, side), 0);
	assert_int_equal(store_side_file(link, ".tail.log", err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "symbolic link"));
	assert_int_equal(stat(target, &st), 0);
	assert_int_equal(st.st_size, 10);
	store_close(s);
	unlink(side);
	unlink(target);
	fx_unlink(link);
	rmdir(dir);
}

/*
 * Rejects: a source keeps its first 1000 in full, then 1 in 1000, across
 * batches and runs; counts stay exact per reason.
 */
static void
test_rejects_capped(void **state)
{
	struct fx f;
	int64_t rejected, kept;

	fx_init(&f);
	int64_t src = fx_source(&f, "junk.log", "nginx_access");
	int64_t other = fx_source(&f, "other.log", "nginx_access");
	for (int batch = 0; batch < 3; batch++) {
		for (int i = 0; i < 1100; i++)
			assert_int_equal(batch_add_reject(&f.b, (uint64_t)i, 0,
			    i % 2 ? "odd" : "even", "junk", 4), 0);
		fx_write(&f, src);
	}
	/* 3300 rejected: 1000 kept in full, then the 2000th and 3000th. */
	assert_int_equal(store_reject_counts(f.s, src, &rejected, &kept, f.err,
	    sizeof(f.err)), 0);
	assert_int_equal(rejected, 3300);
	assert_int_equal(kept, 1002);
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM rejects"), 1002);
	assert_int_equal(fx_int(&f, "SELECT rejected FROM reject_counts"
	    " WHERE reason = 'odd'"), 1650);
	/* Another source starts its own count. */
	assert_int_equal(batch_add_reject(&f.b, 1, 0, "odd", "x", 1), 0);
	fx_write(&f, other);
	assert_int_equal(store_reject_counts(f.s, other, &rejected, &kept,
	    f.err, sizeof(f.err)), 0);
	assert_int_equal(rejected, 1);
	assert_int_equal(kept, 1);
	struct store_totals t;
	assert_int_equal(store_totals(f.s, &t, f.err, sizeof(f.err)), 0);
	assert_int_equal(t.rejects, 3301);
	fx_free(&f);
}

/* Sources are found again by fingerprint and resume where they stopped. */
static void
test_source_resume_by_fingerprint(void **state)
{
	struct fx f;
	unsigned char fp[200], other[200];
	int64_t id, id2;
	uint64_t off, line;

	for (size_t i = 0; i < sizeof(fp); i++) {
		fp[i] = (unsigned char)(i * 7);
		other[i] = (unsigned char)(i * 7);
	}
	other[70] ^= 1;
	fx_init(&f);
	struct store_source_info si = {.path = "/var/log/nginx/access.log",
	    .kind = "nginx_access", .dev = 1, .ino = 2, .fingerprint = fp,
	    .fingerprint_len = 100};
	assert_int_equal(store_source_open(f.s, &si, &id, &off, &line, NULL, 0,
	    f.err, sizeof(f.err)), 0);
	assert_int_equal(off, 0);
	assert_int_equal(line, 0);
	fx_event(&f, T0, 0, "10.0.0.1", "GET", "/", NULL, 200, 1, GW_CAUSE_OK,
	    NULL);
	f.b.position = 12345 - 1000;
	f.b.line_no = 99 - 10;
	fx_write(&f, id);

	/* Rotated: new name, longer content, same start. */
	si.path = "/var/log/nginx/access.log.1";
	si.fingerprint_len = 200;
	assert_int_equal(store_source_open(f.s, &si, &id2, &off, &line, NULL, 0,
	    f.err, sizeof(f.err)), 0);
	assert_int_equal(id2, id);
	assert_int_equal(off, 12345);
	assert_int_equal(line, 99);
	assert_int_equal(fx_int(&f, "SELECT length(fingerprint) FROM sources"),
	    200);
	assert_string_equal(fx_text(&f, "SELECT path FROM sources"),
	    "/var/log/nginx/access.log.1");

	/* Shorter but >= 64 bytes: same. */
	si.fingerprint_len = 64;
	assert_int_equal(store_source_open(f.s, &si, &id2, &off, &line, NULL, 0,
	    f.err, sizeof(f.err)), 0);
	assert_int_equal(id2, id);

	/*
	 * Detected as another kind now (its first lines changed while it
	 * grew): the same source, resumed where it stopped, told what it
	 * was; its kind is the latest detection's. A capture never matches.
	 */
	char was[64] = "x";
	si.kind = "nginx_error";
	assert_int_equal(store_source_open(f.s, &si, &id2, &off, &line, was,
	    sizeof(was), f.err, sizeof(f.err)), 0);
	assert_int_equal(id2, id);
	assert_int_equal(off, 12345);
	assert_int_equal(line, 99);
	assert_string_equal(was, "nginx_access");
	assert_string_equal(fx_text(&f, "SELECT kind FROM sources"),
	    "nginx_error");
	assert_int_equal(store_source_open(f.s, &si, &id2, &off, &line, was,
	    sizeof(was), f.err, sizeof(f.err)), 0);
	assert_int_equal(id2, id);
	assert_string_equal(was, "");
	si.kind = "pcap";
	assert_int_equal(store_source_open(f.s, &si, &id2, &off, &line, was,
	    sizeof(was), f.err, sizeof(f.err)), 0);
	assert_int_not_equal(id2, id);
	assert_int_equal(off, 0);
	assert_string_equal(was, "");

	/* Differs at byte 70: new. */
	si.kind = "nginx_access";
	si.fingerprint = other;
	si.fingerprint_len = 200;
	assert_int_equal(store_source_open(f.s, &si, &id2, &off, &line, NULL, 0,
	    f.err, sizeof(f.err)), 0);
	assert_int_not_equal(id2, id);
	assert_int_equal(off, 0);

	/* Under 64 bytes, or none: always new. */
	si.fingerprint = fp;
	si.fingerprint_len = 63;
	int64_t id3;
	assert_int_equal(store_source_open(f.s, &si, &id3, &off, &line, NULL, 0,
	    f.err, sizeof(f.err)), 0);
	assert_int_not_equal(id3, id);
	assert_int_equal(off, 0);
	si.fingerprint_len = 0;
	int64_t id4;
	assert_int_equal(store_source_open(f.s, &si, &id4, &off, &line, NULL, 0,
	    f.err, sizeof(f.err)), 0);
	assert_int_not_equal(id4, id3);
	fx_free(&f);
}

/* A failing batch leaves nothing: no rows, no rollups, no position. */
static void
test_failed_batch_leaves_nothing(void **state)
{
	struct fx f;

	fx_init(&f);
	int64_t src = fx_source(&f, "access.log", "nginx_access");
	fx_event(&f, T0, 0, "10.0.0.1", "GET", "/a", NULL, 200, 1, GW_CAUSE_OK,
	    "10.0.0.5:80 200 0");
	fx_write(&f, src);

	/* Unknown source: refused before anything is written. */
	fx_event(&f, T0, 0, "10.0.0.9", "GET", "/new", NULL, 200, 1,
	    GW_CAUSE_OK, "10.9.9.9:80 200 0");
	f.b.source_id = 999;
	assert_int_equal(store_write_batch(f.s, &f.b, f.err, sizeof(f.err)),
	    -1);
	assert_non_null(strstr(f.err, "source"));
	batch_clear(&f.b);

	/* Fails half-way: a reader holds nothing, but a trigger aborts. */
	sqlite3 *db;
	assert_int_equal(sqlite3_open(f.path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TRIGGER boom BEFORE INSERT"
	    " ON requests WHEN NEW.status = 555 BEGIN SELECT RAISE(ABORT,"
	    " 'boom'); END", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	fx_event(&f, T0 + 1, 0, "10.0.0.7", "GET", "/fresh", NULL, 200, 1,
	    GW_CAUSE_OK, "10.7.7.7:80 200 0");
	fx_event(&f, T0 + 2, 0, "10.0.0.8", "GET", "/fresh2", NULL, 555, 1,
	    GW_CAUSE_OK, "10.8.8.8:80 555 0");
	fx_error(&f, T0, "10.0.0.1", "GET", "/a", NULL, NULL,
	    GW_CAUSE_RATE_LIMITED);
	assert_int_equal(batch_add_reject(&f.b, 1, 1, "r", "x", 1), 0);
	f.b.source_id = src;
	f.b.position = 777777;
	assert_int_equal(store_write_batch(f.s, &f.b, f.err, sizeof(f.err)),
	    -1);
	assert_non_null(strstr(f.err, "boom"));
	batch_clear(&f.b);

	assert_int_equal(fx_int(&f, "SELECT count(*) FROM requests"), 1);
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM attempts_all"), 1);
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM gateway_errors"), 0);
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM rejects"), 0);
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM paths"), 1);
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM upstreams"), 1);
	assert_int_equal(fx_int(&f, "SELECT position FROM sources"), 1000);
	assert_int_equal(fx_int(&f, "SELECT sum(requests) FROM rollup_minute"),
	    1);
	fx_check_rollups(&f);

	/* The store still works, and re-interns what the rollback undid. */
	fx_event(&f, T0 + 1, 0, "10.0.0.7", "GET", "/fresh", NULL, 200, 1,
	    GW_CAUSE_OK, "10.7.7.7:80 200 0");
	fx_write(&f, src);
	assert_string_equal(fx_text(&f, "SELECT path || ' ' || upstream FROM"
	    " request_view WHERE id = 2"), "/fresh 10.7.7.7:80");
	fx_check_rollups(&f);
	fx_free(&f);
}


/*
 * A batch whose longest request failed to commit, written again, stores
 * that longest time in store_meta: another process (an error log tailed
 * apart) bounds its join window by it.
 */
static void
test_failed_batch_max_request_ms(void **state)
{
	struct fx f;
	sqlite3 *db;

	fx_init(&f);
	int64_t src = fx_source(&f, "access.log", "nginx_access");
	assert_int_equal(sqlite3_open(f.path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TRIGGER boom BEFORE INSERT"
	    " ON requests WHEN NEW.status = 555 BEGIN SELECT RAISE(ABORT,"
	    " 'boom'); END", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	fx_event(&f, T0, 0, "10.0.0.1", "GET", "/slow", NULL, 200, 90000,
	    GW_CAUSE_OK, "10.0.0.5:80 200 0");
	fx_event(&f, T0 + 1, 0, "10.0.0.2", "GET", "/x", NULL, 555, 1,
	    GW_CAUSE_OK, "10.0.0.5:80 555 0");
	f.b.source_id = src;
	f.b.position = 1000;
	assert_int_equal(store_write_batch(f.s, &f.b, f.err, sizeof(f.err)),
	    -1);
	batch_clear(&f.b);
	f.b.position = 0;
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM store_meta"), 0);

	fx_event(&f, T0, 0, "10.0.0.1", "GET", "/slow", NULL, 200, 90000,
	    GW_CAUSE_OK, "10.0.0.5:80 200 0");
	fx_write(&f, src);
	assert_int_equal(fx_int(&f, "SELECT value FROM store_meta"
	    " WHERE key = 'max_request_ms'"), 90000);
	fx_free(&f);
}


/*
 * The rewind point (schema 014): a batch ending with a partial record
 * held stores where its first chunk began, returned by
 * store_source_rewind; a batch with none held clears it.
 */
static void
test_source_rewind(void **state)
{
	struct fx f;
	uint64_t off = 7, line = 7;

	fx_init(&f);
	int64_t src = fx_source(&f, "cri.log", "nginx_access");
	assert_int_equal(store_source_rewind(f.s, src, &off, &line, f.err,
	    sizeof(f.err)), 0);
	f.b.source_id = src;
	f.b.position = 5000;
	f.b.line_no = 50;
	f.b.held_bytes = 1200;		/* first chunk at 3800, line 48 */
	f.b.held_lines = 3;
	assert_int_equal(store_write_batch(f.s, &f.b, f.err, sizeof(f.err)),
	    0);
	assert_int_equal(store_source_rewind(f.s, src, &off, &line, f.err,
	    sizeof(f.err)), 1);
	assert_int_equal(off, 3800);
	assert_int_equal(line, 47);
	batch_clear(&f.b);
	f.b.position = 6000;
	f.b.line_no = 60;
	f.b.held_bytes = 0;
	f.b.held_lines = 0;
	assert_int_equal(store_write_batch(f.s, &f.b, f.err, sizeof(f.err)),
	    0);
	assert_int_equal(store_source_rewind(f.s, src, &off, &line, f.err,
	    sizeof(f.err)), 0);
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM sources"
	    " WHERE rewind_offset IS NULL AND rewind_line IS NULL"), 1);
	f.b.position = 0;
	f.b.line_no = 0;
	fx_free(&f);
}


/*
 * Many batches of 10,000 synthetic requests with 1-2 attempts: every row
 * stored and the rollups equal to the raw tables afterwards. Speed is
 * measured by `make bench`, not here.
 */
static void
test_many_batches(void **state)
{
	enum { BATCH = 10000, BATCHES = 10 };
	static const char *const paths[] = {"/v1/users", "/v1/orders",
	    "/v1/items", "/health", "/v2/search"};
	struct fx f;
	char client[32], addr[32];
	int64_t attempts = 0;

	fx_init(&f);
	int64_t src = fx_source(&f, "bench.log", "nginx_access");
	for (int b = 0; b < BATCHES; b++) {
		for (int i = 0; i < BATCH; i++) {
			int n = b * BATCH + i;
			struct gw_event *e = batch_add_event(&f.b);

			snprintf(client, sizeof(client), "10.1.%d.%d",
			    (n / 250) % 250, n % 250);
			e->ts_ms = T0 + n * 2;
			e->client = arena_strndup(f.b.arena, client,
			    strlen(client));
			e->method = "GET";
			e->host = "api.example.com";
			e->path = paths[n % 5];
			e->query = n % 3 ? NULL : "id=7&x=1";
			e->shape = e->path;
			e->protocol = "HTTP/1.1";
			e->status = n % 50 ? 200 : 502;
			e->bytes = 512;
			e->request_ms = n % 100;
			e->cause = n % 50 ? GW_CAUSE_OK : GW_CAUSE_UNKNOWN;
			e->line_no = (uint64_t)n + 1;
			e->n_attempts = n % 10 ? 1 : 2;
			e->attempts = arena_alloc(f.b.arena,
			    2 * sizeof(*e->attempts));
			for (int a = 0; a < e->n_attempts; a++) {
				snprintf(addr, sizeof(addr), "10.0.0.%d:8080",
				    (n + a) % 8);
				e->attempts[a] = (struct gw_attempt){
				    .addr = arena_strndup(f.b.arena, addr,
				    strlen(addr)),
				    .status = a + 1 < e->n_attempts ? 502 :
				    e->status, .connect_ms = 1, .header_ms = 2,
				    .response_ms = 3, .group = 0,
				    .cause = a + 1 < e->n_attempts ?
				    GW_CAUSE_UNKNOWN : e->cause};
			}
			attempts += e->n_attempts;
		}
		f.b.source_id = src;
		if (store_write_batch(f.s, &f.b, f.err, sizeof(f.err)) != 0)
			fail_msg("%s", f.err);
		batch_clear(&f.b);
	}
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM requests"),
	    BATCH * BATCHES);
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM attempts_all"),
	    attempts);
	fx_check_rollups(&f);
	fx_free(&f);
}

/*
 * Client addresses are stored in the row (schema 006): a canonical dotted
 * quad as an integer, anything else as its text, and request_view gives
 * back exactly the text logged either way.
 */
static void
test_client_inline(void **state)
{
	static const struct {
		const char *text;
		const char *stored;	/* typeof() of requests.client */
	} cases[] = {
		{ "10.0.0.1", "integer" }, { "0.0.0.0", "integer" },
		{ "255.255.255.255", "integer" }, { "192.168.1.20", "integer" },
		{ "010.0.0.1", "text" }, { "1.2.3.04", "text" },
		{ "256.1.1.1", "text" }, { "1.2.3", "text" },
		{ "1.2.3.4.5", "text" }, { "1.2.3.4 ", "text" },
		{ "1..2.3", "text" }, { "1234.1.1.1", "text" },
		{ "2001:db8::7", "text" }, { "::ffff:10.0.0.1", "text" },
		{ "unix:", "text" }, { "12345", "text" },
	};
	size_t n = sizeof(cases) / sizeof(cases[0]);
	char sql[160];
	struct fx f;

	(void)state;
	fx_init(&f);
	int64_t src = fx_source(&f, "access.log", "nginx_access");
	for (size_t i = 0; i < n; i++)
		fx_event(&f, T0 + (int64_t)i, 0, cases[i].text, "GET", "/x",
		    NULL, 200, 1, GW_CAUSE_OK, "10.0.0.5:80 200 1");
	fx_event(&f, T0 + 100, 0, NULL, "GET", "/x", NULL, 200, 1,
	    GW_CAUSE_OK, "10.0.0.5:80 200 1");
	fx_write(&f, src);
	for (size_t i = 0; i < n; i++) {
		snprintf(sql, sizeof(sql), "SELECT client FROM request_view"
		    " WHERE id = %zu", i + 1);
		assert_string_equal(fx_text(&f, sql), cases[i].text);
		snprintf(sql, sizeof(sql), "SELECT typeof(client) FROM requests"
		    " WHERE id = %zu", i + 1);
		assert_string_equal(fx_text(&f, sql), cases[i].stored);
	}
	snprintf(sql, sizeof(sql), "SELECT typeof(client) FROM requests"
	    " WHERE id = %zu", n + 1);
	assert_string_equal(fx_text(&f, sql), "null");
	fx_free(&f);
}

/*
 * Every row of sql, each value as typeof:text, into buf (cut at len): what
 * a reader sees, compared before and after an upgrade.
 */
static void
dump_rows(const char *path, const char *sql, char *buf, size_t len)
{
	size_t n = 0;
	sqlite3 *db;
	sqlite3_stmt *st;

	buf[0] = '\0';
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	while (sqlite3_step(st) == SQLITE_ROW && n < len)
		for (int i = 0; i < sqlite3_column_count(st) && n < len; i++) {
			const unsigned char *t = sqlite3_column_text(st, i);

			n += (size_t)snprintf(buf + n, len - n, "%d:%s%c",
			    sqlite3_column_type(st, i), t != NULL ?
			    (const char *)t : "", i + 1 <
			    sqlite3_column_count(st) ? ',' : '\n');
		}
	assert_true(n < len);
	sqlite3_finalize(st);
	sqlite3_close(db);
}

/*
 * Request ids and protocols are stored compactly when their text allows
 * (schema 012): 32 lowercase hex digits as a 16-byte blob, the usual
 * protocols as small codes; request_view gives back exactly the text
 * logged either way. A lone attempt of group 0 is stored in its request
 * row, any other in attempts; attempt_view shows them all alike.
 */
static void
test_row_shape(void **state)
{
	static const struct {
		const char *rid, *rid_type, *proto, *proto_type;
	} cases[] = {
		{ "890cbd8013c7ac376c72307b7b0739d7", "blob", "HTTP/1.1",
		    "integer" },
		{ "00000000000000000000000000000000", "blob", "HTTP/1.0",
		    "integer" },
		{ "890CBD8013C7AC376C72307B7B0739D7", "text", "HTTP/2.0",
		    "integer" },
		{ "890cbd8013c7ac376c72307b7b0739d", "text", "HTTP/3.0",
		    "integer" },
		{ "890cbd8013c7ac376c72307b7b0739d7a", "text", "HTTP/2",
		    "integer" },
		{ "890cbd80-13c7-ac37-6c72-307b7b0739d7", "text", "HTTP/3",
		    "integer" },
		{ "0000000000000000000000000000000g", "text", "HTTP/0.9",
		    "text" },
		{ "0000000000000012", "text", "http/1.1", "text" },
		{ "", "text", "", "text" },
		{ "1", "text", "HTTP/1.1 ", "text" },
	};
	size_t n = sizeof(cases) / sizeof(cases[0]);
	char sql[200], want[1024], got[1024];
	struct gw_event *e;
	struct fx f;

	(void)state;
	fx_init(&f);
	int64_t src = fx_source(&f, "access.log", "nginx_access");
	for (size_t i = 0; i < n; i++) {
		e = fx_event(&f, T0 + (int64_t)i, 0, "10.0.0.1", "GET", "/x",
		    NULL, 200, 1, GW_CAUSE_OK, "10.0.0.5:80 200 0");
		e->request_id = fx_str(&f, cases[i].rid);
		e->protocol = fx_str(&f, cases[i].proto);
	}
	e = fx_event(&f, T0 + 100, 0, "10.0.0.1", "GET", "/x", NULL, 200, 1,
	    GW_CAUSE_OK, NULL);	/* n + 1: no attempt, no id, no protocol */
	e->protocol = NULL;
	fx_event(&f, T0 + 101, 0, "10.0.0.1", "GET", "/x", NULL, 200, 1,
	    GW_CAUSE_UNKNOWN, "10.0.0.5:80 502 7, 10.0.0.6:80 200 0");
	e = fx_event(&f, T0 + 102, 0, "10.0.0.1", "GET", "/x", NULL, 200, 1,
	    GW_CAUSE_OK, "10.0.0.6:80 200 0");	/* n + 3: group 1 */
	e->attempts[0].group = 1;
	fx_write(&f, src);
	for (size_t i = 0; i < n; i++) {
		snprintf(sql, sizeof(sql), "SELECT request_id || '|' ||"
		    " protocol FROM request_view WHERE id = %zu", i + 1);
		snprintf(want, sizeof(want), "%s|%s", cases[i].rid,
		    cases[i].proto);
		assert_string_equal(fx_text(&f, sql), want);
		snprintf(sql, sizeof(sql), "SELECT typeof(request_id) || ' ' ||"
		    " typeof(protocol) FROM requests WHERE id = %zu", i + 1);
		snprintf(want, sizeof(want), "%s %s", cases[i].rid_type,
		    cases[i].proto_type);
		assert_string_equal(fx_text(&f, sql), want);
	}
	snprintf(sql, sizeof(sql), "SELECT typeof(request_id) || ' ' ||"
	    " typeof(protocol) FROM request_view WHERE id = %zu", n + 1);
	assert_string_equal(fx_text(&f, sql), "null null");
	/* Inline: the n lone attempts; the table: the retried and group 1. */
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM requests"
	    " WHERE a_cause IS NOT NULL"), n);
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM attempts"), 3);
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM attempts_all"),
	    n + 3);
	dump_rows(f.path, "SELECT * FROM attempt_view WHERE request_id > 9"
	    " ORDER BY request_id, seq", got, sizeof(got));
	assert_string_equal(got,
	    "1:10,1:0,1:0,3:10.0.0.5:80,1:200,1:1,1:2,1:3,3:ok,5:\n"
	    "1:12,1:0,1:0,3:10.0.0.5:80,1:502,1:1,5:,1:3,3:upstream_reset,5:\n"
	    "1:12,1:1,1:0,3:10.0.0.6:80,1:200,1:1,1:2,1:3,3:ok,5:\n"
	    "1:13,1:0,1:1,3:10.0.0.6:80,1:200,1:1,1:2,1:3,3:ok,5:\n");
	fx_check_rollups(&f);
	fx_free(&f);
}

/* f: a new database in /tmp created at schema version (upgrades stop
 * there), open; its path in f->path. */
static void
fx_open_old(struct fx *f, int version)
{
	struct store_open_opts o = {.group = -1, .schema_upto = version};

	memset(f, 0, sizeof(*f));
	snprintf(f->path, sizeof(f->path), "/tmp/gw-test-store-%03d-XXXXXX",
	    version);
	int fd = mkstemp(f->path);
	assert_true(fd >= 0);
	close(fd);
	unlink(f->path);
	assert_int_equal(store_open_with(f->path, &o, &f->s, f->err,
	    sizeof(f->err)), 0);
	assert_int_equal(store_schema_version(f->s), version);
}

/*
 * Another gatewatch upgrades the schema while a writer has the database
 * open (a long `tail`): the writer must notice at its next transaction.
 * A schema it knows: it reads the name-hash key again (the upgrade here
 * draws a new one, as a migration may) and finds the names stored under
 * it; on main it kept the stale key, stored /p a second time and /q under
 * a hash no other writer finds. A schema newer than it knows: it refuses,
 * and writes nothing.
 */
static void
test_schema_upgraded_under_writer(void **state)
{
	struct fx f;
	struct store *w, *u;
	sqlite3 *db;

	(void)state;
	fx_open_old(&f, 12);
	assert_int_equal(batch_init(&f.b), 0);
	w = f.s;
	assert_int_equal(store_open(f.path, &u, f.err, sizeof(f.err)), 0);
	store_close(u);
	assert_int_equal(sqlite3_open(f.path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "UPDATE name_hash_key"
	    " SET k0 = k0 + 1", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(store_open(f.path, &u, f.err, sizeof(f.err)), 0);
	f.s = u;
	int64_t src = fx_source(&f, "a.log", "nginx_access");
	fx_event(&f, T0, 0, "10.0.0.1", "GET", "/p", NULL, 200, 1,
	    GW_CAUSE_OK, NULL);
	fx_write(&f, src);

	f.s = w;
	fx_event(&f, T0 + 1000, 0, "10.0.0.1", "GET", "/p", NULL, 200, 1,
	    GW_CAUSE_OK, NULL);
	fx_event(&f, T0 + 2000, 0, "10.0.0.1", "GET", "/q", NULL, 200, 1,
	    GW_CAUSE_OK, NULL);
	fx_write(&f, src);
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM paths"
	    " WHERE name = '/p'"), 1);
	f.s = u;
	fx_event(&f, T0 + 3000, 0, "10.0.0.1", "GET", "/q", NULL, 200, 1,
	    GW_CAUSE_OK, NULL);
	fx_write(&f, src);
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM paths"
	    " WHERE name = '/q'"), 1);
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM paths"), 2);
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM requests"), 4);
	store_close(u);

	/* newer than this build knows: refused before anything is written */
	assert_int_equal(sqlite3_open(f.path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 99", NULL,
	    NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	f.s = w;
	fx_event(&f, T0 + 4000, 0, "10.0.0.1", "GET", "/r", NULL, 200, 1,
	    GW_CAUSE_OK, NULL);
	f.b.source_id = src;
	assert_int_equal(store_write_batch(w, &f.b, f.err, sizeof(f.err)), -1);
	assert_non_null(strstr(f.err, "schema version 99"));
	batch_clear(&f.b);
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM paths"), 2);
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM requests"), 4);
	fx_free(&f);
}

/*
 * Schema 016 keys requests_join by the minute of a request's local end:
 * a database of 015 with failed and retried requests, a long one among
 * them, upgrades on open, its views unchanged, and error-log lines
 * written afterwards join to the requests stored before.
 */
static void
test_upgrade_015_join_by_minute(void **state)
{
	static const char *const views[] = {
		"SELECT * FROM request_view ORDER BY id",
		"SELECT * FROM attempt_view ORDER BY request_id, seq",
	};
	char before[2][4096], after[4096];
	struct fx f;

	(void)state;
	fx_open_old(&f, 15);
	assert_int_equal(batch_init(&f.b), 0);
	int64_t acc = fx_source(&f, "access.log", "nginx_access");
	int64_t errlog = fx_source(&f, "error.log", "nginx_error");
	fx_event(&f, T0 + 1000, 0, "10.1.0.1", "GET", "/a", NULL, 502, 3,
	    GW_CAUSE_UNKNOWN, "10.0.0.5:8080 502 1");
	fx_event(&f, T0 + 2000, 60, "10.1.0.2", "GET", "/b", "q=1", 200, 9,
	    GW_CAUSE_OK, "10.0.0.5:8080 502 1, 10.0.0.6:8080 200 0");
	fx_event(&f, T0 + 900000, 0, "10.1.0.3", "POST", "/c", NULL, 502,
	    800000, GW_CAUSE_UNKNOWN, "10.0.0.6:8080 502 1");
	fx_event(&f, T0 + 3000, 0, "10.1.0.4", "GET", "/a", NULL, 200, 1,
	    GW_CAUSE_OK, "10.0.0.5:8080 200 0");
	fx_write(&f, acc);
	assert_string_equal(fx_text(&f, "SELECT group_concat(coalesce(name,"
	    " '<expr>'), ',') FROM pragma_index_xinfo('requests_join')"
	    " WHERE key"), "client,path_id,local_end_ms");
	store_close(f.s);
	f.s = NULL;
	for (int i = 0; i < 2; i++)
		dump_rows(f.path, views[i], before[i], sizeof(before[i]));

	assert_int_equal(store_open(f.path, &f.s, f.err, sizeof(f.err)), 0);
	assert_int_equal(store_schema_version(f.s), schema_files());
	for (int i = 0; i < 2; i++) {
		dump_rows(f.path, views[i], after, sizeof(after));
		assert_string_equal(after, before[i]);
	}
	assert_string_equal(fx_text(&f, "SELECT group_concat(coalesce(name,"
	    " '<expr>'), ',') FROM pragma_index_xinfo('requests_join')"
	    " WHERE key"), "<expr>,client,path_id,local_end_ms");
	/* the index sorted through files; the connection's temporaries
	 * are in memory again (db.c's pragma) */
	sqlite3_stmt *ts;
	assert_int_equal(sqlite3_prepare_v2(f.s->db, "PRAGMA temp_store", -1,
	    &ts, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(ts), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(ts, 0), 2);
	sqlite3_finalize(ts);
	/* the three failed or retried requests, in the new index */
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM requests"
	    " INDEXED BY requests_join WHERE cause <> 0 OR n_attempts > 1"),
	    3);
	fx_error(&f, T0 + 1000 - 500, "10.1.0.1", "GET", "/a", NULL,
	    "10.0.0.5:8080", GW_CAUSE_UPSTREAM_REFUSED);
	fx_error(&f, T0 + 2000 + 3600000 - 5, "10.1.0.2", "GET", "/b", "q=1",
	    "10.0.0.5:8080", GW_CAUSE_UPSTREAM_RESET);
	fx_error(&f, T0 + 900000 - 799000, "10.1.0.3", "POST", "/c", NULL,
	    "10.0.0.6:8080", GW_CAUSE_UPSTREAM_READ_TIMEOUT);
	fx_write(&f, errlog);
	assert_string_equal(fx_text(&f, "SELECT group_concat(id || ':' ||"
	    " request_id, ',') FROM (SELECT * FROM gateway_errors"
	    " ORDER BY id)"), "1:1,2:2,3:3");
	assert_string_equal(fx_text(&f, "SELECT group_concat(cause, ',')"
	    " FROM (SELECT * FROM request_view ORDER BY id)"),
	    "upstream_refused,ok,upstream_read_timeout,ok");
	fx_free(&f);
}

/*
 * A populated database of schema 11 (text request ids and protocols, every
 * attempt in attempts) upgrades to 012 on open: the views show every row
 * exactly as before, lone attempts of group 0 move into their request rows
 * (a joined error id with them), the others stay.
 */
static void
test_upgrade_011_row_shape(void **state)
{
	static const char *const views[] = {
		"SELECT * FROM request_view ORDER BY id",
		"SELECT * FROM attempt_view ORDER BY request_id, seq",
		"SELECT * FROM gateway_error_view ORDER BY id",
	};
	char before[3][2048], after[2048], sql[4096];
	struct fx f;
	sqlite3 *db;

	(void)state;
	fx_open_old(&f, 11);
	assert_int_equal(batch_init(&f.b), 0);
	int64_t src = fx_source(&f, "access.log", "nginx_access");
	store_close(f.s);
	f.s = NULL;

	assert_int_equal(sqlite3_open(f.path, &db), SQLITE_OK);
	snprintf(sql, sizeof(sql),
	    "INSERT INTO upstreams (id, name) VALUES (1, '-'),"
	    " (2, '10.0.0.5:80'), (3, '10.0.0.6:80');"
	    "INSERT INTO requests (id, source_id, line_no, ts_ms, tz_min,"
	    " client, protocol, status, bytes, request_ms, request_id,"
	    " upstream_id, n_attempts, cause, error_id) VALUES"
	    " (1, %1$lld, 1, %2$lld, 60, 167772161, 'HTTP/1.1', 200, 10, 5,"
	    "  '890cbd8013c7ac376c72307b7b0739d7', 2, 1, 0, NULL),"
	    " (2, %1$lld, 2, %2$lld, 60, '2001:db8::1', 'HTTP/2.0', 502, NULL,"
	    "  9, 'ABCDEF0123456789ABCDEF0123456789', 3, 2, 7, NULL),"
	    " (3, %1$lld, 3, %2$lld, 0, 167772162, 'SPDY/3', 502, 0, 7,"
	    "  'req-3', 2, 1, 13, NULL),"
	    " (4, %1$lld, 4, %2$lld, 0, NULL, NULL, 429, 0, NULL, NULL, 1, 0,"
	    "  16, 2),"
	    " (5, %1$lld, 5, %2$lld, 0, 167772163, 'HTTP/1.0', 200, 1, 1,"
	    "  '00000000000000000000000000000000', 3, 1, 0, NULL);"
	    "INSERT INTO attempts (request_id, seq, grp, upstream_id, status,"
	    " connect_ms, header_ms, response_ms, cause, error_id) VALUES"
	    " (1, 0, 0, 2, 200, 0, 5, 5, 0, NULL),"
	    " (2, 0, 0, 2, 502, 1, NULL, NULL, 7, NULL),"
	    " (2, 1, 0, 3, 502, 1, NULL, 8, 7, NULL),"
	    " (3, 0, 0, 2, 502, 1, 2, NULL, 13, 1),"
	    " (5, 0, 1, 3, NULL, NULL, NULL, NULL, 0, NULL);"
	    "INSERT INTO gateway_errors (id, source_id, line_no, local_ms,"
	    " level, cause, message, request_id) VALUES"
	    " (1, %1$lld, 1, %2$lld, 3, 13, 'upstream 500', 3),"
	    " (2, %1$lld, 2, %2$lld, 3, 16, 'limiting', 4);",
	    (long long)src, (long long)T0);
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		fail_msg("%s", sqlite3_errmsg(db));
	sqlite3_close(db);
	for (int i = 0; i < 3; i++)
		dump_rows(f.path, views[i], before[i], sizeof(before[i]));

	assert_int_equal(store_open(f.path, &f.s, f.err, sizeof(f.err)), 0);
	assert_int_equal(store_schema_version(f.s), schema_files());
	for (int i = 0; i < 3; i++) {
		dump_rows(f.path, views[i], after, sizeof(after));
		assert_string_equal(after, before[i]);
	}
	assert_string_equal(fx_text(&f, "SELECT group_concat(id || ' ' ||"
	    " typeof(request_id) || ' ' || typeof(protocol) || ' ' ||"
	    " coalesce(a_cause, '-') || ' ' || coalesce(a_error_id, '-'), ',')"
	    " FROM (SELECT * FROM requests ORDER BY id)"),
	    "1 blob integer 0 -,2 text integer - -,3 text text 13 1,"
	    "4 null null - -,5 blob integer - -");
	assert_string_equal(fx_text(&f, "SELECT group_concat(request_id ||"
	    " '.' || seq, ',') FROM (SELECT * FROM attempts"
	    " ORDER BY request_id, seq)"), "2.0,2.1,5.0");
	fx_free(&f);
}

/*
 * Schema 013 replaces the index requests_ts by request_runs: a database of
 * 012 gets the runs of the rows it holds (a log out of time order, two
 * sources taking turns, a minute that comes back later), and every row of
 * the views stays. The reads by time answer as before; a batch written
 * after the upgrade continues the run of its second.
 */
static void
test_upgrade_012_request_runs(void **state)
{
	static const char *const views[] = {
		"SELECT * FROM request_view ORDER BY id",
		"SELECT * FROM attempt_view ORDER BY request_id, seq",
		"SELECT * FROM gateway_error_view ORDER BY id",
		/* what requests_ts answered: min, max, a window in order */
		"SELECT min(ts_ms), max(ts_ms), count(*) FROM requests",
		"SELECT id, ts_ms FROM requests WHERE ts_ms >= 1795601730000"
		" AND ts_ms < 1795601890000 ORDER BY ts_ms, id",
	};
	/* minutes (from T0) of each request, in log order; all of a minute
	 * in its first second */
	static const int minutes[] = {0, 0, 1, 0, 2, 2, 1, 3, 3, 3, 0, 5};
	char before[5][4096], after[4096];
	struct fx f;

	(void)state;
	fx_open_old(&f, 12);
	int64_t a = fx_source(&f, "a.log", "nginx_access");
	int64_t b = fx_source(&f, "b.log", "nginx_access");
	store_close(f.s);
	f.s = NULL;

	/* rows as the writer of 012 left them (it wrote no runs) */
	sqlite3 *db;
	char sql[512];
	int64_t id = 0;

	assert_int_equal(sqlite3_open(f.path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "INSERT INTO upstreams (id, name)"
	    " VALUES (1, '-'), (2, '10.0.0.5:80'), (3, '10.0.0.6:80')", NULL,
	    NULL, NULL), SQLITE_OK);
	for (int round = 0; round < 2; round++)
		for (size_t i = 0; i < sizeof(minutes) / sizeof(minutes[0]);
		    i++) {
			bool retried = i % 3 == 0;

			id++;
			snprintf(sql, sizeof(sql), "INSERT INTO requests"
			    " (id, source_id, line_no, ts_ms, tz_min, client,"
			    " status, request_ms, upstream_id, n_attempts,"
			    " cause, a_status, a_connect_ms, a_header_ms,"
			    " a_response_ms, a_cause) VALUES (%lld, %lld, %zu,"
			    " %lld, %d, 167772161, %d, 5, %d, %d, %d, %s)",
			    (long long)id, (long long)(round ? b : a), i + 1,
			    (long long)(T0 + minutes[i] * 60000 +
			    (int64_t)i * 10 + round), round * 60,
			    retried ? 502 : 200, retried ? 3 : 2,
			    retried ? 2 : 1, retried ? 7 : 0, retried ?
			    "NULL, NULL, NULL, NULL, NULL" : "200, 1, 2, 3, 0");
			if (sqlite3_exec(db, sql, NULL, NULL, NULL) !=
			    SQLITE_OK)
				fail_msg("%s", sqlite3_errmsg(db));
			if (!retried)
				continue;
			snprintf(sql, sizeof(sql), "INSERT INTO attempts"
			    " (request_id, seq, grp, upstream_id, status,"
			    " connect_ms, header_ms, response_ms, cause)"
			    " VALUES (%1$lld, 0, 0, 2, 502, 1, NULL, 3, 7),"
			    " (%1$lld, 1, 0, 3, 502, 1, NULL, 4, 7)",
			    (long long)id);
			if (sqlite3_exec(db, sql, NULL, NULL, NULL) !=
			    SQLITE_OK)
				fail_msg("%s", sqlite3_errmsg(db));
		}
	sqlite3_close(db);
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM sqlite_master"
	    " WHERE name = 'requests_ts'"), 1);
	for (int i = 0; i < 5; i++)
		dump_rows(f.path, views[i], before[i], sizeof(before[i]));

	assert_int_equal(store_open(f.path, &f.s, f.err, sizeof(f.err)), 0);
	assert_int_equal(store_schema_version(f.s), schema_files());
	for (int i = 0; i < 5; i++) {
		dump_rows(f.path, views[i], after, sizeof(after));
		assert_string_equal(after, before[i]);
	}
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM sqlite_master"
	    " WHERE name IN ('requests_ts', 'request_run_starts')"), 0);
	fx_check_runs(&f);
	/* runs in id order: 0,0 | 1 | 0 | 2,2 | 1 | 3,3,3 | 0 | 5, twice */
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM request_runs"), 16);

	/* a batch of the last second continues its run */
	assert_int_equal(batch_init(&f.b), 0);
	fx_event(&f, T0 + 5 * 60000 + 300, 0, "10.0.0.1", "GET", "/x", NULL,
	    200, 5, GW_CAUSE_OK, "10.0.0.5:80 200 0");
	fx_write(&f, b);
	fx_check_runs(&f);
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM request_runs"), 16);
	assert_int_equal(fx_int(&f, "SELECT last_id - first_id FROM"
	    " request_runs ORDER BY first_id DESC LIMIT 1"), 1);
	fx_free(&f);
}

/*
 * A log whose times step back and forth: each run holds one second's
 * consecutive requests, across batches and handles too, and reads by
 * time (a window in order, min and max) see every request once.
 */
static void
test_request_runs(void **state)
{
	struct fx f;

	(void)state;
	fx_init(&f);
	int64_t src = fx_source(&f, "a.log", "nginx_access");
	for (int batch = 0; batch < 6; batch++) {
		for (int i = 0; i < 47; i++)
			/* minutes 0..4, 5 requests each, back to 0 every 25
			 * requests; batches end inside a minute's 5 */
			fx_event(&f, T0 + ((batch * 47 + i) % 25 / 5) * 60000 +
			    i, 0, "10.0.0.1", "GET", "/x", NULL, 200, 5,
			    GW_CAUSE_OK, "10.0.0.5:80 200 0");
		fx_write(&f, src);
		if (batch == 2) {	/* a new process goes on */
			store_close(f.s);
			assert_int_equal(store_open(f.path, &f.s, f.err,
			    sizeof(f.err)), 0);
		}
	}
	fx_check_rollups(&f);
	/* one run per 5 requests, whether a batch or a process ended
	 * inside it or not: 282 requests, the last run of 2 */
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM request_runs"), 57);
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM request_runs"
	    " WHERE last_id - first_id <> 4"), 1);
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM requests"), 282);
	/* the newest request, found through the runs of the last second */
	int64_t newest;
	assert_int_equal(store_newest_event_ms(f.s, INT64_MAX, &newest, f.err,
	    sizeof(f.err)), 0);
	assert_int_equal(newest, fx_int(&f, "SELECT max(ts_ms) FROM requests"));
	fx_free(&f);
}

/*
 * paths are found through a key made of a route hash and the path's last
 * number (store/intern.c): paths whose keys are equal or nearly so stay
 * distinct rows, and a second batch (with the caches emptied by a new
 * connection) finds each one again rather than adding it twice.
 */
static void
test_path_keys(void **state)
{
	static const char *const paths[] = {
		"/n/1", "/n/01", "/n/001", "/n/#", "/n/1/", "/n/2",
		"/n/999999999", "/n/1000000000", "/n/4294967297", "/m/1",
		"/n/1/x/1", "/n/2/x/1", "/", "",
	};
	size_t n = sizeof(paths) / sizeof(paths[0]);
	char sql[160];
	struct fx f;

	(void)state;
	fx_init(&f);
	int64_t src = fx_source(&f, "access.log", "nginx_access");
	for (int round = 0; round < 2; round++) {
		for (size_t i = 0; i < n; i++)
			fx_event(&f, T0 + (int64_t)i, 0, "10.0.0.1", "GET",
			    paths[i], NULL, 200, 1, GW_CAUSE_OK,
			    "10.0.0.5:80 200 1");
		fx_write(&f, src);
		store_close(f.s);	/* a new process: empty caches */
		assert_int_equal(store_open(f.path, &f.s, f.err,
		    sizeof(f.err)), 0);
	}
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM paths"), n);
	for (size_t i = 0; i < n; i++) {
		snprintf(sql, sizeof(sql), "SELECT count(DISTINCT r.path_id) ||"
		    " ' ' || min(p.name) FROM requests r JOIN paths p"
		    " ON p.id = r.path_id WHERE r.id IN (%zu, %zu)",
		    i + 1, i + 1 + n);
		char want[64];
		snprintf(want, sizeof(want), "1 %s", paths[i]);
		assert_string_equal(fx_text(&f, sql), want);
	}
	fx_free(&f);
}

/* Rows of paths named name, and names stored more than once. */
static int64_t
keys_rows(struct fx *f, const char *name)
{
	char sql[160];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM paths WHERE name ="
	    " '%s'", name);
	return fx_int(f, sql);
}
static int64_t
keys_dups(struct fx *f)
{
	return fx_int(f, "SELECT count(*) - count(DISTINCT name) FROM paths") +
	    fx_int(f, "SELECT count(*) - count(DISTINCT name) FROM shapes");
}

/* Add a request for each of n paths "/<prefix>/<i>". */
static void
keys_events(struct fx *f, const char *prefix, int from, int n)
{
	for (int i = from; i < from + n; i++) {
		char p[64];

		snprintf(p, sizeof(p), "/%s/%d", prefix, i);
		fx_event(f, T0 + i, 0, "10.0.0.1", "GET", p, NULL, 200, 1,
		    GW_CAUSE_OK, "10.0.0.5:80 200 0");
	}
}

/* Names of table t whose key is theirs in keys k (schema 017). */
static int64_t
keys_held(struct fx *f, const char *t, const char *k)
{
	char sql[160];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s k JOIN %s t"
	    " ON t.id = k.id AND t.hash = k.hash", k, t);
	return fx_int(f, sql);
}

/*
 * Schema 017 keeps the keys of paths and shapes in path_keys and
 * shape_keys, not in an index on hash: a database of 016 upgrades with
 * every stored name's key; names stored before are found again, not
 * stored twice; new ones are appended with the ids the writer gave them
 * (a request names its path by id before the row goes in), with their
 * keys, also when the key set is off (one INSERT each); a deleted name
 * takes its key along (prune).
 */
static void
test_name_keys_table(void **state)
{
	char sql[160];
	struct fx f;
	sqlite3 *db;

	(void)state;
	fx_open_old(&f, 16);
	assert_int_equal(batch_init(&f.b), 0);
	int64_t src = fx_source(&f, "access.log", "nginx_access");
	keys_events(&f, "a", 0, 30);
	fx_write(&f, src);
	store_close(f.s);
	assert_int_equal(store_open(f.path, &f.s, f.err, sizeof(f.err)), 0);
	assert_int_equal(store_schema_version(f.s), schema_files());
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM sqlite_master"
	    " WHERE name IN ('paths_hash', 'shapes_hash')"), 0);
	assert_int_equal(keys_held(&f, "paths", "path_keys"), 30);
	assert_int_equal(keys_held(&f, "shapes", "shape_keys"),
	    fx_int(&f, "SELECT count(*) FROM shapes"));

	keys_events(&f, "a", 20, 30);	/* 10 stored, 20 new */
	fx_write(&f, src);
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM paths"), 50);
	assert_int_equal(keys_dups(&f), 0);
	assert_int_equal(keys_held(&f, "paths", "path_keys"), 50);
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM path_keys"), 50);
	/* ids in the order the paths came; each request's path its own */
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM paths"
	    " WHERE name <> '/a/' || (id - 1)"), 0);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM requests r JOIN"
	    " paths p ON p.id = r.path_id WHERE p.name <> '/a/' ||"
	    " (r.ts_ms - %lld)", (long long)T0);
	assert_int_equal(fx_int(&f, sql), 0);
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM requests"), 60);

	/* out of memory for the key set: each new name its own INSERTs */
	f.s->keys[INTERN_PATH].state = KEYSET_OFF;
	keys_events(&f, "a", 45, 10);	/* 5 stored, 5 new */
	fx_write(&f, src);
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM paths"), 55);
	assert_int_equal(keys_dups(&f), 0);
	assert_int_equal(keys_held(&f, "paths", "path_keys"), 55);

	assert_int_equal(sqlite3_open(f.path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "DELETE FROM paths WHERE id <= 5;"
	    " DELETE FROM shapes WHERE id <= 5", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM path_keys"), 50);
	assert_int_equal(keys_held(&f, "paths", "path_keys"), 50);
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM shape_keys"),
	    fx_int(&f, "SELECT count(*) FROM shapes"));
	fx_free(&f);
}

/*
 * A queued new name goes in with no id: SQLite's next rowid must be the
 * id the writer gave it (and the requests name). A key set whose highest
 * id is out of step with the table (made so here) fails the batch,
 * storing nothing, rather than store names under ids no request names;
 * the sets reload and the batch written again is stored as it should be.
 */
static void
test_name_ids_out_of_step(void **state)
{
	struct fx f;

	(void)state;
	fx_init(&f);
	int64_t src = fx_source(&f, "access.log", "nginx_access");
	keys_events(&f, "a", 0, 10);
	fx_write(&f, src);
	assert_int_equal(f.s->keys[INTERN_PATH].state, KEYSET_LOADED);
	f.s->keys[INTERN_PATH].max_id -= 3;
	keys_events(&f, "a", 10, 5);
	f.b.source_id = src;
	assert_int_equal(store_write_batch(f.s, &f.b, f.err, sizeof(f.err)),
	    -1);
	assert_non_null(strstr(f.err, "queued as"));
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM paths"), 10);
	assert_int_equal(f.s->keys[INTERN_PATH].state, KEYSET_UNLOADED);
	fx_write(&f, src);
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM paths"), 15);
	assert_int_equal(keys_dups(&f), 0);
	assert_int_equal(keys_held(&f, "paths", "path_keys"), 15);
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM requests r"
	    " JOIN paths p ON p.id = r.path_id"
	    " WHERE p.name <> '/a/' || (p.id - 1)"), 0);
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM requests"), 15);
	fx_free(&f);
}

/*
 * The key set of paths (store/intern.c): a new name skips the SELECT, a
 * stored one (here from an earlier process, so not in the string cache)
 * is still found, and nothing is stored twice.
 */
static void
test_keyset_new_and_stored(void **state)
{
	struct fx f;

	(void)state;
	fx_init(&f);
	int64_t src = fx_source(&f, "access.log", "nginx_access");
	keys_events(&f, "a", 0, 50);
	fx_write(&f, src);
	assert_int_equal(f.s->keys[INTERN_PATH].state, KEYSET_LOADED);
	/* every path and shape was new: no SELECT */
	assert_int_equal(f.s->keys[INTERN_PATH].skipped, 50);
	assert_int_equal(f.s->keys[INTERN_SHAPE].skipped, 50);
	store_close(f.s);
	assert_int_equal(store_open(f.path, &f.s, f.err, sizeof(f.err)), 0);
	assert_int_equal(f.s->keys[INTERN_PATH].state, KEYSET_UNLOADED);
	keys_events(&f, "a", 25, 50);	/* 25 stored, 25 new */
	fx_write(&f, src);
	assert_int_equal(f.s->keys[INTERN_PATH].state, KEYSET_LOADED);
	assert_int_equal(f.s->keys[INTERN_PATH].skipped, 25);
	assert_int_equal(f.s->keys[INTERN_PATH].n, 75);
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM paths"), 75);
	assert_int_equal(keys_dups(&f), 0);
	assert_int_equal(fx_int(&f, "SELECT count(DISTINCT path_id) FROM"
	    " requests"), 75);
	fx_free(&f);
}

/*
 * Another writer (a second connection, as another process would be)
 * stores names between two of our batches: PRAGMA data_version tells, the
 * set reads them in, and our batch finds them instead of adding a twin.
 */
static void
test_keyset_other_writer(void **state)
{
	struct fx f, g;

	(void)state;
	fx_init(&f);
	int64_t src = fx_source(&f, "access.log", "nginx_access");
	keys_events(&f, "a", 0, 10);
	fx_write(&f, src);
	assert_int_equal(f.s->keys[INTERN_PATH].state, KEYSET_LOADED);

	memcpy(&g, &f, sizeof(g));
	assert_int_equal(store_open(f.path, &g.s, g.err, sizeof(g.err)), 0);
	assert_int_equal(batch_init(&g.b), 0);
	int64_t src2 = fx_source(&g, "other.log", "nginx_access");
	keys_events(&g, "b", 0, 10);	/* new to f's set */
	keys_events(&g, "a", 5, 10);	/* 5 of f's, 5 new */
	fx_write(&g, src2);
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM paths"), 25);

	keys_events(&f, "b", 0, 10);
	keys_events(&f, "a", 10, 10);
	fx_write(&f, src);
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM paths"), 30);
	assert_int_equal(keys_rows(&f, "/b/3"), 1);
	assert_int_equal(keys_rows(&f, "/a/12"), 1);
	assert_int_equal(keys_dups(&f), 0);
	/* only /a/15../a/19 were new to both */
	assert_int_equal(f.s->keys[INTERN_PATH].skipped, 10 + 5);
	store_close(g.s);
	batch_destroy(&g.b);
	fx_free(&f);
}

/*
 * A rolled-back batch leaves no key behind, nor its highest id: another
 * writer may then take the ids it had used, and our next batch must
 * still find the names that writer stored.
 */
static void
test_keyset_rollback(void **state)
{
	struct fx f, g;
	sqlite3 *db;

	(void)state;
	fx_init(&f);
	int64_t src = fx_source(&f, "access.log", "nginx_access");
	keys_events(&f, "a", 0, 3);
	fx_write(&f, src);
	assert_int_equal(sqlite3_open(f.path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TRIGGER boom BEFORE INSERT"
	    " ON requests WHEN NEW.status = 555 BEGIN SELECT RAISE(ABORT,"
	    " 'boom'); END", NULL, NULL, NULL), SQLITE_OK);
	keys_events(&f, "x", 0, 5);	/* ids 4..8, rolled back */
	fx_event(&f, T0, 0, "10.0.0.8", "GET", "/x/9", NULL, 555, 1,
	    GW_CAUSE_OK, "10.8.8.8:80 555 0");
	f.b.source_id = src;
	assert_int_equal(store_write_batch(f.s, &f.b, f.err, sizeof(f.err)),
	    -1);
	batch_clear(&f.b);
	assert_int_equal(f.s->keys[INTERN_PATH].state, KEYSET_UNLOADED);
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM paths"), 3);
	assert_int_equal(sqlite3_exec(db, "DROP TRIGGER boom", NULL, NULL,
	    NULL), SQLITE_OK);
	sqlite3_close(db);

	memcpy(&g, &f, sizeof(g));
	assert_int_equal(store_open(f.path, &g.s, g.err, sizeof(g.err)), 0);
	assert_int_equal(batch_init(&g.b), 0);
	int64_t src2 = fx_source(&g, "other.log", "nginx_access");
	keys_events(&g, "y", 0, 5);	/* takes ids 4..8 */
	fx_write(&g, src2);

	keys_events(&f, "y", 0, 5);
	keys_events(&f, "x", 0, 5);
	fx_write(&f, src);
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM paths"), 13);
	assert_int_equal(keys_dups(&f), 0);
	store_close(g.s);
	batch_destroy(&g.b);
	fx_free(&f);
}

/*
 * Past its budget a key set turns into bits (in place): every stored name
 * still finds its bit set, so none is stored twice, and most new names
 * still skip the SELECT; whether it overflows while growing or loading.
 */
static void
test_keyset_budget(void **state)
{
	struct fx f;
	int64_t skipped;

	(void)state;
	fx_init(&f);
	/* 4,096 slots (the first size): 3,584 names, then 131,072 bits */
	intern_keys_budget(f.s, 16384);
	int64_t src = fx_source(&f, "access.log", "nginx_access");
	for (int i = 0; i < 4; i++) {
		keys_events(&f, "a", i * 1000, 1000);
		fx_write(&f, src);
		assert_int_equal(f.s->keys[INTERN_PATH].state, i < 3 ?
		    KEYSET_LOADED : KEYSET_BITS);
	}
	assert_int_equal(f.s->keys[INTERN_PATH].cap, 4096);
	/* new names whose bit another had set (~3%) were SELECTed */
	skipped = f.s->keys[INTERN_PATH].skipped;
	assert_true(skipped > 3900 && skipped <= 4000);
	/* all 4,000 again: each finds its bit, nothing is added */
	keys_events(&f, "a", 0, 4000);
	fx_write(&f, src);
	assert_int_equal(f.s->keys[INTERN_PATH].skipped, skipped);
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM paths"), 4000);
	keys_events(&f, "a", 3500, 1000);	/* 500 stored, 500 new */
	fx_write(&f, src);
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM paths"), 4500);
	assert_int_equal(keys_dups(&f), 0);
	assert_true(f.s->keys[INTERN_PATH].skipped - skipped > 450);

	/* A new process, loading more than its budget. */
	store_close(f.s);
	assert_int_equal(store_open(f.path, &f.s, f.err, sizeof(f.err)), 0);
	intern_keys_budget(f.s, 16384);
	keys_events(&f, "a", 4000, 1000);	/* 500 stored, 500 new */
	fx_write(&f, src);
	assert_int_equal(f.s->keys[INTERN_PATH].state, KEYSET_BITS);
	assert_true(f.s->keys[INTERN_PATH].skipped > 450);
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM paths"), 5000);
	keys_events(&f, "a", 0, 5000);
	fx_write(&f, src);
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM paths"), 5000);
	assert_int_equal(keys_dups(&f), 0);
	fx_free(&f);
}

/*
 * Ingest's held transaction (store_set_ingest): batches go into one
 * transaction that a reader does not see, rows and positions alike, until
 * it commits (store_end_batches, or once it holds STORE_TXN_MIN records,
 * more than 40,000); a rollback drops every held batch with its position.
 */
static void
test_ingest_holds_batches(void **state)
{
	struct fx f;

	(void)state;
	fx_init(&f);
	int64_t src = fx_source(&f, "access.log", "nginx_access");
	assert_int_equal(store_set_ingest(f.s, f.err, sizeof(f.err)), 0);
	keys_events(&f, "h", 0, 10);
	fx_write(&f, src);
	keys_events(&f, "h", 10, 10);
	fx_write(&f, src);
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM requests"), 0);
	assert_int_equal(fx_int(&f, "SELECT position FROM sources"), 0);
	assert_int_equal(store_end_batches(f.s, f.err, sizeof(f.err)), 0);
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM requests"), 20);
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM paths"), 20);
	assert_int_equal(fx_int(&f, "SELECT position FROM sources"), 2000);
	assert_int_equal(store_end_batches(f.s, f.err, sizeof(f.err)), 0);

	/* rolled back: both held batches and their positions */
	keys_events(&f, "h", 20, 10);
	fx_write(&f, src);
	keys_events(&f, "h", 30, 10);
	fx_write(&f, src);
	store_rollback(f.s);
	assert_int_equal(store_end_batches(f.s, f.err, sizeof(f.err)), 0);
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM requests"), 20);
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM paths"), 20);
	assert_int_equal(fx_int(&f, "SELECT position FROM sources"), 2000);

	/* 40,000 records (40 s of a busy log) are held: each commit
	 * rewrites the rollups of the minutes it touched */
	keys_events(&f, "h", 40, 40000);
	fx_write(&f, src);
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM requests"), 20);
	assert_int_equal(store_end_batches(f.s, f.err, sizeof(f.err)), 0);
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM requests"), 40020);

	/* a batch past STORE_TXN_MIN records commits by itself */
	keys_events(&f, "h", 40040, STORE_TXN_MIN);
	fx_write(&f, src);
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM requests"),
	    40020 + STORE_TXN_MIN);
	assert_int_equal(keys_dups(&f), 0);
	fx_free(&f);
}

/* Bytes of a file, -1 when there is none. */
static int64_t
ckpt_file_size(const char *path, const char *suffix)
{
	char p[128];
	struct stat sb;

	snprintf(p, sizeof(p), "%s%s", path, suffix);
	return stat(p, &sb) == 0 ? (int64_t)sb.st_size : -1;
}

/* n batches of 500 new paths from *next on, each committed. */
static void
ckpt_batches(struct fx *f, int64_t src, int *next, int n)
{
	for (int i = 0; i < n; i++) {
		keys_events(f, "ck", *next, 500);
		*next += 500;
		fx_write(f, src);
		assert_int_equal(store_end_batches(f->s, f->err,
		    sizeof(f->err)), 0);
	}
}

/*
 * Ingest's checkpoints (store/checkpoint.c) run on a thread with its own
 * connection: pages reach the database file while the writer's connection
 * is open and the writer never checkpoints itself; the WAL starts over
 * once it holds `cap` frames, so its file stays near that size. A
 * reader's snapshot held meanwhile keeps seeing its rows and stops no
 * commit (the WAL cannot start over under it, and does once it ends).
 * Closing leaves every row in the database and no WAL.
 */
static void
test_ingest_checkpoints_aside(void **state)
{
	struct fx f;
	sqlite3 *rd;
	sqlite3_stmt *st;
	int64_t runs, restarts, restarts_pinned, db0, frame;
	int next = 0;

	(void)state;
	fx_init(&f);
	int64_t src = fx_source(&f, "access.log", "nginx_access");
	assert_int_equal(store_set_ingest(f.s, f.err, sizeof(f.err)), 0);
	store_checkpoints(f.s, &runs, &restarts);
	assert_int_equal(runs + restarts, 0);
	/* small thresholds, in frames, for a small test */
	ckpt_stop(f.s);
	assert_int_equal(ckpt_start(f.s, 8, 48, f.err, sizeof(f.err)), 0);
	frame = 16384 + 24;
	db0 = ckpt_file_size(f.path, "");
	ckpt_batches(&f, src, &next, 40);
	store_checkpoints(f.s, &runs, &restarts);
	assert_true(runs > 0);
	assert_true(restarts > 0);
	/* copied into the database by the checkpointer: the writer's own
	   autocheckpoint (8192 frames) would not have run yet */
	assert_true(ckpt_file_size(f.path, "") > db0 + 20 * 16384);
	assert_true(ckpt_file_size(f.path, "-wal") < 3 * 48 * frame);

	/* a reader's snapshot: commits go on, it sees what it saw */
	assert_int_equal(sqlite3_open(f.path, &rd), SQLITE_OK);
	assert_int_equal(sqlite3_exec(rd, "BEGIN", NULL, NULL, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(rd, "SELECT count(*) FROM "
	    "requests", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int64(st, 0), next);
	sqlite3_reset(st);
	store_checkpoints(f.s, &runs, &restarts_pinned);
	ckpt_batches(&f, src, &next, 20);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int64(st, 0), next - 20 * 500);
	sqlite3_finalize(st);
	assert_int_equal(sqlite3_exec(rd, "COMMIT", NULL, NULL, NULL),
	    SQLITE_OK);
	store_checkpoints(f.s, &runs, &restarts);
	assert_true(restarts <= restarts_pinned + 1);
	/* snapshot gone: the WAL starts over again */
	ckpt_batches(&f, src, &next, 20);
	store_checkpoints(f.s, &runs, &restarts_pinned);
	assert_true(restarts_pinned > restarts);
	sqlite3_close(rd);

	store_close(f.s);
	f.s = NULL;
	assert_int_equal(ckpt_file_size(f.path, "-wal"), -1);
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM requests"),
	    next);
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM paths"), next);
	fx_free(&f);
}

/*
 * The checkpointer starts the writeback of the WAL after each commit that
 * grew it, checkpoint asked or not (checkpoint.c), so the sync of the
 * WAL at the close, after the last commit, finds little left; on main
 * only checkpoints wrote it, and the close synced every frame since the
 * last one (1M production lines: 15 ms of the end phase).
 */
static void
test_ingest_checkpoints_wal_writeback(void **state)
{
	struct timespec ms = {0, 1000000};
	struct fx f;
	int64_t runs, restarts;
	int next = 0, i;

	(void)state;
	fx_init(&f);
	int64_t src = fx_source(&f, "access.log", "nginx_access");
	assert_int_equal(store_set_ingest(f.s, f.err, sizeof(f.err)), 0);
	/* no checkpoint asked for in a test this small */
	ckpt_stop(f.s);
	assert_int_equal(ckpt_start(f.s, 100000, 200000, f.err,
	    sizeof(f.err)), 0);
	ckpt_batches(&f, src, &next, 2);
	for (i = 0; i < 5000 && ckpt_writebacks(f.s) == 0; i++)
		nanosleep(&ms, NULL);
	assert_true(ckpt_writebacks(f.s) > 0);
	store_checkpoints(f.s, &runs, &restarts);
	assert_int_equal(runs, 0);
	store_close(f.s);
	f.s = NULL;
	assert_int_equal(ckpt_file_size(f.path, "-wal"), -1);
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM requests"), next);
	fx_free(&f);
}

/* 1 if another process sees a lock on the database file's SHARED
 * range (SQLite's unix locking: PENDING_BYTE 0x40000000, then 2 bytes
 * on, 510 bytes), 0 if not. */
static int
db_shared_locked(const char *path)
{
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (pid == 0) {
		struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET,
		    .l_start = 0x40000000 + 2, .l_len = 510};
		int fd = open(path, O_RDWR);

		if (fd < 0 || fcntl(fd, F_GETLK, &fl) != 0)
			_exit(2);
		_exit(fl.l_type == F_UNLCK ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) < 2);
	return WEXITSTATUS(status);
}

/*
 * Stopping the checkpointer leaves the writer's connection its SHARED
 * lock on the database file (checkpoint.c, ckpt_park_files): the
 * checkpointer's own descriptor of the file is closed only after that
 * connection, as closing any descriptor drops every POSIX lock the
 * process holds on the file; with the lock gone, another process's
 * closing connection takes itself for the last one and checkpoints and
 * deletes the WAL under this one. On the branch before, ckpt_stop closed
 * it at once: no lock seen from outside until the close.
 */
static void
test_ingest_checkpoints_stop_keeps_lock(void **state)
{
	struct fx f;
	int next = 0;

	(void)state;
	fx_init(&f);
	int64_t src = fx_source(&f, "access.log", "nginx_access");
	assert_int_equal(store_set_ingest(f.s, f.err, sizeof(f.err)), 0);
	ckpt_batches(&f, src, &next, 2);
	assert_int_equal(db_shared_locked(f.path), 1);
	ckpt_stop(f.s);
	assert_int_equal(db_shared_locked(f.path), 1);
	/* started again, it takes the same descriptors */
	assert_int_equal(ckpt_start(f.s, 8, 48, f.err, sizeof(f.err)), 0);
	ckpt_batches(&f, src, &next, 2);
	ckpt_stop(f.s);
	assert_int_equal(db_shared_locked(f.path), 1);
	store_close(f.s);
	f.s = NULL;
	assert_int_equal(ckpt_file_size(f.path, "-wal"), -1);
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM requests"), next);
	fx_free(&f);
}

/*
 * Asked at the end of an ingest (store_checkpoint_rest), the checkpointer
 * copies what the WAL still holds though it grew by less than `every`
 * frames since the last checkpoint: all of it is in the database before
 * the close, which then has nothing to copy or sync. Asking again with
 * nothing new runs none. (On main the close copied it, after every
 * thread was done.)
 */
static void
test_ingest_checkpoint_rest(void **state)
{
	struct fx f;
	int64_t runs = 0, restarts, size;
	struct stat st;
	int next = 0;

	(void)state;
	fx_init(&f);
	int64_t src = fx_source(&f, "access.log", "nginx_access");
	assert_int_equal(ckpt_start(f.s, 1 << 20, 1 << 21, f.err,
	    sizeof(f.err)), 0);
	ckpt_batches(&f, src, &next, 2);
	store_checkpoints(f.s, &runs, &restarts);
	assert_int_equal(runs, 0);
	size = fx_int(&f, "PRAGMA page_count") * fx_int(&f, "PRAGMA page_size");
	assert_int_equal(stat(f.path, &st), 0);
	assert_true(st.st_size < size);
	store_checkpoint_rest(f.s);
	for (int i = 0; i < 5000 && runs == 0; i++) {
		usleep(1000);
		store_checkpoints(f.s, &runs, &restarts);
	}
	assert_int_equal(runs, 1);
	/* every page in the database file, before any close */
	assert_int_equal(stat(f.path, &st), 0);
	assert_int_equal(st.st_size, size);
	store_checkpoint_rest(f.s);
	usleep(50000);
	store_checkpoints(f.s, &runs, &restarts);
	assert_int_equal(runs, 1);
	/* asked just before the thread stops, it still runs (on main the
	   thread, woken after the stop, left it to the close) */
	ckpt_batches(&f, src, &next, 2);
	size = fx_int(&f, "PRAGMA page_count") * fx_int(&f, "PRAGMA page_size");
	assert_int_equal(stat(f.path, &st), 0);
	assert_true(st.st_size < size);
	store_checkpoint_rest(f.s);
	ckpt_stop(f.s);
	assert_int_equal(stat(f.path, &st), 0);
	assert_int_equal(st.st_size, size);
	fx_free(&f);
}

/*
 * Closing an ingest whose removed WAL is big hands the file's last
 * reference to a child process (checkpoint.c, ckpt_release_wal), which
 * frees the file's blocks while we go on, and which a detached thread
 * reaps: the usage of reaped children (RUSAGE_CHILDREN) grows by its
 * own. On main the close freed them itself: no child, no such usage.
 */
static void
test_ingest_close_hands_wal_to_child(void **state)
{
	struct rusage before, now;
	struct stat st;
	struct fx f;
	char wal[96];

	(void)state;
	fx_init(&f);
	assert_int_equal(store_set_ingest(f.s, f.err, sizeof(f.err)), 0);
	assert_int_equal(sqlite3_exec(f.s->db, "CREATE TABLE big (x);"
	    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
	    "WHERE i < 3000) INSERT INTO big SELECT randomblob(4096) FROM n",
	    NULL, NULL, NULL), SQLITE_OK);
	snprintf(wal, sizeof(wal), "%s-wal", f.path);
	assert_int_equal(stat(wal, &st), 0);
	assert_true(st.st_size >= 8 << 20);
	assert_int_equal(getrusage(RUSAGE_CHILDREN, &before), 0);
	store_close(f.s);
	f.s = NULL;
	assert_int_equal(stat(wal, &st), -1);
	for (int i = 0; i < 5000; i++) {
		assert_int_equal(getrusage(RUSAGE_CHILDREN, &now), 0);
		if (now.ru_minflt > before.ru_minflt)
			break;
		usleep(1000);
	}
	assert_true(now.ru_minflt > before.ru_minflt);
	fx_free(&f);
}

/*
 * A checkpointer that cannot start (here its connection cannot open the
 * file, moved aside for the moment) leaves ingest as it was: the writer
 * checkpoints itself every 8192 pages, and stores as before.
 */
static void
test_ingest_checkpoints_fallback(void **state)
{
	struct fx f;
	sqlite3_stmt *st;
	char aside[96];
	int64_t runs, restarts;

	(void)state;
	fx_init(&f);
	int64_t src = fx_source(&f, "access.log", "nginx_access");
	snprintf(aside, sizeof(aside), "%s.aside", f.path);
	assert_int_equal(rename(f.path, aside), 0);
	assert_int_equal(store_set_ingest(f.s, f.err, sizeof(f.err)), 0);
	assert_int_equal(rename(aside, f.path), 0);
	assert_null(f.s->ckpt);
	store_checkpoints(f.s, &runs, &restarts);
	assert_int_equal(runs + restarts, 0);
	assert_int_equal(sqlite3_prepare_v2(f.s->db, "PRAGMA wal_autocheckpoint",
	    -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 8192);
	sqlite3_finalize(st);
	keys_events(&f, "fb", 0, 100);
	fx_write(&f, src);
	assert_int_equal(store_end_batches(f.s, f.err, sizeof(f.err)), 0);
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM requests"), 100);
	fx_free(&f);
}

/*
 * A held transaction's size follows the pages the last commit wrote
 * (STORE_TXN_PER_PAGE records a page) as well as the names stored, within
 * STORE_TXN_MIN..STORE_TXN_MAX; and a commit records its pages.
 */
static void
test_txn_target_pages(void **state)
{
	struct fx f;

	(void)state;
	fx_init(&f);
	f.s->txn_pages = 0;
	assert_int_equal(store_txn_target(f.s), STORE_TXN_MIN);
	f.s->txn_pages = 100;
	assert_int_equal(store_txn_target(f.s), STORE_TXN_MIN);
	f.s->txn_pages = 2000;
	assert_int_equal(store_txn_target(f.s), 2000 * STORE_TXN_PER_PAGE);
	f.s->txn_pages = 1000000;
	assert_int_equal(store_txn_target(f.s), STORE_TXN_MAX);
	f.s->keys[INTERN_PATH].max_id = 8 * 200000;
	f.s->txn_pages = 10;
	assert_int_equal(store_txn_target(f.s), 200000);
	f.s->keys[INTERN_PATH].max_id = 0;

	/* a commit of many rows wrote pages, and says so */
	int64_t src = fx_source(&f, "access.log", "nginx_access");
	assert_int_equal(store_set_ingest(f.s, f.err, sizeof(f.err)), 0);
	f.s->txn_pages = 0;
	keys_events(&f, "p", 0, 3000);
	fx_write(&f, src);
	assert_int_equal(store_end_batches(f.s, f.err, sizeof(f.err)), 0);
	assert_true(f.s->txn_pages > 10);
	fx_free(&f);
}

/*
 * The front slots of the intern caches (intern.c): thousands of names
 * (most share a slot with others) keep their ids; a rollback forgets the
 * ids it took back, in the front as in the map (the name looked up again
 * gets the id it has now, not the one rolled back).
 */
static void
test_intern_front(void **state)
{
	static int64_t ids[3000];
	int64_t id, again;
	struct fx f;
	char name[32];

	(void)state;
	fx_init(&f);
	for (int t = 0; t < 2; t++) {
		enum store_intern_id table = t == 0 ? INTERN_UPSTREAM :
		    INTERN_PATH;

		assert_int_equal(store_begin(f.s, f.err, sizeof(f.err)), 0);
		for (int round = 0; round < 2; round++)
			for (int i = 0; i < 3000; i++) {
				snprintf(name, sizeof(name), "10.%d.%d:80", t,
				    i);
				assert_int_equal(intern_id(f.s, table, name,
				    &id, f.err, sizeof(f.err)), 0);
				if (round == 0)
					ids[i] = id;
				else
					assert_int_equal(id, ids[i]);
			}
		assert_int_equal(store_commit(f.s, f.err, sizeof(f.err)), 0);

		assert_int_equal(store_begin(f.s, f.err, sizeof(f.err)), 0);
		assert_int_equal(intern_id(f.s, table, "/gone", &id, f.err,
		    sizeof(f.err)), 0);
		assert_int_equal(id, 3001);
		store_rollback(f.s);
		assert_int_equal(store_begin(f.s, f.err, sizeof(f.err)), 0);
		assert_int_equal(intern_id(f.s, table, "/other", &again,
		    f.err, sizeof(f.err)), 0);
		assert_int_equal(again, 3001);
		assert_int_equal(intern_id(f.s, table, "/gone", &again,
		    f.err, sizeof(f.err)), 0);
		assert_int_equal(again, 3002);
		assert_int_equal(intern_id(f.s, table, "10.0.7:80", &again,
		    f.err, sizeof(f.err)), 0);
		assert_int_equal(store_commit(f.s, f.err, sizeof(f.err)), 0);
	}
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM upstreams"), 3002);
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM paths"), 3003);
	assert_int_equal(fx_int(&f, "SELECT id FROM upstreams WHERE name ="
	    " '/gone'"), 3002);
	assert_int_equal(fx_int(&f, "SELECT id FROM paths WHERE name ="
	    " '/gone'"), 3002);
	fx_free(&f);
}

/*
 * Names of at most INTERN_SHORT_LEN bytes of the tables of a few names are
 * held whole in short slots (intern.c): every length from 0 to past the
 * limit, each byte in turn the one that differs, gets its own id, the
 * stored one, and the same again (mostly from the short slots); a
 * rollback empties them too.
 */
static void
test_intern_short(void **state)
{
	static int64_t ids[800];
	static char names[800][40];
	int n = 0;
	struct fx f;
	char sql[128];

	(void)state;
	fx_init(&f);
	for (int len = 0; len <= INTERN_SHORT_LEN + 3; len++)
		for (int at = -1; at < len; at++) {
			memset(names[n], 'a', (size_t)len);
			names[n][len] = '\0';
			if (at >= 0)
				names[n][at] = 'b';
			n++;
		}
	assert_true(n < 800);
	for (int t = 0; t < 3; t++) {
		enum store_intern_id table = t == 0 ? INTERN_UPSTREAM :
		    t == 1 ? INTERN_HOST : INTERN_METHOD;
		int64_t hits, id;

		assert_non_null(f.s->intern[table].shorts);
		assert_int_equal(store_begin(f.s, f.err, sizeof(f.err)), 0);
		for (int i = 0; i < n; i++) {
			assert_int_equal(intern_id(f.s, table, names[i], &ids[i],
			    f.err, sizeof(f.err)), 0);
			for (int j = 0; j < i; j++)
				assert_true(ids[j] != ids[i]);
		}
		hits = f.s->intern[table].short_hits;
		for (int i = 0; i < n; i++) {
			assert_int_equal(intern_id(f.s, table, names[i], &id,
			    f.err, sizeof(f.err)), 0);
			assert_int_equal(id, ids[i]);
			/* the writer's look-up (its hit inlined) agrees */
			assert_int_equal(intern_id_len(f.s, table, names[i],
			    (uint16_t)strlen(names[i]), &id, f.err,
			    sizeof(f.err)), 0);
			assert_int_equal(id, ids[i]);
		}
		assert_true(f.s->intern[table].short_hits - hits > 2 * n / 3);
		assert_int_equal(store_commit(f.s, f.err, sizeof(f.err)), 0);
		for (int i = 0; i < n; i++) {
			snprintf(sql, sizeof(sql), "SELECT id FROM %s WHERE"
			    " name = '%.39s'", t == 0 ? "upstreams" : t == 1 ?
			    "hosts" : "methods", names[i]);
			assert_int_equal(fx_int(&f, sql), ids[i]);
		}
		/* a rolled-back name's id is forgotten, short or not */
		assert_int_equal(store_begin(f.s, f.err, sizeof(f.err)), 0);
		assert_int_equal(intern_id(f.s, table, "gone", &id, f.err,
		    sizeof(f.err)), 0);
		store_rollback(f.s);
		assert_int_equal(store_begin(f.s, f.err, sizeof(f.err)), 0);
		assert_int_equal(intern_id(f.s, table, "other", &hits, f.err,
		    sizeof(f.err)), 0);
		assert_int_equal(hits, id);
		assert_int_equal(intern_id(f.s, table, "gone", &hits, f.err,
		    sizeof(f.err)), 0);
		assert_int_equal(hits, id + 1);
		assert_int_equal(intern_id(f.s, table, names[n - 1], &hits,
		    f.err, sizeof(f.err)), 0);
		assert_int_equal(hits, ids[n - 1]);
		assert_int_equal(store_commit(f.s, f.err, sizeof(f.err)), 0);
	}
	fx_free(&f);
}

/*
 * Paths and shapes have INTERN_FRONT_HASHED front slots (the tables of a
 * few names INTERN_FRONT): 6,000 shapes looked up again are mostly
 * answered by the front (2,048 slots answered at most a third of them),
 * and a hint (intern_hint_of, intern_prefetch_entry, which hashes a name
 * the front lost for the map) of any name, known, new, NULL or another,
 * changes no id.
 */
static void
test_intern_front_hashed(void **state)
{
	static int64_t ids[6000];
	struct intern_hint hint;
	int64_t id, hits;
	struct fx f;
	char name[32];

	(void)state;
	fx_init(&f);
	assert_int_equal(f.s->intern[INTERN_SHAPE].front_mask + 1,
	    INTERN_FRONT_HASHED);
	assert_int_equal(f.s->intern[INTERN_PATH].front_mask + 1,
	    INTERN_FRONT_HASHED);
	assert_int_equal(f.s->intern[INTERN_HOST].front_mask + 1,
	    INTERN_FRONT);
	assert_int_equal(store_begin(f.s, f.err, sizeof(f.err)), 0);
	for (int i = 0; i < 6000; i++) {
		snprintf(name, sizeof(name), "a=num&b%d=str", i);
		intern_hint_of(f.s, INTERN_SHAPE, name, &hint);
		intern_prefetch_entry(f.s, INTERN_SHAPE, &hint);
		assert_int_equal(intern_id_hinted(f.s, INTERN_SHAPE, name,
		    &hint, &ids[i], f.err, sizeof(f.err)), 0);
		assert_int_equal(ids[i], i + 1);
	}
	intern_hint_of(f.s, INTERN_SHAPE, NULL, &hint);
	intern_prefetch_entry(f.s, INTERN_SHAPE, &hint);
	assert_int_equal(intern_id_hinted(f.s, INTERN_SHAPE, NULL, &hint,
	    &id, f.err, sizeof(f.err)), 0);
	assert_int_equal(id, 0);
	/* a hint of another name is not taken */
	intern_hint_of(f.s, INTERN_SHAPE, "a=num&b7=str", &hint);
	assert_int_equal(intern_id_hinted(f.s, INTERN_SHAPE, "a=num&b9=str",
	    &hint, &id, f.err, sizeof(f.err)), 0);
	assert_int_equal(id, ids[9]);
	/* without hints, then with: the same ids, from the front mostly;
	 * names the front lost are found in the map by their hash, the
	 * hint's (intern_prefetch_entry) as the lookup's, not added again */
	for (int pass = 0; pass < 2; pass++) {
		hits = f.s->intern[INTERN_SHAPE].front_hits;
		for (int i = 0; i < 6000; i++) {
			snprintf(name, sizeof(name), "a=num&b%d=str", i);
			intern_hint_of(f.s, INTERN_SHAPE, name, &hint);
			intern_prefetch_entry(f.s, INTERN_SHAPE, &hint);
			assert_int_equal(intern_id_hinted(f.s, INTERN_SHAPE,
			    name, pass == 0 ? NULL : &hint, &id, f.err,
			    sizeof(f.err)), 0);
			assert_int_equal(id, ids[i]);
		}
		assert_true(f.s->intern[INTERN_SHAPE].front_hits - hits >
		    5000);
		assert_true(f.s->intern[INTERN_SHAPE].front_hits - hits <
		    6000);
		assert_int_equal(f.s->intern[INTERN_SHAPE].map.n, 6000);
	}
	assert_int_equal(store_commit(f.s, f.err, sizeof(f.err)), 0);
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM shapes"), 6000);
	fx_free(&f);
}

/*
 * Queued names go in by key (intern_pending_sort, a radix sort past 64
 * names): any keys, negative, equal (then by id, the order queued) or
 * sharing most bytes, come out in order, none lost.
 */
static void
test_intern_pending_sort(void **state)
{
	static struct intern_pending_row v[5000];
	static const int sizes[] = {0, 1, 63, 64, 5000};
	uint64_t x = 88172645463325252u;

	(void)state;
	for (size_t z = 0; z < sizeof(sizes) / sizeof(sizes[0]); z++) {
		int n = sizes[z];
		int64_t idsum = 0, got = 0;

		for (int i = 0; i < n; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			v[i].id = i + 1;
			idsum += i + 1;
			switch (i % 4) {
			case 0:
				v[i].key = (int64_t)x;
				break;
			case 1:
				v[i].key = (int64_t)(x % 7) - 3;
				break;
			case 2:
				v[i].key = (int64_t)(0x123456 << 8 | (x & 0xff));
				break;
			default:
				v[i].key = INT64_MIN + (int64_t)(x % 3);
			}
		}
		intern_pending_sort(v, n);
		for (int i = 0; i < n; i++) {
			got += v[i].id;
			if (i > 0)
				assert_true(v[i - 1].key < v[i].key ||
				    (v[i - 1].key == v[i].key &&
				    v[i - 1].id < v[i].id));
		}
		assert_int_equal(got, idsum);
	}
}

/*
 * A rollup map is flushed in the order of its keys (rollup_map_sort: the
 * tables' primary keys), not the order they came: keys added backwards
 * come out sorted with their sums, and are stored as added.
 */
static void
test_rollup_map_sort(void **state)
{
	struct rollup_map m;
	struct fx f;

	(void)state;
	memset(&m, 0, sizeof(m));
	for (int i = 39; i >= 0; i--) {
		struct rollup_key k = {.minute = 100 + i / 10, .source_id = 1,
		    .upstream_id = 1 + i % 5, .status = 200 + i % 2,
		    .cause = 0};

		assert_int_equal(rollup_add(&m, &k, 1, i, 10), 0);
		assert_int_equal(rollup_add(&m, &k, 2, -1, -1), 0);
	}
	assert_int_equal(m.n, 40);
	rollup_map_sort(&m);
	for (size_t i = 0; i < m.n; i++) {
		assert_int_equal(m.v[i].count, 3);
		assert_int_equal(m.v[i].bytes_sum, 10);
		if (i > 0) {
			const struct rollup_key *a = &m.v[i - 1].key;
			const struct rollup_key *b = &m.v[i].key;

			assert_true(a->minute < b->minute ||
			    (a->minute == b->minute && (a->upstream_id <
			    b->upstream_id || (a->upstream_id ==
			    b->upstream_id && a->status < b->status))));
		}
	}
	rollup_map_clear(&m);
	rollup_map_free(&m);

	fx_init(&f);
	int64_t src = fx_source(&f, "access.log", "nginx_access");
	assert_int_equal(store_begin(f.s, f.err, sizeof(f.err)), 0);
	for (int i = 39; i >= 0; i--) {
		struct rollup_key k = {.minute = 100 + i / 10,
		    .source_id = src, .upstream_id = 1 + i % 5,
		    .status = 200 + i % 2, .cause = 0};

		assert_int_equal(rollup_add(&f.s->rollup_req, &k, 1, i, 10),
		    0);
		assert_int_equal(rollup_add(&f.s->rollup_att, &k, 1, -1, -1),
		    0);
		assert_int_equal(latency_add(&f.s->latency, k.minute,
		    k.upstream_id, i), 0);
	}
	assert_int_equal(store_commit(f.s, f.err, sizeof(f.err)), 0);
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM rollup_minute"),
	    40);
	assert_int_equal(fx_int(&f, "SELECT sum(requests) + sum(request_ms_sum)"
	    " FROM rollup_minute"), 40 + 39 * 40 / 2);
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM"
	    " rollup_attempt_minute WHERE attempts = 1"), 40);
	assert_int_equal(fx_int(&f, "SELECT sum(attempts) FROM"
	    " rollup_latency_minute"), 40);
	fx_free(&f);
}

/*
 * Latency counts go into dense histograms per (minute, upstream), the
 * pairs past LATENCY_HISTS into the rollup map: n counts each (minute,
 * upstream, bucket) key once wherever it is, and the flush writes every
 * key's count whichever held it, the map's pairs too.
 */
static void
test_latency_hists(void **state)
{
	int pairs = LATENCY_HISTS + 40;
	struct fx f;

	(void)state;
	fx_init(&f);
	assert_int_equal(store_begin(f.s, f.err, sizeof(f.err)), 0);
	for (int rep = 0; rep < 3; rep++)
		for (int p = 0; p < pairs; p++) {
			int64_t minute = 1000 + p / 2, up = 1 + p % 2;

			/* buckets 0 and 2 each time, 100 ms the first */
			assert_int_equal(latency_add(&f.s->latency, minute, up,
			    0), 0);
			assert_int_equal(latency_add(&f.s->latency, minute, up,
			    rep == 0 ? 100 : 2), 0);
			assert_int_equal(latency_add(&f.s->latency, minute, up,
			    -1), 0);
		}
	assert_int_equal(f.s->latency.nh, LATENCY_HISTS);
	assert_int_equal(f.s->latency.n, 3 * pairs);
	assert_int_equal(f.s->latency.m.n, 3 * 40);
	assert_int_equal(store_commit(f.s, f.err, sizeof(f.err)), 0);
	assert_int_equal(f.s->latency.n, 0);
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM"
	    " rollup_latency_minute"), 3 * pairs);
	assert_int_equal(fx_int(&f, "SELECT sum(attempts) FROM"
	    " rollup_latency_minute"), 3 * 2 * pairs);
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM"
	    " rollup_latency_minute WHERE bucket = 0 AND attempts = 3"), pairs);
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM"
	    " rollup_latency_minute WHERE bucket = 2 AND attempts = 2"), pairs);
	assert_int_equal(fx_int(&f, "SELECT count(DISTINCT minute) FROM"
	    " rollup_latency_minute WHERE upstream_id = 2"), pairs / 2);
	/* a second transaction adds to the rows: the memory is reused */
	assert_int_equal(store_begin(f.s, f.err, sizeof(f.err)), 0);
	assert_int_equal(latency_add(&f.s->latency, 1000, 1, 0), 0);
	assert_int_equal(f.s->latency.nh, 1);
	assert_int_equal(store_commit(f.s, f.err, sizeof(f.err)), 0);
	assert_int_equal(fx_int(&f, "SELECT attempts FROM rollup_latency_minute"
	    " WHERE minute = 1000 AND upstream_id = 1 AND bucket = 0"), 4);
	fx_free(&f);
}

/*
 * New names wait in a queue with the ids they were given, for the whole
 * transaction, and go in at COMMIT in key order, INTERN_PENDING_ROWS an
 * INSERT: a lookup of a queued name (its cache entry gone) finds it in
 * the queue, COMMIT stores them all, a rollback none.
 */
static void
test_keyset_queued(void **state)
{
	int64_t got[45];
	int64_t again;
	struct fx f;
	char name[32];

	(void)state;
	fx_init(&f);
	assert_int_equal(store_begin(f.s, f.err, sizeof(f.err)), 0);
	for (int i = 0; i < 45; i++) {
		snprintf(name, sizeof(name), "/q/%d", i);
		assert_int_equal(intern_id(f.s, INTERN_PATH, name, &got[i],
		    f.err, sizeof(f.err)), 0);
		assert_int_equal(got[i], i + 1);
	}
	/* all wait */
	assert_int_equal(f.s->pending[INTERN_PATH].n, 45);
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM paths"), 0);
	/* forget the cache: the lookup finds the name in the queue */
	hashtab_clear(&f.s->intern[INTERN_PATH].map);
	memset(f.s->intern[INTERN_PATH].front, 0,
	    (f.s->intern[INTERN_PATH].front_mask + 1) *
	    sizeof(*f.s->intern[INTERN_PATH].front));
	assert_int_equal(intern_id(f.s, INTERN_PATH, "/q/42", &again, f.err,
	    sizeof(f.err)), 0);
	assert_int_equal(again, 43);
	assert_int_equal(f.s->pending[INTERN_PATH].n, 45);
	assert_int_equal(intern_id(f.s, INTERN_PATH, "/q/new", &again, f.err,
	    sizeof(f.err)), 0);
	assert_int_equal(again, 46);
	assert_int_equal(f.s->pending[INTERN_PATH].n, 46);
	assert_int_equal(store_commit(f.s, f.err, sizeof(f.err)), 0);
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM paths"), 46);
	assert_int_equal(fx_int(&f, "SELECT id FROM paths WHERE name ="
	    " '/q/new'"), 46);
	assert_int_equal(keys_dups(&f), 0);

	/* Rolled back: the queue is dropped, ids are given again. */
	assert_int_equal(store_begin(f.s, f.err, sizeof(f.err)), 0);
	assert_int_equal(intern_id(f.s, INTERN_PATH, "/r/1", &again, f.err,
	    sizeof(f.err)), 0);
	assert_int_equal(again, 47);
	store_rollback(f.s);
	assert_int_equal(f.s->pending[INTERN_PATH].n, 0);
	assert_int_equal(store_begin(f.s, f.err, sizeof(f.err)), 0);
	assert_int_equal(intern_id(f.s, INTERN_PATH, "/r/2", &again, f.err,
	    sizeof(f.err)), 0);
	assert_int_equal(again, 47);
	assert_int_equal(store_commit(f.s, f.err, sizeof(f.err)), 0);
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM paths WHERE name"
	    " LIKE '/r/%'"), 1);
	assert_int_equal(fx_int(&f, "SELECT id FROM paths WHERE name ="
	    " '/r/2'"), 47);
	fx_free(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_fresh_and_again),
		cmocka_unit_test(test_open_fresh_one_transaction),
		cmocka_unit_test(test_open_final_schema_same),
		cmocka_unit_test(test_open_fresh_takes_final_script),
		cmocka_unit_test(test_open_upgrades_version_0),
		cmocka_unit_test(test_open_newer_fails),
		cmocka_unit_test(test_write_and_read_back),
		cmocka_unit_test(test_rejects_raw_bytes),
		cmocka_unit_test(test_new_database_modes),
		cmocka_unit_test(test_symlinked_database_refused),
		cmocka_unit_test(test_rejects_capped),
		cmocka_unit_test(test_source_resume_by_fingerprint),
		cmocka_unit_test(test_failed_batch_leaves_nothing),
		cmocka_unit_test(test_failed_batch_max_request_ms),
		cmocka_unit_test(test_source_rewind),
		cmocka_unit_test(test_many_batches),
		cmocka_unit_test(test_row_shape),
		cmocka_unit_test(test_upgrade_011_row_shape),
		cmocka_unit_test(test_upgrade_012_request_runs),
		cmocka_unit_test(test_upgrade_015_join_by_minute),
		cmocka_unit_test(test_schema_upgraded_under_writer),
		cmocka_unit_test(test_request_runs),
		cmocka_unit_test(test_client_inline),
		cmocka_unit_test(test_path_keys),
		cmocka_unit_test(test_name_keys_table),
		cmocka_unit_test(test_name_ids_out_of_step),
		cmocka_unit_test(test_keyset_new_and_stored),
		cmocka_unit_test(test_keyset_other_writer),
		cmocka_unit_test(test_keyset_rollback),
		cmocka_unit_test(test_keyset_budget),
		cmocka_unit_test(test_keyset_queued),
		cmocka_unit_test(test_intern_front),
		cmocka_unit_test(test_intern_short),
		cmocka_unit_test(test_intern_front_hashed),
		cmocka_unit_test(test_rollup_map_sort),
		cmocka_unit_test(test_latency_hists),
		cmocka_unit_test(test_intern_pending_sort),
		cmocka_unit_test(test_txn_target_pages),
		cmocka_unit_test(test_ingest_holds_batches),
		cmocka_unit_test(test_ingest_checkpoints_aside),
		cmocka_unit_test(test_ingest_checkpoints_wal_writeback),
		cmocka_unit_test(test_ingest_checkpoints_stop_keeps_lock),
		cmocka_unit_test(test_ingest_close_hands_wal_to_child),
		cmocka_unit_test(test_ingest_checkpoint_rest),
		cmocka_unit_test(test_ingest_checkpoints_fallback),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
