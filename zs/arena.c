// SPDX-License-Identifier: MIT
/*
 * arena.c - pages for every zs allocator, carved from mmap'd regions.
 *
 * Why a layer of our own instead of mmap per page: a page costs a system
 * call and a VMA otherwise, and pages of many pools can be packed into few
 * regions so that whole regions go back to the OS.  Each region is 2 MiB
 * (512 pages) with a side table of page descriptors saying who owns each
 * page, so zs_arena_compact() can ask an owner to move a page (isolate /
 * migrate / putback, the 2015 generic compaction callbacks) without knowing
 * what the owner stores.
 *
 * Locking: one mutex per arena guards the region table, bitmaps and owner
 * table.  Owner callbacks are always called without it, so owners may take
 * their own locks and call back into the arena.  An owner being called is
 * marked busy; unregistering waits for it, so a pool can be destroyed while
 * another thread compacts the arena.
 *
 * zs_arena_check recomputes every counter, bitmap and table from the
 * region descriptors; owners' checks (zs_pool_check, zbud_pool_check) ask
 * zs_arena_page_info whether each of their pages is described as theirs.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* qsort_r, with -std=c11 */
#endif
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "zs/arena.h"
#include "zs/arena_internal.h"
#include "zs/host.h"
#include "zs/report_internal.h"

/* The process-wide default arena, made on first use.  A failed attempt
 * (the host out of memory) is not remembered: the next caller tries again,
 * so one early ENOMEM does not leave the process without one for good. */
static _Atomic(struct zs_arena *) default_arena;
static pthread_mutex_t default_lock = PTHREAD_MUTEX_INITIALIZER;

static void *region_page(const struct arena_region *r, unsigned i)
{
	return r->base + (size_t)i * ZS_PAGE_SIZE;
}

static bool bit_test(const uint64_t *map, unsigned i)
{
	return (map[i / 64] >> (i % 64)) & 1;
}

static void bit_set(uint64_t *map, unsigned i)
{
	map[i / 64] |= 1ull << (i % 64);
}

static void bit_clear(uint64_t *map, unsigned i)
{
	map[i / 64] &= ~(1ull << (i % 64));
}

struct zs_arena *zs_arena_create(void)
{
	struct zs_arena *a = zs_host_calloc(1, sizeof(*a));

	if (!a)
		goto fail;
	a->regions = zs_host_calloc(ARENA_MAX_REGIONS, sizeof(*a->regions));
	a->by_addr = zs_host_calloc(ARENA_MAX_REGIONS, sizeof(*a->by_addr));
	if (!a->regions || !a->by_addr)
		goto fail;
	pthread_mutex_init(&a->lock, NULL);
	pthread_cond_init(&a->idle, NULL);
	return a;
fail:
	if (a) {
		free(a->regions);
		free(a->by_addr);
		free(a);
	}
	errno = ENOMEM;
	return NULL;
}

static void release_region(struct zs_arena *a, unsigned slot)
{
	struct arena_region *r = a->regions[slot];
	unsigned k, j;

	for (k = 0; k < a->nregions && a->by_addr[k] != slot; k++)
		;
	for (j = k; j + 1 < a->nregions; j++)
		a->by_addr[j] = a->by_addr[j + 1];
	a->nregions--;
	for (k = 0; k < ARENA_REGION_PAGES; k++)
		if (bit_test(r->dirty_map, k))
			a->pages_dirty--;
	a->pages_free -= ARENA_REGION_PAGES;
	munmap(r->base, ARENA_REGION_SIZE);
	free(r);
	a->regions[slot] = NULL;
	a->regions_released++;
}

int zs_arena_destroy(struct zs_arena *arena)
{
	unsigned i;

	if (!arena)
		return 0;
	/* Not zs_arena_default(): that would make one just to compare. */
	if (arena == atomic_load(&default_arena))
		return -EBUSY;
	pthread_mutex_lock(&arena->lock);
	if (arena->pages_in_use) {
		pthread_mutex_unlock(&arena->lock);
		ZS_REPORT(ZS_FINDING_ARENA_DESTROY_BUSY, arena->pages_in_use);
		return -EBUSY;
	}
	for (i = 0; i < ARENA_MAX_OWNERS; i++)
		if (arena->owners[i].live) {
			pthread_mutex_unlock(&arena->lock);
			return -EBUSY;
		}
	while (arena->nregions)
		release_region(arena, arena->by_addr[0]);
	pthread_mutex_unlock(&arena->lock);
	pthread_mutex_destroy(&arena->lock);
	pthread_cond_destroy(&arena->idle);
	free(arena->regions);
	free(arena->by_addr);
	free(arena);
	return 0;
}

