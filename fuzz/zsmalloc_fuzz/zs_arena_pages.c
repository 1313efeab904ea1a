// SPDX-License-Identifier: MIT
/*
 * fuzz/zsmalloc_fuzz/zs_arena_pages.c - op arena_pages: the harness as a page
 * owner of its own, beside the pool, on the pool's arena.
 *
 * The arena moves pages for every owner registered with it, not only for
 * pools; this owner's pages come straight from the page-owner interface
 * (single pages, groups and multi-page runs, movable or not), filled with a
 * pattern, and move by arena compaction through the callbacks below.  The
 * callbacks check they are asked about pages the owner holds, where it
 * holds them (a run only ever by its first page), and may refuse (isolate
 * or migrate -EAGAIN) to drive the arena's failure paths.  The pages live
 * across ops until released, so every other op runs with them beside the
 * pool; verify_all checks them too, bytes and the arena's description
 * (zsf_own_verify_all), and closing the pool returns them
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

/* Page slot = cookie + index, and it must head what the owner holds
 * there: a run is moved as one, by its first page, so a callback about a
 * tail page means the arena lost track of the run. */
static struct page_owner *own_slot(void *owner, void *page, uint32_t cookie,
				   uint32_t index, const char *cb, unsigned *s)
{
	struct page_owner *po = owner;

	*s = cookie + index;
	if (*s >= OWN_PAGES || po->page[*s] != page) {
		fm_fail("arena %s callback for page %p (cookie %u index %u), "
			"which the owner does not hold there",
			cb, page, cookie, index);
	}
	if (!po->run[*s]) {
		fm_fail("arena %s callback for page %p (cookie %u index %u), "
			"which is not the first page of a run",
			cb, page, cookie, index);
	}
	return po;
}

static int own_isolate(void *owner, void *page, uint32_t cookie, uint32_t index)
{
	unsigned s;
	struct page_owner *po =
		own_slot(owner, page, cookie, index, "isolate", &s);

	if (po->isolated[s])
		fm_fail("arena isolated page slot %u twice", s);
	if ((po->refuse & 1) && s % 3 == 0) {
		po->runs_refused += po->run[s] > 1;
		return -EAGAIN;
	}
	po->isolated[s] = true;
	return 0;
}

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

/* The whole run moves: n pages copied, every slot repointed, and each page
 * read back where it now is. */
