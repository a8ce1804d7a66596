/*
 * source.c - which input is this: find or create a row of sources.
 *
 * An input is known by its content, not its name: logs get rotated,
 * renamed and copied. The caller hands the first bytes of the file as a
 * fingerprint; a stored source whose fingerprint agrees with it over the
 * shorter of the two (at least SOURCE_FINGERPRINT_MIN bytes) is the same
 * input, and reading resumes at its stored position. When the new
 * fingerprint is longer (the file has grown) it replaces the stored one,
 * so identity sharpens over time. Without a fingerprint an input is
 * always new.
 *
 * The kind is not part of the identity: it is decided from the file's
 * first lines, and those change while the file grows (three error lines
 * before the first access lines make an nginx_error file that twenty more
 * access lines turn into nginx_access). Had the kind counted, the grown
 * file would have become a new source read again from byte 0: every
 * request stored twice. The kind stored is the latest detection's; the
 * caller is told the one it replaced. Only packet captures and logs stay
 * apart (a pcap never matches a log's first bytes anyway).
 */
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "store/store_int.h"

#define SOURCE_FINGERPRINT_MIN STORE_FINGERPRINT_MIN

#define SOURCE_KIND_MAX	64	/* longest kind name kept for the caller */

/* Bind the descriptive columns ?3..?7 shared by insert and reopen. */
static void
source_bind_info(sqlite3_stmt *st, const struct store_source_info *info)
{
	if (info->format != NULL)
		sqlite3_bind_text(st, 3, info->format, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 3);
	sqlite3_bind_int64(st, 4, (int64_t)info->dev);
	sqlite3_bind_int64(st, 5, (int64_t)info->ino);
	if (info->fingerprint_len > 0)
		sqlite3_bind_blob(st, 6, info->fingerprint,
		    (int)info->fingerprint_len, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 6);
	sqlite3_bind_int64(st, 7, clk_wall_ms());
}

/*
 * Look for a stored source matching info, of any kind; *id = 0 when none.
 * Among several the longest agreement wins, then the most recently seen.
 * kind (SOURCE_KIND_MAX bytes) gets the stored kind of the one found.
 */
static int
source_find(struct store *s, const struct store_source_info *info,
    int64_t *id, uint64_t *pos, uint64_t *line, char *kind, char *err,
    size_t errlen)
{
	sqlite3_stmt *st;
	size_t best = 0;
	int rc;

	*id = 0;
	*kind = '\0';
	if (info->fingerprint_len < SOURCE_FINGERPRINT_MIN)
		return 0;
	if ((st = store_stmt(s, STMT_SOURCE_FIND, err, errlen)) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, info->kind, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, SOURCE_FINGERPRINT_MIN);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const void *fp = sqlite3_column_blob(st, 1);
		size_t n = (size_t)sqlite3_column_bytes(st, 1);

		if (n > info->fingerprint_len)
			n = info->fingerprint_len;
		if (n <= best || memcmp(fp, info->fingerprint, n) != 0)
			continue;
		best = n;
		*id = sqlite3_column_int64(st, 0);
		*pos = (uint64_t)sqlite3_column_int64(st, 2);
		*line = (uint64_t)sqlite3_column_int64(st, 3);
		snprintf(kind, SOURCE_KIND_MAX, "%s",
		    (const char *)sqlite3_column_text(st, 4));
	}
	if (rc != SQLITE_DONE) {
		store_fail_db(s, err, errlen, "sources");
		sqlite3_reset(st);
		return -1;
	}
	sqlite3_reset(st);
	return 0;
}

