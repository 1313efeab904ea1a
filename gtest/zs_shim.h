/* SPDX-License-Identifier: MIT */
/*
 * gtest/zs_shim.h - the thin C++ layer every zs Google Test includes.
 *
 * The tests are written against the public C headers only (the contract
 * their comments state), never against zs_internal.h, so they stay
 * valid whatever the implementation does underneath.  This header adds:
 *   - names for errno values, so a failure reads "-EBUSY" and not "-16",
 *     and EXPECT_ERRNO / EXPECT_NULL_ERRNO built on them;
 *   - RAII owners (Pool, Zbud, Arena, Mapping, Handles) so a failed ASSERT
 *     in the middle of a test does not turn into a LeakSanitizer report or a
 *     stale map that makes the next test fail;
 *   - deterministic byte patterns keyed by a seed, so every object's
 *     contents can be checked without keeping a copy of it.
 * Each test file includes "gtest/zs_shim.h" and <gtest/gtest.h>.
 */
#ifndef ZS_GTEST_ZS_SHIM_H
#define ZS_GTEST_ZS_SHIM_H

#include <gtest/gtest.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

extern "C" {
#include "zs/arena.h"
#include "zs/report.h"
#include "zs/zbud.h"
#include "zs/zsmalloc.h"
}

namespace zs
{

/* "EINVAL" for EINVAL or -EINVAL; NULL for values we have no name for. */
inline const char *ErrnoName(long e)
{
	if (e < 0)
		e = -e;
	switch (e) {
	case EPERM:
		return "EPERM";
	case ENOENT:
		return "ENOENT";
	case EAGAIN:
		return "EAGAIN";
	case ENOMEM:
		return "ENOMEM";
	case EFAULT:
		return "EFAULT";
	case EBUSY:
		return "EBUSY";
	case EEXIST:
		return "EEXIST";
	case EINVAL:
		return "EINVAL";
	case ENOSPC:
		return "ENOSPC";
	case E2BIG:
		return "E2BIG";
	case ERANGE:
		return "ERANGE";
	case EDEADLK:
		return "EDEADLK";
	case EOVERFLOW:
		return "EOVERFLOW";
	case EOPNOTSUPP:
		return "EOPNOTSUPP";
	case EUCLEAN:
		return "EUCLEAN";
	default:
		return nullptr;
	}
}

/* A return value as the contract spells it: "0", "-EINVAL", "7". */
inline std::string ErrString(long long v)
{
	const char *name = v < 0 ? ErrnoName((long)v) : nullptr;
	if (name)
		return std::string("-") + name;
	return std::to_string(v);
}

inline ::testing::AssertionResult ErrnoEq(const char *got_expr,
					  const char *want_expr, long long got,
					  long long want)
{
	if (got == want)
		return ::testing::AssertionSuccess();
	return ::testing::AssertionFailure()
	       << got_expr << " returned " << ErrString(got) << ", expected "
	       << ErrString(want) << " (" << want_expr << ")";
}

/* Pointer-returning calls: NULL and errno == -want_neg. */
inline ::testing::AssertionResult NullErrno(const char *expr, const void *p,
					    int err, long long want_neg)
{
	if (p == nullptr && err == -want_neg)
		return ::testing::AssertionSuccess();
	auto r = ::testing::AssertionFailure();
	r << expr << " returned ";
	if (p)
		r << "non-NULL " << p;
	else
		r << "NULL with errno " << ErrString(-(long long)err);
	return r << ", expected NULL with errno " << ErrString(want_neg);
}

/* One report through zs/report.h's hook: its kind and its line. */
struct Report {
	zs_finding kind;
	std::string message;
};

/* A report hook appending to the std::vector<Report> at arg, for tests
 * that plant a finding and compare what was reported. */
inline void RecordReport(zs_finding kind, const char *message, void *arg)
{
	static_cast<std::vector<Report> *>(arg)->push_back(
		Report{ kind, message });
}

} /* namespace zs */

/* EXPECT_ERRNO(zs_free(pool, 0), -EINVAL): compares, prints names. */
#define EXPECT_ERRNO(expr, want) \
	EXPECT_PRED_FORMAT2(::zs::ErrnoEq, (long long)(expr), (long long)(want))
#define ASSERT_ERRNO(expr, want) \
	ASSERT_PRED_FORMAT2(::zs::ErrnoEq, (long long)(expr), (long long)(want))

