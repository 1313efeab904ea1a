// SPDX-License-Identifier: MIT
/*
 * gtest/zbud_test.cc - zbud against its contract (zs/zbud.h).
 *
 * One small test per error path with the exact outcome, the page layout
 * (first buddy right after the header chunk, last buddy ending at the page
 * end), density bounds (never more pages than objects, at most two objects
 * per page), reclaim order and every re-entry an evict callback may make,
 * arena migration of zbud pages (through the arena and, white-box, step by
 * step).  The threaded race is in zbud_threads_test.cc (ASan and TSan).
 * Each pool gets its own arena so page counts are its own.
 */
#include "gtest/zs_shim.h"

#include <algorithm>
#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

extern "C" {
#include "zs/zbud.h"
/* zbud's movable-page operations (zs/zbud.c), for the white-box tests. */
extern const struct zs_movable_ops zbud_movable_ops;
}

namespace
{

constexpr size_t kPage = ZS_PAGE_SIZE;
constexpr size_t kChunk = ZBUD_CHUNK_SIZE;

size_t Chunks(size_t size)
{
	return (size + kChunk - 1) / kChunk;
}

uintptr_t PageOf(const void *p)
{
	return reinterpret_cast<uintptr_t>(p) & ~(uintptr_t)(kPage - 1);
}

size_t OffsetOf(const void *p)
{
	return reinterpret_cast<uintptr_t>(p) & (kPage - 1);
}

using zs::Zbud;

/* Allocates and writes the seed's pattern through a map. */
uint64_t AllocFilled(zbud_pool *pool, size_t size, uint64_t seed)
{
	uint64_t h = 0;
	EXPECT_ERRNO(zbud_alloc(pool, size, &h), 0);
	if (!h)
		return 0;
	void *p = zbud_map(pool, h);
	EXPECT_NE(p, nullptr);
	if (p) {
		zs::FillPattern(p, size, seed);
		EXPECT_ERRNO(zbud_unmap(pool, h), 0);
	}
	return h;
}

::testing::AssertionResult Holds(zbud_pool *pool, uint64_t h, size_t size,
				 uint64_t seed)
{
	void *p = zbud_map(pool, h);
	if (!p)
		return ::testing::AssertionFailure()
		       << "zbud_map(" << h << ") failed, errno "
		       << zs::ErrString(-(long long)errno);
	::testing::AssertionResult r = zs::BytesMatch(p, size, seed);
	int u = zbud_unmap(pool, h);
	if (r && u != 0)
		return ::testing::AssertionFailure()
		       << "zbud_unmap returned " << zs::ErrString(u);
	return r;
}

/* The page an object lives in (map, note, unmap). */
uintptr_t PageOfHandle(zbud_pool *pool, uint64_t h)
{
	void *p = zbud_map(pool, h);
	EXPECT_NE(p, nullptr);
	if (!p)
		return 0;
	uintptr_t page = PageOf(p);
	EXPECT_ERRNO(zbud_unmap(pool, h), 0);
	return page;
}

/* ---- creation and sizes ------------------------------------------------ */

TEST(ZbudPool, CreateDestroy)
{
	Zbud pool;
	ASSERT_NE(pool.get(), nullptr);
	EXPECT_EQ(pool.pages(), 0u);
	EXPECT_ERRNO(zbud_pool_check(pool), 0);
	zbud_destroy_pool(nullptr); /* a no-op */
	zbud_pool *def = zbud_create_pool(nullptr);
	ASSERT_NE(def, nullptr); /* on the default arena */
	uint64_t h = 0;
	EXPECT_ERRNO(zbud_alloc(def, 100, &h), 0);
	zbud_destroy_pool(def); /* frees live objects too */
}

TEST(ZbudPool, NullPoolArguments)
{
	uint64_t h = 7;
	EXPECT_ERRNO(zbud_alloc(nullptr, 10, &h), -EINVAL);
	EXPECT_EQ(h, 7u);
	EXPECT_ERRNO(zbud_free(nullptr, 1), -EINVAL);
	EXPECT_NULL_ERRNO(zbud_map(nullptr, 1), -EINVAL);
	EXPECT_ERRNO(zbud_unmap(nullptr, 1), -EINVAL);
	EXPECT_ERRNO(zbud_reclaim_page(nullptr, 1), -EINVAL);
	EXPECT_EQ(zbud_get_pool_size(nullptr), 0u);
	EXPECT_ERRNO(zbud_pool_check(nullptr), -EINVAL);
	Zbud pool;
	EXPECT_ERRNO(zbud_alloc(pool, 10, nullptr), -EINVAL);
}

TEST(ZbudAlloc, MaxAllocSizeIsPageMinusTwoChunks)
{
	EXPECT_EQ((size_t)ZBUD_MAX_ALLOC_SIZE, kPage - 2 * kChunk);
	EXPECT_EQ((size_t)ZBUD_MAX_ALLOC_SIZE, 3968u);
}

TEST(ZbudAlloc, SizeErrorsLeaveHandleAndPoolAlone)
{
	Zbud pool;
	uint64_t h = 0xdeadbeef;
	EXPECT_ERRNO(zbud_alloc(pool, 0, &h), -EINVAL);
	EXPECT_ERRNO(zbud_alloc(pool, ZBUD_MAX_ALLOC_SIZE + 1, &h), -ENOSPC);
	EXPECT_ERRNO(zbud_alloc(pool, kPage, &h), -ENOSPC);
	EXPECT_ERRNO(zbud_alloc(pool, SIZE_MAX, &h), -ENOSPC);
	EXPECT_EQ(h, 0xdeadbeefu);
	EXPECT_EQ(pool.pages(), 0u);
	EXPECT_ERRNO(zbud_pool_check(pool), 0);
}

TEST(ZbudAlloc, EnospcBoundaryIsExact)
{
	Zbud pool;
	uint64_t big = 0, h = 0;
	ASSERT_ERRNO(zbud_alloc(pool, ZBUD_MAX_ALLOC_SIZE, &big), 0);
	EXPECT_ERRNO(zbud_alloc(pool, ZBUD_MAX_ALLOC_SIZE + 1, &h), -ENOSPC);
	EXPECT_EQ(h, 0u);
	/* The largest object fills chunks 1..62, the last chunk is left: a
	 * 64-byte object fits beside it, a 65-byte one does not. */
	void *p = zbud_map(pool, big);
	ASSERT_NE(p, nullptr);
	EXPECT_EQ(OffsetOf(p), kChunk);
	EXPECT_EQ(OffsetOf(p) + ZBUD_MAX_ALLOC_SIZE, kPage - kChunk);
	uintptr_t page = PageOf(p);
	EXPECT_ERRNO(zbud_unmap(pool, big), 0);
	uint64_t small = 0;
	ASSERT_ERRNO(zbud_alloc(pool, kChunk, &small), 0);
	EXPECT_EQ(pool.pages(), 1u);
	void *q = zbud_map(pool, small);
	ASSERT_NE(q, nullptr);
	EXPECT_EQ(reinterpret_cast<uintptr_t>(q), page + kPage - kChunk);
	EXPECT_ERRNO(zbud_unmap(pool, small), 0);
	EXPECT_ERRNO(zbud_free(pool, small), 0);
	ASSERT_ERRNO(zbud_alloc(pool, kChunk + 1, &small), 0);
	EXPECT_EQ(pool.pages(), 2u);
	EXPECT_ERRNO(zbud_pool_check(pool), 0);
}

TEST(ZbudAlloc, ArenaFailureIsEnomemAndChangesNothing)
{
	Zbud pool;
	uint64_t a = AllocFilled(pool, 3000, 1);
	ASSERT_NE(a, 0u);
	zs_arena_inject_failures(pool.arena(), 0, 1);
	uint64_t h = 0x1234;
	EXPECT_ERRNO(zbud_alloc(pool, 3000, &h), -ENOMEM);
	EXPECT_EQ(h, 0x1234u);
	EXPECT_EQ(pool.pages(), 1u);
	EXPECT_ERRNO(zbud_pool_check(pool), 0);
	EXPECT_TRUE(Holds(pool, a, 3000, 1));
	/* With the arena still refusing, an object that fits beside the
	 * existing one needs no page and succeeds. */
	zs_arena_inject_failures(pool.arena(), 0, 1);
	uint64_t b = AllocFilled(pool, 900, 2);
	EXPECT_NE(b, 0u);
	EXPECT_EQ(pool.pages(), 1u);
	EXPECT_ERRNO(zbud_alloc(pool, 100, &h), -ENOMEM);
	EXPECT_EQ(h, 0x1234u);
	EXPECT_ERRNO(zbud_alloc(pool, 100, &h), 0); /* disarmed by then */
	EXPECT_EQ(pool.pages(), 2u);
	EXPECT_ERRNO(zbud_pool_check(pool), 0);
	EXPECT_TRUE(Holds(pool, a, 3000, 1));
	EXPECT_TRUE(Holds(pool, b, 900, 2));
}

/* ---- layout and density ------------------------------------------------ */

TEST(ZbudLayout, FirstAfterHeaderLastAtPageEnd)
{
	const size_t firsts[] = { 1, 63, 64, 65, 1000, 2047, 3904 };
	for (size_t fs : firsts) {
		Zbud pool;
		size_t room = (63 - Chunks(fs)) * kChunk;
		const size_t lasts[] = { 1, 64, 100, room };
		uint64_t f = AllocFilled(pool, fs, fs);
		uintptr_t page = PageOfHandle(pool, f);
		void *fp = zbud_map(pool, f);
		ASSERT_NE(fp, nullptr);
		EXPECT_EQ(reinterpret_cast<uintptr_t>(fp), page + kChunk)
			<< "first buddy of " << fs << " bytes";
		EXPECT_ERRNO(zbud_unmap(pool, f), 0);
		for (size_t ls : lasts) {
			if (ls == 0 || ls > room)
				continue;
			uint64_t l = AllocFilled(pool, ls, ls + 7);
			void *lp = zbud_map(pool, l);
			ASSERT_NE(lp, nullptr);
			EXPECT_EQ(PageOf(lp), page);
			EXPECT_EQ(OffsetOf(lp) + Chunks(ls) * kChunk, kPage)
				<< "last buddy of " << ls << " beside " << fs;
			EXPECT_ERRNO(zbud_unmap(pool, l), 0);
			EXPECT_EQ(pool.pages(), 1u);
			EXPECT_TRUE(Holds(pool, f, fs, fs));
			EXPECT_TRUE(Holds(pool, l, ls, ls + 7));
			EXPECT_ERRNO(zbud_free(pool, l), 0);
		}
		EXPECT_ERRNO(zbud_pool_check(pool), 0);
	}
}

TEST(ZbudLayout, TwoSmallObjectsShareAPageAThirdDoesNot)
{
	Zbud pool;
	uint64_t a = AllocFilled(pool, 100, 1);
	uint64_t b = AllocFilled(pool, 100, 2);
	EXPECT_EQ(pool.pages(), 1u);
	EXPECT_EQ(PageOfHandle(pool, a), PageOfHandle(pool, b));
	uint64_t c = AllocFilled(pool, 100, 3);
	EXPECT_EQ(pool.pages(), 2u);
	EXPECT_NE(PageOfHandle(pool, c), PageOfHandle(pool, a));
	EXPECT_ERRNO(zbud_pool_check(pool), 0);
}

TEST(ZbudLayout, FreedBuddyCoalescesWithTheMiddle)
{
	Zbud pool;
	/* 32 + 30 chunks: one chunk free in the middle. */
	uint64_t a = AllocFilled(pool, 32 * kChunk, 1);
	uint64_t b = AllocFilled(pool, 30 * kChunk, 2);
	EXPECT_EQ(pool.pages(), 1u);
	ASSERT_ERRNO(zbud_free(pool, a), 0);
	/* 33 chunks: the freed first buddy plus the middle chunk. */
	uint64_t c = AllocFilled(pool, 33 * kChunk, 3);
	EXPECT_EQ(pool.pages(), 1u);
	void *cp = zbud_map(pool, c);
	ASSERT_NE(cp, nullptr);
	EXPECT_EQ(OffsetOf(cp), kChunk);
	EXPECT_ERRNO(zbud_unmap(pool, c), 0);
	EXPECT_TRUE(Holds(pool, b, 30 * kChunk, 2));
	EXPECT_TRUE(Holds(pool, c, 33 * kChunk, 3));
	EXPECT_ERRNO(zbud_pool_check(pool), 0);
}

TEST(ZbudLayout, BestFitTakesTheSmallestHoleThatFits)
{
	Zbud pool;
	uint64_t a = AllocFilled(pool, 40 * kChunk, 1); /* hole of 23 */
	uint64_t b = AllocFilled(pool, 50 * kChunk, 2); /* new page, hole 13 */
	ASSERT_EQ(pool.pages(), 2u);
	uint64_t c = AllocFilled(pool, 10 * kChunk, 3);
	EXPECT_EQ(PageOfHandle(pool, c), PageOfHandle(pool, b));
	uint64_t d = AllocFilled(pool, 20 * kChunk, 4);
	EXPECT_EQ(PageOfHandle(pool, d), PageOfHandle(pool, a));
	EXPECT_EQ(pool.pages(), 2u);
	EXPECT_ERRNO(zbud_pool_check(pool), 0);
}

TEST(ZbudDensity, NeverMorePagesThanObjectsNorFewerThanHalf)
{
	Zbud pool;
	std::mt19937_64 rng(42);
	std::vector<std::pair<uint64_t, std::pair<size_t, uint64_t>>> live;
	for (int step = 0; step < 4000; step++) {
		bool do_alloc = live.empty() || rng() % 100 < 60;
		if (do_alloc) {
			size_t size = 1 + rng() % ZBUD_MAX_ALLOC_SIZE;
			uint64_t seed = rng();
			uint64_t h = AllocFilled(pool, size, seed);
			ASSERT_NE(h, 0u);
			live.push_back({ h, { size, seed } });
		} else {
			size_t i = rng() % live.size();
			ASSERT_TRUE(Holds(pool, live[i].first,
					  live[i].second.first,
					  live[i].second.second));
			ASSERT_ERRNO(zbud_free(pool, live[i].first), 0);
			live[i] = live.back();
			live.pop_back();
		}
		uint64_t pages = pool.pages();
		ASSERT_LE(pages, live.size()) << "step " << step;
		ASSERT_GE(2 * pages, live.size()) << "step " << step;
		if (step % 97 == 0) {
			ASSERT_ERRNO(zbud_pool_check(pool), 0);
		}
	}
	for (auto &o : live)
		ASSERT_TRUE(
			Holds(pool, o.first, o.second.first, o.second.second));
	for (auto &o : live)
		ASSERT_ERRNO(zbud_free(pool, o.first), 0);
	EXPECT_EQ(pool.pages(), 0u);
	EXPECT_ERRNO(zbud_pool_check(pool), 0);
	struct zs_arena_stats st;
	zs_arena_stats(pool.arena(), &st);
	EXPECT_EQ(st.pages_in_use, 0u);
}

/* ---- handles ----------------------------------------------------------- */

TEST(ZbudHandles, ZeroForgedStaleDoubleFreedForeignAreRefused)
{
	Zbud pool, other;
	uint64_t keep = AllocFilled(pool, 500, 11);
	uint64_t gone = AllocFilled(pool, 700, 12);
	uint64_t foreign = AllocFilled(other, 500, 13);
	ASSERT_ERRNO(zbud_free(pool, gone), 0);
	uint64_t reuse = AllocFilled(pool, 700, 14); /* likely gone's slot */
	EXPECT_NE(reuse, gone);
	uint64_t pages = pool.pages();

	std::vector<uint64_t> bad = { 0,
				      gone,
				      foreign,
				      ~0ULL,
				      1,
				      keep ^ 1,
				      keep ^ (1ULL << 40),
				      reuse + 1 };
	std::mt19937_64 rng(7);
	for (int i = 0; i < 1000; i++)
		bad.push_back(rng());
	for (uint64_t h : bad) {
		if (h == keep || h == reuse)
			continue;
		EXPECT_ERRNO(zbud_free(pool, h), -EINVAL) << h;
		EXPECT_NULL_ERRNO(zbud_map(pool, h), -EINVAL);
		EXPECT_ERRNO(zbud_unmap(pool, h), -EINVAL) << h;
	}
	EXPECT_EQ(pool.pages(), pages);
	EXPECT_ERRNO(zbud_pool_check(pool), 0);
	EXPECT_ERRNO(zbud_pool_check(other), 0);
	EXPECT_TRUE(Holds(pool, keep, 500, 11));
	EXPECT_TRUE(Holds(pool, reuse, 700, 14));
	EXPECT_TRUE(Holds(other, foreign, 500, 13));

	ASSERT_ERRNO(zbud_free(pool, keep), 0);
	EXPECT_ERRNO(zbud_free(pool, keep), -EINVAL); /* double free */
	EXPECT_NULL_ERRNO(zbud_map(pool, keep), -EINVAL);
	EXPECT_ERRNO(zbud_pool_check(pool), 0);
}

TEST(ZbudHandles, StableAcrossOtherObjectsComingAndGoing)
{
	Zbud pool;
	uint64_t h = AllocFilled(pool, 1234, 99);
	for (int i = 0; i < 200; i++) {
		uint64_t t = AllocFilled(pool, 1 + (i * 37) % 3000, i);
		ASSERT_ERRNO(zbud_free(pool, t), 0);
		ASSERT_EQ(t == h, false);
	}
	EXPECT_TRUE(Holds(pool, h, 1234, 99));
}

/* ---- maps -------------------------------------------------------------- */

TEST(ZbudMap, UnmapWithoutMapIsEinval)
{
	Zbud pool;
	uint64_t h = AllocFilled(pool, 100, 1);
	EXPECT_ERRNO(zbud_unmap(pool, h), -EINVAL);
	ASSERT_NE(zbud_map(pool, h), nullptr);
	EXPECT_ERRNO(zbud_unmap(pool, h), 0);
	EXPECT_ERRNO(zbud_unmap(pool, h), -EINVAL);
}

TEST(ZbudMap, SameThreadMapsAHandleOnce)
{
	Zbud pool;
	uint64_t h = AllocFilled(pool, 100, 1);
	ASSERT_NE(zbud_map(pool, h), nullptr);
	EXPECT_NULL_ERRNO(zbud_map(pool, h), -EBUSY);
	EXPECT_ERRNO(zbud_unmap(pool, h), 0);
	EXPECT_ERRNO(zbud_pool_check(pool), 0);
}

TEST(ZbudMap, ThreadMapLimitIsZsmallocs)
{
	Zbud pool;
	std::vector<uint64_t> hs;
	for (int i = 0; i <= ZS_MAX_THREAD_MAPS; i++)
		hs.push_back(AllocFilled(pool, 100, i));
	for (int i = 0; i < ZS_MAX_THREAD_MAPS; i++)
		ASSERT_NE(zbud_map(pool, hs[i]), nullptr) << i;
	EXPECT_NULL_ERRNO(zbud_map(pool, hs[ZS_MAX_THREAD_MAPS]), -EBUSY);
	for (int i = 0; i < ZS_MAX_THREAD_MAPS; i++)
		EXPECT_ERRNO(zbud_unmap(pool, hs[i]), 0);
	EXPECT_TRUE(
		Holds(pool, hs[ZS_MAX_THREAD_MAPS], 100, ZS_MAX_THREAD_MAPS));
}

TEST(ZbudMap, OtherThreadsMapTooButUnmapOnlyTheirOwn)
{
	Zbud pool;
	uint64_t h = AllocFilled(pool, 300, 5);
	void *mine = zbud_map(pool, h);
	ASSERT_NE(mine, nullptr);
	std::thread t([&] {
		void *theirs = zbud_map(pool, h);
		EXPECT_EQ(theirs, mine);
		EXPECT_ERRNO(zbud_free(pool, h), -EBUSY);
		EXPECT_ERRNO(zbud_unmap(pool, h), 0);
		EXPECT_ERRNO(zbud_unmap(pool, h), -EINVAL); /* ours is ours */
	});
	t.join();
	EXPECT_ERRNO(zbud_unmap(pool, h), 0);
	EXPECT_ERRNO(zbud_free(pool, h), 0);
	EXPECT_ERRNO(zbud_pool_check(pool), 0);
}

TEST(ZbudMap, FreeWhileMappedIsEbusyAndChangesNothing)
{
	Zbud pool;
	uint64_t h = AllocFilled(pool, 2000, 3);
	void *p = zbud_map(pool, h);
	ASSERT_NE(p, nullptr);
	EXPECT_ERRNO(zbud_free(pool, h), -EBUSY);
	EXPECT_EQ(pool.pages(), 1u);
	EXPECT_ERRNO(zbud_pool_check(pool), 0);
	EXPECT_TRUE(zs::BytesMatch(p, 2000, 3));
	EXPECT_ERRNO(zbud_unmap(pool, h), 0);
	EXPECT_ERRNO(zbud_free(pool, h), 0);
	EXPECT_EQ(pool.pages(), 0u);
}

TEST(ZbudMap, DestroyWithMapsHeldForgetsThem)
{
	/* Misuse, but it must not leave this thread's map table full. */
	for (int round = 0; round < 3; round++) {
		zbud_pool *pool = zbud_create_pool(nullptr);
		ASSERT_NE(pool, nullptr);
		for (int i = 0; i < ZS_MAX_THREAD_MAPS; i++) {
			uint64_t h = 0;
			ASSERT_ERRNO(zbud_alloc(pool, 50, &h), 0);
			ASSERT_NE(zbud_map(pool, h), nullptr);
		}
		zbud_destroy_pool(pool);
	}
}

/* ---- reclaim ----------------------------------------------------------- */

/* What the evict callback does, set per test; pools are found by pointer. */
struct Evictor {
	zbud_pool *pool = nullptr;
	std::vector<uint64_t> order; /* handles, in evict order */
	std::map<uint64_t, std::pair<size_t, uint64_t>> contents;
	std::set<uint64_t> fail; /* return -EIO for these */
	std::function<int(zbud_pool *, uint64_t)> hook; /* runs first */
	bool free_it = true;
};

Evictor *g_ev;

int EvictCb(zbud_pool *pool, uint64_t h)
{
	Evictor *ev = g_ev;
	EXPECT_EQ(pool, ev->pool);
	ev->order.push_back(h);
	if (ev->hook) {
		int r = ev->hook(pool, h);
		if (r != 1)
			return r;
	}
	if (ev->fail.count(h))
		return -EIO;
	auto it = ev->contents.find(h);
	if (it != ev->contents.end()) {
		EXPECT_TRUE(
			Holds(pool, h, it->second.first, it->second.second));
	}
	if (!ev->free_it)
		return 0;
	int r = zbud_free(pool, h);
	if (r == 0)
		ev->contents.erase(h);
	return r;
}

const zbud_ops kEvictOps = { EvictCb };

class ZbudReclaim : public ::testing::Test {
protected:
	ZbudReclaim() : pool_(&kEvictOps)
	{
		ev_.pool = pool_;
		g_ev = &ev_;
	}
	~ZbudReclaim() override
	{
		g_ev = nullptr;
	}

