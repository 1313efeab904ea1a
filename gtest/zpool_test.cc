// SPDX-License-Identifier: MIT
/*
 * gtest/zpool_test.cc - the zpool front end over both backends.
 *
 * Every behaviour the contract gives both backends is checked once per
 * backend (a parameterized suite), then a differential test runs one
 * random operation sequence on "zsmalloc" and "zbud" side by side and
 * requires the same return value at every step and the same contents.
 * Shrinking differs by design: zbud writes back through the evict
 * callback, zsmalloc compacts; each gets its own tests.
 */
#include "gtest/zs_shim.h"

#include <map>
#include <random>
#include <string>
#include <vector>

extern "C" {
#include "zs/zbud.h"
#include "zs/zpool.h"
}

namespace
{

/* A zpool freed at scope end. */
class ZPool {
public:
	ZPool(const char *type, const zpool_ops *ops = nullptr)
	    : p_(zpool_create_pool(type, "gtest", ops))
	{
	}
	~ZPool()
	{
		zpool_destroy_pool(p_);
	}
	ZPool(const ZPool &) = delete;
	ZPool &operator=(const ZPool &) = delete;
	zpool *get() const
	{
		return p_;
	}
	operator zpool *() const
	{
		return p_;
	}

private:
	zpool *p_;
};

uint64_t AllocFilled(zpool *pool, size_t size, uint64_t seed)
{
	uint64_t h = 0;
	EXPECT_ERRNO(zpool_malloc(pool, size, &h), 0);
	if (!h)
		return 0;
	void *p = zpool_map_handle(pool, h, ZPOOL_MM_WO);
	EXPECT_NE(p, nullptr);
	if (p) {
		zs::FillPattern(p, size, seed);
		EXPECT_ERRNO(zpool_unmap_handle(pool, h), 0);
	}
	return h;
}

::testing::AssertionResult Holds(zpool *pool, uint64_t h, size_t size,
				 uint64_t seed)
{
	void *p = zpool_map_handle(pool, h, ZPOOL_MM_RO);
	if (!p)
		return ::testing::AssertionFailure()
		       << "zpool_map_handle(" << h << ") failed, errno "
		       << zs::ErrString(-(long long)errno);
	::testing::AssertionResult r = zs::BytesMatch(p, size, seed);
	int u = zpool_unmap_handle(pool, h);
	if (r && u != 0)
		return ::testing::AssertionFailure()
		       << "zpool_unmap_handle returned " << zs::ErrString(u);
	return r;
}

/* ---- types ------------------------------------------------------------- */

TEST(ZpoolTypes, KnownAndUnknown)
{
	EXPECT_TRUE(zpool_has_pool("zsmalloc"));
	EXPECT_TRUE(zpool_has_pool("zbud"));
	EXPECT_FALSE(zpool_has_pool("z3fold"));
	EXPECT_FALSE(zpool_has_pool(""));
	EXPECT_FALSE(zpool_has_pool("ZBUD"));
	EXPECT_FALSE(zpool_has_pool(nullptr));
}

TEST(ZpoolTypes, UnknownTypeIsNullEinval)
{
	EXPECT_NULL_ERRNO(zpool_create_pool("z3fold", "x", nullptr), -EINVAL);
	EXPECT_NULL_ERRNO(zpool_create_pool(nullptr, "x", nullptr), -EINVAL);
	EXPECT_NULL_ERRNO(zpool_create_pool("", nullptr, nullptr), -EINVAL);
}

TEST(ZpoolTypes, GetTypeNamesTheBackend)
{
	ZPool zsm("zsmalloc"), zb("zbud");
	ASSERT_NE(zsm.get(), nullptr);
	ASSERT_NE(zb.get(), nullptr);
	EXPECT_STREQ(zpool_get_type(zsm), "zsmalloc");
	EXPECT_STREQ(zpool_get_type(zb), "zbud");
	zpool *unnamed = zpool_create_pool("zsmalloc", nullptr, nullptr);
	ASSERT_NE(unnamed, nullptr);
	zpool_destroy_pool(unnamed);
	zpool_destroy_pool(nullptr); /* a no-op */
}

TEST(ZpoolTypes, NullPoolArguments)
{
	uint64_t h = 5;
	unsigned r = 9;
	EXPECT_NULL_ERRNO(zpool_get_type(nullptr), -EINVAL);
	EXPECT_ERRNO(zpool_malloc(nullptr, 10, &h), -EINVAL);
	EXPECT_EQ(h, 5u);
	EXPECT_ERRNO(zpool_free(nullptr, 1), -EINVAL);
	EXPECT_NULL_ERRNO(zpool_map_handle(nullptr, 1, ZPOOL_MM_RW), -EINVAL);
	EXPECT_ERRNO(zpool_unmap_handle(nullptr, 1), -EINVAL);
	EXPECT_ERRNO(zpool_shrink(nullptr, 1, &r), -EINVAL);
	EXPECT_EQ(r, 0u);
	EXPECT_EQ(zpool_get_total_size(nullptr), 0u);
	EXPECT_EQ(zpool_compact(nullptr), 0u);
}

/* ---- the shared contract, once per backend ----------------------------- */

class ZpoolBoth : public ::testing::TestWithParam<const char *> {
protected:
	ZpoolBoth() : pool_(GetParam())
	{
	}
	ZPool pool_;
};

INSTANTIATE_TEST_SUITE_P(Backends, ZpoolBoth,
			 ::testing::Values("zsmalloc", "zbud"),
			 [](const ::testing::TestParamInfo<const char *> &i) {
				 return std::string(i.param);
			 });

TEST_P(ZpoolBoth, MallocSizeErrors)
{
	ASSERT_NE(pool_.get(), nullptr);
	uint64_t h = 0xabc;
	EXPECT_ERRNO(zpool_malloc(pool_, 0, &h), -EINVAL);
	EXPECT_ERRNO(zpool_malloc(pool_, ZS_PAGE_SIZE + 1, &h), -ENOSPC);
	EXPECT_ERRNO(zpool_malloc(pool_, SIZE_MAX, &h), -ENOSPC);
	EXPECT_EQ(h, 0xabcu);
	EXPECT_EQ(zpool_get_total_size(pool_), 0u);
}

TEST_P(ZpoolBoth, BackendEnospcBoundaryIsExact)
{
	/* Each backend's own largest object: zsmalloc's is a page, zbud's a
	 * page minus the header and one chunk. */
	size_t max = std::string(GetParam()) == "zbud" ?
			     (size_t)ZBUD_MAX_ALLOC_SIZE :
			     zs_max_alloc_size();
	uint64_t h = 0, g = 0x77;
	ASSERT_ERRNO(zpool_malloc(pool_, max, &h), 0);
	EXPECT_ERRNO(zpool_malloc(pool_, max + 1, &g), -ENOSPC);
	EXPECT_EQ(g, 0x77u);
	EXPECT_ERRNO(zpool_free(pool_, h), 0);
}

TEST_P(ZpoolBoth, BadHandlesAreEinvalAndChangeNothing)
{
	uint64_t keep = AllocFilled(pool_, 700, 1);
	uint64_t gone = AllocFilled(pool_, 700, 2);
	ASSERT_ERRNO(zpool_free(pool_, gone), 0);
	uint64_t size = zpool_get_total_size(pool_);
	std::mt19937_64 rng(11);
	std::vector<uint64_t> bad = { 0, gone, ~0ULL, keep ^ 1 };
	for (int i = 0; i < 200; i++)
		bad.push_back(rng());
	for (uint64_t h : bad) {
		if (h == keep)
			continue;
		EXPECT_ERRNO(zpool_free(pool_, h), -EINVAL);
		EXPECT_NULL_ERRNO(zpool_map_handle(pool_, h, ZPOOL_MM_RW),
				  -EINVAL);
		EXPECT_ERRNO(zpool_unmap_handle(pool_, h), -EINVAL);
	}
	EXPECT_EQ(zpool_get_total_size(pool_), size);
	EXPECT_TRUE(Holds(pool_, keep, 700, 1));
	ASSERT_ERRNO(zpool_free(pool_, keep), 0);
	EXPECT_ERRNO(zpool_free(pool_, keep), -EINVAL);
}

TEST_P(ZpoolBoth, ForeignHandleIsEinval)
{
	ZPool other(GetParam());
	uint64_t mine = AllocFilled(pool_, 300, 1);
	uint64_t theirs = AllocFilled(other, 300, 2);
	if (theirs != mine) {
		EXPECT_ERRNO(zpool_free(pool_, theirs), -EINVAL);
		EXPECT_NULL_ERRNO(zpool_map_handle(pool_, theirs, ZPOOL_MM_RO),
				  -EINVAL);
	}
	EXPECT_TRUE(Holds(other, theirs, 300, 2));
	EXPECT_TRUE(Holds(pool_, mine, 300, 1));
}

TEST_P(ZpoolBoth, MapRules)
{
	uint64_t h = AllocFilled(pool_, 1000, 1);
	EXPECT_ERRNO(zpool_unmap_handle(pool_, h), -EINVAL);
	void *p = zpool_map_handle(pool_, h, ZPOOL_MM_RW);
	ASSERT_NE(p, nullptr);
	EXPECT_NULL_ERRNO(zpool_map_handle(pool_, h, ZPOOL_MM_RO), -EBUSY);
	EXPECT_ERRNO(zpool_free(pool_, h), -EBUSY);
	EXPECT_ERRNO(zpool_unmap_handle(pool_, h), 0);
	EXPECT_ERRNO(zpool_unmap_handle(pool_, h), -EINVAL);
	EXPECT_NULL_ERRNO(zpool_map_handle(pool_, h, (zpool_mapmode)7),
			  -EINVAL);
	EXPECT_ERRNO(zpool_free(pool_, h), 0);
}

TEST_P(ZpoolBoth, ThreadMapLimit)
{
	std::vector<uint64_t> hs;
	for (int i = 0; i <= ZS_MAX_THREAD_MAPS; i++)
		hs.push_back(AllocFilled(pool_, 200, i));
	for (int i = 0; i < ZS_MAX_THREAD_MAPS; i++)
		ASSERT_NE(zpool_map_handle(pool_, hs[i], ZPOOL_MM_RO), nullptr);
	EXPECT_NULL_ERRNO(zpool_map_handle(pool_, hs[ZS_MAX_THREAD_MAPS],
					   ZPOOL_MM_RO),
			  -EBUSY);
	for (int i = 0; i < ZS_MAX_THREAD_MAPS; i++)
		EXPECT_ERRNO(zpool_unmap_handle(pool_, hs[i]), 0);
}

TEST_P(ZpoolBoth, WriteOnlyThenReadWriteThenReadOnly)
{
	const size_t sizes[] = { 1, 31, 100, 1000, 2049, 3968 };
	for (size_t size : sizes) {
		uint64_t h = 0;
		ASSERT_ERRNO(zpool_malloc(pool_, size, &h), 0);
		void *p = zpool_map_handle(pool_, h, ZPOOL_MM_WO);
		ASSERT_NE(p, nullptr);
		zs::FillPattern(p, size, size);
		ASSERT_ERRNO(zpool_unmap_handle(pool_, h), 0);
		p = zpool_map_handle(pool_, h, ZPOOL_MM_RW);
		ASSERT_NE(p, nullptr);
		EXPECT_TRUE(zs::BytesMatch(p, size, size));
		zs::FillPattern(p, size, size + 1);
		ASSERT_ERRNO(zpool_unmap_handle(pool_, h), 0);
		EXPECT_TRUE(Holds(pool_, h, size, size + 1));
		ASSERT_ERRNO(zpool_free(pool_, h), 0);
	}
}

TEST_P(ZpoolBoth, TotalSizeIsWholePages)
{
	EXPECT_EQ(zpool_get_total_size(pool_), 0u);
	std::vector<uint64_t> hs;
	for (int i = 0; i < 100; i++)
		hs.push_back(AllocFilled(pool_, 100 + 30 * i, i));
	uint64_t total = zpool_get_total_size(pool_);
	EXPECT_GT(total, 0u);
	EXPECT_EQ(total % ZS_PAGE_SIZE, 0u);
	for (uint64_t h : hs)
		ASSERT_ERRNO(zpool_free(pool_, h), 0);
	EXPECT_EQ(zpool_get_total_size(pool_), 0u);
}

TEST_P(ZpoolBoth, ShrinkNothingIsZero)
{
	unsigned r = 5;
	EXPECT_ERRNO(zpool_shrink(pool_, 0, &r), 0);
	EXPECT_EQ(r, 0u);
}

/* ---- zbud specifics ---------------------------------------------------- */

TEST(ZpoolZbud, TwoSmallObjectsShareAPage)
{
	ZPool pool("zbud");
	AllocFilled(pool, 100, 1);
	AllocFilled(pool, 100, 2);
	EXPECT_EQ(zpool_get_total_size(pool), ZS_PAGE_SIZE);
	AllocFilled(pool, 100, 3);
	EXPECT_EQ(zpool_get_total_size(pool), 2 * ZS_PAGE_SIZE);
	EXPECT_EQ(zpool_compact(pool), 0u);
}

struct Writeback {
	zpool *pool = nullptr;
	std::vector<uint64_t> order;
	std::map<uint64_t, std::pair<size_t, uint64_t>> contents;
	bool fail = false;
};

Writeback *g_wb;

int ZpoolEvict(zpool *pool, uint64_t h)
{
	EXPECT_EQ(pool, g_wb->pool);
	g_wb->order.push_back(h);
	if (g_wb->fail)
		return -EIO;
	auto it = g_wb->contents.find(h);
	EXPECT_NE(it, g_wb->contents.end());
	if (it != g_wb->contents.end()) {
		EXPECT_TRUE(
			Holds(pool, h, it->second.first, it->second.second));
		g_wb->contents.erase(it);
	}
	return zpool_free(pool, h);
}

const zpool_ops kWritebackOps = { ZpoolEvict };

TEST(ZpoolZbud, ShrinkEvictsThroughTheZpoolCallbackInLruOrder)
{
	ZPool pool("zbud", &kWritebackOps);
	Writeback wb;
	wb.pool = pool;
	g_wb = &wb;
	std::vector<uint64_t> hs;
	for (int i = 0; i < 10; i++) {
		hs.push_back(AllocFilled(pool, 3000, i));
		wb.contents[hs.back()] = { 3000, (uint64_t)i };
	}
	unsigned reclaimed = 0;
	EXPECT_ERRNO(zpool_shrink(pool, 4, &reclaimed), 0);
	EXPECT_EQ(reclaimed, 4u);
	EXPECT_EQ(wb.order, std::vector<uint64_t>(hs.begin(), hs.begin() + 4));
	EXPECT_EQ(zpool_get_total_size(pool), 6 * ZS_PAGE_SIZE);
	/* Asking for more than there is: all of it, then -EAGAIN. */
	EXPECT_ERRNO(zpool_shrink(pool, 100, &reclaimed), -EAGAIN);
	EXPECT_EQ(reclaimed, 6u);
	EXPECT_EQ(wb.order, hs);
	EXPECT_EQ(zpool_get_total_size(pool), 0u);
	EXPECT_TRUE(wb.contents.empty());
	EXPECT_ERRNO(zpool_shrink(pool, 1, nullptr), -EAGAIN);
	g_wb = nullptr;
}

TEST(ZpoolZbud, ShrinkWhenEvictFailsIsEagainAndKeepsObjects)
{
	ZPool pool("zbud", &kWritebackOps);
	Writeback wb;
	wb.pool = pool;
	wb.fail = true;
	g_wb = &wb;
	uint64_t h = AllocFilled(pool, 2000, 1);
	unsigned reclaimed = 7;
	EXPECT_ERRNO(zpool_shrink(pool, 1, &reclaimed), -EAGAIN);
	EXPECT_EQ(reclaimed, 0u);
	EXPECT_TRUE(Holds(pool, h, 2000, 1));
	EXPECT_EQ(zpool_get_total_size(pool), ZS_PAGE_SIZE);
	g_wb = nullptr;
}

TEST(ZpoolZbud, ShrinkWithoutEvictIsEinval)
{
	ZPool none("zbud");
	zpool_ops no_evict = { nullptr };
	ZPool null_evict("zbud", &no_evict);
	for (zpool *p : { none.get(), null_evict.get() }) {
		uint64_t h = AllocFilled(p, 100, 1);
		unsigned reclaimed = 3;
		EXPECT_ERRNO(zpool_shrink(p, 1, &reclaimed), -EINVAL);
		EXPECT_EQ(reclaimed, 0u);
		EXPECT_TRUE(Holds(p, h, 100, 1));
	}
}

int NestedEvict(zpool *pool, uint64_t h)
{
	/* A nested shrink from inside evict reaches the same callback. */
	static int depth;
	g_wb->order.push_back(h);
	if (depth++ == 0) {
		unsigned r = 0;
		EXPECT_ERRNO(zpool_shrink(pool, 1, &r), 0);
		EXPECT_EQ(r, 1u);
	}
	depth--;
	return zpool_free(pool, h);
}

TEST(ZpoolZbud, EvictMayShrinkTheSamePool)
{
	const zpool_ops ops = { NestedEvict };
	ZPool pool("zbud", &ops);
	Writeback wb;
	g_wb = &wb;
	uint64_t a = AllocFilled(pool, 3000, 1);
	uint64_t b = AllocFilled(pool, 3000, 2);
	AllocFilled(pool, 3000, 3);
	unsigned r = 0;
	EXPECT_ERRNO(zpool_shrink(pool, 1, &r), 0);
	EXPECT_EQ(r, 1u);
	EXPECT_EQ(wb.order, (std::vector<uint64_t>{ a, b }));
	EXPECT_EQ(zpool_get_total_size(pool), ZS_PAGE_SIZE);
	g_wb = nullptr;
}

/* ---- zsmalloc specifics ------------------------------------------------ */

/* Many objects of one class, every other one freed: sparse zspages that
 * compaction can merge. */
std::vector<std::pair<uint64_t, uint64_t>> Sparse(zpool *pool, size_t size)
{
	std::vector<std::pair<uint64_t, uint64_t>> keep;
	std::vector<uint64_t> all;
	for (int i = 0; i < 2000; i++)
		all.push_back(AllocFilled(pool, size, i));
	for (int i = 0; i < 2000; i++) {
		if (i % 2)
			EXPECT_ERRNO(zpool_free(pool, all[i]), 0);
		else
			keep.push_back({ all[i], (uint64_t)i });
	}
	return keep;
}

TEST(ZpoolZsmalloc, ShrinkCompactsAndNeverEvicts)
{
	ZPool pool("zsmalloc", &kWritebackOps);
	Writeback wb;
	wb.pool = pool;
	g_wb = &wb;
	auto keep = Sparse(pool, 200);
	uint64_t before = zpool_get_total_size(pool);
	unsigned reclaimed = 0;
	EXPECT_ERRNO(zpool_shrink(pool, 1, &reclaimed), 0);
	EXPECT_GT(reclaimed, 0u);
	EXPECT_EQ(zpool_get_total_size(pool),
		  before - (uint64_t)reclaimed * ZS_PAGE_SIZE);
	EXPECT_TRUE(wb.order.empty());
	for (auto &o : keep)
		ASSERT_TRUE(Holds(pool, o.first, 200, o.second));
	/* A shrink stops once it has its pages (give or take a zspage), so
	 * asking again frees more, until nothing is left to free. */
	int rounds = 0;
	while (zpool_shrink(pool, 1, &reclaimed) == 0) {
		EXPECT_GT(reclaimed, 0u);
		ASSERT_LT(++rounds, 1000);
	}
	EXPECT_ERRNO(zpool_shrink(pool, 1, &reclaimed), -EAGAIN);
	EXPECT_EQ(reclaimed, 0u);
	EXPECT_EQ(zpool_compact(pool), 0u);
	EXPECT_TRUE(wb.order.empty());
	for (auto &o : keep)
		ASSERT_TRUE(Holds(pool, o.first, 200, o.second));
	g_wb = nullptr;
}

TEST(ZpoolZsmalloc, CompactFreesPages)
{
	ZPool pool("zsmalloc");
	auto keep = Sparse(pool, 300);
	uint64_t before = zpool_get_total_size(pool);
	unsigned long freed = zpool_compact(pool);
	EXPECT_GT(freed, 0u);
	EXPECT_EQ(zpool_get_total_size(pool), before - freed * ZS_PAGE_SIZE);
	for (auto &o : keep)
		ASSERT_TRUE(Holds(pool, o.first, 300, o.second));
	EXPECT_EQ(zpool_compact(pool), 0u);
}

/* ---- differential: one sequence, both backends ------------------------- */

struct Side {
	zpool *pool;
	std::vector<uint64_t> handles; /* by object number; 0 = none yet */
	std::vector<uint64_t> freed; /* stale handles kept for misuse */
};

TEST(ZpoolDifferential, SameSequenceSameResultsSameContents)
{
	ZPool zsm("zsmalloc"), zb("zbud");
	Side sides[2] = { { zsm.get(), {}, {} }, { zb.get(), {}, {} } };
	struct Live {
		size_t size;
		uint64_t seed;
		bool mapped;
	};
	std::vector<Live> objs; /* object number -> what it holds */
	std::vector<size_t> live; /* object numbers alive */
	int held = 0; /* maps this thread holds on each side */
	std::mt19937_64 rng(2024);
	auto pick_size = [&]() -> size_t {
		switch (rng() % 4) {
		case 0:
			return 1 + rng() % 64;
		case 1:
			return 28;
		default:
			return 1 + rng() % ZBUD_MAX_ALLOC_SIZE;
		}
	};
	for (int step = 0; step < 6000; step++) {
		unsigned op = rng() % 100;
		long long res[2];
		std::string what;
		if (op < 35 || live.empty()) {
			size_t size = op % 17 == 0 ? 0 : pick_size();
			uint64_t seed = rng();
			what = "malloc " + std::to_string(size);
			for (int s = 0; s < 2; s++) {
				uint64_t h = 0;
				res[s] = zpool_malloc(sides[s].pool, size, &h);
				if (res[s] == 0) {
					void *p = zpool_map_handle(
						sides[s].pool, h, ZPOOL_MM_WO);
					ASSERT_NE(p, nullptr);
					zs::FillPattern(p, size, seed);
					ASSERT_ERRNO(zpool_unmap_handle(
							     sides[s].pool, h),
						     0);
				}
				sides[s].handles.push_back(h);
			}
			objs.push_back({ size, seed, false });
			if (res[0] == 0 && res[1] == 0)
				live.push_back(objs.size() - 1);
		} else {
			size_t k = rng() % live.size();
			size_t n = live[k];
			Live &o = objs[n];
			if (op < 60) {
				what = "free #" + std::to_string(n);
				for (int s = 0; s < 2; s++)
					res[s] =
						zpool_free(sides[s].pool,
							   sides[s].handles[n]);
				if (res[0] == 0 && res[1] == 0) {
					for (int s = 0; s < 2; s++)
						sides[s].freed.push_back(
							sides[s].handles[n]);
					live[k] = live.back();
					live.pop_back();
				}
			} else if (op < 70 && !sides[0].freed.empty()) {
				size_t f = rng() % sides[0].freed.size();
				what = "free stale";
				for (int s = 0; s < 2; s++)
					res[s] = zpool_free(sides[s].pool,
							    sides[s].freed[f]);
			} else if (op < 90 && held < ZS_MAX_THREAD_MAPS - 1) {
				/* map (or map again), check, rewrite; one map
				 * stays free for the writes after malloc */
				what = "map #" + std::to_string(n);
				uint64_t seed = rng();
				for (int s = 0; s < 2; s++) {
					void *p = zpool_map_handle(
						sides[s].pool,
						sides[s].handles[n],
						ZPOOL_MM_RW);
					res[s] = p ? 0 : -errno;
					if (!p)
						continue;
					ASSERT_TRUE(zs::BytesMatch(p, o.size,
								   o.seed))
						<< "side " << s;
					zs::FillPattern(p, o.size, seed);
				}
				if (res[0] == 0 && res[1] == 0) {
					o.seed = seed;
					o.mapped = true;
					held++;
				}
			} else {
				what = "unmap #" + std::to_string(n);
				for (int s = 0; s < 2; s++)
					res[s] = zpool_unmap_handle(
						sides[s].pool,
						sides[s].handles[n]);
				if (res[0] == 0 && res[1] == 0) {
					o.mapped = false;
					held--;
				}
			}
		}
		ASSERT_EQ(res[0], res[1])
			<< "step " << step << " (" << what << "): zsmalloc "
			<< zs::ErrString(res[0]) << ", zbud "
			<< zs::ErrString(res[1]);
		/* Density aside: zbud never more pages than objects. */
		ASSERT_LE(zpool_get_total_size(zb) / ZS_PAGE_SIZE, live.size());
	}
	for (size_t n : live) {
		for (int s = 0; s < 2; s++) {
			if (objs[n].mapped) {
				ASSERT_ERRNO(
					zpool_unmap_handle(sides[s].pool,
							   sides[s].handles[n]),
					0);
			}
			ASSERT_TRUE(Holds(sides[s].pool, sides[s].handles[n],
					  objs[n].size, objs[n].seed))
				<< "side " << s << " object " << n;
			ASSERT_ERRNO(zpool_free(sides[s].pool,
						sides[s].handles[n]),
				     0);
		}
	}
	EXPECT_EQ(zpool_get_total_size(zb), 0u);
	EXPECT_EQ(zpool_get_total_size(zsm), 0u);
}

} /* namespace */
