/*
 * write.c - store_write_batch: one batch, one transaction.
 *
 * Order inside the transaction (BEGIN IMMEDIATE, so the write lock is
 * taken up front and a concurrent writer waits on busy_timeout rather than
 * failing at commit):
 *   1. the source position - also proves the source exists;
 *   2. rejects, gateway errors, then requests with their attempts, each
 *      through reused prepared statements (requests and attempts several
 *      rows per INSERT), strings through the intern caches, rollup deltas
 *      summed in memory, upstream times counted into the latency
 *      histogram (latency.c), which is written when the rows are,
 *      the runs of request ids by second (runs.c); plain requests go
 *      to the block encoder (blocks.c), whose open block goes in at the
 *      commit, or before the join when the batch has one to do;
 *   3. the join of error-log lines to requests (join.c);
 *   4. COMMIT (store_commit), after the rollup and latency upserts
 *      (rollup.c), summed over the batches of a held transaction.
 * Any failure rolls the whole batch back, position included, and empties
 * the caches that may remember rolled-back ids.
 */
#include <string.h>

#include "core/clock.h"
#include "store/latency.h"
#include "store/store_int.h"

/* Bind a string, or NULL. */
static void
write_bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v != NULL)
		sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

/* Bind an interned id, 0 meaning NULL. */
static void
write_bind_id(sqlite3_stmt *st, int i, int64_t id)
{
	if (id != 0)
		sqlite3_bind_int64(st, i, id);
	else
		sqlite3_bind_null(st, i);
}

/* Bind an integer where negative means "not logged" (NULL). */
static void
write_bind_opt(sqlite3_stmt *st, int i, int64_t v)
{
	if (v >= 0)
		sqlite3_bind_int64(st, i, v);
	else
		sqlite3_bind_null(st, i);
}

/* Store the source position reached; fails when the source is unknown. */
static int
write_position(struct store *s, const struct gw_batch *b, char *err,
    size_t errlen)
{
	sqlite3_stmt *st = store_stmt(s, STMT_SOURCE_POSITION, err, errlen);

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, b->source_id);
	sqlite3_bind_int64(st, 2, (int64_t)b->position);
	sqlite3_bind_int64(st, 3, (int64_t)b->line_no);
	sqlite3_bind_int64(st, 4, clk_wall_ms());
	/* a join held across the batch's end: where to read again from */
	bool held = b->held_bytes > 0 && b->held_bytes <= b->position &&
	    b->held_lines <= b->line_no;
	write_bind_opt(st, 5, held ? (int64_t)(b->position - b->held_bytes) :
	    -1);
	write_bind_opt(st, 6, held ? (int64_t)(b->line_no - b->held_lines) :
	    -1);
	if (store_stmt_run(s, st, err, errlen) != 0)
		return -1;
	if (sqlite3_changes(s->db) != 1)
		return store_fail(err, errlen, "batch for unknown source %lld",
		    (long long)b->source_id);
	return 0;
}

/* Read store_meta's value of key into *v; 1 found, 0 not, -1 error. */
static int
write_meta_get(struct store *s, const char *key, int64_t *v, char *err,
    size_t errlen)
{
	sqlite3_stmt *st = store_stmt(s, STMT_META_GET, err, errlen);
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*v = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_fail_db(s, err, errlen, "store_meta");
	return rc == SQLITE_ROW;
}

/* Raise (statement STMT_META_SET) or lower (_MIN) store_meta's key to v. */
static int
write_meta_set(struct store *s, enum store_stmt_id id, const char *key,
    int64_t v, char *err, size_t errlen)
{
	sqlite3_stmt *st = store_stmt(s, id, err, errlen);

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, v);
	return store_stmt_run(s, st, err, errlen);
}

/*
 * What other writers may have raised since our last batch: the longest
 * request time and the range of UTC offsets stored (which bound the
 * join's windows).
 */
static int
write_meta_read(struct store *s, char *err, size_t errlen)
{
	int64_t v = 0, lo = 0, hi = 0;
	int rc;

	if ((rc = write_meta_get(s, "max_request_ms", &v, err, errlen)) < 0)
		return -1;
	if (rc == 1 && v > s->max_request_ms)
		s->max_request_ms = v;
	if ((rc = write_meta_get(s, "tz_min_lo", &lo, err, errlen)) < 0 ||
	    (rc == 1 && write_meta_get(s, "tz_min_hi", &hi, err,
	    errlen) < 0))
		return -1;
	if (rc == 1) {
		if (!s->tz_known || lo < s->tz_lo)
			s->tz_lo = (int)lo;
		if (!s->tz_known || hi > s->tz_hi)
			s->tz_hi = (int)hi;
		s->tz_known = true;
	}
	return 0;
}

