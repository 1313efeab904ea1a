// SPDX-License-Identifier: MIT
/*
 * gtest/zs_arena_runs_test.cc - runs of contiguous arena pages: handed out
 * whole, described page by page, freed whole, moved as a unit, and packed
 * by compaction into few regions.
 *
 * A run is what a zspage whose objects never need copying is laid out in:
 * n pages at consecutive addresses inside one 2 MiB region.  The tests
 * hold runs through a page owner of their own (gtest/zs_arena_runs_owner.h)
 * that fills each run with a pattern, logs the arena's callbacks and
 * records anything the contract rules out.  The compaction tests count
 * callbacks per run (one isolate and one migrate for each run moved, with
 * its first page) and regions left against the minimum, ceil(pages in use
 * / 512).  A group measures the arena's metadata per page.  The last
 * group writes one map entry, record or count at a time through white-box
 * helpers (gtest/zs_arena_runs_plant.c) and requires zs_arena_check to
 * name exactly that disagreement.  Threads are in
 * zs_arena_runs_threads_test.cc.
 */
#include "gtest/zs_shim.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "gtest/zs_arena_runs_owner.h"
#include "gtest/zs_arena_runs_plant.h"

extern "C" {
#include "zs/fault.h"
#include "zs/report.h"
}

namespace
{

using zs::RunOwner;

constexpr unsigned kRegionPages = 512;
constexpr size_t kRegionBytes = kRegionPages * ZS_PAGE_SIZE;

char *Page(void *run, unsigned k)
{
	return static_cast<char *>(run) + (size_t)k * ZS_PAGE_SIZE;
}

std::string Join(const std::vector<std::string> &v)
{
	std::string out;
	for (const std::string &s : v)
		out += s + "\n";
	return out;
}

/* ---- allocation and description ------------------------------------- */

/* Every length from 1 to the maximum: n consecutive pages, each described
 * as (cookie, its place, movable) with the run's length and first page;
 * every byte of the run writable (ASan would object otherwise). */
TEST(ArenaRuns, ContiguousAndDescribed)
{
	zs::Arena arena;
	RunOwner owner(arena, true);
	ASSERT_GE(owner.id(), 0);
	std::vector<void *> runs;

	for (unsigned n = 1; n <= ZS_ARENA_MAX_RUN; n++) {
		void *run = owner.Alloc(n, 1000 + n, n % 2);
		ASSERT_NE(run, nullptr) << n;
		EXPECT_EQ((uintptr_t)run % ZS_PAGE_SIZE, 0u);
		for (unsigned k = 0; k < n; k++) {
			struct zs_arena_page_info info = {};
			ASSERT_ERRNO(zs_arena_page_info(arena, Page(run, k),
							&info),
				     0);
			EXPECT_EQ(info.owner_id, owner.id());
			EXPECT_EQ(info.cookie, 1000 + n);
			EXPECT_EQ(info.index, k);
			EXPECT_EQ(info.movable, (int)(n % 2));
			EXPECT_EQ(info.isolated, 0);
			EXPECT_EQ(info.run_pages, n);
			EXPECT_EQ(info.run, run);
		}
		runs.push_back(run);
	}
	EXPECT_EQ(Join(owner.Verify()), "");
	EXPECT_ERRNO(zs_arena_check(arena), 0);
	struct zs_arena_stats st = arena.Stats();
	EXPECT_EQ(st.pages_in_use,
		  (unsigned long)ZS_ARENA_MAX_RUN * (ZS_ARENA_MAX_RUN + 1) / 2);
	unsigned long owned = 0;
	unsigned moving = 1;
	EXPECT_ERRNO(zs_arena_owner_pages(arena, owner.id(), &owned, &moving),
		     0);
	EXPECT_EQ(owned, st.pages_in_use);
	EXPECT_EQ(moving, 0u);

	for (void *run : runs)
		EXPECT_TRUE(owner.Free(run));
	EXPECT_EQ(arena.Stats().pages_in_use, 0u);
	EXPECT_ERRNO(zs_arena_check(arena), 0);
}

/* Single pages are runs of one: described so, freed by either call. */
TEST(ArenaRuns, SinglePagesAreRunsOfOne)
{
	zs::Arena arena;
	RunOwner owner(arena, true);
	void *a = zs_arena_alloc_page(arena, owner.id());
	void *pages[2];
	ASSERT_NE(a, nullptr);
	ASSERT_ERRNO(zs_arena_alloc_pages(arena, owner.id(), 2, pages, 7, 1),
		     0);
	for (void *p : { a, pages[0], pages[1] }) {
		struct zs_arena_page_info info = {};
		ASSERT_ERRNO(zs_arena_page_info(arena, p, &info), 0);
		EXPECT_EQ(info.run_pages, 1u);
		EXPECT_EQ(info.run, p);
	}
	zs_arena_free_run(arena, a);
	zs_arena_free_pages(arena, pages, 2);
	void *one = zs_arena_alloc_run(arena, owner.id(), 1, 3, 0);
	ASSERT_NE(one, nullptr);
	zs_arena_free_page(arena, one);
	EXPECT_EQ(arena.Stats().pages_in_use, 0u);
	EXPECT_ERRNO(zs_arena_check(arena), 0);
}

/* Freed runs are reused: a gap exactly as long as a new run takes it, the
 * lowest gap that fits comes first, and a run never straddles a region. */
TEST(ArenaRuns, FreeAndReuse)
{
	zs::Arena arena;
	RunOwner owner(arena, true);
	void *r[4];
	for (void *&p : r) {
		p = owner.Alloc(4, 1, 1);
		ASSERT_NE(p, nullptr);
	}
	for (int k = 1; k < 4; k++)
		EXPECT_EQ(r[k], Page(r[k - 1], 4)) << "first fit, in order";
	ASSERT_TRUE(owner.Free(r[1]));
	ASSERT_TRUE(owner.Free(r[2]));
	void *eight = owner.Alloc(8, 2, 1);
	EXPECT_EQ(eight, r[1]) << "the 8-page gap left by two 4-page runs";
	void *sixteen = owner.Alloc(16, 3, 1);
	EXPECT_EQ(sixteen, Page(r[3], 4)) << "after the last run";
	ASSERT_TRUE(owner.Free(sixteen));
	EXPECT_EQ(owner.Alloc(16, 3, 1), sixteen) << "the same place again";

	/* Fill the region up to 3 pages short of its end: a 4-page run
	 * does not fit there and opens the next region, a 3-page one does. */
	unsigned used = 4 + 8 + 4 + 16;
	while (used + 16 <= kRegionPages - 3) {
		ASSERT_NE(owner.Alloc(16, 4, 1), nullptr);
		used += 16;
	}
	while (used < kRegionPages - 3) {
		ASSERT_NE(owner.Alloc(1, 5, 1), nullptr);
		used++;
	}
	EXPECT_EQ(arena.Stats().regions_mapped, 1u);
	void *four = owner.Alloc(4, 6, 1);
	ASSERT_NE(four, nullptr);
	EXPECT_EQ(arena.Stats().regions_mapped, 2u);
	uintptr_t base = (uintptr_t)r[0];
	EXPECT_FALSE((uintptr_t)four >= base &&
		     (uintptr_t)four < base + kRegionBytes);
	void *three = owner.Alloc(3, 7, 1);
	EXPECT_EQ(three, Page(r[0], kRegionPages - 3));
	EXPECT_EQ(Join(owner.Verify()), "");
	EXPECT_ERRNO(zs_arena_check(arena), 0);
}

/* zs_arena_alloc_run_resident says how many of a run's first pages may
 * be resident: the first only on a fresh region; every page of a run
 * freed and taken again before a purge (the arena marks a freed run's
 * pages dirty, written or not); the first only again once zs_arena_trim
 * purged them, and those pages read as zeroes.  A zspage counts that
 * many pages at once, so a wrong answer either hides resident memory or
 * charges memory that is not there. */
TEST(ArenaRuns, ResidentPagesOfARun)
{
	/* the arena's own calls: the test owner's would write its pages */
	zs::Arena arena;
	RunOwner owner(arena, true);
	unsigned resident = 0;
	/* a page that keeps the region mapped through the trim */
	void *keep = zs_arena_alloc_page(arena, owner.id());
	ASSERT_NE(keep, nullptr);
	char *run = static_cast<char *>(zs_arena_alloc_run_resident(
		arena, owner.id(), 8, 1, 1, &resident));
	ASSERT_NE(run, nullptr);
	EXPECT_EQ(resident, 1u) << "a fresh region";
	memset(run, 0xab, 3 * ZS_PAGE_SIZE);
	zs_arena_free_run(arena, run);
	char *again = static_cast<char *>(zs_arena_alloc_run_resident(
		arena, owner.id(), 8, 2, 1, &resident));
	ASSERT_EQ(again, run) << "first fit takes the same pages";
	EXPECT_EQ(resident, 8u) << "freed and not purged";
	zs_arena_free_run(arena, again);
	zs_arena_trim(arena);
	again = static_cast<char *>(zs_arena_alloc_run_resident(
		arena, owner.id(), 8, 3, 1, &resident));
	ASSERT_EQ(again, run);
	EXPECT_EQ(resident, 1u) << "purged";
	for (size_t i = 0; i < 8 * ZS_PAGE_SIZE; i += 512)
		ASSERT_EQ(again[i], 0) << "byte " << i << " still resident";
	EXPECT_ERRNO(zs_arena_check(arena), 0);
	zs_arena_free_run(arena, again);
	zs_arena_free_page(arena, keep);
}

/* Misuse is refused with EINVAL and takes nothing; NULLs are no-ops. */
TEST(ArenaRuns, MisuseLeavesArenaUnchanged)
{
	zs::Arena arena;
	RunOwner owner(arena, true);
	void *held = owner.Alloc(3, 9, 1);
	ASSERT_NE(held, nullptr);
	RunOwner gone(arena, true);
	int gone_id = gone.id();
	gone.Unregister();
	struct zs_arena_stats before = arena.Stats();

	EXPECT_NULL_ERRNO(zs_arena_alloc_run(nullptr, owner.id(), 2, 0, 1),
			  -EINVAL);
	EXPECT_NULL_ERRNO(zs_arena_alloc_run(arena, -1, 2, 0, 1), -EINVAL);
	EXPECT_NULL_ERRNO(zs_arena_alloc_run(arena, 1023, 2, 0, 1), -EINVAL);
	EXPECT_NULL_ERRNO(zs_arena_alloc_run(arena, 1024, 2, 0, 1), -EINVAL);
	EXPECT_NULL_ERRNO(zs_arena_alloc_run(arena, gone_id, 2, 0, 1), -EINVAL);
	EXPECT_NULL_ERRNO(zs_arena_alloc_run(arena, owner.id(), 0, 0, 1),
			  -EINVAL);
	EXPECT_NULL_ERRNO(zs_arena_alloc_run(arena, owner.id(),
					     ZS_ARENA_MAX_RUN + 1, 0, 1),
			  -EINVAL);
	zs_arena_free_run(nullptr, held);
	zs_arena_free_run(arena, nullptr);

	/* A page of a longer run keeps the description it was given. */
	zs_arena_set_page_owner(arena, held, 77, 5, 0);
	zs_arena_set_page_owner(arena, Page(held, 1), 77, 5, 0);
	for (unsigned k = 0; k < 3; k++) {
		struct zs_arena_page_info info = {};
		ASSERT_ERRNO(zs_arena_page_info(arena, Page(held, k), &info),
			     0);
		EXPECT_EQ(info.cookie, 9u);
		EXPECT_EQ(info.index, k);
		EXPECT_EQ(info.movable, 1);
	}

	struct zs_arena_stats after = arena.Stats();
	EXPECT_EQ(after.pages_in_use, before.pages_in_use);
	EXPECT_EQ(after.pages_free, before.pages_free);
	EXPECT_EQ(after.regions_mapped, before.regions_mapped);
	EXPECT_EQ(Join(owner.Verify()), "");
	EXPECT_ERRNO(zs_arena_check(arena), 0);

	/* A run of one is an ordinary page: it can be described. */
	void *one = owner.Alloc(1, 1, 1);
	ASSERT_NE(one, nullptr);
	zs_arena_set_page_owner(arena, one, 77, 5, 0);
	struct zs_arena_page_info info = {};
	ASSERT_ERRNO(zs_arena_page_info(arena, one, &info), 0);
	EXPECT_EQ(info.cookie, 77u);
	EXPECT_EQ(info.index, 5u);
	zs_arena_set_page_owner(arena, one, 1, 0, 1);
}

/* An injected failure counts the run's pages, as zs_arena_alloc_pages
 * counts its pages: a run holding the failing page fails, takes nothing,
 * and the next succeeds. */
TEST(ArenaRuns, InjectionCountsPages)
{
	zs::Arena arena;
	RunOwner owner(arena, true);
	zs_arena_inject_failures(arena, 5, 1);
	ASSERT_NE(owner.Alloc(4, 1, 1), nullptr) << "pages 1 .. 4";
	struct zs_arena_stats before = arena.Stats();
	/* pages 5 .. 8: the 6th fails */
	EXPECT_NULL_ERRNO(zs_arena_alloc_run(arena, owner.id(), 4, 1, 1),
			  -ENOMEM);
	struct zs_arena_stats after = arena.Stats();
	EXPECT_EQ(after.pages_in_use, before.pages_in_use);
	EXPECT_EQ(after.pages_free, before.pages_free);
	EXPECT_NE(owner.Alloc(4, 1, 1), nullptr) << "the failure was used";

	zs_arena_inject_failures(arena, 3, 1);
	EXPECT_NE(owner.Alloc(3, 1, 1), nullptr);
	EXPECT_NULL_ERRNO(zs_arena_alloc_run(arena, owner.id(), 1, 1, 1),
			  -ENOMEM);
	EXPECT_EQ(arena.Stats().pages_in_use, 11u);
	EXPECT_ERRNO(zs_arena_check(arena), 0);
}

/* ---- compaction ------------------------------------------------------ */

/* Regions k .. of the arena's history filled with 8-page runs: 64 runs per
 * region, in order (checked). */
std::vector<void *> FillRegions(RunOwner &owner, unsigned regions)
{
	std::vector<void *> runs;
	for (unsigned k = 0; k < regions * (kRegionPages / 8); k++) {
		void *run = owner.Alloc(8, k, 1);
		EXPECT_NE(run, nullptr);
		if (k % 64) {
			EXPECT_EQ(run, Page(runs.back(), 8));
		}
		runs.push_back(run);
	}
	return runs;
}

bool InRegion(const void *p, const void *region_start)
{
	uintptr_t a = (uintptr_t)p, b = (uintptr_t)region_start;
	return a >= b && a < b + kRegionBytes;
}

/* Three regions thinned to 40, 10 and 5 runs of 8 pages: 440 pages, one
 * region's worth.  The first stays; each run of the other two is isolated
 * and migrated exactly once, with its first page, into the first region;
 * one region is left and a second call moves nothing. */
TEST(ArenaRunsCompact, EachRunMovesOnceAsUnit)
{
	zs::Arena arena;
	RunOwner owner(arena, true);
	std::vector<void *> runs = FillRegions(owner, 3);
	ASSERT_EQ(runs.size(), 192u);
	std::vector<void *> stay, go;
	for (unsigned k = 0; k < 192; k++) {
		unsigned region = k / 64, j = k % 64;
		bool keep = region == 0 ? j < 40 :
			    region == 1 ? j % 6 == 0 && j < 60 :
					  j % 12 == 0 && j < 60;
		if (keep)
			(region == 0 ? stay : go).push_back(runs[k]);
		else
			ASSERT_TRUE(owner.Free(runs[k]));
	}
	ASSERT_EQ(stay.size(), 40u);
	ASSERT_EQ(go.size(), 15u);
	struct zs_arena_stats before = arena.Stats();
	ASSERT_EQ(before.pages_in_use, 440u);

	unsigned long moved = zs_arena_compact(arena);
	struct zs_arena_stats after = arena.Stats();
	EXPECT_EQ(moved, 15u * 8);
	EXPECT_EQ(after.pages_migrated - before.pages_migrated, moved);
	EXPECT_EQ(after.migrate_failures, before.migrate_failures);
	EXPECT_EQ(after.regions_mapped, 1u);
	EXPECT_EQ(after.pages_in_use, 440u);

	std::map<void *, unsigned> isolates, migrates;
	for (const RunOwner::Call &c : owner.Calls()) {
		EXPECT_NE(c.kind, RunOwner::kPutback);
		if (c.kind == RunOwner::kIsolate)
			isolates[c.page]++;
		if (c.kind == RunOwner::kMigrate) {
			migrates[c.page]++;
			EXPECT_TRUE(InRegion(c.target, runs[0]));
			EXPECT_EQ((uintptr_t)c.target % ZS_PAGE_SIZE, 0u);
		}
	}
	EXPECT_EQ(isolates.size(), go.size());
	EXPECT_EQ(migrates.size(), go.size());
	for (void *run : go) {
		EXPECT_EQ(isolates[run], 1u) << run;
		EXPECT_EQ(migrates[run], 1u) << run;
		void *now = owner.Now(run);
		EXPECT_NE(now, run);
		EXPECT_TRUE(InRegion(now, runs[0]));
	}
	for (void *run : stay)
		EXPECT_EQ(owner.Now(run), run);
	EXPECT_EQ(Join(owner.Errors()), "");
	EXPECT_EQ(Join(owner.Verify()), "");
	EXPECT_ERRNO(zs_arena_check(arena), 0);

	size_t calls = owner.Calls().size();
	EXPECT_EQ(zs_arena_compact(arena), 0u);
	EXPECT_EQ(owner.Calls().size(), calls);
	EXPECT_EQ(arena.Stats().regions_mapped, 1u);
}

/* A run whose owner refuses isolate stays, untouched, and so does its
 * region; one whose owner refuses migrate is put back, once.  The other
 * runs still move, and both refusals count as failures. */
TEST(ArenaRunsCompact, RefusedRunStaysWithItsRegion)
{
	zs::Arena arena;
	RunOwner owner(arena, true);
	std::vector<void *> runs = FillRegions(owner, 2);
	std::vector<void *> go;
	for (unsigned k = 0; k < 128; k++) {
		unsigned j = k % 64;
		bool keep = k < 64 ? j < 40 : j % 6 == 0 && j < 60;
		if (!keep)
			ASSERT_TRUE(owner.Free(runs[k]));
		else if (k >= 64)
			go.push_back(runs[k]);
	}
	ASSERT_EQ(go.size(), 10u);
	void *pinned = go[3], *busy = go[7];
	owner.RefuseIsolate(pinned);
	owner.RefuseMigrate(busy);
	struct zs_arena_stats before = arena.Stats();

	unsigned long moved = zs_arena_compact(arena);
	struct zs_arena_stats after = arena.Stats();
	EXPECT_EQ(moved, 8u * 8);
	EXPECT_EQ(after.migrate_failures - before.migrate_failures, 2u);
	EXPECT_EQ(after.regions_mapped, 2u) << "the pinned run's region";
	EXPECT_EQ(owner.Now(pinned), pinned);
	EXPECT_EQ(owner.Now(busy), busy);

	unsigned pinned_calls = 0, busy_isolates = 0, busy_migrates = 0,
		 busy_putbacks = 0;
	for (const RunOwner::Call &c : owner.Calls()) {
		if (c.page == pinned) {
			pinned_calls++;
			EXPECT_EQ(c.kind, RunOwner::kIsolate);
		}
		if (c.page == busy) {
			busy_isolates += c.kind == RunOwner::kIsolate;
			busy_migrates += c.kind == RunOwner::kMigrate;
			busy_putbacks += c.kind == RunOwner::kPutback;
		}
	}
	EXPECT_EQ(pinned_calls, 1u);
	EXPECT_EQ(busy_isolates, 1u);
	EXPECT_EQ(busy_migrates, 1u);
	EXPECT_EQ(busy_putbacks, 1u);
	for (void *p : { pinned, busy }) {
		struct zs_arena_page_info info = {};
		ASSERT_ERRNO(zs_arena_page_info(arena, Page(p, 7), &info), 0);
		EXPECT_EQ(info.isolated, 0);
		EXPECT_EQ(info.run, p);
	}
	EXPECT_EQ(Join(owner.Errors()), "");
	EXPECT_EQ(Join(owner.Verify()), "");
	EXPECT_ERRNO(zs_arena_check(arena), 0);
}

/* Unmovable runs are never offered to their owner: the sparse region
 * that holds them stays. */
TEST(ArenaRunsCompact, UnmovableRunsStay)
{
	zs::Arena arena;
	RunOwner owner(arena, true);
	std::vector<void *> first, second;
	for (unsigned k = 0; k < 64; k++) {
		first.push_back(owner.Alloc(8, k, 1));
		ASSERT_NE(first.back(), nullptr);
	}
	for (unsigned k = 0; k < 64; k++) {
		second.push_back(owner.Alloc(8, k, 0));
		ASSERT_NE(second.back(), nullptr);
	}
	/* 256 + 64 pages: one region's worth, the second to empty */
	for (unsigned k = 0; k < 64; k++) {
		if (k % 2) {
			ASSERT_TRUE(owner.Free(first[k]));
		}
		if (k % 8) {
			ASSERT_TRUE(owner.Free(second[k]));
		}
	}
	EXPECT_EQ(zs_arena_compact(arena), 0u);
	EXPECT_TRUE(owner.Calls().empty());
	EXPECT_EQ(arena.Stats().regions_mapped, 2u);
	EXPECT_EQ(Join(owner.Verify()), "");
	EXPECT_ERRNO(zs_arena_check(arena), 0);
}

/* A run with no gap of its length in the kept regions stays (never
 * isolated), and its region, kept after all, is not emptied for nothing:
 * one region more than the minimum, not one more per such region.  Region
 * 0 holds every other page (one-page gaps only), region 1 a 16-page run
 * and 10 single pages, region 2 100 single pages: 382 pages, one region's
 * worth.  Region 2's pages move, region 1's stay. */
TEST(ArenaRunsCompact, RunWithoutGapKeepsItsRegion)
{
	zs::Arena arena;
	RunOwner owner(arena, true);
	std::vector<void *> r0, r1, r2;
	for (unsigned k = 0; k < kRegionPages; k++)
		r0.push_back(owner.Alloc(1, k, 1));
	void *big = owner.Alloc(16, 1, 1);
	for (unsigned k = 16; k < kRegionPages; k++)
		r1.push_back(owner.Alloc(1, k, 1));
	for (unsigned k = 0; k < kRegionPages; k++)
		r2.push_back(owner.Alloc(1, k, 1));
	ASSERT_FALSE(InRegion(big, r0[0])) << "a region of its own";
	ASSERT_EQ(arena.Stats().regions_mapped, 3u);
	for (unsigned k = 0; k < kRegionPages; k++) {
		if (k % 2) {
			ASSERT_TRUE(owner.Free(r0[k]));
		}
		if (k >= 100) {
			ASSERT_TRUE(owner.Free(r2[k]));
		}
	}
	for (size_t k = 10; k < r1.size(); k++)
		ASSERT_TRUE(owner.Free(r1[k]));
	r1.resize(10);
	r2.resize(100);

	EXPECT_EQ(zs_arena_compact(arena), 100u);
	EXPECT_EQ(arena.Stats().regions_mapped, 2u);
	EXPECT_EQ(owner.Now(big), big);
	for (void *p : r1)
		EXPECT_EQ(owner.Now(p), p);
	for (void *p : r2)
		EXPECT_NE(owner.Now(p), p);
	for (const RunOwner::Call &c : owner.Calls())
		EXPECT_NE(c.page, big) << "a run with nowhere to go";
	EXPECT_EQ(Join(owner.Errors()), "");
	EXPECT_EQ(Join(owner.Verify()), "");
	EXPECT_ERRNO(zs_arena_check(arena), 0);
}

/* Allocates runs with lengths drawn from `lengths` until `pages` pages
 * are held, frees a random 75% of the runs, compacts, and returns the
 * regions left and the minimum ceil(pages in use / 512). */
struct Packing {
	unsigned long in_use, regions, minimum, moved;
};

Packing PackOnce(const std::vector<unsigned> &lengths, unsigned seed,
		 unsigned pages)
{
	zs::Arena arena;
	RunOwner owner(arena, true);
	std::mt19937 rng(seed);
	std::vector<void *> runs;
	unsigned held = 0;
	while (held < pages) {
		unsigned n = lengths[rng() % lengths.size()];
		void *run = owner.Alloc(n, (uint32_t)runs.size(), 1);
		EXPECT_NE(run, nullptr);
		if (!run)
			return {};
		runs.push_back(run);
		held += n;
	}
	std::shuffle(runs.begin(), runs.end(), rng);
	for (size_t k = 0; k < runs.size() * 3 / 4; k++)
		EXPECT_TRUE(owner.Free(runs[k]));

	Packing p = {};
	p.moved = zs_arena_compact(arena);
	struct zs_arena_stats st = arena.Stats();
	p.in_use = st.pages_in_use;
	p.regions = st.regions_mapped;
	p.minimum = (p.in_use + kRegionPages - 1) / kRegionPages;

	std::map<void *, unsigned> isolates;
	for (const RunOwner::Call &c : owner.Calls())
		if (c.kind == RunOwner::kIsolate) {
			EXPECT_EQ(++isolates[c.page], 1u) << "moved twice";
		}
	EXPECT_EQ(Join(owner.Errors()), "");
	EXPECT_EQ(Join(owner.Verify()), "");
	EXPECT_ERRNO(zs_arena_check(arena), 0);
	return p;
}

/* Runs of one length that divides 512 always pack into the minimum: every
 * gap is a whole number of runs long.  Eight regions' worth, 75% freed. */
TEST(ArenaRunsCompact, OneLengthPacksToTheMinimum)
{
	for (unsigned n : { 1u, 2u, 4u, 8u, 16u })
		for (unsigned seed = 1; seed <= 3; seed++) {
			Packing p = PackOnce({ n }, seed, 8 * kRegionPages);
			printf("runs of %2u, seed %u: %lu pages in use, %lu "
			       "regions after compaction, minimum %lu\n",
			       n, seed, p.in_use, p.regions, p.minimum);
			EXPECT_EQ(p.regions, p.minimum)
				<< "runs of " << n << ", seed " << seed;
			EXPECT_GT(p.moved, 0u);
		}
}

/* Mixed lengths (1, 2, 3, 4, 8 and 16 pages) may find no gap of their
 * length in the kept regions; the region of the first that does not then
 * takes the rest, so at most one region more than the minimum. */
TEST(ArenaRunsCompact, MixedLengthsPackWithinOneOfTheMinimum)
{
	const std::vector<unsigned> mixed = { 1, 2, 3, 4, 8, 16 };
	for (unsigned pages : { 8 * kRegionPages, 32 * kRegionPages })
		for (unsigned seed = 1; seed <= 5; seed++) {
			Packing p = PackOnce(mixed, seed, pages);
			printf("mixed, %u regions' worth, seed %u: %lu pages "
			       "in use, %lu regions after compaction, minimum "
			       "%lu\n",
			       pages / kRegionPages, seed, p.in_use, p.regions,
			       p.minimum);
			EXPECT_GE(p.regions, p.minimum);
			EXPECT_LE(p.regions, p.minimum + 1)
				<< pages << " pages, seed " << seed;
		}
}

/* ---- metadata: what a region of runs costs ------------------------- */

/* A region full of 8-page runs costs at most 4 bytes of arena metadata
 * per page (its map, bitmaps, header and 64 records); an arena of a few
 * regions and owners keeps its tables' entries in itself, no table page
 * resident; freeing every run gives the records back (a region that
 * empties frees its table).  Singles cost their record each. */
TEST(ArenaRunsMetadata, EightPageRunsCostUnderFourBytesAPage)
{
	zs::Arena arena;
	RunOwner owner(arena, true);
	size_t empty = arena.Stats().metadata_bytes;
	EXPECT_LE(empty, 1536u) << "the arena itself, no table page";
	std::vector<void *> runs = FillRegions(owner, 2);
	ASSERT_EQ(arena.Stats().regions_mapped, 2u);
	size_t full = arena.Stats().metadata_bytes;
	EXPECT_LE(full - empty, 2 * 4 * kRegionPages)
		<< "two regions of 8-page runs";
	printf("arena metadata: %zu B empty, %zu B with two regions of "
	       "8-page runs (%.2f B per page)\n",
	       empty, full, (double)(full - empty) / (2 * kRegionPages));
	for (void *run : runs)
		ASSERT_TRUE(owner.Free(run));
	size_t freed = arena.Stats().metadata_bytes;
	EXPECT_LT(freed, full);
	std::vector<void *> singles;
	for (unsigned k = 0; k < kRegionPages; k++) {
		singles.push_back(owner.Alloc(1, k, 1));
		ASSERT_NE(singles.back(), nullptr);
	}
	size_t one = arena.Stats().metadata_bytes - freed;
	EXPECT_EQ(one, kRegionPages * 12u)
		<< "a region of single pages: a 12-byte record each";
	for (void *p : singles)
		ASSERT_TRUE(owner.Free(p));
	EXPECT_EQ(arena.Stats().metadata_bytes, freed);
	EXPECT_ERRNO(zs_arena_check(arena), 0);
}

/* An arena keeps its first 64 regions' table entries in itself: the 65th
 * region maps the rest of the tables (one host call, before the region's
 * descriptor and its mmap).  Each of the three refused leaves the arena
 * as it was (the tables, once mapped, stay for the retry: the second and
 * third refusals are each the retry's second host call); once a region
 * is in them, they cost their two pages written (region slots, regions by
 * address) and nothing else. */
TEST(ArenaRunsMetadata, TablesSpillAtTheSixtyFifthRegion)
{
	const unsigned kInlineRegions = 64;
	size_t region_cost;
	{
		zs::Arena fresh;
		RunOwner owner(fresh, true);
		size_t empty = fresh.Stats().metadata_bytes;
		ASSERT_NE(owner.Alloc(8, 0, true), nullptr);
		region_cost = fresh.Stats().metadata_bytes - empty;
	}
	zs::Arena arena;
	RunOwner owner(arena, true);
	std::vector<void *> runs = FillRegions(owner, kInlineRegions);
	struct zs_arena_stats full = arena.Stats();
	ASSERT_EQ(full.regions_mapped, kInlineRegions);
	const unsigned refused[] = { 0, 1, 1 }; /* tables, descriptor, mmap */
	for (unsigned k : refused) {
		SCOPED_TRACE(::testing::Message() << "host call " << k);
		zs_inject_host_failures(k, 1);
		errno = 0;
		void *run = owner.Alloc(8, 1, true);
		int err = errno;
		zs_inject_host_failures(0, 0);
		EXPECT_EQ(run, nullptr);
		EXPECT_EQ(err, ENOMEM);
		struct zs_arena_stats st = arena.Stats();
		EXPECT_EQ(st.regions_mapped, kInlineRegions);
		EXPECT_EQ(st.pages_in_use, full.pages_in_use);
		EXPECT_EQ(st.metadata_bytes, full.metadata_bytes);
		EXPECT_ERRNO(zs_arena_check(arena), 0);
	}
	void *run = owner.Alloc(8, 1, true);
	ASSERT_NE(run, nullptr);
	runs.push_back(run);
	struct zs_arena_stats st = arena.Stats();
	EXPECT_EQ(st.regions_mapped, kInlineRegions + 1);
	EXPECT_EQ(st.metadata_bytes,
		  full.metadata_bytes + region_cost + 2 * ZS_PAGE_SIZE);
	EXPECT_ERRNO(zs_arena_check(arena), 0);
	for (void *r : runs)
		ASSERT_TRUE(owner.Free(r));
	EXPECT_ERRNO(zs_arena_check(arena), 0);
}

/* An arena of exactly its 64 inline regions, nothing spilled: every
 * inline address entry is a region's, in order, so a count one past them
 * would have the check read entry 64, which is not there.  The check
 * reports the count instead, with the table's capacity as mapped. */
TEST(ArenaRunsMetadata, CheckStopsAtTheInlineTables)
{
	const unsigned kInlineRegions = 64, n = kInlineRegions * kRegionPages;
	zs::Arena arena;
	RunOwner owner(arena, true);
	std::vector<void *> pages(n);
	/* single unmovable pages: nothing written to them, no pattern */
	ASSERT_ERRNO(zs_arena_alloc_pages(arena, owner.id(), n, pages.data(), 0,
					  0),
		     0);
	ASSERT_EQ(arena.Stats().regions_mapped, kInlineRegions);
	ASSERT_ERRNO(zs_arena_check(arena), 0);

	std::vector<zs::Report> got;
	void *old_arg = nullptr;
	zs_report_hook *old =
		zs_set_report_hook(&zs::RecordReport, &got, &old_arg);
	unsigned good = zsr_set_nregions(arena, kInlineRegions + 1);
	int ret = zs_arena_check(arena);
	zsr_set_nregions(arena, good);
	zs_set_report_hook(old, old_arg, nullptr);

	EXPECT_EQ(good, kInlineRegions);
	EXPECT_ERRNO(ret, -EUCLEAN);
	ASSERT_EQ(got.size(), 1u);
	EXPECT_STREQ(zs_finding_name(got[0].kind),
		     zs_finding_name(ZS_FINDING_ARENA_REGION_LIMITS));
	EXPECT_EQ(got[0].message,
		  "zs: zs_arena_check: 65 regions, slot limit 64, of at most "
		  "64; owner limit 1 of at most 8");
	EXPECT_ERRNO(zs_arena_check(arena), 0);
	zs_arena_free_pages(arena, pages.data(), n);
	EXPECT_ERRNO(zs_arena_check(arena), 0);
}

/* zs_arena_destroy of an arena whose counts are past its inline tables
 * (its owner gone, its region kept spare): the owner walk stops at the
 * owner table's end and the region walk at the first entry naming no
 * region, so it frees the region and itself (ASan would name a leak)
 * instead of reading entries that are not there. */
TEST(ArenaRunsMetadata, DestroyStopsAtTheInlineTables)
{
	zs_arena *arena = zs_arena_create();
	ASSERT_NE(arena, nullptr);
	{
		RunOwner owner(arena, true);
		void *run = owner.Alloc(8, 1, true);
		ASSERT_NE(run, nullptr);
		ASSERT_TRUE(owner.Free(run));
	}
	struct zs_arena_stats st = {};
	zs_arena_stats(arena, &st);
	ASSERT_EQ(st.regions_mapped, 1u);
	ASSERT_EQ(st.pages_in_use, 0u);
	EXPECT_EQ(zsr_set_nregions(arena, 65), 1u);
	EXPECT_EQ(zsr_set_owner_limit(arena, 9), 1u);
	EXPECT_ERRNO(zs_arena_destroy(arena), 0);
}

/* A run is isolated as one: every page of it reports so at once, and
 * with no compaction running the run's head is the finding. */
TEST(ArenaRunsMetadata, IsolatedIsOneMarkPerRun)
{
	zs::Arena arena;
	RunOwner owner(arena, true);
	void *run = owner.Alloc(4, 5, 1);
	ASSERT_NE(run, nullptr);
	zsr_page h = {};
	zsr_rec rec = {};
	ASSERT_ERRNO(zsr_get(arena, run, &h), 0);
	ASSERT_ERRNO(zsr_get_rec(arena, run, h.map - 1, &rec), 0);
	zsr_rec iso = rec;
	iso.flags |= ZSR_ISOLATED;
	ASSERT_ERRNO(zsr_set_rec(arena, run, h.map - 1, &iso), 0);
	for (unsigned k = 0; k < 4; k++) {
		struct zs_arena_page_info info = {};
		ASSERT_ERRNO(zs_arena_page_info(arena, Page(run, k), &info), 0);
		EXPECT_EQ(info.isolated, 1);
	}
	std::vector<zs::Report> got;
	void *old_arg = nullptr;
	zs_report_hook *old =
		zs_set_report_hook(&zs::RecordReport, &got, &old_arg);
	int ret = zs_arena_check(arena);
	zs_set_report_hook(old, old_arg, nullptr);
	ASSERT_ERRNO(zsr_set_rec(arena, run, h.map - 1, &rec), 0);
	EXPECT_ERRNO(ret, -EUCLEAN);
	ASSERT_EQ(got.size(), 1u);
	EXPECT_STREQ(zs_finding_name(got[0].kind),
		     zs_finding_name(ZS_FINDING_ARENA_PAGE_ISOLATED));
	EXPECT_ERRNO(zs_arena_check(arena), 0);
}

/* ---- zs_arena_check's run and record findings ------------------------ */

using zs::Report;

/*
 * An arena holding runs of 4 pages: a movable one at the start of the
 * region (record 0), an unmovable one after it (record 1), then a free
 * page.  Each test writes one map entry, record or count, requires
 * zs_arena_check to return -EUCLEAN with exactly one report of the kind
 * and words given, then restores what it wrote and requires a clean
 * check.
 */
class RunFinding : public ::testing::Test {
protected:
	void SetUp() override
	{
		ASSERT_GE(owner_.id(), 0);
		a_ = owner_.Alloc(4, 21, 1);
		b_ = owner_.Alloc(4, 22, 0);
		ASSERT_NE(a_, nullptr);
		ASSERT_EQ(b_, Page(a_, 4));
		free_ = Page(a_, 8);
		ASSERT_EQ(Get(a_).map, 1u);
		ASSERT_EQ(Get(b_).map, 2u);
		slot_ = Get(a_).slot;
		ASSERT_EQ(Get(a_).page, 0u);
		ASSERT_ERRNO(zs_arena_check(arena_), 0);
	}
	void TearDown() override
	{
		EXPECT_ERRNO(zs_arena_check(arena_), 0);
	}

