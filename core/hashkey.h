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

/* A fresh random key (getrandom(); the clock, pid and ASLR when that
 * fails). Never fails. */
uint64_t hashkey_seed(void);

/* SipHash-1-3 of n bytes at p under the 128-bit key k: the reference
 * function, bit for bit (its values are stored in databases). */
uint64_t hashkey_siphash(const uint64_t k[2], const void *p, size_t n);

/* Hash of n bytes at p under key seed: hashkey_siphash() under a key made
 * from seed (seed may be an earlier hash, to chain several pieces). */
uint64_t hashkey_bytes(uint64_t seed, const void *p, size_t n);

#endif
