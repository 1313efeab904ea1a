// SPDX-License-Identifier: MIT
/*
 * fault_counter.c - the countdown of zs/fault_counter.h.
 */
#include "zs/fault_counter.h"

void zs_fault_counter_arm(struct zs_fault_counter *fc, unsigned after,
			  unsigned count)
{
	atomic_store(&fc->state, count ? ((uint64_t)after << 32) | count : 0);
}

bool zs_fault_counter_fires(struct zs_fault_counter *fc)
{
	uint64_t s = atomic_load_explicit(&fc->state, memory_order_relaxed);
	uint64_t next;
	bool fire;

	do {
		uint32_t after = (uint32_t)(s >> 32), count = (uint32_t)s;

		if (count == 0)
			return false;
		fire = after == 0;
		next = fire ? count - 1u :
			      ((uint64_t)(after - 1u) << 32) | count;
	} while (!atomic_compare_exchange_weak_explicit(&fc->state, &s, next,
							memory_order_acq_rel,
							memory_order_relaxed));
	return fire;
}
