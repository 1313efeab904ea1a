/* SPDX-License-Identifier: MIT */
/*
 * zs/finding_formats.h - the words of every report, one format per kind.
 *
 * Not a public header.  Each kind of zs/findings.h has its format here,
 * named <KIND>_FMT, so that ZS_REPORT(KIND, ...) (report_internal.h) can
 * only pair a kind with its own words, printf-checked at the call site.
 * Keeping every format in one file also shows the whole vocabulary at once,
 * each with what most likely happened when it is reported: the question a
 * reader of the log asks first.  Formats leave out the "zs: " that every
 * report starts with and the checker's own prefix ("zs_pool_check(NAME): ",
 * "zbud_pool_check: ", "zs_arena_check: "), which each checker adds.
 */
#ifndef ZS_FINDING_FORMATS_H
#define ZS_FINDING_FORMATS_H

/* ---- zs_pool_check (zs/check.c) ---------------------------------------- */

/* The zspage's base pointer was overwritten, or its run was freed to the
 * arena behind the pool's back. */
#define ZS_FINDING_POOL_PAGE_NOT_IN_ARENA_FMT \
	"run of zspage %u at %p is not allocated in the arena"
/* The arena's description of the run was overwritten, the base points
 * into another run or inside its own, or a migration swung the base to a
 * run described otherwise. */
#define ZS_FINDING_POOL_PAGE_ARENA_DESCRIPTION_FMT                      \
	"run of zspage %u (%u pages) at %p is described as owner %d's " \
	"zspage %u page %u, in a run of %u pages at %p%s"
/* A freed zspage descriptor is still linked into a shard's lists. */
#define ZS_FINDING_POOL_ZSPAGE_NOT_LIVE_FMT "zspage %u in the lists is not live"
/* A zspage was linked into another shard's lists, or its shard field was
 * overwritten (frees would take the wrong lock). */
#define ZS_FINDING_POOL_ZSPAGE_SHARD_FMT \
	"zspage %u in shard %u lists says shard %u"
/* A shard's count of huge objects disagrees with the huge objects whose
 * places name it (the shrinker and the class table read the count). */
#define ZS_FINDING_POOL_HUGE_COUNT_FMT \
	"shard %u holds %lu huge objects but counts %lu"
/* A zspage moved between fullness lists without its recorded group
 * following (list removal would unlink it from the wrong list). */
#define ZS_FINDING_POOL_ZSPAGE_RECORDED_GROUP_FMT \
	"zspage %u records fullness group %u but is in list %u"
/* An allocation or free changed the units in use without regrouping the
 * zspage (compaction would pick the wrong sources). */
#define ZS_FINDING_POOL_ZSPAGE_IMPLIED_GROUP_FMT                        \
	"zspage %u (%u units in use) belongs in fullness group %u but " \
	"is in list %u"
/* The last free of a zspage kept it instead of giving its pages back. */
#define ZS_FINDING_POOL_ZSPAGE_EMPTY_NOT_FREED_FMT \
	"zspage %u is empty but was not freed"
/* A huge object's place was overwritten (it names another page, or none),
 * or its page's arena record was: migration would not find the slot from
 * the page, and a free would not give the page back. */
#define ZS_FINDING_POOL_HUGE_SLOT_FMT                                      \
	"huge object of handle slot %u names page %u at %p, described as " \
	"owner %d's cookie %#x page %u in a run of %u pages%s"
/* A compaction or migration ended without clearing its moving mark; the
 * object's readers would wait forever. */
#define ZS_FINDING_POOL_SLOT_MOVING_AT_REST_FMT \
	"handle slot %u is marked moving at rest"
/* The zspage's object or unit count missed an allocation, a free or a
 * move. */
#define ZS_FINDING_POOL_ZSPAGE_INUSE_COUNT_FMT                    \
	"zspage %u counts %u objects in %u units, holds %llu in " \
	"%llu"
/* A zspage's count of pages in use is outside 1 .. chain_size, or short
 * of the page its blocks reach: a page written but not counted, which a
 * run migration would not copy. */
#define ZS_FINDING_POOL_ZSPAGE_PAGES_FMT \
	"zspage %u counts %u of its %u pages in use, its blocks reach %u"
/* A zspage's count of recycled blocks is not what its walk finds, or
 * every object it holds is one though they fill less than 3/4 of its
 * pages: a block put in a bin without the count, or a zspage that keeps
 * pages for blocks that would fit in fewer. */
