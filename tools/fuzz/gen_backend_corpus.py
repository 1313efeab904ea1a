#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""gen_backend_corpus.py - the deterministic seed corpora and dictionaries of
the zbud and the differential zpool fuzz targets (fuzz/zbud_fuzz/,
fuzz/zpool_fuzz/).

Why: a fuzzer starting from nothing needs minutes to learn the input format
and to reach reclaim with failing evicts, arena compaction (which needs
more than one 2 MiB region of pages) or nested maps at the limit.  These
seeds are short op sequences that already do each of those things.

The opcodes are read from fuzz/zbud_fuzz/zbud_fuzz.h and
fuzz/zpool_fuzz/zpool_fuzz.h (one "ZB_OP_NAME = 0xNN," a line), so the
seeds follow the interpreters.  The output is the same on every run (a
fixed PRNG seed, no clock), and files are named by the SHA-1 of their
content, so regenerating adds nothing that is already there.

    tools/fuzz/gen_backend_corpus.py [--root DIR] [-t TARGET]...
writes corpus/zbud_fuzz/, corpus/zpool_fuzz/ and the two .dict files (-t:
only those of TARGET, zbud_fuzz or zpool_fuzz).
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

ZBUD_MAX = 4096 - 128


def read_opcodes(path, prefix):
    ops = {}
    with open(path) as f:
        for line in f:
            m = re.match(r"\s*%s_OP_([A-Z_]+)\s*=\s*(0x[0-9a-fA-F]+|\d+),"
                         % prefix, line)
            if m and m.group(1) != "SLOTS":
                ops[m.group(1).lower()] = int(m.group(2), 0)
    if not ops:
        sys.exit("gen_backend_corpus: no opcodes in %s" % path)
    return ops


def u8(v):
    return struct.pack("<B", v & 0xff)


def u16(v):
    return struct.pack("<H", v & 0xffff)


# forge's bases (fuzz/common/fuzz_model.h), the same in both targets.
FORGE_LIVE, FORGE_STALE, FORGE_OTHER, FORGE_INPUT = range(4)


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

    def forge(self, base, sel=0, bits=(0,), value=0, keep=False):
        """bits: one or two positions to flip (the second must differ);
        keep: no flip (a stale or second pool's handle as is)."""
        kind = base | (4 if len(bits) == 2 else 0) | (8 if keep else 0)
        second = ((bits[1] - bits[0] - 1) % 64) if len(bits) == 2 else 0
        self.op("forge", (1, kind), (2, sel), (2, bits[0] | second << 8))
        if base == FORGE_INPUT:
            self.b += struct.pack("<II", value & 0xffffffff, value >> 32)
        return self

    def bytes(self):
        return bytes(self.b)


# Size kinds shared by both interpreters' choose_size(): 3 is uniform
# (1 + raw % ZBUD_MAX_ALLOC_SIZE in zbud_objects.c, the same in zpool_objects.c).
K_CHUNK, K_UNIFORM, K_BAD = 0, 4, 7
ZB_UNIFORM = 3


