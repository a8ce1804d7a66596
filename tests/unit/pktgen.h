/*
 * pktgen.h - crafted TCP/HTTP frames for the capture tests.
 *
 * Shared (as static functions) by tests/unit/test_tcp.c, test_http.c and
 * tests/tools/mkpcap.c, so the unit tests and the pcap files the tool
 * writes carry the very same packets. A struct pg builds frames of one
 * link type (Ethernet with an optional VLAN tag, Linux SLL, SLL2, BSD
 * null, raw IP) over IPv4 or IPv6 and hands each to an output function
 * with a timestamp that advances 1 ms per packet. A struct pg_conn is one
 * TCP connection whose sequence numbers it keeps; pg_scenario() plays the
 * named situations the tests check (see pg_scenarios[]).
 */
#ifndef GW_PKTGEN_H
#define GW_PKTGEN_H

#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#include <pcap/dlt.h>

#define PG_FIN	0x01
#define PG_SYN	0x02
#define PG_RST	0x04
#define PG_PSH	0x08
#define PG_ACK	0x10

typedef void (*pg_out_fn)(void *ctx, const uint8_t *frame, size_t len,
    int64_t ts_us);

struct pg {
	pg_out_fn out;
	void *ctx;
	int dlt;		/* DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2,
				 * DLT_NULL, DLT_RAW */
	int vlan;		/* Ethernet: 802.1Q tag when > 0 */
	int family;		/* 4 or 6 */
	int64_t ts_us;
	size_t snap;		/* cut frames to this many bytes, 0 = no */
	int64_t step_us;	/* time between packets, 0 = 1 ms */
};

struct pg_conn {
	struct pg *g;
	uint8_t cli[16], srv[16];
	uint16_t cport, sport;
	uint32_t cseq, sseq;	/* next sequence number of each side */
};

static void
pg_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
pg_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* One TCP segment from the client (from_server 0) or the server. */
static void
pg_segment(struct pg_conn *c, int from_server, uint8_t flags, uint32_t seq,
    uint32_t ack, const void *data, size_t len)
{
	static uint8_t f[70000];
	struct pg *g = c->g;
	size_t off = 0, ip, iplen = g->family == 4 ? 20 : 40;
	uint16_t etype = g->family == 4 ? 0x0800 : 0x86dd;
	const uint8_t *src = from_server ? c->srv : c->cli;
	const uint8_t *dst = from_server ? c->cli : c->srv;

	if (len > 65000)
		len = 65000;
	memset(f, 0, 64);
	switch (g->dlt) {
	case DLT_EN10MB:
		memcpy(f, "\x02\0\0\0\0\x01\x02\0\0\0\0\x02", 12);
		off = 12;
		if (g->vlan > 0) {
			pg_put16(f + off, 0x8100);
			pg_put16(f + off + 2, (uint16_t)g->vlan);
			off += 4;
		}
		pg_put16(f + off, etype);
		off += 2;
		break;
	case DLT_LINUX_SLL:
		pg_put16(f, from_server ? 0 : 4);
		pg_put16(f + 2, 772);
		pg_put16(f + 4, 6);
		pg_put16(f + 14, etype);
		off = 16;
		break;
	case DLT_LINUX_SLL2:
		pg_put16(f, etype);
		pg_put32(f + 4, 1);		/* interface index */
		pg_put16(f + 8, 772);
		f[10] = from_server ? 0 : 4;
		f[11] = 6;
		off = 20;
		break;
	case DLT_NULL: {
		uint32_t af = g->family == 4 ? 2 : 10;

		memcpy(f, &af, 4);		/* host byte order */
		off = 4;
		break;
	}
	default:	/* DLT_RAW */
		break;
	}
	ip = off;
	if (g->family == 4) {
		f[ip] = 0x45;
		pg_put16(f + ip + 2, (uint16_t)(20 + 20 + len));
		f[ip + 8] = 64;
		f[ip + 9] = 6;
		memcpy(f + ip + 12, src, 4);
		memcpy(f + ip + 16, dst, 4);
	} else {
		f[ip] = 0x60;
		pg_put16(f + ip + 4, (uint16_t)(20 + len));
		f[ip + 6] = 6;
		f[ip + 7] = 64;
		memcpy(f + ip + 8, src, 16);
		memcpy(f + ip + 24, dst, 16);
	}
	off = ip + iplen;
	pg_put16(f + off, from_server ? c->sport : c->cport);
	pg_put16(f + off + 2, from_server ? c->cport : c->sport);
	pg_put32(f + off + 4, seq);
	pg_put32(f + off + 8, ack);
	f[off + 12] = 5 << 4;
	f[off + 13] = flags;
	pg_put16(f + off + 14, 65535);
	memset(f + off + 16, 0, 4);
	off += 20;
	if (len > 0)
		memcpy(f + off, data, len);
	off += len;
	g->ts_us += g->step_us > 0 ? g->step_us : 1000;
	g->out(g->ctx, f, g->snap > 0 && off > g->snap ? g->snap : off,
	    g->ts_us);
}