/* Widen the range of UTC offsets stored to take tz_min. */
static void
write_note_tz(struct store *s, int tz_min)
{
	if (!s->tz_known) {
		s->tz_lo = s->tz_hi = tz_min;
		s->tz_known = true;
	} else if (tz_min < s->tz_lo)
		s->tz_lo = tz_min;
	else if (tz_min > s->tz_hi)
		s->tz_hi = tz_min;
}

/* The batch's rejected lines: counted, and kept up to a cap (reject.c). */
static int
write_rejects(struct store *s, const struct gw_batch *b, char *err,
    size_t errlen)
{
	return reject_write(s, b, err, errlen);
}

/*
 * The id the batch's first error-log line must take, or 0 for SQLite's
 * next rowid (the largest kept + 1). Pruning may have removed the newest
 * lines, never one above its mark (prune.c); SQLite would give their ids
 * out again, below the mark, so never marked. Then the first line takes
 * the mark + 1, and SQLite's rowids go on from there. 0 or -1.
 */
static int
write_error_first_id(struct store *s, int64_t *id, char *err, size_t errlen)
{
	sqlite3_stmt *st = store_stmt(s, STMT_ERROR_ID_FLOOR, err, errlen);
	int64_t kept = 0, mark = 0;
	int rc;

	if (st == NULL)
		return -1;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		kept = sqlite3_column_int64(st, 0);
		mark = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW)
		return store_fail_db(s, err, errlen, "next error id");
	*id = mark > kept && mark < INT64_MAX ? mark + 1 : 0;
	return 0;
}

/* Insert the batch's gateway errors and remember them for the join. */
static int
write_errors(struct store *s, const struct gw_batch *b, char *err,
    size_t errlen)
{
	int64_t first_id = 0;	/* the batch's first line's id; 0 SQLite's */

	if (b->n_errors > 0 &&
	    write_error_first_id(s, &first_id, err, errlen) != 0)
		return -1;
	for (size_t i = 0; i < b->n_errors; i++) {
		const struct gw_gateway_error *e = &b->errors[i];
		int64_t method, path, upstream, host, id;
		struct store_client client;
		sqlite3_stmt *st;

		inline_client(&client, e->client);
		if (intern_id(s, INTERN_METHOD, e->method, &method, err,
		    errlen) != 0 ||
		    intern_id(s, INTERN_PATH, e->path, &path, err, errlen) != 0 ||
		    intern_id(s, INTERN_UPSTREAM, e->upstream, &upstream, err,
		    errlen) != 0 ||
		    intern_id(s, INTERN_HOST, e->host, &host, err, errlen) != 0)
			return -1;
		if ((st = store_stmt(s, STMT_ERROR_INSERT, err, errlen)) == NULL)
			return -1;
		sqlite3_bind_int64(st, 1, b->source_id);
		sqlite3_bind_int64(st, 2, (int64_t)e->line_no);
		sqlite3_bind_int64(st, 3, e->local_ms);
		sqlite3_bind_int(st, 4, e->level);
		write_bind_opt(st, 5, e->conn);
		sqlite3_bind_int(st, 6, (int)e->cause);
		write_bind_text(st, 7, e->message);
		inline_bind_client(st, 8, &client);
		write_bind_text(st, 9, e->server);
		write_bind_id(st, 10, method);
		write_bind_id(st, 11, path);
		write_bind_text(st, 12, e->query);
		write_bind_id(st, 13, upstream);
		write_bind_id(st, 14, host);
		write_bind_id(st, 15, first_id);
		first_id = 0;	/* the next ones follow it */
		if (store_stmt_run(s, st, err, errlen) != 0)
			return -1;
		if (client.text == NULL)
			continue;	/* cannot be joined: no client */
		id = sqlite3_last_insert_rowid(s->db);
		if (id_list_add(&s->new_errors, id) != 0)
			return store_fail(err, errlen, "out of memory");
		join_filter_add_new(s, inline_client_key(s, &client));
		s->err_filter_seen = id;
	}
	return 0;
}