def zbud_seeds(ops):
    rnd = random.Random(0x2b0d)
    out = []

    def S(cfg=0):
        return Seq(ops, cfg)

    def alloc(s, size, seed=1):
        return s.op("alloc", (1, ZB_UNIFORM), (2, size - 1), (1, seed))

    # Every size kind, including the refused ones.
    for kind in range(8):
        s = S()
        for raw in (0, 1, 2, 0x3f, 0x140, 0x2ff):
            s.op("alloc", (1, kind), (2, raw), (1, raw))
        s.op("check")
        out.append(s)
    # Buddies: sizes that just fit and just do not fit two to a page.
    for a, b in ((1984, 1984), (1985, 1984), (64, ZBUD_MAX), (ZBUD_MAX, 1),
                 (1, 1), (3000, 960), (3000, 961)):
        s = S()
        alloc(s, a)
        alloc(s, b, 2)
        s.op("free", (2, 0)).op("verify_all")
        alloc(s, b, 3)
        s.op("read", (2, 1)).op("check")
        out.append(s)
    # Writes and reads.
    s = S()
    for i in range(6):
        alloc(s, 100 + 300 * i, i)
    for i in range(6):
        s.op("write", (2, i), (1, i), (2, 50 * i))
        s.op("read", (2, i))
    out.append(s)
    # Reclaim: LRU order, failing evicts, retries, the whole pool, and a
    # pool without evict.
    for retries, mask, flags in ((1, 0, 0), (3, 0x0001, 0), (5, 0x0005, 1),
                                 (8, 0xffff, 0), (2, 0x0002, 2),
                                 (4, 0, 4), (4, 0x0003, 5), (0, 0, 0)):
        for cfg in (0, 1):
            s = S(cfg)
            for i in range(10):
                alloc(s, 1 + rnd.randrange(ZBUD_MAX), i)
            s.op("free", (2, 3)).op("write", (2, 0), (1, 9), (2, 10))
            s.op("reclaim", (1, retries), (2, mask), (1, flags))
            s.op("recall", (2, 0)).op("recall", (2, 1))
            s.op("reclaim", (1, 1), (2, 0), (1, 0))
            out.append(s)
    # Nested maps: at and over the limit, with work while held.
    for n, flags in ((3, 0), (8, 1), (9, 2), (10, 0x1f), (5, 4), (7, 0x3e)):
        s = S()
        for i in range(12):
            alloc(s, 1 + rnd.randrange(ZBUD_MAX), i)
        s.op("nested", (1, n - 1), (1, flags), (1, 3),
             *[(2, rnd.randrange(0x10000)) for _ in range(n)])
        out.append(s)
    # Misuse, every kind.
    for kind in range(9):
        s = S()
        alloc(s, 500)
        alloc(s, 3000, 2)
        s.op("free", (2, 1))
        for arg in (0, 5, 0x1234, 0xffff):
            s.op("misuse", (1, kind), (2, arg))
        out.append(s)
    # Fault injection: allocations needing a new page fail, others not.
    for after, count in ((0, 1), (2, 3), (5, 7)):
        s = S()
        s.op("inject", (1, after), (1, count))
        for i in range(10):
            alloc(s, 1 + rnd.randrange(ZBUD_MAX), i)
        s.op("fill", (1, 20), (1, K_CHUNK), (2, 7), (1, 1))
        s.op("inject", (1, 0), (1, 0)).op("check")
        out.append(s)
    # Arena compaction: more than one region's worth of pages, holes, then
    # compaction (and trim), reclaim and a check.
    for flags in (0, 1):
        s = S()
        for _ in range(5):
            s.op("fill", (1, 150), (1, 2), (2, 0), (1, 3))
        s.op("free_many", (1, 0), (1, 1))
        s.op("free_many", (1, 3), (1, 0))
        s.op("arena_compact", (1, flags))
        s.op("reclaim", (1, 3), (2, 0), (1, 0))
        s.op("nested", (1, 2), (1, 4), (1, 1), (2, 1), (2, 7), (2, 100))
        s.op("check")
        out.append(s)
    # Recreate with and without freeing first.
    for flags in (0, 1):
        s = S()
        for i in range(5):
            alloc(s, 64 * (i + 1), i)
        s.op("recreate", (1, flags ^ 1), (1, flags))
        alloc(s, 10)
        s.op("reclaim", (1, 2), (2, 0), (1, 0))
        out.append(s)
    # Random mixes of the ops the first seeds knew (kept as they were, so
    # regenerating leaves these files alone; the white-box ops have their
    # own mixes below).
    names = sorted(n for n in ops if n not in WHITE_BOX_OPS + LATER_OPS)
    for _ in range(24):
        s = S(rnd.randrange(2))
        for _ in range(rnd.randrange(10, 40)):
            name = rnd.choice(names)
            if name in ("fill",):
                s.op(name, (1, rnd.randrange(30)), (1, rnd.randrange(8)),
                     (2, rnd.randrange(0x10000)), (1, rnd.randrange(256)))
            elif name == "recreate":
                continue
            else:
                s.op("alloc", (1, rnd.randrange(8)),
                     (2, rnd.randrange(0x10000)), (1, rnd.randrange(256)))
                s.b += u8(ops[name])
                s.b += bytes(rnd.randrange(256) for _ in range(6))
        out.append(s)
    out += zbud_white_box_seeds(ops, S, alloc)
    return out


# zbud ops added with zs/zbud_internal.h (fuzz/zbud_fuzz/zbud_corrupt.c,
# zbud_host_fault.c, zbud_page_move.c; pools in zbud_arena.c).
WHITE_BOX_OPS = ("corrupt", "host_fault", "page_move", "pools")
# Ops added after the random mixes were made: scenarios only, so the mixes
# (and the corpus files they made) stay as they are.
LATER_OPS = ("fatal", "forge")
ZB_CORRUPTION_KINDS = 29  # enum zb_corruption_kind
ZB_MAPS = 8


