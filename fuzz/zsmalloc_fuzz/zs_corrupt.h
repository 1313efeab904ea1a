/* SPDX-License-Identifier: MIT */
/*
 * fuzz/zsmalloc_fuzz/zs_corrupt.h - what the files of op corrupt share: the
 * planting under way and the table of planters, one per kind.
 *
 * Op corrupt (zs_corrupt.c) picks a kind by the input's byte and runs its
 * planter, which writes what makes one finding of zs_pool_check true; the
 * table names the finding each must cause.  The planters are split by what
 * they break: zspages, their objects and pages (zs_corrupt_zspages.c), the
 * fullness lists and the counters of classes and the pool
 * (zs_corrupt_lists.c), and the handle and zspage descriptor tables
 * (zs_corrupt_tables.c).
 */
#ifndef ZS_FUZZ_ZS_CORRUPT_H
#define ZS_FUZZ_ZS_CORRUPT_H

#include <stdbool.h>
#include <stdint.h>

#include "fuzz/common/fuzz.h"
#include "fuzz/zsmalloc_fuzz/zs_fuzz.h"

/* A planting under way.  Class writes are made under the class lock, as the
 * pool's own writers make them. */
struct zs_plant {
	struct fm_plant base; /* the undo log, the finding, the checker */
	struct fm_patch_log *log; /* &base.log */
	struct zs_fuzz *f;
	struct zs_pool *pool;
	uint16_t sel; /* picks the place and the variant */
	struct size_class *c; /* the class sel names (not locked) */
	struct corrupt_target t; /* what zsf_plant_pick picked */
	struct size_class *locked; /* t's class, unlocked once judged */
};

/* Picks a target that fits `want` into p->t (zsf_pick_target); its class
 * stays locked until the planting is judged.  false when there is none. */
bool zsf_plant_pick(struct zs_plant *p, int want);

/*
 * One row per kind: the enumerator, the name, the finding zs_pool_check
 * must make, the planter.  The order is the kind byte's meaning in corpus
 * inputs: the first 24 in the checker's order as it was when they were
 * numbered, the rest after them in the checker's order.  A planter returns
 * false, having written nothing, when the pool's state has no place for
 * its kind (an empty pool has no zspage to break).
 */
