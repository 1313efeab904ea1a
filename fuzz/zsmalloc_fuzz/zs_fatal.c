// SPDX-License-Identifier: MIT
/*
 * fuzz/zsmalloc_fuzz/zs_fatal.c - death tests of zsmalloc's corruption aborts
 * (declared in fuzz/zsmalloc_fuzz/zs_fuzz.h).
 *
 * Each test corrupts one structure the way a stray write or a use after
 * free would, then makes the one call that must notice.  It runs in a
 * forked child (fuzz/common/fuzz_death.c), so the expected abort ends only the
 * child, which must report the abort site's finding (zs/findings.h), then
 * the abort, and die of SIGABRT.
 *
 * Tests that need a particular layout (a gap between two objects, a
 * zspage whose run is migrated) build it in a fresh pool inside the
 * child; the others corrupt the fuzzed pool's own objects.  Words in
 * zspages are written with the uninstrumented store of zs/sanitizer.h
 * (ASan poisons what is no tag, link or object byte).
 *
 * Compaction's own walk (zs_compact's source zspage) meets a bad block
 * only when a zspage changes under it between two moves: it isolates the
 * source first, which walks every block and aborts at a bad one with
 * ZS_FINDING_ABORT_SPAN_TAG.  The run migration's walk is the one a
 * single thread reaches, so the back-pointer test drives that one.
 */

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzz/common/fuzz.h"
#include "fuzz/zsmalloc_fuzz/zs_fuzz.h"
#include "zs/arena.h"
#include "zs/sanitizer.h"
#include "zs/zs_internal.h"

struct fatal {
	struct zs_pool *pool;
	const struct fuzz_model *m;
	uint16_t arg;
};

static int noop_isolate(void *owner, void *page, uint32_t cookie,
			uint32_t index)
{
	(void)owner, (void)page, (void)cookie, (void)index;
	return -EBUSY;
}

static int noop_migrate(void *owner, void *old_page, void *new_page,
			uint32_t cookie, uint32_t index)
{
	(void)owner, (void)old_page, (void)new_page, (void)cookie, (void)index;
	return -EBUSY;
}

static void noop_putback(void *owner, void *page, uint32_t cookie,
			 uint32_t index)
{
	(void)owner, (void)page, (void)cookie, (void)index;
}

static const struct zs_movable_ops noop_ops = { noop_isolate, noop_migrate,
						noop_putback };

static void child_fail(const char *what)
{
	fprintf(stderr, "zs_fatal: child setup failed: %s\n", what);
	_Exit(3);
}

/* A private arena with one owner, so no other pool's pages are involved. */
static struct zs_arena *child_arena(int *owner)
{
	static int token;
	struct zs_arena *a = zs_arena_create();

	if (!a)
		child_fail("zs_arena_create");
	*owner = zs_arena_register_owner(a, &token, &noop_ops);
	if (*owner < 0)
		child_fail("zs_arena_register_owner");
	return a;
}

/* ---- the arena: pages freed twice or never handed out ---- */

static void *arena_bad_pointer(struct zs_arena *a, int owner, uint16_t arg)
{
	void *page = zs_arena_alloc_page(a, owner);

	if (!page)
		child_fail("zs_arena_alloc_page");
	switch (arg % 3) {
	case 0: /* a double free */
		zs_arena_free_page(a, page);
		return page;
	case 1: /* inside a page, not its start */
		return (char *)page + 1 + arg % (ZS_PAGE_SIZE - 1);
	default: /* never part of the arena */
		return (void *)&noop_ops;
	}
}

static void run_arena_free_page(void *arg)
{
	struct fatal *t = arg;
	int owner;
	struct zs_arena *a = child_arena(&owner);
	void *bad = arena_bad_pointer(a, owner, t->arg);

	zs_arena_free_page(a, bad);
}