#define ZS_FINDING_POOL_ZSPAGE_RECYCLED_FMT                                \
	"zspage %u counts %u recycled blocks of its %u objects (%u units " \
	"in %u pages), holds %lu"
/* A free handle slot's link was overwritten, or a live slot was given
 * back to the free list. */
#define ZS_FINDING_POOL_FREE_SLOT_LIST_BROKEN_FMT \
	"free slot list of shard %u is broken or claims a used slot at %u"
/* A shard's batch of never-used handle slots was overwritten. */
#define ZS_FINDING_POOL_FRESH_BATCH_RANGE_FMT \
	"shard %u holds fresh slots %u..%u of %u"
/* Two shards' fresh batches overlap, or a slot of one was handed out
 * without leaving it. */
#define ZS_FINDING_POOL_FRESH_SLOT_USED_FMT \
	"fresh slot %u of shard %u is also used elsewhere"
/* The handle table grew without its chunk, or a chunk was freed early. */
#define ZS_FINDING_POOL_HANDLE_CHUNK_FMT \
	"handle table chunk %lu is %s for %u slots"
/* The handle table's chunk count missed a growth. */
#define ZS_FINDING_POOL_HANDLE_CHUNK_COUNT_FMT \
	"handle table has %lu chunks for %u slots, counted %lu"
/* A free slot kept a size: a free that left it half done. */
#define ZS_FINDING_POOL_FREE_SLOT_STATE_FMT \
	"free handle slot %u has state bits %#x"
/* A handle slot lives on with no object: a failed call that did not give
 * its slot back. */
#define ZS_FINDING_POOL_LIVE_SLOT_COUNT_FMT \
	"%lu handle slots are live but %lu objects are stored"
/* A handle slot belongs to nobody: leaked by a failed allocation. */
#define ZS_FINDING_POOL_SLOT_LEAK_FMT \
	"%u handle slots, but %lu live and %lu free or fresh: %lu leaked"
/* A recycle bin's link (in a freed block) was overwritten, or a slot
 * was taken from a bin without unlinking it: the next allocation of that
 * footprint would be handed memory that is not free. */
#define ZS_FINDING_POOL_RECYCLE_BIN_BROKEN_FMT                           \
	"recycle bin of %u units of shard %u links handle slot %u, not " \
	"a recycled block of that footprint in the shard"
/* A shard's recycle counters missed a put, a take or a burial. */
#define ZS_FINDING_POOL_RECYCLE_COUNT_FMT                                    \
	"shard %u counts %u recycled blocks and %u buried slots, %u units; " \
	"its bins hold %lu and %lu, %lu units, its zspages %lu blocks"
/* A bin's depth, or the depth levels evictions choose from, missed a
 * put, a take or a burial. */
#define ZS_FINDING_POOL_RECYCLE_DEPTH_FMT                                  \
	"shard %u recycle bin of %u units counts %u blocks, depth levels " \
	"0x%x; it holds %lu, levels 0x%x"
/* A kept huge page's link (its first 4 bytes) was overwritten, or a
 * slot was taken from the stack without unlinking it. */
#define ZS_FINDING_POOL_HUGE_KEPT_LINK_FMT \
	"kept huge pages of shard %u link handle slot %u, not a kept page of the shard"
/* A shard's count of kept huge pages missed a keep or a take. */
#define ZS_FINDING_POOL_HUGE_KEPT_COUNT_FMT                                   \
	"shard %u counts %lu kept huge pages; its stack links %lu, its huge " \
	"slots hold %lu"
/* A free kept a block or a page past the pool's share, or a free for
 * good did not trim what the smaller share no longer allows. */
#define ZS_FINDING_POOL_RECYCLE_SHARE_FMT                                      \
	"shard %u keeps %lu recycled blocks of %lu units and %lu huge pages, " \
	"past its share (%u/64 of %lu object units and %lu huge pages)"
/* The descriptor table grew without its chunk, or a chunk was freed
 * early. */
#define ZS_FINDING_POOL_ZSPAGE_CHUNK_FMT \
	"zspage table chunk %lu is %s for %u descriptors"
/* The descriptor table's chunk count missed a growth. */
#define ZS_FINDING_POOL_ZSPAGE_CHUNK_COUNT_FMT \
	"zspage table has %lu chunks for %u descriptors, counted %lu"
