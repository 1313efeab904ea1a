// SPDX-License-Identifier: MIT
/*
 * gtest/zsmalloc_misuse_test.cc - one small test per misuse, exact outcome.
 *
 * In the style of Scudo's and hardened_malloc's negative tests: each test
 * commits one mistake a caller can make and checks the exact error the
 * contract promises.  Every test then checks the second half of the
 * promise: the pool is unchanged (same statistics, zs_pool_check clean,
 * every other object's bytes intact).  The fixture holds objects of several
 * sizes, sharing zspages, and huge ones, so a misuse that corrupts a
 * neighbour, a gap or a zspage list is seen.
 */
#include "gtest/zs_shim.h"

#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <set>
#include <thread>

namespace
{

class ZsMisuse : public ::testing::Test {
protected:
	ZsMisuse() : objs_(pool_)
	{
	}

	void SetUp() override
	{
		ASSERT_NE(pool_.get(), nullptr);
		const size_t sizes[] = { 1, 40, 300, 1000, 2100, 3500, 4096 };
		uint64_t seed = 1;
		for (int round = 0; round < 5; round++)
			for (size_t s : sizes)
				ASSERT_ERRNO(objs_.Alloc(s, seed++), 0);
		/* Warm up this thread's map and read state, so a lazily
		 * created per-thread buffer is not mistaken for a change. */
		for (size_t i = 0; i < objs_.size(); i++) {
			zs::Mapping m(pool_, objs_[i].handle, ZS_MM_RO);
			ASSERT_TRUE(m);
		}
		ASSERT_TRUE(objs_.AllIntact());
		before_ = pool_.Stats();
	}

	/* The pool is as SetUp left it. */
	void ExpectUnchanged()
	{
		EXPECT_ERRNO(zs_pool_check(pool_), 0);
		struct zs_pool_stats st = pool_.Stats();
		/* An Extra object may have reached a page of a zspage that
		 * is still there: a zspage's pages stay in use once reached
		 * (zs/zspage.c), and zs_pool_check holds the count to its
		 * zspages'.  Otherwise nothing may have changed. */
		if (extra_pages_)
			EXPECT_GE(st.pages_used, before_.pages_used);
		else
			EXPECT_EQ(st.pages_used, before_.pages_used);
		EXPECT_EQ(st.objs_allocated, before_.objs_allocated);
		EXPECT_EQ(st.objs_used, before_.objs_used);
		EXPECT_EQ(st.zspages, before_.zspages);
		EXPECT_EQ(st.bytes_stored, before_.bytes_stored);
		EXPECT_EQ(st.metadata_bytes, before_.metadata_bytes);
		EXPECT_EQ(st.alloc_failures, before_.alloc_failures);
		EXPECT_EQ(st.pages_compacted, before_.pages_compacted);
		EXPECT_EQ(st.objs_moved, before_.objs_moved);
		EXPECT_EQ(zs_get_total_pages(pool_), st.pages_used);
		EXPECT_TRUE(objs_.AllIntact());
	}

	/* A fresh object of `size` that is not in objs_. */
	uint64_t Extra(size_t size, uint64_t seed)
	{
		uint64_t h = 0;
		unsigned long pages = zs_get_total_pages(pool_);
		EXPECT_ERRNO(zs_malloc(pool_, size, &h), 0);
		if (size < zs_huge_class_size(pool_) &&
		    zs_get_total_pages(pool_) > pages)
			extra_pages_ = true;
		EXPECT_ERRNO(zs::WritePattern(pool_, h, size, seed), 0);
		return h;
	}

