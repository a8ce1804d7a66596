/*
 * requests_vt.c - requests_all: every request, rows and blocks (schema/015).
 *
 * An eponymous virtual table that gives the rows of requests and the
 * requests of request_blocks (blocks.c) together, in id order, with the
 * columns of requests plus one, path: the path's text for a request of a
 * block (whose path_id is NULL), NULL for a row (read paths.name through
 * path_id as before). The readers of store/ read plain requests through
 * it (RUNS_FROM in store_int.h: reports, explain, diagnosis, console,
 * metrics; the console's request by id); those of failed or retried
 * rows only (requests_trouble_ts, the joins' finds) and prune read the
 * table. tests/e2e/blocks_readers_e2e.sh compares every reader's answers
 * with blocks and without; test_blocks.c the rows themselves.
 *
 * Access paths (xBestIndex): an id range (r.id BETWEEN k.first_id AND
 * k.last_id: every reader by time through request_runs), one id (r.id =
 * ?), ids above one (id > ? ORDER BY id), or everything. Inside, one
 * ordered statement on request_rows by id and one on request_blocks by
 * first_id are merged. Only the columns the statement uses are read: of
 * the rows (the rows statement selects them) and of a block (its ids
 * decoded with it, any other column when first read: a filter that
 * passes few requests never decodes the texts it would show). The last
 * block decoded is kept, so the runs of one block, read one after another, decode it
 * once, and so does the next statement while the database is unchanged
 * (struct vt_decoder); the statements are kept between cursors too. One
 * id found among the rows is in no block: the block around it is not
 * decoded. Constraints are left for SQLite to check again (omit 0): the
 * bounds here only narrow.
 *
 * Nothing writes through it: writers use requests and request_blocks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/block.h"
#include "store/store_int.h"

/* The columns, in the order of the requests table before schema/015. */
enum vt_col {
	VT_ID, VT_SOURCE_ID, VT_LINE_NO, VT_TS_MS, VT_TZ_MIN, VT_LOCAL_END_MS,
	VT_CLIENT, VT_METHOD_ID, VT_HOST_ID, VT_PATH_ID, VT_QUERY, VT_SHAPE_ID,
	VT_PROTOCOL, VT_STATUS, VT_BYTES, VT_REQUEST_MS, VT_REQUEST_ID,
	VT_UPSTREAM_ID, VT_N_ATTEMPTS, VT_CAUSE, VT_ERROR_ID, VT_A_STATUS,
	VT_A_CONNECT_MS, VT_A_HEADER_MS, VT_A_RESPONSE_MS, VT_A_CAUSE,
	VT_A_ERROR_ID, VT_PATH, VT_PATH_KEY, VT_COUNT
};

#define VT_SCHEMA \
	"CREATE TABLE x (id INTEGER PRIMARY KEY, source_id INTEGER," \
	" line_no INTEGER, ts_ms INTEGER, tz_min INTEGER," \
	" local_end_ms INTEGER, client, method_id INTEGER, host_id INTEGER," \
	" path_id INTEGER, query TEXT, shape_id INTEGER, protocol," \
	" status INTEGER, bytes INTEGER, request_ms INTEGER, request_id," \
	" upstream_id INTEGER, n_attempts INTEGER, cause INTEGER," \
	" error_id INTEGER, a_status INTEGER, a_connect_ms INTEGER," \
	" a_header_ms INTEGER, a_response_ms INTEGER, a_cause INTEGER," \
	" a_error_id INTEGER, path TEXT, path_key HIDDEN)"

/*
 * requests' columns in VT order up to VT_A_ERROR_ID (local_end_ms
 * computed as the table's generated column is). The rows statement
 * selects only those the scan uses (xBestIndex's colUsed, passed to
 * xFilter as idxStr), NULL in place of the others: SQLite computes every
 * result column of a step, and decoding all 27 of each row made a count
 * over 1M rows 3.6 times slower than over the table (report --by retry on
 * the production 1M database without blocks, 0.35 s against 1.27 s).
 */
static const char *const vt_row_col[VT_PATH] = {
	"id", "source_id", "line_no", "ts_ms", "tz_min", "local_end_ms",
	"client", "method_id", "host_id", "path_id", "query", "shape_id",
	"protocol", "status", "bytes", "request_ms", "request_id",
	"upstream_id", "n_attempts", "cause", "error_id", "a_status",
	"a_connect_ms", "a_header_ms", "a_response_ms", "a_cause", "a_error_id",
};
/*
 * The blocks that may hold ids ?1..?2: the last starting at or below ?1,
 * and those starting inside; their bounds and stored size, not the data,
 * read only for a block to decode (vt_block_load): a step that selects a
 * block's data reads all its overflow pages, also for the runs of the
 * block the cursor holds decoded (length() does not).
 */
#define VT_BLOCKS_SQL \
	"SELECT first_id, last_id, length(data), n FROM request_blocks" \
	" WHERE first_id BETWEEN coalesce((SELECT max(first_id)" \
	" FROM request_blocks WHERE first_id <= ?1), ?1) AND ?2" \
	" ORDER BY first_id"
/* The largest stored block: its raw form, not compressed, and a header. */
#define VT_BLOCK_MAX	((size_t)BLOCK_MAX_RAW + 16)

/* VT order -> block column (BC_*), -1 when computed or absent. */
static const int vt_bc[VT_COUNT] = {
	[VT_ID] = BC_ID, [VT_SOURCE_ID] = BC_SOURCE_ID,
	[VT_LINE_NO] = BC_LINE_NO, [VT_TS_MS] = BC_TS_MS,
	[VT_TZ_MIN] = BC_TZ_MIN, [VT_LOCAL_END_MS] = -1,
	[VT_CLIENT] = BC_CLIENT, [VT_METHOD_ID] = BC_METHOD_ID,
	[VT_HOST_ID] = BC_HOST_ID, [VT_PATH_ID] = -1,
	[VT_QUERY] = BC_QUERY, [VT_SHAPE_ID] = BC_SHAPE_ID,
	[VT_PROTOCOL] = BC_PROTOCOL, [VT_STATUS] = BC_STATUS,
	[VT_BYTES] = BC_BYTES, [VT_REQUEST_MS] = BC_REQUEST_MS,
	[VT_REQUEST_ID] = BC_REQUEST_ID, [VT_UPSTREAM_ID] = BC_UPSTREAM_ID,
	[VT_N_ATTEMPTS] = BC_N_ATTEMPTS, [VT_CAUSE] = BC_CAUSE,
	[VT_ERROR_ID] = BC_ERROR_ID, [VT_A_STATUS] = BC_A_STATUS,
	[VT_A_CONNECT_MS] = BC_A_CONNECT_MS, [VT_A_HEADER_MS] = BC_A_HEADER_MS,
	[VT_A_RESPONSE_MS] = BC_A_RESPONSE_MS, [VT_A_CAUSE] = BC_A_CAUSE,
	[VT_A_ERROR_ID] = BC_A_ERROR_ID, [VT_PATH] = BC_PATH,
	[VT_PATH_KEY] = -1,
};

