/*
 * capjoin.h - gateway-host mode's wire join on a thread of its own.
 *
 * With --listen, capture's work is three stages: packets to exchanges
 * (decode, TCP, HTTP), the wire join (parse/wire_join.c: each client
 * request tied to its upstream attempts, then built into an event), and
 * the store (the pipeline's writer thread). The first stage fills a chunk
 * of records - each finished exchange, packed (http_exchange_pack), and
 * ticks of the capture clock with the position reached - while the join
 * thread hands the other chunk's records, in order, to the caller's
 * functions. The three threads share the two cores as their loads come
 * (the join and the writer together weigh about what the first stage
 * does), and memory stays at two chunks of about CAPJOIN_CHUNK bytes.
 */
#ifndef GW_CAPJOIN_H
#define GW_CAPJOIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "parse/http.h"

#define CAPJOIN_CHUNK	(256 * 1024)

/*
 * Run on the join thread, in the order the records were added; each
 * returns 0, or -1 with err filled (then the thread drops what follows
 * and the next call on the capture side returns the error).
 *   exchange: one finished exchange;
 *   tick: the capture clock is ts_us; advance: the join is due to advance
 *     (as the packet loop did every 256 packets or quiet moment); packet:
 *     the packet numbered line_no ending at byte position was read;
 *   finish: the end, after every record (capjoin_finish); run even after
 *     a function failed (the records after the failure are dropped), so
 *     that what the join holds is released and counted.
 */
struct capjoin_fns {
	int (*exchange)(void *ctx, const struct http_exchange *x, char *err,
	    size_t errlen);
	int (*tick)(void *ctx, int64_t ts_us, bool advance, bool packet,
	    uint64_t position, uint64_t line_no, char *err, size_t errlen);
	int (*finish)(void *ctx, char *err, size_t errlen);
};

struct capjoin;

/* Start the join thread; NULL with err filled on failure. */
struct capjoin *capjoin_new(const struct capjoin_fns *fns, void *ctx,
    char *err, size_t errlen);

/*
 * Add a record to the chunk being filled; a chunk of CAPJOIN_CHUNK bytes
 * or more is handed to the join thread (waiting while it still works on
 * the one before). 0, or -1 with err filled: out of memory, or the join
 * thread failed (its error).
 */
int capjoin_exchange(struct capjoin *c, const struct http_exchange *x,
    char *err, size_t errlen);
/*
 * capjoin_exchange() for an exchange packed in place (see
 * http_tracker_emit_packed): capjoin_reserve returns room in the chunk
 * being filled for a record of up to HTTP_EXCHANGE_PACK_MAX bytes, 8-byte
 * aligned (NULL with err filled: the join thread failed); capjoin_commit
 * adds the size bytes written there (0, or -1 with err filled, as
 * capjoin_exchange).
 */
void *capjoin_reserve(struct capjoin *c, char *err, size_t errlen);
int capjoin_commit(struct capjoin *c, size_t size, char *err, size_t errlen);
int capjoin_tick(struct capjoin *c, int64_t ts_us, bool advance, bool packet,
    uint64_t position, uint64_t line_no, char *err, size_t errlen);

/* Hand the chunk over now, if it holds anything and the thread is idle
 * (a live capture's records must not wait for a chunk to fill); never
 * waits for the thread. 0 or -1 as above. */
int capjoin_handoff(struct capjoin *c, char *err, size_t errlen);

/*
 * Hand over the rest, let the thread run finish (after a failure too),
 * wait for it and stop it. Returns 0, or -1 with err filled: the first
 * failure, which an earlier call may have returned already. After it,
 * what the functions wrote is the caller's to read.
 */
int capjoin_finish(struct capjoin *c, char *err, size_t errlen);

/* Stop the thread if still running (dropping what was not handed over)
 * and free everything. */
void capjoin_free(struct capjoin *c);

#endif
