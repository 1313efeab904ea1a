// SPDX-License-Identifier: MIT
/*
 * zbud.c - zbud, two buddies per page (the 2013 zbud review), with checked
 * handles.
 *
 * Layout of a page (64 chunks of 64 B): chunk 0 is the header, the first
 * buddy starts at chunk 1, the last buddy ends at the page end.  A freed
 * buddy's chunks join the free middle, so the largest possible hole opens.
 * Pages with one buddy sit on unbuddied[free chunks]; an allocation takes
 * the smallest hole that fits (best fit), so a page never holds more than
 * two objects and the pool never holds more pages than objects.
 *
 * Why the page metadata lives outside the page: the kernel overlaid struct
 * page and kept list links next to user data.  Here the descriptor (lists,
 * buddy sizes, handle slots) is a side structure found from the arena's
 * page cookie, so a user writing past its object cannot corrupt the pool's
 * lists or forge a handle.  Chunk 0 is still reserved, as in the kernel, so
 * densities match the kernel's zbud; it holds a keyed canary that
 * zbud_pool_check verifies, which catches the likeliest overflow: the last
 * buddy of the page below writing past its page end.
 *
 * Handles: an index into a slot table {generation, state, descriptor,
 * buddy}, the (index, generation) pair sealed by the keyed permutation of
 * zs/handle_cipher.h, shared with zsmalloc.  Zero, forged, stale, double-freed
 * and other pools' handles decode to a free slot or a generation mismatch
 * and are refused with -EINVAL before anything changes.
 *
 * Maps follow zsmalloc's rules so zpool behaves the same over both
 * backends: a thread holds at most ZS_MAX_THREAD_MAPS maps, may not map one
 * handle twice, and unmaps only what it mapped.  A mapped buddy pins its
 * page: it is not freed (-EBUSY), reclaimed or migrated.
 *
 * Reclaim (the kernel's protocol, made precise): the least recently
 * allocated-into page that no map pins and the arena is not moving leaves
 * the buddy lists and the LRU and is marked under reclaim, so no allocation
 * lands in it and no free releases it.  Evict runs for the first buddy,
 * then the last, without the pool lock, and may map, unmap, free and
 * allocate on the same pool (new objects go to other pages) or reclaim
 * another page; a buddy freed meanwhile, by the callback or another
 * thread, is skipped.  It must not destroy the pool.  A failing evict stops
 * the page's turn.  Afterwards the page is freed when both buddies are
 * gone, else it goes back to its buddy list and the LRU head.
 *
 * Under ASan the header chunk, the hole and each object's chunk padding are
 * poisoned, so an overflow through a mapped pointer stops where it happens.
 *
 * Locking: one mutex per pool; the arena is called with it held, which is
 * safe because the arena never holds its own lock while calling us.
 *
 * The pool, page and slot layouts are in zs/zbud_internal.h, so white-box
 * fuzzing and tests can corrupt them and drive the movable-page callbacks.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "zs/arena.h"
#include "zs/host.h"
#include "zs/secret.h"
#include "zs/sanitizer.h"
#include "zs/zbud.h"
#include "zs/zbud_internal.h"
#include "zs/report_internal.h"
/* ZS_MAX_THREAD_MAPS: zbud maps follow zsmalloc's rules */
#include "zs/zsmalloc.h"

#define THREAD_MAPS ZS_MAX_THREAD_MAPS
#define HDR_MAGIC 0x7a6275645f686472ULL /* "zbud_hdr" */

/* One map held by this thread; serial identifies the pool uniquely, so a
 * new pool at a freed pool's address never matches a stale entry. */
struct tmap {
	uint64_t serial;
	uint64_t handle;
};

static _Thread_local struct tmap thread_maps[THREAD_MAPS];
static uint64_t pool_serial_counter;

static void list_init(struct list *l)
{
	l->prev = l->next = l;
}

static bool list_empty(const struct list *l)
{
	return l->next == l;
}

static void list_add(struct list *n, struct list *head)
{
	n->next = head->next;
	n->prev = head;
	head->next->prev = n;
	head->next = n;
}

static void list_del(struct list *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	list_init(n);
}

static struct zbud_page *buddy_entry(struct list *l)
{
	return (struct zbud_page *)((char *)l -
				    offsetof(struct zbud_page, buddy));
}

static struct zbud_page *lru_entry(struct list *l)
{
	return (struct zbud_page *)((char *)l -
				    offsetof(struct zbud_page, lru));
}

/* --- handles ---------------------------------------------------------- */

static uint64_t encode_handle(const struct zbud_pool *pool, uint32_t index,
			      uint32_t gen)
{
	return zs_handle_seal(&pool->key, index, gen);
}

static uint64_t slot_handle(const struct zbud_pool *pool, uint32_t index)
{
	return encode_handle(pool, index, pool->slots[index].gen);
}

