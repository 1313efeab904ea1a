/* SPDX-License-Identifier: MIT */
/*
 * fuzz/zsmalloc_fuzz/zs_corrupt.h - what the files of op corrupt share: the
 * planting under way and the table of planters, one per kind.
 *
 * Op corrupt (zs_corrupt.c) picks a kind by the input's byte and runs its
 * planter, which writes what makes one finding of zs_pool_check true; the
 * table names the finding each must cause.  The planters are split by what
 * they break: zspages, their objects and pages (zs_corrupt_zspages.c), the
 * blocks of shared zspages and the shards' free-space indexes
 * (zs_corrupt_spans.c), the fullness lists and the counters of shards and
 * the pool (zs_corrupt_lists.c), the handle and zspage descriptor tables
 * (zs_corrupt_tables.c), and the shards' recycle bins and kept huge pages
 * (zs_corrupt_recycle.c).
 */
#ifndef ZS_FUZZ_ZS_CORRUPT_H
#define ZS_FUZZ_ZS_CORRUPT_H

#include <stdbool.h>
#include <stdint.h>

#include "fuzz/common/fuzz.h"
#include "fuzz/zsmalloc_fuzz/zs_fuzz.h"
#include "zs/gaps.h"

/* Gap links a planting may change through the free-space index's own
 * calls, at most (a zspage's gaps taken out of the index: two neighbours'
 * links per gap). */
#define ZSF_LINKS_MAX 64

/* A planting under way.  Shard writes are made under the shard lock, as
 * the pool's own writers make them. */
struct zs_plant {
	struct fm_plant base; /* the undo log, the finding, the checker */
	struct fm_patch_log *log; /* &base.log */
	struct zs_fuzz *f;
	struct zs_pool *pool;
	uint16_t sel; /* picks the place and the variant */
	struct zs_shard *sh; /* the shard sel names (not locked) */
	struct corrupt_target t; /* what zsf_plant_pick picked */
	struct zs_shard *locked; /* t's shard, unlocked once judged */
	/* A planting that changes a shard's free-space index with its own
	 * calls (zs_gaps_remove, zs_gaps_insert) saves the index whole and
	 * logs every gap link those calls may write (zsf_plant_save_index,
	 * zsf_plant_log_links); zsf_op_corrupt puts them back. */
	struct zs_shard *index_sh;
	/* A planting that redescribes a page through the arena's own call
	 * (zs_arena_set_page_owner) names it here with the cookie to give it
	 * back (index 0, movable: a huge object's page); zsf_op_corrupt
	 * restores it the same way. */
	void *owner_page;
	uint32_t owner_cookie;
	struct zs_gaps index;
	unsigned nlinks;
	struct {
		struct zs_gap_links *at;
		struct zs_gap_links old;
	} links[ZSF_LINKS_MAX];
};

/* Picks a target that fits `want` into p->t (zsf_pick_target); its shard
 * stays locked until the planting is judged.  false when there is none. */
bool zsf_plant_pick(struct zs_plant *p, int want);

/* A gap of a shared zspage of at least min_units, picked by p->sel, into
 * *zsp, *unit, *units; its shard locked (p->locked) until the planting is
 * judged.  false (nothing locked) when no shard has one. */
bool zsf_plant_pick_gap(struct zs_plant *p, unsigned min_units,
			struct zspage **zsp, unsigned *unit, unsigned *units);
/* The same among the gaps a block follows: a zspage's last gap has no
 * footer (zs/span.h). */
bool zsf_plant_pick_inner_gap(struct zs_plant *p, unsigned min_units,
			      struct zspage **zsp, unsigned *unit,
			      unsigned *units);

/* Before a planting changes sh's index with the index's own calls: the
 * index saved whole (once), and the links of gap ref (none for
 * ZS_GAP_NONE) logged.  false when the links log is full (nothing
 * logged). */
void zsf_plant_save_index(struct zs_plant *p, struct zs_shard *sh);
bool zsf_plant_log_links(struct zs_plant *p, uint32_t ref);

/* A huge object's page redescribed through the arena's own call as
 * (this pool, cookie, index 0, movable), logged so that zsf_op_corrupt
 * gives it old_cookie back the same way (one page a planting). */
void zsf_plant_set_page_owner(struct zs_plant *p, void *page, uint32_t cookie,
			      uint32_t old_cookie);

/* The links of gap ref of sh's index. */
struct zs_gap_links *zsf_gap_links(struct zs_shard *sh, uint32_t ref);

