// SPDX-License-Identifier: MIT
/*
 * handles.c - the handle table: what makes a handle stable and checkable.
 *
 * A handle names a slot in a per-pool table instead of a memory address, so
 * objects can move (compaction, page migration) without users noticing, and
 * so any 64-bit value can be checked before anything is dereferenced: the
 * slot index must be in the table, the slot must be live, and its
 * generation (bumped at every free) must match.  The pair is sealed with a
 * keyed permutation of 64-bit values (zs/handle_cipher.h), so a handle
 * from another pool, a forged one or a stale one with bits changed opens
 * to a pair that looks random and matches only by a 2^-32 chance.
 *
 * A slot is one word (zs/zs_internal.h): the object's place, size,
 * generation and state (free, live with a pin count, or moving).  Readers
 * pin with one CAS and take no lock; the compactor marks an object moving
 * with a CAS that succeeds only while it has no pins, so a reader never
 * sees a half-moved object and waits at most for one object copy.
 *
 * Slot allocation is per shard (under the shard's lock): freed slots go
 * back to their shard's free list, and fresh slots come in batches from the
 * pool under a small grow lock, so no pool-wide lock sits on the alloc path.
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>

#include "zs/host.h"
#include "zs/zs_internal.h"

#define FRESH_BATCH 64u

uint64_t zs_handle_encode(const struct zs_pool *pool, uint32_t idx,
			  uint32_t gen)
{
	return zs_handle_seal(&pool->key, idx, gen);
}

struct zs_hslot *zs_handle_lookup(struct zs_pool *pool, uint64_t handle,
				  uint32_t *idx, uint32_t *gen)
{
	struct zs_hslot *slot;
	uint64_t w;

	if (handle == 0)
		return NULL;
	zs_handle_open(&pool->key, handle, idx, gen);
	if (*gen > ZS_SLOT_GEN_MASK)
		return NULL; /* never issued: the sealed half's high bits are 0 */
	slot = zs_slot_at(pool, *idx);
	if (!slot)
		return NULL;
	w = atomic_load_explicit(&slot->word, memory_order_acquire);
	if (!zs_slot_live(w) || zs_slot_gen(w) != *gen)
		return NULL;
	return slot;
}

/* Makes room for chunk c in the directory; grow_lock held.  Past the
 * inline entries, the mapped directory takes over; lock-free readers of
 * the inline one still read the same chunks there. */
static int dir_room(struct zs_pool *pool, unsigned c)
{
	_Atomic(struct zs_hslot *) *dir;
	unsigned i;

	if (c < zs_ht_dir_cap(pool))
		return 0;
	if (zs_inject_fail(pool) ||
	    !(dir = zs_host_map_zeroed(ZS_HT_DIR_BYTES)))
		return -ENOMEM;
	for (i = 0; i < ZS_HT_DIR_INLINE; i++)
		atomic_store_explicit(
			&dir[i],
			atomic_load_explicit(&pool->ht_dir_inline[i],
					     memory_order_relaxed),
			memory_order_relaxed);
	atomic_store_explicit(&pool->ht_chunks, dir, memory_order_release);
	return 0;
}

/* Makes sure the chunk holding slot `idx` exists; grow_lock held. */
static int ensure_chunk(struct zs_pool *pool, uint32_t idx)
{
	unsigned c = idx >> ZS_HT_CHUNK_SHIFT;
	struct zs_hslot *chunk;

	if (c >= ZS_HT_MAX_CHUNKS || dir_room(pool, c))
		return -ENOMEM;
	if (atomic_load_explicit(&zs_ht_dir(pool)[c], memory_order_relaxed))
		return 0;
	if (zs_inject_fail(pool))
		return -ENOMEM;
	/* mapped: a page of it becomes resident when a slot in it is used */
	chunk = zs_host_map_zeroed(ZS_HT_CHUNK_BYTES);
	if (!chunk)
		return -ENOMEM;
	atomic_store_explicit(&zs_ht_dir(pool)[c], chunk, memory_order_release);
	atomic_fetch_add_explicit(&pool->ht_nchunks, 1, memory_order_relaxed);
	return 0;
}

