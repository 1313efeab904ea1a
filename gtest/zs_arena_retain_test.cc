// SPDX-License-Identifier: MIT
/*
 * gtest/zs_arena_retain_test.cc - the arena retains freed memory for reuse
 * a while (zs_arena_set_retain_ms), then gives it back.
 *
 * Past a floor (256 dirty pages and an eighth of the pages in use, one
 * empty region), freed pages stay resident and emptied regions mapped
 * until the arena has retained memory for its period; the next page taken
 * or freed after that gives back every dirty free page and every empty
 * region but one.  The tests fill three regions with runs, free them, and
 * read what is retained from the arena's counters, from where a run taken
 * again says its resident pages end, and from its bytes; a pool's
 * compaction gives back at once.  The last group
 * stops or moves the retention clock through a white-box helper
 * (gtest/zs_arena_retain_plant.c) and requires zs_arena_check to say so.
 */
#include "gtest/zs_shim.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "gtest/zs_arena_retain_plant.h"

namespace
{

constexpr unsigned kRegionPages = 512;
constexpr unsigned kRun = 8;
constexpr unsigned kRegions = 3;
constexpr unsigned kRuns = kRegions * kRegionPages / kRun;

int Isolate(void *, void *, uint32_t, uint32_t)
{
	return -EAGAIN; /* nothing here moves */
}

int Migrate(void *, void *, void *, uint32_t, uint32_t)
{
	return -EAGAIN;
}

void Putback(void *, void *, uint32_t, uint32_t)
{
}

const zs_movable_ops kOps = { Isolate, Migrate, Putback };

/* An arena, its owner, and three regions of written runs to free. */
class Retain : public ::testing::Test {
protected:
	void SetUp() override
	{
		owner_ = zs_arena_register_owner(arena_, this, &kOps);
		ASSERT_GE(owner_, 0);
	}

	void TearDown() override
	{
		EXPECT_ERRNO(zs_arena_check(arena_), 0);
		for (void *run : runs_)
			zs_arena_free_run(arena_, run);
		zs_arena_unregister_owner(arena_, owner_);
	}

	/* kRuns runs, every byte written (so every page resident). */
	void Fill()
	{
		for (unsigned i = 0; i < kRuns; i++) {
			void *run =
				zs_arena_alloc_run(arena_, owner_, kRun, i, 0);
			ASSERT_NE(run, nullptr);
			memset(run, 0x5a, kRun * ZS_PAGE_SIZE);
			runs_.push_back(run);
		}
		ASSERT_EQ(arena_.Stats().regions_mapped, kRegions);
	}

	void FreeAll()
	{
		for (void *run : runs_)
			zs_arena_free_run(arena_, run);
		runs_.clear();
	}

	/* A run taken and freed again: the pages of it still resident. */
	unsigned ResidentOfANewRun(bool expect_zero)
	{
		unsigned resident = 0;
		char *run = static_cast<char *>(zs_arena_alloc_run_resident(
			arena_, owner_, kRun, 99, 0, &resident));

		EXPECT_NE(run, nullptr);
		if (!run)
			return 0;
		for (size_t i = 0; expect_zero && i < kRun * ZS_PAGE_SIZE;
		     i += 512)
			EXPECT_EQ(run[i], 0) << "byte " << i << " kept";
		zs_arena_free_run(arena_, run);
		return resident;
	}

