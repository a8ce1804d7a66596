/*
 * floordiv.h - a time cut down to its second, minute or bucket.
 *
 * C's division truncates toward zero, so -1 ms / 1000 is second 0, the
 * same second as +1 ms; a time before 1970 (a clock set wrong, a crafted
 * log line) would land one unit late. floor_div() rounds down for every
 * sign: the one way gatewatch cuts a time into seconds (request runs, UTC
 * text), minutes (rollups, the console's series) and breaker buckets.
 */
#ifndef GW_FLOORDIV_H
#define GW_FLOORDIV_H

#include <stdint.h>

/* a / b rounded down (also for a < 0), b > 0. */
static inline int64_t
floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b < 0);
}

#endif
