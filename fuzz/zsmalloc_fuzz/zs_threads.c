// SPDX-License-Identifier: MIT
/*
 * fuzz/zsmalloc_fuzz/zs_threads.c - the zsmalloc target's ops that run a
 * second thread: race (accesses while another thread moves objects) and
 * pressure (a pressure monitor, whose thread compacts on its own).
 *
 * Both join or stop their thread before returning, so between ops the
 * process is single-threaded again (fatal's fork depends on it), and both
 * end with a full pool check: whatever the other thread moved must read
 * back unchanged.  These are why the target's corpus is replayed under
 * ThreadSanitizer too.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* usleep, with -std=c11 */
#endif

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "fuzz/common/fuzz.h"
#include "fuzz/zsmalloc_fuzz/zs_fuzz.h"
#include "zs/arena.h"
#include "zs/pressure.h"
#include "zs/zsmalloc.h"

/* The mover of op_race: compaction of one kind, over and over, until the
 * op's own accesses are done. */
struct race_mover {
	struct zs_pool *pool;
	struct zs_arena *arena;
	unsigned kind;
	atomic_bool stop;
	unsigned long rounds;
};

static void *race_mover_run(void *arg)
{
	struct race_mover *r = arg;

	do {
		switch (r->kind % 3) {
		case 0:
			zs_compact(r->pool);
			break;
		case 1:
			zs_shrinker_scan(r->pool, 1);
			break;
		default:
			zs_arena_compact(r->arena);
			break;
		}
		/* Bounded, and yielding: the point is to overlap the
		 * accesses, not to burn the fuzzer's time. */
		sched_yield();
	} while (++r->rounds < 1000 && !atomic_load(&r->stop));
	return NULL;
}

/* One access of op_race to a live object, by act % 6: read it back (three
 * ways), rewrite part of it (two ways), or free it and allocate another of
 * its size. */
static void race_access(struct zs_fuzz *f, struct fm_obj *o, uint8_t act,
			uint16_t sel)
{
	size_t size;

	switch (act % 6) {
	case 0:
	case 1:
	case 2:
		zsf_verify_obj(f, o,
			       act % 3 == 0 ? V_READ :
			       act % 3 == 1 ? V_RO :
					      V_RW);
		break;
	case 3:
	case 4:
		zsf_write_obj(f, o, act % 2 ? W_WO : W_OBJ, sel % (o->size + 1),
			      fm_new_seed(&f->m, act), false);
		break;
	default:
		size = o->size;
		zsf_do_free(f, o);
		if (!zsf_enomem_ok(f))
			zsf_do_alloc(f, size, act);
		break;
	}
}

/*
 * Objects read, rewritten, freed and allocated while another thread moves
 * them: every read must still see the model's bytes, every write land.
 * The interleaving is the scheduler's, so a failure may need several runs
 * to reproduce; everything the model checks holds for every interleaving.
 * Arguments: u8 mover, u8 n, n x (u8 action, u16 sel).
 */
void zsf_op_race(void *state, struct fuzz_cursor *c)
{
	struct zs_fuzz *f = state;
	uint8_t mover, n, act[64];
	uint16_t sel[64];
	struct race_mover r;
	struct fm_obj *o;
	pthread_t t;
	unsigned i;

	if (!fc_u8(c, &mover) || !fc_u8(c, &n))
		return;
	n = (uint8_t)(1 + n % 64);
	for (i = 0; i < n; i++)
		if (!fc_u8(c, &act[i]) || !fc_u16(c, &sel[i]))
			return;
	r.pool = f->pool;
	r.arena = zsf_arena_of(f);
	r.kind = mover;
	r.rounds = 0;
	atomic_init(&r.stop, false);
	if (pthread_create(&t, NULL, race_mover_run, &r))
		fm_fail("pthread_create failed");
	for (i = 0; i < n; i++) {
		/* No allocation while failures may be injected: a failed
		 * zs_malloc is checked against statistics the mover changes. */
		if ((o = fm_pick(&f->m, sel[i])))
			race_access(f, o, act[i], sel[i]);
		else if (!zsf_enomem_ok(f))
			zsf_do_alloc(f, 1 + sel[i] % zs_max_alloc_size(),
				     act[i]);
	}
	atomic_store(&r.stop, true);
	if (pthread_join(t, NULL))
		fm_fail("pthread_join failed");
	fm_trace("  race: %u accesses, %lu mover rounds (kind %u)\n", n,
		 r.rounds, mover % 3);
	zsf_pool_check(f, "after a race with a mover");
	f->verify_pending = true;
}

/* PSI files that behave the same on every machine: none; one that cannot
 * exist (ENOENT); /dev/null and /dev/full, which are no PSI files (a
 * trigger "written" to /dev/null would never fire, and the monitor would
 * claim PSI it does not have), so both are refused with EINVAL.  Without
 * PSI the monitor must run and say why. */
static const char *const psi_paths[4] = { "", "/nonexistent/zs-fuzz/pressure",
					  "/dev/null", "/dev/full" };
static const int psi_errors[4] = { 0, ENOENT, EINVAL, EINVAL };

/* A monitor on psi_paths[psi], polling every poll_ms, that must say it
 * has no PSI and why. */
static struct zs_pressure *pressure_create(unsigned psi, unsigned poll_ms)
{
	struct zs_pressure_config cfg;
	struct zs_pressure_stats st;
	struct zs_pressure *mon;

