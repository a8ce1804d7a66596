/*
 * tcp.h - TCP reassembly: segments in, ordered byte streams out.
 *
 * A struct tcp_table tracks connections by their address/port pair and,
 * per direction, hands the bytes to an upper layer (parse/http.c) in order,
 * once each: retransmitted and overlapping bytes are trimmed, segments that
 * come early are copied and held until the bytes before them arrive.
 * Bytes that never arrive (lost by the capture) become a gap: the upper
 * layer is told how many bytes are missing and reading resumes after them.
 *
 * Which side is the client comes from the SYN; for a connection seen
 * mid-stream (no SYN) from the SYN-ACK, else the upper layer's guess from
 * the first payload (a request line or a status line), else the ports.
 *
 * Memory is bounded and every bound is counted when it bites: early
 * segments per direction (ooo_max_bytes, and a count of segments) and in
 * all (ooo_total_max, their bookkeeping included) - past them the missing
 * bytes are declared a gap; connections (max_flows) - past
 * it the least recently active is evicted; idle connections expire after
 * idle_us, and a connection that is only unanswered SYNs expires when the
 * next SYN retransmission (1 s, 2 s, 4 s ... after the first) is overdue.
 *
 * Time is capture time: tcp_advance() with each packet's timestamp (or the
 * wall clock while a live capture is quiet) drives the expiry.
 */
#ifndef GW_TCP_H
#define GW_TCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capture/packet.h"
#include "core/stream.h"

struct tcp_opts {
	size_t max_flows;	/* connections tracked at once (default 65536) */
	size_t ooo_max_bytes;	/* early bytes held per direction (1 MiB) */
	size_t ooo_total_max;	/* early bytes held in all (16 MiB) */
	int64_t idle_us;	/* idle timeout (120 s) */
	int64_t syn_base_us;	/* first SYN retransmission delay (1.5 s) */
	const uint16_t *server_ports;	/* ports known to be servers, or NULL */
	size_t n_server_ports;
};

/* Counters, for the capture summary. */
struct tcp_stats {
	uint64_t segments, bytes;	/* segments handled, payload bytes */
	uint64_t flows, flows_active, flows_peak;
	uint64_t retransmitted_bytes;	/* trimmed as seen before */
	uint64_t ooo_segments;		/* held because they came early */
	uint64_t gaps, gap_bytes;	/* declared lost */
	uint64_t ooo_overflows;		/* gaps forced by the early-bytes caps */
	uint64_t evicted, idle_expired, syn_expired;
	uint64_t ignored;		/* segments of no tracked connection */
	size_t ooo_bytes_now, ooo_bytes_peak;
};

struct tcp_table;

/* A new table; opts NULL or zero fields take the defaults. NULL on OOM.
 * Free with tcp_table_free() (which does not call end: flush first). */
struct tcp_table *tcp_table_new(const struct tcp_opts *opts,
    const struct tcp_handler *h);
void tcp_table_free(struct tcp_table *t);

/* Take one decoded packet (PACKET_TCP or PACKET_UNREACH), first advancing
 * the clock to its time (tcp_table_advance). Returns 0, -1 when out of
 * memory (the segment was dropped and counted as a gap). */
int tcp_table_add(struct tcp_table *t, const struct packet *p,
    enum packet_kind kind);

/* Capture time is now now_us: expire idle connections. */
void tcp_table_advance(struct tcp_table *t, int64_t now_us);

/* End every connection (TCP_END_FLUSH), delivering held bytes first. */
void tcp_table_flush(struct tcp_table *t, int64_t now_us);

void tcp_table_stats(const struct tcp_table *t, struct tcp_stats *s);

/* The most connections sharing one home slot of the hash table (walks
 * the whole table: for tests and diagnostics). */
size_t tcp_table_longest_chain(const struct tcp_table *t);

#endif
