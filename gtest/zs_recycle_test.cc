// SPDX-License-Identifier: MIT
/*
 * gtest/zs_recycle_test.cc - the shards' recycle bins: a freed object's
 * block kept whole for the next object of its footprint (zs/recycle.c).
 *
 * Through the API: the next allocation of the freed object's footprint
 * gets its bytes, and nothing else does; the freed handle is refused at
 * once; the last live object of a sparse zspage takes the zspage's
 * recycled blocks with it, so the zspage goes back when it empties, and
 * a full one may wait in the bins; compaction releases every block; a
 * freed huge object's page goes to the next huge object (zs/huge.c).  Through a white-box helper
 * (gtest/zs_recycle_plant.c): what the bins hold, their caps, and the
 * findings zs_pool_check makes of a damaged link or count.
 */
#include "gtest/zs_shim.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "gtest/zs_recycle_plant.h"

namespace
{

constexpr size_t kSize = 1000;
constexpr unsigned kUnits = 126; /* (1000 + 4) rounded up to 8, in 8s */
constexpr size_t kObjects = 64; /* 8 make the bins' share one block */
constexpr size_t kHuge = 4096;

/* The zspages of the pool (one page each at chain 1: four objects of
 * 126 units), as the objects' indices, from the first. */
static std::vector<std::vector<size_t>> ByZspage(zs_pool *pool,
						 const std::vector<uint64_t> &h)
{
	std::map<uint32_t, std::vector<size_t>> by;
	for (size_t i = 0; i < h.size(); i++)
		by[zsr_zspage_of(pool, h[i])].push_back(i);
	std::vector<std::vector<size_t>> out;
	for (auto &z : by)
		out.push_back(z.second);
	return out;
}

class Recycle : public ::testing::Test {
protected:
	void SetUp() override
	{
		arena_ = zs_arena_create();
		ASSERT_NE(arena_, nullptr);
	}
	void TearDown() override
	{
		if (pool_) {
			for (uint64_t h : h_)
				if (h) {
					EXPECT_ERRNO(zs_free(pool_, h), 0);
				}
			EXPECT_ERRNO(zs_pool_check(pool_), 0);
			zs_destroy_pool(pool_);
		}
		EXPECT_ERRNO(zs_arena_destroy(arena_), 0);
	}
	void Make(unsigned chain, size_t n, size_t size = kSize,
		  unsigned share = 8)
	{
		zs_pool_config cfg = {};
		cfg.name = "recycle";
		cfg.chain_size = chain;
		cfg.arena = arena_;
		/* 1/8 unless asked: the share these tests count with */
		cfg.recycle_64ths = share;
		pool_ = zs_create_pool_config(&cfg);
		ASSERT_NE(pool_, nullptr);
		h_.assign(n, 0);
		for (uint64_t &h : h_)
			ASSERT_ERRNO(zs_malloc(pool_, size, &h), 0);
	}
	/* one more object, freed at the end */
	void Allocate(size_t size)
	{
		h_.push_back(0);
		ASSERT_ERRNO(zs_malloc(pool_, size, &h_.back()), 0);
	}
	void Free(size_t i)
	{
		ASSERT_ERRNO(zs_free(pool_, h_[i]), 0);
		h_[i] = 0;
	}
	const void *Where(uint64_t h)
	{
		const void *p = zs_map_object(pool_, h, ZS_MM_RO);
		EXPECT_NE(p, nullptr);
		zs_unmap_object(pool_, h);
		return p;
	}
	/* Frees the first n objects of zspage z[k], for each (k, n) in
	 * turn. */
	void FreeFirst(const std::vector<std::vector<size_t>> &z,
		       std::initializer_list<std::pair<size_t, size_t>> what)
	{
		for (const auto &kn : what)
			for (size_t i = 0; i < kn.second; i++)
				Free(z[kn.first][i]);
	}
	/* The pool's pages and the bins' blocks and buried slots, and a
	 * clean check. */
	void ExpectHeld(unsigned long pages, unsigned long blocks,
			unsigned long buried)
	{
		EXPECT_EQ(zs_get_total_pages(pool_), pages);
		EXPECT_EQ(Bins().blocks, blocks);
		EXPECT_EQ(Bins().buried, buried);
		EXPECT_ERRNO(zs_pool_check(pool_), 0);
	}
	/* One zs_pool_check finding, of kind, with message. */
	void ExpectFinding(enum zs_finding kind, const std::string &message)
	{
		std::vector<zs::Report> got;
		void *old_arg = nullptr;
		zs_report_hook *old =
			zs_set_report_hook(&zs::RecordReport, &got, &old_arg);
		int ret = zs_pool_check(pool_);
		zs_set_report_hook(old, old_arg, nullptr);

		EXPECT_ERRNO(ret, -EUCLEAN);
		ASSERT_EQ(got.size(), 1u);
		EXPECT_STREQ(zs_finding_name(got[0].kind),
			     zs_finding_name(kind));
		EXPECT_EQ(got[0].message,
			  "zs: zs_pool_check(recycle): " + message);
	}
	/* With the pool's share planted at share, the one finding is
	 * ZS_FINDING_POOL_RECYCLE_SHARE's message; clean again after. */
	void ExpectPastShare(unsigned share, const std::string &message)
	{
		const unsigned was = zsr_set_share(pool_, share);

		ExpectFinding(ZS_FINDING_POOL_RECYCLE_SHARE, message);
		zsr_set_share(pool_, was);
		EXPECT_ERRNO(zs_pool_check(pool_), 0);
	}
	struct zsr_bins Bins()
	{
		struct zsr_bins b;
		zsr_read_bins(pool_, &b);
		return b;
	}

