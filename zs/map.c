// SPDX-License-Identifier: MIT
/*
 * map.c - reaching an object's bytes: map / unmap and read / write.
 *
 * Every object is handed out in place, a page-crossing one included: a
 * zspage is one contiguous run of pages, so its objects are contiguous
 * bytes.  The kernel copies a crossing object through a per-CPU buffer
 * because its zspage's pages are scattered in physical memory; nothing
 * here is ever copied, so every map of one object, by any thread and in
 * any mode, sees the same bytes, and a write is seen at once.
 *
 * Every map or open read pins the object (its handle slot's pin count), so
 * neither the compactor nor run migration moves it until it is released.
 * Each thread remembers what it pinned, which is how unmap and read_end
 * tell a real release from a misuse: a table of maps and one of reads,
 * each with a mask of the records in use, so that taking a record is one
 * bit scan and a release looks only at the records held (a scan of every
 * record cost a read a third of its instructions).
 */
#include <errno.h>
#include <string.h>

#include "zs/zs_internal.h"

struct thread_pin {
	uint64_t pool_id;
	uint64_t handle;
	struct zs_hslot *slot;
	char *mem; /* the object's bytes, in the pool */
	size_t size;
};

#define PIN_TABLE_MAX                                                    \
	(ZS_MAX_THREAD_MAPS > ZS_MAX_THREAD_READS ? ZS_MAX_THREAD_MAPS : \
						    ZS_MAX_THREAD_READS)
_Static_assert(PIN_TABLE_MAX <= 32, "a pin table's mask is 32 bits");

struct pin_table {
	struct thread_pin pin[PIN_TABLE_MAX];
	unsigned limit; /* records the table may hold */
	uint32_t used; /* bit i: pin[i] holds a pin */
};

static _Thread_local struct pin_table thread_maps = {
	.limit = ZS_MAX_THREAD_MAPS
};
static _Thread_local struct pin_table thread_reads = {
	.limit = ZS_MAX_THREAD_READS
};

/* The first record of t held for handle of pool, NULL if none. */
static struct thread_pin *find_pin(struct pin_table *t,
				   const struct zs_pool *pool, uint64_t handle)
{
	uint32_t m;

	for (m = t->used; m; m &= m - 1) {
		struct thread_pin *p = &t->pin[__builtin_ctz(m)];

		if (p->pool_id == pool->id && p->handle == handle)
			return p;
	}
	return NULL;
}

/* A record of t to fill, NULL when t holds its limit. */
static struct thread_pin *free_pin(struct pin_table *t)
{
	if (t->used == (1ull << t->limit) - 1)
		return NULL;
	return &t->pin[__builtin_ctz(~t->used)];
}

static void hold_pin(struct pin_table *t, const struct thread_pin *p)
{
	t->used |= 1u << (p - t->pin);
}

static void drop_pin(struct pin_table *t, const struct thread_pin *p)
{
	t->used &= ~(1u << (p - t->pin));
}

/* Whether the pool holds `handle` live; asked only to tell a bad handle
 * from a full set of records, so the answer may be stale at once. */
static bool handle_is_live(struct zs_pool *pool, uint64_t handle)
{
	uint32_t idx, gen;

	return zs_handle_lookup(pool, handle, &idx, &gen) != NULL;
}

/* Pins the object and finds where it lies; 0 or -EINVAL / -EBUSY. */
static int pin_and_place(struct zs_pool *pool, uint64_t handle,
			 struct thread_pin *p)
{
	struct zs_hslot *slot;
	uint32_t loc;
	uint64_t w;
	int err;

	err = zs_pin(pool, handle, &slot, &w);
	if (err)
		return err;
	/* pinned: the place in w stays the object's until the unpin */
	loc = zs_slot_loc(w);
	p->slot = slot;
	p->size = zs_slot_size(w);
	p->mem = zs_slot_huge(w) ?
			 zs_huge_bytes(pool, loc) :
			 zs_obj_bytes(zs_zspage_by_id(pool,
						      zs_span_ref_zspage(loc)),
				      loc);
	return 0;
}