/* The interned id of a block request's path (vt_path_keys). */
#define VT_PATH_ID_SQL PATH_ID_BY_NAME_SQL
/* Slots of the hash of one block's distinct paths (a power of two). */
#define VT_PATH_SLOTS	(2 * BLOCK_MAX_ROWS)

/* idxNum bits: which bounds xFilter gets, in this order. */
#define VT_LO		1	/* id >= argv (or = ) */
#define VT_LO_GT	2	/* id > argv */
#define VT_HI		4	/* id <= argv */
#define VT_HI_LT	8	/* id < argv */

/*
 * What a cursor needs besides its bounds, kept by the table between the
 * statements of the connection (idle below) so a statement run per row
 * (the console's attempts of each listed request) neither prepares its
 * statements again nor decodes again the block it read last: a decoder
 * with the statements on request_blocks and the block it decoded last,
 * known by its bounds, size, columns and the database as it was then
 * (PRAGMA data_version and this connection's total changes: when either
 * moved, the block may have been rewritten and is decoded again).
 */
struct vt_decoder {
	struct block_dec dec;
	sqlite3_stmt *blocks;		/* VT_BLOCKS_SQL */
	sqlite3_blob *data;		/* a block's data; open in a cursor */
	uint8_t *buf;			/* read into this */
	size_t buf_cap;
	bool have_block;
	int64_t first, last, n, len;	/* the block in dec (its columns
					   decoded as read, dec.done) */
	int64_t dv, changes;		/* the database it was decoded in */
	/* path_key of each request of the block (vt_path_keys): the
	 * path's id (vt_texts' own, below 0, for a path not interned),
	 * VT_PK_TEXT its text, VT_PK_NULL no path */
	int64_t *pkey;
	bool pkey_ok;
	uint64_t pkey_gen;		/* of vt_texts' ids of this gen */
	sqlite3_stmt *path_id;		/* VT_PATH_ID_SQL */
	uint16_t *slots;		/* VT_PATH_SLOTS: row + 1, 0 free */
};
#define VT_PK_TEXT	INT64_MIN
#define VT_PK_NULL	(INT64_MIN + 1)

/* A rows statement of the columns in mask (vt_rows_prepare). */
struct vt_rows {
	sqlite3_stmt *st;
	uint64_t mask;
};

/* Idle decoders (each up to ~11 MiB for a full block) and statements. */
#define VT_IDLE_DECODERS	4
#define VT_IDLE_ROWS		8

/*
 * paths in memory, text -> id, for the path_key of blocks' requests
 * (vt_path_keys): read whole once per database as it is (data_version
 * and changes, as a decoder's block) when it has at most VT_PATHS_MAX
 * names of VT_PATHS_BYTES in all, else each text looked up by SQL.
 */
#define VT_PATHS_MAX	(1u << 17)
#define VT_PATHS_BYTES	(8u << 20)
#define VT_PATHS_SQL \
	"SELECT id, name FROM paths WHERE typeof(name) = 'text' ORDER BY id"
#define VT_PATHS_SIZE_SQL \
	"SELECT count(*), coalesce(sum(length(CAST(name AS BLOB))), 0)" \
	" FROM paths WHERE typeof(name) = 'text'"

struct vt_path_ent {
	uint64_t h;
	int64_t id;
	uint32_t off, len;
};

struct vt_paths {
	bool have, too_big;		/* of the database dv, changes */
	int64_t dv, changes;
	uint32_t *slots;		/* nslots (a power of two): ent + 1 */
	size_t nslots;
	struct vt_path_ent *ent;
	size_t n;
	char *text;
};

/*
 * Paths of blocks no row interned, given ids of their own below 0 (-1 -
 * index) so readers group and sort integers (report --by path: the texts
 * sorted made it 1.6 times slower than rows), turned back into texts by
 * gw_path_name(). Forgotten when the database changed (dv, changes) and
 * one cursor alone is open (the database does not change while a
 * statement runs, so its ids stay valid to its end); at most
 * VT_TEXTS_MAX texts of VT_TEXTS_BYTES, a path beyond given as its text
 * (always so, until they are forgotten).
 */
#define VT_TEXTS_MAX	(1u << 20)
#define VT_TEXTS_BYTES	(32u << 20)

struct vt_texts {
	bool have;
	uint64_t gen;			/* counts the times forgotten */
	int64_t dv, changes;
	uint32_t *slots;		/* nslots (a power of two): ent + 1 */
	size_t nslots;
	struct vt_path_ent *ent;
	size_t n, cap;
	char *text;
	size_t used, text_cap;
};

/* What requests_all and gw_path_name() of one connection share. */
struct vt_shared {
	struct vt_tab *tab;		/* NULL until connected */
};

struct vt_tab {
	sqlite3_vtab base;
	sqlite3 *db;
	sqlite3_stmt *data_version;	/* PRAGMA data_version */
	struct vt_paths paths;
	struct vt_texts texts;
	struct vt_shared *shared;
	int n_open;			/* cursors open */
	struct vt_decoder *idle_dec[VT_IDLE_DECODERS];
	int n_idle_dec;
	struct vt_rows idle_rows[VT_IDLE_ROWS];	/* oldest first */
	int n_idle_rows;
};

struct vt_cursor {
	sqlite3_vtab_cursor base;
	struct vt_tab *tab;
	struct vt_decoder *d;		/* its blocks and block */
	sqlite3_stmt *rows;		/* the rows of requests */
	uint64_t rows_mask;		/* columns rows selects (colUsed) */
	bool row_ok, blocks_done;	/* rows has a row; blocks is spent */
	int64_t lo, hi;			/* ids wanted, inclusive */
	int64_t prev_last;		/* last_id of the block stepped last */
	bool have_prev;			/* (in this xFilter's run) */
	int pos;			/* current request in dec, or nrow */
	bool on_block;			/* the current request is dec's */
	bool eof;
};

