// SPDX-License-Identifier: MIT
/*
 * fuzz/zsmalloc_fuzz/zs_corrupt_tables.c - op corrupt's planters for the
 * pool's two tables: handle slots (their chunks, the shards' free slot
 * lists and fresh batches) and zspage descriptors (their chunks and free
 * list) (fuzz/zsmalloc_fuzz/zs_corrupt.h).
 *
 * Every slot and every descriptor must be claimed exactly once: live, on
 * one free list, or in one fresh batch.  So each is planted both ways,
 * claimed by nobody (leaked) and claimed twice, in each place a claim can
 * come from; and the chunk tables must hold exactly the chunks their
 * counts need, one missing or one stray.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "fuzz/common/fuzz.h"
#include "fuzz/zsmalloc_fuzz/zs_corrupt.h"
#include "zs/zs_internal.h"

/* Never dereferenced: what a stray table chunk pointer points at. */
static char stray_chunk[64];

/* ---- places ---- */

/* A shard, chosen by sel, whose free slot list (or fresh batch) is not
 * empty; NULL when none. */
static struct zs_shard *shard_with(struct zs_pool *pool, unsigned sel,
				   bool fresh)
{
	unsigned i, nr = ZS_NR_SHARDS;

	for (i = 0; i < nr; i++) {
		struct zs_shard *c = &pool->shards[(sel + i) % nr];
		bool has;

		zs_lock(&c->lock);
		has = fresh ? c->fresh_next < c->fresh_end : c->free_slots != 0;
		zs_unlock(&c->lock);
		if (has)
			return c;
	}
	return NULL;
}

/* The n-th slot of c's free list (n = 0 is the head), its length in *len;
 * shard lock held. */
static uint32_t free_slot_at(struct zs_pool *pool, const struct zs_shard *c,
			     unsigned n, unsigned *len)
{
	uint32_t f, idx = 0;
	unsigned k = 0;

	for (f = c->free_slots; f; k++) {
		if (k == n)
			idx = f - 1;
		f = zs_slot_loc(atomic_load(&zs_slot_at(pool, f - 1)->word));
	}
	*len = k;
	return idx;
}

/* Sets the place (a free slot's next link) of slot idx, undoably. */
static void patch_loc(struct zs_plant *p, uint32_t idx, uint32_t loc)
{
	struct zs_hslot *s = zs_slot_at(p->pool, idx);

	fm_patch_atomic64(p->log, &s->word,
			  zs_slot_with_loc(atomic_load(&s->word), loc));
}

/* True when no live handle slot lies in table chunk ch. */
static bool chunk_unused(struct zs_pool *pool, unsigned long ch,
			 uint32_t nslots)
{
	uint32_t idx, end = (uint32_t)(ch + 1) * ZS_HT_CHUNK;

	for (idx = (uint32_t)ch * ZS_HT_CHUNK; idx < end && idx < nslots; idx++)
		if (zs_slot_live(atomic_load(&zs_slot_at(pool, idx)->word)))
			return false;
	return true;
}

/* The n-th descriptor of the zspage descriptor free list (n = 0 is the
 * head, NULL past the end), its length in *len; zsp_lock held. */
static struct zspage *free_desc_at(struct zs_pool *pool, unsigned n,
				   unsigned *len)
{
	struct zspage *zsp, *hit = NULL;
	unsigned k = 0;

	for (zsp = pool->zsp_free; zsp; zsp = zs_zsp_next(pool, zsp), k++)
		if (k == n)
			hit = zsp;
	*len = k;
	return hit;
}

/* A free (or never used) handle slot chosen by sel with word bits `set`
 * added: marked live, or given state a free slot may not have.  Not a
 * slot of a recycle bin: those keep units in the size field. */
static bool free_slot_with(struct zs_plant *p, uint64_t set)
{
	uint32_t i, nslots = atomic_load(&p->pool->ht_next);

	for (i = 0; i < nslots; i++) {
		struct zs_hslot *s = zs_slot_at(p->pool, (p->sel + i) % nslots);
		uint64_t w = atomic_load(&s->word);

		if (zs_slot_live(w) ||
		    (w & (ZS_SLOT_SIZE_MASK << ZS_SLOT_SIZE_SHIFT)))
			continue;
		fm_patch_atomic64(p->log, &s->word, w | set);
		return true;
	}
	return false;
}

/* ---- the handle table ---- */