	zs_arena *arena_ = nullptr;
	zs_pool *pool_ = nullptr;
	std::vector<uint64_t> h_;
};

TEST_F(Recycle, SameFootprintTakesTheFreedBlock)
{
	Make(0, kObjects);
	const void *was = Where(h_[10]);
	const uint64_t freed = h_[10];

	Free(10);
	EXPECT_EQ(Bins().blocks, 1u);
	EXPECT_EQ(Bins().units, kUnits);
	EXPECT_ERRNO(zs_pool_check(pool_), 0);
	/* the freed handle is refused at once, its block held or not */
	EXPECT_ERRNO(zs_free(pool_, freed), -EINVAL);
	EXPECT_EQ(zs_obj_size(pool_, freed), 0u);
	EXPECT_EQ(zs_map_object(pool_, freed, ZS_MM_RO), nullptr);

	/* 997 .. 1004 bytes share the footprint */
	ASSERT_ERRNO(zs_malloc(pool_, 1003, &h_[10]), 0);
	EXPECT_NE(h_[10], freed);
	EXPECT_EQ(Where(h_[10]), was);
	EXPECT_EQ(zs_obj_size(pool_, h_[10]), 1003u);
	EXPECT_EQ(Bins().blocks, 0u);
	EXPECT_EQ(Bins().units, 0u);
	EXPECT_ERRNO(zs_free(pool_, freed), -EINVAL);
	EXPECT_ERRNO(zs_pool_check(pool_), 0);
}

TEST_F(Recycle, OtherFootprintsDoNotTakeIt)
{
	Make(0, kObjects);
	const void *was = Where(h_[10]);
	uint64_t bigger = 0, smaller = 0;

	Free(10);
	ASSERT_ERRNO(zs_malloc(pool_, kSize + 8, &bigger), 0);
	ASSERT_ERRNO(zs_malloc(pool_, kSize - 8, &smaller), 0);
	EXPECT_NE(Where(bigger), was);
	EXPECT_NE(Where(smaller), was);
	EXPECT_EQ(Bins().blocks, 1u);
	EXPECT_ERRNO(zs_pool_check(pool_), 0);
	EXPECT_ERRNO(zs_free(pool_, bigger), 0);
	EXPECT_ERRNO(zs_free(pool_, smaller), 0);
}

/* One-page zspages hold four objects of 126 units; the pool's last one
 * holds the two left over (252 of its 512 units, under 3/4).  The first
 * of those freed is kept; the second, its last live object, releases it
 * and the zspage goes back (but not while it is mapped: a refused free
 * changes nothing).  Its slot waits, buried, in the bin. */
TEST_F(Recycle, LastLiveObjectEmptiesASparseZspage)
{
	Make(1, kObjects + 2);
	const std::vector<size_t> mine = ByZspage(pool_, h_).back();
	ASSERT_EQ(mine.size(), 2u);
	const unsigned long pages = zs_get_total_pages(pool_);

	Free(mine[0]);
	ExpectHeld(pages, 1, 0);

	/* refused while mapped, the free changes nothing, bins included */
	ASSERT_NE(zs_map_object(pool_, h_[mine[1]], ZS_MM_RO), nullptr);
	EXPECT_ERRNO(zs_free(pool_, h_[mine[1]]), -EBUSY);
	ExpectHeld(pages, 1, 0);
	zs_unmap_object(pool_, h_[mine[1]]);

	Free(mine[1]);
	ExpectHeld(pages - 1, 0, 1);

	/* the bin reaches its buried slot and frees it on the way */
	uint64_t h = 0;
	ASSERT_ERRNO(zs_malloc(pool_, kSize, &h), 0);
	EXPECT_EQ(Bins().buried, 0u);
	EXPECT_ERRNO(zs_pool_check(pool_), 0);
	EXPECT_ERRNO(zs_free(pool_, h), 0);
}

/* A zspage its blocks fill (four of 126 units: 504 of 512) may wait in
 * the bins with no live object; the next object of the footprint takes
 * a block of it, and a compaction gives it back. */
TEST_F(Recycle, AFullZspageMayWaitInTheBins)
{
	Make(1, kObjects);
	const std::vector<size_t> mine = ByZspage(pool_, h_).front();
	ASSERT_EQ(mine.size(), 4u);
	const unsigned long pages = zs_get_total_pages(pool_);
	const void *was = Where(h_[mine[3]]);

	for (size_t i : mine)
		Free(i);
	EXPECT_EQ(Bins().blocks, 4u);
	EXPECT_EQ(Bins().buried, 0u);
	EXPECT_EQ(zs_get_total_pages(pool_), pages);
	EXPECT_ERRNO(zs_pool_check(pool_), 0);

	/* the bin is a stack: the last block freed comes back first */
	ASSERT_ERRNO(zs_malloc(pool_, kSize, &h_[mine[3]]), 0);
	EXPECT_EQ(Where(h_[mine[3]]), was);
	EXPECT_EQ(Bins().blocks, 3u);
	EXPECT_ERRNO(zs_pool_check(pool_), 0);
	Free(mine[3]);

	zs_compact(pool_);
	EXPECT_EQ(Bins().blocks, 0u);
	EXPECT_EQ(zs_get_total_pages(pool_), pages - 1);
	EXPECT_ERRNO(zs_pool_check(pool_), 0);
}

/* The bins' share is 8 blocks of 64 objects of 126 units.  B's three
 * and C's one, then all four of A (idle, on top): 8.  The next free
 * releases the block on top, A's; A's other three no longer fill 3/4 of
 * its page, so they go too, and A goes back. */
TEST_F(Recycle, AnIdleZspageGoesBackWhenABlockOfItIsReleased)
{
	Make(1, kObjects);
	const auto z = ByZspage(pool_, h_);
	ASSERT_EQ(z[0].size(), 4u);
	const unsigned long pages = zs_get_total_pages(pool_);

	FreeFirst(z, { { 1, 3 }, { 2, 1 }, { 0, 4 } });
	ExpectHeld(pages, 8, 0);
	FreeFirst(z, { { 3, 1 } });
	ExpectHeld(pages - 1, 5, 3);
}

/* B's three and C's two, then three of A (on top): 8.  A's last live
 * object could idle its full page, but to make room its free releases
 * two of A's blocks; what is left fills half the page, so the object is
 * not kept, A's last block goes and A goes back. */
TEST_F(Recycle, AZspageWhoseOwnBlocksAreReleasedGoesBack)
{
	Make(1, kObjects);
	const auto z = ByZspage(pool_, h_);
	const unsigned long pages = zs_get_total_pages(pool_);

	FreeFirst(z, { { 1, 3 }, { 2, 2 }, { 0, 3 } });
	ExpectHeld(pages, 8, 0);
	Free(z[0][3]);
	ExpectHeld(pages - 1, 5, 1);
}

/* A run migration releases the blocks of the run's zspage (buried) and
 * moves its live objects; a zspage of blocks only is refused and stays
 * where it is, for the bins or the next compaction to give back.  Two
 * regions of one-page zspages: twelve holes at the end of the first,
 * the second emptied but for L (two live objects, two blocks) and I
 * (four blocks, idle). */
TEST_F(Recycle, RunMigrationMovesLiveObjectsOnly)
{
	Make(1, 2 * 512 * 4);
	const auto z = ByZspage(pool_, h_);
	ASSERT_EQ(z.size(), 1024u);
	const std::vector<size_t> &idle = z[1000], &live = z[1001];
	for (size_t k = 500; k < 1024; k++)
		if (k != 1000 && k != 1001)
			for (size_t i : z[k])
				Free(i);
	zs_compact(pool_);
	ASSERT_EQ(Bins().blocks, 0u);
	const unsigned long pages = zs_get_total_pages(pool_);
	ASSERT_EQ(pages, 500u + 2);
	Allocate(4); /* past a burst of frees: keep the next ones */

	for (size_t i : idle)
		Free(i);
	Free(live[0]);
	Free(live[1]);
	ASSERT_EQ(Bins().blocks, 6u);
	const void *was = Where(h_[live[2]]);
	struct zs_arena_stats before, after;
	zs_arena_stats(arena_, &before);

	EXPECT_GE(zs_arena_compact(arena_), 1u);
	zs_arena_stats(arena_, &after);
	EXPECT_NE(Where(h_[live[2]]), was);
	EXPECT_EQ(after.migrate_failures, before.migrate_failures + 1);
	EXPECT_EQ(zs_get_total_pages(pool_), pages);
	EXPECT_EQ(Bins().blocks, 4u);
	EXPECT_EQ(Bins().buried, 2u);
	EXPECT_ERRNO(zs_pool_check(pool_), 0);
	EXPECT_ERRNO(zs_arena_check(arena_), 0);

	zs_compact(pool_);
	EXPECT_EQ(Bins().blocks, 0u);
	EXPECT_EQ(zs_get_total_pages(pool_), pages - 1);
	EXPECT_ERRNO(zs_pool_check(pool_), 0);
}

/* Freeing everything gives every page back, whatever the bins held. */
TEST_F(Recycle, FreeingEverythingGivesEveryPageBack)
{
	Make(0, 4 * kObjects);
	for (size_t i = 0; i < h_.size(); i += 2)
		Free(i);
	EXPECT_GT(Bins().blocks, 0u);
	for (size_t i = 1; i < h_.size(); i += 2)
		Free(i);
	EXPECT_EQ(zs_get_total_pages(pool_), 0u);
	EXPECT_EQ(Bins().blocks, 0u);
	EXPECT_ERRNO(zs_pool_check(pool_), 0);
}

/* The bins keep at most their share (1/8 here) of the shard's object
 * units, theirs included: after 16 of 64 objects of 126 units are freed,
 * six blocks ((48 live + 6 kept) * 126 / 8 = 850 units; a seventh would
 * need 866 of 882). */
TEST_F(Recycle, TheBinsHoldTheirShareOfUnits)
{
	Make(0, kObjects);
	for (size_t i = 0; i < 16; i++) {
		Free(i);
		const struct zsr_bins b = Bins();
		EXPECT_LE(b.units, b.units_used / 8) << "after " << i + 1;
		EXPECT_ERRNO(zs_pool_check(pool_), 0);
	}
	EXPECT_EQ(Bins().blocks, 6u);
}

/* The share is the pool's (zs_pool_config.recycle_64ths): 48 of the 64
 * objects freed, the bins fill to it and no further.  0 is the default,
 * 3/16. */
class RecycleShare : public Recycle {
protected:
	void ExpectFilledTo(unsigned asked, unsigned got)
	{
		Make(0, kObjects, kSize, asked);
		for (size_t i = 0; i < 48; i++)
			Free(i);
		const struct zsr_bins b = Bins();
		EXPECT_LE(b.units * 64, b.units_used * got);
		EXPECT_GT((b.units + kUnits) * 64, b.units_used * got);
		EXPECT_GT(b.blocks, 0u);
	}
};

TEST_F(RecycleShare, TheDefaultIs3_16)
{
	ExpectFilledTo(0, 12);
}

TEST_F(RecycleShare, OneSixteenth)
{
	ExpectFilledTo(4, 4);
}

TEST_F(RecycleShare, OneHalf)
{
	ExpectFilledTo(32, 32);
}

/* ZS_RECYCLE_NONE keeps nothing: no block, no huge page. */
TEST_F(RecycleShare, NoneKeepsNothing)
{
	Make(0, kObjects, kSize, ZS_RECYCLE_NONE);
	for (size_t i = 0; i < 48; i++)
		Free(i);
	EXPECT_EQ(Bins().blocks, 0u);
	EXPECT_EQ(Bins().units, 0u);
	for (size_t i = 0; i < 24; i++)
		Allocate(kHuge);
	const unsigned long pages = zs_get_total_pages(pool_);
	Free(kObjects);
	EXPECT_EQ(zsr_huge_kept(pool_), 0u);
	EXPECT_EQ(zs_get_total_pages(pool_), pages - 1);
}

/* ... and at most ZS_RECYCLE_MAX_BLOCKS (8192) blocks: 80,000 objects of
 * one unit allow 9000 or more by units, 16,000 are freed, with an
 * allocation of another footprint after every 100 (not a burst). */
TEST_F(Recycle, TheBinsHoldAtMost8192Blocks)
{
	Make(0, 80000, 4);
	for (size_t i = 0; i < 80000; i += 5) {
		Free(i);
		if (i % 500 == 0)
			Allocate(100);
	}
	EXPECT_EQ(Bins().blocks, 8192u);
	EXPECT_EQ(Bins().units, 8192u);
	EXPECT_ERRNO(zs_pool_check(pool_), 0);

	/* compaction releases them 256 at a time, the lock let go between */
	zs_compact(pool_);
	EXPECT_EQ(Bins().blocks, 0u);
	EXPECT_EQ(Bins().buried, 0u);
	EXPECT_ERRNO(zs_pool_check(pool_), 0);
}

/* A free that finds the bins full releases a block of the deepest bin,
 * not of the next footprint round: 64 objects of 126 units and one of
 * 125 make a share of 1023 units (8314 / 8), which one block of 125 and
 * seven of 126 fill (1007).  The eighth of 126 takes the place of one of
 * its own bin (seven deep), and the single block of 125 stays, though
 * its footprint comes first. */
TEST_F(Recycle, AFullFreeReleasesABlockOfTheDeepestBin)
{
	Make(0, kObjects);
	Allocate(kSize - 8);
	Free(kObjects);
	for (size_t i = 0; i < 7; i++)
		Free(i * 8);
	ASSERT_EQ(zsr_bin_blocks(pool_, h_[1], kUnits - 1), 1u);
	ASSERT_EQ(zsr_bin_blocks(pool_, h_[1], kUnits), 7u);
	EXPECT_EQ(Bins().units, kUnits - 1 + 7 * kUnits);

	Free(7 * 8);
	EXPECT_EQ(zsr_bin_blocks(pool_, h_[1], kUnits - 1), 1u);
	EXPECT_EQ(zsr_bin_blocks(pool_, h_[1], kUnits), 7u);
	EXPECT_EQ(Bins().blocks, 8u);
	EXPECT_ERRNO(zs_pool_check(pool_), 0);
}

/* A burst of frees is not churn: past 256 in a row with no allocation
 * from the shard between, frees no longer keep their blocks; one
 * allocation starts the count again.  20,000 one-unit objects allow
 * 2500 blocks by units. */
TEST_F(Recycle, ABurstOfFreesStopsKeepingBlocks)
{
	Make(0, 20000, 4);
	for (size_t i = 0; i < 1000; i++)
		Free(i);
	EXPECT_EQ(Bins().blocks, 256u);
	EXPECT_ERRNO(zs_pool_check(pool_), 0);

	ASSERT_ERRNO(zs_malloc(pool_, 4, &h_[0]), 0);
	EXPECT_EQ(Bins().blocks, 255u);
	for (size_t i = 1000; i < 1010; i++)
		Free(i);
	EXPECT_EQ(Bins().blocks, 265u);
	EXPECT_ERRNO(zs_pool_check(pool_), 0);
}

/* Compaction moves live objects only: it releases every block first, and
 * the shrinker counts what the bins hold as free. */
TEST_F(Recycle, CompactionReleasesEveryBlock)
{
	Make(1, kObjects);
	for (size_t i = 0; i < h_.size(); i += 4)
		Free(i);
	ASSERT_GT(Bins().blocks, 0u);
	zs_compact(pool_);
	EXPECT_EQ(Bins().blocks, 0u);
	EXPECT_EQ(Bins().buried, 0u);
	EXPECT_ERRNO(zs_pool_check(pool_), 0);
}

/* Each plant is one damaged word; zs_pool_check must name it exactly. */
class RecycleCheck : public Recycle {
protected:
	void SetUp() override
	{
		Recycle::SetUp();
		Make(0, kObjects);
		Free(10);
		Free(20);
		shard_ = zsr_shard_of(pool_, h_[0]);
		zspage_ = zsr_zspage_of(pool_, h_[0]);
	}

