/* SPDX-License-Identifier: MIT */
/*
 * fuzz/common/fuzz_model.h - the shadow model the fuzz interpreters check
 * against.
 *
 * The model knows every live handle, its size and what its bytes must be.
 * Bytes are not stored: they are a function of a per-object seed and the
 * byte's offset, so memory stays bounded whatever the input does and every
 * object's content is distinct (a handle resolving to the wrong object, a
 * shifted copy or a torn page is caught at the first differing byte).
 *
 * An object's bytes are two runs: [0, split) follow seed2 and [split, size)
 * follow seed.  Writes always rewrite a prefix at least as long as the
 * current first run, so two runs are always enough.
 *
 * The model is allocator-neutral (64-bit handles), so zbud and zpool ops can
 * reuse it.  Any disagreement goes through fm_fail(): one exact message on
 * stderr naming the op being run, then abort(), which every engine (libFuzzer,
 * AFL++, the replay main) reports as a crash.  The checks every interpreter
 * makes of a call's result (fm_expect_ret, fm_expect_null) and the bad
 * handles they try (fm_bad_handle) are here too.
 */
#ifndef ZS_FUZZ_MODEL_H
#define ZS_FUZZ_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fuzz/common/fuzz_cursor.h"

#define FM_MAX_LIVE 4096 /* live objects the model tracks */
/* Live bytes the model allows: enough for several 2 MiB arena regions, so
 * arena compaction has regions to empty. */
#define FM_MAX_BYTES (4u << 20)
#define FM_HASH_SLOTS 8192 /* handle index, 2x FM_MAX_LIVE */
#define FM_STALE_RING 64 /* recently freed handles kept for misuse */
#define FM_MAX_OBJ 4096 /* largest object any target allocates */

struct fm_obj {
	uint64_t handle;
	uint32_t size;
	uint32_t split; /* bytes [0, split) follow seed2, the rest seed */
	uint32_t seed;
	uint32_t seed2;
};

struct fuzz_model {
	struct fm_obj obj[FM_MAX_LIVE];
	uint32_t nlive;
	uint64_t bytes;
	uint32_t next_seed; /* mixes an allocation counter into every seed */
	int32_t index[FM_HASH_SLOTS]; /* handle -> obj[] position, -1 empty */
	uint64_t stale[FM_STALE_RING];
	uint32_t nstale;
	uint32_t stale_pos;
};

/* Where the interpreter is, for failure messages and traces. */
struct fm_context {
	const char *target; /* "zsmalloc" */
	const char *op; /* op being run */
	unsigned long opno; /* its number in the input, from 0 */
	size_t offset; /* its opcode's byte offset in the input */
	bool trace; /* ZS_FUZZ_TRACE set: print every op */
};

extern struct fm_context fm_ctx;

void fm_fail(const char *fmt, ...)
	__attribute__((noreturn, format(printf, 1, 2)));
