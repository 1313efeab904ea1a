// SPDX-License-Identifier: MIT
/*
 * pool.c - pools and the object life cycle: create, malloc, free, destroy.
 *
 * The alloc and free paths take exactly one lock, their shard's: shards
 * never share state on those paths except through atomics (page count,
 * the page cap) and the rarely taken grow locks for new handle chunks and
 * zspage descriptors.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zs/host.h"
#include "zs/secret.h"
#include "zs/zs_internal.h"

static _Atomic uint64_t next_pool_id = 1;

struct zs_pool *zs_create_pool_config(const struct zs_pool_config *cfg)
{
	static const struct zs_pool_config defaults;
	struct zs_pool *pool;
	uint64_t key;
	int err = ENOMEM;

	if (!cfg)
		cfg = &defaults;
	if (cfg->chain_size > ZS_MAX_CHAIN ||
	    (cfg->recycle_64ths > ZS_RECYCLE_MAX_64THS &&
	     cfg->recycle_64ths != ZS_RECYCLE_NONE)) {
		errno = EINVAL;
		return NULL;
	}
	pool = zs_host_calloc(1, sizeof(*pool));
	if (!pool)
		goto nomem;
	pthread_mutex_init(&pool->grow_lock, NULL);
	pthread_mutex_init(&pool->zsp_lock, NULL);
	snprintf(pool->name, sizeof(pool->name), "%s",
		 cfg->name ? cfg->name : "zs");
	pool->id = atomic_fetch_add(&next_pool_id, 1);
	pool->chain_size = cfg->chain_size ? cfg->chain_size : ZS_DEFAULT_CHAIN;
	pool->max_pages = cfg->max_pages;
	pool->recycle_64ths = cfg->recycle_64ths == ZS_RECYCLE_NONE ? 0 :
			      cfg->recycle_64ths ? cfg->recycle_64ths :
						   ZS_RECYCLE_DEFAULT_64THS;
	pool->arena = cfg->arena ? cfg->arena : zs_arena_default();
	if (!pool->arena)
		goto free_tables; /* none yet: frees the pool */
	key = zs_secret_seed(pool->id);
	zs_handle_key_draw(&pool->key, &key);
	/* The chunk directories start inside the pool; a pool that
	 * outgrows them maps directories sized for the limits (mapped,
	 * only the pages written become resident). */
	atomic_init(&pool->ht_chunks, pool->ht_dir_inline);
	atomic_init(&pool->zsp_chunks, pool->zsp_dir_inline);
	pool->zspage_units = pool->chain_size * ZS_PAGE_UNITS;
	pool->group_mul = (10ull << 32) / pool->zspage_units;
	zs_shards_init(pool);
	pool->owner_id =
		zs_arena_register_owner(pool->arena, pool, &zs_movable_ops);
	if (pool->owner_id < 0) {
		err = -pool->owner_id; /* ENOSPC, or ENOMEM */
		goto free_tables;
	}
	return pool;
free_tables:
	pthread_mutex_destroy(&pool->grow_lock);
	pthread_mutex_destroy(&pool->zsp_lock);
	free(pool);
nomem:
	errno = err;
	return NULL;
}

struct zs_pool *zs_create_pool(const char *name)
{
	struct zs_pool_config cfg = { .name = name };

	return zs_create_pool_config(&cfg);
}

void zs_destroy_pool(struct zs_pool *pool)
{
	if (!pool)
		return;
	/* First make sure no arena compaction is inside our callbacks, then
	 * nothing can reach the pool but its (misbehaving) users. */
	zs_arena_unregister_owner(pool->arena, pool->owner_id);
	zs_thread_forget_pool(pool);
	zs_huge_destroy_all(pool);
	zs_zspages_destroy_all(pool);
	zs_handles_destroy(pool);
	pthread_mutex_destroy(&pool->grow_lock);
	pthread_mutex_destroy(&pool->zsp_lock);
	free(pool);
}

const char *zs_pool_name(const struct zs_pool *pool)
{
	if (!pool) {
		errno = EINVAL;
		return NULL;
	}
	return pool->name;
}

