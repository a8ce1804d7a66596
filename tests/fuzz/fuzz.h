/*
 * fuzz.h - what the libFuzzer harnesses of tests/fuzz/ share.
 *
 * Each harness (fuzz_*.c) defines LLVMFuzzerTestOneInput() over the
 * project's own objects, built with clang and
 * -fsanitize=fuzzer-no-link,address,undefined into build-fuzz/ (see the
 * Makefile's fuzz targets and tests/fuzz/README). Inputs are cut into
 * lines here; every line is handed to the code under test in a heap copy
 * of exactly its length, so a read one byte past a line (the parsers get
 * lengths, never a NUL) is an AddressSanitizer report, as it would be at
 * the end of the input.
 */
#ifndef GW_FUZZ_H
#define GW_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/event.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Called with each line (no newline) in a heap copy of len bytes. */
typedef void (*fuzz_line_fn)(void *ctx, const char *line, size_t len,
    uint64_t line_no, uint64_t offset);

/* Cut p[0..n) at '\n' and hand every line to fn; a final line without a
 * newline counts. Stops early when a copy cannot be made. */
static inline void
fuzz_lines(const uint8_t *p, size_t n, fuzz_line_fn fn, void *ctx)
{
	size_t off = 0;
	uint64_t no = 1;

	while (off < n) {
		const uint8_t *nl = memchr(p + off, '\n', n - off);
		size_t len = nl != NULL ? (size_t)(nl - (p + off)) : n - off;
		char *copy = malloc(len ? len : 1);

		if (copy == NULL)
			return;
		memcpy(copy, p + off, len);
		fn(ctx, copy, len, no++, off);
		free(copy);
		off += len + 1;
	}
}

/* Two strings alike, NULL only like NULL. */
static inline bool
fuzz_same_str(const char *x, const char *y)
{
	return (x == NULL && y == NULL) ||
	    (x != NULL && y != NULL && strcmp(x, y) == 0);
}

/* A length an event carries is strlen's, or 0 (not known: event.h). */
static inline bool
fuzz_len_ok(const char *s, uint16_t len)
{
	return s == NULL ? len == 0 : len == 0 || len == strlen(s);
}

/*
 * What ev carries of its strings (core/event.h) is what they hold: every
 * length set is strlen's, a client read as a dotted quad is one, with its
 * value, and one read as text is none.
 */
static inline bool
fuzz_event_lens_ok(const struct gw_event *ev)
{
	uint32_t v;

	if (!fuzz_len_ok(ev->client, ev->client_len) ||
	    !fuzz_len_ok(ev->method, ev->method_len) ||
	    !fuzz_len_ok(ev->host, ev->host_len) ||
	    !fuzz_len_ok(ev->path, ev->path_len) ||
	    !fuzz_len_ok(ev->query, ev->query_len) ||
	    !fuzz_len_ok(ev->protocol, ev->protocol_len) ||
	    !fuzz_len_ok(ev->request_id, ev->request_id_len) ||
	    !fuzz_len_ok(ev->shape, ev->shape_len))
		return false;
	for (int i = 0; i < ev->n_attempts; i++)
		if (!fuzz_len_ok(ev->attempts[i].addr, ev->attempts[i].addr_len))
			return false;
	switch (ev->client_form) {
	case GW_CLIENT_UNSET:
		return true;
	case GW_CLIENT_V4:
		return ev->client != NULL && event_ipv4(ev->client,
		    strlen(ev->client), &v) && v == ev->client_v4;
	case GW_CLIENT_TEXT:
		return ev->client == NULL || !event_ipv4(ev->client,
		    strlen(ev->client), &v);
	default:
		return false;
	}
}

/* Every field of two events alike: a fast path against its general twin. */
static inline bool
fuzz_same_event(const struct gw_event *x, const struct gw_event *y)
{
	if (x->ts_ms != y->ts_ms || x->tz_min != y->tz_min ||
	    x->tz_known != y->tz_known || x->status != y->status ||
	    x->bytes != y->bytes || x->request_ms != y->request_ms ||
	    x->cause != y->cause || x->n_attempts != y->n_attempts ||
	    x->line_no != y->line_no || x->offset != y->offset ||
	    !fuzz_same_str(x->client, y->client) ||
	    !fuzz_same_str(x->method, y->method) ||
	    !fuzz_same_str(x->host, y->host) ||
	    !fuzz_same_str(x->path, y->path) ||
	    !fuzz_same_str(x->query, y->query) ||
	    !fuzz_same_str(x->protocol, y->protocol) ||
	    !fuzz_same_str(x->request_id, y->request_id) ||
	    !fuzz_same_str(x->shape, y->shape) ||
	    !fuzz_same_str(x->origin, y->origin))
		return false;
	for (int i = 0; i < x->n_attempts; i++) {
		const struct gw_attempt *a = &x->attempts[i], *b = &y->attempts[i];

		if (!fuzz_same_str(a->addr, b->addr) || a->status != b->status ||
		    a->connect_ms != b->connect_ms ||
		    a->header_ms != b->header_ms ||
		    a->response_ms != b->response_ms || a->group != b->group ||
		    a->cause != b->cause)
			return false;
	}
	return true;
}

#endif