	zsr_page Get(void *page)
	{
		zsr_page d = {};
		EXPECT_ERRNO(zsr_get(arena_, page, &d), 0);
		return d;
	}
	zsr_rec Rec(unsigned n)
	{
		zsr_rec r = {};
		EXPECT_ERRNO(zsr_get_rec(arena_, a_, n, &r), 0);
		return r;
	}
	zsr_table Table()
	{
		zsr_table t = {};
		EXPECT_ERRNO(zsr_get_table(arena_, a_, &t), 0);
		return t;
	}

	/* plant() writes, undo() restores; the check between them must
	 * report exactly `want`, with `words`. */
	void Expect(const std::function<void()> &plant,
		    const std::function<void()> &undo, zs_finding want,
		    const std::string &words, bool compacting = false)
	{
		std::vector<Report> got;
		void *old_arg = nullptr;
		zs_report_hook *old =
			zs_set_report_hook(&zs::RecordReport, &got, &old_arg);

		plant();
		if (compacting)
			zsr_set_compacting(arena_, 1);
		int ret = zs_arena_check(arena_);
		if (compacting)
			zsr_set_compacting(arena_, 0);
		undo();
		zs_set_report_hook(old, old_arg, nullptr);

		EXPECT_ERRNO(ret, -EUCLEAN);
		ASSERT_EQ(got.size(), 1u) << words;
		EXPECT_STREQ(zs_finding_name(got[0].kind),
			     zs_finding_name(want));
		EXPECT_EQ(got[0].message, "zs: zs_arena_check: " + words);
		EXPECT_ERRNO(zs_arena_check(arena_), 0);
	}