static void
vt_decoder_free(struct vt_decoder *d)
{
	if (d == NULL)
		return;
	sqlite3_finalize(d->blocks);
	sqlite3_finalize(d->path_id);
	sqlite3_blob_close(d->data);
	free(d->buf);
	free(d->pkey);
	free(d->slots);
	block_dec_free(&d->dec);
	sqlite3_free(d);
}

static int
vt_connect(sqlite3 *db, void *aux, int argc, const char *const *argv,
    sqlite3_vtab **out, char **errp)
{
	struct vt_tab *t;
	int rc;

	(void)argc;
	(void)argv;
	(void)errp;
	if ((rc = sqlite3_declare_vtab(db, VT_SCHEMA)) != SQLITE_OK)
		return rc;
	if ((t = sqlite3_malloc(sizeof(*t))) == NULL)
		return SQLITE_NOMEM;
	memset(t, 0, sizeof(*t));
	t->db = db;
	t->shared = aux;
	if (t->shared != NULL)
		t->shared->tab = t;
	*out = &t->base;
	sqlite3_vtab_config(db, SQLITE_VTAB_INNOCUOUS);
	return SQLITE_OK;
}

static int
vt_disconnect(sqlite3_vtab *v)
{
	struct vt_tab *t = (struct vt_tab *)v;

	while (t->n_idle_dec > 0)
		vt_decoder_free(t->idle_dec[--t->n_idle_dec]);
	while (t->n_idle_rows > 0)
		sqlite3_finalize(t->idle_rows[--t->n_idle_rows].st);
	sqlite3_finalize(t->data_version);
	free(t->paths.slots);
	free(t->paths.ent);
	free(t->paths.text);
	free(t->texts.slots);
	free(t->texts.ent);
	free(t->texts.text);
	if (t->shared != NULL && t->shared->tab == t)
		t->shared->tab = NULL;
	sqlite3_free(t);
	return SQLITE_OK;
}

static int
vt_best_index(sqlite3_vtab *v, sqlite3_index_info *ix)
{
	int lo = -1, hi = -1, lo_bits = 0, hi_bits = 0, n = 0;
	double cost = 1e7;

	(void)v;
	for (int i = 0; i < ix->nConstraint; i++) {
		const struct sqlite3_index_constraint *c = &ix->aConstraint[i];

		if (!c->usable || (c->iColumn != VT_ID && c->iColumn != -1))
			continue;
		switch (c->op) {
		case SQLITE_INDEX_CONSTRAINT_EQ:
			lo = hi = i;
			lo_bits = VT_LO;
			hi_bits = VT_HI;
			break;
		case SQLITE_INDEX_CONSTRAINT_GE:
		case SQLITE_INDEX_CONSTRAINT_GT:
			if (lo < 0) {
				lo = i;
				lo_bits = c->op == SQLITE_INDEX_CONSTRAINT_GE ?
				    VT_LO : VT_LO | VT_LO_GT;
			}
			break;
		case SQLITE_INDEX_CONSTRAINT_LE:
		case SQLITE_INDEX_CONSTRAINT_LT:
			if (hi < 0) {
				hi = i;
				hi_bits = c->op == SQLITE_INDEX_CONSTRAINT_LE ?
				    VT_HI : VT_HI | VT_HI_LT;
			}
			break;
		default:
			break;
		}
	}
	if (lo >= 0) {
		ix->aConstraintUsage[lo].argvIndex = ++n;
		cost /= 100;
	}
	if (hi >= 0 && hi != lo) {
		ix->aConstraintUsage[hi].argvIndex = ++n;
		cost /= 100;
	}
	if (lo >= 0 && lo == hi) {
		/* one id: its value serves as both bounds */
		cost = 10;
		ix->idxFlags |= SQLITE_INDEX_SCAN_UNIQUE;
	}
	ix->idxNum = lo_bits | hi_bits | (lo >= 0 && lo == hi ? 16 : 0);
	/* the columns used, for the rows statement (vt_rows_prepare) */
	ix->idxStr = sqlite3_mprintf("%llx", (unsigned long long)ix->colUsed);
	if (ix->idxStr == NULL)
		return SQLITE_NOMEM;
	ix->needToFreeIdxStr = 1;
	ix->estimatedCost = cost;
	ix->estimatedRows = (sqlite3_int64)cost;
	if (ix->nOrderBy == 1 && (ix->aOrderBy[0].iColumn == VT_ID ||
	    ix->aOrderBy[0].iColumn == -1) && !ix->aOrderBy[0].desc)
		ix->orderByConsumed = 1;
	return SQLITE_OK;
}

