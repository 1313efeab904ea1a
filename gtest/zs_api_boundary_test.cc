// SPDX-License-Identifier: MIT
/*
 * gtest/zs_api_boundary_test.cc - every public call at the edges of its
 * arguments: NULL for each pointer, full tables, empty pools, files that
 * are not what they claim to be.
 *
 * A hardened library must answer a NULL the way its contract says instead
 * of crashing, since the NULL usually comes from an earlier failure the
 * caller did not check.  The rule every header follows:
 *   - int-returning calls give -EINVAL;
 *   - pointer-returning calls give NULL with errno EINVAL, except where a
 *     NULL argument documentedly means "defaults" (zs_create_pool(NULL),
 *     zs_create_pool_config(NULL), zbud_create_pool(NULL ops), a NULL
 *     arena = the default one, zs_pressure_create(NULL), zpool names and
 *     ops);
 *   - count-returning calls give 0, void calls do nothing, and the
 *     destroy calls are no-ops (zs_arena_destroy(NULL) returns 0);
 *   - a stats call with a NULL output does nothing; with a NULL pool,
 *     arena or monitor it fills the output with zeroes.
 * Each test covers one public header, every function in it (the list is
 * checked against the headers by tools/api_boundary_coverage_test.sh), and
 * afterwards checks that live objects and counters did not change.
 */
#include "gtest/zs_shim.h"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <string>
#include <vector>

extern "C" {
#include "zs/fault.h"
#include "zs/pressure.h"
#include "zs/report.h"
#include "zs/zpool.h"
}

namespace
{

/* A byte pattern that NULL-tolerant output calls must leave alone. */
template <typename T>
T Garbage()
{
	T v;
	memset(&v, 0x5a, sizeof(v));
	return v;
}

template <typename T>
bool AllZero(const T &v)
{
	T z;
	memset(&z, 0, sizeof(z));
	return memcmp(&v, &z, sizeof(v)) == 0;
}

/* ---- zs/zsmalloc.h ------------------------------------------------- */

class ZsBoundary : public ::testing::Test {
protected:
	void SetUp() override
	{
		ASSERT_NE(pool_.get(), nullptr);
		/* a contiguous object, and a straddling one of the 1500 B
		 * class (found by where its bytes lie: reads are in place) */
		ASSERT_ERRNO(objs_.Alloc(100, 1), 0);
		std::vector<uint8_t> local(1500);
		for (uint64_t seed = 2; !straddling_ && seed < 64; seed++) {
			ASSERT_ERRNO(objs_.Alloc(1500, seed), 0);
			uint64_t h = objs_[objs_.size() - 1].handle;
			const void *p =
				zs_obj_read_begin(pool_, h, local.data());
			ASSERT_NE(p, nullptr);
			ASSERT_NE(p, local.data());
			if (reinterpret_cast<uintptr_t>(p) % 4096 + 1500 > 4096)
				straddling_ = h;
			ASSERT_ERRNO(zs_obj_read_end(pool_, h, p), 0);
		}
		ASSERT_NE(straddling_, 0u);
		before_ = pool_.Stats();
	}

	void ExpectUnchanged()
	{
		struct zs_pool_stats st = pool_.Stats();
		EXPECT_EQ(st.objs_used, before_.objs_used);
		EXPECT_EQ(st.pages_used, before_.pages_used);
		EXPECT_EQ(st.bytes_stored, before_.bytes_stored);
		EXPECT_EQ(st.alloc_failures, before_.alloc_failures);
		EXPECT_ERRNO(zs_pool_check(pool_), 0);
		EXPECT_TRUE(objs_.AllIntact());
	}

