// SPDX-License-Identifier: MIT
/*
 * classes.c - the size-class table: which slot size and zspage geometry
 * serves each request size.
 *
 * Slot sizes run from 32 B to the page size in 16 B steps (255 of them).
 * Each takes the page count (1 .. chain size) that wastes the least of its
 * zspage, compared in whole percent as the kernel does: ties go to fewer
 * pages because a small zspage fills, empties and frees sooner.  Slot sizes
 * whose (pages, objects) match the next larger class's are merged into it:
 * the larger slot costs no extra page there.  The top class (the 4096 B
 * slot and every size merged into it) is "huge": one object per page,
 * stored without a header, so a whole 4 KiB object fits.
 */
#include <errno.h>
#include <stdlib.h>

#include "zs/host.h"
#include "zs/zs_internal.h"

void zs_class_geometry(unsigned chain, uint32_t size, uint16_t *pages,
		       uint16_t *objs)
{
	unsigned k, best_k = 1, best_pc = 0;

	for (k = 1; k <= chain; k++) {
		unsigned long bytes = k * ZS_PAGE_SIZE;
		unsigned long used = (bytes / size) * size;
		unsigned pc = (unsigned)(used * 100 / bytes);

		if (pc > best_pc) {
			best_pc = pc;
			best_k = k;
		}
	}
	*pages = (uint16_t)best_k;
	*objs = (uint16_t)(best_k * ZS_PAGE_SIZE / size);
}

int zs_classes_init(struct zs_pool *pool)
{
	struct size_class *classes;
	uint16_t pages[ZS_NR_SIZE_SLOTS], objs[ZS_NR_SIZE_SLOTS];
	unsigned distinct = 0, n = 0;
	int i;

	/* first pass: count distinct classes, largest first */
	for (i = ZS_NR_SIZE_SLOTS - 1; i >= 0; i--) {
		uint32_t size =
			ZS_MIN_ALLOC_SIZE + (uint32_t)i * ZS_CLASS_DELTA;

		zs_class_geometry(pool->chain_size, size, &pages[i], &objs[i]);
		if (i == ZS_NR_SIZE_SLOTS - 1 || pages[i] != pages[i + 1] ||
		    objs[i] != objs[i + 1])
			distinct++;
	}
	classes = zs_host_calloc(distinct, sizeof(*classes));
	if (!classes)
		return -ENOMEM;
	/* classes[] is ordered by ascending slot size; fill from the top */
	pool->huge_size = 0;
	for (i = ZS_NR_SIZE_SLOTS - 1; i >= 0; i--) {
		uint32_t size =
			ZS_MIN_ALLOC_SIZE + (uint32_t)i * ZS_CLASS_DELTA;
		struct size_class *c;

		if (i != ZS_NR_SIZE_SLOTS - 1 && pages[i] == pages[i + 1] &&
		    objs[i] == objs[i + 1]) {
			pool->size_to_class[i] = pool->size_to_class[i + 1];
			continue;
		}
		n++;
		c = &classes[distinct - n];
		c->size = size;
		c->index = distinct - n;
		c->pages_per_zspage = pages[i];
		c->objs_per_zspage = objs[i];
		c->group_mul = (10ull << 32) / objs[i];
		/* only the top class drops the header; a lower class that also
		 * holds one object per page (small chains) keeps the layout of
		 * every other class */
		c->huge = n == 1;
		zs_lock_init(&c->lock);
		pool->size_to_class[i] = (uint16_t)(distinct - n);
		/* the largest non-huge slot bounds the requests with headers */
		if (!c->huge && pool->huge_size == 0)
			pool->huge_size = size - ZS_OBJ_HEADER + 1;
	}
	pool->classes = classes;
	pool->nr_classes = distinct;
	return 0;
}

struct size_class *zs_class_for_size(struct zs_pool *pool, size_t size)
{
	size_t slot;

	if (size >= pool->huge_size)
		return &pool->classes[pool->nr_classes - 1];
	slot = size + ZS_OBJ_HEADER;
	if (slot < ZS_MIN_ALLOC_SIZE)
		slot = ZS_MIN_ALLOC_SIZE;
	return &pool->classes[pool->size_to_class[(slot - ZS_MIN_ALLOC_SIZE +
						   ZS_CLASS_DELTA - 1) /
						  ZS_CLASS_DELTA]];
}

unsigned zs_pool_class_count(struct zs_pool *pool)
{
	return pool ? pool->nr_classes : 0;
}

size_t zs_class_size_for(struct zs_pool *pool, size_t size)
{
	if (!pool || size == 0 || size > ZS_PAGE_SIZE)
		return 0;
	return zs_class_for_size(pool, size)->size;
}

size_t zs_huge_class_size(struct zs_pool *pool)
{
	return pool ? pool->huge_size : 0;
}

size_t zs_max_alloc_size(void)
{
	return ZS_PAGE_SIZE;
}