/* EXPECT_NULL_ERRNO(zs_map_object(...), -EBUSY): NULL and errno EBUSY. */
#define EXPECT_NULL_ERRNO(expr, want_neg)                                      \
	do {                                                                   \
		errno = 0;                                                     \
		const void *zs_p_ = (expr);                                    \
		int zs_e_ = errno;                                             \
		EXPECT_TRUE(::zs::NullErrno(#expr, zs_p_, zs_e_, (want_neg))); \
	} while (0)

namespace zs
{

/* ---- deterministic contents ---------------------------------------- */

/* splitmix64: a full-period mixer, so nearby seeds give unrelated bytes. */
inline uint64_t Mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* The n bytes an object with this seed must hold. */
inline void FillPattern(void *dst, size_t n, uint64_t seed)
{
	uint8_t *d = static_cast<uint8_t *>(dst);
	uint64_t s = Mix(seed);
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t w = Mix(s + i);
		memcpy(d + i, &w, 8);
	}
	if (i < n) {
		uint64_t w = Mix(s + i);
		memcpy(d + i, &w, n - i);
	}
}

inline std::vector<uint8_t> Pattern(size_t n, uint64_t seed)
{
	std::vector<uint8_t> v(n);
	FillPattern(v.data(), n, seed);
	return v;
}

/* Compares n bytes at p with the seed's pattern; names the first bad byte. */
inline ::testing::AssertionResult BytesMatch(const void *p, size_t n,
					     uint64_t seed)
{
	std::vector<uint8_t> want = Pattern(n, seed);
	if (n == 0 || memcmp(p, want.data(), n) == 0)
		return ::testing::AssertionSuccess();
	const uint8_t *got = static_cast<const uint8_t *>(p);
	size_t i = 0;
	while (got[i] == want[i])
		i++;
	return ::testing::AssertionFailure()
	       << "byte " << i << " of " << n << " is " << (unsigned)got[i]
	       << ", expected " << (unsigned)want[i] << " (seed " << seed
	       << ")";
}

/* ---- pools, maps, objects ------------------------------------------ */

class Pool {
public:
	explicit Pool(const char *name = "gtest") : p_(zs_create_pool(name))
	{
	}
	explicit Pool(const zs_pool_config &cfg)
	    : p_(zs_create_pool_config(&cfg))
	{
	}
	static Pool WithChain(unsigned chain, unsigned long max_pages = 0)
	{
		zs_pool_config cfg = {};
		cfg.name = "gtest";
		cfg.chain_size = chain;
		cfg.max_pages = max_pages;
		return Pool(cfg);
	}
	Pool(Pool &&o) noexcept : p_(o.p_)
	{
		o.p_ = nullptr;
	}
	Pool(const Pool &) = delete;
	Pool &operator=(const Pool &) = delete;
	~Pool()
	{
		zs_destroy_pool(p_);
	}

	zs_pool *get() const
	{
		return p_;
	}
	operator zs_pool *() const
	{
		return p_;
	}
	struct zs_pool_stats Stats() const
	{
		struct zs_pool_stats st;
		memset(&st, 0, sizeof(st));
		zs_pool_stats(p_, &st);
		return st;
	}

private:
	zs_pool *p_;
};

/* A map held by this thread, unmapped when it goes out of scope. */
class Mapping {
public:
	Mapping(zs_pool *pool, uint64_t h, zs_mapmode mm)
	    : pool_(pool), h_(h), p_(zs_map_object(pool, h, mm)),
	      err_(p_ ? 0 : errno)
	{
	}
	Mapping(const Mapping &) = delete;
	Mapping &operator=(const Mapping &) = delete;
	~Mapping()
	{
		Unmap();
	}

	explicit operator bool() const
	{
		return p_ != nullptr;
	}
	uint8_t *bytes() const
	{
		return static_cast<uint8_t *>(p_);
	}
	void *get() const
	{
		return p_;
	}
	int err() const
	{
		return err_;
	}
	/* Unmaps now; the contract's return value (0 when nothing is held). */
	int Unmap()
	{
		if (!p_)
			return 0;
		p_ = nullptr;
		return zs_unmap_object(pool_, h_);
	}

private:
	zs_pool *pool_;
	uint64_t h_;
	void *p_;
	int err_;
};

/* Writes the seed's pattern over the whole object through zs_obj_write. */
inline int WritePattern(zs_pool *pool, uint64_t h, size_t n, uint64_t seed)
{
	std::vector<uint8_t> v = Pattern(n, seed);
	return zs_obj_write(pool, h, v.data(), n);
}

/* Reads the object through read_begin / read_end and checks size and bytes. */
inline ::testing::AssertionResult HasPattern(zs_pool *pool, uint64_t h,
					     size_t n, uint64_t seed)
{
	size_t size = zs_obj_size(pool, h);
	if (size != n)
		return ::testing::AssertionFailure()
		       << "zs_obj_size(" << h << ") = " << size << ", expected "
		       << n;
	std::vector<uint8_t> buf(n);
	errno = 0;
	const void *p = zs_obj_read_begin(pool, h, buf.data());
	if (!p)
		return ::testing::AssertionFailure()
		       << "zs_obj_read_begin(" << h << ") failed, errno "
		       << ErrString(-(long long)errno);
	::testing::AssertionResult r = BytesMatch(p, n, seed);
	int end = zs_obj_read_end(pool, h, p);
	if (!r)
		return r << " in handle " << h;
	if (end != 0)
		return ::testing::AssertionFailure()
		       << "zs_obj_read_end returned " << ErrString(end);
	return r;
}

struct Obj {
	uint64_t handle;
	size_t size;
	uint64_t seed;
};

/*
 * Live objects of one pool, each holding its seed's pattern; whatever is
 * left is freed on destruction.  Declare it after the Pool it uses, so it
 * is destroyed first.
 */
class Handles {
public:
	explicit Handles(zs_pool *pool) : pool_(pool)
	{
	}
	Handles(const Handles &) = delete;
	Handles &operator=(const Handles &) = delete;
	~Handles()
	{
		FreeAll();
	}

	/* zs_malloc + pattern write; the result of zs_malloc. */
	int Alloc(size_t size, uint64_t seed)
	{
		uint64_t h = 0;
		int ret = zs_malloc(pool_, size, &h);
		if (ret)
			return ret;
		return Adopt(h, size, seed);
	}
	/* Takes over an object the caller allocated; writes its pattern. */
	int Adopt(uint64_t h, size_t size, uint64_t seed)
	{
		objs_.push_back({ h, size, seed });
		return WritePattern(pool_, h, size, seed);
	}
	/* Frees the i-th object (swap-remove: indexes after it change). */
	int Free(size_t i)
	{
		int ret = zs_free(pool_, objs_[i].handle);
		if (ret == 0) {
			objs_[i] = objs_.back();
			objs_.pop_back();
		}
		return ret;
	}
	void FreeAll()
	{
		for (const Obj &o : objs_)
			zs_free(pool_, o.handle);
		objs_.clear();
	}
	::testing::AssertionResult Intact(size_t i) const
	{
		const Obj &o = objs_[i];
		return HasPattern(pool_, o.handle, o.size, o.seed);
	}
	::testing::AssertionResult AllIntact() const
	{
		for (size_t i = 0; i < objs_.size(); i++) {
			::testing::AssertionResult r = Intact(i);
			if (!r)
				return r << " (object " << i << " of "
					 << objs_.size() << ")";
		}
		return ::testing::AssertionSuccess();
	}
	uint64_t BytesLive() const
	{
		uint64_t b = 0;
		for (const Obj &o : objs_)
			b += o.size;
		return b;
	}

	size_t size() const
	{
		return objs_.size();
	}
	bool empty() const
	{
		return objs_.empty();
	}
	const Obj &operator[](size_t i) const
	{
		return objs_[i];
	}
	std::vector<Obj> &objs()
	{
		return objs_;
	}
	zs_pool *pool() const
	{
		return pool_;
	}

private:
	zs_pool *pool_;
	std::vector<Obj> objs_;
};

/* Everything zs_pool_print_classes* wrote, as one string. */
template <typename Fn>
std::string Capture(Fn print)
{
	FILE *f = tmpfile();
	if (!f)
		return std::string();
	print(f);
	fflush(f);
	std::string s;
	rewind(f);
	char buf[4096];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		s.append(buf, n);
	fclose(f);
	return s;
}

/* An arena of the test's own, destroyed at scope end; declare it before the
 * pools that use it.  A page still held then (a leak) fails the test. */
class Arena {
public:
	Arena() : a_(zs_arena_create())
	{
	}
	~Arena()
	{
		if (a_) {
			EXPECT_ERRNO(zs_arena_destroy(a_), 0);
		}
	}
	Arena(const Arena &) = delete;
	Arena &operator=(const Arena &) = delete;

	zs_arena *get() const
	{
		return a_;
	}
	operator zs_arena *() const
	{
		return a_;
	}
	struct zs_arena_stats Stats() const
	{
		struct zs_arena_stats st;
		memset(&st, 0, sizeof(st));
		zs_arena_stats(a_, &st);
		return st;
	}

private:
	zs_arena *a_;
};

/* A zbud pool on an arena of its own, both freed at scope end (the arena
 * must then hold no page: a leak of pages fails the test). */
class Zbud {
public:
	explicit Zbud(const zbud_ops *ops = nullptr)
	    : arena_(zs_arena_create()),
	      pool_(zbud_create_pool_arena(ops, arena_))
	{
	}
	~Zbud()
	{
		zbud_destroy_pool(pool_);
		EXPECT_ERRNO(zs_arena_destroy(arena_), 0);
	}
	Zbud(const Zbud &) = delete;
	Zbud &operator=(const Zbud &) = delete;

	zbud_pool *get() const
	{
		return pool_;
	}
	operator zbud_pool *() const
	{
		return pool_;
	}
	zs_arena *arena() const
	{
		return arena_;
	}
	uint64_t pages() const
	{
		return zbud_get_pool_size(pool_);
	}

private:
	zs_arena *arena_;
	zbud_pool *pool_;
};

} /* namespace zs */

#endif /* ZS_GTEST_ZS_SHIM_H */