/* PRAGMA data_version of t's connection, -1 when it cannot be read. */
static int64_t
vt_data_version(struct vt_tab *t)
{
	int64_t v = -1;

	if (t->data_version == NULL && sqlite3_prepare_v3(t->db,
	    "PRAGMA data_version", -1, SQLITE_PREPARE_PERSISTENT,
	    &t->data_version, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(t->data_version) == SQLITE_ROW)
		v = sqlite3_column_int64(t->data_version, 0);
	sqlite3_reset(t->data_version);
	return v;
}

static int
vt_open(sqlite3_vtab *v, sqlite3_vtab_cursor **out)
{
	struct vt_tab *t = (struct vt_tab *)v;
	struct vt_cursor *c = sqlite3_malloc(sizeof(*c));
	struct vt_decoder *d;
	int64_t dv, changes;

	if (c == NULL)
		return SQLITE_NOMEM;
	memset(c, 0, sizeof(*c));
	c->tab = t;
	if (t->n_idle_dec > 0)
		d = t->idle_dec[--t->n_idle_dec];
	else {
		if ((d = sqlite3_malloc(sizeof(*d))) == NULL) {
			sqlite3_free(c);
			return SQLITE_NOMEM;
		}
		memset(d, 0, sizeof(*d));
		block_dec_init(&d->dec);
		if (sqlite3_prepare_v3(t->db, VT_BLOCKS_SQL, -1,
		    SQLITE_PREPARE_PERSISTENT, &d->blocks, NULL) != SQLITE_OK) {
			vt_decoder_free(d);
			sqlite3_free(c);
			return SQLITE_ERROR;
		}
	}
	/* the block kept is of this database still, or forgotten */
	dv = vt_data_version(t);
	changes = sqlite3_total_changes64(t->db);
	if (dv < 0 || dv != d->dv || changes != d->changes)
		d->have_block = false;
	d->dv = dv;
	d->changes = changes;
	c->d = d;
	t->n_open++;
	*out = &c->base;
	return SQLITE_OK;
}

/* Give c's rows statement back to the table's idle ones (the oldest
 * finalized when full). */
static void
vt_rows_release(struct vt_cursor *c)
{
	struct vt_tab *t = c->tab;

	if (c->rows == NULL)
		return;
	sqlite3_reset(c->rows);
	if (t->n_idle_rows == VT_IDLE_ROWS) {
		sqlite3_finalize(t->idle_rows[0].st);
		memmove(&t->idle_rows[0], &t->idle_rows[1],
		    (VT_IDLE_ROWS - 1) * sizeof(t->idle_rows[0]));
		t->n_idle_rows--;
	}
	t->idle_rows[t->n_idle_rows++] = (struct vt_rows){c->rows,
	    c->rows_mask};
	c->rows = NULL;
}

static int
vt_close(sqlite3_vtab_cursor *cur)
{
	struct vt_cursor *c = (struct vt_cursor *)cur;
	struct vt_tab *t = c->tab;

	vt_rows_release(c);
	sqlite3_reset(c->d->blocks);
	/* an open blob would keep the read open, as a statement does */
	sqlite3_blob_close(c->d->data);
	c->d->data = NULL;
	if (t->n_idle_dec < VT_IDLE_DECODERS)
		t->idle_dec[t->n_idle_dec++] = c->d;
	else
		vt_decoder_free(c->d);
	t->n_open--;
	sqlite3_free(c);
	return SQLITE_OK;
}

/* Step the rows statement; SQLITE_OK or an error. */
static int
vt_step_rows(struct vt_cursor *c)
{
	int rc = sqlite3_step(c->rows);

	c->row_ok = rc == SQLITE_ROW;
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/*
 * Read the data of block first into d->buf (*n bytes): through a blob
 * handle, opened once per cursor and moved from block to block, into a
 * buffer kept (a statement's column of a block's size was a fresh
 * allocation of it each time, its pages faulted in anew). SQLITE_OK,
 * SQLITE_CORRUPT (not a blob, or larger than any block) or an error.
 */
static int
vt_block_read(struct vt_cursor *c, int64_t first, size_t *n)
{
	struct vt_decoder *d = c->d;
	int rc, len;

	rc = d->data != NULL ? sqlite3_blob_reopen(d->data, first) :
	    sqlite3_blob_open(c->tab->db, "main", "request_blocks", "data",
	    first, 0, &d->data);
	if (rc != SQLITE_OK) {
		sqlite3_blob_close(d->data);
		d->data = NULL;
		return rc == SQLITE_ERROR ? SQLITE_CORRUPT : rc;
	}
	len = sqlite3_blob_bytes(d->data);
	if (len <= 0 || (size_t)len > VT_BLOCK_MAX)
		return SQLITE_CORRUPT;
	if ((size_t)len > d->buf_cap) {
		uint8_t *b = realloc(d->buf, (size_t)len);

		if (b == NULL)
			return SQLITE_NOMEM;
		d->buf = b;
		d->buf_cap = (size_t)len;
	}
	if ((rc = sqlite3_blob_read(d->data, d->buf, len, 0)) != SQLITE_OK)
		return rc;
	*n = (size_t)len;
	return SQLITE_OK;
}

/* Whether d holds block first..last (n, len). */
static bool
vt_holds(const struct vt_decoder *d, int64_t first, int64_t last, int64_t n,
    int64_t len)
{
	return d->have_block && d->first == first && d->last == last &&
	    d->n == n && d->len == len;
}

/* d now holds block first..last (n, len): what vt_holds() checks. */
static void
vt_hold(struct vt_decoder *d, int64_t first, int64_t last, int64_t n,
    int64_t len)
{
	d->first = first;
	d->last = last;
	d->n = n;
	d->len = len;
	d->have_block = true;
}

/*
 * Decode the block first..last (n requests, len bytes stored) into c's
 * decoder, unless it holds it already with the columns c needs.
 * SQLITE_OK, SQLITE_CORRUPT or an error.
 */
static int
vt_block_load(struct vt_cursor *c, int64_t first, int64_t last, int64_t n,
    int64_t len)
{
	struct vt_decoder *d = c->d;
	struct block_dec *dec = &d->dec;
	size_t bytes;
	int rc;

	if (vt_holds(d, first, last, n, len))
		return SQLITE_OK;
	/* an idle decoder of the same database may hold it: take its block */
	for (int i = 0; i < c->tab->n_idle_dec; i++) {
		struct vt_decoder *x = c->tab->idle_dec[i];
		struct block_dec tmp;

		if (!vt_holds(x, first, last, n, len) ||
		    x->dv < 0 || x->dv != d->dv || x->changes != d->changes)
			continue;
		tmp = d->dec;
		d->dec = x->dec;
		x->dec = tmp;
		x->have_block = false;
		d->pkey_ok = false;
		vt_hold(d, first, last, n, len);
		return SQLITE_OK;
	}
	d->have_block = false;
	d->pkey_ok = false;
	if ((rc = vt_block_read(c, first, &bytes)) != SQLITE_OK)
		return rc;
	/* ids now, the other columns when first read (vt_column) */
	if (block_decode_cols(dec, d->buf, bytes, BLOCK_REQUEST_COLUMNS,
	    (uint64_t)1 << BC_ID) != 0)
		return SQLITE_CORRUPT;
	/* ids ascend inside a block (the writer's order) */
	for (int r = 1; r < dec->nrow; r++)
		if (block_dec_row(dec, r)[BC_ID].type != BLOCK_INT ||
		    block_dec_row(dec, r)[BC_ID].i <=
		    block_dec_row(dec, r - 1)[BC_ID].i)
			return SQLITE_CORRUPT;
	if (block_dec_row(dec, 0)[BC_ID].type != BLOCK_INT ||
	    block_dec_row(dec, 0)[BC_ID].i != first ||
	    block_dec_row(dec, dec->nrow - 1)[BC_ID].i != last ||
	    n != dec->nrow)
		return SQLITE_CORRUPT;
	vt_hold(d, first, last, n, len);
	return SQLITE_OK;
}

/*
 * Move to the next request of the blocks in lo..hi: on in the decoded
 * block, else the next block (decoded unless it is the one held).
 */
static int
vt_step_blocks(struct vt_cursor *c)
{
	struct vt_decoder *d = c->d;

	for (;;) {
		if (d->have_block) {
			while (c->pos < d->dec.nrow && ++c->pos < d->dec.nrow) {
				int64_t id = block_dec_row(&d->dec,
				    c->pos)[BC_ID].i;

				if (id > c->hi) {
					c->pos = d->dec.nrow;
					break;
				}
				if (id >= c->lo)
					return SQLITE_OK;
			}
		}
		if (c->blocks_done)
			return SQLITE_OK;
		int rc = sqlite3_step(d->blocks);
		if (rc == SQLITE_DONE) {
			c->blocks_done = true;
			if (d->have_block)
				c->pos = d->dec.nrow;
			return SQLITE_OK;
		}
		if (rc != SQLITE_ROW)
			return rc;
		int64_t first = sqlite3_column_int64(d->blocks, 0);
		int64_t last = sqlite3_column_int64(d->blocks, 1);
		/*
		 * Blocks (a database file is external input) that overlap,
		 * or whose ids are not first_id..last_id, would give ids
		 * twice, out of order, or by one access path and not another:
		 * refused as a damaged block is.
		 */
		if (last < first || (c->have_prev && first <= c->prev_last))
			return SQLITE_CORRUPT;
		c->have_prev = true;
		c->prev_last = last;
		if (last < c->lo)
			continue;	/* ends before the range */
		if ((rc = vt_block_load(c, first, last,
		    sqlite3_column_int64(d->blocks, 3),
		    sqlite3_column_int64(d->blocks, 2))) != SQLITE_OK)
			return rc;
		c->pos = -1;
	}
}

/* Which side is current: the smaller id of the row and the block. */
static void
vt_pick(struct vt_cursor *c)
{
	const struct block_dec *dec = &c->d->dec;
	bool blk = c->d->have_block && c->pos >= 0 && c->pos < dec->nrow;
	int64_t bid = blk ? block_dec_row(dec, c->pos)[BC_ID].i : 0;

	if (c->row_ok && blk)
		c->on_block = bid < sqlite3_column_int64(c->rows, 0);
	else
		c->on_block = blk;
	c->eof = !c->row_ok && !blk;
}

static int
vt_next(sqlite3_vtab_cursor *cur)
{
	struct vt_cursor *c = (struct vt_cursor *)cur;
	int rc = c->on_block ? vt_step_blocks(c) : vt_step_rows(c);

	if (rc != SQLITE_OK)
		return rc;
	vt_pick(c);
	return SQLITE_OK;
}

/* A bound from value v: false when no id can meet it (NULL, or an id
 * compared above a text); *has false when it does not bound (an id is
 * always below a text or blob). */
static bool
vt_bound(sqlite3_value *v, bool lower, bool strict, int64_t *out, bool *has)
{
	*has = true;
	switch (sqlite3_value_numeric_type(v)) {
	case SQLITE_INTEGER: {
		int64_t x = sqlite3_value_int64(v);

		if (strict) {
			if (lower ? x == INT64_MAX : x == INT64_MIN)
				return false;
			x += lower ? 1 : -1;
		}
		*out = x;
		return true;
	}
	case SQLITE_FLOAT: {
		double d = sqlite3_value_double(v);

		/* a superset: SQLite checks the exact comparison again */
		if (d != d)
			return false;
		/* beyond the integers' range (2^63: ids up to it are
		 * ids, and (int64_t)d -+ 1 stays inside below it) */
		if (d >= 9223372036854775808.0 ||
		    d <= -9223372036854775808.0) {
			if ((lower && d > 0) || (!lower && d < 0))
				return false;
			*has = false;
			return true;
		}
		*out = lower ? (int64_t)d - 1 : (int64_t)d + 1;
		return true;
	}
	case SQLITE_NULL:
		return false;
	default:
		if (lower)
			return false;
		*has = false;
		return true;
	}
}

/*
 * The rows statement of the columns in mask (bit i: VT column i; bit 63
 * all from 63 on, colUsed's convention), id always; kept while the mask
 * stays (a cursor's scans all have one plan), taken from the table's idle
 * ones when one has the mask, else prepared.
 */
static int
vt_rows_prepare(struct vt_cursor *c, uint64_t mask)
{
	struct vt_tab *t = c->tab;
	char sql[768];
	size_t n = 0;

	mask |= 1;
	if ((mask >> VT_PATH_KEY) & 1)
		mask |= (uint64_t)1 << VT_PATH_ID;
	if (c->rows != NULL && c->rows_mask == mask)
		return SQLITE_OK;
	vt_rows_release(c);
	c->rows_mask = mask;
	for (int i = t->n_idle_rows - 1; i >= 0; i--)
		if (t->idle_rows[i].mask == mask) {
			c->rows = t->idle_rows[i].st;
			memmove(&t->idle_rows[i], &t->idle_rows[i + 1],
			    (size_t)(t->n_idle_rows - i - 1) *
			    sizeof(t->idle_rows[0]));
			t->n_idle_rows--;
			return SQLITE_OK;
		}
	n += (size_t)snprintf(sql + n, sizeof(sql) - n, "SELECT");
	for (int i = 0; i < VT_PATH; i++)
		n += (size_t)snprintf(sql + n, sizeof(sql) - n, "%s %s",
		    i ? "," : "", (mask >> (i < 63 ? i : 63)) & 1 ?
		    vt_row_col[i] : "NULL");
	n += (size_t)snprintf(sql + n, sizeof(sql) - n, " FROM requests"
	    " WHERE id BETWEEN ?1 AND ?2 ORDER BY id");
	if (n >= sizeof(sql))
		return SQLITE_ERROR;
	if (sqlite3_prepare_v3(t->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
	    &c->rows, NULL) != SQLITE_OK) {
		sqlite3_finalize(c->rows);
		c->rows = NULL;
		return SQLITE_ERROR;
	}
	return SQLITE_OK;
}

static int
vt_filter(sqlite3_vtab_cursor *cur, int idx_num, const char *idx_str,
    int argc, sqlite3_value **argv)
{
	struct vt_cursor *c = (struct vt_cursor *)cur;
	bool has, ok = true;
	int a = 0, rc;

	if ((rc = vt_rows_prepare(c, idx_str != NULL ?
	    (uint64_t)strtoull(idx_str, NULL, 16) : UINT64_MAX)) != SQLITE_OK)
		return rc;
	c->lo = INT64_MIN;
	c->hi = INT64_MAX;
	if ((idx_num & VT_LO) && a < argc) {
		ok = vt_bound(argv[a], true, idx_num & VT_LO_GT, &c->lo, &has);
		if (!has)
			c->lo = INT64_MIN;
		if (ok && (idx_num & 16)) {
			/* one id: the value is the upper bound too, taken as
			 * one (a real's lower bound is below it) */
			ok = vt_bound(argv[a], false, false, &c->hi, &has);
			if (!has)
				c->hi = INT64_MAX;
		}
		a++;
	}
	if (ok && (idx_num & VT_HI) && !(idx_num & 16) && a < argc) {
		int64_t hi = INT64_MAX;

		ok = vt_bound(argv[a], false, idx_num & VT_HI_LT, &hi, &has);
		if (has)
			c->hi = hi;
	}
	sqlite3_reset(c->rows);
	sqlite3_reset(c->d->blocks);
	c->row_ok = false;
	c->blocks_done = false;
	c->have_prev = false;
	c->pos = c->d->have_block ? c->d->dec.nrow : 0;
	if (!ok || c->lo > c->hi) {
		c->eof = true;
		c->blocks_done = true;
		return SQLITE_OK;
	}
	sqlite3_bind_int64(c->rows, 1, c->lo);
	sqlite3_bind_int64(c->rows, 2, c->hi);
	sqlite3_bind_int64(c->d->blocks, 1, c->lo);
	sqlite3_bind_int64(c->d->blocks, 2, c->hi);
	if ((rc = vt_step_rows(c)) != SQLITE_OK)
		return rc;
	/*
	 * One id found among the rows is in no block (ids are given out
	 * once): the block around it is not decoded (the console reads the
	 * failed requests it lists, rows, one by one). Not for a real's
	 * bounds (id = 5.0: 4..6), which hold more than one id.
	 */
	if ((idx_num & 16) && c->lo == c->hi && c->row_ok)
		c->blocks_done = true;
	else if ((rc = vt_step_blocks(c)) != SQLITE_OK)
		return rc;
	vt_pick(c);
	return SQLITE_OK;
}

static int
vt_eof(sqlite3_vtab_cursor *cur)
{
	return ((struct vt_cursor *)cur)->eof;
}

static void
vt_result(sqlite3_context *ctx, const struct block_val *v)
{
	switch (v->type) {
	case BLOCK_INT:
		sqlite3_result_int64(ctx, v->i);
		break;
	case BLOCK_TEXT:
		sqlite3_result_text(ctx, v->p != NULL ? v->p : "", (int)v->n,
		    SQLITE_TRANSIENT);
		break;
	case BLOCK_BLOB:
		sqlite3_result_blob(ctx, v->p != NULL ? v->p : "", (int)v->n,
		    SQLITE_TRANSIENT);
		break;
	default:
		sqlite3_result_null(ctx);
	}
}

/* FNV-1a of n bytes at p. */
static uint64_t
vt_text_hash(const char *p, size_t n)
{
	uint64_t h = 14695981039346656037u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)p[i]) * 1099511628211u;
	return h;
}