bool zsf_plant_slots_live(struct zs_plant *p)
{
	return free_slot_with(p, 1); /* live, no pins */
}

/* A size left on a free slot, what a half-done free leaves (a state would
 * make the slot live: zsf_plant_slots_live). */
bool zsf_plant_slot_bits(struct zs_plant *p)
{
	return free_slot_with(p, (uint64_t)(1u + p->sel % ZS_SLOT_SIZE_MASK)
					 << ZS_SLOT_SIZE_SHIFT);
}

/* The chunks are exactly those the slot count needs: one missing below
 * (possible only where no live object's slot lies, or the object walk
 * would trip on it first), or one present past them. */
bool zsf_plant_ht_chunk(struct zs_plant *p)
{
	struct zs_pool *pool = p->pool;
	uint32_t nslots = atomic_load(&pool->ht_next);
	unsigned long n = nslots ? ((unsigned long)nslots - 1) / ZS_HT_CHUNK +
					   1 :
				   0,
		      i;

	pthread_mutex_lock(&pool->grow_lock);
	for (i = 0; (p->sel & 0x8000) && i < n; i++) {
		unsigned long ch = (p->sel + i) % n;

		if (chunk_unused(pool, ch, nslots)) {
			fm_patch_atomic_ptr(p->log, &zs_ht_dir(pool)[ch], NULL);
			break;
		}
	}
	if (!p->log->n && n < zs_ht_dir_cap(pool))
		fm_patch_atomic_ptr(p->log, &zs_ht_dir(pool)[n], stray_chunk);
	pthread_mutex_unlock(&pool->grow_lock);
	return p->log->n != 0;
}

bool zsf_plant_ht_nchunks(struct zs_plant *p)
{
	unsigned long n = atomic_load(&p->pool->ht_nchunks);

	fm_patch_atomic_ulong(p->log, &p->pool->ht_nchunks,
			      n && (p->sel & 1) ? n - 1 :
						  n + 1 + (p->sel >> 12));
	return true;
}

/* A slot on two shards' lists: a later shard's head set to an earlier
 * one's, whose walk claimed it. */
static bool slot_on_two_lists(struct zs_plant *p, struct zs_shard *c)
{
	unsigned nr = ZS_NR_SHARDS;
	struct zs_shard *b;

	if (!c || c->index + 1u >= nr)
		return false;
	b = &p->pool->shards[c->index + 1 + (p->sel >> 4) % (nr - c->index - 1)];
	zs_lock(&b->lock);
	FM_PATCH(p->log, b->free_slots, c->free_slots);
	zs_unlock(&b->lock);
	return true;
}

/* A free slot list linking past the table (from its head or its last
 * link), claiming a live object's slot, looping, or sharing a slot with
 * another shard's list. */
bool zsf_plant_slot_list(struct zs_plant *p)
{
	uint32_t nslots = atomic_load(&p->pool->ht_next), idx;
	struct zs_shard *c = shard_with(p->pool, p->sel, false);
	unsigned v = p->sel >> 14, len;

	if (v == 3 && slot_on_two_lists(p, c))
		return true;
	if (v == 0 || v == 3 || !c) {
		/* a live object's slot on a free list */
		if (!zsf_plant_pick(p, T_ANY))
			return false;
		FM_PATCH(p->log, p->t.sh->free_slots, p->t.idx + 1);
		return true;
	}
	zs_lock(&c->lock);
	free_slot_at(p->pool, c, 0, &len);
	idx = free_slot_at(p->pool, c, len - 1, &len); /* the last */
	if (v == 1 && (p->sel & 0x100))
		patch_loc(p, idx, nslots + 1 + (p->sel & 0xff));
	else if (v == 1)
		FM_PATCH(p->log, c->free_slots, nslots + 1 + (p->sel & 0xff));
	else /* the last slot linked back to the head */
		patch_loc(p, idx, c->free_slots);
	zs_unlock(&c->lock);
	return true;
}

/* Each half alone: a batch that ends before it starts, or ends past the
 * slots the table handed out. */
bool zsf_plant_fresh_range(struct zs_plant *p)
{
	uint32_t nslots = atomic_load(&p->pool->ht_next);
	struct zs_shard *c = p->sh;

	zs_lock(&c->lock);
	if (p->sel & 0x8000)
		FM_PATCH(p->log, c->fresh_end,
			 nslots + 1 + ((p->sel >> 8) & 0xf));
	else
		FM_PATCH(p->log, c->fresh_next,
			 c->fresh_end + 1 + ((p->sel >> 8) & 0xf));
	zs_unlock(&c->lock);
	return true;
}

