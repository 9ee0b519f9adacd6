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
 * The kernels installed in a guest, found through {@link GuestFiles}: {@code /boot/vmlinuz-<version>} and the
 * directories of {@code /lib/modules} and {@code /usr/lib/modules}; for each, its module directory, its built-in
 * modules ({@code modules.builtin} lists paths such as {@code kernel/drivers/hv/hv_vmbus.ko}) and its initramfs
 * ({@code /boot/initrd.img-<v>} on Debian/Ubuntu, {@code /boot/initramfs-<v>.img} on Red Hat-family/dracut,
 * {@code /boot/initrd-<v>} on SUSE).
 */
public final class KernelInventory {
    static final int MAX_WALK = 200_000;

    private KernelInventory() {
    }

    /**
     * @param modulesDir guest path of {@code /lib/modules/<version>} (or {@code /usr/lib/...}); null when absent
     */
    public record Kernel(String version, String vmlinuz, String modulesDir, String initramfs) {
    }

    public static List<Kernel> scan(GuestFiles g) throws IOException {
        TreeSet<String> versions = new TreeSet<>();
        for (GuestFiles.DirEntry e : listIfDir(g, "/boot")) {
            if (e.name().startsWith("vmlinuz-") && validVersion(e.name().substring(8))) {
                versions.add(e.name().substring(8));
            }
        }
        for (String base : List.of("/lib/modules", "/usr/lib/modules")) {
            for (GuestFiles.DirEntry e : listIfDir(g, base)) {
                if (validVersion(e.name()) && isDir(g, base + "/" + e.name())) {
                    versions.add(e.name());
                }
            }
        }
        List<Kernel> out = new ArrayList<>();
        for (String v : versions) {
            String vmlinuz = exists(g, "/boot/vmlinuz-" + v) ? "/boot/vmlinuz-" + v : null;
            String mods = null;
            for (String base : List.of("/lib/modules/", "/usr/lib/modules/")) {
                if (mods == null && isDir(g, base + v)) {
                    mods = base + v;
                }
            }
            String initramfs = null;
            for (String c : List.of("/boot/initrd.img-" + v, "/boot/initramfs-" + v + ".img", "/boot/initrd-" + v)) {
                if (initramfs == null && g.stat(c).filter(i -> i.type() == GuestFiles.Type.FILE).isPresent()) {
                    initramfs = c;
                }
            }
            out.add(new Kernel(v, vmlinuz, mods, initramfs));
        }
        return out;
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
                    if (!(depth == 0 && e.name().equals("build") || depth == 0 && e.name().equals("source"))) {
                        walk(base, r, depth + 1, count);
                    }
                } else if (e.type() == GuestFiles.Type.FILE && ModuleFile.isModule(e.name())) {
                    index.putIfAbsent(ModuleFile.moduleName(e.name()), r);
                }
            }
        }
    }
}
