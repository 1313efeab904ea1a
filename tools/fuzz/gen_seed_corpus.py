#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""gen_seed_corpus.py - the deterministic seed corpus and dictionary of the
zsmalloc fuzz target.

Why: a fuzzer starting from nothing needs minutes to learn the input format
(config byte, opcode, little-endian arguments) and to reach compaction,
which needs many objects and then holes.  These seeds are short op sequences
that already do each of those things, so every op and every branch of
every op is reached from the first execution.

The opcodes are read from fuzz/zsmalloc_fuzz/zs_fuzz.h (one
"ZS_OP_NAME = 0xNN," a line), so the seeds follow the interpreter.  The output is the same on every run
(a fixed PRNG seed, no clock), and files are named by the SHA-1 of their
content, so regenerating adds nothing that is already there.

    tools/fuzz/gen_seed_corpus.py [--out corpus/zsmalloc_fuzz]
                                  [--dict fuzz/zsmalloc_fuzz/zsmalloc_fuzz.dict]
"""

import argparse
import hashlib
import os
import random
import re
import struct
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OPS_HEADER = os.path.join(ROOT, "fuzz", "zsmalloc_fuzz", "zs_fuzz.h")
POOL_PLANTERS = os.path.join(ROOT, "fuzz", "zsmalloc_fuzz", "zs_corrupt.h")

PAGE = 4096
# the tag each object carries before its bytes (zs/span.h,
# fuzz/zsmalloc_fuzz/zs_objects.c)
HEADER = 4


def read_opcodes(path):
    ops = {}
    with open(path) as f:
        for line in f:
            m = re.match(r"\s*ZS_OP_([A-Z_]+)\s*=\s*(0x[0-9a-fA-F]+|\d+),", line)
            if m and m.group(1) != "SLOTS":
                ops[m.group(1).lower()] = int(m.group(2), 0)
    need = {"alloc", "free", "write_wo", "write_rw", "write_obj", "read_ro",
            "read_rw", "read_begin", "nested", "compact", "shrink", "stats",
            "check", "misuse", "inject", "max_pages", "recreate",
            "arena_compact", "fill", "free_many", "verify_all", "drain",
            "race", "pressure", "arena_pages", "corrupt", "host_fault",
            "page_ops"}
    missing = need - set(ops)
    if missing:
        sys.exit("gen_seed_corpus: %s lacks %s" % (path, sorted(missing)))
    return ops


OP = read_opcodes(OPS_HEADER)


def read_corrupt_kinds():
    """corrupt's kinds (zs_corrupt.h, zs_fuzz.h): the pool planter table's
    rows ("X(CK_..." a row), ZSF_POOL_KINDS_V1 (the rows whose kind bytes
    come first), ZSF_ARENA_KINDS_V1 (the arena's first kinds, next; the
    pool rows up to ZSF_POOL_KINDS_V2 take the bytes after them) and
    ZSF_ARENA_KINDS (all the arena's: those past ZSF_ARENA_KINDS_V1 take
    the bytes after those pool rows, and the pool rows from
    ZSF_POOL_KINDS_V2 on the bytes after them)."""
    with open(POOL_PLANTERS) as f:
        text = f.read()
    rows = re.findall(r"\bX\((CK_[A-Z_]+),", text)
    v1 = re.search(r"^#define ZSF_POOL_KINDS_V1 (\d+)$", text, re.M)
    v2 = re.search(r"^#define ZSF_POOL_KINDS_V2 (\d+)$", text, re.M)
    v3 = re.search(r"^#define ZSF_POOL_KINDS_V3 (\d+)$", text, re.M)
    with open(OPS_HEADER) as f:
        text = f.read()
    m = re.search(r"^#define ZSF_ARENA_KINDS (\d+)$", text, re.M)
    m1 = re.search(r"^#define ZSF_ARENA_KINDS_V1 (\d+)$", text, re.M)
    if not rows or not m or not v1 or not v2 or not v3 or not m1:
        sys.exit("gen_seed_corpus: cannot count corrupt's kinds")
    return (rows, int(v1.group(1)), int(v2.group(1)), int(v3.group(1)),
            int(m1.group(1)), int(m.group(1)))


def u8(v):
    return struct.pack("<B", v & 0xff)


def u16(v):
    return struct.pack("<H", v & 0xffff)


# Size kinds of zsf_choose_size() in fuzz/zsmalloc_fuzz/zs_objects.c.
K_CLASS, K_HUGE, K_TINY, K_MAX, K_UNIFORM, K_SMALL, K_SLOT, K_BAD = range(8)


def size_arg(size):
    """(kind, raw) that make choose_size() return exactly `size`."""
    return K_UNIFORM, (size - 1) % PAGE


def cfg(chain=0, private_arena=False, plain_create=False, null_name=False):
    return (chain & 0x1f) | (0x20 if private_arena else 0) | \
        (0x40 if plain_create else 0) | (0x80 if null_name else 0)


class Seq:
    """An input under construction: the config byte, then ops."""

    def __init__(self, config=0):
        self.b = bytearray(u8(config))

    def op(self, name, *args):
        self.b += u8(OP[name])
        for kind, v in args:
            self.b += u8(v) if kind == 1 else u16(v)
        return self

    def alloc(self, size=None, kind=None, raw=0, seed=0):
        if size is not None:
            kind, raw = size_arg(size)
        return self.op("alloc", (1, kind), (2, raw), (1, seed))

    def fill(self, count, size=None, kind=None, raw=0, seed=0):
        if size is not None:
            kind, raw = size_arg(size)
        return self.op("fill", (1, count - 1), (1, kind), (2, raw), (1, seed))

    def free(self, sel=0):
        return self.op("free", (2, sel))

    def free_many(self, stride, off=0, invert=False):
        return self.op("free_many", (1, (stride - 2) | (0x80 if invert else 0)),
                       (1, off))

    def write(self, how, sel=0, seed=0, length=0):
        if how == "write_wo":
            return self.op(how, (2, sel), (1, seed))
        return self.op(how, (2, sel), (1, seed), (2, length))

    def read(self, how, sel=0, flags=0):
        if how == "read_begin":
            return self.op(how, (2, sel), (1, flags))
        return self.op(how, (2, sel))

    def nested(self, sels, flags=0, modes=0, order=0):
        self.op("nested", (1, len(sels) - 1), (1, flags), (2, modes),
                (1, order))
        for s in sels:
            self.b += u16(s)
        return self

    def compact(self):
        return self.op("compact")

    def shrink(self, nr):
        return self.op("shrink", (2, nr))

    def stats(self, flags=0, size=0):
        return self.op("stats", (1, flags), (2, size))

    def check(self):
        return self.op("check")

    def misuse(self, kind, arg=0):
        return self.op("misuse", (1, kind), (2, arg))

    def inject(self, arena, after, count):
        return self.op("inject", (1, 1 if arena else 0), (1, after),
                       (1, count))

    def max_pages(self, kind, arg=0):
        return self.op("max_pages", (1, kind), (2, arg))

    def recreate(self, config, drain_first=False, cap=None):
        flags = 1 if drain_first else 0
        if cap is not None:
            flags |= 2 | ((cap & 0x3f) << 2)
        return self.op("recreate", (1, config), (1, flags))

    def arena_compact(self, trim=False):
        return self.op("arena_compact", (1, 1 if trim else 0))

    def verify_all(self, how=0):
        return self.op("verify_all", (1, how))

    def drain(self, backwards=False):
        return self.op("drain", (1, 1 if backwards else 0))

    def race(self, mover, actions):
        self.op("race", (1, mover), (1, len(actions) - 1))
        for act, sel in actions:
            self.b += u8(act) + u16(sel)
        return self

    def pressure(self, flags, arg=0):
        return self.op("pressure", (1, flags), (2, arg))

    def arena_pages(self, n, flags, arg=0, runs=0):
        """runs: 0 none, 1 every group a run, 2 every other group, 3 every
        group with every other run's movability flipped."""
        return self.op("arena_pages", (1, (n - 1) | runs << 6), (1, flags),
                       (2, arg))

    def corrupt(self, kind, sel=0):
        return self.op("corrupt", (1, kind), (2, sel))

    def host_fault(self, flags, after=0, count=1, pick=0):
        return self.op("host_fault", (1, flags), (1, after), (1, count),
                       (1, pick))

    def page_ops(self, flags, sel=0):
        return self.op("page_ops", (1, flags), (2, sel))

    def fatal(self, kind, arg=0):
        return self.op("fatal", (1, kind), (2, arg))

    def forge(self, base, sel=0, bits=(0,), value=0, keep=False):
        """base: FORGE_LIVE, _STALE, _OTHER or _INPUT
        (fuzz/common/fuzz_model.h);
        bits: one or two positions to flip (the second must differ);
        keep: no flip (a stale or second pool's handle as is)."""
        kind = base | (4 if len(bits) == 2 else 0) | (8 if keep else 0)
        second = ((bits[1] - bits[0] - 1) % 64) if len(bits) == 2 else 0
        self.op("forge", (1, kind), (2, sel), (2, bits[0] | second << 8))
        if base == FORGE_INPUT:
            self.b += struct.pack("<II", value & 0xffffffff, value >> 32)
        return self

    def bytes(self):
        return bytes(self.b)


