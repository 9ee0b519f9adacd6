package dev.linuximage.core.initramfs;

import dev.linuximage.core.fs.GuestFiles;
import dev.linuximage.core.initramfs.kmod.ModuleFile;
import dev.linuximage.core.initramfs.kmod.ModuleIndexes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The kernels installed in a guest, found through {@link GuestFiles}: {@code /boot/vmlinuz-<name>} (paired with
 * its modules by the release embedded in the image) and the directories of {@code /lib/modules} and
 * {@code /usr/lib/modules}; for each, its module directory, its built-in
 * modules ({@code modules.builtin} lists paths such as {@code kernel/drivers/hv/hv_vmbus.ko}) and its initramfs
 * ({@code /boot/initrd.img-<v>} on Debian/Ubuntu, {@code /boot/initramfs-<v>.img} on Red Hat-family/dracut,
 * {@code /boot/initrd-<v>} on SUSE, {@code /boot/initramfs-<name>} on Alpine).
 */
public final class KernelInventory {
    static final int MAX_WALK = 200_000;

    private KernelInventory() {}

    /**
     * One installed kernel.
     *
     * @param name       the boot image's name after {@code vmlinuz-} ({@code 6.1.0-26-amd64}, {@code linux},
     *                   {@code virt}, {@code 0-rescue-<machine-id>}); the release when the kernel has only a module
     *                   directory
     * @param version    the kernel release its modules are built for: the version string embedded in the image
     *                   when readable, else {@code name}
     * @param modulesDir guest path of {@code /lib/modules/<version>} (or {@code /usr/lib/...}); null when absent
     */
    public record Kernel(
            String name,
            String version,
            String vmlinuz,
            String modulesDir,
            String initramfs,
            List<String> earlierInitrds) {
        public Kernel {
            earlierInitrds = earlierInitrds == null ? List.of() : List.copyOf(earlierInitrds);
        }

        public Kernel(String name, String version, String vmlinuz, String modulesDir, String initramfs) {
            this(name, version, vmlinuz, modulesDir, initramfs, List.of());
        }
    }

    /**
     * Where a Boot Loader Specification {@code $BOOT} (the ESP or the XBOOTLDR partition) is mounted, in the order
     * {@code kernel-install}(8) and {@code bootctl} probe it: {@code /efi}, {@code /boot}, {@code /boot/efi}.
     */
    public static final List<String> BLS_ROOTS = List.of("/efi", "/boot", "/boot/efi");

    /** Most loader entries read per {@code $BOOT} (a hostile guest could hold millions). */
    static final int MAX_ENTRIES = 1024;
    /** Largest loader entry read (bytes); entries are a few lines. */
    static final long MAX_ENTRY = 64 << 10;

    /**
     * One Boot Loader Specification type #1 entry ({@code $BOOT/loader/entries/*.conf}) with the files it boots,
     * as guest paths.
     *
     * @param file    the entry's guest path
     * @param linux   the guest path of its {@code linux} image, or null when absent or not found
     * @param initrds the guest paths of its {@code initrd} images that exist, in the order the loader passes them
     * @param version the entry's {@code version} key, or null
     */
    public record BootEntry(String file, String linux, List<String> initrds, String version) {}

