// SPDX-License-Identifier: MIT
/*
 * zs_stress.c - ThreadSanitizer stress: readers and writers racing the
 * compactor, page migration, the shrinker and the pressure monitor.
 *
 * Everything that moves data under a user's feet runs at once, while
 * worker threads map (RO, RW, WO), read (read_begin / read_end) and write
 * (obj_write) objects and check every byte against a per-object seed:
 *   - a shared set of objects every worker reads (same handle mapped by
 *     several threads at once);
 *   - per-worker objects that the worker rewrites, frees and reallocates;
 *   - a compactor (zs_compact), a shrinker (count + scan), a migrator
 *     (zs_arena_compact on the pool's private arena) and a pressure
 *     monitor poked with zs_pressure_notify;
 *   - a checker running zs_pool_check now and then.
 * A watchdog aborts when no worker makes progress for 20 s (a deadlock).
 * Any mismatch aborts with the object, its size and the first bad byte.
 *
 * Short by default (3 s, for bazel test); --seconds=N for soaks.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "zs/pressure.h"
#include "zs/zsmalloc.h"

#define SHARED_OBJECTS 512
#define OWN_OBJECTS 1024
#define WATCHDOG_SECONDS 20

struct object {
	uint64_t handle;
	size_t size;
	uint32_t seed;
};

static struct zs_pool *pool;
static struct zs_arena *arena;
static struct object shared[SHARED_OBJECTS];
static atomic_bool stop;
static _Atomic unsigned long progress;
static _Atomic unsigned long verified_bytes, maps, reads, writes, reallocs;
static unsigned workers = 4;
static unsigned seconds = 3;

static uint32_t next_rand(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static unsigned char pattern_byte(uint32_t seed, size_t i)
{
	return (unsigned char)((seed >> (i % 24)) + i * 131u);
}

static void fill(unsigned char *buf, size_t n, uint32_t seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		buf[i] = pattern_byte(seed, i);
}

static _Noreturn void fail(const char *what, const struct object *o,
			   const char *detail)
{
	fprintf(stderr,
		"zs_stress: FAIL %s: handle %#llx size %zu seed %u: %s\n", what,
		(unsigned long long)o->handle, o->size, o->seed, detail);
	abort();
}

static void verify(const char *what, const struct object *o,
		   const unsigned char *p)
{
	size_t i;

	if (!p)
		fail(what, o, strerror(errno));
	for (i = 0; i < o->size; i++)
		if (p[i] != pattern_byte(o->seed, i)) {
			char msg[96];

			snprintf(msg, sizeof(msg),
				 "byte %zu is %#x, expected %#x", i, p[i],
				 pattern_byte(o->seed, i));
			fail(what, o, msg);
		}
	atomic_fetch_add_explicit(&verified_bytes, o->size,
				  memory_order_relaxed);
}

static void store_new(struct object *o, size_t size, uint32_t seed)
{
	unsigned char buf[4096];
	int err = zs_malloc(pool, size, &o->handle);

	if (err) {
		fprintf(stderr, "zs_stress: zs_malloc(%zu) = %d\n", size, err);
		abort();
	}
	o->size = size;
	o->seed = seed;
	fill(buf, size, seed);
	if (zs_obj_write(pool, o->handle, buf, size))
		fail("obj_write", o, "refused");
}

static size_t random_size(uint32_t *r)
{
	uint32_t x = next_rand(r);

	/* mostly compressed-page sizes, with the edges well represented */
	switch (x % 8) {
	case 0:
		return 1 + x % 64;
	case 1:
		return 4096 - x % 512;
	case 2: /* incompressible pages: a page each, moved by page number */
		return 4096 - (x >> 8) % 4;
	default:
		return 1 + (x >> 8) % 4096;
	}
}

static void read_shared(uint32_t *r)
{
	const struct object *o = &shared[next_rand(r) % SHARED_OBJECTS];
	unsigned char local[4096];
	const void *p;

	if (next_rand(r) & 1) {
		p = zs_map_object(pool, o->handle, ZS_MM_RO);
		verify("shared map RO", o, p);
		if (zs_unmap_object(pool, o->handle))
			fail("shared unmap", o, "refused");
		atomic_fetch_add_explicit(&maps, 1, memory_order_relaxed);
	} else {
		p = zs_obj_read_begin(pool, o->handle, local);
		verify("shared read_begin", o, p);
		if (zs_obj_read_end(pool, o->handle, p))
			fail("shared read_end", o, "refused");
		atomic_fetch_add_explicit(&reads, 1, memory_order_relaxed);
	}
}

