// SPDX-License-Identifier: MIT
/*
 * gtest/zs_arena_compact_test.cc - one zs_arena_compact call leaves as few
 * regions as the pages in use need, and a second call has nothing to do.
 *
 * Arena compaction exists to give whole 2 MiB regions back to the OS, so
 * what matters is how many regions are left, not merely that pages moved.
 * Each test lays out exactly which pages are live: one page per object
 * (zsmalloc with chain_size 1 and 4096-byte objects, or zbud with one or
 * two buddies per page), three full regions thinned to every fifth page
 * (100 pages each) and a fourth region emptied, which the arena keeps
 * mapped as its spare.  A good compaction moves the pages of two regions
 * into the third, each page once, and unmaps the rest: one region left.
 * Moving pages into the spare instead (a region that is then empty only to
 * be filled) leaves two, and needs a second call to finish.
 *
 * Which region is the spare is varied, since the arena's page allocator
 * prefers low region slots and the spare may sit below or above the
 * region that should stay.  Objects are checked byte for byte after every
 * step, with the pools' and the arena's own consistency checks.
 */
#include "gtest/zs_shim.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace
{

constexpr unsigned kRegionPages = 512; /* 2 MiB regions */
constexpr unsigned kRegions = 3; /* regions left holding pages */
constexpr unsigned kKeepEvery = 5; /* every fifth page kept ... */
constexpr unsigned kKept = 100; /* ... of the first 500: 100 per region */

enum Kind { kZs, kZbud };

struct Obj {
	Kind kind;
	uint64_t handle;
	size_t size;
	uint64_t seed;
};

/* The page an object lies in, from the pointer the API gives. */
uintptr_t PageOf(const void *p)
{
	return reinterpret_cast<uintptr_t>(p) & ~(uintptr_t)(ZS_PAGE_SIZE - 1);
}

/*
 * A private arena with a zsmalloc pool (chain_size 1: a 4096-byte object
 * is one zspage of one page) and a zbud pool on it.  Every allocation
 * here takes exactly one new page, so page k of the arena's history is
 * known to the test as "page k".
 */
class Rig {
public:
	Rig()
	{
		zs_pool_config cfg = {};
		cfg.name = "arena-compact";
		cfg.chain_size = 1;
		cfg.arena = arena_;
		zs_.reset(new zs::Pool(cfg));
		zbud_ = zbud_create_pool_arena(nullptr, arena_);
	}
	~Rig()
	{
		zbud_destroy_pool(zbud_);
		zs_.reset();
	}
	Rig(const Rig &) = delete;
	Rig &operator=(const Rig &) = delete;

	bool ok() const
	{
		return arena_.get() && zs_->get() && zbud_;
	}
	zs_arena *arena() const
	{
		return arena_;
	}
	struct zs_arena_stats Stats() const
	{
		return arena_.Stats();
	}

	/* One new page: a huge zsmalloc object, or zbud with one buddy
	 * (3000 B) or two (1500 B each: the second fits the first's hole
	 * exactly, best fit puts it there).  Returns the page's objects'
	 * indexes, or an empty vector on failure. */
	std::vector<size_t> AllocPage(Kind kind, int buddies)
	{
		std::vector<size_t> got;
		if (kind == kZs) {
			size_t i = Alloc(kZs, 4096);
			if (i != npos)
				got.push_back(i);
			return got;
		}
		for (int b = 0; b < buddies; b++) {
			size_t i = Alloc(kZbud, buddies == 1 ? 3000 : 1500);
			if (i == npos)
				return {};
			got.push_back(i);
		}
		return got;
	}

	/* Where object i lies now, or 0 when it cannot be reached. */
	uintptr_t Page(size_t i)
	{
		const Obj &o = objs_[i];
		if (o.kind == kZs) {
			std::vector<uint8_t> buf(o.size);
			const void *p =
				zs_obj_read_begin(*zs_, o.handle, buf.data());
			if (!p || p == buf.data()) {
				if (p)
					zs_obj_read_end(*zs_, o.handle, p);
				return 0;
			}
			zs_obj_read_end(*zs_, o.handle, p);
			return PageOf(p);
		}
		void *p = zbud_map(zbud_, o.handle);
		if (!p)
			return 0;
		zbud_unmap(zbud_, o.handle);
		return PageOf(p);
	}

	int Free(size_t i)
	{
		Obj &o = objs_[i];
		int r = o.kind == kZs ? zs_free(*zs_, o.handle) :
					zbud_free(zbud_, o.handle);
		if (r == 0)
			o.handle = 0;
		return r;
	}

	/* Every live object's bytes, both pools' checks and the arena's. */
	::testing::AssertionResult Intact()
	{
		for (size_t i = 0; i < objs_.size(); i++) {
			const Obj &o = objs_[i];
			if (!o.handle)
				continue;
			::testing::AssertionResult r = Bytes(o);
			if (!r)
				return r << " (object " << i << ")";
		}
		int e;
		if ((e = zs_pool_check(*zs_)) != 0)
			return ::testing::AssertionFailure()
			       << "zs_pool_check " << zs::ErrString(e);
		if ((e = zbud_pool_check(zbud_)) != 0)
			return ::testing::AssertionFailure()
			       << "zbud_pool_check " << zs::ErrString(e);
		if ((e = zs_arena_check(arena_)) != 0)
			return ::testing::AssertionFailure()
			       << "zs_arena_check " << zs::ErrString(e);
		return ::testing::AssertionSuccess();
	}

	size_t Live() const
	{
		size_t n = 0;
		for (const Obj &o : objs_)
			n += o.handle != 0;
		return n;
	}
	const Obj &obj(size_t i) const
	{
		return objs_[i];
	}
	zs_pool *zs() const
	{
		return *zs_;
	}
	zbud_pool *zbud() const
	{
		return zbud_;
	}

	static constexpr size_t npos = (size_t)-1;

private:
	size_t Alloc(Kind kind, size_t size)
	{
		Obj o = { kind, 0, size, next_seed_++ };
		if (kind == kZs) {
			if (zs_malloc(*zs_, size, &o.handle) != 0 ||
			    zs::WritePattern(*zs_, o.handle, size, o.seed) != 0)
				return npos;
		} else {
			if (zbud_alloc(zbud_, size, &o.handle) != 0)
				return npos;
			void *p = zbud_map(zbud_, o.handle);
			if (!p)
				return npos;
			zs::FillPattern(p, size, o.seed);
			zbud_unmap(zbud_, o.handle);
		}
		objs_.push_back(o);
		return objs_.size() - 1;
	}

	::testing::AssertionResult Bytes(const Obj &o)
	{
		if (o.kind == kZs)
			return zs::HasPattern(*zs_, o.handle, o.size, o.seed);
		void *p = zbud_map(zbud_, o.handle);
		if (!p)
			return ::testing::AssertionFailure()
			       << "zbud_map(" << o.handle << ") failed";
		::testing::AssertionResult r =
			zs::BytesMatch(p, o.size, o.seed);
		zbud_unmap(zbud_, o.handle);
		return r;
	}

	zs::Arena arena_;
	std::unique_ptr<zs::Pool> zs_;
	zbud_pool *zbud_ = nullptr;
	std::vector<Obj> objs_;
	uint64_t next_seed_ = 1;
};

/* What each page of the layout is made of. */
struct Layout {
	/* kind and buddies of the k-th page allocated */
	std::function<std::pair<Kind, int>(unsigned)> page;
	unsigned spare; /* which of the four regions is emptied */
};

/*
 * Fills four regions page by page, empties region `spare` (the arena keeps
 * it mapped as its spare) and thins the other three to every fifth page.
 * pages[r] lists the objects of each page of region r, in region order.
 */
class Spread {
public:
	explicit Spread(Rig &rig) : rig_(rig)
	{
	}

	::testing::AssertionResult Build(const Layout &l)
	{
		std::vector<std::vector<size_t>> pages;
		for (unsigned k = 0; k < (kRegions + 1) * kRegionPages; k++) {
			std::pair<Kind, int> what = l.page(k);
			std::vector<size_t> objs =
				rig_.AllocPage(what.first, what.second);
			if (objs.empty())
				return ::testing::AssertionFailure()
				       << "allocating page " << k << " failed";
			/* pages come from the lowest region with room, so
			 * page k sits in region k / 512 */
			struct zs_arena_stats st = rig_.Stats();
			if (st.pages_in_use != k + 1 ||
			    st.regions_mapped != k / kRegionPages + 1)
				return ::testing::AssertionFailure()
				       << "after page " << k << ": "
				       << st.pages_in_use << " pages in "
				       << st.regions_mapped << " regions";
			pages.push_back(objs);
		}
		/* each block of 512 pages is one 2 MiB region */
		for (unsigned r = 0; r <= kRegions; r++) {
			uintptr_t lo = UINTPTR_MAX, hi = 0;
			for (unsigned i = 0; i < kRegionPages; i++) {
				uintptr_t p = rig_.Page(
					pages[r * kRegionPages + i][0]);
				lo = std::min(lo, p);
				hi = std::max(hi, p);
			}
			if (hi - lo != (kRegionPages - 1) * ZS_PAGE_SIZE)
				return ::testing::AssertionFailure()
				       << "pages " << r * kRegionPages
				       << ".. are not one region";
		}
		/* The spare first, so it is the one empty region kept. */
		for (unsigned i = 0; i < kRegionPages; i++)
			for (size_t o : pages[l.spare * kRegionPages + i])
				if (rig_.Free(o) != 0)
					return ::testing::AssertionFailure()
					       << "free failed";
		for (unsigned r = 0; r <= kRegions; r++) {
			if (r == l.spare)
				continue;
			std::vector<size_t> kept;
			for (unsigned i = 0; i < kRegionPages; i++) {
				const std::vector<size_t> &objs =
					pages[r * kRegionPages + i];
				if (i % kKeepEvery == 0 &&
				    i / kKeepEvery < kKept) {
					kept.push_back(objs[0]);
					continue;
				}
				for (size_t o : objs)
					if (rig_.Free(o) != 0)
						return ::testing::
							       AssertionFailure()
						       << "free failed";
			}
			region_objs_.push_back(kept);
		}
		/* A freed huge object's page may be kept for the next one
		 * (zs/huge.c), which no run migration moves: compaction
		 * gives the kept pages back first. */
		zs_compact(rig_.zs());
		struct zs_arena_stats st = rig_.Stats();
		if (st.pages_in_use != kRegions * kKept ||
		    st.regions_mapped != kRegions + 1)
			return ::testing::AssertionFailure()
			       << "layout: " << st.pages_in_use
			       << " pages in use in " << st.regions_mapped
			       << " regions, expected " << kRegions * kKept
			       << " in " << kRegions + 1
			       << " (three thinned and the spare)";
		return ::testing::AssertionSuccess();
	}

	/* One object of each kept page of region r (0..2, spare skipped). */
	const std::vector<size_t> &Region(unsigned r) const
	{
		return region_objs_[r];
	}

private:
	Rig &rig_;
	std::vector<std::vector<size_t>> region_objs_;
};

unsigned long Ceil(unsigned long pages)
{
	return (pages + kRegionPages - 1) / kRegionPages;
}

/* The whole contract of one layout: one call leaves ceil(pages / 512)
 * regions, moving each page of the regions that go exactly once; a second
 * call moves nothing. */
void CompactsToOneRegion(const Layout &l)
{
	Rig rig;
	ASSERT_TRUE(rig.ok());
	Spread spread(rig);
	ASSERT_TRUE(spread.Build(l));
	ASSERT_TRUE(rig.Intact());
	const size_t live = rig.Live();
	const struct zs_arena_stats before = rig.Stats();

	unsigned long moved = zs_arena_compact(rig.arena());
	struct zs_arena_stats st = rig.Stats();
	EXPECT_EQ(st.pages_in_use, before.pages_in_use);
	EXPECT_EQ(st.regions_mapped, Ceil(st.pages_in_use))
		<< moved << " pages moved";
	EXPECT_EQ(moved, (kRegions - 1) * (unsigned long)kKept)
		<< "the pages of the two regions that go, each moved once";
	EXPECT_EQ(st.pages_migrated - before.pages_migrated, moved);
	EXPECT_EQ(st.migrate_failures, before.migrate_failures);
	EXPECT_EQ(st.regions_released - before.regions_released,
		  before.regions_mapped - st.regions_mapped);
	EXPECT_EQ(st.pages_in_use + st.pages_free,
		  st.regions_mapped * kRegionPages);
	EXPECT_EQ(rig.Live(), live);
	EXPECT_TRUE(rig.Intact());

	EXPECT_EQ(zs_arena_compact(rig.arena()), 0u) << "second call";
	struct zs_arena_stats st2 = rig.Stats();
	EXPECT_EQ(st2.regions_mapped, st.regions_mapped);
	EXPECT_EQ(st2.pages_in_use, st.pages_in_use);
	EXPECT_EQ(st2.pages_migrated, st.pages_migrated);
	EXPECT_TRUE(rig.Intact());
}

std::pair<Kind, int> ZsPage(unsigned)
{
	return { kZs, 1 };
}

TEST(ArenaCompact, ZsmallocPagesEndInOneRegion)
{
	for (unsigned spare = 0; spare <= kRegions; spare++) {
		SCOPED_TRACE("spare region " + std::to_string(spare));
		CompactsToOneRegion({ ZsPage, spare });
	}
}

TEST(ArenaCompact, ZbudPagesWithOneBuddyEndInOneRegion)
{
	for (unsigned spare = 0; spare <= kRegions; spare++) {
		SCOPED_TRACE("spare region " + std::to_string(spare));
		CompactsToOneRegion(
			{ [](unsigned) { return std::make_pair(kZbud, 1); },
			  spare });
	}
}

TEST(ArenaCompact, ZbudPagesWithOneOrTwoBuddiesEndInOneRegion)
{
	for (unsigned spare = 0; spare <= kRegions; spare++) {
		SCOPED_TRACE("spare region " + std::to_string(spare));
		/* kept pages are every fifth: alternate them between one
		 * and two buddies */
		CompactsToOneRegion(
			{ [](unsigned k) {
				 return std::make_pair(
					 kZbud, k / kKeepEvery % 2 ? 2 : 1);
			 },
			  spare });
	}
}

TEST(ArenaCompact, MixedZsmallocAndZbudPagesEndInOneRegion)
{
	for (unsigned spare = 0; spare <= kRegions; spare++) {
		SCOPED_TRACE("spare region " + std::to_string(spare));
		CompactsToOneRegion(
			{ [](unsigned k) {
				 switch (k / kKeepEvery % 3) {
				 case 0:
					 return std::make_pair(kZs, 1);
				 case 1:
					 return std::make_pair(kZbud, 1);
				 default:
					 return std::make_pair(kZbud, 2);
				 }
			 },
			  spare });
	}
}

/*
 * A pinned page (a mapped object) cannot move: the region holding it must
 * stay, the object must stay where its mapping points, and everything
 * else must still be compacted correctly.  Once the pin is gone, one more
 * call reaches one region.
 */
void PinnedPageStays(Kind kind, unsigned pinned_region)
{
	Rig rig;
	ASSERT_TRUE(rig.ok());
	Spread spread(rig);
	ASSERT_TRUE(spread.Build(
		{ [kind](unsigned) { return std::make_pair(kind, 1); }, 0 }));
	size_t pin = spread.Region(pinned_region)[kKept / 2];
	const Obj &o = rig.obj(pin);
	uintptr_t page = rig.Page(pin);
	ASSERT_NE(page, 0u);
	void *p = kind == kZs ? zs_map_object(rig.zs(), o.handle, ZS_MM_RO) :
				zbud_map(rig.zbud(), o.handle);
	ASSERT_NE(p, nullptr);
	ASSERT_EQ(PageOf(p), page);
	const struct zs_arena_stats before = rig.Stats();

	unsigned long moved = zs_arena_compact(rig.arena());
	struct zs_arena_stats st = rig.Stats();
	EXPECT_EQ(st.pages_in_use, before.pages_in_use);
	EXPECT_GE(st.regions_mapped, 1u);
	EXPECT_LE(st.regions_mapped, 2u)
		<< "at most the kept region and the pinned page's";
	EXPECT_LE(moved, (unsigned long)kRegions * kKept);
	EXPECT_EQ(st.pages_migrated - before.pages_migrated, moved);
	/* the pinned object did not move and still reads right */
	EXPECT_TRUE(zs::BytesMatch(p, o.size, o.seed));
	if (kind == kZs) {
		EXPECT_ERRNO(zs_unmap_object(rig.zs(), o.handle), 0);
	} else {
		EXPECT_ERRNO(zbud_unmap(rig.zbud(), o.handle), 0);
	}
	EXPECT_EQ(rig.Page(pin), page);
	EXPECT_TRUE(rig.Intact());

	zs_arena_compact(rig.arena());
	st = rig.Stats();
	EXPECT_EQ(st.pages_in_use, before.pages_in_use);
	EXPECT_EQ(st.regions_mapped, Ceil(st.pages_in_use))
		<< "after the pin is gone";
	EXPECT_TRUE(rig.Intact());
	EXPECT_EQ(zs_arena_compact(rig.arena()), 0u);
	EXPECT_EQ(rig.Stats().regions_mapped, st.regions_mapped);
}

TEST(ArenaCompact, PinnedZsmallocPageStaysAndTheRestIsCorrect)
{
	for (unsigned r = 0; r < kRegions; r++) {
		SCOPED_TRACE("pinned page in region " + std::to_string(r));
		PinnedPageStays(kZs, r);
	}
}

TEST(ArenaCompact, PinnedZbudPageStaysAndTheRestIsCorrect)
{
	for (unsigned r = 0; r < kRegions; r++) {
		SCOPED_TRACE("pinned page in region " + std::to_string(r));
		PinnedPageStays(kZbud, r);
	}
}

} /* namespace */
