/* SPDX-License-Identifier: MIT */
/*
 * zs/findings.h - the name of everything zs can report.
 *
 * Each report zs makes (a checker's finding, the line before an abort on
 * corruption, the abort itself, a misuse it refuses) has one kind, and each
 * kind is reported from exactly one place in the library.  The report hook
 * (zs/report.h) receives the kind beside the text, so a program or a test
 * can act on what was found without parsing words that are meant for
 * people.  Kinds are grouped by who reports them:
 *
 *   ZS_FINDING_POOL_*   zs_pool_check() (zs/zsmalloc.h), returning -EUCLEAN
 *   ZS_FINDING_ZBUD_*   zbud_pool_check() (zs/zbud.h), returning -EUCLEAN
 *   ZS_FINDING_ARENA_*  zs_arena_check() (zs/arena.h), returning -EUCLEAN,
 *                       and ZS_FINDING_ARENA_DESTROY_BUSY, zs_arena_destroy()
 *                       refusing an arena with pages in use (-EBUSY)
 *   ZS_FINDING_ABORT_*  corruption found during an operation; the next
 *                       report is ZS_FINDING_CORRUPTION_ABORT, then abort()
 */
#ifndef ZS_FINDINGS_H
#define ZS_FINDINGS_H

#ifdef __cplusplus
extern "C" {
#endif

/* The list, as an X-macro so that names, formats and tests are all built
 * from it and a kind cannot be added to one and forgotten in another. */
#define ZS_FINDINGS(X)                                     \
	/* zs_pool_check */                                \
	X(ZS_FINDING_POOL_PAGE_NOT_IN_ARENA)               \
	X(ZS_FINDING_POOL_PAGE_ARENA_DESCRIPTION)          \
	X(ZS_FINDING_POOL_ZSPAGE_NOT_LIVE)                 \
	X(ZS_FINDING_POOL_ZSPAGE_SHARD)                    \
	X(ZS_FINDING_POOL_HUGE_COUNT)                      \
	X(ZS_FINDING_POOL_ZSPAGE_RECORDED_GROUP)           \
	X(ZS_FINDING_POOL_ZSPAGE_IMPLIED_GROUP)            \
	X(ZS_FINDING_POOL_ZSPAGE_EMPTY_NOT_FREED)          \
	X(ZS_FINDING_POOL_HUGE_SLOT)                       \
	X(ZS_FINDING_POOL_SLOT_MOVING_AT_REST)             \
	X(ZS_FINDING_POOL_ZSPAGE_INUSE_COUNT)              \
	X(ZS_FINDING_POOL_ZSPAGE_PAGES)                    \
	X(ZS_FINDING_POOL_ZSPAGE_RECYCLED)                 \
	X(ZS_FINDING_POOL_FREE_SLOT_LIST_BROKEN)           \
	X(ZS_FINDING_POOL_FRESH_BATCH_RANGE)               \
	X(ZS_FINDING_POOL_FRESH_SLOT_USED)                 \
	X(ZS_FINDING_POOL_HANDLE_CHUNK)                    \
	X(ZS_FINDING_POOL_HANDLE_CHUNK_COUNT)              \
	X(ZS_FINDING_POOL_FREE_SLOT_STATE)                 \
	X(ZS_FINDING_POOL_LIVE_SLOT_COUNT)                 \
	X(ZS_FINDING_POOL_SLOT_LEAK)                       \
	X(ZS_FINDING_POOL_RECYCLE_BIN_BROKEN)              \
	X(ZS_FINDING_POOL_RECYCLE_COUNT)                   \
	X(ZS_FINDING_POOL_RECYCLE_DEPTH)                   \
	X(ZS_FINDING_POOL_HUGE_KEPT_LINK)                  \
	X(ZS_FINDING_POOL_HUGE_KEPT_COUNT)                 \
	X(ZS_FINDING_POOL_RECYCLE_SHARE)                   \
	X(ZS_FINDING_POOL_ZSPAGE_CHUNK)                    \
	X(ZS_FINDING_POOL_ZSPAGE_CHUNK_COUNT)              \
	X(ZS_FINDING_POOL_DESCRIPTOR_ID)                   \
	X(ZS_FINDING_POOL_LIVE_DESCRIPTOR_COUNT)           \
	X(ZS_FINDING_POOL_DESCRIPTOR_FREE_LIST_BROKEN)     \
	X(ZS_FINDING_POOL_DESCRIPTOR_LEAK)                 \
	X(ZS_FINDING_POOL_ARENA_PAGE_COUNT)                \
	X(ZS_FINDING_POOL_FULLNESS_LIST_BACK_LINK)         \
	X(ZS_FINDING_POOL_FULLNESS_LIST_TOO_LONG)          \
	X(ZS_FINDING_POOL_GROUP_COUNT)                     \
	X(ZS_FINDING_POOL_ISOLATED_LIST_BROKEN)            \
	X(ZS_FINDING_POOL_SHARD_OBJECT_COUNT)              \
	X(ZS_FINDING_POOL_SHARD_UNIT_COUNT)                \
	X(ZS_FINDING_POOL_SHARD_BYTE_COUNT)                \
	X(ZS_FINDING_POOL_ZSPAGE_COUNT)                    \
	X(ZS_FINDING_POOL_PAGE_COUNT)                      \
	/* zs_pool_check's free-space index (zs/gaps.c) */ \
	X(ZS_FINDING_POOL_GAP_ROW_MAP)                     \
	X(ZS_FINDING_POOL_GAP_LIST_MAP)                    \
	X(ZS_FINDING_POOL_GAP_NOT_A_GAP)                   \
	X(ZS_FINDING_POOL_GAP_BACK_LINK)                   \
	X(ZS_FINDING_POOL_GAP_WRONG_LIST)                  \
	X(ZS_FINDING_POOL_GAP_LISTS_TOO_LONG)              \
	X(ZS_FINDING_POOL_GAP_TOTALS)                      \
	/* zs_pool_check's zspage walk (zs/span.c) */      \
	X(ZS_FINDING_POOL_SPAN_BAD_TAG)                    \
	X(ZS_FINDING_POOL_SPAN_PAST_END)                   \
	X(ZS_FINDING_POOL_SPAN_GAPS_ADJACENT)              \
	X(ZS_FINDING_POOL_SPAN_FOOTER)                     \
	X(ZS_FINDING_POOL_SPAN_PREV_GAP_BIT)               \
	X(ZS_FINDING_POOL_SPAN_OBJECT_SLOT)                \
	X(ZS_FINDING_POOL_SPAN_INDEX_TOTALS)               \
	/* zbud_pool_check */                              \
	X(ZS_FINDING_ZBUD_LIST_BROKEN_LINKS)               \
	X(ZS_FINDING_ZBUD_LIST_ENTRY_NOT_LIVE)             \
	X(ZS_FINDING_ZBUD_LIST_PAGE_TWICE)                 \
	X(ZS_FINDING_ZBUD_LIST_PAGE_UNDER_RECLAIM)         \
	X(ZS_FINDING_ZBUD_BUDDIED_FREE_BUDDY)              \
	X(ZS_FINDING_ZBUD_UNBUDDIED_CHUNKS)                \
	X(ZS_FINDING_ZBUD_PAGE_ADDRESS)                    \
	X(ZS_FINDING_ZBUD_PAGE_NOT_IN_ARENA)               \
	X(ZS_FINDING_ZBUD_PAGE_ARENA_DESCRIPTION)          \
	X(ZS_FINDING_ZBUD_PAGE_HEADER_OVERWRITTEN)         \
	X(ZS_FINDING_ZBUD_BUDDIES_OVERLAP)                 \
	X(ZS_FINDING_ZBUD_FREE_BUDDY_SLOT)                 \
	X(ZS_FINDING_ZBUD_BUDDY_SLOT_BEYOND_TABLE)         \
	X(ZS_FINDING_ZBUD_BUDDY_SLOT_ELSEWHERE)            \
	X(ZS_FINDING_ZBUD_BUDDY_CHUNKS)                    \
	X(ZS_FINDING_ZBUD_PAGE_MAP_COUNT)                  \
	X(ZS_FINDING_ZBUD_PAGE_EMPTY_NOT_RELEASED)         \
	X(ZS_FINDING_ZBUD_DESCRIPTOR_ID)                   \
	X(ZS_FINDING_ZBUD_PAGE_OBJECT_COUNT)               \
	X(ZS_FINDING_ZBUD_UNBUDDIED_ZERO_NOT_EMPTY)        \
	X(ZS_FINDING_ZBUD_BUDDY_LIST_COUNT)                \
	X(ZS_FINDING_ZBUD_LRU_COUNT)                       \
	X(ZS_FINDING_ZBUD_FREE_SLOT_STATE)                 \
	X(ZS_FINDING_ZBUD_USED_SLOT_COUNT)                 \
	X(ZS_FINDING_ZBUD_FREE_SLOT_CHAIN_BROKEN)          \
	X(ZS_FINDING_ZBUD_FREE_SLOT_CHAIN_COUNT)           \
	X(ZS_FINDING_ZBUD_ARENA_PAGE_COUNT)                \
	X(ZS_FINDING_ZBUD_DESCRIPTOR_COUNT)                \
	X(ZS_FINDING_ZBUD_FREE_DESCRIPTOR_STACK)           \
	/* zs_arena_check */                               \
	X(ZS_FINDING_ARENA_REGION_IN_USE_COUNT)            \
	X(ZS_FINDING_ARENA_REGION_EVACUATING)              \
	X(ZS_FINDING_ARENA_PAGE_IN_USE_DIRTY)              \
	X(ZS_FINDING_ARENA_FREE_PAGE_OWNED)                \
	X(ZS_FINDING_ARENA_PAGE_NO_OWNER)                  \
	X(ZS_FINDING_ARENA_PAGE_UNKNOWN_FLAGS)             \
	X(ZS_FINDING_ARENA_PAGE_ISOLATED)                  \
	X(ZS_FINDING_ARENA_RUN_FREE_MARKED)                \
	X(ZS_FINDING_ARENA_RUN_LENGTH)                     \
	X(ZS_FINDING_ARENA_RUN_TAIL_MISSING)               \
	X(ZS_FINDING_ARENA_RUN_PAGE_INDEX)                 \
	X(ZS_FINDING_ARENA_RUN_ORPHAN_TAIL)                \
	X(ZS_FINDING_ARENA_REGION_LIMITS)                  \
	X(ZS_FINDING_ARENA_ADDRESS_ENTRY_UNUSED)           \
	X(ZS_FINDING_ARENA_REGION_SLOT_ID)                 \
	X(ZS_FINDING_ARENA_ADDRESS_ORDER)                  \
	X(ZS_FINDING_ARENA_FREE_BELOW_HINT)                \
	X(ZS_FINDING_ARENA_REGION_BEYOND_LIMIT)            \
	X(ZS_FINDING_ARENA_REGION_COUNT)                   \
	X(ZS_FINDING_ARENA_PAGE_COUNTS)                    \
	X(ZS_FINDING_ARENA_RETAINED_UNCLOCKED)             \
	X(ZS_FINDING_ARENA_OWNER_PAGE_COUNT)               \
	X(ZS_FINDING_ARENA_OWNER_BUSY)                     \
	X(ZS_FINDING_ARENA_OWNER_MOVING_PAGES)             \
	X(ZS_FINDING_ARENA_RECORD_TABLE)                   \
	X(ZS_FINDING_ARENA_RECORD_FREE_LIST)               \
	X(ZS_FINDING_ARENA_RUN_RECORD_RANGE)               \
	X(ZS_FINDING_ARENA_RUN_RECORD_SHARED)              \
	X(ZS_FINDING_ARENA_RECORD_COUNT)                   \
	X(ZS_FINDING_ARENA_OWNER_BEYOND_LIMIT)             \
	/* zs_arena_destroy, refused */                    \
	X(ZS_FINDING_ARENA_DESTROY_BUSY)                   \
	/* corruption met during an operation */           \
	X(ZS_FINDING_ABORT_ARENA_FREE_PAGE_NOT_ALLOCATED)  \
	X(ZS_FINDING_ABORT_ARENA_FREE_PAGES_NOT_ALLOCATED) \
	X(ZS_FINDING_ABORT_ARENA_FREE_RUN_NOT_ALLOCATED)   \
	X(ZS_FINDING_ABORT_ARENA_FREE_PAGE_IN_RUN)         \
	X(ZS_FINDING_ABORT_COMPACT_BACK_POINTER)           \
	X(ZS_FINDING_ABORT_POOL_FREE_HANDLE_SLOT)          \
	X(ZS_FINDING_ABORT_POOL_FREE_HUGE_PAGE)            \
	X(ZS_FINDING_ABORT_POOL_RECYCLE_LINK)              \
	X(ZS_FINDING_ABORT_POOL_RECYCLE_DEPTH)             \
	X(ZS_FINDING_ABORT_POOL_HUGE_KEPT_LINK)            \
	X(ZS_FINDING_ABORT_ZBUD_UNMAP_NO_MAPPED_SLOT)      \
	X(ZS_FINDING_ABORT_SPAN_TAG)                       \
	/* and the abort that follows each of them */      \
	X(ZS_FINDING_CORRUPTION_ABORT)

#define ZS_FINDING_ENUM_(kind) kind,

enum zs_finding {
	ZS_FINDING_NONE = 0,
	ZS_FINDINGS(ZS_FINDING_ENUM_) ZS_FINDING_COUNT
};

#undef ZS_FINDING_ENUM_

/**
 * zs_finding_name() - the kind's name as written in this header.
 * @kind: a kind, ZS_FINDING_NONE < kind < ZS_FINDING_COUNT.
 *
 * Context: any; the string is static.
 * Return: e.g. "ZS_FINDING_POOL_PAGE_NOT_IN_ARENA", or NULL with errno
 * EINVAL for ZS_FINDING_NONE and anything not a kind.
 */
const char *zs_finding_name(enum zs_finding kind);

#ifdef __cplusplus
}
#endif

#endif /* ZS_FINDINGS_H */
