/*
 * join.c - error-log lines joined to the requests they explain.
 *
 * The access log says a request got 502; the gateway's error log says why
 * ("connect() failed (111: Connection refused)"). The two logs arrive in
 * any order, in one batch or many, from different sources, so every batch
 * joins in both directions:
 *   (a) each error it brings is matched against all stored requests;
 *   (b) each request it brings whose client has unjoined errors looks those
 *       errors up, and each found is matched as in (a).
 * Both directions therefore share one rule, from the error's side:
 *
 *   same client, method, path and query (NULL = NULL); the error's local
 *   time within [end - duration - 2 s, end + 2 s] of the request's local
 *   end (ts_ms + tz_min); when the error names an upstream, the request
 *   must have a failed attempt to it (status >= 500, 009, or a cause) not
 *   yet joined - the first such in order; an error naming no upstream
 *   joins the request itself (rate limiting, auth, DNS); an
 *   upstream_truncated error may join an attempt that looked fine. The
 *   nearest request in time wins.
 *
 * Each lookup is an index range: requests_join (minute, client, path,
 * local end) bounded by the longest request stored, one seek per minute
 * a candidate can end in, the nearest candidate kept here - a partial
 * index of the requests that failed or were retried, the only ones an
 * error can explain, except upstream_truncated ones, looked up by time
 * (request_runs, the window widened by the spread of the logs' UTC
 * offsets) - or the partial index of unjoined errors. No lookup makes
 * SQLite open a temporary table (join_find). Probing every new request
 * would cost a lookup per row, so a small table counts unjoined errors
 * by hash of client id and only requests whose client appears there are
 * probed. A probe skips the errors of its own batch (direction (a)
 * matched them already), so the count of those is kept apart too: a
 * request whose client has only errors of this batch is not probed and
 * may stay plain (a hot client with an error in every batch made a fifth
 * of Caddy's requests rows).
 *
 * An error naming an upstream whose request logged no upstream at all
 * (Caddy's access log names none) becomes that request's one attempt.
 *
 * A join sets attempt.error_id or request.error_id, and error.request_id
 * (an attempt inline in its request row - schema/012 - in its a_ columns).
 * Which cause wins is cause_merge()'s (core/cause.h), the stored cause
 * being the PRIOR verdict and the error's the error log's word about the
 * attempt (LAST or EARLIER) or, for an error naming no upstream on a
 * request that reached none and got >= 400, about the GATEWAY. So the
 * attempt takes the error's cause unless it is unknown; the request takes
 * it when the joined attempt was its last and the request failed (or the
 * error is upstream_truncated), or when it reached no upstream. Changed
 * causes move their counts between rollup keys through the batch's rollup
 * deltas.
 */
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "store/store_int.h"

/* A request found for an error, as the join needs it. */
struct join_request {
	int64_t id, ts_ms, source_id, upstream_id;
	int status, n_attempts;
	enum gw_cause cause;
	int64_t request_ms, bytes;	/* -1 when not logged */
};

/* Slot of a client's key (inline_client_key) in the filter: keyed
 * (store_hash), or addresses chosen to share a slot would make every
 * request of theirs look for errors. */
static size_t
join_filter_slot(const struct store *s, uint64_t client_key)
{
	return (size_t)(store_hash(s, &client_key, sizeof(client_key)) >> 48) &
	    (STORE_ERR_FILTER_SIZE - 1);
}

/* Allocate the filter; 0 or -1. */
int
join_filter_init(struct store *s)
{
	s->err_filter = gw_calloc(STORE_ERR_FILTER_SIZE, sizeof(*s->err_filter));
	s->err_filter_new = gw_calloc(STORE_ERR_FILTER_SIZE,
	    sizeof(*s->err_filter_new));
	return s->err_filter == NULL || s->err_filter_new == NULL ? -1 : 0;
}

/* Free the filter. */
void
join_filter_free(struct store *s)
{
	free(s->err_filter);
	s->err_filter = NULL;
	free(s->err_filter_new);
	s->err_filter_new = NULL;
}

/*
 * Forget every count, so the next join_filter_load() counts all unjoined
 * errors again. After a rollback: the counts may include joins that were
 * undone (a count too low would skip a request that owns an error).
 */
