// SPDX-License-Identifier: MIT
/*
 * gtest/zs_span_test.cc - objects and gaps in zspages (zs/span.h) on
 * their own.
 *
 * The span is where the shared-zspage layout puts every byte, so it is
 * held here to the truth through long random runs: objects of random
 * sizes allocated and freed across growing and shrinking sets of zspages,
 * each object's bytes filled with its own pattern and read back (an
 * overlap, or a tag written into an object, shows), every zspage walked
 * and the index checked against the walks, and a zspage reported empty
 * exactly when its last object goes.  Then each finding of the walk is
 * planted with its exact words, and a free next to an overwritten tag
 * must abort.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "gtest/zs_shim.h"
#include "zs/span.h"

extern "C" {
#include "zs/report.h"
}

namespace
{

/* zspages as 8-byte words (so units are aligned as in the arena), and
 * the handle slots' view of each object. */
struct Owner {
	struct Slot {
		bool live = false;
		uint32_t ref = 0;
		unsigned units = 0, size = 0;
		uint8_t seed = 0;
	};
	std::vector<std::vector<uint64_t>> zspages; /* empty: not held */
	std::vector<Slot> slots;

	static char *Base(void *owner, uint32_t z)
	{
		Owner *o = static_cast<Owner *>(owner);
		return reinterpret_cast<char *>(o->zspages.at(z).data());
	}
	static unsigned Units(void *owner, uint32_t z)
	{
		Owner *o = static_cast<Owner *>(owner);
		return z < o->zspages.size() ? (unsigned)o->zspages[z].size() :
					       0;
	}
	static unsigned ObjectUnits(void *owner, uint32_t slot, uint32_t ref)
	{
		Owner *o = static_cast<Owner *>(owner);
		if (slot >= o->slots.size() || !o->slots[slot].live ||
		    o->slots[slot].ref != ref)
			return 0;
		return o->slots[slot].units;
	}
	char *Bytes(const Slot &s)
	{
		return Base(this, zs_span_ref_zspage(s.ref)) +
		       zs_span_ref_unit(s.ref) * ZS_GAP_UNIT +
		       ZS_SPAN_TAG_BYTES;
	}
};

const zs_span_ops kOps = { &Owner::Base, &Owner::Units, &Owner::ObjectUnits };

using zs::Report;

/* Every held zspage walked, then the index: the tally, or a failure. */
int CheckAll(const zs_span &s, Owner &o, zs_span_tally *t,
	     std::vector<Report> *got)
{
	void *old_arg = nullptr;
	zs_report_hook *old =
		zs_set_report_hook(&zs::RecordReport, got, &old_arg);
	int ret = 0;
	*t = zs_span_tally{};
	for (uint32_t z = 0; z < o.zspages.size() && !ret; z++)
		if (!o.zspages[z].empty())
			ret = zs_span_check_zspage(&s, z, "span", t);
	if (!ret)
		ret = zs_span_check_index(&s, "span", t);
	zs_set_report_hook(old, old_arg, nullptr);
	return ret;
}

TEST(Span, UnitsCountTheTag)
{
	EXPECT_EQ(zs_span_units(1), 1u);
	EXPECT_EQ(zs_span_units(4), 1u);
	EXPECT_EQ(zs_span_units(5), 2u);
	EXPECT_EQ(zs_span_units(2244), 281u);
	EXPECT_EQ(zs_span_units(4092), 512u);
	EXPECT_EQ(zs_span_units(4096), 513u);
}

/* Objects fill a zspage exactly, leave no gap, and their frees in any
 * order merge back to one gap. */
TEST(Span, ExactFillAndMergeBack)
{
	for (unsigned order = 0; order < 3; order++) {
		Owner o;
		o.zspages.emplace_back(512);
		o.slots.resize(16);
		zs_span s;
		zs_span_init(&s, &kOps, &o);
		zs_span_add_zspage(&s, 0);
		for (unsigned i = 0; i < 16; i++) {
			uint32_t ref = zs_span_alloc(&s, 32, i);
			ASSERT_EQ(ref, zs_span_ref(0, 32 * i));
			o.slots[i] = Owner::Slot{ true, ref, 32, 250, 0 };
		}
		EXPECT_EQ(zs_span_alloc(&s, 1, 99), ZS_GAP_NONE);
		EXPECT_EQ(s.gaps.gaps, 0u);
		zs_span_tally t;
		std::vector<Report> got;
		ASSERT_ERRNO(CheckAll(s, o, &t, &got), 0);
		EXPECT_EQ(t.objects, 16u);
		EXPECT_EQ(t.gaps, 0u);
		std::vector<unsigned> idx(16);
		for (unsigned i = 0; i < 16; i++)
			idx[i] = order == 0 ? i :
				 order == 1 ? 15 - i :
					      (i * 7) % 16;
		for (unsigned k = 0; k < 16; k++) {
			unsigned i = idx[k];
			unsigned merged = zs_span_free(&s, o.slots[i].ref, 32);
			o.slots[i].live = false;
			ASSERT_EQ(merged == 512, k == 15) << order << " " << k;
			ASSERT_ERRNO(CheckAll(s, o, &t, &got), 0)
				<< got[0].message;
			EXPECT_EQ(t.object_units + t.gap_units, 512u);
		}
		EXPECT_EQ(t.gaps, 1u);
		zs_span_remove_zspage(&s, 0);
		EXPECT_EQ(s.gaps.gaps, 0u);
		EXPECT_EQ(s.gaps.units, 0u);
	}
}