/* A zspage descriptor was overwritten. */
#define ZS_FINDING_POOL_DESCRIPTOR_ID_FMT "zspage descriptor %u says it is %u"
/* A live zspage fell out of its shard's lists, so its objects can never
 * be compacted and its pages never given back. */
#define ZS_FINDING_POOL_LIVE_DESCRIPTOR_COUNT_FMT \
	"%lu zspage descriptors are live, %lu are in the lists"
/* A live descriptor was pushed on the free list, or the list's links were
 * overwritten; a later zspage would share it. */
#define ZS_FINDING_POOL_DESCRIPTOR_FREE_LIST_BROKEN_FMT \
	"zspage descriptor free list is broken at %u"
/* A descriptor belongs to nobody: leaked by a failed zspage creation. */
#define ZS_FINDING_POOL_DESCRIPTOR_LEAK_FMT \
	"%u zspage descriptors, but %lu live and %lu free: %lu leaked"
/* Pages leaked by a failed call, or freed to the arena behind the pool's
 * back. */
#define ZS_FINDING_POOL_ARENA_PAGE_COUNT_FMT \
	"the arena holds %lu pages for the pool's %lu (%u in moves in flight)"
/* A fullness list's links were overwritten, or an unlink was torn. */
#define ZS_FINDING_POOL_FULLNESS_LIST_BACK_LINK_FMT \
	"zspage list %u of shard %u has a broken back link at zspage %u"
/* The pool's zspage count is lower than its lists: a zspage was added
 * without being counted. */
#define ZS_FINDING_POOL_FULLNESS_LIST_TOO_LONG_FMT \
	"zspage list %u of shard %u holds more than the pool's %lu zspages"
/* A zspage moved between fullness lists without the counts following. */
#define ZS_FINDING_POOL_GROUP_COUNT_FMT \
	"shard %u list %u holds %lu zspages, counted %lu"
/* Compaction's set-aside list was overwritten, or a zspage left it
 * without its isolated mark being cleared. */
#define ZS_FINDING_POOL_ISOLATED_LIST_BROKEN_FMT \
	"shard %u: zspage %u is %smarked isolated and %sin the isolated list"
/* The shard's object count missed an allocation or a free. */
#define ZS_FINDING_POOL_SHARD_OBJECT_COUNT_FMT \
	"shard %u holds %lu live objects, counted %lu"
/* The shard's unit or zspage count (what the shrinker's estimate reads)
 * missed an allocation, a free, a move or a zspage made or freed. */
#define ZS_FINDING_POOL_SHARD_UNIT_COUNT_FMT                            \
	"shard %u holds %lu object units in %lu zspages of %lu pages, " \
	"counted %lu in %lu of %lu"
/* The shard's byte count missed an allocation or a free. */
#define ZS_FINDING_POOL_SHARD_BYTE_COUNT_FMT \
	"shard %u holds %llu bytes, counted %llu"
/* The pool's zspage count missed a zspage made or freed. */
#define ZS_FINDING_POOL_ZSPAGE_COUNT_FMT "%lu zspages in the lists, counted %lu"
/* The pool's page count missed a zspage made or freed. */
#define ZS_FINDING_POOL_PAGE_COUNT_FMT "%lu pages in zspages, counted %lu"
/* The free-space index (zs/gaps.c, zs_gaps_check).  A row's bit out of
 * step with its lists: an insert or remove that stopped halfway, and the
 * lists of that row are then never searched, or searched empty. */
#define ZS_FINDING_POOL_GAP_ROW_MAP_FMT \
	"gap row %u: row bit %u, but its lists' map is 0x%04x"
/* A list's bit out of step with its head: a gap never found again, or a
 * search that takes no gap from a list it thinks holds one. */
#define ZS_FINDING_POOL_GAP_LIST_MAP_FMT \
	"gap list %u.%u: map bit %u, head 0x%08x"
/* A link to something that is not a free gap: an object allocated over a
 * gap still indexed, or a link overwritten by a write past an object. */
#define ZS_FINDING_POOL_GAP_NOT_A_GAP_FMT \
	"gap list %u.%u holds 0x%08x, which is no gap"
/* A gap's back link disagrees with the list: a torn unlink, or a link
 * overwritten. */
