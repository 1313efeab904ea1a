// SPDX-License-Identifier: MIT
/*
 * classtable.c - the per-class table, in the kernel's debugfs format and
 * as JSON.
 *
 * The text form matches /sys/kernel/debug/zsmalloc/<pool>/classes so that
 * people and scripts used to the kernel read it without a second thought:
 * one row per distinct class, the zspage count per fullness group, object
 * and page counts, and the pages compaction could free now.
 */
#include <stdio.h>

#include "zs/zs_internal.h"

struct class_row {
	unsigned long groups[ZS_NR_FULLNESS];
	unsigned long allocated, used, pages, freeable;
};

static void read_row(struct size_class *c, struct class_row *r)
{
	unsigned g;

	zs_lock(&c->lock);
	for (g = 0; g < ZS_NR_FULLNESS; g++)
		r->groups[g] = c->group_count[g];
	r->allocated = atomic_load(&c->objs_allocated);
	r->used = atomic_load(&c->objs_used);
	r->pages = r->allocated / c->objs_per_zspage * c->pages_per_zspage;
	r->freeable = zs_class_freeable(c);
	zs_unlock(&c->lock);
}

static const char *const group_names[ZS_NR_FULLNESS] = {
	"0%",  "10%", "20%", "30%", "40%", "50%",
	"60%", "70%", "80%", "90%", "99%", "100%",
};

void zs_pool_print_classes(struct zs_pool *pool, FILE *out)
{
	struct class_row total = { { 0 }, 0, 0, 0, 0 };
	unsigned i, g;

	if (!pool || !out)
		return;
	fprintf(out, "%5s %5s", "class", "size");
	for (g = 1; g < ZS_NR_FULLNESS; g++)
		fprintf(out, " %9s", group_names[g]);
	fprintf(out, " %13s %10s %10s %16s %8s\n", "obj_allocated", "obj_used",
		"pages_used", "pages_per_zspage", "freeable");
	for (i = 0; i < pool->nr_classes; i++) {
		struct size_class *c = &pool->classes[i];
		struct class_row r;

		read_row(c, &r);
		fprintf(out, "%5u %5u",
			(c->size - ZS_MIN_ALLOC_SIZE) / ZS_CLASS_DELTA,
			c->size);
		for (g = 1; g < ZS_NR_FULLNESS; g++) {
			fprintf(out, " %9lu", r.groups[g]);
			total.groups[g] += r.groups[g];
		}
		fprintf(out, " %13lu %10lu %10lu %16u %8lu\n", r.allocated,
			r.used, r.pages, c->pages_per_zspage, r.freeable);
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
	unsigned i, g;

	if (!pool || !out)
		return;
	fputs("{\"pool\":", out);
	print_json_string(out, pool->name);
	fprintf(out,
		",\"chain_size\":%u,\"huge_class_size\":%zu,"
		"\"pages\":%lu,\"classes\":[",
		pool->chain_size, pool->huge_size, atomic_load(&pool->pages));
	for (i = 0; i < pool->nr_classes; i++) {
		struct size_class *c = &pool->classes[i];
		struct class_row r;

		read_row(c, &r);
		fprintf(out,
			"%s{\"class\":%u,\"size\":%u,\"huge\":%s,\"groups\":[",
			i ? "," : "",
			(c->size - ZS_MIN_ALLOC_SIZE) / ZS_CLASS_DELTA, c->size,
			c->huge ? "true" : "false");
		for (g = 1; g < ZS_NR_FULLNESS; g++)
			fprintf(out, "%s%lu", g > 1 ? "," : "", r.groups[g]);
		fprintf(out,
			"],\"obj_allocated\":%lu,\"obj_used\":%lu,"
			"\"pages_used\":%lu,\"pages_per_zspage\":%u,"
			"\"objs_per_zspage\":%u,\"freeable\":%lu}",
			r.allocated, r.used, r.pages, c->pages_per_zspage,
			c->objs_per_zspage, r.freeable);
	}
	fprintf(out, "]}\n");
}
