// SPDX-License-Identifier: MIT
/*
 * fuzz/zsmalloc_fuzz/zs_arena_corrupt.c - the arena half of op corrupt (white
 * box, zs/arena_internal.h): one corruption per zs_arena_check finding, planted
 * under the arena lock, reported word for word, and undone.
 *
 * Each kind writes only what makes its one finding true, so the checks
 * before it in zs_arena_check still pass and it is the report: a finding
 * with two halves (a region slot past the limit or empty, a free page
 * with an owner or flags or a cookie or an index, ...) gets a variant per
 * half.  The findings allowed while a compaction runs (isolated pages,
 * evacuating regions, owners' callbacks in flight, the allocation hint)
 * are first planted with the arena marked compacting, where the check must
 * stay clean, so the condition is proven to matter.  Every write is logged
 * and restored newest first, after which the arena must hash as before
 * and check clean.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "fuzz/common/fuzz.h"
#include "fuzz/zsmalloc_fuzz/zs_arena_corrupt.h"
#include "zs/arena.h"
#include "zs/arena_internal.h"
#include "zs/report.h"

/* ---- the write log ---- */

#define APATCH_MAX 8

struct apatch {
	void *addr;
	size_t len;
	uint8_t old[8];
};

struct aplant {
	struct apatch p[APATCH_MAX];
	unsigned n;
	char want[300];
};

static void apatch(struct aplant *k, void *addr, const void *val, size_t len)
{
	struct apatch *p = &k->p[k->n];

	if (k->n == APATCH_MAX || len > sizeof(p->old))
		fm_fail("arena corruption: patch %u of %zu bytes does not fit",
			k->n, len);
	k->n++;
	p->addr = addr;
	p->len = len;
	memcpy(p->old, addr, len);
	memcpy(addr, val, len);
}

#define APATCH(k, lvalue, value)                         \
	do {                                             \
		__typeof__(lvalue) v_ = (value);         \
		apatch((k), &(lvalue), &v_, sizeof(v_)); \
	} while (0)

static void unpatch(struct aplant *k)
{
	while (k->n) {
		struct apatch *p = &k->p[--k->n];

		memcpy(p->addr, p->old, p->len);
	}
}