void
join_filter_reset(struct store *s)
{
	if (s->err_filter != NULL)
		memset(s->err_filter, 0,
		    STORE_ERR_FILTER_SIZE * sizeof(*s->err_filter));
	s->err_filter_n = 0;
	s->err_filter_seen = 0;
	join_filter_batch_begin(s);
}

/* A new batch: none of the counted errors is its own yet. */
void
join_filter_batch_begin(struct store *s)
{
	if (s->err_filter_new_used && s->err_filter_new != NULL)
		memset(s->err_filter_new, 0,
		    STORE_ERR_FILTER_SIZE * sizeof(*s->err_filter_new));
	s->err_filter_new_used = false;
}

/* Count one more unjoined error of the client with key client_key. */
void
join_filter_add(struct store *s, uint64_t client_key)
{
	uint32_t *c = &s->err_filter[join_filter_slot(s, client_key)];

	if (*c < UINT32_MAX) {
		(*c)++;
		s->err_filter_n++;
	}
}

/* Count one more unjoined error of the client, written by this batch. */
void
join_filter_add_new(struct store *s, uint64_t client_key)
{
	size_t i = join_filter_slot(s, client_key);

	/* counted in both, or in neither: new never above total */
	if (s->err_filter[i] < UINT32_MAX) {
		join_filter_add(s, client_key);
		s->err_filter_new[i]++;
		s->err_filter_new_used = true;
	}
}

/* Count one fewer (the error got joined). */
static void
join_filter_remove(struct store *s, uint64_t client_key)
{
	uint32_t *c = &s->err_filter[join_filter_slot(s, client_key)];

	if (*c > 0) {
		(*c)--;
		s->err_filter_n--;
	}
}

/* True when no unjoined error is counted: join_filter_has() is false
 * for every client. */
bool
join_filter_empty(const struct store *s)
{
	return s->err_filter_n == 0;
}

/* True when the client may have unjoined errors (false positives only). */
bool
join_filter_has(const struct store *s, uint64_t client_key)
{
	return s->err_filter_n > 0 &&	/* no error counted: no hash */
	    s->err_filter[join_filter_slot(s, client_key)] != 0;
}

/*
 * True when the client may have unjoined errors written before this batch
 * (false positives only): the ones a probe of its request can find.
 */
bool
join_filter_has_older(const struct store *s, uint64_t client_key)
{
	size_t i;

	if (s->err_filter_n == 0)
		return false;
	i = join_filter_slot(s, client_key);
	return s->err_filter[i] > s->err_filter_new[i];
}

/*
 * Count the unjoined errors written since the last look, by us or another
 * process (call inside the batch transaction).
 */
int
join_filter_load(struct store *s, char *err, size_t errlen)
{
	sqlite3_stmt *st = store_stmt(s, STMT_JOIN_ERRORS_SINCE, err, errlen);
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, s->err_filter_seen);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		join_filter_add(s, inline_client_key_value(s,
		    sqlite3_column_value(st, 1)));
		s->err_filter_seen = sqlite3_column_int64(st, 0);
	}
	if (rc != SQLITE_DONE) {
		store_fail_db(s, err, errlen, "gateway_errors");
		sqlite3_reset(st);
		return -1;
	}
	sqlite3_reset(st);
	return 0;
}

/* Append id to l; 0 or -1 when out of memory. */
int
id_list_add(struct id_list *l, int64_t id)
{
	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 64;
		int64_t *v = gw_realloc(l->v, ncap * sizeof(*v));

		if (v == NULL)
			return -1;
		l->v = v;
		l->cap = ncap;
	}
	l->v[l->n++] = id;
	return 0;
}