/* The live slot a handle names, or NULL (zero, forged, stale, freed,
 * another pool's).  Caller holds the lock. */
static struct slot *lookup(struct zbud_pool *pool, uint64_t handle,
			   uint32_t *index)
{
	uint32_t i, gen;
	struct slot *s;

	if (handle == 0)
		return NULL;
	zs_handle_open(&pool->key, handle, &i, &gen);
	if (i >= pool->slot_hw)
		return NULL;
	s = &pool->slots[i];
	if (s->state != SLOT_USED || s->gen != gen)
		return NULL;
	*index = i;
	return s;
}

/* Makes sure a free slot exists; the table may grow, nothing else changes. */
static int reserve_slot(struct zbud_pool *pool)
{
	uint32_t cap;
	struct slot *ns;

	if (pool->slot_free != SLOT_NONE || pool->slot_hw < pool->slot_cap)
		return 0;
	if (pool->slot_cap >= SLOT_NONE / 2)
		return -ENOMEM;
	cap = pool->slot_cap ? pool->slot_cap * 2 : 256;
	ns = zs_host_realloc(pool->slots, (size_t)cap * sizeof(*ns));
	if (!ns)
		return -ENOMEM;
	pool->slots = ns;
	pool->slot_cap = cap;
	return 0;
}

/* Takes the reserved slot; the handle it yields is never 0. */
static uint32_t take_slot(struct zbud_pool *pool)
{
	uint32_t i;
	struct slot *s;

	if (pool->slot_free != SLOT_NONE) {
		i = pool->slot_free;
		s = &pool->slots[i];
		pool->slot_free = s->desc;
	} else {
		i = pool->slot_hw++;
		s = &pool->slots[i];
		s->gen = (uint32_t)pool->key.round[0] | 1;
	}
	s->state = SLOT_USED;
	s->maps = 0;
	/* The Feistel bijection maps exactly one (index, gen) pair to 0. */
	if (encode_handle(pool, i, s->gen) == 0)
		s->gen++;
	return i;
}

static void put_slot(struct zbud_pool *pool, uint32_t i)
{
	struct slot *s = &pool->slots[i];

	/* A new generation makes every copy of the old handle stale. */
	s->gen++;
	s->state = SLOT_FREE;
	s->size = 0;
	s->desc = pool->slot_free;
	pool->slot_free = i;
}

/* --- descriptors and pages -------------------------------------------- */

static unsigned size_to_chunks(size_t size)
{
	return (unsigned)((size + ZBUD_CHUNK_SIZE - 1) >> ZBUD_CHUNK_SHIFT);
}

static unsigned free_chunks(const struct zbud_page *d)
{
	return BUDDY_CHUNKS - d->chunks[FIRST] - d->chunks[LAST];
}

static bool page_empty(const struct zbud_page *d)
{
	return d->chunks[FIRST] == 0 && d->chunks[LAST] == 0;
}

static char *buddy_addr(const struct zbud_page *d, int bud)
{
	char *p = d->page;

	if (bud == FIRST)
		return p + HDR_CHUNKS * ZBUD_CHUNK_SIZE;
	return p + ZS_PAGE_SIZE - (size_t)d->chunks[LAST] * ZBUD_CHUNK_SIZE;
}

static void header_words(const struct zbud_pool *pool, uint32_t idx,
			 uint32_t w[HDR_WORDS])
{
	w[0] = (uint32_t)pool->hdr_magic;
	w[1] = (uint32_t)(pool->hdr_magic >> 32);
	w[2] = idx;
	w[3] = ~idx ^ w[1];
}

/* Raw stores: under ASan the header chunk is poisoned, so a user pointer
 * running into it is caught where it happens. */
static void write_header(const struct zbud_pool *pool, struct zbud_page *d)
{
	uint32_t w[HDR_WORDS];
	int i;

	header_words(pool, d->idx, w);
	for (i = 0; i < HDR_WORDS; i++)
		zs_raw_store32((uint32_t *)d->page + i, w[i]);
}

static bool header_intact(const struct zbud_pool *pool,
			  const struct zbud_page *d)
{
	uint32_t w[HDR_WORDS];
	int i;

	header_words(pool, d->idx, w);
	for (i = 0; i < HDR_WORDS; i++)
		if (zs_raw_load32((const uint32_t *)d->page + i) != w[i])
			return false;
	return true;
}

/* Under ASan only the live objects' bytes are addressable: the header,
 * the hole between buddies and each object's chunk padding are not. */
static void poison_layout(const struct zbud_pool *pool,
			  const struct zbud_page *d)
{
	int bud;

	zs_poison(d->page, ZS_PAGE_SIZE);
	for (bud = FIRST; bud <= LAST; bud++)
		if (d->chunks[bud])
			zs_unpoison(buddy_addr(d, bud),
				    pool->slots[d->slot[bud]].size);
}

