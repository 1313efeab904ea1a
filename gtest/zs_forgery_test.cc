// SPDX-License-Identifier: MIT
/*
 * gtest/zs_forgery_test.cc - no value a pool did not issue opens an object.
 *
 * A handle is the only thing standing between a caller and another
 * object's bytes, so it must not be guessable from the handles a caller
 * already holds.  These tests hold pools of thousands of live objects and
 * thousands of freed (stale) handles and throw at them every value an
 * attacker would derive first: each 1-bit and 2-bit change of every live
 * and stale handle, stale handles themselves, other pools' live handles
 * and a million seeded random values.  Every entry point that takes a
 * handle must refuse each of them exactly as the contract says, and
 * afterwards every object must hold its bytes and the statistics must not
 * have moved.
 *
 * A candidate equal to a handle the pool holds live cannot be refused; it
 * is skipped and counted.  Such a hit is itself the flaw forgery exploits
 * (a bit flip naming another live object), and with handles sealed by a
 * keyed 64-bit permutation its odds are below 2^-40 for the whole run, so
 * the count must be 0 as well.
 *
 * The counts go to RecordProperty and one summary line per test.
 */
#include "gtest/zs_shim.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <unordered_set>
#include <vector>

extern "C" {
#include "zs/report.h"
}

namespace
{

/* Sized to keep every candidate going through every call in well under a
 * minute under ASan: (2000 + 2000) handles x 2081 variants. */
constexpr size_t kLive = 2000;
constexpr size_t kStale = 2000;
constexpr size_t kOtherPools = 4;
constexpr size_t kOtherLive = 300;
constexpr size_t kRandom = 1000000;

struct Tally {
	uint64_t tried = 0; /* candidates sent through every call */
	uint64_t live_hits = 0; /* skipped: equal to a live handle */
	uint64_t accepted = 0; /* some call did not refuse it */
	std::vector<uint64_t> examples; /* the first few accepted */
	std::vector<uint64_t> hit_examples; /* the first few live hits */

	void Add(const Tally &o)
	{
		tried += o.tried;
		live_hits += o.live_hits;
		accepted += o.accepted;
		for (uint64_t e : o.examples)
			if (examples.size() < 8)
				examples.push_back(e);
		for (uint64_t e : o.hit_examples)
			if (hit_examples.size() < 8)
				hit_examples.push_back(e);
	}
};

std::string Hex(const std::vector<uint64_t> &v)
{
	std::string s;
	char buf[24];
	for (uint64_t x : v) {
		snprintf(buf, sizeof(buf), " %#llx", (unsigned long long)x);
		s += buf;
	}
	return s;
}

/*
 * One pool under attack: the handles it holds live (never sent) and the
 * calls that must refuse everything else.  Rejects() returns true when
 * every call gave exactly the contract's refusal.
 */
template <typename Target>
void Try(Target &t, uint64_t c, Tally &tally)
{
	if (t.live.count(c)) {
		tally.live_hits++;
		if (tally.hit_examples.size() < 8)
			tally.hit_examples.push_back(c);
		return;
	}
	tally.tried++;
	if (!t.Rejects(c)) {
		tally.accepted++;
		if (tally.examples.size() < 8)
			tally.examples.push_back(c);
	}
}

/* h with every 1-bit and every 2-bit change; h itself when `self`. */
template <typename Target>
void TryVariants(Target &t, uint64_t h, bool self, Tally &tally)
{
	if (self)
		Try(t, h, tally);
	for (int i = 0; i < 64; i++) {
		uint64_t hi = h ^ (1ULL << i);
		Try(t, hi, tally);
		for (int j = i + 1; j < 64; j++)
			Try(t, hi ^ (1ULL << j), tally);
	}
}

/* No handle at all: 1,000,000 values from a seeded generator. */
template <typename Target>
void TryRandom(Target &t, uint64_t seed, Tally &tally)
{
	std::mt19937_64 rng(seed);
	for (size_t i = 0; i < kRandom; i++)
		Try(t, rng(), tally);
}

void Record(const char *what, const Tally &t)
{
	std::string w(what);
	::testing::Test::RecordProperty(w + "_tried", std::to_string(t.tried));
	::testing::Test::RecordProperty(w + "_accepted",
					std::to_string(t.accepted));
	::testing::Test::RecordProperty(w + "_live_hits",
					std::to_string(t.live_hits));
}

void ExpectNoneAccepted(const char *what, const Tally &t)
{
	Record(what, t);
	EXPECT_GT(t.tried, 0u) << what;
	EXPECT_EQ(t.accepted, 0u)
		<< what << ": " << t.accepted << " of " << t.tried
		<< " values accepted, e.g." << Hex(t.examples);
	EXPECT_EQ(t.live_hits, 0u)
		<< what << ": " << t.live_hits
		<< " derived values named another live object, e.g."
		<< Hex(t.hit_examples);
}

/* Report lines are counted, not printed: a refusal is allowed to report,
 * but millions of lines would bury the summary. */
struct QuietReports {
	static void Count(enum zs_finding, const char *, void *arg)
	{
		++*static_cast<unsigned long *>(arg);
	}
	QuietReports()
	{
		old = zs_set_report_hook(Count, &lines, &old_arg);
	}
	~QuietReports()
	{
		zs_set_report_hook(old, old_arg, nullptr);
	}
	unsigned long lines = 0;
	zs_report_hook *old;
	void *old_arg;
};

/* ---- zsmalloc ------------------------------------------------------ */

struct ZsTarget {
	zs_pool *pool;
	std::unordered_set<uint64_t> live;
	uint64_t n = 0;
	uint8_t buf[4096];