#define ZS_FINDING_POOL_GAP_BACK_LINK_FMT \
	"gap list %u.%u: gap 0x%08x links back to 0x%08x, not 0x%08x"
/* A gap grew or shrank (a merge, a split) without moving to its list, so
 * a search may take a gap too small for the request. */
#define ZS_FINDING_POOL_GAP_WRONG_LIST_FMT \
	"gap 0x%08x of %u units is in list %u.%u, which holds %u .. %u"
/* The lists hold more gaps than counted: a cycle, or a gap linked in
 * twice. */
#define ZS_FINDING_POOL_GAP_LISTS_TOO_LONG_FMT \
	"gap lists hold more than the %llu gaps counted"
/* The totals missed an insert or remove. */
#define ZS_FINDING_POOL_GAP_TOTALS_FMT \
	"gap lists hold %llu gaps of %llu units; counted %llu of %llu"
/* The zspage walk (zs/span.c, zs_span_check_zspage).  A tag with the gap
 * bit but not a gap's pattern, or a prev-gap bit on a gap: a write past
 * an object's end, or a stray write into free space. */
#define ZS_FINDING_POOL_SPAN_BAD_TAG_FMT \
	"zspage %u unit %u: tag 0x%08x is neither an object's nor a gap's"
/* A block longer than what is left of its zspage: a gap's length or an
 * object's size overwritten. */
#define ZS_FINDING_POOL_SPAN_PAST_END_FMT \
	"zspage %u unit %u: a block of %u units runs past the zspage's %u"
/* Two gaps side by side: a free that did not merge, so the space is
 * split in two gaps that each may be too small for a request. */
#define ZS_FINDING_POOL_SPAN_GAPS_ADJACENT_FMT \
	"zspage %u unit %u: a gap follows a gap (not merged)"
/* A gap's last word differs from its tag: the object after it wrote
 * backwards, or a split left the old footer; a free of that object would
 * then merge with the wrong length. */
#define ZS_FINDING_POOL_SPAN_FOOTER_FMT \
	"zspage %u unit %u: the gap of %u units ends with 0x%08x, not its tag"
/* An object's prev-gap bit disagrees with the block before it: a free or
 * an allocation beside it did not update it, and the next free would
 * read a footer that is not there, or miss a merge. */
#define ZS_FINDING_POOL_SPAN_PREV_GAP_BIT_FMT                         \
	"zspage %u unit %u: the object says the block before is %sa " \
	"gap; it %s"
/* An object names a handle slot that does not hold it: the tag or the
 * slot's location was overwritten, or a free left the tag behind. */
#define ZS_FINDING_POOL_SPAN_OBJECT_SLOT_FMT \
	"zspage %u unit %u: object of slot %u, which holds no live object here"
/* The zspages hold more or fewer indexable gaps than the index: a gap
 * made without being indexed (never found again) or left indexed after
 * an allocation took it. */
#define ZS_FINDING_POOL_SPAN_INDEX_TOTALS_FMT                                \
	"zspages hold %llu gaps of 2 units or more (%llu units), the index " \
	"%llu (%llu)"

/* ---- zbud_pool_check (zs/zbud.c) --------------------------------------- */

/* A list's links were overwritten, or an unlink was torn. */
#define ZS_FINDING_ZBUD_LIST_BROKEN_LINKS_FMT "%s list %u: broken links at %p"
/* A freed page's descriptor is still listed. */
#define ZS_FINDING_ZBUD_LIST_ENTRY_NOT_LIVE_FMT \
	"%s list %u: entry %p is not a live page descriptor"
/* A page was added to a list it was already on, or the list loops. */
#define ZS_FINDING_ZBUD_LIST_PAGE_TWICE_FMT "%s list %u: page %u listed twice"
/* Reclaim took a page without unlinking it; allocation could hand out its
 * buddies while they are evicted. */
#define ZS_FINDING_ZBUD_LIST_PAGE_UNDER_RECLAIM_FMT \
	"%s list %u: page %u is under reclaim but listed"
/* A free left the page on the full list. */
#define ZS_FINDING_ZBUD_BUDDIED_FREE_BUDDY_FMT \
	"buddied list: page %u has a free buddy"
/* An allocation or free left the page on the wrong list for its free
 * space. */
#define ZS_FINDING_ZBUD_UNBUDDIED_CHUNKS_FMT \
	"unbuddied list %u: page %u has chunks %u+%u"
