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
 * exactly when its last object goes.  zs_span_block_at, the step of
 * compaction's and migration's walks, is held to the model block by block;
 * isolation takes exactly a zspage's gaps out of the index and putback
 * returns them; zs_span_free_isolated merges as zs_span_free does but
 * indexes nothing; an alloc takes an exact gap at the head of its list
 * (zs_gaps_find_fit) and never a gap shorter than the request; and
 * zs_span_tag / zs_span_tag_names read tags as a free compares them.
 * zs_span_slide, compaction's step inside an isolated zspage, is held to
 * each shape a slide can take (a 1-unit gap or a longer one before the
 * object, a gap after it or none, the zspage's first unit or its end):
 * the gap it returns, the object's tag and every unit of it at its new
 * place, the prev_gap bit of the block after, the walk, and the index once
 * the zspage is put back; the random run slides too.  Then each finding of
 * the walk is planted with its exact words, and a free or a slide next to
 * an overwritten tag, or a gap whose length runs outside the zspage, must
 * abort.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <utility>
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

/* No poisoning: the tests read and write every byte of a zspage. */
const zs_span_ops kOps = { &Owner::Base, &Owner::Units, &Owner::ObjectUnits,
			   false };

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

/* The words of a gap's tag: pattern 0x5a5a, length, the gap bit. */
constexpr uint32_t GapTag(unsigned units)
{
	return 0x5a5au << 16 | units << 2 | 1u;
}

/* Every held zspage walked, except skip (an isolated zspage, whose gaps
 * are out of the index), then the index against that tally. */
int CheckIndexWithout(const zs_span &s, Owner &o, uint32_t skip,
		      std::vector<Report> *got)
{
	void *old_arg = nullptr;
	zs_report_hook *old =
		zs_set_report_hook(&zs::RecordReport, got, &old_arg);
	int ret = 0;
	zs_span_tally t = {}, skipped = {};
	for (uint32_t z = 0; z < o.zspages.size() && !ret; z++)
		if (!o.zspages[z].empty())
			ret = zs_span_check_zspage(&s, z, "span",
						   z == skip ? &skipped : &t);
	if (!ret)
		ret = zs_span_check_index(&s, "span", &t);
	zs_set_report_hook(old, old_arg, nullptr);
	return ret;
}

/* The live objects of the model: reference -> slot. */
std::map<uint32_t, uint32_t> LiveObjects(const Owner &o)
{
	std::map<uint32_t, uint32_t> objects;
	for (uint32_t slot = 0; slot < o.slots.size(); slot++)
		if (o.slots[slot].live)
			objects[o.slots[slot].ref] = slot;
	return objects;
}

/*
 * Zspage z as zs_span_block_at steps through it, against the model: each
 * live object where its slot says, with the slot's units, and between two
 * objects exactly one gap of every unit they leave free (gaps always
 * merge, so free space is never split in two gaps).
 */
::testing::AssertionResult BlocksMatchModel(const zs_span &s, const Owner &o,
					    uint32_t z)
{
	const std::map<uint32_t, uint32_t> objects = LiveObjects(o);
	const unsigned zunits = (unsigned)o.zspages.at(z).size();
	auto it = objects.lower_bound(zs_span_ref(z, 0));
	auto in_z = [&] {
		return it != objects.end() &&
		       zs_span_ref_zspage(it->first) == z;
	};
	unsigned unit = 0;
	while (unit < zunits) {
		zs_span_block b;
		zs_span_block_at(&s, z, unit, &b);
		if (in_z() && it->first == zs_span_ref(z, unit)) {
			const Owner::Slot &sl = o.slots[it->second];
			if (b.gap || b.slot != it->second ||
			    b.units != sl.units)
				return ::testing::AssertionFailure()
				       << "zspage " << z << " unit " << unit
				       << ": block gap=" << b.gap << " slot "
				       << b.slot << " units " << b.units
				       << ", model: object of slot "
				       << it->second << ", " << sl.units
				       << " units";
			++it;
		} else {
			unsigned next = in_z() ? zs_span_ref_unit(it->first) :
						 zunits;
			if (!b.gap || b.units != next - unit)
				return ::testing::AssertionFailure()
				       << "zspage " << z << " unit " << unit
				       << ": block gap=" << b.gap << " units "
				       << b.units << ", model: a gap of "
				       << next - unit;
		}
		if (!b.units)
			return ::testing::AssertionFailure() << "no step";
		unit += b.units;
	}
	if (unit != zunits || in_z())
		return ::testing::AssertionFailure()
		       << "zspage " << z << ": the walk ends at unit " << unit;
	return ::testing::AssertionSuccess();
}

/* Places an object of units for slot in the model and the span. */
uint32_t Place(zs_span &s, Owner &o, unsigned units, uint32_t slot)
{
	uint32_t ref = zs_span_alloc(&s, units, slot);
	if (ref != ZS_GAP_NONE) {
		if (o.slots.size() <= slot)
			o.slots.resize(slot + 1);
		o.slots[slot] = Owner::Slot{ true, ref, units, 8, 0 };
	}
	return ref;
}

/* Frees slot's object in the span and the model: the merged gap's units. */
unsigned Unplace(zs_span &s, Owner &o, uint32_t slot, bool isolated = false)
{
	Owner::Slot &sl = o.slots.at(slot);
	unsigned merged = isolated ?
				  zs_span_free_isolated(&s, sl.ref, sl.units) :
				  zs_span_free(&s, sl.ref, sl.units);
	sl.live = false;
	return merged;
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

/* Compaction's step in zspage z of zunits: isolated, up to `count` of its
 * objects that follow a gap (picked at random) slid over it, each
 * returning the gap the model then has after it, and put back. */
::testing::AssertionResult
SlideSome(zs_span &s, Owner &o, const std::vector<uint32_t> &live, uint32_t z,
	  unsigned zunits, unsigned count, std::mt19937 &rng, unsigned *slides)
{
	if (zs_span_isolate(&s, z) != zunits)
		return ::testing::AssertionFailure() << "isolate " << z;
	for (unsigned k = 0; k < count; k++) {
		/* the model's objects of z in address order */
		std::vector<std::pair<unsigned, uint32_t>> objs;
		for (uint32_t slot : live)
			if (zs_span_ref_zspage(o.slots[slot].ref) == z)
				objs.push_back(
					{ zs_span_ref_unit(o.slots[slot].ref),
					  slot });
		std::sort(objs.begin(), objs.end());
		std::vector<size_t> after_gap;
		unsigned prev_end = 0;
		for (size_t i = 0; i < objs.size(); i++) {
			if (objs[i].first > prev_end)
				after_gap.push_back(i);
			prev_end =
				objs[i].first + o.slots[objs[i].second].units;
		}
		if (after_gap.empty())
			break;
		size_t i = after_gap[rng() % after_gap.size()];
		Owner::Slot &sl = o.slots[objs[i].second];
		unsigned gap =
			i ? objs[i - 1].first +
					o.slots[objs[i - 1].second].units :
			    0;
		unsigned next = i + 1 < objs.size() ? objs[i + 1].first :
						      zunits;
		unsigned merged = zs_span_slide(&s, z, gap, sl.units);
		if (merged != next - gap - sl.units)
			return ::testing::AssertionFailure()
			       << "zspage " << z << ": slot " << objs[i].second
			       << " slid from unit " << objs[i].first << " to "
			       << gap << " returned " << merged
			       << ", the model has " << next - gap - sl.units;
		sl.ref = zs_span_ref(z, gap);
		++*slides;
	}
	if (zs_span_putback(&s, z) != zunits)
		return ::testing::AssertionFailure() << "putback " << z;
	return ::testing::AssertionSuccess();
}

/* Random sizes across zspages that come and go; now and then a zspage's
 * objects slide over the gaps before them, as compaction slides them. */
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
		unsigned slides = 0;
		const unsigned zunits = seed == 1 ? 4096 :
					seed == 2 ? 1024 :
						    8192;
		for (unsigned op = 0; op < 20000; op++) {
			if (op % 41 == 40 && !live.empty()) {
				uint32_t z = zs_span_ref_zspage(
					o.slots[live[rng() % live.size()]].ref);
				ASSERT_TRUE(SlideSome(s, o, live, z, zunits,
						      1 + rng() % 4, rng,
						      &slides))
					<< "seed " << seed << " op " << op;
				zs_span_tally t;
				std::vector<Report> got;
				ASSERT_ERRNO(CheckAll(s, o, &t, &got), 0)
					<< "seed " << seed << " op " << op
					<< ": " << got[0].message;
			}
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
		EXPECT_GT(slides, 500u) << "seed " << seed;
	}
}

/* Random fills of three zspages, walked block by block with
 * zs_span_block_at (as compaction and run migration walk) against the
 * model after every few operations. */
TEST(Span, BlockAtWalksRandomFillsAsTheModelHasThem)
{
	for (unsigned seed = 1; seed <= 3; seed++) {
		std::mt19937 rng(seed);
		Owner o;
		zs_span s;
		zs_span_init(&s, &kOps, &o);
		for (uint32_t z = 0; z < 3; z++) {
			o.zspages.emplace_back(512);
			zs_span_add_zspage(&s, z);
		}
		std::vector<uint32_t> live;
		uint32_t next_slot = 0;
		unsigned walks = 0;
		for (unsigned op = 0; op < 6000; op++) {
			if (rng() % 5 < 3 || live.empty()) {
				unsigned units = rng() % 4 ? 1 + rng() % 8 :
							     9 + rng() % 80;
				uint32_t ref = Place(s, o, units, next_slot);
				if (ref != ZS_GAP_NONE) {
					live.push_back(next_slot++);
					continue;
				}
				if (live.empty())
					continue;
			}
			size_t i = rng() % live.size();
			Unplace(s, o, live[i]);
			live[i] = live.back();
			live.pop_back();
			if (op % 37)
				continue;
			for (uint32_t z = 0; z < 3; z++)
				ASSERT_TRUE(BlocksMatchModel(s, o, z))
					<< "seed " << seed << " op " << op;
			walks++;
		}
		EXPECT_GT(walks, 50u);
		EXPECT_GT(live.size(), 100u) << "the zspages were never full";
	}
}

/* Blocks a walk cannot step over come back as 0 units. */
TEST(Span, BlockAtRefusesWhatItCannotStepOver)
{
	Owner o;
	o.zspages.emplace_back(64);
	zs_span s;
	zs_span_init(&s, &kOps, &o);
	zs_span_add_zspage(&s, 0);
	ASSERT_EQ(Place(s, o, 3, 7), zs_span_ref(0, 0));
	zs_span_block b;
	zs_span_block_at(&s, 0, 0, &b);
	EXPECT_FALSE(b.gap);
	EXPECT_EQ(b.slot, 7u);
	EXPECT_EQ(b.units, 3u);
	zs_span_block_at(&s, 0, 3, &b);
	EXPECT_TRUE(b.gap);
	EXPECT_EQ(b.units, 61u);
	/* the slot no longer holds the object: its tag is left behind */
	o.slots[7].live = false;
	zs_span_block_at(&s, 0, 0, &b);
	EXPECT_FALSE(b.gap);
	EXPECT_EQ(b.slot, 7u);
	EXPECT_EQ(b.units, 0u);
	o.slots[7].live = true;
	/* an object longer than what is left of the zspage */
	o.slots[7].units = 65;
	zs_span_block_at(&s, 0, 0, &b);
	EXPECT_EQ(b.units, 0u);
	o.slots[7].units = 3;
	/* a gap whose length runs past the end, and a tag with the gap bit
	 * but not a gap's pattern */
	uint32_t tag = zs_span_tag(&s, zs_span_ref(0, 3)), bad;
	bad = tag + (1u << 2);
	memcpy(Owner::Base(&o, 0) + 3 * 8, &bad, 4);
	zs_span_block_at(&s, 0, 3, &b);
	EXPECT_TRUE(b.gap);
	EXPECT_EQ(b.units, 0u);
	bad = tag ^ 0x10000u;
	memcpy(Owner::Base(&o, 0) + 3 * 8, &bad, 4);
	zs_span_block_at(&s, 0, 3, &b);
	EXPECT_TRUE(b.gap);
	EXPECT_EQ(b.units, 0u);
	memcpy(Owner::Base(&o, 0) + 3 * 8, &tag, 4);
	EXPECT_TRUE(BlocksMatchModel(s, o, 0));
}

/*
 * Zspage 0 (128 units) holds objects with gaps of 5, 2 and 1 units between
 * them and 98 at its end; zspage 1 (128) is empty.  Isolated, zspage 0's
 * gaps leave the index: the index checks clean against a tally of zspage
 * 1 alone, and not against both; allocations all land in zspage 1 and then
 * fail, though zspage 0 has room.  Put back, its gaps are indexed again
 * and allocations land there.
 */
TEST(Span, IsolateTakesEveryGapOutAndPutbackReturnsThem)
{
	Owner o;
	o.zspages.emplace_back(128);
	zs_span s;
	zs_span_init(&s, &kOps, &o);
	zs_span_add_zspage(&s, 0);
	const unsigned units[8] = { 3, 5, 4, 2, 6, 1, 7, 2 };
	for (uint32_t i = 0; i < 8; i++)
		ASSERT_NE(Place(s, o, units[i], 1 + i), ZS_GAP_NONE);
	Unplace(s, o, 2);
	Unplace(s, o, 4);
	Unplace(s, o, 6);
	o.zspages.emplace_back(128);
	zs_span_add_zspage(&s, 1);
	ASSERT_EQ(s.gaps.gaps, 4u);
	ASSERT_EQ(s.gaps.units, 5u + 2 + 98 + 128);
	std::vector<Report> got;
	ASSERT_ERRNO(CheckIndexWithout(s, o, ZS_GAP_NONE, &got), 0);

	EXPECT_EQ(zs_span_isolate(&s, 0), 128u);
	EXPECT_EQ(s.gaps.gaps, 1u);
	EXPECT_EQ(s.gaps.units, 128u);
	ASSERT_TRUE(BlocksMatchModel(s, o, 0)) << "isolation moved nothing";
	EXPECT_ERRNO(CheckIndexWithout(s, o, 0, &got), 0)
		<< (got.empty() ? "" : got[0].message);
	got.clear();
	EXPECT_ERRNO(CheckIndexWithout(s, o, ZS_GAP_NONE, &got), -EUCLEAN);
	ASSERT_EQ(got.size(), 1u);
	EXPECT_EQ(got[0].kind, ZS_FINDING_POOL_SPAN_INDEX_TOTALS);
	EXPECT_EQ(got[0].message,
		  "zs: zs_pool_check(span): zspages hold 4 gaps of 2 units or "
		  "more (233 units), the index 1 (128)");
	unsigned placed = 0;
	for (uint32_t slot = 100;; slot++) {
		uint32_t ref = Place(s, o, 2, slot);
		if (ref == ZS_GAP_NONE)
			break;
		ASSERT_EQ(zs_span_ref_zspage(ref), 1u) << "slot " << slot;
		placed++;
	}
	EXPECT_EQ(placed, 64u);
	EXPECT_EQ(Place(s, o, 1, 200), ZS_GAP_NONE);
	got.clear();
	EXPECT_ERRNO(CheckIndexWithout(s, o, 0, &got), 0);

	EXPECT_EQ(zs_span_putback(&s, 0), 128u);
	EXPECT_EQ(s.gaps.gaps, 3u);
	EXPECT_EQ(s.gaps.units, 5u + 2 + 98);
	EXPECT_ERRNO(CheckIndexWithout(s, o, ZS_GAP_NONE, &got), 0);
	EXPECT_EQ(Place(s, o, 98, 300), zs_span_ref(0, 30));
	EXPECT_EQ(Place(s, o, 5, 301), zs_span_ref(0, 3));
	EXPECT_EQ(Place(s, o, 2, 302), zs_span_ref(0, 12));
	EXPECT_EQ(s.gaps.gaps, 0u);
	EXPECT_ERRNO(CheckIndexWithout(s, o, ZS_GAP_NONE, &got), 0);
	EXPECT_TRUE(BlocksMatchModel(s, o, 0));
	EXPECT_TRUE(BlocksMatchModel(s, o, 1));
}

/*
 * Two spans alike: zspage 0 (96 units) filled with objects of random
 * sizes, zspage 1 (64) empty.  In the first, zspage 0 is isolated and its
 * objects go by zs_span_free_isolated; in the second by zs_span_free.
 * Each free merges to the same gap in both, block for block, while the
 * first index keeps zspage 1's gap alone; the last free leaves zspage 0
 * one gap of all its units, indexed only at putback.
 */
TEST(Span, FreeIsolatedMergesLikeFreeAndIndexesNothing)
{
	for (unsigned seed = 1; seed <= 20; seed++) {
		std::mt19937 rng(seed);
		Owner oi, of;
		zs_span si, sf;
		zs_span_init(&si, &kOps, &oi);
		zs_span_init(&sf, &kOps, &of);
		for (auto both :
		     { std::make_pair(&si, &oi), std::make_pair(&sf, &of) }) {
			both.second->zspages.emplace_back(96);
			zs_span_add_zspage(both.first, 0);
		}
		std::vector<uint32_t> slots;
		for (unsigned used = 0, slot = 0; used < 96; slot++) {
			unsigned u = 1 + rng() % 9;
			/* a 1-unit gap is in no list: nothing would fill it */
			if (u + 1 >= 96 - used)
				u = 96 - used;
			ASSERT_EQ(Place(si, oi, u, slot), zs_span_ref(0, used));
			ASSERT_EQ(Place(sf, of, u, slot), zs_span_ref(0, used));
			slots.push_back(slot);
			used += u;
		}
		std::shuffle(slots.begin(), slots.end(), rng);
		/* a few gaps before the isolation, for it to take out */
		for (unsigned k = 0; k < 3; k++) {
			ASSERT_EQ(Unplace(si, oi, slots.back()),
				  Unplace(sf, of, slots.back()));
			slots.pop_back();
		}
		for (auto both :
		     { std::make_pair(&si, &oi), std::make_pair(&sf, &of) }) {
			both.second->zspages.emplace_back(64);
			zs_span_add_zspage(both.first, 1);
		}
		ASSERT_EQ(zs_span_isolate(&si, 0), 96u);
		ASSERT_EQ(si.gaps.gaps, 1u) << seed;
		ASSERT_EQ(si.gaps.units, 64u) << seed;
		std::vector<Report> got;
		while (!slots.empty()) {
			uint32_t slot = slots.back();
			slots.pop_back();
			unsigned mi = Unplace(si, oi, slot, true);
			unsigned mf = Unplace(sf, of, slot);
			ASSERT_EQ(mi, mf)
				<< "seed " << seed << " slot " << slot;
			ASSERT_EQ(mi == 96, slots.empty()) << seed;
			ASSERT_TRUE(BlocksMatchModel(si, oi, 0)) << seed;
			ASSERT_TRUE(BlocksMatchModel(sf, of, 0)) << seed;
			ASSERT_EQ(si.gaps.gaps, 1u) << seed;
			ASSERT_EQ(si.gaps.units, 64u) << seed;
			ASSERT_ERRNO(CheckIndexWithout(si, oi, 0, &got), 0)
				<< "seed " << seed << ": "
				<< (got.empty() ? "" : got[0].message);
			ASSERT_ERRNO(
				CheckIndexWithout(sf, of, ZS_GAP_NONE, &got), 0)
				<< seed;
		}
		zs_span_block b;
		zs_span_block_at(&si, 0, 0, &b);
		EXPECT_TRUE(b.gap);
		EXPECT_EQ(b.units, 96u);
		ASSERT_EQ(zs_span_putback(&si, 0), 96u);
		EXPECT_EQ(si.gaps.gaps, 2u);
		EXPECT_EQ(si.gaps.units, 96u + 64);
		EXPECT_ERRNO(CheckIndexWithout(si, oi, ZS_GAP_NONE, &got), 0);
		zs_span_remove_zspage(&si, 0);
		zs_span_remove_zspage(&sf, 0);
		EXPECT_EQ(si.gaps.units, 64u);
		EXPECT_EQ(sf.gaps.units, 64u);
	}
}

/*
 * One slide, built from a layout of a 64-unit zspage 0 (objects' units
 * positive, gaps' negative, tiling it), beside a 32-unit zspage 1 whose
 * gap stays in the index.  The object after the gap at unit `gap` slides
 * over it with zspage 0 isolated; zs_span_slide must return `merged`, the
 * gap from the object's new end to the next object (or the zspage's end).
 * Every unit of the object after its tag holds a pattern, so bytes past
 * its size that did not move show as well as its size's.
 */
class SpanSlide : public ::testing::Test {
protected:
	static constexpr unsigned kUnits = 64;

	void Build(const std::vector<int> &layout)
	{
		o_.zspages.emplace_back(kUnits);
		o_.zspages.emplace_back(32);
		zs_span_init(&s_, &kOps, &o_);
		zs_span_add_zspage(&s_, 0);
		std::vector<uint32_t> gaps;
		unsigned unit = 0;
		uint32_t slot = 1;
		for (int b : layout) {
			unsigned n = (unsigned)(b < 0 ? -b : b);
			ASSERT_EQ(Place(s_, o_, n, slot), zs_span_ref(0, unit))
				<< "block at unit " << unit;
			if (b < 0)
				gaps.push_back(slot);
			else
				FillUnits(slot);
			unit += n;
			slot++;
		}
		ASSERT_EQ(unit, kUnits) << "the layout does not tile zspage 0";
		for (uint32_t g : gaps)
			Unplace(s_, o_, g);
		zs_span_add_zspage(&s_, 1);
		std::vector<Report> got;
		ASSERT_ERRNO(CheckIndexWithout(s_, o_, ZS_GAP_NONE, &got), 0);
		ASSERT_TRUE(BlocksMatchModel(s_, o_, 0));
	}

	/* slot's units after its tag: a pattern of its own */
	void FillUnits(uint32_t slot)
	{
		const Owner::Slot &sl = o_.slots[slot];
		char *b = o_.Bytes(sl);
		for (unsigned k = 0; k < sl.units * ZS_GAP_UNIT - 4; k++)
			b[k] = (char)(slot * 37 + k);
	}
	::testing::AssertionResult UnitsIntact(uint32_t slot)
	{
		const Owner::Slot &sl = o_.slots[slot];
		const char *b = o_.Bytes(sl);
		for (unsigned k = 0; k < sl.units * ZS_GAP_UNIT - 4; k++)
			if (b[k] != (char)(slot * 37 + k))
				return ::testing::AssertionFailure()
				       << "slot " << slot << " byte " << k;
		return ::testing::AssertionSuccess();
	}
	uint32_t Word(unsigned z, unsigned byte)
	{
		uint32_t v;
		memcpy(&v, Owner::Base(&o_, z) + byte, 4);
		return v;
	}
	/* The live slot whose object starts at unit of zspage 0. */
	uint32_t SlotAt(unsigned unit)
	{
		for (uint32_t i = 0; i < o_.slots.size(); i++)
			if (o_.slots[i].live &&
			    o_.slots[i].ref == zs_span_ref(0, unit))
				return i;
		ADD_FAILURE() << "no object at unit " << unit;
		return 0;
	}

	/* Slides the object after the gap at `gap` (of gap_units) and checks
	 * everything a slide promises. */
	void Slide(unsigned gap, unsigned gap_units, unsigned merged)
	{
		const uint32_t slot = SlotAt(gap + gap_units);
		const unsigned units = o_.slots[slot].units;
		const unsigned end = gap + units + merged;
		ASSERT_EQ(Word(0, (gap + gap_units) * 8), slot << 2 | 2u)
			<< "the object to slide has no gap before it";
		/* the index once it is back: the gap slid over and the one
		 * after the object (merged - gap_units) out, the merged in */
		const unsigned after = merged - gap_units;
		uint64_t want_gaps = s_.gaps.gaps + (merged >= 2);
		uint64_t want_units =
			s_.gaps.units + (merged >= 2 ? merged : 0);
		want_gaps -= (gap_units >= 2) + (after >= 2);
		want_units -= (gap_units >= 2 ? gap_units : 0) +
			      (after >= 2 ? after : 0);
		ASSERT_EQ(zs_span_isolate(&s_, 0), kUnits);
		const uint32_t next_tag = end < kUnits ? Word(0, end * 8) : 0;

		EXPECT_EQ(zs_span_slide(&s_, 0, gap, units), merged);
		o_.slots[slot].ref = zs_span_ref(0, gap);

		/* the object at the gap's start: its tag without the
		 * prev_gap bit, every unit as it was */
		EXPECT_EQ(zs_span_tag(&s_, zs_span_ref(0, gap)), slot << 2);
		EXPECT_TRUE(UnitsIntact(slot));
		/* the gap after it, tag and footer; a gap that ends the
		 * zspage has none, and leaves the word untouched */
		const uint32_t last_word = Word(0, end * 8 - 4);
		EXPECT_EQ(Word(0, (gap + units) * 8), GapTag(merged));
		if (end < kUnits) {
			EXPECT_EQ(last_word, GapTag(merged));
		} else {
			EXPECT_NE(last_word, GapTag(merged));
		}
		/* the object after the gap knows one precedes it */
		if (end < kUnits) {
			EXPECT_EQ(Word(0, end * 8), next_tag | 2u);
		}
		std::vector<Report> got;
		EXPECT_ERRNO(CheckIndexWithout(s_, o_, 0, &got), 0)
			<< (got.empty() ? "" : got[0].message);
		EXPECT_TRUE(BlocksMatchModel(s_, o_, 0));
		/* isolated: nothing of zspage 0 entered the index */
		EXPECT_EQ(s_.gaps.gaps, 1u);
		EXPECT_EQ(s_.gaps.units, 32u);

		ASSERT_EQ(zs_span_putback(&s_, 0), kUnits);
		zs_span_tally t;
		got.clear();
		ASSERT_ERRNO(CheckAll(s_, o_, &t, &got), 0)
			<< (got.empty() ? "" : got[0].message);
		EXPECT_EQ(s_.gaps.gaps, t.indexed);
		EXPECT_EQ(s_.gaps.units, t.indexed_units);
		EXPECT_EQ(s_.gaps.gaps, want_gaps);
		EXPECT_EQ(s_.gaps.units, want_units);
	}

	/* Every object freed at its place, slid ones too: zspage 0 is one
	 * gap again. */
	void FreeAll()
	{
		/* after a failure the span may hold what a free aborts on */
		if (HasFailure())
			return;
		unsigned merged = 0;
		for (uint32_t i = 0; i < o_.slots.size(); i++)
			if (o_.slots[i].live &&
			    zs_span_ref_zspage(o_.slots[i].ref) == 0)
				merged = Unplace(s_, o_, i);
		EXPECT_EQ(merged, kUnits);
		std::vector<Report> got;
		EXPECT_ERRNO(CheckIndexWithout(s_, o_, ZS_GAP_NONE, &got), 0);
	}

	Owner o_;
	zs_span s_;
};

TEST_F(SpanSlide, OverAOneUnitGapWithNoGapAfter)
{
	Build({ 3, -1, 4, 2, -54 });
	Slide(3, 1, 1);
	EXPECT_EQ(Word(0, 8 * 8), SlotAt(8) << 2 | 2u);
	FreeAll();
}

TEST_F(SpanSlide, OverAOneUnitGapMergingTheGapAfter)
{
	Build({ 3, -1, 4, -5, 2, -49 });
	Slide(3, 1, 6);
	FreeAll();
}

TEST_F(SpanSlide, OverALongerGapWithNoGapAfter)
{
	Build({ 3, -5, 4, 2, -50 });
	Slide(3, 5, 5);
	FreeAll();
}

TEST_F(SpanSlide, OverALongerGapMergingTheGapAfter)
{
	Build({ 3, -5, 4, -7, 2, -43 });
	Slide(3, 5, 12);
	FreeAll();
}

/* The gap at the zspage's start: the object becomes its first block. */
TEST_F(SpanSlide, ToTheZspagesFirstUnit)
{
	Build({ -2, 6, -3, 53 });
	Slide(0, 2, 5);
	FreeAll();
}

/* The object is the zspage's last block: no tag after it to mark, the
 * gap now ends the zspage. */
TEST_F(SpanSlide, TheLastObjectOfTheZspage)
{
	Build({ 3, -5, 56 });
	Slide(3, 5, 5);
	FreeAll();
}

/* The gap after the object runs to the zspage's end. */
TEST_F(SpanSlide, MergingAGapThatEndsTheZspage)
{
	Build({ 3, -5, 4, -52 });
	Slide(3, 5, 57);
	FreeAll();
}

/* Slides one after another, as compaction does, until the free units run
 * into one gap at the end; the index then offers it whole. */
TEST_F(SpanSlide, OneAfterAnotherUntilOneGapEndsTheZspage)
{
	Build({ 2, -1, 3, -4, 5, -2, 1, -6, 7, -33 });
	Slide(2, 1, 5);
	Slide(5, 5, 7);
	Slide(10, 7, 13);
	Slide(11, 13, 46);
	EXPECT_EQ(zs_gaps_find(&s_.gaps, 46), zs_span_ref(0, 18));
	FreeAll();
}

/*
 * zs_span_alloc searches with zs_gaps_find_fit.  Zspage 0 (256 units):
 * objects of 2 units at 0, 35 and 69 with gaps of 33 units at 2 and 32 at
 * 37 between them (both in list 32 .. 33), and a gap of 185 at 71.  A
 * request of 33 rounds up past that list, so zs_gaps_find offers the 185;
 * with the 33 newest in its list the alloc takes it whole.  With the 32
 * newest, it is passed over (never split below the request) and the 185
 * serves; the 32 then serves a request of its own size.
 */
class SpanFit : public ::testing::Test {
protected:
	void Build(uint32_t first_freed, uint32_t then_freed)
	{
		o_.zspages.emplace_back(256);
		zs_span_init(&s_, &kOps, &o_);
		zs_span_add_zspage(&s_, 0);
		const unsigned units[5] = { 2, 33, 2, 32, 2 };
		for (uint32_t i = 0; i < 5; i++)
			ASSERT_NE(Place(s_, o_, units[i], 1 + i), ZS_GAP_NONE);
		Unplace(s_, o_, first_freed);
		Unplace(s_, o_, then_freed);
		ASSERT_EQ(zs_gaps_list_of(32), zs_gaps_list_of(33));
		ASSERT_EQ(zs_gaps_find(&s_.gaps, 33), zs_span_ref(0, 71));
	}
	void ExpectClean()
	{
		std::vector<Report> got;
		EXPECT_ERRNO(CheckIndexWithout(s_, o_, ZS_GAP_NONE, &got), 0)
			<< (got.empty() ? "" : got[0].message);
		EXPECT_TRUE(BlocksMatchModel(s_, o_, 0));
	}

	Owner o_;
	zs_span s_;
};

TEST_F(SpanFit, AnExactGapAtTheHeadOfItsListIsTaken)
{
	Build(4, 2); /* the 33 is the newest */
	ASSERT_EQ(s_.gaps.head[zs_gaps_list_of(33)], zs_span_ref(0, 2));
	EXPECT_EQ(Place(s_, o_, 33, 10), zs_span_ref(0, 2));
	/* taken whole: no gap left before the object at 35 */
	EXPECT_EQ(zs_span_tag(&s_, zs_span_ref(0, 35)), 3u << 2);
	EXPECT_EQ(s_.gaps.units, 32u + 185);
	ExpectClean();
}

TEST_F(SpanFit, AHeadSmallerThanTheRequestIsPassedOver)
{
	Build(2, 4); /* the 32 is the newest */
	ASSERT_EQ(s_.gaps.head[zs_gaps_list_of(33)], zs_span_ref(0, 37));
	EXPECT_EQ(Place(s_, o_, 33, 10), zs_span_ref(0, 71));
	EXPECT_EQ(zs_span_tag(&s_, zs_span_ref(0, 37)), GapTag(32));
	EXPECT_EQ(zs_span_tag(&s_, zs_span_ref(0, 2)), GapTag(33));
	ExpectClean();
	EXPECT_EQ(Place(s_, o_, 32, 11), zs_span_ref(0, 37));
	ExpectClean();
}

/* Requests of every size against gaps of every nearby size: an alloc
 * never lands in a gap shorter than the request. */
TEST(Span, AllocNeverTakesAGapSmallerThanTheRequest)
{
	for (unsigned gap = 2; gap <= 300; gap++) {
		for (unsigned want = 1; want <= gap + 40; want++) {
			Owner o;
			o.zspages.emplace_back(gap + 4);
			zs_span s;
			zs_span_init(&s, &kOps, &o);
			zs_span_add_zspage(&s, 0);
			/* the gap of gap units at 0, then an object of 4 */
			ASSERT_EQ(Place(s, o, gap, 1), zs_span_ref(0, 0));
			ASSERT_EQ(Place(s, o, 4, 2), zs_span_ref(0, gap));
			Unplace(s, o, 1);
			uint32_t ref = Place(s, o, want, 3);
			if (want <= gap) {
				ASSERT_EQ(ref, zs_span_ref(0, 0))
					<< gap << " " << want;
			} else {
				ASSERT_EQ(ref, ZS_GAP_NONE)
					<< gap << " " << want;
			}
		}
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

TEST_F(SpanFinding, LayoutIsAsDescribed)
{
	EXPECT_EQ(Word(0), 1u << 2); /* A: slot 1 */
	EXPECT_EQ(Word(3 * 8), GapTag(5));
	EXPECT_EQ(Word(8 * 8 - 4), GapTag(5)); /* its footer */
	EXPECT_EQ(Word(8 * 8), 2u << 2 | 2u); /* B, after a gap */
	EXPECT_EQ(Word(12 * 8), 3u << 2); /* C */
	EXPECT_EQ(Word(14 * 8), GapTag(50));
	/* the last gap has no footer: nothing follows it to read one, and
	 * writing one would touch the zspage's last page */
	EXPECT_NE(Word(64 * 8 - 4), GapTag(50));
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

/* zs_span_tag is the raw word, prev-gap bit and all; a tag names one slot
 * whatever that bit says, and a gap's tag names none, not even the slot
 * its bits would spell without the gap bit. */
TEST_F(SpanFinding, TagIsTheRawWordAndNamesOnlyItsSlot)
{
	const uint32_t a = zs_span_tag(&s_, o_.slots[1].ref);
	const uint32_t b = zs_span_tag(&s_, o_.slots[2].ref);
	const uint32_t gap = zs_span_tag(&s_, zs_span_ref(0, 3));
	EXPECT_EQ(a, 1u << 2);
	EXPECT_EQ(b, 2u << 2 | 2u);
	EXPECT_EQ(gap, GapTag(5));
	EXPECT_EQ(zs_span_tag(&s_, zs_span_ref(0, 14)), GapTag(50));
	EXPECT_TRUE(zs_span_tag_names(a, 1));
	EXPECT_FALSE(zs_span_tag_names(a, 2));
	EXPECT_FALSE(zs_span_tag_names(a, 0));
	EXPECT_TRUE(zs_span_tag_names(b, 2));
	EXPECT_FALSE(zs_span_tag_names(b, 3));
	EXPECT_FALSE(zs_span_tag_names(gap, gap >> 2));
	EXPECT_FALSE(zs_span_tag_names(gap, 5));
	EXPECT_TRUE(zs_span_tag_names(0, 0));
	EXPECT_TRUE(zs_span_tag_names(ZS_SPAN_MAX_SLOT << 2 | 2u,
				      ZS_SPAN_MAX_SLOT));
	EXPECT_FALSE(zs_span_tag_names(ZS_SPAN_MAX_SLOT << 2 | 1u,
				       ZS_SPAN_MAX_SLOT));
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

/* A neighbour gap whose length runs past the zspage's end (or, before
 * the object, past its start): merging would write a footer outside the
 * zspage.  The free stops before it writes, so the report is the same with
 * or without ASan; the isolated free checks the same.  A gap of exactly
 * what is left is no corruption (the frees of ExactFillAndMergeBack). */
TEST_F(SpanDeathTest, FreeBesideAGapRunningPastTheZspage)
{
	zs_set_report_hook(&PrintKind, nullptr, nullptr);
	SetWord(14 * 8, GapTag(51)); /* 50 units are left from 14 */
	EXPECT_DEATH(zs_span_free(&s_, o_.slots[3].ref, 2),
		     "ZS_FINDING_ABORT_SPAN_TAG: zs: free: the block beside "
		     "zspage 0 unit 14 has tag 0x5a5a00cd, neither an object's "
		     "nor a gap's");
	EXPECT_DEATH(zs_span_free_isolated(&s_, o_.slots[3].ref, 2),
		     "ZS_FINDING_ABORT_SPAN_TAG: zs: free: the block beside "
		     "zspage 0 unit 14 has tag 0x5a5a00cd, neither an object's "
		     "nor a gap's");
	SetWord(14 * 8, GapTag(50));
	/* the footer before B claims 9 units where 8 precede it */
	SetWord(8 * 8 - 4, GapTag(9));
	EXPECT_DEATH(zs_span_free(&s_, o_.slots[2].ref, 4),
		     "ZS_FINDING_ABORT_SPAN_TAG: zs: free: the block beside "
		     "zspage 0 unit 8 has tag 0x5a5a0025, neither an object's "
		     "nor a gap's");
	SetWord(8 * 8 - 4, GapTag(5));
	zs_set_report_hook(nullptr, nullptr, nullptr);
	/* intact, the same frees merge: C with the 50 after it */
	EXPECT_EQ(zs_span_free(&s_, o_.slots[3].ref, 2), 52u);
	EXPECT_EQ(zs_span_free(&s_, o_.slots[2].ref, 4), 5u + 4 + 52);
}

/* Isolation and putback walk the zspage to find its gaps and stop at a
 * tag they cannot step over, saying where: the owner reports it. */
TEST_F(SpanDeathTest, IsolateAndPutbackStopAtAnOverwrittenTag)
{
	SetWord(3 * 8, GapTag(5) ^ 0x10000u);
	EXPECT_EQ(zs_span_isolate(&s_, 0), 3u);
	EXPECT_EQ(zs_span_putback(&s_, 0), 3u);
}

/*
 * A slide reads the tag after the object as a free does: with zspage 0
 * isolated, B (at 8, after the gap of 5 at 3) slides.  The tag of C after
 * it with the gap bit but no gap's pattern, and then (C freed, so a gap of
 * 52 follows B) that gap's tag with a pattern bit flipped, or claiming 53
 * units where 52 are left, each stop the slide before it moves a byte.
 */
TEST_F(SpanDeathTest, SlideBesideAnOverwrittenTag)
{
	ASSERT_EQ(zs_span_isolate(&s_, 0), 64u);
	zs_set_report_hook(&PrintKind, nullptr, nullptr);
	SetWord(12 * 8, 3u << 2 | 1u);
	EXPECT_DEATH(zs_span_slide(&s_, 0, 3, 4),
		     "ZS_FINDING_ABORT_SPAN_TAG: zs: free: the block beside "
		     "zspage 0 unit 12 has tag 0x0000000d, neither an object's "
		     "nor a gap's");
	SetWord(12 * 8, 3u << 2);
	zs_set_report_hook(nullptr, nullptr, nullptr);
	ASSERT_EQ(zs_span_free_isolated(&s_, o_.slots[3].ref, 2), 52u);
	o_.slots[3].live = false;
	zs_set_report_hook(&PrintKind, nullptr, nullptr);
	SetWord(12 * 8, GapTag(52) ^ 0x20000u);
	EXPECT_DEATH(zs_span_slide(&s_, 0, 3, 4),
		     "ZS_FINDING_ABORT_SPAN_TAG: zs: free: the block beside "
		     "zspage 0 unit 12 has tag 0x5a5800d1, neither an "
		     "object's nor a gap's");
	SetWord(12 * 8, GapTag(53));
	EXPECT_DEATH(zs_span_slide(&s_, 0, 3, 4),
		     "ZS_FINDING_ABORT_SPAN_TAG: zs: free: the block beside "
		     "zspage 0 unit 12 has tag 0x5a5a00d5, neither an object's "
		     "nor a gap's");
	SetWord(12 * 8, GapTag(52));
	zs_set_report_hook(nullptr, nullptr, nullptr);
	/* intact, the same slide goes through: 5 + 52 units after B */
	EXPECT_EQ(zs_span_slide(&s_, 0, 3, 4), 57u);
	o_.slots[2].ref = zs_span_ref(0, 3);
	EXPECT_EQ(zs_span_putback(&s_, 0), 64u);
	zs_span_tally t;
	std::vector<Report> got;
	EXPECT_ERRNO(CheckAll(s_, o_, &t, &got), 0);
	EXPECT_EQ(t.gaps, 1u);
	EXPECT_EQ(t.gap_units, 57u);
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