/*
 * Requests and attempts go STORE_REQUEST_ROWS and STORE_INSERT_ROWS at a
 * time through one multi-row INSERT (a lone row through the single-row
 * one): per-statement overhead is then paid once per group. Rowids of one
 * INSERT are consecutive (max + 1 each, under our write lock), which gives
 * every staged request its id for its attempts. A request's lone attempt
 * (of group 0) goes into the request row itself (schema/012: a_* columns,
 * write_inline()), the attempts of every other request into attempts.
 * With blocks, a group's requests that are rows wait in a queue of
 * STORE_ROW_QUEUE (each with its id) and go in together, before the
 * batch's blocks (write_flush_rows).
 */
#define WRITE_ORIGINS	16	/* hosts of wrapped lines cached per batch */

/*
 * Requests ahead of the one staged whose names are asked of the CPU: the
 * event itself at i + 2 * WRITE_AHEAD (written by the parse thread on the
 * other core: reading request i + WRITE_AHEAD's string pointers stalled
 * on it, 40% of write_events' samples), the strings and last attempt of
 * request i + WRITE_AHEAD, that attempt's upstream and the shape's front
 * slot at i + WRITE_AHEAD / 2 (intern_hint_of, whose length and hash the
 * lookup then takes), its entry at i + WRITE_AHEAD / 4. Shapes are many
 * (40,000 in 1M production lines) and their slots and entries were cache
 * misses, most of intern_id's time.
 */
#define WRITE_AHEAD	16

struct write_req {
	const struct gw_event *ev;
	struct store_client client;
	struct store_rid rid;
	int64_t method, host, path, shape, up, local_end;
	int64_t source_id;	/* the batch's, or its child for ev->origin */
	int64_t id;		/* given by the writer (schema/015) */
	bool plain;		/* goes into the current block */
};
struct write_att {
	const struct gw_attempt *a;
	int64_t request_id, up;
	int seq;
};
struct write_stage {
	struct write_req req[STORE_REQUEST_ROWS];
	struct write_att att[STORE_INSERT_ROWS];
	int n_req, n_att;
	int64_t source_id;
	int64_t next_id;		/* the next request's id */
	bool ids_given;			/* bound, not left to SQLite */
	struct {			/* ev->origin -> child source */
		const char *origin;	/* (schema 009), this batch's */
		int64_t source_id;
	} origins[WRITE_ORIGINS];
	int n_origins, next_origin;
	struct write_req rows[STORE_ROW_QUEUE];	/* rows among blocks' */
	int n_rows;
	struct intern_hint shape[WRITE_AHEAD];	/* of request i at
						   i % WRITE_AHEAD */
};

/* Bind the columns of attempt w at parameter base + 1... */
static void
write_bind_attempt(sqlite3_stmt *st, int base, const struct write_att *w)
{
	const struct gw_attempt *a = w->a;

	sqlite3_bind_int64(st, base + 1, w->request_id);
	sqlite3_bind_int(st, base + 2, w->seq);
	sqlite3_bind_int(st, base + 3, a->group);
	sqlite3_bind_int64(st, base + 4, w->up);
	write_bind_opt(st, base + 5, a->status);
	write_bind_opt(st, base + 6, a->connect_ms);
	write_bind_opt(st, base + 7, a->header_ms);
	write_bind_opt(st, base + 8, a->response_ms);
	sqlite3_bind_int(st, base + 9, (int)a->cause);
}

/* Insert the staged attempts. */
static int
write_flush_attempts(struct store *s, struct write_stage *g, char *err,
    size_t errlen)
{
	sqlite3_stmt *st;
	int n = g->n_att;

	if (n == 0)
		return 0;
	g->n_att = 0;
	if (n == STORE_INSERT_ROWS) {
		if ((st = store_stmt(s, STMT_ATTEMPT_INSERT_N, err, errlen)) ==
		    NULL)
			return -1;
		for (int i = 0; i < n; i++)
			write_bind_attempt(st, i * STORE_ATTEMPT_COLUMNS,
			    &g->att[i]);
		return store_stmt_run(s, st, err, errlen);
	}
	for (int i = 0; i < n; i++) {
		if ((st = store_stmt(s, STMT_ATTEMPT_INSERT, err, errlen)) == NULL)
			return -1;
		write_bind_attempt(st, 0, &g->att[i]);
		if (store_stmt_run(s, st, err, errlen) != 0)
			return -1;
	}
	return 0;
}

/*
 * Is ev's attempt stored inline in its request row? Its lone one, of group
 * 0 (seq 0, and its upstream is the request's: write_final_upstream).
 */
