// SPDX-License-Identifier: MIT
/*
 * gtest/zs_host_faults_test.cc - the host refusing memory (zs/fault.h).
 *
 * Every malloc, calloc, realloc and region mmap zs makes goes through
 * zs/host.c, and zs_inject_host_failures() makes them fail on demand.  The
 * contract under test: a creation call (zs_create_pool, zbud_create_pool,
 * zpool_create_pool for both backends, zs_arena_create, zs_pressure_create)
 * that meets a failure returns NULL with errno ENOMEM and leaks nothing
 * (LeakSanitizer checks at exit); an allocation that needs its pool or
 * arena to grow (handle-table chunk, zspage-descriptor chunk, arena region,
 * zbud's tables) returns exactly -ENOMEM, leaves the pool and arena as they
 * were and consistent, and succeeds once the host gives memory again, with
 * every earlier object intact.  Each call is swept: its k-th host
 * allocation fails, for k = 0, 1, ... until the call succeeds, so every
 * failure point is reached, and zs_host_failures_injected() must count each
 * injected failure exactly once.
 *
 * The injection is process-wide and the tests share one process, so every
 * arming is scoped (Armed) and the fixture disarms around each test.
 */
#include "gtest/zs_shim.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <functional>
#include <vector>
#include <string>

extern "C" {
#include "zs/fault.h"
#include "zs/pressure.h"
#include "zs/zpool.h"
}

