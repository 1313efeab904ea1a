// SPDX-License-Identifier: MIT
/*
 * gtest/zsmalloc_run_migration_threads_test.cc - zspages of 1 to 16 pages
 * moved by zs_arena_compact as whole runs.
 *
 * Objects of every size share a pool's zspages, so a pool's runs have two
 * lengths only: its chain size (shared zspages) and one page (objects of
 * 4093 bytes and up).  Runs of every length come from pools of every chain
 * size on one arena.
 *
 * A zspage is one arena run, and the arena moves a run as a unit: one
 * isolate / migrate / putback for all its pages, which swings the
 * zspage's base.  So after a compaction every object must be intact, at
 * the same offset of a run of the same length, beside the same neighbours;
 * a run holding a pinned object must stay where it is; and the races the
 * kernel met with page migration (against free, against a zspage emptying,
 * against pool destruction, two compactions at once) must leave the pools
 * and the arena consistent.  Runs under ASan and TSan; no assertion
 * depends on timing.
 */
#include "gtest/zs_shim.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <random>
#include <thread>

namespace
{

constexpr unsigned kChain = 16;

/* Object sizes for the fills: footprints of many lengths, some filling
 * their 8-byte units and some not, and huge ones (a one-page run each). */
std::vector<size_t> FillSizes()
{
	return { 20,   100,  203,  500,	 1004, 1500, 2045,
		 2600, 3300, 3900, 4092, 4093, 4096 };
}

struct Where {
	const char *run; /* the run's first page */
	unsigned pages; /* its length */
	const char *p; /* the object */
};

Where Locate(zs_arena *arena, zs_pool *pool, uint64_t h)
{
	Where w = { nullptr, 0, nullptr };
	const void *p = zs_obj_read_begin(pool, h, nullptr);
	if (!p)
		return w;
	uintptr_t page = reinterpret_cast<uintptr_t>(p) & ~(uintptr_t)4095;
	struct zs_arena_page_info info;
	if (zs_arena_page_info(arena, reinterpret_cast<void *>(page), &info) ==
	    0) {
		w.run = static_cast<const char *>(info.run);
		w.pages = info.run_pages;
		w.p = static_cast<const char *>(p);
	}
	zs_obj_read_end(pool, h, p);
	return w;
}

/* A chain-16 pool on its own arena, filled with zspages of every length
 * 2..16 over `regions` regions, then 3 zspages in 4 emptied at random, so
 * the regions are sparse. */
class RunMigration : public ::testing::Test {
protected:
	void SetUp() override
	{
		ASSERT_NE(arena_.get(), nullptr);
		zs_pool_config cfg = {};
		cfg.chain_size = kChain;
		cfg.arena = arena_;
		pool_ = zs_create_pool_config(&cfg);
		ASSERT_NE(pool_, nullptr);
		objs_.reset(new zs::Handles(pool_));
		sizes_ = FillSizes();
	}
	void TearDown() override
	{
		objs_.reset();
		zs_destroy_pool(pool_);
	}

	void Fill(unsigned regions, uint32_t seed)
	{
		FillPools({ objs_.get() }, regions, seed);
	}

	/* Allocates 20 objects of one size at a time in a pool picked at
	 * random until the arena holds `regions` regions' worth of pages,
	 * then frees 3 runs in 4 whole, so the regions are sparse. */
	void FillPools(const std::vector<zs::Handles *> &pools,
		       unsigned regions, uint32_t seed)
	{
		std::mt19937 rng(seed);
		uint64_t pat = 1;
		while (arena_.Stats().pages_in_use < regions * 512ul) {
			zs::Handles *hs = pools[rng() % pools.size()];
			size_t n = sizes_[rng() % sizes_.size()];
			for (int k = 0; k < 20; k++)
				ASSERT_ERRNO(hs->Alloc(n, pat++), 0);
		}
		/* group by run, free 3 runs in 4 whole, but keep each pool's
		 * first shared run: every pool's run length stays present */
		std::map<const char *, bool> drop_run;
		for (zs::Handles *hs : pools) {
			bool kept_shared = false;
			for (size_t i = 0; i < hs->size(); i++) {
				Where w = Locate(arena_, hs->pool(),
						 (*hs)[i].handle);
				ASSERT_NE(w.run, nullptr);
				if (drop_run.count(w.run))
					continue;
				bool drop = rng() % 4 != 0;
				if (!kept_shared && (*hs)[i].size < 4093) {
					drop = false;
					kept_shared = true;
				}
				drop_run[w.run] = drop;
			}
		}
		for (zs::Handles *hs : pools)
			for (size_t i = hs->size(); i-- > 0;)
				if (drop_run[Locate(arena_, hs->pool(),
						    (*hs)[i].handle)
						     .run]) {
					ASSERT_ERRNO(hs->Free(i), 0);
				}
	}