/* The descriptor's page pointer was overwritten. */
#define ZS_FINDING_ZBUD_PAGE_ADDRESS_FMT "page %u: bad page address %p"
/* The page was freed to the arena behind the pool's back, or its pointer
 * overwritten. */
#define ZS_FINDING_ZBUD_PAGE_NOT_IN_ARENA_FMT \
	"page %u at %p is not an allocated arena page"
/* The arena's description of the page was overwritten, or a migration
 * swapped the page without describing the new one. */
#define ZS_FINDING_ZBUD_PAGE_ARENA_DESCRIPTION_FMT \
	"page %u is described by the arena as owner %d's page %u index %u%s"
/* An object was written past its end into the page's header chunk. */
#define ZS_FINDING_ZBUD_PAGE_HEADER_OVERWRITTEN_FMT                            \
	"page %u at %p: header chunk overwritten (an object written past its " \
	"end?)"
/* A buddy's size was overwritten; its object overlaps the other's. */
#define ZS_FINDING_ZBUD_BUDDIES_OVERLAP_FMT \
	"page %u: buddies of %u and %u chunks overlap"
/* A free left the buddy's handle slot named. */
#define ZS_FINDING_ZBUD_FREE_BUDDY_SLOT_FMT \
	"page %u: free %s buddy names slot %u"
/* The buddy's slot index was overwritten. */
#define ZS_FINDING_ZBUD_BUDDY_SLOT_BEYOND_TABLE_FMT \
	"page %u: %s buddy names slot %u beyond the table"
/* The buddy's handle slot was freed or reused without the page knowing. */
#define ZS_FINDING_ZBUD_BUDDY_SLOT_ELSEWHERE_FMT                            \
	"page %u: %s buddy's slot %u points elsewhere (state %u, page %u, " \
	"buddy %u)"
/* The buddy's chunk count or the slot's size was overwritten. */
#define ZS_FINDING_ZBUD_BUDDY_CHUNKS_FMT \
	"page %u: %s buddy has %u chunks for %u bytes"
/* A map or unmap missed the page's count; the page could move while
 * mapped. */
#define ZS_FINDING_ZBUD_PAGE_MAP_COUNT_FMT \
	"page %u: %u maps counted, buddies hold %u"
/* The last free of a page kept it instead of giving it back. */
#define ZS_FINDING_ZBUD_PAGE_EMPTY_NOT_RELEASED_FMT \
	"page %u: empty but not released"
/* A page descriptor was overwritten or stored in the wrong place. */
#define ZS_FINDING_ZBUD_DESCRIPTOR_ID_FMT "descriptor %u says it is %u"
/* The pool's counts missed a page or object made or freed. */
#define ZS_FINDING_ZBUD_PAGE_OBJECT_COUNT_FMT \
	"counted %llu pages and %llu objects, pool says %llu and %llu"
/* A full page was put on the free-space lists. */
#define ZS_FINDING_ZBUD_UNBUDDIED_ZERO_NOT_EMPTY_FMT \
	"unbuddied list 0: not empty (a page with no free chunk is buddied)"
/* A page fell off the buddy lists (never reused) or sits on one while
 * off limits. */
#define ZS_FINDING_ZBUD_BUDDY_LIST_COUNT_FMT \
	"%llu pages on buddy lists, expected %llu"
/* A page fell off the LRU (never reclaimed) or sits on it while off
 * limits. */
#define ZS_FINDING_ZBUD_LRU_COUNT_FMT "%llu pages on the LRU, expected %llu"
/* A free left the slot half cleared, or its state was overwritten. */
#define ZS_FINDING_ZBUD_FREE_SLOT_STATE_FMT "slot %u: state %u with %u maps"
/* A handle slot lives on with no buddy: a failed call that did not give
 * its slot back. */
#define ZS_FINDING_ZBUD_USED_SLOT_COUNT_FMT \
	"%llu used handle slots for %llu objects"
/* A free slot's link was overwritten, or a used slot was chained. */
#define ZS_FINDING_ZBUD_FREE_SLOT_CHAIN_BROKEN_FMT \
	"free slot chain: bad or looping entry %u"
/* A free slot fell out of the chain: leaked. */
#define ZS_FINDING_ZBUD_FREE_SLOT_CHAIN_COUNT_FMT \
	"free slot chain holds %llu of %llu free slots"