static void run_arena_free_pages(void *arg)
{
	struct fatal *t = arg;
	int owner;
	struct zs_arena *a = child_arena(&owner);
	void *pages[4];
	unsigned n = 1 + t->arg % 4, bad_at = (t->arg >> 2) % n;

	if (zs_arena_alloc_pages(a, owner, n, pages, 0, 0))
		child_fail("zs_arena_alloc_pages");
	pages[bad_at] = arena_bad_pointer(a, owner, t->arg >> 4);
	zs_arena_free_pages(a, pages, n);
}

/* ---- the fuzzed pool: an object whose tag names another slot ---- */

/* The live object of handle h: its slot word and index. */
static uint64_t object_word(struct zs_pool *pool, uint64_t h, uint32_t *idx)
{
	struct zs_hslot *slot;
	uint32_t gen;

	slot = zs_handle_lookup(pool, h, idx, &gen);
	if (!slot)
		child_fail("a live handle has no slot");
	return atomic_load(&slot->word);
}

/* The tag of the live object of handle h (NULL for a huge object, which
 * has neither tag nor zspage: *zsp NULL too), its zspage and slot
 * index. */
static uint32_t *object_tag(struct zs_pool *pool, uint64_t h,
			    struct zspage **zsp, uint32_t *idx)
{
	uint64_t w = object_word(pool, h, idx);
	uint32_t ref = zs_slot_loc(w);

	*zsp = NULL;
	if (zs_slot_huge(w))
		return NULL;
	*zsp = zs_zspage_by_id(pool, zs_span_ref_zspage(ref));
	if (!*zsp)
		child_fail("a live object's slot names no zspage");
	return (uint32_t *)(zs_obj_bytes(*zsp, ref) - ZS_SPAN_TAG_BYTES);
}

/* The two objects run_free_foreign_slot and run_free_foreign_page use:
 * the one freed, and the one whose slot it is made to name. */
static const struct fm_obj *foreign_pair(const struct fatal *t,
					 const struct fm_obj **b)
{
	*b = &t->m->obj[(t->arg + 1) % t->m->nlive];
	return &t->m->obj[t->arg % t->m->nlive];
}

/* The slot an object of slot idx is made to name instead of its own:
 * other's, or (when that is its own, or arg bit 8) one a little past. */
static uint32_t foreign_slot(const struct fatal *t, uint32_t idx,
			     uint32_t other)
{
	if (other == idx || (t->arg >> 8) & 1)
		other = idx + 1 + (t->arg >> 9) % 7;
	return other;
}

/* A shared object's tag overwritten to name another slot, another live
 * object's or one past it; zs_free of the object must see that its place
 * does not name its slot. */
static void run_free_foreign_slot(void *arg)
{
	struct fatal *t = arg;
	struct zs_pool *pool = t->pool;
	const struct fm_obj *b, *a = foreign_pair(t, &b);
	struct zspage *zsp;
	uint32_t idx, other, *tag;

	object_word(pool, b->handle, &other);
	tag = object_tag(pool, a->handle, &zsp, &idx);
	if (!tag)
		child_fail("the object is huge: it has no tag");
	other = foreign_slot(t, idx, other);
	zs_raw_store32(tag, other << 2 | (zs_raw_load32(tag) & 2u));
	zs_free(pool, a->handle);
}

/* A huge object's page redescribed in the arena (the arena's own call)
 * as another slot's, another live object's or one past it, as a bad move
 * would leave it; zs_free of the object must find that the arena will not
 * free that page as its slot's, and free nothing. */
static void run_free_foreign_page(void *arg)
{
	struct fatal *t = arg;
	struct zs_pool *pool = t->pool;
	const struct fm_obj *b, *a = foreign_pair(t, &b);
	uint32_t idx, other;
	uint64_t w;
	char *page;

	object_word(pool, b->handle, &other);
	w = object_word(pool, a->handle, &idx);
	if (!zs_slot_huge(w))
		child_fail("the object is not huge");
	page = zs_huge_bytes(pool, zs_slot_loc(w));
	if (!page)
		child_fail("a huge object's place names no page");
	zs_arena_set_page_owner(pool->arena, page,
				zs_huge_cookie(foreign_slot(t, idx, other)), 0,
				1);
	zs_free(pool, a->handle);
}

