/*
 * test_tcp.c - packet decoding (capture/packet.c) and TCP reassembly
 * (capture/tcp.c) on crafted frames from pktgen.h.
 *
 * Each test plays a scenario into packet_decode() and a tcp_table whose
 * handler records, per connection, the bytes of each direction in order,
 * the gaps and the closes; the assertions are on those streams. Frames go
 * through a heap copy of exactly their length, so the sanitizer build
 * catches any read past the end.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "capture/packet.h"
#include "capture/tcp.h"
#include "tests/unit/pktgen.h"

#define STREAM_MAX 8192

struct rec_conn {
	struct tcp_conn c;	/* copy at the end */
	char stream[2][STREAM_MAX];
	size_t len[2];
	uint64_t gap[2];
	int shut[2], rst[2];
	enum tcp_end why;
	bool ended;
};

struct rec {
	struct tcp_table *t;
	int dlt;
	struct rec_conn conns[8];
	int n;
	int decoded, other;
};

static void *
rec_open(void *ctx, const struct tcp_conn *c)
{
	struct rec *r = ctx;

	(void)c;
	assert_true(r->n < 8);
	return &r->conns[r->n++];
}

static void
rec_data(void *ctx, void *st, const struct tcp_conn *c, int from_server,
    const uint8_t *p, size_t len, int64_t ts)
{
	struct rec_conn *rc = st;

	(void)ctx; (void)c; (void)ts;
	assert_true(rc->len[from_server] + len < STREAM_MAX);
	memcpy(rc->stream[from_server] + rc->len[from_server], p, len);
	rc->len[from_server] += len;
}

static void
rec_gap(void *ctx, void *st, const struct tcp_conn *c, int from_server,
    uint64_t missing, int64_t ts)
{
	struct rec_conn *rc = st;

	(void)ctx; (void)c; (void)ts;
	rc->gap[from_server] += missing;
	/* mark the hole in the stream */
	memcpy(rc->stream[from_server] + rc->len[from_server], "#", 1);
	rc->len[from_server]++;
}

static void
rec_shut(void *ctx, void *st, const struct tcp_conn *c, int from_server,
    bool rst, int64_t ts)
{
	struct rec_conn *rc = st;

	(void)ctx; (void)c; (void)ts;
	if (rst)
		rc->rst[from_server]++;
	else
		rc->shut[from_server]++;
}

static void
rec_end(void *ctx, void *st, const struct tcp_conn *c, enum tcp_end why,
    int64_t ts)
{
	struct rec_conn *rc = st;

	(void)ctx; (void)ts;
	rc->c = *c;
	rc->why = why;
	rc->ended = true;
}

/* An open callback that tracks nothing for the upper layer. */
static void *
rec_ignore(void *ctx, const struct tcp_conn *c)
{
	(void)ctx;
	(void)c;
	return NULL;
}

/* pg_out_fn: decode a heap copy of the frame and hand it to TCP. */
static void
rec_frame(void *ctx, const uint8_t *frame, size_t len, int64_t ts)
{
	struct rec *r = ctx;
	uint8_t *copy = malloc(len);
	struct packet p;
	enum packet_kind k;

	assert_non_null(copy);
	memcpy(copy, frame, len);
	p.ts_us = ts;
	k = packet_decode(r->dlt, copy, len, &p);
	if (k == PACKET_TCP || k == PACKET_UNREACH) {
		r->decoded++;
		assert_int_equal(tcp_table_add(r->t, &p, k), 0);
	} else {
		r->other++;
	}
	free(copy);
}

