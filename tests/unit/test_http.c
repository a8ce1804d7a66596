/*
 * test_http.c - HTTP pairing and wire causes (parse/http.c), the
 * gateway-host join (parse/wire_join.c) and the events they make.
 *
 * Scenarios from pktgen.h go through packet_decode, a tcp_table and an
 * http_tracker; the exchanges it emits are recorded and checked field by
 * field: method, path, query, Host, request id, status, body length, cause
 * and the server address, and that no header we must not keep (Cookie)
 * leaks into any field.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <arpa/inet.h>
#include <limits.h>

#include "capture/packet.h"
#include "capture/tcp.h"
#include "parse/http.h"
#include "parse/wire_join.h"
#include "tests/unit/pktgen.h"

#define XMAX 32

struct run {
	struct tcp_table *t;
	struct http_tracker *h;
	int dlt;
	struct http_exchange x[XMAX];
	int n;
	uint64_t rec[HTTP_EXCHANGE_PACK_MAX / 8 + 1];	/* play_packed's */
};

static void
on_x(void *ctx, const struct http_exchange *x)
{
	struct run *r = ctx;

	assert_true(r->n < XMAX);
	r->x[r->n++] = *x;
	/* nothing of the Cookie header anywhere */
	assert_null(strstr(x->host, "secret"));
	assert_null(strstr(x->path, "secret"));
	assert_null(strstr(x->query, "secret"));
	assert_null(strstr(x->request_id, "secret"));
}

static void
frame(void *ctx, const uint8_t *f, size_t len, int64_t ts)
{
	struct run *r = ctx;
	uint8_t *copy = malloc(len);
	struct packet p;
	enum packet_kind k;

	assert_non_null(copy);
	memcpy(copy, f, len);
	p.ts_us = ts;
	k = packet_decode(r->dlt, copy, len, &p);
	if (k == PACKET_TCP || k == PACKET_UNREACH)
		assert_int_equal(tcp_table_add(r->t, &p, k), 0);
	free(copy);
}

/* http_pack_reserve_fn of play_packed: the run's record, its last word
 * a guard. */
static void *
on_reserve(void *ctx)
{
	struct run *r = ctx;

	r->rec[HTTP_EXCHANGE_PACK_MAX / 8] = 0x5a5a5a5a5a5a5a5aULL;
	return r->rec;
}

/* http_pack_commit_fn of play_packed: unpacked into the run's next. */
static void
on_commit(void *ctx, size_t size)
{
	struct run *r = ctx;

	assert_true(r->n < XMAX);
	assert_int_equal(size % 8, 0);
	assert_true(size <= HTTP_EXCHANGE_PACK_MAX);
	assert_true(r->rec[HTTP_EXCHANGE_PACK_MAX / 8] ==
	    0x5a5a5a5a5a5a5a5aULL);
	memset(&r->x[r->n], 0xA5, sizeof(r->x[r->n]));
	assert_int_equal(http_exchange_unpack(r->rec, &r->x[r->n]), size);
	r->n++;
}

/* play() reads every message with http-parser (http_opts.parser_only). */
static bool play_parser_only;
/* play() takes answered requests packed (http_tracker_emit_packed). */
static bool play_packed;
/* play()'s http_opts.id_header (--id-header), or NULL. */
static const char *play_id_header;

/* Play a scenario; listen (a port or 0) makes those connections downstream. */
static struct run *
play(const char *name, uint16_t listen)
{
	static uint16_t ports[1];
	struct run *r = calloc(1, sizeof(*r));
	struct http_opts ho = { .listen_ports = ports, .n_listen_ports = 0 };
	struct tcp_handler th;
	const struct pg_scenario_info *si = NULL;
	struct pg g;

	assert_non_null(r);
	ports[0] = listen;
	ho.n_listen_ports = listen ? 1 : 0;
	ho.parser_only = play_parser_only;
	ho.id_header = play_id_header;
	for (size_t i = 0; i < sizeof(pg_scenarios) / sizeof(*pg_scenarios); i++)
		if (strcmp(pg_scenarios[i].name, name) == 0)
			si = &pg_scenarios[i];
	assert_non_null(si);
	r->h = http_tracker_new(&ho, on_x, r);
	assert_non_null(r->h);
	if (play_packed)
		http_tracker_emit_packed(r->h, on_reserve, on_commit);
	http_tracker_handler(r->h, &th);
	r->t = tcp_table_new(NULL, &th);
	assert_non_null(r->t);
	r->dlt = si->dlt;
	memset(&g, 0, sizeof(g));
	g.out = frame;
	g.ctx = r;
	g.dlt = si->dlt;
	g.vlan = si->vlan;
	g.family = si->family;
	g.ts_us = INT64_C(1795601702000000);
	assert_true(pg_scenario(&g, name));
	tcp_table_flush(r->t, g.ts_us + 1000);
	return r;
}

static void
done(struct run *r)
{
	tcp_table_free(r->t);
	http_tracker_free(r->h);
	free(r);
}

/* Check exchange x's main fields. */
static void
check(const struct http_exchange *x, const char *method, const char *path,
    int status, enum gw_cause cause)
{
	assert_string_equal(x->method, method);
	assert_string_equal(x->path, path);
	assert_int_equal(x->status, status);
	assert_string_equal(cause_name(x->cause), cause_name(cause));
}

static void
test_basic_fields(void **state)
{
	struct run *r = play("basic", 0);

	(void)state;
	assert_int_equal(r->n, 1);
	check(&r->x[0], "GET", "/a", 200, GW_CAUSE_OK);
	assert_true(r->x[0].has_query);
	assert_string_equal(r->x[0].query, "x=1");
	assert_string_equal(r->x[0].host, "api.test");
	assert_string_equal(r->x[0].request_id, "rid-/a?x=1");
	assert_string_equal(r->x[0].protocol, "HTTP/1.1");
	assert_string_equal(r->x[0].server, "10.0.0.5:8080");
	assert_string_equal(r->x[0].client, "10.0.0.1");
	assert_int_equal(r->x[0].body_bytes, 5);
	assert_false(r->x[0].incomplete);
	assert_false(r->x[0].downstream);
	/* handshake, request, ack, then the answer: 1 ms per packet */
	assert_int_equal(r->x[0].synack_us - r->x[0].syn_us, 1000);
	assert_int_equal(r->x[0].first_byte_us - r->x[0].start_us, 2000);
	done(r);

	r = play("ipv6", 0);
	assert_int_equal(r->n, 1);
	assert_string_equal(r->x[0].server, "[2001:db8::5]:8080");
	assert_string_equal(r->x[0].client, "2001:db8::1");
	done(r);
}

/* Request headers cut across segments, two connections interleaved: each
 * request keeps its own URL, Host and id (parse/http.c saves a header
 * read halfway with its connection). */
static void
test_split_header(void **state)
{
	struct run *r = play("split_header", 0);

	(void)state;
	assert_int_equal(r->n, 2);
	check(&r->x[0], "GET", "/b", 200, GW_CAUSE_OK);
	assert_true(r->x[0].has_query);
	assert_string_equal(r->x[0].query, "q=1");
	assert_string_equal(r->x[0].host, "bee");
	/* a traceparent keeps its trace id */
	assert_string_equal(r->x[0].request_id,
	    "0af7651916cd43dd8448eb211c80319c");
	assert_int_equal(r->x[0].id_kind, 2);
	check(&r->x[1], "GET", "/long/path", 200, GW_CAUSE_OK);
	assert_true(r->x[1].has_query);
	assert_string_equal(r->x[1].query, "x=1");
	assert_string_equal(r->x[1].host, "a.test");
	assert_string_equal(r->x[1].request_id, "idA");
	assert_int_equal(r->x[1].id_kind, 1);
	assert_string_equal(r->x[1].protocol, "HTTP/1.1");
	done(r);
}

/* Whether two exchanges say the same in every field. */
static void
check_same(const struct http_exchange *a, const struct http_exchange *b)
{
	assert_int_equal(a->downstream, b->downstream);
	assert_int_equal(a->has_request, b->has_request);
	assert_int_equal(a->incomplete, b->incomplete);
	assert_int_equal(a->conn_only, b->conn_only);
	assert_int_equal(a->unanswered, b->unanswered);
	assert_int_equal(a->end_unsure, b->end_unsure);
	assert_int_equal(a->syn_us, b->syn_us);
	assert_int_equal(a->synack_us, b->synack_us);
	assert_int_equal(a->start_us, b->start_us);
	assert_int_equal(a->ready_us, b->ready_us);
	assert_int_equal(a->first_byte_us, b->first_byte_us);
	assert_int_equal(a->end_us, b->end_us);
	assert_string_equal(a->client, b->client);
	assert_string_equal(a->server, b->server);
	assert_int_equal(a->client_port, b->client_port);
	assert_int_equal(a->server_port, b->server_port);
	assert_string_equal(a->method, b->method);
	assert_string_equal(a->host, b->host);
	assert_string_equal(a->path, b->path);
	assert_string_equal(a->query, b->query);
	assert_int_equal(a->has_query, b->has_query);
	assert_string_equal(a->request_id, b->request_id);
	assert_int_equal(a->id_kind, b->id_kind);
	assert_string_equal(a->orig_uri, b->orig_uri);
	assert_string_equal(a->protocol, b->protocol);
	assert_int_equal(a->status, b->status);
	assert_int_equal(a->body_bytes, b->body_bytes);
	assert_int_equal(a->header_bytes, b->header_bytes);
	assert_int_equal(a->cause, b->cause);
}

/*
 * parse/http.c reads plain messages its own fast way and hands the rest
 * to http-parser: every scenario, plain and as a gateway's own port, must
 * come out the same both ways, field by field.
 */
static void
test_fast_same(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(pg_scenarios) / sizeof(*pg_scenarios);
	    i++) {
		for (int down = 0; down < 2; down++) {
			struct run *fast, *slow;

			play_parser_only = false;
			fast = play(pg_scenarios[i].name, down ? 8080 : 0);
			play_parser_only = true;
			slow = play(pg_scenarios[i].name, down ? 8080 : 0);
			play_parser_only = false;
			assert_int_equal(fast->n, slow->n);
			for (int k = 0; k < fast->n; k++)
				check_same(&fast->x[k], &slow->x[k]);
			done(fast);
			done(slow);
		}
	}
}