struct zs_arena *zs_arena_default(void)
{
	struct zs_arena *a =
		atomic_load_explicit(&default_arena, memory_order_acquire);

	if (a)
		return a;
	pthread_mutex_lock(&default_lock);
	a = atomic_load_explicit(&default_arena, memory_order_relaxed);
	if (!a) {
		a = zs_arena_create();
		atomic_store_explicit(&default_arena, a, memory_order_release);
	}
	pthread_mutex_unlock(&default_lock);
	if (!a)
		errno = ENOMEM;
	return a;
}

/* Maps one more region; returns its slot or -1. */
static int add_region(struct zs_arena *a)
{
	struct arena_region *r;
	unsigned slot, k;
	void *base;

	for (slot = 0; slot < ARENA_MAX_REGIONS && a->regions[slot]; slot++)
		;
	if (slot == ARENA_MAX_REGIONS)
		return -1;
	r = zs_host_calloc(1, sizeof(*r));
	if (!r)
		return -1;
	base = zs_host_refuses() ?
		       MAP_FAILED :
		       mmap(NULL, ARENA_REGION_SIZE, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED) {
		free(r);
		return -1;
	}
	r->base = base;
	r->slot = slot;
	if (slot + 1 > a->slot_limit)
		a->slot_limit = slot + 1;
	memset(r->free_map, 0xff, sizeof(r->free_map));
	a->regions[slot] = r;
	/* keep by_addr sorted so a page finds its region by binary search */
	for (k = a->nregions;
	     k > 0 && a->regions[a->by_addr[k - 1]]->base > r->base; k--)
		a->by_addr[k] = a->by_addr[k - 1];
	a->by_addr[k] = slot;
	a->nregions++;
	a->pages_free += ARENA_REGION_PAGES;
	if (slot < a->alloc_hint)
		a->alloc_hint = slot;
	return (int)slot;
}

static struct arena_region *find_region(struct zs_arena *a, const void *page,
					unsigned *page_index)
{
	const char *p = page;
	unsigned lo = 0, hi = a->nregions;

	while (lo < hi) {
		unsigned mid = (lo + hi) / 2;
		struct arena_region *r = a->regions[a->by_addr[mid]];

		if (p < r->base) {
			hi = mid;
		} else if (p >= r->base + ARENA_REGION_SIZE) {
			lo = mid + 1;
		} else {
			if ((size_t)(p - r->base) % ZS_PAGE_SIZE)
				return NULL;
			*page_index = (unsigned)((size_t)(p - r->base) /
						 ZS_PAGE_SIZE);
			return r;
		}
	}
	return NULL;
}

static int first_free(const struct arena_region *r)
{
	unsigned w;

	for (w = 0; w < ARENA_BITMAP_WORDS; w++)
		if (r->free_map[w])
			return (int)(w * 64 + __builtin_ctzll(r->free_map[w]));
	return -1;
}

/* Takes a free page from a region that is not being evacuated. */
static void *take_page(struct zs_arena *a, int owner_id)
{
	struct arena_region *r = NULL;
	unsigned slot;
	int i;

	for (slot = a->alloc_hint; slot < a->slot_limit; slot++) {
		r = a->regions[slot];
		if (r && r->in_use < ARENA_REGION_PAGES && !r->evacuating)
			break;
		r = NULL;
	}
	if (r && !a->compacting)
		a->alloc_hint = slot;
	if (!r) {
		int s = add_region(a);

		if (s < 0)
			return NULL;
		r = a->regions[s];
	}
	i = first_free(r);
	bit_clear(r->free_map, (unsigned)i);
	if (bit_test(r->dirty_map, (unsigned)i)) {
		bit_clear(r->dirty_map, (unsigned)i);
		a->pages_dirty--;
	}
	r->in_use++;
	r->desc[i] = (struct arena_page_desc){
		.owner = (uint16_t)(owner_id + 1),
	};
	a->owners[owner_id].pages++;
	a->pages_in_use++;
	a->pages_free--;
	return region_page(r, (unsigned)i);
}