/* Play a scenario (by its pg_scenarios entry) into a fresh recorder. */
static struct rec *
play(const char *name, const struct tcp_opts *o)
{
	struct rec *r = calloc(1, sizeof(*r));
	struct tcp_handler h = {
		.ctx = r, .open = rec_open, .data = rec_data, .gap = rec_gap,
		.shut = rec_shut, .end = rec_end,
	};
	const struct pg_scenario_info *si = NULL;
	struct pg g;

	assert_non_null(r);
	for (size_t i = 0; i < sizeof(pg_scenarios) / sizeof(*pg_scenarios); i++)
		if (strcmp(pg_scenarios[i].name, name) == 0)
			si = &pg_scenarios[i];
	assert_non_null(si);
	r->t = tcp_table_new(o, &h);
	assert_non_null(r->t);
	r->dlt = si->dlt;
	memset(&g, 0, sizeof(g));
	g.out = rec_frame;
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
done(struct rec *r)
{
	tcp_table_free(r->t);
	free(r);
}

/* The stream of side s of connection i as a string. */
static const char *
stream(struct rec *r, int i, int s)
{
	static char buf[STREAM_MAX + 1];

	memcpy(buf, r->conns[i].stream[s], r->conns[i].len[s]);
	buf[r->conns[i].len[s]] = '\0';
	return buf;
}

/* Every link type and IPv6 give the same streams. */
static void
test_link_types(void **state)
{
	static const char *const names[] = {
		"basic", "vlan", "ipv6", "sll", "sll2", "null", "raw"
	};

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++) {
		struct rec *r = play(names[i], NULL);

		assert_int_equal(r->n, 1);
		assert_int_equal(r->other, 0);
		assert_string_equal(stream(r, 0, 0), PG_REQ("/a?x=1"));
		assert_string_equal(stream(r, 0, 1), PG_OK("hello"));
		assert_true(r->conns[0].ended);
		assert_int_equal(r->conns[0].why, TCP_END_CLOSED);
		assert_true(r->conns[0].c.syn_seen);
		assert_true(r->conns[0].c.synack_seen);
		assert_int_equal(r->conns[0].c.server_port, 8080);
		assert_int_equal(r->conns[0].c.client_port, 40001);
		assert_int_equal(r->conns[0].c.family,
		    strcmp(names[i], "ipv6") == 0 ||
		    strcmp(names[i], "sll2") == 0 ? 6 : 4);
		assert_int_equal(r->conns[0].shut[0], 1);
		assert_int_equal(r->conns[0].shut[1], 1);
		done(r);
	}
}

/* Retransmitted and overlapping bytes are delivered once. */
static void
test_retransmission(void **state)
{
	struct rec *r = play("retransmission", NULL);
	struct tcp_stats st;

	(void)state;
	assert_string_equal(stream(r, 0, 0), PG_REQ("/r"));
	assert_string_equal(stream(r, 0, 1),
	    "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");
	tcp_table_stats(r->t, &st);
	assert_int_equal(st.retransmitted_bytes,
	    strlen(PG_REQ("/r")) + strlen("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"));
	assert_int_equal(st.gaps, 0);
	done(r);
}

/* A segment that comes early waits for the one before it. */
static void
test_out_of_order(void **state)
{
	struct rec *r = play("out_of_order", NULL);
	struct tcp_stats st;

	(void)state;
	assert_string_equal(stream(r, 0, 1), "HTTP/1.1 503 Service "
	    "Unavailable\r\nContent-Length: 4\r\n\r\ndown");
	tcp_table_stats(r->t, &st);
	assert_int_equal(st.ooo_segments, 1);
	assert_int_equal(st.gaps, 0);
	assert_int_equal(st.ooo_bytes_now, 0);
	done(r);
}

/* Lost bytes (acked by the peer) become a gap, and reading goes on. */
static void
test_gap(void **state)
{
	struct rec *r = play("gap", NULL);
	struct tcp_stats st;

	(void)state;
	assert_int_equal(r->conns[0].gap[1], 1000);
	assert_int_equal(r->conns[0].gap[0], 30);
	assert_non_null(strstr(stream(r, 0, 1), "abc#zzzz"));
	assert_non_null(strstr(stream(r, 0, 0), "#ost: api.test"));
	tcp_table_stats(r->t, &st);
	assert_int_equal(st.gaps, 2);
	assert_int_equal(st.gap_bytes, 1030);
	done(r);
}

