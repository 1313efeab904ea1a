// SPDX-License-Identifier: MIT
/*
 * gtest/zsmalloc_concurrency_test.cc - a few threads on one pool.
 *
 * Every call is thread-safe on a shared pool (zs/zsmalloc.h).
 * Threads here allocate, write, map, read and free objects with per-object
 * patterns, each in its own size classes and then all in the same ones,
 * while others read a shared set of objects and one thread compacts; every
 * object is verified before it is freed and at the end.  This is the
 * ASan-build functional check; the TSan stress tests look for the races.
 */
#include "gtest/zs_shim.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <random>
#include <thread>

namespace
{

constexpr int kThreads = 4;

/* One worker: churns its own objects, returns the number of failures. */
struct Worker {
	zs_pool *pool;
	int id;
	size_t min_size, max_size;
	unsigned ops;
	std::vector<zs::Obj> live;
	std::string error;

	void Fail(const std::string &what)
	{
		if (error.empty())
			error = "thread " + std::to_string(id) + ": " + what;
	}

	bool Check(const zs::Obj &o, int how)
	{
		std::vector<uint8_t> local(o.size);
		if (how == 0) {
			void *p = zs_map_object(pool, o.handle, ZS_MM_RO);
			if (!p)
				return Fail("map RO failed"), false;
			bool ok = static_cast<bool>(
				zs::BytesMatch(p, o.size, o.seed));
			if (zs_unmap_object(pool, o.handle))
				Fail("unmap failed");
			return ok;
		}
		return static_cast<bool>(
			zs::HasPattern(pool, o.handle, o.size, o.seed));
	}

	void Run()
	{
		std::mt19937_64 rng(1000 + id);
		uint64_t seed = (uint64_t)id << 40;
		for (unsigned op = 0; op < ops && error.empty(); op++) {
			unsigned r = rng() % 100;
			if (live.empty() || r < 45) {
				size_t size = min_size +
					      rng() % (max_size - min_size + 1);
				uint64_t h = 0;
				int ret = zs_malloc(pool, size, &h);
				if (ret) {
					Fail("zs_malloc " + zs::ErrString(ret));
					break;
				}
				zs::Obj o = { h, size, ++seed };
				/* Fill half the objects through a WO map,
				 * half through obj_write. */
				if (rng() % 2) {
					void *p = zs_map_object(pool, h,
								ZS_MM_WO);
					if (!p) {
						Fail("map WO failed");
						break;
					}
					zs::FillPattern(p, size, o.seed);
					zs_unmap_object(pool, h);
				} else if (zs::WritePattern(pool, h, size,
							    o.seed)) {
					Fail("obj_write failed");
					break;
				}
				live.push_back(o);
			} else if (r < 80) {
				zs::Obj &o = live[rng() % live.size()];
				if (!Check(o, (int)(rng() % 2)))
					Fail("object " +
					     std::to_string(o.handle) +
					     " changed");
				/* Rewrite in place through RW. */
				void *p =
					zs_map_object(pool, o.handle, ZS_MM_RW);
				if (!p) {
					Fail("map RW failed");
					break;
				}
				o.seed = ++seed;
				zs::FillPattern(p, o.size, o.seed);
				zs_unmap_object(pool, o.handle);
			} else {
				size_t i = rng() % live.size();
				if (!Check(live[i], 1))
					Fail("object changed before free");
				int ret = zs_free(pool, live[i].handle);
				if (ret)
					Fail("zs_free " + zs::ErrString(ret));
				live[i] = live.back();
				live.pop_back();
			}
		}
		for (const zs::Obj &o : live)
			if (!Check(o, 1))
				Fail("object changed (final check)");
	}

