// SPDX-License-Identifier: MIT
/*
 * fuzz/common/fuzz_interp.c - the op-sequence interpreter every fuzz target
 * runs (fuzz/common/fuzz_interp.h): decode, dispatch, trace, check.
 *
 * One loop for every target, so a corpus file of any target is read by the
 * same rules: opcode bytes are masked into the table, free slots are
 * skipped without counting, an op cut short by the end of input stops the
 * run, and the target's checks run after every op, every check_every ops
 * and at the end.
 */
#include "fuzz/common/fuzz_interp.h"

#include <stdlib.h>

#include "fuzz/common/fuzz_model.h"

const char *fm_op_name(const struct fm_target *t, unsigned opcode)
{
	return opcode < t->nops ? t->ops[opcode].name : NULL;
}

int fm_run(const struct fm_target *t, const uint8_t *data, size_t size)
{
	static int trace = -1;
	struct fuzz_cursor c;
	const struct fm_op *op;
	unsigned long opno = 0;
	uint8_t cfg = 0, code;
	char state[128];
	size_t at;

	if (trace < 0)
		trace = getenv("ZS_FUZZ_TRACE") != NULL;
	fm_ctx.target = t->name;
	fm_ctx.trace = trace;
	fm_ctx.op = "(setup)";
	fm_ctx.opno = 0;
	fm_ctx.offset = 0;

	fc_init(&c, data, size);
	fc_u8(&c, &cfg);
	t->begin(t->state, cfg);
	for (;;) {
		at = c.pos;
		if (!fc_u8(&c, &code))
			break;
		op = &t->ops[code & (t->nops - 1)];
		if (!op->run)
			continue;
		fm_ctx.op = op->name;
		fm_ctx.opno = opno;
		fm_ctx.offset = at;
		if (fm_ctx.trace) {
			t->describe(t->state, state, sizeof(state));
			fm_trace("op #%lu @%zu %s (%s)\n", opno, at, op->name,
				 state);
		}
		op->run(t->state, &c);
		t->after_op(t->state, ++opno % t->check_every == 0);
	}
	fm_ctx.op = "(end of input)";
	fm_ctx.opno = opno;
	fm_ctx.offset = size;
	t->end(t->state);
	return 0;
}
