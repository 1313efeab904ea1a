#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""gen_span_corpus.py - the deterministic seed corpus and dictionary of the
span fuzz target (fuzz/span_fuzz/: zs/span.h over zs/gaps.h).

Why: a fuzzer starting from nothing needs a long while to learn the input
format, and longer to fragment zspages enough that gaps of every list, 1-unit
gaps and merges on both sides are common.  These seeds are short op
sequences that already do that: every zspage length the config byte names,
every op and size kind, long allocate-and-free churn, every planted finding
in each of its variants, every fatal free, and slides (op slide) of
every kind.

The opcodes are read from fuzz/span_fuzz/span_fuzz.h (one
"SP_OP_NAME = 0xNN," a line), so the seeds follow the interpreter.  The
output is the same on every run (a fixed PRNG seed, no clock), and files are
named by the SHA-1 of their content, so regenerating adds nothing that is
already there.

    tools/fuzz/gen_span_corpus.py [--root DIR]
writes corpus/span_fuzz/ and fuzz/span_fuzz/span_fuzz.dict.
"""

import argparse
import hashlib
import os
import random
import re
import struct
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))

TARGET = "span_fuzz"
HEADER = "span_fuzz.h"

# The config byte (span_fuzz.h): pages - 1 in bits 0-3, or bit 4 and a
# small length's index; bit 5 a length per zspage; bit 6 slots at the top
# of the tag's range; bit 7 empty zspages kept.
SMALL = 0x10
MIXED = 0x20
TOP_SLOTS = 0x40
KEEP_EMPTY = 0x80

# Size kinds (span_objects.c's choose_size).
K_SMALL, K_TRACE, K_UNIFORM, K_BOUNDARY, K_EXACT_GAP, K_GAP_LESS_ONE, \
    K_WHOLE, K_SAME = range(8)

PLANTERS = 14  # span_corrupt.c's planters[]
FATAL_KINDS = 5  # span_fatal.c's enum spf_fatal_kind

# Op slide's flags (span_slide.c): slides - 1 in bits 0-3; bit 4 slides
# until no gap is before an object; bit 5 a free while isolated; bit 6 a
# slide beside an overwritten tag in a child, of kind (pick >> 8) % 3.
SLIDE_ALL = 0x10
SLIDE_FREE = 0x20
SLIDE_FATAL = 0x40
SLIDE_FATAL_KINDS = 3


def read_opcodes(path):
    ops = {}
    with open(path) as f:
        for line in f:
            m = re.match(r"\s*SP_OP_([A-Z_]+)\s*=\s*(0x[0-9a-fA-F]+|\d+),",
                         line)
            if m and m.group(1) != "SLOTS":
                ops[m.group(1).lower()] = int(m.group(2), 0)
    if not ops:
        sys.exit("gen_span_corpus: no opcodes in %s" % path)
    return ops


def u8(v):
    return struct.pack("<B", v & 0xff)


def u16(v):
    return struct.pack("<H", v & 0xffff)


class Seq:
    """An input under construction: the config byte, then ops."""

    def __init__(self, ops, cfg=0):
        self.ops = ops
        self.b = bytearray(u8(cfg))

    def op(self, name, *args):
        """args: (width, value) pairs, width 1 or 2."""
        self.b += u8(self.ops[name])
        for w, v in args:
            self.b += u8(v) if w == 1 else u16(v)
        return self

    def alloc(self, kind, raw, seed=1):
        return self.op("alloc", (1, kind), (2, raw), (1, seed))

    def fill(self, count, kind, raw, seed=1):
        return self.op("fill", (1, count), (1, kind), (2, raw), (1, seed))

    def churn(self, rounds, kind, raw, seed=1):
        return self.op("churn", (1, rounds), (1, kind), (2, raw), (1, seed))

    def bytes(self):
        return bytes(self.b)


def fragmented(s, kind=K_UNIFORM, count=60):
    """Objects of many sizes with every other one freed: gaps of many
    lengths between objects, some zspages emptied."""
    s.fill(count, kind, 0x1234, 7)
    s.fill(count // 2, K_SMALL, 0x0042, 9)
    s.op("free_many", (1, 0), (1, 1))
    s.alloc(K_EXACT_GAP, 3)
    s.alloc(K_GAP_LESS_ONE, 5)
    return s


def span_seeds(ops):
    rnd = random.Random(0x5a5a)
    out = []

    def S(cfg=0):
        return Seq(ops, cfg)

    # Every zspage length: 1..16 pages, the small ones, a length per
    # zspage, top slots, empty zspages kept.
    configs = list(range(16)) + [SMALL | i for i in range(8)] + \
        [MIXED, MIXED | 3, MIXED | SMALL, MIXED | SMALL | 5, TOP_SLOTS,
         TOP_SLOTS | SMALL | 3, KEEP_EMPTY, KEEP_EMPTY | SMALL | 6,
         KEEP_EMPTY | MIXED | 1]
    for cfg in configs:
        s = S(cfg)
        for kind in range(8):
            s.alloc(kind, 17 * kind + 3, kind)
        s.op("free", (2, 2)).op("free", (2, 0))
        s.fill(20, K_UNIFORM, cfg * 31, 3)
        s.op("free_many", (1, 1), (1, 0))
        s.alloc(K_EXACT_GAP, 1).alloc(K_GAP_LESS_ONE, 2)
        s.op("verify")
        out.append(s)
    # Every size kind at its edges.
    for kind in range(8):
        for cfg in (0, 7, SMALL | 0, SMALL | 3, SMALL | 7):
            s = S(cfg)
            for raw in (0, 1, 2, 63, 64, 0x3ff, 0x400, 0xfff, 0xffff):
                s.alloc(kind, raw, raw)
            s.op("free", (2, 1)).alloc(kind, 5).op("verify")
            out.append(s)
    # Exact fills of a zspage and merges back in every order.
    for cfg in (0, 1, SMALL | 3, SMALL | 7, 15):
        for flags in range(8):
            s = S(cfg)
            s.fill(64, K_BOUNDARY, 0x40, 1)
            s.op("free_zspage", (1, 0), (1, flags))
            s.fill(40, K_SAME, 0, 2)
            s.op("free_zspage", (1, 1), (1, flags ^ 1))
            s.op("free_zspage", (1, 0), (1, 0))
            out.append(s)
    # One gap filled exactly and left one unit short, after fragmenting.
    for cfg in (0, 2, SMALL | 6, MIXED):
        s = fragmented(S(cfg))
        for raw in range(0, 40, 3):
            s.alloc(K_EXACT_GAP if raw % 2 else K_GAP_LESS_ONE, raw, raw)
        s.op("free_many", (1, 3), (1, 2)).op("verify")
        out.append(s)
    # Up to 64 zspages held: whole-zspage objects until allocation skips.
    for cfg in (SMALL | 0, SMALL | 1, SMALL | 3, 0):
        s = S(cfg)
        s.fill(70, K_WHOLE, 0, 1)
        s.alloc(K_WHOLE, 1).op("free", (2, 5)).alloc(K_WHOLE, 2)
        s.op("free_many", (1, 0), (1, 0))
        out.append(s)
    # Long churn: fragmentation built over hundreds of rounds.
    for cfg in (0, 1, 3, SMALL | 5, SMALL | 7, MIXED, KEEP_EMPTY,
                TOP_SLOTS | 2):
        for kind in (K_SMALL, K_TRACE, K_UNIFORM, K_BOUNDARY, K_EXACT_GAP):
            s = S(cfg)
            s.fill(100, kind, cfg * 7 + kind, 1)
            for r in range(4):
                s.churn(255, kind if r % 2 else K_UNIFORM,
                        rnd.randrange(0x10000), r)
            s.op("free_zspage", (1, 1), (1, 2))
            s.churn(200, K_EXACT_GAP, 11, 5).op("verify")
            out.append(s)
    # Every planted finding in each of its variants, on a fragmented span
    # of pages and of small zspages, and on a span with one object.
    for kind in range(PLANTERS):
        for cfg in (0, SMALL | 3, MIXED | 2, TOP_SLOTS | SMALL | 6):
            s = fragmented(S(cfg))
            for variant in range(4):
                for sel in (0, 1, 5, 23):
                    bits = (sel * 3 + variant) % 4
                    s.op("corrupt", (1, kind),
                         (2, sel << 4 | bits << 2 | variant))
            s.op("verify")
            out.append(s)
        s = S(SMALL | 2)
        s.alloc(K_SMALL, 9)
        for variant in range(4):
            s.op("corrupt", (1, kind), (2, variant))
        out.append(s)
    # Every fatal free (one child per input: later fatal ops are skipped).
    for kind in range(FATAL_KINDS):
        for cfg in (0, SMALL | 4):
            for sel in (0, 3, 17):
                s = fragmented(S(cfg), count=30)
                s.op("fatal", (1, kind), (2, sel))
                out.append(s)
    # Random mixes of every op but slide (left out so that these seeds
    # stay what they were before it came; its own mixes are below).
    names = sorted(n for n in ops if n != "slide")
    for _ in range(40):
        s = S(rnd.choice(configs))
        s.fill(rnd.randrange(10, 80), rnd.randrange(8),
               rnd.randrange(0x10000), 1)
        for _ in range(rnd.randrange(10, 40)):
            name = rnd.choice(names)
            if name in ("fill", "churn"):
                s.op(name, (1, rnd.randrange(60)), (1, rnd.randrange(8)),
                     (2, rnd.randrange(0x10000)), (1, rnd.randrange(256)))
            elif name == "alloc":
                s.alloc(rnd.randrange(8), rnd.randrange(0x10000),
                        rnd.randrange(256))
            elif name == "corrupt":
                s.op(name, (1, rnd.randrange(PLANTERS)),
                     (2, rnd.randrange(0x10000)))
            elif name == "fatal":
                s.op(name, (1, rnd.randrange(FATAL_KINDS)),
                     (2, rnd.randrange(0x10000)))
            else:
                s.b += u8(ops[name])
                s.b += bytes(rnd.randrange(256) for _ in range(2))
        out.append(s)
    out += slide_seeds(ops, configs)
    return out


def slide_seeds(ops, configs):
    """Op slide on fragmented spans: a few slides, a run to the end of a
    zspage, a free while isolated, a slide beside each overwritten tag,
    then random mixes with slides among the other ops."""
    rnd = random.Random(0x511de)
    out = []

    def S(cfg=0):
        return Seq(ops, cfg)

    for cfg in (0, 1, 7, SMALL | 3, SMALL | 5, SMALL | 7, MIXED,
                MIXED | SMALL | 2, TOP_SLOTS | 2, KEEP_EMPTY | SMALL | 6):
        for flags in (0, 3, 15, SLIDE_ALL, SLIDE_FREE | 2,
                      SLIDE_FREE | SLIDE_ALL):
            s = fragmented(S(cfg))
            for sel in range(4):
                s.op("slide", (1, sel), (1, flags), (2, sel * 37 + flags))
            s.alloc(K_EXACT_GAP, 7).alloc(K_GAP_LESS_ONE, 8)
            s.op("verify")
            out.append(s)
    # Slides in zspages of objects of one size with every other one freed
    # (each slide then merges with the gap after the object), and of
    # objects packed after one freed at the start (no gap after it).
    for cfg in (0, SMALL | 6, SMALL | 7):
        s = S(cfg)
        s.fill(64, K_BOUNDARY, 0x40, 1)
        s.op("free_zspage", (1, 0), (1, 2))
        s.op("slide", (1, 0), (1, SLIDE_ALL), (2, 0))
        s.op("free_zspage", (1, 0), (1, 4))
        s.op("slide", (1, 0), (1, 7), (2, 1))
        out.append(s)
        s = S(cfg)
        s.fill(40, K_SMALL, 9, 2)
        s.op("free", (2, 0))
        s.op("slide", (1, 0), (1, SLIDE_ALL), (2, 0))
        s.op("slide", (1, 0), (1, SLIDE_FREE), (2, 3))
        out.append(s)
    # Each slide beside an overwritten tag (one child per input).
    for kind in range(SLIDE_FATAL_KINDS):
        for cfg in (0, SMALL | 4):
            for pick in (0, 3, 17):
                s = fragmented(S(cfg), count=30)
                s.op("slide", (1, pick), (1, SLIDE_FATAL),
                     (2, kind << 8 | pick))
                out.append(s)
    # Random mixes of every op, slides among them.
    names = sorted(ops)
    for _ in range(30):
        s = S(rnd.choice(configs))
        s.fill(rnd.randrange(10, 80), rnd.randrange(8),
               rnd.randrange(0x10000), 1)
        for _ in range(rnd.randrange(10, 40)):
            name = rnd.choice(names + ["slide"] * 3)
            if name in ("fill", "churn"):
                s.op(name, (1, rnd.randrange(60)), (1, rnd.randrange(8)),
                     (2, rnd.randrange(0x10000)), (1, rnd.randrange(256)))
            elif name == "alloc":
                s.alloc(rnd.randrange(8), rnd.randrange(0x10000),
                        rnd.randrange(256))
            elif name in ("corrupt", "fatal"):
                s.op(name, (1, rnd.randrange(
                    PLANTERS if name == "corrupt" else FATAL_KINDS)),
                     (2, rnd.randrange(0x10000)))
            elif name == "slide":
                s.op(name, (1, rnd.randrange(256)), (1, rnd.randrange(256)),
                     (2, rnd.randrange(0x10000)))
            else:
                s.b += u8(ops[name])
                s.b += bytes(rnd.randrange(256) for _ in range(2))
        out.append(s)
    return out


def write_corpus(seqs, d):
    os.makedirs(d, exist_ok=True)
    new = 0
    for s in seqs:
        data = s.bytes()
        path = os.path.join(d, hashlib.sha1(data).hexdigest())
        if not os.path.exists(path):
            with open(path, "wb") as f:
                f.write(data)
            new += 1
    return new


def write_dict(ops, path, header):
    lines = ["# %s.dict - generated by tools/fuzz/gen_span_corpus.py"
             % TARGET, "# Opcodes (%s)." % header]
    for name, code in sorted(ops.items(), key=lambda kv: kv[1]):
        lines.append('op_%s="\\x%02x"' % (name, code))
    lines.append("# Configs: small zspages, a length per zspage, top slots,")
    lines.append("# empty zspages kept.")
    for name, v in (("small", SMALL), ("mixed", MIXED),
                    ("top_slots", TOP_SLOTS), ("keep_empty", KEEP_EMPTY),
                    ("pages_16", 15)):
        lines.append('cfg_%s="\\x%02x"' % (name, v))
    lines.append("# Sizes at unit boundaries (u16 raw, size kind 2 is "
                 "1 + raw).")
    for v in (3, 4, 11, 12, 2243, 4091, 4092, 4095):
        lines.append('size_%d="\\x%02x\\x%02x"' % (v + 1, v & 0xff, v >> 8))
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--root", default=ROOT)
    a = ap.parse_args()
    hpath = os.path.join(a.root, "fuzz", TARGET, HEADER)
    ops = read_opcodes(hpath)
    n = write_corpus(span_seeds(ops), os.path.join(a.root, "corpus", TARGET))
    write_dict(ops, os.path.join(a.root, "fuzz", TARGET, TARGET + ".dict"),
               "fuzz/%s/%s" % (TARGET, HEADER))
    print("%s: %d new seeds" % (TARGET, n))


if __name__ == "__main__":
    main()