	/* The five calls, in an order where an acceptance by one cannot
	 * hide another: zs_free last, since it would end the object. */
	bool Rejects(uint64_t c)
	{
		static const zs_mapmode modes[] = { ZS_MM_RO, ZS_MM_RW,
						    ZS_MM_WO };
		bool ok = true;
		n++;
		if (zs_obj_size(pool, c) != 0)
			ok = false;
		errno = 0;
		void *m = zs_map_object(pool, c, modes[n % 3]);
		if (m) {
			zs_unmap_object(pool, c);
			ok = false;
		} else if (errno != EINVAL) {
			ok = false;
		}
		errno = 0;
		const void *r = zs_obj_read_begin(pool, c, buf);
		if (r) {
			zs_obj_read_end(pool, c, r);
			ok = false;
		} else if (errno != EINVAL) {
			ok = false;
		}
		const uint8_t one = 0x5a;
		if (zs_obj_write(pool, c, &one, 1) != -EINVAL)
			ok = false;
		if (zs_free(pool, c) != -EINVAL)
			ok = false;
		return ok;
	}
};

/* Every field; nothing a refused call does may show in them. */
void ExpectSameStats(const struct zs_pool_stats &a,
		     const struct zs_pool_stats &b)
{
	EXPECT_EQ(a.pages_compacted, b.pages_compacted);
	EXPECT_EQ(a.pages_used, b.pages_used);
	EXPECT_EQ(a.objs_allocated, b.objs_allocated);
	EXPECT_EQ(a.objs_used, b.objs_used);
	EXPECT_EQ(a.zspages, b.zspages);
	EXPECT_EQ(a.bytes_stored, b.bytes_stored);
	EXPECT_EQ(a.metadata_bytes, b.metadata_bytes);
	EXPECT_EQ(a.objs_moved, b.objs_moved);
	EXPECT_EQ(a.pages_migrated, b.pages_migrated);
	EXPECT_EQ(a.alloc_failures, b.alloc_failures);
	EXPECT_EQ(a.compactions, b.compactions);
}

zs_pool_config OnArena(zs_arena *arena, const char *name)
{
	zs_pool_config cfg = {};
	cfg.name = name;
	cfg.arena = arena;
	return cfg;
}

TEST(ZsForgery, NoDerivedOrRandomValueIsAccepted)
{
	QuietReports quiet;
	zs::Arena arena;
	ASSERT_NE(arena.get(), nullptr);
	zs::Pool pool(OnArena(arena, "forgery"));
	ASSERT_NE(pool.get(), nullptr);
	zs::Handles objs(pool);
	std::mt19937_64 rng(0x5eedf00d);
	uint64_t seed = 1;

	/* Live and stale handles from the same classes, and freed slots
	 * reissued under a new generation: a stale handle then differs
	 * from a live one only in what the generation contributes. */
	for (size_t i = 0; i < kLive + kStale / 2; i++)
		ASSERT_ERRNO(objs.Alloc(1 + rng() % 4096, seed++), 0);
	std::vector<uint64_t> stale;
	while (stale.size() < kStale) {
		if (stale.size() == kStale / 2) {
			for (size_t i = 0; i < kStale / 2; i++)
				ASSERT_ERRNO(objs.Alloc(1 + rng() % 4096,
							seed++),
					     0);
		}
		size_t i = rng() % objs.size();
		uint64_t h = objs[i].handle;
		ASSERT_ERRNO(objs.Free(i), 0);
		stale.push_back(h);
	}
	ASSERT_EQ(objs.size(), kLive);

	std::vector<zs::Pool> others;
	std::vector<std::vector<uint64_t>> other_live;
	for (size_t p = 0; p < kOtherPools; p++) {
		others.emplace_back(OnArena(arena, "other"));
		ASSERT_NE(others.back().get(), nullptr);
		other_live.emplace_back();
		for (size_t i = 0; i < kOtherLive; i++) {
			uint64_t h;
			ASSERT_ERRNO(zs_malloc(others[p], 1 + rng() % 4096, &h),
				     0);
			other_live[p].push_back(h);
		}
	}

	ASSERT_TRUE(objs.AllIntact());
	ASSERT_ERRNO(zs_pool_check(pool), 0);
	const struct zs_pool_stats before = pool.Stats();

	ZsTarget t{ pool, {}, 0, {} };
	for (size_t i = 0; i < objs.size(); i++)
		t.live.insert(objs[i].handle);
	ASSERT_EQ(t.live.size(), kLive) << "a handle was issued twice";

	Tally live_bits, stale_bits, foreign, random;
	for (size_t i = 0; i < objs.size(); i++)
		TryVariants(t, objs[i].handle, false, live_bits);
	for (uint64_t h : stale)
		TryVariants(t, h, true, stale_bits);
	for (size_t p = 0; p < kOtherPools; p++)
		for (uint64_t h : other_live[p]) {
			Try(t, h, foreign);
			for (int b = 0; b < 64; b++)
				Try(t, h ^ (1ULL << b), foreign);
		}
	TryRandom(t, 0xf0a9ed, random);
	/* And the other way round: our handles in each other pool. */
	for (size_t p = 0; p < kOtherPools; p++) {
		ZsTarget o{ others[p], {}, 0, {} };
		o.live.insert(other_live[p].begin(), other_live[p].end());
		for (size_t i = 0; i < objs.size(); i++)
			Try(o, objs[i].handle, foreign);
		EXPECT_ERRNO(zs_pool_check(others[p]), 0);
		EXPECT_EQ(others[p].Stats().objs_used, kOtherLive);
	}

	ExpectNoneAccepted("live_bit_flips", live_bits);
	ExpectNoneAccepted("stale_bit_flips", stale_bits);
	ExpectNoneAccepted("other_pools", foreign);
	ExpectNoneAccepted("random", random);
	Tally all;
	all.Add(live_bits);
	all.Add(stale_bits);
	all.Add(foreign);
	all.Add(random);
	Record("total", all);
	printf("zs forgery: %llu values tried, %llu accepted, %llu equal to a "
	       "live handle, %lu report lines\n",
	       (unsigned long long)all.tried, (unsigned long long)all.accepted,
	       (unsigned long long)all.live_hits, quiet.lines);

	EXPECT_TRUE(objs.AllIntact());
	ExpectSameStats(pool.Stats(), before);
	EXPECT_EQ(zs_get_total_pages(pool), before.pages_used);
	EXPECT_ERRNO(zs_pool_check(pool), 0);
	for (size_t p = 0; p < kOtherPools; p++)
		for (uint64_t h : other_live[p])
			EXPECT_ERRNO(zs_free(others[p], h), 0);
}

/* ---- zbud ---------------------------------------------------------- */

struct ZbudTarget {
	zbud_pool *pool;
	std::unordered_set<uint64_t> live;

