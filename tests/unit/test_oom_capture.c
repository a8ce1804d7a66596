/*
 * test_oom_capture.c - out of memory in the wire path: TCP reassembly
 * (capture/tcp.c), the HTTP tracker (parse/http.c), the events it makes
 * (http_event_add, the batch and its arena) and the gateway-host join
 * (parse/wire_join.c), the log reader (capture/reader.c) and the follower
 * (capture/tail.c), as SQLite's fault simulation does.
 *
 * Every scenario of pktgen.h is played with the nth allocation failing
 * (core/alloc.h), once and persistently, for n = 1, 2, ... until a run
 * reaches no fault. Each failure must be reported (tcp_table_add or
 * wire_join_* returning -1, http_event_add -1, or the tracker's
 * http_stats.oom) - never silent - and what was handed on before the
 * packet that reported it must be exactly what a run without the fault
 * hands on (nothing wrong, nothing dropped unannounced). Nothing leaks
 * (LSan in make check's sanitizer pass). tests/unit/oom.h says how a walk
 * goes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "capture/packet.h"
#include "capture/reader.h"
#include "capture/tail.h"
#include "capture/tcp.h"
#include "core/alloc.h"
#include "core/batch.h"
#include "parse/http.h"
#include "parse/wire_join.h"
#include "tests/unit/oom.h"
#include "tests/unit/pktgen.h"

#define XMAX 32
#define LINE 1536

struct run {
	struct tcp_table *t;
	struct http_tracker *h;
	struct gw_batch b;
	int dlt;
	char x[XMAX][LINE];	/* what was handed on, in order */
	int n;
	int n_before;		/* handed on before the failing packet */
	bool reported;		/* a failure was reported */
};

/* One exchange, and the event made of it, as text. */
static void
describe(const struct http_exchange *x, char *out, size_t len)
{
	snprintf(out, len, "%d%d%d%d %s %s %s %s ?%s %s %d %lld %lld %d "
	    "%lld %lld %lld", x->downstream, x->has_request, x->incomplete,
	    x->conn_only, x->client, x->server, x->method, x->host, x->query,
	    x->path, x->status, (long long)x->body_bytes,
	    (long long)x->header_bytes, (int)x->cause,
	    (long long)x->start_us, (long long)x->first_byte_us,
	    (long long)x->end_us);
}

static void
on_x(void *ctx, const struct http_exchange *x)
{
	struct run *r = ctx;
	const struct http_exchange *self = x;

	assert_true(r->n < XMAX);
	describe(x, r->x[r->n++], LINE);
	if (http_event_add(&r->b, x, &self, 1, x->cause) != 0)
		r->reported = true;
	else
		assert_string_equal(r->b.events[r->b.n_events - 1].path != NULL ?
		    r->b.events[r->b.n_events - 1].path : "", x->path);
}

static void
frame(void *ctx, const uint8_t *f, size_t len, int64_t ts)
{
	struct run *r = ctx;
	struct packet p;
	struct http_stats hs;
	enum packet_kind k;
	uint8_t *copy = malloc(len);
	int before = r->n;

	assert_non_null(copy);
	memcpy(copy, f, len);
	p.ts_us = ts;
	k = packet_decode(r->dlt, copy, len, &p);
	if ((k == PACKET_TCP || k == PACKET_UNREACH) &&
	    tcp_table_add(r->t, &p, k) != 0)
		r->reported = true;
	http_tracker_stats(r->h, &hs);
	if (hs.oom > 0)
		r->reported = true;
	if (!r->reported)
		r->n_before = r->n;
	else if (r->n_before < 0)
		r->n_before = before;
	free(copy);
}

/* Play scenario si with fault n (0: none). */
static void
play(const struct pg_scenario_info *si, long n, bool persistent,
    struct run *r, unsigned long *hit)
{
	struct http_opts ho = { 0 };
	struct tcp_handler th;
	struct http_stats hs;
	struct pg g;

	memset(r, 0, sizeof(*r));
	r->n_before = -1;
	assert_int_equal(batch_init(&r->b), 0);
	assert_non_null(r->h = http_tracker_new(&ho, on_x, r));
	http_tracker_handler(r->h, &th);
	assert_non_null(r->t = tcp_table_new(NULL, &th));
	r->dlt = si->dlt;
	memset(&g, 0, sizeof(g));
	g.out = frame;
	g.ctx = r;
	g.dlt = si->dlt;
	g.vlan = si->vlan;
	g.family = si->family;
	g.ts_us = INT64_C(1795601702000000);
	if (n > 0)
		gw_fault_install(n, persistent);
	assert_true(pg_scenario(&g, si->name));
	tcp_table_flush(r->t, g.ts_us + 1000);
	*hit = gw_fault_uninstall();
	http_tracker_stats(r->h, &hs);
	if (hs.oom > 0)
		r->reported = true;
	if (r->n_before < 0)
		r->n_before = r->n;
	tcp_table_free(r->t);
	http_tracker_free(r->h);
	batch_destroy(&r->b);
}