void *zs_map_object(struct zs_pool *pool, uint64_t handle, enum zs_mapmode mm)
{
	struct thread_pin *p, tmp;
	int err;

	if (!pool || (mm != ZS_MM_RW && mm != ZS_MM_RO && mm != ZS_MM_WO)) {
		errno = EINVAL;
		return NULL;
	}
	if (find_pin(&thread_maps, pool, handle)) {
		errno = EBUSY;
		return NULL;
	}
	p = free_pin(&thread_maps);
	if (!p) {
		/* a bad handle is still reported as such */
		if (!handle_is_live(pool, handle)) {
			errno = EINVAL;
			return NULL;
		}
		errno = EBUSY;
		return NULL;
	}
	err = pin_and_place(pool, handle, &tmp);
	if (err) {
		errno = -err;
		return NULL;
	}
	tmp.pool_id = pool->id;
	tmp.handle = handle;
	*p = tmp;
	hold_pin(&thread_maps, p);
	/* The mode changes nothing in place: RO is the caller's promise not
	 * to write, WO its promise not to read first. */
	return p->mem;
}

int zs_unmap_object(struct zs_pool *pool, uint64_t handle)
{
	struct thread_pin *p;

	if (!pool)
		return -EINVAL;
	p = find_pin(&thread_maps, pool, handle);
	if (!p)
		return -EINVAL;
	zs_unpin(p->slot);
	drop_pin(&thread_maps, p);
	return 0;
}

const void *zs_obj_read_begin(struct zs_pool *pool, uint64_t handle,
			      void *local_copy)
{
	struct thread_pin *p, tmp;
	int err;

	(void)local_copy; /* never written: every object is contiguous */
	if (!pool) {
		errno = EINVAL;
		return NULL;
	}
	p = free_pin(&thread_reads);
	if (!p) {
		errno = handle_is_live(pool, handle) ? EBUSY : EINVAL;
		return NULL;
	}
	err = pin_and_place(pool, handle, &tmp);
	if (err) {
		errno = -err;
		return NULL;
	}
	tmp.pool_id = pool->id;
	tmp.handle = handle;
	*p = tmp;
	hold_pin(&thread_reads, p);
	return p->mem;
}

int zs_obj_read_end(struct zs_pool *pool, uint64_t handle, const void *mem)
{
	struct thread_pin *any = NULL;
	uint32_t m;

	if (!pool)
		return -EINVAL;
	/* A handle read twice at once has a record per read, all with the
	 * same pointer now that reads are in place: any of them may end.
	 * The contract asks only for an open read of the handle, so another
	 * pointer (NULL included) still ends one of them rather than leaving
	 * the object pinned for good. */
	for (m = thread_reads.used; m; m &= m - 1) {
		struct thread_pin *p = &thread_reads.pin[__builtin_ctz(m)];

		if (p->pool_id != pool->id || p->handle != handle)
			continue;
		if (p->mem == mem) {
			any = p;
			break;
		}
		if (!any)
			any = p;
	}
	if (!any)
		return -EINVAL;
	zs_unpin(any->slot);
	drop_pin(&thread_reads, any);
	return 0;
}

int zs_obj_write(struct zs_pool *pool, uint64_t handle, const void *src,
		 size_t len)
{
	struct thread_pin tmp;
	int err;

	if (!pool || (!src && len))
		return -EINVAL;
	err = pin_and_place(pool, handle, &tmp);
	if (err)
		return err;
	if (len > tmp.size) {
		zs_unpin(tmp.slot);
		return -EINVAL;
	}
	/* A zero-length write may pass src NULL, which memcpy must never
	 * see, even for 0 bytes.  The handle was still checked above. */
	if (len)
		memcpy(tmp.mem, src, len);
	zs_unpin(tmp.slot);
	return 0;
}

void zs_thread_forget_pool(const struct zs_pool *pool)
{
	struct pin_table *tables[] = { &thread_maps, &thread_reads };
	unsigned k;
	uint32_t m;

	/* the destroying thread's own records; other threads' records of a
	 * destroyed pool never match a later pool, whose id is new */
	for (k = 0; k < 2; k++)
		for (m = tables[k]->used; m; m &= m - 1) {
			struct thread_pin *p =
				&tables[k]->pin[__builtin_ctz(m)];

			if (p->pool_id == pool->id)
				drop_pin(tables[k], p);
		}
}