/*
 * Answered requests packed as they are read (http_tracker_emit_packed,
 * capture --listen's way to the join thread) unpack to the exchanges the
 * tracker hands on otherwise: every scenario, plain and as a gateway's
 * own port, read the fast way and by http-parser, field by field, in the
 * same order, with the same packet numbers and counts.
 */
static void
test_packed_same(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(pg_scenarios) / sizeof(*pg_scenarios);
	    i++) {
		for (int mode = 0; mode < 4; mode++) {
			uint16_t listen = mode & 1 ? 8080 : 0;
			struct run *plain, *packed;
			struct http_stats a, b;

			play_parser_only = (mode & 2) != 0;
			plain = play(pg_scenarios[i].name, listen);
			play_packed = true;
			packed = play(pg_scenarios[i].name, listen);
			play_packed = play_parser_only = false;
			assert_int_equal(plain->n, packed->n);
			for (int k = 0; k < plain->n; k++) {
				check_same(&plain->x[k], &packed->x[k]);
				assert_int_equal(plain->x[k].pkt_no,
				    packed->x[k].pkt_no);
				assert_int_equal(plain->x[k].pkt_offset,
				    packed->x[k].pkt_offset);
			}
			http_tracker_stats(plain->h, &a);
			http_tracker_stats(packed->h, &b);
			assert_int_equal(a.exchanges, b.exchanges);
			assert_int_equal(a.incomplete, b.incomplete);
			assert_int_equal(a.responses, b.responses);
			done(plain);
			done(packed);
		}
	}
}

/*
 * A complete answer's header bytes: its status line, fields and the empty
 * line's CRLF, the same read the fast way or by http-parser, whole, over
 * segments, pipelined, after a trailer and a stray CRLF, after a 100
 * (pktgen.h "header_sizes").
 */
static void
test_header_bytes(void **state)
{
	static const char *const path[] = {
		"/s1", "/s2", "/s3", "/s4", "/s5", "/s6", "/s7", "/s8",
	};
	static const int64_t bytes[] = {
		38, 46, 4095, 4097, 38, 47, 38, 38,
	};

	(void)state;
	for (int po = 0; po < 2; po++) {
		struct run *r;

		play_parser_only = po;
		r = play("header_sizes", 0);
		play_parser_only = false;
		assert_int_equal(r->n, 8);
		for (int i = 0; i < 8; i++) {
			check(&r->x[i], "GET", path[i], 200, GW_CAUSE_OK);
			assert_false(r->x[i].incomplete);
			assert_int_equal(r->x[i].header_bytes, bytes[i]);
		}
		done(r);
	}
}

/*
 * An answer's id under the name --id-header gives, in any case, read the
 * fast way and by http-parser alike; fields of its length and first
 * letter, or of its name but one letter, are not it (pktgen.h
 * "id_header").
 */
static void
test_id_header(void **state)
{
	static const char *const want[] = {"c-1", "c-2", ""};

	(void)state;
	for (int po = 0; po < 2; po++) {
		struct run *r;

		play_parser_only = po;
		play_id_header = "X-Corr";
		r = play("id_header", 0);
		play_parser_only = false;
		play_id_header = NULL;
		assert_int_equal(r->n, 3);
		for (int i = 0; i < 3; i++) {
			assert_int_equal(r->x[i].status, 200);
			assert_string_equal(r->x[i].request_id, want[i]);
		}
		done(r);
	}
}

/*
 * A field whose name goes on past the 39 bytes kept of a name, the kept
 * ones those of a 39-byte --id-header: the fast way reads the same id as
 * http-parser (which sees the name cut to 39 bytes), not none (pktgen.h
 * "id_header_long").
 */
static void
test_id_header_long(void **state)
{
	struct run *r[2];

	(void)state;
	for (int po = 0; po < 2; po++) {
		play_parser_only = po;
		play_id_header = "X-Gateway-Correlation-Identifier-Header";
		r[po] = play("id_header_long", 0);
		play_parser_only = false;
		play_id_header = NULL;
		assert_int_equal(r[po]->n, 2);
	}
	for (int i = 0; i < 2; i++) {
		assert_int_equal(r[0]->x[i].status, 200);
		assert_string_equal(r[0]->x[i].request_id,
		    r[1]->x[i].request_id);
	}
	done(r[0]);
	done(r[1]);
}

/* What the fast way reads on a keep-alive connection, and where it hands
 * over (pktgen.h "keepalive_mix"). */
static void
test_keepalive_mix(void **state)
{
	struct run *r = play("keepalive_mix", 0);

	(void)state;
	assert_int_equal(r->n, 7);
	check(&r->x[0], "GET", "/k1", 200, GW_CAUSE_OK);
	assert_string_equal(r->x[0].query, "a=1");
	assert_string_equal(r->x[0].request_id, "r1  ");
	assert_int_equal(r->x[0].body_bytes, 2);
	check(&r->x[1], "GET", "/k2", 200, GW_CAUSE_OK);
	assert_int_equal(r->x[1].body_bytes, 5);
	check(&r->x[2], "GET", "/k3", 503, GW_CAUSE_UPSTREAM_5XX);
	assert_int_equal(r->x[2].body_bytes, 20);
	assert_string_equal(r->x[2].request_id, "rid-/k3");
	check(&r->x[3], "POST", "/k4", 201, GW_CAUSE_OK);
	assert_int_equal(r->x[3].body_bytes, 0);
	check(&r->x[4], "GET", "/k5", 200, GW_CAUSE_OK);
	assert_string_equal(r->x[4].host, "h");
	assert_int_equal(r->x[5].status, 200);
	assert_int_equal(r->x[5].body_bytes, 1);
	check(&r->x[6], "GET", "/k7", 200, GW_CAUSE_OK);
	assert_int_equal(r->x[6].body_bytes, 5);
	assert_false(r->x[6].incomplete);
	done(r);
}

/* Pipelined requests answered in order, with a 100 Continue in front and
 * a HEAD whose answer announces a body it does not carry. */
static void
test_pipelining(void **state)
{
	struct run *r = play("pipelining", 0);
	struct http_stats st;

	(void)state;
	assert_int_equal(r->n, 3);
	check(&r->x[0], "GET", "/p1", 200, GW_CAUSE_OK);
	check(&r->x[1], "GET", "/p2", 502, GW_CAUSE_UPSTREAM_5XX);
	check(&r->x[2], "HEAD", "/p3", 200, GW_CAUSE_OK);
	assert_int_equal(r->x[2].body_bytes, 0);
	http_tracker_stats(r->h, &st);
	assert_int_equal(st.interim, 1);
	assert_int_equal(st.requests, 3);
	done(r);
}

/* Chunked, 304 without a body, and a body delimited by the close. */
static void
test_body_framing(void **state)
{
	struct run *r = play("chunked", 0);

	(void)state;
	assert_int_equal(r->n, 3);
	check(&r->x[0], "GET", "/c", 200, GW_CAUSE_OK);
	assert_int_equal(r->x[0].body_bytes, 11);
	check(&r->x[1], "GET", "/c2", 304, GW_CAUSE_OK);
	check(&r->x[2], "GET", "/c3", 200, GW_CAUSE_OK);
	assert_int_equal(r->x[2].body_bytes, 11);
	assert_string_equal(r->x[2].protocol, "HTTP/1.1");
	done(r);
}

/* Retransmission and reordering change nothing in what comes out. */
static void
test_reassembled(void **state)
{
	struct run *r = play("retransmission", 0);

	(void)state;
	assert_int_equal(r->n, 1);
	check(&r->x[0], "GET", "/r", 200, GW_CAUSE_OK);
	assert_int_equal(r->x[0].body_bytes, 5);
	done(r);
	r = play("out_of_order", 0);
	assert_int_equal(r->n, 1);
	check(&r->x[0], "GET", "/o", 503, GW_CAUSE_UPSTREAM_5XX);
	done(r);
}

/* A gap marks its exchange incomplete; the streams resync. */
static void
test_gap_resync(void **state)
{
	struct run *r = play("gap", 0);

	(void)state;
	assert_int_equal(r->n, 3);
	check(&r->x[0], "GET", "/g1", 200, GW_CAUSE_OK);
	assert_true(r->x[0].incomplete);
	check(&r->x[1], "GET", "/g2", 200, GW_CAUSE_OK);
	assert_false(r->x[1].incomplete);
	check(&r->x[2], "GET", "/g4", 500, GW_CAUSE_UPSTREAM_5XX);
	done(r);

	r = play("midstream", 0);
	assert_int_equal(r->n, 1);
	check(&r->x[0], "GET", "/m", 404, GW_CAUSE_OK);
	done(r);
}

/* The wire table of causes.md. */
static void
test_wire_causes(void **state)
{
	static const struct {
		const char *scenario, *method;
		int status;
		enum gw_cause cause;
	} cases[] = {
		{"refused", "", 502, GW_CAUSE_UPSTREAM_REFUSED},
		{"reset", "GET", 502, GW_CAUSE_UPSTREAM_RESET},
		{"closed_early", "GET", 502, GW_CAUSE_UPSTREAM_CLOSED_EARLY},
		{"garbage", "GET", 9, GW_CAUSE_UPSTREAM_INVALID_RESPONSE},
		{"truncated", "GET", 200, GW_CAUSE_UPSTREAM_TRUNCATED},
		{"read_timeout", "GET", 504, GW_CAUSE_UPSTREAM_READ_TIMEOUT},
		{"syn_timeout", "", 504, GW_CAUSE_UPSTREAM_CONNECT_TIMEOUT},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct run *r = play(cases[i].scenario, 0);

		assert_true(r->n >= 1);
		assert_string_equal(r->x[0].method, cases[i].method);
		assert_int_equal(r->x[0].status, cases[i].status);
		assert_string_equal(cause_name(r->x[0].cause),
		    cause_name(cases[i].cause));
		assert_int_equal(r->x[0].conn_only, cases[i].method[0] == '\0');
		assert_string_equal(r->x[0].server, "10.0.0.5:8080");
		done(r);
	}
	/* downstream: the client giving up is the client's doing */
	struct run *r = play("read_timeout", 8080);
	assert_int_equal(r->n, 1);
	assert_true(r->x[0].downstream);
	assert_int_equal(r->x[0].status, 499);
	assert_int_equal(r->x[0].cause, GW_CAUSE_CLIENT_CLOSED);
	done(r);
}