static bool
write_inline(const struct gw_event *ev)
{
	return ev->n_attempts == 1 && ev->attempts[0].group == 0;
}

/*
 * Count the attempts of request r (id) in the rollups, and stage them for
 * the attempts table unless the one is inline.
 */
static int
write_stage_attempts(struct store *s, struct write_stage *g,
    const struct write_req *r, int64_t id, char *err, size_t errlen)
{
	const struct gw_event *ev = r->ev;
	struct rollup_key k = {.minute = rollup_minute_of(ev->ts_ms),
	    .source_id = r->source_id};
	bool inl = write_inline(ev);

	for (int i = 0; i < ev->n_attempts; i++) {
		const struct gw_attempt *a = &ev->attempts[i];
		struct write_att *w, one;

		if (inl) {
			w = &one;
			w->up = r->up;
		} else {
			if (g->n_att == STORE_INSERT_ROWS &&
			    write_flush_attempts(s, g, err, errlen) != 0)
				return -1;
			w = &g->att[g->n_att++];
			w->a = a;
			w->request_id = id;
			w->seq = i;
			if (intern_id_len(s, INTERN_UPSTREAM, a->addr != NULL ?
			    a->addr : "-", a->addr != NULL ? a->addr_len : 1,
			    &w->up, err, errlen) != 0)
				return -1;
		}
		k.upstream_id = w->up;
		k.status = a->status >= 0 ? a->status : -1;
		k.cause = a->cause;
		if (rollup_add(&s->rollup_att, &k, 1, -1, -1) != 0 ||
		    latency_add(&s->latency, k.minute, w->up,
		    a->response_ms) != 0)
			return store_fail(err, errlen, "out of memory");
	}
	return 0;
}

/* Bind the columns of request w but its id at parameter base + 1... */
static void
write_bind_request(sqlite3_stmt *st, int base, const struct write_req *w)
{
	const struct gw_event *ev = w->ev;

	sqlite3_bind_int64(st, base + 1, w->source_id);
	sqlite3_bind_int64(st, base + 2, (int64_t)ev->line_no);
	sqlite3_bind_int64(st, base + 3, ev->ts_ms);
	sqlite3_bind_int(st, base + 4, ev->tz_min);
	inline_bind_client(st, base + 5, &w->client);
	write_bind_id(st, base + 6, w->method);
	write_bind_id(st, base + 7, w->host);
	write_bind_id(st, base + 8, w->path);
	write_bind_text(st, base + 9, ev->query);
	write_bind_id(st, base + 10, w->shape);
	inline_bind_protocol(st, base + 11, ev->protocol);
	sqlite3_bind_int(st, base + 12, ev->status);
	write_bind_opt(st, base + 13, ev->bytes);
	write_bind_opt(st, base + 14, ev->request_ms);
	inline_bind_request_id(st, base + 15, &w->rid);
	sqlite3_bind_int64(st, base + 16, w->up);
	sqlite3_bind_int(st, base + 17, ev->n_attempts);
	sqlite3_bind_int(st, base + 18, (int)ev->cause);
	if (write_inline(ev)) {
		const struct gw_attempt *a = &ev->attempts[0];

		write_bind_opt(st, base + 19, a->status);
		write_bind_opt(st, base + 20, a->connect_ms);
		write_bind_opt(st, base + 21, a->header_ms);
		write_bind_opt(st, base + 22, a->response_ms);
		sqlite3_bind_int(st, base + 23, (int)a->cause);
	} else
		for (int i = 19; i <= 23; i++)
			sqlite3_bind_null(st, base + i);
	sqlite3_bind_null(st, base + 24);	/* a_error_id: joined later */
}

/* The inline forms of w's client and request id, for its row. */
static void
write_req_inline(struct write_req *w)
{
	inline_client_event(&w->client, w->ev);
	inline_request_id(&w->rid, w->ev->request_id, w->ev->request_id_len);
}

/*
 * Insert the queued rows (requests that are rows among those of blocks,
 * with ids of their own): STORE_ROW_QUEUE through one statement, fewer
 * one by one. 1M production lines hold 80,000 such rows, one statement
 * each when inserted with their group of STORE_REQUEST_ROWS.
 */
