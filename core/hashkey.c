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

#define HASHKEY_ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define HASHKEY_SIPROUND(v0, v1, v2, v3) do {				\
	v0 += v1; v1 = HASHKEY_ROTL(v1, 13); v1 ^= v0;			\
	v0 = HASHKEY_ROTL(v0, 32);					\
	v2 += v3; v3 = HASHKEY_ROTL(v3, 16); v3 ^= v2;			\
	v0 += v3; v3 = HASHKEY_ROTL(v3, 21); v3 ^= v0;			\
	v2 += v1; v1 = HASHKEY_ROTL(v1, 17); v1 ^= v2;			\
	v2 = HASHKEY_ROTL(v2, 32);					\
} while (0)

/* See hashkey.h. */
uint64_t
hashkey_siphash(const uint64_t k[2], const void *in, size_t n)
{
	const unsigned char *p = in;
	uint64_t v0 = 0x736f6d6570736575ULL ^ k[0];
	uint64_t v1 = 0x646f72616e646f6dULL ^ k[1];
	uint64_t v2 = 0x6c7967656e657261ULL ^ k[0];
	uint64_t v3 = 0x7465646279746573ULL ^ k[1];
	uint64_t m, b = (uint64_t)n << 56;
	size_t i, tail = n & 7;

	for (i = 0; i + 8 <= n; i += 8) {
		memcpy(&m, p + i, 8);	/* little-endian hosts; any order is a hash */
		v3 ^= m;
		HASHKEY_SIPROUND(v0, v1, v2, v3);
		v0 ^= m;
	}
	for (size_t j = 0; j < tail; j++)
		b |= (uint64_t)p[i + j] << (8 * j);
	v3 ^= b;
	HASHKEY_SIPROUND(v0, v1, v2, v3);
	v0 ^= b;
	v2 ^= 0xff;
	HASHKEY_SIPROUND(v0, v1, v2, v3);
	HASHKEY_SIPROUND(v0, v1, v2, v3);
	HASHKEY_SIPROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}

/* See hashkey.h. */
uint64_t
hashkey_bytes(uint64_t seed, const void *p, size_t n)
{
	const uint64_t k[2] = {seed, seed ^ 0x9e3779b97f4a7c15ULL};

	return hashkey_siphash(k, p, n);
}
