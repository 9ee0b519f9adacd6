package dev.linuximage.core.initramfs.kmod;

import dev.linuximage.core.io.LittleEndian;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Reads what depmod reads from a kernel module: the {@code .modinfo} section (NUL-separated {@code key=value}
 * strings: {@code name}, {@code depends}, {@code alias}, {@code softdep}, {@code vermagic}, ...) and the exported
 * symbols ({@code __ksymtab_<symbol>} names in {@code .symtab}).
 *
 * <p>Only ELF64 little-endian relocatable objects are accepted (x86-64, arm64: the Azure architectures). Checks run
 * in order: magic, class, data encoding, version, type; section-header table bounds (offset + count * entsize within
 * the file, overflow-safe); the section-name string table index; each used section's bounds. Reference: the System V
 * gABI "ELF header" and "Sections" chapters.
 */
public final class ElfModule {
    private static final int SHT_SYMTAB = 2;
    private static final int SHT_NOBITS = 8;
    private static final int MAX_SECTIONS = 65_535;

    private final byte[] b;
    private final List<Section> sections = new ArrayList<>();

    record Section(String name, int type, long offset, long size, int link, long entsize) {}

    private ElfModule(byte[] b) throws KmodException {
        this.b = b;
        parse();
    }

    /** Parses the ELF headers of {@code elf} (already decompressed, see {@link ModuleFile#elf}). */
    public static ElfModule parse(byte[] elf) throws KmodException {
        return new ElfModule(elf);
    }

    private void parse() throws KmodException {
        if (b.length < 64) {
            throw new KmodException("elf.header", "file of " + b.length + " bytes is shorter than an ELF64 header");
        }
        if ((b[0] & 0xff) != 0x7f || b[1] != 'E' || b[2] != 'L' || b[3] != 'F') {
            throw new KmodException("elf.magic", "not an ELF file");
        }
        if (b[4] != 2) {
            throw new KmodException("elf.class", "EI_CLASS " + b[4] + " is not ELFCLASS64 (2)");
        }
        if (b[5] != 1) {
            throw new KmodException("elf.data", "EI_DATA " + b[5] + " is not little-endian (1)");
        }
        if (b[6] != 1) {
            throw new KmodException("elf.version", "EI_VERSION " + b[6] + " is not 1");
        }
        int type = LittleEndian.u16(b, 16);
        if (type != 1) {
            throw new KmodException("elf.e_type", type + " is not ET_REL (1): not a kernel module");
        }
        long shoff = LittleEndian.i64(b, 0x28);
        int shentsize = LittleEndian.u16(b, 0x3a);
        int shnum = LittleEndian.u16(b, 0x3c);
        int shstrndx = LittleEndian.u16(b, 0x3e);
        if (shnum == 0 || shnum > MAX_SECTIONS) {
            throw new KmodException("elf.e_shnum", shnum + " sections (extended numbering is not supported)");
        }
        if (shentsize < 64) {
            throw new KmodException("elf.e_shentsize", shentsize + " is smaller than an Elf64_Shdr (64)");
        }
        if (shoff < 0 || shoff > b.length || (long) shnum * shentsize > b.length - shoff) {
            throw new KmodException(
                    "elf.e_shoff",
                    "section headers [" + shoff + ", +" + (long) shnum * shentsize + ") outside the file of " + b.length
                            + " bytes");
        }
        if (shstrndx >= shnum) {
            throw new KmodException("elf.e_shstrndx", shstrndx + " >= e_shnum " + shnum);
        }
        long[] nameOff = new long[shnum];
        List<long[]> raw = new ArrayList<>();
        for (int i = 0; i < shnum; i++) {
            int h = (int) (shoff + (long) i * shentsize);
            nameOff[i] = LittleEndian.u32(b, h);
            long[] r = {
                LittleEndian.u32(b, h + 4),
                LittleEndian.i64(b, h + 24),
                LittleEndian.i64(b, h + 32),
                LittleEndian.u32(b, h + 40),
                LittleEndian.i64(b, h + 56)
            };
            raw.add(r);
        }
        long[] strtab = raw.get(shstrndx);
        checkBounds(strtab[1], strtab[2], "elf.shstrtab");
        for (int i = 0; i < shnum; i++) {
            long[] r = raw.get(i);
            String name = cString(strtab[1], strtab[2], nameOff[i], "elf.sh_name");
            sections.add(new Section(name, (int) r[0], r[1], r[2], (int) r[3], r[4]));
        }
    }