/* --- the join ------------------------------------------------------------ */

struct joined {
	struct http_exchange down;
	struct http_exchange att[4];
	int n;
	enum gw_cause cause;
	int count;
};

static int
on_joined(void *ctx, const struct http_exchange *d,
    const struct http_exchange *const *att, int n, enum gw_cause cause)
{
	struct joined *j = ctx;

	j->down = *d;
	j->n = n;
	for (int i = 0; i < n && i < 4; i++)
		j->att[i] = *att[i];
	j->cause = cause;
	j->count++;
	return 0;
}

static struct http_exchange
mk(bool down, const char *server, const char *path, const char *id,
    int64_t start_ms, int64_t end_ms, int status, enum gw_cause cause)
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
	snprintf(x.request_id, sizeof(x.request_id), "%s", id);
	x.start_us = start_ms * 1000;
	x.end_us = end_ms * 1000;
	x.first_byte_us = -1;
	x.syn_us = x.synack_us = -1;
	x.status = status;
	x.cause = cause;
	x.header_bytes = 100;
	return x;
}

static void
test_join(void **state)
{
	struct joined got;
	struct wire_join *j;
	struct wire_join_stats st;
	struct http_exchange x;

	(void)state;
	/* a refused connect, then a retry that answers: by order and path */
	memset(&got, 0, sizeof(got));
	j = wire_join_new(NULL, on_joined, &got);
	assert_non_null(j);
	x = mk(false, "10.0.0.7:81", NULL, "", 1001, 1002, 502,
	    GW_CAUSE_UPSTREAM_REFUSED);
	assert_int_equal(wire_join_add(j, &x), 0);
	x = mk(false, "10.0.0.8:81", "/cart", "abc", 1003, 1010, 200,
	    GW_CAUSE_OK);
	assert_int_equal(wire_join_add(j, &x), 0);
	x = mk(true, "10.0.0.1:80", "/cart", "abc", 1000, 1011, 200,
	    GW_CAUSE_OK);
	assert_int_equal(wire_join_add(j, &x), 0);
	/* a tie by time alone (the refused connect) waits for the others */
	assert_int_equal(got.count, 0);
	assert_int_equal(wire_join_advance(j, 1011000 + 3000000), 0);
	assert_int_equal(got.count, 1);
	assert_int_equal(got.n, 2);
	assert_string_equal(got.att[0].server, "10.0.0.7:81");
	assert_int_equal(got.att[0].cause, GW_CAUSE_UPSTREAM_REFUSED);
	assert_string_equal(got.att[1].server, "10.0.0.8:81");
	assert_int_equal(got.cause, GW_CAUSE_OK);

	/* a 502 whose upstream reset before it: complete, released at once */
	x = mk(false, "10.0.0.9:81", "/x", "", 2001, 2005, 502,
	    GW_CAUSE_UPSTREAM_RESET);
	wire_join_add(j, &x);
	x = mk(true, "10.0.0.1:80", "/x", "", 2000, 2006, 502, GW_CAUSE_OK);
	wire_join_add(j, &x);
	assert_int_equal(got.count, 2);
	assert_int_equal(got.n, 1);
	assert_int_equal(got.cause, GW_CAUSE_UPSTREAM_RESET);

	/* a 504 whose upstream's end is reported after it: it waits */
	x = mk(true, "10.0.0.1:80", "/slow", "", 2100, 3100, 504, GW_CAUSE_OK);
	wire_join_add(j, &x);
	assert_int_equal(got.count, 2);
	x = mk(false, "10.0.0.9:81", "/slow", "", 2101, 3100, 504,
	    GW_CAUSE_UPSTREAM_READ_TIMEOUT);
	wire_join_add(j, &x);
	assert_int_equal(wire_join_advance(j, 3100000 + 3000000), 0);
	assert_int_equal(got.count, 3);
	assert_int_equal(got.n, 1);
	assert_int_equal(got.cause, GW_CAUSE_UPSTREAM_READ_TIMEOUT);

	/* two requests at once, two unanswered SYNs: one each */
	x = mk(true, "10.0.0.1:80", "/bh", "", 7000, 7600, 504, GW_CAUSE_OK);
	wire_join_add(j, &x);
	x = mk(true, "10.0.0.1:80", "/bh", "", 7001, 7601, 504, GW_CAUSE_OK);
	wire_join_add(j, &x);
	x = mk(false, "10.0.0.10:81", NULL, "", 7002, 8500, 504,
	    GW_CAUSE_UPSTREAM_CONNECT_TIMEOUT);
	x.end_unsure = true;
	wire_join_add(j, &x);
	x = mk(false, "10.0.0.11:81", NULL, "", 7003, 8501, 504,
	    GW_CAUSE_UPSTREAM_CONNECT_TIMEOUT);
	x.end_unsure = true;
	wire_join_add(j, &x);
	assert_int_equal(wire_join_advance(j, 7600000 + 3000000), 0);
	assert_int_equal(got.count, 4);
	assert_int_equal(got.n, 1);
	assert_string_equal(got.att[0].server, "10.0.0.10:81");
	assert_int_equal(got.cause, GW_CAUSE_UPSTREAM_CONNECT_TIMEOUT);
	assert_int_equal(wire_join_flush(j), 0);
	assert_int_equal(got.count, 5);
	assert_int_equal(got.n, 1);
	assert_string_equal(got.att[0].server, "10.0.0.11:81");

	/* a 502 with an upstream 200 whose header was too big */
	x = mk(false, "10.0.0.11:81", "/big", "id9", 9001, 9002, 200,
	    GW_CAUSE_OK);
	x.header_bytes = 65536;
	wire_join_add(j, &x);
	x = mk(true, "10.0.0.1:80", "/big", "id9", 9000, 9003, 502, GW_CAUSE_OK);
	wire_join_add(j, &x);
	wire_join_flush(j);
	assert_int_equal(got.cause, GW_CAUSE_UPSTREAM_HEADER_TOO_BIG);
	assert_int_equal(got.att[0].status, 502);

	/* a 5xx with nothing behind it */
	x = mk(true, "10.0.0.1:80", "/none", "", 10000, 10001, 503,
	    GW_CAUSE_OK);
	wire_join_add(j, &x);
	wire_join_flush(j);
	assert_int_equal(got.n, 0);
	assert_int_equal(got.cause, GW_CAUSE_UNKNOWN);

	wire_join_stats(j, &st);
	assert_int_equal(st.downstream, 7);
	assert_int_equal(st.failed, 6);
	assert_int_equal(st.failed_tied, 5);
	assert_int_equal(st.tied_id, 0);	/* ids never seen to agree */
	assert_int_equal(st.tied_match, 4);
	assert_int_equal(st.tied_time, 3);
	assert_int_equal(st.n_ports, 1);
	assert_int_equal(st.ports[0].failed, 6);
	wire_join_free(j);
}

/*
 * A complete upstream 200 whose header (4200 bytes) passes the gateway's
 * 4096-byte buffer, and the gateway's 502, as captured (pktgen.h
 * "header_too_big"), both ways of reading it: the join says
 * upstream_header_too_big, which only the answer's header size tells.
 */
static void
test_header_too_big_joined(void **state)
{
	(void)state;
	for (int po = 0; po < 2; po++) {
		struct joined got;
		struct wire_join *j;
		struct run *r;

		play_parser_only = po;
		r = play("header_too_big", 8080);
		play_parser_only = false;
		assert_int_equal(r->n, 2);
		memset(&got, 0, sizeof(got));
		j = wire_join_new(NULL, on_joined, &got);
		assert_non_null(j);
		for (int i = 0; i < r->n; i++)
			assert_int_equal(wire_join_add(j, &r->x[i]), 0);
		assert_int_equal(wire_join_flush(j), 0);
		assert_int_equal(got.count, 1);
		assert_int_equal(got.down.status, 502);
		assert_int_equal(got.n, 1);
		assert_int_equal(got.att[0].header_bytes, 4200);
		assert_int_equal(got.att[0].status, 502);
		assert_int_equal(got.cause, GW_CAUSE_UPSTREAM_HEADER_TOO_BIG);
		wire_join_free(j);
		done(r);
	}
}

/* Collects every joined request (test of many). */
struct many {
	int count;
	int bad;		/* a request tied to another's attempt */
	int n_att[64];		/* histogram of attempts per request */
	enum gw_cause cause[4096];
	char first_att[4096][HTTP_ADDR_MAX];
	char path[4096][HTTP_ADDR_MAX];
};

static int
on_many(void *ctx, const struct http_exchange *d,
    const struct http_exchange *const *att, int n, enum gw_cause cause)
{
	struct many *m = ctx;

	if (m->count < 4096) {
		m->cause[m->count] = cause;
		snprintf(m->first_att[m->count], HTTP_ADDR_MAX, "%s",
		    n > 0 ? att[n - 1]->server : "-");
		snprintf(m->path[m->count], HTTP_ADDR_MAX, "%s", d->client);
	}
	m->n_att[n < 63 ? n : 63]++;
	/* mk_pair names the upstream "10.9.x.y:81" after the client tag */
	char want[HTTP_ADDR_MAX + 8];
	snprintf(want, sizeof(want), "%s:81", d->client + 5);
	if (n > 0 && strcmp(att[n - 1]->server + 5, want) != 0)
		m->bad++;
	m->count++;
	return 0;
}

/*
 * Issue 16 item 3: forty requests carrying the same client-chosen
 * X-Request-Id, passed through to the upstream, concurrent and on the
 * same path: each gets its own upstream attempt, none takes the others'.
 * Ids also agree on both legs (so they are trusted), and must still not
 * tie more than one attempt.
 */