# host_fault's steps (flags, fuzz/zsmalloc_fuzz/zs_host_fault.c) and
# corrupt's kinds (fuzz/zsmalloc_fuzz/zs_corrupt.c).
HF_SIDE, HF_SIDE_ARENA, HF_ARENA_PAGES, HF_MAIN, HF_PRESSURE, HF_COMPACT, \
    HF_OWNERS, HF_NO_FD = (1 << i for i in range(8))
FORGE_LIVE, FORGE_STALE, FORGE_OTHER, FORGE_INPUT = range(4)
ROW_NAMES, POOL_ROWS_V1, POOL_ROWS_V2, POOL_ROWS_V3, ARENA_KINDS_V1, \
    ARENA_KINDS = read_corrupt_kinds()
POOL_ROWS = len(ROW_NAMES)
ROW = {name: i for i, name in enumerate(ROW_NAMES)}
CORRUPT_KINDS = POOL_ROWS + ARENA_KINDS
# The kinds there were before the arena's run findings: the scenarios
# written then keep this count, so their seeds keep their bytes.
CORRUPT_KINDS_V1 = 58


def pool_kind(row):
    """The kind byte of the pool planter table's row `row`."""
    if row < POOL_ROWS_V1:
        return row
    if row < POOL_ROWS_V2:
        return row + ARENA_KINDS_V1
    return row + ARENA_KINDS


def arena_kind(row):
    """The kind byte of the arena planter table's row `row`."""
    if row < ARENA_KINDS_V1:
        return POOL_ROWS_V1 + row
    return POOL_ROWS_V2 + row


# The kind bytes of the rows added with the shared-zspage layout: the span
# walk's and the free-space index's findings.
SPAN_KINDS = [pool_kind(r) for r in range(POOL_ROWS_V1, POOL_ROWS_V2)]
# The kind bytes of the rows added once zspages grew in place: a zspage's
# count of its pages in use.
GROWN_KINDS = [pool_kind(r) for r in range(POOL_ROWS_V2, POOL_ROWS_V3)]
# The kind bytes of the recycle bins' rows: a bin's link, the shard's
# counts, a zspage's count.
RECYCLE_KINDS = [pool_kind(r) for r in range(POOL_ROWS_V3, POOL_ROWS)]
# Rows whose variants are the low bits of sel (zs_corrupt_spans.c) besides
# the new ones: the bad tag and footer rows, reused from the free list rows.
CK_BAD_TAG, CK_FOOTER, CK_PAGE_DESC = (ROW["CK_BAD_TAG"], ROW["CK_FOOTER"],
                                       ROW["CK_PAGE_DESC"])