static int
write_flush_rows(struct store *s, struct write_stage *g, char *err,
    size_t errlen)
{
	int n = g->n_rows;
	sqlite3_stmt *st;

	g->n_rows = 0;
	if (n == STORE_ROW_QUEUE) {
		if ((st = store_stmt(s, STMT_REQUEST_INSERT_IDS_N, err,
		    errlen)) == NULL)
			return -1;
		for (int i = 0; i < n; i++) {
			int base = i * (1 + STORE_REQUEST_COLUMNS);

			sqlite3_bind_int64(st, base + 1, g->rows[i].id);
			write_bind_request(st, base + 1, &g->rows[i]);
		}
		return store_stmt_run(s, st, err, errlen);
	}
	for (int i = 0; i < n; i++) {
		if ((st = store_stmt(s, STMT_REQUEST_INSERT, err, errlen)) ==
		    NULL)
			return -1;
		sqlite3_bind_int64(st, 1, g->rows[i].id);
		write_bind_request(st, 1, &g->rows[i]);
		if (store_stmt_run(s, st, err, errlen) != 0)
			return -1;
	}
	return 0;
}

static int write_block_row(struct store *s, const struct write_req *w,
    char *err, size_t errlen);

/*
 * Insert the staged requests that are rows, encode the plain ones into
 * the current block, then stage their attempts. A group is the same 40
 * requests with blocks or without, so the names its attempts intern get
 * the same ids in the same order either way (reports list upstreams in
 * id order).
 */
static int
write_flush_requests(struct store *s, struct write_stage *g, char *err,
    size_t errlen)
{
	sqlite3_stmt *st;
	int n = g->n_req, rows = 0;

	if (n == 0)
		return 0;
	g->n_req = 0;
	for (int i = 0; i < n; i++) {
		struct write_req *w = &g->req[i];
		int rc;

		if (!w->plain) {
			rows++;
			continue;
		}
		if ((rc = write_block_row(s, w, err, errlen)) == -2)
			return -1;
		if (rc == -1) {
			/* too big for any block: a row after all */
			w->plain = false;
			rows++;
			write_req_inline(w);
			if (intern_id_len(s, INTERN_PATH, w->ev->path,
			    w->ev->path_len, &w->path, err, errlen) != 0)
				return -1;
		}
	}
	if (rows == STORE_REQUEST_ROWS) {
		/* every one a row: their ids follow each other */
		int base = g->ids_given ? 1 : 0;

		if ((st = store_stmt(s, g->ids_given ? STMT_REQUEST_INSERT_N :
		    STMT_REQUEST_INSERT_AUTO_N, err, errlen)) == NULL)
			return -1;
		if (g->ids_given)
			sqlite3_bind_int64(st, 1, g->req[0].id);
		for (int i = 0; i < n; i++)
			write_bind_request(st, base + i * STORE_REQUEST_COLUMNS,
			    &g->req[i]);
		if (store_stmt_run(s, st, err, errlen) != 0)
			return -1;
	} else if (rows > 0 && g->ids_given) {
		/* among blocks' requests: queued, inserted many at once */
		for (int i = 0; i < n; i++) {
			if (g->req[i].plain)
				continue;
			g->rows[g->n_rows++] = g->req[i];
			if (g->n_rows == STORE_ROW_QUEUE &&
			    write_flush_rows(s, g, err, errlen) != 0)
				return -1;
		}
	} else if (rows > 0) {
		/* SQLite gives the ids: in order, one by one (no blocks,
		 * so none is plain) */
		for (int i = 0; i < n; i++) {
			if (g->req[i].plain)
				continue;
			st = store_stmt(s, STMT_REQUEST_INSERT_AUTO, err,
			    errlen);
			if (st == NULL)
				return -1;
			write_bind_request(st, 0, &g->req[i]);
			if (store_stmt_run(s, st, err, errlen) != 0)
				return -1;
		}
	}
	if (rows > 0 && !g->ids_given &&
	    sqlite3_last_insert_rowid(s->db) != g->req[n - 1].id)
		return store_fail(err, errlen, "request ids out of step");
	for (int i = 0; i < n; i++)
		if (write_stage_attempts(s, g, &g->req[i], g->req[i].id, err,
		    errlen) != 0)
			return -1;
	return 0;
}