static void
test_join_same_id(void **state)
{
	struct many *m = calloc(1, sizeof(*m));
	struct wire_join *j = wire_join_new(NULL, on_many, m);
	struct wire_join_stats st;
	struct http_exchange x;

	(void)state;
	assert_non_null(j);
	/* first teach it that ids agree: 20 sequential, unique ids */
	for (int i = 0; i < 20; i++) {
		char id[16], up[32], cl[32];

		snprintf(id, sizeof(id), "u%d", i);
		snprintf(up, sizeof(up), "10.9.%d.%d:81", 200, i);
		snprintf(cl, sizeof(cl), "10.1.%d.%d", 200, i);
		x = mk(false, up, "/a", id, i * 10 + 1, i * 10 + 2, 200,
		    GW_CAUSE_OK);
		assert_int_equal(wire_join_add(j, &x), 0);
		x = mk(true, "10.0.0.1:80", "/a", id, i * 10, i * 10 + 3, 200,
		    GW_CAUSE_OK);
		snprintf(x.client, sizeof(x.client), "%s", cl);
		assert_int_equal(wire_join_add(j, &x), 0);
	}
	wire_join_stats(j, &st);
	assert_true(st.id_trusted);
	/* forty at once with the same id; every fourth fails */
	for (int i = 0; i < 40; i++) {
		char up[32];

		snprintf(up, sizeof(up), "10.9.%d.%d:81", 1, i);
		x = mk(false, up, "/cart", "dup", 1000 + i * 2 + 1,
		    1000 + 100 + i * 2, i % 4 == 0 ? 502 : 200,
		    i % 4 == 0 ? GW_CAUSE_UPSTREAM_RESET : GW_CAUSE_OK);
		assert_int_equal(wire_join_add(j, &x), 0);
	}
	for (int i = 0; i < 40; i++) {
		x = mk(true, "10.0.0.1:80", "/cart", "dup", 1000 + i * 2,
		    1000 + 100 + i * 2, i % 4 == 0 ? 502 : 200, GW_CAUSE_OK);
		x.first_byte_us = x.end_us;
		snprintf(x.client, sizeof(x.client), "10.1.%d.%d", 1, i);
		assert_int_equal(wire_join_add(j, &x), 0);
	}
	assert_int_equal(wire_join_flush(j), 0);
	assert_int_equal(m->count, 60);
	assert_int_equal(m->bad, 0);
	assert_int_equal(m->n_att[1], 60);	/* one attempt each */
	for (int i = 20; i < 60; i++)
		assert_int_equal(m->cause[i], (i - 20) % 4 == 0 ?
		    GW_CAUSE_UPSTREAM_RESET : GW_CAUSE_OK);
	wire_join_free(j);
	free(m);
}

/*
 * No ids, or ids the gateway replaced: sixteen keep-alive clients on the
 * same paths at once, a prefix rewrite (/api/x -> /v2/x), failures among
 * them, and a gateway-made 503 (rate limit: no upstream) in the middle;
 * every request gets exactly its own attempt, the 503 none.
 */
static void
test_join_no_ids(void **state)
{
	struct many *m = calloc(1, sizeof(*m));
	struct wire_join *j = wire_join_new(NULL, on_many, m);
	struct wire_join_stats st;
	struct http_exchange x;
	int n = 0;

	(void)state;
	assert_non_null(j);
	for (int round = 0; round < 20; round++) {
		int64_t t0 = 100000 + round * 50;

		/* 16 concurrent requests, started 1 ms apart, answered in
		 * reverse order (the slowest upstream was asked first) */
		for (int c = 0; c < 16; c++) {
			char up[32], id[16];
			bool fail = (round + c) % 5 == 0;

			snprintf(up, sizeof(up), "10.9.%d.%d:81", round, c);
			snprintf(id, sizeof(id), "gen%d", n + c);
			x = mk(false, up, c % 2 ? "/v2/users" : "/v2/orders",
			    id, t0 + c + 1, t0 + 40 - c, fail ? 502 : 200,
			    fail ? GW_CAUSE_UPSTREAM_CLOSED_EARLY : GW_CAUSE_OK);
			x.has_query = true;
			snprintf(x.query, sizeof(x.query), "page=%d", c % 3);
			assert_int_equal(wire_join_add(j, &x), 0);
		}
		for (int c = 15; c >= 0; c--) {
			bool fail = (round + c) % 5 == 0;
			char id[16];

			snprintf(id, sizeof(id), "client%d", n + c);
			x = mk(true, "10.0.0.1:80", c % 2 ? "/api/users" :
			    "/api/orders", id, t0 + c, t0 + 40 - c, fail ? 502 :
			    200, GW_CAUSE_OK);
			x.first_byte_us = x.end_us;
			x.has_query = true;
			snprintf(x.query, sizeof(x.query), "page=%d", c % 3);
			snprintf(x.client, sizeof(x.client), "10.1.%d.%d",
			    round, c);
			assert_int_equal(wire_join_add(j, &x), 0);
			if (c == 8) {	/* the gateway's own 503 */
				x = mk(true, "10.0.0.1:80", "/api/users", "",
				    t0 + 30, t0 + 30, 503, GW_CAUSE_OK);
				x.has_query = true;
				snprintf(x.query, sizeof(x.query), "page=1");
				snprintf(x.client, sizeof(x.client),
				    "10.1.250.%d", round);
				assert_int_equal(wire_join_add(j, &x), 0);
			}
		}
		n += 16;
	}
	assert_int_equal(wire_join_flush(j), 0);
	wire_join_stats(j, &st);
	assert_int_equal(m->count, 20 * 17);
	assert_int_equal(m->bad, 0);
	assert_int_equal(m->n_att[1], 20 * 16);
	assert_int_equal(m->n_att[0], 20);	/* the 503s: no upstream */
	assert_false(st.id_trusted);
	assert_int_equal(st.upstream_untied, 0);
	for (int i = 0; i < m->count && i < 4096; i++)
		if (strncmp(m->path[i], "10.1.250.", 9) == 0)
			assert_int_equal(m->cause[i], GW_CAUSE_UNKNOWN);
	wire_join_free(j);
	free(m);
}

/* A wire cause never lands on a request whose answer was not a failure. */
static void
test_join_cause_only_on_failures(void **state)
{
	struct http_exchange d, a;
	const struct http_exchange *att[1] = {&a};

	(void)state;
	d = mk(true, "10.0.0.1:80", "/x", "", 0, 10, 200, GW_CAUSE_OK);
	a = mk(false, "10.0.0.2:81", "/x", "", 1, 2, 502,
	    GW_CAUSE_UPSTREAM_REFUSED);
	assert_int_equal(wire_join_cause(&d, att, 1, false), GW_CAUSE_OK);
	assert_int_equal(wire_join_cause(&d, att, 1, true), GW_CAUSE_OK);
	d.status = 9;	/* nginx relayed a non-HTTP answer */
	a.status = 9;
	a.cause = GW_CAUSE_UPSTREAM_INVALID_RESPONSE;
	assert_int_equal(wire_join_cause(&d, att, 1, false),
	    GW_CAUSE_UPSTREAM_INVALID_RESPONSE);
	d.status = 500;
	assert_int_equal(wire_join_cause(&d, att, 1, true),
	    GW_CAUSE_AUTH_FAILURE);
	d.status = 499;
	d.cause = GW_CAUSE_CLIENT_CLOSED;
	assert_int_equal(wire_join_cause(&d, att, 1, false),
	    GW_CAUSE_CLIENT_CLOSED);
}

/*
 * nginx auth_request: a GET to the auth service carrying X-Original-URI
 * before the real upstream. Passed: not an attempt of the request (but
 * tied, so not "untied"). Failed (503): the client's 500 is auth_failure
 * with the auth service as its attempt.
 */
static void
test_join_auth(void **state)
{
	struct joined got;
	struct wire_join *j;
	struct wire_join_stats st;
	struct http_exchange x;

	(void)state;
	memset(&got, 0, sizeof(got));
	j = wire_join_new(NULL, on_joined, &got);
	assert_non_null(j);
	x = mk(false, "10.0.0.5:90", "/_auth", "", 1001, 1002, 200,
	    GW_CAUSE_OK);
	snprintf(x.orig_uri, sizeof(x.orig_uri), "/authed/me?x=1");
	wire_join_add(j, &x);
	x = mk(false, "10.0.0.6:81", "/authed/me", "", 1003, 1005, 200,
	    GW_CAUSE_OK);
	x.has_query = true;
	snprintf(x.query, sizeof(x.query), "x=1");
	wire_join_add(j, &x);
	x = mk(true, "10.0.0.1:80", "/authed/me", "", 1000, 1006, 200,
	    GW_CAUSE_OK);
	x.has_query = true;
	snprintf(x.query, sizeof(x.query), "x=1");
	wire_join_add(j, &x);
	assert_int_equal(got.count, 1);
	assert_int_equal(got.n, 1);
	assert_string_equal(got.att[0].server, "10.0.0.6:81");
	assert_int_equal(got.cause, GW_CAUSE_OK);

	x = mk(false, "10.0.0.5:90", "/_auth", "", 2001, 2002, 503,
	    GW_CAUSE_UPSTREAM_5XX);
	snprintf(x.orig_uri, sizeof(x.orig_uri), "/authed/me");
	wire_join_add(j, &x);
	x = mk(true, "10.0.0.1:80", "/authed/me", "", 2000, 2003, 500,
	    GW_CAUSE_OK);
	wire_join_add(j, &x);
	wire_join_flush(j);
	assert_int_equal(got.count, 2);
	assert_int_equal(got.n, 1);
	assert_string_equal(got.att[0].server, "10.0.0.5:90");
	assert_int_equal(got.cause, GW_CAUSE_AUTH_FAILURE);
	wire_join_stats(j, &st);
	assert_int_equal(st.tied_auth, 2);
	assert_int_equal(st.upstream_untied, 0);
	wire_join_free(j);
}

/*
 * 100,000 exchanges pending at once on one path: every request starts
 * before any answer; then each upstream answers and its client's answer
 * follows. Each tie is found without walking the others (no walk reaches
 * its step bound); the figure of its speed is in `make bench`.
 */
