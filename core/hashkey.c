/*
 * hashkey.c - the keyed hash; see hashkey.h.
 *
 * SipHash-1-3 (one compression round per 8 bytes, three to finish: the
 * variant Rust's and Python's tables use). Measured against the
 * multiply-xorshift fold this file had (two dependent multiplications per
 * 8 bytes): fewer cycles on the 4-100 byte keys the tables see
 * (addresses, paths, names), and it is a PRF, so an attacker who cannot see
 * the key cannot aim many keys at one run of slots.
 */
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/random.h>

#include "core/hashkey.h"

/* SplitMix64's finaliser: spreads the fallback seed's bits. */
static uint64_t
hashkey_mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* See hashkey.h. */
uint64_t
hashkey_seed(void)
{
	uint64_t s = 0;
	struct timespec ts;

	if (getrandom(&s, sizeof(s), GRND_NONBLOCK) == (ssize_t)sizeof(s))
		return s;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	s = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32) ^
	    ((uint64_t)getpid() << 16) ^ (uint64_t)(uintptr_t)&s;
	return hashkey_mix(s);
}

/* See hashkey.h. */
uint64_t
hashkey_bytes(uint64_t seed, const void *p, size_t n)
{
	const uint64_t k[2] = {seed, seed ^ 0x9e3779b97f4a7c15ULL};

	return hashkey_siphash(k, p, n);
}