/* A connection between client host ch and the server, ports given. */
static void
pg_conn_init(struct pg_conn *c, struct pg *g, int ch, uint16_t cport,
    uint16_t sport)
{
	memset(c, 0, sizeof(*c));
	c->g = g;
	if (g->family == 4) {
		memcpy(c->cli, "\x0a\0\0", 3);
		c->cli[3] = (uint8_t)ch;
		memcpy(c->srv, "\x0a\0\0\x05", 4);
	} else {
		memcpy(c->cli, "\x20\x01\x0d\xb8", 4);
		c->cli[15] = (uint8_t)ch;
		memcpy(c->srv, "\x20\x01\x0d\xb8", 4);
		c->srv[15] = 5;
	}
	c->cport = cport;
	c->sport = sport;
	c->cseq = 1000000u * (uint32_t)ch + 4000000000u;	/* wraps */
	c->sseq = 7000;
}

/* Data from one side at its current sequence number, then the ACK. */
static void
pg_send(struct pg_conn *c, int from_server, const char *data, size_t len)
{
	uint32_t *seq = from_server ? &c->sseq : &c->cseq;
	uint32_t *peer = from_server ? &c->cseq : &c->sseq;

	pg_segment(c, from_server, PG_ACK | PG_PSH, *seq, *peer, data, len);
	*seq += (uint32_t)len;
	pg_segment(c, !from_server, PG_ACK, *peer, *seq, NULL, 0);
}

static void
pg_send_str(struct pg_conn *c, int from_server, const char *s)
{
	pg_send(c, from_server, s, strlen(s));
}

/* The three-way handshake. */
static void
pg_connect(struct pg_conn *c)
{
	pg_segment(c, 0, PG_SYN, c->cseq++, 0, NULL, 0);
	pg_segment(c, 1, PG_SYN | PG_ACK, c->sseq++, c->cseq, NULL, 0);
	pg_segment(c, 0, PG_ACK, c->cseq, c->sseq, NULL, 0);
}

/* FIN from one side (acked). */
static void
pg_fin(struct pg_conn *c, int from_server)
{
	uint32_t *seq = from_server ? &c->sseq : &c->cseq;
	uint32_t *peer = from_server ? &c->cseq : &c->sseq;

	pg_segment(c, from_server, PG_FIN | PG_ACK, *seq, *peer, NULL, 0);
	(*seq)++;
	pg_segment(c, !from_server, PG_ACK, *peer, *seq, NULL, 0);
}

static void
pg_close(struct pg_conn *c)
{
	pg_fin(c, 0);
	pg_fin(c, 1);
}

static void
pg_rst(struct pg_conn *c, int from_server)
{
	pg_segment(c, from_server, PG_RST | PG_ACK,
	    from_server ? c->sseq : c->cseq, from_server ? c->cseq : c->sseq,
	    NULL, 0);
}

#define PG_REQ(path) "GET " path " HTTP/1.1\r\nHost: api.test\r\n" \
	"X-Request-Id: rid-" path "\r\nCookie: secret=1\r\n\r\n"
#define PG_OK(body) "HTTP/1.1 200 OK\r\nContent-Length: " \
	"5\r\n\r\n" body

/*
 * An answer "200 OK" whose header (status line, fields, empty line) is
 * hdr bytes, padded by an X-Pad field, then body: in a static buffer.
 */
