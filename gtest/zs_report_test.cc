// SPDX-License-Identifier: MIT
/*
 * gtest/zs_report_test.cc - the report hook of zs/report.h.
 *
 * zs speaks up in one-line "zs: ..." reports: misuse it refuses (an arena
 * destroyed while its pools still hold pages), zs_pool_check and
 * zbud_pool_check disagreements, and corruption just before it aborts.
 * Programs with their own log, and tests asserting the exact words, route
 * them to a hook.  These tests pin down that contract: the hook gets exactly
 * the message (prefix, no newline), the kind of finding it is (each kind
 * named once by zs_finding_name) and its own argument, stderr stays quiet
 * while hooked, the previous hook and argument come back from every swap,
 * and NULL restores stderr.  The hook is process-wide and every test here
 * runs in one process, so each test restores it (HookGuard) and the fixture
 * checks that it starts and ends at the default (stderr).  What each abort
 * site reports before it aborts is in zs_abort_sites_test.cc.
 */
#include "gtest/zs_shim.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <set>
#include <string>
#include <vector>

extern "C" {
#include "zs/report.h"
}

namespace
{

/* Every message a hook received, through the hook's own argument. */
struct Recorder {
	std::vector<enum zs_finding> kinds;
	std::vector<std::string> msgs;
	std::vector<void *> args;

	static void Hook(enum zs_finding kind, const char *message, void *arg)
	{
		Recorder *r = static_cast<Recorder *>(arg);
		r->kinds.push_back(kind);
		r->msgs.push_back(message);
		r->args.push_back(arg);
	}
};

/* A second hook function, so swaps of the function itself are visible. */
void OtherHook(enum zs_finding, const char *message, void *arg)
{
	static_cast<Recorder *>(arg)->msgs.push_back(std::string("other:") +
						     message);
}

/* Installs a hook for one scope and puts back whatever was there. */
class HookGuard {
public:
	HookGuard(zs_report_hook *hook, void *arg)
	    : old_(zs_set_report_hook(hook, arg, &old_arg_))
	{
	}
	~HookGuard()
	{
		zs_set_report_hook(old_, old_arg_, nullptr);
	}
	HookGuard(const HookGuard &) = delete;
	HookGuard &operator=(const HookGuard &) = delete;

	zs_report_hook *old() const
	{
		return old_;
	}
	void *old_arg() const
	{
		return old_arg_;
	}

private:
	void *old_arg_ = nullptr;
	zs_report_hook *old_;
};

/* The hook in place now (swapped out and straight back in). */
zs_report_hook *CurrentHook(void **arg)
{
	zs_report_hook *cur = zs_set_report_hook(nullptr, nullptr, arg);
	zs_set_report_hook(cur, *arg, nullptr);
	return cur;
}

/*
 * A misuse zs reports and refuses: destroying an arena whose pool still
 * holds pages.  zs_arena_destroy returns -EBUSY, leaves the arena alone and
 * reports once; Misuse() can be called any number of times.
 */
class ArenaInUse {
public:
	ArenaInUse() : arena_(zs_arena_create())
	{
		zs_pool_config cfg = {};
		cfg.name = "report";
		cfg.arena = arena_;
		pool_ = zs_create_pool_config(&cfg);
		if (pool_)
			zs_malloc(pool_, 100, &h_);
	}
	~ArenaInUse()
	{
		zs_destroy_pool(pool_);
		EXPECT_ERRNO(zs_arena_destroy(arena_), 0);
	}
	ArenaInUse(const ArenaInUse &) = delete;
	ArenaInUse &operator=(const ArenaInUse &) = delete;

