// SPDX-License-Identifier: MIT
/*
 * gtest/zs_gaps_test.cc - the free-space index (zs/gaps.h) on its own.
 *
 * The index is the allocator's answer to "where does an object of n units
 * fit", so it is held here to a model: a plain multiset of gaps.  Every
 * size maps to a list whose range holds it; a search returns a gap that
 * fits, from the lowest list that guarantees a fit, and finds nothing only
 * when no gap of that list's size or more exists; and zs_gaps_check stays
 * clean through tens of thousands of random inserts and removes.
 * zs_gaps_find_fit is held to the same model with each list's order of
 * insertion: the newest gap of the request's own list when it fits, else
 * zs_gaps_find's answer, and nothing only when neither fits.  Then each
 * of the check's findings is planted on a small index, with its exact
 * words.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "gtest/zs_shim.h"
#include "zs/gaps.h"
#include "zs/report.h"

namespace
{

/* Gaps as the owner would keep them, the links in the gap: here a table
 * indexed by the reference. */
struct Store {
	struct Node {
		unsigned units = 0; /* 0: not a gap */
		zs_gap_links links = { ZS_GAP_NONE, ZS_GAP_NONE };
	};
	std::vector<Node> nodes;

	static zs_gap_links *Links(void *ctx, uint32_t ref)
	{
		return &static_cast<Store *>(ctx)->nodes.at(ref).links;
	}
	static unsigned Units(void *ctx, uint32_t ref)
	{
		Store *s = static_cast<Store *>(ctx);
		return ref < s->nodes.size() ? s->nodes[ref].units : 0;
	}
};

using zs::Report;

/* zs_gaps_check with the reports it made. */
int Check(const zs_gaps &g, std::vector<Report> *got)
{
	void *old_arg = nullptr;
	zs_report_hook *old =
		zs_set_report_hook(&zs::RecordReport, got, &old_arg);
	int ret = zs_gaps_check(&g, "gaps", &Store::Units);
	zs_set_report_hook(old, old_arg, nullptr);
	return ret;
}

/* The smallest size a search for units only takes gaps of. */
unsigned SearchFloor(unsigned units)
{
	unsigned lo, hi;
	zs_gaps_list_range(zs_gaps_list_of(units), &lo, &hi);
	return lo == units ? units : hi + 1;
}

TEST(Gaps, EverySizeIsInTheRangeOfItsList)
{
	unsigned prev_list = 0, prev_hi = 0;
	for (unsigned u = 1; u <= ZS_GAP_MAX_UNITS; u++) {
		unsigned list = zs_gaps_list_of(u), lo, hi;
		ASSERT_LT(list, ZS_GAP_LISTS) << u;
		zs_gaps_list_range(list, &lo, &hi);
		ASSERT_LE(lo, u);
		ASSERT_GE(hi, u);
		if (list != prev_list) {
			/* lists in size order, each range starting where
			 * the previous one ended */
			ASSERT_GT(list, prev_list) << u;
			ASSERT_EQ(lo, prev_hi + 1) << u;
		}
		prev_list = list;
		prev_hi = hi;
	}
	/* a list is at most 1/16 of its sizes wide: the good fit's waste */
	for (unsigned list = ZS_GAP_SL; list < ZS_GAP_LISTS; list++) {
		unsigned lo, hi;
		zs_gaps_list_range(list, &lo, &hi);
		EXPECT_LE((hi - lo + 1) * ZS_GAP_SL, lo) << list;
	}
}

TEST(Gaps, EmptyIndexFindsNothing)
{
	Store s;
	zs_gaps g;
	zs_gaps_init(&g, &Store::Links, &s);
	for (unsigned u = 1; u <= ZS_GAP_MAX_UNITS; u++)
		ASSERT_EQ(zs_gaps_find(&g, u), ZS_GAP_NONE) << u;
	std::vector<Report> got;
	EXPECT_ERRNO(Check(g, &got), 0);
	EXPECT_TRUE(got.empty());
}

/* One gap of each size alone: found by every request it is sure to fit,
 * and by none it might not. */
