/*
 * batch.c - growable arrays of records plus their arena; see batch.h.
 */
#include <stdlib.h>
#include <string.h>

#include "core/batch.h"
#include "core/grow.h"

int
batch_init(struct gw_batch *b)
{
	memset(b, 0, sizeof(*b));
	b->arena = arena_new();
	return b->arena == NULL ? -1 : 0;
}

void
batch_destroy(struct gw_batch *b)
{
	arena_free(b->arena);
	free(b->events);
	free(b->errors);
	free(b->rejects);
	memset(b, 0, sizeof(*b));
}

void
batch_clear(struct gw_batch *b)
{
	arena_reset(b->arena);
	b->n_events = 0;
	b->n_errors = 0;
	b->n_rejects = 0;
}

struct gw_event *
batch_add_event(struct gw_batch *b)
{
	if (grow_array((void **)&b->events, &b->cap_events, b->n_events,
	    sizeof(*b->events), 256) != 0)
		return NULL;
	struct gw_event *e = &b->events[b->n_events++];
	memset(e, 0, sizeof(*e));
	return e;
}

struct gw_event *
batch_add_event_unset(struct gw_batch *b)
{
	if (grow_array((void **)&b->events, &b->cap_events, b->n_events,
	    sizeof(*b->events), 256) != 0)
		return NULL;
	return &b->events[b->n_events++];
}

struct gw_gateway_error *
batch_add_error(struct gw_batch *b)
{
	if (grow_array((void **)&b->errors, &b->cap_errors, b->n_errors,
	    sizeof(*b->errors), 256) != 0)
		return NULL;
	struct gw_gateway_error *e = &b->errors[b->n_errors++];
	memset(e, 0, sizeof(*e));
	return e;
}

int
batch_add_reject(struct gw_batch *b, uint64_t line_no, uint64_t offset,
    const char *reason, const char *raw, size_t raw_len)
{
	if (grow_array((void **)&b->rejects, &b->cap_rejects, b->n_rejects,
	    sizeof(*b->rejects), 256) != 0)
		return -1;
	if (raw_len > GW_REJECT_RAW_MAX)
		raw_len = GW_REJECT_RAW_MAX;
	char *copy = arena_strndup(b->arena, raw, raw_len);
	if (copy == NULL)
		return -1;
	struct gw_reject *r = &b->rejects[b->n_rejects++];
	r->line_no = line_no;
	r->offset = offset;
	r->reason = reason;
	r->raw = copy;
	r->raw_len = raw_len;
	return 0;
}

size_t
batch_count(const struct gw_batch *b)
{
	return b->n_events + b->n_errors + b->n_rejects;
}