/* ---- fresh pools: layouts the checks need ---- */

static struct zs_pool *child_pool(uint16_t arg)
{
	struct zs_pool_config cfg = { 0 };
	struct zs_pool *pool;

	cfg.name = "zs-fatal";
	cfg.chain_size = 1u << (arg % 5); /* 1 .. 16 */
	/* its own arena: page failures the fuzzer armed on the default
	 * arena, or a nearly full one, must not stop the layout */
	cfg.arena = zs_arena_create();
	if (!cfg.arena)
		child_fail("zs_arena_create");
	pool = zs_create_pool_config(&cfg);
	if (!pool)
		child_fail("zs_create_pool_config");
	return pool;
}

static uint64_t child_alloc(struct zs_pool *pool, size_t size)
{
	uint64_t h;

	if (zs_malloc(pool, size, &h))
		child_fail("zs_malloc");
	return h;
}

/* Run migration (the arena's compaction, calling the pool's movable
 * operations as it does) walks a zspage whose object at the chosen place
 * is no valid block: its slot pointing elsewhere, its tag naming another
 * slot, or its tag a gap's bit without a gap's pattern.  The walk that
 * marks every object before the copy must stop there. */
static void run_compact_foreign_slot(void *arg)
{
	struct fatal *t = arg;
	size_t size = 1 + t->arg % 1000;
	struct zs_pool *pool = child_pool(t->arg >> 10);
	unsigned n = 2 + (t->arg >> 4) % 6, bad = (t->arg >> 7) % n, i;
	size_t len = (size_t)pool->chain_size * ZS_PAGE_SIZE;
	uint64_t h[8];
	struct zs_hslot *slot;
	struct zspage *zsp;
	uint32_t idx, gen, *tag;
	char *base;
	void *to;

	for (i = 0; i < n; i++)
		h[i] = child_alloc(pool, size);
	tag = object_tag(pool, h[bad], &zsp, &idx);
	slot = zs_handle_lookup(pool, h[bad], &idx, &gen);
	switch ((t->arg >> 13) % 3) {
	case 0:
		atomic_store(
			&slot->word,
			zs_slot_with_loc(atomic_load(&slot->word),
					 zs_slot_loc(atomic_load(&slot->word)) ^
						 1u));
		break;
	case 1:
		zs_raw_store32(tag, (idx + n) << 2 | (zs_raw_load32(tag) & 2u));
		break;
	default:
		zs_raw_store32(tag, zs_raw_load32(tag) | 1u);
		break;
	}
	base = atomic_load(&zsp->base);
	/* where the copy would go, were the walk to let it */
	to = aligned_alloc(ZS_PAGE_SIZE, len);
	if (!to)
		child_fail("aligned_alloc");
	if (zs_movable_ops.isolate(pool, base, zsp->id, 0))
		child_fail("isolate of the zspage's run");
	zs_movable_ops.migrate(pool, base, to, zsp->id, 0);
}

/* A free merges the object with the gaps beside it, reading their tags:
 * the gap after it with its tag overwritten (a gap's bit without its
 * pattern, or a length past the zspage's end), the gap before it with
 * its footer overwritten, or a prev_gap bit on the zspage's first
 * object, where no gap can be.  The free must stop at the tag. */