	unsigned shard_ = 0;
	uint32_t zspage_ = 0;
};

/* Two blocks of 126 units are past a share of 1/64 of 64 objects' 8064
 * units. */
TEST_F(RecycleCheck, BlocksPastTheShare)
{
	ExpectPastShare(1, "shard " + std::to_string(shard_) +
				   " keeps 2 recycled blocks of 252 units and "
				   "0 huge pages, past its share (1/64 of "
				   "8064 object units and 0 huge pages)");
}

TEST_F(RecycleCheck, ALinkToALiveObject)
{
	const uint32_t live = zsr_slot_of(pool_, h_[0]);
	const uint32_t was = zsr_set_top_link(pool_, h_[0], kUnits, live + 1);

	ExpectFinding(ZS_FINDING_POOL_RECYCLE_BIN_BROKEN,
		      "recycle bin of 126 units of shard " +
			      std::to_string(shard_) + " links handle slot " +
			      std::to_string(live) +
			      ", not a recycled block of that footprint in "
			      "the shard");
	zsr_set_top_link(pool_, h_[0], kUnits, was);
	EXPECT_ERRNO(zs_pool_check(pool_), 0);
}

TEST_F(RecycleCheck, AShardCountOff)
{
	const uint32_t was = zsr_set_shard_blocks(pool_, h_[0], 3);

	ExpectFinding(ZS_FINDING_POOL_RECYCLE_COUNT,
		      "shard " + std::to_string(shard_) +
			      " counts 3 recycled blocks and 0 buried slots, "
			      "252 units; its bins hold 2 and 0, 252 units, "
			      "its zspages 2 blocks");
	zsr_set_shard_blocks(pool_, h_[0], was);
	EXPECT_ERRNO(zs_pool_check(pool_), 0);
}

TEST_F(RecycleCheck, AZspageCountOff)
{
	const uint32_t was = zsr_set_zspage_recycled(pool_, h_[0], 7);

	ExpectFinding(ZS_FINDING_POOL_ZSPAGE_RECYCLED,
		      "zspage " + std::to_string(zspage_) +
			      " counts 7 recycled blocks of its " +
			      std::to_string(kObjects) +
			      " objects (8064 units in 16 pages), holds 2");
	zsr_set_zspage_recycled(pool_, h_[0], was);
	EXPECT_ERRNO(zs_pool_check(pool_), 0);
}

TEST_F(RecycleCheck, ABinDepthOff)
{
	const uint32_t was = zsr_set_bin_depth(pool_, h_[0], kUnits, 3);

	ExpectFinding(ZS_FINDING_POOL_RECYCLE_DEPTH,
		      "shard " + std::to_string(shard_) +
			      " recycle bin of 126 units counts 3 blocks, "
			      "depth levels 0x3; it holds 2, levels 0x3");
	zsr_set_bin_depth(pool_, h_[0], kUnits, was);
	EXPECT_ERRNO(zs_pool_check(pool_), 0);
}

TEST_F(RecycleCheck, ABinInADeeperLevel)
{
	const uint32_t was = zsr_set_bin_level(pool_, h_[0], kUnits, 2, 1);

	ExpectFinding(ZS_FINDING_POOL_RECYCLE_DEPTH,
		      "shard " + std::to_string(shard_) +
			      " recycle bin of 126 units counts 2 blocks, "
			      "depth levels 0x7; it holds 2, levels 0x3");
	zsr_set_bin_level(pool_, h_[0], kUnits, 2, was);
	EXPECT_ERRNO(zs_pool_check(pool_), 0);
}

/* An eviction that finds the deepest bin, as the levels say, empty: the
 * levels were damaged, and the bins' counts are not to be trusted
 * (ZS_FINDING_ABORT_POOL_RECYCLE_DEPTH, then the abort).  The
 * bin of 5 units is planted in the deepest level; the bins are filled to
 * their share (eight blocks of 126 units: 64 * 126 / 8 = 1008) and one more
 * free must make room. */
TEST_F(RecycleCheck, AnEvictionFromAnEmptyBinAborts)
{
	GTEST_FLAG_SET(death_test_style, "fast");
	zsr_set_bin_level(pool_, h_[0], 5, 7, 1);
	const std::string message =
		"zs: recycle bins of shard " + std::to_string(shard_) +
		" count 8 blocks, but the deepest, of 5 units, holds none";

	EXPECT_DEATH(
		{
			for (size_t i = 30; i < 40; i++)
				zs_free(pool_, h_[i]);
		},
		message);
	zsr_set_bin_level(pool_, h_[0], 5, 7, 0);
}

/* ---- kept huge pages (zs/huge.c) ---- */

/* A freed huge object's page is kept for the next huge object of its
 * shard: the handle is refused at once, the pool keeps the page, and the
 * next huge allocation gets it. */
TEST_F(Recycle, AFreedHugePageGoesToTheNextHugeObject)
{
	Make(0, 24, kHuge);
	const void *was = Where(h_[5]);
	const uint64_t freed = h_[5];
	const unsigned long pages = zs_get_total_pages(pool_);

	Free(5);
	EXPECT_EQ(zsr_huge_kept(pool_), 1u);
	EXPECT_EQ(zs_get_total_pages(pool_), pages);
	EXPECT_ERRNO(zs_pool_check(pool_), 0);
	EXPECT_ERRNO(zs_free(pool_, freed), -EINVAL);
	EXPECT_EQ(zs_obj_size(pool_, freed), 0u);
	EXPECT_EQ(zs_map_object(pool_, freed, ZS_MM_RO), nullptr);

	/* a shared object does not take it */
	Allocate(kSize);
	EXPECT_EQ(zsr_huge_kept(pool_), 1u);
	Allocate(kHuge - 1);
	EXPECT_EQ(Where(h_.back()), was);
	EXPECT_NE(h_.back(), freed);
	EXPECT_EQ(zs_obj_size(pool_, h_.back()), kHuge - 1);
	EXPECT_EQ(zsr_huge_kept(pool_), 0u);
	EXPECT_ERRNO(zs_pool_check(pool_), 0);
}

/* At most the share (1/8 here) of the shard's huge pages, theirs
 * included: of 24, three; a huge object freed for good shrinks the share,
 * and the kept pages with it, so freeing them all keeps none and gives
 * every page back. */
TEST_F(Recycle, KeptHugePagesHoldTheirShare)
{
	Make(0, 24, kHuge);
	for (size_t i = 0; i < 24; i++) {
		Free(i);
		const unsigned long kept = zsr_huge_kept(pool_);
		EXPECT_LE(kept * 8, zs_get_total_pages(pool_))
			<< "after " << i + 1;
		if (i < 3) {
			EXPECT_EQ(kept, i + 1);
		}
		EXPECT_ERRNO(zs_pool_check(pool_), 0);
	}
	EXPECT_EQ(zsr_huge_kept(pool_), 0u);
	EXPECT_EQ(zs_get_total_pages(pool_), 0u);
}

/* Compaction gives the kept pages back, and counts them. */
TEST_F(Recycle, CompactionGivesKeptHugePagesBack)
{
	Make(0, 24, kHuge);
	Free(3);
	Free(4);
	ASSERT_EQ(zsr_huge_kept(pool_), 2u);
	EXPECT_EQ(zs_shrinker_count(pool_), 2u);
	const unsigned long pages = zs_get_total_pages(pool_);

	/* the class table's huge row: 22 used, 2 allocated and freeable */
	char *table = nullptr;
	size_t len = 0;
	FILE *f = open_memstream(&table, &len);
	ASSERT_NE(f, nullptr);
	zs_pool_print_classes_json(pool_, f);
	fclose(f);
	const std::string json(table, len);
	free(table);
	EXPECT_NE(json.find("\"huge\":true"), std::string::npos) << json;
	EXPECT_NE(json.find("\"obj_allocated\":24,\"obj_used\":22,"
			    "\"pages_used\":24"),
		  std::string::npos)
		<< json;
	EXPECT_NE(json.find("\"freeable\":2}]"), std::string::npos) << json;

	EXPECT_EQ(zs_compact(pool_), 2u);
	EXPECT_EQ(zsr_huge_kept(pool_), 0u);
	EXPECT_EQ(zs_get_total_pages(pool_), pages - 2);
	EXPECT_ERRNO(zs_pool_check(pool_), 0);
}

/* The check names a kept page's damaged link and a count off; an
 * allocation that finds the damaged link aborts
 * (ZS_FINDING_ABORT_POOL_HUGE_KEPT_LINK). */
class HugeKeptCheck : public Recycle {
protected:
	void SetUp() override
	{
		Recycle::SetUp();
		Make(0, 24, kHuge);
		shard_ = zsr_huge_shard_of(pool_, h_[0]);
		live_ = zsr_slot_of(pool_, h_[0]);
		Free(10);
		Free(20);
	}