    /**
     * The type #1 boot entries of a guest (UAPI.1 Boot Loader Specification, "Type #1 Boot Loader Entries"): each
     * {@code linux} and {@code initrd} value is a path "relative to the root of the file system containing the
     * snippet" ({@code $BOOT}), so it is resolved under the mount point the entry was found under; {@code initrd}
     * "may appear more than once", all images used in the order listed. {@code kernel-install}'s
     * {@code 90-loaderentry.install} writes exactly that: {@code ENTRY_DIR_ABS=$BOOT_ROOT/$ENTRY_TOKEN/$KERNEL_VERSION}
     * holding {@code linux} and the initrds (Debian's {@code initrd.img-<kver>}, dracut's {@code initrd}), and the
     * entry {@code $BOOT_ROOT/loader/entries/$ENTRY_TOKEN-$KERNEL_VERSION.conf} naming them as
     * {@code /$ENTRY_TOKEN/$KERNEL_VERSION/...}. GRUB's BLS entries on a {@code /boot} that is not its own file
     * system name {@code /boot/vmlinuz-...} (Fedora's {@code 20-grub.install} uses {@code grub2-mkrelpath}): a path
     * not found under the mount point is tried from the guest root. GRUB variables ({@code $tuned_initrd}) are
     * skipped. Type #2 entries (unified kernel images, {@code uki}/{@code efi} keys, {@code EFI/Linux/*.efi}) carry
     * their initrd inside a signed PE file and are not listed.
     */
    public static List<BootEntry> bootEntries(GuestFiles g) throws IOException {
        List<BootEntry> out = new ArrayList<>();
        for (String root : BLS_ROOTS) {
            // a symlinked mount point (/efi -> boot/efi) names entries already listed under their real place
            if (g.lstat(root).filter(i -> i.type() == GuestFiles.Type.SYMLINK).isPresent()) {
                continue;
            }
            String dir = root + "/loader/entries";
            int n = 0;
            for (GuestFiles.DirEntry e : listIfDir(g, dir)) {
                if (!e.name().endsWith(".conf") || e.type() == GuestFiles.Type.DIRECTORY) {
                    continue;
                }
                if (++n > MAX_ENTRIES) {
                    break;
                }
                String file = dir + "/" + e.name();
                Optional<GuestFiles.FileInfo> st = g.stat(file);
                if (st.isEmpty()
                        || st.get().type() != GuestFiles.Type.FILE
                        || st.get().size() > MAX_ENTRY) {
                    continue;
                }
                String linux = null;
                String version = null;
                List<String> initrds = new ArrayList<>();
                for (String line : new String(g.read(file), StandardCharsets.UTF_8).split("\n")) {
                    String[] kv = line.strip().split("\\s+", 2);
                    if (kv.length < 2) {
                        continue;
                    }
                    switch (kv[0]) {
                        case "linux" -> linux = resolve(g, root, kv[1].strip());
                        case "version" -> version = kv[1].strip();
                        case "initrd" -> {
                            // one path per key in the spec; GRUB's blscfg also takes several on one line
                            for (String v : kv[1].strip().split("\\s+")) {
                                String p = resolve(g, root, v);
                                if (p != null) {
                                    initrds.add(p);
                                }
                            }
                        }
                        default -> {}
                    }
                }
                out.add(new BootEntry(file, linux, initrds, version));
            }
        }
        return out;
    }

    /** The guest path of a BLS path value under {@code root}, then from the guest root; null when not a file. */
    static String resolve(GuestFiles g, String root, String value) throws IOException {
        if (value.isEmpty() || value.startsWith("$") || value.length() > 4096) {
            return null;
        }
        String v = value.startsWith("/") ? value : "/" + value;
        for (String c : v.split("/")) {
            if (c.equals("..")) {
                return null; // never outside $BOOT
            }
        }
        for (String candidate : List.of(root + v, v)) {
            if (g.stat(candidate).filter(i -> i.type() == GuestFiles.Type.FILE).isPresent()) {
                return candidate;
            }
        }
        return null;
    }

