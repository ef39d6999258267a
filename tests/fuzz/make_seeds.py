#!/usr/bin/env python3
"""Write the synthetic seed inputs of the fuzz targets (tests/fuzz/corpus/).

The committed seeds came from here; run it again after changing an input
format:  python3 tests/fuzz/make_seeds.py [CORPUS_DIR]
Regression inputs (files named crash-*) are kept by hand, not written here.
"""
import os
import struct
import sys

MIB = 1 << 20


def bzimage(version=0x020F, xloadflags=1, setup_sects=1, code=b"\xf4" * 64,
            init_size=2 * MIB, pref=16 * MIB, relocatable=1, cmdline_size=255,
            initrd_max=0x7FFFFFFF):
    """A bzImage: setup sectors with a boot protocol header, then code."""
    setup = bytearray((setup_sects + 1) * 512)
    code = code + b"\0" * (-len(code) % 16)
    struct.pack_into("<BHI", setup, 0x1F1, setup_sects, 0, len(code) // 16)
    struct.pack_into("<H", setup, 0x1FE, 0xAA55)
    setup[0x200:0x202] = b"\xeb\x6a"  # jump over the header: it ends at 0x26c
    setup[0x202:0x206] = b"HdrS"
    struct.pack_into("<H", setup, 0x206, version)
    struct.pack_into("<I", setup, 0x22C, initrd_max)
    struct.pack_into("<I", setup, 0x230, 2 * MIB)  # kernel_alignment
    setup[0x234] = relocatable
    struct.pack_into("<H", setup, 0x236, xloadflags)
    struct.pack_into("<I", setup, 0x238, cmdline_size)
    struct.pack_into("<Q", setup, 0x258, pref)
    struct.pack_into("<I", setup, 0x260, init_size)
    return bytes(setup) + code


def pvh_note(entry, descsz=4):
    desc = struct.pack("<I" if descsz == 4 else "<Q", entry)
    return struct.pack("<III", 4, descsz, 18) + b"Xen\0" + desc


def elf(cls64=True, paddr=MIB, code=b"\xf4" * 32, memsz=None, entry_off=0, note=True):
    """An ELF vmlinux: one PT_LOAD and one PT_NOTE with the PVH entry."""
    memsz = memsz or len(code)
    ehsize, phentsize = (64, 56) if cls64 else (52, 32)
    phoff = ehsize
    notes = pvh_note(paddr + entry_off) if note else b"\0" * 12
    note_off = phoff + 2 * phentsize
    code_off = note_off + len(notes)
    ident = b"\x7fELF" + bytes([2 if cls64 else 1, 1, 1]) + b"\0" * 9
    if cls64:
        eh = ident + struct.pack("<HHIQQQIHHHHHH", 2, 62, 1, paddr, phoff, 0, 0,
                                 ehsize, phentsize, 2, 0, 0, 0)
        ph = struct.pack("<IIQQQQQQ", 1, 7, code_off, paddr, paddr, len(code), memsz, 16)
        ph += struct.pack("<IIQQQQQQ", 4, 4, note_off, 0, 0, len(notes), len(notes), 4)
    else:
        eh = ident + struct.pack("<HHIIIIIHHHHHH", 2, 3, 1, paddr, phoff, 0, 0,
                                 ehsize, phentsize, 2, 0, 0, 0)
        ph = struct.pack("<IIIIIIII", 1, code_off, paddr, paddr, len(code), memsz, 7, 16)
        ph += struct.pack("<IIIIIIII", 4, note_off, 0, 0, len(notes), len(notes), 4, 4)
    return eh + ph + notes + code


def boot_wrap(kernel, flags=0, ram=0xFF, cmdline=b"", initrd=b""):
    """fuzz_boot's optional header: VTFB, flags, RAM, cmdline and initrd lengths."""
    return (b"VTFB" + struct.pack("<BBHI", flags, ram, len(cmdline), len(initrd))
            + cmdline + initrd + kernel)


def boot_seeds():
    cmd = b"console=ttyS0 quiet"
    return {
        "bzimage-min": bzimage(),
        "bzimage-old-protocol": bzimage(version=0x020B),
        "bzimage-no-64bit": bzimage(xloadflags=0),
        "bzimage-fixed": bzimage(relocatable=0, pref=MIB),
        "bzimage-initrd-cmdline": boot_wrap(bzimage(), 0x03 | 0x10, 0x5F, cmd, b"INITRD" * 50),
        "bzimage-fb-highmem": boot_wrap(bzimage(pref=0), 0x0C | 0x02, 0x17, b"x" * 200),
        "bzimage-small-ram": boot_wrap(bzimage(init_size=8 * MIB), 0x01, 0x07, b"", b"i"),
        "elf64-pvh": elf(),
        "elf64-pvh-initrd": boot_wrap(elf(memsz=4096, entry_off=16), 0x03, 0xFF, cmd,
                                      b"\x07" * 4000),
        "elf32-pvh": elf(cls64=False),
        "elf64-no-note": elf(note=False),
        "elf64-low": elf(paddr=0x8000),
        "garbage": b"MZ this is not a kernel\n",
    }


# --- fuzz_control: byte 0 picks how the stream is split into writes -------

def control_seeds():
    def s(first, *lines):
        return bytes([first]) + b"".join(l + b"\n" for l in lines)
    return {
        "echo": s(0x00, b'{"cmd":"echo","id":1,"text":"hi"}'),
        "all-commands": s(0x13, b'{"cmd":"help","id":"a"}', b'{"cmd":"fail","id":2}',
                          b'{"cmd":"subscribe","id":3}', b'{"cmd":"emit","id":4,"n":3}',
                          b'{"cmd":"after","id":5}', b'{"cmd":"big","id":6,"size":20000}',
                          b'{"cmd":"echo","id":[1,{"x":null}],"a":1.5e300}'),
        "bad-json": s(0x25, b"{", b"[1,2]", b'{"cmd":1}', b'{"cmd":"nope"}', b"  \r",
                      b'{"cmd":"echo"} x', b'{"cmd":"echo"}\0', b"\xff\xfe",
                      b'{"cmd":"echo","id":"\\ud800"}'),
        "partial": bytes([0x31]) + b'{"cmd":"echo","id":1}\n{"cmd":"ech',
        "oversize": bytes([0x80 | 0x07]) + b'{"cmd":"echo","id":7}\n',
    }


# --- fuzz_platform_io: a program of guest accesses (see fuzz_platform_io.c) --

def pio(port, size, value, write=True):
    return struct.pack("<BBHI", 0, (size & 3) | (0x80 if write else 0), port, value)


def mmio(region, off, size, value, write=True):
    return struct.pack("<BBHQ", 1, (region << 2) | (size & 3) | (0x80 if write else 0),
                       off, value)


def ram(off, data):
    return struct.pack("<BHB", 2, off, len(data)) + data


def host(what, arg=0):
    return struct.pack("<BBB", 3, what, arg)


def platform_seeds():
    com = 0x3F8
    uart = (pio(com + 3, 0, 0x80) + pio(com, 0, 1) + pio(com + 1, 0, 0) + pio(com + 3, 0, 3)
            + pio(com + 1, 0, 0x0F) + pio(com + 2, 0, 0xC7) + pio(com + 4, 0, 0x0B)
            + b"".join(pio(com, 0, c) for c in b"hello\n") + host(0, ord("x"))
            + pio(com + 2, 0, 0, False) + pio(com + 5, 0, 0, False) + pio(com, 0, 0, False)
            + pio(com + 4, 0, 0x10) + pio(com, 0, 0x41) + pio(com, 0, 0, False)
            + pio(com + 7, 0, 0x5A) + pio(com + 7, 0, 0, False) + pio(com + 6, 0, 0, False))
    kbd = (pio(0x64, 0, 0xAA) + pio(0x60, 0, 0, False) + pio(0x64, 0, 0x20)
           + pio(0x60, 0, 0, False) + pio(0x64, 0, 0x60) + pio(0x60, 0, 0x47)
           + pio(0x60, 0, 0xFF) + pio(0x60, 0, 0, False) + pio(0x60, 0, 0, False)
           + pio(0x60, 0, 0xF4) + host(1, 0x1E) + pio(0x64, 0, 0, False)
           + pio(0x60, 0, 0, False) + pio(0x64, 0, 0xA8) + pio(0x64, 0, 0xD4)
           + pio(0x60, 0, 0xF4) + host(2, 0x15) + pio(0x60, 0, 0, False)
           + pio(0x64, 0, 0xD4) + pio(0x60, 0, 0xF3) + pio(0x64, 0, 0xD4)
           + pio(0x60, 0, 200) + host(3) + pio(0x64, 0, 0xD1) + pio(0x60, 0, 0xDE)
           + pio(0x64, 0, 0xFE))
    acpi = (pio(0x600, 0, 0x20 | (3 << 2)) + pio(0x601, 0, 0, False) + pio(0x601, 0, 0x80)
            + pio(0x600, 0, 0x20 | (5 << 2)) + host(4) + pio(0xCF9, 0, 0x02)
            + pio(0xCF9, 0, 0x06) + pio(0xCF9, 0, 0, False))
    # PCI: scan slot 0..2 through 0xCF8/0xCFC and ECAM, size a BAR.
    pci = b""
    for slot in range(3):
        pci += pio(0xCF8, 2, 0x80000000 | slot << 11) + pio(0xCFC, 2, 0, False)
        pci += mmio(1, slot << 11 & 0xFFFF, 2, 0, False)
    pci += (pio(0xCF8, 2, 0x80000810) + pio(0xCFC, 2, 0xFFFFFFFF) + pio(0xCFC, 2, 0, False)
            + pio(0xCFC, 2, 0xC0000000) + pio(0xCF8, 2, 0x80000804) + pio(0xCFC, 1, 0x6)
            + pio(0xCFE, 0, 0, False) + pio(0xCF8, 2, 0x80000834) + pio(0xCFC, 0, 0, False))
    # virtio-rng: reset, features, queue 0 at 0x1000/0x2000/0x3000, one
    # 64-byte writable buffer, notify.
    rng = (mmio(2, 0x14, 0, 0) + mmio(2, 0x14, 0, 3) + mmio(2, 0x08, 2, 1)
           + mmio(2, 0x0C, 2, 1) + mmio(2, 0x14, 0, 11) + mmio(2, 0x16, 1, 0)
           + mmio(2, 0x18, 1, 8) + mmio(2, 0x20, 3, 0x1000) + mmio(2, 0x28, 3, 0x2000)
           + mmio(2, 0x30, 3, 0x3000) + mmio(2, 0x1A, 1, 0) + mmio(2, 0x10, 1, 1)
           + mmio(2, 0x1C, 1, 1) + mmio(2, 0x14, 0, 15)
           + pio(0xCF8, 2, 0x80000800 | 0x40) + pio(0xCFC, 2, 0, False)
           + ram(0x1000, struct.pack("<QIHH", 0x4000, 64, 2, 0))
           + ram(0x2000, struct.pack("<HHH", 0, 1, 0))
           + mmio(2, 0x3000, 1, 0) + mmio(2, 0x1000, 0, 0, False)
           + mmio(3, 0x0, 2, 0xFEE00000) + mmio(3, 0x8, 2, 0x41) + mmio(3, 0xC, 2, 0)
           + mmio(3, 0x800, 3, 0, False))
    return {"uart": uart, "i8042": kbd, "acpi-pm": acpi, "pci-scan": pci, "virtio-rng": rng,
            "everything": uart + kbd + pci + rng + acpi}

# --- fuzz_switch: steps of 1 op byte (mod 6) and 4 argument bytes ---------
def sw_add():
    return b"\x00"


def sw_remove(port):
    return bytes([1, port, 0, 0, 0])


def sw_frame(port, dst, src, length=20):
    """dst/src: 0-127 a station, 128-254 a multicast group, 255 broadcast."""
    return bytes([2, port, dst, src, length])


def sw_clock(delta, unit):
    """unit 0 ms, 1 s, 2 min, 3 the aging time (+0..2 ms)."""
    return bytes([3]) + struct.pack("<HBB", delta, unit, 0)


def sw_burst(port, base, count):
    """count broadcasts from new stations (the fuzz build's table has 64)."""
    return bytes([4]) + struct.pack("<BHB", port, base, count)


def sw_query(port, most=32):
    return bytes([5, port, most, 0, 0])


def switch_seeds():
    three = sw_add() * 3
    learn = (three + sw_frame(0, 255, 1) + sw_frame(1, 1, 2) + sw_frame(0, 2, 1)
             + sw_frame(2, 1, 3) + sw_frame(1, 2, 2) + sw_query(0) + sw_query(1))
    aging = (three + sw_frame(0, 255, 1) + sw_frame(1, 255, 2) + sw_clock(0, 3)
             + sw_frame(2, 1, 3) + sw_query(0) + sw_clock(1000, 1) + sw_frame(1, 2, 2)
             + sw_clock(2, 3) + sw_frame(2, 2, 3) + sw_query(1))
    remove = (three + sw_frame(0, 255, 1) + sw_frame(1, 255, 2) + sw_frame(2, 255, 3)
              + sw_remove(1) + sw_frame(0, 2, 1) + sw_frame(1, 1, 2) + sw_add()
              + sw_frame(1, 255, 2) + sw_frame(0, 2, 1) + sw_query(1))
    bad = (three + sw_frame(0, 255, 1, 0) + sw_frame(0, 255, 1, 13) + sw_frame(0, 255, 1, 255)
           + sw_frame(0, 255, 1, 254) + sw_frame(0x90, 255, 1) + sw_frame(0x7f, 255, 2)
           + sw_remove(0xc4) + sw_remove(0x43) + sw_frame(0, 2, 1))
    full = (sw_add() * 2 + sw_frame(1, 255, 5) + sw_burst(0, 0, 100) + sw_frame(1, 5, 6)
            + sw_burst(0, 100, 20) + sw_query(0, 255) + sw_clock(60, 2)
            + sw_burst(1, 300, 80) + sw_query(1, 255))
    ports = sw_add() * 70 + sw_frame(0, 255, 1) + sw_frame(67, 1, 2) + sw_remove(5) + sw_add()
    group = (three + sw_frame(0, 0x80, 1) + sw_frame(1, 1, 0x81) + sw_frame(2, 0xff, 0xff)
             + sw_frame(0, 3, 3) + sw_query(0))
    return {"learn": learn, "aging": aging, "remove": remove, "bad-frames": bad,
            "full-table": full, "many-ports": ports, "multicast": group}


def main():
    top = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus")
    for name, seeds in (("boot", boot_seeds()), ("control", control_seeds()),
                        ("platform_io", platform_seeds()), ("switch", switch_seeds())):
        d = os.path.join(top, name)
        os.makedirs(d, exist_ok=True)
        for fname, data in seeds.items():
            with open(os.path.join(d, fname), "wb") as f:
                f.write(data)


if __name__ == "__main__":
    main()