	void PlantPage(void *page, const zsr_page &bad, zs_finding want,
		       const std::string &words, bool compacting = false)
	{
		zsr_page good = Get(page);
		Expect([&] { ASSERT_ERRNO(zsr_set(arena_, page, &bad), 0); },
		       [&] { ASSERT_ERRNO(zsr_set(arena_, page, &good), 0); },
		       want, words, compacting);
	}

	void PlantRec(unsigned n, const zsr_rec &bad, zs_finding want,
		      const std::string &words)
	{
		zsr_rec good = Rec(n);
		Expect(
			[&] {
				ASSERT_ERRNO(zsr_set_rec(arena_, a_, n, &bad),
					     0);
			},
			[&] {
				ASSERT_ERRNO(zsr_set_rec(arena_, a_, n, &good),
					     0);
			},
			want, words);
	}

	void PlantTable(const zsr_table &bad, zs_finding want,
			const std::string &words)
	{
		zsr_table good = Table();
		Expect([&] { ASSERT_ERRNO(zsr_set_table(arena_, a_, &bad), 0); },
		       [&] {
			       ASSERT_ERRNO(zsr_set_table(arena_, a_, &good),
					    0);
		       },
		       want, words);
	}

	/* A third run, of one page at free_, freed again: its record (2)
	 * on the free list. */
	void FreeOneRecord()
	{
		void *c = owner_.Alloc(1, 23, 1);
		ASSERT_EQ(c, free_);
		ASSERT_TRUE(owner_.Free(c));
		zsr_table t = Table();
		ASSERT_EQ(t.top, 3u);
		ASSERT_EQ(t.free_head, 3u);
	}

