// SPDX-License-Identifier: MIT
/*
 * gtest/zs_abort_sites_test.cc - one death test per place zs aborts.
 *
 * zs never continues past corruption it meets during an operation: it
 * reports what it found (a ZS_FINDING_ABORT_* kind, zs/findings.h), then
 * ZS_FINDING_CORRUPTION_ABORT "zs: heap corruption detected, aborting",
 * and aborts.  Each test here makes one such corruption, with the stray
 * write a use after free or an overrun would make
 * (gtest/zs_abort_sites_plant.c), and requires the child to die of SIGABRT
 * after exactly those two reports, kinds and words.  The words are written
 * out here on purpose: they are what a log shows, and a change to them
 * should be seen in review.
 *
 * Layouts are built in the parent, where the numbers the report will carry
 * (unit, zspage, slot, tag, address) are read; the child (a fork, so
 * the same addresses) plants the corruption and makes the call that must
 * notice it.  The parent's pools are never corrupted and are freed cleanly.
 */
#include "gtest/zs_shim.h"

#include <gtest/gtest.h>

#include <csignal>
#include <cstdarg>
#include <cstdio>
#include <string>
#include <vector>

#include "gtest/zs_abort_sites_plant.h"

extern "C" {
#include "zs/report.h"
}

namespace
{

char kHookTag[] = "abort-sites";

/* In the child the hook is all there is to say what happened: one line per
 * report, the kind's name then the message, and a complaint if the hook's
 * own argument did not come through. */
void ChildHook(enum zs_finding kind, const char *message, void *arg)
{
	if (arg != kHookTag)
		fputs("wrong hook argument\n", stderr);
	const char *name = zs_finding_name(kind);
	fprintf(stderr, "%s: %s\n", name ? name : "(no kind)", message);
}

std::string Format(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
std::string Format(const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return buf;
}

/* The death test's regex (POSIX extended) matching text literally. */
std::string Literal(const std::string &text)
{
	std::string out;

	for (char ch : text) {
		if (std::string(".[]{}()\\*+?^$|").find(ch) !=
		    std::string::npos)
			out += '\\';
		out += ch;
	}
	return out;
}

/* What the child must print: the site's report, then the abort's. */
std::string Reports(enum zs_finding kind, const std::string &message)
{
	return Literal(std::string(zs_finding_name(kind)) + ": " + message +
		       "\n" + "ZS_FINDING_CORRUPTION_ABORT: " +
		       "zs: heap corruption detected, aborting\n");
}

/* Runs statement in a forked child with ChildHook installed; it must die
 * of SIGABRT after printing Reports(kind, message). */
#define EXPECT_ABORT_SITE(statement, kind, message)                        \
	EXPECT_EXIT(                                                       \
		{                                                          \
			zs_set_report_hook(&ChildHook, kHookTag, nullptr); \
			statement;                                         \
		},                                                         \
		testing::KilledBySignal(SIGABRT), Reports(kind, message))

class AbortSite : public ::testing::Test {
protected:
	void SetUp() override
	{
		/* fork: the child sees the parent's layout at the same
		 * addresses, so the parent can compute the exact report */
		GTEST_FLAG_SET(death_test_style, "fast");
	}
};

/* ---- every kind has its words --------------------------------------- */

/* What finding_formats.h gives each kind: some words, without the "zs: "
 * every report starts with (report.c adds it) or a newline (the hook's
 * lines have none). */
TEST(FindingFormat, EveryKindHasItsWords)
{
	for (int k = ZS_FINDING_NONE + 1; k < ZS_FINDING_COUNT; k++) {
		const char *name = zs_finding_name((enum zs_finding)k);
		const char *fmt = zsa_finding_format((enum zs_finding)k);
		ASSERT_NE(fmt, nullptr) << name;
		std::string words(fmt);
		EXPECT_FALSE(words.empty()) << name;
		EXPECT_NE(words.rfind("zs: ", 0), 0u) << name;
		EXPECT_EQ(words.find('\n'), std::string::npos) << name;
	}
	EXPECT_NULL_ERRNO(zsa_finding_format(ZS_FINDING_NONE), -EINVAL);
	EXPECT_NULL_ERRNO(zsa_finding_format(ZS_FINDING_COUNT), -EINVAL);
	EXPECT_STREQ(zsa_finding_format(ZS_FINDING_CORRUPTION_ABORT),
		     "heap corruption detected, aborting");
}

/* ---- zs/arena.c ------------------------------------------------------ */

int NoIsolate(void *, void *, uint32_t, uint32_t)
{
	return -EBUSY;
}

int NoMigrate(void *, void *, void *, uint32_t, uint32_t)
{
	return -EBUSY;
}

void NoPutback(void *, void *, uint32_t, uint32_t)
{
}

const zs_movable_ops kNoMoves = { NoIsolate, NoMigrate, NoPutback };

/* zs_arena_free_page given a page the arena did not hand out: a pointer
 * from elsewhere, or a page freed twice. */
TEST_F(AbortSite, ArenaFreePageNotAllocated)
{
	zs_arena *arena = zs_arena_create();
	ASSERT_NE(arena, nullptr);
	int tag;
	int owner = zs_arena_register_owner(arena, &tag, &kNoMoves);
	ASSERT_GE(owner, 0);
	alignas(4096) static char foreign[4096];
	const char *what = "zs: zs_arena_free_page: %p is not an allocated "
			   "page of this arena (double free or foreign "
			   "pointer)";

	EXPECT_ABORT_SITE(zs_arena_free_page(arena, foreign),
			  ZS_FINDING_ABORT_ARENA_FREE_PAGE_NOT_ALLOCATED,
			  Format(what, static_cast<void *>(foreign)));

	void *page = zs_arena_alloc_page(arena, owner);
	ASSERT_NE(page, nullptr);
	EXPECT_ABORT_SITE(
		{
			zs_arena_free_page(arena, page);
			zs_arena_free_page(arena, page);
		},
		ZS_FINDING_ABORT_ARENA_FREE_PAGE_NOT_ALLOCATED,
		Format(what, page));

	zs_arena_free_page(arena, page);
	zs_arena_unregister_owner(arena, owner);
	EXPECT_ERRNO(zs_arena_destroy(arena), 0);
}

/* zs_arena_free_pages with one page of the batch freed already. */
TEST_F(AbortSite, ArenaFreePagesNotAllocated)
{
	zs_arena *arena = zs_arena_create();
	ASSERT_NE(arena, nullptr);
	int tag;
	int owner = zs_arena_register_owner(arena, &tag, &kNoMoves);
	ASSERT_GE(owner, 0);
	void *pages[3];
	ASSERT_ERRNO(zs_arena_alloc_pages(arena, owner, 3, pages, 0, 0), 0);

	EXPECT_ABORT_SITE(
		{
			zs_arena_free_page(arena, pages[1]);
			zs_arena_free_pages(arena, pages, 3);
		},
		ZS_FINDING_ABORT_ARENA_FREE_PAGES_NOT_ALLOCATED,
		Format("zs: zs_arena_free_pages: %p is not an allocated page "
		       "of this arena (double free or foreign pointer)",
		       pages[1]));

	zs_arena_free_pages(arena, pages, 3);
	zs_arena_unregister_owner(arena, owner);
	EXPECT_ERRNO(zs_arena_destroy(arena), 0);
}

/* zs_arena_free_run given anything but the first page of an allocated
 * run: a page inside a run, a run freed twice, a foreign pointer. */
TEST_F(AbortSite, ArenaFreeRunNotAllocated)
{
	zs_arena *arena = zs_arena_create();
	ASSERT_NE(arena, nullptr);
	int tag;
	int owner = zs_arena_register_owner(arena, &tag, &kNoMoves);
	ASSERT_GE(owner, 0);
	void *run = zs_arena_alloc_run(arena, owner, 4, 0, 0);
	ASSERT_NE(run, nullptr);
	char *inside = static_cast<char *>(run) + 2 * ZS_PAGE_SIZE;
	alignas(4096) static char foreign[4096];
	const char *what = "zs: zs_arena_free_run: %p is not the first page "
			   "of an allocated run of this arena (double free, a "
			   "page inside a run, or foreign pointer)";

	EXPECT_ABORT_SITE(zs_arena_free_run(arena, inside),
			  ZS_FINDING_ABORT_ARENA_FREE_RUN_NOT_ALLOCATED,
			  Format(what, static_cast<void *>(inside)));
	EXPECT_ABORT_SITE(
		{
			zs_arena_free_run(arena, run);
			zs_arena_free_run(arena, run);
		},
		ZS_FINDING_ABORT_ARENA_FREE_RUN_NOT_ALLOCATED,
		Format(what, run));
	EXPECT_ABORT_SITE(zs_arena_free_run(arena, foreign),
			  ZS_FINDING_ABORT_ARENA_FREE_RUN_NOT_ALLOCATED,
			  Format(what, static_cast<void *>(foreign)));

	zs_arena_free_run(arena, run);
	zs_arena_unregister_owner(arena, owner);
	EXPECT_ERRNO(zs_arena_destroy(arena), 0);
}

/* zs_arena_free_page or zs_arena_free_pages given one page of a longer
 * run: the owner lost track of what it holds. */
TEST_F(AbortSite, ArenaFreePageInRun)
{
	zs_arena *arena = zs_arena_create();
	ASSERT_NE(arena, nullptr);
	int tag;
	int owner = zs_arena_register_owner(arena, &tag, &kNoMoves);
	ASSERT_GE(owner, 0);
	void *run = zs_arena_alloc_run(arena, owner, 3, 0, 0);
	ASSERT_NE(run, nullptr);
	void *tail = static_cast<char *>(run) + 2 * ZS_PAGE_SIZE;
	const char *what = "zs: %s: %p is page %u of a 3-page run (runs are "
			   "freed whole, by zs_arena_free_run)";

	EXPECT_ABORT_SITE(zs_arena_free_page(arena, run),
			  ZS_FINDING_ABORT_ARENA_FREE_PAGE_IN_RUN,
			  Format(what, "zs_arena_free_page", run, 0u));
	EXPECT_ABORT_SITE(zs_arena_free_pages(arena, &tail, 1),
			  ZS_FINDING_ABORT_ARENA_FREE_PAGE_IN_RUN,
			  Format(what, "zs_arena_free_pages", tail, 2u));

	zs_arena_free_run(arena, run);
	zs_arena_unregister_owner(arena, owner);
	EXPECT_ERRNO(zs_arena_destroy(arena), 0);
}

/* ---- zsmalloc: compact.c, pool.c, span.c ------------------------------ */

/* The words of a gap's tag (zs/span.h): pattern, length, the gap bit. */
constexpr uint32_t GapTag(unsigned units)
{
	return 0x5a5au << 16 | units << 2 | 1u;
}

/* A pool of one-page zspages (512 units) in an arena of its own.  Objects
 * of kSize bytes take 13 units each (their 4-byte tag included), placed
 * one after the other from unit 0 of a fresh zspage. */
class PoolSite : public AbortSite {
protected:
	void SetUp() override
	{
		AbortSite::SetUp();
		arena_ = zs_arena_create();
		ASSERT_NE(arena_, nullptr);
		zs_pool_config cfg = {};
		cfg.name = "abort-sites";
		cfg.chain_size = 1;
		cfg.arena = arena_;
		pool_ = zs_create_pool_config(&cfg);
		ASSERT_NE(pool_, nullptr);
		ASSERT_EQ(zsa_zspage_units(pool_), kZspageUnits);
	}
	void TearDown() override
	{
		for (uint64_t h : handles_)
			EXPECT_ERRNO(zs_free(pool_, h), 0);
		if (pool_) {
			EXPECT_ERRNO(zs_pool_check(pool_), 0);
			zs_destroy_pool(pool_);
		}
		if (arena_) {
			EXPECT_ERRNO(zs_arena_destroy(arena_), 0);
		}
	}

	uint64_t Alloc(size_t size = kSize)
	{
		uint64_t h = 0;
		EXPECT_ERRNO(zs_malloc(pool_, size, &h), 0);
		handles_.push_back(h);
		return h;
	}
	void Free(size_t i)
	{
		EXPECT_ERRNO(zs_free(pool_, handles_[i]), 0);
		handles_.erase(handles_.begin() + (long)i);
	}
	zsa_place Place(uint64_t h)
	{
		zsa_place at = {};
		EXPECT_ERRNO(zsa_locate(pool_, h, &at), 0);
		return at;
	}
	/* the tag word at unit of zspage */
	uint32_t Tag(uint32_t zspage, unsigned unit)
	{
		return zsa_load32(pool_, zspage, (size_t)unit * 8);
	}

	static constexpr size_t kSize = 100;
	static constexpr unsigned kUnits = 13;
	static constexpr unsigned kZspageUnits = 512;
	zs_arena *arena_ = nullptr;
	zs_pool *pool_ = nullptr;
	std::vector<uint64_t> handles_;
};

/* zs_free of a handle whose object's tag names another slot (a write past
 * the end of the object before it), or whose slot locates another object
 * (the slot overwritten): freeing it would release another handle's
 * object.  The report names the place the slot locates. */
TEST_F(PoolSite, PoolHandleSlot)
{
	uint64_t freed = Alloc(), other = Alloc();
	zsa_place mine = Place(freed), theirs = Place(other);
	ASSERT_EQ(mine.zspage, theirs.zspage);
	ASSERT_EQ(mine.unit, 0u);
	ASSERT_EQ(theirs.unit, kUnits);
	ASSERT_EQ(Tag(mine.zspage, 0), mine.slot << 2);
	const char *what = "zs: unit %u of zspage %u does not carry its handle "
			   "slot %u";

	EXPECT_ABORT_SITE(
		{
			zsa_store32(pool_, mine.zspage, 0, theirs.slot << 2);
			zs_free(pool_, freed);
		},
		ZS_FINDING_ABORT_POOL_FREE_HANDLE_SLOT,
		Format(what, 0u, mine.zspage, mine.slot));
	/* a gap's tag there is no object's at all */
	EXPECT_ABORT_SITE(
		{
			zsa_store32(pool_, mine.zspage, 0, GapTag(kUnits));
			zs_free(pool_, freed);
		},
		ZS_FINDING_ABORT_POOL_FREE_HANDLE_SLOT,
		Format(what, 0u, mine.zspage, mine.slot));
	EXPECT_ABORT_SITE(
		{
			zsa_point_slot_at(pool_, freed, other);
			zs_free(pool_, freed);
		},
		ZS_FINDING_ABORT_POOL_FREE_HANDLE_SLOT,
		Format(what, theirs.unit, theirs.zspage, mine.slot));
}

/* zs_free of a huge object whose page the arena does not describe as
 * that object's (its record overwritten), or whose slot names another
 * huge object's page (the slot overwritten): the arena refuses to free
 * it, since it would free a page the object does not own. */
TEST_F(PoolSite, PoolHugePage)
{
	uint64_t freed = Alloc(4096), other = Alloc(4096);
	zsa_place mine = Place(freed), theirs = Place(other);
	void *page = zs_map_object(pool_, freed, ZS_MM_RO);
	void *their_page = zs_map_object(pool_, other, ZS_MM_RO);
	ASSERT_NE(page, nullptr);
	ASSERT_NE(their_page, nullptr);
	EXPECT_ERRNO(zs_unmap_object(pool_, freed), 0);
	EXPECT_ERRNO(zs_unmap_object(pool_, other), 0);
	uint32_t number = 0, their_number = 0;
	ASSERT_ERRNO(zs_arena_page_number(arena_, page, &number), 0);
	ASSERT_ERRNO(zs_arena_page_number(arena_, their_page, &their_number),
		     0);
	const char *what = "zs: page %u at %p is not the page of handle slot "
			   "%u's huge object";

	/* the page's record names the other object's slot */
	EXPECT_ABORT_SITE(
		{
			zs_arena_set_page_owner(arena_, page,
						zsa_huge_cookie(theirs.slot), 0,
						1);
			zs_free(pool_, freed);
		},
		ZS_FINDING_ABORT_POOL_FREE_HUGE_PAGE,
		Format(what, number, page, mine.slot));
	/* the slot names the other object's page */
	EXPECT_ABORT_SITE(
		{
			zsa_point_slot_at(pool_, freed, other);
			zs_free(pool_, freed);
		},
		ZS_FINDING_ABORT_POOL_FREE_HUGE_PAGE,
		Format(what, their_number, their_page, mine.slot));
}

/* zs_malloc taking a block from its recycle bin whose link (in the freed
 * block above it, overwritten through a stale pointer) names a slot that
 * holds no recycled block of the bin's footprint, here a live object's:
 * handing it out would give the new object another object's bytes.  36
 * objects, so that the bins may keep two of them. */
TEST_F(PoolSite, PoolRecycleLink)
{
	for (int i = 0; i < 36; i++)
		Alloc();
	zsa_place second = Place(handles_[1]), live = Place(handles_[2]);
	Free(0);
	Free(0); /* handles_[1]: on top of the bin, linking the first */
	const char *what = "zs: recycle bin of %u units of shard %u links "
			   "handle slot %u, not a recycled block";

	EXPECT_ABORT_SITE(
		{
			uint64_t taken = 0;
			uint64_t damaged = 0;

			zsa_store32(pool_, second.zspage, second.unit * 8 + 4,
				    live.slot + 1);
			zs_malloc(pool_, kSize, &taken);
			zs_malloc(pool_, kSize, &damaged);
		},
		ZS_FINDING_ABORT_POOL_RECYCLE_LINK,
		Format(what, kUnits, live.shard, live.slot));
}

/* zs_free of an object beside a gap whose tag or footer was overwritten:
 * merging with it would spread the damage (or, for a length past the
 * zspage's end, write a footer outside it). */
TEST_F(PoolSite, SpanTagOnFree)
{
	uint64_t first = Alloc(), second = Alloc(), third = Alloc();
	zsa_place at = Place(second), last = Place(third);
	ASSERT_EQ(at.unit, kUnits);
	const unsigned tail = 3 * kUnits; /* the gap after third */
	const unsigned left = kZspageUnits - tail;
	ASSERT_EQ(Tag(at.zspage, tail), GapTag(left));
	const char *what = "zs: free: the block beside zspage %u unit %u has "
			   "tag 0x%08x, neither an object's nor a gap's";

	/* the gap's pattern broken */
	EXPECT_ABORT_SITE(
		{
			zsa_store32(pool_, at.zspage, tail * 8,
				    GapTag(left) ^ 0x10000u);
			zs_free(pool_, third);
		},
		ZS_FINDING_ABORT_SPAN_TAG,
		Format(what, last.zspage, tail, GapTag(left) ^ 0x10000u));
	/* a gap's pattern, with a length one unit past the zspage's end */
	EXPECT_ABORT_SITE(
		{
			zsa_store32(pool_, at.zspage, tail * 8,
				    GapTag(left + 1));
			zs_free(pool_, third);
		},
		ZS_FINDING_ABORT_SPAN_TAG,
		Format(what, last.zspage, tail, GapTag(left + 1)));

	/* the gap before: first freed, second's prev-gap bit set, and the
	 * gap's footer (just before second's tag) overwritten */
	Free(0);
	(void)first;
	ASSERT_EQ(Tag(at.zspage, at.unit), at.slot << 2 | 2u);
	ASSERT_EQ(zsa_load32(pool_, at.zspage, at.unit * 8 - 4),
		  GapTag(kUnits));
	EXPECT_ABORT_SITE(
		{
			zsa_store32(pool_, at.zspage, at.unit * 8 - 4,
				    0x41414141u);
			zs_free(pool_, second);
		},
		ZS_FINDING_ABORT_SPAN_TAG,
		Format(what, at.zspage, at.unit, 0x41414141u));
}

/*
 * Run migration (zs_arena_compact) walking a zspage whose first block is
 * an object naming a slot that does not point back at it: marking that
 * slot moving would pin the wrong object.  The zspage (one page) is alone
 * at the bottom of the arena with a few huge objects' pages above it, and
 * more huge objects' pages fill the next region, which is kept: the
 * zspage's run moves there.
 */
TEST_F(PoolSite, CompactBackPointerOnRunMigration)
{
	uint64_t obj = Alloc(), other = Alloc();
	zsa_place at = Place(obj), them = Place(other);
	for (unsigned i = 0; i < 700; i++)
		Alloc(4096);
	/* the first 400 huge pages go: the zspage's region keeps about 112
	 * pages, the next region about 188 */
	for (unsigned i = 0; i < 400; i++)
		Free(2);
	uintptr_t before;
	{
		zs::Mapping m(pool_, obj, ZS_MM_RO);
		ASSERT_TRUE(m);
		before = reinterpret_cast<uintptr_t>(m.get());
	}

	EXPECT_ABORT_SITE(
		{
			zsa_store32(pool_, at.zspage, 0, them.slot << 2);
			zs_arena_compact(arena_);
		},
		ZS_FINDING_ABORT_COMPACT_BACK_POINTER,
		Format("zs: unit 0 of zspage %u holds a block of slot %u (tag "
		       "0x%08x) that is neither a gap nor an object whose slot "
		       "points back at it",
		       at.zspage, them.slot, them.slot << 2));

	/* Uncorrupted, the same compaction moves that zspage: the child's
	 * walk was the one of its run. */
	EXPECT_GT(zs_arena_compact(arena_), 0u);
	zs::Mapping m(pool_, obj, ZS_MM_RO);
	ASSERT_TRUE(m);
	EXPECT_NE(reinterpret_cast<uintptr_t>(m.get()), before);
}

/*
 * zs_compact over the same corruption: two zspages, the first sparse (one
 * object left) and the second with room for it, so compaction isolates the
 * first.  Isolation walks the zspage to take its gaps out of the index and
 * stops at the block it cannot step over, with the compactor's report.
 */
TEST_F(PoolSite, CompactMeetsABadBlockWhenIsolating)
{
	const unsigned per_zspage = kZspageUnits / kUnits;
	for (unsigned i = 0; i < 2 * per_zspage; i++)
		Alloc();
	uint64_t kept = handles_[0], other = handles_[per_zspage + 1];
	for (unsigned i = 1; i < per_zspage + 1; i++)
		Free(1);
	/* and two more of the second, so that the shard counts a zspage's
	 * worth of free units beyond what compaction cannot fill */
	Free(2);
	Free(2);
	zsa_place at = Place(kept), them = Place(other);
	ASSERT_NE(at.zspage, them.zspage);
	ASSERT_EQ(at.unit, 0u);

	EXPECT_ABORT_SITE(
		{
			zsa_store32(pool_, at.zspage, 0, them.slot << 2);
			zs_compact(pool_);
		},
		ZS_FINDING_ABORT_COMPACT_BACK_POINTER,
		Format("zs: unit 0 of zspage %u holds a block of slot %u (tag "
		       "0x%08x) that is neither a gap nor an object whose slot "
		       "points back at it",
		       at.zspage, them.slot, them.slot << 2));
	EXPECT_ABORT_SITE(
		{
			zsa_point_slot_at(pool_, kept, other);
			zs_compact(pool_);
		},
		ZS_FINDING_ABORT_COMPACT_BACK_POINTER,
		Format("zs: unit 0 of zspage %u holds a block of slot %u (tag "
		       "0x%08x) that is neither a gap nor an object whose slot "
		       "points back at it",
		       at.zspage, at.slot, at.slot << 2));

	/* Uncorrupted, the compaction moves the object and frees a page. */
	EXPECT_EQ(zs_compact(pool_), 1u);
	EXPECT_NE(Place(kept).zspage, at.zspage);
}

/* ---- zs/zbud.c -------------------------------------------------------- */

/* zbud_unmap of a handle this thread mapped, whose slot lost its map
 * count: the pool's metadata no longer says what is mapped. */
TEST_F(AbortSite, ZbudUnmapNoMappedSlot)
{
	zs::Zbud pool;
	ASSERT_NE(pool.get(), nullptr);
	uint64_t h = 0;
	ASSERT_ERRNO(zbud_alloc(pool, 100, &h), 0);

	EXPECT_ABORT_SITE(
		{
			if (!zbud_map(pool, h))
				_Exit(3);
			zsa_zbud_forget_maps(pool);
			zbud_unmap(pool, h);
		},
		ZS_FINDING_ABORT_ZBUD_UNMAP_NO_MAPPED_SLOT,
		Format("zs: zbud_unmap: handle %#llx mapped by this thread "
		       "has no live mapped slot (pool metadata corrupted)",
		       (unsigned long long)h));

	EXPECT_ERRNO(zbud_pool_check(pool), 0);
	EXPECT_ERRNO(zbud_free(pool, h), 0);
}

} /* namespace */