int zs_malloc(struct zs_pool *pool, size_t size, uint64_t *handle)
{
	struct zs_shard *sh;
	struct zs_hslot *slot;
	uint32_t idx, ref, gen;
	uint64_t h;
	int err;

	if (!pool || !handle || size == 0)
		return -EINVAL;
	if (size > ZS_PAGE_SIZE)
		return -ENOSPC;
	sh = zs_shard_of_thread(pool);
	zs_lock(&sh->lock);
	sh->frees_in_a_row = 0;
	if (size >= ZS_HUGE_SIZE ?
		    !zs_huge_reuse(pool, sh, size, &idx, &ref) :
		    !zs_recycle_get(pool, sh, size, &idx, &ref)) {
		err = zs_slot_take(pool, sh, &idx);
		if (err)
			goto fail;
		err = zs_obj_place(pool, sh, idx, size, &ref);
		if (err) {
			zs_slot_give_back(pool, sh, idx);
			goto fail;
		}
	}
	slot = zs_slot_at(pool, idx);
	gen = zs_slot_gen(
		atomic_load_explicit(&slot->word, memory_order_relaxed));
	h = zs_handle_encode(pool, idx, gen);
	if (h == 0) { /* the one (idx, gen) pair that encodes to 0 */
		gen = (gen + 1) & ZS_SLOT_GEN_MASK;
		h = zs_handle_encode(pool, idx, gen);
	}
	atomic_store_explicit(&slot->word, zs_slot_word_live(ref, size, gen),
			      memory_order_release);
	zs_shard_count_add(&sh->objs_used, 1);
	sh->bytes_stored += size;
	zs_unlock(&sh->lock);
	*handle = h;
	return 0;
fail:
	zs_unlock(&sh->lock);
	atomic_fetch_add(&pool->alloc_failures, 1);
	return err;
}

int zs_free(struct zs_pool *pool, uint64_t handle)
{
	struct zs_hslot *slot;
	struct zs_shard *sh;
	struct zspage *zsp;
	uint32_t gen, idx, ref;
	unsigned units;
	bool recycle;
	uint64_t w;
	size_t size;

	if (!pool)
		return -EINVAL;
	slot = zs_handle_lookup(pool, handle, &idx, &gen);
	if (!slot)
		return -EINVAL;
	sh = zs_lock_shard_of(pool, slot);
	if (!sh)
		return -EINVAL;
	/* Under the shard's lock the object can be neither freed nor moved
	 * by anyone else; only pins can still come and go. */
	w = atomic_load_explicit(&slot->word, memory_order_acquire);
	if (!zs_slot_live(w) || zs_slot_gen(w) != gen) {
		zs_unlock(&sh->lock);
		return -EINVAL;
	}
	size = zs_slot_size(w);
	ref = zs_slot_loc(w);
	units = zs_span_units((unsigned)size);
	zsp = zs_slot_huge(w) ? NULL :
				zs_zspage_by_id(pool, zs_span_ref_zspage(ref));
	/* the tag read through zsp, already looked up (zs_span_tag would
	 * look it up again) */
	if (zsp) {
		uint32_t tag;

		memcpy(&tag, zs_obj_bytes(zsp, ref) - ZS_SPAN_TAG_BYTES,
		       sizeof(tag));
		if (!zs_span_tag_names(tag, idx)) {
			ZS_REPORT(ZS_FINDING_ABORT_POOL_FREE_HANDLE_SLOT,
				  zs_span_ref_unit(ref), zsp->id, idx);
			zs_corruption_abort();
		}
	}
	/* a mapped object's free changes nothing, not even the bins (room
	 * made for its block) or its zspage's blocks (released); a pin
	 * taken after this is the CAS's to see */
	if (zs_slot_pins(w)) {
		zs_unlock(&sh->lock);
		return -EBUSY;
	}
	/* a huge object's page may be kept (zs/huge.c); there is no room
	 * made for it */
	recycle = zsp ? zs_recycle_wants(pool, sh, zsp, units) :
			zs_huge_wants(pool, sh);
	if (!zsp && recycle)
		zs_huge_check_page(pool, idx, zs_slot_loc(w));
	if (zsp && recycle && !zs_recycle_fits(pool, sh, units)) {
		zs_recycle_make_room(pool, sh, units);
		recycle = zs_recycle_wants(pool, sh, zsp, units) &&
			  zs_recycle_fits(pool, sh, units);
	}
	/* its zspage's last live object, not kept: the blocks recycled
	 * there go back first (while the walk still sees this one live), so
	 * that the zspage empties now */
	if (zsp && !recycle && zsp->recycled && zsp->inuse - zsp->recycled == 1)
		zs_recycle_release_zspage(pool, sh, zsp);
	do {
		if (!zs_slot_live(w) || zs_slot_gen(w) != gen) {
			zs_unlock(&sh->lock);
			return -EINVAL;
		}
		if (zs_slot_pins(w)) {
			zs_unlock(&sh->lock);
			return -EBUSY;
		}
		/* moving here means a run migration, which copies the whole
		 * run and finds the object gone when it ends */
	} while (!atomic_compare_exchange_weak_explicit(
		&slot->word, &w,
		!recycle ? zs_slot_word_free(zs_slot_loc(w), gen + 1) :
		zsp ? zs_slot_word_recycled(zs_slot_loc(w), units, gen + 1) :
		      zs_slot_word_huge_kept(zs_slot_loc(w), gen + 1),
		memory_order_acq_rel, memory_order_acquire));
	/* a huge object's page may have moved meanwhile; a shared one's
	 * place cannot change under the lock */
	ref = zs_slot_loc(w);
	if (!zsp) {
		if (recycle) {
			zs_huge_keep(pool, sh, idx, ref);
			goto freed;
		}
		zs_huge_remove(pool, sh, idx, ref);
	} else {
		if (recycle) {
			zs_recycle_put(sh, zsp, idx, ref, units);
			goto freed;
		}
		zs_obj_remove(pool, sh, zsp, ref, size);
	}
	zs_slot_give_back(pool, sh, idx);
freed:
	if (sh->frees_in_a_row < ZS_RECYCLE_BURST)
		sh->frees_in_a_row++;
	zs_shard_count_add(&sh->objs_used, -1);
	sh->bytes_stored -= size;
	if (zsp && zsp->inuse == 0 && !zsp->isolated && !zsp->run_isolated)
		zs_zspage_destroy(pool, sh, zsp);
	/* an object freed for good shrinks the bins' share with the shard:
	 * the last one leaves nothing in them */
	if (!recycle && sh->recycle_blocks)
		zs_recycle_trim(pool, sh);
	if (!recycle && !zsp && sh->huge_bin)
		zs_huge_trim(pool, sh);
	zs_unlock(&sh->lock);
	return 0;
}

