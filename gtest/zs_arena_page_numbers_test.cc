// SPDX-License-Identifier: MIT
/*
 * gtest/zs_arena_page_numbers_test.cc - what an owner that keeps pages by
 * number needs from the arena: numbers that turn back into their pages,
 * and a free that checks the page is the one the owner names.
 *
 * A huge zsmalloc object keeps its page as a 32-bit number in its handle
 * slot and is named back by the page's cookie; a damaged number must not
 * free someone else's page, and a free while a compaction holds the page
 * isolated must wait for the move to end (the arena gives the page back
 * then).  The owner here frees its page from inside its own isolate
 * callback, the moment a concurrent free would land.
 */
#include "gtest/zs_shim.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstdint>
#include <vector>

namespace
{

constexpr unsigned kRegionPages = 512;

/* An owner whose isolate frees the page being moved, as a user's free
 * racing the compaction would, and whose migrate then refuses (its object
 * is gone). */
struct FreeingOwner {
	zs_arena *arena = nullptr;
	int id = -1;
	int free_ret = 1;
	unsigned isolates = 0, migrates = 0, putbacks = 0;
	unsigned long pages_during = 0;
	unsigned moving_during = 0;
	int check_during = 1;
	int info_during = 1;
	struct zs_arena_page_info info = {};
};

int IsolateAndFree(void *owner, void *page, uint32_t cookie, uint32_t index)
{
	auto *o = static_cast<FreeingOwner *>(owner);

	o->isolates++;
	EXPECT_EQ(index, 0u);
	o->free_ret = zs_arena_free_run_of(o->arena, page, o->id, cookie);
	zs_arena_owner_pages(o->arena, o->id, &o->pages_during,
			     &o->moving_during);
	o->check_during = zs_arena_check(o->arena);
	o->info_during = zs_arena_page_info(o->arena, page, &o->info);
	return 0;
}

int RefuseMigrate(void *owner, void *, void *, uint32_t, uint32_t)
{
	static_cast<FreeingOwner *>(owner)->migrates++;
	return -EAGAIN;
}

void CountPutback(void *owner, void *, uint32_t, uint32_t)
{
	static_cast<FreeingOwner *>(owner)->putbacks++;
}

const zs_movable_ops kFreeingOps = { IsolateAndFree, RefuseMigrate,
				     CountPutback };

/* o registered on arena with the freeing operations (o.id < 0 if not). */
void Register(zs_arena *arena, FreeingOwner &o)
{
	o.arena = arena;
	o.id = zs_arena_register_owner(arena, &o, &kFreeingOps);
}

} // namespace

/* Numbers are below 2^22, distinct, stable while the page is allocated,
 * and turn back into their pages without the lock; a free page has none.
 * Every other page comes with its number (zs_arena_alloc_numbered_page),
 * which must be the one zs_arena_page_number gives. */
TEST(ArenaPageNumbers, RoundTrip)
{
	zs_arena *arena = zs_arena_create();
	ASSERT_NE(arena, nullptr);
	FreeingOwner o;
	Register(arena, o);
	ASSERT_GE(o.id, 0);
	std::vector<void *> pages;
	std::vector<uint32_t> numbers;
	/* two regions' worth and one more page */
	for (unsigned i = 0; i < 2 * kRegionPages + 1; i++) {
		uint32_t given = UINT32_MAX, n = UINT32_MAX;
		void *p = i % 2 ? zs_arena_alloc_run(arena, o.id, 1, i, 1) :
				  zs_arena_alloc_numbered_page(arena, o.id, i,
							       1, &given);
		ASSERT_NE(p, nullptr) << i;
		ASSERT_ERRNO(zs_arena_page_number(arena, p, &n), 0);
		if (i % 2 == 0) {
			EXPECT_EQ(given, n) << i;
		}
		EXPECT_LT(n, 1u << 22);
		EXPECT_EQ(zs_arena_page_at(arena, n), p) << i;
		for (uint32_t m : numbers)
			ASSERT_NE(m, n) << i;
		pages.push_back(p);
		numbers.push_back(n);
	}
	uint32_t n = 7;
	EXPECT_ERRNO(zs_arena_page_number(arena, (char *)pages[0] + 1, &n),
		     -ENOENT);
	EXPECT_EQ(n, 7u);
	EXPECT_EQ(zs_arena_page_at(arena, 1u << 22), nullptr);
	/* a freed page has no number any more; the others keep theirs */
	EXPECT_ERRNO(zs_arena_free_run_of(arena, pages[5], o.id, 5), 0);
	EXPECT_ERRNO(zs_arena_page_number(arena, pages[5], &n), -ENOENT);
	for (size_t i = 0; i < pages.size(); i++) {
		if (i == 5)
			continue;
		ASSERT_ERRNO(zs_arena_page_number(arena, pages[i], &n), 0);
		EXPECT_EQ(n, numbers[i]);
		EXPECT_EQ(zs_arena_page_at(arena, numbers[i]), pages[i]);
		zs_arena_free_run(arena, pages[i]);
	}
	EXPECT_ERRNO(zs_arena_check(arena), 0);
	zs_arena_unregister_owner(arena, o.id);
	EXPECT_ERRNO(zs_arena_destroy(arena), 0);
}

