// SPDX-License-Identifier: MIT
/*
 * gtest/zsmalloc_stats_test.cc - statistics and the class table agree.
 *
 * zs_pool_stats, zs_get_total_pages, the debugfs-style table and its JSON
 * twin are four views of one state; users (zram-like stores, the benches)
 * read whichever suits them, so they must never disagree.  Checked against
 * the test's own record of live objects after a random workload, and the
 * table's rows against each other (Total = sum of the rows, each row's
 * counts consistent with its zspages).  Objects of every size share
 * zspages, so the table has no class rows: one row per shard (its shared
 * zspages of chain_size pages) and one for the huge zspages (a page each,
 * objects of 4093 bytes and up).
 */
#include "gtest/zs_shim.h"

#include <gtest/gtest.h>

#include <random>
#include <sstream>

namespace
{

std::vector<std::string> Tokens(const std::string &line)
{
	std::istringstream ls(line);
	std::vector<std::string> tok;
	std::string t;
	while (ls >> t)
		tok.push_back(t);
	return tok;
}

bool IsNumber(const std::string &s)
{
	return !s.empty() &&
	       s.find_first_not_of("0123456789") == std::string::npos;
}

/* The table, parsed by column name (robust to column widths). */
struct Table {
	std::vector<std::string> header;
	std::vector<std::vector<unsigned long>> rows; /* class rows */
	std::vector<unsigned long> total; /* numbers after Total */
	bool has_total = false;