/* Free a list. */
void
id_list_free(struct id_list *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* Queue a new request to be probed for unjoined errors; 0 or -1. */
int
join_probe_add(struct store *s, const struct join_probe *p)
{
	if (s->n_probes == s->cap_probes) {
		size_t ncap = s->cap_probes ? s->cap_probes * 2 : 64;
		struct join_probe *v = gw_realloc(s->probes, ncap * sizeof(*v));

		if (v == NULL)
			return -1;
		s->probes = v;
		s->cap_probes = ncap;
	}
	s->probes[s->n_probes++] = *p;
	return 0;
}

/* Bind an id where 0 means NULL. */
static void
join_bind_id(sqlite3_stmt *st, int i, int64_t id)
{
	if (id != 0)
		sqlite3_bind_int64(st, i, id);
	else
		sqlite3_bind_null(st, i);
}

/* Integer column i, or -1 when NULL. */
static int64_t
join_column_opt(sqlite3_stmt *st, int i)
{
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return -1;
	return sqlite3_column_int64(st, i);
}

/* Read the request columns (JOIN_REQUEST_COLUMNS) of a found row. */
static void
join_read_request(sqlite3_stmt *st, struct join_request *r)
{
	r->id = sqlite3_column_int64(st, 0);
	r->ts_ms = sqlite3_column_int64(st, 1);
	r->source_id = sqlite3_column_int64(st, 2);
	r->upstream_id = sqlite3_column_int64(st, 3);
	r->status = sqlite3_column_int(st, 4);
	r->cause = cause_from_id(sqlite3_column_int(st, 5));
	r->request_ms = join_column_opt(st, 6);
	r->bytes = join_column_opt(st, 7);
	r->n_attempts = sqlite3_column_int(st, 8);
}

/* Move one request from its rollup key under cause from to cause to. */
static int
join_move_request(struct store *s, const struct join_request *r,
    enum gw_cause from, enum gw_cause to)
{
	struct rollup_key k = {
		.minute = rollup_minute_of(r->ts_ms), .source_id = r->source_id,
		.upstream_id = r->upstream_id, .status = r->status, .cause = from,
	};

	if (rollup_add(&s->rollup_req, &k, -1, r->request_ms, r->bytes) != 0)
		return -1;
	k.cause = to;
	return rollup_add(&s->rollup_req, &k, 1, r->request_ms, r->bytes);
}

/* Move one attempt of r from its rollup key under cause from to to. */
static int
join_move_attempt(struct store *s, const struct join_request *r,
    int64_t upstream_id, int status, enum gw_cause from, enum gw_cause to)
{
	struct rollup_key k = {
		.minute = rollup_minute_of(r->ts_ms), .source_id = r->source_id,
		.upstream_id = upstream_id, .status = status, .cause = from,
	};

	if (rollup_add(&s->rollup_att, &k, -1, -1, -1) != 0)
		return -1;
	k.cause = to;
	return rollup_add(&s->rollup_att, &k, 1, -1, -1);
}

/* Run an UPDATE of two or four integer parameters; 0 or -1. */
static int
join_update(struct store *s, enum store_stmt_id id, int64_t a, int64_t b,
    int64_t c, int64_t d, char *err, size_t errlen)
{
	sqlite3_stmt *st = store_stmt(s, id, err, errlen);

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, a);
	sqlite3_bind_int64(st, 2, b);
	if (sqlite3_bind_parameter_count(st) >= 4) {
		sqlite3_bind_int64(st, 3, c);
		sqlite3_bind_int64(st, 4, d);
	}
	return store_stmt_run(s, st, err, errlen);
}

/*
 * Set the cause and error of attempt seq of r where it is stored: inline
 * in the request row (schema/012: a lone attempt, mostly) or in attempts.
 */
static int
join_attempt_set(struct store *s, const struct join_request *r, int seq,
    enum gw_cause cause, int64_t eid, char *err, size_t errlen)
{
	enum store_stmt_id first = STMT_JOIN_ATTEMPT_SET,
	    second = STMT_JOIN_INLINE_SET;

	if (r->n_attempts == 1) {
		first = STMT_JOIN_INLINE_SET;
		second = STMT_JOIN_ATTEMPT_SET;
	}
	if (join_update(s, first, r->id, seq, cause, eid, err, errlen) != 0)
		return -1;
	if (sqlite3_changes(s->db) == 1)
		return 0;
	if (join_update(s, second, r->id, seq, cause, eid, err, errlen) != 0)
		return -1;
	if (sqlite3_changes(s->db) != 1)
		return store_fail(err, errlen, "join: attempt %d of request "
		    "%lld not found", seq, (long long)r->id);
	return 0;
}

/*
 * What a stored attempt's answer was, for cause_merge(): failed when its
 * status or its cause says so (the rule the find statements use).
 */
static enum cause_answer
join_answer(int status, enum gw_cause cause)
{
	if (status >= 500 || status == 9)
		return CAUSE_ANSWER_FAILED;
	return cause != GW_CAUSE_OK ? CAUSE_ANSWER_OTHER : CAUSE_ANSWER_OK;
}