static void
test_join_many_pending(void **state)
{
	struct many *m = calloc(1, sizeof(*m));
	struct wire_join *j = wire_join_new(NULL, on_many, m);
	struct wire_join_stats st;
	struct http_exchange x;
	const int n = 100000;

	(void)state;
	assert_non_null(j);
	for (int i = 0; i < n; i++) {
		x = mk(false, "10.9.0.0:81", "/p", "", 0, 0, 200, GW_CAUSE_OK);
		snprintf(x.server, sizeof(x.server), "10.9.%d.%d:81",
		    i / 250, i % 250);
		x.start_us = 1000000 + i * 10 + 5;
		x.end_us = 3000000 + i * 10;
		x.first_byte_us = x.end_us - 1;
		assert_int_equal(wire_join_add(j, &x), 0);
		x = mk(true, "10.0.0.1:80", "/p", "", 0, 0, 200, GW_CAUSE_OK);
		snprintf(x.client, sizeof(x.client), "10.1.%d.%d", i / 250,
		    i % 250);
		x.start_us = 1000000 + i * 10;
		x.first_byte_us = 3000000 + i * 10 + 3;
		x.end_us = 3000000 + i * 10 + 4;
		assert_int_equal(wire_join_add(j, &x), 0);
	}
	assert_int_equal(wire_join_flush(j), 0);
	wire_join_stats(j, &st);
	assert_int_equal(m->count, n);
	assert_int_equal(m->bad, 0);
	assert_int_equal(m->n_att[1], n);
	assert_int_equal(st.scan_capped, 0);
	wire_join_free(j);
	free(m);
}

/*
 * Three concurrent requests on one path time out (504 after 1 s). The
 * first one's upstream exchange is reported after its client's answer
 * (the upstream's FIN came later), so that request is held; the second's
 * answer comes after the first upstream exchange is in, and would fit it
 * within the stamps' jitter: it must not take it from the held one.
 */
static void
test_join_late_exchange_kept(void **state)
{
	struct many *m = calloc(1, sizeof(*m));
	struct wire_join *j = wire_join_new(NULL, on_many, m);
	struct http_exchange x;

	(void)state;
	assert_non_null(j);
	/* d0 (10.1.0.0) answered first; its upstream not reported yet */
	x = mk(true, "10.0.0.1:80", "/slow", "", 0, 0, 504, GW_CAUSE_OK);
	snprintf(x.client, sizeof(x.client), "10.1.0.0");
	x.start_us = x.ready_us = 1000000;
	x.first_byte_us = x.end_us = 2002052;
	assert_int_equal(wire_join_add(j, &x), 0);
	assert_int_equal(m->count, 0);
	/* u0 reported now; then d1 (started 193 us after u0) answers */
	x = mk(false, "10.9.0.0:81", "/slow", "", 0, 0, 504,
	    GW_CAUSE_UPSTREAM_READ_TIMEOUT);
	x.start_us = x.ready_us = 1000394;
	x.end_us = 2001976;
	assert_int_equal(wire_join_add(j, &x), 0);
	x = mk(true, "10.0.0.1:80", "/slow", "", 0, 0, 504, GW_CAUSE_OK);
	snprintf(x.client, sizeof(x.client), "10.1.0.1");
	x.start_us = x.ready_us = 1000587;
	x.first_byte_us = x.end_us = 2002130;
	assert_int_equal(wire_join_add(j, &x), 0);
	/* ... and only then d1's own exchange */
	x = mk(false, "10.9.0.1:81", "/slow", "", 0, 0, 504,
	    GW_CAUSE_UPSTREAM_READ_TIMEOUT);
	x.start_us = x.ready_us = 1000722;
	x.end_us = 2002115;
	assert_int_equal(wire_join_add(j, &x), 0);
	assert_int_equal(wire_join_flush(j), 0);
	assert_int_equal(m->count, 2);
	assert_int_equal(m->bad, 0);
	assert_int_equal(m->n_att[1], 2);
	wire_join_free(j);
	free(m);
}

/*
 * A success held because its upstream exchange was reported after its
 * answer (a body that went on, the connection closed late), while the
 * gateway served the same request a thousand times more during the hold:
 * its release must find its own exchange, not stop at the step bound
 * among the thousand that came after (parse/wire_join.c: the held
 * request's marker, the late chain).
 */
static void
test_join_held_under_load(void **state)
{
	struct joined got;
	struct wire_join *j;
	struct wire_join_stats st;
	struct http_exchange x;

	(void)state;
	memset(&got, 0, sizeof(got));
	assert_non_null(j = wire_join_new(NULL, on_joined, &got));
	x = mk(true, "10.0.0.1:80", "/small", "", 0, 0, 200, GW_CAUSE_OK);
	x.start_us = x.ready_us = 1000000;
	x.first_byte_us = x.end_us = 1000400;
	assert_int_equal(wire_join_add(j, &x), 0);
	assert_int_equal(got.count, 0);		/* held: nothing there yet */
	/* its own exchange: answer begun at 1000300, reported 30 ms on */
	x = mk(false, "10.0.0.9:81", "/small", "", 0, 0, 200, GW_CAUSE_OK);
	x.start_us = x.ready_us = 1000100;
	x.first_byte_us = 1000300;
	x.end_us = 1030000;
	assert_int_equal(wire_join_add(j, &x), 0);
	/* a thousand more of the same request, all after its answer */
	for (int i = 0; i < 1000; i++) {
		x = mk(false, "10.0.0.9:81", "/small", "", 0, 0, 200,
		    GW_CAUSE_OK);
		x.start_us = x.ready_us = 1040000 + i * 1000;
		x.first_byte_us = x.end_us = x.start_us + 200;
		assert_int_equal(wire_join_add(j, &x), 0);
	}
	assert_int_equal(wire_join_advance(j, 5000000), 0);
	assert_int_equal(got.count, 1);
	assert_int_equal(got.n, 1);
	assert_int_equal(got.att[0].start_us, 1000100);
	wire_join_stats(j, &st);
	assert_int_equal(st.tied_match, 1);
	assert_int_equal(st.scan_capped, 0);
	assert_int_equal(wire_join_flush(j), 0);
	wire_join_free(j);
}

/*
 * nginx's own "no live upstreams" 502, answered an instant before another
 * request's connect was refused (also a 502): the refused connect belongs
 * to the request answered after it, never to the gateway's own refusal.
 */
static void
test_join_refusal_not_blamed(void **state)
{
	struct many *m = calloc(1, sizeof(*m));
	struct wire_join *j = wire_join_new(NULL, on_many, m);
	struct http_exchange x;

	(void)state;
	assert_non_null(j);
	/* the refused request 10.1.0.0 and the no-live one 10.1.0.1 */
	x = mk(false, "10.9.0.0:81", NULL, "", 0, 0, 502,
	    GW_CAUSE_UPSTREAM_REFUSED);
	x.start_us = x.ready_us = 1000300;
	x.end_us = 1000306;
	assert_int_equal(wire_join_add(j, &x), 0);
	x = mk(true, "10.0.0.1:80", "/down/x", "", 0, 0, 502, GW_CAUSE_OK);
	snprintf(x.client, sizeof(x.client), "10.1.0.1");
	x.start_us = x.ready_us = 1000250;
	x.first_byte_us = x.end_us = 1000290;	/* before the RST */
	assert_int_equal(wire_join_add(j, &x), 0);
	x = mk(true, "10.0.0.1:80", "/refuse/x", "", 0, 0, 502, GW_CAUSE_OK);
	snprintf(x.client, sizeof(x.client), "10.1.0.0");
	x.start_us = x.ready_us = 1000100;
	x.first_byte_us = x.end_us = 1000700;
	assert_int_equal(wire_join_add(j, &x), 0);
	assert_int_equal(wire_join_flush(j), 0);
	assert_int_equal(m->count, 2);
	assert_int_equal(m->bad, 0);
	assert_int_equal(m->n_att[1], 1);	/* the refused request */
	assert_int_equal(m->n_att[0], 1);	/* the gateway's own 502 */
	wire_join_free(j);
	free(m);
}

/*
 * The swap seen in wire_tie_e2e under load (regime a): nginx's own "no
 * live upstreams" 502 for /down and a refused /refuse request are
 * answered 65 us apart, both right after the /refuse request's connect was
 * refused. Time alone cannot say whose it is (the gateway's own 502 came
 * out first, the closest): it is tied to neither, and counted, rather
 * than blamed on the gateway's own refusal.
 */
static void
test_join_conn_ambiguous(void **state)
{
	struct many *m = calloc(1, sizeof(*m));
	struct wire_join *j = wire_join_new(NULL, on_many, m);
	struct wire_join_stats st;
	struct http_exchange x;

	(void)state;
	assert_non_null(j);
	x = mk(false, "10.9.0.0:81", NULL, "", 0, 0, 502,
	    GW_CAUSE_UPSTREAM_REFUSED);
	x.start_us = x.ready_us = 1000320;
	x.end_us = 1000324;
	assert_int_equal(wire_join_add(j, &x), 0);
	x = mk(true, "10.0.0.1:80", "/down/x", "", 0, 0, 502, GW_CAUSE_OK);
	snprintf(x.client, sizeof(x.client), "10.1.0.1");
	x.start_us = x.ready_us = 1000237;
	x.first_byte_us = x.end_us = 1000451;
	assert_int_equal(wire_join_add(j, &x), 0);
	x = mk(true, "10.0.0.1:80", "/refuse/x", "", 0, 0, 502, GW_CAUSE_OK);
	snprintf(x.client, sizeof(x.client), "10.1.0.0");
	x.start_us = x.ready_us = 1000110;
	x.first_byte_us = x.end_us = 1000516;
	assert_int_equal(wire_join_add(j, &x), 0);
	assert_int_equal(wire_join_flush(j), 0);
	wire_join_stats(j, &st);
	assert_int_equal(m->count, 2);
	assert_int_equal(m->bad, 0);		/* the 502 of /down not blamed */
	assert_int_equal(m->n_att[0], 2);	/* tied to neither */
	assert_int_equal(st.conn_ambiguous, 1);
	assert_int_equal(st.upstream_untied, 1);
	wire_join_free(j);
	free(m);
}

