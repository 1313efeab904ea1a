// SPDX-License-Identifier: MIT
/*
 * fuzz/zsmalloc_fuzz/zs_host_fault.c - op host_fault: the library's own host
 * allocations (malloc, calloc, realloc, mmap through zs/host.c) failing,
 * zs/fault.h.
 *
 * With failures armed, pools, arenas and pressure monitors are made, grown,
 * compacted and used (the op's flags pick which); every call must fail
 * with the contract's error exactly when one of its host allocations
 * failed, and leave what it was called on as it was.  The injection is
 * process-wide, so the op disarms it before it returns.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* fmemopen, with -std=c11 */
#endif

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "fuzz/common/fuzz.h"
#include "fuzz/zsmalloc_fuzz/zs_fuzz.h"
#include "zs/arena.h"
#include "zs/fault.h"
#include "zs/pressure.h"
#include "zs/zs_internal.h"
#include "zs/zsmalloc.h"

/*
 * Whether a host failure was injected since `mark`.  Every host allocation
 * these calls make is one they cannot do without, so a call that had one
 * fail must fail, with ENOMEM, and a call that failed must have had one
 * fail: nothing else in them can run out.
 */
static bool host_hit(unsigned long mark)
{
	return zs_host_failures_injected() != mark;
}

static void host_expect_ptr(const void *p, int err, unsigned long mark,
			    const char *call)
{
	bool hit = host_hit(mark);

	if (hit && (p || err != ENOMEM))
		fm_fail("%s with a host allocation failed returned %p errno "
			"%d, expected NULL errno %d",
			call, p, err, ENOMEM);
	if (!hit && !p)
		fm_fail("%s failed with errno %d, and no host allocation "
			"failed",
			call, err);
}

static void host_expect_ret(int ret, unsigned long mark, const char *call)
{
	int want = host_hit(mark) ? -ENOMEM : 0;

	if (ret != want)
		fm_fail("%s returned %d %s a failed host allocation, expected "
			"%d",
			call, ret, want ? "after" : "without", want);
}

/* A new arena, or NULL when (and only when) one of its host allocations
 * failed. */
static struct zs_arena *host_arena_create(void)
{
	struct zs_arena *a;
	unsigned long mark;
	int err;

	errno = 0;
	mark = zs_host_failures_injected();
	a = zs_arena_create();
	err = errno;
	host_expect_ptr(a, err, mark, "zs_arena_create");
	return a;
}

/* The arena must never call back about pages their owner made unmovable. */
static int unmovable_isolate(void *owner, void *page, uint32_t cookie,
			     uint32_t index)
{
	(void)owner;
	fm_fail("arena isolated unmovable page %p (cookie %u index %u)", page,
		cookie, index);
}

static int unmovable_migrate(void *owner, void *old_page, void *new_page,
			     uint32_t cookie, uint32_t index)
{
	(void)owner;
	(void)new_page;
	fm_fail("arena migrated unmovable page %p (cookie %u index %u)",
		old_page, cookie, index);
}

static void unmovable_putback(void *owner, void *page, uint32_t cookie,
			      uint32_t index)
{
	(void)owner;
	fm_fail("arena put back unmovable page %p (cookie %u index %u)", page,
		cookie, index);
}

static const struct zs_movable_ops unmovable_ops = {
	.isolate = unmovable_isolate,
	.migrate = unmovable_migrate,
	.putback = unmovable_putback,
};

/* Pool names a user may give: JSON-special bytes, empty, NULL ("zs"), and
 * longer than the 31 bytes a pool keeps. */
static const char *const side_names[] = {
	"zs-fuzz-side",
	"q\"uo\\te\x01\x1f\x7f~",
	"",
	NULL,
	"a pool name longer than the 31 bytes a pool keeps",
	"tab\there\nnl\r",
};

#define SIDE_NAMES (sizeof(side_names) / sizeof(side_names[0]))

