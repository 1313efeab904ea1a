/* SPDX-License-Identifier: MIT */
/*
 * fuzz/zbud_fuzz/zbud_corrupt.h - what the files of zbud's op corrupt
 * share: the planting under way and the table of planters, one per
 * zbud_pool_check finding.
 *
 * Op corrupt (zbud_corrupt.c) picks a kind by the input's byte and runs its
 * planter under the pool lock; the table names the finding each must
 * cause.  The planters are split by what they break: one page, its buddies
 * and the arena's view of it (zbud_corrupt_pages.c), and the lists, the
 * slot table and the descriptor stack with the counts that tie them
 * together (zbud_corrupt_lists.c).
 */
#ifndef ZS_FUZZ_ZBUD_CORRUPT_H
#define ZS_FUZZ_ZBUD_CORRUPT_H

#include <stdbool.h>
#include <stdint.h>

#include "fuzz/common/fuzz.h"
#include "zs/zbud.h"

struct zbud_page;
struct slot;

/* A planting under way (pool lock held). */
struct zb_plant {
	struct fm_plant base; /* the undo log, the finding, the checker */
	struct fm_patch_log *log; /* &base.log */
	struct zbud_pool *pool;
	uint16_t arg; /* picks the place and the variant */
	unsigned v; /* (arg >> 2) & 3, most planters' variant */
	struct zbud_page *d; /* a live page chosen by arg, or NULL */
	int bud; /* a live buddy of d */
	struct slot *s; /* its handle slot, NULL when d is NULL */
};

enum zb_page_pick { ANY_PAGE, ONE_BUDDY };

/* The sel-th live descriptor of a kind (by index), or NULL; lock held. */
struct zbud_page *zbf_pick_desc(struct zbud_pool *pool, unsigned sel,
				enum zb_page_pick which);

/*
 * One row per kind: the enumerator, the name, the finding zbud_pool_check
 * must make, the planter.  The order is the kind byte's meaning in corpus
 * inputs: the checker's order for the first 26, then the three arena kinds
 * added after them.  A planter returns false, having written nothing, when
 * the pool's state has no place for its kind (no page, no free slot, ...).
 */
