/*
 * hashbench.c - time core/hashkey's SipHash-1-3 against the
 * multiply-xorshift fold hashkey_bytes was before issue 15, on the key
 * lengths the tables hash (8: an id; 13 and 37: an IPv4 and an IPv6
 * connection; 16: a packed rollup key; 40, 64: paths).
 *
 *   hashbench [CALLS]
 *
 * Prints nanoseconds per call, the best of 15 rounds of CALLS calls each
 * (default 2,000,000), so a loaded machine disturbs it less. A figure,
 * never pass/fail (issue 15's notes quote it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/hashkey.h"

/* The fold: each 8 bytes xored into the state and mixed (SplitMix64). */
static uint64_t
bench_mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static __attribute__((noinline)) uint64_t
bench_fold(uint64_t seed, const void *p, size_t n)
{
	const unsigned char *b = p;
	uint64_t h = seed, w;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		memcpy(&w, b + i, 8);
		h = bench_mix(h ^ w);
	}
	if (i < n) {
		w = 0;
		memcpy(&w, b + i, n - i);
		h = bench_mix(h ^ w);
	}
	return bench_mix(h ^ (uint64_t)n);
}

static __attribute__((noinline)) uint64_t
bench_sip(const uint64_t k[2], const void *p, size_t n)
{
	return hashkey_siphash(k, p, n);
}

static double
bench_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	static char buf[2048];
	const size_t lens[] = {8, 13, 16, 37, 40, 64};
	uint64_t k[2] = {hashkey_seed(), hashkey_seed()}, acc = 0;
	long calls = argc > 1 ? atol(argv[1]) : 2000000;

	if (calls < 1)
		calls = 1;
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (char)(i * 7);
	for (size_t li = 0; li < sizeof(lens) / sizeof(lens[0]); li++) {
		size_t n = lens[li];
		double best_sip = 1e9, best_fold = 1e9;

		for (int round = 0; round < 15; round++) {
			double t0 = bench_now(), t1, t2;

			for (long i = 0; i < calls; i++)
				acc += bench_sip(k, buf + (i & 1023), n);
			t1 = bench_now();
			for (long i = 0; i < calls; i++)
				acc += bench_fold(k[0], buf + (i & 1023), n);
			t2 = bench_now();
			if (t1 - t0 < best_sip)
				best_sip = t1 - t0;
			if (t2 - t1 < best_fold)
				best_fold = t2 - t1;
		}
		printf("%3zu bytes: siphash-1-3 %6.2f ns, old fold %6.2f ns\n",
		    n, best_sip / (double)calls * 1e9,
		    best_fold / (double)calls * 1e9);
	}
	return acc == 42 ? 1 : 0;	/* keeps the calls */
}