	zs::Pool pool_{ "boundary" };
	zs::Handles objs_{ pool_ };
	uint64_t straddling_ = 0;
	struct zs_pool_stats before_;
};

TEST_F(ZsBoundary, PoolLifeCycle)
{
	/* NULL name and NULL config mean defaults */
	zs_pool *p = zs_create_pool(nullptr);
	ASSERT_NE(p, nullptr);
	ASSERT_NE(zs_pool_name(p), nullptr);
	EXPECT_STRNE(zs_pool_name(p), "");
	zs_destroy_pool(p);
	p = zs_create_pool_config(nullptr);
	ASSERT_NE(p, nullptr);
	uint64_t h;
	EXPECT_ERRNO(zs_malloc(p, 10, &h), 0);
	zs_destroy_pool(p);
	zs_pool_config cfg = {}; /* NULL name and arena inside a config */
	p = zs_create_pool_config(&cfg);
	ASSERT_NE(p, nullptr);
	zs_destroy_pool(p);

	zs_destroy_pool(nullptr);
	EXPECT_NULL_ERRNO(zs_pool_name(nullptr), -EINVAL);
	ExpectUnchanged();
}

TEST_F(ZsBoundary, Objects)
{
	uint64_t h = 0x1234;
	EXPECT_ERRNO(zs_malloc(nullptr, 100, &h), -EINVAL);
	EXPECT_EQ(h, 0x1234u);
	EXPECT_ERRNO(zs_malloc(pool_, 100, nullptr), -EINVAL);
	EXPECT_EQ(zs_max_alloc_size(), 4096u);
	const uint64_t live = objs_[0].handle;
	EXPECT_ERRNO(zs_free(nullptr, live), -EINVAL);
	EXPECT_EQ(zs_obj_size(nullptr, live), 0u);
	ExpectUnchanged();
}

TEST_F(ZsBoundary, Access)
{
	const uint64_t live = objs_[0].handle;
	uint8_t buf[4096];
	EXPECT_NULL_ERRNO(zs_map_object(nullptr, live, ZS_MM_RO), -EINVAL);
	EXPECT_ERRNO(zs_unmap_object(nullptr, live), -EINVAL);
	EXPECT_NULL_ERRNO(zs_obj_read_begin(nullptr, live, buf), -EINVAL);
	EXPECT_ERRNO(zs_obj_read_end(nullptr, live, buf), -EINVAL);
	EXPECT_ERRNO(zs_obj_write(nullptr, live, buf, 1), -EINVAL);
	EXPECT_ERRNO(zs_obj_write(pool_, live, nullptr, 1), -EINVAL);

	/* local_copy NULL: every object is served in place, a straddling
	 * one included */
	const void *p = zs_obj_read_begin(pool_, live, nullptr);
	ASSERT_NE(p, nullptr);
	EXPECT_TRUE(zs::BytesMatch(p, objs_[0].size, objs_[0].seed));
	/* mem NULL still ends the one open read (the contract refuses only
	 * when none is open) */
	EXPECT_ERRNO(zs_obj_read_end(pool_, live, nullptr), 0);
	EXPECT_ERRNO(zs_obj_read_end(pool_, live, p), -EINVAL);
	p = zs_obj_read_begin(pool_, straddling_, nullptr);
	ASSERT_NE(p, nullptr);
	/* the straddling object is the last one allocated */
	EXPECT_TRUE(zs::BytesMatch(p, 1500, objs_[objs_.size() - 1].seed));
	EXPECT_ERRNO(zs_obj_read_end(pool_, straddling_, p), 0);
	EXPECT_ERRNO(zs_obj_read_end(pool_, straddling_, nullptr), -EINVAL);

	/* writing nothing from nowhere is legal, and checks the handle */
	EXPECT_ERRNO(zs_obj_write(pool_, live, nullptr, 0), 0);
	EXPECT_ERRNO(zs_obj_write(pool_, straddling_, nullptr, 0), 0);
	EXPECT_ERRNO(zs_obj_write(pool_, 0, nullptr, 0), -EINVAL);
	ExpectUnchanged();
}

TEST_F(ZsBoundary, SizesAndAccounting)
{
	EXPECT_EQ(zs_get_total_pages(nullptr), 0u);
	EXPECT_EQ(zs_huge_class_size(nullptr), 0u);
	EXPECT_EQ(zs_pool_class_count(nullptr), 0u);
	EXPECT_EQ(zs_class_size_for(nullptr, 100), 0u);

	struct zs_pool_stats st = Garbage<struct zs_pool_stats>();
	zs_pool_stats(nullptr, &st);
	EXPECT_TRUE(AllZero(st)) << "zs_pool_stats(NULL pool) zero-fills";
	zs_pool_stats(pool_, nullptr);
	ExpectUnchanged();
}

TEST_F(ZsBoundary, MovingCheckingPrinting)
{
	EXPECT_EQ(zs_compact(nullptr), 0u);
	EXPECT_EQ(zs_shrinker_count(nullptr), 0u);
	EXPECT_EQ(zs_shrinker_scan(nullptr, 10), 0u);
	EXPECT_ERRNO(zs_pool_check(nullptr), -EINVAL);
	EXPECT_EQ(
		zs::Capture([](FILE *f) { zs_pool_print_classes(nullptr, f); }),
		"");
	EXPECT_EQ(zs::Capture([](FILE *f) {
			  zs_pool_print_classes_json(nullptr, f);
		  }),
		  "");
	zs_pool_print_classes(pool_, nullptr);
	zs_pool_print_classes_json(pool_, nullptr);
	zs_pool_set_max_pages(nullptr, 1);
	zs_pool_inject_failures(nullptr, 0, 1);
	/* and neither reached this pool */
	ASSERT_ERRNO(objs_.Alloc(4096, 99), 0);
	ASSERT_ERRNO(objs_.Free(objs_.size() - 1), 0);
	ExpectUnchanged();
}

/* ---- zs/arena.h ---------------------------------------------------- */

int RefuseIsolate(void *, void *, uint32_t, uint32_t)
{
	return -EAGAIN;
}
int RefuseMigrate(void *, void *, void *, uint32_t, uint32_t)
{
	return -EAGAIN;
}
void IgnorePutback(void *, void *, uint32_t, uint32_t)
{
}
const zs_movable_ops kNoMoves = { RefuseIsolate, RefuseMigrate, IgnorePutback };

TEST(ArenaBoundary, EveryCallWithNull)
{
	zs::Arena arena;
	ASSERT_NE(arena.get(), nullptr);
	int owner_tag;
	int id = zs_arena_register_owner(arena, &owner_tag, &kNoMoves);
	ASSERT_GE(id, 0);
	void *page = zs_arena_alloc_page(arena, id);
	ASSERT_NE(page, nullptr);
	const struct zs_arena_stats before = arena.Stats();

	/* no pointer arguments: an empty arena comes and goes */
	zs_arena *empty = zs_arena_create();
	ASSERT_NE(empty, nullptr);
	EXPECT_ERRNO(zs_arena_destroy(empty), 0);
	EXPECT_ERRNO(zs_arena_destroy(nullptr), 0);
	ASSERT_NE(zs_arena_default(), nullptr);
	EXPECT_EQ(zs_arena_compact(nullptr), 0u);
	zs_arena_trim(nullptr);
	zs_arena_set_retain_ms(nullptr, 0);
	zs_arena_release_retained(nullptr);
	struct zs_arena_stats st = Garbage<struct zs_arena_stats>();
	zs_arena_stats(nullptr, &st);
	EXPECT_TRUE(AllZero(st)) << "zs_arena_stats(NULL arena) zero-fills";
	zs_arena_stats(arena, nullptr);
	EXPECT_ERRNO(zs_arena_check(nullptr), -EINVAL);

	EXPECT_ERRNO(zs_arena_register_owner(nullptr, &owner_tag, &kNoMoves),
		     -EINVAL);
	EXPECT_ERRNO(zs_arena_register_owner(arena, nullptr, &kNoMoves),
		     -EINVAL);
	EXPECT_ERRNO(zs_arena_register_owner(arena, &owner_tag, nullptr),
		     -EINVAL);
	zs_movable_ops partial = kNoMoves;
	partial.migrate = nullptr;
	EXPECT_ERRNO(zs_arena_register_owner(arena, &owner_tag, &partial),
		     -EINVAL);
	zs_arena_unregister_owner(nullptr, id);

	EXPECT_NULL_ERRNO(zs_arena_alloc_page(nullptr, id), -EINVAL);
	zs_arena_free_page(nullptr, page);
	zs_arena_free_page(arena, nullptr);
	void *pages[2] = { nullptr, nullptr };
	EXPECT_ERRNO(zs_arena_alloc_pages(nullptr, id, 2, pages, 0, 1),
		     -EINVAL);
	EXPECT_ERRNO(zs_arena_alloc_pages(arena, id, 2, nullptr, 0, 1),
		     -EINVAL);
	EXPECT_EQ(pages[0], nullptr);
	zs_arena_free_pages(nullptr, &page, 1);
	zs_arena_free_pages(arena, nullptr, 1);
	zs_arena_set_page_owner(nullptr, page, 7, 7, 1);
	zs_arena_set_page_owner(arena, nullptr, 7, 7, 1);
	EXPECT_NULL_ERRNO(zs_arena_alloc_run(nullptr, id, 2, 0, 1), -EINVAL);
	unsigned resident = 0;
	EXPECT_NULL_ERRNO(zs_arena_alloc_run_resident(nullptr, id, 2, 0, 1,
						      &resident),
			  -EINVAL);
	EXPECT_NULL_ERRNO(zs_arena_alloc_run_resident(arena, id, 2, 0, 1,
						      nullptr),
			  -EINVAL);
	zs_arena_free_run(nullptr, page);
	zs_arena_free_run(arena, nullptr);
	EXPECT_ERRNO(zs_arena_free_run_of(nullptr, page, id, 0), -EINVAL);
	EXPECT_ERRNO(zs_arena_free_run_of(arena, nullptr, id, 0), -EINVAL);
	uint32_t number = 7;
	EXPECT_ERRNO(zs_arena_page_number(nullptr, page, &number), -EINVAL);
	EXPECT_ERRNO(zs_arena_page_number(arena, nullptr, &number), -EINVAL);
	EXPECT_ERRNO(zs_arena_page_number(arena, page, nullptr), -EINVAL);
	EXPECT_EQ(number, 7u);
	EXPECT_EQ(zs_arena_page_at(nullptr, 0), nullptr);
	EXPECT_NULL_ERRNO(zs_arena_alloc_numbered_page(nullptr, id, 0, 1,
						       &number),
			  -EINVAL);
	EXPECT_NULL_ERRNO(zs_arena_alloc_numbered_page(arena, id, 0, 1,
						       nullptr),
			  -EINVAL);

	struct zs_arena_page_info info = Garbage<struct zs_arena_page_info>();
	EXPECT_ERRNO(zs_arena_page_info(nullptr, page, &info), -EINVAL);
	EXPECT_ERRNO(zs_arena_page_info(arena, nullptr, &info), -EINVAL);
	EXPECT_ERRNO(zs_arena_page_info(arena, page, nullptr), -EINVAL);
	unsigned long owned = 0;
	unsigned moving = 0;
	EXPECT_ERRNO(zs_arena_owner_pages(nullptr, id, &owned, &moving),
		     -EINVAL);
	EXPECT_ERRNO(zs_arena_owner_pages(arena, id, nullptr, &moving),
		     -EINVAL);
	EXPECT_ERRNO(zs_arena_owner_pages(arena, id, &owned, nullptr), -EINVAL);
	zs_arena_inject_failures(nullptr, 0, 1);

	/* nothing above touched the arena, its page or its owner */
	st = arena.Stats();
	EXPECT_EQ(st.pages_in_use, before.pages_in_use);
	EXPECT_EQ(st.pages_free, before.pages_free);
	EXPECT_EQ(st.regions_mapped, before.regions_mapped);
	EXPECT_ERRNO(zs_arena_check(arena), 0);
	ASSERT_ERRNO(zs_arena_page_info(arena, page, &info), 0);
	EXPECT_EQ(info.owner_id, id);
	EXPECT_EQ(info.cookie, 0u) << "set_page_owner with NULL arena landed";
	ASSERT_ERRNO(zs_arena_owner_pages(arena, id, &owned, &moving), 0);
	EXPECT_EQ(owned, 1u);
	void *more = zs_arena_alloc_page(arena, id); /* not injected */
	EXPECT_NE(more, nullptr);
	if (more)
		zs_arena_free_page(arena, more);
	zs_arena_free_page(arena, page);
	zs_arena_unregister_owner(arena, id);
	EXPECT_ERRNO(zs_arena_check(arena), 0);
}

/* Both allocators answer a full owner table the same way: ENOSPC. */
TEST(ArenaBoundary, FullOwnerTableIsEnospcForZsmallocAndZbud)
{
	zs::Arena arena;
	ASSERT_NE(arena.get(), nullptr);
	std::vector<int> ids;
	int tags[2];
	for (;;) {
		int id = zs_arena_register_owner(arena, &tags[0], &kNoMoves);
		if (id < 0) {
			EXPECT_ERRNO(id, -ENOSPC);
			break;
		}
		ids.push_back(id);
		ASSERT_LT(ids.size(), 100000u) << "no owner limit";
	}
	ASSERT_FALSE(ids.empty());

	zs_pool_config cfg = {};
	cfg.arena = arena;
	EXPECT_NULL_ERRNO(zs_create_pool_config(&cfg), -ENOSPC);
	EXPECT_NULL_ERRNO(zbud_create_pool_arena(nullptr, arena), -ENOSPC);
	EXPECT_ERRNO(zs_arena_check(arena), 0);

	/* one slot back: each can take it */
	zs_arena_unregister_owner(arena, ids.back());
	ids.pop_back();
	zs_pool *zp = zs_create_pool_config(&cfg);
	EXPECT_NE(zp, nullptr);
	zs_destroy_pool(zp);
	zbud_pool *zb = zbud_create_pool_arena(nullptr, arena);
	EXPECT_NE(zb, nullptr);
	zbud_destroy_pool(zb);
	for (int id : ids)
		zs_arena_unregister_owner(arena, id);
	EXPECT_ERRNO(zs_arena_check(arena), 0);
}

/* ---- zs/zbud.h ----------------------------------------------------- */

int EvictNothing(zbud_pool *, uint64_t)
{
	return -EAGAIN;
}

TEST(ZbudBoundary, EveryCallWithNull)
{
	zs::Zbud pool;
	ASSERT_NE(pool.get(), nullptr);
	uint64_t h = 0;
	ASSERT_ERRNO(zbud_alloc(pool, 100, &h), 0);
	void *p = zbud_map(pool, h);
	ASSERT_NE(p, nullptr);
	zs::FillPattern(p, 100, 5);
	ASSERT_ERRNO(zbud_unmap(pool, h), 0);

	/* NULL ops, NULL arena: defaults */
	zbud_pool *z = zbud_create_pool(nullptr);
	ASSERT_NE(z, nullptr);
	zbud_destroy_pool(z);
	zbud_ops ops = { EvictNothing };
	z = zbud_create_pool_arena(&ops, nullptr);
	ASSERT_NE(z, nullptr);
	zbud_destroy_pool(z);
	zbud_destroy_pool(nullptr);

	uint64_t h2 = 0x1234;
	EXPECT_ERRNO(zbud_alloc(nullptr, 100, &h2), -EINVAL);
	EXPECT_EQ(h2, 0x1234u);
	EXPECT_ERRNO(zbud_alloc(pool, 100, nullptr), -EINVAL);
	EXPECT_ERRNO(zbud_free(nullptr, h), -EINVAL);
	EXPECT_NULL_ERRNO(zbud_map(nullptr, h), -EINVAL);
	EXPECT_ERRNO(zbud_unmap(nullptr, h), -EINVAL);
	EXPECT_ERRNO(zbud_reclaim_page(nullptr, 1), -EINVAL);
	EXPECT_EQ(zbud_get_pool_size(nullptr), 0u);
	EXPECT_ERRNO(zbud_pool_check(nullptr), -EINVAL);

	EXPECT_EQ(pool.pages(), 1u);
	EXPECT_ERRNO(zbud_pool_check(pool), 0);
	p = zbud_map(pool, h);
	ASSERT_NE(p, nullptr);
	EXPECT_TRUE(zs::BytesMatch(p, 100, 5));
	EXPECT_ERRNO(zbud_unmap(pool, h), 0);
	EXPECT_ERRNO(zbud_free(pool, h), 0);
}

/* As the kernel's zbud: nothing to reclaim, or no attempt allowed, is a
 * bad call; a pool whose every page is pinned just has nothing now. */
TEST(ZbudBoundary, ReclaimOfEmptyPoolOrZeroRetriesIsEinval)
{
	zbud_ops ops = { EvictNothing };
	zs::Zbud pool(&ops);
	ASSERT_NE(pool.get(), nullptr);
	EXPECT_ERRNO(zbud_reclaim_page(pool, 1), -EINVAL);
	EXPECT_ERRNO(zbud_reclaim_page(pool, 0), -EINVAL);
	uint64_t h;
	ASSERT_ERRNO(zbud_alloc(pool, 100, &h), 0);
	EXPECT_ERRNO(zbud_reclaim_page(pool, 0), -EINVAL);
	EXPECT_EQ(pool.pages(), 1u);
	void *p = zbud_map(pool, h);
	ASSERT_NE(p, nullptr);
	EXPECT_ERRNO(zbud_reclaim_page(pool, 3), -EAGAIN);
	EXPECT_ERRNO(zbud_unmap(pool, h), 0);
	EXPECT_ERRNO(zbud_free(pool, h), 0);
	EXPECT_ERRNO(zbud_reclaim_page(pool, 1), -EINVAL);
	EXPECT_ERRNO(zbud_pool_check(pool), 0);
}

/* ---- zs/zpool.h ---------------------------------------------------- */

TEST(ZpoolBoundary, EveryCallWithNull)
{
	EXPECT_FALSE(zpool_has_pool(nullptr));
	EXPECT_NULL_ERRNO(zpool_create_pool(nullptr, "x", nullptr), -EINVAL);
	zpool_destroy_pool(nullptr);
	EXPECT_NULL_ERRNO(zpool_get_type(nullptr), -EINVAL);
	uint64_t h = 0x1234;
	EXPECT_ERRNO(zpool_malloc(nullptr, 100, &h), -EINVAL);
	EXPECT_EQ(h, 0x1234u);
	EXPECT_ERRNO(zpool_free(nullptr, h), -EINVAL);
	EXPECT_NULL_ERRNO(zpool_map_handle(nullptr, h, ZPOOL_MM_RO), -EINVAL);
	EXPECT_ERRNO(zpool_unmap_handle(nullptr, h), -EINVAL);
	unsigned reclaimed = 77;
	EXPECT_ERRNO(zpool_shrink(nullptr, 1, &reclaimed), -EINVAL);
	EXPECT_EQ(reclaimed, 0u);
	EXPECT_EQ(zpool_get_total_size(nullptr), 0u);
	EXPECT_EQ(zpool_compact(nullptr), 0u);

	for (const char *type : { "zsmalloc", "zbud" }) {
		SCOPED_TRACE(type);
		/* NULL name and NULL ops are allowed: no name, no evict */
		zpool *zp = zpool_create_pool(type, nullptr, nullptr);
		ASSERT_NE(zp, nullptr);
		EXPECT_STREQ(zpool_get_type(zp), type);
		EXPECT_ERRNO(zpool_malloc(zp, 100, nullptr), -EINVAL);
		ASSERT_ERRNO(zpool_malloc(zp, 100, &h), 0);
		/* reclaimed is optional: zsmalloc has nothing to compact,
		 * zbud without an evict callback cannot shrink */
		EXPECT_ERRNO(zpool_shrink(zp, 1, nullptr),
			     std::string(type) == "zbud" ? -EINVAL : -EAGAIN);
		void *p = zpool_map_handle(zp, h, ZPOOL_MM_RW);
		EXPECT_NE(p, nullptr);
		if (p) {
			EXPECT_ERRNO(zpool_unmap_handle(zp, h), 0);
		}
		EXPECT_ERRNO(zpool_free(zp, h), 0);
		zpool_destroy_pool(zp);
	}
}

/* ---- zs/pressure.h ------------------------------------------------- */

zs_pressure *NoPsi()
{
	zs_pressure_config cfg = {};
	cfg.poll_ms = 10;
	cfg.psi_path = "";
	return zs_pressure_create(&cfg);
}

TEST(PressureBoundary, EveryCallWithNull)
{
	/* NULL config: defaults (PSI armed or the refusal reported) */
	zs_pressure *mon = zs_pressure_create(nullptr);
	ASSERT_NE(mon, nullptr);
	zs_pressure_destroy(mon);
	zs_pressure_destroy(nullptr);

	mon = NoPsi();
	ASSERT_NE(mon, nullptr);
	zs::Pool pool("pressure");
	zs::Arena arena;
	ASSERT_NE(pool.get(), nullptr);
	ASSERT_NE(arena.get(), nullptr);
	EXPECT_ERRNO(zs_pressure_add_pool(nullptr, pool, 0), -EINVAL);
	EXPECT_ERRNO(zs_pressure_add_pool(mon, nullptr, 0), -EINVAL);
	EXPECT_ERRNO(zs_pressure_remove_pool(nullptr, pool), -EINVAL);
	EXPECT_ERRNO(zs_pressure_remove_pool(mon, nullptr), -EINVAL);
	EXPECT_ERRNO(zs_pressure_add_arena(nullptr, arena), -EINVAL);
	EXPECT_ERRNO(zs_pressure_add_arena(mon, nullptr), -EINVAL);
	EXPECT_ERRNO(zs_pressure_remove_arena(nullptr, arena), -EINVAL);
	EXPECT_ERRNO(zs_pressure_remove_arena(mon, nullptr), -EINVAL);
	EXPECT_EQ(zs_pressure_reclaim(nullptr, 0), 0u);
	zs_pressure_notify(nullptr);
	struct zs_pressure_stats st = Garbage<struct zs_pressure_stats>();
	zs_pressure_get_stats(nullptr, &st);
	EXPECT_TRUE(AllZero(st)) << "get_stats(NULL monitor) zero-fills";
	zs_pressure_get_stats(mon, nullptr);

	/* nothing was registered by the refused calls */
	EXPECT_ERRNO(zs_pressure_remove_pool(mon, pool), -ENOENT);
	EXPECT_ERRNO(zs_pressure_remove_arena(mon, arena), -ENOENT);
	zs_pressure_get_stats(mon, &st);
	EXPECT_EQ(st.explicit_events, 0u);
	zs_pressure_destroy(mon);
}

/* A psi_path that is not a PSI file must not pass for armed PSI: writing
 * the trigger to /dev/null or a regular file "succeeds" and never fires. */
TEST(PressureBoundary, PathThatIsNotPsiIsEinval)
{
	char file[] = "/tmp/zs-psi-XXXXXX";
	int fd = mkstemp(file);
	ASSERT_GE(fd, 0);
	/* the right words in the wrong place */
	const char text[] = "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n";
	ASSERT_EQ(write(fd, text, sizeof(text) - 1),
		  (ssize_t)(sizeof(text) - 1));
	close(fd);
	char dir[] = "/tmp/zs-psi-dir-XXXXXX";
	ASSERT_NE(mkdtemp(dir), nullptr);

	for (const char *path :
	     { "/dev/null", "/dev/full", (const char *)file, (const char *)dir,
	       "/proc/self/status", "/proc/self" }) {
		SCOPED_TRACE(path);
		zs_pressure_config cfg = {};
		cfg.poll_ms = 10;
		cfg.psi_path = path;
		zs_pressure *mon = zs_pressure_create(&cfg);
		ASSERT_NE(mon, nullptr);
		struct zs_pressure_stats st;
		zs_pressure_get_stats(mon, &st);
		EXPECT_EQ(st.psi_active, 0);
		EXPECT_EQ(st.psi_error, EINVAL);
		/* and the monitor still works without it */
		EXPECT_EQ(zs_pressure_reclaim(mon, 0), 0u);
		zs_pressure_destroy(mon);
	}
	/* the file still holds only what we wrote: no trigger went in */
	char back[128] = {};
	fd = open(file, O_RDONLY);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(read(fd, back, sizeof(back)), (ssize_t)(sizeof(text) - 1));
	close(fd);
	EXPECT_STREQ(back, text);
	unlink(file);
	rmdir(dir);
}

/* ---- zs/report.h and zs/fault.h ------------------------------------ */

void Collect(enum zs_finding, const char *msg, void *arg)
{
	static_cast<std::vector<std::string> *>(arg)->push_back(msg);
}

TEST(ReportBoundary, NullHookAndNullOldArg)
{
	std::vector<std::string> lines;
	void *old_arg = &lines;
	zs_report_hook *old = zs_set_report_hook(Collect, &lines, &old_arg);
	/* old_arg may be NULL; a NULL hook restores stderr */
	EXPECT_EQ(zs_set_report_hook(Collect, &lines, nullptr), Collect);
	EXPECT_EQ(zs_set_report_hook(nullptr, nullptr, nullptr), Collect);
	void *arg = &lines;
	EXPECT_EQ(zs_set_report_hook(old, old_arg, &arg), nullptr);
	EXPECT_EQ(arg, nullptr);
	/* a report reaches the hook installed last */
	zs_set_report_hook(Collect, &lines, nullptr);
	zs::Arena arena;
	int tag;
	int id = zs_arena_register_owner(arena, &tag, &kNoMoves);
	ASSERT_GE(id, 0);
	void *page = zs_arena_alloc_page(arena, id);
	ASSERT_NE(page, nullptr);
	EXPECT_ERRNO(zs_arena_destroy(arena), -EBUSY);
	zs_set_report_hook(old, old_arg, nullptr);
	EXPECT_FALSE(lines.empty());
	zs_arena_free_page(arena, page);
	zs_arena_unregister_owner(arena, id);
}

/* zs_finding_name takes no pointer: its boundary is a value that is not a
 * kind. */
TEST(ReportBoundary, FindingNameOfNoKind)
{
	EXPECT_NULL_ERRNO(zs_finding_name(ZS_FINDING_NONE), -EINVAL);
	EXPECT_NULL_ERRNO(zs_finding_name(ZS_FINDING_COUNT), -EINVAL);
	EXPECT_NE(zs_finding_name(ZS_FINDING_CORRUPTION_ABORT), nullptr);
}

TEST(FaultBoundary, NoPointerArguments)
{
	/* fault.h takes no pointer; count 0 disarms and injects nothing */
	unsigned long n = zs_host_failures_injected();
	zs_inject_host_failures(0, 0);
	zs::Pool pool("fault");
	EXPECT_NE(pool.get(), nullptr);
	EXPECT_EQ(zs_host_failures_injected(), n);
}

} /* namespace */
