// SPDX-License-Identifier: MIT
// pressure_threads_test.cc - the pressure monitor: soft limits, explicit reclaim
// and notification, registration rules, and running without PSI.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>
#include <vector>

#include "gtest/zs_shim.h"

extern "C" {
#include "zs/pressure.h"
}

namespace
{

// A pool where compaction has pages to give back: fill, free 3 of 4.
struct FragmentedPool {
	zs_arena *arena = zs_arena_create();
	zs_pool *pool = nullptr;
	std::vector<uint64_t> live;

	FragmentedPool()
	{
		zs_pool_config cfg{};
		cfg.name = "pressure";
		cfg.arena = arena;
		pool = zs_create_pool_config(&cfg);
		std::vector<uint64_t> all;
		for (int i = 0; i < 8000; i++) {
			uint64_t h;
			EXPECT_EQ(0,
				  zs_malloc(pool, 200 + (i * 37) % 2000, &h));
			all.push_back(h);
		}
		for (size_t i = 0; i < all.size(); i++) {
			if (i % 4)
				EXPECT_EQ(0, zs_free(pool, all[i]));
			else
				live.push_back(all[i]);
		}
	}
	~FragmentedPool()
	{
		zs_destroy_pool(pool);
		EXPECT_EQ(0, zs_arena_destroy(arena));
	}
};

zs_pressure *NoPsiMonitor(unsigned poll_ms = 10)
{
	zs_pressure_config cfg{};
	cfg.poll_ms = poll_ms;
	cfg.psi_path = "";
	return zs_pressure_create(&cfg);
}

// Waits for a condition the monitor thread brings about; the bound only
// keeps a broken monitor from hanging the test.
template <typename F>
bool Eventually(F done)
{
	for (int i = 0; i < 1000; i++) {
		if (done())
			return true;
		std::this_thread::sleep_for(std::chrono::milliseconds(10));
	}
	return done();
}

TEST(ZsPressure, SoftLimitShrinksThePool)
{
	FragmentedPool f;
	unsigned long before = zs_get_total_pages(f.pool);
	ASSERT_GT(zs_shrinker_count(f.pool), 0u);
	zs_pressure *mon = NoPsiMonitor();
	ASSERT_NE(nullptr, mon);
	ASSERT_EQ(0, zs_pressure_add_pool(mon, f.pool, before / 2));
	EXPECT_TRUE(Eventually(
		[&] { return zs_get_total_pages(f.pool) <= before / 2; }));
	zs_pressure_stats st;
	zs_pressure_get_stats(mon, &st);
	EXPECT_GE(st.soft_limit_events, 1u);
	EXPECT_GE(st.pages_freed, before - before / 2);
	EXPECT_EQ(0, zs_pressure_remove_pool(mon, f.pool));
	zs_pressure_destroy(mon);
	EXPECT_EQ(0, zs_pool_check(f.pool));
}

TEST(ZsPressure, ExplicitReclaimReturnsPagesFreed)
{
	FragmentedPool f;
	unsigned long before = zs_get_total_pages(f.pool);
	unsigned long freeable = zs_shrinker_count(f.pool);
	zs_pressure *mon = NoPsiMonitor(1000);
	ASSERT_EQ(0, zs_pressure_add_pool(mon, f.pool, 0));
	ASSERT_GT(freeable, 0u);
	// reclaim(mon, 0) compacts fully (zs_compact), and the shrinker's
	// count is an estimate: free units in whole zspages, less what
	// compaction cannot fill.  Objects of every size share zspages, so
	// compaction packs them closer than the estimate's allowance of half
	// a mean footprint per zspage: it frees at least the estimate, not
	// exactly it.
	unsigned long freed = zs_pressure_reclaim(mon, 0);
	EXPECT_GE(freed, freeable);
	EXPECT_LE(freed, before);
	EXPECT_EQ(before - freed, zs_get_total_pages(f.pool));
	// The live objects' footprints (size + 4-byte tag, rounded to 8)
	// still fit in what is left.
	uint64_t footprints = 0;
	for (uint64_t h : f.live)
		footprints += zs_class_size_for(f.pool, zs_obj_size(f.pool, h));
	EXPECT_GE(zs_get_total_pages(f.pool) * 4096, footprints);
	// Compaction was complete: nothing more to move, and the estimate
	// promises nothing compaction cannot give.
	EXPECT_EQ(0u, zs_compact(f.pool));
	EXPECT_EQ(0u, zs_shrinker_count(f.pool));
	EXPECT_EQ(0u, zs_pressure_reclaim(mon, 0)); // nothing left to give
	zs_pressure_destroy(mon);
	EXPECT_EQ(0, zs_pool_check(f.pool));
}

TEST(ZsPressure, ReclaimStopsNearTheGoal)
{
	FragmentedPool f;
	zs_pressure *mon = NoPsiMonitor(1000);
	ASSERT_EQ(0, zs_pressure_add_pool(mon, f.pool, 0));
	unsigned long freeable = zs_shrinker_count(f.pool);
	ASSERT_GT(freeable, 20u);
	unsigned long freed = zs_pressure_reclaim(mon, 1);
	EXPECT_GE(freed, 1u);
	// a zspage or so, not everything compaction could give
	EXPECT_LT(freed, freeable);
	zs_pressure_destroy(mon);
}

TEST(ZsPressure, NotifyReclaimsInTheBackground)
{
	FragmentedPool f;
	zs_pressure *mon = NoPsiMonitor(1000);
	ASSERT_EQ(0, zs_pressure_add_pool(mon, f.pool, 0));
	ASSERT_EQ(0, zs_pressure_add_arena(mon, f.arena));
	unsigned long before = zs_get_total_pages(f.pool);
	ASSERT_GT(zs_shrinker_count(f.pool), 0u);
	zs_pressure_notify(mon);
	// The notified reclaim compacts fully: the estimate drops to 0 (it
	// never counts what compaction cannot fill) and pages come back.
	EXPECT_TRUE(Eventually([&] { return zs_shrinker_count(f.pool) == 0; }));
	EXPECT_LT(zs_get_total_pages(f.pool), before);
	zs_pressure_stats st;
	EXPECT_TRUE(Eventually([&] {
		zs_pressure_get_stats(mon, &st);
		return st.explicit_events >= 1;
	}));
	EXPECT_EQ(0, zs_pressure_remove_arena(mon, f.arena));
	zs_pressure_destroy(mon);
	EXPECT_EQ(0, zs_pool_check(f.pool));
}

TEST(ZsPressure, RegistrationRules)
{
	FragmentedPool f;
	zs_pressure *mon = NoPsiMonitor();
	EXPECT_ERRNO(zs_pressure_add_pool(mon, nullptr, 0), -EINVAL);
	EXPECT_ERRNO(zs_pressure_add_pool(mon, f.pool, 0), 0);
	EXPECT_ERRNO(zs_pressure_add_pool(mon, f.pool, 0), -EEXIST);
	EXPECT_ERRNO(zs_pressure_remove_pool(mon, f.pool), 0);
	EXPECT_ERRNO(zs_pressure_remove_pool(mon, f.pool), -ENOENT);
	EXPECT_ERRNO(zs_pressure_add_arena(mon, f.arena), 0);
	EXPECT_ERRNO(zs_pressure_add_arena(mon, f.arena), -EEXIST);
	EXPECT_ERRNO(zs_pressure_remove_arena(mon, f.arena), 0);
	EXPECT_ERRNO(zs_pressure_remove_arena(mon, f.arena), -ENOENT);
	zs_pressure_destroy(mon);
	zs_pressure_destroy(nullptr); // a no-op
}

// Containers and sandboxes often have no /proc/pressure or refuse
// triggers: the monitor must say why and keep working without PSI.
TEST(ZsPressure, RunsWithoutPsiAndSaysWhy)
{
	zs_pressure_config cfg{};
	cfg.poll_ms = 10;
	cfg.psi_path = "/nonexistent/pressure/memory";
	zs_pressure *mon = zs_pressure_create(&cfg);
	ASSERT_NE(nullptr, mon);
	zs_pressure_stats st;
	zs_pressure_get_stats(mon, &st);
	EXPECT_EQ(0, st.psi_active);
	EXPECT_EQ(ENOENT, st.psi_error);

	FragmentedPool f;
	unsigned long before = zs_get_total_pages(f.pool);
	ASSERT_EQ(0, zs_pressure_add_pool(mon, f.pool, before / 2));
	EXPECT_TRUE(Eventually(
		[&] { return zs_get_total_pages(f.pool) <= before / 2; }));
	zs_pressure_remove_pool(mon, f.pool);
	zs_pressure_destroy(mon);
}

TEST(ZsPressure, PsiDisabledByConfigurationIsNotAnError)
{
	zs_pressure *mon = NoPsiMonitor();
	zs_pressure_stats st;
	zs_pressure_get_stats(mon, &st);
	EXPECT_EQ(0, st.psi_active);
	EXPECT_EQ(0, st.psi_error);
	zs_pressure_destroy(mon);
}

// Where the kernel accepts a trigger, it is armed; where it refuses, the
// refusal is reported.  Either way the monitor is usable.
TEST(ZsPressure, DefaultPathArmsPsiOrReportsTheRefusal)
{
	zs_pressure *mon = zs_pressure_create(nullptr);
	ASSERT_NE(nullptr, mon);
	zs_pressure_stats st;
	zs_pressure_get_stats(mon, &st);
	EXPECT_TRUE((st.psi_active == 1 && st.psi_error == 0) ||
		    (st.psi_active == 0 && st.psi_error != 0))
		<< "psi_active " << st.psi_active << " psi_error "
		<< st.psi_error;
	zs_pressure_destroy(mon);
}

// The monitor may be mid-reclaim when a pool is removed and destroyed.
TEST(ZsPressure, RemoveThenDestroyWhileTheMonitorWorks)
{
	zs_pressure *mon = NoPsiMonitor(1);
	for (int round = 0; round < 20; round++) {
		FragmentedPool f;
		ASSERT_EQ(0, zs_pressure_add_pool(mon, f.pool, 1));
		ASSERT_EQ(0, zs_pressure_add_arena(mon, f.arena));
		zs_pressure_notify(mon);
		std::this_thread::sleep_for(
			std::chrono::milliseconds(round % 3));
		ASSERT_EQ(0, zs_pressure_remove_pool(mon, f.pool));
		ASSERT_EQ(0, zs_pressure_remove_arena(mon, f.arena));
	}
	zs_pressure_destroy(mon);
}

} // namespace