/* No handshake: the roles come from the payload. */
static void
test_midstream(void **state)
{
	struct rec *r = play("midstream", NULL);

	(void)state;
	assert_int_equal(r->n, 1);
	assert_true(r->conns[0].c.mid_stream);
	assert_false(r->conns[0].c.syn_seen);
	/* the first bytes came from the server, on port 8080 */
	assert_int_equal(r->conns[0].c.server_port, 8080);
	assert_string_equal(stream(r, 0, 1), "tail of a body"
	    "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
	done(r);
}

/* SYN answered by RST; SYN unanswered until its retransmission is due. */
static void
test_connect_failures(void **state)
{
	struct rec *r = play("refused", NULL);

	(void)state;
	assert_int_equal(r->n, 1);
	assert_true(r->conns[0].c.syn_seen);
	assert_false(r->conns[0].c.synack_seen);
	assert_int_equal(r->conns[0].rst[1], 1);
	assert_int_equal(r->conns[0].why, TCP_END_CLOSED);
	done(r);

	r = play("syn_timeout", NULL);
	assert_int_equal(r->n, 2);
	assert_int_equal(r->conns[0].why, TCP_END_SYN_TIMEOUT);
	assert_int_equal(r->conns[0].c.syn_count, 1);
	assert_int_equal(r->conns[0].len[0] + r->conns[0].len[1], 0);
	done(r);
}

/* A full table evicts the least recently active connection, counted. */
static void
test_eviction_and_caps(void **state)
{
	struct tcp_opts o = { .max_flows = 1, .syn_base_us = 10000000 };
	struct rec *r = play("syn_timeout", &o);
	struct tcp_stats st;

	(void)state;
	tcp_table_stats(r->t, &st);
	assert_int_equal(st.evicted, 1);
	assert_int_equal(r->conns[0].why, TCP_END_EVICTED);
	done(r);

	/* no room for early bytes: the hole is a gap at once */
	struct tcp_opts small = { .ooo_max_bytes = 4 };
	r = play("out_of_order", &small);
	tcp_table_stats(r->t, &st);
	assert_int_equal(st.ooo_overflows, 1);
	assert_int_equal(st.gaps, 1);
	assert_int_equal(r->conns[0].gap[1], 20);
	done(r);
}

/* One TCP segment of the test connection 10.0.0.1:40000 -> 10.0.0.5:8080
 * (from_server swaps the ends), straight into the table. */
static void
add_segment(struct tcp_table *t, int from_server, uint32_t seq, uint32_t ack,
    uint8_t flags, const char *payload, int64_t ts)
{
	struct packet p;
	const uint8_t c[4] = {10, 0, 0, 1}, s[4] = {10, 0, 0, 5};

	memset(&p, 0, sizeof(p));
	p.ts_us = ts;
	p.family = 4;
	memcpy(from_server ? p.src : p.dst, s, 4);
	memcpy(from_server ? p.dst : p.src, c, 4);
	p.sport = from_server ? 8080 : 40000;
	p.dport = from_server ? 40000 : 8080;
	p.seq = seq;
	p.ack = ack;
	p.flags = flags;
	p.payload = (const uint8_t *)payload;
	p.len = p.wire_len = payload != NULL ? strlen(payload) : 0;
	assert_int_equal(tcp_table_add(t, &p, PACKET_TCP), 0);
}

/*
 * Thousands of 1-byte early segments behind a hole: the byte caps would
 * let them all be held (a list walked on every insert); the count of
 * segments held per direction is capped too, and the hole becomes a gap.
 */
static void
test_many_tiny_early_segments(void **state)
{
	struct rec *r = calloc(1, sizeof(*r));
	struct tcp_handler h = {
		.ctx = r, .open = rec_open, .data = rec_data, .gap = rec_gap,
		.shut = rec_shut, .end = rec_end,
	};
	struct tcp_stats st;
	int64_t ts = INT64_C(1795601702000000);
	const uint32_t isn = 1000, sisn = 5000;
	const int n = 5000;

	(void)state;
	assert_non_null(r);
	r->t = tcp_table_new(NULL, &h);
	assert_non_null(r->t);
	add_segment(r->t, 0, isn, 0, PKT_SYN, NULL, ts++);
	add_segment(r->t, 1, sisn, isn + 1, PKT_SYN | PKT_ACK, NULL, ts++);
	add_segment(r->t, 0, isn + 1, sisn + 1, PKT_ACK, NULL, ts++);
	/* byte isn + 1 never comes; isn + 2 ... arrive one by one */
	for (int i = 0; i < n; i++)
		add_segment(r->t, 0, isn + 2 + (uint32_t)i, sisn + 1,
		    PKT_ACK | PKT_PSH, "A", ts++);
	tcp_table_stats(r->t, &st);
	assert_true(st.ooo_segments < (uint64_t)n);
	assert_true(st.ooo_overflows >= 1);
	tcp_table_flush(r->t, ts);
	/* the stream: the one lost byte as a gap, then every byte once */
	assert_int_equal(r->conns[0].gap[0], 1);
	assert_int_equal(r->conns[0].len[0], (size_t)n + 1);
	assert_int_equal(r->conns[0].stream[0][0], '#');
	assert_int_equal(r->conns[0].stream[0][n], 'A');
	tcp_table_stats(r->t, &st);
	assert_int_equal(st.ooo_bytes_now, 0);
	done(r);
}

/*
 * A segment exactly half the sequence circle behind the next expected
 * byte (seq - next = INT32_MIN, a crafted wrap): an old retransmission,
 * dropped; the overlap is computed without negating INT32_MIN (undefined
 * behaviour the sanitizer build stops on).
 */
static void
test_half_circle_segment(void **state)
{
	struct rec *r = calloc(1, sizeof(*r));
	struct tcp_handler h = {
		.ctx = r, .open = rec_open, .data = rec_data, .gap = rec_gap,
		.shut = rec_shut, .end = rec_end,
	};
	struct tcp_stats st;
	int64_t ts = INT64_C(1795601702000000);
	const uint32_t isn = 0xfffffff0U, sisn = 5000;

	(void)state;
	assert_non_null(r);
	r->t = tcp_table_new(NULL, &h);
	assert_non_null(r->t);
	add_segment(r->t, 0, isn, 0, PKT_SYN, NULL, ts++);
	add_segment(r->t, 1, sisn, isn + 1, PKT_SYN | PKT_ACK, NULL, ts++);
	add_segment(r->t, 0, isn + 1, sisn + 1, PKT_ACK | PKT_PSH, "GET", ts++);
	add_segment(r->t, 0, isn + 4 + 0x80000000U, sisn + 1,
	    PKT_ACK | PKT_PSH, "XYZ", ts++);
	add_segment(r->t, 0, isn + 4, sisn + 1, PKT_ACK | PKT_PSH, " /", ts++);
	tcp_table_stats(r->t, &st);
	assert_int_equal(st.retransmitted_bytes, 3);
	tcp_table_flush(r->t, ts);
	assert_string_equal(stream(r, 0, 0), "GET /");
	assert_int_equal(r->conns[0].gap[0], 0);
	done(r);
}

/*
 * Crafted addresses cannot pile connections into one hash bucket: 4000
 * connections each from an endpoint to itself (a symmetric hash that
 * xors the hashes of the two ends gives them all the value 0) spread
 * over the table.
 */
static void
test_hash_chains(void **state)
{
	struct rec *r = calloc(1, sizeof(*r));
	struct tcp_handler h = { .ctx = r, .open = rec_ignore, .end = rec_end };
	struct packet p;
	const int n = 4000;

	(void)state;
	assert_non_null(r);
	r->t = tcp_table_new(NULL, &h);
	assert_non_null(r->t);
	memset(&p, 0, sizeof(p));
	p.ts_us = INT64_C(1795601702000000);
	p.family = 4;
	p.flags = PKT_SYN;
	for (int i = 0; i < n; i++) {
		p.src[0] = 10;
		p.src[1] = (uint8_t)(i >> 8);
		p.src[2] = (uint8_t)i;
		p.src[3] = 1;
		memcpy(p.dst, p.src, 16);
		p.sport = p.dport = (uint16_t)(1000 + i);
		p.seq = (uint32_t)i;
		assert_int_equal(tcp_table_add(r->t, &p, PACKET_TCP), 0);
	}
	assert_true(tcp_table_longest_chain(r->t) < 16);
	tcp_table_free(r->t);
	free(r);
}

static uint8_t one_frame[200];
static size_t one_len;

/* pg_out_fn: keep the last frame. */
static void
keep_frame(void *ctx, const uint8_t *f, size_t len, int64_t ts)
{
	(void)ctx;
	(void)ts;
	one_len = len < sizeof(one_frame) ? len : sizeof(one_frame);
	memcpy(one_frame, f, one_len);
}

/* A frame cut anywhere never decodes into a bogus segment. */
static void
test_truncated_frames(void **state)
{
	struct packet p;
	struct pg g;
	struct pg_conn c;

	(void)state;
	memset(&g, 0, sizeof(g));
	g.dlt = DLT_EN10MB;
	g.vlan = 7;
	g.family = 6;
	g.out = keep_frame;
	pg_conn_init(&c, &g, 1, 40001, 80);
	pg_segment(&c, 0, PG_ACK | PG_PSH, 1, 1, "GET / HTTP/1.1\r\n", 16);
	for (size_t n = 0; n < one_len; n++) {
		uint8_t *buf = malloc(n ? n : 1);
		enum packet_kind k;

		assert_non_null(buf);
		memcpy(buf, one_frame, n);
		k = packet_decode(DLT_EN10MB, buf, n, &p);
		if (k == PACKET_TCP) {	/* only with the payload cut */
			assert_true(p.payload + p.len <= buf + n);
			assert_true(n >= 14 + 4 + 40 + 20);
			assert_true(p.len < p.wire_len);
		} else {
			assert_int_equal(k, PACKET_TRUNCATED);
		}
		free(buf);
	}
	assert_int_equal(packet_decode(DLT_EN10MB, one_frame, one_len, &p),
	    PACKET_TCP);
	assert_int_equal(p.len, 16);
	assert_int_equal(p.wire_len, 16);
	assert_int_equal(p.dport, 80);
	assert_memory_equal(p.payload, "GET / HTTP/1.1\r\n", 16);
}

/* Whether a and b decoded alike (kind, and the fields of a segment). */
static void
check_same_packet(enum packet_kind ka, const struct packet *a,
    enum packet_kind kb, const struct packet *b)
{
	assert_int_equal(ka, kb);
	if (ka != PACKET_TCP)
		return;
	assert_int_equal(a->family, b->family);
	assert_memory_equal(a->src, b->src, 16);
	assert_memory_equal(a->dst, b->dst, 16);
	assert_int_equal(a->sport, b->sport);
	assert_int_equal(a->dport, b->dport);
	assert_int_equal(a->seq, b->seq);
	assert_int_equal(a->ack, b->ack);
	assert_int_equal(a->flags, b->flags);
	assert_ptr_equal(a->payload, b->payload);
	assert_int_equal(a->len, b->len);
	assert_int_equal(a->wire_len, b->wire_len);
}

/*
 * packet_decode reads the usual Ethernet/IPv4/TCP frame a short way
 * (decode_eth_ipv4_tcp): it must decode as the long way does. The long
 * way alone reads the same bytes as a raw IPv4 link (DLT_RAW, from the IP
 * header on): frames of one segment with bytes of the IP and TCP headers
 * changed (length, options, fragment, protocol, data offset) and cut at
 * every length decode alike both ways.
 */
static void
test_short_way_same(void **state)
{
	static const size_t pos[] = {12, 13, 14, 16, 17, 20, 21, 22, 23, 46};
	static const uint8_t val[] = {0x00, 0x08, 0x45, 0x46, 0x44, 0x20,
	    0x40, 0x3f, 0x50, 0x60, 0xf0, 0x06, 0x01, 0x11, 0xff, 0x14};
	struct pg g;
	struct pg_conn c;
	uint64_t rnd = 88172645463325252ULL;

	(void)state;
	memset(&g, 0, sizeof(g));
	g.dlt = DLT_EN10MB;
	g.family = 4;
	g.out = keep_frame;
	pg_conn_init(&c, &g, 1, 40001, 80);
	pg_segment(&c, 0, PG_ACK | PG_PSH, 1, 1, "GET / HTTP/1.1\r\n", 16);
	for (int i = 0; i < 200000; i++) {
		uint8_t buf[sizeof(one_frame)];
		struct packet a, b;
		enum packet_kind ka, kb;
		size_t n = one_len;

		memcpy(buf, one_frame, one_len);
		for (int m = 0; m < 3; m++) {
			rnd ^= rnd << 13, rnd ^= rnd >> 7, rnd ^= rnd << 17;
			if (rnd % 3 != 0)
				buf[pos[(rnd >> 8) % 10]] = (rnd >> 16) % 4 ?
				    val[(rnd >> 24) % 16] : (uint8_t)(rnd >> 32);
		}
		rnd ^= rnd << 13, rnd ^= rnd >> 7, rnd ^= rnd << 17;
		if (rnd % 2)
			n = 15 + (size_t)(rnd >> 8) % (one_len - 14);
		if (buf[12] != 0x08 || buf[13] != 0x00 || buf[14] >> 4 != 4)
			continue;	/* not IPv4 both ways */
		memset(&a, 0xaa, sizeof(a));
		memset(&b, 0x55, sizeof(b));
		ka = packet_decode(DLT_EN10MB, buf, n, &a);
		kb = packet_decode(DLT_RAW, buf + 14, n - 14, &b);
		check_same_packet(ka, &a, kb, &b);
		if (ka == PACKET_TCP) {	/* the padding tcp.c compares */
			static const uint8_t zero[12];

			assert_memory_equal(a.src + 4, zero, 12);
			assert_memory_equal(a.dst + 4, zero, 12);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_link_types),
		cmocka_unit_test(test_retransmission),
		cmocka_unit_test(test_out_of_order),
		cmocka_unit_test(test_gap),
		cmocka_unit_test(test_midstream),
		cmocka_unit_test(test_connect_failures),
		cmocka_unit_test(test_eviction_and_caps),
		cmocka_unit_test(test_many_tiny_early_segments),
		cmocka_unit_test(test_truncated_frames),
		cmocka_unit_test(test_short_way_same),
		cmocka_unit_test(test_half_circle_segment),
		cmocka_unit_test(test_hash_chains),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