/* The id of the upstream a request ended with: its last attempt, or '-'. */
static int
write_final_upstream(struct store *s, const struct gw_event *ev,
    int64_t *up, char *err, size_t errlen)
{
	const char *addr = "-";
	uint16_t len = 1;

	if (ev->n_attempts > 0 && ev->attempts[ev->n_attempts - 1].addr != NULL) {
		addr = ev->attempts[ev->n_attempts - 1].addr;
		len = ev->attempts[ev->n_attempts - 1].addr_len;
	} else if (s->dash_upstream != 0) {
		*up = s->dash_upstream;
		return 0;
	}
	if (intern_id_len(s, INTERN_UPSTREAM, addr, len, up, err, errlen) != 0)
		return -1;
	if (addr[0] == '-' && addr[1] == '\0')
		s->dash_upstream = *up;
	return 0;
}

/*
 * The source of a request whose wrapped line named its gateway's host:
 * that host's child source, looked up once per batch (a few hosts per
 * batch; past WRITE_ORIGINS the oldest entry is replaced).
 */
static int
write_origin(struct store *s, struct write_stage *g, const char *origin,
    int64_t *source_id, char *err, size_t errlen)
{
	int i;

	for (i = 0; i < g->n_origins; i++)
		if (strcmp(g->origins[i].origin, origin) == 0) {
			*source_id = g->origins[i].source_id;
			return 0;
		}
	if (source_origin_id(s, g->source_id, origin, source_id, err,
	    errlen) != 0)
		return -1;
	if (g->n_origins < WRITE_ORIGINS)
		i = g->n_origins++;
	else {
		i = g->next_origin;
		g->next_origin = (g->next_origin + 1) % WRITE_ORIGINS;
	}
	g->origins[i].origin = origin;
	g->origins[i].source_id = *source_id;
	return 0;
}

/*
 * Is ev plain: can nothing ever join to it or update it? It succeeded
 * (cause 0: the joins of error lines naming no upstream, and of errors
 * naming one for a request without attempts, look only at failed or
 * retried requests, JOIN_JOINABLE in stmt.c) with at most its one inline
 * attempt. A request some unjoined error of an earlier batch may own
 * (probe) is not plain; this batch's errors are matched against it as
 * against every stored request (join.c (a)), which finds no plain one.
 * The join of a later upstream_truncated line looks at every request with
 * an attempt (STMT_JOIN_ATTEMPT_FIND_TRUNCATED): the plain one it finds
 * moves out of its block first (blocks_promote).
 */
static bool
write_plain(const struct gw_event *ev)
{
	return ev->cause == GW_CAUSE_OK &&
	    (ev->n_attempts == 0 || write_inline(ev));
}

/* The plain request w into the current block; as blocks_add(). */
static int
write_block_row(struct store *s, const struct write_req *w, char *err,
    size_t errlen)
{
	const struct gw_event *ev = w->ev;
	struct blocks_req r = {
		.ev = ev, .inl = write_inline(ev) ? &ev->attempts[0] : NULL,
		.id = w->id, .source_id = w->source_id, .method = w->method,
		.host = w->host, .shape = w->shape, .up = w->up,
	};

	return blocks_add(s, &r, err, errlen);
}

/*
 * Stage one request: give it its id, intern its strings (its shape with
 * the hint worked out ahead), count it, queue it for the join; a plain
 * one goes into the current block, any other into the rows to insert.
 */
