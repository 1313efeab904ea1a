// SPDX-License-Identifier: MIT
/*
 * gtest/zsmalloc_slide_threads_test.cc - readers racing the compactor while
 * it slides objects inside their zspages.
 *
 * A slide moves an object a few units toward its zspage's start, so its
 * old and new bytes overlap and sit next to its neighbours', which other
 * threads may be reading at that moment without any lock.  Only the
 * object being moved may make a reader wait; every other one must read
 * its own bytes throughout, and a pinned (mapped or read-open) object must
 * neither move nor be overwritten by a neighbour sliding over its place.
 * The pool is built so that compaction has to slide to free anything
 * (zsmalloc_compact_test.cc's BigsBetweenShortGaps): 8-page zspages tiled
 * by pairs of a 188-byte and a 1852-byte object, the small ones freed, so
 * no gap fits a big object until slides run gaps together.  Readers loop
 * over the big objects with zs_obj_read_begin / zs_obj_read_end and
 * zs_map_object / zs_unmap_object, checking every byte, while one thread
 * compacts; the round is rebuilt a few times so the race windows are hit.
 * It runs under ASan + UBSan and under TSan (gtest/BUILD).
 */
#include "gtest/zs_shim.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace
{

constexpr size_t kSmall = 188, kBig = 1852;
constexpr unsigned kZspages = 24, kPairsPerZspage = 16;
constexpr unsigned kRounds = 30, kMaxRounds = 300, kReaders = 2;
/* Compaction's best for this layout: 17 of the 384 big objects (232
 * units each) fit a zspage, so 23 zspages hold them and one zspage's 8
 * pages go back; the 23rd holds 10, packed at its start, and its pages
 * past them and its last gap's head (2 units) go back too. */
constexpr unsigned long kOptimumPages =
	kZspages * 8ul - (22 * 8 + (10 * 232 + 2 + 511) / 512);

/* The first failure any reader saw, and how many there were. */
struct Failures {
	std::mutex mu;
	std::string first;
	std::atomic<unsigned> n{ 0 };

	void Add(const std::string &what)
	{
		if (n.fetch_add(1) == 0) {
			std::lock_guard<std::mutex> g(mu);
			first = what;
		}
	}
};

/* The pool state of BigsBetweenShortGaps: only the big objects are left. */
void BuildBigsBetweenShortGaps(zs::Handles &objs, zs_pool *pool)
{
	ASSERT_EQ(zs_class_size_for(pool, kSmall), 24u * 8);
	ASSERT_EQ(zs_class_size_for(pool, kBig), 232u * 8);
	for (unsigned i = 0; i < kZspages * kPairsPerZspage; i++) {
		ASSERT_ERRNO(objs.Alloc(kSmall, 2 * i), 0);
		ASSERT_ERRNO(objs.Alloc(kBig, 2 * i + 1), 0);
	}
	ASSERT_EQ(zs_get_total_pages(pool), kZspages * 8ul);
	for (size_t i = objs.size(); i-- > 0;) {
		if (objs[i].size == kSmall) {
			ASSERT_ERRNO(objs.Free(i), 0);
		}
	}
	ASSERT_EQ(objs.size(), kZspages * kPairsPerZspage);
}

/* Reads random objects until stop, each either way by turns, and checks
 * every byte; a map's bytes are checked again after a yield, while it pins
 * the object, so a neighbour slid over it would show. */
void Reader(zs_pool *pool, const std::vector<zs::Obj> &objs, unsigned id,
	    std::atomic<bool> &stop, std::atomic<unsigned long> &reads,
	    Failures &fail)
{
	std::mt19937 rng(id * 7919 + 1);
	std::vector<uint8_t> local(kBig);
	for (unsigned long k = 0; !stop.load(std::memory_order_relaxed); k++) {
		const zs::Obj &o = objs[rng() % objs.size()];
		if (k % 2) {
			const void *p =
				zs_obj_read_begin(pool, o.handle, local.data());
			if (!p) {
				fail.Add("zs_obj_read_begin failed");
				continue;
			}
			::testing::AssertionResult r =
				zs::BytesMatch(p, o.size, o.seed);
			if (!r)
				fail.Add(std::string("read: ") + r.message());
			if (zs_obj_read_end(pool, o.handle, p) != 0)
				fail.Add("zs_obj_read_end failed");
		} else {
			void *p = zs_map_object(pool, o.handle, ZS_MM_RO);
			if (!p) {
				fail.Add("zs_map_object failed");
				continue;
			}
			::testing::AssertionResult r =
				zs::BytesMatch(p, o.size, o.seed);
			if (!r)
				fail.Add(std::string("map: ") + r.message());
			std::this_thread::yield();
			r = zs::BytesMatch(p, o.size, o.seed);
			if (!r)
				fail.Add(std::string("map, after a yield: ") +
					 r.message());
			if (zs_unmap_object(pool, o.handle) != 0)
				fail.Add("zs_unmap_object failed");
		}
		reads.fetch_add(1, std::memory_order_relaxed);
	}
}

TEST(ZsSlideThreads, ReadersSeeEveryByteWhileTheCompactorSlides)
{
	unsigned long moved = 0, freed_racing = 0, reads_racing = 0;
	unsigned round;
	/* On a machine busy with other tests the readers can be off their
	 * CPUs through every pass of kRounds: then more rounds, until one
	 * read races a pass (kMaxRounds bounds it). */
	for (round = 0;
	     round < kRounds || (reads_racing == 0 && round < kMaxRounds);
	     round++) {
		SCOPED_TRACE("round " + std::to_string(round));
		/* the layout is worked out for 8-page zspages */
		zs::Pool pool = zs::Pool::WithChain(8);
		ASSERT_NE(pool.get(), nullptr);
		zs::Handles objs(pool);
		BuildBigsBetweenShortGaps(objs, pool);
		if (HasFatalFailure())
			return;
		std::vector<zs::Obj> live;
		for (size_t i = 0; i < objs.size(); i++)
			live.push_back(objs[i]);

		std::atomic<bool> stop{ false };
		std::atomic<unsigned long> reads{ 0 };
		Failures fail;
		std::vector<std::thread> readers;
		for (unsigned r = 0; r < kReaders; r++)
			readers.emplace_back(Reader, pool.get(),
					     std::cref(live), round * 8 + r,
					     std::ref(stop), std::ref(reads),
					     std::ref(fail));
		/* the readers are under way before the first slide */
		while (reads.load() < 64 * kReaders)
			std::this_thread::yield();
		const unsigned long reads_before = reads.load();
		const unsigned long freed = zs_compact(pool);
		reads_racing += reads.load() - reads_before;
		stop = true;
		for (std::thread &t : readers)
			t.join();

		EXPECT_EQ(fail.n.load(), 0u) << fail.first;
		freed_racing += freed;
		/* A read that pinned an object as its turn to slide came kept
		 * it (and the gap before it) in place, and may have left no
		 * gap long enough: that pass can end with nothing freed.
		 * Unpinned, the rest slides on to the optimum. */
		unsigned long total = freed;
		for (unsigned k = 0; k < 3 && total < kOptimumPages; k++)
			total += zs_compact(pool);
		EXPECT_EQ(total, kOptimumPages);
		EXPECT_EQ(zs_get_total_pages(pool),
			  kZspages * 8ul - kOptimumPages);
		EXPECT_ERRNO(zs_pool_check(pool), 0);
		EXPECT_TRUE(objs.AllIntact());
		moved += pool.Stats().objs_moved;
		objs.FreeAll();
		EXPECT_EQ(zs_get_total_pages(pool), 0u);
	}
	/* the readers did race the slides (a pass takes well under a
	 * millisecond, and each round's readers read all through it, when
	 * they get a CPU) */
	EXPECT_GT(reads_racing, 0u);
	/* pinned now and then, the racing passes still free pages */
	EXPECT_GT(freed_racing, 0u) << "no racing compaction freed a zspage";
	/* freeing a zspage this way takes slides, not only moves out */
	EXPECT_GT(moved, round * 16ul);
}

} /* namespace */
