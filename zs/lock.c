// SPDX-License-Identifier: MIT
/*
 * lock.c - the contended paths of the shard lock (see zs/lock.h).
 *
 * A waiter spins briefly (a compactor's critical section is one object
 * copy), then marks the lock contended and sleeps on the futex.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* syscall, with -std=c11 */
#endif
#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "zs/lock.h"

#define SPINS 100

void zs_lock_slow(zs_lock_t *l)
{
	int c, i;

	for (i = 0; i < SPINS; i++) {
		c = 0;
		if (atomic_load_explicit(&l->state, memory_order_relaxed) ==
			    0 &&
		    atomic_compare_exchange_weak_explicit(&l->state, &c, 1,
							  memory_order_acquire,
							  memory_order_relaxed))
			return;
#if defined(__x86_64__) || defined(__i386__)
		__builtin_ia32_pause();
#endif
	}
	/* from here on the lock is taken as "contended", so the owner's
	 * unlock always wakes a sleeper */
	while (atomic_exchange_explicit(&l->state, 2, memory_order_acquire))
		syscall(SYS_futex, &l->state, FUTEX_WAIT_PRIVATE, 2, NULL, NULL,
			0);
}

void zs_unlock_wake(zs_lock_t *l)
{
	syscall(SYS_futex, &l->state, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}
