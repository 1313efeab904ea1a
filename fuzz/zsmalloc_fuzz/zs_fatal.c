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
 * Tests that need a particular layout (an object the compactor will move,
 * a zspage with a free list) build it in a fresh pool inside the child;
 * the others corrupt the fuzzed pool's own objects.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzz/common/fuzz.h"
#include "fuzz/zsmalloc_fuzz/zs_fuzz.h"
#include "zs/arena.h"
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

/* ---- the fuzzed pool: a handle slot that names another object ---- */

/* Two live objects of one non-huge class, found from position arg on. */
static bool pick_pair(struct zs_pool *pool, const struct fuzz_model *m,
		      uint16_t arg, uint64_t *a, uint64_t *b)
{
	int32_t first[ZS_NR_SIZE_SLOTS];
	uint32_t i, k;

	for (i = 0; i < ZS_NR_SIZE_SLOTS; i++)
		first[i] = -1;
	for (k = 0; k < m->nlive; k++) {
		const struct fm_obj *o = &m->obj[(arg + k) % m->nlive];
		struct size_class *c = zs_class_for_size(pool, o->size);

		if (c->huge)
			continue;
		if (first[c->index] >= 0) {
			*a = o->handle;
			*b = m->obj[first[c->index]].handle;
			return true;
		}
		first[c->index] = (int32_t)((arg + k) % m->nlive);
	}
	return false;
}

static void run_free_foreign_slot(void *arg)
{
	struct fatal *t = arg;
	struct zs_pool *pool = t->pool;
	uint64_t a, b;
	uint32_t gen, idx;
	struct zs_hslot *sa, *sb;

	if (!pick_pair(pool, t->m, t->arg, &a, &b))
		child_fail("no pair (the parent checked)");
	sa = zs_handle_lookup(pool, a, &idx, &gen);
	sb = zs_handle_lookup(pool, b, &idx, &gen);
	/* a's slot now claims b's object, whose header names b's slot */
	atomic_store(&sa->loc, atomic_load(&sb->loc));
	zs_free(pool, a);
}

/* ---- fresh pools: layouts the checks need ---- */

static struct zs_pool *child_pool(size_t size, uint16_t arg,
				  struct size_class **c)
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
	*c = zs_class_for_size(pool, size);
	if ((*c)->huge || (*c)->objs_per_zspage < 2)
		child_fail("size is not a packed class");
	return pool;
}

static uint64_t child_alloc(struct zs_pool *pool, size_t size)
{
	uint64_t h;

	if (zs_malloc(pool, size, &h))
		child_fail("zs_malloc");
	return h;
}

/* The compactor moves the last object of a sparse zspage, whose handle
 * slot was pointed elsewhere: the object's header and its slot disagree. */
static void run_compact_foreign_slot(void *arg)
{
	struct fatal *t = arg;
	size_t size = 32 + t->arg % 969;
	struct size_class *c;
	struct zs_pool *pool = child_pool(size, t->arg >> 10, &c);
	uint64_t h[2 * ZS_PAGE_SIZE * ZS_MAX_CHAIN / ZS_MIN_ALLOC_SIZE];
	unsigned n = c->objs_per_zspage, i;
	struct zs_hslot *sa, *sb;
	uint32_t gen, idx;

	/* two zspages, filled in order; keep h[0] alone in the first and
	 * make room for it in the second */
	for (i = 0; i < 2 * n; i++)
		h[i] = child_alloc(pool, size);
	for (i = 1; i < n + 1; i++)
		zs_free(pool, h[i]);
	sa = zs_handle_lookup(pool, h[0], &idx, &gen);
	sb = zs_handle_lookup(pool, h[n + 1], &idx, &gen);
	atomic_store(&sa->loc, atomic_load(&sb->loc));
	zs_compact(pool);
}

/* A zspage whose free list was overwritten to name a live object: the next
 * allocation from it would hand out memory already in use. */
static void run_free_list_allocated(void *arg)
{
	struct fatal *t = arg;
	size_t size = 32 + t->arg % 969;
	struct size_class *c;
	struct zs_pool *pool = child_pool(size, t->arg >> 10, &c);
	uint64_t h[3], loc;
	struct zspage *zsp;
	uint32_t gen, idx, victim = (t->arg >> 13) % 2 ? 2 : 0;

	for (gen = 0; gen < 3; gen++)
		h[gen] = child_alloc(pool, size);
	zs_free(pool, h[1]);
	loc = atomic_load(&zs_handle_lookup(pool, h[victim], &idx, &gen)->loc);
	zsp = zs_zspage_by_id(pool, (uint32_t)(loc >> 32));
	zsp->free_head = (uint32_t)loc;
	child_alloc(pool, size);
}

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
	{ "zs_free of a slot naming another object",
	  ZS_FINDING_ABORT_POOL_FREE_HANDLE_SLOT, run_free_foreign_slot },
	{ "compaction of an object whose slot points elsewhere",
	  ZS_FINDING_ABORT_COMPACT_BACK_POINTER, run_compact_foreign_slot },
	{ "allocation from a free list naming a live object",
	  ZS_FINDING_ABORT_ZSPAGE_FREE_LIST_ALLOCATED,
	  run_free_list_allocated },
};

const char *zs_fuzz_fatal(struct zs_pool *pool, const struct fuzz_model *m,
			  uint8_t kind, uint16_t arg)
{
	struct fatal t = { .pool = pool, .m = m, .arg = arg };
	unsigned k = kind % (sizeof(kinds) / sizeof(kinds[0]));
	uint64_t a, b;

	if (kinds[k].run == run_free_foreign_slot &&
	    !pick_pair(pool, m, arg, &a, &b))
		return NULL;
	fm_expect_abort(kinds[k].name, kinds[k].want, kinds[k].run, &t);
	return kinds[k].name;
}