namespace
{

constexpr uint64_t kSentinel = 0x5eed5eed5eed5eedULL;
/* More host allocations than any single call makes. */
constexpr unsigned kMaxSteps = 64;

/* zs internals the expectations below are derived from (docs/DESIGN.md). */
constexpr size_t kHandleChunk = 16384; /* handle-table slots per chunk */
constexpr size_t kZspageChunk = 510; /* zspage descriptors per chunk */
constexpr size_t kRegionPages = 512; /* pages per 2 MiB arena region */

/* Injection armed for one scope; disarmed however the scope ends. */
class Armed {
public:
	Armed(unsigned after, unsigned count)
	{
		zs_inject_host_failures(after, count);
	}
	~Armed()
	{
		zs_inject_host_failures(0, 0);
	}
	Armed(const Armed &) = delete;
	Armed &operator=(const Armed &) = delete;
};

class HostFaults : public ::testing::Test {
protected:
	void SetUp() override
	{
		zs_inject_host_failures(0, 0);
		/* The default arena is made on first use; made here, it does
		 * not add host allocations to the first sweep that uses it.
		 * (DefaultArena.FirstUseFailureIsNotPermanent covers that.) */
		ASSERT_NE(zs_arena_default(), nullptr);
	}
	void TearDown() override
	{
		zs_inject_host_failures(0, 0);
	}
};

/*
 * Calls create() with its k-th host allocation failing, k = 0, 1, ...:
 * every failed call must give NULL + ENOMEM and count one injection, the
 * first call that gets past every failure point must count none.  Then a
 * disarmed call must succeed too.  Returns the number of host allocations
 * the call makes (the first k that succeeded).
 */
template <typename T>
unsigned SweepCreate(const char *what, const std::function<T *()> &create,
		     const std::function<void(T *)> &destroy)
{
	unsigned k;
	for (k = 0; k < kMaxSteps; k++) {
		unsigned long before = zs_host_failures_injected();
		T *p;
		int err;
		{
			Armed a(k, 1);
			errno = 0;
			p = create();
			err = errno;
		}
		unsigned long injected = zs_host_failures_injected() - before;
		if (p) {
			EXPECT_EQ(injected, 0u) << what << " k=" << k;
			destroy(p);
			break;
		}
		EXPECT_EQ(err, ENOMEM) << what << " k=" << k << ": errno "
				       << zs::ErrString(-(long long)err);
		EXPECT_EQ(injected, 1u) << what << " k=" << k;
		if (::testing::Test::HasFailure())
			return k;
	}
	EXPECT_LT(k, kMaxSteps) << what << " never succeeded";
	unsigned long before = zs_host_failures_injected();
	T *p = create();
	EXPECT_NE(p, nullptr) << what << " fails even when disarmed";
	EXPECT_EQ(zs_host_failures_injected(), before);
	if (p)
		destroy(p);
	return k;
}

/* ---- injection semantics ---------------------------------------------- */

TEST_F(HostFaults, AfterSuccessesThenCountFailuresThenDisarmed)
{
	zs_arena *arena = zs_arena_create();
	ASSERT_NE(arena, nullptr);
	/* zbud_create_pool_arena makes exactly one host allocation. */
	unsigned long before = zs_host_failures_injected();
	std::vector<bool> got;
	{
		Armed a(2, 3);
		for (int i = 0; i < 7; i++) {
			errno = 0;
			zbud_pool *p = zbud_create_pool_arena(nullptr, arena);
			got.push_back(p != nullptr);
			if (!p) {
				EXPECT_EQ(errno, ENOMEM) << "call " << i;
			}
			zbud_destroy_pool(p);
		}
	}
	EXPECT_EQ(got, (std::vector<bool>{ true, true, false, false, false,
					   true, true }));
	EXPECT_EQ(zs_host_failures_injected() - before, 3u);
	EXPECT_ERRNO(zs_arena_destroy(arena), 0);
}

TEST_F(HostFaults, CountZeroDisarmsAndArmingReplacesTheLastArming)
{
	zs_arena *arena = zs_arena_create();
	ASSERT_NE(arena, nullptr);
	unsigned long before = zs_host_failures_injected();

	zs_inject_host_failures(0, 5);
	zs_inject_host_failures(0, 0);
	zbud_pool *p = zbud_create_pool_arena(nullptr, arena);
	EXPECT_NE(p, nullptr) << "count 0 did not disarm";
	zbud_destroy_pool(p);
	EXPECT_EQ(zs_host_failures_injected(), before);

	{
		zs_inject_host_failures(10, 1);
		Armed a(0, 1); /* replaces (10, 1): the very next one fails */
		EXPECT_NULL_ERRNO(zbud_create_pool_arena(nullptr, arena),
				  -ENOMEM);
		p = zbud_create_pool_arena(nullptr, arena);
		EXPECT_NE(p, nullptr) << "count 1 failed more than once";
		zbud_destroy_pool(p);
	}
	EXPECT_EQ(zs_host_failures_injected(), before + 1);
	EXPECT_ERRNO(zs_arena_destroy(arena), 0);
}

/* ---- creation paths ---------------------------------------------------- */

/* Host allocations of each creation call, from its source: a pool is its
 * struct alone (the shards and the first entries of the handle and
 * descriptor directories live in it; objects of every size share zspages,
 * so there is no class table); an arena is its struct and its two region
 * tables; zbud, a zpool wrapper and a pressure monitor one struct each. */

TEST_F(HostFaults, ZsCreatePool)
{
	unsigned n = SweepCreate<zs_pool>(
		"zs_create_pool", [] { return zs_create_pool("faults"); },
		zs_destroy_pool);
	EXPECT_EQ(n, 1u);
}

TEST_F(HostFaults, ZsCreatePoolOnItsOwnArena)
{
	zs_arena *arena = zs_arena_create();
	ASSERT_NE(arena, nullptr);
	for (unsigned chain : { 1u, 4u, 8u, 16u }) {
		unsigned n = SweepCreate<zs_pool>(
			"zs_create_pool_config",
			[&] {
				zs_pool_config cfg = {};
				cfg.name = "faults";
				cfg.chain_size = chain;
				cfg.arena = arena;
				return zs_create_pool_config(&cfg);
			},
			zs_destroy_pool);
		EXPECT_EQ(n, 1u) << "chain " << chain;
	}
	EXPECT_ERRNO(zs_arena_destroy(arena), 0);
}

TEST_F(HostFaults, ZbudCreatePool)
{
	zbud_ops ops = {};
	unsigned n = SweepCreate<zbud_pool>(
		"zbud_create_pool", [&] { return zbud_create_pool(&ops); },
		zbud_destroy_pool);
	EXPECT_EQ(n, 1u);

	zs_arena *arena = zs_arena_create();
	ASSERT_NE(arena, nullptr);
	n = SweepCreate<zbud_pool>(
		"zbud_create_pool_arena",
		[&] { return zbud_create_pool_arena(nullptr, arena); },
		zbud_destroy_pool);
	EXPECT_EQ(n, 1u);
	EXPECT_ERRNO(zs_arena_destroy(arena), 0);
}

int NoEvict(struct zpool *, uint64_t)
{
	return -EAGAIN;
}

TEST_F(HostFaults, ZpoolCreatePoolBothBackends)
{
	static const zpool_ops ops = { NoEvict };
	struct Case {
		const char *type;
		const zpool_ops *ops;
		unsigned allocs;
	} cases[] = {
		{ "zsmalloc", nullptr, 1 + 1 },
		{ "zsmalloc", &ops, 1 + 1 },
		{ "zbud", nullptr, 1 + 1 },
		{ "zbud", &ops, 1 + 1 },
	};
	for (const Case &c : cases) {
		std::string what = std::string("zpool_create_pool(") + c.type +
				   (c.ops ? ", ops)" : ")");
		unsigned n = SweepCreate<zpool>(
			what.c_str(),
			[&] {
				return zpool_create_pool(c.type, "faults",
							 c.ops);
			},
			zpool_destroy_pool);
		EXPECT_EQ(n, c.allocs) << what;
	}
}

TEST_F(HostFaults, ZsArenaCreate)
{
	unsigned n = SweepCreate<zs_arena>(
		"zs_arena_create", zs_arena_create,
		[](zs_arena *a) { EXPECT_ERRNO(zs_arena_destroy(a), 0); });
	EXPECT_EQ(n, 1u); /* its tables' first entries are inline */
}

TEST_F(HostFaults, ZsPressureCreate)
{
	zs_pressure_config cfg = {};
	cfg.psi_path = ""; /* no PSI: the same path on every machine */
	unsigned n = SweepCreate<zs_pressure>(
		"zs_pressure_create", [&] { return zs_pressure_create(&cfg); },
		zs_pressure_destroy);
	EXPECT_EQ(n, 1u);
}

TEST_F(HostFaults, PressureRegistrationTablesFailCleanly)
{
	zs_pressure_config cfg = {};
	cfg.psi_path = "";
	zs_pressure *mon = zs_pressure_create(&cfg);
	ASSERT_NE(mon, nullptr);
	zs_arena *arena = zs_arena_create();
	ASSERT_NE(arena, nullptr);
	{
		zs::Pool pool("faults");
		ASSERT_NE(pool.get(), nullptr);
		unsigned long before = zs_host_failures_injected();
		{
			Armed a(0, 1);
			EXPECT_ERRNO(zs_pressure_add_pool(mon, pool, 0),
				     -ENOMEM);
		}
		{
			Armed a(0, 1);
			EXPECT_ERRNO(zs_pressure_add_arena(mon, arena),
				     -ENOMEM);
		}
		EXPECT_EQ(zs_host_failures_injected() - before, 2u);
		/* Nothing was registered by the failed calls. */
		EXPECT_ERRNO(zs_pressure_remove_pool(mon, pool), -ENOENT);
		EXPECT_ERRNO(zs_pressure_remove_arena(mon, arena), -ENOENT);
		EXPECT_ERRNO(zs_pressure_add_pool(mon, pool, 0), 0);
		EXPECT_ERRNO(zs_pressure_add_arena(mon, arena), 0);
		EXPECT_ERRNO(zs_pressure_remove_pool(mon, pool), 0);
		EXPECT_ERRNO(zs_pressure_remove_arena(mon, arena), 0);
	}
	zs_pressure_destroy(mon);
	EXPECT_ERRNO(zs_arena_destroy(arena), 0);
}

/*
 * The default arena is made on first use.  If that first use meets a host
 * failure, a later call must be able to make it: a failure must not leave
 * the process without a default arena for good.  This needs a process where
 * nothing has used the default arena yet, so it runs in a fresh one (the
 * "threadsafe" death-test style re-executes this test alone).
 */
int FirstUseOfTheDefaultArena()
{
	/* zs_create_pool makes its struct first, then the default arena
	 * (one allocation).  k = 0, 1 fail the struct and the arena; at
	 * k = 2 the arena is made and kept and the call makes nothing more,
	 * so it succeeds. */
	for (unsigned k = 0; k < kMaxSteps; k++) {
		unsigned long before = zs_host_failures_injected();
		zs_inject_host_failures(k, 1);
		errno = 0;
		zs_pool *p = zs_create_pool("first");
		int err = errno;
		zs_inject_host_failures(0, 0);
		unsigned long injected = zs_host_failures_injected() - before;
		if (p) {
			zs_destroy_pool(p);
			if (k != 2 || injected != 0) {
				fprintf(stderr, "succeeded at k=%u\n", k);
				return 1;
			}
			break;
		}
		if (err != ENOMEM || injected != 1) {
			fprintf(stderr, "k=%u: errno %d, %lu injected\n", k,
				err, injected);
			return 2;
		}
	}
	zs_pool *p = zs_create_pool("after");
	if (!p) {
		fprintf(stderr, "zs_create_pool fails for good\n");
		return 3;
	}
	zbud_pool *z = zbud_create_pool(nullptr);
	if (!z) {
		fprintf(stderr, "zbud_create_pool fails for good\n");
		zs_destroy_pool(p);
		return 4;
	}
	zbud_destroy_pool(z);
	zs_destroy_pool(p);
	return 0;
}

TEST(DefaultArena, FirstUseFailureIsNotPermanent)
{
	GTEST_FLAG_SET(death_test_style, "threadsafe");
	EXPECT_EXIT(exit(FirstUseOfTheDefaultArena()),
		    ::testing::ExitedWithCode(0), "");
}

/* ---- growth paths ------------------------------------------------------ */

/*
 * A growth point is the n-th allocation of a fixed fill of a fresh pool on
 * a fresh arena: the one that needs a new handle-table chunk, descriptor
 * chunk, arena region, or (zbud) a bigger table or a new page.  Each point
 * is swept on fresh rigs, so each of its host allocations fails exactly
 * once: for k = 0, 1, ... a rig is filled up to the point with nothing
 * armed, the point's allocation runs with its k-th host allocation failing,
 * and must return exactly -ENOMEM and change nothing that holds objects,
 * then succeed once disarmed and leave the rig exactly as a rig that never
 * failed.  The first k at which it succeeds is the number of host
 * allocations the point makes.
 *
 * "Changes nothing": pages, zspages, objects, bytes and the arena are as
 * they were.  The handle and descriptor tables only grow (DESIGN.md), so
 * a chunk made, or a batch of fresh handle slots taken, before a later
 * step failed stays, counted in metadata_bytes by the pages it reaches,
 * and is what the retry uses: metadata_bytes may grow after any failure,
 * and after the retry it must equal the clean rig's.
 */

struct ZsStats {
	struct zs_pool_stats pool;
	struct zs_arena_stats arena;
};

/* Field-by-field comparison of everything but the fields named. */
::testing::AssertionResult SameStats(const ZsStats &a, const ZsStats &b,
				     bool metadata_may_grow,
				     unsigned long more_failures)
{
	auto r = ::testing::AssertionFailure();
	bool same = true;
#define ZS_SAME(s, f)                                                   \
	if (a.s.f != b.s.f) {                                           \
		r << #s "." #f " " << a.s.f << " -> " << b.s.f << "; "; \
		same = false;                                           \
	}
	ZS_SAME(pool, pages_compacted)
	ZS_SAME(pool, pages_used)
	ZS_SAME(pool, objs_allocated)
	ZS_SAME(pool, objs_used)
	ZS_SAME(pool, zspages)
	ZS_SAME(pool, bytes_stored)
	ZS_SAME(pool, objs_moved)
	ZS_SAME(pool, pages_migrated)
	ZS_SAME(pool, compactions)
	ZS_SAME(arena, pages_in_use)
	ZS_SAME(arena, pages_free)
	ZS_SAME(arena, regions_mapped)
	ZS_SAME(arena, regions_released)
	ZS_SAME(arena, pages_migrated)
	ZS_SAME(arena, migrate_failures)
	ZS_SAME(arena, metadata_bytes)
	if (!metadata_may_grow) {
		ZS_SAME(pool, metadata_bytes)
	}
#undef ZS_SAME
	if (metadata_may_grow &&
	    b.pool.metadata_bytes < a.pool.metadata_bytes) {
		r << "pool.metadata_bytes shrank " << a.pool.metadata_bytes
		  << " -> " << b.pool.metadata_bytes << "; ";
		same = false;
	}
	if (b.pool.alloc_failures != a.pool.alloc_failures + more_failures) {
		r << "pool.alloc_failures " << a.pool.alloc_failures << " -> "
		  << b.pool.alloc_failures << " (expected +" << more_failures
		  << "); ";
		same = false;
	}
	return same ? ::testing::AssertionSuccess() : r;
}

/* A zsmalloc pool (chain 8 unless said) on an arena of its own, holding
 * objects of size_of(i) bytes, object i with pattern i. */
class ZsRig {
public:
	explicit ZsRig(std::function<size_t(size_t)> size_of,
		       unsigned chain = 8)
	    : size_of_(std::move(size_of)), arena_(zs_arena_create())
	{
		zs_pool_config cfg = {};
		cfg.name = "growth";
		cfg.chain_size = chain;
		cfg.arena = arena_;
		pool_ = arena_ ? zs_create_pool_config(&cfg) : nullptr;
		hs_ = new zs::Handles(pool_);
	}
	~ZsRig()
	{
		delete hs_;
		zs_destroy_pool(pool_);
		if (arena_) {
			EXPECT_ERRNO(zs_arena_destroy(arena_), 0);
		}
	}
	ZsRig(const ZsRig &) = delete;
	ZsRig &operator=(const ZsRig &) = delete;