FATAL_KINDS = 5  # fuzz/zsmalloc_fuzz/zs_fatal.c's kinds[]
SIDE_NAMES = 6  # pool names host_fault's second pool is given


def interesting_sizes():
    sizes = {1, 2, 3, 4, 4095, 4096, 4094, 3000, 3264, 3456, 3600, 3616,
             3632, 3840}
    for k in range(1, 257, 7):
        for d in range(-4, 5):
            sizes.add(16 * k + d)
            sizes.add(16 * k - HEADER + d)
    return sorted(s for s in sizes if 1 <= s <= PAGE)


def each_variant_at_a_few_places(shapes, kinds):
    """Each shape's bytes after every kind's four variants (sel's top 2
    bits) at three places each."""
    out = []
    for s in shapes:
        for kind in kinds:
            for v in range(4):
                for pick in (0, 0x01b, 0x2a7):
                    s.corrupt(kind, v << 14 | pick << 4 | pick >> 6)
        out.append(s.bytes())
    return out


def scenarios():
    """Hand-written sequences: each op, and the paths that need set-up."""
    out = []
    rw = ["write_wo", "write_rw", "write_obj"]
    rd = ["read_ro", "read_rw", "read_begin"]

    # Every size kind, alone and followed by every access path.
    for kind in range(8):
        for raw in (0, 0x0103, 0x04ff, 0x08f0, 0xffff, 0x7fff):
            s = Seq().alloc(kind=kind, raw=raw, seed=raw & 0xff)
            s.alloc(kind=kind | 0x80, raw=raw ^ 0x155, seed=1)
            out.append(s.bytes())
    for how in rw:
        for size in (1, 33, 2000, 3700, 4096):
            s = Seq().alloc(size).alloc(size + 0 if size == 4096 else size + 1)
            s.write(how, 0, 7, size // 2).write(how, 1, 9, 0)
            s.write(how, 0, 11, size).read("read_begin", 0)
            out.append(s.bytes())
    for how in rd:
        for flags in (0, 1):
            s = Seq().fill(20, 1500).read(how, 3, flags).read(how, 17, flags)
            out.append(s.bytes())

    # Objects straddling pages in every chain size, read every way.
    for chain in range(0, 17):
        s = Seq(cfg(chain)).fill(40, 3000, seed=chain).verify_all(0)
        s.verify_all(1).verify_all(2).verify_all(3).stats(3, 3000).check()
        out.append(s.bytes())

    # Fragmentation then compaction, shrinking, arena compaction.
    for chain in (1, 4, 8, 16):
        for size in (48, 200, 1000, 2500, 3300):
            s = Seq(cfg(chain)).fill(120, size).free_many(2, 1)
            s.compact().stats(1, size).verify_all(1)
            out.append(s.bytes())
            s = Seq(cfg(chain)).fill(120, size).free_many(3, 0, invert=True)
            s.shrink(1).shrink(0xffff).check()
            out.append(s.bytes())
            s = Seq(cfg(chain, private_arena=True)).fill(200, size)
            s.free_many(2, 0).fill(30, size + 16).free_many(4, 1)
            s.arena_compact(True).compact().arena_compact()
            out.append(s.bytes())

    # Arena compaction needs more than one 2 MiB region in use, then holes.
    for chain in (1, 3, 8, 16):
        for size, stride, invert in ((4096, 2, False), (3500, 3, True),
                                     (2100, 2, False), (3900, 4, True)):
            s = Seq(cfg(chain, private_arena=True))
            s.fill(256, size).fill(256, size).fill(256, size - 8)
            s.free_many(stride, chain, invert).arena_compact(chain & 1)
            s.compact().arena_compact().fill(30, 700).free_many(2)
            s.nested([0, 1, 2, 3], 0x10, 0xe4, 1).drain()
            out.append(s.bytes())
    s = Seq().fill(256, 4096).fill(256, 4096).free_many(2).arena_compact(True)
    out.append(s.bytes())
    # Arena compaction and zs_compact while objects are held: pinned pages
    # must stay (migration refused, isolation put back).
    for flags in (0x10, 0x12, 0x1a, 0x3e):
        for size in (4096, 3000, 1200):
            s = Seq(cfg(4, private_arena=True)).fill(256, size)
            s.fill(256, size).fill(256, size).free_many(2, 1)
            s.nested([1, 50, 99, 150, 201, 250, 300, 333, 370], flags,
                     0x1b1b, 7)
            s.nested([0, 30, 60, 90, 120, 180, 210, 240], flags, 0xffff, 1)
            out.append(s.bytes())
    out.append(Seq().fill(40, 100).free_many(2).shrink(0).shrink(1).bytes())
    out.append(Seq(cfg(0, plain_create=True, null_name=True)).fill(5, 64)
               .bytes())

    # Nested maps and reads: every flag, every mode mix, limits.
    for flags in (0, 1, 2, 4, 8, 16, 32, 0x3f, 0x41, 0x83, 0xff):
        for modes in (0x0000, 0x5555, 0xaaaa, 0xffff, 0xe4e4, 0x1b1b):
            sels = [0, 1, 2, 3, 4, 5, 6, 7, 8]
            s = Seq().fill(12, 1800).fill(12, 100).nested(sels, flags, modes,
                                                          flags ^ 0x5a)
            out.append(s.bytes())
    s = Seq().fill(30, 500).nested(list(range(17)), 0x3f, 0x0000, 3)
    out.append(s.bytes())
    s = Seq().fill(30, 500).nested([4, 4, 4, 7], 0x21, 0x1234, 9)
    out.append(s.bytes())

    # Misuse: every kind, against empty and populated pools.
    for kind in range(10):
        for arg in (0, 1, 0x5a5a, 0xffff, 0x0104):
            out.append(Seq().misuse(kind, arg).bytes())
            s = Seq(cfg(0, private_arena=kind == 9)).fill(10, 700)
            s.free(2).free(3).misuse(kind, arg).misuse(kind, arg ^ 0x3c7)
            out.append(s.bytes())

    # An arena with a registered pool but no page in use is still busy.
    out.append(Seq(cfg(0, private_arena=True)).misuse(9, 3).bytes())
    out.append(Seq(cfg(2, private_arena=True)).fill(9, 99).drain()
               .misuse(9, 4).bytes())

    # Failure injection and page caps.
    for arena in (False, True):
        for after in (0, 1, 3, 17):
            for count in (1, 3, 7):
                s = Seq(cfg(8, private_arena=arena and after % 2 == 1))
                s.fill(5, 2000).inject(arena, after, count).fill(60, 900)
                s.fill(20, 3900).check().inject(arena, 0, 0).fill(5, 100)
                s.free_many(2).compact()
                out.append(s.bytes())
    for kind in range(4):
        for arg in (0, 5, 40, 300):
            s = Seq().fill(30, 1000).max_pages(kind, arg).fill(80, 1700)
            s.fill(50, 64).free_many(2).compact().max_pages(0).fill(10, 9)
            out.append(s.bytes())

    # Pool re-creation: chain sizes, arenas, caps, the bad config.
    for chain in range(0, 32, 3):
        for drain_first in (False, True):
            s = Seq().fill(20, 333).recreate(
                cfg(chain, private_arena=chain % 2 == 1, null_name=chain > 20),
                drain_first, cap=chain if chain % 4 == 0 else None)
            s.fill(20, 2222).misuse(2, 1).free(0)
            out.append(s.bytes())
    out.append(Seq(cfg(0, plain_create=True)).fill(3, 10).bytes())
    out.append(Seq(cfg(31)).alloc(100).bytes())

    # Stats, class table printing, drain.
    for size in (0, 1, 16, 17, 3600, 4095, 4096, 4097):
        out.append(Seq().fill(8, 123).stats(size & 3, size).bytes())
    for backwards in (False, True):
        s = Seq().fill(50, 100).fill(10, 4000).drain(backwards).fill(5, 50)
        out.append(s.bytes())

    # Accesses racing a mover thread (compaction, shrinking, arena).
    for mover in range(3):
        for size in (100, 1500, 3000, 4096):
            s = Seq(cfg(4, private_arena=mover == 2)).fill(200, size)
            if mover == 2:
                s.fill(256, 4096).fill(200, 4096)
            s.free_many(2, mover)
            s.race(mover, [(a, a * 7 + size) for a in range(48)])
            s.race(mover + 3, [(a + 3, a * 13) for a in range(64)])
            out.append(s.bytes())

    # The pressure monitor: limits, arenas, notifications, partial reclaim.
    for flags in list(range(16)) + [0x10, 0x21, 0x43, 0x71, 0xff]:
        s = Seq(cfg(8, private_arena=flags & 2 == 2)).fill(200, 1700)
        s.fill(100, 300).free_many(3, flags).pressure(flags, flags * 37)
        s.fill(20, 900).free_many(2).pressure(flags ^ 5, 3)
        out.append(s.bytes())

    # The harness as a second page owner: single pages and page groups,
    # movable or not, holes, arena compaction with refusals, injection.
    # Owner pages placed before the pool thins out its regions get moved.
    for flags in (0x00, 0x01, 0x0c, 0x0d, 0x1f, 0x4d, 0x8d, 0xcd, 0xdf, 0x0e):
        for private in (False, True):
            s = Seq(cfg(4, private_arena=private)).fill(256, 4096)
            s.fill(256, 4096).arena_pages(64, flags & 3, 0x3a5b)
            s.free_many(2, 0).arena_pages(2, flags | 0x0c, 0x1111)
            s.arena_compact().fill(100, 3000).free_many(3, 1, invert=True)
            s.arena_pages(9, flags | 0x08, 0xffff).arena_compact(True)
            s.arena_pages(1, flags | 0x20).compact()
            out.append(s.bytes())
    s = Seq(cfg(0, private_arena=True)).inject(True, 5, 3)
    s.arena_pages(40, 0x0d, 0x1234).arena_pages(9, 0x01, 0)
    out.append(s.bytes())
    s = Seq(cfg(3, private_arena=True)).arena_pages(30, 0x01, 7)
    s.fill(100, 2000).recreate(cfg(5, private_arena=True)).arena_pages(9, 4)
    out.append(s.bytes())

    # The harness's own runs (zs_arena_alloc_run): beside the pool, holed,
    # trimmed and released; then runs that fit the 7-page gaps a thinned
    # region of huge objects leaves, so arena compaction moves them whole
    # (every other one unmovable in mode 3), with every refusal; and runs
    # refused by an injected failure.
    for runs in (1, 2, 3):
        for flags in (0x0c, 0x5d, 0xde):
            s = Seq(cfg(4, private_arena=(flags & 1) == 1)).fill(256, 4096)
            s.fill(256, 4096).arena_pages(64, flags & 3, 0x3a5b, runs)
            s.free_many(2, 0).arena_pages(20, flags | 0x0c, 0x1111, runs)
            s.arena_compact().fill(100, 3000).free_many(3, 1, invert=True)
            s.arena_pages(30, flags | 0x18, 0xffff, runs).arena_compact(True)
            s.arena_pages(1, flags | 0x20, 0, runs).compact()
            out.append(s.bytes())
        for refuse in range(4):
            s = Seq(cfg(4, private_arena=True)).fill(256, 4096).fill(256, 4096)
            s.arena_pages(40, 0, 0x0013 if runs == 3 else 0x0003, runs)
            s.free_many(8, 0, invert=True)
            s.arena_pages(1, 0x08 | refuse << 6, 0x0003, runs)
            s.verify_all(runs).arena_pages(1, 0x2c, 0x0001, runs)
            out.append(s.bytes())
        s = Seq(cfg(0, private_arena=True)).inject(True, 5, 3)
        s.arena_pages(40, 0x0d, 0x1234, runs).arena_pages(9, 0x01, 0, runs)
        out.append(s.bytes())

    # Corruption: the arena's run findings, on zspages of several pages,
    # on the harness's runs, in a full region (whose last page is in use),
    # and where no run of more than one page exists (skipped); each
    # variant (sel's top 3 bits) at a few places.
    for shape in range(4):
        s = Seq(cfg(8 if shape % 2 == 0 else 4, private_arena=shape == 1))
        if shape == 0:
            s.fill(40, 100).fill(30, 1500).fill(20, 3000).free_many(3, 1)
        elif shape == 1:
            s.fill(20, 3000).arena_pages(40, 0x02, 0x1234, 3)
        elif shape == 2:
            s.fill(256, 4096).fill(256, 4096).fill(30, 3000)
        else:
            s.fill(10, 4096)
        for kind in range(CORRUPT_KINDS_V1, POOL_ROWS_V1 + ARENA_KINDS_V1):
            for v in range(8):
                for pick in (0, 0x0133, 0x1fff):
                    s.corrupt(kind, v << 13 | pick)
        if shape == 2:
            # the full region's last page freed (and still resident)
            s.free_many(2, 1)
            for pick in (0, 0x0133, 0x1fff):
                s.corrupt(CORRUPT_KINDS_V1 + 1, 2 << 13 | pick)
        out.append(s.bytes())

    # Corruption: the arena's record table findings and the owner limit
    # (the arena rows after ARENA_KINDS_V1), each variant (sel's top 3
    # bits) at a few places, in a table with free records and spare ones
    # (huge objects freed from beside the harness's runs), in the default
    # arena's table with no spare record (the variants that need one are
    # skipped), and in an empty pool (no region: only the owner limit has
    # a place).
    for shape in range(3):
        s = Seq(cfg(4, private_arena=shape != 1))
        if shape == 0:
            s.fill(20, 3000).arena_pages(40, 0x02, 0x1234, 3)
            s.fill(40, 100).fill(30, 1500).fill(60, 4096).free_many(2, 1)
        elif shape == 1:
            s.fill(40, 100).fill(30, 1500).fill(20, 3000).free_many(3, 1)
        for row in range(ARENA_KINDS_V1, ARENA_KINDS):
            for v in range(8):
                for pick in (0, 0x0133, 0x1fff):
                    s.corrupt(arena_kind(row), v << 13 | pick)
        out.append(s.bytes())

    # PSI paths that are no PSI files: /dev/null and /dev/full (refused).
    for flags in (0x80, 0x90, 0x86, 0x9b, 0xa9, 0xe7, 0xf5):
        s = Seq(cfg(8, private_arena=flags & 2 == 2)).fill(200, 1700)
        s.free_many(3, flags).pressure(flags, flags * 37)
        out.append(s.bytes())

    # Corruption: every kind zs_pool_check named before the shared-zspage
    # layout (and the arena's first 17), in pools of every shape (small and
    # huge objects, gaps, several zspages per list), and in an empty pool,
    # where most kinds have no place and are skipped.
    for chain in (1, 4, 8, 16):
        s = Seq(cfg(chain)).fill(40, 100).fill(6, 4096).fill(30, 1500)
        s.fill(20, 40).free_many(3, 1)
        for kind in range(CORRUPT_KINDS_V1):
            s.corrupt(kind, kind * 0x0911 + chain)
            s.corrupt(kind, 0x8100 | (kind * 7 + chain))
        out.append(s.bytes())
    for kind in range(CORRUPT_KINDS_V1):
        s = Seq().fill(12, 700).fill(3, 4096).free_many(2)
        s.corrupt(kind, kind).corrupt(kind, 0x8100 + kind * 0x35)
        out.append(s.bytes())
    s = Seq()
    for kind in range(CORRUPT_KINDS_V1):
        s.corrupt(kind, kind)
    out.append(s.bytes())
    out.append(Seq().fill(300, 60).fill(300, 60).corrupt(14, 3).bytes())

    # Corruption in the shared-zspage layout (fuzz/zsmalloc_fuzz/
    # zs_corrupt_spans.c and the rows reused for it): every pool row with
    # each variant its sel encodes (the low 2 bits for the span's and the
    # index's rows, the top bits for the others), in pools of each shape:
    # small objects with gaps of every length beside huge objects, sizes
    # whose footprint they fill exactly (an object turned into a gap keeps
    # its footer in its bytes), only huge objects, one full zspage (no
    # gap), a fragmented zspage of 16 pages, and an empty pool.
    shapes = []
    s = Seq(cfg(1)).fill(40, 100).fill(4, 4096).fill(30, 1500)
    shapes.append(s.fill(20, 40).free_many(3, 1))
    s = Seq(cfg(4)).fill(60, 60).fill(60, 124).fill(2, 4093)
    shapes.append(s.free_many(2, 0).free_many(5, 1))
    shapes.append(Seq(cfg(2)).fill(8, 4096).fill(3, 4094))
    shapes.append(Seq(cfg(1)).fill(8, 508))
    s = Seq(cfg(16)).fill(200, 300).fill(200, 28).fill(3, 4095)
    shapes.append(s.free_many(2, 1).free_many(7, 3, invert=True))
    shapes.append(Seq(cfg(8)))
    for shape in shapes:
        # the rows there were then, so these seeds keep their bytes
        for row in range(POOL_ROWS_V2):
            for v in range(4):
                for pick in (0, 0x01b, 0x2a7):
                    if row >= POOL_ROWS_V1 or row in (CK_BAD_TAG, CK_FOOTER):
                        sel = pick << 4 | v << 2 | v
                    else:
                        sel = v << 14 | pick << 3 | pick >> 4
                    shape.corrupt(pool_kind(row), sel)
        out.append(shape.bytes())
    # The page descriptor row's 8 variants (sel's top 3 bits: the arena's
    # description, or the base inside its run or at another zspage's), in
    # pools of one chain size and of several, with huge zspages beside.
    for chain in (1, 4):
        s = Seq(cfg(chain)).fill(40, 300).fill(3, 4096).free_many(3)
        for v in range(8):
            for pick in (0, 0x35, 0x1ff):
                s.corrupt(CK_PAGE_DESC, v << 13 | pick)
        out.append(s.bytes())
    # Each new row alone, so a failure names its kind in its own seed.
    for kind in SPAN_KINDS + [CK_BAD_TAG, CK_FOOTER]:
        s = Seq(cfg(2)).fill(30, 200).fill(2, 4096).fill(30, 20)
        s.free_many(3, 2)
        for sel in (0, 1, 2, 3, 0x0135, 0x0ffe, 0x8003, 0xffff):
            s.corrupt(kind, sel)
        out.append(s.bytes())
    # The rows added once zspages grew in place, each variant (sel's top 2
    # bits: no page, more than the run, fewer than the blocks reach) at a
    # few places, in pools whose zspages reach one page, a few, or all of a
    # run of 16 (fragmented), beside huge objects, and in an empty pool.
    grown = [Seq(cfg(4)).fill(3, 300),
             Seq(cfg(4)).fill(40, 300).fill(3, 4096).free_many(3, 1),
             Seq(cfg(16)).fill(200, 300).fill(200, 28).free_many(2, 1),
             Seq(cfg(8))]
    out.extend(each_variant_at_a_few_places(grown, GROWN_KINDS))
    # The recycle bins' rows, each variant (sel's top 2 bits: a link to a
    # live object, past the table, to its own block; a count one too high
    # or one too low) at a few places: pools whose bins hold blocks of one
    # footprint or many, some zspages' blocks buried (one-page zspages
    # emptied), pools that recycle nothing (too few objects, only huge
    # ones), and pools that keep freed huge pages (the stack of one page
    # or several).
    recycling = [Seq(cfg(4)).fill(64, 300).free_many(3, 1),
                 Seq(cfg(16)).fill(200, 300).fill(200, 28).fill(3, 4095)
                 .free_many(4, 1),
                 Seq(cfg(1)).fill(200, 1000).free_many(2, 0)
                 .free_many(2, 0).free_many(3, 0),
                 Seq(cfg(2)).fill(5, 300),
                 Seq(cfg(2)).fill(8, 4096).free_many(2),
                 Seq(cfg(4)).fill(48, 4096).fill(40, 700).free_many(3, 1),
                 Seq(cfg(1)).fill(16, 4096).free(3)]
    out.extend(each_variant_at_a_few_places(recycling, RECYCLE_KINDS))
    # The share of freed memory kept at both ends (chain bits past 16 with
    # the default arena, fuzz/zsmalloc_fuzz/zs_pool.c): none (odd), half
    # (even); churn of shared and huge objects, then a compaction.
    for chain_bits in (17 + 4, 17 + 5, 30, 31):
        s = Seq(cfg(chain_bits)).fill(64, 300).fill(24, 4096)
        s.free_many(3, 1).fill(30, 300).fill(6, 4096).free_many(2, 0)
        out.append(s.compact().bytes())
    half = Seq(cfg(17 + 5)).fill(64, 300).fill(24, 4096).free_many(3, 1)
    out.extend(each_variant_at_a_few_places([half], RECYCLE_KINDS))

    # Host allocation failures, the k-th of each step's allocations in
    # turn: pool creation and its first objects (default and private
    # arenas, every pool name), arena pages and regions, the fuzzed pool's
    # own tables, monitors and their registrations, arena compaction's
    # plan, an arena out of owner slots, no file descriptor left.
    for after in range(12):
        out.append(Seq().host_fault(HF_SIDE, after, 1, after).bytes())
        out.append(Seq().host_fault(HF_SIDE | HF_SIDE_ARENA, after, 1,
                                    after * 9).bytes())
        out.append(Seq().host_fault(HF_ARENA_PAGES, after, 1).bytes())
        out.append(Seq().host_fault(HF_SIDE | HF_PRESSURE, after, 1,
                                    0x40 | after).bytes())
    for after in range(6):
        out.append(Seq().host_fault(HF_MAIN, after, 1, 7).bytes())
        out.append(Seq(cfg(4, private_arena=True))
                   .host_fault(HF_MAIN, after, 2, 15).fill(5, 300).bytes())
        out.append(Seq().host_fault(HF_OWNERS, after, 1).bytes())
    for pick in range(SIDE_NAMES * 3):
        out.append(Seq().host_fault(HF_SIDE, 0, 0, pick * 11).bytes())
    for after, count in ((0, 0), (0, 1), (1, 1), (3, 4)):
        s = Seq(cfg(4, private_arena=True)).fill(256, 4096).fill(256, 4096)
        s.fill(60, 4096).free_many(2).host_fault(HF_COMPACT, after, count)
        s.host_fault(HF_COMPACT | HF_PRESSURE, after, count, 3)
        out.append(s.bytes())
    for count in (0, 1):
        out.append(Seq().host_fault(HF_NO_FD, 0, count).bytes())
    for after, count in ((0, 0), (2, 4), (7, 3), (13, 2), (21, 4)):
        s = Seq(cfg(2)).fill(30, 900).host_fault(0xff, after, count, after)
        s.fill(10, 4096).free_many(2).host_fault(0x3d, count, after, 0x47)
        out.append(s.bytes())

    # The pool's page callbacks called late: stale ids, indexes and pages;
    # a page isolated while its zspage empties, then put back.
    for chain in (1, 4, 16):
        for flags in range(4):
            s = Seq(cfg(chain)).fill(20, 300).fill(4, 4096).fill(9, 2100)
            for sel in (0, 0x0103, 0x1f07, 0xffff):
                s.page_ops(flags, sel)
            out.append(s.bytes())
    out.append(Seq().page_ops(3, 5).bytes())

    # Death tests in a forked child (fuzz/zsmalloc_fuzz/zs_fatal.c): every
    # kind, with small and huge objects live so the pool-state kinds
    # apply, and each way of passing the arena a bad page.
    for kind in range(FATAL_KINDS):
        s = Seq(cfg(8)).fill(12, 100).fill(6, 1000).fill(2, 4096)
        for arg in (0, 1, 2, 0x0413, 0x2cc7, 0xffff):
            s.fatal(kind, arg)
        s.fatal(kind, 0x1234).free_many(2).fatal(kind, 7)
        out.append(s.bytes())
    out.append(Seq().fatal(2).fatal(0).bytes())  # empty pool: kind 2 skips
    # The shared-zspage layout's aborts, each variant (arg >> 13) in a
    # pool of each chain size (arg >> 10), on small and huge objects of
    # the fuzzed pool; one child per op, so one seed per test.
    for kind in (2, 3, 4):
        for v in range(8):
            s = Seq(cfg(4)).fill(6, 40).fill(2, 4096).fill(4, 900)
            s.fatal(kind, v << 13 | (v * 0x0145) & 0x1fff)
            out.append(s.bytes())

    # Forged handles (fuzz/zsmalloc_fuzz/zs_forge.c): every bit of live
    # handles flipped, pairs of bits, stale handles (one whose slot was
    # given out again), a second pool's handle, values from the input, an
    # empty pool.
    s = Seq(cfg(4)).fill(40, 100).fill(8, 3000).free_many(3, 1)
    for bit in range(64):
        s.forge(FORGE_LIVE, bit * 7, (bit,))
    out.append(s.bytes())
    s = Seq(cfg(8, private_arena=True)).fill(60, 40).free_many(2, 0)
    for i, pair in enumerate(((0, 1), (0, 2), (1, 3), (0, 32), (31, 32),
                              (32, 33), (5, 40), (63, 0), (15, 47))):
        s.forge(FORGE_LIVE, i * 5, pair).forge(FORGE_STALE, i, pair)
    out.append(s.bytes())
    s = Seq().fill(30, 700).free_many(2, 1).fill(15, 700)
    for bit in (0, 1, 2, 31, 32, 33, 34, 63):
        s.forge(FORGE_STALE, bit, (bit,)).forge(FORGE_STALE, bit, keep=True)
    out.append(s.bytes())
    for private in (False, True):
        s = Seq(cfg(2, private_arena=private)).fill(20, 500)
        for sel in (0, 0x1001, 0x2fff, 0xffff):
            s.forge(FORGE_OTHER, sel, keep=True)
            s.forge(FORGE_OTHER, sel, (sel % 64,))
            s.forge(FORGE_OTHER, sel, (0, 32))
        s.inject(True, 0, 3).forge(FORGE_OTHER, 77, keep=True)
        out.append(s.bytes())
    s = Seq().fill(10, 64)
    for v in (0, 1, 0xffffffffffffffff, 0x0123456789abcdef,
              0x5eed5eed5eed5eed, 1 << 32, 0xffffffff):
        s.forge(FORGE_INPUT, value=v)
    out.append(s.bytes())
    s = Seq().forge(FORGE_LIVE, 0, (3,)).forge(FORGE_STALE, 1, (4,))
    s.forge(FORGE_OTHER, 2, (5,)).alloc(64).free(0).forge(FORGE_LIVE, 0, (0,))
    out.append(s.bytes())

    # Short and degenerate inputs.
    out += [b"", b"\x00", b"\x00\x00", b"\x00\x00\x04", b"\x3f" * 8,
            bytes(range(64))]
    return out


# The ops the first random stream picks from: fixed, so that adding an op
# does not change (and so duplicate) the seeds already in the corpus.
RANDOM_V1_OPS = ("alloc", "free", "write_wo", "write_rw", "write_obj",
                 "read_ro", "read_rw", "read_begin", "nested", "compact",
                 "shrink", "stats", "check", "misuse", "inject", "max_pages",
                 "recreate", "arena_compact", "fill", "free_many",
                 "verify_all", "drain", "race", "pressure", "arena_pages")
# The second stream's: every op up to page_ops.  A new op gets scenarios
# (and joins a new stream if it needs random company).
RANDOM_V2_OPS = RANDOM_V1_OPS + ("corrupt", "host_fault", "page_ops")


def random_op(r, s, ops):
    name = r.choice(sorted(ops))
    if name == "alloc":
        s.alloc(kind=r.randrange(256), raw=r.randrange(65536),
                seed=r.randrange(256))
    elif name == "fill":
        s.fill(r.randrange(1, 64), kind=r.randrange(7), raw=r.randrange(65536),
               seed=r.randrange(256))
    elif name == "free":
        s.free(r.randrange(65536))
    elif name == "free_many":
        s.free_many(r.randrange(2, 9), r.randrange(256), r.random() < 0.3)
    elif name in ("write_wo", "write_rw", "write_obj"):
        s.write(name, r.randrange(65536), r.randrange(256), r.randrange(65536))
    elif name in ("read_ro", "read_rw", "read_begin"):
        s.read(name, r.randrange(65536), r.randrange(2))
    elif name == "nested":
        n = r.randrange(1, 10)
        s.nested([r.randrange(65536) for _ in range(n)], r.randrange(256),
                 r.randrange(65536), r.randrange(256))
    elif name == "shrink":
        s.shrink(r.randrange(65536))
    elif name == "stats":
        s.stats(r.randrange(256), r.randrange(65536))
    elif name == "misuse":
        s.misuse(r.randrange(256), r.randrange(65536))
    elif name == "inject":
        s.inject(r.random() < 0.5, r.randrange(32), r.randrange(8))
    elif name == "max_pages":
        s.max_pages(r.randrange(256), r.randrange(65536))
    elif name == "recreate":
        s.recreate(r.randrange(256), r.random() < 0.5,
                   r.randrange(64) if r.random() < 0.3 else None)
    elif name == "arena_compact":
        s.arena_compact(r.random() < 0.5)
    elif name == "verify_all":
        s.verify_all(r.randrange(4))
    elif name == "race":
        s.race(r.randrange(256), [(r.randrange(256), r.randrange(65536))
                                  for _ in range(r.randrange(1, 20))])
    elif name == "pressure":
        s.pressure(r.randrange(256), r.randrange(65536))
    elif name == "arena_pages":
        s.arena_pages(r.randrange(1, 65), r.randrange(256),
                      r.randrange(65536))
    elif name == "drain":
        s.drain(r.random() < 0.5)
    elif name == "corrupt":
        s.corrupt(r.randrange(256), r.randrange(65536))
    elif name == "host_fault":
        s.host_fault(r.randrange(256), r.randrange(256), r.randrange(256),
                     r.randrange(256))
    elif name == "page_ops":
        s.page_ops(r.randrange(256), r.randrange(65536))
    else:
        s.op(name)


def random_sequences(count, seed=0x25f022, ops=RANDOM_V1_OPS):
    r = random.Random(seed)
    out = []
    for _ in range(count):
        s = Seq(r.randrange(256))
        s.fill(r.randrange(1, 40), kind=r.randrange(7), raw=r.randrange(65536))
        for _ in range(r.randrange(4, 40)):
            random_op(r, s, ops)
        out.append(s.bytes())
    return out


def dictionary():
    """libFuzzer/AFL++ dictionary: opcodes, whole alloc ops of interesting
    sizes, and interesting sizes as little-endian u16 arguments."""
    lines = ["# zsmalloc_fuzz.dict - generated by tools/fuzz/gen_seed_corpus.py",
             "# Opcodes (fuzz/zsmalloc_fuzz/zs_fuzz.h)."]
    for name, code in sorted(OP.items(), key=lambda kv: kv[1]):
        lines.append('op_%s="\\x%02x"' % (name, code))
    lines.append("# alloc ops of sizes at footprint, huge and page boundaries.")
    for size in (1, 2, 4, 12, 16, 17, 28, 32, 33, 60, 64, 124, 128, 252, 256,
                 508, 512, 1020, 1024, 2044, 2048, 3276, 3632, 4092, 4093,
                 4095, 4096):
        kind, raw = size_arg(size)
        lines.append('alloc_%d="\\x%02x\\x%02x\\x%02x\\x%02x"'
                     % (size, OP["alloc"], kind, raw & 0xff, raw >> 8))
    for kind in range(8):
        lines.append('alloc_kind_%d="\\x%02x\\x%02x"' % (kind, OP["alloc"],
                                                         kind))
    lines.append("# Sizes as u16 arguments (uniform kind: size - 1).")
    for size in (1, 16, 32, 3264, 3456, 3632, 4092, 4093, 4095, 4096):
        raw = size - 1
        lines.append('raw_%d="\\x%02x\\x%02x"' % (size, raw & 0xff, raw >> 8))
    lines.append("# A fill of 255 objects, a fragmenting free, compaction.")
    lines.append('fill_255="\\x%02x\\xfe"' % OP["fill"])
    lines.append('free_half="\\x%02x\\x00\\x00"' % OP["free_many"])
    lines.append('nested_all="\\x%02x\\x10\\xff"' % OP["nested"])
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(ROOT, "corpus",
                                                  "zsmalloc_fuzz"))
    ap.add_argument("--dict", default=os.path.join(ROOT, "fuzz",
                                                   "zsmalloc_fuzz",
                                                   "zsmalloc_fuzz.dict"))
    ap.add_argument("--random", type=int, default=200,
                    help="random op sequences besides the scenarios")
    args = ap.parse_args()

    # A second stream over every op, the later ones included.
    seeds = scenarios() + random_sequences(args.random) + \
        random_sequences(args.random // 5, 0x25f023, RANDOM_V2_OPS)
    os.makedirs(args.out, exist_ok=True)
    written = 0
    names = set()
    for data in seeds:
        name = hashlib.sha1(data).hexdigest()
        names.add(name)
        path = os.path.join(args.out, name)
        if not os.path.exists(path):
            with open(path, "wb") as f:
                f.write(data)
            written += 1
    with open(args.dict, "w") as f:
        f.write(dictionary())
    print("gen_seed_corpus: %d distinct seeds, %d new in %s; dictionary %s"
          % (len(names), written, os.path.relpath(args.out),
             os.path.relpath(args.dict)))


if __name__ == "__main__":
    main()