/* c's fresh batch moved to start at slot idx (and reach past it). */
static void fresh_batch_at(struct zs_plant *p, struct zs_shard *c, uint32_t idx,
			   uint32_t end)
{
	FM_PATCH(p->log, c->fresh_next, idx);
	if (c->fresh_end < end)
		FM_PATCH(p->log, c->fresh_end, end);
}

/* A fresh batch over a slot used elsewhere: another shard's batch (the
 * later shard of the two finds the slot claimed), the head of a free list
 * at or before it, or a live object's slot. */
bool zsf_plant_fresh_overlap(struct zs_plant *p)
{
	struct zs_shard *c = p->sh, *b;
	unsigned v = p->sel >> 14;
	uint32_t idx, end;

	b = v == 2 ? shard_with(p->pool, p->sel, true) :
	    v == 1 ? shard_with(p->pool, p->sel, false) :
		     NULL;
	if (v == 2 && b && b != c) {
		zs_lock(&b->lock);
		idx = b->fresh_next +
		      (p->sel >> 4) % (b->fresh_end - b->fresh_next);
		end = b->fresh_end;
		zs_unlock(&b->lock);
		zs_lock(&c->lock);
		FM_PATCH(p->log, c->fresh_next, idx);
		FM_PATCH(p->log, c->fresh_end, end);
		zs_unlock(&c->lock);
		return true;
	}
	if (v == 1 && b) {
		if (b->index > c->index)
			c = b;
		zs_lock(&b->lock);
		idx = b->free_slots - 1;
		zs_unlock(&b->lock);
		zs_lock(&c->lock);
		fresh_batch_at(p, c, idx, idx + 1);
		zs_unlock(&c->lock);
		return true;
	}
	if (!zsf_plant_pick(p, T_ANY))
		return false;
	fresh_batch_at(p, p->t.sh, p->t.idx, p->t.idx + 1);
	return true;
}

/* A slot claimed by nobody: a free list's head dropped, a list cut short,
 * or a fresh batch's next slot (or its last) taken and never given back,
 * as a failed zs_malloc that forgot its slot would leave it. */
bool zsf_plant_slot_leak(struct zs_plant *p)
{
	unsigned v = p->sel >> 14, len;
	struct zs_shard *c = shard_with(p->pool, p->sel, v >= 2);

	if (!c)
		return false;
	zs_lock(&c->lock);
	if (v >= 2) {
		if (v == 2)
			FM_PATCH(p->log, c->fresh_next, c->fresh_next + 1);
		else
			FM_PATCH(p->log, c->fresh_end, c->fresh_end - 1);
		zs_unlock(&c->lock);
		return true;
	}
	free_slot_at(p->pool, c, 0, &len);
	if (v == 1 && len >= 2) {
		/* cut after the k-th of len */
		uint32_t idx = free_slot_at(p->pool, c,
					    (p->sel >> 4) % (len - 1), &len);

		patch_loc(p, idx, 0);
	} else {
		FM_PATCH(
			p->log, c->free_slots,
			zs_slot_loc(atomic_load(
				&zs_slot_at(p->pool, c->free_slots - 1)->word)));
	}
	zs_unlock(&c->lock);
	return true;
}

/* ---- the zspage descriptor table ---- */

/* True when no live zspage's descriptor lies in descriptor chunk ch:
 * the walks find a zspage's descriptor by its id (its span's questions),
 * so a chunk missing under a live one would trip them first. */
static bool zsp_chunk_unused(struct zs_pool *pool, unsigned long ch, uint32_t n)
{
	uint32_t id, end = (uint32_t)(ch + 1) * ZS_ZSP_CHUNK;

	for (id = (uint32_t)ch * ZS_ZSP_CHUNK; id < end && id < n; id++)
		if (atomic_load(&zs_zspage_by_id(pool, id)->state) ==
		    ZSPAGE_LIVE)
			return false;
	return true;
}

/* The chunks are exactly those the descriptor count needs: one missing
 * below (where no live zspage's descriptor lies), or one present past
 * them. */