static void run_free_bad_neighbour(void *arg)
{
	struct fatal *t = arg;
	size_t size = 1 + t->arg % 1000;
	struct zs_pool *pool = child_pool(t->arg >> 10);
	unsigned units = zs_span_units((unsigned)size);
	uint32_t idx, *tag, *gap;
	struct zspage *zsp;
	uint64_t h[3];

	/* three objects in a row from unit 0, the middle one freed: a gap
	 * of `units` between them */
	h[0] = child_alloc(pool, size);
	h[1] = child_alloc(pool, size);
	h[2] = child_alloc(pool, size);
	zs_free(pool, h[1]);
	tag = object_tag(pool, h[0], &zsp, &idx);
	gap = tag + units * ZS_GAP_UNIT / sizeof(*tag);
	switch ((t->arg >> 13) % 4) {
	case 0: /* the next gap's pattern */
		zs_raw_store32(gap, zs_raw_load32(gap) ^ 0x10000u);
		zs_free(pool, h[0]);
		break;
	case 1: /* the next gap's length past the end */
		zs_raw_store32(gap, 0x5a5au << 16 |
					    (pool->zspage_units + 1) << 2 | 1u);
		zs_free(pool, h[0]);
		break;
	case 2: /* the footer of the gap before h[2] */
		gap += units * ZS_GAP_UNIT / sizeof(*gap) - 1;
		zs_raw_store32(gap, zs_raw_load32(gap) ^ 0x10000u);
		zs_free(pool, h[2]);
		break;
	default: /* a prev_gap bit on the first object */
		zs_raw_store32(tag, zs_raw_load32(tag) | 2u);
		zs_free(pool, h[0]);
		break;
	}
}

/* Kind "zs_free of an object whose tag names another slot" when the
 * object picked is huge. */
#define FOREIGN_PAGE_NAME \
	"zs_free of a huge object whose page is described as another slot's"

/* Each test, the finding its abort site reports, and what it runs. */
static const struct {
	const char *name;
	enum zs_finding want;
	void (*run)(void *arg);
} kinds[] = {
	{ "arena free_page of a bad pointer",
	  ZS_FINDING_ABORT_ARENA_FREE_PAGE_NOT_ALLOCATED, run_arena_free_page },
	{ "arena free_pages with a bad pointer",
	  ZS_FINDING_ABORT_ARENA_FREE_PAGES_NOT_ALLOCATED,
	  run_arena_free_pages },
	/* (FOREIGN_PAGE_NAME's test instead when the object is huge) */
	{ "zs_free of an object whose tag names another slot",
	  ZS_FINDING_ABORT_POOL_FREE_HANDLE_SLOT, run_free_foreign_slot },
	{ "run migration over an object whose slot does not point back",
	  ZS_FINDING_ABORT_COMPACT_BACK_POINTER, run_compact_foreign_slot },
	{ "zs_free beside an overwritten gap tag", ZS_FINDING_ABORT_SPAN_TAG,
	  run_free_bad_neighbour },
};

const char *zs_fuzz_fatal(struct zs_pool *pool, const struct fuzz_model *m,
			  uint8_t kind, uint16_t arg)
{
	struct fatal t = { .pool = pool, .m = m, .arg = arg };
	unsigned k = kind % (sizeof(kinds) / sizeof(kinds[0]));
	uint32_t idx, gen;
	struct zs_hslot *slot;

	if (kinds[k].run == run_free_foreign_slot && !m->nlive)
		return NULL;
	if (kinds[k].run == run_free_foreign_slot) {
		/* the freed object huge: no tag, its page's record instead */
		slot = zs_handle_lookup(pool, m->obj[arg % m->nlive].handle,
					&idx, &gen);
		if (!slot)
			fm_fail("fatal: a live handle has no slot");
		if (zs_slot_huge(atomic_load(&slot->word))) {
			fm_expect_abort(FOREIGN_PAGE_NAME,
					ZS_FINDING_ABORT_POOL_FREE_HUGE_PAGE,
					run_free_foreign_page, &t);
			return FOREIGN_PAGE_NAME;
		}
	}
	fm_expect_abort(kinds[k].name, kinds[k].want, kinds[k].run, &t);
	return kinds[k].name;
}