/*
 * Two refused requests of different routes answered 90 us apart, each
 * right after its own refused connect: the first connect is near both,
 * but the second request has a closer one of its own (and the first
 * cannot have the second's, refused after it answered). Both are tied,
 * each to its own: the precision rule leaves alone what time can tell.
 */
static void
test_join_conn_own_closer(void **state)
{
	struct many *m = calloc(1, sizeof(*m));
	struct wire_join *j = wire_join_new(NULL, on_many, m);
	struct wire_join_stats st;
	struct http_exchange x;

	(void)state;
	assert_non_null(j);
	x = mk(false, "10.9.0.0:81", NULL, "", 0, 0, 502,
	    GW_CAUSE_UPSTREAM_REFUSED);
	x.start_us = x.ready_us = 1000296;
	x.end_us = 1000300;
	assert_int_equal(wire_join_add(j, &x), 0);
	x = mk(true, "10.0.0.1:80", "/a/x", "", 0, 0, 502, GW_CAUSE_OK);
	snprintf(x.client, sizeof(x.client), "10.1.0.0");
	x.start_us = x.ready_us = 1000100;
	x.first_byte_us = x.end_us = 1000330;
	assert_int_equal(wire_join_add(j, &x), 0);
	x = mk(false, "10.9.0.1:81", NULL, "", 0, 0, 502,
	    GW_CAUSE_UPSTREAM_REFUSED);
	x.start_us = x.ready_us = 1000376;
	x.end_us = 1000380;
	assert_int_equal(wire_join_add(j, &x), 0);
	x = mk(true, "10.0.0.1:80", "/b/x", "", 0, 0, 502, GW_CAUSE_OK);
	snprintf(x.client, sizeof(x.client), "10.1.0.1");
	x.start_us = x.ready_us = 1000150;
	x.first_byte_us = x.end_us = 1000420;
	assert_int_equal(wire_join_add(j, &x), 0);
	assert_int_equal(wire_join_flush(j), 0);
	wire_join_stats(j, &st);
	assert_int_equal(m->count, 2);
	assert_int_equal(m->bad, 0);
	assert_int_equal(m->n_att[1], 2);
	assert_int_equal(st.conn_ambiguous, 0);
	wire_join_free(j);
	free(m);
}

/* A refused connect and a failed client request answered after it. */
static void
add_refused(struct wire_join *j, const char *server, const char *client,
    const char *path, int64_t syn_us, int64_t ready_us, int64_t answer_us,
    int status)
{
	struct http_exchange x;

	x = mk(false, server, NULL, "", 0, 0, 502, GW_CAUSE_UPSTREAM_REFUSED);
	x.start_us = x.ready_us = syn_us;
	x.end_us = syn_us + 4;
	assert_int_equal(wire_join_add(j, &x), 0);
	if (client == NULL)
		return;
	x = mk(true, "10.0.0.1:80", path, "", 0, 0, status, GW_CAUSE_OK);
	snprintf(x.client, sizeof(x.client), "%s", client);
	x.start_us = x.ready_us = ready_us;
	x.first_byte_us = x.end_us = answer_us;
	assert_int_equal(wire_join_add(j, &x), 0);
}

/*
 * HAProxy answers a refused connect with 503, nginx with 502: the status
 * a gateway port gives is learned from the connects it ties. After three
 * refused connects answered 503, a refused connect followed by a 503 of
 * its route (900 us on) and, closer, a gateway's own 502 of another route
 * (the status nginx would give) goes to the 503, not to the 502.
 */
static void
test_join_status_learned(void **state)
{
	struct many *m = calloc(1, sizeof(*m));
	struct wire_join *j = wire_join_new(NULL, on_many, m);
	struct http_exchange x;

	(void)state;
	assert_non_null(j);
	for (int k = 0; k < 3; k++) {
		char server[32], client[32];
		int64_t t = 1000000 + k * 100000;

		snprintf(server, sizeof(server), "10.9.0.%d:81", k);
		snprintf(client, sizeof(client), "10.1.0.%d", k);
		add_refused(j, server, client, "/refuse/x", t + 300, t + 100,
		    t + 500, 503);
	}
	add_refused(j, "10.9.1.1:81", NULL, NULL, 2000300, 0, 0, 0);
	x = mk(true, "10.0.0.1:80", "/nolive/x", "", 0, 0, 502, GW_CAUSE_OK);
	snprintf(x.client, sizeof(x.client), "10.1.1.9");
	x.start_us = x.ready_us = 2000250;
	x.first_byte_us = x.end_us = 2000400;
	assert_int_equal(wire_join_add(j, &x), 0);
	x = mk(true, "10.0.0.1:80", "/refuse/x", "", 0, 0, 503, GW_CAUSE_OK);
	snprintf(x.client, sizeof(x.client), "10.1.1.1");
	x.start_us = x.ready_us = 2000100;
	x.first_byte_us = x.end_us = 2001200;
	assert_int_equal(wire_join_add(j, &x), 0);
	assert_int_equal(wire_join_flush(j), 0);
	assert_int_equal(m->count, 5);
	assert_int_equal(m->bad, 0);		/* the 502 not blamed */
	assert_int_equal(m->n_att[1], 4);
	assert_int_equal(m->n_att[0], 1);
	wire_join_free(j);
	free(m);
}

/*
 * HAProxy's 502 for an upstream that closed after the request can reach
 * the client before the upstream exchange's end is seen: the request is
 * held without an attempt. A refused connect of another route's request
 * (its 503, at HAProxy's status, not learned yet) is not that 502's to
 * take once its own request turned up upstream: each gets its own.
 */
static void
test_join_own_request_late(void **state)
{
	struct many *m = calloc(1, sizeof(*m));
	struct wire_join *j = wire_join_new(NULL, on_many, m);
	struct http_exchange x;

	(void)state;
	assert_non_null(j);
	add_refused(j, "10.9.0.0:81", "10.1.0.0", "/refuse/x", 1000300,
	    1000100, 1000500, 503);
	x = mk(true, "10.0.0.1:80", "/close/x", "", 0, 0, 502, GW_CAUSE_OK);
	snprintf(x.client, sizeof(x.client), "10.1.0.1");
	x.start_us = x.ready_us = 1000200;
	x.first_byte_us = x.end_us = 1000700;
	assert_int_equal(wire_join_add(j, &x), 0);
	x = mk(false, "10.9.0.1:81", "/close/x", "", 0, 0, 502,
	    GW_CAUSE_UPSTREAM_CLOSED_EARLY);
	x.start_us = x.ready_us = 1000250;
	x.end_us = 1000800;
	assert_int_equal(wire_join_add(j, &x), 0);
	assert_int_equal(wire_join_flush(j), 0);
	assert_int_equal(m->count, 2);
	assert_int_equal(m->bad, 0);
	assert_int_equal(m->n_att[1], 2);
	wire_join_free(j);
	free(m);
}

/*
 * Two refused requests of one route answered 280 us apart (Caddy, regime
 * b of wire_tie_caddy_e2e): the first answered is closer to the second's
 * connect than to its own, but the second has no other to take while the
 * first has: each gets its own.
 */
static void
test_join_conn_alternative(void **state)
{
	struct many *m = calloc(1, sizeof(*m));
	struct wire_join *j = wire_join_new(NULL, on_many, m);
	struct http_exchange x;

	(void)state;
	assert_non_null(j);
	add_refused(j, "10.9.0.0:81", NULL, NULL, 1448169, 0, 0, 0);
	add_refused(j, "10.9.0.1:81", NULL, NULL, 1448928, 0, 0, 0);
	x = mk(true, "10.0.0.1:80", "/refuse/x", "", 0, 0, 502, GW_CAUSE_OK);
	snprintf(x.client, sizeof(x.client), "10.1.0.0");
	x.start_us = x.ready_us = 1448075;
	x.first_byte_us = x.end_us = 1449036;
	assert_int_equal(wire_join_add(j, &x), 0);
	x = mk(true, "10.0.0.1:80", "/refuse/x", "", 0, 0, 502, GW_CAUSE_OK);
	snprintf(x.client, sizeof(x.client), "10.1.0.1");
	x.start_us = x.ready_us = 1448852;
	x.first_byte_us = x.end_us = 1449316;
	assert_int_equal(wire_join_add(j, &x), 0);
	assert_int_equal(wire_join_flush(j), 0);
	assert_int_equal(m->count, 2);
	assert_int_equal(m->bad, 0);
	assert_int_equal(m->n_att[1], 2);
	wire_join_free(j);
	free(m);
}

/*
 * HAProxy regime c of wire_tie_haproxy_e2e, first burst (nothing learned
 * yet: no status, no route's servers): a refused connect, a /refuse 503
 * 28 us after its RST and a <NOSRV> 503 of /nolive 76 us after it, as
 * close within AMBIG_US. The /nolive request was pipelined behind the
 * /refuse one on the same keep-alive connection: HAProxy took it up only
 * once it had answered /refuse, 38 us after the SYN. The connect began
 * before it could be the /nolive request's: it is the /refuse request's,
 * and the gateway's own refusal is not blamed.
 */
static void
test_join_conn_before_ready(void **state)
{
	struct many *m = calloc(1, sizeof(*m));
	struct wire_join *j = wire_join_new(NULL, on_many, m);
	struct http_exchange x;

	(void)state;
	assert_non_null(j);
	add_refused(j, "10.9.0.0:81", "10.1.0.0", "/refuse/x", 1000000,
	    999904, 1000038, 503);
	x = mk(true, "10.0.0.1:80", "/nolive/x", "", 0, 0, 503, GW_CAUSE_OK);
	snprintf(x.client, sizeof(x.client), "10.1.1.9");
	x.start_us = 541411;
	x.ready_us = 1000038;
	x.first_byte_us = x.end_us = 1000086;
	assert_int_equal(wire_join_add(j, &x), 0);
	assert_int_equal(wire_join_flush(j), 0);
	assert_int_equal(m->count, 2);
	assert_int_equal(m->bad, 0);
	assert_int_equal(m->n_att[1], 1);
	assert_int_equal(m->n_att[0], 1);
	wire_join_free(j);
	free(m);
}

