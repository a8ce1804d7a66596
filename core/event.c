/*
 * event.c - what a producer of events works out once, on the parse thread,
 * so the store does not again: the lengths of an event's strings and the
 * form of its client address (event.h). A line's strings are in the
 * parse thread's cache as it copies them; the writer, the critical path
 * of an ingest, took strlen() of each (~5% of its time) and the block
 * encoder read every client address as a dotted quad (~8% of its time).
 */
#include "core/event.h"

/*
 * See event.h. No byte is read after a NUL: each one read follows a digit
 * or a dot (at most s[n], the string's NUL), and a NUL ends a number as a
 * '.' would. Reading from the string itself, not a zero-padded copy,
 * saves a fifth of the instructions; a reading in SSE2 (the digits and
 * dots of 16 bytes at once) took as long on production clients, whose
 * numbers' lengths follow no pattern a predictor learns.
 */
bool
event_ipv4(const char *s, size_t n, uint32_t *v)
{
	const unsigned char *b = (const unsigned char *)s;
	uint32_t acc = 0;
	size_t i = 0;

	if (n < 7 || n > 15)
		return false;
	for (int part = 0; part < 4; part++) {
		unsigned d, x;

		if (part > 0 && b[i++] != '.')
			return false;
		if ((d = (unsigned)b[i] - '0') > 9)
			return false;
		x = d;
		if ((d = (unsigned)b[++i] - '0') <= 9) {
			if (x == 0)
				return false;	/* a leading zero */
			x = x * 10 + d;
			if ((d = (unsigned)b[++i] - '0') <= 9) {
				x = x * 10 + d;
				if (x > 255 || (unsigned)b[++i] - '0' <= 9)
					return false;	/* four digits */
			}
		}
		acc = acc << 8 | x;
	}
	if (i != n)
		return false;
	*v = acc;
	return true;
}

/* *len: strlen(s) when s is set and its length is not known yet. */
static inline void
event_fill_len(const char *s, uint16_t *len)
{
	if (s != NULL && *len == 0)
		*len = event_len(strlen(s));
}

/* See event.h. */
void
event_fill(struct gw_event *ev)
{
	event_fill_len(ev->client, &ev->client_len);
	event_fill_len(ev->method, &ev->method_len);
	event_fill_len(ev->host, &ev->host_len);
	event_fill_len(ev->path, &ev->path_len);
	event_fill_len(ev->query, &ev->query_len);
	event_fill_len(ev->protocol, &ev->protocol_len);
	event_fill_len(ev->request_id, &ev->request_id_len);
	event_fill_len(ev->shape, &ev->shape_len);
	for (int i = 0; i < ev->n_attempts; i++)
		event_fill_len(ev->attempts[i].addr, &ev->attempts[i].addr_len);
	if (ev->client_form == GW_CLIENT_UNSET)
		event_fill_client(ev);
}

/* See event.h: the fields event_fill fills, as it lists them. */
void
event_unfill(struct gw_event *ev)
{
	ev->client_len = ev->method_len = ev->host_len = ev->path_len = 0;
	ev->query_len = ev->protocol_len = ev->request_id_len = 0;
	ev->shape_len = 0;
	for (int i = 0; i < ev->n_attempts; i++)
		ev->attempts[i].addr_len = 0;
	ev->client_form = GW_CLIENT_UNSET;
}