	int Col(const std::string &name) const
	{
		for (size_t i = 0; i < header.size(); i++)
			if (header[i] == name)
				return (int)i;
		return -1;
	}
};

Table Parse(const std::string &text)
{
	Table t;
	std::istringstream in(text);
	std::string line;
	while (std::getline(in, line)) {
		std::vector<std::string> tok = Tokens(line);
		if (tok.empty())
			continue;
		if (t.header.empty()) {
			if (tok[0] == "class")
				t.header = tok;
			continue;
		}
		if (tok[0] == "Total") {
			t.has_total = true;
			for (size_t i = 1; i < tok.size(); i++)
				if (IsNumber(tok[i]))
					t.total.push_back(std::stoul(tok[i]));
			continue;
		}
		if (!IsNumber(tok[0]))
			continue;
		std::vector<unsigned long> row;
		for (const std::string &s : tok)
			row.push_back(IsNumber(s) ? std::stoul(s) : ~0UL);
		t.rows.push_back(row);
	}
	return t;
}

/* Random live objects of every size, some freed. */
void Populate(zs::Handles &objs, unsigned n, uint32_t seed)
{
	std::mt19937 rng(seed);
	for (unsigned i = 0; i < n; i++) {
		ASSERT_ERRNO(objs.Alloc(1 + rng() % 4096, i), 0);
		if (rng() % 3 == 0) {
			ASSERT_ERRNO(objs.Free(rng() % objs.size()), 0);
		}
	}
}

TEST(ZsStats, StatsFollowLiveObjects)
{
	zs::Pool pool;
	zs::Handles objs(pool);
	std::mt19937 rng(3);
	for (int step = 0; step < 20; step++) {
		for (int i = 0; i < 300; i++)
			ASSERT_ERRNO(objs.Alloc(1 + rng() % 4096,
						step * 1000 + i),
				     0);
		for (int i = 0; i < 150; i++)
			ASSERT_ERRNO(objs.Free(rng() % objs.size()), 0);
		struct zs_pool_stats st = pool.Stats();
		ASSERT_EQ(st.objs_used, objs.size());
		ASSERT_EQ(st.bytes_stored, objs.BytesLive());
		ASSERT_EQ(st.pages_used, zs_get_total_pages(pool));
		ASSERT_GE(st.pages_used, (objs.BytesLive() + 4095) / 4096);
		ASSERT_GE(st.objs_allocated, st.objs_used);
		ASSERT_GE(st.zspages, 1u);
		ASSERT_LE(st.zspages, st.pages_used);
		ASSERT_GT(st.metadata_bytes, 0u);
		ASSERT_EQ(st.alloc_failures, 0u);
	}
	objs.FreeAll();
	struct zs_pool_stats st = pool.Stats();
	EXPECT_EQ(st.objs_used, 0u);
	EXPECT_EQ(st.bytes_stored, 0u);
	EXPECT_EQ(st.pages_used, 0u);
	EXPECT_EQ(st.objs_allocated, 0u);
	EXPECT_EQ(st.zspages, 0u);
}

TEST(ZsStats, ObjectsAllocatedMatchesZspageShapes)
{
	/* One thread's objects of one size, packed one after the other in
	 * the shared zspages of one shard: 500 B objects take 504 B (63
	 * units with their tag), so an 8-page zspage (4096 units) holds 65
	 * of them.  objs_allocated is what the zspages would hold at the
	 * mean footprint (there are no fixed slots any more): 16 zspages of
	 * 4096 units / 63. */
	const unsigned long chain = 8, units = chain * 512, f = 63;
	/* The page counts below are those of fresh zspages: the default
	 * arena still has the runs earlier tests freed resident (it retains
	 * freed memory, zs_arena_set_retain_ms), and a zspage made in one
	 * counts all its resident pages at once. */
	zs_arena_trim(zs_arena_default());
	zs::Pool pool = zs::Pool::WithChain(chain);
	zs::Handles objs(pool);
	for (int i = 0; i < 1000; i++)
		ASSERT_ERRNO(objs.Alloc(500, i), 0);
	const unsigned long per = units / f;
	ASSERT_EQ(per, 65u);
	struct zs_pool_stats st = pool.Stats();
	EXPECT_EQ(st.zspages, (1000 + per - 1) / per);
	/* The last zspage counts only the pages its objects and its gap's
	 * tag and links reach: 25 objects, 1575 units and 2, 4 pages. */
	const unsigned long last = 1000 - (st.zspages - 1) * per;
	const unsigned long last_pages = (last * f + 2 + 511) / 512;
	ASSERT_EQ(last_pages, 4u);
	EXPECT_EQ(st.pages_used, (st.zspages - 1) * chain + last_pages);
	EXPECT_EQ(st.objs_used, 1000u);
	EXPECT_EQ(st.objs_allocated, st.zspages * units / f);
	EXPECT_GE(st.objs_allocated, st.objs_used);
	EXPECT_EQ(st.bytes_stored, 1000u * 500);

	/* Huge objects take a one-page zspage each, full. */
	const unsigned long shared = st.zspages, shared_pages = st.pages_used;
	for (int i = 0; i < 5; i++)
		ASSERT_ERRNO(objs.Alloc(4093 + i % 4, 5000 + i), 0);
	st = pool.Stats();
	EXPECT_EQ(st.zspages, shared + 5);
	EXPECT_EQ(st.pages_used, shared_pages + 5);
	EXPECT_EQ(st.objs_used, 1005u);
	EXPECT_EQ(st.objs_allocated, shared * units / f + 5);
	EXPECT_EQ(st.bytes_stored, objs.BytesLive());
	EXPECT_TRUE(objs.AllIntact());
}

TEST(ZsStats, ClassTableHeaderAndTotalMatchStats)
{
	zs::Pool pool("stats");
	zs::Handles objs(pool);
	Populate(objs, 5000, 11);
	std::string text =
		zs::Capture([&](FILE *f) { zs_pool_print_classes(pool, f); });
	Table t = Parse(text);
	ASSERT_FALSE(t.header.empty()) << "no header line:\n" << text;
	for (const char *name :
	     { "class", "size", "obj_allocated", "obj_used", "pages_used",
	       "pages_per_zspage", "freeable", "10%", "100%" })
		ASSERT_GE(t.Col(name), 0) << "column " << name << "\n" << text;
	ASSERT_TRUE(t.has_total) << text;
	ASSERT_FALSE(t.rows.empty()) << text;

	const int c_alloc = t.Col("obj_allocated"), c_used = t.Col("obj_used"),
		  c_pages = t.Col("pages_used"),
		  c_ppz = t.Col("pages_per_zspage"), c_free = t.Col("freeable"),
		  c_size = t.Col("size");
	std::vector<int> buckets;
	for (size_t i = 0; i < t.header.size(); i++)
		if (t.header[i].back() == '%')
			buckets.push_back((int)i);

	/* Rows 0..3 are the shards' shared zspages (size 4092, the largest
	 * object they take; 16 pages per zspage, the default chain), row 4
	 * the huge zspages (size 4096, a page each, always full). */
	ASSERT_EQ(t.rows.size(), 5u) << text;
	unsigned long sum_alloc = 0, sum_used = 0, sum_pages = 0, sum_free = 0,
		      sum_zspages = 0;
	std::vector<unsigned long> sum_buckets(buckets.size());
	for (size_t r = 0; r < t.rows.size(); r++) {
		const auto &row = t.rows[r];
		ASSERT_EQ(row.size(), t.header.size()) << text;
		const bool huge = r == 4;
		unsigned long cls = row[t.Col("class")], ppz = row[c_ppz];
		EXPECT_EQ(cls, r) << text;
		EXPECT_EQ(row[c_size], huge ? 4096u : 4092u) << text;
		ASSERT_EQ(ppz, huge ? 1u : 16u) << "row " << r;
		/* every zspage is in one of the 10%..100% groups (empty
		 * ones are freed at once), and counts from 1 to ppz pages:
		 * those its blocks have reached */
		unsigned long zspages = 0;
		for (int b : buckets)
			zspages += row[b];
		EXPECT_LE(row[c_pages], zspages * ppz) << "row " << r;
		EXPECT_GE(row[c_pages], zspages) << "row " << r;
		EXPECT_LE(row[c_used], row[c_alloc]) << "row " << r;
		/* every object takes one unit at least: no more than a
		 * zspage's units of them fit (the capacity is at the mean
		 * footprint, not a slot count) */
		EXPECT_LE(row[c_alloc], zspages * ppz * 512) << "row " << r;
		if (huge) {
			size_t huge_objs = 0;
			for (size_t i = 0; i < objs.size(); i++)
				huge_objs += objs[i].size >= 4093;
			EXPECT_EQ(row[c_used], huge_objs) << text;
			EXPECT_EQ(row[c_alloc], zspages) << text;
			EXPECT_EQ(row[c_used], zspages) << text;
			EXPECT_EQ(row[c_free], 0u) << text;
		}
		/* freeable is whole zspages' worth of free units, never
		 * more than the pages the row holds */
		EXPECT_LE(row[c_free], row[c_pages]) << "row " << r;
		EXPECT_TRUE(row[c_free] % ppz == 0 ||
			    row[c_free] == row[c_pages])
			<< "row " << r;
		for (size_t b = 0; b < buckets.size(); b++)
			sum_buckets[b] += row[buckets[b]];
		sum_zspages += zspages;
		sum_alloc += row[c_alloc];
		sum_used += row[c_used];
		sum_pages += row[c_pages];
		sum_free += row[c_free];
	}

	struct zs_pool_stats st = pool.Stats();
	EXPECT_EQ(sum_alloc, st.objs_allocated);
	EXPECT_EQ(sum_used, st.objs_used);
	EXPECT_EQ(sum_used, objs.size());
	EXPECT_EQ(sum_pages, st.pages_used);
	EXPECT_EQ(sum_zspages, st.zspages);
	EXPECT_EQ(sum_free, zs_shrinker_count(pool));

	/* Total: the buckets, then obj_allocated, obj_used, pages_used,
	 * (an empty or filled pages_per_zspage column), freeable. */
	const std::vector<unsigned long> &n = t.total;
	ASSERT_GE(n.size(), buckets.size() + 4) << text;
	for (size_t b = 0; b < buckets.size(); b++)
		EXPECT_EQ(n[b], sum_buckets[b])
			<< "bucket " << t.header[buckets[b]];
	size_t k = buckets.size();
	EXPECT_EQ(n[k], st.objs_allocated) << text;
	EXPECT_EQ(n[k + 1], st.objs_used) << text;
	EXPECT_EQ(n[k + 2], st.pages_used) << text;
	EXPECT_EQ(n.back(), sum_free) << text;
}

TEST(ZsStats, ClassTableOfEmptyPool)
{
	zs::Pool pool;
	std::string text =
		zs::Capture([&](FILE *f) { zs_pool_print_classes(pool, f); });
	Table t = Parse(text);
	ASSERT_FALSE(t.header.empty()) << text;
	ASSERT_TRUE(t.has_total) << text;
	for (unsigned long v : t.total)
		EXPECT_EQ(v, 0u) << text;
}

/* A strict little JSON recogniser: enough to say "it parses". */
class Json {
public:
	explicit Json(const std::string &s) : s_(s)
	{
	}
	bool Valid()
	{
		Ws();
		if (!Value())
			return false;
		Ws();
		return i_ == s_.size();
	}
	size_t pos() const
	{
		return i_;
	}

private:
	void Ws()
	{
		while (i_ < s_.size() && strchr(" \t\r\n", s_[i_]))
			i_++;
	}
	bool Lit(const char *w)
	{
		size_t n = strlen(w);
		if (s_.compare(i_, n, w) != 0)
			return false;
		i_ += n;
		return true;
	}
	bool String()
	{
		if (s_[i_] != '"')
			return false;
		for (i_++; i_ < s_.size(); i_++) {
			if (s_[i_] == '\\') {
				if (++i_ >= s_.size() || s_[i_] == 0 ||
				    !strchr("\"\\/bfnrtu", s_[i_]))
					return false;
			} else if (s_[i_] == '"')
				return ++i_, true;
			else if ((unsigned char)s_[i_] < 0x20)
				return false;
		}
		return false;
	}
	bool Number()
	{
		size_t start = i_;
		if (s_[i_] == '-')
			i_++;
		while (i_ < s_.size() && strchr("0123456789.eE+-", s_[i_]))
			i_++;
		return i_ > start && isdigit((unsigned char)s_[i_ - 1]);
	}
	bool Value()
	{
		if (i_ >= s_.size())
			return false;
		char c = s_[i_];
		if (c == '{' || c == '[') {
			char close = c == '{' ? '}' : ']';
			i_++;
			Ws();
			if (i_ < s_.size() && s_[i_] == close)
				return ++i_, true;
			for (;;) {
				Ws();
				if (c == '{') {
					if (i_ >= s_.size() || !String())
						return false;
					Ws();
					if (i_ >= s_.size() || s_[i_++] != ':')
						return false;
					Ws();
				}
				if (!Value())
					return false;
				Ws();
				if (i_ >= s_.size())
					return false;
				if (s_[i_] == ',') {
					i_++;
					continue;
				}
				if (s_[i_] == close)
					return ++i_, true;
				return false;
			}
		}
		if (c == '"')
			return String();
		if (Lit("true") || Lit("false") || Lit("null"))
			return true;
		return Number();
	}