/*
 * The cause of request r (or of its attempt) once error cause ecause is
 * joined to it in role: what cause_merge() makes of the stored verdict
 * (prior, on the stored answer) and the error log's word.
 */
static enum gw_cause
join_merge(enum cause_answer answer, enum gw_cause prior, enum gw_cause ecause,
    enum cause_role role)
{
	const struct cause_claim c[2] = {
		{prior, CAUSE_SRC_ACCESS, CAUSE_ROLE_PRIOR},
		{ecause, CAUSE_SRC_ERROR_LOG, role},
	};

	return cause_merge(answer, c, 2);
}

/* See store_int.h. */
void
join_causes(int status, enum gw_cause cause, int n_attempts, int seq,
    int astatus, enum gw_cause acause, enum gw_cause ecause,
    enum gw_cause *attempt, enum gw_cause *request)
{
	/* a request stored ok was found not to have failed, whatever its
	 * status: only what the error log alone can tell changes that */
	enum cause_answer answer = cause == GW_CAUSE_OK ? CAUSE_ANSWER_OK :
	    join_answer(status, cause);

	*attempt = acause;
	*request = cause;
	if (seq >= 0) {
		*attempt = join_merge(join_answer(astatus, acause), acause,
		    ecause, CAUSE_ROLE_LAST);
		*request = join_merge(answer, cause, ecause,
		    seq == n_attempts - 1 ? CAUSE_ROLE_LAST :
		    CAUSE_ROLE_EARLIER);
	} else if (n_attempts == 0 && status >= 400) {
		/* an error naming no upstream: the gateway refused it alone */
		*request = join_merge(answer, cause, ecause,
		    CAUSE_ROLE_GATEWAY);
	}
}

/*
 * Record that error eid (cause ecause) explains request r, through its
 * attempt seq (status astatus, cause acause, upstream up) or, with seq
 * -1, the request itself; recompute causes and move rollup counts.
 */
static int
join_apply(struct store *s, int64_t eid, enum gw_cause ecause,
    const struct join_request *r, int seq, int astatus, enum gw_cause acause,
    int64_t up, char *err, size_t errlen)
{
	enum gw_cause ncause, rcause;

	join_causes(r->status, r->cause, r->n_attempts, seq, astatus, acause,
	    ecause, &ncause, &rcause);
	if (seq >= 0) {
		if (join_attempt_set(s, r, seq, ncause, eid, err, errlen) != 0)
			return -1;
		if (ncause != acause && join_move_attempt(s, r, up, astatus,
		    acause, ncause) != 0)
			return store_fail(err, errlen, "out of memory");
	} else {
		if (join_update(s, STMT_JOIN_REQUEST_SET_ERROR, r->id, eid, 0, 0,
		    err, errlen) != 0)
			return -1;
	}
	if (join_update(s, STMT_JOIN_ERROR_SET, eid, r->id, 0, 0, err,
	    errlen) != 0)
		return -1;
	if (rcause == r->cause)
		return 0;
	if (join_update(s, STMT_JOIN_REQUEST_SET_CAUSE, r->id, rcause, 0, 0,
	    err, errlen) != 0)
		return -1;
	if (join_move_request(s, r, r->cause, rcause) != 0)
		return store_fail(err, errlen, "out of memory");
	return 0;
}

/* Columns of a find statement (stmt.c: JOIN_REQUEST_COLUMNS, then the
 * attempt's for the statements that yield one). */
enum {
	JOIN_COL_OUTSIDE = 9,	/* JOIN_NEAREST: t outside the request */
	JOIN_COL_DISTANCE,	/* |local end - t| */
	JOIN_COL_SEQ,		/* the attempt's seq, status and cause */
	JOIN_COL_ASTATUS,
	JOIN_COL_ACAUSE
};

/* A candidate's place in JOIN_NEAREST's order: the least wins. */
struct join_rank {
	int64_t outside, distance, id, seq;
};

/* True when candidate a comes before b. */
static bool
join_rank_before(const struct join_rank *a, const struct join_rank *b)
{
	if (a->outside != b->outside)
		return a->outside < b->outside;
	if (a->distance != b->distance)
		return a->distance < b->distance;
	if (a->id != b->id)
		return a->id < b->id;
	return a->seq < b->seq;
}