	zs::Arena arena_;
	int owner_ = -1;
	std::vector<void *> runs_;
};

/* Freed runs stay resident and their regions mapped while the period
 * lasts; a run taken again is resident whole, with no fault to pay. */
TEST_F(Retain, FreedMemoryIsKeptForReuse)
{
	zs_arena_set_retain_ms(arena_, 60 * 1000);
	Fill();
	FreeAll();
	struct zs_arena_stats st = arena_.Stats();
	EXPECT_EQ(st.pages_in_use, 0u);
	EXPECT_EQ(st.regions_mapped, kRegions) << "empty regions kept";
	EXPECT_EQ(st.regions_released, 0u);
	EXPECT_EQ(zsr_dirty_pages(arena_), kRuns * kRun) << "none purged";
	EXPECT_NE(zsr_retained_since(arena_), 0u) << "the clock runs";
	EXPECT_ERRNO(zs_arena_check(arena_), 0);
	EXPECT_EQ(ResidentOfANewRun(false), kRun);
	EXPECT_EQ(arena_.Stats().regions_mapped, kRegions);
}

/* A shorter period applies at once: what has been retained longer goes
 * back, all but a spare region. */
TEST_F(Retain, ShorterPeriodGivesBackWhatIsRetained)
{
	zs_arena_set_retain_ms(arena_, 60 * 1000);
	Fill();
	FreeAll();
	zs_arena_set_retain_ms(arena_, 0);
	struct zs_arena_stats st = arena_.Stats();
	EXPECT_EQ(st.regions_mapped, 1u) << "the spare";
	EXPECT_EQ(st.regions_released, kRegions - 1);
	EXPECT_EQ(zsr_dirty_pages(arena_), 0u);
	EXPECT_EQ(zsr_retained_since(arena_), 0u);
	EXPECT_EQ(ResidentOfANewRun(true), 1u) << "purged";
}

/* A period of 0 gives freed memory back as it is freed: never more than
 * the floor stays dirty, and emptied regions go but the spare. */
TEST_F(Retain, ZeroPeriodGivesBackAtOnce)
{
	zs_arena_set_retain_ms(arena_, 0);
	Fill();
	unsigned long most = 0;
	for (void *run : runs_) {
		zs_arena_free_run(arena_, run);
		most = std::max(most, zsr_dirty_pages(arena_));
	}
	runs_.clear();
	EXPECT_LE(most, 256u + kRun);
	EXPECT_EQ(arena_.Stats().regions_mapped, 1u);
	EXPECT_EQ(zsr_dirty_pages(arena_), 0u);
}

/* Once the period has passed, the next page taken gives back the rest;
 * the page taken itself comes from what was retained. */
TEST_F(Retain, NextCallAfterThePeriodGivesBack)
{
	zs_arena_set_retain_ms(arena_, 50);
	Fill();
	FreeAll();
	std::this_thread::sleep_for(std::chrono::milliseconds(120));
	unsigned resident = 0;
	void *run = zs_arena_alloc_run_resident(arena_, owner_, kRun, 7, 0,
						&resident);
	ASSERT_NE(run, nullptr);
	EXPECT_EQ(resident, kRun) << "taken before the give-back";
	EXPECT_EQ(zsr_dirty_pages(arena_), 0u);
	EXPECT_EQ(arena_.Stats().regions_mapped, 2u)
		<< "the run's region and the spare";
	EXPECT_EQ(zsr_retained_since(arena_), 0u);
	runs_.push_back(run);
}

/* zs_arena_trim gives back everything and stops the clock. */
TEST_F(Retain, TrimGivesBackEverything)
{
	zs_arena_set_retain_ms(arena_, 60 * 1000);
	Fill();
	FreeAll();
	zs_arena_trim(arena_);
	EXPECT_EQ(arena_.Stats().regions_mapped, 0u);
	EXPECT_EQ(zsr_dirty_pages(arena_), 0u);
	EXPECT_EQ(zsr_retained_since(arena_), 0u);
}

/* zs_compact is asked for to give memory back: what the arena retains,
 * the zspages the compaction freed among it, goes to the OS before it
 * returns. */
TEST_F(Retain, PoolCompactionGivesBackWhatItFrees)
{
	zs_arena_set_retain_ms(arena_, 60 * 1000);
	struct zs_pool_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	cfg.name = "retain";
	cfg.arena = arena_;
	zs_pool *pool = zs_create_pool_config(&cfg);
	ASSERT_NE(pool, nullptr);
	std::vector<uint64_t> h(6000);
	for (uint64_t &x : h)
		ASSERT_ERRNO(zs_malloc(pool, 1000, &x), 0);
	/* the first third whole (their zspages empty), then 3 in 4 */
	for (size_t i = 0; i < h.size(); i++)
		if (i < 2000 || i % 4) {
			ASSERT_ERRNO(zs_free(pool, h[i]), 0);
			h[i] = 0;
		}
	EXPECT_GT(zsr_dirty_pages(arena_), 0u) << "emptied zspages retained";
	EXPECT_GT(zs_compact(pool), 0u);
	EXPECT_EQ(zsr_dirty_pages(arena_), 0u);
	EXPECT_EQ(zsr_retained_since(arena_), 0u);
	EXPECT_ERRNO(zs_pool_check(pool), 0);
	EXPECT_ERRNO(zs_arena_check(arena_), 0);
	for (uint64_t x : h)
		if (x) {
			EXPECT_ERRNO(zs_free(pool, x), 0);
		}
	zs_destroy_pool(pool);
}

/* Retained memory whose clock is stopped would never go back; a clock
 * started in the future would hold it past its period. */
TEST_F(Retain, CheckFindsRetainedMemoryWithoutAClock)
{
	zs_arena_set_retain_ms(arena_, 60 * 1000);
	Fill();
	FreeAll();
	const uint64_t since = zsr_retained_since(arena_);
	const std::string stopped =
		"zs: zs_arena_check: retains 1536 dirty free pages (0 in "
		"use) and 3 empty regions, retention clock 0 ms, now ";
	const std::string future = "zs: zs_arena_check: retains 1536 dirty "
				   "free pages (0 in use) and 3 empty "
				   "regions, retention clock " +
				   std::to_string(since + 3600 * 1000) +
				   " ms, now ";

	for (uint64_t bad : { uint64_t{ 0 }, since + 3600 * 1000 }) {
		std::vector<zs::Report> got;
		void *old_arg = nullptr;
		zs_report_hook *old =
			zs_set_report_hook(&zs::RecordReport, &got, &old_arg);
		zsr_set_retained_since(arena_, bad);
		int ret = zs_arena_check(arena_);
		zsr_set_retained_since(arena_, since);
		zs_set_report_hook(old, old_arg, nullptr);

		EXPECT_ERRNO(ret, -EUCLEAN);
		ASSERT_EQ(got.size(), 1u);
		EXPECT_STREQ(
			zs_finding_name(got[0].kind),
			zs_finding_name(ZS_FINDING_ARENA_RETAINED_UNCLOCKED));
		const std::string &want = bad ? future : stopped;
		EXPECT_EQ(got[0].message.substr(0, want.size()), want);
		EXPECT_ERRNO(zs_arena_check(arena_), 0);
	}
}

} /* namespace */