TEST(Gaps, OneGapIsFoundExactlyWhenItSurelyFits)
{
	Store s;
	s.nodes.resize(1);
	zs_gaps g;
	zs_gaps_init(&g, &Store::Links, &s);
	for (unsigned size = 2; size <= ZS_GAP_MAX_UNITS;
	     size += 1 + size / 64) {
		s.nodes[0].units = size;
		zs_gaps_insert(&g, 0, size);
		for (unsigned u = 1; u <= ZS_GAP_MAX_UNITS; u += 1 + u / 32) {
			uint32_t got = zs_gaps_find(&g, u);
			if (SearchFloor(u) <= size) {
				ASSERT_EQ(got, 0u) << size << " " << u;
			} else {
				ASSERT_EQ(got, ZS_GAP_NONE) << size << " " << u;
			}
		}
		zs_gaps_remove(&g, 0, size);
		s.nodes[0].units = 0;
	}
}

/* Random inserts, removes and searches against a multiset. */
TEST(Gaps, RandomOperationsAgreeWithAModel)
{
	for (unsigned seed = 1; seed <= 4; seed++) {
		std::mt19937 rng(seed);
		Store s;
		s.nodes.resize(4096);
		zs_gaps g;
		zs_gaps_init(&g, &Store::Links, &s);
		std::multimap<unsigned, uint32_t> by_size;
		std::vector<uint32_t> free_refs, used;
		for (uint32_t r = 0; r < s.nodes.size(); r++)
			free_refs.push_back(r);
		uint64_t units = 0;
		/* sizes as a zspage's gaps: mostly small, some large */
		auto size = [&rng]() {
			unsigned top = 1u << (2 + rng() % 12);
			unsigned u = 2 + rng() % top;
			return u > ZS_GAP_MAX_UNITS ? ZS_GAP_MAX_UNITS : u;
		};
		for (unsigned op = 0; op < 40000; op++) {
			unsigned what = rng() % 8;
			if (what < 3 && !free_refs.empty()) {
				size_t i = rng() % free_refs.size();
				uint32_t ref = free_refs[i];
				free_refs[i] = free_refs.back();
				free_refs.pop_back();
				unsigned u = size();
				s.nodes[ref].units = u;
				zs_gaps_insert(&g, ref, u);
				by_size.emplace(u, ref);
				used.push_back(ref);
				units += u;
			} else if (what < 5 && !used.empty()) {
				size_t i = rng() % used.size();
				uint32_t ref = used[i];
				used[i] = used.back();
				used.pop_back();
				unsigned u = s.nodes[ref].units;
				zs_gaps_remove(&g, ref, u);
				auto range = by_size.equal_range(u);
				for (auto it = range.first; it != range.second;
				     ++it) {
					if (it->second == ref) {
						by_size.erase(it);
						break;
					}
				}
				s.nodes[ref].units = 0;
				free_refs.push_back(ref);
				units -= u;
			} else {
				unsigned u = 1 + rng() % ZS_GAP_MAX_UNITS;
				if (rng() & 1)
					u = 1 + rng() % 64;
				uint32_t ref = zs_gaps_find(&g, u);
				auto first =
					by_size.lower_bound(SearchFloor(u));
				if (first == by_size.end()) {
					ASSERT_EQ(ref, ZS_GAP_NONE)
						<< "seed " << seed << " op "
						<< op;
				} else {
					ASSERT_NE(ref, ZS_GAP_NONE)
						<< "seed " << seed << " op "
						<< op;
					unsigned got = s.nodes.at(ref).units;
					ASSERT_GE(got, u);
					/* from the lowest list that has a gap
					 * sure to fit */
					EXPECT_EQ(
						zs_gaps_list_of(got),
						zs_gaps_list_of(first->first));
				}
			}
			ASSERT_EQ(g.gaps, by_size.size());
			ASSERT_EQ(g.units, units);
			if (op % 97 == 0) {
				std::vector<Report> got;
				ASSERT_ERRNO(Check(g, &got), 0)
					<< (got.empty() ? "" : got[0].message);
			}
		}
		std::vector<Report> got;
		EXPECT_ERRNO(Check(g, &got), 0);
		while (!used.empty()) {
			uint32_t ref = used.back();
			used.pop_back();
			zs_gaps_remove(&g, ref, s.nodes[ref].units);
		}
		EXPECT_EQ(g.gaps, 0u);
		EXPECT_EQ(g.units, 0u);
		EXPECT_EQ(g.row_map, 0u);
		EXPECT_ERRNO(Check(g, &got), 0);
		EXPECT_TRUE(got.empty());
	}
}