/*
 * Step find (bound) through its rows and keep the first in JOIN_NEAREST's
 * order in *r (and the attempt's seq/status/cause when the statement
 * yields them), *best its rank (*found: one was kept before). 0, or -1
 * on error.
 */
static int
join_find_rows(struct store *s, sqlite3_stmt *find, bool *found,
    struct join_rank *best, struct join_request *r, int *seq, int *astatus,
    enum gw_cause *acause, char *err, size_t errlen)
{
	bool attempt = sqlite3_column_count(find) > JOIN_COL_SEQ;
	int rc;

	while ((rc = sqlite3_step(find)) == SQLITE_ROW) {
		struct join_rank k = {
			.outside = sqlite3_column_int64(find, JOIN_COL_OUTSIDE),
			.distance = sqlite3_column_int64(find,
			    JOIN_COL_DISTANCE),
			.id = sqlite3_column_int64(find, 0),
			.seq = attempt ? sqlite3_column_int64(find,
			    JOIN_COL_SEQ) : 0,
		};

		if (*found && !join_rank_before(&k, best))
			continue;
		*found = true;
		*best = k;
		join_read_request(find, r);
		if (attempt) {
			*seq = sqlite3_column_int(find, JOIN_COL_SEQ);
			*astatus = (int)join_column_opt(find, JOIN_COL_ASTATUS);
			*acause = cause_from_id(sqlite3_column_int(find,
			    JOIN_COL_ACAUSE));
		}
	}
	sqlite3_reset(find);
	if (rc == SQLITE_DONE)
		return 0;
	return store_fail_db(s, err, errlen, "join");
}

/* Error times beyond this (no parser makes them) match no request: the
 * minutes' arithmetic below stays in range. */
#define JOIN_LOCAL_MAX ((int64_t)1 << 60)

/*
 * Run find statement id with the window of the error row that get points
 * at (and upstream up when the statement takes one). Returns 1 with *r
 * (and the attempt's seq/status/cause when the statement yields them)
 * filled, 0 when nothing matched, -1 on error.
 *
 * The windowed statements seek one minute key of requests_join each
 * (stmt.c, JOIN_MINUTE): the minutes a request ending in the window can
 * have, lo .. hi as SQLite's integer division gives them, and -1; the
 * first candidate of them all in JOIN_NEAREST's order is the one.
 */
static int
join_find(struct store *s, enum store_stmt_id id, sqlite3_stmt *get,
    int64_t up, struct join_request *r, int *seq,
    int *astatus, enum gw_cause *acause, char *err, size_t errlen)
{
	sqlite3_stmt *find;
	struct join_rank best = { 0, 0, 0, 0 };
	bool found = false;
	int64_t local, lo, hi;

	if (id == STMT_JOIN_ATTEMPT_FIND_TRUNCATED && !s->tz_known)
		return 0;	/* no request stored yet */
	/* local_ms is an INTEGER NOT NULL column */
	if (sqlite3_column_type(get, 2) != SQLITE_INTEGER)
		return 0;
	local = sqlite3_column_int64(get, 2);
	if (local < -JOIN_LOCAL_MAX || local > JOIN_LOCAL_MAX)
		return 0;
	/*
	 * It matches a block's request (schema/015) by the text of the
	 * error's path, read from paths, where this transaction's new names
	 * wait in a queue (intern.c): they go in now.
	 */
	if (id == STMT_JOIN_ATTEMPT_FIND_TRUNCATED &&
	    intern_flush(s, err, errlen) != 0)
		return -1;
	if ((find = store_stmt(s, id, err, errlen)) == NULL)
		return -1;
	sqlite3_bind_value(find, 1, sqlite3_column_value(get, 0));
	sqlite3_bind_value(find, 2, sqlite3_column_value(get, 1));
	sqlite3_bind_int64(find, 3, local);
	/*
	 * A body cut short ends its request there and then: the error and
	 * the request's end are within the 2 s slack, so the scan by time
	 * need not reach back a whole request time (up to the longest one).
	 */
	sqlite3_bind_int64(find, 4, id == STMT_JOIN_ATTEMPT_FIND_TRUNCATED ?
	    0 : s->max_request_ms);
	sqlite3_bind_value(find, 5, sqlite3_column_value(get, 3));
	sqlite3_bind_value(find, 6, sqlite3_column_value(get, 4));
	if (sqlite3_bind_parameter_count(find) >= 7)
		sqlite3_bind_int64(find, 7, up);
	if (id == STMT_JOIN_ATTEMPT_FIND_TRUNCATED) {
		/* local end in [local - 2 s, local + 2 s], ts = end - tz. */
		sqlite3_bind_int64(find, 8,
		    local - 2000 - (int64_t)s->tz_hi * 60000);
		sqlite3_bind_int64(find, 9,
		    local + 2000 - (int64_t)s->tz_lo * 60000);
		if (join_find_rows(s, find, &found, &best, r, seq, astatus,
		    acause, err, errlen) != 0)
			return -1;
		return found;
	}
	lo = (local - 2000) / 60000;
	hi = (local + (s->max_request_ms < 600000 ? s->max_request_ms :
	    600000) + 2000) / 60000;
	if (hi < lo)
		hi = lo;	/* the recursive WITH's lo, alone */
	/* lo .. hi, then minute -1 unless it was one of them */
	for (int64_t m = lo; m <= hi + 1; m++) {
		int64_t key = m <= hi ? m : -1;

		if (m > hi && lo <= -1 && -1 <= hi)
			break;
		sqlite3_bind_int64(find, 10, key);
		if (join_find_rows(s, find, &found, &best, r, seq, astatus,
		    acause, err, errlen) != 0)
			return -1;
	}
	return found;
}