static void want(struct aplant *k, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void want(struct aplant *k, const char *fmt, ...)
{
	static const char prefix[] = "zs: zs_arena_check: ";
	va_list ap;

	memcpy(k->want, prefix, sizeof(prefix));
	va_start(ap, fmt);
	vsnprintf(k->want + sizeof(prefix) - 1,
		  sizeof(k->want) - sizeof(prefix) + 1, fmt, ap);
	va_end(ap);
}

/* ---- finding places ---- */

static bool free_bit(const struct arena_region *r, unsigned i)
{
	return (r->free_map[i / 64] >> (i % 64)) & 1;
}

static struct arena_region *entry(const struct zs_arena *a, unsigned k)
{
	return a->regions[a->by_addr[k]];
}

struct arena_page_desc *zsf_arena_desc(struct zs_arena *a, const void *page)
{
	uintptr_t p = (uintptr_t)page;
	unsigned k, i;

	for (k = 0; k < a->nregions; k++) {
		struct arena_region *r = entry(a, k);
		uintptr_t base = (uintptr_t)r->base;

		if (p < base || p >= base + ARENA_REGION_SIZE)
			continue;
		if ((p - base) % ZS_PAGE_SIZE)
			return NULL;
		i = (unsigned)((p - base) / ZS_PAGE_SIZE);
		return free_bit(r, i) ? NULL : &r->desc[i];
	}
	return NULL;
}

/* A page of some region, free or in use as asked, chosen by sel: the
 * region by its address-table entry, *kp; -1 when there is none. */
static int pick_page(const struct zs_arena *a, unsigned sel, bool want_free,
		     unsigned *kp)
{
	unsigned n = a->nregions, j, i, k;

	for (j = 0; j < n; j++) {
		struct arena_region *r;

		k = (sel + j) % n;
		r = entry(a, k);
		if (want_free ? r->in_use == ARENA_REGION_PAGES : !r->in_use)
			continue;
		for (i = 0; i < ARENA_REGION_PAGES; i++) {
			unsigned pi = (sel * 7u + i) % ARENA_REGION_PAGES;

			if (free_bit(r, pi) == want_free) {
				*kp = k;
				return (int)pi;
			}
		}
	}
	return -1;
}

void *zsf_arena_free_page(struct zs_arena *a, unsigned sel)
{
	unsigned k;
	int i = pick_page(a, sel, true, &k);

	return i < 0 ? NULL : entry(a, k)->base + (size_t)i * ZS_PAGE_SIZE;
}

/* The highest region slot in use, and its address-table entry. */
static unsigned top_slot(const struct zs_arena *a, unsigned *kp)
{
	unsigned k, top = 0;

	for (k = 0; k < a->nregions; k++)
		if (a->by_addr[k] >= top) {
			top = a->by_addr[k];
			*kp = k;
		}
	return top;
}

/* An unused region slot below the slot limit, raising the limit by one
 * to make one when there is no hole (a raised limit alone is no finding:
 * slots at or past it only have to be unused).  false when the table is
 * full. */
static bool unused_slot(struct zs_arena *a, struct aplant *k, unsigned sel,
			unsigned *slot)
{
	unsigned j, lim = a->slot_limit;

	for (j = 0; j < lim; j++)
		if (!a->regions[(sel + j) % lim]) {
			*slot = (sel + j) % lim;
			return true;
		}
	if (lim >= ARENA_MAX_REGIONS)
		return false;
	APATCH(k, a->slot_limit, lim + 1);
	*slot = lim;
	return true;
}

/* Never dereferenced: what a stray region table entry points at. */
static struct arena_region stray_region;

/* ---- the kinds ---- */

/* One per CHECK_FAIL of zs_arena_check (zs/arena.c), in its order. */
enum arena_kind {
	AK_LIMITS,
	AK_ADDR_UNUSED,
	AK_REGION_SLOT,
	AK_ADDR_ORDER,
	AK_REGION_COUNT,
	AK_EVACUATING,
	AK_DIRTY_IN_USE,
	AK_FREE_DESCRIBED,
	AK_NO_OWNER,
	AK_UNKNOWN_FLAGS,
	AK_ISOLATED,
	AK_HINT,
	AK_BEYOND_LIMIT,
	AK_SLOTS_USED,
	AK_COUNTERS,
	AK_OWNER_PAGES,
	AK_BUSY,
	AK_KINDS
};

_Static_assert(AK_KINDS == ZSF_ARENA_KINDS, "zs_arena_corrupt.h's count");

static const char *const arena_names[AK_KINDS] = {
	"arena limits",	      "address entry unused", "region slot",
	"address order",      "region in-use count",  "region evacuating",
	"dirty page in use",  "free page described",  "page with no owner",
	"unknown page flags", "page isolated",	      "allocation hint",
	"slot past limit",    "region slots used",    "arena counters",
	"owner page count",   "owner busy",
};

const char *zsf_arena_corrupt_name(unsigned kind)
{
	return kind < AK_KINDS ? arena_names[kind] : "?";
}

/*
 * Plants kind (arena lock held) and writes the one report zs_arena_check
 * must make into k->want; false, writing nothing, when the arena has no
 * place for it.  *gated: the finding is one only while no compaction
 * runs.  sel's low 13 bits pick the place, its top 3 the variant.
 */
static bool plant(struct zs_arena *a, unsigned kind, uint16_t sel,
		  struct aplant *k, bool *gated)
{
	unsigned n = a->nregions, pick = sel & 0x1fff, v = sel >> 13;
	unsigned e = n ? pick % n : 0, slot, j, o;
	struct arena_region *r = n ? entry(a, e) : NULL;
	struct arena_page_desc *d;
	unsigned long cnt, in_use, nfree, dirty;
	int i;

	switch (kind) {
	case AK_LIMITS:
		/* Each half alone: the address table's count, or the slot
		 * limit, past the table. */
		if (v & 1)
			APATCH(k, a->nregions,
			       ARENA_MAX_REGIONS + 1 + (pick & 7));
		else
			APATCH(k, a->slot_limit,
			       ARENA_MAX_REGIONS + 1 + (pick & 7));
		want(k, "%u regions, slot limit %u, of at most %u", a->nregions,
		     a->slot_limit, ARENA_MAX_REGIONS);
		return true;
	case AK_ADDR_UNUSED:
		if (!n)
			return false;
		if (v & 1) {
			/* A used slot at the limit: the limit lowered onto
			 * the highest one. */
			slot = top_slot(a, &e);
			APATCH(k, a->slot_limit, slot);
		} else {
			/* A slot below the limit with no region. */
			if (!unused_slot(a, k, pick, &slot))
				return false;
			APATCH(k, a->by_addr[e], slot);
		}
		want(k, "address table entry %u names unused region slot %u", e,
		     slot);
		return true;
	case AK_REGION_SLOT:
		if (!n)
			return false;
		slot = a->by_addr[e];
		APATCH(k, r->slot, slot + 1 + (v & 3));
		want(k, "region slot %u says it is slot %u", slot, r->slot);
		return true;
	case AK_ADDR_ORDER:
		if (!n)
			return false;
		if ((v & 1) && n >= 2) {
			/* Two neighbours swapped: the second is out. */
			j = 1 + pick % (n - 1);
			slot = a->by_addr[j];
			APATCH(k, a->by_addr[j], a->by_addr[j - 1]);
			APATCH(k, a->by_addr[j - 1], slot);
		} else {
			/* The last region listed twice. */
			if (n >= ARENA_MAX_REGIONS)
				return false;
			j = n;
			APATCH(k, a->by_addr[n], a->by_addr[n - 1]);
			APATCH(k, a->nregions, n + 1);
		}
		want(k, "address table is out of order at entry %u", j);
		return true;
	case AK_REGION_COUNT:
		if (!n)
			return false;
		if (v & 1) {
			APATCH(k, r->in_use,
			       r->in_use < ARENA_REGION_PAGES ? r->in_use + 1 :
								r->in_use - 1);
		} else {
			/* The bitmap instead: one page's bit flipped. */
			j = pick % ARENA_REGION_PAGES;
			APATCH(k, r->free_map[j / 64],
			       r->free_map[j / 64] ^ (1ull << (j % 64)));
		}
		for (cnt = 0, j = 0; j < ARENA_REGION_PAGES; j++)
			cnt += !free_bit(r, j);
		want(k, "region %u counts %u pages in use, its bitmap %lu",
		     r->slot, r->in_use, cnt);
		return true;
	case AK_EVACUATING:
		if (!n)
			return false;
		APATCH(k, r->evacuating, true);
		*gated = true;
		want(k,
		     "region %u is marked evacuating with no compaction "
		     "running",
		     r->slot);
		return true;
	case AK_DIRTY_IN_USE:
		i = pick_page(a, pick, false, &e);
		if (i < 0)
			return false;
		r = entry(a, e);
		APATCH(k, r->dirty_map[i / 64],
		       r->dirty_map[i / 64] | (1ull << (i % 64)));
		want(k, "region %u page %d is in use and marked dirty free",
		     r->slot, i);
		return true;
	case AK_FREE_DESCRIBED:
		/* Each of the four fields alone. */
		i = pick_page(a, pick, true, &e);
		if (i < 0)
			return false;
		r = entry(a, e);
		d = &r->desc[i];
		switch (v & 3) {
		case 0:
			APATCH(k, d->owner,
			       (uint16_t)(1 + pick % ARENA_MAX_OWNERS));
			break;
		case 1:
			APATCH(k, d->flags,
			       (uint16_t)(v & 4 ? ARENA_PAGE_ISOLATED :
						  ARENA_PAGE_MOVABLE));
			break;
		case 2:
			APATCH(k, d->cookie, 1u + pick);
			break;
		default:
			APATCH(k, d->index, 1u + pick);
			break;
		}
		want(k, "region %u page %d is free but described as owner %d's",
		     r->slot, i, (int)d->owner - 1);
		return true;
	case AK_NO_OWNER:
		/* Either half: no owner, or one past the owner table. */
		i = pick_page(a, pick, false, &e);
		if (i < 0)
			return false;
		r = entry(a, e);
		APATCH(k, r->desc[i].owner,
		       (uint16_t)(v & 1 ? ARENA_MAX_OWNERS + 1 + pick : 0));
		want(k, "region %u page %d is in use with no owner", r->slot,
		     i);
		return true;
	case AK_UNKNOWN_FLAGS:
		i = pick_page(a, pick, false, &e);
		if (i < 0)
			return false;
		r = entry(a, e);
		APATCH(k, r->desc[i].flags,
		       (uint16_t)(r->desc[i].flags | 1u << (2 + pick % 14)));
		want(k, "region %u page %d has unknown flags %#x", r->slot, i,
		     (unsigned)r->desc[i].flags);
		return true;
	case AK_ISOLATED:
		i = pick_page(a, pick, false, &e);
		if (i < 0)
			return false;
		r = entry(a, e);
		APATCH(k, r->desc[i].flags,
		       (uint16_t)(r->desc[i].flags | ARENA_PAGE_ISOLATED));
		*gated = true;
		want(k,
		     "region %u page %d is isolated with no compaction running",
		     r->slot, i);
		return true;
	case AK_HINT:
		/* The hint raised past a region with room: the first such
		 * region in address order is the report. */
		i = pick_page(a, pick, true, &e);
		if (i < 0)
			return false;
		APATCH(k, a->alloc_hint, a->by_addr[e] + 1 + (v & 3));
		for (j = 0; j < n; j++)
			if (a->by_addr[j] < a->alloc_hint &&
			    entry(a, j)->in_use < ARENA_REGION_PAGES)
				break;
		*gated = true;
		want(k,
		     "region slot %u has free pages below the allocation hint "
		     "%u",
		     a->by_addr[j], a->alloc_hint);
		return true;
	case AK_BEYOND_LIMIT:
		/* A stray region table entry at or past the limit, in no
		 * address table entry. */
		if (a->slot_limit >= ARENA_MAX_REGIONS)
			return false;
		slot = a->slot_limit +
		       pick % (ARENA_MAX_REGIONS - a->slot_limit < 8 ?
				       ARENA_MAX_REGIONS - a->slot_limit :
				       8);
		APATCH(k, a->regions[slot], r ? r : &stray_region);
		want(k, "region slot %u is beyond the slot limit %u", slot,
		     a->slot_limit);
		return true;
	case AK_SLOTS_USED:
		if ((v & 1) && n) {
			/* A region left out of the address table. */
			APATCH(k, a->nregions, n - 1);
			want(k,
			     "%u region slots are used, the address table "
			     "holds %u",
			     n, n - 1);
			return true;
		}
		/* A stray entry below the limit. */
		if (!unused_slot(a, k, pick, &slot))
			return false;
		APATCH(k, a->regions[slot], r ? r : &stray_region);
		want(k, "%u region slots are used, the address table holds %u",
		     n + 1, n);
		return true;
	case AK_COUNTERS:
		/* Each of the three counters alone, up or down; the regions
		 * still hold what the counters said before. */
		in_use = a->pages_in_use;
		nfree = a->pages_free;
		dirty = a->pages_dirty;
		switch (v % 3) {
		case 0:
			APATCH(k, a->pages_in_use,
			       in_use && (pick & 1) ? in_use - 1 : in_use + 1);
			break;
		case 1:
			APATCH(k, a->pages_free,
			       nfree && (pick & 1) ? nfree - 1 : nfree + 1);
			break;
		default:
			APATCH(k, a->pages_dirty,
			       dirty && (pick & 1) ? dirty - 1 : dirty + 1);
			break;
		}
		want(k,
		     "regions hold %lu pages in use, %lu free, %lu dirty; "
		     "counted %lu, %lu, %lu",
		     in_use, nfree, dirty, a->pages_in_use, a->pages_free,
		     a->pages_dirty);
		return true;
	case AK_OWNER_PAGES:
		if (v & 1) {
			/* A page handed from its owner to another: the lower
			 * owner id of the two is the report. */
			i = pick_page(a, pick, false, &e);
			if (i < 0)
				return false;
			d = &entry(a, e)->desc[i];
			o = d->owner - 1u;
			j = (pick >> 3) % ARENA_MAX_OWNERS;
			if (j == o)
				j = (j + 1) % ARENA_MAX_OWNERS;
			APATCH(k, d->owner, (uint16_t)(j + 1));
			if (o < j)
				want(k, "owner %u holds %lu pages, counted %lu",
				     o, a->owners[o].pages - 1,
				     a->owners[o].pages);
			else
				want(k, "owner %u holds %lu pages, counted %lu",
				     j, a->owners[j].pages + 1,
				     a->owners[j].pages);
			return true;
		}
		o = pick % ARENA_MAX_OWNERS;
		cnt = a->owners[o].pages;
		APATCH(k, a->owners[o].pages,
		       cnt && (v & 2) ? cnt - 1 : cnt + 1 + (v >> 2));
		want(k, "owner %u holds %lu pages, counted %lu", o, cnt,
		     a->owners[o].pages);
		return true;
	case AK_BUSY:
		o = pick % ARENA_MAX_OWNERS;
		APATCH(k, a->owners[o].busy, 1u + (v & 3));
		*gated = true;
		want(k,
		     "owner %u has %u callbacks in flight with no compaction "
		     "running",
		     o, a->owners[o].busy);
		return true;
	}
	return false;
}

/* ---- the check, the hash, the op ---- */

/* FNV-1a over the arena's bookkeeping, field by field (never padding):
 * equal before and after proves every write was undone. */
static uint64_t mix(uint64_t h, const void *p, size_t len)
{
	const uint8_t *b = p;

	while (len--)
		h = (h ^ *b++) * 0x100000001b3ull;
	return h;
}

#define MIX(h, field) ((h) = mix((h), &(field), sizeof(field)))

static uint64_t arena_hash(const struct zs_arena *a)
{
	uint64_t h = 0xcbf29ce484222325ull;
	unsigned s, i;

	MIX(h, a->nregions);
	MIX(h, a->alloc_hint);
	MIX(h, a->slot_limit);
	MIX(h, a->pages_in_use);
	MIX(h, a->pages_free);
	MIX(h, a->pages_dirty);
	MIX(h, a->regions_released);
	MIX(h, a->pages_migrated);
	MIX(h, a->migrate_failures);
	MIX(h, a->inject);
	MIX(h, a->compacting);
	for (i = 0; i < ARENA_MAX_OWNERS; i++) {
		const struct arena_owner *o = &a->owners[i];

		MIX(h, o->owner);
		MIX(h, o->ops);
		MIX(h, o->busy);
		MIX(h, o->live);
		MIX(h, o->pages);
	}
	h = mix(h, a->by_addr, ARENA_MAX_REGIONS * sizeof(*a->by_addr));
	for (s = 0; s < ARENA_MAX_REGIONS; s++) {
		const struct arena_region *r = a->regions[s];

		MIX(h, r);
		if (!r || r == &stray_region)
			continue;
		MIX(h, r->base);
		MIX(h, r->slot);
		MIX(h, r->in_use);
		MIX(h, r->evacuating);
		MIX(h, r->free_map);
		MIX(h, r->dirty_map);
		for (i = 0; i < ARENA_REGION_PAGES; i++) {
			MIX(h, r->desc[i].cookie);
			MIX(h, r->desc[i].index);
			MIX(h, r->desc[i].owner);
			MIX(h, r->desc[i].flags);
		}
	}
	return h;
}

/* Reports made while zs_arena_check ran with the hook in place. */
struct capture {
	unsigned n;
	char first[300];
};

static void capture_report(const char *message, void *arg)
{
	struct capture *cap = arg;

	if (cap->n++ == 0)
		snprintf(cap->first, sizeof(cap->first), "%s", message);
}

static int check_captured(struct zs_arena *a, struct capture *cap)
{
	zs_report_hook *old;
	void *old_arg;
	int ret;

	cap->n = 0;
	cap->first[0] = 0;
	old = zs_set_report_hook(capture_report, cap, &old_arg);
	ret = zs_arena_check(a);
	zs_set_report_hook(old, old_arg, NULL);
	return ret;
}

bool zsf_arena_corrupt(struct zs_arena *a, unsigned kind, uint16_t sel)
{
	static struct aplant k;
	const char *name = zsf_arena_corrupt_name(kind);
	struct capture cap;
	uint64_t before, after;
	bool gated = false;
	int ret;

	pthread_mutex_lock(&a->lock);
	before = arena_hash(a);
	k.n = 0;
	if (!plant(a, kind, sel, &k, &gated)) {
		if (k.n)
			fm_fail("arena corruption \"%s\" not planted but "
				"patched",
				name);
		pthread_mutex_unlock(&a->lock);
		fm_trace("  corrupt arena %s: no place for it\n", name);
		return false;
	}
	if (gated && (sel & 0x8000)) {
		/* Legal while a compaction runs: first proven clean so. */
		APATCH(&k, a->compacting, true);
		pthread_mutex_unlock(&a->lock);
		ret = check_captured(a, &cap);
		pthread_mutex_lock(&a->lock);
		if (ret || cap.n) {
			unpatch(&k);
			pthread_mutex_unlock(&a->lock);
			fm_fail("zs_arena_check with \"%s\" planted during a "
				"compaction returned %d: %s",
				name, ret, cap.n ? cap.first : "(no report)");
		}
		APATCH(&k, a->compacting, false);
	}
	pthread_mutex_unlock(&a->lock);
	ret = check_captured(a, &cap);
	/* Undone before judging, so a failure leaves a sane arena. */
	pthread_mutex_lock(&a->lock);
	unpatch(&k);
	after = arena_hash(a);
	pthread_mutex_unlock(&a->lock);
	fm_trace("  corrupt arena %s: %d \"%s\"\n", name, ret, cap.first);
	if (ret != -EUCLEAN || cap.n != 1 || strcmp(cap.first, k.want))
		fm_fail("zs_arena_check on corruption \"%s\" returned %d with "
			"%u reports, the first \"%s\"; expected %d and \"%s\"",
			name, ret, cap.n, cap.first, -EUCLEAN, k.want);
	if (after != before)
		fm_fail("arena corruption \"%s\" undone: the arena's "
			"bookkeeping differs from before",
			name);
	ret = check_captured(a, &cap);
	if (ret || cap.n)
		fm_fail("zs_arena_check after undoing corruption \"%s\" "
			"returned %d: %s",
			name, ret, cap.n ? cap.first : "(no report)");
	return true;
}