def zbud_white_box_seeds(ops, S, alloc):
    rnd = random.Random(0x2b0dc0)
    out = []

    def varied(s):
        """Pages of every shape the corruptions need: two buddied pages,
        two one-buddy pages on one unbuddied list, two more on another,
        free handle slots and free descriptor indexes."""
        for size in (1000, 1000, 3000, 3000, 2000, 2000, 3968, 3968):
            alloc(s, size)
        s.op("free", (2, 6)).op("free", (2, 6))
        alloc(s, 1000)
        alloc(s, 1000)
        alloc(s, 3968)
        alloc(s, 3968)
        alloc(s, 3968)
        s.op("free", (2, 8)).op("free", (2, 8)).op("free", (2, 8))
        return s

    # Every corruption kind, each with arguments that pick its variants
    # (the low bits) and its targets (the high bits); the last kinds past
    # the table are no-ops.
    for kind in range(32):
        s = varied(S())
        for arg in (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
                    0x13, 0x2f, 0x155, 0xab7, 0x1234, 0xffff):
            s.op("corrupt", (1, kind), (2, arg))
        s.op("check")
        out.append(s)
    # Corruptions of an empty pool, a one-page pool and a pool without
    # evict: most kinds find no target there.
    for cfg, n in ((0, 0), (1, 1), (0, 3)):
        s = S(cfg)
        for i in range(n):
            alloc(s, 500 + 1500 * i, i)
        for kind in range(ZB_CORRUPTION_KINDS):
            s.op("corrupt", (1, kind), (2, rnd.randrange(0x10000)))
        out.append(s)
    # Host allocation failures on a fresh pool's first allocation: the
    # handle slot table, the descriptor table and its free stack, the
    # descriptor, the arena's region (its table entry, then its mmap), in
    # that order; then the same for second pools.
    for after in range(8):
        for flags in (0, 1, 2, 5):
            s = S()
            s.op("host_fault", (1, after), (1, 0), (1, 3), (1, ZB_UNIFORM),
                 (2, 3000), (1, after), (1, flags))
            alloc(s, 100)
            s.op("check")
            out.append(s)
    # Table growth under host failures: the slot table at 256 handles and
    # the descriptor table at 64 and 128 pages.
    for after in range(6):
        for count in (0, 2):
            s = S()
            s.op("fill", (1, 250), (1, 1), (2, 0), (1, 1))
            s.op("host_fault", (1, after), (1, count), (1, 12), (1, 1),
                 (2, 7), (1, 3), (1, 0))
            out.append(s)
        s = S()
        s.op("fill", (1, 63), (1, 2), (2, 0), (1, 1))
        s.op("host_fault", (1, after), (1, 0), (1, 4), (1, 2), (2, 0),
             (1, 2), (1, 0))
        out.append(s)
    # A second arena region under host failures (the first holds 512
    # pages), then arena compaction with its own allocation failing.
    for after in range(4):
        s = S()
        for _ in range(4):
            s.op("fill", (1, 128), (1, 2), (2, 0), (1, 3))
        s.op("host_fault", (1, after), (1, 1), (1, 6), (1, 2), (2, 1),
             (1, 4), (1, 0))
        s.op("free_many", (1, 0), (1, 1))
        s.op("host_fault", (1, after), (1, 0), (1, 0), (1, 0), (2, 0),
             (1, 0), (1, 4))
        s.op("check")
        out.append(s)
    # Page moves step by step: every kind of work while isolated, migrate
    # or putback, refused callbacks first, isolate while mapped.
    for how in range(8):
        for flags in (0, 1, 2, 4, 7):
            s = S()
            for size in (1000, 1000, 3000, 2000, 500):
                alloc(s, size)
            for sel in (0, 2, 4):
                s.op("page_move", (2, sel), (1, how | (sel << 3)),
                     (1, flags))
            s.op("verify_all").op("check")
            out.append(s)
    # ... and with several arena regions, so arena compaction runs (and
    # must leave the isolated page alone), and with page faults armed.
    for how, flags in ((6, 0), (6, 4), (0, 0), (3, 0), (4, 1)):
        s = S()
        for _ in range(5):
            s.op("fill", (1, 150), (1, 2), (2, 0), (1, 3))
        s.op("free_many", (1, 0), (1, 1))
        s.op("free_many", (1, 3), (1, 0))
        s.op("page_move", (2, 5), (1, how), (1, flags))
        s.op("inject", (1, 0), (1, 1))
        s.op("page_move", (2, 9), (1, how), (1, flags))
        out.append(s)
    # Second pools up to the arena's owner limit, and a pool destroyed
    # with maps held.
    for n, flags in ((1025, 0), (1025, 3), (1023, 2), (5, 1), (0, 1)):
        s = S()
        alloc(s, 300)
        s.op("pools", (2, n), (1, flags))
        alloc(s, 300)
        out.append(s)
    # Random mixes with the white-box ops.
    names = sorted(n for n in ops if n != "recreate" and n not in LATER_OPS)
    for _ in range(16):
        s = S(rnd.randrange(2))
        for _ in range(rnd.randrange(10, 40)):
            name = rnd.choice(names + list(WHITE_BOX_OPS) * 2)
            if name == "pools":
                s.op("pools", (2, rnd.choice((3, 1030))),
                     (1, rnd.randrange(4)))
                continue
            s.op("alloc", (1, rnd.randrange(8)),
                 (2, rnd.randrange(0x10000)), (1, rnd.randrange(256)))
            s.b += u8(ops[name])
            s.b += bytes(rnd.randrange(256) for _ in range(8))
        out.append(s)
    # Death tests: unmapping an object whose slot lost its map count, with
    # one slot or every slot cleared, from each of several objects.
    for how in (0, 1):
        s = S()
        for i in range(6):
            alloc(s, 100 + 700 * i, i)
        for sel in (0, 1, 5, 0x1234):
            s.op("fatal", (2, sel), (1, how))
        s.op("free", (2, 0))
        s.op("fatal", (2, 3), (1, how))
        out.append(s)
    s = S()
    s.op("fatal", (2, 0), (1, 0))  # no object: nothing to map
    out.append(s)
    out += forge_seeds(S, alloc)
    return out