    /**
     * The {@code .modinfo} entries in file order: key to values (a key such as {@code alias} may repeat).
     * Empty if the module has no {@code .modinfo} section.
     */
    public Map<String, List<String>> modinfo() throws KmodException {
        Map<String, List<String>> out = new LinkedHashMap<>();
        for (Section s : sections) {
            if (!s.name().equals(".modinfo") || s.type() == SHT_NOBITS) {
                continue;
            }
            checkBounds(s.offset(), s.size(), "elf.modinfo");
            int start = (int) s.offset();
            int end = (int) (s.offset() + s.size());
            int p = start;
            while (p < end) {
                int q = p;
                while (q < end && b[q] != 0) {
                    q++;
                }
                if (q > p) {
                    String kv = new String(b, p, q - p, StandardCharsets.UTF_8);
                    int eq = kv.indexOf('=');
                    if (eq > 0) {
                        out.computeIfAbsent(kv.substring(0, eq), k -> new ArrayList<>())
                                .add(kv.substring(eq + 1));
                    }
                }
                p = q + 1;
            }
        }
        return out;
    }

    /** The first value of {@code key} in {@code .modinfo}, or null. */
    public String modinfo(String key) throws KmodException {
        List<String> v = modinfo().get(key);
        return v == null || v.isEmpty() ? null : v.get(0);
    }

    /** Names of the symbols this module exports (from {@code __ksymtab_<name>} symbols), sorted. */
    public TreeSet<String> exportedSymbols() throws KmodException {
        TreeSet<String> out = new TreeSet<>();
        for (Section s : sections) {
            if (s.type() != SHT_SYMTAB) {
                continue;
            }
            if (s.entsize() != 24) {
                throw new KmodException("elf.symtab.sh_entsize", s.entsize() + " is not sizeof(Elf64_Sym) (24)");
            }
            checkBounds(s.offset(), s.size(), "elf.symtab");
            if (s.link() < 0 || s.link() >= sections.size()) {
                throw new KmodException("elf.symtab.sh_link", s.link() + " is not a section index");
            }
            Section str = sections.get(s.link());
            checkBounds(str.offset(), str.size(), "elf.strtab");
            long n = s.size() / 24;
            for (long i = 0; i < n; i++) {
                int e = (int) (s.offset() + i * 24);
                long nameOff = LittleEndian.u32(b, e);
                String name = cString(str.offset(), str.size(), nameOff, "elf.st_name");
                if (name.startsWith("__ksymtab_") && !name.equals("__ksymtab_strings")) {
                    out.add(name.substring("__ksymtab_".length()));
                }
            }
        }
        return out;
    }

    private void checkBounds(long off, long size, String field) throws KmodException {
        if (off < 0 || size < 0 || off > b.length || size > b.length - off) {
            throw new KmodException(
                    field, "section [" + off + ", +" + size + ") outside the file of " + b.length + " bytes");
        }
    }

    private String cString(long tabOff, long tabSize, long at, String field) throws KmodException {
        if (at < 0 || at >= tabSize) {
            if (at == 0 && tabSize == 0) {
                return "";
            }
            throw new KmodException(field, "string offset " + at + " outside the table of " + tabSize + " bytes");
        }
        int start = (int) (tabOff + at);
        int end = (int) (tabOff + tabSize);
        int p = start;
        while (p < end && b[p] != 0) {
            p++;
        }
        if (p >= end) {
            throw new KmodException(field, "unterminated string at " + at);
        }
        return new String(b, start, p - start, StandardCharsets.UTF_8);
    }
}