/* An independent JSON string escaper, to hold classtable.c's against. */
static void json_escape(char *out, size_t cap, const char *s)
{
	size_t n = 0;

	for (; *s && n + 8 < cap; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			n += (size_t)snprintf(out + n, cap - n, "\\%c", ch);
		else if (ch < 0x20)
			n += (size_t)snprintf(out + n, cap - n, "\\u%04x", ch);
		else
			out[n++] = (char)ch;
	}
	out[n] = 0;
}

/* The name a pool keeps, and its class table as JSON: the name escaped,
 * the chain size, and the document closed. */
static void check_pool_name(struct zs_pool *p, const char *name, unsigned chain)
{
	static char json[64 << 10];
	char kept[32], esc[256], want[320];
	const char *got = zs_pool_name(p);
	size_t len;
	FILE *mf;

	snprintf(kept, sizeof(kept), "%s", name ? name : "zs");
	if (!got || strcmp(got, kept))
		fm_fail("zs_pool_name is \"%s\", created as \"%s\" (keeps "
			"\"%s\")",
			got ? got : "(null)", name ? name : "(null)", kept);
	json_escape(esc, sizeof(esc), kept);
	snprintf(want, sizeof(want), "{\"pool\":\"%s\",\"chain_size\":%u,", esc,
		 chain ? chain : ZS_DEFAULT_CHAIN);
	memset(json, 0, sizeof(json));
	mf = fmemopen(json, sizeof(json) - 1, "w");
	if (!mf)
		fm_fail("fmemopen failed, errno %d", errno);
	zs_pool_print_classes_json(p, mf);
	fclose(mf);
	len = strlen(json);
	if (strncmp(json, want, strlen(want)) || len < 3 ||
	    strcmp(json + len - 3, "]}\n"))
		fm_fail("class table JSON of pool \"%s\" is \"%.60s...%s\", "
			"expected to start \"%s\" and end \"]}\\n\"",
			kept, json, len > 8 ? json + len - 8 : "", want);
}

/* A few objects in a second pool: each allocation fails cleanly or stores
 * what is written; all are freed again.  `arena_fails`: the pool shares an
 * arena whose page failures the input armed. */
static void side_objects(struct zs_fuzz *f, struct zs_pool *p, uint8_t pick,
			 bool arena_fails)
{
	const size_t sizes[3] = { 1u + pick % 64u, 100u + pick * 13u % 3000u,
				  ZS_PAGE_SIZE };
	struct zs_pool_stats before;
	uint64_t h[3];
	unsigned long mark;
	const void *r;
	unsigned i;
	int ret;

	for (i = 0; i < 3; i++) {
		zs_pool_stats(p, &before);
		h[i] = SENTINEL_HANDLE;
		mark = zs_host_failures_injected();
		ret = zs_malloc(p, sizes[i], &h[i]);
		if (!arena_fails || ret != -ENOMEM || host_hit(mark))
			host_expect_ret(ret, mark,
					"zs_malloc in a second pool");
		if (ret) {
			if (h[i] != SENTINEL_HANDLE)
				fm_fail("a failed zs_malloc stored a handle");
			before.alloc_failures++;
			zsf_expect_pool_unchanged(
				p, &before, "a zs_malloc failed by the host",
				false);
			fm_expect_ret(zs_pool_check(p), 0,
				      "zs_pool_check of a second pool", 0);
			h[i] = 0;
			continue;
		}
		fm_pattern(f->buf, pick + i, 0, (uint32_t)sizes[i]);
		fm_expect_ret(zs_obj_write(p, h[i], f->buf, sizes[i]), 0,
			      "zs_obj_write in a second pool", h[i]);
		r = zs_obj_read_begin(p, h[i], f->local[0]);
		if (!r || memcmp(r, f->buf, sizes[i]))
			fm_fail("a second pool's %zu-byte object does not read "
				"back",
				sizes[i]);
		fm_expect_ret(zs_obj_read_end(p, h[i], r), 0,
			      "zs_obj_read_end in a second pool", h[i]);
	}
	for (i = 0; i < 3; i++)
		if (h[i])
			fm_expect_ret(zs_free(p, h[i]), 0,
				      "zs_free in a second pool", h[i]);
	if (zs_get_total_pages(p))
		fm_fail("an emptied second pool holds %lu pages",
			zs_get_total_pages(p));
}