/*
 * One row per kind: the enumerator, the name, the finding zs_pool_check
 * must make, the planter.  The order is the kind byte's meaning in corpus
 * inputs: the first ZSF_POOL_KINDS_V1 rows were numbered when pools had
 * size classes and keep their places where the concept survived the
 * shared-zspage layout (a class index became a shard, a fresh mark the
 * huge flag and, once huge objects lost their zspages, a shard's count of
 * huge objects, a slot the object names wrongly the span walk's object
 * slot finding, a free list's breakage a gap's tag and footer); the kind
 * bytes after them are zs_arena_check's (zs_arena_corrupt.c); the rows
 * from ZSF_POOL_KINDS_V1 to ZSF_POOL_KINDS_V2 take the bytes after those
 * (the span walk's and the free-space index's findings, added with the
 * layout), and the rows from ZSF_POOL_KINDS_V2 on (a zspage's pages in
 * use, added when zspages grew in place) the bytes after the arena's later
 * kinds.  A planter returns false, having written nothing, when the pool's
 * state has no place for its kind (an empty pool has no zspage to break).
 */
#define ZSF_POOL_PLANTERS(X)                                                   \
	X(CK_NOT_LIVE, "zspage not live", ZS_FINDING_POOL_ZSPAGE_NOT_LIVE,     \
	  zsf_plant_not_live)                                                  \
	X(CK_SHARD, "zspage shard", ZS_FINDING_POOL_ZSPAGE_SHARD,              \
	  zsf_plant_shard)                                                     \
	X(CK_FULLNESS, "fullness group",                                       \
	  ZS_FINDING_POOL_ZSPAGE_RECORDED_GROUP, zsf_plant_fullness)           \
	X(CK_EMPTY_KEPT, "empty zspage kept",                                  \
	  ZS_FINDING_POOL_ZSPAGE_EMPTY_NOT_FREED, zsf_plant_empty_kept)        \
	X(CK_HUGE_COUNT, "huge count", ZS_FINDING_POOL_HUGE_COUNT,             \
	  zsf_plant_huge_count)                                                \
	X(CK_SLOT_BEYOND, "tag names a slot beyond the table",                 \
	  ZS_FINDING_POOL_SPAN_OBJECT_SLOT, zsf_plant_slot_beyond)             \
	X(CK_SLOT_FREE, "tag names a free slot",                               \
	  ZS_FINDING_POOL_SPAN_OBJECT_SLOT, zsf_plant_slot_free)               \
	X(CK_LOC, "slot location", ZS_FINDING_POOL_SPAN_OBJECT_SLOT,           \
	  zsf_plant_loc)                                                       \
	X(CK_HUGE_SLOT, "huge object's slot", ZS_FINDING_POOL_HUGE_SLOT,       \
	  zsf_plant_huge_slot)                                                 \
	X(CK_MOVING, "moving at rest", ZS_FINDING_POOL_SLOT_MOVING_AT_REST,    \
	  zsf_plant_moving)                                                    \
	X(CK_BAD_TAG, "tag neither an object's nor a gap's",                   \
	  ZS_FINDING_POOL_SPAN_BAD_TAG, zsf_plant_bad_tag)                     \
	X(CK_FOOTER, "gap footer", ZS_FINDING_POOL_SPAN_FOOTER,                \
	  zsf_plant_footer)                                                    \
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
	X(CK_LIVE, "shard object count", ZS_FINDING_POOL_SHARD_OBJECT_COUNT,   \
	  zsf_plant_live)                                                      \
	X(CK_UNITS, "shard unit count", ZS_FINDING_POOL_SHARD_UNIT_COUNT,      \
	  zsf_plant_units)                                                     \
	X(CK_BYTES, "shard bytes", ZS_FINDING_POOL_SHARD_BYTE_COUNT,           \
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
	  ZS_FINDING_POOL_ARENA_PAGE_COUNT, zsf_plant_arena_pages)             \
	X(CK_PAST_END, "block past the zspage's end",                          \
	  ZS_FINDING_POOL_SPAN_PAST_END, zsf_plant_past_end)                   \
	X(CK_GAPS_ADJACENT, "two gaps side by side",                           \
	  ZS_FINDING_POOL_SPAN_GAPS_ADJACENT, zsf_plant_gaps_adjacent)         \
	X(CK_PREV_GAP_BIT, "prev_gap bit", ZS_FINDING_POOL_SPAN_PREV_GAP_BIT,  \
	  zsf_plant_prev_gap_bit)                                              \
	X(CK_INDEX_TOTALS, "gap left out of the index",                        \
	  ZS_FINDING_POOL_SPAN_INDEX_TOTALS, zsf_plant_index_totals)           \
	X(CK_GAP_ROW_MAP, "gap row map", ZS_FINDING_POOL_GAP_ROW_MAP,          \
	  zsf_plant_gap_row_map)                                               \
	X(CK_GAP_LIST_MAP, "gap list map", ZS_FINDING_POOL_GAP_LIST_MAP,       \
	  zsf_plant_gap_list_map)                                              \
	X(CK_GAP_NOT_A_GAP, "gap list link to no gap",                         \
	  ZS_FINDING_POOL_GAP_NOT_A_GAP, zsf_plant_gap_not_a_gap)              \
	X(CK_GAP_BACK_LINK, "gap back link", ZS_FINDING_POOL_GAP_BACK_LINK,    \
	  zsf_plant_gap_back_link)                                             \
	X(CK_GAP_WRONG_LIST, "gap in the wrong list",                          \
	  ZS_FINDING_POOL_GAP_WRONG_LIST, zsf_plant_gap_wrong_list)            \
	X(CK_GAP_LISTS_LONG, "gap count below the lists",                      \
	  ZS_FINDING_POOL_GAP_LISTS_TOO_LONG, zsf_plant_gap_lists_long)        \
	X(CK_GAP_TOTALS, "gap index totals", ZS_FINDING_POOL_GAP_TOTALS,       \
	  zsf_plant_gap_totals)                                                \
	X(CK_ZSPAGE_PAGES, "zspage pages", ZS_FINDING_POOL_ZSPAGE_PAGES,       \
	  zsf_plant_zspage_pages)                                              \
	X(CK_RECYCLE_LINK, "recycle bin link",                                 \
	  ZS_FINDING_POOL_RECYCLE_BIN_BROKEN, zsf_plant_recycle_link)          \
	X(CK_RECYCLE_COUNT, "recycle counts", ZS_FINDING_POOL_RECYCLE_COUNT,   \
	  zsf_plant_recycle_count)                                             \
	X(CK_ZSPAGE_RECYCLED, "zspage recycled count",                         \
	  ZS_FINDING_POOL_ZSPAGE_RECYCLED, zsf_plant_zspage_recycled)          \
	X(CK_RECYCLE_DEPTH, "recycle bin depth",                               \
	  ZS_FINDING_POOL_RECYCLE_DEPTH, zsf_plant_recycle_depth)              \
	X(CK_HUGE_KEPT_LINK, "kept huge page link",                            \
	  ZS_FINDING_POOL_HUGE_KEPT_LINK, zsf_plant_huge_kept_link)            \
	X(CK_HUGE_KEPT_COUNT, "kept huge page count",                          \
	  ZS_FINDING_POOL_HUGE_KEPT_COUNT, zsf_plant_huge_kept_count)          \
	X(CK_RECYCLE_SHARE, "recycle share", ZS_FINDING_POOL_RECYCLE_SHARE,    \
	  zsf_plant_recycle_share)