    /**
     * What boots: {@link #scan} (each kernel's initramfs in {@code /boot}) plus, for every type #1 boot entry
     * ({@link #bootEntries}) whose initramfs is not one of those files (the ESP copies kernel-install makes for
     * systemd-boot), a kernel named by the entry's guest path whose {@code initramfs} is the entry's last initrd (the
     * main image; earlier ones are microcode or add-ons, in {@code earlierInitrds}). Its release is read from the
     * entry's kernel image, else taken from kernel-install's {@code <kver>} directory or the {@code version} key.
     * A kernel of {@link #scan} without an initramfs whose release such an entry boots is not listed on its own.
     */
    public static List<Kernel> bootable(GuestFiles g) throws IOException {
        List<Kernel> base = scan(g);
        Set<String> known = new HashSet<>();
        Map<String, String> modDirs = new TreeMap<>();
        for (Kernel k : base) {
            if (k.initramfs() != null) {
                known.add(k.initramfs());
            }
            if (k.modulesDir() != null) {
                modDirs.putIfAbsent(k.version(), k.modulesDir());
            }
        }
        List<Kernel> extra = new ArrayList<>();
        for (BootEntry e : bootEntries(g)) {
            if (e.initrds().isEmpty()
                    || known.contains(e.initrds().get(e.initrds().size() - 1))) {
                continue;
            }
            String main = e.initrds().get(e.initrds().size() - 1);
            known.add(main);
            String release = null;
            if (e.linux() != null) {
                try {
                    release = embeddedRelease(g, e.linux());
                } catch (IOException | RuntimeException ex) {
                    release = null;
                }
            }
            if (release == null && e.linux() != null) {
                String parent = e.linux().substring(0, e.linux().lastIndexOf('/'));
                String dirName = parent.substring(parent.lastIndexOf('/') + 1);
                String base1 = e.linux().substring(e.linux().lastIndexOf('/') + 1);
                if (modDirs.containsKey(dirName)) {
                    release = dirName; // kernel-install: $ENTRY_TOKEN/$KERNEL_VERSION/linux
                } else if (base1.startsWith("vmlinuz-") && modDirs.containsKey(base1.substring(8))) {
                    release = base1.substring(8);
                }
            }
            if (release == null && e.version() != null && modDirs.containsKey(e.version())) {
                release = e.version();
            }
            if (release == null || !validVersion(release)) {
                release = e.version() != null && validVersion(e.version()) ? e.version() : "unknown";
            }
            extra.add(new Kernel(
                    e.file(),
                    release,
                    e.linux(),
                    modDirs.get(release),
                    main,
                    e.initrds().subList(0, e.initrds().size() - 1)));
        }
        List<Kernel> out = new ArrayList<>();
        for (Kernel k : base) {
            String v = k.version();
            boolean bootedByEntry = extra.stream().anyMatch(x -> x.version().equals(v));
            if (k.initramfs() == null && bootedByEntry) {
                // no initramfs of its own in /boot (Fedora's kernel-install layout, an image under another name):
                // the entry says which one this kernel boots with
                continue;
            }
            out.add(k);
        }
        out.addAll(extra);
        return out;
    }

    /** Largest boot image read to find its embedded version (bytes); larger images are paired by name only. */
    static final long MAX_IMAGE = 256L << 20;

    /**
     * Every kernel: each {@code /boot/vmlinuz-<name>} paired with the module tree of the release embedded in the
     * image (so {@code vmlinuz-linux}, {@code vmlinuz-virt} and RHEL's {@code vmlinuz-0-rescue-<machine-id>}, a copy
     * of a versioned kernel, find their modules), plus every module tree no boot image claimed.
     */
    public static List<Kernel> scan(GuestFiles g) throws IOException {
        TreeMap<String, String> modDirs = new TreeMap<>();
        for (String base : List.of("/lib/modules", "/usr/lib/modules")) {
            for (GuestFiles.DirEntry e : listIfDir(g, base)) {
                if (validVersion(e.name()) && isDir(g, base + "/" + e.name())) {
                    modDirs.putIfAbsent(e.name(), base + "/" + e.name());
                }
            }
        }
        List<Kernel> out = new ArrayList<>();
        Set<String> claimed = new HashSet<>();
        TreeSet<String> names = new TreeSet<>();
        for (GuestFiles.DirEntry e : listIfDir(g, "/boot")) {
            if (e.name().startsWith("vmlinuz-") && validVersion(e.name().substring(8))) {
                names.add(e.name().substring(8));
            }
        }
        for (String n : names) {
            String vmlinuz = "/boot/vmlinuz-" + n;
            String release = null;
            try {
                release = embeddedRelease(g, vmlinuz);
            } catch (IOException | RuntimeException e) {
                // unreadable image: pair by name, like before
            }
            String v = release != null && validVersion(release) ? release : n;
            claimed.add(v);
            out.add(new Kernel(n, v, vmlinuz, modDirs.get(v), initramfs(g, n)));
        }
        for (Map.Entry<String, String> m : modDirs.entrySet()) {
            if (!claimed.contains(m.getKey())) {
                out.add(new Kernel(m.getKey(), m.getKey(), null, m.getValue(), initramfs(g, m.getKey())));
            }
        }
        return out;
    }