/*
 * Error eid names upstream up, and its request r logged no upstream at all
 * (Caddy's access log names none): the error is the only evidence of the
 * attempt, so record it as the request's one attempt, with the request's
 * status and the error's cause, and move the request's counts from
 * upstream "-" to up.
 */
static int
join_bare(struct store *s, int64_t eid, enum gw_cause ecause,
    struct join_request *r, int64_t up, char *err, size_t errlen)
{
	sqlite3_stmt *st = store_stmt(s, STMT_JOIN_BARE_ATTEMPT, err, errlen);
	enum gw_cause acause, unused;
	struct rollup_key k = {
		.minute = rollup_minute_of(r->ts_ms), .source_id = r->source_id,
		.upstream_id = r->upstream_id, .status = r->status,
		.cause = r->cause,
	};

	if (st == NULL)
		return -1;
	/* its one attempt, with its status and cause: the request's too */
	join_causes(r->status, r->cause, 1, 0, r->status, r->cause, ecause,
	    &acause, &unused);
	sqlite3_bind_int64(st, 1, r->id);
	sqlite3_bind_int64(st, 2, up);
	sqlite3_bind_int(st, 3, r->status);
	sqlite3_bind_int(st, 4, acause);
	sqlite3_bind_int64(st, 5, eid);
	if (store_stmt_run(s, st, err, errlen) != 0)
		return -1;
	/* The request leaves "-" under its old cause ... */
	if (rollup_add(&s->rollup_req, &k, -1, r->request_ms, r->bytes) != 0)
		return store_fail(err, errlen, "out of memory");
	/* ... and arrives at up under the error's cause, with an attempt. */
	k.upstream_id = up;
	k.cause = acause;
	if (rollup_add(&s->rollup_req, &k, 1, r->request_ms, r->bytes) != 0 ||
	    rollup_add(&s->rollup_att, &k, 1, -1, -1) != 0)
		return store_fail(err, errlen, "out of memory");
	if (acause != r->cause && join_update(s, STMT_JOIN_REQUEST_SET_CAUSE,
	    r->id, acause, 0, 0, err, errlen) != 0)
		return -1;
	return join_update(s, STMT_JOIN_ERROR_SET, eid, r->id, 0, 0, err,
	    errlen);
}

/*
 * Find the request (and attempt) error eid belongs to and join them; an
 * error already joined, without a client, or matching nothing is left.
 */
