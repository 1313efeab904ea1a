/* SPDX-License-Identifier: MIT */
/*
 * gtest/zs_arena_runs_owner.h - a page owner that holds arena runs, for
 * zs_arena_runs_test.cc and zs_arena_runs_threads_test.cc.
 *
 * Why an owner of the tests' own rather than a pool: zsmalloc and zbud
 * still take single pages, so only an owner written against the arena's
 * page-owner interface can hold runs and see how the arena moves them.
 * It fills every run with a pattern keyed by the run, logs every callback,
 * and records as an error anything the arena's contract rules out: a
 * callback for a page that is not the first page of a run it holds, a run
 * isolated twice, a migrate or putback without isolate, a target run not
 * described as the owner's, a callback after unregistering.  Tests may
 * make isolate or migrate refuse given runs.
 */
#ifndef ZS_GTEST_ZS_ARENA_RUNS_OWNER_H
#define ZS_GTEST_ZS_ARENA_RUNS_OWNER_H

#include "gtest/zs_shim.h"

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace zs
{

class RunOwner {
public:
	struct Run {
		unsigned n;
		uint32_t cookie;
		uint64_t seed;
		bool isolated;
	};
	enum CallKind { kIsolate, kMigrate, kPutback };
	struct Call {
		CallKind kind;
		void *page; /* old first page */
		void *target; /* migrate's new first page */
	};

	/* strict: every callback must be for a run held (single-threaded
	 * tests); otherwise a run freed under the compaction may be asked
	 * for, and is refused. */
	RunOwner(zs_arena *arena, bool strict) : arena_(arena), strict_(strict)
	{
		id_ = zs_arena_register_owner(arena, this, &kOps);
	}
	~RunOwner()
	{
		Unregister();
		for (auto &kv : runs_)
			zs_arena_free_run(arena_, (void *)kv.first);
	}
	RunOwner(const RunOwner &) = delete;
	RunOwner &operator=(const RunOwner &) = delete;

	int id() const
	{
		return id_;
	}

	/* Once; the id stays readable. */
	void Unregister()
	{
		if (id_ >= 0 && !dead_) {
			zs_arena_unregister_owner(arena_, id_);
			dead_ = true;
		}
	}

	/* A run of n pages filled with its pattern, or NULL (errno set). */
	void *Alloc(unsigned n, uint32_t cookie, bool movable)
	{
		pending_ += n;
		void *p = zs_arena_alloc_run(arena_, id_, n, cookie, movable);
		std::lock_guard<std::mutex> g(mu_);
		pending_ -= n;
		if (!p)
			return nullptr;
		uint64_t seed = ++seeds_;
		Fill(p, n, seed);
		runs_[(uintptr_t)p] = Run{ n, cookie, seed, false };
		return p;
	}

	/* Frees the run that starts at first unless a move holds it:
	 * whether it was freed. */
	bool Free(void *first)
	{
		unsigned n;
		{
			std::lock_guard<std::mutex> g(mu_);
			auto it = runs_.find((uintptr_t)first);
			if (it == runs_.end() || it->second.isolated)
				return false;
			n = it->second.n;
			pending_ += n;
			runs_.erase(it);
		}
		zs_arena_free_run(arena_, first);
		pending_ -= n;
		return true;
	}

	/* The first pages of the runs held, in address order. */
	std::vector<void *> Firsts()
	{
		std::lock_guard<std::mutex> g(mu_);
		std::vector<void *> out;
		for (auto &kv : runs_)
			out.push_back((void *)kv.first);
		return out;
	}

	unsigned long PagesHeld()
	{
		std::lock_guard<std::mutex> g(mu_);
		unsigned long n = 0;
		for (auto &kv : runs_)
			n += kv.second.n;
		return n;
	}

	/* Every run's pattern intact and every page described as the run's:
	 * the errors found, empty when all is well. */
	std::vector<std::string> Verify()
	{
		std::lock_guard<std::mutex> g(mu_);
		std::vector<std::string> bad;
		for (auto &kv : runs_) {
			void *p = (void *)kv.first;
			const Run &r = kv.second;
			if (!Holds(p, r.n, r.seed))
				bad.push_back(Where(p) + ": pattern lost");
			std::string why = Described(p, r.n, r.cookie);
			if (!why.empty())
				bad.push_back(Where(p) + ": " + why);
		}
		return bad;
	}

	void RefuseIsolate(void *first)
	{
		std::lock_guard<std::mutex> g(mu_);
		refuse_isolate_.insert(first);
	}
	void RefuseMigrate(void *first)
	{
		std::lock_guard<std::mutex> g(mu_);
		refuse_migrate_.insert(first);
	}

	std::vector<Call> Calls()
	{
		std::lock_guard<std::mutex> g(mu_);
		return calls_;
	}
	std::vector<std::string> Errors()
	{
		std::lock_guard<std::mutex> g(mu_);
		return errors_;
	}
	/* Where the run that started at first is now (first when it has
	 * not moved); NULL when it is no longer held. */
	void *Now(void *first)
	{
		std::lock_guard<std::mutex> g(mu_);
		/* bounded: an address reused by a later run could loop */
		for (size_t hops = 0; hops <= moved_to_.size(); hops++) {
			if (runs_.count((uintptr_t)first))
				return first;
			auto it = moved_to_.find(first);
			if (it == moved_to_.end())
				return nullptr;
			first = it->second;
		}
		return nullptr;
	}

private:
	static void Fill(void *p, unsigned n, uint64_t seed)
	{
		uint64_t *w = static_cast<uint64_t *>(p);
		size_t words = n * ZS_PAGE_SIZE / sizeof(uint64_t);
		for (size_t i = 0; i < words; i++)
			w[i] = seed * 0x9e3779b97f4a7c15ull + i;
	}
	static bool Holds(const void *p, unsigned n, uint64_t seed)
	{
		const uint64_t *w = static_cast<const uint64_t *>(p);
		size_t words = n * ZS_PAGE_SIZE / sizeof(uint64_t);
		for (size_t i = 0; i < words; i++)
			if (w[i] != seed * 0x9e3779b97f4a7c15ull + i)
				return false;
		return true;
	}
	static std::string Where(const void *p)
	{
		char buf[64];
		snprintf(buf, sizeof(buf), "run %p", p);
		return buf;
	}

	/* Why the arena does not describe pages p .. p+n-1 as one run of
	 * ours with this cookie; empty when it does. */
	std::string Described(void *p, unsigned n, uint32_t cookie)
	{
		for (unsigned k = 0; k < n; k++) {
			struct zs_arena_page_info info = {};
			char *page = static_cast<char *>(p) + k * ZS_PAGE_SIZE;
			if (zs_arena_page_info(arena_, page, &info))
				return "page " + std::to_string(k) +
				       " not allocated";
			if (info.owner_id != id_ || info.cookie != cookie ||
			    (n > 1 && info.index != k) || info.run_pages != n ||
			    info.run != p)
				return "page " + std::to_string(k) +
				       " misdescribed";
		}
		return "";
	}

	/* The run a callback names; records an error (strict) or returns
	 * NULL for one not held. */
	Run *Find(const char *cb, void *page, uint32_t cookie, uint32_t index)
	{
		if (dead_)
			errors_.push_back(std::string(cb) +
					  " after unregistering");
		auto it = runs_.find((uintptr_t)page);
		if (it == runs_.end()) {
			if (strict_)
				errors_.push_back(
					std::string(cb) +
					" of a page not held: " + Where(page));
			return nullptr;
		}
		if (it->second.cookie != cookie ||
		    (it->second.n > 1 && index != 0))
			errors_.push_back(std::string(cb) +
					  " with the wrong cookie or index: " +
					  Where(page));
		return &it->second;
	}

	static int Isolate(void *o, void *page, uint32_t cookie, uint32_t index)
	{
		RunOwner *self = static_cast<RunOwner *>(o);
		std::lock_guard<std::mutex> g(self->mu_);
		self->calls_.push_back(Call{ kIsolate, page, nullptr });
		Run *r = self->Find("isolate", page, cookie, index);
		if (!r)
			return -EAGAIN;
		if (r->isolated)
			self->errors_.push_back("isolated twice: " +
						Where(page));
		if (self->refuse_isolate_.count(page))
			return -EAGAIN;
		r->isolated = true;
		return 0;
	}

	static int Migrate(void *o, void *old_page, void *new_page,
			   uint32_t cookie, uint32_t index)
	{
		RunOwner *self = static_cast<RunOwner *>(o);
		std::lock_guard<std::mutex> g(self->mu_);
		self->calls_.push_back(Call{ kMigrate, old_page, new_page });
		Run *r = self->Find("migrate", old_page, cookie, index);
		if (!r)
			return -EAGAIN;
		if (!r->isolated)
			self->errors_.push_back("migrate without isolate: " +
						Where(old_page));
		if (self->refuse_migrate_.count(old_page))
			return -EAGAIN;
		/* the old run is isolated as a whole, the new one described
		 * as ours (not isolated) before we see it */
		for (unsigned k = 0; k < r->n; k++) {
			struct zs_arena_page_info info = {};
			char *page = static_cast<char *>(old_page) +
				     k * ZS_PAGE_SIZE;
			if (zs_arena_page_info(self->arena_, page, &info) ||
			    !info.isolated)
				self->errors_.push_back(
					"old run page " + std::to_string(k) +
					" not isolated: " + Where(old_page));
		}
		/* one move at a time (one compaction per arena): the arena
		 * counts this run twice, and says so; other threads' allocs
		 * and frees in progress are the only other difference.  A
		 * free may end and an alloc start between the reads, so
		 * pending is read on both sides of the arena's count. */
		unsigned long owned = 0, held = 0, pending = self->pending_;
		unsigned moving = 0;
		for (const auto &it : self->runs_)
			held += it.second.n;
		int err = zs_arena_owner_pages(self->arena_, self->id_, &owned,
					       &moving);
		pending += self->pending_;
		if (err || moving != r->n || owned < held + r->n ||
		    owned > held + r->n + pending)
			self->errors_.push_back(
				"owner pages " + std::to_string(owned) +
				", moving " + std::to_string(moving) +
				" while moving " + std::to_string(r->n) +
				" of " + std::to_string(held) + ": " +
				Where(old_page));
		std::string why = self->Described(new_page, r->n, r->cookie);
		if (!why.empty())
			self->errors_.push_back("migrate target " + why);
		memcpy(new_page, old_page, r->n * ZS_PAGE_SIZE);
		Run moved = *r;
		moved.isolated = false;
		self->runs_.erase((uintptr_t)old_page);
		self->runs_[(uintptr_t)new_page] = moved;
		self->moved_to_[old_page] = new_page;
		return 0;
	}

	static void Putback(void *o, void *page, uint32_t cookie,
			    uint32_t index)
	{
		RunOwner *self = static_cast<RunOwner *>(o);
		std::lock_guard<std::mutex> g(self->mu_);
		self->calls_.push_back(Call{ kPutback, page, nullptr });
		Run *r = self->Find("putback", page, cookie, index);
		if (!r)
			return;
		if (!r->isolated)
			self->errors_.push_back("putback without isolate: " +
						Where(page));
		r->isolated = false;
	}

	static constexpr zs_movable_ops kOps = { Isolate, Migrate, Putback };

	zs_arena *arena_;
	bool strict_;
	int id_ = -1;
	std::atomic<bool> dead_{ false };
	/* pages of allocs and frees between the arena and runs_ */
	std::atomic<unsigned long> pending_{ 0 };
	std::mutex mu_;
	uint64_t seeds_ = 0;
	std::map<uintptr_t, Run> runs_;
	std::map<void *, void *> moved_to_;
	std::set<void *> refuse_isolate_, refuse_migrate_;
	std::vector<Call> calls_;
	std::vector<std::string> errors_;
};

} /* namespace zs */

#endif /* ZS_GTEST_ZS_ARENA_RUNS_OWNER_H */