	const std::string &s_;
	size_t i_ = 0;
};

TEST(ZsStats, JsonOutputParses)
{
	zs::Pool pool("json");
	zs::Handles objs(pool);
	Populate(objs, 2000, 5);
	std::string json = zs::Capture(
		[&](FILE *f) { zs_pool_print_classes_json(pool, f); });
	size_t first = json.find_first_not_of(" \t\r\n");
	ASSERT_NE(first, std::string::npos);
	EXPECT_EQ(json[first], '{');
	int depth = 0;
	bool in_string = false;
	for (size_t i = 0; i < json.size(); i++) {
		char c = json[i];
		if (in_string) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_string = false;
			continue;
		}
		if (c == '"')
			in_string = true;
		else if (c == '{' || c == '[')
			depth++;
		else if (c == '}' || c == ']') {
			ASSERT_GE(--depth, 0) << "at " << i;
		}
	}
	EXPECT_EQ(depth, 0);
	EXPECT_FALSE(in_string);
	Json parser(json);
	EXPECT_TRUE(parser.Valid())
		<< "JSON error near byte " << parser.pos() << ":\n"
		<< json.substr(0, 2000);
	/* The class records' obj_used add up to the live count. */
	unsigned long used = 0;
	unsigned records = 0;
	const std::string key = "\"obj_used\":";
	for (size_t at = json.find(key); at != std::string::npos;
	     at = json.find(key, at + 1)) {
		used += std::stoul(json.substr(at + key.size()));
		records++;
	}
	EXPECT_GT(records, 0u) << "no \"obj_used\" values";
	EXPECT_EQ(used, objs.size());
}