/* An id that names a registered owner; arena lock held. */
static bool owner_live(const struct zs_arena *a, int owner_id)
{
	return owner_id >= 0 && owner_id < ARENA_MAX_OWNERS &&
	       a->owners[owner_id].live;
}

void *zs_arena_alloc_page(struct zs_arena *arena, int owner_id)
{
	void *page;

	if (!arena) {
		errno = EINVAL;
		return NULL;
	}
	pthread_mutex_lock(&arena->lock);
	if (!owner_live(arena, owner_id)) {
		pthread_mutex_unlock(&arena->lock);
		errno = EINVAL;
		return NULL;
	}
	if (zs_fault_counter_fires(&arena->inject)) {
		pthread_mutex_unlock(&arena->lock);
		errno = ENOMEM;
		return NULL;
	}
	page = take_page(arena, owner_id);
	pthread_mutex_unlock(&arena->lock);
	if (!page)
		errno = ENOMEM;
	return page;
}

/* Returns runs of dirty free pages to the OS: they stay mapped, but read
 * back as zeroes and cost no memory until touched again. */
static void purge_dirty(struct zs_arena *a)
{
	unsigned k, i;

	for (k = 0; k < a->nregions; k++) {
		struct arena_region *r = a->regions[a->by_addr[k]];

		for (i = 0; i < ARENA_REGION_PAGES;) {
			unsigned j = i;

			while (j < ARENA_REGION_PAGES &&
			       bit_test(r->dirty_map, j))
				j++;
			if (j > i) {
				madvise(region_page(r, i),
					(size_t)(j - i) * ZS_PAGE_SIZE,
					MADV_DONTNEED);
				for (; i < j; i++)
					bit_clear(r->dirty_map, i);
			}
			i = j + 1;
		}
	}
	a->pages_dirty = 0;
}

/* Unmaps every empty region but `keep` of them (spares avoid mmap churn). */
static void release_empty_regions(struct zs_arena *a, unsigned keep)
{
	unsigned k = 0;

	while (k < a->nregions) {
		unsigned slot = a->by_addr[k];
		struct arena_region *r = a->regions[slot];

		if (r->in_use == 0 && !r->evacuating) {
			if (keep) {
				keep--;
			} else {
				release_region(a, slot);
				continue;
			}
		}
		k++;
	}
}

static void put_page(struct zs_arena *a, struct arena_region *r, unsigned i)
{
	unsigned slot = r->slot;

	if (r->desc[i].owner)
		a->owners[r->desc[i].owner - 1].pages--;
	r->desc[i] = (struct arena_page_desc){ 0 };
	bit_set(r->free_map, i);
	bit_set(r->dirty_map, i);
	r->in_use--;
	a->pages_in_use--;
	a->pages_free++;
	a->pages_dirty++;
	if (r->in_use == 0 && !r->evacuating) {
		release_empty_regions(a, 1);
	} else if (a->pages_dirty > ARENA_DIRTY_PURGE_MIN &&
		   a->pages_dirty > a->pages_in_use / 8) {
		purge_dirty(a);
	}
	if (slot < a->alloc_hint)
		a->alloc_hint = slot;
}

void zs_arena_free_page(struct zs_arena *arena, void *page)
{
	struct arena_region *r;
	unsigned i;

	if (!arena || !page)
		return;
	pthread_mutex_lock(&arena->lock);
	r = find_region(arena, page, &i);
	if (!r || bit_test(r->free_map, i)) {
		pthread_mutex_unlock(&arena->lock);
		ZS_REPORT(ZS_FINDING_ABORT_ARENA_FREE_PAGE_NOT_ALLOCATED, page);
		zs_corruption_abort();
		return;
	}
	put_page(arena, r, i);
	pthread_mutex_unlock(&arena->lock);
}

