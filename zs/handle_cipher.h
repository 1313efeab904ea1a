/* SPDX-License-Identifier: MIT */
/*
 * zs/handle_cipher.h - handles as a keyed permutation of (slot, generation).
 *
 * Not a public header.  zsmalloc and zbud both name an object by a slot
 * index and a generation that changes at every free.  Handing those out
 * in the clear, or XORed with a key, makes handles of one pool differ in
 * predictable bits: flipping a low bit of a live handle names another
 * live object.  So the pair is sealed with a 4-round Feistel network keyed
 * per pool, a permutation of all 64-bit values.  A value the pool did not
 * issue (forged, another pool's, a stale one with bits changed) opens to
 * an (index, generation) pair that looks random, and is accepted only if
 * that index is a live slot whose generation happens to match: about a
 * 2^-32 chance per guess.  Opening costs 8 multiplications, a few
 * nanoseconds on every lookup.
 */
#ifndef ZS_HANDLE_CIPHER_H
#define ZS_HANDLE_CIPHER_H

#include <stdint.h>

#define ZS_HANDLE_ROUNDS 4

struct zs_handle_key {
	uint64_t round[ZS_HANDLE_ROUNDS];
};

/* Draws the round keys from a secret stream (zs/secret.h). */
void zs_handle_key_draw(struct zs_handle_key *key, uint64_t *secret_state);

/* The round function: a multiply-xorshift hash of the half and its key. */
static inline uint32_t zs_handle_round(uint32_t half, uint64_t round_key)
{
	uint64_t v = ((uint64_t)half ^ round_key) * 0x9e3779b97f4a7c15ull;

	v ^= v >> 29;
	v *= 0xbf58476d1ce4e5b9ull;
	return (uint32_t)(v >> 32);
}

static inline uint64_t zs_handle_seal(const struct zs_handle_key *key,
				      uint32_t index, uint32_t gen)
{
	uint32_t l = gen, r = index, t;
	int i;

	for (i = 0; i < ZS_HANDLE_ROUNDS; i++) {
		t = r;
		r = l ^ zs_handle_round(r, key->round[i]);
		l = t;
	}
	return ((uint64_t)l << 32) | r;
}

static inline void zs_handle_open(const struct zs_handle_key *key,
				  uint64_t handle, uint32_t *index,
				  uint32_t *gen)
{
	uint32_t l = (uint32_t)(handle >> 32), r = (uint32_t)handle, t;
	int i;

	for (i = ZS_HANDLE_ROUNDS - 1; i >= 0; i--) {
		t = l;
		l = r ^ zs_handle_round(l, key->round[i]);
		r = t;
	}
	*gen = l;
	*index = r;
}

#endif /* ZS_HANDLE_CIPHER_H */