/* Random sizes across zspages that come and go. */
TEST(Span, RandomRunsAgreeWithTheWalk)
{
	for (unsigned seed = 1; seed <= 3; seed++) {
		std::mt19937 rng(seed);
		Owner o;
		zs_span s;
		zs_span_init(&s, &kOps, &o);
		std::vector<uint32_t> live;
		std::vector<unsigned> per_zspage;
		uint64_t live_units = 0, held_units = 0;
		const unsigned zunits = seed == 1 ? 4096 :
					seed == 2 ? 1024 :
						    8192;
		for (unsigned op = 0; op < 20000; op++) {
			bool grow = live.size() < 300 + (op / 2000 % 2) * 400;
			if ((rng() % 3 != 0 && grow) || live.empty()) {
				unsigned size = rng() % 4 ? 30 + rng() % 4066 :
							    1 + rng() % 64;
				unsigned units = zs_span_units(size);
				uint32_t slot = (uint32_t)o.slots.size();
				uint32_t ref = zs_span_alloc(&s, units, slot);
				if (ref == ZS_GAP_NONE) {
					uint32_t z = 0;
					while (z < o.zspages.size() &&
					       !o.zspages[z].empty())
						z++;
					if (z == o.zspages.size()) {
						o.zspages.emplace_back();
						per_zspage.push_back(0);
					}
					o.zspages[z].assign(zunits, 0);
					zs_span_add_zspage(&s, z);
					held_units += zunits;
					ref = zs_span_alloc(&s, units, slot);
					ASSERT_NE(ref, ZS_GAP_NONE) << op;
				}
				Owner::Slot sl{ true, ref, units, size,
						(uint8_t)rng() };
				o.slots.push_back(sl);
				memset(o.Bytes(sl), sl.seed, size);
				live.push_back(slot);
				per_zspage[zs_span_ref_zspage(ref)]++;
				live_units += units;
			} else {
				size_t i = rng() % live.size();
				Owner::Slot &sl = o.slots[live[i]];
				live[i] = live.back();
				live.pop_back();
				uint32_t z = zs_span_ref_zspage(sl.ref);
				unsigned merged =
					zs_span_free(&s, sl.ref, sl.units);
				sl.live = false;
				live_units -= sl.units;
				ASSERT_EQ(merged == zunits,
					  --per_zspage[z] == 0)
					<< "seed " << seed << " op " << op;
				if (merged == zunits) {
					zs_span_remove_zspage(&s, z);
					o.zspages[z].clear();
					held_units -= zunits;
				}
			}
			if (op % 211 == 0) {
				zs_span_tally t;
				std::vector<Report> got;
				ASSERT_ERRNO(CheckAll(s, o, &t, &got), 0)
					<< "seed " << seed << " op " << op
					<< ": " << got[0].message;
				ASSERT_EQ(t.objects, live.size());
				ASSERT_EQ(t.object_units, live_units);
				ASSERT_EQ(t.object_units + t.gap_units,
					  held_units);
				for (uint32_t slot : live) {
					const Owner::Slot &sl = o.slots[slot];
					const char *b = o.Bytes(sl);
					for (unsigned k = 0; k < sl.size; k++)
						ASSERT_EQ((uint8_t)b[k],
							  sl.seed)
							<< "slot " << slot;
				}
			}
		}
		/* and the space freed is used again: the pool never holds
		 * more than the live units plus the gaps it could not fill */
		EXPECT_GT(live_units, 0u);
	}
}

/*
 * Zspage 0 of 64 units: A (slot 1, 3 units) at 0, a gap of 5 at 3, B
 * (slot 2, 4 units) at 8, C (slot 3, 2 units) at 12, a gap of 50 at 14.
 * Plant() changes something, requires exactly one report of the kind and
 * words given with -EUCLEAN, then restores everything and requires a
 * clean check.
 */
