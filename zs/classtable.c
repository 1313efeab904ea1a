// SPDX-License-Identifier: MIT
/*
 * classtable.c - the pool's zspages by fullness, in the kernel's debugfs
 * format and as JSON.
 *
 * The text form keeps the columns of /sys/kernel/debug/zsmalloc/<pool>/
 * classes so that people and scripts used to the kernel read it without a
 * second thought.  Objects of every size share zspages here, so a row is
 * not a size class: one row per shard for its shared zspages (size: the
 * largest object they take) and one row for the huge zspages (size: a
 * page).  obj_allocated is what the row's zspages would hold if every gap
 * held objects of the row's mean footprint, so freeable, the pages
 * compaction could give back now, is its zspages' worth of free units.
 */
#include <stdio.h>
#include <string.h>

#include "zs/zs_internal.h"

struct class_row {
	unsigned long groups[ZS_NR_FULLNESS];
	unsigned long allocated, used, pages, freeable;
	unsigned pages_per_zspage, objs_per_zspage;
	size_t size;
	bool huge;
};

/* Row i < ZS_NR_SHARDS: shard i's shared zspages; row ZS_NR_SHARDS: every
 * shard's huge zspages. */
static void read_row(struct zs_pool *pool, unsigned i, struct class_row *r)
{
	unsigned g;

	memset(r, 0, sizeof(*r));
	if (i == ZS_NR_SHARDS) {
		r->size = ZS_PAGE_SIZE;
		r->huge = true;
		r->pages_per_zspage = r->objs_per_zspage = 1;
		for (i = 0; i < ZS_NR_SHARDS; i++) {
			struct zs_shard *sh = &pool->shards[i];

			/* a kept page (zs/huge.c) is allocated, empty */
			zs_lock(&sh->lock);
			r->groups[ZS_FULLNESS_FULL] +=
				sh->huge_count - sh->huge_kept;
			r->groups[ZS_FULLNESS_EMPTY] += sh->huge_kept;
			zs_unlock(&sh->lock);
		}
		r->used = r->groups[ZS_FULLNESS_FULL];
		r->allocated = r->pages =
			r->used + r->groups[ZS_FULLNESS_EMPTY];
		r->freeable = r->groups[ZS_FULLNESS_EMPTY];
		return;
	}
	{
		struct zs_shard *sh = &pool->shards[i];
		unsigned long units, pages;

		zs_lock(&sh->lock);
		for (g = 0; g < ZS_NR_FULLNESS; g++)
			r->groups[g] = sh->group_count[g];
		r->used = zs_shard_shared_objs(sh);
		r->allocated = zs_shard_capacity(pool, sh);
		units = atomic_load(&sh->units_used);
		pages = atomic_load(&sh->pages);
		r->freeable = zs_shard_freeable(pool, sh);
		zs_unlock(&sh->lock);
		r->size = ZS_HUGE_SIZE - 1;
		r->pages = pages;
		r->pages_per_zspage = pool->chain_size;
		r->objs_per_zspage =
			units && r->used ?
				(unsigned)((unsigned long long)
						   pool->zspage_units *
					   r->used / units) :
				0;
	}
}

static const char *const group_names[ZS_NR_FULLNESS] = {
	"0%",  "10%", "20%", "30%", "40%", "50%",
	"60%", "70%", "80%", "90%", "99%", "100%",
};

void zs_pool_print_classes(struct zs_pool *pool, FILE *out)
{
	struct class_row total, r;
	unsigned i, g;

	if (!pool || !out)
		return;
	memset(&total, 0, sizeof(total));
	fprintf(out, "%5s %5s", "class", "size");
	for (g = 1; g < ZS_NR_FULLNESS; g++)
		fprintf(out, " %9s", group_names[g]);
	fprintf(out, " %13s %10s %10s %16s %8s\n", "obj_allocated", "obj_used",
		"pages_used", "pages_per_zspage", "freeable");
	for (i = 0; i <= ZS_NR_SHARDS; i++) {
		read_row(pool, i, &r);
		fprintf(out, "%5u %5zu", i, r.size);
		for (g = 1; g < ZS_NR_FULLNESS; g++) {
			fprintf(out, " %9lu", r.groups[g]);
			total.groups[g] += r.groups[g];
		}
		fprintf(out, " %13lu %10lu %10lu %16u %8lu\n", r.allocated,
			r.used, r.pages, r.pages_per_zspage, r.freeable);
		total.allocated += r.allocated;
		total.used += r.used;
		total.pages += r.pages;
		total.freeable += r.freeable;
	}
	fprintf(out, "%11s", "Total");
	for (g = 1; g < ZS_NR_FULLNESS; g++)
		fprintf(out, " %9lu", total.groups[g]);
	fprintf(out, " %13lu %10lu %10lu %16s %8lu\n", total.allocated,
		total.used, total.pages, "", total.freeable);
}

/* Pool names come from users: escape them so the JSON always parses. */
static void print_json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(out, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(out, "\\u%04x", ch);
		else
			fputc(ch, out);
	}
	fputc('"', out);
}

void zs_pool_print_classes_json(struct zs_pool *pool, FILE *out)
{
	struct class_row r;
	unsigned i, g;

	if (!pool || !out)
		return;
	fputs("{\"pool\":", out);
	print_json_string(out, pool->name);
	fprintf(out,
		",\"chain_size\":%u,\"huge_class_size\":%zu,"
		"\"pages\":%lu,\"classes\":[",
		pool->chain_size, (size_t)ZS_HUGE_SIZE,
		atomic_load(&pool->pages));
	for (i = 0; i <= ZS_NR_SHARDS; i++) {
		read_row(pool, i, &r);
		fprintf(out,
			"%s{\"class\":%u,\"size\":%zu,\"huge\":%s,\"groups\":[",
			i ? "," : "", i, r.size, r.huge ? "true" : "false");
		for (g = 1; g < ZS_NR_FULLNESS; g++)
			fprintf(out, "%s%lu", g > 1 ? "," : "", r.groups[g]);
		fprintf(out,
			"],\"obj_allocated\":%lu,\"obj_used\":%lu,"
			"\"pages_used\":%lu,\"pages_per_zspage\":%u,"
			"\"objs_per_zspage\":%u,\"freeable\":%lu}",
			r.allocated, r.used, r.pages, r.pages_per_zspage,
			r.objs_per_zspage, r.freeable);
	}
	fprintf(out, "]}\n");
}