	bool ok() const
	{
		return pool_ != nullptr;
	}
	/* Allocates objects up to (not including) index n; nothing armed. */
	::testing::AssertionResult FillTo(size_t n)
	{
		for (size_t i = hs_->size(); i < n; i++) {
			int ret = hs_->Alloc(size_of_(i), i);
			if (ret)
				return ::testing::AssertionFailure()
				       << "filling: allocation " << i
				       << " returned " << zs::ErrString(ret);
		}
		return ::testing::AssertionSuccess();
	}
	/* The next object's allocation: zs_malloc's result; *h as it left
	 * it. */
	int Next(uint64_t *h)
	{
		size_t i = hs_->size();
		int ret = zs_malloc(pool_, size_of_(i), h);
		if (ret == 0) {
			EXPECT_ERRNO(hs_->Adopt(*h, size_of_(i), i), 0);
		}
		return ret;
	}
	ZsStats Stats() const
	{
		ZsStats s;
		zs_pool_stats(pool_, &s.pool);
		zs_arena_stats(arena_, &s.arena);
		return s;
	}
	static ::testing::AssertionResult Same(const ZsStats &a,
					       const ZsStats &b,
					       bool metadata_may_grow,
					       unsigned long more_failures)
	{
		return SameStats(a, b, metadata_may_grow, more_failures);
	}
	int Check() const
	{
		return zs_pool_check(pool_);
	}
	zs_pool *pool() const
	{
		return pool_;
	}
	zs::Handles &objs()
	{
		return *hs_;
	}
	::testing::AssertionResult AllIntact()
	{
		return hs_->AllIntact();
	}

private:
	std::function<size_t(size_t)> size_of_;
	zs_arena *arena_;
	zs_pool *pool_;
	zs::Handles *hs_;
};

/* Sweeps allocation n of the fill (see above) on fresh rigs of type Rig
 * (ZsRig or ZbudRig); returns the number of host allocations it makes. */
template <class Rig>
unsigned SweepGrowth(size_t n, const std::function<size_t(size_t)> &size_of)
{
	decltype(std::declval<Rig &>().Stats()) clean_before, clean_after;
	{
		Rig ref(size_of);
		EXPECT_TRUE(ref.ok());
		EXPECT_TRUE(ref.FillTo(n));
		clean_before = ref.Stats();
		uint64_t h = 0;
		EXPECT_ERRNO(ref.Next(&h), 0) << "allocation " << n;
		clean_after = ref.Stats();
	}
	if (::testing::Test::HasFailure())
		return 0;
	unsigned k;
	for (k = 0; k < kMaxSteps; k++) {
		SCOPED_TRACE(::testing::Message()
			     << "allocation " << n << ", host allocation " << k
			     << " failing");
		Rig rig(size_of);
		EXPECT_TRUE(rig.ok());
		EXPECT_TRUE(rig.FillTo(n));
		if (::testing::Test::HasFailure())
			return k;
		auto before = rig.Stats();
		EXPECT_TRUE(Rig::Same(clean_before, before, false, 0));
		unsigned long injected0 = zs_host_failures_injected();
		uint64_t h = kSentinel;
		int ret;
		{
			Armed a(k, 1);
			ret = rig.Next(&h);
		}
		unsigned long injected =
			zs_host_failures_injected() - injected0;
		if (ret == 0 && injected == 0) {
			EXPECT_TRUE(
				Rig::Same(clean_after, rig.Stats(), false, 0));
			break;
		}
		EXPECT_ERRNO(ret, -ENOMEM);
		EXPECT_EQ(h, kSentinel) << "handle written on failure";
		EXPECT_EQ(injected, 1u);
		EXPECT_TRUE(Rig::Same(before, rig.Stats(), true, 1));
		EXPECT_ERRNO(rig.Check(), 0);
		if (::testing::Test::HasFailure())
			return k;

		/* The host gives memory again: the same allocation succeeds
		 * and the rig is the clean one, but for the failure counted. */
		EXPECT_ERRNO(rig.Next(&h), 0);
		EXPECT_TRUE(Rig::Same(clean_after, rig.Stats(), false, 1));
		EXPECT_EQ(zs_host_failures_injected() - injected0, 1u);
		EXPECT_ERRNO(rig.Check(), 0);
		EXPECT_TRUE(rig.AllIntact());
		if (::testing::Test::HasFailure())
			return k;
	}
	EXPECT_LT(k, kMaxSteps);
	return k;
}

unsigned SweepZsGrowth(size_t n, const std::function<size_t(size_t)> &size_of)
{
	return SweepGrowth<ZsRig>(n, size_of);
}

/* The same on a chain-3 pool, whose zspages do not tile a region. */
class ZsRig3 : public ZsRig {
public:
	explicit ZsRig3(std::function<size_t(size_t)> size_of)
	    : ZsRig(std::move(size_of), 3)
	{
	}
};

/* One object of 4092 bytes per zspage of one page: a zspage per
 * allocation, as huge objects made before they lost their descriptors. */
class ZsRig1 : public ZsRig {
public:
	explicit ZsRig1(std::function<size_t(size_t)> size_of)
	    : ZsRig(std::move(size_of), 1)
	{
	}
};

/* The first allocation of a pool on a fresh arena makes the first handle
 * chunk, the first descriptor chunk and the first region (its descriptor
 * and its mmap); a huge object's first needs no descriptor chunk. */
TEST_F(HostFaults, ZsFirstAllocation)
{
	EXPECT_EQ(SweepZsGrowth(0, [](size_t) { return 100; }), 4u);
	EXPECT_EQ(SweepZsGrowth(0, [](size_t) { return 4096; }), 3u);
}

/* 16-byte objects, 24 bytes with their tag: 1365 to an 8-page zspage.
 * The 16385th handle needs the second handle chunk, and nothing else: its
 * object lands in the 13th zspage, which holds only 4 objects so far (13
 * zspages need no second descriptor chunk, 104 pages no second region). */
TEST_F(HostFaults, ZsHandleTableChunk)
{
	EXPECT_EQ(SweepZsGrowth(kHandleChunk, [](size_t) { return 16; }), 1u);
}

/* One-page zspages of one object each: zspage 510 needs the second
 * descriptor chunk; zspage 512, its page 512, a second region.  Huge
 * objects, a page each with no descriptor, need only the region. */
TEST_F(HostFaults, ZsZspageTableChunk)
{
	auto one_per_zspage = [](size_t) { return 4092; };
	auto huge = [](size_t) { return 4096; };
	EXPECT_EQ(SweepGrowth<ZsRig1>(kZspageChunk, one_per_zspage), 1u);
	EXPECT_EQ(SweepGrowth<ZsRig1>(kRegionPages, one_per_zspage), 2u);
	EXPECT_EQ(SweepZsGrowth(kZspageChunk, huge), 0u);
	EXPECT_EQ(SweepZsGrowth(kRegionPages, huge), 2u);
}

/* The pool holds the first 16 chunks' directory entries itself: the
 * 262,145th handle needs the mapped directory and its chunk, nothing else
 * (its object lands in zspage 192, opened 65 objects earlier). */
TEST_F(HostFaults, ZsHandleDirectoryMapped)
{
	EXPECT_EQ(SweepZsGrowth(16 * kHandleChunk, [](size_t) { return 16; }),
		  2u);
}

/* The same for descriptors: one-page zspage 8160 (16 chunks of 510) needs the
 * mapped directory and its chunk; its page 8160 is inside region 15. */
TEST_F(HostFaults, ZsZspageDirectoryMapped)
{
	EXPECT_EQ(SweepGrowth<ZsRig1>(16 * kZspageChunk,
				      [](size_t) { return 4092; }),
		  2u);
}

/* The same for owners: an arena holds 8 of them itself, and the ninth
 * pool on it maps the spilled tables.  A refusal fails the pool's
 * creation with ENOMEM and leaves the arena as it was; the ninth owner
 * then costs the arena one page of owner table and nothing else. */
TEST_F(HostFaults, ZsArenaNinthOwner)
{
	zs_arena *arena = zs_arena_create();
	ASSERT_NE(arena, nullptr);
	zs_pool_config cfg = {};
	cfg.name = "owner";
	cfg.arena = arena;
	std::vector<zs_pool *> pools;
	for (int i = 0; i < 8; i++) {
		pools.push_back(zs_create_pool_config(&cfg));
		ASSERT_NE(pools.back(), nullptr);
	}
	struct zs_arena_stats before, after;
	zs_arena_stats(arena, &before);
	{
		Armed a(1, 1); /* the pool's struct, then the spill */
		errno = 0;
		EXPECT_EQ(zs_create_pool_config(&cfg), nullptr);
		EXPECT_EQ(errno, ENOMEM);
	}
	EXPECT_ERRNO(zs_arena_check(arena), 0);
	zs_arena_stats(arena, &after);
	EXPECT_EQ(after.metadata_bytes, before.metadata_bytes);
	pools.push_back(zs_create_pool_config(&cfg));
	ASSERT_NE(pools.back(), nullptr);
	zs_arena_stats(arena, &after);
	EXPECT_EQ(after.metadata_bytes, before.metadata_bytes + 4096);
	EXPECT_ERRNO(zs_arena_check(arena), 0);
	for (zs_pool *p : pools)
		zs_destroy_pool(p);
	EXPECT_ERRNO(zs_arena_destroy(arena), 0);
}

/* Three-page zspages do not tile a region: zspage 170 takes the region's
 * last two pages, then needs a new region for its third.  The failed call
 * must give those two pages back (the arena's stats are compared).  Objects
 * of 380 bytes take 384 (48 units with their tag), so a 3-page zspage
 * (1536 units) holds exactly 32 and object 170 * 32 opens zspage 170. */
TEST_F(HostFaults, ZsRegionNeededInTheMiddleOfAZspage)
{
	const size_t size = 380, objs = 32;
	{
		ZsRig3 rig([=](size_t) { return size; });
		ASSERT_TRUE(rig.ok());
		ASSERT_EQ(zs_class_size_for(rig.pool(), size), 384u);
		ASSERT_TRUE(rig.FillTo(objs));
		EXPECT_EQ(rig.Stats().pool.zspages, 1u);
		ASSERT_TRUE(rig.FillTo(objs + 1));
		EXPECT_EQ(rig.Stats().pool.zspages, 2u);
		/* the second zspage has reached its first page only */
		EXPECT_EQ(rig.Stats().pool.pages_used, 4u);
	}
	const size_t zspage = kRegionPages / 3; /* 170: pages 510, 511, 512 */
	EXPECT_EQ(SweepGrowth<ZsRig3>(zspage * objs,
				      [=](size_t) { return size; }),
		  2u);
}

/* Refilling what was freed makes no host allocation at all: with every
 * host allocation failing, all the refills still succeed. */
TEST_F(HostFaults, ZsReuseNeedsNoHostAllocation)
{
	ZsRig rig([](size_t i) { return 4096 - (i * 97) % 4000; });
	ASSERT_TRUE(rig.ok());
	ASSERT_TRUE(rig.FillTo(400));
	std::vector<size_t> sizes;
	for (size_t i = rig.objs().size(); i-- > 0;)
		if (i % 2 == 0) {
			sizes.push_back(rig.objs()[i].size);
			ASSERT_ERRNO(rig.objs().Free(i), 0);
		}
	ASSERT_ERRNO(zs_pool_check(rig.pool()), 0);
	unsigned long injected0 = zs_host_failures_injected();
	{
		Armed a(0, ~0u);
		for (size_t i = 0; i < sizes.size(); i++)
			ASSERT_ERRNO(rig.objs().Alloc(sizes[i], 1000 + i), 0)
				<< "refill " << i << " of " << sizes.size();
	}
	EXPECT_EQ(zs_host_failures_injected(), injected0);
	EXPECT_ERRNO(zs_pool_check(rig.pool()), 0);
	EXPECT_TRUE(rig.objs().AllIntact());
}

/* ---- growth paths: zbud ------------------------------------------------ */

struct ZbudStats {
	uint64_t pages;
	struct zs_arena_stats arena;
};

::testing::AssertionResult SameZbud(const ZbudStats &a, const ZbudStats &b)
{
	auto r = ::testing::AssertionFailure();
	bool same = true;
	if (a.pages != b.pages) {
		r << "zbud_get_pool_size " << a.pages << " -> " << b.pages
		  << "; ";
		same = false;
	}
#define ZS_SAME(f)                                                       \
	if (a.arena.f != b.arena.f) {                                    \
		r << "arena." #f " " << a.arena.f << " -> " << b.arena.f \
		  << "; ";                                               \
		same = false;                                            \
	}
	ZS_SAME(pages_in_use)
	ZS_SAME(pages_free)
	ZS_SAME(regions_mapped)
	ZS_SAME(regions_released)
	ZS_SAME(metadata_bytes)
#undef ZS_SAME
	return same ? ::testing::AssertionSuccess() : r;
}

/* A zbud pool on an arena of its own (zs::Zbud), holding objects of
 * size_of(i) bytes, object i with pattern i. */
class ZbudRig {
public:
	explicit ZbudRig(std::function<size_t(size_t)> size_of)
	    : size_of_(std::move(size_of))
	{
	}
	~ZbudRig()
	{
		for (uint64_t h : handles_)
			EXPECT_ERRNO(zbud_free(pool_, h), 0);
	}
	ZbudRig(const ZbudRig &) = delete;
	ZbudRig &operator=(const ZbudRig &) = delete;