	zs::Arena arena_;
	zs_pool *pool_ = nullptr;
	std::unique_ptr<zs::Handles> objs_;
	std::vector<size_t> sizes_;
};

TEST_F(RunMigration, RunsOfEveryLengthMoveAsUnits)
{
	/* the fixture's chain-16 pool, and one pool of each chain 1..15 */
	struct Extra {
		zs::Pool pool;
		std::unique_ptr<zs::Handles> objs;
	};
	std::vector<std::unique_ptr<Extra>> extras;
	std::vector<zs::Handles *> all = { objs_.get() };
	for (unsigned chain = 1; chain < kChain; chain++) {
		zs_pool_config cfg = {};
		cfg.chain_size = chain;
		cfg.arena = arena_;
		extras.emplace_back(new Extra{ zs::Pool(cfg), nullptr });
		ASSERT_NE(extras.back()->pool.get(), nullptr);
		extras.back()->objs.reset(new zs::Handles(extras.back()->pool));
		all.push_back(extras.back()->objs.get());
	}
	FillPools(all, 6, 1);
	/* The recycle bins may keep blocks of the freed runs, and a zspage
	 * of blocks only (idle in the bins) is a run migration refuses: what
	 * the bins hold goes back first, as a compaction gives it. */
	for (zs::Handles *hs : all)
		zs_compact(hs->pool());

	std::vector<std::vector<Where>> before(all.size());
	std::map<unsigned, unsigned> lengths;
	for (size_t p = 0; p < all.size(); p++) {
		const zs::Handles &hs = *all[p];
		for (size_t i = 0; i < hs.size(); i++) {
			before[p].push_back(
				Locate(arena_, hs.pool(), hs[i].handle));
			ASSERT_NE(before[p][i].run, nullptr);
			lengths[before[p][i].pages]++;
		}
	}
	EXPECT_EQ(lengths.size(), (size_t)kChain) << "zspage lengths";
	EXPECT_EQ(lengths.begin()->first, 1u);
	EXPECT_EQ(lengths.rbegin()->first, kChain);
	unsigned long migrated0 = 0;
	for (zs::Handles *hs : all) {
		struct zs_pool_stats ps = {};
		zs_pool_stats(hs->pool(), &ps);
		migrated0 += ps.pages_migrated;
	}
	struct zs_arena_stats as0 = arena_.Stats();

	const unsigned long moved = zs_arena_compact(arena_);
	EXPECT_GT(moved, 0u);

	struct zs_arena_stats as1 = arena_.Stats();
	unsigned long migrated1 = 0;
	for (zs::Handles *hs : all) {
		struct zs_pool_stats ps = {};
		zs_pool_stats(hs->pool(), &ps);
		migrated1 += ps.pages_migrated;
	}
	EXPECT_EQ(migrated1 - migrated0, moved);
	EXPECT_EQ(as1.pages_in_use, as0.pages_in_use);
	EXPECT_LE(as1.regions_mapped, (as1.pages_in_use + 511) / 512 + 1);
	EXPECT_LT(as1.regions_mapped, as0.regions_mapped);

	/* Same offset in a run of the same length; objects that shared a
	 * run still share one; the bytes are intact. */
	std::map<const char *, const char *> moved_to;
	std::map<unsigned, unsigned> lengths_moved;
	for (size_t p = 0; p < all.size(); p++) {
		const zs::Handles &hs = *all[p];
		for (size_t i = 0; i < hs.size(); i++) {
			const Where &b = before[p][i];
			Where w = Locate(arena_, hs.pool(), hs[i].handle);
			ASSERT_NE(w.run, nullptr);
			EXPECT_EQ(w.pages, b.pages)
				<< "pool " << p << ", object " << i;
			EXPECT_EQ(w.p - w.run, b.p - b.run)
				<< "pool " << p << ", object " << i;
			auto it = moved_to.emplace(b.run, w.run);
			EXPECT_EQ(it.first->second, w.run)
				<< "a zspage's objects split over two runs";
			if (it.second && w.run != b.run)
				lengths_moved[b.pages]++;
		}
		EXPECT_TRUE(hs.AllIntact()) << "pool " << p;
		EXPECT_ERRNO(zs_pool_check(hs.pool()), 0);
	}
	/* most lengths move (which runs move depends on where the sparse
	 * regions fell, fixed by the seed; all but one did when written) */
	EXPECT_GE(lengths_moved.size(), 8u);
	printf("runs moved, by length:");
	for (auto &e : lengths_moved)
		printf(" %u:%u", e.first, e.second);
	printf("\n");
	EXPECT_ERRNO(zs_arena_check(arena_), 0);
	/* a second call finds nothing left to do */
	EXPECT_EQ(zs_arena_compact(arena_), 0u);
	for (auto &e : extras)
		e->objs->FreeAll();
}

/* Runs holding a mapped or read object stay, with the caller's pointers
 * valid and writable; once released they may move.  Pins go to runs spread
 * over every region, so some are in regions the compaction empties. */
TEST_F(RunMigration, PinnedRunsStay)
{
	Fill(4, 2);
	std::map<const char *, size_t> first_of_run;
	for (size_t i = 0; i < objs_->size(); i++)
		first_of_run.emplace(
			Locate(arena_, pool_, (*objs_)[i].handle).run, i);
	ASSERT_GE(first_of_run.size(), (size_t)ZS_MAX_THREAD_MAPS);
	std::vector<size_t> pinned; /* object indexes, by run address */
	size_t step = first_of_run.size() / ZS_MAX_THREAD_MAPS, k = 0;
	for (auto &e : first_of_run)
		if (k++ % step == 0 && pinned.size() < ZS_MAX_THREAD_MAPS)
			pinned.push_back(e.second);
	std::vector<uint8_t *> maps;
	std::vector<Where> at;
	for (size_t i : pinned) {
		at.push_back(Locate(arena_, pool_, (*objs_)[i].handle));
		maps.push_back(static_cast<uint8_t *>(
			zs_map_object(pool_, (*objs_)[i].handle, ZS_MM_RW)));
		ASSERT_EQ(maps.back(),
			  reinterpret_cast<const uint8_t *>(at.back().p));
	}
	/* and one open read, of the first pinned run's object */
	const uint64_t hr = (*objs_)[pinned[0]].handle;
	const void *r = zs_obj_read_begin(pool_, hr, nullptr);
	ASSERT_EQ(r, at[0].p);
	const struct zs_arena_stats as0 = arena_.Stats();

	EXPECT_GT(zs_arena_compact(arena_), 0u);
	EXPECT_GT(arena_.Stats().migrate_failures, as0.migrate_failures);
	/* the pinned runs did not move; writes through the maps land */
	for (size_t k2 = 0; k2 < pinned.size(); k2++) {
		size_t i = pinned[k2];
		uint64_t h = (*objs_)[i].handle;
		Where w = Locate(arena_, pool_, h);
		EXPECT_EQ(w.run, at[k2].run) << "pinned run " << k2 << " moved";
		EXPECT_EQ(w.p, at[k2].p);
		zs::FillPattern(maps[k2], (*objs_)[i].size, 7000 + k2);
		objs_->objs()[i].seed = 7000 + k2;
		ASSERT_ERRNO(zs_unmap_object(pool_, h), 0);
	}
	EXPECT_TRUE(zs::BytesMatch(r, (*objs_)[pinned[0]].size, 7000));
	ASSERT_ERRNO(zs_obj_read_end(pool_, hr, r), 0);
	EXPECT_TRUE(objs_->AllIntact());
	EXPECT_ERRNO(zs_pool_check(pool_), 0);
	EXPECT_ERRNO(zs_arena_check(arena_), 0);

	/* released, they move like the rest */
	zs_arena_compact(arena_);
	struct zs_arena_stats as1 = arena_.Stats();
	EXPECT_LE(as1.regions_mapped, (as1.pages_in_use + 511) / 512 + 1);
	EXPECT_TRUE(objs_->AllIntact());
	EXPECT_ERRNO(zs_pool_check(pool_), 0);
	EXPECT_ERRNO(zs_arena_check(arena_), 0);
}

/* Migration against free, against zspages emptying and against new ones:
 * one thread frees whole zspages' worth of objects and allocates while
 * another compacts the arena and a third the pool, over and over, and a
 * fourth reads and writes objects that stay. */
TEST_F(RunMigration, FreeAllocAndAccessWhileCompacting)
{
	Fill(4, 3);
	/* the first quarter stays, for the accessor; the rest churns */
	const size_t keep = objs_->size() / 4;
	std::vector<zs::Obj> kept(objs_->objs().begin(),
				  objs_->objs().begin() + keep);
	std::atomic<bool> done{ false };
	std::atomic<unsigned long> moved{ 0 };
	std::atomic<unsigned> bad{ 0 };

	std::thread arena_compactor([&] {
		while (!done)
			moved += zs_arena_compact(arena_);
	});
	std::thread pool_compactor([&] {
		while (!done)
			zs_compact(pool_);
	});
	std::thread accessor([&] {
		std::vector<uint8_t> v;
		for (unsigned round = 0; !done; round++) {
			zs::Obj &o = kept[round % keep];
			zs::Mapping m(pool_, o.handle, ZS_MM_RW);
			if (!m || !zs::BytesMatch(m.get(), o.size, o.seed)) {
				bad++;
				continue;
			}
			o.seed = 1000000 + round;
			zs::FillPattern(m.get(), o.size, o.seed);
		}
	});
	std::mt19937 rng(4);
	uint64_t pat = 1 << 20;
	for (unsigned round = 0; round < 30; round++) {
		for (size_t i = objs_->size(); i-- > keep;)
			if (rng() % 3 == 0) {
				ASSERT_ERRNO(objs_->Free(i), 0);
			}
		for (int k = 0; k < 200; k++)
			ASSERT_ERRNO(objs_->Alloc(sizes_[rng() % sizes_.size()],
						  pat++),
				     0);
		ASSERT_ERRNO(zs_pool_check(pool_), 0);
	}
	done = true;
	arena_compactor.join();
	pool_compactor.join();
	accessor.join();

	EXPECT_EQ(bad.load(), 0u);
	for (size_t i = 0; i < keep; i++)
		objs_->objs()[i].seed = kept[i].seed;
	EXPECT_TRUE(objs_->AllIntact());
	EXPECT_ERRNO(zs_pool_check(pool_), 0);
	EXPECT_ERRNO(zs_arena_check(arena_), 0);
}

/* Two arena compactions and a pool compaction at once, with readers: the
 * pages moved add up, nothing is isolated twice, every object reads back. */
TEST_F(RunMigration, ConcurrentCompactions)
{
	Fill(6, 5);
	const struct zs_arena_stats as0 = arena_.Stats();
	std::atomic<unsigned long> moved{ 0 };
	std::atomic<unsigned> bad{ 0 };
	auto compact = [&] {
		for (int k = 0; k < 10; k++)
			moved += zs_arena_compact(arena_);
	};
	std::thread a(compact), b(compact);
	std::thread c([&] {
		for (int k = 0; k < 10; k++)
			zs_compact(pool_);
	});
	std::thread reader([&] {
		for (int k = 0; k < 4; k++)
			for (size_t i = 0; i < objs_->size(); i++) {
				const zs::Obj &o = (*objs_)[i];
				const void *p =
					zs_obj_read_begin(pool_, o.handle, 0);
				if (!p || !zs::BytesMatch(p, o.size, o.seed))
					bad++;
				if (p)
					zs_obj_read_end(pool_, o.handle, p);
			}
	});
	a.join();
	b.join();
	c.join();
	reader.join();

	const struct zs_arena_stats as1 = arena_.Stats();
	EXPECT_EQ(bad.load(), 0u);
	EXPECT_GT(moved.load(), 0u);
	EXPECT_EQ(as1.pages_migrated - as0.pages_migrated, moved.load());
	EXPECT_TRUE(objs_->AllIntact());
	EXPECT_ERRNO(zs_pool_check(pool_), 0);
	EXPECT_ERRNO(zs_arena_check(arena_), 0);
}

/* A pool destroyed while the arena compacts: a second pool on the same
 * arena keeps the compaction busy; the destroyed pool's runs are moved or
 * not, never touched after its destruction, and all its pages go back. */
TEST_F(RunMigration, PoolDestroyedWhileCompacting)
{
	Fill(3, 6);
	/* the arena's count before the other pool: runs whole, where the
	 * pool counts the pages its zspages have reached */
	const unsigned long in_use = arena_.Stats().pages_in_use;
	for (unsigned round = 0; round < 6; round++) {
		zs_pool_config cfg = {};
		cfg.chain_size = kChain;
		cfg.arena = arena_;
		zs_pool *other = zs_create_pool_config(&cfg);
		ASSERT_NE(other, nullptr);
		{
			zs::Handles theirs(other);
			std::mt19937 rng(round);
			for (int k = 0; k < 3000; k++)
				ASSERT_ERRNO(
					theirs.Alloc(
						sizes_[rng() % sizes_.size()],
						k + 1),
					0);
			for (size_t i = theirs.size(); i-- > 0;)
				if (rng() % 4) {
					ASSERT_ERRNO(theirs.Free(i), 0);
				}
			theirs.objs().clear(); /* the pool frees them */
		}
		std::atomic<bool> started{ false };
		std::thread compactor([&] {
			started = true;
			zs_arena_compact(arena_);
		});
		while (!started)
			std::this_thread::yield();
		zs_destroy_pool(other);
		compactor.join();
		EXPECT_ERRNO(zs_arena_check(arena_), 0);
		EXPECT_EQ(arena_.Stats().pages_in_use, in_use);
	}
	EXPECT_TRUE(objs_->AllIntact());
	EXPECT_ERRNO(zs_pool_check(pool_), 0);
}

} /* namespace */