/* Files a page with room on unbuddied[free chunks], a full one on buddied. */
static void file_page(struct zbud_pool *pool, struct zbud_page *d)
{
	if (d->chunks[FIRST] == 0 || d->chunks[LAST] == 0)
		list_add(&d->buddy, &pool->unbuddied[free_chunks(d)]);
	else
		list_add(&d->buddy, &pool->buddied);
}

/* A descriptor and a page for it, not yet on any list. */
static struct zbud_page *new_page(struct zbud_pool *pool)
{
	struct zbud_page *d;
	uint32_t idx;

	if (!pool->ndesc_free && pool->desc_hw == pool->desc_cap) {
		uint32_t cap = pool->desc_cap ? pool->desc_cap * 2 : 64;
		struct zbud_page **nd;
		uint32_t *nf;

		if (pool->desc_cap >= SLOT_NONE / 2)
			return NULL;
		nd = zs_host_realloc(pool->descs, (size_t)cap * sizeof(*nd));
		if (!nd)
			return NULL;
		pool->descs = nd;
		nf = zs_host_realloc(pool->desc_free,
				     (size_t)cap * sizeof(*nf));
		if (!nf)
			return NULL;
		pool->desc_free = nf;
		pool->desc_cap = cap;
	}
	d = zs_host_calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->page = zs_arena_alloc_page(pool->arena, pool->owner_id);
	if (!d->page) {
		free(d);
		return NULL;
	}
	idx = pool->ndesc_free ? pool->desc_free[--pool->ndesc_free] :
				 pool->desc_hw++;
	d->idx = idx;
	d->slot[FIRST] = d->slot[LAST] = SLOT_NONE;
	list_init(&d->buddy);
	list_init(&d->lru);
	pool->descs[idx] = d;
	zs_poison(d->page, ZS_PAGE_SIZE);
	write_header(pool, d);
	zs_arena_set_page_owner(pool->arena, d->page, idx, 0, 1);
	pool->pages_nr++;
	return d;
}

/* Gives an empty page back to the arena; it must be off every list. */
static void release_page(struct zbud_pool *pool, struct zbud_page *d)
{
	pool->descs[d->idx] = NULL;
	pool->desc_free[pool->ndesc_free++] = d->idx;
	zs_unpoison(d->page, ZS_PAGE_SIZE);
	zs_arena_free_page(pool->arena, d->page);
	pool->pages_nr--;
	free(d);
}

/* zbud_pool_check's findings: kind (zs/findings.h) with its format's
 * arguments, as "zs: zbud_pool_check: <what>"; the caller fails. */
