/*
 * stream.h - the byte-stream interface between TCP reassembly
 * (capture/tcp.c), which produces ordered bytes per connection and
 * direction, and the protocol parser that consumes them (parse/http.c).
 *
 * It lives in core so that parse/ depends only on this contract and never
 * on capture/: capture feeds any struct tcp_handler, parse provides one.
 */
#ifndef GW_STREAM_H
#define GW_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What a connection looks like to the upper layer (read-only). */
struct tcp_conn {
	uint8_t family;		/* 4 or 6 */
	uint8_t client_addr[16], server_addr[16];
	uint16_t client_port, server_port;
	bool syn_seen;		/* the client's SYN was captured */
	bool synack_seen;
	bool mid_stream;	/* first seen without a SYN */
	int syn_count;		/* SYNs (1 + retransmissions) */
	bool unreachable;	/* an ICMP unreachable answered the SYN */
	int64_t syn_us, synack_us;	/* -1 when not seen */
	int64_t first_us, last_us;
	int64_t fin_us[2], rst_us[2];	/* [0] client, [1] server; -1 none */
	uint64_t bytes[2];	/* payload bytes delivered, [0] from client */
};

/* Why a connection ends. */
enum tcp_end {
	TCP_END_CLOSED,		/* both FINs, or a RST */
	TCP_END_IDLE,		/* idle longer than the timeout */
	TCP_END_SYN_TIMEOUT,	/* only unanswered SYNs, retransmission overdue */
	TCP_END_EVICTED,	/* the table was full */
	TCP_END_REUSED,		/* a new SYN on the same addresses and ports */
	TCP_END_FLUSH		/* end of the capture */
};

/* Roles the upper layer can tell from a payload. */
enum tcp_role {
	TCP_ROLE_UNKNOWN,
	TCP_ROLE_CLIENT,	/* the sender of these bytes is the client */
	TCP_ROLE_SERVER
};

/*
 * The upper layer. from_server: 0 for bytes the client sent, 1 for the
 * server's. Every callback may be NULL except open/end.
 */
struct tcp_handler {
	void *ctx;
	/* A connection whose roles are known; returns its state (may be NULL
	 * to ignore the connection; then no other callback sees it). */
	void *(*open)(void *ctx, const struct tcp_conn *c);
	/* len in-order bytes from one side. */
	void (*data)(void *ctx, void *st, const struct tcp_conn *c,
	    int from_server, const uint8_t *p, size_t len, int64_t ts_us);
	/* missing bytes were lost before the next data of that side. */
	void (*gap)(void *ctx, void *st, const struct tcp_conn *c,
	    int from_server, uint64_t missing, int64_t ts_us);
	/* One side sent FIN (after all its data) or RST. */
	void (*shut)(void *ctx, void *st, const struct tcp_conn *c,
	    int from_server, bool rst, int64_t ts_us);
	/* The connection is gone; free st. */
	void (*end)(void *ctx, void *st, const struct tcp_conn *c,
	    enum tcp_end why, int64_t ts_us);
	/* Guess the role of the sender of a first payload. */
	enum tcp_role (*role)(void *ctx, const uint8_t *p, size_t len);
};

#endif