/* Pages leaked by a failed call, or freed to the arena behind the pool's
 * back. */
#define ZS_FINDING_ZBUD_ARENA_PAGE_COUNT_FMT \
	"the arena holds %lu pages for the pool's %llu (%u in moves in flight)"
/* A descriptor index was neither reused nor given back: leaked. */
#define ZS_FINDING_ZBUD_DESCRIPTOR_COUNT_FMT \
	"%u free descriptor indexes + %llu pages != %u used"
/* The free-descriptor stack names an index in use or twice; a new page
 * would take a live page's place. */
#define ZS_FINDING_ZBUD_FREE_DESCRIPTOR_STACK_FMT \
	"free descriptor stack entry %u: index %u is %s"

/* ---- zs_arena_check (zs/arena.c) --------------------------------------- */

/* A page was taken or given back without its region's count following. */
#define ZS_FINDING_ARENA_REGION_IN_USE_COUNT_FMT \
	"region %u counts %u pages in use, its bitmap %u"
/* A compaction ended without clearing its evacuation mark; the region
 * would never be allocated from again. */
#define ZS_FINDING_ARENA_REGION_EVACUATING_FMT \
	"region %u is marked evacuating with no compaction running"
/* A page was handed out without clearing its dirty mark; trimming would
 * discard its contents. */
#define ZS_FINDING_ARENA_PAGE_IN_USE_DIRTY_FMT \
	"region %u page %u is in use and marked dirty free"
/* A run was freed without clearing its head's map entry; a later
 * allocation would inherit the record it names. */
#define ZS_FINDING_ARENA_FREE_PAGE_OWNED_FMT \
	"region %u page %u is free but names record %u"
/* A run's owner was overwritten, or it was handed out without one. */
#define ZS_FINDING_ARENA_PAGE_NO_OWNER_FMT \
	"region %u page %u is in use with no owner"
/* A page's flags were overwritten. */
#define ZS_FINDING_ARENA_PAGE_UNKNOWN_FLAGS_FMT \
	"region %u page %u has unknown flags %#x"
/* A compaction ended without putting an isolated page back; it would
 * never move again. */
#define ZS_FINDING_ARENA_PAGE_ISOLATED_FMT \
	"region %u page %u is isolated with no compaction running"
/* A run was freed without clearing a tail's map entry; a later
 * allocation would inherit it. */
#define ZS_FINDING_ARENA_RUN_FREE_MARKED_FMT \
	"region %u page %u is free but marked as page %u of a run"
/* A run's length was overwritten: 0, longer than any run is, or reaching
 * past its region, so freeing it would free pages it does not own. */
#define ZS_FINDING_ARENA_RUN_LENGTH_FMT                                        \
	"region %u page %u heads a run of %u pages (want 1 .. %u, inside the " \
	"region)"
/* A page inside a run was freed on its own, or handed out as the head of
 * another run: the run is no longer one contiguous range of the owner's. */
#define ZS_FINDING_ARENA_RUN_TAIL_MISSING_FMT \
	"region %u page %u heads a %u-page run whose page %u is %s"
/* A tail's place in its run was overwritten (the index its owner is told
 * then too), or a longer run's head told a nonzero index: a move would
 * hand the owner the wrong page. */
#define ZS_FINDING_ARENA_RUN_PAGE_INDEX_FMT                                \
	"region %u page %u is page %u of its run, marked as page %u with " \
	"index %u"
/* A run's head was freed or overwritten without its tail pages: they stay
 * allocated, and no free can ever return them. */
#define ZS_FINDING_ARENA_RUN_ORPHAN_TAIL_FMT \
	"region %u page %u is marked page %u of a run that no head covers"
/* The arena's region counts, or its owner limit, were overwritten: each
 * must stay within its table as mapped, the inline entries (64 regions, 8
 * owners) while nothing is spilled, else the limits. */
#define ZS_FINDING_ARENA_REGION_LIMITS_FMT                                \
	"%u regions, slot limit %u, of at most %u; owner limit %u of at " \
	"most %u"
/* A region was released without leaving the address table. */
#define ZS_FINDING_ARENA_ADDRESS_ENTRY_UNUSED_FMT \
	"address table entry %u names unused region slot %u"