static int
write_stage_event(struct store *s, struct write_stage *g,
    const struct gw_event *ev, const struct intern_hint *shape, char *err,
    size_t errlen)
{
	struct write_req *w;
	struct rollup_key k;
	bool probe, near;

	if (g->n_req == STORE_REQUEST_ROWS &&
	    write_flush_requests(s, g, err, errlen) != 0)
		return -1;
	w = &g->req[g->n_req++];
	w->ev = ev;
	w->id = g->next_id++;
	w->local_end = ev->ts_ms + (int64_t)ev->tz_min * 60000;
	w->source_id = g->source_id;
	if (ev->origin != NULL &&
	    write_origin(s, g, ev->origin, &w->source_id, err, errlen) != 0)
		return -1;
	/*
	 * A plain request's client and request id are laid out by blocks.c
	 * (off this thread); the client is read here only when some error
	 * may wait for it (probe).
	 */
	w->plain = s->blocks && write_plain(ev);
	probe = near = false;
	if (!join_filter_empty(s) || !w->plain) {
		uint64_t key;

		inline_client_event(&w->client, ev);
		if (w->client.text != NULL) {
			key = inline_client_key(s, &w->client);
			near = join_filter_has(s, key);
			probe = near && join_filter_has_older(s, key);
		}
	}
	if (probe)
		w->plain = false;
	if (!w->plain)
		write_req_inline(w);
	w->path = 0;
	/*
	 * The order of the names as before blocks: their ids follow it. A
	 * plain request whose client has an error of this batch (near)
	 * interns its path as when every such request was a row, so paths
	 * stays what it was (its block keeps the text).
	 */
	if (intern_id_len(s, INTERN_METHOD, ev->method, ev->method_len,
	    &w->method, err, errlen) ||
	    intern_id_len(s, INTERN_HOST, ev->host, ev->host_len, &w->host,
	    err, errlen) ||
	    ((!w->plain || near) && intern_id_len(s, INTERN_PATH, ev->path,
	    ev->path_len, &w->path, err, errlen)) ||
	    intern_id_hinted(s, INTERN_SHAPE, ev->shape, shape, &w->shape,
	    err, errlen) ||
	    write_final_upstream(s, ev, &w->up, err, errlen) ||
	    runs_note(s, w->id, runs_sec_of(ev->ts_ms), err, errlen))
		return -1;

	k.minute = rollup_minute_of(ev->ts_ms);
	k.source_id = w->source_id;
	k.upstream_id = w->up;
	k.status = ev->status;
	k.cause = ev->cause;
	if (rollup_add(&s->rollup_req, &k, 1, ev->request_ms, ev->bytes) != 0)
		return store_fail(err, errlen, "out of memory");
	if (ev->request_ms > s->max_request_ms)
		s->max_request_ms = ev->request_ms;
	write_note_tz(s, ev->tz_min);

	if (probe) {
		struct join_probe p = {
			.client = w->client, .path_id = w->path,
			.method_id = w->method, .local_end_ms = w->local_end,
			.request_ms = ev->request_ms > 0 ? ev->request_ms : 0,
			.query = ev->query,
		};
		if (join_probe_add(s, &p) != 0)
			return store_fail(err, errlen, "out of memory");
	}
	return 0;
}


/* Prefetch for the requests ahead of request i of b (WRITE_AHEAD). */
static void
write_prefetch(const struct store *s, struct write_stage *g,
    const struct gw_batch *b, size_t i)
{
	size_t half = i + WRITE_AHEAD / 2, quarter = i + WRITE_AHEAD / 4;

	if (i + 2 * WRITE_AHEAD < b->n_events) {
		const char *ev = (const char *)&b->events[i + 2 * WRITE_AHEAD];

		__builtin_prefetch(ev);
		__builtin_prefetch(ev + 64);
		__builtin_prefetch(ev + sizeof(struct gw_event) - 1);
	}
	if (i + WRITE_AHEAD < b->n_events) {
		const struct gw_event *ev = &b->events[i + WRITE_AHEAD];

		if (ev->shape != NULL)
			__builtin_prefetch(ev->shape);
		__builtin_prefetch(ev->host);
		__builtin_prefetch(ev->method);
		if (ev->n_attempts > 0)
			__builtin_prefetch(ev->attempts + ev->n_attempts - 1);
	}
	if (half < b->n_events && b->events[half].n_attempts > 0)
		__builtin_prefetch(b->events[half].attempts[
		    b->events[half].n_attempts - 1].addr);
	if (half < b->n_events)
		intern_hint_of_len(s, INTERN_SHAPE, b->events[half].shape,
		    b->events[half].shape_len, &g->shape[half % WRITE_AHEAD]);
	if (quarter < b->n_events)
		intern_prefetch_entry(s, INTERN_SHAPE,
		    &g->shape[quarter % WRITE_AHEAD]);
}

/* Insert every request of b with its attempts. */
static int
write_events(struct store *s, const struct gw_batch *b, char *err,
    size_t errlen)
{
	struct write_stage g;
	int rc = 0;

	g.n_req = g.n_att = g.n_rows = 0;
	g.source_id = b->source_id;
	g.n_origins = g.next_origin = 0;
	if (b->n_events > 0 && blocks_next_id(s, &g.next_id, &g.ids_given,
	    err, errlen) != 0)
		return -1;
	/* ids next_id.. for every event, and next_id++ past the last,
	 * without overflow (next_id >= 1) */
	if (b->n_events > 0 &&
	    (uint64_t)(INT64_MAX - g.next_id) < (uint64_t)b->n_events)
		return store_fail(err, errlen, "no request id left for %zu"
		    " requests after %lld", b->n_events,
		    (long long)g.next_id - 1);
	for (int i = 0; i < WRITE_AHEAD; i++)
		g.shape[i].str = NULL;
	for (size_t i = 0; i < b->n_events && rc == 0; i++) {
		write_prefetch(s, &g, b, i);
		rc = write_stage_event(s, &g, &b->events[i],
		    &g.shape[i % WRITE_AHEAD], err, errlen);
	}
	if (rc != 0 || write_flush_requests(s, &g, err, errlen) != 0 ||
	    write_flush_rows(s, &g, err, errlen) != 0 ||
	    blocks_release(s, false, err, errlen) != 0 ||
	    runs_flush(s, err, errlen) != 0 ||
	    write_flush_attempts(s, &g, err, errlen) != 0)
		rc = -1;
	return rc;
}