int zs_arena_alloc_pages(struct zs_arena *arena, int owner_id, unsigned n,
			 void **pages, uint32_t cookie, int movable)
{
	unsigned i;

	if (!arena || (n && !pages))
		return -EINVAL;
	pthread_mutex_lock(&arena->lock);
	if (!owner_live(arena, owner_id)) {
		pthread_mutex_unlock(&arena->lock);
		return -EINVAL;
	}
	for (i = 0; i < n; i++) {
		struct arena_region *r;
		unsigned pi;

		if (zs_fault_counter_fires(&arena->inject))
			break;

		pages[i] = take_page(arena, owner_id);
		if (!pages[i])
			break;
		r = find_region(arena, pages[i], &pi);
		r->desc[pi].cookie = cookie;
		r->desc[pi].index = i;
		r->desc[pi].flags = movable ? ARENA_PAGE_MOVABLE : 0;
	}
	if (i < n) {
		while (i--) {
			struct arena_region *r;
			unsigned pi;

			r = find_region(arena, pages[i], &pi);
			put_page(arena, r, pi);
		}
		pthread_mutex_unlock(&arena->lock);
		return -ENOMEM;
	}
	pthread_mutex_unlock(&arena->lock);
	return 0;
}

void zs_arena_free_pages(struct zs_arena *arena, void *const *pages, unsigned n)
{
	unsigned i;

	if (!arena || !pages)
		return;
	pthread_mutex_lock(&arena->lock);
	for (i = 0; i < n; i++) {
		struct arena_region *r;
		unsigned pi;

		r = find_region(arena, pages[i], &pi);
		if (!r || bit_test(r->free_map, pi)) {
			pthread_mutex_unlock(&arena->lock);
			ZS_REPORT(
				ZS_FINDING_ABORT_ARENA_FREE_PAGES_NOT_ALLOCATED,
				pages[i]);
			zs_corruption_abort();
		}
		put_page(arena, r, pi);
	}
	pthread_mutex_unlock(&arena->lock);
}

void zs_arena_set_page_owner(struct zs_arena *arena, void *page,
			     uint32_t cookie, uint32_t index, int movable)
{
	struct arena_region *r;
	unsigned i;

	if (!arena || !page)
		return;
	pthread_mutex_lock(&arena->lock);
	r = find_region(arena, page, &i);
	if (r && !bit_test(r->free_map, i)) {
		r->desc[i].cookie = cookie;
		r->desc[i].index = index;
		if (movable)
			r->desc[i].flags |= ARENA_PAGE_MOVABLE;
		else
			r->desc[i].flags &= (uint16_t)~ARENA_PAGE_MOVABLE;
	}
	pthread_mutex_unlock(&arena->lock);
}

int zs_arena_register_owner(struct zs_arena *arena, void *owner,
			    const struct zs_movable_ops *ops)
{
	int id;

	if (!arena || !owner || !ops || !ops->isolate || !ops->migrate ||
	    !ops->putback)
		return -EINVAL;
	pthread_mutex_lock(&arena->lock);
	for (id = 0; id < ARENA_MAX_OWNERS; id++)
		if (!arena->owners[id].live && !arena->owners[id].busy &&
		    !arena->owners[id].pages)
			break;
	if (id == ARENA_MAX_OWNERS) {
		pthread_mutex_unlock(&arena->lock);
		return -ENOSPC;
	}
	arena->owners[id] = (struct arena_owner){ .owner = owner,
						  .ops = ops,
						  .live = true };
	pthread_mutex_unlock(&arena->lock);
	return id;
}

void zs_arena_unregister_owner(struct zs_arena *arena, int owner_id)
{
	struct arena_owner *o;

	if (!arena || owner_id < 0 || owner_id >= ARENA_MAX_OWNERS)
		return;
	o = &arena->owners[owner_id];
	pthread_mutex_lock(&arena->lock);
	o->live = false;
	/* A compaction may be inside this owner's callbacks: wait it out so
	 * the owner can free its structures once we return. */
	while (o->busy)
		pthread_cond_wait(&arena->idle, &arena->lock);
	pthread_mutex_unlock(&arena->lock);
}

void zs_arena_inject_failures(struct zs_arena *arena, unsigned after,
			      unsigned count)
{
	if (arena)
		zs_fault_counter_arm(&arena->inject, after, count);
}

void zs_arena_trim(struct zs_arena *arena)
{
	if (!arena)
		return;
	pthread_mutex_lock(&arena->lock);
	release_empty_regions(arena, 0);
	purge_dirty(arena);
	pthread_mutex_unlock(&arena->lock);
}

