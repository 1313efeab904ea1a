/* SPDX-License-Identifier: MIT */
/*
 * fuzz/span_fuzz/span_fuzz.h - the span fuzz target's one header: its input
 * format and opcodes, its state and what its files share.  The target
 * drives zs/span.h (objects and gaps in zspages, boundary tags) and through
 * it zs/gaps.h (the free-space index) as their owner will: zspages are
 * buffers it holds, objects are slots of its table, and after every op
 * every zspage is walked and the index checked, against a model that knows
 * which units each object covers.
 *
 * Input format (decoded by fuzz/common/fuzz_cursor.h, never memcpy'd):
 *   byte 0      config: bits 0-3 and 4 the zspage length (bit 4 clear:
 *               (bits 0-3) + 1 pages of 512 units; set: the small length
 *               SPF_SMALL[bits 0-2]), bit 5 a length per new zspage
 *               instead (the table walked on from there), bit 6 slots at
 *               the top of the tag's range, bit 7 empty zspages kept
 *               instead of removed
 *   then ops    one opcode byte (low 4 bits index the op table; the high
 *               bits are ignored), then the op's little-endian arguments
 *
 * Opcodes are fixed forever, so corpus files keep their meaning: a new op
 * takes a free slot.  tools/fuzz/gen_span_corpus.py reads the enum below,
 * so keep one "SP_OP_NAME = 0xNN," per line.
 *
 * The target is one op table (span_ops.c) whose ops live in files by
 * subject:
 *   span_ops.c      the op table, the target descriptor, the zspages and
 *                   slots the target owns, the model, the checks around
 *                   every op
 *   span_objects.c  alloc, free, fill, free_many, free_zspage, churn,
 *                   verify
 *   span_corrupt.c  corrupt: one planting per finding of the span's walk
 *                   and of the index's check, judged and undone
 *   span_fatal.c    fatal: a free beside an overwritten tag, in a forked
 *                   child, must abort
 *   span_slide.c    slide: an isolated zspage's objects moved toward its
 *                   start (zs_span_slide), a free while it is isolated,
 *                   and a slide beside an overwritten tag, which must
 *                   abort
 * Names shared between the files start with spf_ (span fuzz).
 */
#ifndef ZS_FUZZ_SPAN_FUZZ_H
#define ZS_FUZZ_SPAN_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fuzz/common/fuzz.h"
#include "zs/gaps.h"
#include "zs/span.h"

enum sp_fuzz_opcode {
	SP_OP_ALLOC = 0x00, /* u8 size kind, u16 raw, u8 seed */
	SP_OP_FREE = 0x01, /* u16 sel */
	SP_OP_FILL = 0x02, /* u8 count, u8 size kind, u16 raw, u8 seed */
	SP_OP_FREE_MANY = 0x03, /* u8 stride, u8 offset */
	SP_OP_FREE_ZSPAGE = 0x04, /* u8 sel, u8 flags */
	SP_OP_CHURN = 0x05, /* u8 rounds, u8 size kind, u16 raw, u8 seed */
	SP_OP_VERIFY = 0x06, /* (none) */
	SP_OP_CORRUPT = 0x07, /* u8 kind, u16 arg */
	SP_OP_FATAL = 0x08, /* u8 kind, u16 sel */
	SP_OP_SLIDE = 0x09, /* u8 sel, u8 flags, u16 pick */
	SP_OP_SLOTS = 0x10,
};

/* What LLVMFuzzerTestOneInput hands to fm_run(). */
extern const struct fm_target sp_fuzz_target;

#define SPF_ZSPAGES 64 /* zspages held at once, at most */
#define SPF_PAGE_UNITS 512u /* a 4 KiB page in 8-byte units */
#define SPF_SMALL_LENGTHS 8
#define SPF_SLOTS FM_MAX_LIVE
#define SPF_MAP_WORDS (ZS_GAP_MAX_UNITS / 64)
#define SPF_MAX_SIZE 4096u
/* Forks per input: copying the page tables of a sanitized process is
 * most of an execution's time, and one child per input reaches every
 * abort path as well over the corpus. */
#define SPF_FATAL_PER_INPUT 1
/* Zspage numbers at and past this one are never held: references into
 * them name nothing. */
#define SPF_NO_ZSPAGE (SPF_ZSPAGES + 7)

/* The small zspage lengths, in units: the edges of a zspage (2 units, the
 * least a span takes; lengths that are no multiple of anything) reached
 * in a few ops. */
extern const unsigned spf_small[SPF_SMALL_LENGTHS];

struct spf_zspage {
	uint64_t *words; /* NULL: not held */
	unsigned units;
	unsigned live, live_units;
	/* the model: bit u set when an object covers unit u */
	uint64_t used[SPF_MAP_WORDS];
};

/* The owner's handle slots: slot i is span slot spf_span_slot(f, i) and
 * model handle i. */
struct spf_slot {
	bool live;
	uint32_t ref;
	unsigned units;
};