	uint64_t Add(size_t size, uint64_t seed)
	{
		uint64_t h = AllocFilled(pool_, size, seed);
		ev_.contents[h] = { size, seed };
		return h;
	}

	Zbud pool_;
	Evictor ev_;
};

TEST(ZbudReclaimErrors, NoEvictCallbackIsEinval)
{
	Zbud none;
	uint64_t h = AllocFilled(none, 100, 1);
	EXPECT_ERRNO(zbud_reclaim_page(none, 5), -EINVAL);
	zbud_ops empty = { nullptr };
	Zbud null_evict(&empty);
	h = AllocFilled(null_evict, 100, 1);
	EXPECT_ERRNO(zbud_reclaim_page(null_evict, 5), -EINVAL);
	EXPECT_EQ(null_evict.pages(), 1u);
	EXPECT_TRUE(Holds(null_evict, h, 100, 1));
}

/* As the kernel's: nothing to reclaim, or no try allowed, is a bad call. */
TEST_F(ZbudReclaim, EmptyPoolOrZeroRetriesIsEinval)
{
	EXPECT_ERRNO(zbud_reclaim_page(pool_, 1), -EINVAL);
	Add(100, 1);
	EXPECT_ERRNO(zbud_reclaim_page(pool_, 0), -EINVAL);
	EXPECT_TRUE(ev_.order.empty());
	EXPECT_EQ(pool_.pages(), 1u);
}

TEST_F(ZbudReclaim, WritesBackInLruOrderOfPages)
{
	/* One object per page: pages are used in allocation order. */
	std::vector<uint64_t> hs;
	for (int i = 0; i < 16; i++)
		hs.push_back(Add(2500 + i, i));
	for (int i = 0; i < 16; i++) {
		ASSERT_ERRNO(zbud_reclaim_page(pool_, 1), 0) << i;
		ASSERT_EQ(pool_.pages(), 15u - i);
		ASSERT_ERRNO(zbud_pool_check(pool_), 0);
	}
	EXPECT_EQ(ev_.order, hs);
	EXPECT_TRUE(ev_.contents.empty());
	EXPECT_ERRNO(zbud_reclaim_page(pool_, 4), -EINVAL); /* empty now */
}

TEST_F(ZbudReclaim, AllocationMovesAPageToTheLruHead)
{
	/* 16 chunks leave A a hole of 47; 49-chunk objects do not fit it and
	 * leave B and C holes of 14, too small for the second 16. */
	uint64_t a1 = Add(1000, 1); /* page A */
	uint64_t b1 = Add(3100, 2); /* page B */
	uint64_t c1 = Add(3100, 3); /* page C */
	uint64_t a2 = Add(1000, 4); /* page A again: A is now the newest */
	ASSERT_EQ(pool_.pages(), 3u);
	for (int i = 0; i < 3; i++)
		ASSERT_ERRNO(zbud_reclaim_page(pool_, 1), 0);
	/* Pages B, C, then A's first and last buddies. */
	EXPECT_EQ(ev_.order, (std::vector<uint64_t>{ b1, c1, a1, a2 }));
	EXPECT_EQ(pool_.pages(), 0u);
}

TEST_F(ZbudReclaim, FreeDoesNotTouchTheLru)
{
	uint64_t a1 = Add(1000, 1);
	uint64_t a2 = Add(1000, 2);
	uint64_t b1 = Add(3000, 3);
	ASSERT_ERRNO(zbud_free(pool_, a2), 0);
	ev_.contents.erase(a2);
	ASSERT_ERRNO(zbud_reclaim_page(pool_, 1), 0);
	ASSERT_ERRNO(zbud_reclaim_page(pool_, 1), 0);
	EXPECT_EQ(ev_.order, (std::vector<uint64_t>{ a1, b1 }));
}

TEST_F(ZbudReclaim, EvictFailurePutsThePageBackAtTheHead)
{
	uint64_t p1 = Add(3000, 1), p2 = Add(3000, 2), p3 = Add(3000, 3);
	ev_.fail.insert(p1);
	EXPECT_ERRNO(zbud_reclaim_page(pool_, 1), -EAGAIN);
	EXPECT_EQ(pool_.pages(), 3u);
	EXPECT_TRUE(Holds(pool_, p1, 3000, 1));
	EXPECT_ERRNO(zbud_pool_check(pool_), 0);
	/* LRU is now p2, p3, p1 (oldest first). */
	ev_.order.clear();
	ev_.fail.clear();
	for (int i = 0; i < 3; i++)
		ASSERT_ERRNO(zbud_reclaim_page(pool_, 1), 0);
	EXPECT_EQ(ev_.order, (std::vector<uint64_t>{ p2, p3, p1 }));
}

TEST_F(ZbudReclaim, RetriesMoveOnToTheNextPage)
{
	uint64_t p1 = Add(3000, 1), p2 = Add(3000, 2);
	Add(3000, 3);
	ev_.fail.insert(p1);
	EXPECT_ERRNO(zbud_reclaim_page(pool_, 2), 0);
	EXPECT_EQ(ev_.order, (std::vector<uint64_t>{ p1, p2 }));
	EXPECT_EQ(pool_.pages(), 2u);
	/* Retries beyond the pages cycle through them again. */
	ev_.order.clear();
	ev_.fail.insert(ev_.contents.rbegin()->first);
	for (auto &kv : ev_.contents)
		ev_.fail.insert(kv.first);
	EXPECT_ERRNO(zbud_reclaim_page(pool_, 5), -EAGAIN);
	EXPECT_EQ(ev_.order.size(), 5u);
	EXPECT_EQ(pool_.pages(), 2u);
	EXPECT_ERRNO(zbud_pool_check(pool_), 0);
}

TEST_F(ZbudReclaim, FirstBuddyFailureSkipsTheLast)
{
	uint64_t f = Add(1000, 1), l = Add(1000, 2);
	ev_.fail.insert(f);
	EXPECT_ERRNO(zbud_reclaim_page(pool_, 1), -EAGAIN);
	EXPECT_EQ(ev_.order, (std::vector<uint64_t>{ f }));
	ev_.fail.clear();
	ev_.fail.insert(l);
	ev_.order.clear();
	/* The first buddy goes, the last stays: page not freed. */
	EXPECT_ERRNO(zbud_reclaim_page(pool_, 1), -EAGAIN);
	EXPECT_EQ(ev_.order, (std::vector<uint64_t>{ f, l }));
	EXPECT_EQ(pool_.pages(), 1u);
	EXPECT_ERRNO(zbud_pool_check(pool_), 0);
	EXPECT_TRUE(Holds(pool_, l, 1000, 2));
}

TEST_F(ZbudReclaim, EvictThatReturnsZeroWithoutFreeingKeepsThePage)
{
	uint64_t h = Add(3000, 1);
	ev_.free_it = false;
	EXPECT_ERRNO(zbud_reclaim_page(pool_, 3), -EAGAIN);
	EXPECT_EQ(ev_.order.size(), 3u);
	EXPECT_EQ(pool_.pages(), 1u);
	EXPECT_TRUE(Holds(pool_, h, 3000, 1));
	EXPECT_ERRNO(zbud_pool_check(pool_), 0);
}

TEST_F(ZbudReclaim, MappedPagesAreSkipped)
{
	uint64_t p1 = Add(3000, 1), p2 = Add(3000, 2);
	ASSERT_NE(zbud_map(pool_, p1), nullptr);
	EXPECT_ERRNO(zbud_reclaim_page(pool_, 1), 0);
	EXPECT_EQ(ev_.order, (std::vector<uint64_t>{ p2 }));
	/* Only a pinned page left: nothing can be reclaimed. */
	EXPECT_ERRNO(zbud_reclaim_page(pool_, 3), -EAGAIN);
	EXPECT_EQ(ev_.order.size(), 1u);
	EXPECT_ERRNO(zbud_unmap(pool_, p1), 0);
	EXPECT_ERRNO(zbud_reclaim_page(pool_, 1), 0);
	EXPECT_EQ(pool_.pages(), 0u);
}

TEST_F(ZbudReclaim, CallbackMapsReadsAndFrees)
{
	/* The default evictor maps (through Holds) and frees: the zswap
	 * write-back pattern. */
	Add(1500, 1);
	Add(1500, 2);
	EXPECT_ERRNO(zbud_reclaim_page(pool_, 1), 0);
	EXPECT_EQ(ev_.order.size(), 2u);
	EXPECT_TRUE(ev_.contents.empty());
	EXPECT_EQ(pool_.pages(), 0u);
}

TEST_F(ZbudReclaim, CallbackFreeingWhileItHoldsAMapFailsAndThePageStays)
{
	uint64_t h = Add(1500, 1);
	ev_.hook = [](zbud_pool *pool, uint64_t hh) {
		EXPECT_NE(zbud_map(pool, hh), nullptr);
		int r = zbud_free(pool, hh); /* still mapped */
		EXPECT_ERRNO(r, -EBUSY);
		return r;
	};
	EXPECT_ERRNO(zbud_reclaim_page(pool_, 1), -EAGAIN);
	EXPECT_EQ(pool_.pages(), 1u);
	EXPECT_ERRNO(zbud_pool_check(pool_), 0);
	/* Still mapped by this thread: pinned, not a candidate. */
	ev_.hook = nullptr;
	EXPECT_ERRNO(zbud_reclaim_page(pool_, 1), -EAGAIN);
	EXPECT_EQ(ev_.order.size(), 1u);
	EXPECT_ERRNO(zbud_unmap(pool_, h), 0);
	EXPECT_ERRNO(zbud_reclaim_page(pool_, 1), 0);
}

TEST_F(ZbudReclaim, CallbackAllocationNeverLandsInThePageUnderReclaim)
{
	uint64_t victim = Add(100, 1); /* a page with 61 free chunks */
	uintptr_t victim_page = PageOfHandle(pool_, victim);
	uint64_t made = 0;
	ev_.hook = [&](zbud_pool *pool, uint64_t) {
		made = AllocFilled(pool, 100, 77); /* would fit in victim's */
		EXPECT_NE(PageOfHandle(pool, made), victim_page);
		EXPECT_ERRNO(zbud_pool_check(pool), 0);
		return 1; /* go on: check and free the victim */
	};
	EXPECT_ERRNO(zbud_reclaim_page(pool_, 1), 0);
	ASSERT_NE(made, 0u);
	EXPECT_EQ(pool_.pages(), 1u);
	EXPECT_TRUE(Holds(pool_, made, 100, 77));
	EXPECT_ERRNO(zbud_pool_check(pool_), 0);
}

TEST_F(ZbudReclaim, CallbackFreeingTheOtherBuddySkipsItsEvict)
{
	uint64_t f = Add(1000, 1), l = Add(1000, 2);
	ev_.hook = [&](zbud_pool *pool, uint64_t h) {
		if (h == f) {
			EXPECT_ERRNO(zbud_free(pool, l), 0);
			ev_.contents.erase(l);
		}
		return 1;
	};
	EXPECT_ERRNO(zbud_reclaim_page(pool_, 1), 0);
	EXPECT_EQ(ev_.order, (std::vector<uint64_t>{ f }));
	EXPECT_EQ(pool_.pages(), 0u);
}

TEST_F(ZbudReclaim, CallbackMayReclaimAnotherPage)
{
	uint64_t p1 = Add(3000, 1), p2 = Add(3000, 2), p3 = Add(3000, 3);
	int depth = 0;
	ev_.hook = [&](zbud_pool *pool, uint64_t) {
		/* once: p1 is off the LRU, p2 is next */
		if (depth++ == 0) {
			EXPECT_ERRNO(zbud_reclaim_page(pool, 1), 0);
		}
		return 1;
	};
	EXPECT_ERRNO(zbud_reclaim_page(pool_, 1), 0);
	EXPECT_EQ(ev_.order, (std::vector<uint64_t>{ p1, p2 }));
	EXPECT_EQ(pool_.pages(), 1u);
	EXPECT_TRUE(Holds(pool_, p3, 3000, 3));
}

TEST_F(ZbudReclaim, AnotherThreadFreeingDuringEvict)
{
	/* The second buddy is freed by another thread while the first is
	 * being evicted; reclaim then skips it and frees the page. */
	uint64_t f = Add(1000, 1), l = Add(1000, 2);
	ev_.hook = [&](zbud_pool *pool, uint64_t h) {
		if (h == f) {
			std::thread t(
				[&] { EXPECT_ERRNO(zbud_free(pool, l), 0); });
			t.join();
			ev_.contents.erase(l);
		}
		return 1;
	};
	EXPECT_ERRNO(zbud_reclaim_page(pool_, 1), 0);
	EXPECT_EQ(ev_.order, (std::vector<uint64_t>{ f }));
	EXPECT_EQ(pool_.pages(), 0u);
	EXPECT_ERRNO(zbud_pool_check(pool_), 0);
}

/* ---- migration ------------------------------------------------------- */

TEST(ZbudMigrate, ArenaCompactionMovesPagesNotPinnedOnesContentsKept)
{
	Zbud pool;
	struct O {
		uint64_t h;
		uint64_t seed;
		uintptr_t addr;
	};
	std::vector<O> objs;
	const size_t size = 2500; /* one object per page */
	for (int i = 0; i < 1300; i++) /* three 512-page regions */
		objs.push_back({ AllocFilled(pool, size, i), (uint64_t)i, 0 });
	std::mt19937_64 rng(3);
	std::shuffle(objs.begin(), objs.end(), rng);
	for (size_t i = 200; i < objs.size(); i++)
		ASSERT_ERRNO(zbud_free(pool, objs[i].h), 0);
	objs.resize(200);
	ASSERT_EQ(pool.pages(), 200u);
	for (O &o : objs) {
		void *p = zbud_map(pool, o.h);
		ASSERT_NE(p, nullptr);
		o.addr = reinterpret_cast<uintptr_t>(p);
		ASSERT_ERRNO(zbud_unmap(pool, o.h), 0);
	}
	/* Pin some: their pages must stay where they are. */
	std::vector<void *> pinned;
	for (int i = 0; i < ZS_MAX_THREAD_MAPS; i++)
		pinned.push_back(zbud_map(pool, objs[i].h));
	struct zs_arena_stats before, after;
	zs_arena_stats(pool.arena(), &before);
	unsigned long moved = zs_arena_compact(pool.arena());
	zs_arena_stats(pool.arena(), &after);
	EXPECT_GT(moved, 0u);
	EXPECT_LT(after.regions_mapped, before.regions_mapped);
	ASSERT_ERRNO(zbud_pool_check(pool), 0);
	for (int i = 0; i < ZS_MAX_THREAD_MAPS; i++) {
		EXPECT_EQ(reinterpret_cast<uintptr_t>(pinned[i]), objs[i].addr);
		EXPECT_TRUE(zs::BytesMatch(pinned[i], size, objs[i].seed));
		EXPECT_ERRNO(zbud_unmap(pool, objs[i].h), 0);
	}
	size_t changed = 0;
	for (O &o : objs) {
		void *p = zbud_map(pool, o.h);
		ASSERT_NE(p, nullptr);
		EXPECT_EQ(OffsetOf(p), kChunk);
		changed += reinterpret_cast<uintptr_t>(p) != o.addr;
		EXPECT_TRUE(zs::BytesMatch(p, size, o.seed));
		ASSERT_ERRNO(zbud_unmap(pool, o.h), 0);
	}
	EXPECT_EQ(changed, moved);
	EXPECT_EQ(pool.pages(), 200u);
	/* Moved objects are fully usable: free them all. */
	for (O &o : objs)
		ASSERT_ERRNO(zbud_free(pool, o.h), 0);
	EXPECT_EQ(pool.pages(), 0u);
	EXPECT_ERRNO(zbud_pool_check(pool), 0);
}

/*
 * White-box: the arena's isolate -> migrate -> putback sequence driven by
 * hand, so what happens between the steps is chosen, not hoped for.  A
 * fresh pool's pages get descriptor cookies 0, 1, 2... in order; the new
 * pages are taken and described for the pool as the arena would, and the
 * test does what the arena does after a successful migrate (free the old
 * page).
 */
class ZbudMovable : public ::testing::Test {
protected:
	void *Owner()
	{
		return pool_.get();
	}
	int Isolate(uintptr_t page, uint32_t cookie)
	{
		return zbud_movable_ops.isolate(
			Owner(), reinterpret_cast<void *>(page), cookie, 0);
	}
	/* Migrates to a fresh page; on success frees the old one as the
	 * arena would, on failure the fresh one. */
	int Migrate(uintptr_t page, uint32_t cookie, uintptr_t *to)
	{
		/* the arena gives the new page the old one's description
		 * before migrate; so does this stand-in */
		struct zs_arena_page_info info = {};
		EXPECT_ERRNO(zs_arena_page_info(pool_.arena(),
						reinterpret_cast<void *>(page),
						&info),
			     0);
		void *np = zs_arena_alloc_page(pool_.arena(), info.owner_id);
		EXPECT_NE(np, nullptr);
		zs_arena_set_page_owner(pool_.arena(), np, cookie, 0, 1);
		int r = zbud_movable_ops.migrate(
			Owner(), reinterpret_cast<void *>(page), np, cookie, 0);
		if (r == 0) {
			zs_arena_free_page(pool_.arena(),
					   reinterpret_cast<void *>(page));
			if (to)
				*to = reinterpret_cast<uintptr_t>(np);
		} else {
			zs_arena_free_page(pool_.arena(), np);
		}
		return r;
	}
	void Putback(uintptr_t page, uint32_t cookie)
	{
		zbud_movable_ops.putback(
			Owner(), reinterpret_cast<void *>(page), cookie, 0);
	}

