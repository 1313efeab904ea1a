// SPDX-License-Identifier: MIT
/*
 * fuzz/zbud_fuzz/zbud_corrupt_lists.c - zbud's op corrupt, the planters for
 * what ties the pages together: the buddy lists and the LRU, the handle
 * slot table with its free chain, the free descriptor stack, and the
 * pool's counts of them (fuzz/zbud_fuzz/zbud_corrupt.h).
 *
 * A list is moved or relinked with every link kept consistent but the one
 * the finding is about, so the walk gets as far as the planted fault.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz/common/fuzz.h"
#include "fuzz/zbud_fuzz/zbud_corrupt.h"
#include "zs/zbud_internal.h"

/* Not a descriptor of the pool: linked into a list by corruption. */
static struct zbud_page alien;

static void unlink_node(struct fm_patch_log *log, struct list *n)
{
	struct list *prev = n->prev, *next = n->next;

	FM_PATCH(log, prev->next, next);
	FM_PATCH(log, next->prev, prev);
	FM_PATCH(log, n->prev, n);
	FM_PATCH(log, n->next, n);
}

static void insert_node(struct fm_patch_log *log, struct list *n,
			struct list *head)
{
	struct list *next = head->next;

	FM_PATCH(log, n->next, next);
	FM_PATCH(log, n->prev, head);
	FM_PATCH(log, next->prev, n);
	FM_PATCH(log, head->next, n);
}

/* The page moved off its buddy list onto `head`. */
static void move_buddy(struct zb_plant *p, struct zbud_page *d,
		       struct list *head)
{
	unlink_node(p->log, &d->buddy);
	insert_node(p->log, &d->buddy, head);
}

/* The sel-th slot on the free chain, the chain's length and its last
 * slot; SLOT_NONE when the chain is empty.  Lock held. */
static uint32_t free_slot(struct zbud_pool *pool, unsigned sel, uint32_t *n,
			  uint32_t *last)
{
	uint32_t i, k = 0, pick = SLOT_NONE;

	*n = 0;
	for (i = pool->slot_free; i != SLOT_NONE; i = pool->slots[i].desc)
		++*n;
	if (!*n)
		return SLOT_NONE;
	sel %= *n;
	for (i = pool->slot_free; i != SLOT_NONE; i = pool->slots[i].desc) {
		if (k++ == sel)
			pick = i;
		*last = i;
	}
	return pick;
}

/* ---- the lists ---- */

/* The pages or objects counted one off, up or down. */
bool zbf_plant_counts(struct zb_plant *p)
{
	struct zbud_pool *pool = p->pool;

	if (p->v == 0 || (p->v == 1 && pool->pages_nr))
		FM_PATCH(p->log, pool->pages_nr,
			 pool->pages_nr + (p->v == 0 ? 1 : -1ull));
	else if (p->v == 2 || (p->v == 3 && pool->objs_nr))
		FM_PATCH(p->log, pool->objs_nr,
			 pool->objs_nr + (p->v == 2 ? 1 : -1ull));
	else
		return false;
	return true;
}

bool zbf_plant_unbuddied0(struct zb_plant *p)
{
	if (!p->d)
		return false;
	move_buddy(p, p->d, &p->pool->unbuddied[0]);
	return true;
}

/* A node's back link pointing at itself, on the LRU or its buddy list. */
bool zbf_plant_links(struct zb_plant *p)
{
	struct list *node;

	if (!p->d)
		return false;
	node = p->arg & 1 ? &p->d->lru : &p->d->buddy;
	FM_PATCH(p->log, node->prev, node);
	return true;
}

/* Something that is no live descriptor linked into the LRU, the buddied
 * list or an unbuddied list, with a dead index or a live page's. */
bool zbf_plant_alien(struct zb_plant *p)
{
	struct zbud_pool *pool = p->pool;

	memset(&alien, 0, sizeof(alien));
	alien.idx = p->arg & 1 && p->d ? p->d->idx :
					 pool->desc_hw + (p->arg >> 12);
	if (p->v == 0)
		insert_node(p->log, &alien.lru, &pool->lru);
	else if (p->v == 1)
		insert_node(p->log, &alien.buddy, &pool->buddied);
	else
		insert_node(
			p->log, &alien.buddy,
			&pool->unbuddied[1 + (p->arg >> 4) % (NCHUNKS - 1)]);
	return true;
}

/* The first buddy list with two pages, from a chosen one on; NULL when
 * none has. */
static struct list *list_of_two(struct zbud_pool *pool, unsigned from)
{
	unsigned i, which;

	for (i = 0; i <= NCHUNKS; i++) {
		struct list *head;

		which = (i + from) % (NCHUNKS + 1);
		head = which == NCHUNKS ? &pool->buddied :
					  &pool->unbuddied[which];
		if (head->next != head && head->next->next != head)
			return head;
	}
	return NULL;
}

/* The second entry of the LRU or a buddy list leading back to the
 * first. */
bool zbf_plant_loop(struct zb_plant *p)
{
	struct list *head, *node, *second;

	if (p->arg & 1) {
		head = &p->pool->lru;
		if (head->next == head || head->next->next == head)
			return false;
	} else {
		head = list_of_two(p->pool, p->arg >> 1);
		if (!head)
			return false;
	}
	node = head->next;
	second = node->next;
	FM_PATCH(p->log, second->next, node);
	FM_PATCH(p->log, node->prev, second);
	return true;
}

