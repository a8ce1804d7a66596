/*
 * http.h - HTTP/1.x exchanges from reassembled TCP streams.
 *
 * A struct http_tracker is the upper layer of core/stream.h (fed by capture/tcp.c): it parses the
 * client's and the server's byte streams of every connection with
 * http-parser (keep-alive, pipelining, Content-Length, chunked,
 * close-delimited, HEAD, 1xx, 204, 304, Connection: close, Upgrade and
 * CONNECT tunnels) and pairs each request with its response. Only what an
 * event needs is kept: method, Host, path, query, a request id header, the
 * status, body length and times; never bodies, Authorization or cookies.
 *
 * Each finished exchange, and each connection that failed before one could
 * finish, is handed to the caller's emit function as a struct
 * http_exchange, with its cause from the "On the wire" table of
 * shared/causes.md: SYN answered by RST -> upstream_refused; SYN never
 * answered (or answered by ICMP unreachable) -> upstream_connect_timeout
 * (upstream_unreachable); request then RST -> upstream_reset; request then
 * FIN before a complete response header -> upstream_closed_early; the
 * client (the gateway) gave up first -> upstream_read_timeout, or
 * upstream_header_too_big when it had already received more header bytes
 * than a gateway's buffer holds; bytes that are not HTTP ->
 * upstream_invalid_response (status 9, as nginx logs "009"); a 5xx status
 * line -> upstream_5xx; a body short of its length, then FIN or RST ->
 * upstream_truncated.
 *
 * A failure with no HTTP answer carries the status nginx logs for such an
 * attempt (502, or 504 for the timeouts), so reports count it among the
 * 5xx. Connections to the gateway's own ports (http_opts.listen_ports) are
 * "downstream": there the client giving up is client_closed (status 499).
 *
 * Bytes lost by the capture (a gap) mark the exchange they hit incomplete;
 * the stream then resyncs at the next request line (status line). An
 * incomplete exchange whose status was seen is still emitted (flagged);
 * one whose status was lost is emitted flagged with status -1 so the
 * caller can record it as a reject rather than guess.
 */
#ifndef GW_HTTP_H
#define GW_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/batch.h"
#include "core/stream.h"

#define HTTP_ADDR_MAX	56	/* "[v6 text]:port" */
#define HTTP_METHOD_MAX	16
#define HTTP_HOST_MAX	128
#define HTTP_PATH_MAX	512
#define HTTP_QUERY_MAX	256
#define HTTP_ID_MAX	96
#define HTTP_ORIG_MAX	256	/* X-Original-URI / X-Forwarded-Uri */

/* One request and its answer, or one failed connection. */
struct http_exchange {
	bool downstream;	/* to a listen port of the gateway */
	bool has_request;	/* a request was seen (else: connect failure,
				 * or a response whose request was not seen) */
	bool incomplete;	/* a capture gap hit it, or the capture ended */
	bool conn_only;		/* failed at connect: no request was sent */
	bool unanswered;	/* downstream: the gateway closed the
				 * connection without a byte of an answer to
				 * it (queued behind a closing answer); a
				 * gateway logs no such request; status -1 */
	bool end_unsure;	/* conn_only timeout: the gateway's give-up was
				 * not seen; end_us is when the capture gave up
				 * waiting (the gateway gave up before it) */
	int64_t syn_us;		/* connection's SYN, -1 unseen or reused conn */
	int64_t synack_us;	/* its SYN-ACK, -1 */
	int64_t start_us;	/* first request byte (SYN for conn_only) */
	int64_t ready_us;	/* when the server could take it up: its
				 * start, or (pipelined) the end of the answer
				 * before it on the connection */
	int64_t first_byte_us;	/* first response byte, -1 none */
	int64_t end_us;		/* last response byte, or the failure */
	char client[HTTP_ADDR_MAX];	/* client address, no port */
	char server[HTTP_ADDR_MAX];	/* "ip:port" of the server */
	uint16_t client_port, server_port;
	char method[HTTP_METHOD_MAX];	/* "" when no request */
	char host[HTTP_HOST_MAX];
	char path[HTTP_PATH_MAX];
	char query[HTTP_QUERY_MAX];
	bool has_query;
	char request_id[HTTP_ID_MAX];	/* request's id header, else the
					 * response's; "" none */
	int id_kind;		/* which header request_id came from: 0 the
				 * --id-header, 1 X-Request-Id, 2 traceparent;
				 * +3 when from the response; -1 none */
	char orig_uri[HTTP_ORIG_MAX];	/* the request's X-Original-URI or
					 * X-Forwarded-Uri (an auth subrequest
					 * names its client request), "" none */
	char protocol[12];	/* "HTTP/1.1" */
	int status;		/* see the file comment; -1 unknown */
	int64_t body_bytes;	/* response body bytes, -1 none */
	int64_t header_bytes;	/* response header bytes, -1 none */
	enum gw_cause cause;
	uint64_t pkt_no;	/* packet that completed it (1-based) */
	uint64_t pkt_offset;	/* byte offset of that packet in the file */
};

/* Receives every exchange; x is only valid during the call. */
typedef void (*http_emit_fn)(void *ctx, const struct http_exchange *x);