	void FreeAll()
	{
		for (const zs::Obj &o : live)
			zs_free(pool, o.handle);
		live.clear();
	}
};

/* Runs the workers to completion; `others` objects live outside them. */
void RunWorkers(zs_pool *pool, std::vector<Worker> &workers,
		std::atomic<bool> *stop_extra = nullptr, size_t others = 0)
{
	std::vector<std::thread> threads;
	for (Worker &w : workers)
		threads.emplace_back([&w] { w.Run(); });
	for (std::thread &t : threads)
		t.join();
	if (stop_extra)
		*stop_extra = true;
	size_t live = others;
	for (Worker &w : workers) {
		EXPECT_EQ(w.error, "");
		live += w.live.size();
	}
	EXPECT_ERRNO(zs_pool_check(pool), 0);
	struct zs_pool_stats st;
	zs_pool_stats(pool, &st);
	EXPECT_EQ(st.objs_used, live);
}

TEST(ZsConcurrency, ThreadsInTheirOwnClasses)
{
	zs::Pool pool;
	std::vector<Worker> w;
	for (int i = 0; i < kThreads; i++)
		w.push_back({ pool,
			      i,
			      1 + 1024 * (size_t)i,
			      1024 * (size_t)(i + 1),
			      20000,
			      {},
			      "" });
	RunWorkers(pool, w);
	for (Worker &x : w)
		x.FreeAll();
	EXPECT_EQ(zs_get_total_pages(pool), 0u);
}

TEST(ZsConcurrency, ThreadsInTheSameClasses)
{
	zs::Pool pool;
	std::vector<Worker> w;
	for (int i = 0; i < kThreads; i++)
		w.push_back({ pool, i, 200, 400, 20000, {}, "" });
	RunWorkers(pool, w);
	for (Worker &x : w)
		x.FreeAll();
	EXPECT_EQ(zs_get_total_pages(pool), 0u);
}

TEST(ZsConcurrency, SharedReadersWhileOthersChurnAndCompact)
{
	zs::Pool pool;
	zs::Handles shared(pool);
	for (int i = 0; i < 300; i++)
		ASSERT_ERRNO(shared.Alloc(1 + (i * 131) % 4096, 7000 + i), 0);

	std::atomic<bool> stop{ false };
	std::atomic<unsigned long> reads{ 0 }, bad{ 0 }, compacted{ 0 };
	auto reader = [&](int id) {
		std::mt19937 rng(id);
		std::vector<uint8_t> local(4096);
		while (!stop) {
			const zs::Obj &o = shared[rng() % shared.size()];
			if (rng() % 2) {
				void *p =
					zs_map_object(pool, o.handle, ZS_MM_RO);
				if (!p || !zs::BytesMatch(p, o.size, o.seed))
					bad++;
				if (p)
					zs_unmap_object(pool, o.handle);
			} else {
				const void *p = zs_obj_read_begin(
					pool, o.handle, local.data());
				if (!p || !zs::BytesMatch(p, o.size, o.seed))
					bad++;
				if (p)
					zs_obj_read_end(pool, o.handle, p);
			}
			reads++;
		}
	};
	auto compactor = [&] {
		while (!stop) {
			compacted += zs_compact(pool);
			std::this_thread::yield();
		}
	};
	std::thread r1(reader, 1), r2(reader, 2), c(compactor);
	std::vector<Worker> w;
	for (int i = 0; i < 2; i++)
		w.push_back({ pool, i, 1, 4096, 15000, {}, "" });
	RunWorkers(pool, w, &stop, shared.size());
	r1.join();
	r2.join();
	c.join();
	EXPECT_EQ(bad.load(), 0u);
	EXPECT_GT(reads.load(), 0u);
	EXPECT_TRUE(shared.AllIntact());
	EXPECT_EQ(pool.Stats().pages_compacted, compacted.load());
	printf("shared reads %lu, pages compacted meanwhile %lu\n",
	       reads.load(), compacted.load());
	for (Worker &x : w)
		x.FreeAll();
}

TEST(ZsConcurrency, SameHandleMappedByManyThreads)
{
	zs::Pool pool;
	zs::Handles objs(pool);
	ASSERT_ERRNO(objs.Alloc(3000, 1), 0);
	ASSERT_ERRNO(objs.Alloc(40, 2), 0);
	std::atomic<unsigned long> bad{ 0 };
	std::vector<std::thread> t;
	for (int i = 0; i < kThreads; i++)
		t.emplace_back([&] {
			for (int k = 0; k < 5000; k++) {
				const zs::Obj &o = objs[k % 2];
				void *p =
					zs_map_object(pool, o.handle, ZS_MM_RO);
				if (!p || !zs::BytesMatch(p, o.size, o.seed))
					bad++;
				if (p && zs_unmap_object(pool, o.handle))
					bad++;
			}
		});
	for (std::thread &x : t)
		x.join();
	EXPECT_EQ(bad.load(), 0u);
	EXPECT_TRUE(objs.AllIntact());
}

/*
 * One object's pins (maps and open reads, zs/zsmalloc.h) stop at 125: the
 * 126th is EBUSY while the others stay held, free is EBUSY too, and one
 * release makes room again.  Each thread holds a map and a read of the
 * same object (two pins), so 63 threads reach the limit with one read to
 * spare.
 */
TEST(ZsConcurrency, PinsOfOneObjectStopAtTheLimit)
{
	constexpr int kPinners = 63;
	zs::Pool pool;
	zs::Handles objs(pool);
	ASSERT_ERRNO(objs.Alloc(700, 3), 0);
	const uint64_t h = objs[0].handle;
	std::atomic<int> map_fails{ 0 }, ebusy_reads{ 0 }, other_fails{ 0 };
	std::atomic<int> holding{ 0 }, release{ 0 };
	std::vector<std::thread> t;
	for (int i = 0; i < kPinners; i++)
		t.emplace_back([&] {
			void *m = zs_map_object(pool, h, ZS_MM_RO);
			if (!m) {
				map_fails++;
				holding++;
				return;
			}
			errno = 0;
			const void *r = zs_obj_read_begin(pool, h, nullptr);
			if (!r && errno == EBUSY)
				ebusy_reads++;
			else if (!r)
				other_fails++;
			holding++;
			while (!release.load())
				std::this_thread::yield();
			if (r && zs_obj_read_end(pool, h, r))
				other_fails++;
			if (zs_unmap_object(pool, h))
				other_fails++;
		});
	while (holding.load() < kPinners)
		std::this_thread::yield();
	EXPECT_EQ(map_fails.load(), 0);
	EXPECT_EQ(ebusy_reads.load(), 1); /* 63 maps + 62 reads = 125 */
	EXPECT_EQ(other_fails.load(), 0);
	errno = 0;
	EXPECT_EQ(zs_map_object(pool, h, ZS_MM_RO), nullptr);
	EXPECT_EQ(errno, EBUSY);
	EXPECT_ERRNO(zs_free(pool, h), -EBUSY);
	release = 1;
	for (std::thread &x : t)
		x.join();
	EXPECT_EQ(other_fails.load(), 0);
	void *p = zs_map_object(pool, h, ZS_MM_RO);
	ASSERT_NE(p, nullptr);
	EXPECT_TRUE(zs::BytesMatch(p, objs[0].size, objs[0].seed));
	EXPECT_ERRNO(zs_unmap_object(pool, h), 0);
	EXPECT_TRUE(objs.AllIntact());
}

} /* namespace */