    private static String initramfs(GuestFiles g, String n) throws IOException {
        // Debian/Ubuntu, Red Hat/dracut and Arch (initramfs-linux.img), SUSE, Alpine (initramfs-virt)
        for (String c : List.of(
                "/boot/initrd.img-" + n,
                "/boot/initramfs-" + n + ".img",
                "/boot/initrd-" + n,
                "/boot/initramfs-" + n)) {
            if (g.stat(c).filter(i -> i.type() == GuestFiles.Type.FILE).isPresent()) {
                return c;
            }
        }
        return null;
    }

    /** The release embedded in a boot image ({@link #bzImageRelease}); null when it has none or is too large. */
    static String embeddedRelease(GuestFiles g, String path) throws IOException {
        Optional<GuestFiles.FileInfo> st = g.stat(path);
        if (st.isEmpty() || st.get().type() != GuestFiles.Type.FILE || st.get().size() > MAX_IMAGE) {
            return null;
        }
        return bzImageRelease(g.read(path));
    }

    /**
     * The kernel release in an x86 bzImage: the real-mode setup header (Linux boot protocol,
     * {@code Documentation/arch/x86/boot.rst}) carries the magic {@code "HdrS"} at offset 0x202 and, from protocol
     * 2.00, {@code kernel_version} at 0x20E: a 16-bit little-endian pointer to a NUL-terminated string at
     * {@code 0x200 + value}, e.g. {@code "6.1.0-26-amd64 (debian-kernel@lists.debian.org) #1 SMP ..."}. The release
     * is its first word. Bounded: the string must end within 256 bytes and lie inside the image.
     *
     * @return the release, or null when the image is not a bzImage or the field is unset or malformed
     */
    public static String bzImageRelease(byte[] image) {
        if (image == null
                || image.length < 0x210
                || image[0x202] != 'H'
                || image[0x203] != 'd'
                || image[0x204] != 'r'
                || image[0x205] != 'S') {
            return null;
        }
        int protocol = (image[0x206] & 0xff) | (image[0x207] & 0xff) << 8;
        int ptr = (image[0x20E] & 0xff) | (image[0x20F] & 0xff) << 8;
        if (protocol < 0x0200 || ptr == 0) {
            return null;
        }
        int start = 0x200 + ptr;
        StringBuilder sb = new StringBuilder();
        for (int i = start; i < image.length && i < start + 256; i++) {
            int c = image[i] & 0xff;
            if (c == 0 || c == ' ') {
                String r = sb.toString();
                return validVersion(r) ? r : null;
            }
            if (c < 0x21 || c > 0x7e) {
                return null;
            }
            sb.append((char) c);
        }
        return null;
    }

    /** A kernel version as a file-name component: printable ASCII, no {@code /}, not {@code .}/{@code ..}. */
    static boolean validVersion(String v) {
        if (v.isEmpty() || v.length() > 200 || v.equals(".") || v.equals("..")) {
            return false;
        }
        for (char c : v.toCharArray()) {
            if (c <= ' ' || c >= 127 || c == '/') {
                return false;
            }
        }
        return true;
    }

    private static List<GuestFiles.DirEntry> listIfDir(GuestFiles g, String p) throws IOException {
        return isDir(g, p) ? g.list(p) : List.of();
    }