size_t zs_obj_size(struct zs_pool *pool, uint64_t handle)
{
	struct zs_hslot *slot;
	uint32_t idx, gen;
	uint64_t w;

	if (!pool)
		return 0;
	slot = zs_handle_lookup(pool, handle, &idx, &gen);
	if (!slot)
		return 0;
	/* freed since the lookup: as bad as a stale handle */
	w = atomic_load_explicit(&slot->word, memory_order_acquire);
	return zs_slot_live(w) && zs_slot_gen(w) == gen ? zs_slot_size(w) : 0;
}

unsigned long zs_get_total_pages(struct zs_pool *pool)
{
	return pool ? atomic_load(&pool->pages) : 0;
}

void zs_pool_set_max_pages(struct zs_pool *pool, unsigned long max_pages)
{
	if (pool)
		atomic_store(&pool->max_pages, max_pages);
}

void zs_pool_inject_failures(struct zs_pool *pool, unsigned after,
			     unsigned count)
{
	if (pool)
		zs_fault_counter_arm(&pool->inject, after, count);
}

/* Every byte of metadata the pool keeps resident: the pool, the pages of
 * its mapped tables written so far.  Handle slots and descriptors are
 * handed out in index order, so the written pages are the first ones. */
static size_t pool_metadata_bytes(struct zs_pool *pool)
{
	unsigned long zsp_chunks = atomic_load(&pool->zsp_nchunks);
	uint32_t zspages = atomic_load(&pool->zsp_next);
	size_t bytes = sizeof(*pool);

	bytes += zs_host_resident(atomic_load(&pool->ht_next) *
				  sizeof(struct zs_hslot));
	if (zs_ht_dir(pool) != pool->ht_dir_inline)
		bytes += zs_host_resident(atomic_load(&pool->ht_nchunks) *
					  sizeof(void *));
	if (zsp_chunks)
		bytes += (zsp_chunks - 1) * zs_zsp_chunk_bytes(pool) +
			 zs_host_resident(
				 (zspages - (zsp_chunks - 1) * ZS_ZSP_CHUNK) *
				 sizeof(struct zspage));
	if (zs_zsp_dir(pool) != pool->zsp_dir_inline)
		bytes += zs_host_resident(zsp_chunks * sizeof(void *));
	return bytes;
}

void zs_pool_stats(struct zs_pool *pool, struct zs_pool_stats *st)
{
	unsigned i;

	if (!st)
		return;
	memset(st, 0, sizeof(*st));
	if (!pool)
		return;
	for (i = 0; i < ZS_NR_SHARDS; i++) {
		struct zs_shard *sh = &pool->shards[i];

		zs_lock(&sh->lock);
		st->objs_allocated +=
			zs_shard_capacity(pool, sh) + sh->huge_count;
		st->objs_used += atomic_load(&sh->objs_used);
		st->bytes_stored += sh->bytes_stored;
		zs_unlock(&sh->lock);
	}
	st->pages_compacted = atomic_load(&pool->pages_compacted);
	st->pages_used = atomic_load(&pool->pages);
	st->zspages = atomic_load(&pool->zspages);
	st->objs_moved = atomic_load(&pool->objs_moved);
	st->pages_migrated = atomic_load(&pool->pages_migrated);
	st->alloc_failures = atomic_load(&pool->alloc_failures);
	st->compactions = atomic_load(&pool->compactions);
	st->metadata_bytes = pool_metadata_bytes(pool);
}
