// SPDX-License-Identifier: MIT
/*
 * fuzz/zsmalloc_fuzz/zs_pool.c - the zsmalloc target's pool: its life
 * (open, drain, close, recreate), its statistics against the shadow model,
 * and the knobs that make allocations fail (caps, injected failures).
 *
 * Every op ends with zsf_check_stats (cheap), and every move with
 * zsf_pool_check (the library's full consistency walk, the arena's too),
 * so these are the checks the other files lean on.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "fuzz/common/fuzz.h"
#include "fuzz/zsmalloc_fuzz/zs_fuzz.h"
#include "zs/arena.h"
#include "zs/zsmalloc.h"

struct zs_arena *zsf_arena_of(struct zs_fuzz *f)
{
	return f->arena ? f->arena : zs_arena_default();
}

bool zsf_enomem_ok(const struct zs_fuzz *f)
{
	return f->pool_injecting || f->arena_injecting || f->host_injecting ||
	       f->cap;
}

void zsf_get_stats(struct zs_fuzz *f, struct zs_pool_stats *st)
{
	memset(st, 0, sizeof(*st));
	zs_pool_stats(f->pool, st);
}

#define SAME_STAT(a, b, field, what)                                  \
	do {                                                          \
		if ((a)->field != (b)->field)                         \
			fm_fail("%s changed stats." #field            \
				" from %llu to %llu",                 \
				what, (unsigned long long)(b)->field, \
				(unsigned long long)(a)->field);      \
	} while (0)

/* A pool must look exactly as before a call that had to change nothing. */
void zsf_expect_pool_unchanged(struct zs_pool *pool,
			       const struct zs_pool_stats *b, const char *what,
			       bool metadata)
{
	struct zs_pool_stats a;

	memset(&a, 0, sizeof(a));
	zs_pool_stats(pool, &a);
	SAME_STAT(&a, b, pages_compacted, what);
	SAME_STAT(&a, b, pages_used, what);
	SAME_STAT(&a, b, objs_allocated, what);
	SAME_STAT(&a, b, objs_used, what);
	SAME_STAT(&a, b, zspages, what);
	SAME_STAT(&a, b, bytes_stored, what);
	SAME_STAT(&a, b, objs_moved, what);
	SAME_STAT(&a, b, pages_migrated, what);
	SAME_STAT(&a, b, alloc_failures, what);
	SAME_STAT(&a, b, compactions, what);
	if (metadata)
		SAME_STAT(&a, b, metadata_bytes, what);
	if (zs_get_total_pages(pool) != b->pages_used)
		fm_fail("%s changed zs_get_total_pages from %lu to %lu", what,
			b->pages_used, zs_get_total_pages(pool));
}

void zsf_expect_unchanged(struct zs_fuzz *f, const struct zs_pool_stats *b,
			  const char *what, bool metadata)
{
	zsf_expect_pool_unchanged(f->pool, b, what, metadata);
}

/* Statistics against the model; cheap, so it runs after every op. */
void zsf_check_stats(struct zs_fuzz *f)
{
	struct zs_pool_stats st;
	unsigned long pages = zs_get_total_pages(f->pool);
	uint64_t min_pages = (f->m.bytes + ZS_PAGE_SIZE - 1) / ZS_PAGE_SIZE;

	zsf_get_stats(f, &st);
	if (st.pages_used != pages)
		fm_fail("stats.pages_used %lu != zs_get_total_pages %lu",
			st.pages_used, pages);
	if (st.objs_used != f->m.nlive)
		fm_fail("stats.objs_used %lu, model holds %u live objects",
			st.objs_used, f->m.nlive);
	if (st.bytes_stored != f->m.bytes)
		fm_fail("stats.bytes_stored %llu, model holds %llu bytes",
			(unsigned long long)st.bytes_stored,
			(unsigned long long)f->m.bytes);
	if (pages < min_pages)
		fm_fail("pool holds %lu pages for %llu live bytes (< %llu)",
			pages, (unsigned long long)f->m.bytes,
			(unsigned long long)min_pages);
	if (st.objs_allocated < st.objs_used)
		fm_fail("stats.objs_allocated %lu < objs_used %lu",
			st.objs_allocated, st.objs_used);
	if (st.zspages > pages)
		fm_fail("stats.zspages %lu > pages %lu", st.zspages, pages);
	if (f->cap) {
		/* Pages above a newly set cap may stay, but once they drop
		 * below it they may not grow past it again. */
		if (pages < f->cap_limit)
			f->cap_limit = pages > f->cap ? pages : f->cap;
		if (pages > f->cap_limit)
			fm_fail("pool holds %lu pages over its cap %lu", pages,
				f->cap_limit);
	}
}

