// SPDX-License-Identifier: MIT
/*
 * gtest/zs_arena_retain_plant.c - reading and writing the arena's
 * retention clock for zs_arena_retain_test.cc
 * (gtest/zs_arena_retain_plant.h), under the arena's lock.
 */
#include "gtest/zs_arena_retain_plant.h"

#include <pthread.h>

#include "zs/arena_internal.h"

uint64_t zsr_retained_since(struct zs_arena *a)
{
	uint64_t v;

	pthread_mutex_lock(&a->lock);
	v = a->retained_since;
	pthread_mutex_unlock(&a->lock);
	return v;
}

uint64_t zsr_set_retained_since(struct zs_arena *a, uint64_t since)
{
	uint64_t old;

	pthread_mutex_lock(&a->lock);
	old = a->retained_since;
	a->retained_since = since;
	pthread_mutex_unlock(&a->lock);
	return old;
}

unsigned long zsr_dirty_pages(struct zs_arena *a)
{
	unsigned long v;

	pthread_mutex_lock(&a->lock);
	v = a->pages_dirty;
	pthread_mutex_unlock(&a->lock);
	return v;
}