	bool Rejects(uint64_t c)
	{
		bool ok = true;
		errno = 0;
		void *m = zbud_map(pool, c);
		if (m) {
			zbud_unmap(pool, c);
			ok = false;
		} else if (errno != EINVAL) {
			ok = false;
		}
		if (zbud_free(pool, c) != -EINVAL)
			ok = false;
		return ok;
	}
};

struct ZbudObj {
	uint64_t handle;
	size_t size;
	uint64_t seed;
};

::testing::AssertionResult ZbudIntact(zbud_pool *pool,
				      const std::vector<ZbudObj> &objs)
{
	for (const ZbudObj &o : objs) {
		void *p = zbud_map(pool, o.handle);
		if (!p)
			return ::testing::AssertionFailure()
			       << "zbud_map(" << o.handle << ") failed";
		::testing::AssertionResult r =
			zs::BytesMatch(p, o.size, o.seed);
		zbud_unmap(pool, o.handle);
		if (!r)
			return r << " in handle " << o.handle;
	}
	return ::testing::AssertionSuccess();
}

bool ZbudAlloc(zbud_pool *pool, size_t size, uint64_t seed,
	       std::vector<ZbudObj> &objs)
{
	uint64_t h;
	if (zbud_alloc(pool, size, &h) != 0)
		return false;
	void *p = zbud_map(pool, h);
	if (!p)
		return false;
	zs::FillPattern(p, size, seed);
	zbud_unmap(pool, h);
	objs.push_back({ h, size, seed });
	return true;
}

TEST(ZbudForgery, NoDerivedOrRandomValueIsAccepted)
{
	QuietReports quiet;
	zs::Zbud pool;
	ASSERT_NE(pool.get(), nullptr);
	std::mt19937_64 rng(0x2b0d);
	std::vector<ZbudObj> objs;
	uint64_t seed = 1;

	for (size_t i = 0; i < kLive + kStale / 2; i++)
		ASSERT_TRUE(ZbudAlloc(pool, 1 + rng() % ZBUD_MAX_ALLOC_SIZE,
				      seed++, objs));
	std::vector<uint64_t> stale;
	while (stale.size() < kStale) {
		if (stale.size() == kStale / 2) {
			for (size_t i = 0; i < kStale / 2; i++)
				ASSERT_TRUE(ZbudAlloc(
					pool, 1 + rng() % ZBUD_MAX_ALLOC_SIZE,
					seed++, objs));
		}
		size_t i = rng() % objs.size();
		ASSERT_ERRNO(zbud_free(pool, objs[i].handle), 0);
		stale.push_back(objs[i].handle);
		objs[i] = objs.back();
		objs.pop_back();
	}
	ASSERT_EQ(objs.size(), kLive);

	/* Other zbud pools, and a zsmalloc pool: handles of both kinds are
	 * sealed the same way, with different keys. */
	std::vector<std::unique_ptr<zs::Zbud>> others;
	std::vector<std::vector<ZbudObj>> other_objs(kOtherPools);
	for (size_t p = 0; p < kOtherPools; p++) {
		others.emplace_back(new zs::Zbud());
		ASSERT_NE(others.back()->get(), nullptr);
		for (size_t i = 0; i < kOtherLive; i++)
			ASSERT_TRUE(ZbudAlloc(*others[p],
					      1 + rng() % ZBUD_MAX_ALLOC_SIZE,
					      seed++, other_objs[p]));
	}
	zs::Pool zs_pool("forgery-zs");
	ASSERT_NE(zs_pool.get(), nullptr);
	zs::Handles zs_objs(zs_pool);
	for (size_t i = 0; i < kOtherLive; i++)
		ASSERT_ERRNO(zs_objs.Alloc(1 + rng() % 4096, seed++), 0);

	ASSERT_TRUE(ZbudIntact(pool, objs));
	ASSERT_ERRNO(zbud_pool_check(pool), 0);
	const uint64_t pages = pool.pages();

	ZbudTarget t{ pool, {} };
	for (const ZbudObj &o : objs)
		t.live.insert(o.handle);
	ASSERT_EQ(t.live.size(), kLive) << "a handle was issued twice";

	Tally live_bits, stale_bits, foreign, random;
	for (const ZbudObj &o : objs)
		TryVariants(t, o.handle, false, live_bits);
	for (uint64_t h : stale)
		TryVariants(t, h, true, stale_bits);
	for (size_t p = 0; p < kOtherPools; p++)
		for (const ZbudObj &o : other_objs[p]) {
			Try(t, o.handle, foreign);
			for (int b = 0; b < 64; b++)
				Try(t, o.handle ^ (1ULL << b), foreign);
		}
	for (size_t i = 0; i < zs_objs.size(); i++)
		Try(t, zs_objs[i].handle, foreign);
	TryRandom(t, 0xb0d5eed, random);
	for (size_t p = 0; p < kOtherPools; p++) {
		ZbudTarget o{ *others[p], {} };
		for (const ZbudObj &x : other_objs[p])
			o.live.insert(x.handle);
		for (const ZbudObj &x : objs)
			Try(o, x.handle, foreign);
		EXPECT_TRUE(ZbudIntact(*others[p], other_objs[p]));
		EXPECT_ERRNO(zbud_pool_check(*others[p]), 0);
	}

	ExpectNoneAccepted("live_bit_flips", live_bits);
	ExpectNoneAccepted("stale_bit_flips", stale_bits);
	ExpectNoneAccepted("other_pools", foreign);
	ExpectNoneAccepted("random", random);
	Tally all;
	all.Add(live_bits);
	all.Add(stale_bits);
	all.Add(foreign);
	all.Add(random);
	Record("total", all);
	printf("zbud forgery: %llu values tried, %llu accepted, %llu equal to "
	       "a live handle, %lu report lines\n",
	       (unsigned long long)all.tried, (unsigned long long)all.accepted,
	       (unsigned long long)all.live_hits, quiet.lines);

	EXPECT_TRUE(ZbudIntact(pool, objs));
	EXPECT_EQ(pool.pages(), pages);
	EXPECT_ERRNO(zbud_pool_check(pool), 0);
	EXPECT_TRUE(zs_objs.AllIntact());
	for (const ZbudObj &o : objs)
		EXPECT_ERRNO(zbud_free(pool, o.handle), 0);
	for (size_t p = 0; p < kOtherPools; p++)
		for (const ZbudObj &o : other_objs[p])
			EXPECT_ERRNO(zbud_free(*others[p], o.handle), 0);
}

} /* namespace */