#define ZSF_POOL_PLANTERS(X)                                                   \
	X(CK_NOT_LIVE, "zspage not live", ZS_FINDING_POOL_ZSPAGE_NOT_LIVE,     \
	  zsf_plant_not_live)                                                  \
	X(CK_CLASS_INDEX, "class index", ZS_FINDING_POOL_ZSPAGE_CLASS_INDEX,   \
	  zsf_plant_class_index)                                               \
	X(CK_FULLNESS, "fullness group",                                       \
	  ZS_FINDING_POOL_ZSPAGE_RECORDED_GROUP, zsf_plant_fullness)           \
	X(CK_EMPTY_KEPT, "empty zspage kept",                                  \
	  ZS_FINDING_POOL_ZSPAGE_EMPTY_NOT_FREED, zsf_plant_empty_kept)        \
	X(CK_FRESH, "fresh mark", ZS_FINDING_POOL_ZSPAGE_FRESH_MARK,           \
	  zsf_plant_fresh)                                                     \
	X(CK_SLOT_BEYOND, "slot beyond table",                                 \
	  ZS_FINDING_POOL_OBJECT_SLOT_BEYOND_TABLE, zsf_plant_slot_beyond)     \
	X(CK_SLOT_FREE, "free handle slot", ZS_FINDING_POOL_OBJECT_SLOT_FREE,  \
	  zsf_plant_slot_free)                                                 \
	X(CK_LOC, "slot location", ZS_FINDING_POOL_SLOT_NOT_POINTING_BACK,     \
	  zsf_plant_loc)                                                       \
	X(CK_SIZE_CLASS, "size in other class",                                \
	  ZS_FINDING_POOL_SLOT_WRONG_CLASS, zsf_plant_size_class)              \
	X(CK_MOVING, "moving at rest", ZS_FINDING_POOL_SLOT_MOVING_AT_REST,    \
	  zsf_plant_moving)                                                    \
	X(CK_FREE_BROKEN, "free list broken",                                  \
	  ZS_FINDING_POOL_FREE_LIST_BROKEN, zsf_plant_free_broken)             \
	X(CK_FREE_ALLOCATED, "free list allocated",                            \
	  ZS_FINDING_POOL_FREE_LIST_ALLOCATED, zsf_plant_free_allocated)       \
	X(CK_COUNTS, "zspage counts", ZS_FINDING_POOL_ZSPAGE_INUSE_COUNT,      \
	  zsf_plant_counts)                                                    \
	X(CK_BACK_LINK, "back link", ZS_FINDING_POOL_FULLNESS_LIST_BACK_LINK,  \
	  zsf_plant_back_link)                                                 \
	X(CK_LIST_LONG, "list too long",                                       \
	  ZS_FINDING_POOL_FULLNESS_LIST_TOO_LONG, zsf_plant_list_long)         \
	X(CK_GROUP_COUNT, "group count", ZS_FINDING_POOL_GROUP_COUNT,          \
	  zsf_plant_group_count)                                               \
	X(CK_ISOLATED_LIST, "isolated list",                                   \
	  ZS_FINDING_POOL_ISOLATED_LIST_BROKEN, zsf_plant_isolated_list)       \
	X(CK_ISOLATED_INNER, "inside isolated",                                \
	  ZS_FINDING_POOL_SLOT_MOVING_AT_REST, zsf_plant_isolated_inner)       \
	X(CK_LIVE, "class live count", ZS_FINDING_POOL_CLASS_OBJECT_COUNT,     \
	  zsf_plant_live)                                                      \
	X(CK_ALLOCATED, "class allocated",                                     \
	  ZS_FINDING_POOL_CLASS_ALLOCATED_COUNT, zsf_plant_allocated)          \
	X(CK_BYTES, "class bytes", ZS_FINDING_POOL_CLASS_BYTE_COUNT,           \
	  zsf_plant_bytes)                                                     \
	X(CK_SLOTS_LIVE, "live slots", ZS_FINDING_POOL_LIVE_SLOT_COUNT,        \
	  zsf_plant_slots_live)                                                \
	X(CK_ZSPAGES, "pool zspages", ZS_FINDING_POOL_ZSPAGE_COUNT,            \
	  zsf_plant_zspages)                                                   \
	X(CK_PAGES, "pool pages", ZS_FINDING_POOL_PAGE_COUNT, zsf_plant_pages) \
	X(CK_BELONGS, "fullness implied",                                      \
	  ZS_FINDING_POOL_ZSPAGE_IMPLIED_GROUP, zsf_plant_belongs)             \
	X(CK_PAGE_NOT_ARENA, "page not in arena",                              \
	  ZS_FINDING_POOL_PAGE_NOT_IN_ARENA, zsf_plant_page_not_arena)         \
	X(CK_PAGE_DESC, "page descriptor",                                     \
	  ZS_FINDING_POOL_PAGE_ARENA_DESCRIPTION, zsf_plant_page_desc)         \
	X(CK_HT_CHUNK, "handle chunk", ZS_FINDING_POOL_HANDLE_CHUNK,           \
	  zsf_plant_ht_chunk)                                                  \
	X(CK_HT_NCHUNKS, "handle chunk count",                                 \
	  ZS_FINDING_POOL_HANDLE_CHUNK_COUNT, zsf_plant_ht_nchunks)            \
	X(CK_SLOT_BITS, "free slot state", ZS_FINDING_POOL_FREE_SLOT_STATE,    \
	  zsf_plant_slot_bits)                                                 \
	X(CK_SLOT_LIST, "free slot list",                                      \
	  ZS_FINDING_POOL_FREE_SLOT_LIST_BROKEN, zsf_plant_slot_list)          \
	X(CK_FRESH_RANGE, "fresh range", ZS_FINDING_POOL_FRESH_BATCH_RANGE,    \
	  zsf_plant_fresh_range)                                               \
	X(CK_FRESH_OVERLAP, "fresh overlap", ZS_FINDING_POOL_FRESH_SLOT_USED,  \
	  zsf_plant_fresh_overlap)                                             \
	X(CK_SLOT_LEAK, "slot leaked", ZS_FINDING_POOL_SLOT_LEAK,              \
	  zsf_plant_slot_leak)                                                 \
	X(CK_ZSP_CHUNK, "zspage chunk", ZS_FINDING_POOL_ZSPAGE_CHUNK,          \
	  zsf_plant_zsp_chunk)                                                 \
	X(CK_ZSP_NCHUNKS, "zspage chunk count",                                \
	  ZS_FINDING_POOL_ZSPAGE_CHUNK_COUNT, zsf_plant_zsp_nchunks)           \
	X(CK_DESC_ID, "descriptor id", ZS_FINDING_POOL_DESCRIPTOR_ID,          \
	  zsf_plant_desc_id)                                                   \
	X(CK_DESC_LIVE, "descriptor live",                                     \
	  ZS_FINDING_POOL_LIVE_DESCRIPTOR_COUNT, zsf_plant_desc_live)          \
	X(CK_DESC_FREE_LIST, "descriptor free list",                           \
	  ZS_FINDING_POOL_DESCRIPTOR_FREE_LIST_BROKEN,                         \
	  zsf_plant_desc_free_list)                                            \
	X(CK_DESC_LEAK, "descriptor leaked", ZS_FINDING_POOL_DESCRIPTOR_LEAK,  \
	  zsf_plant_desc_leak)                                                 \
	X(CK_ARENA_PAGES, "pool pages in arena",                               \
	  ZS_FINDING_POOL_ARENA_PAGE_COUNT, zsf_plant_arena_pages)

#define ZSF_PLANTER_ENUM_(kind, name, finding, plant) kind,
#define ZSF_PLANTER_DECL_(kind, name, finding, plant) \
	bool plant(struct zs_plant *p);

enum zsf_pool_kind { ZSF_POOL_PLANTERS(ZSF_PLANTER_ENUM_) CK_KINDS };

ZSF_POOL_PLANTERS(ZSF_PLANTER_DECL_)

#endif /* ZS_FUZZ_ZS_CORRUPT_H */