	unsigned shard_ = 0;
	uint32_t live_ = 0;
};

TEST_F(HugeKeptCheck, ALinkToALiveObject)
{
	const uint32_t was = zsr_set_huge_link(pool_, shard_, live_ + 1);

	ExpectFinding(ZS_FINDING_POOL_HUGE_KEPT_LINK,
		      "kept huge pages of shard " + std::to_string(shard_) +
			      " link handle slot " + std::to_string(live_) +
			      ", not a kept page of the shard");
	zsr_set_huge_link(pool_, shard_, was);
	EXPECT_ERRNO(zs_pool_check(pool_), 0);
}

TEST_F(HugeKeptCheck, ACountOff)
{
	const uint32_t was = zsr_set_huge_kept(pool_, shard_, 3);

	ExpectFinding(ZS_FINDING_POOL_HUGE_KEPT_COUNT,
		      "shard " + std::to_string(shard_) +
			      " counts 3 kept huge pages; its stack links 2, "
			      "its huge slots hold 2");
	zsr_set_huge_kept(pool_, shard_, was);
	EXPECT_ERRNO(zs_pool_check(pool_), 0);
}

/* Two kept pages of 24 are past a share of 4/64. */
TEST_F(HugeKeptCheck, PagesPastTheShare)
{
	ExpectPastShare(4, "shard " + std::to_string(shard_) +
				   " keeps 0 recycled blocks of 0 units and "
				   "2 huge pages, past its share (4/64 of 0 "
				   "object units and 24 huge pages)");
}

TEST_F(HugeKeptCheck, TakingADamagedLinkAborts)
{
	GTEST_FLAG_SET(death_test_style, "fast");
	const uint32_t was = zsr_set_huge_link(pool_, shard_, live_ + 1);
	const std::string message = "zs: kept huge pages of shard " +
				    std::to_string(shard_) +
				    " link handle slot " +
				    std::to_string(live_) + ", not a kept page";

	EXPECT_DEATH(
		{
			uint64_t taken[2] = {};

			zs_malloc(pool_, kHuge, &taken[0]);
			zs_malloc(pool_, kHuge, &taken[1]);
		},
		message);
	zsr_set_huge_link(pool_, shard_, was);
}

} /* namespace */