	Zbud pool_;
};

TEST_F(ZbudMovable, IsolateRefusesPinnedBusyAndUnknownPages)
{
	uint64_t a = AllocFilled(pool_, 3000, 1);
	uintptr_t pa = PageOfHandle(pool_, a);
	EXPECT_ERRNO(Isolate(pa, 1), -EAGAIN); /* wrong cookie */
	EXPECT_ERRNO(Isolate(pa + kPage, 0), -EAGAIN); /* wrong page */
	ASSERT_NE(zbud_map(pool_, a), nullptr);
	EXPECT_ERRNO(Isolate(pa, 0), -EAGAIN); /* mapped */
	EXPECT_ERRNO(zbud_unmap(pool_, a), 0);
	EXPECT_ERRNO(Isolate(pa, 0), 0);
	EXPECT_ERRNO(Isolate(pa, 0), -EAGAIN); /* already isolated */
	Putback(pa, 0);
	EXPECT_ERRNO(Isolate(pa, 0), 0); /* putback made it movable again */
	Putback(pa, 0);
	EXPECT_ERRNO(zbud_pool_check(pool_), 0);
	EXPECT_TRUE(Holds(pool_, a, 3000, 1));
}

TEST_F(ZbudMovable, IsolateRefusesAPageUnderReclaim)
{
	int seen = -1;
	Evictor ev;
	ev.pool = pool_;
	g_ev = &ev;
	zbud_ops ops = { EvictCb };
	Zbud epool(&ops);
	ev.pool = epool;
	uint64_t a = AllocFilled(epool, 3000, 1);
	uintptr_t pa = PageOfHandle(epool, a);
	ev.hook = [&](zbud_pool *pool, uint64_t) {
		seen = zbud_movable_ops.isolate(
			pool, reinterpret_cast<void *>(pa), 0, 0);
		return 1;
	};
	EXPECT_ERRNO(zbud_reclaim_page(epool, 1), 0);
	EXPECT_ERRNO(seen, -EAGAIN);
	g_ev = nullptr;
}

TEST_F(ZbudMovable, MigrateMovesBothBuddiesAndHandlesFollow)
{
	uint64_t f = AllocFilled(pool_, 1000, 1);
	uint64_t l = AllocFilled(pool_, 2000, 2);
	uintptr_t old = PageOfHandle(pool_, f);
	ASSERT_ERRNO(Isolate(old, 0), 0);
	uintptr_t to = 0;
	ASSERT_ERRNO(Migrate(old, 0, &to), 0);
	EXPECT_NE(to, old);
	EXPECT_EQ(PageOfHandle(pool_, f), to);
	EXPECT_EQ(PageOfHandle(pool_, l), to);
	EXPECT_TRUE(Holds(pool_, f, 1000, 1));
	EXPECT_TRUE(Holds(pool_, l, 2000, 2));
	EXPECT_ERRNO(zbud_pool_check(pool_), 0);
	/* The stale page address no longer names the page. */
	EXPECT_ERRNO(Isolate(old, 0), -EAGAIN);
	EXPECT_ERRNO(Isolate(to, 0), 0);
	Putback(to, 0);
	EXPECT_ERRNO(zbud_free(pool_, f), 0);
	EXPECT_ERRNO(zbud_free(pool_, l), 0);
	EXPECT_EQ(pool_.pages(), 0u);
}

TEST_F(ZbudMovable, AllocationIntoAnIsolatedPageIsCarriedAlong)
{
	uint64_t f = AllocFilled(pool_, 1000, 1);
	uintptr_t old = PageOfHandle(pool_, f);
	ASSERT_ERRNO(Isolate(old, 0), 0);
	uint64_t l = AllocFilled(pool_, 1000, 2); /* lands in the page */
	EXPECT_EQ(PageOfHandle(pool_, l), old);
	uintptr_t to = 0;
	ASSERT_ERRNO(Migrate(old, 0, &to), 0);
	EXPECT_TRUE(Holds(pool_, f, 1000, 1));
	EXPECT_TRUE(Holds(pool_, l, 1000, 2));
	EXPECT_EQ(PageOfHandle(pool_, l), to);
	EXPECT_ERRNO(zbud_pool_check(pool_), 0);
}

TEST_F(ZbudMovable, MapBetweenIsolateAndMigrateRefusesTheMove)
{
	uint64_t a = AllocFilled(pool_, 3000, 1);
	uintptr_t pa = PageOfHandle(pool_, a);
	ASSERT_ERRNO(Isolate(pa, 0), 0);
	void *p = zbud_map(pool_, a); /* maps may be taken meanwhile */
	ASSERT_NE(p, nullptr);
	EXPECT_ERRNO(Migrate(pa, 0, nullptr), -EAGAIN);
	Putback(pa, 0); /* as the arena does after a failed migrate */
	zs::FillPattern(p, 3000, 9); /* the write lands in the object */
	EXPECT_ERRNO(zbud_unmap(pool_, a), 0);
	EXPECT_TRUE(Holds(pool_, a, 3000, 9));
	EXPECT_EQ(PageOfHandle(pool_, a), pa);
	EXPECT_ERRNO(zbud_pool_check(pool_), 0);
}

TEST_F(ZbudMovable, PageEmptiedWhileIsolatedIsFreedAtPutback)
{
	uint64_t f = AllocFilled(pool_, 1000, 1);
	uint64_t l = AllocFilled(pool_, 1000, 2);
	uintptr_t pa = PageOfHandle(pool_, f);
	ASSERT_ERRNO(Isolate(pa, 0), 0);
	EXPECT_ERRNO(zbud_free(pool_, f), 0);
	EXPECT_ERRNO(zbud_free(pool_, l), 0);
	/* The arena still holds the page: it stays, off every list. */
	EXPECT_EQ(pool_.pages(), 1u);
	EXPECT_ERRNO(zbud_pool_check(pool_), 0);
	/* No allocation lands in it meanwhile. */
	uint64_t n = AllocFilled(pool_, 100, 3);
	EXPECT_NE(PageOfHandle(pool_, n), pa);
	EXPECT_EQ(pool_.pages(), 2u);
	Putback(pa, 0);
	EXPECT_EQ(pool_.pages(), 1u);
	EXPECT_ERRNO(zbud_pool_check(pool_), 0);
	EXPECT_ERRNO(zbud_free(pool_, n), 0);
	EXPECT_EQ(pool_.pages(), 0u);
}

TEST_F(ZbudMovable, PageEmptiedWhileIsolatedRefusesMigrateThenPutbackFrees)
{
	uint64_t a = AllocFilled(pool_, 3000, 1);
	uintptr_t pa = PageOfHandle(pool_, a);
	ASSERT_ERRNO(Isolate(pa, 0), 0);
	EXPECT_ERRNO(zbud_free(pool_, a), 0);
	EXPECT_ERRNO(Migrate(pa, 0, nullptr), -EAGAIN);
	EXPECT_EQ(pool_.pages(), 1u);
	Putback(pa, 0);
	EXPECT_EQ(pool_.pages(), 0u);
	EXPECT_ERRNO(zbud_pool_check(pool_), 0);
	struct zs_arena_stats st;
	zs_arena_stats(pool_.arena(), &st);
	EXPECT_EQ(st.pages_in_use, 0u);
}

TEST_F(ZbudMovable, ReclaimSkipsIsolatedPages)
{
	Evictor ev;
	g_ev = &ev;
	zbud_ops ops = { EvictCb };
	Zbud epool(&ops);
	ev.pool = epool;
	uint64_t a = AllocFilled(epool, 3000, 1);
	uint64_t b = AllocFilled(epool, 3000, 2);
	uintptr_t pa = PageOfHandle(epool, a);
	ASSERT_ERRNO(zbud_movable_ops.isolate(
			     epool.get(), reinterpret_cast<void *>(pa), 0, 0),
		     0);
	EXPECT_ERRNO(zbud_reclaim_page(epool, 1), 0);
	EXPECT_EQ(ev.order, (std::vector<uint64_t>{ b }));
	EXPECT_ERRNO(zbud_reclaim_page(epool, 1), -EAGAIN);
	zbud_movable_ops.putback(epool.get(), reinterpret_cast<void *>(pa), 0,
				 0);
	EXPECT_ERRNO(zbud_reclaim_page(epool, 1), 0);
	EXPECT_EQ(ev.order, (std::vector<uint64_t>{ b, a }));
	g_ev = nullptr;
}

/* ---- zbud_pool_check --------------------------------------------------- */

/* The test writes where no object is, on purpose: ASan must not stop it. */
__attribute__((no_sanitize("address"))) void RawWrite(uintptr_t at, uint8_t v)
{
	*reinterpret_cast<volatile uint8_t *>(at) = v;
}

__attribute__((no_sanitize("address"))) uint8_t RawRead(uintptr_t at)
{
	return *reinterpret_cast<volatile uint8_t *>(at);
}

TEST(ZbudCheck, HeaderOverwriteIsReportedExactly)
{
	Zbud pool;
	uint64_t h = AllocFilled(pool, 100, 1);
	uintptr_t page = PageOfHandle(pool, h);
	uint8_t old = RawRead(page + 8);
	RawWrite(page + 8, (uint8_t)(old ^ 0x5a));
	testing::internal::CaptureStderr();
	EXPECT_ERRNO(zbud_pool_check(pool), -EUCLEAN);
	std::string err = testing::internal::GetCapturedStderr();
	char want[200];
	snprintf(want, sizeof(want),
		 "zs: zbud_pool_check: page 0 at %p: header chunk "
		 "overwritten (an object written past its end?)\n",
		 reinterpret_cast<void *>(page));
	EXPECT_EQ(err, want);
	RawWrite(page + 8, old);
	EXPECT_ERRNO(zbud_pool_check(pool), 0);
}

TEST(ZbudCheck, QuietWhenConsistent)
{
	Zbud pool;
	for (int i = 0; i < 50; i++)
		AllocFilled(pool, 10 + 77 * i, i);
	testing::internal::CaptureStderr();
	EXPECT_ERRNO(zbud_pool_check(pool), 0);
	EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
}

} /* namespace */
