// SPDX-License-Identifier: MIT
/*
 * gtest/zs_arena_runs_threads_test.cc - runs moved by arena compaction
 * while other threads free them, compact too, or unregister their owner.
 *
 * These are the kernel's migration races (migration against free, two
 * compactions, a pool destroyed under a compaction) in the arena's own
 * terms.  Built twice (gtest/BUILD): under ASan + UBSan, and as _tsan
 * under ThreadSanitizer, which is what finds a missed lock.  Nothing here
 * waits on time: each test runs its threads to the end and then requires
 * the arena to check clean, every run left to hold its pattern and to be
 * described as its owner's, and the owner (gtest/zs_arena_runs_owner.h)
 * to have seen nothing the contract rules out.
 */
#include "gtest/zs_shim.h"

#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "gtest/zs_arena_runs_owner.h"

namespace
{

using zs::RunOwner;

constexpr unsigned kLengths[] = { 1, 2, 3, 4, 8, 16 };

std::string Join(const std::vector<std::string> &v)
{
	std::string out;
	for (const std::string &s : v)
		out += s + "\n";
	return out;
}

/* About `pages` pages of runs of mixed lengths, then every other run
 * freed, so that compaction has regions to empty. */
void Populate(RunOwner &owner, unsigned pages, unsigned seed)
{
	std::mt19937 rng(seed);
	unsigned held = 0;
	std::vector<void *> runs;
	while (held < pages) {
		unsigned n = kLengths[rng() % 6];
		void *run = owner.Alloc(n, held, 1);
		ASSERT_NE(run, nullptr);
		runs.push_back(run);
		held += n;
	}
	for (size_t k = 0; k < runs.size(); k += 2)
		ASSERT_TRUE(owner.Free(runs[k]));
}

/* Migration against free: one thread frees runs (those not isolated by
 * a move, as an owner would) and allocates new ones while another
 * compacts, over and over. */
TEST(ArenaRunsThreads, FreeWhileCompacting)
{
	zs::Arena arena;
	RunOwner owner(arena, false);
	ASSERT_GE(owner.id(), 0);
	Populate(owner, 4 * 512, 1);
	std::atomic<bool> done{ false }, started{ false };
	std::atomic<unsigned long> moved{ 0 };

	std::thread compactor([&] {
		while (!done) {
			started = true;
			moved += zs_arena_compact(arena);
		}
	});
	/* The first compaction starts on Populate's layout (four regions
	 * half full): started any later, on a loaded machine, it could find
	 * the rounds' churn already packed into the fewest regions and move
	 * nothing at all. */
	while (!started)
		std::this_thread::yield();
	std::mt19937 rng(2);
	for (unsigned round = 0; round < 40; round++) {
		std::vector<void *> firsts = owner.Firsts();
		for (size_t k = rng() % 3; k < firsts.size(); k += 3)
			owner.Free(firsts[k]);
		for (unsigned k = 0; k < 30; k++)
			ASSERT_NE(owner.Alloc(kLengths[rng() % 6], k, 1),
				  nullptr);
	}
	done = true;
	compactor.join();
	moved += zs_arena_compact(arena);

	EXPECT_GT(moved.load(), 0u);
	EXPECT_EQ(Join(owner.Errors()), "");
	EXPECT_EQ(Join(owner.Verify()), "");
	EXPECT_EQ(arena.Stats().pages_in_use, owner.PagesHeld());
	EXPECT_ERRNO(zs_arena_check(arena), 0);
}

/* Two compactions at once: one of them does the work, the other returns
 * 0 at once; no run is isolated twice and the pages moved add up. */
TEST(ArenaRunsThreads, TwoCompactions)
{
	zs::Arena arena;
	RunOwner owner(arena, true);
	Populate(owner, 6 * 512, 3);
	struct zs_arena_stats before = arena.Stats();
	std::atomic<unsigned long> moved{ 0 };

	auto compact = [&] {
		for (int k = 0; k < 20; k++)
			moved += zs_arena_compact(arena);
	};
	std::thread a(compact), b(compact);
	a.join();
	b.join();

	struct zs_arena_stats after = arena.Stats();
	EXPECT_GT(moved.load(), 0u);
	EXPECT_EQ(after.pages_migrated - before.pages_migrated, moved.load());
	EXPECT_EQ(after.pages_in_use, before.pages_in_use);
	EXPECT_LE(after.regions_mapped, (after.pages_in_use + 511) / 512 + 1);
	EXPECT_EQ(Join(owner.Errors()), "");
	EXPECT_EQ(Join(owner.Verify()), "");
	EXPECT_ERRNO(zs_arena_check(arena), 0);
}

/* A pool destroyed under a compaction: the owner unregisters while its
 * runs are being moved.  Once unregistering returns no callback may come
 * (the owner records one as an error), and the runs it still holds stay
 * allocated and intact until freed. */
TEST(ArenaRunsThreads, UnregisterWhileCompacting)
{
	for (unsigned round = 0; round < 8; round++) {
		zs::Arena arena;
		RunOwner owner(arena, true);
		Populate(owner, 3 * 512, 10 + round);
		unsigned long held = owner.PagesHeld();

		std::thread compactor([&] { zs_arena_compact(arena); });
		owner.Unregister();
		compactor.join();
		/* and a compaction after it finds nothing to ask */
		zs_arena_compact(arena);

		EXPECT_EQ(Join(owner.Errors()), "") << "round " << round;
		EXPECT_EQ(arena.Stats().pages_in_use, held);
		for (void *run : owner.Firsts()) {
			struct zs_arena_page_info info = {};
			ASSERT_ERRNO(zs_arena_page_info(arena, run, &info), 0);
			EXPECT_EQ(info.owner_id, owner.id());
			EXPECT_EQ(info.isolated, 0);
		}
		EXPECT_EQ(Join(owner.Verify()), "");
		EXPECT_ERRNO(zs_arena_check(arena), 0);
	}
}

} /* namespace */
