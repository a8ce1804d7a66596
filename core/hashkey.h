/*
 * hashkey.h - keyed hashes for tables whose keys come from outside
 * (packets, log lines).
 *
 * An unkeyed hash (FNV) lets whoever writes the traffic or the log choose
 * keys that share a bucket and turn every look-up into a walk of one long
 * chain. Each table takes its own random key from hashkey_seed() and
 * hashes with it, so colliding keys cannot be computed in advance. The
 * key never decides an output: tables iterate in insertion or activity
 * order, not bucket order, so results stay the same from run to run.
 */
#ifndef GW_HASHKEY_H
#define GW_HASHKEY_H

#include <stddef.h>
#include <stdint.h>

/* A fresh random key (getrandom(); the clock, pid and ASLR when that
 * fails). Never fails. */
uint64_t hashkey_seed(void);

/* Hash of n bytes at p under key seed. */
uint64_t hashkey_bytes(uint64_t seed, const void *p, size_t n);

/* Fold one 64-bit word into a running hash h (start from the seed). */
uint64_t hashkey_word(uint64_t h, uint64_t w);

#endif
