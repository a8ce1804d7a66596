/*
 * clock.h - the one clock of gatewatch: monotonic time for durations,
 * deadlines and rates, wall time for what is stored or shown.
 *
 * Monotonic time never jumps (NTP steps, a changed date): every interval,
 * timeout and "every N seconds" is measured with it. Wall time (UTC since
 * the epoch) is only for stamps that leave the process (a capture's start,
 * a source's last-seen time, "now" of --since 1h). Both come from
 * clock_gettime(), a vDSO call on Linux, cheap enough for a hot loop.
 * The clk_ prefix because POSIX reserves clock_ for <time.h>.
 */
#ifndef GW_CLOCK_H
#define GW_CLOCK_H

#include <stdint.h>

/* Monotonic time in milliseconds / microseconds (arbitrary origin). */
int64_t clk_mono_ms(void);
int64_t clk_mono_us(void);

/* Monotonic time in seconds with a fraction, for rates and progress. */
double clk_mono_secs(void);

/* Wall-clock time (UTC) in milliseconds / microseconds since 1970. */
int64_t clk_wall_ms(void);
int64_t clk_wall_us(void);

#endif