	/* Every entry point refuses h the same way. */
	void ExpectRejected(uint64_t h)
	{
		uint8_t buf[4096];
		EXPECT_ERRNO(zs_free(pool_, h), -EINVAL) << "handle " << h;
		EXPECT_EQ(zs_obj_size(pool_, h), 0u) << "handle " << h;
		EXPECT_NULL_ERRNO(zs_map_object(pool_, h, ZS_MM_RW), -EINVAL);
		EXPECT_NULL_ERRNO(zs_map_object(pool_, h, ZS_MM_RO), -EINVAL);
		EXPECT_NULL_ERRNO(zs_map_object(pool_, h, ZS_MM_WO), -EINVAL);
		EXPECT_ERRNO(zs_unmap_object(pool_, h), -EINVAL);
		EXPECT_NULL_ERRNO(zs_obj_read_begin(pool_, h, buf), -EINVAL);
		EXPECT_ERRNO(zs_obj_read_end(pool_, h, buf), -EINVAL);
		memset(buf, 0xa5, sizeof(buf));
		EXPECT_ERRNO(zs_obj_write(pool_, h, buf, 1), -EINVAL);
	}

	zs::Pool pool_;
	zs::Handles objs_;
	struct zs_pool_stats before_;
	bool extra_pages_ = false; /* an Extra reached a new page */
};

TEST_F(ZsMisuse, HandleZero)
{
	ExpectRejected(0);
	ExpectUnchanged();
}

TEST_F(ZsMisuse, ForgedHandles)
{
	/* Exactly one handle outside the fixture's is valid here: h.  Every
	 * other value must be refused, whatever bits it shares with h. */
	uint64_t h = Extra(700, 99);
	std::set<uint64_t> live;
	for (size_t i = 0; i < objs_.size(); i++)
		live.insert(objs_[i].handle);
	live.insert(h);

	std::vector<uint64_t> forged = {
		1,  2,	   3,	  4,	 8,	   0xffffffffULL, ~0ULL,
		~h, h + 1, h - 1, h + 2, h + 4096, h << 1,	  h >> 1
	};
	for (int bit = 0; bit < 64; bit++)
		forged.push_back(h ^ (1ULL << bit));
	std::mt19937_64 rng(20240601);
	for (int i = 0; i < 2000; i++)
		forged.push_back(rng());
	for (int i = 0; i < 200; i++)
		forged.push_back(rng() & 0xffff);
	for (uint64_t f : forged) {
		if (live.count(f))
			continue;
		EXPECT_ERRNO(zs_free(pool_, f), -EINVAL) << "forged " << f;
		EXPECT_EQ(zs_obj_size(pool_, f), 0u) << "forged " << f;
	}
	for (int i = 0; i < 64; i++) {
		uint64_t f = h ^ (1ULL << i);
		if (!live.count(f))
			ExpectRejected(f);
	}
	EXPECT_TRUE(zs::HasPattern(pool_, h, 700, 99));
	EXPECT_ERRNO(zs_free(pool_, h), 0);
	ExpectUnchanged();
}

TEST_F(ZsMisuse, StaleHandleAfterFree)
{
	uint64_t h = Extra(300, 5);
	ASSERT_ERRNO(zs_free(pool_, h), 0);
	ExpectRejected(h);
	ExpectUnchanged();
}

TEST_F(ZsMisuse, StaleHandleAfterSlotReuse)
{
	/* Free and allocate the same size over and over: the place in the
	 * zspage (and the handle table entry) is reused, the old handles must all stay dead
	 * and never alias the new one. */
	std::vector<uint64_t> dead;
	std::set<uint64_t> seen;
	uint64_t h = Extra(300, 1);
	for (int i = 0; i < 1000; i++) {
		ASSERT_TRUE(seen.insert(h).second)
			<< "handle " << h << " handed out twice";
		ASSERT_ERRNO(zs_free(pool_, h), 0);
		dead.push_back(h);
		h = Extra(300, 2 + i);
		ASSERT_NE(h, dead.back());
	}
	for (uint64_t d : dead)
		EXPECT_ERRNO(zs_free(pool_, d), -EINVAL) << "stale " << d;
	ExpectRejected(dead.back());
	EXPECT_TRUE(zs::HasPattern(pool_, h, 300, 1001));
	EXPECT_ERRNO(zs_free(pool_, h), 0);
	ExpectUnchanged();
}

TEST_F(ZsMisuse, DoubleFree)
{
	uint64_t h = Extra(1000, 3);
	EXPECT_ERRNO(zs_free(pool_, h), 0);
	EXPECT_ERRNO(zs_free(pool_, h), -EINVAL);
	EXPECT_ERRNO(zs_free(pool_, h), -EINVAL);
	ExpectUnchanged();
}

TEST_F(ZsMisuse, DoubleFreeOfHugeObject)
{
	uint64_t h = Extra(4096, 3);
	EXPECT_ERRNO(zs_free(pool_, h), 0);
	/* the free may keep the page for the next huge object (zs/huge.c):
	 * the second free must change nothing from there */
	before_ = pool_.Stats();
	EXPECT_ERRNO(zs_free(pool_, h), -EINVAL);
	ExpectUnchanged();
}

TEST_F(ZsMisuse, AnotherPoolsHandle)
{
	zs::Pool other("other");
	ASSERT_NE(other.get(), nullptr);
	zs::Handles theirs(other);
	/* The same sizes in the same order as ours: a pool that numbered its
	 * handles from the same start would alias ours. */
	const size_t sizes[] = { 1, 40, 300, 1000, 2100, 3500, 4096 };
	uint64_t seed = 1000;
	for (int round = 0; round < 5; round++)
		for (size_t s : sizes)
			ASSERT_ERRNO(theirs.Alloc(s, seed++), 0);
	std::set<uint64_t> ours;
	for (size_t i = 0; i < objs_.size(); i++)
		ours.insert(objs_[i].handle);
	for (size_t i = 0; i < theirs.size(); i++) {
		uint64_t h = theirs[i].handle;
		ASSERT_EQ(ours.count(h), 0u)
			<< "two pools handed out the same handle " << h;
		ExpectRejected(h);
		EXPECT_ERRNO(zs_free(other, objs_[i].handle), -EINVAL);
	}
	EXPECT_TRUE(theirs.AllIntact());
	EXPECT_ERRNO(zs_pool_check(other), 0);
	ExpectUnchanged();
}

TEST_F(ZsMisuse, FreeWhileMapped)
{
	for (zs_mapmode mm : { ZS_MM_RO, ZS_MM_RW, ZS_MM_WO }) {
		uint64_t h = objs_[3].handle;
		void *p = zs_map_object(pool_, h, mm);
		ASSERT_NE(p, nullptr);
		if (mm == ZS_MM_WO)
			zs::FillPattern(p, objs_[3].size, objs_[3].seed);
		EXPECT_ERRNO(zs_free(pool_, h), -EBUSY);
		EXPECT_ERRNO(zs_unmap_object(pool_, h), 0);
	}
	ExpectUnchanged();
}

TEST_F(ZsMisuse, FreeWhileMappedByAnotherThread)
{
	uint64_t h = objs_[4].handle;
	std::atomic<int> stage{ 0 };
	std::thread t([&] {
		void *p = zs_map_object(pool_, h, ZS_MM_RO);
		stage = p ? 1 : -1;
		while (stage.load() == 1)
			std::this_thread::yield();
		if (p)
			zs_unmap_object(pool_, h);
	});
	while (stage.load() == 0)
		std::this_thread::yield();
	ASSERT_EQ(stage.load(), 1);
	EXPECT_ERRNO(zs_free(pool_, h), -EBUSY);
	stage = 2;
	t.join();
	ExpectUnchanged();
}

TEST_F(ZsMisuse, FreeWhileReadOpen)
{
	uint64_t h = objs_[9].handle;
	std::vector<uint8_t> local(objs_[9].size);
	const void *p = zs_obj_read_begin(pool_, h, local.data());
	ASSERT_NE(p, nullptr);
	EXPECT_ERRNO(zs_free(pool_, h), -EBUSY);
	EXPECT_ERRNO(zs_obj_read_end(pool_, h, p), 0);
	ExpectUnchanged();
}

TEST_F(ZsMisuse, UnmapWithoutMap)
{
	EXPECT_ERRNO(zs_unmap_object(pool_, objs_[0].handle), -EINVAL);
	EXPECT_ERRNO(zs_unmap_object(pool_, objs_[6].handle), -EINVAL);
	ExpectUnchanged();
}

TEST_F(ZsMisuse, UnmapTwice)
{
	uint64_t h = objs_[2].handle;
	ASSERT_NE(zs_map_object(pool_, h, ZS_MM_RO), nullptr);
	EXPECT_ERRNO(zs_unmap_object(pool_, h), 0);
	EXPECT_ERRNO(zs_unmap_object(pool_, h), -EINVAL);
	ExpectUnchanged();
}

TEST_F(ZsMisuse, UnmapOfAnotherThreadsMap)
{
	uint64_t h = objs_[5].handle;
	zs::Mapping m(pool_, h, ZS_MM_RO);
	ASSERT_TRUE(m);
	int ret = 0;
	std::thread t([&] { ret = zs_unmap_object(pool_, h); });
	t.join();
	EXPECT_ERRNO(ret, -EINVAL);
	EXPECT_TRUE(zs::BytesMatch(m.get(), objs_[5].size, objs_[5].seed));
	EXPECT_ERRNO(m.Unmap(), 0);
	ExpectUnchanged();
}

TEST_F(ZsMisuse, MapTwiceBySameThread)
{
	uint64_t h = objs_[3].handle;
	void *p = zs_map_object(pool_, h, ZS_MM_RO);
	ASSERT_NE(p, nullptr);
	EXPECT_NULL_ERRNO(zs_map_object(pool_, h, ZS_MM_RO), -EBUSY);
	EXPECT_NULL_ERRNO(zs_map_object(pool_, h, ZS_MM_RW), -EBUSY);
	/* The first map is still good, and is the only one to undo. */
	EXPECT_TRUE(zs::BytesMatch(p, objs_[3].size, objs_[3].seed));
	EXPECT_ERRNO(zs_unmap_object(pool_, h), 0);
	EXPECT_ERRNO(zs_unmap_object(pool_, h), -EINVAL);
	ExpectUnchanged();
}

TEST_F(ZsMisuse, MoreThanMaxThreadMaps)
{
	ASSERT_GT(objs_.size(), (size_t)ZS_MAX_THREAD_MAPS);
	for (int i = 0; i < ZS_MAX_THREAD_MAPS; i++)
		ASSERT_NE(zs_map_object(pool_, objs_[i].handle, ZS_MM_RO),
			  nullptr)
			<< "map " << i << " of " << ZS_MAX_THREAD_MAPS;
	uint64_t extra = objs_[ZS_MAX_THREAD_MAPS].handle;
	EXPECT_NULL_ERRNO(zs_map_object(pool_, extra, ZS_MM_RO), -EBUSY);
	EXPECT_ERRNO(zs_unmap_object(pool_, extra), -EINVAL);
	/* One slot freed: the next map fits again. */
	EXPECT_ERRNO(zs_unmap_object(pool_, objs_[0].handle), 0);
	void *p = zs_map_object(pool_, extra, ZS_MM_RO);
	EXPECT_NE(p, nullptr);
	if (p) {
		EXPECT_ERRNO(zs_unmap_object(pool_, extra), 0);
	}
	for (int i = 1; i < ZS_MAX_THREAD_MAPS; i++)
		EXPECT_ERRNO(zs_unmap_object(pool_, objs_[i].handle), 0);
	ExpectUnchanged();
}

TEST_F(ZsMisuse, ReadEndWithoutBegin)
{
	uint8_t buf[16] = {};
	EXPECT_ERRNO(zs_obj_read_end(pool_, objs_[1].handle, buf), -EINVAL);
	EXPECT_ERRNO(zs_obj_read_end(pool_, objs_[6].handle, nullptr), -EINVAL);
	ExpectUnchanged();
}

TEST_F(ZsMisuse, ReadEndTwice)
{
	uint64_t h = objs_[4].handle;
	std::vector<uint8_t> local(objs_[4].size);
	const void *p = zs_obj_read_begin(pool_, h, local.data());
	ASSERT_NE(p, nullptr);
	EXPECT_ERRNO(zs_obj_read_end(pool_, h, p), 0);
	EXPECT_ERRNO(zs_obj_read_end(pool_, h, p), -EINVAL);
	ExpectUnchanged();
}

/* Straddling objects of the fixture-sized pool: read in place, their
 * bytes run over a page boundary. */
std::vector<size_t> Straddling(const zs::Handles &objs)
{
	std::vector<size_t> out;
	for (size_t i = 0; i < objs.size(); i++) {
		const void *p =
			zs_obj_read_begin(objs.pool(), objs[i].handle, nullptr);
		if (p &&
		    reinterpret_cast<uintptr_t>(p) % 4096 + objs[i].size > 4096)
			out.push_back(i);
		if (p)
			zs_obj_read_end(objs.pool(), objs[i].handle, p);
	}
	return out;
}

TEST_F(ZsMisuse, ReadEndWithAnotherPointerStillEndsTheRead)
{
	/* The contract refuses read_end only when no read of the handle is
	 * open; ending with another pointer (NULL, p + 1, a foreign buffer)
	 * must still release the pin, or the object could never be freed. */
	std::vector<size_t> which = { 0 };
	std::vector<size_t> st = Straddling(objs_);
	if (!st.empty())
		which.push_back(st[0]);
	uint8_t other[16];
	for (size_t i : which) {
		uint64_t h = objs_[i].handle;
		std::vector<uint8_t> local(objs_[i].size);
		for (int kind = 0; kind < 3; kind++) {
			const uint8_t *p = static_cast<const uint8_t *>(
				zs_obj_read_begin(pool_, h, local.data()));
			ASSERT_NE(p, nullptr);
			const uint8_t *b = kind == 0 ? nullptr :
					   kind == 1 ? p + 1 :
						       other;
			ASSERT_ERRNO(zs_free(pool_, h), -EBUSY);
			EXPECT_TRUE(zs::BytesMatch(p, objs_[i].size,
						   objs_[i].seed));
			EXPECT_ERRNO(zs_obj_read_end(pool_, h, b), 0);
			EXPECT_ERRNO(zs_obj_read_end(pool_, h, p), -EINVAL);
		}
	}
	ExpectUnchanged();
}

TEST_F(ZsMisuse, TwoReadsOfOneHandleEndInAnyOrder)
{
	std::vector<size_t> st = Straddling(objs_);
	size_t i = st.empty() ? 0 : st[0];
	uint64_t h = objs_[i].handle;
	std::vector<uint8_t> a(objs_[i].size), b(objs_[i].size);
	const void *pa = zs_obj_read_begin(pool_, h, a.data());
	const void *pb = zs_obj_read_begin(pool_, h, b.data());
	ASSERT_NE(pa, nullptr);
	ASSERT_NE(pb, nullptr);
	EXPECT_ERRNO(zs_obj_read_end(pool_, h, pb), 0);
	ASSERT_ERRNO(zs_free(pool_, h), -EBUSY);
	EXPECT_TRUE(zs::BytesMatch(pa, objs_[i].size, objs_[i].seed));
	EXPECT_ERRNO(zs_obj_read_end(pool_, h, pa), 0);
	EXPECT_ERRNO(zs_obj_read_end(pool_, h, pa), -EINVAL);
	ExpectUnchanged();
}

/* A zspage is one contiguous run, so a straddling object needs no local
 * copy: it is read in place. */
TEST_F(ZsMisuse, ReadOfStraddlingObjectWithoutLocalCopy)
{
	std::vector<size_t> st = Straddling(objs_);
	ASSERT_FALSE(st.empty()) << "the fixture has no straddling object";
	uint64_t h = objs_[st[0]].handle;
	const void *p = zs_obj_read_begin(pool_, h, nullptr);
	ASSERT_NE(p, nullptr);
	EXPECT_TRUE(zs::BytesMatch(p, objs_[st[0]].size, objs_[st[0]].seed));
	EXPECT_ERRNO(zs_obj_read_end(pool_, h, p), 0);
	/* nothing else was left open */
	EXPECT_ERRNO(zs_obj_read_end(pool_, h, nullptr), -EINVAL);
	uint64_t extra = Extra(objs_[st[0]].size, 77);
	EXPECT_ERRNO(zs_free(pool_, extra), 0);
	ExpectUnchanged();
}

/* Writing nothing is legal with any source, NULL included; memcpy must
 * not see the NULL even for 0 bytes (UBSan's nonnull check aborts). */
TEST_F(ZsMisuse, ObjWriteOfZeroBytes)
{
	uint8_t buf[8] = {};
	for (size_t i = 0; i < objs_.size(); i++) {
		uint64_t h = objs_[i].handle;
		EXPECT_ERRNO(zs_obj_write(pool_, h, nullptr, 0), 0)
			<< "size " << objs_[i].size;
		EXPECT_ERRNO(zs_obj_write(pool_, h, buf, 0), 0);
		EXPECT_ERRNO(zs_obj_write(pool_, h, nullptr, 1), -EINVAL);
		EXPECT_ERRNO(zs_obj_write(nullptr, h, nullptr, 0), -EINVAL);
	}
	ExpectUnchanged();
}

TEST_F(ZsMisuse, ObjWriteOfZeroBytesChecksTheHandle)
{
	uint64_t stale = Extra(300, 5);
	ASSERT_ERRNO(zs_free(pool_, stale), 0);
	for (uint64_t h : { (uint64_t)0, stale, stale ^ 1, ~stale,
			    objs_[0].handle ^ ((uint64_t)1 << 40) }) {
		EXPECT_ERRNO(zs_obj_write(pool_, h, nullptr, 0), -EINVAL)
			<< "handle " << h;
		uint8_t one = 1;
		EXPECT_ERRNO(zs_obj_write(pool_, h, &one, 0), -EINVAL)
			<< "handle " << h;
	}
	zs::Pool other("other");
	uint64_t theirs;
	ASSERT_ERRNO(zs_malloc(other, 100, &theirs), 0);
	EXPECT_ERRNO(zs_obj_write(pool_, theirs, nullptr, 0), -EINVAL);
	EXPECT_ERRNO(zs_free(other, theirs), 0);
	ExpectUnchanged();
}

/* A zero-length write to a mapped or read-open object is still a write:
 * it needs no exclusive access, so it succeeds and changes nothing. */
TEST_F(ZsMisuse, ObjWriteOfZeroBytesWhileMapped)
{
	uint64_t h = objs_[2].handle;
	zs::Mapping m(pool_, h, ZS_MM_RO);
	ASSERT_TRUE(m);
	EXPECT_ERRNO(zs_obj_write(pool_, h, nullptr, 0), 0);
	EXPECT_TRUE(zs::BytesMatch(m.get(), objs_[2].size, objs_[2].seed));
	EXPECT_ERRNO(m.Unmap(), 0);
	ExpectUnchanged();
}

TEST_F(ZsMisuse, ObjWriteLongerThanObject)
{
	for (size_t i = 0; i < 7; i++) {
		std::vector<uint8_t> big(objs_[i].size + 1, 0xcc);
		EXPECT_ERRNO(zs_obj_write(pool_, objs_[i].handle, big.data(),
					  big.size()),
			     -EINVAL)
			<< "size " << objs_[i].size;
		EXPECT_ERRNO(zs_obj_write(pool_, objs_[i].handle, big.data(),
					  SIZE_MAX),
			     -EINVAL);
	}
	ExpectUnchanged();
}

TEST_F(ZsMisuse, MallocSizeZero)
{
	uint64_t h = 0x1234;
	EXPECT_ERRNO(zs_malloc(pool_, 0, &h), -EINVAL);
	EXPECT_EQ(h, 0x1234u);
	ExpectUnchanged();
}

TEST_F(ZsMisuse, MallocTooLarge)
{
	for (size_t size :
	     { (size_t)4097, (size_t)8192, (size_t)1 << 31, SIZE_MAX }) {
		uint64_t h = 0x1234;
		EXPECT_ERRNO(zs_malloc(pool_, size, &h), -ENOSPC)
			<< "size " << size;
		EXPECT_EQ(h, 0x1234u);
	}
	ExpectUnchanged();
}

TEST_F(ZsMisuse, BadConfig)
{
	zs_pool_config cfg = {};
	cfg.chain_size = 17;
	EXPECT_NULL_ERRNO(zs_create_pool_config(&cfg), -EINVAL);
	cfg.chain_size = 1000;
	EXPECT_NULL_ERRNO(zs_create_pool_config(&cfg), -EINVAL);
	ExpectUnchanged();
}

/*
 * Under ASan the allocator poisons the gaps (all but their tag, links and
 * footer) and the bytes past each object's end up to its 8-byte unit, so a caller overrunning a pointer the API gave it is stopped at
 * the faulting access.  Death tests: the child process dies, the pool of
 * the parent is untouched.
 */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ZS_TEST_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define ZS_TEST_ASAN 1
#endif

#ifdef ZS_TEST_ASAN
/* An in-place pointer to an object of n bytes (read still open). */
const uint8_t *InPlace(zs_pool *pool, uint64_t h, std::vector<uint8_t> &buf)
{
	const void *p = zs_obj_read_begin(pool, h, buf.data());
	if (p == buf.data()) {
		zs_obj_read_end(pool, h, p);
		return nullptr;
	}
	return static_cast<const uint8_t *>(p);
}

TEST_F(ZsMisuse, ReadPastObjectEndIsCaught)
{
	/* 101 bytes: with its 4-byte tag 105, 7 bytes short of its 112-byte
	 * footprint, and those 7 bytes (the suffix of the object's last
	 * 8-byte ASan granule) are poisoned.  Not 100: an object whose
	 * size + 4 is a multiple of 8 ends on a granule boundary, and the
	 * granule after it starts with the next block's tag, which must stay
	 * addressable (ASan can only poison a granule's suffix), so the first
	 * byte past such an object is not caught. */
	uint64_t h = Extra(101, 1);
	std::vector<uint8_t> buf(101);
	const uint8_t *p = InPlace(pool_, h, buf);
	ASSERT_NE(p, nullptr) << "read not in place";
	EXPECT_DEATH(
		{
			volatile uint8_t x = p[101];
			(void)x;
		},
		"AddressSanitizer");
	EXPECT_ERRNO(zs_obj_read_end(pool_, h, p), 0);
	EXPECT_ERRNO(zs_free(pool_, h), 0);
	ExpectUnchanged();
}

TEST_F(ZsMisuse, WritePastMappedObjectIsCaught)
{
	/* 1000 B objects, some straddling a page boundary: every map is in
	 * place, and the bytes past each object's end are poisoned. */
	std::vector<uint64_t> hs;
	for (int i = 0; i < 6; i++)
		hs.push_back(Extra(1000, 10 + i));
	for (uint64_t h : hs) {
		uint8_t *p = static_cast<uint8_t *>(
			zs_map_object(pool_, h, ZS_MM_RW));
		ASSERT_NE(p, nullptr);
		EXPECT_DEATH(p[1000] = 0x77, "AddressSanitizer");
		EXPECT_ERRNO(zs_unmap_object(pool_, h), 0);
	}
	for (uint64_t h : hs)
		EXPECT_ERRNO(zs_free(pool_, h), 0);
	ExpectUnchanged();
}

TEST_F(ZsMisuse, ReadThroughPointerAfterFreeIsCaught)
{
	uint64_t h = Extra(100, 2);
	std::vector<uint8_t> buf(100);
	const uint8_t *p = InPlace(pool_, h, buf);
	ASSERT_NE(p, nullptr);
	EXPECT_ERRNO(zs_obj_read_end(pool_, h, p), 0);
	/* Another object keeps the zspage (and its page) alive. */
	uint64_t keep = Extra(100, 3);
	EXPECT_ERRNO(zs_free(pool_, h), 0);
	EXPECT_DEATH(
		{
			volatile uint8_t x = p[50];
			(void)x;
		},
		"AddressSanitizer");
	EXPECT_ERRNO(zs_free(pool_, keep), 0);
	ExpectUnchanged();
}
#endif /* ZS_TEST_ASAN */

} /* namespace */
