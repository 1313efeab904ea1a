// SPDX-License-Identifier: MIT
/*
 * secret.c - seeds and keys for handle hardening (zs/secret.h) and the
 * handle cipher's round keys (zs/handle_cipher.h).
 *
 * A fuzzing build (FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION, the
 * convention of OSS-Fuzz's flags, AFL++'s compiler and this project's
 * libFuzzer builds, or ZS_FIXED_HANDLE_KEY) takes no entropy: the seed is
 * a function of the salt alone, so an input replayed in a fresh process
 * gets the same handles and a crash reproduces bit for bit.  Such a build
 * must never ship: its keys are public.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* clock_gettime, with -std=c11 */
#endif
#include "zs/secret.h"

#include "zs/handle_cipher.h"

#include <sys/random.h>
#include <sys/types.h>
#include <time.h>

#define GOLDEN_GAMMA 0x9e3779b97f4a7c15ull

uint64_t zs_secret_next(uint64_t *state)
{
	uint64_t z = (*state += GOLDEN_GAMMA);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

uint64_t zs_secret_seed(uint64_t salt)
{
	uint64_t s = 0;

#if !defined(ZS_FIXED_HANDLE_KEY) && \
	!defined(FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION)
	if (getrandom(&s, sizeof(s), GRND_NONBLOCK) != (ssize_t)sizeof(s)) {
		/* No entropy yet (early boot): still distinct per pool and
		 * per call, just not secret, which keeps foreign-handle
		 * detection working. */
		struct timespec ts = { 0 };

		clock_gettime(CLOCK_MONOTONIC, &ts);
		s = (uint64_t)ts.tv_nsec * GOLDEN_GAMMA ^ (uint64_t)ts.tv_sec;
	}
#endif
	s ^= salt;
	return zs_secret_next(&s);
}

void zs_handle_key_draw(struct zs_handle_key *key, uint64_t *secret_state)
{
	int i;

	for (i = 0; i < ZS_HANDLE_ROUNDS; i++)
		key->round[i] = zs_secret_next(secret_state);
}