#define ZBF_PLANTERS(X)                                                       \
	X(CK_DESC_IDX, "descriptor index", ZS_FINDING_ZBUD_DESCRIPTOR_ID,     \
	  zbf_plant_desc_idx)                                                 \
	X(CK_PAGE_ADDR, "page address", ZS_FINDING_ZBUD_PAGE_ADDRESS,         \
	  zbf_plant_page_addr)                                                \
	X(CK_HEADER, "header chunk", ZS_FINDING_ZBUD_PAGE_HEADER_OVERWRITTEN, \
	  zbf_plant_header)                                                   \
	X(CK_OVERLAP, "buddies overlap", ZS_FINDING_ZBUD_BUDDIES_OVERLAP,     \
	  zbf_plant_overlap)                                                  \
	X(CK_FREE_BUD_SLOT, "free buddy's slot",                              \
	  ZS_FINDING_ZBUD_FREE_BUDDY_SLOT, zbf_plant_free_bud_slot)           \
	X(CK_SLOT_RANGE, "slot beyond table",                                 \
	  ZS_FINDING_ZBUD_BUDDY_SLOT_BEYOND_TABLE, zbf_plant_slot_range)      \
	X(CK_SLOT_ELSEWHERE, "slot elsewhere",                                \
	  ZS_FINDING_ZBUD_BUDDY_SLOT_ELSEWHERE, zbf_plant_slot_elsewhere)     \
	X(CK_SLOT_SIZE, "slot size", ZS_FINDING_ZBUD_BUDDY_CHUNKS,            \
	  zbf_plant_slot_size)                                                \
	X(CK_MAPS, "map count", ZS_FINDING_ZBUD_PAGE_MAP_COUNT,               \
	  zbf_plant_maps)                                                     \
	X(CK_EMPTY, "empty page kept",                                        \
	  ZS_FINDING_ZBUD_PAGE_EMPTY_NOT_RELEASED, zbf_plant_empty)           \
	X(CK_COUNTS, "pool counts", ZS_FINDING_ZBUD_PAGE_OBJECT_COUNT,        \
	  zbf_plant_counts)                                                   \
	X(CK_UNBUDDIED0, "unbuddied list 0",                                  \
	  ZS_FINDING_ZBUD_UNBUDDIED_ZERO_NOT_EMPTY, zbf_plant_unbuddied0)     \
	X(CK_LINKS, "broken links", ZS_FINDING_ZBUD_LIST_BROKEN_LINKS,        \
	  zbf_plant_links)                                                    \
	X(CK_ALIEN, "alien entry", ZS_FINDING_ZBUD_LIST_ENTRY_NOT_LIVE,       \
	  zbf_plant_alien)                                                    \
	X(CK_LOOP, "list loop", ZS_FINDING_ZBUD_LIST_PAGE_TWICE,              \
	  zbf_plant_loop)                                                     \
	X(CK_RECLAIM_LISTED, "listed under reclaim",                          \
	  ZS_FINDING_ZBUD_LIST_PAGE_UNDER_RECLAIM, zbf_plant_reclaim_listed)  \
	X(CK_BUDDIED_FREE, "buddied with a free buddy",                       \
	  ZS_FINDING_ZBUD_BUDDIED_FREE_BUDDY, zbf_plant_buddied_free)         \
	X(CK_UNBUDDIED_WRONG, "wrong unbuddied list",                         \
	  ZS_FINDING_ZBUD_UNBUDDIED_CHUNKS, zbf_plant_unbuddied_wrong)        \
	X(CK_OFF_BUDDY, "off the buddy lists",                                \
	  ZS_FINDING_ZBUD_BUDDY_LIST_COUNT, zbf_plant_off_buddy)              \
	X(CK_OFF_LRU, "off the LRU", ZS_FINDING_ZBUD_LRU_COUNT,               \
	  zbf_plant_off_lru)                                                  \
	X(CK_SLOT_STATE, "free slot state", ZS_FINDING_ZBUD_FREE_SLOT_STATE,  \
	  zbf_plant_slot_state)                                               \
	X(CK_SLOT_USED, "used slot count", ZS_FINDING_ZBUD_USED_SLOT_COUNT,   \
	  zbf_plant_slot_used)                                                \
	X(CK_CHAIN_BAD, "free slot chain",                                    \
	  ZS_FINDING_ZBUD_FREE_SLOT_CHAIN_BROKEN, zbf_plant_chain_bad)        \
	X(CK_CHAIN_SHORT, "free slot chain short",                            \
	  ZS_FINDING_ZBUD_FREE_SLOT_CHAIN_COUNT, zbf_plant_chain_short)       \
	X(CK_DESC_COUNT, "free descriptor count",                             \
	  ZS_FINDING_ZBUD_DESCRIPTOR_COUNT, zbf_plant_desc_count)             \
	X(CK_DESC_STACK, "free descriptor stack",                             \
	  ZS_FINDING_ZBUD_FREE_DESCRIPTOR_STACK, zbf_plant_desc_stack)        \
	X(CK_ARENA_PAGE, "page not in arena",                                 \
	  ZS_FINDING_ZBUD_PAGE_NOT_IN_ARENA, zbf_plant_arena_page)            \
	X(CK_ARENA_DESC, "page descriptor",                                   \
	  ZS_FINDING_ZBUD_PAGE_ARENA_DESCRIPTION, zbf_plant_arena_desc)       \
	X(CK_ARENA_COUNT, "pool pages in arena",                              \
	  ZS_FINDING_ZBUD_ARENA_PAGE_COUNT, zbf_plant_arena_count)

#define ZBF_PLANTER_ENUM_(kind, name, finding, plant) kind,
#define ZBF_PLANTER_DECL_(kind, name, finding, plant) \
	bool plant(struct zb_plant *p);

enum zbf_kind { ZBF_PLANTERS(ZBF_PLANTER_ENUM_) CK_KINDS };

ZBF_PLANTERS(ZBF_PLANTER_DECL_)

#endif /* ZS_FUZZ_ZBUD_CORRUPT_H */