/* The checked free refuses, changing nothing, a page described otherwise
 * than the owner names it: another cookie, another owner, a page inside
 * or heading a longer run, a page already free. */
TEST(ArenaPageNumbers, CheckedFreeRefusesAnotherPage)
{
	zs_arena *arena = zs_arena_create();
	ASSERT_NE(arena, nullptr);
	FreeingOwner o, other;
	Register(arena, o);
	Register(arena, other);
	ASSERT_GE(o.id, 0);
	ASSERT_GE(other.id, 0);
	void *page = zs_arena_alloc_run(arena, o.id, 1, 42, 1);
	void *run = zs_arena_alloc_run(arena, o.id, 2, 43, 1);
	ASSERT_NE(page, nullptr);
	ASSERT_NE(run, nullptr);
	struct zs_arena_stats before = {}, after = {};
	zs_arena_stats(arena, &before);

	EXPECT_ERRNO(zs_arena_free_run_of(arena, page, o.id, 41), -ESTALE);
	EXPECT_ERRNO(zs_arena_free_run_of(arena, page, other.id, 42), -ESTALE);
	EXPECT_ERRNO(zs_arena_free_run_of(arena, run, o.id, 43), -ESTALE);
	EXPECT_ERRNO(zs_arena_free_run_of(arena, (char *)run + ZS_PAGE_SIZE,
					  o.id, 43),
		     -ESTALE);
	zs_arena_stats(arena, &after);
	EXPECT_EQ(after.pages_in_use, before.pages_in_use);
	EXPECT_ERRNO(zs_arena_check(arena), 0);

	EXPECT_ERRNO(zs_arena_free_run_of(arena, page, o.id, 42), 0);
	EXPECT_ERRNO(zs_arena_free_run_of(arena, page, o.id, 42), -ESTALE);
	zs_arena_stats(arena, &after);
	EXPECT_EQ(after.pages_in_use, before.pages_in_use - 1);
	zs_arena_free_run(arena, run);
	EXPECT_ERRNO(zs_arena_check(arena), 0);
	zs_arena_unregister_owner(arena, o.id);
	zs_arena_unregister_owner(arena, other.id);
	EXPECT_ERRNO(zs_arena_destroy(arena), 0);
}

/* A page freed while the compaction holds it isolated stops being the
 * owner's at once (the owner's count and the arena's check agree during
 * the move) and is given back when the move ends, with its target. */
TEST(ArenaPageNumbers, FreeDuringAMoveIsDeferredToItsEnd)
{
	zs_arena *arena = zs_arena_create();
	ASSERT_NE(arena, nullptr);
	FreeingOwner o;
	Register(arena, o);
	ASSERT_GE(o.id, 0);
	/* a full region and one page in a second: compaction moves that
	 * page into a gap of the first */
	std::vector<void *> pages;
	for (unsigned i = 0; i < kRegionPages + 1; i++) {
		void *p = zs_arena_alloc_run(arena, o.id, 1, i, 1);
		ASSERT_NE(p, nullptr) << i;
		pages.push_back(p);
	}
	for (unsigned i = 0; i < 8; i++)
		zs_arena_free_run(arena, pages[100 + i]);
	const unsigned long held = kRegionPages + 1 - 8;

	zs_arena_compact(arena);
	EXPECT_EQ(o.isolates, 1u);
	EXPECT_ERRNO(o.free_ret, 0);
	/* during the move: the freed page no longer the owner's, its target
	 * counted, the move still in progress */
	EXPECT_EQ(o.pages_during, held - 1 + 1);
	EXPECT_EQ(o.moving_during, 1u);
	EXPECT_ERRNO(o.check_during, 0);
	/* and still held by the move, so nothing else can be given it */
	EXPECT_ERRNO(o.info_during, 0);
	EXPECT_EQ(o.info.isolated, 1);
	EXPECT_EQ(o.migrates, 1u);
	EXPECT_EQ(o.putbacks, 1u);

	unsigned long owned = 0;
	unsigned moving = 1;
	ASSERT_ERRNO(zs_arena_owner_pages(arena, o.id, &owned, &moving), 0);
	EXPECT_EQ(owned, held - 1);
	EXPECT_EQ(moving, 0u);
	struct zs_arena_stats st = {};
	zs_arena_stats(arena, &st);
	EXPECT_EQ(st.pages_in_use, held - 1);
	EXPECT_ERRNO(zs_arena_check(arena), 0);
	uint32_t n;
	EXPECT_ERRNO(zs_arena_page_number(arena, pages[kRegionPages], &n),
		     -ENOENT);
	for (unsigned i = 0; i < kRegionPages; i++)
		if (i < 100 || i >= 108)
			zs_arena_free_run(arena, pages[i]);
	zs_arena_unregister_owner(arena, o.id);
	EXPECT_ERRNO(zs_arena_destroy(arena), 0);
}