void fm_trace(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* An int-returning call on handle h gave `got`: fm_fail unless it is
 * `want`. */
void fm_expect_ret(int got, int want, const char *call, uint64_t h);
/* A pointer-returning call that must fail with NULL and errno `want`
 * (`err`: errno right after the call). */
void fm_expect_null(const void *p, int err, int want, const char *call,
		    uint64_t h);

void fm_reset(struct fuzz_model *m);
/* A fresh 32-bit seed from a fuzz byte and the model's counter. */
uint32_t fm_new_seed(struct fuzz_model *m, uint8_t fuzz);
bool fm_has_room(const struct fuzz_model *m, size_t size);
/* Adds a live object (its bytes all follow seed); fails on duplicates. */
struct fm_obj *fm_add(struct fuzz_model *m, uint64_t handle, uint32_t size,
		      uint32_t seed);
struct fm_obj *fm_find(struct fuzz_model *m, uint64_t handle);
/* Forgets a freed object; its handle joins the stale ring.  Moves the last
 * object into the freed position. */
void fm_remove(struct fuzz_model *m, struct fm_obj *o);
/* The object at fuzz-chosen position sel, or NULL when none is live. */
struct fm_obj *fm_pick(struct fuzz_model *m, uint32_t sel);
/* A recently freed handle that is not live now, or 0. */
uint64_t fm_pick_stale(struct fuzz_model *m, uint32_t sel);
/* A handle no pool may accept, by kind: 0 handle 0, 1 a forged handle (a
 * live one, or a constant, with a bit flipped or a little above or below;
 * or a scrambled arg), 2 a recently freed one (fm_pick_stale).  Returns its
 * name for messages ("handle 0", "a forged handle", "a stale handle"), or
 * NULL when there is none (the forged handle is live, nothing was freed
 * yet, or kind > 2). */
const char *fm_bad_handle(struct fuzz_model *m, unsigned kind, uint16_t arg,
			  uint64_t *h);

/*
 * Op forge, in every target: a value near a handle a pool issued (one or
 * two bits of it flipped) must be refused by every call taking a handle.
 * Handles seal (slot, generation) with a keyed permutation, so such a
 * value opens to a random-looking pair and names a live object only by a
 * chance of about nlive / 2^64: a changed handle that is another live
 * handle is the forgery the permutation exists to prevent, and fails the
 * run.  Only a value taken whole from the input may be live (an engine
 * can copy a live handle from a comparison into its input): skipped.
 */
enum fm_forge_base {
	FM_FORGE_LIVE, /* a live handle of the pool */
	FM_FORGE_STALE, /* a recently freed one */
	FM_FORGE_OTHER, /* a live handle of a second pool (the target's) */
	FM_FORGE_INPUT, /* a whole 64-bit value from the input */
};

struct fm_forge {
	enum fm_forge_base base;
	unsigned nflips; /* bits flipped: 0 (not for a live base), 1, 2 */
	unsigned bit[2]; /* distinct positions */
	uint16_t sel; /* which live or stale handle; the second pool's size */
	uint64_t value; /* FM_FORGE_INPUT */
};

/* Reads forge's arguments, the same in every target: u8 kind (bits 0-1
 * the base, bit 2 two flips instead of one, bit 3 none for a stale or
 * second pool's handle), u16 sel, u16 bits (the first position is the low
 * byte % 64, the second 1 + high byte % 63 above it, mod 64), and for
 * FM_FORGE_INPUT u32 lo, u32 hi.  False when the input is cut short. */
bool fm_forge_read(struct fuzz_cursor *c, struct fm_forge *a);
/* A live or stale handle as a->base asks (the other kind when the model
 * has none, a->base updated), or 0 when it has neither. */
uint64_t fm_forge_pick(struct fuzz_model *m, struct fm_forge *a);
/* base with a's bits flipped. */
uint64_t fm_forge_apply(const struct fm_forge *a, uint64_t base);
/* The candidate v made from base: its name for messages, or NULL when it
 * is an input value that is live here (skip); fm_fail when a changed or
 * foreign handle names a live object of the model. */
const char *fm_forge_judge(struct fuzz_model *m, const struct fm_forge *a,
			   uint64_t base, uint64_t v);

/* One forge candidate, the sequence every target runs: *base is
 * other_handle (FM_FORGE_OTHER, a second pool's live handle), the input's
 * value, or a handle the model issued; *v is base changed as a asks; *what
 * is fm_forge_judge's verdict.  The candidate is traced under `label`.
 * False when there is no base yet (nothing issued). */
bool fm_forge_candidate(struct fuzz_model *m, struct fm_forge *a,
			uint64_t other_handle, const char *label,
			uint64_t *base, uint64_t *v, const char **what);

/* Pattern bytes: buf[i - from] = byte `i` of the pattern of seed. */
void fm_pattern(uint8_t *buf, uint32_t seed, uint32_t from, uint32_t to);
/* The object's whole expected content into buf (o->size bytes). */
void fm_expect(const struct fm_obj *o, uint8_t *buf);
/* Compares an object's bytes as seen through `how`; fm_fail on mismatch. */
void fm_verify(const struct fm_obj *o, const void *bytes, const char *how);
/* Records that [0, len) was rewritten with seed; len is clamped up to the
 * current split so two runs still describe the object.  Returns the length
 * the caller must actually write. */
uint32_t fm_write_len(const struct fm_obj *o, uint32_t len);
void fm_note_write(struct fm_obj *o, uint32_t len, uint32_t seed);

#endif /* ZS_FUZZ_MODEL_H */