/* A region was stored in the wrong slot, or its slot overwritten. */
#define ZS_FINDING_ARENA_REGION_SLOT_ID_FMT "region slot %u says it is slot %u"
/* A region was added to the address table out of order; lookups would
 * miss it. */
#define ZS_FINDING_ARENA_ADDRESS_ORDER_FMT \
	"address table is out of order at entry %u"
/* A free moved the allocation hint past a region with room; those pages
 * would never be used again. */
#define ZS_FINDING_ARENA_FREE_BELOW_HINT_FMT \
	"region slot %u has free pages below the allocation hint %u"
/* A region was mapped beyond the slot limit without raising it. */
#define ZS_FINDING_ARENA_REGION_BEYOND_LIMIT_FMT \
	"region slot %u is beyond the slot limit %u"
/* A region was mapped or released without the address table following. */
#define ZS_FINDING_ARENA_REGION_COUNT_FMT \
	"%u region slots are used, the address table holds %u"
/* The arena's page counts missed a page taken, freed or trimmed. */
#define ZS_FINDING_ARENA_PAGE_COUNTS_FMT                                    \
	"regions hold %lu pages in use, %lu free, %lu dirty; counted %lu, " \
	"%lu, %lu"
/* Free memory past the floor kept with no retention clock running (or a
 * clock started in the future): it would never go back to the OS. */
#define ZS_FINDING_ARENA_RETAINED_UNCLOCKED_FMT                            \
	"retains %lu dirty free pages (%lu in use) and %u empty regions, " \
	"retention clock %llu ms, now %llu ms"
/* An owner's page count missed a page taken, freed or migrated. */
#define ZS_FINDING_ARENA_OWNER_PAGE_COUNT_FMT \
	"owner %u holds %lu pages, counted %lu"
/* A compaction ended without releasing an owner it called back; the owner
 * could never unregister. */
#define ZS_FINDING_ARENA_OWNER_BUSY_FMT \
	"owner %u has %u callbacks in flight with no compaction running"
/* A move started or ended without its pages counted, so the owner's
 * pages in flight (zs_arena_owner_pages) are wrong for its page checks. */
#define ZS_FINDING_ARENA_OWNER_MOVING_PAGES_FMT \
	"owner %u has %lu pages in isolated runs, counted %u moving"
/* A region's record table was overwritten: its counts past what is
 * allocated (or no table), or a record never handed out not zero, which
 * a new run would take as it is. */
#define ZS_FINDING_ARENA_RECORD_TABLE_FMT                                \
	"region %u has %u of %u records handed out (want %u .. %u "      \
	"allocated, at most all handed out); first nonzero record past " \
	"them %d"
/* A freed record's link overwritten, or a record freed twice or without
 * being cleared: the next run would take a record another still holds,
 * or inherit its description. */
#define ZS_FINDING_ARENA_RECORD_FREE_LIST_FMT \
	"region %u free record list reaches record %u %s"
/* A head's map entry overwritten: it names no record, or one never handed
 * out, so the run has no owner or cookie the arena can give back. */
#define ZS_FINDING_ARENA_RUN_RECORD_RANGE_FMT \
	"region %u page %u heads a run naming record %d, of %u handed out"
/* Two runs share one record, or a run names a freed one: freeing either
 * would free the other's description. */
#define ZS_FINDING_ARENA_RUN_RECORD_SHARED_FMT \
	"region %u page %u names record %u, which %s already holds"
/* A record leaked (a run freed without freeing it), or the count of
 * records in use missed a run taken or freed. */
#define ZS_FINDING_ARENA_RECORD_COUNT_FMT                                 \
	"region %u has %u runs and %u free records of %u handed out; %u " \
	"counted in use"
/* An owner registered without raising the owner limit: its slot is past
 * what zs_arena_stats counts as written. */
#define ZS_FINDING_ARENA_OWNER_BEYOND_LIMIT_FMT \
	"owner %u %s past the owner limit %u"

/* ---- zs_arena_destroy, refused (zs/arena.c) ---------------------------- */

/* Misuse, not corruption: the arena's pools were not destroyed first. */
#define ZS_FINDING_ARENA_DESTROY_BUSY_FMT                                      \
	"zs_arena_destroy: %lu pages still in use; arena left alone (destroy " \
	"its pools first)"

/* ---- corruption met during an operation, then abort -------------------- */

