#!/usr/bin/env python3
"""Recipe of the tiny hand-made seed inputs of FormatFuzzTest (run from this directory; deterministic).
Each seed is a minimal well-formed container of a few KiB, plus a truncated or corrupted variant."""
import io, os, random, struct, tarfile, zlib

random.seed(1)
def rnd(n): return bytes(random.getrandbits(8) for _ in range(n))
def put(method, name, data):
    os.makedirs(method, exist_ok=True)
    with open(os.path.join(method, name), 'wb') as f: f.write(data)

# qcow2, cluster_bits 9: header | L1 @512 | refcount table @1024 | L2 @1536 | data @2048 | zlib cluster @2560
def qcow2(version, compressed=True):
    cb, cs = 9, 512
    size = 32 * 1024
    h = bytearray(cs)
    struct.pack_into('>IIQIIQIIQQIIQ', h, 0, 0x514649fb, version, 0, 0, cb, size, 0, 1, 512, 1024, 1, 0, 0)
    if version == 3:
        struct.pack_into('>QQQII', h, 72, 0, 0, 0, 4, 104)
    l1 = bytearray(cs); struct.pack_into('>Q', l1, 0, (1 << 63) | 1536)
    rt = bytearray(cs)
    l2 = bytearray(cs)
    struct.pack_into('>Q', l2, 0, (1 << 63) | 2048)
    comp = zlib.compressobj(9, zlib.DEFLATED, -12)
    c = comp.compress(b'\x07' * cs) + comp.flush()
    x = 62 - (cb - 8)
    sectors = (len(c) + 511) // 512
    if compressed:
        struct.pack_into('>Q', l2, 16, (1 << 62) | ((sectors - 1) << x) | 2560)
    if version == 3:
        struct.pack_into('>Q', l2, 8, 1)  # zero cluster
    data = rnd(cs)
    return bytes(h + l1 + rt + l2 + data + c.ljust(512, b'\0'))
put('qcow2', 'v2', qcow2(2))
put('qcow2', 'v3', qcow2(3))
put('qcow2', 'truncated', qcow2(3)[:80])

# VHD
def vhd_footer(size, disk_type, data_offset):
    f = bytearray(512)
    struct.pack_into('>8sIIQI4sIIQQIII', f, 0, b'conectix', 2, 0x10000, data_offset, 0, b'limg', 0x10000,
                     0x5769326B, size, size, (65535 << 16) | (16 << 8) | 255, disk_type, 0)
    s = (~sum(f)) & 0xffffffff
    struct.pack_into('>I', f, 64, s)
    return bytes(f)
put('vhd', 'fixed', rnd(4096) + vhd_footer(4096, 2, 0xffffffffffffffff))
def dyn_vhd():
    bs = 4096
    foot = vhd_footer(8192, 3, 512)
    hd = bytearray(1024)
    struct.pack_into('>8sQQIII', hd, 0, b'cxsparse', 0xffffffffffffffff, 1536, 0x10000, 2, bs)
    s = (~sum(hd)) & 0xffffffff
    struct.pack_into('>I', hd, 36, s)
    bat = bytearray(b'\xff' * 512)
    struct.pack_into('>I', bat, 0, 4)  # block 0 at sector 4
    bitmap = b'\xf0' + b'\0' * 511
    return foot + bytes(hd) + bytes(bat) + bitmap + rnd(bs) + foot
put('vhd', 'dynamic', dyn_vhd())

# VDI 1.1: header (0x200) | block map @0x200 | data @0x400, 1 KiB blocks
def vdi():
    h = bytearray(0x200)
    h[0:40] = b'<<< Oracle VM VirtualBox Disk Image >>>\n'
    struct.pack_into('<IIII', h, 0x40, 0xBEDA107F, 0x00010001, 0x190, 1)
    struct.pack_into('<II', h, 0x154, 0x200, 0x400)
    struct.pack_into('<I', h, 0x168, 512)
    struct.pack_into('<QIIII', h, 0x170, 3072, 1024, 0, 3, 1)
    m = bytearray(b'\xff' * 0x200)
    struct.pack_into('<III', m, 0, 0, 0xFFFFFFFF, 0xFFFFFFFE)
    return bytes(h + m) + rnd(1024)
put('vdi', 'dynamic', vdi())

# VMDK hosted sparse: header | GD @sector 1 | GT @sectors 2-5 | grain (1 sector) @sector 6
def vmdk(stream=False):
    h = bytearray(512)
    flags = 3 | ((1 << 16) | (1 << 17) if stream else 0)
    struct.pack_into('<IIIQQQQIQQQB4sH', h, 0, 0x564d444b, 3 if stream else 1, flags, 128, 1, 0, 0, 512, 0, 1, 7,
                     0, b'\n \r\n', 1 if stream else 0)
    gd = bytearray(512); struct.pack_into('<I', gd, 0, 2)
    gt = bytearray(2048); struct.pack_into('<II', gt, 0, 6, 1)
    if stream:
        c = zlib.compress(b'\x05' * 512)
        grain = (struct.pack('<QI', 0, len(c)) + c).ljust(512, b'\0')
    else:
        grain = rnd(512)
    return bytes(h + gd + gt) + grain
put('vmdk', 'sparse', vmdk())
put('vmdk', 'stream', vmdk(True))
put('vmdk', 'descriptor', b'# Disk DescriptorFile\nversion=1\nCID=fffffffe\nparentCID=ffffffff\n'
    b'createType="monolithicFlat"\nRW 8 FLAT "x-flat.vmdk" 0\n')

put('vhdx', 'truncated', b'vhdxfile' + b'\0' * 1016)

# OVA: tar of an .ovf naming the sparse VMDK seed, plus a manifest
def ova():
    disk = vmdk(True)
    ovf = (b'<?xml version="1.0"?><Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" '
           b'xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1"><References><File ovf:id="f" ovf:href="d.vmdk"/>'
           b'</References><DiskSection><Disk ovf:diskId="d" ovf:fileRef="f" ovf:capacity="65536"/></DiskSection>'
           b'</Envelope>')
    import hashlib
    mf = ('SHA256(t.ovf)= %s\nSHA256(d.vmdk)= %s\n' % (hashlib.sha256(ovf).hexdigest(),
                                                       hashlib.sha256(disk).hexdigest())).encode()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode='w', format=tarfile.USTAR_FORMAT) as t:
        for name, data in (('t.ovf', ovf), ('t.mf', mf), ('d.vmdk', disk)):
            ti = tarfile.TarInfo(name); ti.size = len(data); ti.mtime = 0
            t.addfile(ti, io.BytesIO(data))
    return buf.getvalue()
put('ova', 'ova', ova())