static void work_own(struct object *own, uint32_t *r)
{
	struct object *o = &own[next_rand(r) % OWN_OBJECTS];
	struct object *held[3];
	unsigned char buf[4096], *p;
	uint32_t seed = next_rand(r);
	unsigned i, n;

	switch (next_rand(r) % 6) {
	case 0: /* RW: verify, then rewrite in place */
		p = zs_map_object(pool, o->handle, ZS_MM_RW);
		verify("own map RW", o, p);
		fill(p, o->size, seed);
		o->seed = seed;
		zs_unmap_object(pool, o->handle);
		atomic_fetch_add_explicit(&maps, 1, memory_order_relaxed);
		break;
	case 1: /* WO: the whole object is written */
		p = zs_map_object(pool, o->handle, ZS_MM_WO);
		if (!p)
			fail("own map WO", o, strerror(errno));
		fill(p, o->size, seed);
		o->seed = seed;
		zs_unmap_object(pool, o->handle);
		atomic_fetch_add_explicit(&maps, 1, memory_order_relaxed);
		break;
	case 2:
		fill(buf, o->size, seed);
		if (zs_obj_write(pool, o->handle, buf, o->size))
			fail("own obj_write", o, "refused");
		o->seed = seed;
		atomic_fetch_add_explicit(&writes, 1, memory_order_relaxed);
		break;
	case 3: /* free and reallocate at another size */
		if (zs_free(pool, o->handle))
			fail("own free", o, "refused");
		store_new(o, random_size(r), seed);
		atomic_fetch_add_explicit(&reallocs, 1, memory_order_relaxed);
		break;
	case 4: /* several maps held at once, released out of order */
		n = 1 + next_rand(r) % 3;
		for (i = 0; i < n; i++) {
			held[i] = &own[(o - own + i * 97) % OWN_OBJECTS];
			verify("own nested map", held[i],
			       zs_map_object(pool, held[i]->handle, ZS_MM_RO));
		}
		for (i = n; i-- > 0;)
			zs_unmap_object(pool, held[i]->handle);
		atomic_fetch_add_explicit(&maps, n, memory_order_relaxed);
		break;
	default:
		read_shared(r);
		break;
	}
}

static void *worker_main(void *arg)
{
	uint32_t r = 0x9e3779b9u * (uint32_t)(uintptr_t)arg + 1;
	struct object *own = calloc(OWN_OBJECTS, sizeof(*own));
	unsigned i;

	for (i = 0; i < OWN_OBJECTS; i++)
		store_new(&own[i], random_size(&r), next_rand(&r));
	while (!atomic_load(&stop)) {
		for (i = 0; i < 64; i++)
			work_own(own, &r);
		atomic_fetch_add(&progress, 1);
	}
	for (i = 0; i < OWN_OBJECTS; i++) {
		unsigned char local[4096];
		const void *p = zs_obj_read_begin(pool, own[i].handle, local);

		verify("own final read", &own[i], p);
		zs_obj_read_end(pool, own[i].handle, p);
		if (zs_free(pool, own[i].handle))
			fail("own final free", &own[i], "refused");
	}
	free(own);
	return NULL;
}

static void *compactor_main(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop))
		zs_compact(pool);
	return NULL;
}

static void *shrinker_main(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop)) {
		unsigned long n = zs_shrinker_count(pool);

		if (n)
			zs_shrinker_scan(pool, n / 2 + 1);
		usleep(500);
	}
	return NULL;
}

/* Page migration needs sparse regions: a second pool on the same arena
 * fills pages and frees most of them, leaving holes the stress pool's
 * pages are then migrated into (and out of). */
static void *migrator_main(void *arg)
{
	struct zs_pool_config cfg = { .name = "filler", .arena = arena };
	struct zs_pool *filler = zs_create_pool_config(&cfg);
	uint64_t h[1024];
	uint32_t r = 777;
	unsigned i;

	(void)arg;
	if (!filler)
		abort();
	while (!atomic_load(&stop)) {
		for (i = 0; i < 1024; i++)
			if (zs_malloc(filler, 4096, &h[i]))
				abort();
		for (i = 0; i < 1024; i++)
			if (next_rand(&r) % 8 && zs_free(filler, h[i]) == 0)
				h[i] = 0;
		zs_arena_compact(arena);
		for (i = 0; i < 1024; i++)
			if (h[i] && zs_free(filler, h[i]))
				abort();
		usleep(1000);
	}
	zs_destroy_pool(filler);
	return NULL;
}

static void *checker_main(void *arg)
{
	struct zs_pressure *mon = arg;

	while (!atomic_load(&stop)) {
		if (zs_pool_check(pool)) {
			fputs("zs_stress: FAIL zs_pool_check under load\n",
			      stderr);
			abort();
		}
		zs_pressure_notify(mon);
		usleep(50000);
	}
	return NULL;
}