int zs_slot_take(struct zs_pool *pool, struct zs_shard *sh, uint32_t *idx)
{
	if (sh->free_slots) {
		struct zs_hslot *slot = zs_slot_at(pool, sh->free_slots - 1);

		*idx = sh->free_slots - 1;
		sh->free_slots = zs_slot_loc(atomic_load_explicit(
			&slot->word, memory_order_relaxed));
		return 0;
	}
	if (sh->fresh_next == sh->fresh_end) {
		uint32_t first, room;
		int err;

		pthread_mutex_lock(&pool->grow_lock);
		first = atomic_load_explicit(&pool->ht_next,
					     memory_order_relaxed);
		err = ensure_chunk(pool, first);
		if (err) {
			pthread_mutex_unlock(&pool->grow_lock);
			return err;
		}
		/* a batch never crosses a chunk: the chunk is known to exist */
		room = ZS_HT_CHUNK - (first & (ZS_HT_CHUNK - 1));
		if (room > FRESH_BATCH)
			room = FRESH_BATCH;
		atomic_store_explicit(&pool->ht_next, first + room,
				      memory_order_release);
		pthread_mutex_unlock(&pool->grow_lock);
		sh->fresh_next = first;
		sh->fresh_end = first + room;
	}
	*idx = sh->fresh_next++;
	return 0;
}

/* Back on the shard's free list; the generation was bumped by the free
 * (or the slot never held an object). */
void zs_slot_give_back(struct zs_pool *pool, struct zs_shard *sh, uint32_t idx)
{
	struct zs_hslot *slot = zs_slot_at(pool, idx);
	uint64_t w = atomic_load_explicit(&slot->word, memory_order_relaxed);

	atomic_store_explicit(&slot->word,
			      zs_slot_word_free(sh->free_slots, zs_slot_gen(w)),
			      memory_order_release);
	sh->free_slots = idx + 1;
}

int zs_pin(struct zs_pool *pool, uint64_t handle, struct zs_hslot **slotp,
	   uint64_t *wordp)
{
	struct zs_hslot *slot;
	uint32_t idx, gen;
	unsigned spins = 0;
	uint64_t w;

	slot = zs_handle_lookup(pool, handle, &idx, &gen);
	if (!slot)
		return -EINVAL;
	w = atomic_load_explicit(&slot->word, memory_order_acquire);
	for (;;) {
		if (!zs_slot_live(w) || zs_slot_gen(w) != gen)
			return -EINVAL;
		if (zs_slot_moving(w)) {
			/* an object or zspage copy is in flight: wait */
			if (++spins > 64)
				sched_yield();
			w = atomic_load_explicit(&slot->word,
						 memory_order_acquire);
			continue;
		}
		if (zs_slot_pins(w) == ZS_SLOT_MAX_PINS)
			return -EBUSY;
		if (atomic_compare_exchange_weak_explicit(
			    &slot->word, &w, w + 1, memory_order_acq_rel,
			    memory_order_acquire))
			break;
	}
	*slotp = slot;
	*wordp = w + 1;
	return 0;
}

void zs_unpin(struct zs_hslot *slot)
{
	atomic_fetch_sub_explicit(&slot->word, 1, memory_order_release);
}

bool zs_try_mark_moving(struct zs_hslot *slot)
{
	uint64_t w = atomic_load_explicit(&slot->word, memory_order_acquire);

	while (zs_slot_state(w) == ZS_SLOT_UNPINNED) {
		if (atomic_compare_exchange_weak_explicit(
			    &slot->word, &w,
			    zs_slot_with_state(w, ZS_SLOT_MOVING),
			    memory_order_acq_rel, memory_order_acquire))
			return true;
	}
	return false;
}

/* Ends a move that left the object where it was.  A run migration's
 * object may have been freed meanwhile (and its slot reused): only a
 * slot still moving is touched. */
void zs_clear_moving(struct zs_hslot *slot)
{
	uint64_t w = atomic_load_explicit(&slot->word, memory_order_acquire);

	while (zs_slot_moving(w) &&
	       !atomic_compare_exchange_weak_explicit(
		       &slot->word, &w, zs_slot_with_state(w, ZS_SLOT_UNPINNED),
		       memory_order_release, memory_order_acquire))
		;
}

/* Ends a move that put the object at loc: readers waiting see both at
 * once.  The shard lock is held, so nothing else changes the slot. */
void zs_finish_move(struct zs_hslot *slot, uint32_t loc)
{
	uint64_t w = atomic_load_explicit(&slot->word, memory_order_relaxed);

	atomic_store_explicit(&slot->word,
			      zs_slot_with_state(zs_slot_with_loc(w, loc),
						 ZS_SLOT_UNPINNED),
			      memory_order_release);
}

void zs_handles_destroy(struct zs_pool *pool)
{
	unsigned long c, n = atomic_load(&pool->ht_nchunks);

	/* chunks are made in index order, so the first n are all there are */
	for (c = 0; c < n; c++)
		zs_host_unmap(atomic_load_explicit(&zs_ht_dir(pool)[c],
						   memory_order_relaxed),
			      ZS_HT_CHUNK_BYTES);
	if (zs_ht_dir(pool) != pool->ht_dir_inline)
		zs_host_unmap(zs_ht_dir(pool), ZS_HT_DIR_BYTES);
}
