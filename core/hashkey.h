/*
 * hashkey.h - the one keyed hash, for tables whose keys come from outside
 * (packets, log lines): SipHash-1-3.
 *
 * An unkeyed hash (FNV) lets whoever writes the traffic or the log choose
 * keys that share a bucket and turn every look-up into a walk of one long
 * chain. Each table takes its own random key from hashkey_seed() and
 * hashes with it, so colliding keys cannot be computed in advance. The
 * key never decides an output: tables iterate in insertion or activity
 * order, not bucket order, so results stay the same from run to run.
 * Tables hash through core/hashtab.h (hashtab_hash); hashkey_siphash() with
 * a stored key makes keys that outlive the process (store/intern.c's
 * paths.hash).
 */
#ifndef GW_HASHKEY_H
#define GW_HASHKEY_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* A fresh random key (getrandom(); the clock, pid and ASLR when that
 * fails). Never fails. */
uint64_t hashkey_seed(void);

#define HASHKEY_ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define HASHKEY_SIPROUND(v0, v1, v2, v3) do {				\
	v0 += v1; v1 = HASHKEY_ROTL(v1, 13); v1 ^= v0;			\
	v0 = HASHKEY_ROTL(v0, 32);					\
	v2 += v3; v3 = HASHKEY_ROTL(v3, 16); v3 ^= v2;			\
	v0 += v3; v3 = HASHKEY_ROTL(v3, 21); v3 ^= v0;			\
	v2 += v1; v1 = HASHKEY_ROTL(v1, 17); v1 ^= v2;			\
	v2 = HASHKEY_ROTL(v2, 32);					\
} while (0)

/* SipHash-1-3 of n bytes at p under the 128-bit key k: the reference
 * function, bit for bit (its values are stored in databases). Inline: on
 * every table look-up, and a constant n (integer keys) unrolls. */
static inline uint64_t
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
		memcpy(&m, p + i, 8);	/* little-endian, as the reference */
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

/* Hash of n bytes at p under key seed: hashkey_siphash() under a key made
 * from seed (seed may be an earlier hash, to chain several pieces). */
uint64_t hashkey_bytes(uint64_t seed, const void *p, size_t n);

#endif