void zs_arena_stats(struct zs_arena *arena, struct zs_arena_stats *st)
{
	if (!st)
		return;
	if (!arena) {
		memset(st, 0, sizeof(*st));
		return;
	}
	pthread_mutex_lock(&arena->lock);
	st->pages_in_use = arena->pages_in_use;
	st->pages_free = arena->pages_free;
	st->regions_mapped = arena->nregions;
	st->regions_released = arena->regions_released;
	st->pages_migrated = arena->pages_migrated;
	st->migrate_failures = arena->migrate_failures;
	st->metadata_bytes = sizeof(*arena) +
			     ARENA_MAX_REGIONS * (sizeof(*arena->regions) +
						  sizeof(*arena->by_addr)) +
			     arena->nregions * sizeof(struct arena_region);
	pthread_mutex_unlock(&arena->lock);
}

static int cmp_in_use_desc(const void *x, const void *y, void *ctx)
{
	struct zs_arena *a = ctx;
	unsigned ux = a->regions[*(const unsigned *)x]->in_use;
	unsigned uy = a->regions[*(const unsigned *)y]->in_use;

	return ux < uy ? 1 : ux > uy ? -1 : 0;
}

/* One page move; called without the lock, returns true when it moved. */
static bool move_page(struct zs_arena *a, struct arena_region *r, unsigned i)
{
	struct arena_page_desc d;
	struct arena_owner *o;
	void *old_page = region_page(r, i), *new_page;
	bool moved = false;

	pthread_mutex_lock(&a->lock);
	d = r->desc[i];
	if (bit_test(r->free_map, i) || !(d.flags & ARENA_PAGE_MOVABLE) ||
	    !d.owner || !a->owners[d.owner - 1].live) {
		pthread_mutex_unlock(&a->lock);
		return false;
	}
	o = &a->owners[d.owner - 1];
	o->busy++;
	r->desc[i].flags |= ARENA_PAGE_ISOLATED;
	pthread_mutex_unlock(&a->lock);

	if (o->ops->isolate(o->owner, old_page, d.cookie, d.index) == 0) {
		pthread_mutex_lock(&a->lock);
		new_page = take_page(a, d.owner - 1);
		if (new_page) {
			/* described before the owner can see it: once migrate
			 * returns, the owner may free it at any moment */
			struct arena_region *nr;
			unsigned ni;

			nr = find_region(a, new_page, &ni);
			nr->desc[ni] = d;
		}
		pthread_mutex_unlock(&a->lock);
		if (new_page && o->ops->migrate(o->owner, old_page, new_page,
						d.cookie, d.index) == 0) {
			moved = true;
		} else {
			o->ops->putback(o->owner, old_page, d.cookie, d.index);
		}
		pthread_mutex_lock(&a->lock);
		if (moved) {
			put_page(a, r, i);
			a->pages_migrated++;
		} else {
			if (new_page) {
				struct arena_region *nr;
				unsigned ni;

				nr = find_region(a, new_page, &ni);
				put_page(a, nr, ni);
			}
			a->migrate_failures++;
		}
	} else {
		pthread_mutex_lock(&a->lock);
		a->migrate_failures++;
	}
	if (!moved)
		r->desc[i].flags &= (uint16_t)~ARENA_PAGE_ISOLATED;
	o->busy--;
	pthread_cond_broadcast(&a->idle);
	pthread_mutex_unlock(&a->lock);
	return moved;
}

