/* SPDX-License-Identifier: MIT */
/*
 * zs/fault_counter.h - the one countdown behind every injected failure.
 *
 * Not a public header.  Tests make allocations fail at three levels: the
 * host's (zs/fault.h), one pool's (zs_pool_inject_failures) and one
 * arena's (zs_arena_inject_failures).  Each is "after `after` more
 * successes, the next `count` fail", so each is one of these counters.
 * The state is one atomic word, so asking costs a relaxed load when
 * nothing is armed and no lock is ever taken: counters are asked under
 * class, pool and arena locks alike.
 */
#ifndef ZS_FAULT_COUNTER_H
#define ZS_FAULT_COUNTER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

struct zs_fault_counter {
	_Atomic uint64_t state; /* (after << 32) | count; 0 = disarmed */
};

/* count 0 disarms (after is then forgotten). */
void zs_fault_counter_arm(struct zs_fault_counter *fc, unsigned after,
			  unsigned count);

/* One allocation asks: true when it is to fail. */
bool zs_fault_counter_fires(struct zs_fault_counter *fc);

#endif /* ZS_FAULT_COUNTER_H */
