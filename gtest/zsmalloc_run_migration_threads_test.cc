// SPDX-License-Identifier: MIT
/*
 * gtest/zsmalloc_run_migration_threads_test.cc - zspages of 2 to 16 pages
 * moved by zs_arena_compact as whole runs.
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

/* One object size per zspage length 2 .. 16 that the chain-16 layout
 * has, each filling its slot. */
std::vector<size_t> SizesByRunLength()
{
	zs::ClassModel m(kChain);
	std::map<unsigned, size_t> by_len;
	for (size_t s = 32; s < m.largest; s += 16)
		if (m.rep[s] == s && m.pages[s] >= 2)
			by_len.emplace(m.pages[s], s - zs::ClassModel::kHeader);
	std::vector<size_t> out;
	for (auto &e : by_len)
		out.push_back(e.second);
	return out;
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
		sizes_ = SizesByRunLength();
		ASSERT_GE(sizes_.size(), 8u) << "too few zspage lengths";
	}
	void TearDown() override
	{
		objs_.reset();
		zs_destroy_pool(pool_);
	}

	void Fill(unsigned regions, uint32_t seed)
	{
		std::mt19937 rng(seed);
		uint64_t pat = 1;
		while (zs_get_total_pages(pool_) < regions * 512ul) {
			size_t n = sizes_[rng() % sizes_.size()];
			for (int k = 0; k < 20; k++)
				ASSERT_ERRNO(objs_->Alloc(n, pat++), 0);
		}
		/* group by run, free 3 runs in 4 whole */
		std::map<const char *, std::vector<uint64_t>> runs;
		for (size_t i = 0; i < objs_->size(); i++)
			runs[Locate(arena_, pool_, (*objs_)[i].handle).run]
				.push_back((*objs_)[i].handle);
		std::vector<uint64_t> drop;
		for (auto &r : runs)
			if (rng() % 4 != 0)
				drop.insert(drop.end(), r.second.begin(),
					    r.second.end());
		std::sort(drop.begin(), drop.end());
		for (size_t i = objs_->size(); i-- > 0;)
			if (std::binary_search(drop.begin(), drop.end(),
					       (*objs_)[i].handle)) {
				ASSERT_ERRNO(objs_->Free(i), 0);
			}
	}

	zs::Arena arena_;
	zs_pool *pool_ = nullptr;
	std::unique_ptr<zs::Handles> objs_;
	std::vector<size_t> sizes_;
};

TEST_F(RunMigration, RunsOfEveryLengthMoveAsUnits)
{
	Fill(6, 1);
	const size_t n = objs_->size();
	std::vector<Where> before(n);
	std::map<unsigned, unsigned> lengths;
	for (size_t i = 0; i < n; i++) {
		before[i] = Locate(arena_, pool_, (*objs_)[i].handle);
		ASSERT_NE(before[i].run, nullptr);
		lengths[before[i].pages]++;
	}
	EXPECT_GE(lengths.size(), 8u) << "zspage lengths in the pool";
	struct zs_pool_stats ps0 = {};
	zs_pool_stats(pool_, &ps0);
	struct zs_arena_stats as0 = arena_.Stats();

	const unsigned long moved = zs_arena_compact(arena_);
	EXPECT_GT(moved, 0u);

	struct zs_arena_stats as1 = arena_.Stats();
	struct zs_pool_stats ps1 = {};
	zs_pool_stats(pool_, &ps1);
	EXPECT_EQ(ps1.pages_migrated - ps0.pages_migrated, moved);
	EXPECT_EQ(as1.pages_in_use, as0.pages_in_use);
	EXPECT_LE(as1.regions_mapped, (as1.pages_in_use + 511) / 512 + 1);
	EXPECT_LT(as1.regions_mapped, as0.regions_mapped);

	/* Same offset in a run of the same length; objects that shared a
	 * run still share one; the bytes are intact. */
	std::map<const char *, const char *> moved_to;
	unsigned runs_moved = 0;
	for (size_t i = 0; i < n; i++) {
		Where w = Locate(arena_, pool_, (*objs_)[i].handle);
		ASSERT_NE(w.run, nullptr);
		EXPECT_EQ(w.pages, before[i].pages) << "object " << i;
		EXPECT_EQ(w.p - w.run, before[i].p - before[i].run)
			<< "object " << i;
		auto it = moved_to.emplace(before[i].run, w.run);
		EXPECT_EQ(it.first->second, w.run)
			<< "a zspage's objects split over two runs";
		if (it.second && w.run != before[i].run)
			runs_moved++;
	}
	EXPECT_GT(runs_moved, 0u);
	EXPECT_TRUE(objs_->AllIntact());
	EXPECT_ERRNO(zs_pool_check(pool_), 0);
	EXPECT_ERRNO(zs_arena_check(arena_), 0);
	/* a second call finds nothing left to do */
	EXPECT_EQ(zs_arena_compact(arena_), 0u);
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
		EXPECT_EQ(arena_.Stats().pages_in_use,
			  zs_get_total_pages(pool_));
	}
	EXPECT_TRUE(objs_->AllIntact());
	EXPECT_ERRNO(zs_pool_check(pool_), 0);
}

} /* namespace */