    private static boolean isDir(GuestFiles g, String p) throws IOException {
        return g.stat(p).filter(i -> i.type() == GuestFiles.Type.DIRECTORY).isPresent();
    }

    private static boolean exists(GuestFiles g, String p) throws IOException {
        return g.stat(p).isPresent();
    }

    /** The modules of one kernel, read from the guest: a {@link ModuleSource} for {@link HvDriverInjector}. */
    public static ModuleSource modules(GuestFiles g, Kernel k) {
        return new GuestModuleSource(g, k);
    }

    private static final class GuestModuleSource implements ModuleSource {
        private final GuestFiles g;
        private final Kernel k;
        private Map<String, String> index;
        private Set<String> builtin;

        GuestModuleSource(GuestFiles g, Kernel k) {
            this.g = g;
            this.k = k;
        }

        @Override
        public Set<String> builtin() throws IOException {
            if (builtin == null) {
                builtin = new HashSet<>();
                if (k.modulesDir() != null && exists(g, k.modulesDir() + "/modules.builtin")) {
                    String t = new String(g.read(k.modulesDir() + "/modules.builtin"), StandardCharsets.UTF_8);
                    for (String line : t.split("\n")) {
                        if (!line.isBlank()) {
                            builtin.add(ModuleFile.moduleName(line.strip()));
                        }
                    }
                }
            }
            return builtin;
        }

        @Override
        public Optional<Module> find(String name) throws IOException {
            if (k.modulesDir() == null) {
                return Optional.empty();
            }
            String rel = index().get(name);
            if (rel == null) {
                return Optional.empty();
            }
            return Optional.of(new Module(name, rel, g.read(k.modulesDir() + "/" + rel)));
        }

        /**
         * Module name to relative path. The guest's {@code modules.dep} is used when its entries exist on disk;
         * otherwise (no or stale index) the module tree is walked.
         */
        private Map<String, String> index() throws IOException {
            if (index != null) {
                return index;
            }
            index = new TreeMap<>();
            String depFile = k.modulesDir() + "/modules.dep";
            if (exists(g, depFile)) {
                try {
                    for (var e : ModuleIndexes.parseDep(new String(g.read(depFile), StandardCharsets.UTF_8))
                            .entrySet()) {
                        String p = e.getValue().path();
                        if (!p.startsWith("/") && !p.contains("..") && ModuleFile.isModule(p)) {
                            index.put(e.getKey(), p);
                        }
                    }
                } catch (IOException e) {
                    index.clear();
                }
            }
            boolean stale = false;
            for (String hv : HvDriverInjector.HV_MODULES) {
                String p = index.get(hv);
                if (p != null && !exists(g, k.modulesDir() + "/" + p)) {
                    stale = true;
                }
            }
            if (index.isEmpty() || stale) {
                index.clear();
                walk(k.modulesDir(), "", 0, new int[1]);
            }
            return index;
        }

        private void walk(String base, String rel, int depth, int[] count) throws IOException {
            if (depth > 16) {
                return;
            }
            String dir = rel.isEmpty() ? base : base + "/" + rel;
            for (GuestFiles.DirEntry e : g.list(dir)) {
                if (++count[0] > MAX_WALK) {
                    throw new InitramfsException("modules.walk", "more than " + MAX_WALK + " entries under " + base);
                }
                String r = rel.isEmpty() ? e.name() : rel + "/" + e.name();
                if (e.type() == GuestFiles.Type.DIRECTORY) {
                    if (!(depth == 0 && e.name().equals("build")
                            || depth == 0 && e.name().equals("source"))) {
                        walk(base, r, depth + 1, count);
                    }
                } else if (e.type() == GuestFiles.Type.FILE && ModuleFile.isModule(e.name())) {
                    index.putIfAbsent(ModuleFile.moduleName(e.name()), r);
                }
            }
        }
    }
}