/*
 * The same capture, 3 ms on: a <NOSRV> 503 answered 330 us after a
 * refused connect that began 181 us before HAProxy could take the /nolive
 * request up (the previous answer on its connection), closer than the
 * /refuse 503 (600 us) whose connect it was; a second /refuse request
 * (taken up after that connect) has only the later connect. The gateway's
 * refusal is not blamed, and each /refuse request gets its own connect.
 */
static void
test_join_conn_before_ready_blame(void **state)
{
	struct many *m = calloc(1, sizeof(*m));
	struct wire_join *j = wire_join_new(NULL, on_many, m);
	struct http_exchange x;

	(void)state;
	assert_non_null(j);
	add_refused(j, "10.9.0.0:81", NULL, NULL, 1919393, 0, 0, 0);
	x = mk(true, "10.0.0.1:80", "/nolive/x", "", 0, 0, 503, GW_CAUSE_OK);
	snprintf(x.client, sizeof(x.client), "10.1.1.9");
	x.start_us = 1917407;
	x.ready_us = 1919574;
	x.first_byte_us = x.end_us = 1919722;
	assert_int_equal(wire_join_add(j, &x), 0);
	add_refused(j, "10.9.0.1:81", NULL, NULL, 1919967, 0, 0, 0);
	x = mk(true, "10.0.0.1:80", "/refuse/x", "", 0, 0, 503, GW_CAUSE_OK);
	snprintf(x.client, sizeof(x.client), "10.1.0.0");
	x.start_us = x.ready_us = 1918725;
	x.first_byte_us = x.end_us = 1920008;
	assert_int_equal(wire_join_add(j, &x), 0);
	x = mk(true, "10.0.0.1:80", "/refuse/x", "", 0, 0, 503, GW_CAUSE_OK);
	snprintf(x.client, sizeof(x.client), "10.1.0.1");
	x.start_us = x.ready_us = 1919747;
	x.first_byte_us = x.end_us = 1920372;
	assert_int_equal(wire_join_add(j, &x), 0);
	assert_int_equal(wire_join_flush(j), 0);
	assert_int_equal(m->count, 3);
	assert_int_equal(m->bad, 0);
	assert_int_equal(m->n_att[1], 2);
	assert_int_equal(m->n_att[0], 1);
	wire_join_free(j);
	free(m);
}

/*
 * An unanswered SYN (a connect timeout whose give-up the wire did not
 * see) could be an earlier attempt of a refused request that began 100 ms
 * after it, or the last attempt of the request answered 504 300 ms after
 * it (nginx, wire_tie_e2e): the request that has no other tie keeps it.
 */
static void
test_join_unsure_kept_as_last(void **state)
{
	struct many *m = calloc(1, sizeof(*m));
	struct wire_join *j = wire_join_new(NULL, on_many, m);
	struct http_exchange x;

	(void)state;
	assert_non_null(j);
	add_refused(j, "10.9.0.0:81", "10.1.0.0", "/refuse/x", 1100000, 990000,
	    1100300, 502);
	x = mk(true, "10.0.0.1:80", "/blackhole/x", "", 0, 0, 504, GW_CAUSE_OK);
	snprintf(x.client, sizeof(x.client), "10.1.0.1");
	x.start_us = x.ready_us = 998500;
	x.first_byte_us = x.end_us = 1311000;
	assert_int_equal(wire_join_add(j, &x), 0);
	x = mk(false, "10.9.0.1:81", NULL, "", 0, 0, 504,
	    GW_CAUSE_UPSTREAM_CONNECT_TIMEOUT);
	x.start_us = x.ready_us = 1000000;
	x.end_us = 2500000;
	x.end_unsure = true;
	assert_int_equal(wire_join_add(j, &x), 0);
	assert_int_equal(wire_join_flush(j), 0);
	assert_int_equal(m->count, 2);
	assert_int_equal(m->bad, 0);
	assert_int_equal(m->n_att[1], 2);
	wire_join_free(j);
	free(m);
}

/*
 * The key of a request is its method, last segment and query: /close/x?i=17
 * and /refuse/x?i=17 share it (wire_tie_haproxy_e2e under load). The
 * /close request's exchange, seen 2 us after its 502, is not the held
 * /refuse request's to take (another path, no rewrite learned): /close
 * keeps it, and /refuse gets its refused connect.
 */
static void
test_join_same_key_other_path(void **state)
{
	struct many *m = calloc(1, sizeof(*m));
	struct wire_join *j = wire_join_new(NULL, on_many, m);
	struct http_exchange x;

	(void)state;
	assert_non_null(j);
	add_refused(j, "10.9.0.2:81", NULL, NULL, 1244768, 0, 0, 0);
	x = mk(true, "10.0.0.1:80", "/close/x", "", 0, 0, 502, GW_CAUSE_OK);
	snprintf(x.client, sizeof(x.client), "10.1.0.1");
	x.has_query = true;
	snprintf(x.query, sizeof(x.query), "i=17");
	x.start_us = x.ready_us = 1232745;
	x.first_byte_us = x.end_us = 1257890;
	assert_int_equal(wire_join_add(j, &x), 0);
	x = mk(false, "10.9.0.1:81", "/close/x", "", 0, 0, 502,
	    GW_CAUSE_UPSTREAM_CLOSED_EARLY);
	x.has_query = true;
	snprintf(x.query, sizeof(x.query), "i=17");
	x.start_us = x.ready_us = 1257570;
	x.end_us = 1257686;
	assert_int_equal(wire_join_add(j, &x), 0);
	x = mk(true, "10.0.0.1:80", "/refuse/x", "", 0, 0, 502, GW_CAUSE_OK);
	snprintf(x.client, sizeof(x.client), "10.1.0.2");
	x.has_query = true;
	snprintf(x.query, sizeof(x.query), "i=17");
	x.start_us = x.ready_us = 1244673;
	x.first_byte_us = x.end_us = 1263231;
	assert_int_equal(wire_join_add(j, &x), 0);
	assert_int_equal(wire_join_flush(j), 0);
	assert_int_equal(m->count, 2);
	assert_int_equal(m->bad, 0);
	assert_int_equal(m->n_att[1], 2);
	wire_join_free(j);
	free(m);
}

/* An exchange becomes an event with one attempt, strings in the arena. */
static void
test_event(void **state)
{
	struct run *r = play("basic", 0);
	struct gw_batch b;
	const struct http_exchange *self = &r->x[0];

	(void)state;
	assert_int_equal(batch_init(&b), 0);
	assert_int_equal(http_event_add(&b, self, &self, 1, self->cause), 0);
	assert_int_equal(b.n_events, 1);
	struct gw_event *e = &b.events[0];
	assert_string_equal(e->method, "GET");
	assert_string_equal(e->path, "/a");
	assert_string_equal(e->query, "x=1");
	assert_string_equal(e->host, "api.test");
	assert_string_equal(e->client, "10.0.0.1");
	assert_int_equal(e->status, 200);
	assert_int_equal(e->cause, GW_CAUSE_OK);
	assert_int_equal(e->n_attempts, 1);
	assert_string_equal(e->attempts[0].addr, "10.0.0.5:8080");
	assert_int_equal(e->attempts[0].connect_ms, 1);
	assert_int_equal(e->attempts[0].header_ms, 2);
	assert_int_equal(e->ts_ms, r->x[0].end_us / 1000);
	batch_destroy(&b);
	done(r);
}

/*
 * A claimed upstream record whose downstream lingers (its end far ahead,
 * as a hostile capture can say) must not keep the join from letting go
 * of the unclaimed records behind it: memory stays bounded.
 */
static void
test_join_bounded_behind_claimed(void **state)
{
	struct wire_join_opts o = { .hold_us = 1000000, .max_up = 8 };
	struct joined got;
	struct wire_join *j;
	struct wire_join_stats st;
	struct http_exchange x;

	(void)state;
	memset(&got, 0, sizeof(got));
	j = wire_join_new(&o, on_joined, &got);
	assert_non_null(j);
	/* The upstream attempt first, then its client's 502 ending far ahead. */
	x = mk(false, "10.0.0.9:81", "/slow", "id-1", 1000, 1001, 502,
	    GW_CAUSE_UPSTREAM_RESET);
	assert_int_equal(wire_join_add(j, &x), 0);
	x = mk(true, "10.0.0.1:80", "/slow", "id-1", 1000, 900000000, 502,
	    GW_CAUSE_OK);
	assert_int_equal(wire_join_add(j, &x), 0);
	/* Then many upstream exchanges no client will claim. */
	for (int i = 0; i < 200; i++) {
		char path[32];
		snprintf(path, sizeof(path), "/health/%d", i);
		x = mk(false, "10.0.0.10:81", path, "", 2000 + i, 2001 + i, 200,
		    GW_CAUSE_OK);
		assert_int_equal(wire_join_add(j, &x), 0);
		assert_int_equal(wire_join_advance(j, (2001 + i) * 1000LL), 0);
	}
	wire_join_stats(j, &st);
	/* At most max_held unclaimed ones may still be held. */
	assert_true(st.upstream_untied >= 200 - 8);
	assert_int_equal(wire_join_flush(j), 0);
	wire_join_free(j);
}

/* http_emit_fn for test_pending_budget: count, keep the answered one. */
static void
count_x(void *ctx, const struct http_exchange *x)
{
	struct run *r = ctx;

	if (x->status == 200)
		r->x[0] = *x;
	r->n++;
}

/*
 * Crafted traffic cannot make the pending state grow without bound
 * (issue 16, finding 2): 40 connections each pipelining 10 requests that
 * are never answered, against a budget of 100 held requests in all. The
 * connections holding the most are given up; every request is either
 * emitted or counted as dropped; a connection that was answered in the
 * middle of it still gives its exchange.
 */
