// SPDX-License-Identifier: MIT
/*
 * gtest/zsmalloc_compact_test.cc - compaction frees pages and loses nothing.
 *
 * After most objects are freed at random the zspages are sparse; zs_compact
 * must move objects into fewer zspages, return the pages freed (and count
 * them in pages_compacted), leave zs_shrinker_count at 0 when nothing is
 * pinned, and keep every object's bytes and handle.  A mapped or read-open
 * object is pinned: it must not move, and the pointer the caller holds
 * stays valid through the compaction.
 *
 * Whether an object moved is seen through read_begin: for a contiguous
 * object it returns the object's address in its page.
 */
#include "gtest/zs_shim.h"

#include <gtest/gtest.h>

#include <random>

namespace
{

/* The layouts below are worked out for zspages of 8 pages, the kernel's
 * default chain (the library's is 16). */
constexpr unsigned kChain = 8;

/* Where an object lies in the pool (reads are always in place), or 0 for
 * a handle the pool does not hold. */
uintptr_t Where(zs_pool *pool, uint64_t h)
{
	const void *p = zs_obj_read_begin(pool, h, nullptr);
	if (!p)
		return 0;
	zs_obj_read_end(pool, h, p);
	return reinterpret_cast<uintptr_t>(p);
}

/* Many objects of a few sizes (sharing zspages), then 90% freed at
 * random. */
void MakeSparse(zs::Handles &objs, unsigned n, uint32_t seed)
{
	std::mt19937 rng(seed);
	const size_t sizes[] = { 60, 100, 700, 1500, 3000, 4000 };
	for (unsigned i = 0; i < n; i++)
		ASSERT_ERRNO(objs.Alloc(sizes[i % 6] - rng() % 8, i), 0);
	while (objs.size() > n / 10)
		ASSERT_ERRNO(objs.Free(rng() % objs.size()), 0);
}

TEST(ZsCompact, FreesPagesAndKeepsEveryObject)
{
	zs::Pool pool = zs::Pool::WithChain(kChain);
	zs::Handles objs(pool);
	MakeSparse(objs, 30000, 1);
	const unsigned long before = zs_get_total_pages(pool);
	const unsigned long count = zs_shrinker_count(pool);
	EXPECT_GT(count, 0u) << "a 90%-freed pool has nothing to compact?";

	const unsigned long freed = zs_compact(pool);
	EXPECT_GT(freed, 0u);
	EXPECT_EQ(zs_get_total_pages(pool), before - freed);
	/* The estimate was a lower bound of what compaction achieves. */
	EXPECT_GE(freed, count);
	EXPECT_EQ(zs_shrinker_count(pool), 0u);
	EXPECT_TRUE(objs.AllIntact());
	EXPECT_ERRNO(zs_pool_check(pool), 0);

	struct zs_pool_stats st = pool.Stats();
	EXPECT_EQ(st.pages_compacted, freed);
	EXPECT_GT(st.objs_moved, 0u);
	EXPECT_GE(st.compactions, 1u);
	EXPECT_EQ(st.objs_used, objs.size());
	EXPECT_EQ(st.bytes_stored, objs.BytesLive());
	printf("compact: %lu -> %lu pages (%lu freed, %lu objects moved)\n",
	       before, before - freed, freed, st.objs_moved);

	/* Nothing left to do. */
	EXPECT_EQ(zs_compact(pool), 0u);
	EXPECT_EQ(pool.Stats().pages_compacted, freed);
}

TEST(ZsCompact, PagesCompactedAccumulates)
{
	zs::Pool pool = zs::Pool::WithChain(kChain);
	zs::Handles objs(pool);
	MakeSparse(objs, 20000, 2);
	unsigned long total = zs_compact(pool);
	EXPECT_GT(total, 0u);
	/* Thin it again and compact again: the counter adds up. */
	std::mt19937 rng(9);
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < 1000; i++)
			ASSERT_ERRNO(objs.Alloc(1 + rng() % 3000, 50000 + i),
				     0);
		while (objs.size() > 400)
			ASSERT_ERRNO(objs.Free(rng() % objs.size()), 0);
		unsigned long pages = zs_get_total_pages(pool);
		unsigned long freed = zs_compact(pool);
		EXPECT_EQ(zs_get_total_pages(pool), pages - freed);
		total += freed;
		EXPECT_EQ(pool.Stats().pages_compacted, total);
		EXPECT_EQ(zs_shrinker_count(pool), 0u);
		EXPECT_TRUE(objs.AllIntact());
		EXPECT_ERRNO(zs_pool_check(pool), 0);
	}
}

