// SPDX-License-Identifier: MIT
/*
 * gtest/zsmalloc_inplace_threads_test.cc - two threads' views of one
 * page-crossing object are the same bytes.
 *
 * A zspage is one contiguous run of pages, so an object that crosses a
 * page boundary is mapped in place like any other.  Were it served from a
 * per-thread copy, two threads' RW maps would each see only their own
 * writes, an RO map would keep showing the bytes of the moment it was
 * made, and a RW map that wrote nothing would put its stale copy back over
 * another thread's write at unmap.  Each test orders the two threads with
 * a join, so what it asserts does not depend on timing.
 */
#include "gtest/zs_shim.h"

#include <gtest/gtest.h>

#include <thread>

namespace
{

constexpr size_t kSize = 1500;

/* A pool of 8-page zspages holding objects of kSize bytes, and one of them
 * that crosses a page boundary. */
class ZsInPlace : public ::testing::Test {
protected:
	void SetUp() override
	{
		ASSERT_NE(pool_.get(), nullptr);
		for (uint64_t seed = 1; !crossing_ && seed < 64; seed++) {
			ASSERT_ERRNO(objs_.Alloc(kSize, seed), 0);
			uint64_t h = objs_[objs_.size() - 1].handle;
			zs::Mapping m(pool_, h, ZS_MM_RO);
			ASSERT_TRUE(m);
			uintptr_t at = reinterpret_cast<uintptr_t>(m.get());
			if (at % 4096 + kSize > 4096) {
				crossing_ = h;
				seed_ = seed;
			}
		}
		ASSERT_NE(crossing_, 0u);
	}

	zs::Pool pool_ = zs::Pool::WithChain(8);
	zs::Handles objs_{ pool_ };
	uint64_t crossing_ = 0;
	uint64_t seed_ = 0;
};

/* Both threads map RW at once: each sees the other's writes through its
 * own pointer, which is the same pointer. */
TEST_F(ZsInPlace, TwoThreadsRwMapsSeeEachOthersWrites)
{
	const size_t half = kSize / 2;
	std::vector<uint8_t> a = zs::Pattern(half, 101);
	std::vector<uint8_t> b = zs::Pattern(kSize - half, 202);
	zs::Mapping m(pool_, crossing_, ZS_MM_RW);
	ASSERT_TRUE(m);
	memcpy(m.bytes(), a.data(), half);

	void *theirs = nullptr;
	bool saw_ours = false;
	std::thread t([&] {
		zs::Mapping n(pool_, crossing_, ZS_MM_RW);
		if (!n)
			return;
		theirs = n.get();
		saw_ours = memcmp(n.bytes(), a.data(), half) == 0;
		memcpy(n.bytes() + half, b.data(), b.size());
	});
	t.join();
	EXPECT_EQ(theirs, m.get());
	EXPECT_TRUE(saw_ours);
	EXPECT_EQ(memcmp(m.bytes() + half, b.data(), b.size()), 0)
		<< "the other thread's write is not visible through this map";
	ASSERT_ERRNO(m.Unmap(), 0);

	std::vector<uint8_t> both(a);
	both.insert(both.end(), b.begin(), b.end());
	const void *p = zs_obj_read_begin(pool_, crossing_, nullptr);
	ASSERT_NE(p, nullptr);
	EXPECT_EQ(memcmp(p, both.data(), kSize), 0);
	ASSERT_ERRNO(zs_obj_read_end(pool_, crossing_, p), 0);
	EXPECT_ERRNO(zs_pool_check(pool_), 0);
}

/* A RW map that writes nothing leaves another thread's zs_obj_write in
 * place when it is unmapped (a copy would be written back over it). */
TEST_F(ZsInPlace, IdleRwMapDoesNotUndoAnotherThreadsWrite)
{
	zs::Mapping m(pool_, crossing_, ZS_MM_RW);
	ASSERT_TRUE(m);
	int err = -1;
	std::thread t(
		[&] { err = zs::WritePattern(pool_, crossing_, kSize, 303); });
	t.join();
	EXPECT_ERRNO(err, 0);
	ASSERT_ERRNO(m.Unmap(), 0);
	EXPECT_TRUE(zs::HasPattern(pool_, crossing_, kSize, 303));
	EXPECT_ERRNO(zs_pool_check(pool_), 0);
}

/* An RO map shows a write another thread made while it was held, once
 * that write is done; so does an open read. */
TEST_F(ZsInPlace, RoMapAndReadShowAConcurrentWrite)
{
	std::vector<uint8_t> local(kSize, 0xee);
	zs::Mapping m(pool_, crossing_, ZS_MM_RO);
	ASSERT_TRUE(m);
	EXPECT_TRUE(zs::BytesMatch(m.get(), kSize, seed_));
	const void *r = zs_obj_read_begin(pool_, crossing_, local.data());
	ASSERT_NE(r, nullptr);
	EXPECT_EQ(r, m.get());

	int err = -1;
	std::thread t(
		[&] { err = zs::WritePattern(pool_, crossing_, kSize, 404); });
	t.join();
	EXPECT_ERRNO(err, 0);
	EXPECT_TRUE(zs::BytesMatch(m.get(), kSize, 404));
	EXPECT_TRUE(zs::BytesMatch(r, kSize, 404));
	EXPECT_EQ(local, std::vector<uint8_t>(kSize, 0xee));
	ASSERT_ERRNO(zs_obj_read_end(pool_, crossing_, r), 0);
	ASSERT_ERRNO(m.Unmap(), 0);
	EXPECT_ERRNO(zs_pool_check(pool_), 0);
}

} /* namespace */
