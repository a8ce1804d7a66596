/*
 * batch.h - a run of parsed records on its way from parse/ to store/.
 *
 * The producer (the ingest loop in cli/) fills a batch from one source, then
 * hands it to a sink (store_write_batch) which stores the records and the
 * source position in one transaction; then the batch is cleared and its
 * arena reused. The arrays grow as needed and are kept across clears.
 */
#ifndef GW_BATCH_H
#define GW_BATCH_H

#include <stdint.h>

#include "core/arena.h"
#include "core/event.h"

struct gw_batch {
	struct arena *arena;	/* strings and attempts of every record */
	int64_t source_id;	/* store's id of the source these came from */
	uint64_t position;	/* byte offset in the source after the batch */
	uint64_t line_no;	/* lines consumed from the source after it */
	/*
	 * Partial records (CRI "P", Docker without "\n") still held, unjoined,
	 * after the batch: the first chunk of the earliest one starts
	 * held_bytes before position, held_lines lines before line_no
	 * (itself included); 0 when none. Stored as the source's rewind
	 * point: a resumed run reads again from there (parse/lineparse.h).
	 */
	uint64_t held_bytes, held_lines;

	struct gw_event *events;
	size_t n_events, cap_events;
	struct gw_gateway_error *errors;
	size_t n_errors, cap_errors;
	struct gw_reject *rejects;
	size_t n_rejects, cap_rejects;
};

/* Initialise b with a fresh arena; returns 0, or -1 when out of memory. */
int batch_init(struct gw_batch *b);
void batch_destroy(struct gw_batch *b);

/* Empty the batch and its arena; keeps capacity. */
void batch_clear(struct gw_batch *b);

/* A zeroed slot at the end of each array; NULL when out of memory. */
struct gw_event *batch_add_event(struct gw_batch *b);
/*
 * The same slot not zeroed, for a parser that sets every field itself
 * (logformat_parse overwrites all but line_no and offset).
 */
struct gw_event *batch_add_event_unset(struct gw_batch *b);
struct gw_gateway_error *batch_add_error(struct gw_batch *b);

/*
 * Record a rejected line: reason is a static string; raw is copied (cut at
 * GW_REJECT_RAW_MAX). Returns 0, or -1 when out of memory.
 */
int batch_add_reject(struct gw_batch *b, uint64_t line_no, uint64_t offset,
    const char *reason, const char *raw, size_t raw_len);

/* Records held; a caller flushes when this passes its batch size. */
size_t batch_count(const struct gw_batch *b);

/* A sink takes a full batch; returns 0 or -1 with err filled. */
typedef int (*gw_sink_fn)(void *ctx, struct gw_batch *b, char *err, size_t errlen);

#endif