/* One gap of each size alone, as zs_gaps_find_fit sees it: found by every
 * request it fits when it shares the request's list (it is that list's
 * head), else exactly when zs_gaps_find finds it; never by a request it
 * does not fit. */
TEST(Gaps, FindFitTakesALoneGapWheneverItFits)
{
	Store s;
	s.nodes.resize(1);
	zs_gaps g;
	zs_gaps_init(&g, &Store::Links, &s);
	unsigned exact_only = 0;
	for (unsigned size = 2; size <= ZS_GAP_MAX_UNITS;
	     size += 1 + size / 128) {
		s.nodes[0].units = size;
		zs_gaps_insert(&g, 0, size);
		for (unsigned u = 1; u <= ZS_GAP_MAX_UNITS; u += 1 + u / 64) {
			uint32_t got = zs_gaps_find_fit(&g, u, &Store::Units);
			bool same_list = zs_gaps_list_of(u) ==
					 zs_gaps_list_of(size);
			if (size >= u &&
			    (same_list || SearchFloor(u) <= size)) {
				ASSERT_EQ(got, 0u) << size << " " << u;
				exact_only += SearchFloor(u) > size;
			} else {
				ASSERT_EQ(got, ZS_GAP_NONE) << size << " " << u;
			}
		}
		zs_gaps_remove(&g, 0, size);
		s.nodes[0].units = 0;
	}
	/* requests the rounded-up search alone would have refused */
	EXPECT_GT(exact_only, 100u);
}

/* Only the head of the exact list is probed: a gap that fits further down
 * that list is left to zs_gaps_find, which rounds the request past it. */
TEST(Gaps, FindFitProbesOnlyTheHeadOfTheExactList)
{
	Store s;
	s.nodes.resize(4);
	zs_gaps g;
	zs_gaps_init(&g, &Store::Links, &s);
	ASSERT_EQ(zs_gaps_list_of(32), zs_gaps_list_of(33));
	s.nodes[1].units = 33;
	zs_gaps_insert(&g, 1, 33);
	s.nodes[2].units = 32;
	zs_gaps_insert(&g, 2, 32); /* the head now */
	EXPECT_EQ(zs_gaps_find_fit(&g, 32, &Store::Units), 2u);
	EXPECT_EQ(zs_gaps_find_fit(&g, 33, &Store::Units), ZS_GAP_NONE);
	EXPECT_EQ(zs_gaps_find(&g, 33), ZS_GAP_NONE);
	/* a gap past the rounded-up floor serves the 33 */
	s.nodes[3].units = 40;
	zs_gaps_insert(&g, 3, 40);
	EXPECT_EQ(zs_gaps_find_fit(&g, 33, &Store::Units), 3u);
	/* and with the 33 at the head, the head serves */
	zs_gaps_remove(&g, 1, 33);
	zs_gaps_insert(&g, 1, 33);
	EXPECT_EQ(zs_gaps_find_fit(&g, 33, &Store::Units), 1u);
	EXPECT_EQ(zs_gaps_find_fit(&g, 32, &Store::Units), 1u);
	EXPECT_EQ(zs_gaps_find(&g, 33), 3u);
	std::vector<Report> got;
	EXPECT_ERRNO(Check(g, &got), 0);
}

/*
 * Random inserts and removes with zs_gaps_find_fit against the multiset
 * and, per list, the order of insertion (the newest is the head): the
 * answer fits; it is the exact list's newest gap when that one fits, else
 * zs_gaps_find's answer; and ZS_GAP_NONE only when no gap reaches the
 * rounded-up floor and the newest of the exact list is too small.
 */