struct sp_fuzz {
	struct zs_span span;
	struct spf_zspage z[SPF_ZSPAGES];
	struct spf_slot slot[SPF_SLOTS];
	uint32_t free_slot[SPF_SLOTS]; /* a stack of the slots not live */
	uint32_t nfree_slot;
	struct fuzz_model m;
	uint8_t cfg;
	unsigned fixed_units; /* 0 when each zspage takes its own length */
	unsigned next_length; /* the per-zspage lengths' position */
	uint32_t slot_base; /* span slot of slot 0 */
	unsigned nheld;
	uint64_t held_units, live_units;
	size_t last_size; /* size kind 7 repeats it */
	unsigned forks; /* fatal's children so far in this input */
	bool verify_pending;
	/* op slide: zspage isolated is, its gaps out of the index, while
	 * isolating (the checks count them as gaps, not as indexed) */
	bool isolating;
	uint32_t isolated;
};

/*
 * The model's loops over unit bitmaps and the hash run over every unit of
 * every zspage after every op; with -fsanitize=fuzzer each of their
 * comparisons would be traced (most of an execution's time, and feedback
 * about the harness, not the library), so they are left out of coverage.
 */
#if defined(__clang__) && __clang_major__ >= 13
#define SPF_NO_COVERAGE __attribute__((no_sanitize("coverage")))
#else
#define SPF_NO_COVERAGE
#endif

/* ---- span_ops.c ---- */

static inline uint32_t spf_span_slot(const struct sp_fuzz *f, uint32_t i)
{
	return f->slot_base + i;
}

static inline char *spf_base(struct sp_fuzz *f, uint32_t zspage)
{
	return (char *)f->z[zspage].words;
}

/* The bytes of the object of slot i, after its tag. */
char *spf_object_bytes(struct sp_fuzz *f, uint32_t i);
/* The model: is unit u of zspage z covered by an object; the first unit
 * at or after u whose coverage is `used` (z's length when none). */
bool spf_unit_used(const struct spf_zspage *z, unsigned u);
unsigned spf_next_unit(const struct spf_zspage *z, unsigned u, bool used);
/* The first unit of the run of free units that ends just before u (u
 * itself when unit u - 1 is used, or u is 0). */
unsigned spf_free_run_start(const struct spf_zspage *z, unsigned u);
/* Units [u, u + n) marked used or free. */
void spf_mark_units(struct spf_zspage *z, unsigned u, unsigned n, bool used);
/* Adds the model's gaps of zp to *t, and to its indexed ones unless the
 * zspage is isolated (indexed false); sets t's reach to zp's, as its walk
 * does. */
void spf_gap_tally(const struct spf_zspage *zp, bool indexed,
		   struct zs_span_tally *t);
/* The model's gaps: the count, and the k-th (k < count) of those of at
 * least min_units, as zspage, unit, units; false when there is none. */
bool spf_pick_gap(struct sp_fuzz *f, unsigned min_units, uint32_t sel,
		  uint32_t *zspage, unsigned *unit, unsigned *units);
/* The same among the gaps a block follows (with inner): a zspage's last
 * gap has no footer. */
bool spf_pick_gap_where(struct sp_fuzz *f, unsigned min_units, bool inner,
			uint32_t sel, uint32_t *zspage, unsigned *unit,
			unsigned *units);
/* A new zspage of at least units (a search for an object needs its
 * search floor), held and in the span; false when
 * SPF_ZSPAGES are held. */
bool spf_add_zspage(struct sp_fuzz *f, unsigned units);
/* An emptied zspage out of the span and freed (the config may keep it). */
void spf_drop_zspage(struct sp_fuzz *f, uint32_t zspage);
/* Every held zspage walked and the index checked, reports captured: 0,
 * or the first failure with *cap holding what was reported. */
int spf_check(void *state);
/* spf_check must pass, with the tally the model predicts. */
void spf_full_check(struct sp_fuzz *f, const char *when);
/* A hash of every byte the span and the target hold: the zspages, the
 * index, the slot table. */
uint64_t spf_hash(struct sp_fuzz *f);

/* ---- span_objects.c ---- */

/* Allocates an object of size (1 .. 4096) with fuzz byte seed, adding a
 * zspage when no gap fits; false when skipped (slots or zspages full). */
bool spf_do_alloc(struct sp_fuzz *f, size_t size, uint8_t seed);
/* Frees the model's object at position pos. */
void spf_do_free(struct sp_fuzz *f, uint32_t pos);
/* The same in the isolated zspage (zs_span_free_isolated): the zspage
 * stays held even when emptied, for the caller's putback. */
void spf_do_free_isolated(struct sp_fuzz *f, uint32_t pos);
void spf_verify_all(struct sp_fuzz *f);
void spf_op_alloc(void *state, struct fuzz_cursor *c);
void spf_op_free(void *state, struct fuzz_cursor *c);
void spf_op_fill(void *state, struct fuzz_cursor *c);
void spf_op_free_many(void *state, struct fuzz_cursor *c);
void spf_op_free_zspage(void *state, struct fuzz_cursor *c);
void spf_op_churn(void *state, struct fuzz_cursor *c);
void spf_op_verify(void *state, struct fuzz_cursor *c);

/* ---- span_corrupt.c, span_fatal.c ---- */

void spf_op_corrupt(void *state, struct fuzz_cursor *c);
void spf_op_fatal(void *state, struct fuzz_cursor *c);

/* ---- span_slide.c ---- */

void spf_op_slide(void *state, struct fuzz_cursor *c);

#endif /* ZS_FUZZ_SPAN_FUZZ_H */