TEST(ZsCompact, ShrinkerScanCompacts)
{
	zs::Pool pool = zs::Pool::WithChain(kChain);
	zs::Handles objs(pool);
	MakeSparse(objs, 20000, 3);
	const unsigned long count = zs_shrinker_count(pool);
	ASSERT_GT(count, 0u);
	const unsigned long before = zs_get_total_pages(pool);
	const unsigned long freed = zs_shrinker_scan(pool, count);
	EXPECT_GT(freed, 0u);
	EXPECT_EQ(zs_get_total_pages(pool), before - freed);
	/* Scanning until it reports nothing left empties the estimate. */
	for (int i = 0; i < 100 && zs_shrinker_scan(pool, ~0UL); i++) {
	}
	EXPECT_EQ(zs_shrinker_count(pool), 0u);
	EXPECT_EQ(zs_shrinker_scan(pool, 100), 0u);
	EXPECT_TRUE(objs.AllIntact());
	EXPECT_ERRNO(zs_pool_check(pool), 0);
}

TEST(ZsCompact, CompactionMovesUnpinnedObjects)
{
	/* Sanity for the pinning tests below: Where() does see moves. */
	zs::Pool pool = zs::Pool::WithChain(kChain);
	zs::Handles objs(pool);
	MakeSparse(objs, 20000, 4);
	std::vector<uintptr_t> where(objs.size());
	for (size_t i = 0; i < objs.size(); i++)
		where[i] = Where(pool, objs[i].handle);
	ASSERT_GT(zs_compact(pool), 0u);
	unsigned moved = 0;
	for (size_t i = 0; i < objs.size(); i++) {
		uintptr_t now = Where(pool, objs[i].handle);
		if (where[i] && now && now != where[i])
			moved++;
	}
	EXPECT_GT(moved, 0u);
	EXPECT_TRUE(objs.AllIntact());
}

/* One size, packed one after the other in 8-page zspages
 * (zspage bytes / footprint of them to a zspage), then every zspage left
 * with two objects: all are sparse, so any object is a candidate to
 * move. */
void OnePerZspage(zs::Handles &objs, size_t size, unsigned zspages)
{
	const size_t footprint = zs_class_size_for(objs.pool(), size);
	ASSERT_GT(footprint, 8u); /* one-unit objects pack one fewer */
	const unsigned per = (unsigned)(8 * 4096 / footprint);
	for (unsigned i = 0; i < zspages * per; i++)
		ASSERT_ERRNO(objs.Alloc(size, i), 0);
	ASSERT_EQ(zs_get_total_pages(objs.pool()), zspages * 8ul);
	/* Keep objects 0 and per/2 of each zspage's run. */
	std::vector<zs::Obj> keep;
	for (size_t i = 0; i < objs.size(); i++)
		if (i % per == 0 || i % per == per / 2)
			keep.push_back(objs[i]);
	for (size_t i = objs.size(); i-- > 0;) {
		if (!(i % per == 0 || i % per == per / 2)) {
			ASSERT_ERRNO(objs.Free(i), 0);
		}
	}
	ASSERT_EQ(objs.size(), keep.size());
}

