// SPDX-License-Identifier: MIT
/*
 * tools/zsdemo.c - a short tour of the zsmalloc API that checks itself.
 *
 * Stores a few thousand objects of the sizes compressed pages have, reads
 * every byte back, frees most of them at random, compacts, reads the
 * survivors back again and prints what the pool held at each step.  It is
 * the README's first command and, built under ASan + UBSan and MSan, a
 * test: any lost or changed byte, any API error and any failed consistency
 * check makes it exit 1.  Only the public header is used.
 *
 * usage: zsdemo [-n objects] [-s seed] [-c chain_size]
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "zs/zsmalloc.h"

struct demo_obj {
	uint64_t handle;
	uint32_t size;
	uint32_t seed;
	int live;
};

struct demo {
	struct zs_pool *pool;
	struct demo_obj *objs;
	size_t nr_objs;
	unsigned char *expect;
	unsigned char *copy;
	uint64_t rng;
	unsigned long failures;
};

/* splitmix64: a fixed seed gives the same run on every machine. */
static uint64_t demo_rand(struct demo *d)
{
	uint64_t z = (d->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/*
 * Sizes shaped like LZ4-compressed 4 KiB pages: mostly 1-3 KiB, some
 * small, some nearly incompressible, a few that do not compress at all.
 */
static uint32_t demo_size(struct demo *d)
{
	uint64_t r = demo_rand(d);
	uint32_t max = (uint32_t)zs_max_alloc_size();
	unsigned bucket = (unsigned)(r % 100);

	r >>= 8;
	if (bucket < 10)
		return 30 + (uint32_t)(r % 226);
	if (bucket < 25)
		return 256 + (uint32_t)(r % 768);
	if (bucket < 85)
		return 1024 + (uint32_t)(r % 2048);
	if (bucket < 97)
		return 3072 + (uint32_t)(r % (max - 3072));
	return max;
}

/* The bytes object `o` must hold: a stream derived from its own seed. */
static void demo_pattern(const struct demo_obj *o, unsigned char *buf)
{
	uint32_t x = o->seed | 1;
	uint32_t i;

	for (i = 0; i < o->size; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		buf[i] = (unsigned char)x;
	}
}

static void demo_fail(struct demo *d, size_t i, const char *what, int err)
{
	d->failures++;
	fprintf(stderr, "zsdemo: object %zu (handle %#" PRIx64 ", %u B): %s", i,
		d->objs[i].handle, d->objs[i].size, what);
	if (err)
		fprintf(stderr, ": %s", strerror(err));
	fputc('\n', stderr);
}

/* Writes half the objects through a write-only map, half by zs_obj_write. */
static int demo_store(struct demo *d, size_t i)
{
	struct demo_obj *o = &d->objs[i];
	void *dst;
	int ret;

	o->size = demo_size(d);
	o->seed = (uint32_t)demo_rand(d);
	ret = zs_malloc(d->pool, o->size, &o->handle);
	if (ret) {
		demo_fail(d, i, "zs_malloc failed", -ret);
		return ret;
	}
	o->live = 1;
	demo_pattern(o, d->expect);
	if (i % 2) {
		ret = zs_obj_write(d->pool, o->handle, d->expect, o->size);
		if (ret)
			demo_fail(d, i, "zs_obj_write failed", -ret);
		return ret;
	}
	dst = zs_map_object(d->pool, o->handle, ZS_MM_WO);
	if (!dst) {
		ret = errno;
		demo_fail(d, i, "zs_map_object(WO) failed", ret);
		return -ret;
	}
	memcpy(dst, d->expect, o->size);
	ret = zs_unmap_object(d->pool, o->handle);
	if (ret)
		demo_fail(d, i, "zs_unmap_object failed", -ret);
	return ret;
}

/* Reads one object back, alternating read_begin/end and read-only maps. */
static void demo_verify(struct demo *d, size_t i)
{
	struct demo_obj *o = &d->objs[i];
	const void *src;
	int ret;

	if (zs_obj_size(d->pool, o->handle) != o->size) {
		demo_fail(d, i, "zs_obj_size disagrees", 0);
		return;
	}
	demo_pattern(o, d->expect);
	if (i % 3) {
		src = zs_obj_read_begin(d->pool, o->handle, d->copy);
		if (!src) {
			demo_fail(d, i, "zs_obj_read_begin failed", errno);
			return;
		}
		if (memcmp(src, d->expect, o->size))
			demo_fail(d, i, "bytes changed (read_begin)", 0);
		ret = zs_obj_read_end(d->pool, o->handle, src);
		if (ret)
			demo_fail(d, i, "zs_obj_read_end failed", -ret);
		return;
	}
	src = zs_map_object(d->pool, o->handle, ZS_MM_RO);
	if (!src) {
		demo_fail(d, i, "zs_map_object(RO) failed", errno);
		return;
	}
	if (memcmp(src, d->expect, o->size))
		demo_fail(d, i, "bytes changed (map RO)", 0);
	ret = zs_unmap_object(d->pool, o->handle);
	if (ret)
		demo_fail(d, i, "zs_unmap_object failed", -ret);
}

static size_t demo_verify_all(struct demo *d, uint64_t *bytes)
{
	size_t i, n = 0;

	*bytes = 0;
	for (i = 0; i < d->nr_objs; i++) {
		if (!d->objs[i].live)
			continue;
		demo_verify(d, i);
		*bytes += d->objs[i].size;
		n++;
	}
	return n;
}

static void demo_check_pool(struct demo *d, const char *when)
{
	int ret = zs_pool_check(d->pool);

	if (ret) {
		d->failures++;
		fprintf(stderr, "zsdemo: zs_pool_check %s: %s\n", when,
			strerror(-ret));
	}
}

/* One line on what the pool holds for `bytes` of live objects. */
static void demo_report(struct demo *d, const char *what, size_t n,
			uint64_t bytes)
{
	unsigned long pages = zs_get_total_pages(d->pool);
	double held = (double)pages * (double)ZS_PAGE_SIZE;
	struct zs_pool_stats st;

	zs_pool_stats(d->pool, &st);
	printf("%-10s %6zu objects %9.2f MiB in %6lu pages  "
	       "pool/stored %.3f  utilization %.3f  metadata %" PRIu64 " B\n",
	       what, n, (double)bytes / (1024.0 * 1024.0), pages,
	       bytes ? held / (double)bytes : 0.0,
	       held > 0 ? (double)bytes / held : 0.0, st.metadata_bytes);
	if (st.objs_used != n) {
		d->failures++;
		fprintf(stderr,
			"zsdemo: stats count %lu live objects, not %zu\n",
			st.objs_used, n);
	}
}

static int demo_usage(void)
{
	fprintf(stderr,
		"usage: zsdemo [-n objects] [-s seed] [-c chain_size]\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct zs_pool_config cfg = { .name = "zsdemo" };
	struct demo d = { .nr_objs = 4000, .rng = 2024 };
	unsigned long freed, freeable;
	uint64_t bytes;
	size_t i, n, nr_freed = 0;
	int opt, ret;

	while ((opt = getopt(argc, argv, "n:s:c:")) != -1) {
		switch (opt) {
		case 'n':
			d.nr_objs = strtoul(optarg, NULL, 0);
			break;
		case 's':
			d.rng = strtoull(optarg, NULL, 0);
			break;
		case 'c':
			cfg.chain_size = (unsigned)strtoul(optarg, NULL, 0);
			break;
		default:
			return demo_usage();
		}
	}
	if (optind != argc || d.nr_objs == 0)
		return demo_usage();

	d.pool = zs_create_pool_config(&cfg);
	d.objs = calloc(d.nr_objs, sizeof(*d.objs));
	d.expect = malloc(zs_max_alloc_size());
	d.copy = malloc(zs_max_alloc_size());
	if (!d.pool || !d.objs || !d.expect || !d.copy) {
		perror("zsdemo: setting up");
		return 1;
	}
	printf("zsdemo: pool \"%s\", %u size classes, objects up to %zu B, "
	       "a page each from %zu B\n",
	       zs_pool_name(d.pool), zs_pool_class_count(d.pool),
	       zs_max_alloc_size(), zs_huge_class_size(d.pool));

	/* 1. Fill, then read every byte back. */
	for (i = 0; i < d.nr_objs; i++)
		if (demo_store(&d, i))
			break;
	demo_check_pool(&d, "after the fill");
	n = demo_verify_all(&d, &bytes);
	demo_report(&d, "stored", n, bytes);

	/* 2. Free three in four at random: sparse zspages everywhere. */
	for (i = 0; i < d.nr_objs; i++) {
		if (!d.objs[i].live || demo_rand(&d) % 4 == 0)
			continue;
		ret = zs_free(d.pool, d.objs[i].handle);
		if (ret) {
			demo_fail(&d, i, "zs_free failed", -ret);
			continue;
		}
		d.objs[i].live = 0;
		nr_freed++;
	}
	demo_check_pool(&d, "after freeing");
	n = demo_verify_all(&d, &bytes);
	demo_report(&d, "freed 3/4", n, bytes);

	/* 3. Compact: the survivors move, their handles and bytes do not. */
	freeable = zs_shrinker_count(d.pool);
	freed = zs_compact(d.pool);
	demo_check_pool(&d, "after compaction");
	n = demo_verify_all(&d, &bytes);
	demo_report(&d, "compacted", n, bytes);
	printf("zsdemo: compaction freed %lu pages (%lu were freeable); "
	       "%lu freeable now\n",
	       freed, freeable, zs_shrinker_count(d.pool));
	if (zs_shrinker_count(d.pool)) {
		d.failures++;
		fprintf(stderr,
			"zsdemo: pages still freeable after zs_compact\n");
	}

	/* 4. Misuse is reported and changes nothing. */
	for (i = 0; i < d.nr_objs; i++) {
		if (d.objs[i].live)
			continue;
		ret = zs_free(d.pool, d.objs[i].handle);
		if (ret != -EINVAL)
			demo_fail(&d, i, "double free not rejected", 0);
		else
			printf("zsdemo: a double free returned -EINVAL\n");
		break;
	}
	demo_check_pool(&d, "after a double free");

	zs_destroy_pool(d.pool);
	free(d.objs);
	free(d.expect);
	free(d.copy);
	if (d.failures) {
		printf("zsdemo: FAILED: %lu problems\n", d.failures);
		return 1;
	}
	printf("zsdemo: OK: %zu objects stored, %zu freed, every byte intact\n",
	       d.nr_objs, nr_freed);
	return 0;
}