def forge_seeds(S, alloc):
    """Forged handles: every bit of live handles flipped, pairs of bits,
    stale handles (one whose slot was given out again), a second pool's
    handle, values from the input, an empty pool."""
    out = []
    s = S()
    for i in range(24):
        alloc(s, 100 + 150 * i, i)
    s.op("free", (2, 3)).op("free", (2, 9))
    for bit in range(64):
        s.forge(FORGE_LIVE, bit * 5, (bit,))
    out.append(s)
    s = S()
    for i in range(16):
        alloc(s, 64 * (i + 1), i)
    for i in range(0, 16, 3):
        s.op("free", (2, i))
    alloc(s, 64)
    for i, pair in enumerate(((0, 1), (0, 32), (31, 32), (63, 0), (7, 40))):
        s.forge(FORGE_LIVE, i, pair).forge(FORGE_STALE, i, pair)
        s.forge(FORGE_STALE, i, (pair[0],)).forge(FORGE_STALE, i, keep=True)
    out.append(s)
    s = S()
    alloc(s, 500)
    for sel in (0, 0x155, 0xffff):
        s.forge(FORGE_OTHER, sel, keep=True).forge(FORGE_OTHER, sel, (1,))
        s.forge(FORGE_OTHER, sel, (0, 33))
    for v in (0, 1, 0xffffffffffffffff, 0x0123456789abcdef, 1 << 32):
        s.forge(FORGE_INPUT, value=v)
    out.append(s)
    s = S().forge(FORGE_LIVE, 0, (3,)).forge(FORGE_STALE, 0, (4,))
    s.forge(FORGE_OTHER, 9, keep=True)
    out.append(s)
    return out