/* A page given back twice, or a pointer that never came from this arena. */
#define ZS_FINDING_ABORT_ARENA_FREE_PAGE_NOT_ALLOCATED_FMT               \
	"zs_arena_free_page: %p is not an allocated page of this arena " \
	"(double free or foreign pointer)"
/* The same, for one page of a batch. */
#define ZS_FINDING_ABORT_ARENA_FREE_PAGES_NOT_ALLOCATED_FMT               \
	"zs_arena_free_pages: %p is not an allocated page of this arena " \
	"(double free or foreign pointer)"
/* A run freed twice, a pointer inside a run instead of its first page,
 * or a pointer that never came from this arena. */
#define ZS_FINDING_ABORT_ARENA_FREE_RUN_NOT_ALLOCATED_FMT                     \
	"zs_arena_free_run: %p is not the first page of an allocated run of " \
	"this arena (double free, a page inside a run, or foreign pointer)"
/* One page of a longer run given back on its own: the owner lost track of
 * what it holds, and freeing the page would split the run. */
#define ZS_FINDING_ABORT_ARENA_FREE_PAGE_IN_RUN_FMT                     \
	"%s: %p is page %u of a %u-page run (runs are freed whole, by " \
	"zs_arena_free_run)"
/* A walk of a zspage (compaction's isolation, putback or moves, a run
 * migration's marks) met a block it cannot step over: a tag overwritten,
 * or a slot's location; moving on would lose data. */
#define ZS_FINDING_ABORT_COMPACT_BACK_POINTER_FMT                          \
	"unit %u of zspage %u holds a block of slot %u (tag 0x%08x) that " \
	"is neither a gap nor an object whose slot points back at it"
/* A free found the handle's object carrying another slot: the header or
 * the slot's location was overwritten; freeing it would free another
 * object's space. */
#define ZS_FINDING_ABORT_POOL_FREE_HANDLE_SLOT_FMT \
	"unit %u of zspage %u does not carry its handle slot %u"
/* A free found that the page a huge object's place names is not the one
 * the arena gives this pool for the object's slot: the place or the
 * page's record was overwritten; freeing it would free another page. */
#define ZS_FINDING_ABORT_POOL_FREE_HUGE_PAGE_FMT \
	"page %u at %p is not the page of handle slot %u's huge object"
/* An allocation found its recycle bin's next block not a recycled block
 * of the bin's footprint in the shard: the link was overwritten (a write
 * through a stale pointer), and the block may be another object's. */
#define ZS_FINDING_ABORT_POOL_RECYCLE_LINK_FMT \
	"recycle bin of %u units of shard %u links handle slot %u, not a recycled block"
/* An eviction found no block in the bin the depth levels chose (or no
 * bin chosen while the shard counts blocks): a depth or a level was
 * overwritten, and the bins' counts cannot be trusted. */
#define ZS_FINDING_ABORT_POOL_RECYCLE_DEPTH_FMT                             \
	"recycle bins of shard %u count %u blocks, but the deepest, of %u " \
	"units, holds none"
/* An allocation found the kept huge page on top of its shard's stack
 * not a kept page of the shard: the link was overwritten (a write
 * through a stale pointer into the page above it). */
#define ZS_FINDING_ABORT_POOL_HUGE_KEPT_LINK_FMT \
	"kept huge pages of shard %u link handle slot %u, not a kept page"
/* An unmap found the thread's mapped handle with no mapped slot: the
 * pool's slot table was overwritten. */
#define ZS_FINDING_ABORT_ZBUD_UNMAP_NO_MAPPED_SLOT_FMT                       \
	"zbud_unmap: handle %#llx mapped by this thread has no live mapped " \
	"slot (pool metadata corrupted)"
/* A free found the block beside the object neither an object nor a
 * gap (a gap's tag and footer carry a fixed pattern): a write past the
 * end of a neighbouring object; merging with it would spread the damage.
 * zs/span.c, once pools place objects in shared zspages. */
#define ZS_FINDING_ABORT_SPAN_TAG_FMT                                       \
	"free: the block beside zspage %u unit %u has tag 0x%08x, neither " \
	"an object's nor a gap's"
/* Follows each report above: zs stops rather than guess. */
#define ZS_FINDING_CORRUPTION_ABORT_FMT "heap corruption detected, aborting"

#endif /* ZS_FINDING_FORMATS_H */