bool zbf_plant_reclaim_listed(struct zb_plant *p)
{
	if (!p->d)
		return false;
	FM_PATCH(p->log, p->d->flags, (uint16_t)(p->d->flags | PG_RECLAIM));
	return true;
}

bool zbf_plant_buddied_free(struct zb_plant *p)
{
	struct zbud_page *d = zbf_pick_desc(p->pool, p->arg >> 4, ONE_BUDDY);

	if (!d)
		return false;
	move_buddy(p, d, &p->pool->buddied);
	return true;
}

/* The page on an unbuddied list for another number of free chunks. */
bool zbf_plant_unbuddied_wrong(struct zb_plant *p)
{
	struct zbud_page *d = p->d;
	unsigned which, n;

	if (!d)
		return false;
	which = d->chunks[FIRST] && d->chunks[LAST] ?
			NCHUNKS :
			BUDDY_CHUNKS - d->chunks[FIRST] - d->chunks[LAST];
	n = 1 + p->arg % (NCHUNKS - 1);
	if (n == which)
		n = n % (NCHUNKS - 1) + 1;
	move_buddy(p, d, &p->pool->unbuddied[n]);
	return true;
}

bool zbf_plant_off_buddy(struct zb_plant *p)
{
	if (!p->d)
		return false;
	unlink_node(p->log, &p->d->buddy);
	return true;
}

bool zbf_plant_off_lru(struct zb_plant *p)
{
	if (!p->d)
		return false;
	unlink_node(p->log, &p->d->lru);
	return true;
}

/* ---- the slot table ---- */

/* A free slot with a state no slot has, or with maps. */
bool zbf_plant_slot_state(struct zb_plant *p)
{
	uint32_t n, last, i = free_slot(p->pool, p->arg >> 1, &n, &last);

	if (i == SLOT_NONE)
		return false;
	if (p->arg & 1)
		FM_PATCH(p->log, p->pool->slots[i].state,
			 (uint8_t)(2 + (p->arg >> 8) % 250));
	else
		FM_PATCH(p->log, p->pool->slots[i].maps,
			 (uint16_t)(1 + (p->arg >> 8)));
	return true;
}

bool zbf_plant_slot_used(struct zb_plant *p)
{
	uint32_t n, last, i = free_slot(p->pool, p->arg, &n, &last);

	if (i == SLOT_NONE)
		return false;
	FM_PATCH(p->log, p->pool->slots[i].state, (uint8_t)SLOT_USED);
	return true;
}

/* The chain leading past the table, into a used slot, from its last slot
 * back to its first, or from a head past the table. */
bool zbf_plant_chain_bad(struct zb_plant *p)
{
	struct zbud_pool *pool = p->pool;
	uint32_t n, last = SLOT_NONE,
		    i = free_slot(pool, p->arg >> 4, &n, &last);

	if (i == SLOT_NONE)
		return false;
	if (p->v == 0)
		FM_PATCH(p->log, pool->slots[i].desc,
			 pool->slot_hw + (p->arg >> 8));
	else if (p->v == 1 && p->s)
		FM_PATCH(p->log, pool->slots[i].desc, p->d->slot[p->bud]);
	else if (p->v == 2)
		FM_PATCH(p->log, pool->slots[last].desc, pool->slot_free);
	else
		FM_PATCH(p->log, pool->slot_free,
			 pool->slot_hw + (p->arg >> 8));
	return true;
}

/* The chain's head dropped, or the chain cut after a slot. */
bool zbf_plant_chain_short(struct zb_plant *p)
{
	struct zbud_pool *pool = p->pool;
	uint32_t n, last = SLOT_NONE,
		    i = free_slot(pool, p->arg >> 4, &n, &last);

	if (i == SLOT_NONE)
		return false;
	if (i == last)
		FM_PATCH(p->log, pool->slot_free,
			 pool->slots[pool->slot_free].desc);
	else
		FM_PATCH(p->log, pool->slots[i].desc, (uint32_t)SLOT_NONE);
	return true;
}

/* ---- the descriptor stack ---- */

bool zbf_plant_desc_count(struct zb_plant *p)
{
	struct zbud_pool *pool = p->pool;

	if (p->v == 3 && pool->ndesc_free)
		FM_PATCH(p->log, pool->ndesc_free, pool->ndesc_free - 1);
	else
		FM_PATCH(p->log, pool->ndesc_free, pool->ndesc_free + 1 + p->v);
	return true;
}

/* A free stack entry naming an index in use, one listed twice, or one
 * beyond the table. */
bool zbf_plant_desc_stack(struct zb_plant *p)
{
	struct zbud_pool *pool = p->pool;
	uint32_t i, n;

	if (!pool->ndesc_free)
		return false;
	i = (p->arg >> 4) % pool->ndesc_free;
	if (p->v == 1 && p->d) {
		FM_PATCH(p->log, pool->desc_free[i], p->d->idx);
	} else if (p->v == 2 && pool->ndesc_free > 1) {
		n = (i + 1 + (p->arg >> 8)) % pool->ndesc_free;
		if (n == i)
			n = (i + 1) % pool->ndesc_free;
		FM_PATCH(p->log, pool->desc_free[i], pool->desc_free[n]);
	} else {
		FM_PATCH(p->log, pool->desc_free[i],
			 pool->desc_hw + (p->arg >> 8));
	}
	return true;
}