	bool ok() const
	{
		return pool_.get() != nullptr;
	}
	::testing::AssertionResult FillTo(size_t n)
	{
		while (handles_.size() < n) {
			uint64_t h;
			int ret = Next(&h);
			if (ret)
				return ::testing::AssertionFailure()
				       << "filling: allocation "
				       << handles_.size() << " returned "
				       << zs::ErrString(ret);
		}
		return ::testing::AssertionSuccess();
	}
	int Next(uint64_t *h)
	{
		size_t i = handles_.size(), size = size_of_(i);
		int ret = zbud_alloc(pool_, size, h);
		if (ret)
			return ret;
		handles_.push_back(*h);
		void *p = zbud_map(pool_, *h);
		EXPECT_NE(p, nullptr);
		if (p) {
			zs::FillPattern(p, size, i);
			EXPECT_ERRNO(zbud_unmap(pool_, *h), 0);
		}
		return 0;
	}
	::testing::AssertionResult AllIntact()
	{
		for (size_t i = 0; i < handles_.size(); i++) {
			void *p = zbud_map(pool_, handles_[i]);
			if (!p)
				return ::testing::AssertionFailure()
				       << "zbud_map of object " << i
				       << " failed";
			auto r = zs::BytesMatch(p, size_of_(i), i);
			zbud_unmap(pool_, handles_[i]);
			if (!r)
				return r << " (object " << i << ")";
		}
		return ::testing::AssertionSuccess();
	}
	ZbudStats Stats() const
	{
		ZbudStats s;
		s.pages = zbud_get_pool_size(pool_);
		zs_arena_stats(pool_.arena(), &s.arena);
		return s;
	}
	/* zbud's tables are one block each, reallocated to double; a
	 * doubling that succeeded before a later step failed is kept and
	 * invisible in the stats, and zbud counts no failures. */
	static ::testing::AssertionResult
	Same(const ZbudStats &a, const ZbudStats &b, bool, unsigned long)
	{
		return SameZbud(a, b);
	}
	int Check() const
	{
		return zbud_pool_check(pool_);
	}

private:
	std::function<size_t(size_t)> size_of_;
	zs::Zbud pool_;
	std::vector<uint64_t> handles_;
};

unsigned SweepZbudGrowth(size_t n, const std::function<size_t(size_t)> &size_of)
{
	return SweepGrowth<ZbudRig>(n, size_of);
}

/* Objects of 3000 B take a page each (two would need 94 of the 63 chunks),
 * so every allocation makes a page descriptor; the handle-slot table
 * doubles from 256, the descriptor tables (two blocks) from 64, and the
 * 513th page needs a second region (descriptor and mmap). */
TEST_F(HostFaults, ZbudGrowthPoints)
{
	auto big = [](size_t) { return 3000; };
	struct Point {
		size_t n;
		unsigned allocs;
	} points[] = {
		{ 0,
		  1 + 2 + 1 + 2 }, /* slots, descriptor tables, desc, region */
		{ 1, 1 }, /* the page descriptor alone */
		{ 64, 2 + 1 }, /* descriptor tables double */
		{ 256, 1 + 2 + 1 }, /* and the slot table */
		{ kRegionPages, 1 + 2 + 1 + 2 }, /* and a new region */
	};
	for (const Point &p : points)
		EXPECT_EQ(SweepZbudGrowth(p.n, big), p.allocs)
			<< "allocation " << p.n;
}

/* Two 100 B objects share a page.  After one largest object (alone in its
 * page: the 64 B left take no 100 B object), the 256th slot is taken by an
 * object that fills the last page's free buddy: the slot table doubles and
 * nothing else is allocated. */
TEST_F(HostFaults, ZbudSlotTableGrowsAlone)
{
	auto sizes = [](size_t i) {
		return i == 0 ? (size_t)ZBUD_MAX_ALLOC_SIZE : (size_t)100;
	};
	{
		ZbudRig rig(sizes);
		ASSERT_TRUE(rig.FillTo(256));
		ASSERT_EQ(rig.Stats().pages, 1u + 255u / 2 + 1);
		uint64_t h;
		ASSERT_ERRNO(rig.Next(&h), 0);
		ASSERT_EQ(rig.Stats().pages, 1u + 255u / 2 + 1);
	}
	EXPECT_EQ(SweepZbudGrowth(256, sizes), 1u);
}

} /* namespace */