void zsf_pool_check(struct zs_fuzz *f, const char *when)
{
	int ret = zs_pool_check(f->pool);

	if (ret)
		fm_fail("zs_pool_check %s returned %d", when, ret);
	/* The pages' arena (the private one, or the default arena) keeps
	 * its own books, which every move changes too. */
	ret = zs_arena_check(zsf_arena_of(f));
	if (ret)
		fm_fail("zs_arena_check %s returned %d", when, ret);
}

void zsf_pool_open(struct zs_fuzz *f, uint8_t cfg, unsigned long max_pages)
{
	struct zs_pool_config pc;
	const char *name = cfg & 0x80 ? NULL : "zs-fuzz";
	const char *got;

	memset(&pc, 0, sizeof(pc));
	pc.name = name;
	pc.chain_size = (cfg & 0x1f) % 17;
	pc.max_pages = max_pages;
	if (cfg & 0x20) {
		f->arena = zs_arena_create();
		if (!f->arena)
			fm_fail("zs_arena_create failed, errno %d", errno);
		/* Chain bits past 16 (the same chains as their value mod
		 * 17) make the arena give freed memory back at once, so
		 * inputs take both paths: memory retained and reused, and
		 * regions released and purged as pages are freed. */
		if ((cfg & 0x1f) > 16)
			zs_arena_set_retain_ms(f->arena, 0);
	} else if ((cfg & 0x1f) > 16) {
		/* With the default arena they keep no freed memory for
		 * reuse (odd), or half of what the objects take (even): the
		 * recycle bins' and kept huge pages' share at both ends. */
		pc.recycle_64ths = cfg & 1 ? ZS_RECYCLE_NONE : 32;
	}
	pc.arena = f->arena;
	if ((cfg & 0xc0) == 0xc0 && !f->arena && !max_pages && !pc.chain_size) {
		/* A NULL config means the defaults. */
		f->pool = zs_create_pool_config(NULL);
	} else if ((cfg & 0x40) && !f->arena && !max_pages) {
		name = "zs-fuzz";
		f->pool = zs_create_pool(name);
	} else {
		f->pool = zs_create_pool_config(&pc);
	}
	if (!f->pool)
		fm_fail("creating a pool (chain %u, cap %lu) failed, errno %d",
			pc.chain_size, max_pages, errno);
	got = zs_pool_name(f->pool);
	if (name && (!got || strcmp(got, name)))
		fm_fail("zs_pool_name is \"%s\", created as \"%s\"",
			got ? got : "(null)", name);
	f->cap = max_pages;
	f->cap_limit = max_pages;
	f->pool_injecting = false;
	f->arena_injecting = false;
	if (zs_get_total_pages(f->pool) != 0)
		fm_fail("a new pool holds %lu pages",
			zs_get_total_pages(f->pool));
	zsf_pool_check(f, "on a new pool");
	fm_trace("  pool chain %u cap %lu arena %s share %u\n", pc.chain_size,
		 max_pages, f->arena ? "private" : "default", pc.recycle_64ths);
}

void zsf_drain(struct zs_fuzz *f, bool backwards)
{
	struct zs_pool_stats st;

	while (f->m.nlive)
		zsf_do_free(f, &f->m.obj[backwards ? f->m.nlive - 1 : 0]);
	zsf_get_stats(f, &st);
	if (zs_get_total_pages(f->pool) || st.pages_used || st.zspages ||
	    st.objs_used || st.objs_allocated || st.bytes_stored)
		fm_fail("an empty pool holds %lu pages (stats: pages %lu "
			"zspages %lu objs %lu/%lu bytes %llu)",
			zs_get_total_pages(f->pool), st.pages_used, st.zspages,
			st.objs_used, st.objs_allocated,
			(unsigned long long)st.bytes_stored);
	zsf_pool_check(f, "on an emptied pool");
}

void zsf_pool_close(struct zs_fuzz *f, bool free_first)
{
	struct zs_arena_stats as;
	int ret;

	zsf_own_release(f);
	if (free_first)
		zsf_drain(f, false);
	/* An armed default arena would fail the next pool's allocations
	 * after zsf_pool_open() has cleared arena_injecting. */
	if (!f->arena)
		zs_arena_inject_failures(zs_arena_default(), 0, 0);
	zs_destroy_pool(f->pool);
	f->pool = NULL;
	/* Handles of a destroyed pool are foreign to the next one. */
	while (f->m.nlive)
		fm_remove(&f->m, &f->m.obj[f->m.nlive - 1]);
	if (f->arena) {
		memset(&as, 0, sizeof(as));
		zs_arena_stats(f->arena, &as);
		if (as.pages_in_use)
			fm_fail("the private arena still has %lu pages in use "
				"after its only pool was destroyed",
				as.pages_in_use);
		ret = zs_arena_destroy(f->arena);
		if (ret)
			fm_fail("zs_arena_destroy of an unused arena: %d", ret);
		f->arena = NULL;
	}
}