TEST(ZsCompact, MappedObjectIsNotMoved)
{
	zs::Pool pool = zs::Pool::WithChain(kChain);
	zs::Handles objs(pool);
	OnePerZspage(objs, 700, 30);
	ASSERT_GT(zs_shrinker_count(pool), 0u);
	/* Pin an object from the middle of the pool. */
	size_t pick = objs.size();
	for (size_t i = objs.size() / 2; i < objs.size(); i++)
		if (Where(pool, objs[i].handle)) {
			pick = i;
			break;
		}
	ASSERT_LT(pick, objs.size());
	const uint64_t h = objs[pick].handle;
	const uintptr_t at = Where(pool, h);
	uint8_t *p = static_cast<uint8_t *>(zs_map_object(pool, h, ZS_MM_RW));
	ASSERT_NE(p, nullptr);

	EXPECT_GT(zs_compact(pool), 0u);
	/* The caller's view is intact and still live... */
	EXPECT_TRUE(zs::BytesMatch(p, objs[pick].size, objs[pick].seed));
	zs::FillPattern(p, objs[pick].size, 4242);
	objs.objs()[pick].seed = 4242;
	EXPECT_ERRNO(zs_free(pool, h), -EBUSY);
	ASSERT_ERRNO(zs_unmap_object(pool, h), 0);
	/* ...the object did not move, and the write through it landed. */
	EXPECT_EQ(Where(pool, h), at);
	EXPECT_TRUE(objs.AllIntact());
	EXPECT_ERRNO(zs_pool_check(pool), 0);
	/* Unpinned, it may go; afterwards nothing is left to free. */
	zs_compact(pool);
	EXPECT_EQ(zs_shrinker_count(pool), 0u);
	EXPECT_TRUE(objs.AllIntact());
}

TEST(ZsCompact, ReadOpenObjectIsNotMoved)
{
	zs::Pool pool = zs::Pool::WithChain(kChain);
	zs::Handles objs(pool);
	OnePerZspage(objs, 1500, 30);
	ASSERT_GT(zs_shrinker_count(pool), 0u);
	/* Pin objects spread over the pool (one in every fourth zspage),
	 * within the per-thread limit on open reads. */
	std::vector<uint8_t> local(1500);
	std::vector<std::pair<size_t, const void *>> open;
	for (size_t i = 0; i < objs.size() && open.size() < ZS_MAX_THREAD_READS;
	     i += 8) {
		const void *p =
			zs_obj_read_begin(pool, objs[i].handle, local.data());
		ASSERT_NE(p, nullptr);
		if (p == local.data()) {
			ASSERT_ERRNO(zs_obj_read_end(pool, objs[i].handle, p),
				     0);
			continue;
		}
		open.push_back({ i, p });
	}
	ASSERT_FALSE(open.empty());
	EXPECT_GT(zs_compact(pool), 0u);
	for (auto &o : open) {
		const zs::Obj &obj = objs[o.first];
		EXPECT_TRUE(zs::BytesMatch(o.second, obj.size, obj.seed));
		EXPECT_ERRNO(zs_free(pool, obj.handle), -EBUSY);
		ASSERT_ERRNO(zs_obj_read_end(pool, obj.handle, o.second), 0);
		EXPECT_EQ(Where(pool, obj.handle),
			  reinterpret_cast<uintptr_t>(o.second))
			<< "a read-open object moved";
	}
	EXPECT_TRUE(objs.AllIntact());
	EXPECT_ERRNO(zs_pool_check(pool), 0);
	zs_compact(pool);
	EXPECT_EQ(zs_shrinker_count(pool), 0u);
}

/* zspages of 8 pages (4096 units) tiled by pairs of a 24-unit object and
 * a 232-unit one, 16 pairs to a zspage; then every small object freed.
 * The free units add up to more than two zspages, but in 24-unit gaps
 * that no remaining object fits: only sliding objects together makes
 * room. */
void BigsBetweenShortGaps(zs::Handles &objs, unsigned zspages)
{
	const size_t small = 188, big = 1852;
	ASSERT_EQ(zs_class_size_for(objs.pool(), small), 24u * 8);
	ASSERT_EQ(zs_class_size_for(objs.pool(), big), 232u * 8);
	for (unsigned i = 0; i < zspages * 16; i++) {
		ASSERT_ERRNO(objs.Alloc(small, 2 * i), 0);
		ASSERT_ERRNO(objs.Alloc(big, 2 * i + 1), 0);
	}
	ASSERT_EQ(zs_get_total_pages(objs.pool()), zspages * 8ul);
	for (size_t i = objs.size(); i-- > 0;) {
		if (objs[i].size == small) {
			ASSERT_ERRNO(objs.Free(i), 0);
		}
	}
}