bool zsf_plant_zsp_chunk(struct zs_plant *p)
{
	struct zs_pool *pool = p->pool;
	uint32_t next;
	unsigned long n, i;

	pthread_mutex_lock(&pool->zsp_lock);
	next = atomic_load(&pool->zsp_next);
	n = ((unsigned long)next + ZS_ZSP_CHUNK - 1) / ZS_ZSP_CHUNK;
	for (i = 0; (p->sel & 0x8000) && i < n; i++) {
		unsigned long ch = (p->sel + i) % n;

		if (zsp_chunk_unused(pool, ch, next)) {
			fm_patch_atomic_ptr(p->log, &zs_zsp_dir(pool)[ch],
					    NULL);
			break;
		}
	}
	if (!p->log->n && n < zs_zsp_dir_cap(pool))
		fm_patch_atomic_ptr(p->log, &zs_zsp_dir(pool)[n], stray_chunk);
	pthread_mutex_unlock(&pool->zsp_lock);
	return p->log->n != 0;
}

bool zsf_plant_zsp_nchunks(struct zs_plant *p)
{
	unsigned long n;

	pthread_mutex_lock(&p->pool->zsp_lock);
	n = atomic_load(&p->pool->zsp_nchunks);
	fm_patch_atomic_ulong(p->log, &p->pool->zsp_nchunks,
			      n && (p->sel & 1) ? n - 1 :
						  n + 1 + (p->sel >> 12));
	pthread_mutex_unlock(&p->pool->zsp_lock);
	return true;
}

/* A free descriptor with the wrong id, or marked live.  (A listed
 * zspage's id is also what its pages' arena cookies and its objects'
 * slots name, so a wrong id there is the page finding before this one.) */
static bool free_desc_lies(struct zs_plant *p, bool id)
{
	struct zspage *zsp;
	unsigned len;

	pthread_mutex_lock(&p->pool->zsp_lock);
	free_desc_at(p->pool, 0, &len);
	zsp = len ? free_desc_at(p->pool, p->sel % len, &len) : NULL;
	if (zsp && id)
		FM_PATCH(p->log, zsp->id, zsp->id ^ (1u + (p->sel >> 8)));
	else if (zsp)
		fm_patch_atomic8(p->log, &zsp->state, ZSPAGE_LIVE);
	pthread_mutex_unlock(&p->pool->zsp_lock);
	return zsp != NULL;
}

bool zsf_plant_desc_id(struct zs_plant *p)
{
	return free_desc_lies(p, true);
}

bool zsf_plant_desc_live(struct zs_plant *p)
{
	return free_desc_lies(p, false);
}

/* The free list looping: its last entry back to its head, so the walk
 * gives up at its zsp_next + 1st step. */
static bool desc_free_list_loop(struct zs_plant *p)
{
	unsigned len;

	pthread_mutex_lock(&p->pool->zsp_lock);
	free_desc_at(p->pool, 0, &len);
	if (len)
		FM_PATCH(p->log, free_desc_at(p->pool, len - 1, &len)->next,
			 p->pool->zsp_free->id);
	pthread_mutex_unlock(&p->pool->zsp_lock);
	return len != 0;
}

/* The free list leading into a live zspage (from its head or its last
 * entry), or looping. */
bool zsf_plant_desc_free_list(struct zs_plant *p)
{
	unsigned v = p->sel >> 14, len;

	if (v == 2 && desc_free_list_loop(p))
		return true;
	if (!zsf_plant_pick(p, T_SMALL))
		return false;
	pthread_mutex_lock(&p->pool->zsp_lock);
	free_desc_at(p->pool, 0, &len);
	if (v == 1 && len)
		FM_PATCH(p->log, free_desc_at(p->pool, len - 1, &len)->next,
			 p->t.zsp->id);
	else
		FM_PATCH(p->log, p->pool->zsp_free, p->t.zsp);
	pthread_mutex_unlock(&p->pool->zsp_lock);
	return true;
}

/* A descriptor taken off the free list and put nowhere: the head dropped,
 * or the list cut short. */
bool zsf_plant_desc_leak(struct zs_plant *p)
{
	unsigned len;

	pthread_mutex_lock(&p->pool->zsp_lock);
	free_desc_at(p->pool, 0, &len);
	if ((p->sel & 0x8000) && len >= 2)
		FM_PATCH(p->log,
			 free_desc_at(p->pool, (p->sel >> 4) % (len - 1), &len)
				 ->next,
			 ZS_ZSP_NONE);
	else if (len)
		FM_PATCH(p->log, p->pool->zsp_free,
			 zs_zsp_next(p->pool, p->pool->zsp_free));
	pthread_mutex_unlock(&p->pool->zsp_lock);
	return len != 0;
}