static struct zs_pool *host_side_pool(struct zs_fuzz *f, bool private_arena,
				      uint8_t pick, struct zs_arena **arena)
{
	struct zs_pool_config pc;
	struct zs_pool *p;
	unsigned long mark;
	int err;

	*arena = NULL;
	if (private_arena) {
		*arena = host_arena_create();
		if (!*arena)
			return NULL;
	}
	memset(&pc, 0, sizeof(pc));
	pc.name = side_names[pick % SIDE_NAMES];
	pc.chain_size = (pick >> 3) % 17u;
	pc.arena = private_arena ? *arena : f->arena;
	errno = 0;
	mark = zs_host_failures_injected();
	p = zs_create_pool_config(&pc);
	err = errno;
	host_expect_ptr(p, err, mark, "zs_create_pool_config");
	if (!p)
		return NULL;
	check_pool_name(p, pc.name, pc.chain_size);
	side_objects(f, p, pick, !private_arena && f->arena_injecting);
	return p;
}

enum { HOST_PAGES = 513 }; /* a region's worth and one more */

/* Every other page of pages[] freed, then a compaction that has nothing
 * it may move (the pages are unmovable) but must still plan; the plan is
 * a host allocation, so it may fail, and must move nothing either way.
 * Then the rest freed. */
static void host_compact_unmovable(struct zs_arena *t, void **pages)
{
	struct zs_arena_stats b, a;
	unsigned long mark, moved;
	unsigned i;

	memset(&b, 0, sizeof(b));
	memset(&a, 0, sizeof(a));
	for (i = 0; i < HOST_PAGES; i += 2) {
		zs_arena_free_page(t, pages[i]);
		pages[i] = NULL;
	}
	zs_arena_stats(t, &b);
	mark = zs_host_failures_injected();
	moved = zs_arena_compact(t);
	zs_arena_stats(t, &a);
	if (moved || a.pages_migrated != b.pages_migrated ||
	    a.migrate_failures != b.migrate_failures ||
	    a.pages_in_use != b.pages_in_use)
		fm_fail("zs_arena_compact of unmovable pages (host "
			"failure %d) moved %lu, migrated %lu -> %lu, "
			"failures %lu -> %lu, in use %lu -> %lu",
			host_hit(mark), moved, b.pages_migrated,
			a.pages_migrated, b.migrate_failures,
			a.migrate_failures, b.pages_in_use, a.pages_in_use);
	for (i = 1; i < HOST_PAGES; i += 2)
		zs_arena_free_page(t, pages[i]);
}

/* Pages straight from a new arena: one, then a region's worth and one
 * more (a second region), holes, and a compaction that has nothing it may
 * move but must still plan (the plan is a host allocation). */
static void host_arena_pages(struct zs_fuzz *f)
{
	static void *pages[HOST_PAGES];
	struct zs_arena_stats b, a;
	struct zs_arena *t;
	unsigned long mark;
	void *one;
	int id, ret, err;

	t = host_arena_create();
	if (!t)
		return;
	id = zs_arena_register_owner(t, f, &unmovable_ops);
	if (id < 0)
		fm_fail("zs_arena_register_owner on a new arena: %d", id);
	errno = 0;
	mark = zs_host_failures_injected();
	one = zs_arena_alloc_page(t, id);
	err = errno;
	host_expect_ptr(one, err, mark, "zs_arena_alloc_page");
	if (one)
		memset(one, 0x5a, ZS_PAGE_SIZE);
	memset(&b, 0, sizeof(b));
	zs_arena_stats(t, &b);
	mark = zs_host_failures_injected();
	ret = zs_arena_alloc_pages(t, id, HOST_PAGES, pages, 7, 0);
	host_expect_ret(ret, mark, "zs_arena_alloc_pages of a region and one");
	memset(&a, 0, sizeof(a));
	zs_arena_stats(t, &a);
	if (a.pages_in_use != b.pages_in_use + (ret ? 0 : HOST_PAGES))
		fm_fail("zs_arena_alloc_pages (%d) took pages in use from %lu "
			"to %lu",
			ret, b.pages_in_use, a.pages_in_use);
	if (!ret)
		host_compact_unmovable(t, pages);
	if (one)
		zs_arena_free_page(t, one);
	zs_arena_unregister_owner(t, id);
	ret = zs_arena_destroy(t);
	if (ret)
		fm_fail("zs_arena_destroy of an emptied arena: %d", ret);
}

