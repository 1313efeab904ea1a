// SPDX-License-Identifier: MIT
/*
 * gtest/zsmalloc_classes_test.cc - what the class API means in the
 * shared-zspage layout, from first principles.
 *
 * There are no size classes any more: objects of every size below 4093
 * bytes share zspages of chain_size pages, placed at 8-byte granularity,
 * an object of n bytes taking its footprint, (n + 4) rounded up to 8 (the
 * 4-byte tag, then the bytes).  From 4093 bytes on, n + 4 no longer fits a
 * page's 512 units and the object takes a page of its own.  The class
 * calls keep their meaning for callers sizing things: zs_class_size_for is
 * the footprint, zs_pool_class_count the number of distinct footprints
 * (1..512 units, and the huge page: 513), zs_huge_class_size 4093 at every
 * chain size.  The expected values are computed here, independently of the
 * library (Footprint below), and the library is held to them through the
 * public API only: the class calls, the pages a fill costs
 * (zs_get_total_pages, zs_pool_stats) and the rows zs_pool_print_classes
 * and zs_pool_print_classes_json write.
 */
#include "gtest/zs_shim.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <sstream>

namespace
{

constexpr size_t kPage = 4096;
constexpr size_t kTag = 4; /* the object's tag: slot << 2 | prev_gap */
constexpr size_t kUnit = 8;
constexpr size_t kHuge = kPage - kTag + 1; /* 4093 */

/* Pages counts below are those of fresh zspages: a zspage counts the
 * pages its objects reach, but a run the arena still has resident from a
 * freed zspage counts whole at once.  The arena's resident free pages
 * are purged first, so earlier frees do not change what is counted. */
void PurgeFreedRuns()
{
	zs_arena_trim(zs_arena_default());
}

/* The model: the bytes an object of n (1..4096) bytes takes. */
size_t Footprint(size_t n)
{
	if (n >= kHuge)
		return kPage;
	return (n + kTag + kUnit - 1) / kUnit * kUnit;
}

/* Objects of footprint f (bytes) a zspage of zspage_bytes holds when
 * packed: all that fit, but for one-unit objects the last unit stays free:
 * a one-unit gap is not in the free-space index (no room for its links),
 * so no allocation finds it until a neighbour's free merges it. */
size_t PerZspage(size_t zspage_bytes, size_t f)
{
	return f == kUnit ? zspage_bytes / kUnit - 1 : zspage_bytes / f;
}

class ZsClasses : public ::testing::TestWithParam<unsigned> {};

TEST_P(ZsClasses, CountAndHugeSizeAreTheFootprints)
{
	zs::Pool pool = zs::Pool::WithChain(GetParam());
	ASSERT_NE(pool.get(), nullptr);
	/* footprints of 1..512 units, and the huge page */
	EXPECT_EQ(zs_pool_class_count(pool), kPage / kUnit + 1);
	/* the chain size no longer matters: 4092 + 4 is one page's units */
	EXPECT_EQ(zs_huge_class_size(pool), kHuge);
}

TEST_P(ZsClasses, EverySizeHasTheModelsFootprint)
{
	const unsigned chain = GetParam();
	zs::Pool pool = zs::Pool::WithChain(chain);
	ASSERT_NE(pool.get(), nullptr);
	std::set<size_t> shared; /* distinct footprints below huge */
	size_t prev = 0;
	for (size_t n = 1; n <= kPage; n++) {
		size_t s = zs_class_size_for(pool, n);
		ASSERT_EQ(s, Footprint(n))
			<< "size " << n << ", chain " << chain;
		ASSERT_GE(s, prev) << "footprint not monotonic at " << n;
		prev = s;
		if (n < kHuge) {
			ASSERT_GE(s, n + kTag)
				<< "no room for the tag, size " << n;
			ASSERT_LT(s, n + kTag + kUnit) << "size " << n;
			shared.insert(s);
		}
	}
	/* every footprint of 1..512 units is reached, and by its own
	 * largest object (footprint - tag); the huge page is the 513th */
	EXPECT_EQ(shared.size(), kPage / kUnit);
	EXPECT_EQ(shared.size() + 1, zs_pool_class_count(pool));
	for (size_t s : shared) {
		EXPECT_EQ(zs_class_size_for(pool, s - kTag), s);
		EXPECT_EQ(zs_class_size_for(pool, s - kTag + 1),
			  s == kPage ? kPage : s + kUnit);
	}
	EXPECT_EQ(zs_class_size_for(pool, 0), 0u);
	EXPECT_EQ(zs_class_size_for(pool, kPage + 1), 0u);
}

TEST_P(ZsClasses, HugeBoundaryIsExact)
{
	const unsigned chain = GetParam();
	zs::Pool pool = zs::Pool::WithChain(chain);
	ASSERT_NE(pool.get(), nullptr);
	PurgeFreedRuns();
	const size_t huge = zs_huge_class_size(pool);
	ASSERT_EQ(huge, kHuge);

	/* huge - 1 = 4092 bytes: a footprint of exactly one page, so chain
	 * of them fill one shared zspage to the last unit and one more opens
	 * a second zspage. */
	{
		zs::Handles hs(pool);
		for (unsigned i = 0; i < chain; i++)
			ASSERT_ERRNO(hs.Alloc(huge - 1, i), 0);
		EXPECT_EQ(zs_get_total_pages(pool), chain)
			<< chain << " objects of " << huge - 1 << " B";
		EXPECT_EQ(pool.Stats().zspages, 1u);
		/* the second zspage counts the page its object fills and,
		 * past it, the page holding the rest's gap tag and links */
		ASSERT_ERRNO(hs.Alloc(huge - 1, chain), 0);
		EXPECT_EQ(zs_get_total_pages(pool),
			  chain + (chain > 1 ? 2 : 1));
		EXPECT_EQ(pool.Stats().zspages, 2u);
		EXPECT_TRUE(hs.AllIntact());
	}
	EXPECT_EQ(zs_get_total_pages(pool), 0u);

	/* From huge up, every object takes exactly one page of its own. */
	for (size_t n : { huge, huge + 1, (size_t)4095, (size_t)4096 }) {
		zs::Handles hs(pool);
		for (unsigned i = 1; i <= 5; i++) {
			ASSERT_ERRNO(hs.Alloc(n, i), 0);
			EXPECT_EQ(zs_get_total_pages(pool), i)
				<< i << " objects of " << n << " B";
			EXPECT_EQ(pool.Stats().zspages, i);
		}
		EXPECT_TRUE(hs.AllIntact());
	}
	EXPECT_EQ(zs_get_total_pages(pool), 0u);
	EXPECT_ERRNO(zs_pool_check(pool), 0);
}

/* Objects of one size n, allocated in a fresh pool by one thread, are
 * packed one after the other: a zspage holds zspage_bytes / footprint of
 * them (the rest, less than a footprint, is a gap no such object fits;
 * one fewer for one-unit objects, PerZspage),
 * and a new zspage opens only when the last one is full.  So a fill of
 * three zspages' worth and one more object takes exactly four zspages,
 * never less than the footprints add up to. */
TEST_P(ZsClasses, PagesUsedMatchFootprints)
{
	const unsigned chain = GetParam();
	zs::Pool pool = zs::Pool::WithChain(chain);
	ASSERT_NE(pool.get(), nullptr);
	PurgeFreedRuns();
	const size_t zspage_bytes = chain * kPage;
	std::set<size_t> sizes = { 1,	 4,    5,    12,   13,
				   100,	 101,  1000, 2044, 2045,
				   2500, 4000, 4084, 4085, 4092 };
	for (size_t n = 3; n < kHuge; n += 61)
		sizes.insert(n);
	std::vector<uint64_t> hs;
	for (size_t n : sizes) {
		const size_t f = Footprint(n), per = PerZspage(zspage_bytes, f);
		const size_t count = 3 * per + 1;
		hs.clear();
		for (size_t i = 0; i < count; i++) {
			uint64_t h = 0;
			ASSERT_ERRNO(zs_malloc(pool, n, &h), 0) << "size " << n;
			hs.push_back(h);
		}
		const uint64_t sum = (uint64_t)count * f;
		struct zs_pool_stats st = pool.Stats();
		EXPECT_EQ(st.zspages, 4u)
			<< "size " << n << ", chain " << chain;
		/* the open zspage counts the pages its one object and the
		 * head of the gap after it (tag and links, 2 units) reach */
		const size_t rest = (zspage_bytes - f) / 8;
		const size_t open =
			(f + 8 * (rest < 2 ? rest : 2) + kPage - 1) / kPage;
		EXPECT_EQ(st.pages_used, 3u * chain + open) << "size " << n;
		EXPECT_GE(st.pages_used * kPage, sum) << "size " << n;
		/* what is not footprint: each full zspage's tail, too short
		 * for one more object, and the open zspage's free room on
		 * the pages it reached */
		EXPECT_EQ(st.pages_used * kPage - sum,
			  3 * (zspage_bytes - per * f) + open * kPage - f)
			<< "size " << n;
		EXPECT_EQ(st.bytes_stored, (uint64_t)count * n);
		for (uint64_t h : hs)
			ASSERT_ERRNO(zs_free(pool, h), 0);
		ASSERT_EQ(zs_get_total_pages(pool), 0u) << "size " << n;
		PurgeFreedRuns();
	}
	EXPECT_ERRNO(zs_pool_check(pool), 0);
}

/* Objects of mixed sizes share zspages: the pages a fill takes are at
 * least its footprints, and a zspage is only opened when no gap fits the
 * next object, so every zspage but the last is short of full by less
 * than the largest footprint. */
TEST_P(ZsClasses, MixedSizesShareZspages)
{
	const unsigned chain = GetParam();
	zs::Pool pool = zs::Pool::WithChain(chain);
	ASSERT_NE(pool.get(), nullptr);
	zs::Handles hs(pool);
	uint64_t sum = 0;
	size_t largest = 0;
	for (unsigned i = 0; i < 2000; i++) {
		size_t n = 1 + zs::Mix(i) % (kHuge - 1);
		ASSERT_ERRNO(hs.Alloc(n, i), 0);
		sum += Footprint(n);
		largest = std::max(largest, Footprint(n));
	}
	/* Without frees, a zspage's only gap is at its end: shorter than
	 * the object that opened the next zspage in a full one, and in the
	 * open zspage less than a page past the gap's head (2 units), which
	 * is all of that zspage's pages it counts. */
	struct zs_pool_stats st = pool.Stats();
	EXPECT_LE(st.pages_used, st.zspages * chain);
	EXPECT_GE(st.pages_used * kPage, sum);
	EXPECT_LT(st.pages_used * kPage,
		  sum + (st.zspages - 1) * largest + kPage + 16);
	EXPECT_EQ(st.bytes_stored, hs.BytesLive());
	EXPECT_TRUE(hs.AllIntact());
	EXPECT_ERRNO(zs_pool_check(pool), 0);
}

/* One line of the text table, split in words. */
std::vector<std::string> Words(const std::string &line)
{
	std::istringstream ls(line);
	std::vector<std::string> tok;
	std::string t;
	while (ls >> t)
		tok.push_back(t);
	return tok;
}

/* The debugfs-style table has no class rows any more: one row per shard
 * (class = shard index, size 4092, the largest object they take,
 * pages_per_zspage = chain) and one huge row (class 4, size 4096, one page
 * per zspage), then Total. */
TEST_P(ZsClasses, PrintedTableListsShardsAndHuge)
{
	const unsigned chain = GetParam();
	zs::Pool pool = zs::Pool::WithChain(chain);
	ASSERT_NE(pool.get(), nullptr);
	PurgeFreedRuns();
	zs::Handles hs(pool);
	const size_t n = 200, per = chain * kPage / Footprint(n);
	const size_t count = 2 * per + 3;
	for (size_t i = 0; i < count; i++)
		ASSERT_ERRNO(hs.Alloc(n, i), 0);
	for (unsigned i = 0; i < 3; i++)
		ASSERT_ERRNO(hs.Alloc(4096, 100000 + i), 0);
	std::string text =
		zs::Capture([&](FILE *f) { zs_pool_print_classes(pool, f); });
	std::istringstream in(text);
	std::string line;
	unsigned nrows = 0, busy = 0;
	unsigned long used = 0, pages = 0;
	bool total = false;
	while (std::getline(in, line)) {
		std::vector<std::string> tok = Words(line);
		if (!tok.empty() && tok[0] == "Total") {
			total = true;
			continue;
		}
		/* class size 11 groups obj_allocated obj_used pages_used
		 * pages_per_zspage freeable */
		if (tok.size() != 18 ||
		    tok[0].find_first_not_of("0123456789") != std::string::npos)
			continue;
		unsigned cls = std::stoul(tok[0]);
		ASSERT_EQ(cls, nrows) << text;
		const unsigned long alloc = std::stoul(tok[13]),
				    u = std::stoul(tok[14]),
				    p = std::stoul(tok[15]),
				    ppz = std::stoul(tok[16]);
		if (cls < 4) {
			EXPECT_EQ(std::stoul(tok[1]), kHuge - 1) << line;
			EXPECT_EQ(ppz, chain) << line;
			EXPECT_GE(alloc, u) << line;
			if (u) {
				/* one thread's objects are all in one shard:
				 * three zspages, the last with 3 objects on
				 * the one page it has reached */
				busy++;
				EXPECT_EQ(u, count) << line;
				EXPECT_EQ(p, 2u * chain + 1) << line;
				/* capacity at the mean footprint */
				EXPECT_EQ(alloc,
					  3 * chain * kPage / Footprint(n))
					<< line;
			}
		} else {
			EXPECT_EQ(std::stoul(tok[1]), kPage) << line;
			EXPECT_EQ(ppz, 1u) << line;
			EXPECT_EQ(u, 3u) << line;
			EXPECT_EQ(p, 3u) << line;
			EXPECT_EQ(alloc, 3u) << line;
		}
		used += u;
		pages += p;
		nrows++;
	}
	EXPECT_EQ(nrows, 5u) << text;
	EXPECT_EQ(busy, 1u) << text;
	EXPECT_TRUE(total) << text;
	EXPECT_EQ(used, count + 3);
	EXPECT_EQ(pages, zs_get_total_pages(pool));

	/* The JSON says the same: five rows, the chain and the huge size. */
	std::string json = zs::Capture(
		[&](FILE *f) { zs_pool_print_classes_json(pool, f); });
	EXPECT_NE(json.find("\"chain_size\":" + std::to_string(chain) + ","),
		  std::string::npos)
		<< json;
	EXPECT_NE(json.find("\"huge_class_size\":4093,"), std::string::npos)
		<< json;
	EXPECT_NE(json.find("\"pages\":" +
			    std::to_string(zs_get_total_pages(pool)) + ","),
		  std::string::npos)
		<< json;
	for (unsigned c = 0; c < 4; c++) {
		std::string row = "{\"class\":" + std::to_string(c) +
				  ",\"size\":4092,\"huge\":false,";
		EXPECT_NE(json.find(row), std::string::npos) << row << json;
	}
	EXPECT_NE(json.find("{\"class\":4,\"size\":4096,\"huge\":true,"),
		  std::string::npos)
		<< json;
	EXPECT_EQ(json.find("{\"class\":5,"), std::string::npos) << json;
	EXPECT_NE(json.find("\"pages_per_zspage\":" + std::to_string(chain) +
			    ","),
		  std::string::npos)
		<< json;
}

INSTANTIATE_TEST_SUITE_P(Chains, ZsClasses, ::testing::Range(1u, 17u),
			 [](const ::testing::TestParamInfo<unsigned> &info) {
				 return "chain" + std::to_string(info.param);
			 });

} /* namespace */