static void *watchdog_main(void *arg)
{
	unsigned long last = 0, idle = 0;

	(void)arg;
	while (!atomic_load(&stop)) {
		unsigned long now;

		sleep(1);
		now = atomic_load(&progress);
		idle = now == last ? idle + 1 : 0;
		last = now;
		if (idle >= WATCHDOG_SECONDS) {
			fprintf(stderr,
				"zs_stress: FAIL no progress for %u s "
				"(deadlock?)\n",
				WATCHDOG_SECONDS);
			abort();
		}
	}
	return NULL;
}

static void parse_args(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (!strncmp(argv[i], "--seconds=", 10)) {
			seconds = (unsigned)atoi(argv[i] + 10);
		} else if (!strncmp(argv[i], "--threads=", 10)) {
			workers = (unsigned)atoi(argv[i] + 10);
		} else {
			fprintf(stderr,
				"usage: %s [--seconds=N] [--threads=N]\n",
				argv[0]);
			exit(2);
		}
	}
	if (workers < 1 || workers > 64 || seconds < 1) {
		fputs("zs_stress: --threads must be 1..64, --seconds >= 1\n",
		      stderr);
		exit(2);
	}
}

int main(int argc, char **argv)
{
	struct zs_pressure_config pcfg = { .poll_ms = 20, .psi_path = "" };
	struct zs_pool_config cfg = { .name = "stress" };
	pthread_t w[64], helpers[5];
	struct zs_pool_stats st;
	struct zs_arena_stats ast;
	struct zs_pressure *mon;
	uint32_t r = 12345;
	unsigned i;

	parse_args(argc, argv);
	arena = zs_arena_create();
	cfg.arena = arena;
	pool = zs_create_pool_config(&cfg);
	mon = zs_pressure_create(&pcfg);
	if (!arena || !pool || !mon) {
		perror("zs_stress: setup");
		return 1;
	}
	zs_pressure_add_pool(mon, pool, 0);
	zs_pressure_add_arena(mon, arena);
	for (i = 0; i < SHARED_OBJECTS; i++)
		store_new(&shared[i], random_size(&r), next_rand(&r));
	for (i = 0; i < workers; i++)
		pthread_create(&w[i], NULL, worker_main, (void *)(uintptr_t)i);
	pthread_create(&helpers[0], NULL, compactor_main, NULL);
	pthread_create(&helpers[1], NULL, shrinker_main, NULL);
	pthread_create(&helpers[2], NULL, migrator_main, NULL);
	pthread_create(&helpers[3], NULL, checker_main, mon);
	pthread_create(&helpers[4], NULL, watchdog_main, NULL);
	sleep(seconds);
	atomic_store(&stop, true);
	for (i = 0; i < workers; i++)
		pthread_join(w[i], NULL);
	for (i = 0; i < 5; i++)
		pthread_join(helpers[i], NULL);
	zs_pressure_remove_pool(mon, pool);
	zs_pressure_destroy(mon);

	for (i = 0; i < SHARED_OBJECTS; i++) {
		unsigned char local[4096];
		const void *p =
			zs_obj_read_begin(pool, shared[i].handle, local);

		verify("shared final read", &shared[i], p);
		zs_obj_read_end(pool, shared[i].handle, p);
		zs_free(pool, shared[i].handle);
	}
	zs_pool_stats(pool, &st);
	zs_arena_stats(arena, &ast);
	if (zs_pool_check(pool) || zs_get_total_pages(pool) != 0) {
		fprintf(stderr,
			"zs_stress: FAIL pool not empty at the end "
			"(%lu pages)\n",
			zs_get_total_pages(pool));
		return 1;
	}
	printf("zs_stress: %u workers, %u s: %lu maps, %lu reads, %lu writes, "
	       "%lu reallocs, %lu MB verified; %lu objects moved, %lu pages "
	       "compacted, %lu of its pages migrated (arena: %lu moved, %lu "
	       "refused)\n",
	       workers, seconds, atomic_load(&maps), atomic_load(&reads),
	       atomic_load(&writes), atomic_load(&reallocs),
	       atomic_load(&verified_bytes) >> 20, st.objs_moved,
	       st.pages_compacted, st.pages_migrated, ast.pages_migrated,
	       ast.migrate_failures);
	zs_destroy_pool(pool);
	if (zs_arena_destroy(arena)) {
		fputs("zs_stress: FAIL arena still holds pages\n", stderr);
		return 1;
	}
	return 0;
}
