// SPDX-License-Identifier: MIT
/*
 * gtest/zsmalloc_straddle_test.cc - objects at every offset of a page.
 *
 * In a zspage of several pages the slots run on across page boundaries, so
 * some objects straddle two pages.  A zspage is one contiguous run of
 * pages, so a straddling object is one byte range like any other: map RO /
 * RW / WO and read_begin return a pointer into the pool, the caller's
 * buffer is never written, obj_write copies once.  For several classes the
 * test fills whole zspages with objects that fill their slot exactly
 * (n = slot - 4), so the bytes on both sides of every boundary belong to
 * some object, and pushes each object through every path.
 *
 * Where the objects sit is derived from first principles (zs::ClassModel:
 * slot i of a zspage starts at byte i * slot of its run), and checked
 * against what the API returns and what the arena says of the page: every
 * pointer lies in a run of the class's length, object k of a zspage at
 * byte k * slot + 4 of it.  So the set of in-page offsets seen must be
 * exactly the set of all slot starts, the straddling ones included.
 */
#include "gtest/zs_shim.h"

#include <gtest/gtest.h>

#include <set>

namespace
{

/* The run the arena says `p` lies in: its first page and length, or
 * {nullptr, 0} when p is in no allocated page of `arena`. */
struct RunSpan {
	const char *base;
	unsigned pages;
};

RunSpan RunOf(zs_arena *arena, const void *p)
{
	uintptr_t page = reinterpret_cast<uintptr_t>(p) & ~(uintptr_t)4095;
	struct zs_arena_page_info info;
	if (zs_arena_page_info(arena, reinterpret_cast<void *>(page), &info))
		return { nullptr, 0 };
	return { static_cast<const char *>(info.run), info.run_pages };
}

struct Layout {
	std::set<size_t> inplace_buckets; /* 16-byte buckets of slot starts */
	unsigned inplace = 0; /* per zspage */
	unsigned straddling = 0; /* per zspage */
};

Layout Expected(size_t slot, unsigned objs)
{
	Layout l;
	for (unsigned i = 0; i < objs; i++) {
		size_t start = (size_t)i * slot;
		l.inplace_buckets.insert(start % 4096 / 16);
		l.inplace++;
		if (start / 4096 != (start + slot - 1) / 4096)
			l.straddling++;
	}
	return l;
}

class ZsStraddle : public ::testing::TestWithParam<size_t> {};

TEST_P(ZsStraddle, EveryAccessPathAtEveryOffset)
{
	const size_t want_slot = GetParam();
	zs::Arena arena;
	zs_pool_config cfg = {};
	cfg.chain_size = 8;
	cfg.arena = arena;
	zs::Pool pool(cfg);
	ASSERT_NE(pool.get(), nullptr);
	zs::ClassModel model(8);
	const size_t slot = model.rep[want_slot];
	const size_t n = slot - zs::ClassModel::kHeader;
	ASSERT_EQ(zs_class_size_for(pool, n), slot);
	const unsigned objs_per_zspage = model.objs[slot];
	const unsigned zspages = objs_per_zspage >= 256 ? 2 : 4;
	const unsigned count = zspages * objs_per_zspage;
	Layout want = Expected(slot, objs_per_zspage);
	if (model.pages[slot] > 1) {
		ASSERT_GT(want.straddling, 0u) << "slot " << slot;
	}

	zs::Handles objs(pool);
	for (unsigned i = 0; i < count; i++)
		ASSERT_ERRNO(objs.Alloc(n, i + 1), 0);
	EXPECT_EQ(zs_get_total_pages(pool),
		  (unsigned long)zspages * model.pages[slot]);

	std::vector<uint8_t> local(n, 0xee);
	const std::vector<uint8_t> untouched(n, 0xee);
	std::set<size_t> seen;
	unsigned inplace = 0, crossing = 0;
	const char *zspage = nullptr; /* the current zspage's run */
	for (unsigned i = 0; i < count; i++) {
		uint64_t h = objs[i].handle;
		uint64_t s = 1000000 + i * 8;
		const unsigned k = i % objs_per_zspage; /* its slot */

		/* read_begin: in place, in the zspage's run, at its slot; the
		 * local copy is left alone; the bytes are right. */
		const char *p = static_cast<const char *>(
			zs_obj_read_begin(pool, h, local.data()));
		ASSERT_NE(p, nullptr);
		EXPECT_TRUE(zs::BytesMatch(p, n, objs[i].seed)) << "obj " << i;
		EXPECT_NE(p, reinterpret_cast<const char *>(local.data()));
		EXPECT_EQ(local, untouched) << "local copy written, obj " << i;
		RunSpan run = RunOf(arena, p);
		ASSERT_NE(run.base, nullptr) << "obj " << i;
		EXPECT_EQ(run.pages, model.pages[slot]);
		if (k == 0)
			zspage = run.base;
		EXPECT_EQ(run.base, zspage) << "obj " << i;
		EXPECT_EQ(p, run.base + k * slot + zs::ClassModel::kHeader)
			<< "obj " << i;
		EXPECT_LE(p + n, run.base + run.pages * 4096) << "obj " << i;
		inplace++;
		if ((k * slot) / 4096 != (k * slot + slot - 1) / 4096)
			crossing++;
		seen.insert((reinterpret_cast<uintptr_t>(p) -
			     zs::ClassModel::kHeader) %
			    4096 / 16);
		ASSERT_ERRNO(zs_obj_read_end(pool, h, p), 0);

		/* every map is in place too, whatever the mode */
		for (zs_mapmode mm : { ZS_MM_RO, ZS_MM_RW, ZS_MM_WO }) {
			zs::Mapping m(pool, h, mm);
			ASSERT_TRUE(m);
			EXPECT_EQ(m.get(), p) << "mode " << mm << ", obj " << i;
		}

		/* RO sees what is there. */
		{
			zs::Mapping m(pool, h, ZS_MM_RO);
			ASSERT_TRUE(m);
			EXPECT_TRUE(zs::BytesMatch(m.get(), n, objs[i].seed));
		}
		/* RW: changed at both ends, in place. */
		{
			zs::Mapping m(pool, h, ZS_MM_RW);
			ASSERT_TRUE(m);
			EXPECT_TRUE(zs::BytesMatch(m.get(), n, objs[i].seed));
			zs::FillPattern(m.get(), n, s + 1);
			ASSERT_ERRNO(m.Unmap(), 0);
		}
		EXPECT_TRUE(zs::HasPattern(pool, h, n, s + 1)) << "RW " << i;
		/* WO: the whole object written blind. */
		{
			zs::Mapping m(pool, h, ZS_MM_WO);
			ASSERT_TRUE(m);
			zs::FillPattern(m.get(), n, s + 2);
			ASSERT_ERRNO(m.Unmap(), 0);
		}
		EXPECT_TRUE(zs::HasPattern(pool, h, n, s + 2)) << "WO " << i;
		/* obj_write: whole, then a prefix over it. */
		ASSERT_ERRNO(zs::WritePattern(pool, h, n, s + 3), 0);
		EXPECT_TRUE(zs::HasPattern(pool, h, n, s + 3)) << "write " << i;
		std::vector<uint8_t> v = zs::Pattern(n, s + 4);
		std::vector<uint8_t> prefix = zs::Pattern(n / 2 + 1, s + 5);
		ASSERT_ERRNO(zs_obj_write(pool, h, v.data(), n), 0);
		ASSERT_ERRNO(
			zs_obj_write(pool, h, prefix.data(), prefix.size()), 0);
		memcpy(v.data(), prefix.data(), prefix.size());
		const void *q = zs_obj_read_begin(pool, h, local.data());
		ASSERT_NE(q, nullptr);
		EXPECT_EQ(memcmp(q, v.data(), n), 0) << "prefix write " << i;
		ASSERT_ERRNO(zs_obj_read_end(pool, h, q), 0);

		/* Leave the object with a final pattern of its own. */
		ASSERT_ERRNO(zs::WritePattern(pool, h, n, s + 6), 0);
		objs.objs()[i].seed = s + 6;
	}
	/* No write spilled into a neighbour across any boundary. */
	EXPECT_TRUE(objs.AllIntact());
	EXPECT_ERRNO(zs_pool_check(pool), 0);

	EXPECT_EQ(crossing, zspages * want.straddling) << "slot " << slot;
	EXPECT_EQ(inplace, zspages * want.inplace) << "slot " << slot;
	EXPECT_EQ(seen, want.inplace_buckets)
		<< "in-page offsets of every object, slot " << slot;
	printf("slot %zu: %u objs/zspage over %u pages, %zu of 256 in-page "
	       "offsets, %u straddling per zspage, all in place\n",
	       slot, objs_per_zspage, model.pages[slot], seen.size(),
	       want.straddling);
}

/* Slot sizes of odd multiples of 16 reach every 16-byte offset a page
 * allows; 48 (256 objects over 3 pages) and 80 (256 over 5) reach all 256
 * of them.  1008 is a one-page class: nothing straddles. */
INSTANTIATE_TEST_SUITE_P(Classes, ZsStraddle,
			 ::testing::Values(48, 80, 208, 400, 720, 992, 1008,
					   1488, 2112, 2736, 3264, 3632),
			 [](const ::testing::TestParamInfo<size_t> &info) {
				 return "slot" + std::to_string(info.param);
			 });

/* Sizes below the slot: the bytes between the object's end and the next
 * slot are not the object's, and must not leak into it either way. */
TEST(ZsStraddleMixed, ShortObjectsInEveryClassKeepTheirBytes)
{
	zs::Pool pool;
	zs::Handles objs(pool);
	uint64_t seed = 1;
	for (size_t n = 1; n <= 4096; n += 37)
		for (int j = 0; j < 12; j++)
			ASSERT_ERRNO(objs.Alloc(n, seed++), 0);
	for (size_t i = 0; i < objs.size(); i++) {
		zs::Mapping m(pool, objs[i].handle, ZS_MM_RW);
		ASSERT_TRUE(m);
		EXPECT_TRUE(
			zs::BytesMatch(m.get(), objs[i].size, objs[i].seed));
		zs::FillPattern(m.get(), objs[i].size, seed + i);
		objs.objs()[i].seed = seed + i;
	}
	EXPECT_TRUE(objs.AllIntact());
	EXPECT_ERRNO(zs_pool_check(pool), 0);
}

TEST(ZsStraddleMixed, HugeObjectsEveryPath)
{
	zs::Pool pool;
	zs::Handles objs(pool);
	size_t huge = zs_huge_class_size(pool);
	for (size_t n : { huge, huge + 1, (size_t)4000, (size_t)4096 })
		for (int j = 0; j < 3; j++)
			ASSERT_ERRNO(objs.Alloc(n, n * 10 + j), 0);
	std::vector<uint8_t> local(4096);
	for (size_t i = 0; i < objs.size(); i++) {
		uint64_t h = objs[i].handle;
		size_t n = objs[i].size;
		{
			zs::Mapping m(pool, h, ZS_MM_RW);
			ASSERT_TRUE(m);
			EXPECT_TRUE(zs::BytesMatch(m.get(), n, objs[i].seed));
			zs::FillPattern(m.get(), n, 7 + i);
		}
		EXPECT_TRUE(zs::HasPattern(pool, h, n, 7 + i));
		{
			zs::Mapping m(pool, h, ZS_MM_WO);
			ASSERT_TRUE(m);
			zs::FillPattern(m.get(), n, 70 + i);
		}
		EXPECT_TRUE(zs::HasPattern(pool, h, n, 70 + i));
		/* A huge object is one page: read in place like any. */
		const void *p = zs_obj_read_begin(pool, h, local.data());
		ASSERT_NE(p, nullptr);
		EXPECT_NE(p, local.data());
		ASSERT_ERRNO(zs_obj_read_end(pool, h, p), 0);
		objs.objs()[i].seed = 70 + i;
	}
	EXPECT_TRUE(objs.AllIntact());
	EXPECT_ERRNO(zs_pool_check(pool), 0);
}

} /* namespace */
