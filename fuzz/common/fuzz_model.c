// SPDX-License-Identifier: MIT
/*
 * fuzz/common/fuzz_model.c - the shadow model: live handles, expected bytes,
 * and the one failure reporter every fuzz check goes through.
 *
 * The handle index is open addressing with backward-shift deletion, so
 * lookups stay O(1) with thousands of live objects and no tombstones build
 * up over a long input.
 */
#include "fuzz/common/fuzz_model.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fm_context fm_ctx = { .target = "?", .op = "(setup)" };

void fm_fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "zs-fuzz FAIL [%s] op #%lu %s at input offset %zu: ",
		fm_ctx.target, fm_ctx.opno, fm_ctx.op, fm_ctx.offset);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
	abort();
}

void fm_trace(const char *fmt, ...)
{
	va_list ap;

	if (!fm_ctx.trace)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

void fm_expect_ret(int got, int want, const char *call, uint64_t h)
{
	if (got != want)
		fm_fail("%s(handle %#" PRIx64 ") returned %d, expected %d",
			call, h, got, want);
}

void fm_expect_null(const void *p, int err, int want, const char *call,
		    uint64_t h)
{
	if (p || err != want)
		fm_fail("%s(handle %#" PRIx64 ") returned %p errno %d, "
			"expected NULL errno %d",
			call, h, p, err, want);
}

/*
 * The pattern code runs over every byte the fuzzer verifies; with
 * -fsanitize=fuzzer each of its loop comparisons would be traced (most of
 * an execution's time, and useless feedback), so it is left out of
 * coverage instrumentation.
 */
#if defined(__clang__) && __clang_major__ >= 13
#define FM_NO_COVERAGE __attribute__((no_sanitize("coverage")))
#else
#define FM_NO_COVERAGE
#endif

static FM_NO_COVERAGE uint32_t fm_mix(uint32_t seed, uint32_t word)
{
	uint32_t x = seed * 0x9e3779b1u ^ (word + 1) * 0x85ebca77u;

	x ^= x >> 16;
	x *= 0x7feb352du;
	x ^= x >> 15;
	x *= 0x846ca68bu;
	x ^= x >> 16;
	return x;
}

/* Byte i of a pattern is byte (i & 3) of fm_mix(seed, i / 4). */
FM_NO_COVERAGE void fm_pattern(uint8_t *buf, uint32_t seed, uint32_t from,
			       uint32_t to)
{
	uint32_t i = from, w;

	for (; i < to && (i & 3); i++)
		*buf++ = (uint8_t)(fm_mix(seed, i >> 2) >> ((i & 3) * 8));
	for (; to - i >= 4; i += 4, buf += 4) {
		w = fm_mix(seed, i >> 2);
		buf[0] = (uint8_t)w;
		buf[1] = (uint8_t)(w >> 8);
		buf[2] = (uint8_t)(w >> 16);
		buf[3] = (uint8_t)(w >> 24);
	}
	for (; i < to; i++)
		*buf++ = (uint8_t)(fm_mix(seed, i >> 2) >> ((i & 3) * 8));
}

FM_NO_COVERAGE void fm_expect(const struct fm_obj *o, uint8_t *buf)
{
	fm_pattern(buf, o->seed2, 0, o->split);
	fm_pattern(buf + o->split, o->seed, o->split, o->size);
}

FM_NO_COVERAGE void fm_verify(const struct fm_obj *o, const void *bytes,
			      const char *how)
{
	static uint8_t want[FM_MAX_OBJ];
	const uint8_t *got = bytes;
	uint32_t i;

	if (!bytes)
		fm_fail("%s: NULL view of handle %#llx (size %u)", how,
			(unsigned long long)o->handle, o->size);
	fm_expect(o, want);
	if (!memcmp(want, got, o->size))
		return;
	for (i = 0; want[i] == got[i]; i++)
		;
	fm_fail("%s: handle %#llx size %u: byte %u is %#04x, expected %#04x "
		"(seed %#x, split %u, seed2 %#x)",
		how, (unsigned long long)o->handle, o->size, i, got[i], want[i],
		o->seed, o->split, o->seed2);
}

uint32_t fm_write_len(const struct fm_obj *o, uint32_t len)
{
	if (len > o->size)
		len = o->size;
	return len < o->split ? o->split : len;
}

void fm_note_write(struct fm_obj *o, uint32_t len, uint32_t seed)
{
	if (len == 0)
		return;
	if (len < o->split || len > o->size)
		fm_fail("model: write of %u bytes over split %u size %u", len,
			o->split, o->size);
	if (len == o->size) {
		o->seed = seed;
		o->split = 0;
		o->seed2 = 0;
	} else {
		o->seed2 = seed;
		o->split = len;
	}
}

static uint32_t fm_slot(uint64_t handle)
{
	return (uint32_t)((handle * 0x9e3779b97f4a7c15ull) >> 51) &
	       (FM_HASH_SLOTS - 1);
}

void fm_reset(struct fuzz_model *m)
{
	m->nlive = 0;
	m->bytes = 0;
	m->next_seed = 0;
	m->nstale = 0;
	m->stale_pos = 0;
	memset(m->index, 0xff, sizeof(m->index));
}

uint32_t fm_new_seed(struct fuzz_model *m, uint8_t fuzz)
{
	return ++m->next_seed << 8 | fuzz;
}

bool fm_has_room(const struct fuzz_model *m, size_t size)
{
	return m->nlive < FM_MAX_LIVE && m->bytes + size <= FM_MAX_BYTES;
}

static int32_t *fm_index_slot(struct fuzz_model *m, uint64_t handle)
{
	uint32_t s = fm_slot(handle);

	while (m->index[s] >= 0 && m->obj[m->index[s]].handle != handle)
		s = (s + 1) & (FM_HASH_SLOTS - 1);
	return &m->index[s];
}

struct fm_obj *fm_find(struct fuzz_model *m, uint64_t handle)
{
	int32_t *slot = fm_index_slot(m, handle);

	return *slot < 0 ? NULL : &m->obj[*slot];
}

struct fm_obj *fm_add(struct fuzz_model *m, uint64_t handle, uint32_t size,
		      uint32_t seed)
{
	int32_t *slot = fm_index_slot(m, handle);
	struct fm_obj *o;

	if (*slot >= 0)
		fm_fail("handle %#llx returned for a new object of %u bytes "
			"is already live (object of %u bytes)",
			(unsigned long long)handle, size, m->obj[*slot].size);
	if (m->nlive >= FM_MAX_LIVE)
		fm_fail("model: more than %u live objects", FM_MAX_LIVE);
	*slot = (int32_t)m->nlive;
	o = &m->obj[m->nlive++];
	o->handle = handle;
	o->size = size;
	o->split = 0;
	o->seed = seed;
	o->seed2 = 0;
	m->bytes += size;
	return o;
}

/* Backward-shift deletion: refill the hole from the probe run after it. */
static void fm_index_delete(struct fuzz_model *m, uint32_t hole)
{
	uint32_t s = hole, home;

	for (;;) {
		s = (s + 1) & (FM_HASH_SLOTS - 1);
		if (m->index[s] < 0)
			break;
		home = fm_slot(m->obj[m->index[s]].handle);
		/* Move the entry back unless its home lies in (hole, s]. */
		if (((s - home) & (FM_HASH_SLOTS - 1)) >=
		    ((s - hole) & (FM_HASH_SLOTS - 1))) {
			m->index[hole] = m->index[s];
			hole = s;
		}
	}
	m->index[hole] = -1;
}

void fm_remove(struct fuzz_model *m, struct fm_obj *o)
{
	uint32_t pos = (uint32_t)(o - m->obj), last = m->nlive - 1;
	int32_t *slot = fm_index_slot(m, o->handle);

	if (*slot != (int32_t)pos)
		fm_fail("model: index of handle %#llx is corrupt",
			(unsigned long long)o->handle);
	fm_index_delete(m, (uint32_t)(slot - m->index));
	m->stale[m->stale_pos] = o->handle;
	m->stale_pos = (m->stale_pos + 1) % FM_STALE_RING;
	if (m->nstale < FM_STALE_RING)
		m->nstale++;
	m->bytes -= o->size;
	if (pos != last) {
		m->obj[pos] = m->obj[last];
		*fm_index_slot(m, m->obj[pos].handle) = (int32_t)pos;
	}
	m->nlive--;
}

struct fm_obj *fm_pick(struct fuzz_model *m, uint32_t sel)
{
	return m->nlive ? &m->obj[sel % m->nlive] : NULL;
}

uint64_t fm_pick_stale(struct fuzz_model *m, uint32_t sel)
{
	uint32_t i, s;
	uint64_t h;

	for (i = 0; i < m->nstale; i++) {
		s = (sel + i) % m->nstale;
		h = m->stale[s];
		/* A recycled handle value is live again, so not stale. */
		if (!fm_find(m, h))
			return h;
	}
	return 0;
}

/* A forged handle, by arg; it may happen to be live. */
static uint64_t forge_handle(struct fuzz_model *m, uint16_t arg)
{
	struct fm_obj *o = fm_pick(m, arg >> 8);
	uint64_t base = o ? o->handle : 0x0123456789abcdefull;
	unsigned v = (arg >> 2) & 63;

	switch (arg & 3) {
	case 0:
		return base ^ (1ull << v);
	case 1:
		return base + v + 1;
	case 2:
		return base - v - 1;
	default:
		return (arg + 1) * 0x9e3779b97f4a7c15ull;
	}
}

const char *fm_bad_handle(struct fuzz_model *m, unsigned kind, uint16_t arg,
			  uint64_t *h)
{
	switch (kind) {
	case 0:
		*h = 0;
		return "handle 0";
	case 1:
		*h = forge_handle(m, arg);
		return fm_find(m, *h) ? NULL : "a forged handle";
	case 2:
		*h = fm_pick_stale(m, arg);
		return *h ? "a stale handle" : NULL;
	default:
		return NULL;
	}
}

/* ---- forge ---- */

bool fm_forge_read(struct fuzz_cursor *c, struct fm_forge *a)
{
	uint32_t lo = 0, hi = 0;
	uint16_t bits;
	uint8_t kind;

	if (!fc_u8(c, &kind) || !fc_u16(c, &a->sel) || !fc_u16(c, &bits))
		return false;
	a->base = (enum fm_forge_base)(kind & 3);
	if (a->base == FM_FORGE_INPUT && (!fc_u32(c, &lo) || !fc_u32(c, &hi)))
		return false;
	a->value = (uint64_t)hi << 32 | lo;
	a->nflips = kind & 4 ? 2 : 1;
	if ((kind & 8) && a->base != FM_FORGE_LIVE)
		a->nflips = 0;
	if (a->base == FM_FORGE_INPUT)
		a->nflips = 0;
	a->bit[0] = bits & 63;
	a->bit[1] = (a->bit[0] + 1 + (unsigned)(bits >> 8) % 63) & 63;
	return true;
}

uint64_t fm_forge_pick(struct fuzz_model *m, struct fm_forge *a)
{
	struct fm_obj *o = fm_pick(m, a->sel);
	uint64_t stale = fm_pick_stale(m, a->sel);

	if (a->base == FM_FORGE_STALE && stale)
		return stale;
	if (o) {
		/* An unchanged live handle is no forgery. */
		a->base = FM_FORGE_LIVE;
		if (!a->nflips)
			a->nflips = 1;
		return o->handle;
	}
	a->base = FM_FORGE_STALE;
	return stale;
}

uint64_t fm_forge_apply(const struct fm_forge *a, uint64_t base)
{
	unsigned i;

	for (i = 0; i < a->nflips; i++)
		base ^= 1ull << a->bit[i];
	return base;
}

const char *fm_forge_judge(struct fuzz_model *m, const struct fm_forge *a,
			   uint64_t base, uint64_t v)
{
	static const char *const base_name[] = { "a live handle",
						 "a stale handle",
						 "another pool's live handle",
						 "a value from the input" };
	static char name[96];
	struct fm_obj *o = fm_find(m, v);

	if (a->nflips == 2)
		snprintf(name, sizeof(name), "%s with bits %u and %u flipped",
			 base_name[a->base], a->bit[0], a->bit[1]);
	else if (a->nflips == 1)
		snprintf(name, sizeof(name), "%s with bit %u flipped",
			 base_name[a->base], a->bit[0]);
	else
		snprintf(name, sizeof(name), "%s", base_name[a->base]);
	if (!o)
		return name;
	if (a->base == FM_FORGE_INPUT)
		return NULL;
	fm_fail("forge: %s (%#" PRIx64 " -> %#" PRIx64 ") is the handle of "
		"a live %u-byte object: a pool's handles must not be derivable "
		"from one another",
		name, base, v, o->size);
}

bool fm_forge_candidate(struct fuzz_model *m, struct fm_forge *a,
			uint64_t other_handle, const char *label,
			uint64_t *base, uint64_t *v, const char **what)
{
	switch (a->base) {
	case FM_FORGE_OTHER:
		*base = other_handle;
		break;
	case FM_FORGE_INPUT:
		*base = a->value;
		break;
	default:
		*base = fm_forge_pick(m, a);
		if (!*base)
			return false; /* nothing issued yet */
		break;
	}
	*v = fm_forge_apply(a, *base);
	*what = fm_forge_judge(m, a, *base, *v);
	fm_trace("  %sforge: %s: %#" PRIx64 " -> %#" PRIx64 "%s\n", label,
		 *what ? *what : "an input value", *base, *v,
		 *what ? "" : " is live, skipped");
	return true;
}