/* The fewest pages that hold BigsBetweenShortGaps' 384 big objects of
 * 232 units once the small ones are freed: 17 to a zspage, so 22 full
 * zspages, and 10 objects in a 23rd reaching 10 * 232 units and its last
 * gap's head (2 units), 5 pages. */
constexpr unsigned long kFewestPages = 22 * 8 + (10 * 232 + 2 + 511) / 512;

TEST(ZsCompact, SlidesObjectsTogetherWhenNoGapFits)
{
	zs::Pool pool = zs::Pool::WithChain(kChain);
	zs::Handles objs(pool);
	BigsBetweenShortGaps(objs, 24);
	const unsigned long before = zs_get_total_pages(pool);
	std::vector<uintptr_t> where(objs.size());
	for (size_t i = 0; i < objs.size(); i++)
		where[i] = Where(pool, objs[i].handle);

	/* Each slide makes one 384-unit gap, room for one more object, and
	 * 17 of them fit a zspage: 23 zspages are the fewest, the last with
	 * its 10 objects packed at its start and its free pages after them
	 * given back. */
	const unsigned long freed = zs_compact(pool);
	EXPECT_EQ(zs_get_total_pages(pool), kFewestPages);
	EXPECT_EQ(freed, 24 * 8 - kFewestPages);
	EXPECT_EQ(zs_get_total_pages(pool), before - freed);
	EXPECT_TRUE(objs.AllIntact());
	EXPECT_ERRNO(zs_pool_check(pool), 0);
	/* Objects moved inside their zspages too, not only out of the
	 * emptied one. */
	unsigned moved = 0;
	for (size_t i = 0; i < objs.size(); i++)
		if (Where(pool, objs[i].handle) != where[i])
			moved++;
	EXPECT_GT(moved, 16u);
	/* Every object is still reachable and freeable. */
	objs.FreeAll();
	EXPECT_EQ(zs_get_total_pages(pool), 0u);
	EXPECT_ERRNO(zs_pool_check(pool), 0);
}

TEST(ZsCompact, SlidingLeavesMappedObjectsInPlace)
{
	zs::Pool pool = zs::Pool::WithChain(kChain);
	zs::Handles objs(pool);
	BigsBetweenShortGaps(objs, 24);
	/* Pin the middle object of eight zspages: a slide of one of those
	 * stops short of a gap long enough, and must not move it. */
	std::vector<std::pair<size_t, uint8_t *>> maps;
	for (size_t i = 8; maps.size() < ZS_MAX_THREAD_MAPS; i += 16) {
		void *p = zs_map_object(pool, objs[i].handle, ZS_MM_RO);
		ASSERT_NE(p, nullptr);
		maps.push_back({ i, static_cast<uint8_t *>(p) });
	}
	zs_compact(pool);
	for (auto &m : maps) {
		EXPECT_EQ(Where(pool, objs[m.first].handle),
			  reinterpret_cast<uintptr_t>(m.second))
			<< "a mapped object slid";
		EXPECT_TRUE(zs::BytesMatch(m.second, objs[m.first].size,
					   objs[m.first].seed));
		ASSERT_ERRNO(zs_unmap_object(pool, objs[m.first].handle), 0);
	}
	EXPECT_TRUE(objs.AllIntact());
	EXPECT_ERRNO(zs_pool_check(pool), 0);
	/* Unpinned, they slide too: at most 17 of the 384 objects fit a
	 * zspage, so 23 zspages are the fewest that hold them. */
	zs_compact(pool);
	EXPECT_EQ(zs_get_total_pages(pool), kFewestPages);
	EXPECT_TRUE(objs.AllIntact());
	EXPECT_ERRNO(zs_pool_check(pool), 0);
}

} /* namespace */