/* Forget pm's names. */
static void
vt_paths_clear(struct vt_paths *pm)
{
	free(pm->slots);
	free(pm->ent);
	free(pm->text);
	memset(pm, 0, sizeof(*pm));
}

/* Read paths into c's table's map (VT_PATHS_MAX), or mark it too big. */
static int
vt_paths_load(struct vt_cursor *c)
{
	struct vt_paths *pm = &c->tab->paths;
	sqlite3_stmt *st = NULL;
	int64_t n = 0, bytes = 0;
	size_t used = 0;
	int rc;

	vt_paths_clear(pm);
	pm->have = true;
	pm->dv = c->d->dv;
	pm->changes = c->d->changes;
	if ((rc = sqlite3_prepare_v2(c->tab->db, VT_PATHS_SIZE_SQL, -1, &st,
	    NULL)) != SQLITE_OK)
		goto fail;
	if ((rc = sqlite3_step(st)) != SQLITE_ROW)
		goto fail;
	n = sqlite3_column_int64(st, 0);
	bytes = sqlite3_column_int64(st, 1);
	sqlite3_finalize(st);
	st = NULL;
	if (n < 0 || n > VT_PATHS_MAX || bytes < 0 || bytes > VT_PATHS_BYTES) {
		pm->too_big = true;
		return SQLITE_OK;
	}
	for (pm->nslots = 16; pm->nslots < 2 * (size_t)n; pm->nslots *= 2)
		;
	pm->slots = calloc(pm->nslots, sizeof(*pm->slots));
	pm->ent = malloc(((size_t)n + 1) * sizeof(*pm->ent));
	pm->text = malloc((size_t)bytes + 1);
	if (pm->slots == NULL || pm->ent == NULL || pm->text == NULL) {
		rc = SQLITE_NOMEM;
		goto fail;
	}
	if ((rc = sqlite3_prepare_v2(c->tab->db, VT_PATHS_SQL, -1, &st,
	    NULL)) != SQLITE_OK)
		goto fail;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *p = (const char *)sqlite3_column_text(st, 1);
		size_t len = (size_t)sqlite3_column_bytes(st, 1);
		struct vt_path_ent *e;
		size_t k;

		if (p == NULL) {
			rc = SQLITE_NOMEM;
			goto fail;
		}
		/* the same snapshot as the count; checked all the same */
		if (pm->n >= (size_t)n || len > (size_t)bytes - used)
			break;
		e = &pm->ent[pm->n];
		e->h = vt_text_hash(p, len);
		e->id = sqlite3_column_int64(st, 0);
		e->off = (uint32_t)used;
		e->len = (uint32_t)len;
		memcpy(pm->text + used, p, len);
		for (k = e->h & (pm->nslots - 1); pm->slots[k] != 0;
		    k = (k + 1) & (pm->nslots - 1)) {
			const struct vt_path_ent *x = &pm->ent[pm->slots[k] - 1];

			if (x->h == e->h && x->len == len &&
			    memcmp(pm->text + x->off, p, len) == 0)
				break;
		}
		/* a name twice (a damaged file): its lowest id kept */
		if (pm->slots[k] != 0)
			continue;
		used += len;
		pm->slots[k] = (uint32_t)++pm->n;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(st);
	return SQLITE_OK;
fail:
	sqlite3_finalize(st);
	vt_paths_clear(pm);
	return rc == SQLITE_OK || rc == SQLITE_ROW || rc == SQLITE_DONE ?
	    SQLITE_ERROR : rc;
}

