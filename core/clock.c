/*
 * clock.c - monotonic and wall time; see clock.h.
 */
#include <time.h>

#include "core/clock.h"

/* Microseconds of clock id (never fails for the two ids used here). */
static int64_t
clk_us(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* See clock.h. */
int64_t
clk_mono_ms(void)
{
	return clk_us(CLOCK_MONOTONIC) / 1000;
}

/* See clock.h. */
int64_t
clk_mono_us(void)
{
	return clk_us(CLOCK_MONOTONIC);
}

/* See clock.h. */
double
clk_mono_secs(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* See clock.h. */
int64_t
clk_wall_ms(void)
{
	return clk_us(CLOCK_REALTIME) / 1000;
}

/* See clock.h. */
int64_t
clk_wall_us(void)
{
	return clk_us(CLOCK_REALTIME);
}