TEST(Gaps, FindFitAgreesWithAModel)
{
	for (unsigned seed = 1; seed <= 4; seed++) {
		std::mt19937 rng(seed);
		Store s;
		s.nodes.resize(2048);
		zs_gaps g;
		zs_gaps_init(&g, &Store::Links, &s);
		std::multiset<unsigned> sizes;
		std::vector<std::vector<uint32_t>> lists(ZS_GAP_LISTS);
		std::vector<uint32_t> free_refs, used;
		for (uint32_t r = 0; r < s.nodes.size(); r++)
			free_refs.push_back(r);
		/* sizes that crowd a few lists, so heads vary */
		auto size = [&rng]() {
			unsigned top = 1u << (2 + rng() % 9);
			return 2 + rng() % top;
		};
		unsigned heads = 0, fallbacks = 0, nones = 0;
		for (unsigned op = 0; op < 40000; op++) {
			unsigned what = rng() % 8;
			if (what < 3 && !free_refs.empty()) {
				size_t i = rng() % free_refs.size();
				uint32_t ref = free_refs[i];
				free_refs[i] = free_refs.back();
				free_refs.pop_back();
				unsigned u = size();
				s.nodes[ref].units = u;
				zs_gaps_insert(&g, ref, u);
				sizes.insert(u);
				lists[zs_gaps_list_of(u)].push_back(ref);
				used.push_back(ref);
			} else if (what < 5 && !used.empty()) {
				size_t i = rng() % used.size();
				uint32_t ref = used[i];
				used[i] = used.back();
				used.pop_back();
				unsigned u = s.nodes[ref].units;
				zs_gaps_remove(&g, ref, u);
				sizes.erase(sizes.find(u));
				std::vector<uint32_t> &l =
					lists[zs_gaps_list_of(u)];
				l.erase(std::find(l.begin(), l.end(), ref));
				s.nodes[ref].units = 0;
				free_refs.push_back(ref);
			} else {
				/* up to twice the longest gap, so that some
				 * requests find nothing */
				unsigned u =
					1 + rng() % (rng() % 4 ? 600 : 1100);
				const std::vector<uint32_t> &l =
					lists[zs_gaps_list_of(u)];
				uint32_t head = l.empty() ? ZS_GAP_NONE :
							    l.back();
				bool head_fits = head != ZS_GAP_NONE &&
						 s.nodes[head].units >= u;
				bool floor_fits =
					sizes.lower_bound(SearchFloor(u)) !=
					sizes.end();
				uint32_t ref =
					zs_gaps_find_fit(&g, u, &Store::Units);
				if (head_fits) {
					ASSERT_EQ(ref, head)
						<< "seed " << seed << " op "
						<< op << " units " << u;
					heads++;
				} else {
					ASSERT_EQ(ref, zs_gaps_find(&g, u))
						<< "seed " << seed << " op "
						<< op << " units " << u;
					fallbacks += ref != ZS_GAP_NONE;
				}
				ASSERT_EQ(ref == ZS_GAP_NONE,
					  !head_fits && !floor_fits)
					<< "seed " << seed << " op " << op
					<< " units " << u;
				if (ref == ZS_GAP_NONE) {
					nones++;
				} else {
					ASSERT_GE(s.nodes.at(ref).units, u)
						<< "seed " << seed << " op "
						<< op;
				}
			}
			if (op % 211 == 0) {
				std::vector<Report> got;
				ASSERT_ERRNO(Check(g, &got), 0)
					<< (got.empty() ? "" : got[0].message);
			}
		}
		/* every branch taken, many times */
		EXPECT_GT(heads, 100u) << seed;
		EXPECT_GT(fallbacks, 100u) << seed;
		EXPECT_GT(nones, 100u) << seed;
	}
}

/*
 * An index of three gaps in one list (40 units: list 2.4, 40 .. 41) and
 * one in row 0 (5 units).  Plant() lets a test change the index or the
 * gaps, requires zs_gaps_check to return -EUCLEAN with exactly one report
 * of the kind and words given, then restores everything and requires a
 * clean check.
 */
class GapFinding : public ::testing::Test {
protected:
	void SetUp() override
	{
		s_.nodes.resize(8);
		zs_gaps_init(&g_, &Store::Links, &s_);
		for (uint32_t ref : { 1u, 2u, 3u }) {
			s_.nodes[ref].units = 40;
			zs_gaps_insert(&g_, ref, 40);
		}
		s_.nodes[5].units = 5;
		zs_gaps_insert(&g_, 5, 5);
		/* inserted first in their list: 3, 2, 1 */
		ASSERT_EQ(g_.head[zs_gaps_list_of(40)], 3u);
		std::vector<Report> got;
		ASSERT_ERRNO(Check(g_, &got), 0);
	}