/*
 * The id paths has for text p (n bytes, hash h) into *id, VT_PK_TEXT
 * when none: from the table's map, or by SQL when paths is too big for
 * it. SQLITE_OK or an error.
 */
static int
vt_path_lookup(struct vt_cursor *c, const char *p, size_t n, uint64_t h,
    int64_t *id)
{
	struct vt_paths *pm = &c->tab->paths;
	struct vt_decoder *d = c->d;
	int rc;

	if (!pm->have || pm->dv < 0 || pm->dv != d->dv ||
	    pm->changes != d->changes)
		if ((rc = vt_paths_load(c)) != SQLITE_OK)
			return rc;
	if (!pm->too_big) {
		for (size_t k = h & (pm->nslots - 1); pm->slots[k] != 0;
		    k = (k + 1) & (pm->nslots - 1)) {
			const struct vt_path_ent *x = &pm->ent[pm->slots[k] - 1];

			if (x->h == h && x->len == n &&
			    memcmp(pm->text + x->off, p, n) == 0) {
				*id = x->id;
				return SQLITE_OK;
			}
		}
		*id = VT_PK_TEXT;
		return SQLITE_OK;
	}
	if (d->path_id == NULL && (rc = sqlite3_prepare_v3(c->tab->db,
	    VT_PATH_ID_SQL, -1, SQLITE_PREPARE_PERSISTENT, &d->path_id,
	    NULL)) != SQLITE_OK)
		return rc;
	sqlite3_bind_text(d->path_id, 1, p, (int)n, SQLITE_STATIC);
	rc = sqlite3_step(d->path_id);
	*id = rc == SQLITE_ROW ? sqlite3_column_int64(d->path_id, 0) :
	    VT_PK_TEXT;
	sqlite3_reset(d->path_id);
	sqlite3_clear_bindings(d->path_id);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/*
 * The own id of text p (n bytes, hash h), not interned, into *id: found
 * or added in the table's vt_texts, VT_PK_TEXT when it is full (then so
 * for that text until the database changes). SQLITE_OK or SQLITE_NOMEM.
 */
static int
vt_text_id(struct vt_cursor *c, const char *p, size_t n, uint64_t h,
    int64_t *id)
{
	struct vt_texts *x = &c->tab->texts;
	struct vt_decoder *d = c->d;
	struct vt_path_ent *e;
	size_t k;

	*id = VT_PK_TEXT;
	/* the ids name texts, whatever the database holds: forgotten when
	 * it changed (new texts) and no other cursor can hold them */
	if (!x->have || (c->tab->n_open == 1 && d->dv >= 0 &&
	    (x->dv != d->dv || x->changes != d->changes))) {
		free(x->slots);
		x->nslots = 4096;
		if ((x->slots = calloc(x->nslots, sizeof(*x->slots))) == NULL) {
			x->have = false;
			return SQLITE_NOMEM;
		}
		x->n = 0;
		x->used = 0;
		x->gen++;
		x->have = true;
		x->dv = d->dv;
		x->changes = d->changes;
	}
	for (k = h & (x->nslots - 1); x->slots[k] != 0;
	    k = (k + 1) & (x->nslots - 1)) {
		e = &x->ent[x->slots[k] - 1];
		if (e->h == h && e->len == n &&
		    memcmp(x->text + e->off, p, n) == 0) {
			*id = -1 - (int64_t)(x->slots[k] - 1);
			return SQLITE_OK;
		}
	}
	if (x->n >= VT_TEXTS_MAX || n > VT_TEXTS_BYTES - x->used)
		return SQLITE_OK;
	if (2 * (x->n + 1) > x->nslots) {
		/* twice the slots, the texts placed again (at most
		 * 2 * VT_TEXTS_MAX) */
		size_t ns = 2 * x->nslots;
		uint32_t *sl = calloc(ns, sizeof(*sl));

		if (sl == NULL)
			return SQLITE_NOMEM;
		for (size_t i = 0; i < x->n; i++) {
			size_t j = x->ent[i].h & (ns - 1);

			while (sl[j] != 0)
				j = (j + 1) & (ns - 1);
			sl[j] = (uint32_t)(i + 1);
		}
		free(x->slots);
		x->slots = sl;
		x->nslots = ns;
		for (k = h & (ns - 1); x->slots[k] != 0; k = (k + 1) & (ns - 1))
			;
	}
	if (x->n == x->cap) {
		size_t cap = x->cap ? 2 * x->cap : 4096;
		struct vt_path_ent *v = realloc(x->ent, cap * sizeof(*v));

		if (v == NULL)
			return SQLITE_NOMEM;
		x->ent = v;
		x->cap = cap;
	}
	if (x->used + n > x->text_cap) {
		size_t cap = x->text_cap ? x->text_cap : 65536;
		char *t;

		while (cap < x->used + n)
			cap *= 2;
		if (cap > VT_TEXTS_BYTES)
			cap = VT_TEXTS_BYTES;
		if ((t = realloc(x->text, cap)) == NULL)
			return SQLITE_NOMEM;
		x->text = t;
		x->text_cap = cap;
	}
	e = &x->ent[x->n];
	e->h = h;
	e->id = 0;
	e->off = (uint32_t)x->used;
	e->len = (uint32_t)n;
	if (n > 0)
		memcpy(x->text + x->used, p, n);
	x->used += n;
	x->slots[k] = (uint32_t)++x->n;
	*id = -1 - (int64_t)(x->n - 1);
	return SQLITE_OK;
}

/*
 * gw_path_name(k): the text of vt_texts' id k (below 0), NULL for any
 * other value or an id it does not hold.
 */
static void
vt_sql_path_name(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const struct vt_shared *sh = sqlite3_user_data(ctx);
	const struct vt_texts *x;
	int64_t k;

	(void)argc;
	if (sh == NULL || sh->tab == NULL ||
	    sqlite3_value_type(argv[0]) != SQLITE_INTEGER) {
		sqlite3_result_null(ctx);
		return;
	}
	x = &sh->tab->texts;
	k = sqlite3_value_int64(argv[0]);
	if (!x->have || k >= 0 || k < -(int64_t)x->n) {
		sqlite3_result_null(ctx);
		return;
	}
	const struct vt_path_ent *e = &x->ent[-1 - k];

	sqlite3_result_text(ctx, e->len ? x->text + e->off : "", (int)e->len,
	    SQLITE_TRANSIENT);
}

/*
 * path_key of every request of c's block: a path's text looked up in
 * paths once per distinct text of the block (a hash of the block's rows
 * by text, VT_PATH_SLOTS, twice the most rows a block has), so a reader
 * groups by the interned id where there is one and by the text only for
 * a path no row names. SQLITE_OK, SQLITE_CORRUPT or an error.
 */
static int
vt_path_keys(struct vt_cursor *c)
{
	struct vt_decoder *d = c->d;
	struct block_dec *dec = &d->dec;
	uint64_t need = (uint64_t)1 << BC_PATH;
	int rc;

	if (dec->nrow > BLOCK_MAX_ROWS)
		return SQLITE_CORRUPT;
	if ((dec->done & need) != need &&
	    block_decode_more(dec, need) != 0) {
		d->have_block = false;
		return SQLITE_CORRUPT;
	}
	if (d->pkey == NULL &&
	    (d->pkey = malloc(BLOCK_MAX_ROWS * sizeof(*d->pkey))) == NULL)
		return SQLITE_NOMEM;
	if (d->slots == NULL &&
	    (d->slots = malloc(VT_PATH_SLOTS * sizeof(*d->slots))) == NULL)
		return SQLITE_NOMEM;
	memset(d->slots, 0, VT_PATH_SLOTS * sizeof(*d->slots));
	for (int r = 0; r < dec->nrow; r++) {
		const struct block_val *v = &block_dec_row(dec, r)[BC_PATH];
		const char *p = v->p != NULL ? v->p : "";
		uint64_t h;
		size_t k;

		if (v->type != BLOCK_TEXT) {
			d->pkey[r] = VT_PK_NULL;
			continue;
		}
		h = vt_text_hash(p, v->n);
		for (k = h & (VT_PATH_SLOTS - 1); d->slots[k] != 0;
		    k = (k + 1) & (VT_PATH_SLOTS - 1)) {
			const struct block_val *w =
			    &block_dec_row(dec, d->slots[k] - 1)[BC_PATH];

			if (w->n == v->n && (v->n == 0 ||
			    memcmp(w->p, p, v->n) == 0))
				break;
		}
		if (d->slots[k] != 0) {
			d->pkey[r] = d->pkey[d->slots[k] - 1];
			continue;
		}
		d->slots[k] = (uint16_t)(r + 1);
		if ((rc = vt_path_lookup(c, p, v->n, h, &d->pkey[r])) !=
		    SQLITE_OK)
			return rc;
		if (d->pkey[r] < 0)
			d->pkey[r] = VT_PK_TEXT;
		if (d->pkey[r] == VT_PK_TEXT && (rc = vt_text_id(c, p, v->n,
		    h, &d->pkey[r])) != SQLITE_OK)
			return rc;
		/* paths' ids are never negative (a damaged file's that is
		 * reads as the text) */
	}
	d->pkey_ok = true;
	d->pkey_gen = c->tab->texts.gen;
	return SQLITE_OK;
}

static int
vt_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int i)
{
	struct vt_cursor *c = (struct vt_cursor *)cur;
	const struct block_val *row;
	uint64_t need;

	if (!c->on_block) {
		if (i == VT_PATH)
			sqlite3_result_null(ctx);
		else
			sqlite3_result_value(ctx, sqlite3_column_value(c->rows,
			    i == VT_PATH_KEY ? VT_PATH_ID : i));
		return SQLITE_OK;
	}
	if (i == VT_PATH_KEY) {
		int rc;

		/* (a block kept from before its ids were forgotten: again) */
		if ((!c->d->pkey_ok || c->d->pkey_gen != c->tab->texts.gen) &&
		    (rc = vt_path_keys(c)) != SQLITE_OK)
			return rc;
		row = block_dec_row(&c->d->dec, c->pos);
		if (c->d->pkey[c->pos] == VT_PK_TEXT)
			vt_result(ctx, &row[BC_PATH]);
		else if (c->d->pkey[c->pos] != VT_PK_NULL)
			sqlite3_result_int64(ctx, c->d->pkey[c->pos]);
		else
			sqlite3_result_null(ctx);
		return SQLITE_OK;
	}
	/* the block's column, decoded when first read (local_end_ms:
	 * ts_ms and tz_min) */
	need = i == VT_LOCAL_END_MS ? (uint64_t)1 << BC_TS_MS |
	    (uint64_t)1 << BC_TZ_MIN : i >= 0 && i < VT_COUNT && vt_bc[i] >= 0 ?
	    (uint64_t)1 << vt_bc[i] : 0;
	if ((c->d->dec.done & need) != need) {
		if (block_decode_more(&c->d->dec, need) != 0) {
			c->d->have_block = false;
			return SQLITE_CORRUPT;
		}
	}
	row = block_dec_row(&c->d->dec, c->pos);
	if (i == VT_LOCAL_END_MS) {
		if (row[BC_TS_MS].type == BLOCK_INT &&
		    row[BC_TZ_MIN].type == BLOCK_INT)
			sqlite3_result_int64(ctx, (int64_t)((uint64_t)
			    row[BC_TS_MS].i + (uint64_t)row[BC_TZ_MIN].i *
			    60000u));
		else
			sqlite3_result_null(ctx);
	} else if (i < 0 || i >= VT_COUNT || vt_bc[i] < 0)
		sqlite3_result_null(ctx);
	else
		vt_result(ctx, &row[vt_bc[i]]);
	return SQLITE_OK;
}