static void
test_scenarios(void **state)
{
	static struct run ref, r;

	(void)state;
	for (size_t s = 0; s < sizeof(pg_scenarios) / sizeof(*pg_scenarios);
	    s++) {
		const struct pg_scenario_info *si = &pg_scenarios[s];
		unsigned long hit;

		play(si, 0, false, &ref, &hit);
		assert_false(ref.reported);
		for (int persistent = 0; persistent < 2; persistent++) {
			for (long n = 1;; n++) {
				assert_true(n < OOM_N_MAX);
				play(si, n, persistent, &r, &hit);
				if (hit > 0 && !r.reported)
					fail_msg("%s, fault %ld%s: not reported",
					    si->name, n, persistent ? "+" : "");
				int upto = r.reported ? r.n_before : r.n;
				if (!r.reported)
					assert_int_equal(r.n, ref.n);
				assert_true(upto <= ref.n);
				for (int i = 0; i < upto; i++)
					if (strcmp(r.x[i], ref.x[i]) != 0)
						fail_msg("%s, fault %ld%s, "
						    "exchange %d:\n  got  %s\n"
						    "  want %s", si->name, n,
						    persistent ? "+" : "", i,
						    r.x[i], ref.x[i]);
				if (hit == 0) {
					assert_true(n > 2);
					break;
				}
			}
		}
	}
}

/* ---- the gateway-host join ---------------------------------------------- */

struct joined {
	char v[XMAX][LINE];
	int n;
};

static int
on_joined(void *ctx, const struct http_exchange *d,
    const struct http_exchange *const *att, int n, enum gw_cause cause)
{
	struct joined *j = ctx;
	size_t k;

	assert_true(j->n < XMAX);
	k = (size_t)snprintf(j->v[j->n], LINE, "%s %d %d:", d->path,
	    d->status, (int)cause);
	for (int i = 0; i < n && k < LINE; i++)
		k += (size_t)snprintf(j->v[j->n] + k, LINE - k, " %s/%s/%d",
		    att[i]->server, att[i]->path, (int)att[i]->cause);
	j->n++;
	return 0;
}

static struct http_exchange
mk(bool down, const char *server, const char *path, int64_t start_ms,
    int64_t end_ms, int status, enum gw_cause cause)
{
	struct http_exchange x;

	memset(&x, 0, sizeof(x));
	x.downstream = down;
	x.has_request = path != NULL;
	x.conn_only = path == NULL;
	snprintf(x.server, sizeof(x.server), "%s", server);
	if (path != NULL) {
		snprintf(x.method, sizeof(x.method), "GET");
		snprintf(x.path, sizeof(x.path), "%s", path);
	}
	x.start_us = start_ms * 1000;
	x.end_us = end_ms * 1000;
	x.first_byte_us = -1;
	x.syn_us = x.synack_us = -1;
	x.status = status;
	x.cause = cause;
	x.header_bytes = 100;
	x.id_kind = -1;
	return x;
}

#define DOWN "10.0.0.1:80"
#define UP1 "10.0.0.5:8080"
#define UP2 "10.0.0.6:8080"

/* A gateway's day in small: retries, a refusal, a timeout, successes. */
static int
join_feed(struct wire_join *j)
{
	const int64_t t0 = INT64_C(1795601702000);
	struct http_exchange v[] = {
		mk(false, UP1, NULL, t0 + 1, t0 + 2, 502,
		    GW_CAUSE_UPSTREAM_REFUSED),
		mk(false, UP2, "/api/a", t0 + 3, t0 + 9, 200, GW_CAUSE_OK),
		mk(true, DOWN, "/api/a", t0, t0 + 10, 200, GW_CAUSE_OK),
		mk(false, UP1, "/api/b", t0 + 21, t0 + 60, 502,
		    GW_CAUSE_UPSTREAM_5XX),
		mk(true, DOWN, "/api/b", t0 + 20, t0 + 61, 502, GW_CAUSE_OK),
		mk(false, UP2, "/api/c", t0 + 101, t0 + 160, 504,
		    GW_CAUSE_UPSTREAM_READ_TIMEOUT),
		mk(true, DOWN, "/api/c", t0 + 100, t0 + 161, 504, GW_CAUSE_OK),
		mk(false, UP1, "/api/d", t0 + 201, t0 + 205, 200, GW_CAUSE_OK),
		mk(true, DOWN, "/api/d", t0 + 200, t0 + 206, 200, GW_CAUSE_OK),
	};
	int rc = 0;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]) && rc == 0; i++)
		rc = wire_join_add(j, &v[i]);
	if (rc == 0)
		rc = wire_join_advance(j, (t0 + 5000) * 1000);
	if (rc == 0)
		rc = wire_join_flush(j);
	return rc;
}