/* Objects in the fuzzed pool: a host failure (a handle or descriptor
 * chunk, a region) must fail the allocation and change nothing but the
 * failure count, which do_alloc checks. */
static void host_main_allocs(struct zs_fuzz *f, uint8_t pick)
{
	bool other = f->pool_injecting || f->arena_injecting || f->cap;
	unsigned i, n = 1 + pick % 8u;
	unsigned long mark;
	struct fm_obj *o;
	size_t size;

	for (i = 0; i < n; i++) {
		size = 1 + (pick * 977u + i * 1543u) % zs_max_alloc_size();
		if (!fm_has_room(&f->m, size))
			break;
		mark = zs_host_failures_injected();
		o = zsf_do_alloc(f, size, (uint8_t)(pick + i));
		if (o && host_hit(mark))
			fm_fail("zs_malloc(%zu) succeeded though one of its "
				"host allocations failed",
				size);
		if (!o && !host_hit(mark) && !other)
			fm_fail("zs_malloc(%zu) failed, and no host allocation "
				"failed",
				size);
	}
}

/* The pool's arena compacted with host failures armed: a compaction that
 * cannot allocate its plan moves nothing. */
static void host_arena_compact(struct zs_fuzz *f)
{
	struct zs_arena *a = zsf_arena_of(f);
	struct zs_arena_stats b, s;
	struct zs_pool_stats before;
	unsigned long mark, moved;

	zsf_get_stats(f, &before);
	memset(&b, 0, sizeof(b));
	memset(&s, 0, sizeof(s));
	zs_arena_stats(a, &b);
	mark = zs_host_failures_injected();
	moved = zs_arena_compact(a);
	zs_arena_stats(a, &s);
	if (s.pages_migrated - b.pages_migrated != moved ||
	    s.pages_in_use != b.pages_in_use)
		fm_fail("zs_arena_compact returned %lu: migrated %lu -> %lu, "
			"in use %lu -> %lu",
			moved, b.pages_migrated, s.pages_migrated,
			b.pages_in_use, s.pages_in_use);
	if (host_hit(mark)) {
		if (moved)
			fm_fail("zs_arena_compact moved %lu pages though its "
				"plan could not be allocated",
				moved);
		zsf_expect_unchanged(
			f, &before, "an arena compaction without memory", true);
	}
	zsf_pool_check(f, "after an arena compaction with host failures");
	f->verify_pending = true;
}

/* A pressure monitor, its registrations (the second pool's finds room
 * already grown) and a reclaim, each failing cleanly or working. */