	bool ok() const
	{
		return arena_ && pool_ && h_;
	}
	void Misuse() const
	{
		EXPECT_ERRNO(zs_arena_destroy(arena_), -EBUSY);
	}
	/* The report Misuse() must give, word for word. */
	std::string Expected() const
	{
		struct zs_arena_stats st;
		zs_arena_stats(arena_, &st);
		char buf[200];
		snprintf(buf, sizeof(buf),
			 "zs: zs_arena_destroy: %lu pages still in use; arena "
			 "left alone (destroy its pools first)",
			 st.pages_in_use);
		return buf;
	}

private:
	zs_arena *arena_;
	zs_pool *pool_ = nullptr;
	uint64_t h_ = 0;
};

class ReportHook : public ::testing::Test {
protected:
	void SetUp() override
	{
		void *arg = &arg;
		EXPECT_EQ(CurrentHook(&arg), nullptr)
			<< "an earlier test left a hook installed";
		EXPECT_EQ(arg, nullptr);
	}
	void TearDown() override
	{
		void *arg = &arg;
		EXPECT_EQ(CurrentHook(&arg), nullptr)
			<< "this test left a hook installed";
		EXPECT_EQ(arg, nullptr);
	}
};

/* ---- the default: stderr ---------------------------------------------- */

TEST_F(ReportHook, WithoutAHookTheReportIsOneLineOnStderr)
{
	ArenaInUse a;
	ASSERT_TRUE(a.ok());
	testing::internal::CaptureStderr();
	a.Misuse();
	EXPECT_EQ(testing::internal::GetCapturedStderr(), a.Expected() + "\n");
}

/* ---- what the hook receives ------------------------------------------- */

TEST_F(ReportHook, MisuseReachesTheHookExactlyAndStderrStaysQuiet)
{
	ArenaInUse a;
	ASSERT_TRUE(a.ok());
	Recorder rec;
	{
		HookGuard g(&Recorder::Hook, &rec);
		testing::internal::CaptureStderr();
		a.Misuse();
		EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
	}
	ASSERT_EQ(rec.msgs.size(), 1u);
	EXPECT_EQ(rec.msgs[0], a.Expected());
	EXPECT_EQ(rec.msgs[0].find('\n'), std::string::npos);
	EXPECT_EQ(rec.kinds, std::vector<enum zs_finding>{
				     ZS_FINDING_ARENA_DESTROY_BUSY });
}

TEST_F(ReportHook, EveryReportIsDeliveredOnceInOrder)
{
	ArenaInUse a;
	ASSERT_TRUE(a.ok());
	Recorder rec;
	{
		HookGuard g(&Recorder::Hook, &rec);
		testing::internal::CaptureStderr();
		for (int i = 0; i < 3; i++)
			a.Misuse();
		EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
	}
	EXPECT_EQ(rec.msgs, std::vector<std::string>(3, a.Expected()));
}

TEST_F(ReportHook, ArgIsPassedThroughUnchanged)
{
	ArenaInUse a;
	ASSERT_TRUE(a.ok());
	Recorder first, second;
	{
		HookGuard g(&Recorder::Hook, &first);
		a.Misuse();
		{
			HookGuard g2(&Recorder::Hook, &second);
			a.Misuse();
			a.Misuse();
		}
		a.Misuse();
	}
	EXPECT_EQ(first.args, std::vector<void *>(2, &first));
	EXPECT_EQ(second.args, std::vector<void *>(2, &second));
	EXPECT_EQ(first.msgs, std::vector<std::string>(2, a.Expected()));
	EXPECT_EQ(second.msgs, std::vector<std::string>(2, a.Expected()));
}

/* ---- swapping and restoring ------------------------------------------- */

TEST_F(ReportHook, PreviousHookAndArgAreReturnedAndRestored)
{
	ArenaInUse a;
	ASSERT_TRUE(a.ok());
	Recorder ra, rb;
	void *old_arg = &old_arg;

	EXPECT_EQ(zs_set_report_hook(&Recorder::Hook, &ra, &old_arg), nullptr);
	EXPECT_EQ(old_arg, nullptr);
	a.Misuse();

	old_arg = nullptr;
	EXPECT_EQ(zs_set_report_hook(&OtherHook, &rb, &old_arg),
		  &Recorder::Hook);
	EXPECT_EQ(old_arg, &ra);
	a.Misuse();

	/* Put back exactly what was returned: reports go to A again. */
	old_arg = nullptr;
	EXPECT_EQ(zs_set_report_hook(&Recorder::Hook, &ra, &old_arg),
		  &OtherHook);
	EXPECT_EQ(old_arg, &rb);
	a.Misuse();

	old_arg = nullptr;
	EXPECT_EQ(zs_set_report_hook(nullptr, nullptr, &old_arg),
		  &Recorder::Hook);
	EXPECT_EQ(old_arg, &ra);

	EXPECT_EQ(ra.msgs, std::vector<std::string>(2, a.Expected()));
	EXPECT_EQ(rb.msgs, std::vector<std::string>{ "other:" + a.Expected() });
}

TEST_F(ReportHook, OldArgMayBeNull)
{
	Recorder rec;
	EXPECT_EQ(zs_set_report_hook(&Recorder::Hook, &rec, nullptr), nullptr);
	EXPECT_EQ(zs_set_report_hook(nullptr, nullptr, nullptr),
		  &Recorder::Hook);
	EXPECT_TRUE(rec.msgs.empty());
}

TEST_F(ReportHook, NullRestoresStderr)
{
	ArenaInUse a;
	ASSERT_TRUE(a.ok());
	Recorder rec;
	ASSERT_EQ(zs_set_report_hook(&Recorder::Hook, &rec, nullptr), nullptr);
	a.Misuse();
	void *old_arg = nullptr;
	EXPECT_EQ(zs_set_report_hook(nullptr, &rec, &old_arg), &Recorder::Hook);
	EXPECT_EQ(old_arg, &rec);

	/* NULL with a non-NULL arg is still "no hook": stderr, not rec. */
	testing::internal::CaptureStderr();
	a.Misuse();
	EXPECT_EQ(testing::internal::GetCapturedStderr(), a.Expected() + "\n");
	EXPECT_EQ(rec.msgs.size(), 1u);

	old_arg = nullptr;
	EXPECT_EQ(zs_set_report_hook(nullptr, nullptr, &old_arg), nullptr);
	EXPECT_EQ(old_arg, &rec);
}

/* ---- the consistency walks report through the hook -------------------- */

/* The tests write where no object is, on purpose: ASan must not stop them. */
__attribute__((no_sanitize("address"))) void RawStore32(uintptr_t at,
							uint32_t v)
{
	*reinterpret_cast<volatile uint32_t *>(at) = v;
}

__attribute__((no_sanitize("address"))) uint32_t RawLoad32(uintptr_t at)
{
	return *reinterpret_cast<volatile uint32_t *>(at);
}

__attribute__((no_sanitize("address"))) void RawStore8(uintptr_t at, uint8_t v)
{
	*reinterpret_cast<volatile uint8_t *>(at) = v;
}

__attribute__((no_sanitize("address"))) uint8_t RawLoad8(uintptr_t at)
{
	return *reinterpret_cast<volatile uint8_t *>(at);
}

TEST_F(ReportHook, ZsPoolCheckFailureIsReportedExactlyToTheHook)
{
	zs_arena *arena = zs_arena_create();
	ASSERT_NE(arena, nullptr);
	{
		zs_pool_config cfg = {};
		cfg.name = "hooked";
		cfg.arena = arena;
		zs::Pool pool(cfg);
		ASSERT_NE(pool.get(), nullptr);
		uint64_t h = 0;
		ASSERT_ERRNO(zs_malloc(pool, 100, &h), 0);
		ASSERT_ERRNO(zs::WritePattern(pool, h, 100, 7), 0);
		uintptr_t payload;
		{
			zs::Mapping m(pool, h, ZS_MM_RO);
			ASSERT_TRUE(m);
			payload = reinterpret_cast<uintptr_t>(m.get());
		}
		/* The first object of a fresh zspage is its first block: its
		 * 4-byte tag (slot << 2) starts the zspage's first page and
		 * precedes the payload. */
		ASSERT_EQ(payload & (ZS_PAGE_SIZE - 1), 4u);
		uintptr_t tag = payload - 4;
		uint32_t old = RawLoad32(tag);
		ASSERT_EQ(old & 3u, 0u) << "not an object's tag";
		/* names slot 2^30 - 1, far beyond the handle table: what a
		 * stray write (a use after free) would leave */
		RawStore32(tag, 0xfffffffcu);

		Recorder rec;
		{
			HookGuard g(&Recorder::Hook, &rec);
			testing::internal::CaptureStderr();
			EXPECT_ERRNO(zs_pool_check(pool), -EUCLEAN);
			EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
		}
		RawStore32(tag, old);
		EXPECT_EQ(rec.msgs,
			  std::vector<std::string>{
				  "zs: zs_pool_check(hooked): zspage 0 unit 0: "
				  "object of slot 1073741823, which holds no "
				  "live object here" });
		EXPECT_EQ(rec.kinds,
			  std::vector<enum zs_finding>{
				  ZS_FINDING_POOL_SPAN_OBJECT_SLOT });

		/* Repaired: quiet again, and the object is as it was. */
		HookGuard g(&Recorder::Hook, &rec);
		EXPECT_ERRNO(zs_pool_check(pool), 0);
		EXPECT_EQ(rec.msgs.size(), 1u);
		EXPECT_TRUE(zs::HasPattern(pool, h, 100, 7));
		EXPECT_ERRNO(zs_free(pool, h), 0);
	}
	EXPECT_ERRNO(zs_arena_destroy(arena), 0);
}

TEST_F(ReportHook, ZbudPoolCheckFailureIsReportedExactlyToTheHook)
{
	zs::Zbud pool;
	ASSERT_NE(pool.get(), nullptr);
	uint64_t h = 0;
	ASSERT_ERRNO(zbud_alloc(pool, 100, &h), 0);
	void *p = zbud_map(pool, h);
	ASSERT_NE(p, nullptr);
	uintptr_t page = reinterpret_cast<uintptr_t>(p) & ~(ZS_PAGE_SIZE - 1);
	ASSERT_ERRNO(zbud_unmap(pool, h), 0);

	uint8_t old = RawLoad8(page + 8);
	RawStore8(page + 8, (uint8_t)(old ^ 0x5a));
	Recorder rec;
	{
		HookGuard g(&Recorder::Hook, &rec);
		testing::internal::CaptureStderr();
		EXPECT_ERRNO(zbud_pool_check(pool), -EUCLEAN);
		EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
	}
	RawStore8(page + 8, old);
	char want[200];
	snprintf(want, sizeof(want),
		 "zs: zbud_pool_check: page 0 at %p: header chunk "
		 "overwritten (an object written past its end?)",
		 reinterpret_cast<void *>(page));
	EXPECT_EQ(rec.msgs, std::vector<std::string>{ want });
	EXPECT_EQ(rec.kinds, std::vector<enum zs_finding>{
				     ZS_FINDING_ZBUD_PAGE_HEADER_OVERWRITTEN });

	HookGuard g(&Recorder::Hook, &rec);
	EXPECT_ERRNO(zbud_pool_check(pool), 0);
	EXPECT_EQ(rec.msgs.size(), 1u);
	EXPECT_ERRNO(zbud_free(pool, h), 0);
}

TEST_F(ReportHook, ConsistentPoolsAndNormalUseReportNothing)
{
	Recorder rec;
	HookGuard g(&Recorder::Hook, &rec);
	{
		zs::Pool pool("quiet");
		ASSERT_NE(pool.get(), nullptr);
		zs::Handles hs(pool);
		for (int i = 0; i < 200; i++)
			ASSERT_ERRNO(hs.Alloc(1 + (i * 37) % 4096, i), 0);
		/* Refused misuse that is not reported: bad handles. */
		EXPECT_ERRNO(zs_free(pool, 0), -EINVAL);
		uint64_t h = hs[0].handle;
		ASSERT_ERRNO(hs.Free(0), 0);
		EXPECT_ERRNO(zs_free(pool, h), -EINVAL); /* double free */
		EXPECT_ERRNO(zs_pool_check(pool), 0);
		zs::Zbud zb;
		uint64_t zh = 0;
		ASSERT_ERRNO(zbud_alloc(zb, 300, &zh), 0);
		EXPECT_ERRNO(zbud_pool_check(zb), 0);
		EXPECT_ERRNO(zbud_free(zb, zh), 0);
		EXPECT_ERRNO(zbud_free(zb, zh), -EINVAL);
	}
	EXPECT_EQ(rec.msgs, std::vector<std::string>());
}

/* ---- kinds: what was found, beside the words ------------------------- */

/* Every kind of zs/findings.h, as the list spells it. */
struct KindName {
	enum zs_finding kind;
	const char *name;
};
#define KIND_NAME(kind) { kind, #kind },
const KindName kAllKinds[] = { ZS_FINDINGS(KIND_NAME) };
#undef KIND_NAME

TEST(FindingName, EveryKindHasItsOwnName)
{
	ASSERT_EQ(sizeof(kAllKinds) / sizeof(kAllKinds[0]),
		  (size_t)ZS_FINDING_COUNT - 1);
	std::set<std::string> seen;
	for (int k = ZS_FINDING_NONE + 1; k < ZS_FINDING_COUNT; k++) {
		const char *name = zs_finding_name((enum zs_finding)k);
		ASSERT_NE(name, nullptr) << "kind " << k;
		EXPECT_STREQ(name, kAllKinds[k - 1].name) << "kind " << k;
		EXPECT_EQ(kAllKinds[k - 1].kind, k);
		EXPECT_EQ(std::string(name).rfind("ZS_FINDING_", 0), 0u)
			<< name;
		EXPECT_TRUE(seen.insert(name).second) << name << " twice";
	}
}

TEST(FindingName, NoneAndOutOfRangeAreEinval)
{
	EXPECT_NULL_ERRNO(zs_finding_name(ZS_FINDING_NONE), -EINVAL);
	EXPECT_NULL_ERRNO(zs_finding_name(ZS_FINDING_COUNT), -EINVAL);
	/* Past the end but within what the enum can hold (C++ forbids
	 * casting anything else to it). */
	EXPECT_NULL_ERRNO(
		zs_finding_name((enum zs_finding)(ZS_FINDING_COUNT + 1)),
		-EINVAL);
}

} /* namespace */
