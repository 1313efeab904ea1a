/* SPDX-License-Identifier: MIT */
/*
 * fuzz/common/fuzz_cursor.h - an explicit byte cursor over a fuzz input.
 *
 * Every fuzz target decodes its input through these readers: one byte at a
 * time, multi-byte values little-endian, assembled by shifts.  Nothing is
 * ever memcpy'd into a struct, so a corpus file means the same thing on
 * every compiler, ABI and endianness, and stays valid as the interpreter
 * grows.  A short input is normal, not an error: a reader that runs out
 * returns false, stores 0, and leaves the cursor exhausted for good, so the
 * interpreter simply stops (the op whose arguments were cut off is not run).
 */
#ifndef ZS_FUZZ_CURSOR_H
#define ZS_FUZZ_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fuzz_cursor {
	const uint8_t *data;
	size_t size;
	size_t pos;
	bool exhausted; /* sticky: once a read came up short, all reads fail */
};

static inline void fc_init(struct fuzz_cursor *c, const uint8_t *data,
			   size_t size)
{
	c->data = data;
	c->size = size;
	c->pos = 0;
	c->exhausted = false;
}

static inline size_t fc_remaining(const struct fuzz_cursor *c)
{
	return c->exhausted ? 0 : c->size - c->pos;
}

static inline bool fc_done(const struct fuzz_cursor *c)
{
	return fc_remaining(c) == 0;
}

/* Takes n bytes or none: a value is never half-read. */
static inline bool fc_take(struct fuzz_cursor *c, size_t n, const uint8_t **out)
{
	if (c->exhausted || c->size - c->pos < n) {
		c->exhausted = true;
		*out = NULL;
		return false;
	}
	*out = c->data + c->pos;
	c->pos += n;
	return true;
}

static inline bool fc_u8(struct fuzz_cursor *c, uint8_t *out)
{
	const uint8_t *p;

	if (!fc_take(c, 1, &p)) {
		*out = 0;
		return false;
	}
	*out = p[0];
	return true;
}

static inline bool fc_u16(struct fuzz_cursor *c, uint16_t *out)
{
	const uint8_t *p;

	if (!fc_take(c, 2, &p)) {
		*out = 0;
		return false;
	}
	*out = (uint16_t)(p[0] | (unsigned)p[1] << 8);
	return true;
}

static inline bool fc_u32(struct fuzz_cursor *c, uint32_t *out)
{
	const uint8_t *p;

	if (!fc_take(c, 4, &p)) {
		*out = 0;
		return false;
	}
	*out = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
	return true;
}

#endif /* ZS_FUZZ_CURSOR_H */