	std::string Words(const char *fmt, ...)
		__attribute__((format(printf, 2, 3)))
	{
		char buf[512];
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(buf, sizeof(buf), fmt, ap);
		va_end(ap);
		return buf;
	}

	zs::Arena arena_;
	RunOwner owner_{ arena_, true };
	void *a_ = nullptr, *b_ = nullptr, *free_ = nullptr;
	unsigned slot_ = 0;
};

/* A free page left with a tail's mark, or naming a record. */
TEST_F(RunFinding, FreePageMarked)
{
	zsr_page d = Get(free_);
	ASSERT_TRUE(d.free_page);
	d.map = ZSR_TAIL | 2;
	PlantPage(free_, d, ZS_FINDING_ARENA_RUN_FREE_MARKED,
		  Words("region %u page 8 is free but marked as page 2 of a "
			"run",
			slot_));
	d.map = 2;
	PlantPage(free_, d, ZS_FINDING_ARENA_FREE_PAGE_OWNED,
		  Words("region %u page 8 is free but names record 1", slot_));
}

/* A run's length 0, past the longest run, or reaching past the region. */
TEST_F(RunFinding, Length)
{
	zsr_rec r = Rec(1);
	for (unsigned bad : { 0u, (unsigned)ZS_ARENA_MAX_RUN + 1 }) {
		r.pages = bad;
		PlantRec(1, r, ZS_FINDING_ARENA_RUN_LENGTH,
			 Words("region %u page 4 heads a run of %u pages (want "
			       "1 .. %u, inside the region)",
			       slot_, bad, ZS_ARENA_MAX_RUN));
	}
	/* the region's last page, a free one, made a 2-page run's head
	 * with record 2, never handed out until now */
	void *last = Page(a_, kRegionPages - 1);
	zsr_page e = Get(last), e_good = e;
	ASSERT_TRUE(e.free_page);
	e.free_page = 0;
	e.map = 3;
	zsr_table t = Table(), t_good = t;
	t.top = 3;
	t.used = 3;
	zsr_rec rec = {};
	rec.owner = (unsigned)owner_.id() + 1;
	rec.pages = 2;
	zsr_rec zero = {};
	Expect(
		[&] {
			ASSERT_ERRNO(zsr_set(arena_, last, &e), 0);
			ASSERT_ERRNO(zsr_set_table(arena_, a_, &t), 0);
			ASSERT_ERRNO(zsr_set_rec(arena_, a_, 2, &rec), 0);
		},
		[&] {
			ASSERT_ERRNO(zsr_set_rec(arena_, a_, 2, &zero), 0);
			ASSERT_ERRNO(zsr_set_table(arena_, a_, &t_good), 0);
			ASSERT_ERRNO(zsr_set(arena_, last, &e_good), 0);
		},
		ZS_FINDING_ARENA_RUN_LENGTH,
		Words("region %u page %u heads a run of 2 pages (want 1 .. %u, "
		      "inside the region)",
		      slot_, kRegionPages - 1, ZS_ARENA_MAX_RUN));
}

/* A page inside a run freed on its own, or made a head of its own. */
TEST_F(RunFinding, TailMissing)
{
	zsr_page d = Get(Page(a_, 2));
	zsr_page freed = d;
	freed.free_page = 1;
	PlantPage(Page(a_, 2), freed, ZS_FINDING_ARENA_RUN_TAIL_MISSING,
		  Words("region %u page 0 heads a 4-page run whose page 2 is "
			"free",
			slot_));
	d.map &= ~ZSR_TAIL;
	PlantPage(Page(a_, 2), d, ZS_FINDING_ARENA_RUN_TAIL_MISSING,
		  Words("region %u page 0 heads a 4-page run whose page 2 is "
			"not marked as its tail",
			slot_));
}

/* A tail's place overwritten, or a longer run's head index. */
TEST_F(RunFinding, PageIndex)
{
	zsr_page d = Get(Page(a_, 3));
	d.map = ZSR_TAIL | 1;
	PlantPage(Page(a_, 3), d, ZS_FINDING_ARENA_RUN_PAGE_INDEX,
		  Words("region %u page 3 is page 3 of its run, marked as page "
			"1 with index 1",
			slot_));
	zsr_rec r = Rec(1);
	r.index = 2;
	PlantRec(
		1, r, ZS_FINDING_ARENA_RUN_PAGE_INDEX,
		Words("region %u page 4 is page 0 of its run, marked as page 0 "
		      "with index 2",
		      slot_));
}

/* Tails no head covers: the run shortened, its head freed, or the head
 * marked a tail itself. */
TEST_F(RunFinding, OrphanTail)
{
	zsr_rec r = Rec(1);
	r.pages = 2;
	PlantRec(1, r, ZS_FINDING_ARENA_RUN_ORPHAN_TAIL,
		 Words("region %u page 6 is marked page 2 of a run that no "
		       "head covers",
		       slot_));
	zsr_page freed = {};
	freed.free_page = 1;
	PlantPage(b_, freed, ZS_FINDING_ARENA_RUN_ORPHAN_TAIL,
		  Words("region %u page 5 is marked page 1 of a run that no "
			"head covers",
			slot_));
	zsr_page tail = Get(b_);
	tail.map |= ZSR_TAIL;
	PlantPage(b_, tail, ZS_FINDING_ARENA_RUN_ORPHAN_TAIL,
		  Words("region %u page 4 is marked page 2 of a run that no "
			"head covers",
			slot_));
}

/* A head naming no record, or one never handed out. */
TEST_F(RunFinding, RecordRange)
{
	zsr_page d = Get(a_);
	d.map = 0;
	PlantPage(a_, d, ZS_FINDING_ARENA_RUN_RECORD_RANGE,
		  Words("region %u page 0 heads a run naming record -1, of 2 "
			"handed out",
			slot_));
	d.map = 3;
	PlantPage(a_, d, ZS_FINDING_ARENA_RUN_RECORD_RANGE,
		  Words("region %u page 0 heads a run naming record 2, of 2 "
			"handed out",
			slot_));
}

/* A head naming another head's record, or a freed one. */
TEST_F(RunFinding, RecordShared)
{
	zsr_page d = Get(b_);
	d.map = 1;
	PlantPage(b_, d, ZS_FINDING_ARENA_RUN_RECORD_SHARED,
		  Words("region %u page 4 names record 0, which page 0 already "
			"holds",
			slot_));
	FreeOneRecord();
	zsr_page h = Get(a_);
	h.map = 3;
	PlantPage(a_, h, ZS_FINDING_ARENA_RUN_RECORD_SHARED,
		  Words("region %u page 0 names record 2, which the free list "
			"already holds",
			slot_));
}

/* The table's counts past what is allocated, or a record never handed
 * out written. */
TEST_F(RunFinding, RecordTable)
{
	zsr_table t = Table();
	ASSERT_EQ(t.cap, 4u);
	t.cap = 1024;
	PlantTable(
		t, ZS_FINDING_ARENA_RECORD_TABLE,
		Words("region %u has 2 of 1024 records handed out (want 4 .. "
		      "512 allocated, at most all handed out); first nonzero "
		      "record past them -1",
		      slot_));
	t = Table();
	t.top = 5;
	PlantTable(
		t, ZS_FINDING_ARENA_RECORD_TABLE,
		Words("region %u has 5 of 4 records handed out (want 4 .. "
		      "512 allocated, at most all handed out); first nonzero "
		      "record past them -1",
		      slot_));
	zsr_rec r = Rec(3);
	r.cookie = 9;
	PlantRec(
		3, r, ZS_FINDING_ARENA_RECORD_TABLE,
		Words("region %u has 2 of 4 records handed out (want 4 .. 512 "
		      "allocated, at most all handed out); first nonzero record "
		      "past them 3",
		      slot_));
}

/* The free list's head past the records handed out, a loop, or a record
 * on it not cleared. */
TEST_F(RunFinding, RecordFreeList)
{
	FreeOneRecord();
	zsr_table t = Table();
	t.free_head = 9;
	PlantTable(t, ZS_FINDING_ARENA_RECORD_FREE_LIST,
		   Words("region %u free record list reaches record 8 never "
			 "handed out",
			 slot_));
	zsr_rec r = Rec(2);
	ASSERT_EQ(r.owner, 0u);
	r.index = 3;
	PlantRec(2, r, ZS_FINDING_ARENA_RECORD_FREE_LIST,
		 Words("region %u free record list reaches record 2 twice (a "
		       "loop)",
		       slot_));
	r = Rec(2);
	r.owner = 1;
	PlantRec(2, r, ZS_FINDING_ARENA_RECORD_FREE_LIST,
		 Words("region %u free record list reaches record 2 not "
		       "cleared",
		       slot_));
}

/* The count of records in use wrong, or a record leaked (neither a run's
 * nor free). */
TEST_F(RunFinding, RecordCount)
{
	zsr_table t = Table();
	t.used = 3;
	PlantTable(t, ZS_FINDING_ARENA_RECORD_COUNT,
		   Words("region %u has 2 runs and 0 free records of 2 handed "
			 "out; 3 counted in use",
			 slot_));
	t = Table();
	t.top = 3;
	PlantTable(t, ZS_FINDING_ARENA_RECORD_COUNT,
		   Words("region %u has 2 runs and 0 free records of 3 handed "
			 "out; 2 counted in use",
			 slot_));
}

/* An owner registered past the owner limit (the limit lowered under it),
 * or the limit past the owner table. */
TEST_F(RunFinding, OwnerLimit)
{
	int id = owner_.id();
	unsigned good = zsr_set_owner_limit(arena_, 0);
	zsr_set_owner_limit(arena_, good);
	ASSERT_EQ(good, (unsigned)id + 1);
	Expect([&] { zsr_set_owner_limit(arena_, (unsigned)id); },
	       [&] { zsr_set_owner_limit(arena_, good); },
	       ZS_FINDING_ARENA_OWNER_BEYOND_LIMIT,
	       Words("owner %d is registered past the owner limit %d", id, id));
	/* nothing spilled: the tables as mapped are the inline entries */
	Expect([&] { zsr_set_owner_limit(arena_, 1025); },
	       [&] { zsr_set_owner_limit(arena_, good); },
	       ZS_FINDING_ARENA_REGION_LIMITS,
	       "1 regions, slot limit 1, of at most 64; owner limit 1025 "
	       "of at most 8");
}

/* The arena's counts past its tables as mapped but not past the limits:
 * while nothing is spilled only the inline entries exist (64 regions, 8
 * owners), and the check walks the address table up to nregions.  Each
 * count one past them, and the address count far past them, is reported
 * before any table is read up to it. */
TEST_F(RunFinding, CountsPastTheInlineTables)
{
	const unsigned owners = (unsigned)owner_.id() + 1;
	const unsigned nregions = zsr_set_nregions(arena_, 0);
	const unsigned slots = zsr_set_slot_limit(arena_, 0);
	zsr_set_nregions(arena_, nregions);
	zsr_set_slot_limit(arena_, slots);
	ASSERT_EQ(nregions, 1u);
	ASSERT_EQ(slots, 1u);
	for (unsigned bad : { 65u, 4096u }) {
		Expect([&] { zsr_set_nregions(arena_, bad); },
		       [&] { zsr_set_nregions(arena_, nregions); },
		       ZS_FINDING_ARENA_REGION_LIMITS,
		       Words("%u regions, slot limit 1, of at most 64; owner "
			     "limit %u of at most 8",
			     bad, owners));
	}
	Expect([&] { zsr_set_slot_limit(arena_, 65); },
	       [&] { zsr_set_slot_limit(arena_, slots); },
	       ZS_FINDING_ARENA_REGION_LIMITS,
	       Words("1 regions, slot limit 65, of at most 64; owner limit %u "
		     "of at most 8",
		     owners));
	Expect([&] { zsr_set_owner_limit(arena_, 9); },
	       [&] { zsr_set_owner_limit(arena_, owners); },
	       ZS_FINDING_ARENA_REGION_LIMITS,
	       "1 regions, slot limit 1, of at most 64; owner limit 9 of at "
	       "most 8");
}

/* Once the owner table has spilled (a ninth owner), the tables as mapped
 * reach the limits, and only counts past those are the finding. */
TEST_F(RunFinding, CountsPastTheSpilledTables)
{
	std::vector<std::unique_ptr<RunOwner>> more;
	for (unsigned k = 0; k < 8; k++) {
		more.push_back(std::make_unique<RunOwner>(arena_, true));
		ASSERT_GE(more.back()->id(), 0);
	}
	const unsigned owners = zsr_set_owner_limit(arena_, 0);
	zsr_set_owner_limit(arena_, owners);
	ASSERT_EQ(owners, 9u);
	Expect([&] { zsr_set_nregions(arena_, 8193); },
	       [&] { zsr_set_nregions(arena_, 1); },
	       ZS_FINDING_ARENA_REGION_LIMITS,
	       "8193 regions, slot limit 1, of at most 8192; owner limit 9 of "
	       "at most 1024");
	Expect([&] { zsr_set_owner_limit(arena_, 1025); },
	       [&] { zsr_set_owner_limit(arena_, owners); },
	       ZS_FINDING_ARENA_REGION_LIMITS,
	       "1 regions, slot limit 1, of at most 8192; owner limit 1025 of "
	       "at most 1024");
}

/* The rest of the arena with the same counts past the inline tables:
 * every walk bounded by one stops where the entries stop, every lookup
 * past them finds nothing, and nothing is reported (no abort) nor
 * faults.  The region here is slot 0, so the stale inline address
 * entries past the first all name it: the walks go over it again and
 * stop at entry 64, the first that is not there. */
TEST_F(RunFinding, OtherPathsStopAtTheInlineTables)
{
	const unsigned owners = zsr_set_owner_limit(arena_, 0);
	zsr_set_owner_limit(arena_, owners);
	ASSERT_EQ(slot_, 0u);
	/* the rest of the region, so a page more needs a region more */
	const unsigned rest = kRegionPages - 8;
	std::vector<void *> pages(rest);
	ASSERT_ERRNO(zs_arena_alloc_pages(arena_, owner_.id(), rest,
					  pages.data(), 0, 0),
		     0);
	std::vector<Report> got;
	void *old_arg = nullptr;
	zs_report_hook *old =
		zs_set_report_hook(&zs::RecordReport, &got, &old_arg);

	zsr_set_nregions(arena_, 65);
	zsr_set_owner_limit(arena_, 9);
	struct zs_arena_stats st = arena_.Stats();
	struct zs_arena_page_info info = {};
	int found = zs_arena_page_info(arena_, b_, &info);
	/* past the region: the search runs up the table to its end */
	int past = zs_arena_page_info(arena_, Page(a_, kRegionPages), &info);
	errno = 0;
	void *unowned = zs_arena_alloc_page(arena_, 8);
	int unowned_err = errno;
	errno = 0;
	void *more = zs_arena_alloc_page(arena_, owner_.id());
	int more_err = errno;
	unsigned long owned = 1;
	unsigned moving = 1;
	int owner_pages = zs_arena_owner_pages(arena_, 8, &owned, &moving);
	zs_arena_unregister_owner(arena_, 8);
	unsigned long compacted = zs_arena_compact(arena_);
	zs_arena_trim(arena_);
	zs_arena_free_pages(arena_, pages.data(), rest);
	zsr_set_owner_limit(arena_, owners);
	zsr_set_nregions(arena_, 1);
	zs_set_report_hook(old, old_arg, nullptr);

	EXPECT_EQ(Join([&] {
			  std::vector<std::string> v;
			  for (const Report &r : got)
				  v.push_back(r.message);
			  return v;
		  }()),
		  "");
	EXPECT_EQ(st.regions_mapped, 65u);
	EXPECT_EQ(st.pages_in_use, (unsigned long)kRegionPages);
	EXPECT_ERRNO(found, 0);
	EXPECT_EQ(info.owner_id, owner_.id());
	EXPECT_EQ(info.run, b_);
	EXPECT_ERRNO(past, -ENOENT);
	EXPECT_EQ(unowned, nullptr);
	EXPECT_EQ(unowned_err, EINVAL);
	/* the region full, and no region added on the count's word */
	EXPECT_EQ(more, nullptr);
	EXPECT_EQ(more_err, ENOMEM);
	EXPECT_ERRNO(owner_pages, 0);
	EXPECT_EQ(owned, 0u);
	EXPECT_EQ(moving, 0u);
	EXPECT_EQ(compacted, 0u);
	struct zs_arena_stats after = arena_.Stats();
	EXPECT_EQ(after.regions_mapped, 1u);
	EXPECT_EQ(after.pages_in_use, 8u);
}

/* A move's run isolated but not counted as moving, or counted with
 * nothing isolated: zs_arena_owner_pages would then mislead its owner's
 * page check.  Isolated and counted agree, as in a real move. */
TEST_F(RunFinding, OwnerMovingPages)
{
	int id = owner_.id();
	std::vector<Report> got;
	void *old_arg = nullptr;
	zs_report_hook *old =
		zs_set_report_hook(&zs::RecordReport, &got, &old_arg);

	zsr_set_compacting(arena_, 1);
	zsr_rec good = Rec(0), iso = good;
	iso.flags |= ZSR_ISOLATED;
	ASSERT_ERRNO(zsr_set_rec(arena_, a_, 0, &iso), 0);
	int uncounted = zs_arena_check(arena_);
	EXPECT_EQ(zsr_set_owner_moving(arena_, id, 4), 0u);
	int counted = zs_arena_check(arena_);
	ASSERT_ERRNO(zsr_set_rec(arena_, a_, 0, &good), 0);
	int nothing_isolated = zs_arena_check(arena_);
	EXPECT_EQ(zsr_set_owner_moving(arena_, id, 0), 4u);
	zsr_set_compacting(arena_, 0);
	zs_set_report_hook(old, old_arg, nullptr);

	EXPECT_ERRNO(uncounted, -EUCLEAN);
	EXPECT_ERRNO(counted, 0);
	EXPECT_ERRNO(nothing_isolated, -EUCLEAN);
	ASSERT_EQ(got.size(), 2u);
	for (const Report &r : got)
		EXPECT_STREQ(
			zs_finding_name(r.kind),
			zs_finding_name(ZS_FINDING_ARENA_OWNER_MOVING_PAGES));
	EXPECT_EQ(got[0].message,
		  Words("zs: zs_arena_check: owner %d has 4 pages in isolated "
			"runs, counted 0 moving",
			id));
	EXPECT_EQ(got[1].message,
		  Words("zs: zs_arena_check: owner %d has 0 pages in isolated "
			"runs, counted 4 moving",
			id));
}

} /* namespace */