static int
vt_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *id)
{
	struct vt_cursor *c = (struct vt_cursor *)cur;

	*id = c->on_block ? block_dec_row(&c->d->dec, c->pos)[BC_ID].i :
	    sqlite3_column_int64(c->rows, 0);
	return SQLITE_OK;
}

static const sqlite3_module vt_module = {
	.iVersion = 0,
	.xCreate = NULL,	/* eponymous only */
	.xConnect = vt_connect,
	.xBestIndex = vt_best_index,
	.xDisconnect = vt_disconnect,
	.xDestroy = vt_disconnect,
	.xOpen = vt_open,
	.xClose = vt_close,
	.xFilter = vt_filter,
	.xNext = vt_next,
	.xEof = vt_eof,
	.xColumn = vt_column,
	.xRowid = vt_rowid,
};

/* See store_int.h. */
int
requests_vt_register(sqlite3 *db)
{
	struct vt_shared *sh = sqlite3_malloc(sizeof(*sh));

	if (sh == NULL)
		return -1;
	sh->tab = NULL;
	/* the function first: the module's destructor frees sh */
	if (sqlite3_create_function_v2(db, "gw_path_name", 1, SQLITE_UTF8,
	    sh, vt_sql_path_name, NULL, NULL, NULL) != SQLITE_OK) {
		sqlite3_free(sh);
		return -1;
	}
	return sqlite3_create_module_v2(db, "requests_all", &vt_module, sh,
	    sqlite3_free) == SQLITE_OK ? 0 : -1;
}
