// gtest/foundation_smoke_test.cc - proves the build foundation works.
//
// Why: before any real suite exists, this shows that Debian's Google Test
// links, that the C headers compile as C++ (their extern "C" blocks), and
// that a test built here runs against //zs:zs_asan.  Checks stay trivial:
// the suites proper test the library.
#include <cerrno>
#include <cstdint>

#include <gtest/gtest.h>

#include "zs/zsmalloc.h"

TEST(Foundation, MaxAllocIsOnePage)
{
	EXPECT_EQ(zs_max_alloc_size(), static_cast<size_t>(ZS_PAGE_SIZE));
	EXPECT_EQ(ZS_PAGE_SIZE, 4096u);
}

TEST(Foundation, OneObjectRoundTrip)
{
	struct zs_pool *pool = zs_create_pool("foundation");
	ASSERT_NE(pool, nullptr);
	uint64_t handle = 0;
	ASSERT_EQ(zs_malloc(pool, 100, &handle), 0);
	EXPECT_NE(handle, 0u);
	EXPECT_EQ(zs_obj_size(pool, handle), 100u);
	EXPECT_EQ(zs_free(pool, handle), 0);
	EXPECT_EQ(zs_free(pool, handle), -EINVAL);
	EXPECT_EQ(zs_pool_check(pool), 0);
	zs_destroy_pool(pool);
}