	memset(&cfg, 0, sizeof(cfg));
	cfg.poll_ms = poll_ms;
	cfg.psi_path = psi_paths[psi];
	mon = zs_pressure_create(&cfg);
	if (!mon)
		fm_fail("zs_pressure_create failed, errno %d", errno);
	memset(&st, 0, sizeof(st));
	zs_pressure_get_stats(mon, &st);
	if (st.psi_active || st.psi_error != psi_errors[psi])
		fm_fail("pressure monitor with psi_path \"%s\": psi_active %d "
			"psi_error %d, expected 0 and %d",
			cfg.psi_path, st.psi_active, st.psi_error,
			psi_errors[psi]);
	return mon;
}

/* Bad arguments and unknown registrations (`arena_added`: a was added). */
static void pressure_misuse(struct zs_fuzz *f, struct zs_pressure *mon,
			    struct zs_arena *a, bool arena_added)
{
	struct zs_pressure_stats st;

	fm_expect_ret(zs_pressure_add_pool(NULL, f->pool, 0), -EINVAL,
		      "zs_pressure_add_pool(NULL monitor)", 0);
	fm_expect_ret(zs_pressure_add_pool(mon, NULL, 0), -EINVAL,
		      "zs_pressure_add_pool(NULL pool)", 0);
	fm_expect_ret(zs_pressure_add_arena(mon, NULL), -EINVAL,
		      "zs_pressure_add_arena(NULL)", 0);
	fm_expect_ret(zs_pressure_remove_pool(NULL, f->pool), -EINVAL,
		      "zs_pressure_remove_pool(NULL monitor)", 0);
	fm_expect_ret(zs_pressure_remove_arena(NULL, a), -EINVAL,
		      "zs_pressure_remove_arena(NULL monitor)", 0);
	if (!arena_added)
		fm_expect_ret(zs_pressure_remove_arena(mon, a), -ENOENT,
			      "zs_pressure_remove_arena of an arena never "
			      "added",
			      0);
	if (zs_pressure_reclaim(NULL, 1))
		fm_fail("zs_pressure_reclaim(NULL) is not 0");
	zs_pressure_notify(NULL);
	zs_pressure_destroy(NULL);
	memset(&st, 0xff, sizeof(st));
	zs_pressure_get_stats(NULL, &st);
	if (st.pages_freed || st.psi_active)
		fm_fail("zs_pressure_get_stats(NULL) did not zero");
}

/* Registers the pool (soft limit `limit`) and, with `arena`, its arena:
 * each once, a second time refused. */
static void pressure_add(struct zs_fuzz *f, struct zs_pressure *mon,
			 struct zs_arena *a, unsigned long limit, bool arena)
{
	fm_expect_ret(zs_pressure_add_pool(mon, f->pool, limit), 0,
		      "zs_pressure_add_pool", limit);
	fm_expect_ret(zs_pressure_add_pool(mon, f->pool, limit), -EEXIST,
		      "zs_pressure_add_pool twice", limit);
	if (!arena)
		return;
	fm_expect_ret(zs_pressure_add_arena(mon, a), 0, "zs_pressure_add_arena",
		      0);
	fm_expect_ret(zs_pressure_add_arena(mon, a), -EEXIST,
		      "zs_pressure_add_arena twice", 0);
}

/* Unregisters what pressure_add registered, then the pool once more. */
static void pressure_remove(struct zs_fuzz *f, struct zs_pressure *mon,
			    struct zs_arena *a, bool arena)
{
	if (arena)
		fm_expect_ret(zs_pressure_remove_arena(mon, a), 0,
			      "zs_pressure_remove_arena", 0);
	fm_expect_ret(zs_pressure_remove_pool(mon, f->pool), 0,
		      "zs_pressure_remove_pool", 0);
	fm_expect_ret(zs_pressure_remove_pool(mon, f->pool), -ENOENT,
		      "zs_pressure_remove_pool twice", 0);
}

/*
 * A pressure monitor (with no PSI, or a stand-in whose answers do not
 * depend on the machine) on the pool and its arena: a synchronous
 * reclaim, maybe a soft limit and a notification the monitor's thread acts
 * on while this one goes on, then removal and destruction.  Whatever it
 * moved must read back unchanged.  Arguments: u8 flags, u16 arg.
 */
void zsf_op_pressure(void *state, struct fuzz_cursor *c)
{
	struct zs_fuzz *f = state;
	unsigned long before = zs_get_total_pages(f->pool), freed;
	struct zs_arena *a = zsf_arena_of(f);
	struct zs_pressure *mon;
	unsigned poll_ms;
	uint16_t arg;
	uint8_t flags;

	if (!fc_u8(c, &flags) || !fc_u16(c, &arg))
		return;
	poll_ms = 1 + arg % 8;
	mon = pressure_create((flags & 16 ? 1 : 0) | (flags & 128 ? 2 : 0),
			      poll_ms);
	pressure_add(f, mon, a, flags & 1 ? before / 2 : 0, flags & 2);
	if (flags & 4)
		zs_pressure_notify(mon);
	/* Long enough for the monitor's thread to poll the soft limit. */
	if (flags & 32)
		usleep(1000 * (poll_ms + 1));
	freed = zs_pressure_reclaim(mon, flags & 8 ? arg : 0);
	if (zs_get_total_pages(f->pool) > before)
		fm_fail("zs_pressure_reclaim (freed %lu) grew the pool from "
			"%lu to %lu pages",
			freed, before, zs_get_total_pages(f->pool));
	if (flags & 64)
		pressure_misuse(f, mon, a, flags & 2);
	pressure_remove(f, mon, a, flags & 2);
	zs_pressure_destroy(mon);
	fm_trace("  pressure: reclaim freed %lu, %lu -> %lu pages\n", freed,
		 before, zs_get_total_pages(f->pool));
	zsf_pool_check(f, "after pressure reclaim");
	f->verify_pending = true;
}