static int own_migrate(void *owner, void *old_page, void *new_page,
		       uint32_t cookie, uint32_t index)
{
	unsigned s, k, n;
	struct page_owner *po =
		own_slot(owner, old_page, cookie, index, "migrate", &s);

	if (!po->isolated[s])
		fm_fail("arena migrated page slot %u without isolating it", s);
	n = po->run[s];
	if ((po->refuse & 2) && s % 5 == 0) {
		po->runs_refused += n > 1;
		return -EAGAIN;
	}
	memcpy(new_page, old_page, (size_t)n * ZS_PAGE_SIZE);
	for (k = 0; k < n; k++) {
		po->page[s + k] =
			(uint8_t *)new_page + (size_t)k * ZS_PAGE_SIZE;
		own_verify(po, s + k, "after migration");
	}
	po->isolated[s] = false;
	po->moved += n;
	po->runs_moved += n > 1;
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

/* What the arena says of page slot s, of the run headed at slot h: the
 * owner's own record, exactly. */
static void own_expect_described(struct zs_fuzz *f, unsigned s, unsigned h,
				 const char *when)
{
	struct page_owner *po = &f->own;
	struct zs_arena_page_info in;
	int ret = zs_arena_page_info(f->own_arena, po->page[s], &in);

	if (ret) {
		fm_fail("owner page slot %u %s: zs_arena_page_info: %d", s,
			when, ret);
	}
	if (in.owner_id != f->own_id || in.cookie + in.index != s ||
	    in.run != po->page[h] || in.run_pages != po->run[h] ||
	    in.movable != !po->fixed[s] || in.isolated) {
		fm_fail("owner page slot %u %s: the arena describes it as owner "
			"%d's (cookie %u index %u movable %d isolated %d) in a "
			"%u-page run at %p, the owner holds it in slot %u's "
			"%u-page run at %p (owner %d, movable %d)",
			s, when, in.owner_id, in.cookie, in.index, in.movable,
			in.isolated, in.run_pages, in.run, h, po->run[h],
			po->page[h], f->own_id, !po->fixed[s]);
	}
}

void zsf_own_verify_all(struct zs_fuzz *f, const char *when)
{
	struct page_owner *po = &f->own;
	unsigned i, h = 0;

	for (i = 0; i < OWN_PAGES; i++) {
		if (!po->page[i])
			continue;
		if (po->run[i]) {
			h = i;
		} else if (!po->page[h] || i >= h + po->run[h] ||
			   po->page[i] !=
				   (uint8_t *)po->page[h] +
					   (size_t)(i - h) * ZS_PAGE_SIZE) {
			fm_fail("owner page slot %u %s: a tail of no run "
				"headed before it",
				i, when);
		}
		if (po->isolated[i])
			fm_fail("owner page slot %u left isolated %s", i, when);
		own_verify(po, i, when);
		own_expect_described(f, i, h, when);
	}
}

/* Slots s .. s + n - 1 forgotten once their pages went back. */
static void own_forget(struct page_owner *po, unsigned s, unsigned n)
{
	memset(&po->page[s], 0, n * sizeof(po->page[0]));
	memset(&po->run[s], 0, n * sizeof(po->run[0]));
	memset(&po->fixed[s], 0, n * sizeof(po->fixed[0]));
}

/* Returns every owner page: runs whole with zs_arena_free_run, the pages
 * between them in groups through both page free calls. */
void zsf_own_release(struct zs_fuzz *f)
{
	struct page_owner *po = &f->own;
	unsigned i, k;

	if (f->own_id < 0)
		return;
	for (i = 0; i < OWN_PAGES; i = k) {
		if (po->run[i] > 1) {
			zs_arena_free_run(f->own_arena, po->page[i]);
			k = i + po->run[i];
			own_forget(po, i, k - i);
			continue;
		}
		for (k = i; k < OWN_PAGES && po->run[k] == 1 && k - i < 4; k++)
			;
		if (k == i) {
			k = i + 1;
			continue;
		}
		if (k - i == 1)
			zs_arena_free_page(f->own_arena, po->page[i]);
		else
			zs_arena_free_pages(f->own_arena, &po->page[i], k - i);
		own_forget(po, i, k - i);
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

/* k pages into free slots i..: one run of k (`run`; one page clipped to
 * one is a run of one still), else one by one (flags & 1, a group of one)
 * or with zs_arena_alloc_pages.  0 or -errno; a refused allocation took
 * nothing. */
static int own_alloc_group(struct zs_fuzz *f, unsigned i, unsigned k,
			   uint8_t flags, bool run, bool fixed)
{
	struct page_owner *po = &f->own;
	unsigned n;
	int ret;

	if (run) {
		errno = 0;
		po->page[i] = zs_arena_alloc_run(f->own_arena, f->own_id, k, i,
						 !fixed);
		if (!po->page[i])
			return -errno;
		for (n = 1; n < k; n++) {
			po->page[i + n] = (uint8_t *)po->page[i] +
					  (size_t)n * ZS_PAGE_SIZE;
		}
		po->run[i] = (uint8_t)k;
		return 0;
	}
	if (k == 1 && (flags & 1)) {
		errno = 0;
		po->page[i] = zs_arena_alloc_page(f->own_arena, f->own_id);
		ret = po->page[i] ? 0 : -errno;
		if (!ret) {
			zs_arena_set_page_owner(f->own_arena, po->page[i], i, 0,
						!fixed);
		}
	} else {
		ret = zs_arena_alloc_pages(f->own_arena, f->own_id, k,
					   &po->page[i], i, !fixed);
	}
	if (!ret)
		memset(&po->run[i], 1, k);
	return ret;
}

/*
 * Up to 1 + nb % OWN_PAGES more pages, placed in stretches of free slots,
 * each page filled with its pattern.  nb's top two bits pick runs: 0 none
 * (groups of 1..8, sizes from arg), 1 every group a run of 2 ..
 * ZS_ARENA_MAX_RUN pages (lengths from arg), 2 every other group such a
 * run, 3 every group a run with every other run's movability flipped.
 * Returns how many pages were taken.
 */
static unsigned own_alloc(struct zs_fuzz *f, uint8_t nb, uint8_t flags,
			  uint16_t arg)
{
	struct page_owner *po = &f->own;
	unsigned i, k, n, want, groups = 0, held = 0, mode = nb >> 6;
	bool run, fixed;
	int ret;

	want = 1 + nb % OWN_PAGES;
	for (i = 0; i < OWN_PAGES && want; i += k ? k : 1) {
		run = mode == 1 || mode == 3 || (mode == 2 && groups % 2);
		fixed = !!(flags & 2) ^ (mode == 3 && groups % 2);
		if (run)
			k = 2 +
			    (arg >> (groups++ % 13)) % (ZS_ARENA_MAX_RUN - 1);
		else
			k = 1 + (arg >> (groups++ % 13)) % 8;
		if (k > want)
			k = want;
		for (n = 0; n < k && i + n < OWN_PAGES && !po->page[i + n]; n++)
			;
		if ((k = n) == 0)
			continue;
		ret = own_alloc_group(f, i, k, flags, run, fixed);
		if (ret) {
			/* Nothing of the group was taken. */
			if (ret != -ENOMEM || !f->arena_injecting) {
				fm_fail("arena allocation of %u pages%s: %d", k,
					run ? " (a run)" : "", ret);
			}
			memset(&po->page[i], 0, k * sizeof(po->page[0]));
			break;
		}
		for (n = i; n < i + k; n++) {
			po->fixed[n] = fixed;
			po->seed[n] = fm_new_seed(&f->m, (uint8_t)n);
			fm_pattern(po->page[n], po->seed[n], 0, ZS_PAGE_SIZE);
			held++;
		}
		want -= k;
	}
	return held;
}

/* Holes, so compaction has something to do: every few slots, the page or
 * the whole run it heads (a run's tail stays with its run). */
static void own_holes(struct zs_fuzz *f, uint16_t arg)
{
	struct page_owner *po = &f->own;
	unsigned i;

	for (i = arg % 3; i < OWN_PAGES; i += 2 + arg % 3) {
		if (!po->run[i])
			continue;
		if (po->run[i] > 1)
			zs_arena_free_run(f->own_arena, po->page[i]);
		else
			zs_arena_free_page(f->own_arena, po->page[i]);
		own_forget(po, i, po->run[i]);
	}
}

/*
 * Owner pages live across ops, beside the pool's, until released (flag 32,
 * or when the pool goes): allocated as single pages, groups of 1..8
 * (zs_arena_alloc_pages) or runs (zs_arena_alloc_run, n's top bits),
 * movable or not, some freed again, the arena compacted and trimmed; each
 * page keeps its pattern wherever it moves, and a run moves whole.
 */
void zsf_op_arena_pages(void *state, struct fuzz_cursor *c)
{
	struct zs_fuzz *f = state;
	struct page_owner *po = &f->own;
	struct zs_arena_stats before, st;
	unsigned held;
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
	if (st.pages_in_use - before.pages_in_use != held) {
		fm_fail("arena pages_in_use grew by %lu for %u owner pages",
			st.pages_in_use - before.pages_in_use, held);
	}
	if (flags & 4)
		own_holes(f, arg);
	if (flags & 8)
		zs_arena_compact(f->own_arena);
	if (flags & 16)
		zs_arena_trim(f->own_arena);
	zsf_own_verify_all(f, flags & 8 ? "after arena compaction" : "at rest");
	fm_trace("  arena pages: %u new, %lu moved so far (%lu runs), %lu run "
		 "moves refused, refuse %u\n",
		 held, po->moved, po->runs_moved, po->runs_refused, po->refuse);
	if (flags & 32)
		zsf_own_release(f);
	zsf_pool_check(f, "after arena page work");
	if (flags & 8)
		f->verify_pending = true;
}