unsigned long zs_arena_compact(struct zs_arena *arena)
{
	struct zs_arena *a = arena;
	unsigned *order, n, k, keep, i;
	unsigned long total = 0, moved = 0, capacity = 0;
	struct arena_region **sources;
	unsigned nsources = 0;

	if (!a)
		return 0;
	pthread_mutex_lock(&a->lock);
	if (a->compacting || a->nregions == 0) {
		pthread_mutex_unlock(&a->lock);
		return 0;
	}
	a->compacting = true;
	n = a->nregions;
	order = zs_host_malloc(n * sizeof(*order));
	sources = zs_host_malloc(n * sizeof(*sources));
	if (!order || !sources) {
		a->compacting = false;
		pthread_mutex_unlock(&a->lock);
		free(order);
		free(sources);
		return 0;
	}
	memcpy(order, a->by_addr, n * sizeof(*order));
	qsort_r(order, n, sizeof(*order), cmp_in_use_desc, a);
	/* The densest regions that can hold every page in use stay; the
	 * others are evacuated into them.  Empty ones are marked too, so no
	 * page moves into a spare region that is about to be unmapped: the
	 * kept regions have room for every page that leaves. */
	for (k = 0; k < n; k++)
		total += a->regions[order[k]]->in_use;
	for (keep = 0; keep < n && capacity < total; keep++)
		capacity += ARENA_REGION_PAGES;
	for (k = keep; k < n; k++) {
		struct arena_region *r = a->regions[order[k]];

		r->evacuating = true;
		if (r->in_use)
			sources[nsources++] = r;
	}
	pthread_mutex_unlock(&a->lock);

	for (k = 0; k < nsources; k++)
		for (i = 0; i < ARENA_REGION_PAGES; i++)
			if (move_page(a, sources[k], i))
				moved++;

	pthread_mutex_lock(&a->lock);
	for (k = keep; k < n; k++)
		a->regions[order[k]]->evacuating = false;
	release_empty_regions(a, 0);
	a->alloc_hint = 0;
	a->compacting = false;
	pthread_mutex_unlock(&a->lock);
	free(order);
	free(sources);
	return moved;
}

int zs_arena_page_info(struct zs_arena *arena, const void *page,
		       struct zs_arena_page_info *info)
{
	struct arena_region *r;
	unsigned i;

	if (!arena || !page || !info)
		return -EINVAL;
	pthread_mutex_lock(&arena->lock);
	r = find_region(arena, page, &i);
	if (!r || bit_test(r->free_map, i)) {
		pthread_mutex_unlock(&arena->lock);
		return -ENOENT;
	}
	info->owner_id = (int)r->desc[i].owner - 1;
	info->cookie = r->desc[i].cookie;
	info->index = r->desc[i].index;
	info->movable = !!(r->desc[i].flags & ARENA_PAGE_MOVABLE);
	info->isolated = !!(r->desc[i].flags & ARENA_PAGE_ISOLATED);
	pthread_mutex_unlock(&arena->lock);
	return 0;
}

int zs_arena_owner_pages(struct zs_arena *arena, int owner_id,
			 unsigned long *pages, unsigned *moving)
{
	if (!arena || !pages || !moving || owner_id < 0 ||
	    owner_id >= ARENA_MAX_OWNERS)
		return -EINVAL;
	pthread_mutex_lock(&arena->lock);
	*pages = arena->owners[owner_id].pages;
	*moving = arena->owners[owner_id].busy;
	pthread_mutex_unlock(&arena->lock);
	return 0;
}