class SpanFinding : public ::testing::Test {
protected:
	void SetUp() override
	{
		o_.zspages.emplace_back(64);
		o_.slots.resize(5);
		zs_span_init(&s_, &kOps, &o_);
		zs_span_add_zspage(&s_, 0);
		const unsigned units[4] = { 3, 5, 4, 2 };
		const uint32_t slots[4] = { 1, 4, 2, 3 };
		for (unsigned i = 0; i < 4; i++) {
			uint32_t ref = zs_span_alloc(&s_, units[i], slots[i]);
			o_.slots[slots[i]] =
				Owner::Slot{ true, ref, units[i], 8, 0 };
		}
		zs_span_free(&s_, o_.slots[4].ref, 5);
		o_.slots[4].live = false;
		ASSERT_EQ(o_.slots[2].ref, zs_span_ref(0, 8));
		ASSERT_EQ(o_.slots[3].ref, zs_span_ref(0, 12));
		zs_span_tally t;
		std::vector<Report> got;
		ASSERT_ERRNO(CheckAll(s_, o_, &t, &got), 0);
		ASSERT_EQ(t.gaps, 2u);
		ASSERT_EQ(t.gap_units, 55u);
	}

	uint32_t Word(unsigned byte)
	{
		uint32_t v;
		memcpy(&v, Owner::Base(&o_, 0) + byte, 4);
		return v;
	}
	void SetWord(unsigned byte, uint32_t v)
	{
		memcpy(Owner::Base(&o_, 0) + byte, &v, 4);
	}

	template <typename Change>
	void Plant(Change change, zs_finding want, const std::string &words)
	{
		Owner saved = o_;
		zs_gaps saved_gaps = s_.gaps;
		change();
		zs_span_tally t;
		std::vector<Report> got;
		int ret = CheckAll(s_, o_, &t, &got);
		o_ = saved;
		s_.gaps = saved_gaps;
		EXPECT_ERRNO(ret, -EUCLEAN);
		ASSERT_EQ(got.size(), 1u);
		EXPECT_STREQ(zs_finding_name(got[0].kind),
			     zs_finding_name(want));
		EXPECT_EQ(got[0].message, "zs: zs_pool_check(span): " + words);
		got.clear();
		EXPECT_ERRNO(CheckAll(s_, o_, &t, &got), 0);
	}

	Owner o_;
	zs_span s_;
};

/* The words of a gap's tag: pattern 0x5a5a, length, the gap bit. */
constexpr uint32_t GapTag(unsigned units)
{
	return 0x5a5au << 16 | units << 2 | 1u;
}

TEST_F(SpanFinding, LayoutIsAsDescribed)
{
	EXPECT_EQ(Word(0), 1u << 2); /* A: slot 1 */
	EXPECT_EQ(Word(3 * 8), GapTag(5));
	EXPECT_EQ(Word(8 * 8 - 4), GapTag(5)); /* its footer */
	EXPECT_EQ(Word(8 * 8), 2u << 2 | 2u); /* B, after a gap */
	EXPECT_EQ(Word(12 * 8), 3u << 2); /* C */
	EXPECT_EQ(Word(14 * 8), GapTag(50));
	EXPECT_EQ(Word(64 * 8 - 4), GapTag(50));
}

TEST_F(SpanFinding, BadTag)
{
	Plant([&] { SetWord(3 * 8, GapTag(5) ^ 0x10000u); },
	      ZS_FINDING_POOL_SPAN_BAD_TAG,
	      "zspage 0 unit 3: tag 0x5a5b0015 is neither an object's nor a "
	      "gap's");
	Plant([&] { SetWord(14 * 8, GapTag(50) | 2u); },
	      ZS_FINDING_POOL_SPAN_BAD_TAG,
	      "zspage 0 unit 14: tag 0x5a5a00cb is neither an object's nor "
	      "a gap's");
}

TEST_F(SpanFinding, PastEnd)
{
	Plant([&] { SetWord(14 * 8, GapTag(60)); },
	      ZS_FINDING_POOL_SPAN_PAST_END,
	      "zspage 0 unit 14: a block of 60 units runs past the zspage's "
	      "64");
	Plant([&] { o_.slots[3].units = 60; }, ZS_FINDING_POOL_SPAN_PAST_END,
	      "zspage 0 unit 12: a block of 60 units runs past the zspage's "
	      "64");
}

TEST_F(SpanFinding, GapsAdjacent)
{
	/* C's place made a gap of its own, not merged with the next */
	Plant(
		[&] {
			SetWord(12 * 8, GapTag(2));
			SetWord(14 * 8 - 4, GapTag(2));
		},
		ZS_FINDING_POOL_SPAN_GAPS_ADJACENT,
		"zspage 0 unit 14: a gap follows a gap (not merged)");
}