struct http_opts {
	const char *id_header;	/* request-id header besides X-Request-Id
				 * and traceparent, or NULL */
	const uint16_t *listen_ports;	/* the gateway's own ports, or NULL */
	size_t n_listen_ports;
	size_t header_buffer;	/* a gateway's response-header buffer:
				 * more unfinished header bytes than this when
				 * it gives up = header too big (4096) */
	int pipeline_max;	/* requests awaiting answers per connection
				 * (64); past it the oldest is dropped */
	bool parser_only;	/* every message read by http-parser, none
				 * the fast way (for tests: both must say
				 * the same) */
	size_t pending_max;	/* requests awaiting answers in all (4096,
				 * ~150 bytes each); when full, the connection
				 * holding the most is given up: see
				 * http_stats.budget_drops */
};

struct http_stats {
	uint64_t connections, requests, responses, exchanges;
	uint64_t conn_failures;		/* refused, timed out, unreachable */
	uint64_t interim;		/* 1xx before the final answer */
	uint64_t upgrades;		/* 101 / CONNECT: then a tunnel */
	uint64_t resyncs;		/* re-found a message start */
	uint64_t not_http;		/* streams given up as not HTTP */
	uint64_t incomplete;		/* exchanges hit by a gap */
	uint64_t orphan_responses;	/* answers to requests not seen */
	uint64_t unanswered_at_end;	/* still waiting when capture ended */
	uint64_t pipeline_drops;
	uint64_t budget_drops;		/* requests dropped, pending_max full */
	uint64_t conns_shed;		/* connections given up for it */
	uint64_t pending_peak;		/* most requests held at once */
	uint64_t unanswered;		/* downstream: closed on, unanswered */
	uint64_t oom;			/* allocations that failed: a
					 * connection or request was lost, so
					 * the caller must report out of
					 * memory, not trust the exchanges */
};

struct http_tracker;

/* A tracker sending exchanges to emit(ctx, x). NULL on OOM. Free with
 * http_tracker_free() after the TCP table is flushed. */
struct http_tracker *http_tracker_new(const struct http_opts *o,
    http_emit_fn emit, void *ctx);
void http_tracker_free(struct http_tracker *t);

/* The callbacks that make the tracker the upper layer of a tcp_table. */
void http_tracker_handler(struct http_tracker *t, struct tcp_handler *h);

/* Number and file offset of the packet about to be handed to TCP. */
void http_tracker_position(struct http_tracker *t, uint64_t pkt_no,
    uint64_t offset);

void http_tracker_stats(const struct http_tracker *t, struct http_stats *s);

/*
 * Add to b the event of request x answered through the attempts
 * att[0..n) (for a plain capture: x itself, n = 1), with cause. Strings go
 * to b's arena. Returns 0 or -1 when out of memory.
 */
int http_event_add(struct gw_batch *b, const struct http_exchange *x,
    const struct http_exchange *const *att, int n, enum gw_cause cause);

/*
 * An exchange as a compact record, for handing it to another thread (the
 * wire join's, cli/capjoin.c): its numbers, then its strings without the
 * unused rest of their arrays. http_exchange_pack() writes the record
 * into buf, which has room for HTTP_EXCHANGE_PACK_MAX bytes, and returns
 * its size (a multiple of 8: records laid one after the other stay
 * aligned); http_exchange_unpack() reads one back into *x (the bytes of
 * x's arrays past each string's end are left as they were, or are those
 * of the packed exchange's) and returns its size.
 */
#define HTTP_EXCHANGE_PACK_MAX	2048
size_t http_exchange_pack(const struct http_exchange *x, void *buf);
size_t http_exchange_unpack(const void *buf, struct http_exchange *x);

/*
 * A consumer of exchanges packed as the tracker reads them (see
 * http_tracker_emit_packed): reserve returns room for a record of up to
 * HTTP_EXCHANGE_PACK_MAX bytes, 8-byte aligned (NULL: it failed, the
 * exchange is dropped and the failure is the consumer's to report);
 * commit takes the record written there, size bytes.
 */
typedef void *(*http_pack_reserve_fn)(void *ctx);
typedef void (*http_pack_commit_fn)(void *ctx, size_t size);

/*
 * From now on, write each answer to a request the tracker holds (nearly
 * every exchange) straight into the consumer's room, packed, without
 * building its struct http_exchange first: the record
 * http_exchange_pack() would make of the exchange the tracker's
 * http_emit_fn would have received (it unpacks to the same numbers and
 * strings; the bytes after a string's end are zeros), with the tracker's
 * ctx. Every other exchange (a failed connect, an answer to no request
 * seen, ...) still goes to http_emit_fn. For a consumer that packs
 * exchanges anyway (cli/capjoin.c).
 */
void http_tracker_emit_packed(struct http_tracker *t,
    http_pack_reserve_fn reserve, http_pack_commit_fn commit);

/* The status nginx logs for an attempt that failed with cause c and got
 * no HTTP answer (502; 504 for timeouts; 499 client_closed). */
int http_failure_status(enum gw_cause c);

/* "Host:port" text of an address. */
void http_addr_text(char *buf, size_t size, uint8_t family,
    const uint8_t *addr, int port);

#endif