static void
test_pending_budget(void **state)
{
	struct run *r = calloc(1, sizeof(*r));
	struct http_opts ho = { .pending_max = 100 };
	struct tcp_handler th;
	struct http_stats st;
	struct pg g;
	struct pg_conn c, ok;
	char burst[10 * sizeof(PG_REQ("/h"))];

	(void)state;
	assert_non_null(r);
	burst[0] = '\0';
	for (int i = 0; i < 10; i++)
		strcat(burst, PG_REQ("/h"));
	r->h = http_tracker_new(&ho, count_x, r);
	assert_non_null(r->h);
	http_tracker_handler(r->h, &th);
	r->t = tcp_table_new(NULL, &th);
	assert_non_null(r->t);
	r->dlt = DLT_EN10MB;
	memset(&g, 0, sizeof(g));
	g.out = frame;
	g.ctx = r;
	g.dlt = DLT_EN10MB;
	g.family = 4;
	g.ts_us = INT64_C(1795601702000000);
	for (int i = 0; i < 40; i++) {
		pg_conn_init(&c, &g, 1 + i, (uint16_t)(30000 + i), 8080);
		pg_connect(&c);
		pg_send_str(&c, 0, burst);
		if (i == 20) {	/* a normal exchange in the middle */
			pg_conn_init(&ok, &g, 200, 41000, 8080);
			pg_connect(&ok);
			pg_send_str(&ok, 0, PG_REQ("/ok"));
			pg_send_str(&ok, 1, PG_OK("hello"));
			pg_close(&ok);
		}
	}
	http_tracker_stats(r->h, &st);
	assert_true(st.pending_peak <= 100);
	assert_true(st.budget_drops > 0);
	assert_true(st.conns_shed >= 30);
	tcp_table_flush(r->t, g.ts_us + 1000);
	http_tracker_stats(r->h, &st);
	assert_int_equal(st.requests, 401);
	assert_int_equal(st.pipeline_drops, 0);
	assert_int_equal((uint64_t)r->n + st.budget_drops, st.requests);
	assert_true(r->n <= 101);
	check(&r->x[0], "GET", "/ok", 200, GW_CAUSE_OK);
	assert_string_equal(r->x[0].client, "10.0.0.200");
	done(r);
}

/* Two exchanges are the same, field by field (strings as strings), and
 * in where their packets were. */
static void
same_exchange(const struct http_exchange *a, const struct http_exchange *b)
{
	check_same(a, b);
	assert_int_equal(a->pkt_no, b->pkt_no);
	assert_int_equal(a->pkt_offset, b->pkt_offset);
}

/* Fill s (room cap) with n bytes of c and a NUL. */
static void
fill_str(char *s, size_t cap, size_t n, char c)
{
	if (n > cap - 1)
		n = cap - 1;
	memset(s, c, n);
	s[n] = '\0';
}

/*
 * An exchange packed for the join thread (cli/capjoin.c) unpacks to the
 * same exchange: strings empty, of every length around the 8-byte words
 * and up to their arrays' last byte (protocol's 12 bytes are not a whole
 * number of words), every flag and number; records follow each other
 * aligned.
 */
static void
test_exchange_pack(void **state)
{
	static struct http_exchange x, y;
	static uint64_t buf[4096];
	size_t lens[] = {0, 1, 6, 7, 8, 9, 15, 16, 17, 55, 95, 127, 255, 511,
	    4096};

	(void)state;
	for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
		size_t l = lens[k], off = 0, n;

		memset(&x, 0xA5, sizeof(x));	/* bytes past the NULs */
		memset(&y, 0x5A, sizeof(y));
		fill_str(x.client, sizeof(x.client), l, 'c');
		fill_str(x.server, sizeof(x.server), l + 1, 's');
		fill_str(x.method, sizeof(x.method), l, 'm');
		fill_str(x.host, sizeof(x.host), l, 'h');
		fill_str(x.path, sizeof(x.path), l + 2, 'p');
		fill_str(x.query, sizeof(x.query), l, 'q');
		fill_str(x.request_id, sizeof(x.request_id), l, 'i');
		fill_str(x.orig_uri, sizeof(x.orig_uri), l + 3, 'o');
		fill_str(x.protocol, sizeof(x.protocol), l, 'v');
		x.downstream = k & 1;
		x.has_request = k & 2;
		x.incomplete = k & 4;
		x.conn_only = k & 8;
		x.unanswered = !(k & 1);
		x.end_unsure = !(k & 2);
		x.has_query = !(k & 4);
		x.syn_us = -1;
		x.synack_us = INT64_MAX - (int64_t)k;
		x.start_us = INT64_MIN + (int64_t)k;
		x.ready_us = 3;
		x.first_byte_us = 4;
		x.end_us = 5;
		x.client_port = 65535;
		x.server_port = (uint16_t)k;
		x.id_kind = -1;
		x.status = 504;
		x.body_bytes = -1;
		x.header_bytes = 7;
		x.cause = GW_CAUSE_UPSTREAM_RESET;
		x.pkt_no = UINT64_MAX;
		x.pkt_offset = k;
		/* twice in a row, then read back from where each began */
		n = http_exchange_pack(&x, buf);
		assert_int_equal(n % 8, 0);
		assert_true(n <= HTTP_EXCHANGE_PACK_MAX);
		assert_int_equal(http_exchange_pack(&x, (char *)buf + n), n);
		for (int r = 0; r < 2; r++) {
			assert_int_equal(http_exchange_unpack((char *)buf + off,
			    &y), n);
			same_exchange(&x, &y);
			off += n;
		}
	}
}

/*
 * IPv4 addresses are written by hand (once per connection): the same text
 * inet_ntop and "%s:%d" give, every octet and port width; IPv6 as before.
 */
static void
test_addr_text(void **state)
{
	static const uint8_t v4[][4] = {{0, 0, 0, 0}, {255, 255, 255, 255},
	    {10, 0, 0, 5}, {127, 0, 0, 1}, {1, 22, 203, 99}, {100, 9, 10, 0}};
	static const int ports[] = {-1, 0, 9, 10, 80, 443, 8080, 65535};
	uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8};
	char got[HTTP_ADDR_MAX], want[HTTP_ADDR_MAX], ip[24];

	(void)state;
	for (size_t i = 0; i < sizeof(v4) / sizeof(v4[0]); i++)
		for (size_t k = 0; k < sizeof(ports) / sizeof(ports[0]); k++) {
			snprintf(ip, sizeof(ip), "%u.%u.%u.%u", v4[i][0],
			    v4[i][1], v4[i][2], v4[i][3]);
			if (ports[k] < 0)
				snprintf(want, sizeof(want), "%s", ip);
			else
				snprintf(want, sizeof(want), "%s:%d", ip,
				    ports[k]);
			http_addr_text(got, sizeof(got), 4, v4[i], ports[k]);
			assert_string_equal(got, want);
		}
	v6[15] = 1;
	http_addr_text(got, sizeof(got), 6, v6, 8080);
	assert_string_equal(got, "[2001:db8::1]:8080");
	http_addr_text(got, sizeof(got), 6, v6, -1);
	assert_string_equal(got, "2001:db8::1");
}

/*
 * The hand-written IPv4 text against inet_ntop itself (what the code did
 * before), byte for byte: every value of every octet (the others 0, 51,
 * ... 255), ports at each width and out of range, and every buffer size
 * from 1 up (below 22 bytes the old path cuts the text, as before).
 */
static void
test_addr_text_ntop(void **state)
{
	static const int ports[] = {INT_MIN, -2, -1, 0, 1, 9, 10, 99, 100,
	    999, 1000, 9999, 10000, 65535, 65536, 100000, INT_MAX};
	char got[HTTP_ADDR_MAX + 8], want[HTTP_ADDR_MAX + 8];
	char ip[INET_ADDRSTRLEN];
	uint8_t a[4];

	(void)state;
	for (int pos = 0; pos < 4; pos++)
	for (int v = 0; v < 256; v++)
	for (int o = 0; o < 256; o += 51) {
		memset(a, o, sizeof(a));
		a[pos] = (uint8_t)v;
		assert_non_null(inet_ntop(AF_INET, a, ip, sizeof(ip)));
		for (size_t k = 0; k < sizeof(ports) / sizeof(ports[0]); k++)
		for (size_t size = 1; size <= sizeof(got); size++) {
			memset(got, 'x', sizeof(got));
			memset(want, 'x', sizeof(want));
			if (ports[k] < 0)
				snprintf(want, size, "%s", ip);
			else
				snprintf(want, size, "%s:%d", ip, ports[k]);
			http_addr_text(got, size, 4, a, ports[k]);
			assert_memory_equal(got, want, sizeof(got));
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic_fields),
		cmocka_unit_test(test_split_header),
		cmocka_unit_test(test_fast_same),
		cmocka_unit_test(test_packed_same),
		cmocka_unit_test(test_header_bytes),
		cmocka_unit_test(test_keepalive_mix),
		cmocka_unit_test(test_id_header),
		cmocka_unit_test(test_id_header_long),
		cmocka_unit_test(test_pipelining),
		cmocka_unit_test(test_body_framing),
		cmocka_unit_test(test_reassembled),
		cmocka_unit_test(test_gap_resync),
		cmocka_unit_test(test_wire_causes),
		cmocka_unit_test(test_join),
		cmocka_unit_test(test_header_too_big_joined),
		cmocka_unit_test(test_join_bounded_behind_claimed),
		cmocka_unit_test(test_join_same_id),
		cmocka_unit_test(test_join_no_ids),
		cmocka_unit_test(test_join_cause_only_on_failures),
		cmocka_unit_test(test_join_auth),
		cmocka_unit_test(test_join_many_pending),
		cmocka_unit_test(test_join_late_exchange_kept),
		cmocka_unit_test(test_join_held_under_load),
		cmocka_unit_test(test_join_refusal_not_blamed),
		cmocka_unit_test(test_join_conn_ambiguous),
		cmocka_unit_test(test_join_conn_own_closer),
		cmocka_unit_test(test_join_status_learned),
		cmocka_unit_test(test_join_own_request_late),
		cmocka_unit_test(test_join_conn_alternative),
		cmocka_unit_test(test_join_conn_before_ready),
		cmocka_unit_test(test_join_conn_before_ready_blame),
		cmocka_unit_test(test_join_unsure_kept_as_last),
		cmocka_unit_test(test_join_same_key_other_path),
		cmocka_unit_test(test_event),
		cmocka_unit_test(test_pending_budget),
		cmocka_unit_test(test_exchange_pack),
		cmocka_unit_test(test_addr_text),
		cmocka_unit_test(test_addr_text_ntop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
