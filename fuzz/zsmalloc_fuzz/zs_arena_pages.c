// SPDX-License-Identifier: MIT
/*
 * fuzz/zsmalloc_fuzz/zs_arena_pages.c - op arena_pages: the harness as a page
 * owner of its own, beside the pool, on the pool's arena.
 *
 * The arena moves pages for every owner registered with it, not only for
 * pools; this owner's pages come straight from the page-owner interface
 * (single pages and groups, movable or not), filled with a pattern, and
 * move by arena compaction through the callbacks below.  The callbacks
 * check they are asked about pages the owner holds, where it holds them,
 * and may refuse (isolate or migrate -EAGAIN) to drive the arena's failure
 * paths.  The pages live across ops until released, so every other op runs
 * with them beside the pool; verify_all checks them too
 * (zsf_own_verify_all) and closing the pool returns them
 * (zsf_own_release).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "fuzz/common/fuzz.h"
#include "fuzz/zsmalloc_fuzz/zs_fuzz.h"
#include "zs/arena.h"
#include "zs/zsmalloc.h"

/* Page slot = cookie + index. */
static struct page_owner *own_slot(void *owner, void *page, uint32_t cookie,
				   uint32_t index, const char *cb, unsigned *s)
{
	struct page_owner *po = owner;

	*s = cookie + index;
	if (*s >= OWN_PAGES || po->page[*s] != page)
		fm_fail("arena %s callback for page %p (cookie %u index %u), "
			"which the owner does not hold there",
			cb, page, cookie, index);
	return po;
}

static int own_isolate(void *owner, void *page, uint32_t cookie, uint32_t index)
{
	unsigned s;
	struct page_owner *po =
		own_slot(owner, page, cookie, index, "isolate", &s);

	if (po->isolated[s])
		fm_fail("arena isolated page slot %u twice", s);
	if ((po->refuse & 1) && s % 3 == 0)
		return -EAGAIN;
	po->isolated[s] = true;
	return 0;
}

static int own_migrate(void *owner, void *old_page, void *new_page,
		       uint32_t cookie, uint32_t index)
{
	unsigned s;
	struct page_owner *po =
		own_slot(owner, old_page, cookie, index, "migrate", &s);

	if (!po->isolated[s])
		fm_fail("arena migrated page slot %u without isolating it", s);
	if ((po->refuse & 2) && s % 5 == 0)
		return -EAGAIN;
	memcpy(new_page, old_page, ZS_PAGE_SIZE);
	po->page[s] = new_page;
	po->isolated[s] = false;
	po->moved++;
	return 0;
}

static void own_putback(void *owner, void *page, uint32_t cookie,
			uint32_t index)
{
	unsigned s;
	struct page_owner *po =
		own_slot(owner, page, cookie, index, "putback", &s);

	if (!po->isolated[s])
		fm_fail("arena put back page slot %u it never isolated", s);
	po->isolated[s] = false;
}

static const struct zs_movable_ops own_ops = {
	.isolate = own_isolate,
	.migrate = own_migrate,
	.putback = own_putback,
};

static void own_verify(struct page_owner *po, unsigned s, const char *when)
{
	static uint8_t want[ZS_PAGE_SIZE];
	unsigned i;

	fm_pattern(want, po->seed[s], 0, ZS_PAGE_SIZE);
	if (!memcmp(want, po->page[s], ZS_PAGE_SIZE))
		return;
	for (i = 0; want[i] == ((uint8_t *)po->page[s])[i]; i++)
		;
	fm_fail("owner page slot %u %s: byte %u is %#04x, expected %#04x", s,
		when, i, ((uint8_t *)po->page[s])[i], want[i]);
}

void zsf_own_verify_all(struct zs_fuzz *f, const char *when)
{
	unsigned i;

	for (i = 0; i < OWN_PAGES; i++)
		if (f->own.page[i]) {
			if (f->own.isolated[i])
				fm_fail("owner page slot %u left isolated %s",
					i, when);
			own_verify(&f->own, i, when);
		}
}

/* Returns every owner page, in groups, through both free calls. */
void zsf_own_release(struct zs_fuzz *f)
{
	struct page_owner *po = &f->own;
	unsigned i, k;

	if (f->own_id < 0)
		return;
	for (i = 0; i < OWN_PAGES; i = k) {
		for (k = i; k < OWN_PAGES && po->page[k] && k - i < 4; k++)
			;
		if (k == i) {
			k = i + 1;
			continue;
		}
		if (k - i == 1)
			zs_arena_free_page(f->own_arena, po->page[i]);
		else
			zs_arena_free_pages(f->own_arena, &po->page[i], k - i);
		while (i < k)
			po->page[i++] = NULL;
	}
	zs_arena_unregister_owner(f->own_arena, f->own_id);
	f->own_id = -1;
	f->own_arena = NULL;
}