static void host_pressure(struct zs_fuzz *f, struct zs_pool *side, uint8_t pick)
{
	struct zs_arena *a = zsf_arena_of(f);
	struct zs_pressure_config cfg;
	struct zs_pressure *mon;
	unsigned long mark, before = zs_get_total_pages(f->pool);
	int rp, rs = -ENOENT, ra, err;

	if (pick & 0x40) {
		/* The defaults (the machine's PSI, whatever it says), and
		 * nothing registered, so its thread has nothing to do. */
		errno = 0;
		mark = zs_host_failures_injected();
		mon = zs_pressure_create(NULL);
		err = errno;
		host_expect_ptr(mon, err, mark, "zs_pressure_create(NULL)");
		zs_pressure_destroy(mon);
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.poll_ms = 1 + pick % 8u;
	cfg.psi_path = "";
	errno = 0;
	mark = zs_host_failures_injected();
	mon = zs_pressure_create(&cfg);
	err = errno;
	host_expect_ptr(mon, err, mark, "zs_pressure_create");
	if (!mon)
		return;
	mark = zs_host_failures_injected();
	rp = zs_pressure_add_pool(mon, f->pool, 0);
	host_expect_ret(rp, mark, "zs_pressure_add_pool");
	if (side) {
		mark = zs_host_failures_injected();
		rs = zs_pressure_add_pool(mon, side, 0);
		host_expect_ret(rs, mark, "zs_pressure_add_pool (second)");
	}
	mark = zs_host_failures_injected();
	ra = zs_pressure_add_arena(mon, a);
	host_expect_ret(ra, mark, "zs_pressure_add_arena");
	zs_pressure_reclaim(mon, 0);
	if (zs_get_total_pages(f->pool) > before)
		fm_fail("zs_pressure_reclaim grew the pool from %lu to %lu "
			"pages",
			before, zs_get_total_pages(f->pool));
	fm_expect_ret(zs_pressure_remove_pool(mon, f->pool), rp ? -ENOENT : 0,
		      "zs_pressure_remove_pool", 0);
	if (side)
		fm_expect_ret(zs_pressure_remove_pool(mon, side),
			      rs ? -ENOENT : 0,
			      "zs_pressure_remove_pool (second)", 0);
	fm_expect_ret(zs_pressure_remove_arena(mon, a), ra ? -ENOENT : 0,
		      "zs_pressure_remove_arena", 0);
	zs_pressure_destroy(mon);
	zsf_pool_check(f, "after a reclaim with host failures");
	f->verify_pending = true;
}

/* As many owners as an arena takes (docs/DESIGN.md, Limits): one more is
 * refused, and a pool cannot be made on that arena: ENOSPC, as zbud says,
 * unless a host allocation it made before asking for a slot failed.  The
 * arena holds 8 owners itself; the ninth maps the rest of the table, and
 * a refusal of that mapping refuses the ninth owner with ENOMEM, leaving
 * the arena as it was. */
#define ARENA_MAX_OWNERS 1024
#define ARENA_INLINE_OWNERS 8

static void host_owners_full(struct zs_fuzz *f)
{
	struct zs_pool_config pc;
	struct zs_arena *t;
	struct zs_pool *p;
	unsigned long mark;
	int id, n, err, ret, want;

	t = host_arena_create();
	if (!t)
		return;
	for (n = 0;; n++) {
		mark = zs_host_failures_injected();
		id = zs_arena_register_owner(t, f, &unmovable_ops);
		if (id < 0)
			break;
		if (id != n)
			fm_fail("owner %d of a new arena got id %d", n, id);
	}
	if (id == -ENOMEM && n == ARENA_INLINE_OWNERS && host_hit(mark)) {
		ret = zs_arena_check(t);
		if (ret)
			fm_fail("zs_arena_check after the ninth owner was "
				"refused: %d",
				ret);
		for (id = 0; id < n; id++)
			zs_arena_unregister_owner(t, id);
		ret = zs_arena_destroy(t);
		if (ret)
			fm_fail("zs_arena_destroy with every owner gone: %d",
				ret);
		return;
	}
	if (id != -ENOSPC || n != ARENA_MAX_OWNERS)
		fm_fail("zs_arena_register_owner refused owner %d with %d, "
			"expected owner %d refused with %d",
			n, id, ARENA_MAX_OWNERS, -ENOSPC);
	memset(&pc, 0, sizeof(pc));
	pc.name = "zs-fuzz-no-owner";
	pc.arena = t;
	errno = 0;
	mark = zs_host_failures_injected();
	p = zs_create_pool_config(&pc);
	err = errno;
	want = host_hit(mark) ? ENOMEM : ENOSPC;
	if (p || err != want)
		fm_fail("zs_create_pool_config on an arena with no owner slot "
			"returned %p errno %d, expected NULL errno %d",
			(void *)p, err, want);
	for (id = 0; id < n; id++)
		zs_arena_unregister_owner(t, id);
	ret = zs_arena_destroy(t);
	if (ret)
		fm_fail("zs_arena_destroy with every owner gone: %d", ret);
}

/* No file descriptor left (RLIMIT_NOFILE at the lowest free one): the
 * monitor's eventfd fails, and so must zs_pressure_create, with its errno. */
static void host_no_fd(void)
{
	struct zs_pressure_config cfg;
	struct zs_pressure *mon;
	struct rlimit old, lim;
	unsigned long mark;
	int fd, err, want;

	if (getrlimit(RLIMIT_NOFILE, &old))
		return;
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	lim = old;
	lim.rlim_cur = (rlim_t)fd;
	if (setrlimit(RLIMIT_NOFILE, &lim)) {
		close(fd);
		return;
	}
	close(fd);
	memset(&cfg, 0, sizeof(cfg));
	cfg.psi_path = "/dev/null";
	errno = 0;
	mark = zs_host_failures_injected();
	mon = zs_pressure_create(&cfg);
	err = errno;
	if (setrlimit(RLIMIT_NOFILE, &old))
		fm_fail("cannot restore RLIMIT_NOFILE, errno %d", errno);
	want = host_hit(mark) ? ENOMEM : EMFILE;
	if (mon || err != want) {
		zs_pressure_destroy(mon);
		fm_fail("zs_pressure_create with no file descriptor left "
			"returned %p errno %d, expected NULL errno %d",
			(void *)mon, err, want);
	}
}

/*
 * Host allocations (malloc, calloc, realloc, mmap) failing from the
 * `after`-th on, `count` of them, while pools, arenas and monitors are
 * made and used (the flags pick which): every call fails with the
 * contract's error exactly when one of its host allocations failed, and
 * leaves what it was called on as it was.  Injection is process-wide, so
 * it is disarmed before the op ends.
 */
void zsf_op_host_fault(void *state, struct fuzz_cursor *c)
{
	struct zs_fuzz *f = state;
	struct zs_arena *side_arena = NULL;
	struct zs_pool *side = NULL;
	uint8_t flags, after, count, pick;
	unsigned long mark;
	int ret;

	if (!fc_u8(c, &flags) || !fc_u8(c, &after) || !fc_u8(c, &count) ||
	    !fc_u8(c, &pick))
		return;
	count %= 5;
	mark = zs_host_failures_injected();
	zs_inject_host_failures(after % 32u, count);
	f->host_injecting = count != 0;
	if (flags & 1)
		side = host_side_pool(f, flags & 2, pick, &side_arena);
	if (flags & 4)
		host_arena_pages(f);
	if (flags & 8)
		host_main_allocs(f, pick);
	if (flags & 16)
		host_pressure(f, side, pick);
	if (flags & 32)
		host_arena_compact(f);
	if (flags & 64)
		host_owners_full(f);
	if (flags & 128)
		host_no_fd();
	zs_inject_host_failures(0, 0);
	f->host_injecting = false;
	fm_trace("  host failures: %lu of %u injected (after %u)\n",
		 zs_host_failures_injected() - mark, count, after % 32u);
	if (zs_host_failures_injected() - mark > count)
		fm_fail("%lu host failures injected, %u armed",
			zs_host_failures_injected() - mark, count);
	zs_destroy_pool(side);
	ret = zs_arena_destroy(side_arena);
	if (ret)
		fm_fail("zs_arena_destroy of the second pool's arena: %d", ret);
	zsf_pool_check(f, "after host allocation failures");
	f->verify_pending = true;
}