	template <typename Change>
	void Plant(Change change, zs_finding want, const std::string &words)
	{
		zs_gaps saved = g_;
		Store saved_store = s_;
		change();
		std::vector<Report> got;
		int ret = Check(g_, &got);
		g_ = saved;
		s_ = saved_store;
		EXPECT_ERRNO(ret, -EUCLEAN);
		ASSERT_EQ(got.size(), 1u);
		EXPECT_STREQ(zs_finding_name(got[0].kind),
			     zs_finding_name(want));
		EXPECT_EQ(got[0].message, "zs: zs_pool_check(gaps): " + words);
		got.clear();
		EXPECT_ERRNO(Check(g_, &got), 0);
	}

	Store s_;
	zs_gaps g_;
	const unsigned list40_ = zs_gaps_list_of(40);
};

TEST_F(GapFinding, RowMap)
{
	Plant([&] { g_.row_map &= ~(1u << 2); }, ZS_FINDING_POOL_GAP_ROW_MAP,
	      "gap row 2: row bit 0, but its lists' map is 0x0010");
	Plant([&] { g_.row_map |= 1u << 7; }, ZS_FINDING_POOL_GAP_ROW_MAP,
	      "gap row 7: row bit 1, but its lists' map is 0x0000");
	Plant([&] { g_.row_map |= 1u << 20; }, ZS_FINDING_POOL_GAP_ROW_MAP,
	      "gap row 20: row bit 1, but its lists' map is 0x0000");
}

TEST_F(GapFinding, ListMap)
{
	Plant([&] { g_.list_map[0] |= 1u << 6; }, ZS_FINDING_POOL_GAP_LIST_MAP,
	      "gap list 0.6: map bit 1, head "
	      "0xffffffff");
	/* the row's bit cleared with it, so the row agrees */
	Plant(
		[&] {
			g_.list_map[0] &= (uint16_t) ~(1u << 5);
			g_.row_map &= ~1u;
		},
		ZS_FINDING_POOL_GAP_LIST_MAP,
		"gap list 0.5: map bit 0, head 0x00000005");
}

TEST_F(GapFinding, NotAGap)
{
	/* gap 2 allocated over while still linked */
	Plant([&] { s_.nodes[2].units = 0; }, ZS_FINDING_POOL_GAP_NOT_A_GAP,
	      "gap list 2.4 holds 0x00000002, which is no gap");
	Plant([&] { g_.head[list40_] = 77; }, ZS_FINDING_POOL_GAP_NOT_A_GAP,
	      "gap list 2.4 holds 0x0000004d, which is no gap");
}

TEST_F(GapFinding, BackLink)
{
	Plant([&] { s_.nodes[1].links.prev = 3; },
	      ZS_FINDING_POOL_GAP_BACK_LINK,
	      "gap list 2.4: gap 0x00000001 links back to 0x00000003, not "
	      "0x00000002");
	Plant([&] { s_.nodes[3].links.prev = 1; },
	      ZS_FINDING_POOL_GAP_BACK_LINK,
	      "gap list 2.4: gap 0x00000003 links back to 0x00000001, not "
	      "0xffffffff");
}

TEST_F(GapFinding, WrongList)
{
	/* gap 2 grew by a merge without moving to its list */
	Plant([&] { s_.nodes[2].units = 44; }, ZS_FINDING_POOL_GAP_WRONG_LIST,
	      "gap 0x00000002 of 44 units is in list 2.4, which holds 40 .. "
	      "41");
}

TEST_F(GapFinding, ListsTooLong)
{
	/* an insert that linked its gap but lost the count: the walk stops
	 * at the third gap (a cycle shows as a broken back link first) */
	Plant([&] { g_.gaps = 2; }, ZS_FINDING_POOL_GAP_LISTS_TOO_LONG,
	      "gap lists hold more than the 2 gaps counted");
}

TEST_F(GapFinding, Totals)
{
	Plant([&] { g_.gaps = 5; }, ZS_FINDING_POOL_GAP_TOTALS,
	      "gap lists hold 4 gaps of 125 units; counted 5 of 125");
	Plant([&] { g_.units = 124; }, ZS_FINDING_POOL_GAP_TOTALS,
	      "gap lists hold 4 gaps of 125 units; counted 4 of 124");
}

} /* namespace */