#define CHECK_FAIL(kind, ...) \
	zs_report_finding(kind, "zbud_pool_check: " kind##_FMT, ##__VA_ARGS__)

/* --- pools ------------------------------------------------------------ */

static void seed_keys(struct zbud_pool *pool)
{
	/* The serial alone keeps pools apart, and lets fuzzing builds (whose
	 * seed is the salt alone) give the same handles on every run. */
	uint64_t s = zs_secret_seed(pool->serial);

	zs_handle_key_draw(&pool->key, &s);
	pool->hdr_magic = HDR_MAGIC ^ zs_secret_next(&s);
}

static struct zbud_page *desc_for(struct zbud_pool *pool, void *page,
				  uint32_t cookie)
{
	struct zbud_page *d;

	if (cookie >= pool->desc_hw)
		return NULL;
	d = pool->descs[cookie];
	if (!d || d->page != page)
		return NULL;
	return d;
}

static int zbud_isolate(void *owner, void *page, uint32_t cookie,
			uint32_t index)
{
	struct zbud_pool *pool = owner;
	struct zbud_page *d;
	int ret = -EAGAIN;

	(void)index;
	pthread_mutex_lock(&pool->lock);
	d = desc_for(pool, page, cookie);
	/* A mapped buddy is being read or written in place; a page under
	 * reclaim is in the evict protocol's hands. */
	if (d && !d->mapped && !(d->flags & (PG_RECLAIM | PG_ISOLATED))) {
		d->flags |= PG_ISOLATED;
		ret = 0;
	}
	pthread_mutex_unlock(&pool->lock);
	return ret;
}

static int zbud_migrate(void *owner, void *old_page, void *new_page,
			uint32_t cookie, uint32_t index)
{
	struct zbud_pool *pool = owner;
	struct zbud_page *d;
	int ret = -EAGAIN;

	(void)index;
	pthread_mutex_lock(&pool->lock);
	d = desc_for(pool, old_page, cookie);
	/* Maps may have been taken since isolate; every access to the page's
	 * bytes goes through a map taken under this lock, so checking here
	 * and copying under the lock cannot lose a write.  An emptied page
	 * is refused so that putback, which the arena calls after a failed
	 * migrate, frees it. */
	if (d && (d->flags & PG_ISOLATED) && !d->mapped && !page_empty(d)) {
		zs_raw_copy_page(new_page, old_page, ZS_PAGE_SIZE);
		d->page = new_page;
		d->flags &= (uint16_t)~PG_ISOLATED;
		poison_layout(pool, d);
		zs_unpoison(old_page, ZS_PAGE_SIZE);
		ret = 0;
	}
	pthread_mutex_unlock(&pool->lock);
	return ret;
}

static void zbud_putback(void *owner, void *page, uint32_t cookie,
			 uint32_t index)
{
	struct zbud_pool *pool = owner;
	struct zbud_page *d;

	(void)index;
	pthread_mutex_lock(&pool->lock);
	d = desc_for(pool, page, cookie);
	if (d && (d->flags & PG_ISOLATED)) {
		d->flags &= (uint16_t)~PG_ISOLATED;
		/* Both buddies were freed while the arena held the page. */
		if (page_empty(d))
			release_page(pool, d);
	}
	pthread_mutex_unlock(&pool->lock);
}

/* Not static: zs/zbud_internal.h declares it for white-box code. */
const struct zs_movable_ops zbud_movable_ops = {
	.isolate = zbud_isolate,
	.migrate = zbud_migrate,
	.putback = zbud_putback,
};

struct zbud_pool *zbud_create_pool_arena(const struct zbud_ops *ops,
					 struct zs_arena *arena)
{
	struct zbud_pool *pool;
	unsigned i;
	int id;

	if (!arena)
		arena = zs_arena_default();
	if (!arena) {
		errno = ENOMEM;
		return NULL;
	}
	pool = zs_host_calloc(1, sizeof(*pool));
	if (!pool) {
		errno = ENOMEM;
		return NULL;
	}
	if (pthread_mutex_init(&pool->lock, NULL)) {
		free(pool);
		errno = ENOMEM;
		return NULL;
	}
	if (ops) {
		pool->ops = *ops;
		pool->has_evict = ops->evict != NULL;
	}
	pool->arena = arena;
	pool->serial =
		__atomic_add_fetch(&pool_serial_counter, 1, __ATOMIC_RELAXED);
	seed_keys(pool);
	for (i = 0; i < NCHUNKS; i++)
		list_init(&pool->unbuddied[i]);
	list_init(&pool->buddied);
	list_init(&pool->lru);
	pool->slot_free = SLOT_NONE;
	id = zs_arena_register_owner(arena, pool, &zbud_movable_ops);
	if (id < 0) {
		pthread_mutex_destroy(&pool->lock);
		free(pool);
		errno = -id;
		return NULL;
	}
	pool->owner_id = id;
	return pool;
}

struct zbud_pool *zbud_create_pool(const struct zbud_ops *ops)
{
	return zbud_create_pool_arena(ops, NULL);
}

void zbud_destroy_pool(struct zbud_pool *pool)
{
	uint32_t i;

	if (!pool)
		return;
	/* First: the arena waits out any compaction inside our callbacks
	 * and will not call them again. */
	zs_arena_unregister_owner(pool->arena, pool->owner_id);
	for (i = 0; i < pool->desc_hw; i++) {
		struct zbud_page *d = pool->descs[i];

		if (d) {
			zs_unpoison(d->page, ZS_PAGE_SIZE);
			zs_arena_free_page(pool->arena, d->page);
			free(d);
		}
	}
	for (i = 0; i < THREAD_MAPS; i++)
		if (thread_maps[i].serial == pool->serial)
			thread_maps[i] = (struct tmap){ 0 };
	free(pool->descs);
	free(pool->desc_free);
	free(pool->slots);
	pthread_mutex_destroy(&pool->lock);
	free(pool);
}

/* --- objects ---------------------------------------------------------- */

int zbud_alloc(struct zbud_pool *pool, size_t size, uint64_t *handle)
{
	struct zbud_page *d = NULL;
	unsigned chunks, i;
	uint32_t si;
	int bud, ret;

	if (!pool || !handle || size == 0)
		return -EINVAL;
	if (size > ZBUD_MAX_ALLOC_SIZE)
		return -ENOSPC;
	chunks = size_to_chunks(size);

	pthread_mutex_lock(&pool->lock);
	ret = reserve_slot(pool);
	if (ret)
		goto out;
	/* Best fit: the page whose hole is the smallest that still fits. */
	for (i = chunks; i < NCHUNKS; i++) {
		if (!list_empty(&pool->unbuddied[i])) {
			d = buddy_entry(pool->unbuddied[i].next);
			list_del(&d->buddy);
			break;
		}
	}
	if (!d) {
		d = new_page(pool);
		if (!d) {
			ret = -ENOMEM;
			goto out;
		}
	}
	bud = d->chunks[FIRST] == 0 ? FIRST : LAST;
	si = take_slot(pool);
	pool->slots[si].desc = d->idx;
	pool->slots[si].size = (uint32_t)size;
	pool->slots[si].bud = (uint8_t)bud;
	d->chunks[bud] = (uint16_t)chunks;
	d->slot[bud] = si;
	zs_unpoison(buddy_addr(d, bud), size);
	file_page(pool, d);
	/* Allocation is what makes a page recently used. */
	list_del(&d->lru);
	list_add(&d->lru, &pool->lru);
	pool->objs_nr++;
	*handle = slot_handle(pool, si);
out:
	pthread_mutex_unlock(&pool->lock);
	return ret;
}

int zbud_free(struct zbud_pool *pool, uint64_t handle)
{
	struct zbud_page *d;
	struct slot *s;
	uint32_t si;
	int ret = 0;

	if (!pool)
		return -EINVAL;
	pthread_mutex_lock(&pool->lock);
	s = lookup(pool, handle, &si);
	if (!s) {
		ret = -EINVAL;
		goto out;
	}
	if (s->maps) {
		ret = -EBUSY;
		goto out;
	}
	d = pool->descs[s->desc];
	zs_poison(buddy_addr(d, s->bud),
		  (size_t)d->chunks[s->bud] * ZBUD_CHUNK_SIZE);
	d->chunks[s->bud] = 0;
	d->slot[s->bud] = SLOT_NONE;
	put_slot(pool, si);
	pool->objs_nr--;
	/* Under reclaim the page is off the lists and reclaim decides its
	 * fate; isolated, it stays until migrate or putback. */
	if (d->flags & PG_RECLAIM)
		goto out;
	list_del(&d->buddy);
	if (page_empty(d)) {
		list_del(&d->lru);
		if (!(d->flags & PG_ISOLATED))
			release_page(pool, d);
	} else {
		file_page(pool, d);
	}
out:
	pthread_mutex_unlock(&pool->lock);
	return ret;
}

static struct tmap *find_tmap(uint64_t serial, uint64_t handle)
{
	int i;

	for (i = 0; i < THREAD_MAPS; i++)
		if (thread_maps[i].serial == serial &&
		    thread_maps[i].handle == handle)
			return &thread_maps[i];
	return NULL;
}

void *zbud_map(struct zbud_pool *pool, uint64_t handle)
{
	struct zbud_page *d;
	struct tmap *tm;
	struct slot *s;
	uint32_t si;
	void *p = NULL;
	int err = 0;

	if (!pool) {
		errno = EINVAL;
		return NULL;
	}
	pthread_mutex_lock(&pool->lock);
	s = lookup(pool, handle, &si);
	if (!s) {
		err = EINVAL;
		goto out;
	}
	/* Same rules as zs_map_object: no double map by one thread, a
	 * bounded number per thread. */
	if (find_tmap(pool->serial, handle) || s->maps == UINT16_MAX) {
		err = EBUSY;
		goto out;
	}
	tm = find_tmap(0, 0);
	if (!tm) {
		err = EBUSY;
		goto out;
	}
	tm->serial = pool->serial;
	tm->handle = handle;
	d = pool->descs[s->desc];
	s->maps++;
	d->mapped++;
	p = buddy_addr(d, s->bud);
out:
	pthread_mutex_unlock(&pool->lock);
	if (!p)
		errno = err;
	return p;
}

int zbud_unmap(struct zbud_pool *pool, uint64_t handle)
{
	struct tmap *tm;
	struct slot *s;
	uint32_t si;

	if (!pool)
		return -EINVAL;
	tm = find_tmap(pool->serial, handle);
	if (!tm || handle == 0)
		return -EINVAL;
	pthread_mutex_lock(&pool->lock);
	s = lookup(pool, handle, &si);
	/* A mapped handle cannot be freed, so only corruption gets here. */
	if (!s || !s->maps) {
		pthread_mutex_unlock(&pool->lock);
		ZS_REPORT(ZS_FINDING_ABORT_ZBUD_UNMAP_NO_MAPPED_SLOT,
			  (unsigned long long)handle);
		zs_corruption_abort();
	}
	s->maps--;
	pool->descs[s->desc]->mapped--;
	*tm = (struct tmap){ 0 };
	pthread_mutex_unlock(&pool->lock);
	return 0;
}

uint64_t zbud_get_pool_size(struct zbud_pool *pool)
{
	uint64_t n;

	if (!pool)
		return 0;
	pthread_mutex_lock(&pool->lock);
	n = pool->pages_nr;
	pthread_mutex_unlock(&pool->lock);
	return n;
}

/* --- reclaim ---------------------------------------------------------- */

/* The least recently used page that nobody pins, or NULL. */
static struct zbud_page *reclaim_candidate(struct zbud_pool *pool)
{
	struct list *l;

	for (l = pool->lru.prev; l != &pool->lru; l = l->prev) {
		struct zbud_page *d = lru_entry(l);

		if (!d->mapped && !(d->flags & PG_ISOLATED))
			return d;
	}
	return NULL;
}

int zbud_reclaim_page(struct zbud_pool *pool, unsigned retries)
{
	struct zbud_page *d;
	unsigned i;
	int bud;

	if (!pool || !pool->has_evict || retries == 0)
		return -EINVAL;
	pthread_mutex_lock(&pool->lock);
	/* As the kernel's: nothing to reclaim is a bad call, not a retry. */
	if (pool->pages_nr == 0) {
		pthread_mutex_unlock(&pool->lock);
		return -EINVAL;
	}
	for (i = 0; i < retries; i++) {
		d = reclaim_candidate(pool);
		if (!d)
			break;
		list_del(&d->lru);
		list_del(&d->buddy);
		d->flags |= PG_RECLAIM;

		for (bud = FIRST; bud <= LAST; bud++) {
			uint64_t h;
			int ret;

			/* Re-read under the lock: the callback for the first
			 * buddy, or another thread, may have freed this one. */
			if (d->chunks[bud] == 0)
				continue;
			h = slot_handle(pool, d->slot[bud]);
			pthread_mutex_unlock(&pool->lock);
			ret = pool->ops.evict(pool, h);
			pthread_mutex_lock(&pool->lock);
			if (ret)
				break;
		}

		d->flags &= (uint16_t)~PG_RECLAIM;
		if (page_empty(d)) {
			release_page(pool, d);
			pthread_mutex_unlock(&pool->lock);
			return 0;
		}
		/* Evict failed or left an object: the page is recently used
		 * again, so the next retry looks at the next oldest. */
		file_page(pool, d);
		list_add(&d->lru, &pool->lru);
	}
	pthread_mutex_unlock(&pool->lock);
	return -EAGAIN;
}

/* --- checking --------------------------------------------------------- */

static int check_list(struct zbud_pool *pool, struct list *head, bool is_lru,
		      const char *name, unsigned which, uint64_t *count)
{
	struct list *l;

	for (l = head->next; l != head; l = l->next) {
		struct zbud_page *d;

		if (l->next->prev != l || l->prev->next != l) {
			CHECK_FAIL(ZS_FINDING_ZBUD_LIST_BROKEN_LINKS, name,
				   which, (void *)l);
			return -EUCLEAN;
		}
		d = is_lru ? lru_entry(l) : buddy_entry(l);
		if (d->idx >= pool->desc_hw || pool->descs[d->idx] != d) {
			CHECK_FAIL(ZS_FINDING_ZBUD_LIST_ENTRY_NOT_LIVE, name,
				   which, (void *)d);
			return -EUCLEAN;
		}
		if (d->mark == pool->check_stamp) {
			CHECK_FAIL(ZS_FINDING_ZBUD_LIST_PAGE_TWICE, name, which,
				   d->idx);
			return -EUCLEAN;
		}
		d->mark = pool->check_stamp;
		if (d->flags & PG_RECLAIM) {
			CHECK_FAIL(ZS_FINDING_ZBUD_LIST_PAGE_UNDER_RECLAIM,
				   name, which, d->idx);
			return -EUCLEAN;
		}
		/* No length guard is needed: every entry so far is a distinct
		 * live descriptor, so a loop is caught as "listed twice" within
		 * pages_nr steps. */
		++*count;
		if (is_lru)
			continue;
		if (which == NCHUNKS) {
			if (!d->chunks[FIRST] || !d->chunks[LAST]) {
				CHECK_FAIL(ZS_FINDING_ZBUD_BUDDIED_FREE_BUDDY,
					   d->idx);
				return -EUCLEAN;
			}
		} else if (page_empty(d) ||
			   (d->chunks[FIRST] && d->chunks[LAST]) ||
			   free_chunks(d) != which) {
			CHECK_FAIL(ZS_FINDING_ZBUD_UNBUDDIED_CHUNKS, which,
				   d->idx, d->chunks[FIRST], d->chunks[LAST]);
			return -EUCLEAN;
		}
	}
	return 0;
}

static int check_page(struct zbud_pool *pool, struct zbud_page *d,
		      uint64_t *objs)
{
	struct zs_arena_page_info info;
	uint32_t maps = 0;
	int bud;

	if (d->page == NULL || ((uintptr_t)d->page & (ZS_PAGE_SIZE - 1))) {
		CHECK_FAIL(ZS_FINDING_ZBUD_PAGE_ADDRESS, d->idx, d->page);
		return -EUCLEAN;
	}
	if (zs_arena_page_info(pool->arena, d->page, &info) != 0) {
		CHECK_FAIL(ZS_FINDING_ZBUD_PAGE_NOT_IN_ARENA, d->idx, d->page);
		return -EUCLEAN;
	}
	/* Migration finds the page's descriptor through exactly these. */
	if (info.owner_id != pool->owner_id || info.cookie != d->idx ||
	    info.index != 0 || !info.movable) {
		CHECK_FAIL(ZS_FINDING_ZBUD_PAGE_ARENA_DESCRIPTION, d->idx,
			   info.owner_id, info.cookie, info.index,
			   info.movable ? "" : ", not movable");
		return -EUCLEAN;
	}
	if (!header_intact(pool, d)) {
		CHECK_FAIL(ZS_FINDING_ZBUD_PAGE_HEADER_OVERWRITTEN, d->idx,
			   d->page);
		return -EUCLEAN;
	}
	if (d->chunks[FIRST] + d->chunks[LAST] > BUDDY_CHUNKS) {
		CHECK_FAIL(ZS_FINDING_ZBUD_BUDDIES_OVERLAP, d->idx,
			   d->chunks[FIRST], d->chunks[LAST]);
		return -EUCLEAN;
	}
	for (bud = FIRST; bud <= LAST; bud++) {
		struct slot *s;

		if (d->chunks[bud] == 0) {
			if (d->slot[bud] != SLOT_NONE) {
				CHECK_FAIL(ZS_FINDING_ZBUD_FREE_BUDDY_SLOT,
					   d->idx, bud ? "last" : "first",
					   d->slot[bud]);
				return -EUCLEAN;
			}
			continue;
		}
		if (d->slot[bud] >= pool->slot_hw) {
			CHECK_FAIL(ZS_FINDING_ZBUD_BUDDY_SLOT_BEYOND_TABLE,
				   d->idx, bud ? "last" : "first",
				   d->slot[bud]);
			return -EUCLEAN;
		}
		s = &pool->slots[d->slot[bud]];
		if (s->state != SLOT_USED || s->desc != d->idx ||
		    s->bud != bud) {
			CHECK_FAIL(ZS_FINDING_ZBUD_BUDDY_SLOT_ELSEWHERE, d->idx,
				   bud ? "last" : "first", d->slot[bud],
				   s->state, s->desc, s->bud);
			return -EUCLEAN;
		}
		if (size_to_chunks(s->size) != d->chunks[bud] || !s->size ||
		    s->size > ZBUD_MAX_ALLOC_SIZE) {
			CHECK_FAIL(ZS_FINDING_ZBUD_BUDDY_CHUNKS, d->idx,
				   bud ? "last" : "first", d->chunks[bud],
				   s->size);
			return -EUCLEAN;
		}
		maps += s->maps;
		++*objs;
	}
	if (maps != d->mapped) {
		CHECK_FAIL(ZS_FINDING_ZBUD_PAGE_MAP_COUNT, d->idx, d->mapped,
			   maps);
		return -EUCLEAN;
	}
	/* Only the arena or reclaim may hold an emptied page, and they
	 * release it when done; anywhere else it is a leaked page.  Every
	 * other page holds a counted object, so pages never outnumber
	 * objects beyond these. */
	if (page_empty(d) && !(d->flags & (PG_ISOLATED | PG_RECLAIM))) {
		CHECK_FAIL(ZS_FINDING_ZBUD_PAGE_EMPTY_NOT_RELEASED, d->idx);
		return -EUCLEAN;
	}
	return 0;
}

/* What a free descriptor index holds in descs[] while the check walks the
 * free stack; never a real descriptor. */
static struct zbud_page desc_claimed;

int zbud_pool_check(struct zbud_pool *pool)
{
	uint64_t pages = 0, objs = 0, listed = 0, lru = 0, off = 0;
	uint64_t used = 0, nfree = 0;
	unsigned long owned = 0;
	unsigned moving = 0;
	uint32_t i;
	int ret = 0;

	if (!pool)
		return -EINVAL;
	pthread_mutex_lock(&pool->lock);
	for (i = 0; i < pool->desc_hw; i++) {
		struct zbud_page *d = pool->descs[i];

		if (!d)
			continue;
		if (d->idx != i) {
			CHECK_FAIL(ZS_FINDING_ZBUD_DESCRIPTOR_ID, i, d->idx);
			ret = -EUCLEAN;
			goto out;
		}
		ret = check_page(pool, d, &objs);
		if (ret)
			goto out;
		pages++;
		if (d->flags & PG_RECLAIM || page_empty(d))
			off++;
	}
	if (pages != pool->pages_nr || objs != pool->objs_nr) {
		CHECK_FAIL(ZS_FINDING_ZBUD_PAGE_OBJECT_COUNT,
			   (unsigned long long)pages, (unsigned long long)objs,
			   (unsigned long long)pool->pages_nr,
			   (unsigned long long)pool->objs_nr);
		ret = -EUCLEAN;
		goto out;
	}

	/* Every page not under reclaim and not emptied while pinned is on
	 * exactly one buddy list and on the LRU. */
	pool->check_stamp++;
	for (i = 0; i < NCHUNKS; i++) {
		if (i == 0 && !list_empty(&pool->unbuddied[0])) {
			CHECK_FAIL(ZS_FINDING_ZBUD_UNBUDDIED_ZERO_NOT_EMPTY);
			ret = -EUCLEAN;
			goto out;
		}
		ret = check_list(pool, &pool->unbuddied[i], false, "unbuddied",
				 i, &listed);
		if (ret)
			goto out;
	}
	ret = check_list(pool, &pool->buddied, false, "buddied", NCHUNKS,
			 &listed);
	if (ret)
		goto out;
	if (listed != pages - off) {
		CHECK_FAIL(ZS_FINDING_ZBUD_BUDDY_LIST_COUNT,
			   (unsigned long long)listed,
			   (unsigned long long)(pages - off));
		ret = -EUCLEAN;
		goto out;
	}
	pool->check_stamp++;
	ret = check_list(pool, &pool->lru, true, "lru", 0, &lru);
	if (ret)
		goto out;
	if (lru != pages - off) {
		CHECK_FAIL(ZS_FINDING_ZBUD_LRU_COUNT, (unsigned long long)lru,
			   (unsigned long long)(pages - off));
		ret = -EUCLEAN;
		goto out;
	}

	/* The handle table: used slots are exactly the buddies counted
	 * above (each buddy checked its slot points back), free slots form
	 * one chain covering the rest. */
	for (i = 0; i < pool->slot_hw; i++) {
		if (pool->slots[i].state == SLOT_USED) {
			used++;
		} else if (pool->slots[i].state != SLOT_FREE ||
			   pool->slots[i].maps) {
			CHECK_FAIL(ZS_FINDING_ZBUD_FREE_SLOT_STATE, i,
				   pool->slots[i].state, pool->slots[i].maps);
			ret = -EUCLEAN;
			goto out;
		}
	}
	if (used != objs) {
		CHECK_FAIL(ZS_FINDING_ZBUD_USED_SLOT_COUNT,
			   (unsigned long long)used, (unsigned long long)objs);
		ret = -EUCLEAN;
		goto out;
	}
	for (i = pool->slot_free; i != SLOT_NONE; i = pool->slots[i].desc) {
		if (i >= pool->slot_hw || pool->slots[i].state != SLOT_FREE ||
		    ++nfree > pool->slot_hw - used) {
			CHECK_FAIL(ZS_FINDING_ZBUD_FREE_SLOT_CHAIN_BROKEN, i);
			ret = -EUCLEAN;
			goto out;
		}
	}
	if (nfree != pool->slot_hw - used) {
		CHECK_FAIL(ZS_FINDING_ZBUD_FREE_SLOT_CHAIN_COUNT,
			   (unsigned long long)nfree,
			   (unsigned long long)(pool->slot_hw - used));
		ret = -EUCLEAN;
		goto out;
	}
	if (zs_arena_owner_pages(pool->arena, pool->owner_id, &owned,
				 &moving) != 0 ||
	    owned != pages + moving) {
		CHECK_FAIL(ZS_FINDING_ZBUD_ARENA_PAGE_COUNT, owned,
			   (unsigned long long)pages, moving);
		ret = -EUCLEAN;
		goto out;
	}
	if (pool->ndesc_free + pages != pool->desc_hw) {
		CHECK_FAIL(ZS_FINDING_ZBUD_DESCRIPTOR_COUNT, pool->ndesc_free,
			   (unsigned long long)pages, pool->desc_hw);
		ret = -EUCLEAN;
		goto out;
	}
	/* new_page trusts the stack: an index in it that is in use, or in
	 * it twice, would hand a second page a live descriptor's place.
	 * Each entry claims its empty descs[] place while walking; with the
	 * count above, all claimed means exactly the unused indexes. */
	for (i = 0; i < pool->ndesc_free; i++) {
		uint32_t e = pool->desc_free[i];

		if (e >= pool->desc_hw || pool->descs[e]) {
			CHECK_FAIL(ZS_FINDING_ZBUD_FREE_DESCRIPTOR_STACK, i, e,
				   e >= pool->desc_hw ? "beyond the table" :
				   pool->descs[e] == &desc_claimed ?
							"listed twice" :
							"in use");
			ret = -EUCLEAN;
			break;
		}
		pool->descs[e] = &desc_claimed;
	}
	while (i-- > 0)
		pool->descs[pool->desc_free[i]] = NULL;
out:
	pthread_mutex_unlock(&pool->lock);
	return ret;
}