/* zs_arena_check's findings: "zs: zs_arena_check: <what>". */
#define CHECK_FAIL(kind, ...)                                          \
	do {                                                           \
		zs_report_finding(kind, "zs_arena_check: " kind##_FMT, \
				  ##__VA_ARGS__);                      \
		err = -EUCLEAN;                                        \
		goto out;                                              \
	} while (0)

static unsigned popcount_map(const uint64_t *map)
{
	unsigned w, n = 0;

	for (w = 0; w < ARENA_BITMAP_WORDS; w++)
		n += (unsigned)__builtin_popcountll(map[w]);
	return n;
}

/* One region against its bitmaps and descriptors; lock held. */
static int check_region(const struct zs_arena *a, const struct arena_region *r,
			unsigned long *dirty, unsigned long *owned)
{
	unsigned i, nfree = popcount_map(r->free_map);
	int err = 0;

	if (nfree != ARENA_REGION_PAGES - r->in_use)
		CHECK_FAIL(ZS_FINDING_ARENA_REGION_IN_USE_COUNT, r->slot,
			   r->in_use, ARENA_REGION_PAGES - nfree);
	if (r->evacuating && !a->compacting)
		CHECK_FAIL(ZS_FINDING_ARENA_REGION_EVACUATING, r->slot);
	for (i = 0; i < ARENA_REGION_PAGES; i++) {
		const struct arena_page_desc *d = &r->desc[i];
		bool free_page = bit_test(r->free_map, i);

		if (bit_test(r->dirty_map, i) && !free_page)
			CHECK_FAIL(ZS_FINDING_ARENA_PAGE_IN_USE_DIRTY, r->slot,
				   i);
		if (bit_test(r->dirty_map, i))
			++*dirty;
		if (free_page) {
			if (d->owner || d->flags || d->cookie || d->index)
				CHECK_FAIL(ZS_FINDING_ARENA_FREE_PAGE_OWNED,
					   r->slot, i, (int)d->owner - 1);
			continue;
		}
		if (!d->owner || d->owner > ARENA_MAX_OWNERS)
			CHECK_FAIL(ZS_FINDING_ARENA_PAGE_NO_OWNER, r->slot, i);
		owned[d->owner - 1]++;
		if (d->flags &
		    ~(uint16_t)(ARENA_PAGE_MOVABLE | ARENA_PAGE_ISOLATED))
			CHECK_FAIL(ZS_FINDING_ARENA_PAGE_UNKNOWN_FLAGS, r->slot,
				   i, (unsigned)d->flags);
		if ((d->flags & ARENA_PAGE_ISOLATED) && !a->compacting)
			CHECK_FAIL(ZS_FINDING_ARENA_PAGE_ISOLATED, r->slot, i);
	}
out:
	return err;
}

int zs_arena_check(struct zs_arena *arena)
{
	struct zs_arena *a = arena;
	unsigned long in_use = 0, nfree = 0, dirty = 0;
	unsigned long owned[ARENA_MAX_OWNERS] = { 0 };
	unsigned k, slot, used = 0;
	int err = 0;

	if (!a)
		return -EINVAL;
	pthread_mutex_lock(&a->lock);
	if (a->nregions > ARENA_MAX_REGIONS ||
	    a->slot_limit > ARENA_MAX_REGIONS)
		CHECK_FAIL(ZS_FINDING_ARENA_REGION_LIMITS, a->nregions,
			   a->slot_limit, ARENA_MAX_REGIONS);
	for (k = 0; k < a->nregions; k++) {
		struct arena_region *r;

		slot = a->by_addr[k];
		if (slot >= a->slot_limit || !(r = a->regions[slot]))
			CHECK_FAIL(ZS_FINDING_ARENA_ADDRESS_ENTRY_UNUSED, k,
				   slot);
		if (r->slot != slot)
			CHECK_FAIL(ZS_FINDING_ARENA_REGION_SLOT_ID, slot,
				   r->slot);
		if (k && a->regions[a->by_addr[k - 1]]->base >= r->base)
			CHECK_FAIL(ZS_FINDING_ARENA_ADDRESS_ORDER, k);
		err = check_region(a, r, &dirty, owned);
		if (err)
			goto out;
		in_use += r->in_use;
		nfree += ARENA_REGION_PAGES - r->in_use;
		/* Allocation scans from the hint up: a region below it with
		 * a free page would never be used again. */
		if (slot < a->alloc_hint && r->in_use < ARENA_REGION_PAGES &&
		    !a->compacting)
			CHECK_FAIL(ZS_FINDING_ARENA_FREE_BELOW_HINT, slot,
				   a->alloc_hint);
	}
	for (slot = 0; slot < ARENA_MAX_REGIONS; slot++)
		if (a->regions[slot]) {
			if (slot >= a->slot_limit)
				CHECK_FAIL(ZS_FINDING_ARENA_REGION_BEYOND_LIMIT,
					   slot, a->slot_limit);
			used++;
		}
	if (used != a->nregions)
		CHECK_FAIL(ZS_FINDING_ARENA_REGION_COUNT, used, a->nregions);
	if (in_use != a->pages_in_use || nfree != a->pages_free ||
	    dirty != a->pages_dirty)
		CHECK_FAIL(ZS_FINDING_ARENA_PAGE_COUNTS, in_use, nfree, dirty,
			   a->pages_in_use, a->pages_free, a->pages_dirty);
	for (k = 0; k < ARENA_MAX_OWNERS; k++) {
		if (owned[k] != a->owners[k].pages)
			CHECK_FAIL(ZS_FINDING_ARENA_OWNER_PAGE_COUNT, k,
				   owned[k], a->owners[k].pages);
		if (a->owners[k].busy && !a->compacting)
			CHECK_FAIL(ZS_FINDING_ARENA_OWNER_BUSY, k,
				   a->owners[k].busy);
	}
out:
	pthread_mutex_unlock(&a->lock);
	return err;
}
