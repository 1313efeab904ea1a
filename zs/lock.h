/* SPDX-License-Identifier: MIT */
/*
 * zs/lock.h - the shard lock: a small futex mutex.
 *
 * Why not pthread_mutex_t: it is smaller (4 bytes), and a program with
 * many pools holds many of them; when zs had a lock per size class,
 * zs_pool_check held up to 191 at once, more than ThreadSanitizer's
 * deadlock detector can track (64).  This lock is built on C11 atomics, so
 * TSan still sees every happens-before edge it creates, and it is as cheap
 * as a pthread mutex: one CAS to take, one exchange to release,
 * a futex call only under contention (Drepper, "Futexes Are Tricky",
 * mutex #2).
 */
#ifndef ZS_LOCK_H
#define ZS_LOCK_H

#include <stdatomic.h>

typedef struct {
	_Atomic int state; /* 0 free, 1 locked, 2 locked with waiters */
} zs_lock_t;

#define ZS_LOCK_INIT \
	{            \
		0    \
	}

void zs_lock_slow(zs_lock_t *l);
void zs_unlock_wake(zs_lock_t *l);

static inline void zs_lock_init(zs_lock_t *l)
{
	atomic_init(&l->state, 0);
}

static inline void zs_lock(zs_lock_t *l)
{
	int expected = 0;

	if (!atomic_compare_exchange_strong_explicit(&l->state, &expected, 1,
						     memory_order_acquire,
						     memory_order_relaxed))
		zs_lock_slow(l);
}

static inline void zs_unlock(zs_lock_t *l)
{
	if (atomic_exchange_explicit(&l->state, 0, memory_order_release) == 2)
		zs_unlock_wake(l);
}

#endif /* ZS_LOCK_H */