/* See store.h. */
int
store_source_open(struct store *s, const struct store_source_info *info,
    int64_t *source_id, uint64_t *resume_offset, uint64_t *resume_line,
    char *kind_was, size_t kind_was_len, char *err, size_t errlen)
{
	enum store_stmt_id op;
	sqlite3_stmt *st;
	int64_t id;
	uint64_t pos = 0, line = 0;
	char kind[SOURCE_KIND_MAX];

	if (info->path == NULL || info->kind == NULL)
		return store_fail(err, errlen, "source without path or kind");
	if (store_begin(s, err, errlen) != 0)
		return -1;
	if (source_find(s, info, &id, &pos, &line, kind, err, errlen) != 0)
		goto fail;
	op = id != 0 ? STMT_SOURCE_REOPEN : STMT_SOURCE_INSERT;
	if ((st = store_stmt(s, op, err, errlen)) == NULL)
		goto fail;
	if (id != 0)
		sqlite3_bind_int64(st, 1, id);
	else
		sqlite3_bind_text(st, 1, info->path, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, id != 0 ? info->path : info->kind, -1,
	    SQLITE_STATIC);
	source_bind_info(st, info);
	if (id != 0)
		sqlite3_bind_text(st, 8, info->kind, -1, SQLITE_STATIC);
	if (store_stmt_run(s, st, err, errlen) != 0)
		goto fail;
	if (id == 0)
		id = sqlite3_last_insert_rowid(s->db);
	if (store_commit(s, err, errlen) != 0)
		goto fail;
	*source_id = id;
	*resume_offset = pos;
	*resume_line = line;
	if (kind_was != NULL && kind_was_len > 0)
		snprintf(kind_was, kind_was_len, "%s", kind[0] != '\0' &&
		    strcmp(kind, info->kind) != 0 ? kind : "");
	return 0;
fail:
	store_rollback(s);
	return -1;
}

/* See store.h. */
int
store_source_find(struct store *s, const struct store_source_info *info,
    int64_t *source_id, uint64_t *position, uint64_t *line_no, char *err,
    size_t errlen)
{
	int64_t id;
	uint64_t pos = 0, line = 0;
	char kind[SOURCE_KIND_MAX];

	if (info->kind == NULL)
		return store_fail(err, errlen, "source without kind");
	if (source_find(s, info, &id, &pos, &line, kind, err, errlen) != 0)
		return -1;
	if (id == 0)
		return 0;
	*source_id = id;
	*position = pos;
	*line_no = line;
	return 1;
}

/* See store.h. */
int
store_source_rewind(struct store *s, int64_t source_id, uint64_t *offset,
    uint64_t *line_no, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc, found = 0;

	if ((st = store_stmt(s, STMT_SOURCE_REWIND, err, errlen)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, source_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		int64_t off = sqlite3_column_int64(st, 0);
		int64_t line = sqlite3_column_int64(st, 1);
		int64_t pos = sqlite3_column_int64(st, 2);

		/* only a point before position means anything */
		if (off >= 0 && line >= 0 && off < pos) {
			*offset = (uint64_t)off;
			*line_no = (uint64_t)line;
			found = 1;
		}
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_fail_db(s, err, errlen, "sources");
	return found;
}

/* Most hosts one source is split into; the lines of any more stay with
 * the source itself (a file naming endless hosts stays bounded). */
#define SOURCE_ORIGINS_MAX	256

/* One statement on (parent, origin): its first column's int, or -1. */
static int
source_origin_step(struct store *s, enum store_stmt_id id, int64_t parent,
    const char *origin, int64_t *out, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc;

	if ((st = store_stmt_fresh(s, id, err, errlen)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, parent);
	if (origin != NULL)
		sqlite3_bind_text(st, 2, origin, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, clk_wall_ms());
	rc = sqlite3_step(st);
	*out = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_fail_db(s, err, errlen, "source origin");
	return 0;
}

/* See store_int.h. */
int
source_origin_id(struct store *s, int64_t parent, const char *origin,
    int64_t *id, char *err, size_t errlen)
{
	int64_t n;

	*id = parent;
	if (origin == NULL || *origin == '\0')
		return 0;
	if (source_origin_step(s, STMT_SOURCE_ORIGIN_FIND, parent, origin, &n,
	    err, errlen) != 0)
		return -1;
	if (n != 0) {
		*id = n;
		return 0;
	}
	if (source_origin_step(s, STMT_SOURCE_ORIGIN_COUNT, parent, NULL, &n,
	    err, errlen) != 0)
		return -1;
	if (n >= SOURCE_ORIGINS_MAX)
		return 0;
	if (source_origin_step(s, STMT_SOURCE_ORIGIN_INSERT, parent, origin,
	    &n, err, errlen) != 0)
		return -1;
	*id = sqlite3_last_insert_rowid(s->db);
	return 0;
}