static void
test_wire_join(void **state)
{
	static struct joined ref, got;
	struct wire_join *j;

	(void)state;
	memset(&ref, 0, sizeof(ref));
	assert_non_null(j = wire_join_new(NULL, on_joined, &ref));
	assert_int_equal(join_feed(j), 0);
	wire_join_free(j);
	assert_int_equal(ref.n, 4);

	for (int persistent = 0; persistent < 2; persistent++) {
		for (long n = 1;; n++) {
			unsigned long hit;
			int rc;

			assert_true(n < OOM_N_MAX);
			memset(&got, 0, sizeof(got));
			gw_fault_install(n, persistent);
			j = wire_join_new(NULL, on_joined, &got);
			rc = j != NULL ? join_feed(j) : -1;
			hit = gw_fault_uninstall();
			if (hit > 0 && rc == 0)
				fail_msg("wire_join, fault %ld%s: not reported",
				    n, persistent ? "+" : "");
			if (rc == 0)
				assert_int_equal(got.n, ref.n);
			assert_true(got.n <= ref.n);
			for (int i = 0; i < got.n; i++)
				if (strcmp(got.v[i], ref.v[i]) != 0)
					fail_msg("wire_join, fault %ld%s, tie %d:"
					    "\n  got  %s\n  want %s", n,
					    persistent ? "+" : "", i, got.v[i],
					    ref.v[i]);
			/* what is held is released without the fault */
			if (j != NULL) {
				(void)wire_join_flush(j);
				wire_join_free(j);
			}
			if (hit == 0) {
				assert_true(n > 5);	/* it did walk */
				break;
			}
		}
	}
}

/* The batch itself: records and the arena, and clearing after a failure. */
static void
test_batch(void **state)
{
	(void)state;
	for (int persistent = 0; persistent < 2; persistent++) {
		for (long n = 1;; n++) {
			struct gw_batch b;
			unsigned long hit;
			int rc = 0;
			size_t i;

			assert_true(n < OOM_N_MAX);
			gw_fault_install(n, persistent);
			if (batch_init(&b) != 0) {
				assert_true(gw_fault_uninstall() > 0);
				continue;
			}
			for (i = 0; i < 300 && rc == 0; i++) {
				struct gw_event *e = batch_add_event(&b);
				struct gw_gateway_error *g;
				char big[GW_REJECT_RAW_MAX];

				memset(big, 'x', sizeof(big));
				if (e == NULL || (e->path = arena_strndup(
				    b.arena, "/p", 2)) == NULL ||
				    (g = batch_add_error(&b)) == NULL ||
				    batch_add_reject(&b, i, 0, "unparsed", big,
				    sizeof(big)) != 0)
					rc = -1;
			}
			hit = gw_fault_uninstall();
			assert_true((hit > 0) == (rc != 0));
			/* cleared, the batch takes records again */
			batch_clear(&b);
			assert_int_equal(batch_count(&b), 0);
			assert_non_null(batch_add_event(&b));
			assert_non_null(arena_strndup(b.arena, "/q", 2));
			batch_destroy(&b);
			if (hit == 0)
				break;
		}
	}
}

/* The log reader: every line, a cut one included, or "out of memory". */
static char *
read_all(const char *path, char *err, size_t errlen)
{
	struct reader *r;
	struct reader_line l;
	char *out = NULL;
	size_t len = 0;
	FILE *f;
	int rc;

	if (reader_open(path, &r, err, errlen) != 0)
		return NULL;
	assert_non_null(f = open_memstream(&out, &len));
	while ((rc = reader_next(r, &l, err, errlen)) == 1)
		fprintf(f, "%llu %zu %d %.*s\n", (unsigned long long)l.offset,
		    l.len, l.flags, (int)(l.len < 64 ? l.len : 64), l.p);
	fclose(f);
	reader_close(r);
	if (rc != 0) {
		free(out);
		return NULL;
	}
	return out;
}