TEST_F(SpanFinding, Footer)
{
	Plant([&] { SetWord(8 * 8 - 4, 0x41414141u); },
	      ZS_FINDING_POOL_SPAN_FOOTER,
	      "zspage 0 unit 3: the gap of 5 units ends with 0x41414141, not "
	      "its tag");
}

TEST_F(SpanFinding, PrevGapBit)
{
	Plant([&] { SetWord(8 * 8, 2u << 2); },
	      ZS_FINDING_POOL_SPAN_PREV_GAP_BIT,
	      "zspage 0 unit 8: the object says the block before is not a "
	      "gap; it is");
	Plant([&] { SetWord(12 * 8, 3u << 2 | 2u); },
	      ZS_FINDING_POOL_SPAN_PREV_GAP_BIT,
	      "zspage 0 unit 12: the object says the block before is a gap; "
	      "it is not");
}

TEST_F(SpanFinding, ObjectSlot)
{
	Plant([&] { SetWord(0, 9u << 2); }, ZS_FINDING_POOL_SPAN_OBJECT_SLOT,
	      "zspage 0 unit 0: object of slot 9, which holds no live object "
	      "here");
	/* the slot's location moved, the tag left behind */
	Plant([&] { o_.slots[2].ref = zs_span_ref(0, 9); },
	      ZS_FINDING_POOL_SPAN_OBJECT_SLOT,
	      "zspage 0 unit 8: object of slot 2, which holds no live object "
	      "here");
}

TEST_F(SpanFinding, IndexTotals)
{
	/* the gap at 3 dropped from the index, which stays consistent */
	Plant([&] { zs_gaps_remove(&s_.gaps, zs_span_ref(0, 3), 5); },
	      ZS_FINDING_POOL_SPAN_INDEX_TOTALS,
	      "zspages hold 2 gaps of 2 units or more (55 units), the index 1 "
	      "(50)");
}

/* The index's own findings come through the span's check too: a link
 * into an object. */
TEST_F(SpanFinding, IndexLinkIntoAnObject)
{
	Plant([&] { s_.gaps.head[zs_gaps_list_of(50)] = zs_span_ref(0, 8); },
	      ZS_FINDING_POOL_GAP_NOT_A_GAP,
	      "gap list 2.9 holds 0x00000008, which is no gap");
}

using SpanDeathTest = SpanFinding;

/* Each report on stderr with its kind's name, so the death test checks
 * the kind and the words. */
void PrintKind(zs_finding kind, const char *message, void *)
{
	fprintf(stderr, "%s: %s\n", zs_finding_name(kind), message);
}

/* A free next to a gap whose tag was overwritten stops the process. */
TEST_F(SpanDeathTest, FreeBesideAnOverwrittenTag)
{
	zs_set_report_hook(&PrintKind, nullptr, nullptr);
	SetWord(3 * 8, GapTag(5) ^ 0x10000u);
	EXPECT_DEATH(zs_span_free(&s_, o_.slots[1].ref, 3),
		     "ZS_FINDING_ABORT_SPAN_TAG: zs: free: the block beside "
		     "zspage 0 unit 3 has tag "
		     "0x5a5b0015, neither an object's nor a gap's");
	/* and a prev-gap bit over a footer that is not one */
	SetWord(3 * 8, GapTag(5));
	SetWord(8 * 8 - 4, 0x41414141u);
	EXPECT_DEATH(zs_span_free(&s_, o_.slots[2].ref, 4),
		     "ZS_FINDING_ABORT_SPAN_TAG: zs: free: the block beside "
		     "zspage 0 unit 8 has tag 0x41414141, neither an object's "
		     "nor a gap's");
	zs_set_report_hook(nullptr, nullptr, nullptr);
}

/* A prev-gap bit on a zspage's first object has no footer to read: the
 * free stops on the object's own tag, without reading the 4 bytes before
 * the zspage (which are not the span's; the report would quote them). */
TEST_F(SpanDeathTest, PrevGapBitOnTheFirstObject)
{
	zs_set_report_hook(&PrintKind, nullptr, nullptr);
	SetWord(0, 1u << 2 | 2u);
	EXPECT_DEATH(zs_span_free(&s_, o_.slots[1].ref, 3),
		     "ZS_FINDING_ABORT_SPAN_TAG: zs: free: the block beside "
		     "zspage 0 unit 0 has tag 0x00000006, neither an object's "
		     "nor a gap's");
	zs_set_report_hook(nullptr, nullptr, nullptr);
}

} /* namespace */