def zpool_seeds(ops):
    rnd = random.Random(0x2b001)
    out = []

    def S(cfg=0):
        return Seq(ops, cfg)

    def alloc(s, size, seed=1):
        return s.op("alloc", (1, K_UNIFORM), (2, size - 1), (1, seed))

    for kind in range(8):
        s = S()
        for raw in (0, 1, 2, 3, 0x3f, 0x140, 0x2ff, 0xffff):
            s.op("alloc", (1, kind), (2, raw), (1, raw))
        s.op("verify_all")
        out.append(s)
    s = S()
    for i in range(8):
        alloc(s, 1 + 480 * i, i)
    for i in range(8):
        s.op("write", (2, i), (1, i), (2, 40 * i), (1, i & 1))
        s.op("read", (2, i), (1, i))
    out.append(s)
    # Shrinking: zsmalloc compacts, zbud evicts; failing evicts; without
    # ops; 0 pages.
    for pages, mask in ((1, 0), (4, 0), (19, 0), (3, 0x0001), (6, 0x5555),
                        (0, 0), (2, 0xffff)):
        for cfg in (0, 1):
            s = S(cfg)
            s.op("fill", (1, 60), (1, 6), (2, 11), (1, 1))
            s.op("free_many", (1, 1), (1, 0))
            s.op("shrink", (2, pages), (2, mask))
            s.op("compact")
            alloc(s, 300)
            out.append(s)
    for n, flags in ((3, 0), (8, 1), (9, 2), (10, 7), (5, 0x14), (8, 4)):
        s = S()
        for i in range(12):
            alloc(s, 1 + rnd.randrange(ZBUD_MAX), i)
        s.op("nested", (1, n - 1), (1, flags), (2, rnd.randrange(0x10000)),
             *[(2, rnd.randrange(0x10000)) for _ in range(n)])
        out.append(s)
    for kind in range(10):
        s = S()
        alloc(s, 500)
        alloc(s, 3000, 2)
        s.op("free", (2, 1))
        for arg in (0, 5, 8, 0x1234, 0xffff):
            s.op("misuse", (1, kind), (2, arg))
        out.append(s)
    for flags in (0, 1):
        s = S()
        for i in range(5):
            alloc(s, 64 * (i + 1), i)
        s.op("recreate", (1, 2 + flags), (1, flags))
        alloc(s, 10)
        s.op("shrink", (2, 1), (2, 0))
        out.append(s)
    # Creating pools while the host refuses memory, at every allocation of
    # the front end and both backends, with and without evict ops.
    for typ in range(8):
        s = S()
        alloc(s, 700)
        for after in range(12):
            s.op("host_fault", (1, typ), (1, after))
        s.op("verify_all")
        out.append(s)
    # The random mixes keep the ops they were made with, so the seeds
    # already in the corpus come out the same.
    names = sorted(n for n in ops
                   if n not in ("recreate", "host_fault", "forge"))
    for _ in range(24):
        s = S(rnd.randrange(4))
        for _ in range(rnd.randrange(10, 40)):
            s.op("alloc", (1, rnd.randrange(8)), (2, rnd.randrange(0x10000)),
                 (1, rnd.randrange(256)))
            s.b += u8(ops[rnd.choice(names)])
            s.b += bytes(rnd.randrange(256) for _ in range(6))
        out.append(s)
    out += forge_seeds(S, alloc)
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


def write_dict(ops, path, target, header):
    lines = ["# %s.dict - generated by tools/fuzz/gen_backend_corpus.py"
             % target, "# Opcodes (%s)." % header]
    for name, code in sorted(ops.items(), key=lambda kv: kv[1]):
        lines.append('op_%s="\\x%02x"' % (name, code))
    lines.append("# Sizes at chunk and object-size boundaries (u16 raw).")
    for v in (63, 64, 65, 1983, 1984, 1985, ZBUD_MAX - 1, ZBUD_MAX,
              ZBUD_MAX + 1, 4095, 4096, 4097):
        lines.append('size_%d="\\x%02x\\x%02x"' % (v, v & 0xff, v >> 8))
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--root", default=ROOT)
    ap.add_argument("-t", "--target", action="append",
                    help="only this target (repeatable; default: all)")
    a = ap.parse_args()
    targets = (
        ("zbud_fuzz", "ZB", "zbud_fuzz.h", zbud_seeds),
        ("zpool_fuzz", "ZP", "zpool_fuzz.h", zpool_seeds),
    )
    for target, prefix, header, gen in targets:
        if a.target and target not in a.target:
            continue
        hpath = os.path.join(a.root, "fuzz", target, header)
        ops = read_opcodes(hpath, prefix)
        n = write_corpus(gen(ops), os.path.join(a.root, "corpus", target))
        write_dict(ops, os.path.join(a.root, "fuzz", target,
                                     target + ".dict"), target,
                   "fuzz/%s/%s" % (target, header))
        print("%s: %d new seeds" % (target, n))


if __name__ == "__main__":
    main()