static int
join_error(struct store *s, int64_t eid, char *err, size_t errlen)
{
	sqlite3_stmt *get;
	struct join_request r;
	int64_t up;
	uint64_t client;
	enum gw_cause ecause, acause = GW_CAUSE_OK;
	int rc, seq = -1, astatus = -1;
	bool bare = false;

	if ((get = store_stmt(s, STMT_JOIN_ERROR_GET, err, errlen)) == NULL)
		return -1;
	sqlite3_bind_int64(get, 1, eid);
	if ((rc = sqlite3_step(get)) != SQLITE_ROW) {
		sqlite3_reset(get);
		if (rc == SQLITE_DONE)
			return 0;
		return store_fail_db(s, err, errlen, "gateway_errors");
	}
	up = sqlite3_column_type(get, 5) == SQLITE_NULL ? 0 :
	    sqlite3_column_int64(get, 5);
	ecause = cause_from_id(sqlite3_column_int(get, 6));
	if (sqlite3_column_type(get, 0) == SQLITE_NULL) {
		sqlite3_reset(get);
		return 0;
	}
	client = inline_client_key_value(s, sqlite3_column_value(get, 0));
	rc = join_find(s, up == 0 ? STMT_JOIN_REQUEST_FIND :
	    ecause == GW_CAUSE_UPSTREAM_TRUNCATED ?
	    STMT_JOIN_ATTEMPT_FIND_TRUNCATED : STMT_JOIN_ATTEMPT_FIND, get,
	    up, &r, &seq, &astatus, &acause, err, errlen);
	if (rc == 0 && up != 0) {
		rc = join_find(s, STMT_JOIN_BARE_FIND, get, up, &r,
		    &seq, &astatus, &acause, err, errlen);
		bare = rc == 1;
	}
	sqlite3_reset(get);
	if (rc <= 0)
		return rc;
	/* only this find reads plain requests, which may be in a block */
	if (!bare && up != 0 && ecause == GW_CAUSE_UPSTREAM_TRUNCATED &&
	    blocks_promote(s, r.id, err, errlen) != 0)
		return -1;
	if (bare)
		rc = join_bare(s, eid, ecause, &r, up, err, errlen);
	else
		rc = join_apply(s, eid, ecause, &r, seq, astatus, acause, up,
		    err, errlen);
	if (rc != 0)
		return -1;
	join_filter_remove(s, client);
	return 0;
}

/* Order ids ascending (qsort). */
static int
join_id_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* Collect older unjoined errors that probe p's request may own. */
static int
join_probe_errors(struct store *s, const struct join_probe *p,
    int64_t first_new, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc;

	st = store_stmt(s, STMT_JOIN_ERRORS_FOR_REQUEST, err, errlen);
	if (st == NULL)
		return -1;
	inline_bind_client(st, 1, &p->client);
	join_bind_id(st, 2, p->path_id);
	sqlite3_bind_int64(st, 3, p->local_end_ms);
	sqlite3_bind_int64(st, 4, p->request_ms);
	join_bind_id(st, 5, p->method_id);
	if (p->query != NULL)
		sqlite3_bind_text(st, 6, p->query, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 6);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);

		/* This batch's errors were already matched against it. */
		if (first_new != 0 && id >= first_new)
			continue;
		if (id_list_add(&s->candidates, id) != 0) {
			sqlite3_reset(st);
			return store_fail(err, errlen, "out of memory");
		}
	}
	if (rc != SQLITE_DONE) {
		store_fail_db(s, err, errlen, "join");
		sqlite3_reset(st);
		return -1;
	}
	sqlite3_reset(st);
	return 0;
}

/*
 * Join the current batch: its errors against every request, then older
 * unjoined errors against its requests. Inside the batch transaction.
 */
int
join_batch(struct store *s, char *err, size_t errlen)
{
	int64_t first_new = s->new_errors.n > 0 ? s->new_errors.v[0] : 0;
	struct id_list *c = &s->candidates;

	for (size_t i = 0; i < s->new_errors.n; i++)
		if (join_error(s, s->new_errors.v[i], err, errlen) != 0)
			return -1;
	c->n = 0;
	for (size_t i = 0; i < s->n_probes; i++)
		if (join_probe_errors(s, &s->probes[i], first_new, err,
		    errlen) != 0)
			return -1;
	if (c->n > 1)
		qsort(c->v, c->n, sizeof(*c->v), join_id_cmp);
	for (size_t i = 0; i < c->n; i++) {
		if (i > 0 && c->v[i] == c->v[i - 1])
			continue;
		if (join_error(s, c->v[i], err, errlen) != 0)
			return -1;
	}
	return 0;
}
