#!/usr/bin/env python3
"""Writes a fixed VHD test image: N MiB of data (sparse file) + a valid 512-byte footer.
usage: mkvhd.py OUT MIB FRACTION SEED [MAXEXTENT_KIB]   (FRACTION 1.0 = fully random data)
Random data is written as extents of 4 KiB .. MAXEXTENT_KIB (default 256 KiB, like a used file system's files)
at random 4 KiB-aligned offsets.
Prints the number of non-zero bytes (512-byte pages with any non-zero byte, footer included)."""
import os, random, struct, sys

out, mib, frac, seed = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
max_pages = int(sys.argv[5]) // 4 if len(sys.argv) > 5 else 64
size = mib * 1024 * 1024
rnd = random.Random(seed)
with open(out, "wb") as f:
    f.truncate(size + 512)
    if frac >= 1.0:
        f.seek(0)
        left = size
        while left:
            n = min(left, 8 << 20)
            f.write(os.urandom(n))
            left -= n
    else:
        target, have = int(size * frac), 0
        while have < target:
            ln = 4096 * rnd.randint(1, max_pages)
            off = 4096 * rnd.randrange((size - ln) // 4096)
            f.seek(off)
            f.write(rnd.randbytes(ln))
            have += ln
    # footer: conectix, fixed disk (VHD spec "Hard Disk Footer Format", big-endian)
    ft = bytearray(512)
    ft[0:8] = b"conectix"
    struct.pack_into(">IIqI4sII", ft, 8, 2, 0x00010000, -1, 0, b"qemu", 0x00050003, 0x5769326B)
    struct.pack_into(">qqIII", ft, 40, size, size, 0xFFFF10FF, 2, 0)
    ft[68:84] = rnd.randbytes(16)
    struct.pack_into(">I", ft, 64, (~sum(ft)) & 0xFFFFFFFF)
    f.seek(size)
    f.write(ft)

zero = bytes(512)
nz = 0
with open(out, "rb") as f:
    while True:
        b = f.read(8 << 20)
        if not b:
            break
        if b.count(0) == len(b):
            continue
        mv = memoryview(b)
        for p in range(0, len(b), 512):
            if mv[p:p + 512] != zero:
                nz += 512
print(nz)
