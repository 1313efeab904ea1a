// SPDX-License-Identifier: MIT
/*
 * gtest/zbud_threads_test.cc - zbud under concurrency (built for ASan and
 * for TSan by gtest/BUILD's *threads* rule).
 *
 * Workers allocate, write, verify and free; a reclaimer writes back above
 * a page limit (as zswap did); a compactor moves pages through the arena.
 * The run lasts until write-back and migration have both been seen racing
 * the workers, then every object and zbud_pool_check must agree.
 */
#include "gtest/zs_shim.h"

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

extern "C" {
#include "zs/zbud.h"
}

namespace
{

using zs::Zbud;

/* Whoever takes a handle out of the shared table owns it, so each object
 * is freed exactly once, by its worker or by the evict callback. */
struct Shared {
	std::mutex mu;
	std::map<uint64_t, std::pair<size_t, uint64_t>> live;
	std::atomic<long> evicted{ 0 }, freed{ 0 }, failures{ 0 };
	zbud_pool *pool = nullptr;

	bool Take(uint64_t h, std::pair<size_t, uint64_t> *what)
	{
		std::lock_guard<std::mutex> g(mu);
		auto it = live.find(h);
		if (it == live.end())
			return false;
		*what = it->second;
		live.erase(it);
		return true;
	}
};

Shared *g_shared;

int StressEvict(zbud_pool *pool, uint64_t h)
{
	std::pair<size_t, uint64_t> what;
	if (!g_shared->Take(h, &what))
		return -ENOENT; /* its owner is freeing it, or not yet filed */
	void *p = zbud_map(pool, h);
	if (!p || !zs::BytesMatch(p, what.first, what.second))
		g_shared->failures++;
	if (p && zbud_unmap(pool, h) != 0)
		g_shared->failures++;
	if (zbud_free(pool, h) != 0)
		g_shared->failures++;
	g_shared->evicted++;
	return 0;
}

const zbud_ops kStressOps = { StressEvict };

TEST(ZbudThreads, MapFreeReclaimAndMigrationRace)
{
	Zbud pool(&kStressOps);
	Shared sh;
	sh.pool = pool;
	g_shared = &sh;
	std::atomic<bool> stop{ false }, enough{ false };
	/* Each worker fills up to cap objects, drains to a quarter, and so
	 * on.  Worker 1 holds up to 1100 objects of a page each: three arena
	 * regions, then sparse ones, so the compactor has pages to move. */
	auto worker = [&](int id, int iters, size_t cap, size_t min_size) {
		std::mt19937_64 rng(id);
		std::vector<uint64_t> mine;
		bool filling = true;
		for (int i = 0; i < iters || !enough.load(); i++) {
			if (mine.size() >= cap)
				filling = false;
			else if (mine.size() <= cap / 4)
				filling = true;
			if (filling ? rng() % 4 != 0 : rng() % 4 == 0) {
				size_t size = min_size +
					      rng() % (ZBUD_MAX_ALLOC_SIZE + 1 -
						       min_size);
				uint64_t seed = rng();
				uint64_t h = 0;
				if (zbud_alloc(pool, size, &h) != 0) {
					sh.failures++;
					continue;
				}
				void *p = zbud_map(pool, h);
				if (!p) {
					sh.failures++;
					continue;
				}
				zs::FillPattern(p, size, seed);
				zbud_unmap(pool, h);
				{
					std::lock_guard<std::mutex> g(sh.mu);
					sh.live[h] = { size, seed };
				}
				mine.push_back(h);
			} else if (!mine.empty()) {
				size_t k = rng() % mine.size();
				uint64_t h = mine[k];
				mine[k] = mine.back();
				mine.pop_back();
				std::pair<size_t, uint64_t> what;
				if (!sh.Take(h, &what))
					continue; /* the evictor owns it now */
				void *p = zbud_map(pool, h);
				if (!p ||
				    !zs::BytesMatch(p, what.first, what.second))
					sh.failures++;
				if (p)
					zbud_unmap(pool, h);
				if (zbud_free(pool, h) != 0)
					sh.failures++;
				sh.freed++;
			}
		}
		for (uint64_t h : mine) {
			std::pair<size_t, uint64_t> what;
			if (sh.Take(h, &what) && zbud_free(pool, h) != 0)
				sh.failures++;
		}
	};
	std::thread reclaimer([&] {
		/* As zswap did: write back only above a limit, which keeps
		 * enough pages for two regions. */
		while (!stop.load()) {
			if (zbud_get_pool_size(pool) < 1000) {
				std::this_thread::yield();
				continue;
			}
			int r = zbud_reclaim_page(pool, 4);
			if (r != 0 && r != -EAGAIN)
				sh.failures++;
		}
	});
	std::thread compactor([&] {
		while (!stop.load()) {
			zs_arena_compact(pool.arena());
			std::this_thread::yield();
		}
	});
	std::vector<std::thread> ws;
	ws.emplace_back(worker, 1, 6000, 1100, 2100);
	for (int i = 1; i < 3; i++)
		ws.emplace_back(worker, i + 1, 3000, 64, 1);
	/* Workers go on past their iterations until both write-back and
	 * migration have been seen racing them (a loaded machine may need
	 * longer), or a deadline passes and the checks below fail. */
	auto deadline =
		std::chrono::steady_clock::now() + std::chrono::seconds(60);
	for (;;) {
		struct zs_arena_stats now;
		zs_arena_stats(pool.arena(), &now);
		if ((sh.evicted.load() >= 20 && now.pages_migrated >= 20) ||
		    std::chrono::steady_clock::now() > deadline)
			break;
		std::this_thread::sleep_for(std::chrono::milliseconds(5));
	}
	enough = true;
	for (auto &t : ws)
		t.join();
	stop = true;
	reclaimer.join();
	compactor.join();
	g_shared = nullptr;
	EXPECT_EQ(sh.failures.load(), 0);
	EXPECT_GE(sh.evicted.load(), 20);
	EXPECT_GT(sh.freed.load(), 0);
	struct zs_arena_stats st;
	zs_arena_stats(pool.arena(), &st);
	EXPECT_GE(st.pages_migrated, 20u);
	EXPECT_ERRNO(zbud_pool_check(pool), 0);
	EXPECT_EQ(pool.pages(), 0u);
}

} /* namespace */