/* store_write_batch(); with wait, the zip has read b when it returns. */
static int
write_batch(struct store *s, struct gw_batch *b, bool wait, char *err,
    size_t errlen)
{
	int64_t max_before;
	bool tz_before;
	int lo_before, hi_before;

	s->new_errors.n = 0;
	s->candidates.n = 0;
	s->n_probes = 0;
	join_filter_batch_begin(s);
	if (!s->txn_open && store_begin(s, err, errlen) != 0)
		return -1;
	if (write_position(s, b, err, errlen) != 0 ||
	    write_meta_read(s, err, errlen) != 0 ||
	    join_filter_load(s, err, errlen) != 0 ||
	    write_rejects(s, b, err, errlen) != 0 ||
	    write_errors(s, b, err, errlen) != 0)
		goto fail;
	max_before = s->max_request_ms;
	tz_before = s->tz_known;
	lo_before = s->tz_lo;
	hi_before = s->tz_hi;
	if (write_events(s, b, err, errlen) != 0)
		goto fail;
	if (s->max_request_ms > max_before &&
	    write_meta_set(s, STMT_META_SET, "max_request_ms",
	    s->max_request_ms, err, errlen) != 0)
		goto fail;
	if (s->tz_known && (!tz_before || s->tz_lo < lo_before) &&
	    write_meta_set(s, STMT_META_SET_MIN, "tz_min_lo", s->tz_lo, err,
	    errlen) != 0)
		goto fail;
	if (s->tz_known && (!tz_before || s->tz_hi > hi_before) &&
	    write_meta_set(s, STMT_META_SET, "tz_min_hi", s->tz_hi, err,
	    errlen) != 0)
		goto fail;
	/*
	 * The join may read plain requests (blocks_promote): the open block
	 * goes in first. Else it waits for the commit (store_commit).
	 * Rollups: at the commit, or now if they grew.
	 */
	if (((s->new_errors.n > 0 || s->n_probes > 0) &&
	    blocks_flush(s, err, errlen) != 0) ||
	    join_batch(s, err, errlen) != 0 ||
	    ((s->rollup_req.n >= ROLLUP_HOLD_MAX ||
	    s->rollup_att.n >= ROLLUP_HOLD_MAX ||
	    s->latency.n >= ROLLUP_HOLD_MAX) &&
	    rollup_flush(s, err, errlen) != 0))
		goto fail;
	/* counted as stored once its transaction commits (store_committed) */
	s->txn_requests += (int64_t)b->n_events;
	s->txn_rejects += (int64_t)b->n_rejects;
	/* the zip encoded the last requests meanwhile: b is ours again */
	if (store_batch_done(s, (int64_t)batch_count(b), err, errlen) != 0 ||
	    (wait && blocks_release(s, true, err, errlen) != 0))
		goto fail;
	return 0;
fail:
	store_rollback(s);
	return -1;
}

/* See store.h. */
int
store_write_batch(struct store *s, struct gw_batch *b, char *err,
    size_t errlen)
{
	return write_batch(s, b, true, err, errlen);
}

/* See store.h. */
int
store_sink(void *ctx, struct gw_batch *b, char *err, size_t errlen)
{
	return store_write_batch(ctx, b, err, errlen);
}

/* See store.h. */
int
store_sink_async(void *ctx, struct gw_batch *b, uint64_t *mark, char *err,
    size_t errlen)
{
	int rc = write_batch(ctx, b, false, err, errlen);

	*mark = blocks_mark(ctx);
	return rc;
}

/* See store.h. */
int
store_sink_read(void *ctx, uint64_t mark, bool wait, char *err,
    size_t errlen)
{
	struct store *s = ctx;

	if (mark > 0)
		return blocks_read(s, mark, wait);
	if (blocks_release(s, true, err, errlen) != 0) {
		store_rollback(s);
		return -1;
	}
	return 0;
}