TEST(ZsStats, JsonEscapesThePoolName)
{
	/* The name is the caller's string: quotes, backslashes and control
	 * characters in it must not break the document. */
	for (const char *name : { "json \"quoted\" name", "back\\slash",
				  "tab\there", "new\nline" }) {
		zs::Pool pool(name);
		zs::Handles objs(pool);
		ASSERT_ERRNO(objs.Alloc(100, 1), 0);
		std::string json = zs::Capture(
			[&](FILE *f) { zs_pool_print_classes_json(pool, f); });
		Json parser(json);
		EXPECT_TRUE(parser.Valid())
			<< "pool name [" << name << "]: JSON error near byte "
			<< parser.pos() << ": " << json.substr(0, 80);
	}
}

TEST(ZsStats, JsonOfEmptyPoolParses)
{
	zs::Pool pool(static_cast<const char *>(nullptr));
	std::string json = zs::Capture(
		[&](FILE *f) { zs_pool_print_classes_json(pool, f); });
	Json parser(json);
	EXPECT_TRUE(parser.Valid()) << json;
}

TEST(ZsStats, MetadataCountsHandlesAndDescriptors)
{
	zs::Pool pool;
	zs::Handles objs(pool);
	struct zs_pool_stats empty = pool.Stats();
	for (int i = 0; i < 20000; i++)
		ASSERT_ERRNO(objs.Alloc(64, i), 0);
	struct zs_pool_stats full = pool.Stats();
	/* 20,000 handles cannot be tracked in nothing... */
	EXPECT_GT(full.metadata_bytes, empty.metadata_bytes);
	/* ...and the density target (all-in within ~1% of the stored bytes)
	 * leaves little for it (a generous 64 B per 64 B object is the bound
	 * checked here). */
	EXPECT_LT(full.metadata_bytes - empty.metadata_bytes, 20000u * 64);
}

} /* namespace */
