// SPDX-License-Identifier: MIT
/*
 * gtest/zsmalloc_integrity_test.cc - every byte written reads back.
 *
 * The first invariant of any allocator, at volume: 120,000 objects of 1
 * to 4096 B (uniform, so every class and the huge class are hit many
 * times), each filled with its own pattern, read back, and freed in random
 * order while others are being allocated, so slots and zspages are reused
 * constantly.  zs_pool_check runs every few thousand operations
 * and the statistics are compared with the test's own count each time.
 */
#include "gtest/zs_shim.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

namespace
{

void CheckAgainst(zs::Pool &pool, const zs::Handles &objs, const char *when)
{
	EXPECT_ERRNO(zs_pool_check(pool), 0) << when;
	struct zs_pool_stats st = pool.Stats();
	EXPECT_EQ(st.objs_used, objs.size()) << when;
	EXPECT_EQ(st.bytes_stored, objs.BytesLive()) << when;
	EXPECT_EQ(st.pages_used, zs_get_total_pages(pool)) << when;
	EXPECT_GE(st.pages_used * 4096, objs.BytesLive()) << when;
}

void Churn(unsigned chain, unsigned total, unsigned live_target, uint32_t seed)
{
	zs::Pool pool = zs::Pool::WithChain(chain);
	ASSERT_NE(pool.get(), nullptr);
	zs::Handles objs(pool);
	std::mt19937_64 rng(seed);
	unsigned made = 0, freed = 0, ops = 0;
	while (made < total) {
		/* Grow to the target, then hover around it. */
		bool alloc = objs.size() < live_target / 2 ||
			     (objs.size() < live_target && rng() % 2);
		if (alloc) {
			size_t size = 1 + rng() % 4096;
			ASSERT_ERRNO(objs.Alloc(size, made), 0)
				<< "object " << made << ", " << size << " B";
			/* Read back at once: the write landed where the
			 * read looks. */
			ASSERT_TRUE(objs.Intact(objs.size() - 1));
			made++;
		} else {
			size_t i = rng() % objs.size();
			ASSERT_TRUE(objs.Intact(i)) << "before free";
			ASSERT_ERRNO(objs.Free(i), 0);
			freed++;
		}
		if (++ops % 5000 == 0) {
			CheckAgainst(pool, objs, "during churn");
			if (::testing::Test::HasFailure())
				return;
		}
	}
	CheckAgainst(pool, objs, "after churn");
	ASSERT_TRUE(objs.AllIntact());

	/* Free the rest in random order, checking as we go. */
	std::shuffle(objs.objs().begin(), objs.objs().end(), rng);
	while (!objs.empty()) {
		size_t i = objs.size() - 1;
		ASSERT_TRUE(objs.Intact(i));
		ASSERT_ERRNO(objs.Free(i), 0);
		if (objs.size() % 5000 == 0) {
			CheckAgainst(pool, objs, "draining");
		}
	}
	EXPECT_EQ(zs_get_total_pages(pool), 0u);
	struct zs_pool_stats st = pool.Stats();
	EXPECT_EQ(st.objs_used, 0u);
	EXPECT_EQ(st.objs_allocated, 0u);
	EXPECT_EQ(st.zspages, 0u);
	EXPECT_ERRNO(zs_pool_check(pool), 0);
	printf("chain %u: %u objects made, %u freed during churn\n", chain,
	       made, freed);
}

TEST(ZsIntegrity, RandomObjectsChain8)
{
	Churn(8, 120000, 40000, 0x5eed0008);
}

TEST(ZsIntegrity, RandomObjectsChain1)
{
	Churn(1, 20000, 6000, 0x5eed0001);
}

TEST(ZsIntegrity, RandomObjectsChain16)
{
	Churn(16, 20000, 6000, 0x5eed0016);
}

/* Small objects only: thousands per class, deep free lists. */
TEST(ZsIntegrity, ManySmallObjects)
{
	zs::Pool pool;
	zs::Handles objs(pool);
	std::mt19937 rng(17);
	for (int i = 0; i < 60000; i++)
		ASSERT_ERRNO(objs.Alloc(1 + rng() % 200, i), 0);
	CheckAgainst(pool, objs, "filled");
	/* Free every other one, then refill the holes. */
	for (size_t i = objs.size(); i-- > 0;) {
		if (i % 2 == 0) {
			ASSERT_ERRNO(objs.Free(i), 0);
		}
	}
	CheckAgainst(pool, objs, "half freed");
	for (int i = 0; i < 30000; i++)
		ASSERT_ERRNO(objs.Alloc(1 + rng() % 200, 100000 + i), 0);
	CheckAgainst(pool, objs, "refilled");
	EXPECT_TRUE(objs.AllIntact());
}

} /* namespace */