/* Rows numbered before the shared-zspage layout: kind bytes 0 .. 40 are
 * these rows, 41 .. 65 the arena's first 25 kinds, 66 .. 76 the rows after
 * these up to ZSF_POOL_KINDS_V2, 77 .. 80 the arena's later kinds
 * (zs_fuzz.h, ZSF_ARENA_KINDS_V1), and the rows from ZSF_POOL_KINDS_V2 on
 * (added once zspages grew in place) the bytes from 81.
 * tools/fuzz/gen_seed_corpus.py reads these lines. */
#define ZSF_POOL_KINDS_V1 41
#define ZSF_POOL_KINDS_V2 52
/* The rows before the recycle bins' (tools/fuzz/gen_seed_corpus.py keeps
 * the seeds written before them as they were). */
#define ZSF_POOL_KINDS_V3 53

#define ZSF_PLANTER_ENUM_(kind, name, finding, plant) kind,
#define ZSF_PLANTER_DECL_(kind, name, finding, plant) \
	bool plant(struct zs_plant *p);

enum zsf_pool_kind { ZSF_POOL_PLANTERS(ZSF_PLANTER_ENUM_) CK_KINDS };

ZSF_POOL_PLANTERS(ZSF_PLANTER_DECL_)

#endif /* ZS_FUZZ_ZS_CORRUPT_H */