static void
test_reader(void **state)
{
	char path[] = "/tmp/gw-oom-reader.XXXXXX";
	int fd = mkstemp(path);
	FILE *f;
	char err[512], *ref;

	(void)state;
	assert_true(fd >= 0);
	assert_non_null(f = fdopen(fd, "w"));
	fprintf(f, "first line\n");
	for (size_t i = 0; i < READER_LINE_MAX + 100; i++)
		fputc('x', f);
	fprintf(f, "\nlast line\r\n");
	fclose(f);
	assert_non_null(ref = read_all(path, err, sizeof(err)));
	assert_non_null(strstr(ref, " 1 xxx"));	/* the cut line */
	for (int persistent = 0; persistent < 2; persistent++) {
		for (long n = 1;; n++) {
			unsigned long hit;
			char *t;

			assert_true(n < OOM_N_MAX);
			err[0] = '\0';
			gw_fault_install(n, persistent);
			t = read_all(path, err, sizeof(err));
			hit = gw_fault_uninstall();
			if (t != NULL)
				assert_string_equal(t, ref);
			else if (strstr(err, "out of memory") == NULL)
				fail_msg("reader, fault %ld%s: \"%s\"", n,
				    persistent ? "+" : "", err);
			free(t);
			if (hit == 0) {
				assert_true(n > 2);
				break;
			}
		}
	}
	free(ref);
	unlink(path);
}

/*
 * Follow path with tail until its three lines came (or 40 quiet polls):
 * the events as text, or NULL with err ("out of memory").
 */
static char *
tail_all(const char *path, char *err, size_t errlen)
{
	struct tail_opts o = { .poll_ms = 5, .no_inotify = true,
	    .rotated_max = -1 };
	struct tail *t;
	struct tail_event ev;
	char *out = NULL;
	size_t len = 0;
	FILE *f;
	int lines = 0, quiet = 0, rc = 0;

	if (tail_new(&o, &t, err, errlen) != 0)
		return NULL;
	if (tail_add(t, path, err, errlen) != 0) {
		tail_free(t);
		return NULL;
	}
	assert_non_null(f = open_memstream(&out, &len));
	while (lines < 3 && quiet < 40 &&
	    (rc = tail_next(t, &ev, 5, err, errlen)) >= 0) {
		if (rc == 0) {
			quiet++;
			continue;
		}
		if (ev.type == TAIL_OPENED) {
			fprintf(f, "opened %zu\n", ev.head_len);
			tail_start(ev.file, 0);
		} else if (ev.type == TAIL_LINE) {
			fprintf(f, "%llu %.*s\n", (unsigned long long)ev.offset,
			    (int)ev.len, ev.line);
			lines++;
		} else {
			fprintf(f, "closed %s\n", ev.reason);
		}
	}
	fclose(f);
	/* a file it could not open is a problem of that file, shown in the
	 * status line and retried at each poll: out of memory there too */
	struct tail_stats st;
	tail_get_stats(t, &st);
	if (rc >= 0 && lines < 3 && st.problem != NULL &&
	    strstr(st.problem, "Cannot allocate memory") != NULL) {
		snprintf(err, errlen, "out of memory (%s)", st.problem);
		rc = -1;
	}
	tail_free(t);
	if (rc < 0) {
		free(out);
		return NULL;
	}
	return out;
}

static void
test_tail(void **state)
{
	char path[] = "/tmp/gw-oom-tail.XXXXXX";
	int fd = mkstemp(path);
	FILE *f;
	char err[512], *ref;

	(void)state;
	assert_true(fd >= 0);
	assert_non_null(f = fdopen(fd, "w"));
	fprintf(f, "10.0.0.1 - - [25/Nov/2026:10:00:00 +0000] \"GET / HTTP/1.1\" "
	    "200 1 \"-\" \"curl\"\nsecond line of the log, long enough\n"
	    "third\n");
	fclose(f);
	assert_non_null(ref = tail_all(path, err, sizeof(err)));
	assert_non_null(strstr(ref, "third"));
	for (int persistent = 0; persistent < 2; persistent++) {
		for (long n = 1;; n++) {
			unsigned long hit;
			char *t;

			assert_true(n < OOM_N_MAX);
			err[0] = '\0';
			gw_fault_install(n, persistent);
			t = tail_all(path, err, sizeof(err));
			hit = gw_fault_uninstall();
			if (t != NULL && strcmp(t, ref) != 0) {
				char what[64];
				snprintf(what, sizeof(what), "tail, fault %ld%s",
				    n, persistent ? "+" : "");
				oom_fail_diff(what, t, ref);
			}
			if (t == NULL && strstr(err, "out of memory") == NULL)
				fail_msg("tail, fault %ld%s: \"%s\"", n,
				    persistent ? "+" : "", err);
			free(t);
			if (hit == 0) {
				assert_true(n > 2);
				break;
			}
		}
	}
	free(ref);
	unlink(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_batch),
		cmocka_unit_test(test_reader),
		cmocka_unit_test(test_tail),
		cmocka_unit_test(test_scenarios),
		cmocka_unit_test(test_wire_join),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
