// SPDX-License-Identifier: MIT
/*
 * gtest/zsmalloc_classes_test.cc - the size-class table, from first principles.
 *
 * The expected table is computed here, independently of the library, by
 * zs::ClassModel (gtest/zs_shim.h): slot sizes 32..4096 step 16, a 4-byte
 * header per non-huge object, the page count per zspage with the largest
 * used fraction in whole percent (the kernel's rule, first maximum wins),
 * equal (pages, objects) neighbours merged, one object per zspage meaning
 * huge.  The library is then held to
 * it through the public API only: zs_pool_class_count, zs_class_size_for,
 * zs_huge_class_size, the pages a fresh zspage costs (zs_get_total_pages
 * deltas) and the class rows zs_pool_print_classes writes.
 */
#include "gtest/zs_shim.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <sstream>

namespace
{

class ZsClasses : public ::testing::TestWithParam<unsigned> {};

TEST(ZsClassModel, ReproducesTheKernelsPublishedCounts)
{
	/* The model's own sanity check: it gives the kernel's numbers
	 * (69 / 123 / 191 classes, largest non-huge slot 3264 / 3632 /
	 * 3840, huge from there minus 7 with the kernel's 8-byte handle). */
	const unsigned chains[] = { 4, 8, 16 };
	const unsigned counts[] = { 69, 123, 191 };
	const size_t largest[] = { 3264, 3632, 3840 };
	for (int i = 0; i < 3; i++) {
		zs::ClassModel k(chains[i]);
		EXPECT_EQ(k.classes, counts[i]) << "chain " << chains[i];
		EXPECT_EQ(k.largest, largest[i]) << "chain " << chains[i];
	}
}

TEST(ZsClassModel, CountsForChains4_8_16)
{
	for (unsigned chain : { 4u, 8u, 16u }) {
		zs::ClassModel m(chain), x(chain, true);
		zs::Pool pool = zs::Pool::WithChain(chain);
		ASSERT_NE(pool.get(), nullptr);
		printf("chain %2u: library %u classes, huge %zu B | model %u "
		       "classes, huge %zu B (kernel, 8 B handle: %zu B) | "
		       "exact-fraction rule: %u classes, huge %zu B\n",
		       chain, zs_pool_class_count(pool),
		       zs_huge_class_size(pool), m.classes, m.huge,
		       m.largest - 7, x.classes, x.huge);
		EXPECT_EQ(zs_pool_class_count(pool), m.classes)
			<< "chain " << chain;
		EXPECT_EQ(zs_huge_class_size(pool), m.huge)
			<< "chain " << chain;
	}
}

TEST_P(ZsClasses, CountAndHugeSizeMatchTheModel)
{
	const unsigned chain = GetParam();
	zs::ClassModel m(chain);
	zs::Pool pool = zs::Pool::WithChain(chain);
	ASSERT_NE(pool.get(), nullptr);
	EXPECT_EQ(zs_pool_class_count(pool), m.classes);
	EXPECT_EQ(zs_huge_class_size(pool), m.huge);
}

TEST_P(ZsClasses, EverySizeLandsInTheModelsClass)
{
	const unsigned chain = GetParam();
	zs::ClassModel m(chain);
	zs::Pool pool = zs::Pool::WithChain(chain);
	ASSERT_NE(pool.get(), nullptr);
	const size_t huge = zs_huge_class_size(pool);
	for (size_t n = 1; n <= 4096; n++) {
		size_t s = zs_class_size_for(pool, n);
		ASSERT_GE(s, n) << "size " << n << " does not fit its slot";
		ASSERT_LE(s, 4096u) << "size " << n;
		if (n < huge) {
			ASSERT_GE(s, n + zs::ClassModel::kHeader)
				<< "no room for the header, size " << n;
		}
		ASSERT_EQ(s % 16, 0u) << "size " << n;
		ASSERT_EQ(s, m.SlotFor(n))
			<< "size " << n << ", chain " << chain;
	}
}

TEST_P(ZsClasses, MergedClassesAreConsistent)
{
	const unsigned chain = GetParam();
	zs::Pool pool = zs::Pool::WithChain(chain);
	ASSERT_NE(pool.get(), nullptr);
	std::set<size_t> slots;
	size_t prev = 0;
	for (size_t n = 1; n <= 4096; n++) {
		size_t s = zs_class_size_for(pool, n);
		ASSERT_GE(s, prev) << "class size not monotonic at " << n;
		prev = s;
		slots.insert(s);
	}
	/* Every class is reached by some size, and each is reached by its
	 * own largest object: a merged class is named by its largest slot. */
	EXPECT_EQ(slots.size(), zs_pool_class_count(pool));
	const size_t huge = zs_huge_class_size(pool);
	for (size_t s : slots) {
		if (s == 4096)
			continue;
		EXPECT_EQ(zs_class_size_for(pool, s - zs::ClassModel::kHeader),
			  s);
		EXPECT_LT(s - zs::ClassModel::kHeader, huge);
	}
}

TEST_P(ZsClasses, HugeBoundaryIsExact)
{
	const unsigned chain = GetParam();
	zs::ClassModel m(chain);
	zs::Pool pool = zs::Pool::WithChain(chain);
	ASSERT_NE(pool.get(), nullptr);
	const size_t huge = zs_huge_class_size(pool);
	ASSERT_EQ(huge, m.huge);

	/* huge - 1 shares a zspage with others: objs of them cost one
	 * zspage of `pages` pages, fewer pages than objects. */
	const size_t slot = m.SlotFor(huge - 1);
	const unsigned objs = m.objs[slot], pages = m.pages[slot];
	ASSERT_GT(objs, 1u);
	{
		zs::Handles hs(pool);
		for (unsigned i = 0; i < objs; i++)
			ASSERT_ERRNO(hs.Alloc(huge - 1, i), 0);
		EXPECT_EQ(zs_get_total_pages(pool), pages)
			<< objs << " objects of " << huge - 1 << " B";
		EXPECT_LT(pages, objs);
		EXPECT_TRUE(hs.AllIntact());
	}
	EXPECT_EQ(zs_get_total_pages(pool), 0u);

	/* From huge up, every object takes exactly one page. */
	for (size_t n :
	     { huge, huge + 1, huge + 16, (size_t)4095, (size_t)4096 }) {
		zs::Handles hs(pool);
		for (unsigned i = 1; i <= 5; i++) {
			ASSERT_ERRNO(hs.Alloc(n, i), 0);
			EXPECT_EQ(zs_get_total_pages(pool), i)
				<< i << " objects of " << n << " B";
		}
		EXPECT_TRUE(hs.AllIntact());
	}
	EXPECT_EQ(zs_get_total_pages(pool), 0u);
}

/* The zspage of each class costs the model's page count and holds the
 * model's object count: objs objects take one zspage, one more a second. */
TEST_P(ZsClasses, ZspageShapeOfEveryClass)
{
	const unsigned chain = GetParam();
	zs::ClassModel m(chain);
	zs::Pool pool = zs::Pool::WithChain(chain);
	ASSERT_NE(pool.get(), nullptr);
	std::set<size_t> reps;
	for (size_t n = 1; n < m.huge; n++)
		reps.insert(m.SlotFor(n));
	for (size_t slot : reps) {
		const size_t n = slot - zs::ClassModel::kHeader;
		const unsigned objs = m.objs[slot], pages = m.pages[slot];
		zs::Handles hs(pool);
		ASSERT_ERRNO(hs.Alloc(n, 1), 0);
		ASSERT_EQ(zs_get_total_pages(pool), pages)
			<< "slot " << slot << ": first object";
		for (unsigned i = 1; i < objs; i++)
			ASSERT_ERRNO(hs.Alloc(n, i + 1), 0);
		ASSERT_EQ(zs_get_total_pages(pool), pages)
			<< "slot " << slot << ": " << objs << " objects";
		ASSERT_ERRNO(hs.Alloc(n, 0), 0);
		ASSERT_EQ(zs_get_total_pages(pool), 2 * pages)
			<< "slot " << slot << ": " << objs + 1 << " objects";
		struct zs_pool_stats st = pool.Stats();
		EXPECT_EQ(st.zspages, 2u);
		EXPECT_EQ(st.objs_allocated, 2u * objs);
		EXPECT_TRUE(hs.AllIntact());
		hs.FreeAll();
		ASSERT_EQ(zs_get_total_pages(pool), 0u) << "slot " << slot;
	}
	EXPECT_ERRNO(zs_pool_check(pool), 0);
}

/* The class rows of the debugfs-style table: one per distinct class,
 * with the model's size and pages per zspage. */
TEST_P(ZsClasses, PrintedTableListsTheModelsClasses)
{
	const unsigned chain = GetParam();
	zs::ClassModel m(chain);
	zs::Pool pool = zs::Pool::WithChain(chain);
	ASSERT_NE(pool.get(), nullptr);
	std::string text =
		zs::Capture([&](FILE *f) { zs_pool_print_classes(pool, f); });
	std::istringstream in(text);
	std::string line;
	std::map<size_t, unsigned> rows; /* size -> pages_per_zspage */
	unsigned nrows = 0;
	while (std::getline(in, line)) {
		std::istringstream ls(line);
		std::vector<std::string> tok;
		std::string t;
		while (ls >> t)
			tok.push_back(t);
		if (tok.size() < 7 ||
		    tok[0].find_first_not_of("0123456789") != std::string::npos)
			continue;
		size_t size = std::stoul(tok[1]);
		unsigned ppz = std::stoul(tok[tok.size() - 2]);
		rows[size] = ppz;
		nrows++;
	}
	EXPECT_EQ(nrows, m.classes) << text;
	std::set<size_t> reps;
	for (size_t n = 1; n <= 4096; n++)
		reps.insert(m.SlotFor(n));
	for (size_t slot : reps) {
		ASSERT_EQ(rows.count(slot), 1u)
			<< "no row for class size " << slot << "\n"
			<< text;
		EXPECT_EQ(rows[slot], m.pages[slot]) << "size " << slot;
	}
}

INSTANTIATE_TEST_SUITE_P(Chains, ZsClasses, ::testing::Range(1u, 17u),
			 [](const ::testing::TestParamInfo<unsigned> &info) {
				 return "chain" + std::to_string(info.param);
			 });

} /* namespace */