void zsf_op_stats(void *state, struct fuzz_cursor *c)
{
	struct zs_fuzz *f = state;
	size_t max = zs_max_alloc_size(), huge, s, cs, next, want;
	unsigned classes;
	uint16_t raw;
	uint8_t flags;

	if (!fc_u8(c, &flags) || !fc_u16(c, &raw))
		return;
	if (max != ZS_PAGE_SIZE)
		fm_fail("zs_max_alloc_size is %zu", max);
	/* Footprints of 1 .. 512 units of 8 bytes, and a huge object's page:
	 * an object of s bytes below the huge size takes s and its 4-byte tag
	 * rounded up to 8 (zs/span.h), from the huge size on a page. */
	classes = zs_pool_class_count(f->pool);
	if (classes != ZS_PAGE_SIZE / 8 + 1)
		fm_fail("zs_pool_class_count is %u, not %u", classes,
			(unsigned)(ZS_PAGE_SIZE / 8 + 1));
	huge = zs_huge_class_size(f->pool);
	if (huge != ZS_PAGE_SIZE - 4 + 1)
		fm_fail("zs_huge_class_size is %zu, not %zu", huge,
			(size_t)(ZS_PAGE_SIZE - 4 + 1));
	s = raw % (max + 2);
	cs = zs_class_size_for(f->pool, s);
	if (s == 0 || s > max) {
		if (cs)
			fm_fail("zs_class_size_for(%zu) is %zu, expected 0", s,
				cs);
	} else {
		want = s >= huge ? ZS_PAGE_SIZE : (s + 4 + 7) / 8 * 8;
		if (cs != want)
			fm_fail("zs_class_size_for(%zu) is %zu, not %zu", s, cs,
				want);
		next = s < max ? zs_class_size_for(f->pool, s + 1) : cs;
		if (next < cs)
			fm_fail("zs_class_size_for(%zu) = %zu < (%zu) = %zu",
				s + 1, next, s, cs);
	}
	if (flags & 1)
		zs_pool_print_classes(f->pool, f->sink);
	if (flags & 2)
		zs_pool_print_classes_json(f->pool, f->sink);
}

void zsf_op_check(void *state, struct fuzz_cursor *c)
{
	struct zs_fuzz *f = state;

	(void)c;
	zsf_pool_check(f, "(op)");
}

void zsf_op_inject(void *state, struct fuzz_cursor *c)
{
	struct zs_fuzz *f = state;
	uint8_t target, after, count;

	if (!fc_u8(c, &target) || !fc_u8(c, &after) || !fc_u8(c, &count))
		return;
	count %= 8;
	if (target & 1) {
		zs_arena_inject_failures(zsf_arena_of(f), after, count);
		f->arena_injecting = count != 0;
	} else {
		zs_pool_inject_failures(f->pool, after, count);
		f->pool_injecting = count != 0;
	}
}

void zsf_op_max_pages(void *state, struct fuzz_cursor *c)
{
	struct zs_fuzz *f = state;
	unsigned long pages = zs_get_total_pages(f->pool), cap;
	uint16_t arg;
	uint8_t kind;

	if (!fc_u8(c, &kind) || !fc_u16(c, &arg))
		return;
	switch (kind % 4) {
	case 0:
		cap = 0;
		break;
	case 1: /* a little headroom */
		cap = pages + arg % 64 + 1;
		break;
	case 2: /* anything, possibly below what is held */
		cap = arg % 1024 + 1;
		break;
	default: /* no growth at all */
		cap = pages ? pages : 1;
		break;
	}
	zs_pool_set_max_pages(f->pool, cap);
	f->cap = cap;
	f->cap_limit = cap > pages ? cap : pages;
	fm_trace("  cap %lu (holding %lu)\n", cap, pages);
}

void zsf_op_recreate(void *state, struct fuzz_cursor *c)
{
	struct zs_fuzz *f = state;
	struct zs_pool_config pc;
	struct zs_pool *bad;
	uint8_t cfg, flags;

	if (!fc_u8(c, &cfg) || !fc_u8(c, &flags))
		return;
	if ((cfg & 0x1f) > 16) {
		memset(&pc, 0, sizeof(pc));
		pc.chain_size = cfg & 0x1f;
		errno = 0;
		bad = zs_create_pool_config(&pc);
		fm_expect_null(bad, errno, EINVAL, "zs_create_pool_config",
			       pc.chain_size);
		return;
	}
	zsf_pool_close(f, flags & 1);
	zsf_pool_open(f, cfg, flags & 2 ? 1 + (flags >> 2) * 8UL : 0);
}

void zsf_op_drain(void *state, struct fuzz_cursor *c)
{
	struct zs_fuzz *f = state;
	uint8_t order;

	if (!fc_u8(c, &order))
		return;
	zsf_drain(f, order & 1);
}
