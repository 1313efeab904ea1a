// SPDX-License-Identifier: MIT
/*
 * gtest/zsmalloc_faults_test.cc - allocation failure at every point.
 *
 * The contract: when the page cap is reached or the OS refuses memory,
 * zs_malloc returns -ENOMEM, leaves *handle alone, leaks nothing, and every
 * existing object stays intact.  The sweep below replays one fixed, long
 * sequence of allocations and frees on a fresh pool once per k, failing
 * the k-th internal allocation (pages and descriptors, through the pool's
 * hook; then pages only, through the arena's), until k is past the last
 * allocation the sequence makes.  After every step the pool must pass
 * zs_pool_check and agree with the test's own record of live objects.
 */
#include "gtest/zs_shim.h"

#include <gtest/gtest.h>

#include <random>

namespace
{

constexpr uint64_t kSentinel = 0x0badf00d0badf00dULL;

struct Live {
	uint64_t handle;
	std::vector<uint8_t> bytes;
};

/* The fixed sequence: sizes over every range (tiny, straddling, huge) and
 * frees of random live objects, the live set kept small so that zspages
 * empty and refill, which is where allocations happen. */
struct Sequence {
	struct Op {
		bool alloc;
		size_t size; /* alloc */
		uint32_t pick; /* free: index = pick % live */
	};
	std::vector<Op> ops;

