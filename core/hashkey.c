/*
 * hashkey.c - keyed hashes; see hashkey.h.
 *
 * Each 64-bit word of input is xored into the state, which then goes
 * through a bijective mixer (two multiply-xorshift rounds, the finaliser
 * of SplitMix64/Murmur3); the seed is the initial state and the length is
 * folded in last. Not a cryptographic MAC: enough that an attacker who
 * cannot see the key cannot aim many keys at one bucket.
 */
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/random.h>

#include "core/hashkey.h"

/* SplitMix64's finaliser: a bijection that spreads every input bit. */
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
hashkey_word(uint64_t h, uint64_t w)
{
	return hashkey_mix(h ^ w);
}

/* See hashkey.h. */
uint64_t
hashkey_bytes(uint64_t seed, const void *p, size_t n)
{
	const unsigned char *b = p;
	uint64_t h = seed, w;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		memcpy(&w, b + i, 8);
		h = hashkey_mix(h ^ w);
	}
	if (i < n) {
		w = 0;
		memcpy(&w, b + i, n - i);
		h = hashkey_mix(h ^ w);
	}
	return hashkey_mix(h ^ (uint64_t)n);
}