static const char *
pg_sized_answer(size_t hdr, const char *body)
{
	static char b[16384];
	int n = snprintf(b, sizeof(b), "HTTP/1.1 200 OK\r\n"
	    "Content-Length: %zu\r\nX-Pad: ", strlen(body));
	size_t pad = hdr - (size_t)n - 4;

	if (n < 0 || (size_t)n + 4 > hdr || hdr + strlen(body) >= sizeof(b))
		return "";
	memset(b + n, 'p', pad);
	snprintf(b + n + pad, sizeof(b) - (size_t)n - pad, "\r\n\r\n%s",
	    body);
	return b;
}

/*
 * Play scenario name on g. Returns false when the name is unknown. Every
 * scenario ends each connection it opens (or leaves it to the end of the
 * capture where that is the point).
 */
static bool
pg_scenario(struct pg *g, const char *name)
{
	struct pg_conn c, d;
	uint32_t s0;

	pg_conn_init(&c, g, 1, 40001, 8080);
	if (strcmp(name, "basic") == 0 || strcmp(name, "vlan") == 0 ||
	    strcmp(name, "ipv6") == 0 || strcmp(name, "sll") == 0 ||
	    strcmp(name, "sll2") == 0 || strcmp(name, "null") == 0 ||
	    strcmp(name, "raw") == 0) {
		pg_connect(&c);
		pg_send_str(&c, 0, PG_REQ("/a?x=1"));
		pg_send_str(&c, 1, PG_OK("hello"));
		pg_close(&c);
	} else if (strcmp(name, "retransmission") == 0) {
		pg_connect(&c);
		s0 = c.cseq;
		pg_send_str(&c, 0, PG_REQ("/r"));
		/* the whole request again, then a longer overlapping copy */
		pg_segment(&c, 0, PG_ACK, s0, c.sseq, PG_REQ("/r"),
		    strlen(PG_REQ("/r")));
		s0 = c.sseq;
		pg_send_str(&c, 1, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n");
		pg_segment(&c, 1, PG_ACK, s0, c.cseq,
		    "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", 44);
		c.sseq = s0 + 44;
		pg_close(&c);
	} else if (strcmp(name, "out_of_order") == 0) {
		const char *resp = "HTTP/1.1 503 Service Unavailable\r\n"
		    "Content-Length: 4\r\n\r\ndown";
		size_t half = 20, n = strlen(resp);

		pg_connect(&c);
		pg_send_str(&c, 0, PG_REQ("/o"));
		s0 = c.sseq;
		pg_segment(&c, 1, PG_ACK, s0 + (uint32_t)half, c.cseq,
		    resp + half, n - half);
		pg_segment(&c, 1, PG_ACK, s0, c.cseq, resp, half);
		c.sseq = s0 + (uint32_t)n;
		pg_segment(&c, 0, PG_ACK, c.cseq, c.sseq, NULL, 0);
		pg_close(&c);
	} else if (strcmp(name, "pipelining") == 0) {
		pg_connect(&c);
		pg_send_str(&c, 0, PG_REQ("/p1") PG_REQ("/p2")
		    "HEAD /p3 HTTP/1.1\r\nHost: api.test\r\n\r\n");
		pg_send_str(&c, 1, "HTTP/1.1 100 Continue\r\n\r\n"
		    PG_OK("hello") "HTTP/1.1 502 Bad Gateway\r\n"
		    "Content-Length: 3\r\n\r\nbad" "HTTP/1.1 200 OK\r\n"
		    "Content-Length: 1000\r\n\r\n");
		pg_close(&c);
	} else if (strcmp(name, "chunked") == 0) {
		pg_connect(&c);
		pg_send_str(&c, 0, PG_REQ("/c"));
		pg_send_str(&c, 1, "HTTP/1.1 200 OK\r\nTransfer-Encoding: "
		    "chunked\r\n\r\n5\r\nhel");
		pg_send_str(&c, 1, "lo\r\n6\r\n world\r\n0\r\n\r\n");
		pg_send_str(&c, 0, PG_REQ("/c2"));
		pg_send_str(&c, 1, "HTTP/1.1 304 Not Modified\r\n\r\n");
		pg_send_str(&c, 0, PG_REQ("/c3"));
		pg_send_str(&c, 1, "HTTP/1.0 200 OK\r\n\r\nuntil close");
		pg_fin(&c, 1);
		pg_fin(&c, 0);
	} else if (strcmp(name, "gap") == 0) {
		pg_connect(&c);
		pg_send_str(&c, 0, PG_REQ("/g1"));
		pg_send_str(&c, 1, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n"
		    "\r\nabc");
		/* 1000 bytes lost (the client acks them), then more */
		c.sseq += 1000;
		pg_segment(&c, 0, PG_ACK, c.cseq, c.sseq, NULL, 0);
		pg_send_str(&c, 1, "zzzz");
		pg_send_str(&c, 0, PG_REQ("/g2"));
		pg_send_str(&c, 1, PG_OK("hello"));
		/* the client loses part of a request: resync at the next */
		c.cseq += 30;
		pg_send_str(&c, 0, "ost: api.test\r\n\r\n" PG_REQ("/g4"));
		pg_send_str(&c, 1, "HTTP/1.1 500 Oops\r\nContent-Length: 0"
		    "\r\n\r\n");
		pg_close(&c);
	} else if (strcmp(name, "midstream") == 0) {
		/* no handshake; starts inside a response body */
		pg_send_str(&c, 1, "tail of a body");
		pg_send_str(&c, 0, PG_REQ("/m"));
		pg_send_str(&c, 1, "HTTP/1.1 404 Not Found\r\n"
		    "Content-Length: 0\r\n\r\n");
		pg_close(&c);
	} else if (strcmp(name, "refused") == 0) {
		pg_segment(&c, 0, PG_SYN, c.cseq++, 0, NULL, 0);
		pg_segment(&c, 1, PG_RST | PG_ACK, 0, c.cseq, NULL, 0);
	} else if (strcmp(name, "syn_timeout") == 0) {
		pg_segment(&c, 0, PG_SYN, c.cseq, 0, NULL, 0);
		/* a later, unrelated packet moves capture time on 3 s */
		g->ts_us += 3000000;
		pg_conn_init(&d, g, 2, 40002, 8080);
		pg_connect(&d);
		pg_send_str(&d, 0, PG_REQ("/later"));
		pg_send_str(&d, 1, PG_OK("hello"));
		pg_close(&d);
	} else if (strcmp(name, "reset") == 0) {
		pg_connect(&c);
		pg_send_str(&c, 0, PG_REQ("/x"));
		pg_rst(&c, 1);
	} else if (strcmp(name, "closed_early") == 0) {
		pg_connect(&c);
		pg_send_str(&c, 0, PG_REQ("/x"));
		pg_fin(&c, 1);
		pg_fin(&c, 0);
	} else if (strcmp(name, "garbage") == 0) {
		pg_connect(&c);
		pg_send_str(&c, 0, PG_REQ("/x"));
		pg_send_str(&c, 1, "HELLO\r\n\r\n");
		pg_fin(&c, 1);
		pg_fin(&c, 0);
	} else if (strcmp(name, "truncated") == 0) {
		pg_connect(&c);
		pg_send_str(&c, 0, PG_REQ("/t"));
		pg_send_str(&c, 1, "HTTP/1.1 200 OK\r\nContent-Length: 1000"
		    "\r\n\r\n0123456789");
		pg_fin(&c, 1);
		pg_fin(&c, 0);
	} else if (strcmp(name, "split_header") == 0) {
		/* two requests' headers cut across segments, interleaved
		 * (mid-URL, mid-name, mid-value), one a traceparent */
		pg_conn_init(&d, g, 2, 40002, 8080);
		pg_connect(&c);
		pg_connect(&d);
		pg_send_str(&c, 0, "GET /long/pa");
		pg_send_str(&d, 0, "GET /b?q=1 HTTP/1.1\r\nHo");
		pg_send_str(&c, 0, "th?x=1 HTTP/1.1\r\nHost: a.te");
		pg_send_str(&d, 0, "st: bee\r\ntraceparent: 00-0af7651916cd43"
		    "dd8448eb211c80319c-b7ad6b71692033");
		pg_send_str(&c, 0, "st\r\nCookie: secret=1\r\nX-Request-");
		pg_send_str(&d, 0, "77-01\r\n\r\n");
		pg_send_str(&c, 0, "Id: idA\r\n\r\n");
		pg_send_str(&d, 1, PG_OK("hello"));
		pg_send_str(&c, 1, PG_OK("world"));
		pg_close(&c);
		pg_close(&d);
	} else if (strcmp(name, "keepalive_mix") == 0) {
		/* what parse/http.c reads the fast way and where it must hand
		 * over to http-parser, on one keep-alive connection: ids with
		 * blanks around them, two pipelined requests and answers in a
		 * segment, a body over three segments ending where the next
		 * answer begins, a POST with its body, a header over two
		 * segments, a request for a fragment, a closing answer */
		pg_connect(&c);
		pg_send_str(&c, 0, "GET /k1?a=1 HTTP/1.1\r\nHost: h\r\n"
		    "X-Request-Id:   r1  \r\n\r\n");
		pg_send_str(&c, 1, "HTTP/1.1 200 OK\r\nConnection: Keep-Alive"
		    "\r\nX-Request-Id: s1 \r\nContent-Length: 2\r\n\r\nok");
		pg_send_str(&c, 0, PG_REQ("/k2") PG_REQ("/k3"));
		pg_send_str(&c, 1, PG_OK("hello") "HTTP/1.1 503 No\r\n"
		    "Content-Length: 20\r\ntraceparent: 00-0af7651916cd43dd84"
		    "48eb211c80319c-b7ad6b7169203331-01\r\n\r\n01234");
		pg_send_str(&c, 1, "5678901234");
		pg_send_str(&c, 0, "POST /k4 HTTP/1.1\r\nHost: h\r\n"
		    "Content-Length: 4\r\n\r\nbody");
		pg_send_str(&c, 1, "56789HTTP/1.1 201 Created\r\n"
		    "Content-Length: 0\r\n\r\n");
		pg_send_str(&c, 0, "GET /k5 HTTP/1.1\r\nHo");
		pg_send_str(&c, 0, "st: h\r\n\r\nGET /k6#f HTTP/1.1\r\n"
		    "Host: h\r\n\r\n");
		pg_send_str(&c, 1, "HTTP/1.1 200 OK\r\nContent-Le");
		pg_send_str(&c, 1, "ngth: 1\r\n\r\nx" "HTTP/1.1 200 OK\r\n"
		    "Content-Length: 1\r\n\r\ny");
		pg_send_str(&c, 0, PG_REQ("/k7"));
		pg_send_str(&c, 1, "HTTP/1.1 200 OK\r\nConnection: close\r\n"
		    "Content-Length: 5\r\n\r\nbye!!");
		pg_fin(&c, 1);
		pg_fin(&c, 0);
	} else if (strcmp(name, "header_bytes") == 0) {
		/* header lines with what the fast way's scan for the CR must
		 * weigh (parse/http.c ctl_find: 8 bytes at a time): tabs at
		 * each place of a word, a DEL, a control character, a bare
		 * CR, values of 7, 8, 9 and 16 bytes, an answer's id under
		 * names of 11 and 12 bytes in another case, and other fields
		 * of those lengths; one connection each (a line the fast way
		 * refuses goes to http-parser, which may give the stream up);
		 * the same header blocks come again and again (parse/http.c
		 * remembers them) */
		static const char *const ans[] = {
			"X-Request-ID: \tab\tcd\t\r\nContent-Type: t/p\r\n",
			"Server: ngi\tnx/1.22\r\nDate: Mon, 07 Dec 2026 "
			    "05:00:00 GMT\r\n",
			"X-Note: a\x7f b\r\n",
			"X-Note: abcdefghij\x01k\r\n",
			"TRACEPARENT: 00-0af7651916cd43dd8448eb211c80319c-"
			    "b7ad6b7169203331-01\r\nX-Forwarded: 1\r\n",
			"X-Note: abc\rdef\r\n",
			"X-Seven: 1234567\r\nX-Eight: 12345678\r\n"
			    "X-Nine: 123456789\r\nX-Sixteen: 1234567890abcdef\r\n",
			"X-Tab: 1234567\t\r\nX-Tab8: 12345678\t9\r\n",
			"X-Tabs: \t\t\t\t\t\t\t\tz\r\n",
			"X-Empty: \t \r\n",
			"x-request-id: lower-\t-case\r\n",
			"X-Lf: a\nb\r\n",
		};
		char buf[512];

		for (int i = 0; i < (int)(sizeof(ans) / sizeof(*ans)); i++) {
			pg_conn_init(&c, g, 10 + i, (uint16_t)(41000 + i), 8080);
			pg_connect(&c);
			/* the answer's id is the exchange's when the
			 * request has none */
			pg_send_str(&c, 0, i % 2 ? "GET /hb HTTP/1.1\r\nHost: "
			    "h\r\nX-Request-Id: q\t1\r\n\r\n" :
			    "GET /hb HTTP/1.1\r\nHost: h\r\n\r\n");
			snprintf(buf, sizeof(buf), "HTTP/1.1 200 OK\r\n%s"
			    "Content-Length: 2\r\n\r\nok", ans[i]);
			pg_send_str(&c, 1, buf);
			pg_send_str(&c, 0, PG_REQ("/hb2"));
			pg_send_str(&c, 1, PG_OK("hello"));
			pg_close(&c);
		}
		/* a header block read before (PG_OK's: fast_header_read
		 * remembers it) cut by the end of a segment, then one cut
		 * inside its empty line: neither is taken as the whole */
		pg_conn_init(&c, g, 30, 41100, 8080);
		pg_connect(&c);
		pg_send_str(&c, 0, PG_REQ("/hb3"));
		pg_send_str(&c, 1, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n");
		pg_send_str(&c, 1, "\r\nhello");
		pg_send_str(&c, 0, PG_REQ("/hb4"));
		pg_send_str(&c, 1, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r");
		pg_send_str(&c, 1, "\nhello");
		pg_close(&c);
	} else if (strcmp(name, "id_header") == 0) {
		/* answers carrying an id under a name given by --id-header
		 * (test_http.c test_id_header: X-Corr), in other cases, next
		 * to names of its length and first letter that are not it */
		pg_connect(&c);
		pg_send_str(&c, 0, "GET /c1 HTTP/1.1\r\nHost: h\r\n\r\n");
		pg_send_str(&c, 1, "HTTP/1.1 200 OK\r\nx-corr: c-1\r\n"
		    "Content-Length: 2\r\n\r\nok");
		pg_send_str(&c, 0, "GET /c2 HTTP/1.1\r\nHost: h\r\n\r\n");
		pg_send_str(&c, 1, "HTTP/1.1 200 OK\r\nX-Cors: no\r\n"
		    "X-CORR: c-2\r\nContent-Length: 2\r\n\r\nok");
		pg_send_str(&c, 0, "GET /c3 HTTP/1.1\r\nHost: h\r\n\r\n");
		pg_send_str(&c, 1, "HTTP/1.1 200 OK\r\nY-Corr: no\r\n"
		    "X-Cor: no\r\nContent-Length: 2\r\n\r\nok");
		pg_close(&c);
	} else if (strcmp(name, "id_header_long") == 0) {
		/* answers with a field whose name starts with a 39-byte
		 * --id-header (test_http.c test_id_header_long:
		 * X-Gateway-Correlation-Identifier-Header) and goes on past
		 * the 39 bytes a name is kept to */
		pg_connect(&c);
		pg_send_str(&c, 0, "GET /l1 HTTP/1.1\r\nHost: h\r\n\r\n");
		pg_send_str(&c, 1, "HTTP/1.1 200 OK\r\n"
		    "X-Gateway-Correlation-Identifier-Header-Echo: l-1\r\n"
		    "Content-Length: 2\r\n\r\nok");
		pg_send_str(&c, 0, "GET /l2 HTTP/1.1\r\nHost: h\r\n\r\n");
		pg_send_str(&c, 1, "HTTP/1.1 200 OK\r\n"
		    "x-gateway-correlation-identifier-headerX: l-2\r\n"
		    "Content-Length: 2\r\n\r\nok");
		pg_close(&c);
	} else if (strcmp(name, "header_sizes") == 0) {
		/* answers' header sizes (test_http.c test_header_bytes): a small
		 * one, one over 3 segments, one just under and one just over
		 * 4096, then three pipelined in a segment (a chunked one with
		 * a trailer, a CRLF stray before the third) and a 100
		 * Continue before a 200 */
		pg_connect(&c);
		pg_send_str(&c, 0, PG_REQ("/s1"));
		pg_send_str(&c, 1, PG_OK("hello"));
		pg_send_str(&c, 0, PG_REQ("/s2"));
		pg_send_str(&c, 1, "HTTP/1.1 200 OK\r\nCont");
		pg_send_str(&c, 1, "ent-Length: 2\r\nX-A: 1\r");
		pg_send_str(&c, 1, "\n\r\nok");
		pg_send_str(&c, 0, PG_REQ("/s3"));
		pg_send_str(&c, 1, pg_sized_answer(4095, "ok"));
		pg_send_str(&c, 0, PG_REQ("/s4"));
		pg_send_str(&c, 1, pg_sized_answer(4097, "ok"));
		pg_send_str(&c, 0, PG_REQ("/s5") PG_REQ("/s6") PG_REQ("/s7"));
		pg_send_str(&c, 1, PG_OK("hello") "HTTP/1.1 200 OK\r\n"
		    "Transfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n"
		    "X-T: 1\r\n\r\n\r\n" PG_OK("bye!!"));
		pg_send_str(&c, 0, PG_REQ("/s8"));
		pg_send_str(&c, 1, "HTTP/1.1 100 Continue\r\n\r\n"
		    PG_OK("12345"));
		pg_close(&c);
	} else if (strcmp(name, "header_too_big") == 0) {
		/* a client's request through the gateway (8080) to its
		 * upstream (81), whose complete 200 has a 4200-byte header:
		 * the gateway (a 4k buffer) answers 502 the moment it comes
		 * (packets 0.1 ms apart) */
		g->step_us = 100;
		pg_conn_init(&d, g, 2, 40002, 81);
		pg_connect(&c);
		pg_send_str(&c, 0, PG_REQ("/big"));
		pg_connect(&d);
		pg_send_str(&d, 0, PG_REQ("/big"));
		pg_send_str(&d, 1, pg_sized_answer(4200, "hello"));
		pg_send_str(&c, 1, "HTTP/1.1 502 Bad Gateway\r\n"
		    "Content-Length: 5\r\n\r\nerror");
		pg_close(&d);
		pg_close(&c);
	} else if (strcmp(name, "read_timeout") == 0) {
		pg_connect(&c);
		pg_send_str(&c, 0, PG_REQ("/slow"));
		pg_fin(&c, 0);
		pg_fin(&c, 1);
	} else {
		return false;
	}
	return true;
}

/* Every scenario, with the link type and family each one uses. */
static const struct pg_scenario_info {
	const char *name;
	int dlt, vlan, family;
} pg_scenarios[] = {
	{"basic", DLT_EN10MB, 0, 4},
	{"split_header", DLT_EN10MB, 0, 4},
	{"keepalive_mix", DLT_EN10MB, 0, 4},
	{"header_bytes", DLT_EN10MB, 0, 4},
	{"id_header", DLT_EN10MB, 0, 4},
	{"id_header_long", DLT_EN10MB, 0, 4},
	{"vlan", DLT_EN10MB, 42, 4},
	{"ipv6", DLT_EN10MB, 0, 6},
	{"sll", DLT_LINUX_SLL, 0, 4},
	{"sll2", DLT_LINUX_SLL2, 0, 6},
	{"null", DLT_NULL, 0, 4},
	{"raw", DLT_RAW, 0, 4},
	{"retransmission", DLT_EN10MB, 0, 4},
	{"out_of_order", DLT_EN10MB, 0, 4},
	{"pipelining", DLT_EN10MB, 0, 4},
	{"chunked", DLT_EN10MB, 0, 4},
	{"gap", DLT_EN10MB, 0, 4},
	{"midstream", DLT_EN10MB, 0, 4},
	{"refused", DLT_EN10MB, 0, 4},
	{"syn_timeout", DLT_EN10MB, 0, 4},
	{"reset", DLT_EN10MB, 0, 4},
	{"closed_early", DLT_EN10MB, 0, 4},
	{"garbage", DLT_EN10MB, 0, 4},
	{"truncated", DLT_EN10MB, 0, 4},
	{"read_timeout", DLT_EN10MB, 0, 4},
	{"header_sizes", DLT_EN10MB, 0, 4},
	{"header_too_big", DLT_EN10MB, 0, 4},
};

#endif