	explicit Sequence(unsigned n, uint32_t seed)
	{
		std::mt19937 rng(seed);
		unsigned live = 0;
		for (unsigned i = 0; i < n; i++) {
			bool alloc = live == 0 ||
				     (live < 40 && rng() % 100 < 60) ||
				     rng() % 100 < 20;
			Op op = { alloc, 0, (uint32_t)rng() };
			if (alloc) {
				switch (rng() % 4) {
				case 0:
					op.size = 1 + rng() % 256;
					break;
				case 1:
					op.size = 1 + rng() % 2048;
					break;
				case 2:
					op.size = 2048 + rng() % 2049;
					break;
				default:
					op.size = 3600 + rng() % 497;
					break;
				}
				live++;
			} else {
				live--;
			}
			ops.push_back(op);
		}
	}
};

struct RunResult {
	unsigned enomem = 0;
	unsigned allocs_ok = 0;
};

::testing::AssertionResult AllLiveIntact(zs_pool *pool,
					 const std::vector<Live> &live)
{
	std::vector<uint8_t> buf(4096);
	for (size_t i = 0; i < live.size(); i++) {
		const Live &o = live[i];
		if (zs_obj_size(pool, o.handle) != o.bytes.size())
			return ::testing::AssertionFailure()
			       << "object " << i << ": size "
			       << zs_obj_size(pool, o.handle)
			       << " != " << o.bytes.size();
		const void *p = zs_obj_read_begin(pool, o.handle, buf.data());
		if (!p)
			return ::testing::AssertionFailure()
			       << "object " << i << ": read_begin failed";
		bool same = memcmp(p, o.bytes.data(), o.bytes.size()) == 0;
		zs_obj_read_end(pool, o.handle, p);
		if (!same)
			return ::testing::AssertionFailure()
			       << "object " << i << " (" << o.bytes.size()
			       << " B) changed";
	}
	return ::testing::AssertionSuccess();
}

/* Replays seq on pool; arm() has been called by the caller.  Fails the
 * current test (and stops early) on any contract violation. */
RunResult Replay(zs_pool *pool, const Sequence &seq, const char *what,
		 unsigned k)
{
	RunResult res;
	std::vector<Live> live;
	uint64_t bytes = 0;
	uint64_t seed = 0;
	size_t last_failure = ~(size_t)0 / 2;
	for (size_t step = 0; step < seq.ops.size(); step++) {
		const Sequence::Op &op = seq.ops[step];
		bool failed_now = false;
		if (op.alloc || live.empty()) {
			size_t size = op.alloc ? op.size : 100;
			uint64_t h = kSentinel;
			int ret = zs_malloc(pool, size, &h);
			if (ret == 0) {
				Live o = { h, zs::Pattern(size, ++seed) };
				EXPECT_ERRNO(zs_obj_write(pool, h,
							  o.bytes.data(), size),
					     0);
				bytes += size;
				live.push_back(std::move(o));
				res.allocs_ok++;
			} else {
				EXPECT_ERRNO(ret, -ENOMEM) << what << " k=" << k
							   << " step " << step;
				EXPECT_EQ(h, kSentinel)
					<< "handle written on failure";
				res.enomem++;
				failed_now = true;
			}
		} else {
			size_t i = op.pick % live.size();
			EXPECT_ERRNO(zs_free(pool, live[i].handle), 0);
			bytes -= live[i].bytes.size();
			live[i] = std::move(live.back());
			live.pop_back();
		}
		/* The full walk costs ~100 us under ASan: run it where the
		 * failure hit and for a few steps after (where damage would
		 * show), every 4th step otherwise, and at the end. */
		if (failed_now)
			last_failure = step;
		if (step - last_failure < 5 || step % 4 == 0 ||
		    step + 1 == seq.ops.size()) {
			EXPECT_ERRNO(zs_pool_check(pool), 0)
				<< what << " k=" << k << " step " << step;
		}
		struct zs_pool_stats st;
		zs_pool_stats(pool, &st);
		EXPECT_EQ(st.objs_used, live.size())
			<< what << " k=" << k << " step " << step;
		EXPECT_EQ(st.bytes_stored, bytes);
		EXPECT_EQ(st.alloc_failures, res.enomem);
		/* Every object, after every step: where the failure hit,
		 * and wherever its aftermath could show. */
		EXPECT_TRUE(AllLiveIntact(pool, live))
			<< what << " k=" << k << " step " << step
			<< (failed_now ? " (just failed)" : "");
		if (::testing::Test::HasFailure())
			break;
	}
	for (const Live &o : live)
		zs_free(pool, o.handle);
	EXPECT_EQ(zs_get_total_pages(pool), 0u) << what << " k=" << k;
	return res;
}

/* The sweep on pools of one chain size: runs until k is past the
 * sequence's last internal allocation; the runs that saw -ENOMEM. */
unsigned PoolHookSweep(const Sequence &seq, unsigned chain)
{
	unsigned k, runs_failing = 0;
	for (k = 0; k < 5000; k++) {
		zs::Pool pool = zs::Pool::WithChain(chain);
		EXPECT_NE(pool.get(), nullptr);
		if (!pool.get())
			return 0;
		zs_pool_inject_failures(pool, k, 1);
		RunResult r = Replay(pool, seq, "pool hook", k);
		if (::testing::Test::HasFailure())
			return 0;
		/* One injected failure can fail at most one zs_malloc. */
		EXPECT_LE(r.enomem, 1u) << "k=" << k << ", chain " << chain;
		if (r.enomem == 0)
			break; /* k is past the sequence's last allocation */
		runs_failing++;
	}
	EXPECT_LT(k, 5000u) << "the sweep never got past the sequence";
	printf("pool hook sweep, chain %u: %u runs, %u saw -ENOMEM\n", chain,
	       k + 1, runs_failing);
	return runs_failing;
}

TEST(ZsFaults, PoolHookSweepFailsEachAllocationInTurn)
{
	/* The sequence makes many internal allocations; each failed run
	 * exercised one -ENOMEM path.  Objects of every size share zspages
	 * now, so 8-page zspages are few (the first of them needs a handle
	 * chunk, a descriptor chunk and its pages; then one zspage per
	 * 32 KiB of live objects, and a page per huge object): one-page
	 * zspages, 8 times as many, are where most -ENOMEM paths are (45
	 * and 8 points when this was written). */
	Sequence seq(160, 7);
	EXPECT_GE(PoolHookSweep(seq, 1), 30u);
	ASSERT_FALSE(HasFailure());
	EXPECT_GE(PoolHookSweep(seq, 8), 5u);
}

/* One run of seq on a fresh private arena failing its k-th page; the
 * arena must be empty and destroyable afterwards (nothing leaked). */
RunResult ArenaRun(const Sequence &seq, unsigned k)
{
	RunResult r;
	zs_arena *arena = zs_arena_create();
	EXPECT_NE(arena, nullptr);
	if (!arena)
		return r;
	{
		zs_pool_config cfg = {};
		cfg.arena = arena;
		zs::Pool pool(cfg);
		EXPECT_NE(pool.get(), nullptr);
		if (!pool.get())
			return r;
		zs_arena_inject_failures(arena, k, 1);
		r = Replay(pool, seq, "arena hook", k);
	}
	struct zs_arena_stats ast;
	zs_arena_stats(arena, &ast);
	EXPECT_EQ(ast.pages_in_use, 0u) << "k=" << k;
	EXPECT_ERRNO(zs_arena_destroy(arena), 0) << "k=" << k;
	return r;
}

TEST(ZsFaults, ArenaHookSweepFailsEachPageInTurn)
{
	Sequence seq(160, 11);
	unsigned k, runs_failing = 0;
	for (k = 0; k < 5000; k++) {
		RunResult r = ArenaRun(seq, k);
		ASSERT_FALSE(HasFailure());
		ASSERT_LE(r.enomem, 1u) << "k=" << k;
		if (r.enomem == 0)
			break;
		runs_failing++;
	}
	ASSERT_LT(k, 5000u) << "the sweep never got past the sequence";
	EXPECT_GE(runs_failing, 5u);
	printf("arena hook sweep: %u runs, %u saw -ENOMEM\n", k + 1,
	       runs_failing);
}

/* Every internal allocation after the k-th fails, for good: allocations
 * that fit existing zspages still succeed, the rest get -ENOMEM; once
 * disarmed the pool works normally again.  One-page zspages: with objects
 * of every size sharing 8-page zspages, the sequence's live set (about 40
 * objects) fits in a handful of zspages and makes fewer than 10 internal
 * allocations, so k = 10 and 30 would never fire. */
TEST(ZsFaults, PersistentFailureThenRecovery)
{
	Sequence seq(200, 3);
	for (unsigned k : { 0u, 3u, 10u, 30u }) {
		zs::Pool pool = zs::Pool::WithChain(1);
		ASSERT_NE(pool.get(), nullptr);
		zs::Handles objs(pool);
		zs_pool_inject_failures(pool, k, ~0u);
		unsigned enomem = 0, ok = 0;
		uint64_t seed = 0;
		for (const Sequence::Op &op : seq.ops) {
			if (!op.alloc) {
				if (!objs.empty()) {
					ASSERT_ERRNO(objs.Free(op.pick %
							       objs.size()),
						     0);
				}
				continue;
			}
			uint64_t h = kSentinel;
			int ret = zs_malloc(pool, op.size, &h);
			if (ret) {
				ASSERT_ERRNO(ret, -ENOMEM);
				ASSERT_EQ(h, kSentinel);
				enomem++;
			} else {
				ok++;
				ASSERT_ERRNO(objs.Adopt(h, op.size, ++seed), 0);
			}
			ASSERT_ERRNO(zs_pool_check(pool), 0);
		}
		EXPECT_GT(enomem, 0u) << "k=" << k;
		EXPECT_EQ(pool.Stats().alloc_failures, enomem);
		EXPECT_TRUE(objs.AllIntact());
		zs_pool_inject_failures(pool, 0, 0);
		for (int i = 0; i < 50; i++)
			ASSERT_ERRNO(objs.Alloc(64 * i + 1, 1000 + i), 0);
		EXPECT_TRUE(objs.AllIntact());
		EXPECT_ERRNO(zs_pool_check(pool), 0);
	}
}

TEST(ZsFaults, MaxPagesCapGivesEnomemAndIsNeverExceeded)
{
	const unsigned long cap = 40;
	zs::Pool pool = zs::Pool::WithChain(8, cap);
	ASSERT_NE(pool.get(), nullptr);
	zs::Handles objs(pool);
	std::mt19937 rng(42);
	unsigned enomem = 0, ok = 0;
	for (int i = 0; i < 3000; i++) {
		size_t size = 1 + rng() % 4096;
		uint64_t h = kSentinel;
		int ret = zs_malloc(pool, size, &h);
		if (ret == 0) {
			ok++;
			ASSERT_ERRNO(objs.Adopt(h, size, i), 0);
		} else {
			ASSERT_ERRNO(ret, -ENOMEM) << "size " << size;
			ASSERT_EQ(h, kSentinel);
			enomem++;
		}
		ASSERT_LE(zs_get_total_pages(pool), cap) << "step " << i;
		/* Churn: free one in four, so freed room is reused. */
		if (rng() % 4 == 0 && !objs.empty()) {
			ASSERT_ERRNO(objs.Free(rng() % objs.size()), 0);
		}
		if (i % 100 == 0) {
			ASSERT_ERRNO(zs_pool_check(pool), 0);
		}
	}
	EXPECT_GT(enomem, 0u);
	EXPECT_GT(ok, 100u);
	EXPECT_EQ(pool.Stats().alloc_failures, enomem);
	EXPECT_LE(pool.Stats().pages_used, cap);
	/* Bytes held can never exceed the pages allowed. */
	EXPECT_LE(objs.BytesLive(), cap * 4096);
	EXPECT_TRUE(objs.AllIntact());
	EXPECT_ERRNO(zs_pool_check(pool), 0);
	/* Raising the cap lets the pool grow again. */
	zs_pool_set_max_pages(pool, 0);
	for (int i = 0; i < 100; i++)
		ASSERT_ERRNO(objs.Alloc(4096, 5000 + i), 0);
	EXPECT_GT(zs_get_total_pages(pool), cap);
	EXPECT_TRUE(objs.AllIntact());
}

TEST(ZsFaults, HugeObjectsUpToTheCapExactly)
{
	/* A huge object takes exactly one page, so the cap is reached
	 * exactly: cap objects fit, the next does not. */
	const unsigned long cap = 25;
	zs::Pool pool = zs::Pool::WithChain(8, cap);
	ASSERT_NE(pool.get(), nullptr);
	zs::Handles objs(pool);
	for (unsigned long i = 0; i < cap; i++)
		ASSERT_ERRNO(objs.Alloc(4096, i), 0) << "object " << i;
	EXPECT_EQ(zs_get_total_pages(pool), cap);
	uint64_t h = kSentinel;
	EXPECT_ERRNO(zs_malloc(pool, 4096, &h), -ENOMEM);
	EXPECT_ERRNO(zs_malloc(pool, 10, &h), -ENOMEM);
	EXPECT_EQ(h, kSentinel);
	ASSERT_ERRNO(objs.Free(0), 0);
	EXPECT_ERRNO(objs.Alloc(4096, 99), 0);
	EXPECT_EQ(zs_get_total_pages(pool), cap);
	EXPECT_TRUE(objs.AllIntact());
	EXPECT_ERRNO(zs_pool_check(pool), 0);
}

TEST(ZsFaults, LoweringTheCapBelowUseStopsGrowth)
{
	zs::Pool pool;
	zs::Handles objs(pool);
	for (int i = 0; i < 200; i++)
		ASSERT_ERRNO(objs.Alloc(1 + (i * 97) % 4096, i), 0);
	unsigned long held = zs_get_total_pages(pool);
	zs_pool_set_max_pages(pool, held / 2);
	uint64_t h = kSentinel;
	EXPECT_ERRNO(zs_malloc(pool, 4096, &h), -ENOMEM);
	EXPECT_EQ(h, kSentinel);
	EXPECT_LE(zs_get_total_pages(pool), held);
	/* Freeing brings the pool under the cap again. */
	objs.FreeAll();
	EXPECT_EQ(zs_get_total_pages(pool), 0u);
	EXPECT_ERRNO(objs.Alloc(4096, 1), 0);
	EXPECT_ERRNO(zs_pool_check(pool), 0);
}

TEST(ZsFaults, DestroyWithLiveObjectsReturnsEverything)
{
	/* LeakSanitizer checks the process; the arena checks the pages. */
	zs_arena *arena = zs_arena_create();
	ASSERT_NE(arena, nullptr);
	zs_pool_config cfg = {};
	cfg.arena = arena;
	zs_pool *pool = zs_create_pool_config(&cfg);
	ASSERT_NE(pool, nullptr);
	std::mt19937 rng(5);
	for (int i = 0; i < 5000; i++) {
		uint64_t h;
		size_t size = 1 + rng() % 4096;
		ASSERT_ERRNO(zs_malloc(pool, size, &h), 0);
		ASSERT_ERRNO(zs::WritePattern(pool, h, size, i), 0);
		if (i % 3 == 0) {
			ASSERT_ERRNO(zs_free(pool, h), 0);
		}
	}
	/* The arena holds whole runs, the pool counts the pages reached
	 * (zs_pool_check holds the two to the zspages) */
	struct zs_arena_stats ast;
	zs_arena_stats(arena, &ast);
	EXPECT_ERRNO(zs_pool_check(pool), 0);
	EXPECT_GE(ast.pages_in_use, zs_get_total_pages(pool));
	EXPECT_GT(zs_get_total_pages(pool), 100u);
	zs_destroy_pool(pool);
	zs_arena_stats(arena, &ast);
	EXPECT_EQ(ast.pages_in_use, 0u);
	EXPECT_ERRNO(zs_arena_destroy(arena), 0);
}

} /* namespace */
