// SPDX-License-Identifier: MIT
/*
 * gtest/zsmalloc_api_test.cc - every public zsmalloc call, success and error.
 *
 * One test per call (or per tight group of calls), each checking the exact
 * value the contract in zs/zsmalloc.h promises, so a change of behaviour
 * in any entry point shows up here by name.  The deeper batteries
 * (misuse, straddling, faults, compaction) live in their own files.
 */
#include "gtest/zs_shim.h"

#include <gtest/gtest.h>

#include <cstring>
#include <set>
#include <thread>

namespace
{

TEST(ZsApi, CreatePoolWithName)
{
	zs::Pool pool("api-pool");
	ASSERT_NE(pool.get(), nullptr);
	ASSERT_NE(zs_pool_name(pool), nullptr);
	EXPECT_STREQ(zs_pool_name(pool), "api-pool");
	EXPECT_ERRNO(zs_pool_check(pool), 0);
}

TEST(ZsApi, CreatePoolWithNullName)
{
	zs::Pool pool(static_cast<const char *>(nullptr));
	ASSERT_NE(pool.get(), nullptr);
	uint64_t h = 0;
	ASSERT_ERRNO(zs_malloc(pool, 100, &h), 0);
	EXPECT_NE(h, 0u);
	EXPECT_ERRNO(zs_free(pool, h), 0);
}

TEST(ZsApi, ZeroConfigMeansDefaults)
{
	/* Class count and huge size no longer depend on the chain size
	 * (every footprint of 1..512 units shares zspages at any chain), so
	 * the default chain of 16 shows in how many objects one zspage
	 * holds.  A 100 B object reaches the first page of its zspage only
	 * (13 units); 32 of 2000 B (251 units each) then fill 16 pages to
	 * unit 8045 of 8192, and the 33rd needs a second zspage. */
	zs_pool_config cfg = {};
	zs::Pool zero(cfg);
	zs::Pool sixteen = zs::Pool::WithChain(16);
	zs::Pool named("defaults");
	ASSERT_NE(zero.get(), nullptr);
	ASSERT_NE(sixteen.get(), nullptr);
	ASSERT_NE(named.get(), nullptr);
	for (zs_pool *pool : { zero.get(), sixteen.get(), named.get() }) {
		uint64_t h = 0, big[33];
		struct zs_pool_stats st;
		/* the runs earlier pools freed, purged: fresh pages count
		 * as they are reached */
		zs_arena_trim(zs_arena_default());
		ASSERT_ERRNO(zs_malloc(pool, 100, &h), 0);
		EXPECT_EQ(zs_get_total_pages(pool), 1u);
		for (int i = 0; i < 33; i++) {
			ASSERT_ERRNO(zs_malloc(pool, 2000, &big[i]), 0);
			zs_pool_stats(pool, &st);
			EXPECT_EQ(st.zspages, i < 32 ? 1u : 2u) << i;
			if (i == 31) {
				EXPECT_EQ(zs_get_total_pages(pool), 16u);
			}
		}
		EXPECT_ERRNO(zs_pool_check(pool), 0);
		EXPECT_ERRNO(zs_free(pool, h), 0);
		for (uint64_t b : big)
			EXPECT_ERRNO(zs_free(pool, b), 0);
		EXPECT_EQ(zs_get_total_pages(pool), 0u);
		/* a zspage remade at once on the freed run counts all 16 of
		 * its pages, still resident: none was purged in between */
		ASSERT_ERRNO(zs_malloc(pool, 100, &h), 0);
		EXPECT_EQ(zs_get_total_pages(pool), 16u);
		EXPECT_ERRNO(zs_pool_check(pool), 0);
		EXPECT_ERRNO(zs_free(pool, h), 0);
	}
	EXPECT_EQ(zs_pool_class_count(zero), zs_pool_class_count(sixteen));
	EXPECT_EQ(zs_pool_class_count(named), zs_pool_class_count(sixteen));
	EXPECT_EQ(zs_huge_class_size(zero), zs_huge_class_size(sixteen));
	EXPECT_EQ(zs_huge_class_size(named), zs_huge_class_size(sixteen));
}

TEST(ZsApi, EveryChainSizeInRangeIsAccepted)
{
	for (unsigned chain = 1; chain <= 16; chain++) {
		zs::Pool pool = zs::Pool::WithChain(chain);
		ASSERT_NE(pool.get(), nullptr) << "chain " << chain;
		uint64_t h = 0;
		EXPECT_ERRNO(zs_malloc(pool, 1000, &h), 0) << "chain " << chain;
		EXPECT_ERRNO(zs_free(pool, h), 0);
	}
}

TEST(ZsApi, OutOfRangeConfigIsRefused)
{
	zs_pool_config cfg = {};
	cfg.chain_size = 17;
	EXPECT_NULL_ERRNO(zs_create_pool_config(&cfg), -EINVAL);
	cfg.chain_size = ~0u;
	EXPECT_NULL_ERRNO(zs_create_pool_config(&cfg), -EINVAL);
	cfg.chain_size = 0;
	cfg.recycle_64ths = 33;
	EXPECT_NULL_ERRNO(zs_create_pool_config(&cfg), -EINVAL);
	cfg.recycle_64ths = ZS_RECYCLE_NONE - 1;
	EXPECT_NULL_ERRNO(zs_create_pool_config(&cfg), -EINVAL);
}

TEST(ZsApi, EveryRecycleShareUpToOneHalfIsTaken)
{
	zs_pool_config cfg = {};
	for (unsigned share : { 0u, 1u, 12u, 32u, ZS_RECYCLE_NONE }) {
		cfg.recycle_64ths = share;
		zs_pool *pool = zs_create_pool_config(&cfg);
		ASSERT_NE(pool, nullptr) << "share " << share;
		uint64_t h = 0;
		EXPECT_ERRNO(zs_malloc(pool, 1000, &h), 0);
		EXPECT_ERRNO(zs_free(pool, h), 0);
		zs_destroy_pool(pool);
	}
}

TEST(ZsApi, DestroyNullIsANoOp)
{
	zs_destroy_pool(nullptr);
	SUCCEED();
}

TEST(ZsApi, MaxAllocSizeIsThePageSize)
{
	EXPECT_EQ(zs_max_alloc_size(), 4096u);
	EXPECT_EQ(zs_max_alloc_size(), ZS_PAGE_SIZE);
}

TEST(ZsApi, MallocGivesDistinctNonZeroHandlesOfTheRightSize)
{
	zs::Pool pool;
	std::set<uint64_t> seen;
	std::vector<std::pair<uint64_t, size_t>> objs;
	for (size_t size : { 1, 2, 15, 16, 17, 27, 28, 29, 100, 1000, 2048,
			     3000, 3500, 4000, 4095, 4096 }) {
		uint64_t h = 0;
		ASSERT_ERRNO(zs_malloc(pool, size, &h), 0) << "size " << size;
		EXPECT_NE(h, 0u);
		EXPECT_TRUE(seen.insert(h).second) << "handle reused: " << h;
		EXPECT_EQ(zs_obj_size(pool, h), size);
		objs.push_back({ h, size });
	}
	EXPECT_ERRNO(zs_pool_check(pool), 0);
	for (auto &o : objs)
		EXPECT_ERRNO(zs_free(pool, o.first), 0);
	EXPECT_ERRNO(zs_pool_check(pool), 0);
}

TEST(ZsApi, MallocErrorsLeaveHandleUntouched)
{
	zs::Pool pool;
	uint64_t h = 0x5a5a5a5a5a5a5a5aULL;
	EXPECT_ERRNO(zs_malloc(pool, 0, &h), -EINVAL);
	EXPECT_EQ(h, 0x5a5a5a5a5a5a5a5aULL);
	EXPECT_ERRNO(zs_malloc(pool, 4097, &h), -ENOSPC);
	EXPECT_EQ(h, 0x5a5a5a5a5a5a5a5aULL);
	EXPECT_ERRNO(zs_malloc(pool, SIZE_MAX, &h), -ENOSPC);
	EXPECT_EQ(h, 0x5a5a5a5a5a5a5a5aULL);
	EXPECT_EQ(pool.Stats().objs_used, 0u);
	EXPECT_EQ(zs_get_total_pages(pool), 0u);
}

TEST(ZsApi, FreeMakesTheHandleInvalid)
{
	zs::Pool pool;
	uint64_t h = 0;
	ASSERT_ERRNO(zs_malloc(pool, 500, &h), 0);
	EXPECT_EQ(zs_obj_size(pool, h), 500u);
	EXPECT_ERRNO(zs_free(pool, h), 0);
	EXPECT_EQ(zs_obj_size(pool, h), 0u);
	EXPECT_ERRNO(zs_free(pool, h), -EINVAL);
	EXPECT_ERRNO(zs_pool_check(pool), 0);
}

TEST(ZsApi, ObjSizeOfBadHandleIsZero)
{
	zs::Pool pool;
	EXPECT_EQ(zs_obj_size(pool, 0), 0u);
	EXPECT_EQ(zs_obj_size(pool, 12345), 0u);
	EXPECT_EQ(zs_obj_size(pool, ~0ULL), 0u);
}

/* Each mode round-trips through an object that straddles two pages and one
 * that does not: twelve 1000 B objects (1008 B footprints, packed one
 * after the other in one zspage) cover three pages, with both kinds. */
TEST(ZsApi, MapModesRoundTrip)
{
	zs::Pool pool;
	zs::Handles objs(pool);
	for (int i = 0; i < 12; i++)
		ASSERT_ERRNO(objs.Alloc(1000, 100 + i), 0);
	for (size_t i = 0; i < objs.size(); i++) {
		uint64_t h = objs[i].handle;
		{
			zs::Mapping ro(pool, h, ZS_MM_RO);
			ASSERT_TRUE(ro) << zs::ErrString(-ro.err());
			EXPECT_TRUE(zs::BytesMatch(ro.get(), 1000, 100 + i));
			EXPECT_ERRNO(ro.Unmap(), 0);
		}
		{
			/* RW: the object itself, changed in place. */
			zs::Mapping rw(pool, h, ZS_MM_RW);
			ASSERT_TRUE(rw);
			EXPECT_TRUE(zs::BytesMatch(rw.get(), 1000, 100 + i));
			zs::FillPattern(rw.get(), 1000, 200 + i);
			EXPECT_ERRNO(rw.Unmap(), 0);
		}
		EXPECT_TRUE(zs::HasPattern(pool, h, 1000, 200 + i));
		{
			zs::Mapping wo(pool, h, ZS_MM_WO);
			ASSERT_TRUE(wo);
			zs::FillPattern(wo.get(), 1000, 300 + i);
			EXPECT_ERRNO(wo.Unmap(), 0);
		}
		EXPECT_TRUE(zs::HasPattern(pool, h, 1000, 300 + i));
	}
	EXPECT_ERRNO(zs_pool_check(pool), 0);
}

TEST(ZsApi, RoMapChangesNothingAfterUnmapOfRw)
{
	/* An RW map that writes nothing leaves the object as it was. */
	zs::Pool pool;
	zs::Handles objs(pool);
	ASSERT_ERRNO(objs.Alloc(3000, 1), 0);
	{
		zs::Mapping rw(pool, objs[0].handle, ZS_MM_RW);
		ASSERT_TRUE(rw);
	}
	EXPECT_TRUE(objs.AllIntact());
}

TEST(ZsApi, MapBadHandleIsEinval)
{
	zs::Pool pool;
	EXPECT_NULL_ERRNO(zs_map_object(pool, 0, ZS_MM_RO), -EINVAL);
	EXPECT_NULL_ERRNO(zs_map_object(pool, 0, ZS_MM_RW), -EINVAL);
	EXPECT_NULL_ERRNO(zs_map_object(pool, 0, ZS_MM_WO), -EINVAL);
	EXPECT_NULL_ERRNO(zs_map_object(pool, 0xdeadbeef, ZS_MM_RO), -EINVAL);
}

TEST(ZsApi, UnmapErrors)
{
	zs::Pool pool;
	zs::Handles objs(pool);
	ASSERT_ERRNO(objs.Alloc(64, 1), 0);
	uint64_t h = objs[0].handle;
	EXPECT_ERRNO(zs_unmap_object(pool, 0), -EINVAL);
	EXPECT_ERRNO(zs_unmap_object(pool, h), -EINVAL);
	ASSERT_NE(zs_map_object(pool, h, ZS_MM_RO), nullptr);
	EXPECT_ERRNO(zs_unmap_object(pool, h), 0);
	EXPECT_ERRNO(zs_unmap_object(pool, h), -EINVAL);
}

TEST(ZsApi, ThreadHoldsManyMapsAtOnce)
{
	zs::Pool pool;
	zs::Handles objs(pool);
	for (int i = 0; i < ZS_MAX_THREAD_MAPS; i++)
		ASSERT_ERRNO(objs.Alloc(700 + 13 * i, 40 + i), 0);
	std::vector<void *> ptrs;
	for (size_t i = 0; i < objs.size(); i++) {
		void *p = zs_map_object(pool, objs[i].handle, ZS_MM_RO);
		ASSERT_NE(p, nullptr)
			<< "map " << i << ": " << zs::ErrString(-errno);
		ptrs.push_back(p);
	}
	/* All views valid at once: no buffer shared between two maps. */
	for (size_t i = 0; i < objs.size(); i++)
		EXPECT_TRUE(zs::BytesMatch(ptrs[i], objs[i].size, objs[i].seed))
			<< "map " << i;
	for (size_t i = 0; i < objs.size(); i++)
		EXPECT_ERRNO(zs_unmap_object(pool, objs[i].handle), 0);
}

TEST(ZsApi, OtherThreadsMayMapTheSameHandle)
{
	zs::Pool pool;
	zs::Handles objs(pool);
	ASSERT_ERRNO(objs.Alloc(2500, 9), 0);
	uint64_t h = objs[0].handle;
	zs::Mapping mine(pool, h, ZS_MM_RO);
	ASSERT_TRUE(mine);
	bool ok = false;
	int unmap = -1;
	std::thread t([&] {
		void *p = zs_map_object(pool, h, ZS_MM_RO);
		if (p) {
			ok = static_cast<bool>(zs::BytesMatch(p, 2500, 9));
			unmap = zs_unmap_object(pool, h);
		}
	});
	t.join();
	EXPECT_TRUE(ok);
	EXPECT_ERRNO(unmap, 0);
	EXPECT_TRUE(zs::BytesMatch(mine.get(), 2500, 9));
}

TEST(ZsApi, ReadBeginEnd)
{
	zs::Pool pool;
	zs::Handles objs(pool);
	for (int i = 0; i < 20; i++)
		ASSERT_ERRNO(objs.Alloc(1500, 7 + i), 0);
	std::vector<uint8_t> local(1500);
	for (size_t i = 0; i < objs.size(); i++) {
		uint64_t h = objs[i].handle;
		const void *p = zs_obj_read_begin(pool, h, local.data());
		ASSERT_NE(p, nullptr);
		EXPECT_TRUE(zs::BytesMatch(p, 1500, objs[i].seed));
		EXPECT_ERRNO(zs_obj_read_end(pool, h, p), 0);
		EXPECT_ERRNO(zs_obj_read_end(pool, h, p), -EINVAL);
	}
	EXPECT_NULL_ERRNO(zs_obj_read_begin(pool, 0, local.data()), -EINVAL);
	EXPECT_ERRNO(zs_obj_read_end(pool, 0, local.data()), -EINVAL);
}

TEST(ZsApi, ObjWriteFullPartialAndEmpty)
{
	zs::Pool pool;
	zs::Handles objs(pool);
	ASSERT_ERRNO(objs.Alloc(2000, 1), 0);
	uint64_t h = objs[0].handle;

	std::vector<uint8_t> want = zs::Pattern(2000, 1);
	std::vector<uint8_t> head = zs::Pattern(777, 2);
	EXPECT_ERRNO(zs_obj_write(pool, h, head.data(), head.size()), 0);
	memcpy(want.data(), head.data(), head.size());
	EXPECT_ERRNO(zs_obj_write(pool, h, head.data(), 0), 0);

	std::vector<uint8_t> got(2000);
	const void *p = zs_obj_read_begin(pool, h, got.data());
	ASSERT_NE(p, nullptr);
	EXPECT_EQ(memcmp(p, want.data(), 2000), 0)
		<< "partial write changed bytes past len or missed some";
	EXPECT_ERRNO(zs_obj_read_end(pool, h, p), 0);

	std::vector<uint8_t> big(2001, 0xee);
	EXPECT_ERRNO(zs_obj_write(pool, h, big.data(), big.size()), -EINVAL);
	EXPECT_ERRNO(zs_obj_write(pool, 0, big.data(), 1), -EINVAL);
}

TEST(ZsApi, FreshPoolHoldsNothing)
{
	zs::Pool pool;
	EXPECT_EQ(zs_get_total_pages(pool), 0u);
	struct zs_pool_stats st = pool.Stats();
	EXPECT_EQ(st.pages_used, 0u);
	EXPECT_EQ(st.objs_used, 0u);
	EXPECT_EQ(st.objs_allocated, 0u);
	EXPECT_EQ(st.zspages, 0u);
	EXPECT_EQ(st.bytes_stored, 0u);
	EXPECT_EQ(zs_compact(pool), 0u);
	EXPECT_EQ(zs_shrinker_count(pool), 0u);
	EXPECT_EQ(zs_shrinker_scan(pool, 100), 0u);
	EXPECT_ERRNO(zs_pool_check(pool), 0);
}

TEST(ZsApi, TotalPagesFollowsAllocAndFree)
{
	zs::Pool pool;
	zs::Handles objs(pool);
	ASSERT_ERRNO(objs.Alloc(100, 1), 0);
	unsigned long one = zs_get_total_pages(pool);
	EXPECT_GE(one, 1u);
	EXPECT_LE(one, 16u);
	ASSERT_ERRNO(objs.Alloc(4096, 2), 0);
	EXPECT_EQ(zs_get_total_pages(pool), one + 1);
	EXPECT_EQ(pool.Stats().pages_used, one + 1);
	objs.FreeAll();
	/* An emptied zspage gives its pages back at once. */
	EXPECT_EQ(zs_get_total_pages(pool), 0u);
}

TEST(ZsApi, ClassQueries)
{
	/* Objects of every size share zspages: a "class" is a footprint,
	 * the object and its 4-byte tag rounded up to 8 bytes (1..512
	 * units), plus the page a huge object takes. */
	zs::Pool pool;
	EXPECT_EQ(zs_pool_class_count(pool), 513u);
	EXPECT_EQ(zs_huge_class_size(pool), 4093u);
	EXPECT_EQ(zs_class_size_for(pool, 0), 0u);
	EXPECT_EQ(zs_class_size_for(pool, 4097), 0u);
	EXPECT_EQ(zs_class_size_for(pool, 1), 8u);
	EXPECT_EQ(zs_class_size_for(pool, 4), 8u);
	EXPECT_EQ(zs_class_size_for(pool, 5), 16u);
	EXPECT_EQ(zs_class_size_for(pool, 100), 104u);
	EXPECT_EQ(zs_class_size_for(pool, 4092), 4096u);
	EXPECT_EQ(zs_class_size_for(pool, 4093), 4096u);
	EXPECT_EQ(zs_class_size_for(pool, 4096), 4096u);
	EXPECT_EQ(zs_pool_class_count(nullptr), 0u);
	EXPECT_EQ(zs_huge_class_size(nullptr), 0u);
	EXPECT_EQ(zs_class_size_for(nullptr, 100), 0u);
}

TEST(ZsApi, PrintClassesWritesSomething)
{
	zs::Pool pool;
	zs::Handles objs(pool);
	ASSERT_ERRNO(objs.Alloc(300, 1), 0);
	std::string text =
		zs::Capture([&](FILE *f) { zs_pool_print_classes(pool, f); });
	std::string json = zs::Capture(
		[&](FILE *f) { zs_pool_print_classes_json(pool, f); });
	EXPECT_NE(text.find("Total"), std::string::npos) << text;
	ASSERT_FALSE(json.empty());
	EXPECT_EQ(json[json.find_first_not_of(" \t\n")], '{') << json;
}

TEST(ZsApi, CompactAndShrinkerOnADensePool)
{
	/* Nothing sparse: nothing to free, and the objects stay put. */
	zs::Pool pool;
	zs::Handles objs(pool);
	for (int i = 0; i < 500; i++)
		ASSERT_ERRNO(objs.Alloc(200, i), 0);
	unsigned long pages = zs_get_total_pages(pool);
	EXPECT_EQ(zs_compact(pool), 0u);
	EXPECT_EQ(zs_shrinker_scan(pool, 10), 0u);
	EXPECT_EQ(zs_get_total_pages(pool), pages);
	EXPECT_TRUE(objs.AllIntact());
	EXPECT_ERRNO(zs_pool_check(pool), 0);
}

TEST(ZsApi, SetMaxPagesAndInjectFailures)
{
	zs::Pool pool;
	uint64_t h = 77;
	zs_pool_set_max_pages(pool, 1);
	EXPECT_ERRNO(zs_malloc(pool, 4096, &h), 0);
	uint64_t h2 = 77;
	EXPECT_ERRNO(zs_malloc(pool, 4096, &h2), -ENOMEM);
	EXPECT_EQ(h2, 77u);
	zs_pool_set_max_pages(pool, 0);
	zs_pool_inject_failures(pool, 0, 1);
	EXPECT_ERRNO(zs_malloc(pool, 4096, &h2), -ENOMEM);
	EXPECT_EQ(h2, 77u);
	EXPECT_ERRNO(zs_malloc(pool, 4096, &h2), 0);
	EXPECT_NE(h2, 77u);
	EXPECT_EQ(pool.Stats().alloc_failures, 2u);
	EXPECT_ERRNO(zs_free(pool, h), 0);
	EXPECT_ERRNO(zs_free(pool, h2), 0);
	EXPECT_ERRNO(zs_pool_check(pool), 0);
}

TEST(ZsApi, InjectFailuresCountZeroDisarms)
{
	zs::Pool pool;
	zs_pool_inject_failures(pool, 0, 5);
	zs_pool_inject_failures(pool, 0, 0);
	uint64_t h = 0;
	EXPECT_ERRNO(zs_malloc(pool, 4096, &h), 0);
	EXPECT_ERRNO(zs_free(pool, h), 0);
}

TEST(ZsApi, PrivateArena)
{
	zs_arena *arena = zs_arena_create();
	ASSERT_NE(arena, nullptr);
	{
		zs_pool_config cfg = {};
		cfg.arena = arena;
		zs::Pool pool(cfg);
		ASSERT_NE(pool.get(), nullptr);
		zs::Handles objs(pool);
		for (int i = 0; i < 100; i++)
			ASSERT_ERRNO(objs.Alloc(1 + 37 * i, i), 0);
		/* The arena holds each zspage's whole run of 16 pages; the
		 * pool counts the pages its objects have reached. */
		struct zs_arena_stats ast;
		struct zs_pool_stats st;
		zs_arena_stats(arena, &ast);
		zs_pool_stats(pool, &st);
		EXPECT_EQ(ast.pages_in_use, st.zspages * 16);
		EXPECT_LE(zs_get_total_pages(pool), ast.pages_in_use);
		EXPECT_GT(zs_get_total_pages(pool), ast.pages_in_use - 16);
		EXPECT_TRUE(objs.AllIntact());
		/* The pool still holds pages: the arena refuses to go. */
		EXPECT_ERRNO(zs_arena_destroy(arena), -EBUSY);
	}
	EXPECT_ERRNO(zs_arena_destroy(arena), 0);
}

} /* namespace */
