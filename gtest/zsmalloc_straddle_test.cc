// SPDX-License-Identifier: MIT
/*
 * gtest/zsmalloc_straddle_test.cc - objects at every offset of a page.
 *
 * In the shared-zspage layout objects are placed at 8-byte granularity in
 * zspages of several pages, one after the other, across page boundaries,
 * so many objects straddle two pages.  A zspage is one contiguous run of
 * pages, so a straddling object is one byte range like any other: map RO /
 * RW / WO and read_begin return a pointer into the pool, the caller's
 * buffer is never written, obj_write copies once.  For objects of many
 * sizes the test fills whole zspages, and pushes each object through
 * every path.  Sizes with n + 4 a multiple of 8 fill their footprint
 * exactly, so the bytes on both sides of every boundary belong to some
 * object; the others leave 1..7 bytes of padding after each object.
 *
 * Where the objects sit is derived from first principles: an object of n
 * bytes takes its footprint f = (n + 4) rounded up to 8, a 4-byte tag then
 * its bytes, and one thread's objects of one size are packed from the
 * start of a fresh zspage, so object k of a zspage has its bytes at byte
 * k * f + 4 of its run and a zspage holds zspage_bytes / f of them (one
 * fewer for one-unit objects: PerZspage).  That
 * is checked against what the API returns and what the arena says of the
 * page: every pointer lies in a run of the chain's length, in place.  So
 * the set of in-page offsets seen (in 8-byte units) must be exactly the
 * set of all object starts, the straddling ones included.
 */
#include "gtest/zs_shim.h"

#include <gtest/gtest.h>

#include <set>

namespace
{

constexpr size_t kTag = 4;
constexpr unsigned kChain = 8;
constexpr size_t kZspageBytes = kChain * 4096;

size_t Footprint(size_t n)
{
	return (n + kTag + 7) / 8 * 8;
}

/* Objects of footprint f a zspage holds when packed: all that fit, but
 * for one-unit objects the last unit stays free: a one-unit gap is not in
 * the free-space index (it has no room for links), so no allocation finds
 * it until a neighbour's free merges it. */
unsigned PerZspage(size_t f)
{
	return (unsigned)(f == 8 ? kZspageBytes / 8 - 1 : kZspageBytes / f);
}

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
	std::set<size_t> inpage_units; /* 8-byte units of footprint starts */
	unsigned inplace = 0; /* per zspage */
	unsigned straddling = 0; /* per zspage: bytes on two pages */
};

Layout Expected(size_t n, unsigned objs)
{
	const size_t f = Footprint(n);
	Layout l;
	for (unsigned i = 0; i < objs; i++) {
		size_t start = (size_t)i * f;
		l.inpage_units.insert(start % 4096 / 8);
		l.inplace++;
		if ((start + kTag) / 4096 != (start + kTag + n - 1) / 4096)
			l.straddling++;
	}
	return l;
}

class ZsStraddle : public ::testing::TestWithParam<size_t> {};

TEST_P(ZsStraddle, EveryAccessPathAtEveryOffset)
{
	const size_t n = GetParam();
	const size_t f = Footprint(n);
	zs::Arena arena;
	zs_pool_config cfg = {};
	cfg.chain_size = kChain;
	cfg.arena = arena;
	zs::Pool pool(cfg);
	ASSERT_NE(pool.get(), nullptr);
	ASSERT_EQ(zs_class_size_for(pool, n), f);
	const unsigned objs_per_zspage = PerZspage(f);
	const unsigned zspages = objs_per_zspage >= 256 ? 2 : 4;
	const unsigned count = zspages * objs_per_zspage;
	Layout want = Expected(n, objs_per_zspage);
	/* whenever footprints do not tile pages, some object's bytes run
	 * over a page boundary: the case this suite is about */
	if (4096 % f != 0) {
		ASSERT_GT(want.straddling, 0u) << "size " << n;
	}

	zs::Handles objs(pool);
	for (unsigned i = 0; i < count; i++)
		ASSERT_ERRNO(objs.Alloc(n, i + 1), 0);
	EXPECT_EQ(zs_get_total_pages(pool), (unsigned long)zspages * kChain);

	std::vector<uint8_t> local(n, 0xee);
	const std::vector<uint8_t> untouched(n, 0xee);
	std::set<size_t> seen;
	unsigned inplace = 0, crossing = 0;
	const char *zspage = nullptr; /* the current zspage's run */
	for (unsigned i = 0; i < count; i++) {
		uint64_t h = objs[i].handle;
		uint64_t s = 1000000 + i * 8;
		const unsigned k = i % objs_per_zspage; /* its place */

		/* read_begin: in place, in the zspage's run, at its place; the
		 * local copy is left alone; the bytes are right. */
		const char *p = static_cast<const char *>(
			zs_obj_read_begin(pool, h, local.data()));
		ASSERT_NE(p, nullptr);
		EXPECT_TRUE(zs::BytesMatch(p, n, objs[i].seed)) << "obj " << i;
		EXPECT_NE(p, reinterpret_cast<const char *>(local.data()));
		EXPECT_EQ(local, untouched) << "local copy written, obj " << i;
		RunSpan run = RunOf(arena, p);
		ASSERT_NE(run.base, nullptr) << "obj " << i;
		EXPECT_EQ(run.pages, kChain);
		if (k == 0)
			zspage = run.base;
		EXPECT_EQ(run.base, zspage) << "obj " << i;
		EXPECT_EQ(p, run.base + k * f + kTag) << "obj " << i;
		EXPECT_LE(p + n, run.base + run.pages * 4096) << "obj " << i;
		inplace++;
		const size_t off = (size_t)(p - run.base);
		if (off / 4096 != (off + n - 1) / 4096)
			crossing++;
		seen.insert((reinterpret_cast<uintptr_t>(p) - kTag) % 4096 / 8);
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

	EXPECT_EQ(crossing, zspages * want.straddling) << "size " << n;
	EXPECT_EQ(inplace, zspages * want.inplace) << "size " << n;
	EXPECT_EQ(seen, want.inpage_units)
		<< "in-page offsets of every object, size " << n;
	printf("size %zu (footprint %zu): %u objs/zspage over %u pages, %zu "
	       "of 512 in-page offsets, %u straddling per zspage, all in "
	       "place\n",
	       n, f, objs_per_zspage, kChain, seen.size(), want.straddling);
}

/* Footprints of an odd number of units reach every 8-byte offset a page
 * allows once a zspage holds 512 of them: 4 bytes (1 unit, 4095 per
 * zspage) and 52 (7 units, 585 per zspage) reach all 512.  Others step
 * coarser (100: 13 units; 1005: 127 units; 2045: 257 units, two per
 * page and most straddling).  2044 (256 units) and 4092 (512 units) tile
 * pages exactly: nothing straddles.  Sizes with n + 4 a multiple of 8 (4,
 * 52, 100, 1004, 2044, 3260, 4092) fill their footprint; the others (1,
 * 203, 717, 1005, 2045, 2733, 3629) leave padding after each object. */
INSTANTIATE_TEST_SUITE_P(Sizes, ZsStraddle,
			 ::testing::Values(1, 4, 52, 100, 203, 717, 1004, 1005,
					   2044, 2045, 2733, 3260, 3629, 4092),
			 [](const ::testing::TestParamInfo<size_t> &info) {
				 return "size" + std::to_string(info.param);
			 });

/* Objects of every size share zspages: the padding between an object's
 * end and its neighbour's tag is not the object's, and must not leak into
 * it either way, whatever the neighbour's size. */
TEST(ZsStraddleMixed, ObjectsOfEverySizeKeepTheirBytes)
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