/* The harness registered as a page owner of the pool's arena, once. */
static void own_register(struct zs_fuzz *f)
{
	struct page_owner *po = &f->own;

	if (f->own_id >= 0)
		return;
	memset(po, 0, sizeof(*po));
	f->own_arena = zsf_arena_of(f);
	f->own_id = zs_arena_register_owner(f->own_arena, po, &own_ops);
	if (f->own_id < 0)
		fm_fail("zs_arena_register_owner: %d", f->own_id);
}

/* k pages into free slots i.., one by one (flags & 1, a group of one) or
 * with zs_arena_alloc_pages; movable unless flags & 2.  0 or -errno; a
 * refused group took nothing. */
static int own_alloc_group(struct zs_fuzz *f, unsigned i, unsigned k,
			   uint8_t flags)
{
	struct page_owner *po = &f->own;
	int ret;

	if (k == 1 && (flags & 1)) {
		errno = 0;
		po->page[i] = zs_arena_alloc_page(f->own_arena, f->own_id);
		ret = po->page[i] ? 0 : -errno;
		if (!ret)
			zs_arena_set_page_owner(f->own_arena, po->page[i], i, 0,
						!(flags & 2));
		return ret;
	}
	return zs_arena_alloc_pages(f->own_arena, f->own_id, k, &po->page[i], i,
				    !(flags & 2));
}

/* Up to 1 + nb % OWN_PAGES more pages, in groups of 1..8 (sizes from arg)
 * placed in runs of free slots, each page filled with its pattern.
 * Returns how many were taken. */
static unsigned own_alloc(struct zs_fuzz *f, uint8_t nb, uint8_t flags,
			  uint16_t arg)
{
	struct page_owner *po = &f->own;
	unsigned i, k, n, want, groups = 0, held = 0;
	int ret;

	want = 1 + nb % OWN_PAGES;
	for (i = 0; i < OWN_PAGES && want; i += k ? k : 1) {
		k = 1 + (arg >> (groups++ % 13)) % 8;
		if (k > want)
			k = want;
		for (n = 0; n < k && i + n < OWN_PAGES && !po->page[i + n]; n++)
			;
		if ((k = n) == 0)
			continue;
		ret = own_alloc_group(f, i, k, flags);
		if (ret) {
			/* Nothing of the group was taken. */
			if (ret != -ENOMEM || !f->arena_injecting)
				fm_fail("arena allocation of %u pages: %d", k,
					ret);
			memset(&po->page[i], 0, k * sizeof(po->page[0]));
			break;
		}
		for (n = i; n < i + k; n++) {
			po->seed[n] = fm_new_seed(&f->m, (uint8_t)n);
			fm_pattern(po->page[n], po->seed[n], 0, ZS_PAGE_SIZE);
			held++;
		}
		want -= k;
	}
	return held;
}

/*
 * Owner pages live across ops, beside the pool's, until released (flag 32,
 * or when the pool goes): allocated in groups of 1..8 (single pages or
 * zs_arena_alloc_pages), movable or not, some freed again, the arena
 * compacted and trimmed; each page keeps its pattern wherever it moves.
 */
void zsf_op_arena_pages(void *state, struct fuzz_cursor *c)
{
	struct zs_fuzz *f = state;
	struct page_owner *po = &f->own;
	struct zs_arena_stats before, st;
	unsigned i, held;
	uint8_t nb, flags;
	uint16_t arg;

	if (!fc_u8(c, &nb) || !fc_u8(c, &flags) || !fc_u16(c, &arg))
		return;
	own_register(f);
	po->refuse = flags >> 6;
	memset(&before, 0, sizeof(before));
	zs_arena_stats(f->own_arena, &before);
	held = own_alloc(f, nb, flags, arg);
	memset(&st, 0, sizeof(st));
	zs_arena_stats(f->own_arena, &st);
	if (st.pages_in_use - before.pages_in_use != held)
		fm_fail("arena pages_in_use grew by %lu for %u owner pages",
			st.pages_in_use - before.pages_in_use, held);
	/* Holes, so compaction has something to do. */
	if (flags & 4)
		for (i = arg % 3; i < OWN_PAGES; i += 2 + arg % 3)
			if (po->page[i]) {
				zs_arena_free_page(f->own_arena, po->page[i]);
				po->page[i] = NULL;
			}
	if (flags & 8)
		zs_arena_compact(f->own_arena);
	if (flags & 16)
		zs_arena_trim(f->own_arena);
	zsf_own_verify_all(f, flags & 8 ? "after arena compaction" : "at rest");
	fm_trace("  arena pages: %u new, %lu moved so far, refuse %u\n", held,
		 po->moved, po->refuse);
	if (flags & 32)
		zsf_own_release(f);
	zsf_pool_check(f, "after arena page work");
	if (flags & 8)
		f->verify_pending = true;
}
