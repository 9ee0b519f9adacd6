package dev.linuximage.core.initramfs;

import dev.linuximage.core.initramfs.kmod.ElfModule;
import dev.linuximage.core.initramfs.kmod.KmodException;
import dev.linuximage.core.initramfs.kmod.ModuleFile;
import dev.linuximage.core.initramfs.kmod.ModuleIndexes;
import dev.linuximage.core.initramfs.kmod.ModuleIndexes.Alias;
import dev.linuximage.core.initramfs.kmod.ModuleIndexes.DepLine;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.zip.GZIPOutputStream;

/**
 * Makes the Hyper-V drivers available at boot (requirement KERNEL-HV-DRIVERS): for a kernel whose {@code hv_vmbus},
 * {@code hv_storvsc}, {@code hv_netvsc} are loadable modules missing from its initramfs, adds to it
 * <ul>
 *   <li>the module files and their dependencies (transitively, from each module's {@code .modinfo depends=}),
 *       copied from the guest's own {@code /lib/modules/<version>} into the initramfs' own module directory
 *       (found by resolving {@code lib/modules/<version>} through the archive's symlinks, e.g. {@code lib ->
 *       usr/lib} on merged-/usr images);</li>
 *   <li>{@code modules.dep}, {@code modules.alias}, {@code modules.symbols}, {@code modules.softdep} covering the
 *       union of the modules already in the initramfs and the added ones, and the binary {@code .dep.bin},
 *       {@code .alias.bin}, {@code .symbols.bin} in kmod's index format (libkmod reads only the binary
 *       {@code modules.dep.bin});</li>
 *   <li>the load list for the initramfs flavour: {@code conf/modules} (initramfs-tools' {@code load_modules})
 *       or {@code etc/modules-load.d/linuximage-hyperv.conf} (dracut: systemd-modules-load).</li>
 * </ul>
 * How (issue 10.6): the main compressed archive is rewritten ({@link MainArchiveRewriter}): the early uncompressed
 * archives stay byte-identical, the existing index files and load list are replaced in place, the new files are
 * added at its end, and it is recompressed with its own compression (gzip when there is no encoder for it), so that
 * {@code lsinitramfs}/{@code unmkinitramfs} and dracut's {@code lsinitrd}, which read only the first compressed
 * archive, list the drivers. Only when the image is not "plain cpio archives then one compressed archive" (e.g. two
 * compressed members, or no compressed one) is the old method used: one gzip newc member appended directly after the
 * original bytes (no padding: {@code lsinitramfs}' decompressors reject zeros between compressed streams); the kernel
 * unpacks members in order and a later regular file replaces an earlier one ({@code init/initramfs.c}). The result's
 * note says which method was used and why. Running it again on the result finds the modules present and changes
 * nothing.
 */
public final class HvDriverInjector {
    public static final List<String> HV_MODULES = List.of("hv_vmbus", "hv_storvsc", "hv_netvsc");
    static final String DRACUT_CONF = "etc/modules-load.d/linuximage-hyperv.conf";
    /** Most modules a dependency closure may pull in. */
    static final int MAX_CLOSURE = 64;

    private final InitramfsReader reader;

    public HvDriverInjector() {
        this(new InitramfsReader());
    }

    public HvDriverInjector(InitramfsReader reader) {
        this.reader = reader;
    }

    /** The outcome of {@link #plan}: the result record and, when changed, the new initramfs bytes. */
    public record Plan(InjectionResult result, byte[] newImage) {}

    /** The parts of an {@link InjectionResult} that differ between a plan's outcomes; the rest is the plan's. */
    private interface Outcome {
        InjectionResult of(List<String> added, long bytesAfter, boolean changed, String note);
    }

    /** The files {@link #plan} reads from an initramfs for kernel {@code version}: load lists and module indexes. */
    static Predicate<String> captures(String version) {
        String modPrefix = "/modules/" + version + "/";
        return p -> p.equals("conf/modules") || p.equals(DRACUT_CONF) || (p.contains(modPrefix) && isIndex(p));
    }

    /**
     * What {@link #plan} reads for any kernel version: a tree read with this (or a predicate accepting more) serves
     * {@link #plan(String, String, byte[], InitramfsTree, ModuleSource, List)} and {@link #assess} for every version.
     */
    public static final Predicate<String> CAPTURE =
            p -> p.equals("conf/modules") || p.equals(DRACUT_CONF) || (p.contains("/modules/") && isIndex(p));

    private static boolean isIndex(String p) {
        return p.endsWith("/modules.dep")
                || p.endsWith("/modules.alias")
                || p.endsWith("/modules.symbols")
                || p.endsWith("/modules.softdep");
    }

    /**
     * Computes the new initramfs for kernel {@code version} (pure: no guest I/O except through {@code source}).
     * Decodes {@code image} once for its tree, and its main member once more when it rewrites it.
     *
     * @param initramfsPath only used in the result
     */
    public Plan plan(String version, String initramfsPath, byte[] image, ModuleSource source, List<String> wanted)
            throws IOException {
        return plan(
                version, initramfsPath, image, InitramfsTree.read(image, reader, captures(version)), source, wanted);
    }

    /**
     * As {@link #plan(String, String, byte[], ModuleSource, List)} with the tree of {@code image} already read (e.g.
     * from an {@link InitramfsCache} whose predicate accepts at least {@link #CAPTURE}): decodes only the main
     * member, and only when it rewrites it.
     */
    public Plan plan(
            String version,
            String initramfsPath,
            byte[] image,
            InitramfsTree tree,
            ModuleSource source,
            List<String> wanted)
            throws IOException {
        return plan(version, initramfsPath, image, tree, source, wanted, true);
    }

    /**
     * What {@link #plan} would find and do, without building the new image (no decoding, no compression): the
     * modules built in, already present, that would be added ({@link InjectionResult#added()}) and unavailable;
     * {@code changed} is false and the sizes are the image's. Refuses (throws) exactly where {@link #plan} would,
     * except for failures while writing the new archive.
     */
    public InjectionResult assess(
            String version,
            String initramfsPath,
            byte[] image,
            InitramfsTree tree,
            ModuleSource source,
            List<String> wanted)
            throws IOException {
        return plan(version, initramfsPath, image, tree, source, wanted, false).result();
    }

    private Plan plan(
            String version,
            String initramfsPath,
            byte[] image,
            InitramfsTree whole,
            ModuleSource source,
            List<String> wanted,
            boolean build)
            throws IOException {
        InitramfsTree tree = whole.view(captures(version));
        String flavour = flavour(tree);
        String modDir = tree.resolve("lib/modules/" + version);
        char modDirType = tree.typeOf(modDir);
        if (modDirType != 0 && modDirType != 'd') {
            throw new InitramfsException("initramfs.modules_dir", modDir + " is not a directory");
        }

        // modules already in the initramfs, by normalised name -> relative path
        Map<String, String> present = new LinkedHashMap<>();
        for (Map.Entry<String, InitramfsTree.Node> e : tree.nodes().entrySet()) {
            String p = e.getKey();
            if (p.startsWith(modDir + "/") && e.getValue().type() == '-' && ModuleFile.isModule(p)) {
                present.put(ModuleFile.moduleName(p), p.substring(modDir.length() + 1));
            }
        }
        Set<String> builtin = source.builtin();
        List<String> isBuiltin = new ArrayList<>();
        List<String> already = new ArrayList<>();
        List<String> unavailable = new ArrayList<>();
        List<String> roots = new ArrayList<>();
        for (String w : wanted) {
            String n = ModuleFile.normalise(w);
            if (builtin.contains(n)) {
                isBuiltin.add(n);
            } else if (present.containsKey(n)) {
                already.add(n);
            } else {
                roots.add(n);
            }
        }

        Outcome outcome = (added, bytesAfter, changed, note) -> new InjectionResult(
                version,
                initramfsPath,
                flavour,
                isBuiltin,
                already,
                added,
                unavailable,
                image.length,
                bytesAfter,
                changed,
                note);

        // dependency closure, from the guest's module files
        Map<String, ModuleSource.Module> adding = new LinkedHashMap<>();
        Map<String, ElfModule> elf = new LinkedHashMap<>();
        Map<String, List<String>> depends = new LinkedHashMap<>();
        List<String> rootsAvailable = new ArrayList<>();
        for (String r : roots) {
            if (collect(r, version, source, builtin, present, adding, elf, depends, new HashSet<>())) {
                rootsAvailable.add(r);
            } else {
                unavailable.add(r);
            }
        }
        if (adding.isEmpty()) {
            String note = unavailable.isEmpty()
                    ? "Hyper-V drivers already available (built in: " + isBuiltin + ", in initramfs: " + already + ")"
                    : "not available as modules for " + version + ": " + unavailable;
            return new Plan(outcome.of(List.of(), image.length, false, note), null);
        }
        // load order: dependencies first
        List<String> loadOrder = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (String m : adding.keySet()) {
            topo(m, depends, adding.keySet(), seen, loadOrder);
        }

        // merged indexes: existing text + new entries. A binary index without its text form cannot be merged
        // without losing entries: refuse rather than drop them.
        for (String f : List.of("modules.dep", "modules.alias", "modules.symbols")) {
            InitramfsTree.Node bin = tree.nodes().get(modDir + "/" + f + ".bin");
            if (bin != null && tree.captured(modDir + "/" + f) == null) {
                throw new InitramfsException(
                        "initramfs." + f,
                        modDir + "/" + f + ".bin exists without " + f + ": cannot merge the existing index");
            }
        }
        String depPath = modDir + "/modules.dep";
        LinkedHashMap<String, DepLine> dep = ModuleIndexes.parseDep(text(tree.captured(depPath)));
        for (String m : loadOrder) {
            dep.remove(m);
        }
        Map<String, String> pathOf = new LinkedHashMap<>();
        for (Map.Entry<String, DepLine> e : dep.entrySet()) {
            pathOf.put(e.getKey(), e.getValue().path());
        }
        present.forEach(pathOf::putIfAbsent);
        for (String m : loadOrder) {
            pathOf.put(m, adding.get(m).relativePath());
        }
        for (String m : loadOrder) {
            List<String> all = new ArrayList<>();
            allDeps(m, depends, dep, pathOf, new LinkedHashSet<>(), all);
            dep.put(m, new DepLine(adding.get(m).relativePath(), all));
        }
        Set<String> addedSet = new HashSet<>(loadOrder);
        List<Alias> aliases = new ArrayList<>(
                ModuleIndexes.parseAliases(text(tree.captured(modDir + "/modules.alias")), "modules.alias"));
        aliases.removeIf(a -> addedSet.contains(a.module()));
        List<Alias> symbols = new ArrayList<>(
                ModuleIndexes.parseAliases(text(tree.captured(modDir + "/modules.symbols")), "modules.symbols"));
        symbols.removeIf(a -> addedSet.contains(a.module()));
        StringBuilder softdep = new StringBuilder();
        String oldSoftdep = text(tree.captured(modDir + "/modules.softdep"));
        for (String line : oldSoftdep.split("\n")) {
            String[] f = line.strip().split("\\s+");
            if (line.isBlank()
                    || (f.length >= 2 && f[0].equals("softdep") && addedSet.contains(ModuleFile.normalise(f[1])))) {
                continue;
            }
            softdep.append(line).append('\n');
        }
        if (softdep.length() == 0) {
            softdep.append("# Soft dependencies extracted from modules themselves.\n");
        }
        for (String m : loadOrder) {
            ElfModule e = elf.get(m);
            for (String a : e.modinfo().getOrDefault("alias", List.of())) {
                aliases.add(new Alias(a, m));
            }
            for (String s : e.exportedSymbols()) {
                symbols.add(new Alias("symbol:" + s, m));
            }
            for (String s : e.modinfo().getOrDefault("softdep", List.of())) {
                softdep.append("softdep ")
                        .append(m)
                        .append(' ')
                        .append(s.strip())
                        .append('\n');
            }
        }
        Map<String, byte[]> bins = ModuleIndexes.binaries(dep, aliases, symbols);

        // the new entries, in order (directories before what they hold); index files and the load list replace
        // the existing ones
        List<MainArchiveRewriter.Add> adds = new ArrayList<>();
        Map<String, byte[]> replace = new LinkedHashMap<>();
        Set<String> made = new HashSet<>();
        for (String m : loadOrder) {
            String p = modDir + "/" + adding.get(m).relativePath();
            mkdirs(tree, adds, parent(p), made);
            adds.add(new MainArchiveRewriter.Add(p, adding.get(m).content()));
        }
        mkdirs(tree, adds, modDir, made);
        replace.put(modDir + "/modules.dep", ModuleIndexes.utf8(ModuleIndexes.depText(dep.values())));
        replace.put(
                modDir + "/modules.alias",
                ModuleIndexes.utf8(ModuleIndexes.aliasText(aliases, "# Aliases extracted from modules themselves.\n")));
        replace.put(
                modDir + "/modules.symbols",
                ModuleIndexes.utf8(
                        ModuleIndexes.aliasText(symbols, "# Aliases for symbols, used by symbol_request().\n")));
        replace.put(modDir + "/modules.softdep", ModuleIndexes.utf8(softdep.toString()));
        for (Map.Entry<String, byte[]> b : bins.entrySet()) {
            replace.put(modDir + "/" + b.getKey(), b.getValue());
        }
        String conf;
        byte[] confBody;
        if (flavour.equals("initramfs-tools")) {
            conf = tree.resolve("conf/modules");
            String old = text(tree.captured(conf));
            StringBuilder sb = new StringBuilder(old);
            if (!old.isEmpty() && !old.endsWith("\n")) {
                sb.append('\n');
            }
            Set<String> listed = new HashSet<>();
            for (String l : old.split("\n")) {
                String[] f = l.strip().split("\\s+");
                if (f.length > 0 && !f[0].startsWith("#")) {
                    listed.add(ModuleFile.normalise(f[0]));
                }
            }
            for (String r : rootsAvailable) {
                if (!listed.contains(r)) {
                    sb.append(r).append('\n');
                }
            }
            confBody = ModuleIndexes.utf8(sb.toString());
        } else {
            conf = tree.resolve(DRACUT_CONF);
            confBody = ModuleIndexes.utf8(
                    "# Hyper-V drivers for Azure, added by linuximage\n" + String.join("\n", rootsAvailable) + "\n");
        }
        mkdirs(tree, adds, parent(conf), made);
        replace.put(conf, confBody);
        for (Map.Entry<String, byte[]> r : replace.entrySet()) {
            adds.add(new MainArchiveRewriter.Add(r.getKey(), r.getValue()));
        }

        String problem = MainArchiveRewriter.layoutProblem(tree.summary());
        if (problem != null) {
            List<InitramfsReader.Member> members = tree.summary().members();
            if (!members.isEmpty() && members.get(members.size() - 1).compression() == Compression.LZ4_LEGACY) {
                throw new InitramfsException(
                        "initramfs.append",
                        "the last member is LZ4 legacy, which has no end "
                                + "marker; kernels before the zero-padding fix would read an appended member as LZ4 data");
            }
        }
        if (!build) {
            return new Plan(
                    outcome.of(
                            loadOrder,
                            image.length,
                            false,
                            "would add " + loadOrder + " to " + flavour + " initramfs of " + version
                                    + (unavailable.isEmpty() ? "" : "; not available: " + unavailable)),
                    null);
        }
        byte[] out;
        String how;
        if (problem == null) {
            List<InitramfsReader.Member> members = tree.summary().members();
            InitramfsReader.Member main = members.get(members.size() - 1);
            MainArchiveRewriter.Result rw = MainArchiveRewriter.rewrite(image, reader, main, replace, adds);
            out = rw.image();
            how = rw.compression() == main.compression()
                    ? "rewrote the main " + main.compression().label() + " archive (member " + main.index()
                            + " at offset " + main.offset() + "; " + main.offset() + " bytes before it unchanged)"
                    : "rewrote the main archive (member " + main.index() + " at offset " + main.offset()
                            + "), recompressed as " + rw.compression().label() + " because there is no "
                            + main.compression().label() + " encoder; the kernel unpacks gzip (CONFIG_RD_GZIP)";
        } else {
            // Fallback: a new gzip member after the original bytes. The kernel unpacks members in order and a
            // later regular file replaces an earlier one (init/initramfs.c), so the new indexes win; lsinitramfs
            // and lsinitrd do not list it (an LZ4 legacy last member was refused above).
            CpioWriter.InMemory cpio = new CpioWriter.InMemory();
            CpioWriter w = cpio.writer();
            for (MainArchiveRewriter.Add a : adds) {
                if (a.directory()) {
                    w.directory(a.path(), 0755);
                } else {
                    w.file(a.path(), 0644, a.content());
                }
            }
            byte[] member = gzip(cpio.finish());
            out = new byte[image.length + member.length];
            System.arraycopy(image, 0, out, 0, image.length);
            System.arraycopy(member, 0, out, image.length, member.length);
            how = "appended a gzip member (" + member.length + " bytes) because " + problem
                    + "; lsinitramfs/lsinitrd do not list appended members, the kernel unpacks them";
        }
        String note = "added " + loadOrder + " to " + flavour + " initramfs of " + version + ": " + how + " ("
                + image.length + " -> " + out.length + " bytes)"
                + (unavailable.isEmpty() ? "" : "; not available: " + unavailable);
        return new Plan(outcome.of(loadOrder, out.length, true, note), out);
    }

    /** Adds {@code name} and its missing dependencies to {@code adding}; false if {@code name} has no module file. */
    private boolean collect(
            String name,
            String version,
            ModuleSource source,
            Set<String> builtin,
            Map<String, String> present,
            Map<String, ModuleSource.Module> adding,
            Map<String, ElfModule> elf,
            Map<String, List<String>> depends,
            Set<String> stack)
            throws IOException {
        if (adding.containsKey(name) || builtin.contains(name) || present.containsKey(name)) {
            return true;
        }
        if (!stack.add(name)) {
            throw new KmodException("module.depends", "dependency cycle through " + name);
        }
        Optional<ModuleSource.Module> m = source.find(name);
        if (m.isEmpty()) {
            return false;
        }
        if (adding.size() >= MAX_CLOSURE) {
            throw new KmodException("module.depends", "more than " + MAX_CLOSURE + " modules in the closure");
        }
        ModuleSource.Module mod = m.get();
        ElfModule e = ElfModule.parse(ModuleFile.elf(mod.relativePath(), mod.content()));
        String vermagic = e.modinfo("vermagic");
        if (vermagic == null || !(vermagic.equals(version) || vermagic.startsWith(version + " "))) {
            throw new KmodException(
                    "module.vermagic", mod.relativePath() + " is built for '" + vermagic + "', not " + version);
        }
        List<String> deps = new ArrayList<>();
        String d = e.modinfo("depends");
        if (d != null && !d.isBlank()) {
            for (String x : d.split(",")) {
                if (!x.isBlank()) {
                    deps.add(ModuleFile.normalise(x.strip()));
                }
            }
        }
        for (String x : deps) {
            if (!collect(x, version, source, builtin, present, adding, elf, depends, stack)) {
                throw new KmodException(
                        "module.depends",
                        name + " needs " + x + ", which " + version + " ships neither built in nor as a module");
            }
        }
        adding.put(name, mod);
        elf.put(name, e);
        depends.put(name, deps);
        stack.remove(name);
        return true;
    }

    private static void topo(
            String m, Map<String, List<String>> depends, Set<String> adding, Set<String> seen, List<String> out) {
        if (!adding.contains(m) || !seen.add(m)) {
            return;
        }
        for (String d : depends.getOrDefault(m, List.of())) {
            topo(d, depends, adding, seen, out);
        }
        out.add(m);
    }

    /**
     * All dependencies of {@code m} (transitively) as paths, ordered like depmod: every module before the modules it
     * needs, so that loading from the end of the list satisfies each module's needs first.
     */
    private static void allDeps(
            String m,
            Map<String, List<String>> depends,
            Map<String, DepLine> dep,
            Map<String, String> pathOf,
            Set<String> visiting,
            List<String> out) {
        List<String> postOrder = new ArrayList<>();
        Set<String> seen = new LinkedHashSet<>();
        seen.add(m);
        for (String d : directDeps(m, depends, dep)) {
            post(d, depends, dep, seen, postOrder);
        }
        for (int i = postOrder.size() - 1; i >= 0; i--) {
            String p = pathOf.get(postOrder.get(i));
            if (p != null) {
                out.add(p);
            }
        }
    }

    private static void post(
            String m, Map<String, List<String>> depends, Map<String, DepLine> dep, Set<String> seen, List<String> out) {
        if (!seen.add(m)) {
            return;
        }
        for (String d : directDeps(m, depends, dep)) {
            post(d, depends, dep, seen, out);
        }
        out.add(m);
    }

    private static List<String> directDeps(String m, Map<String, List<String>> depends, Map<String, DepLine> dep) {
        List<String> d = depends.get(m);
        if (d != null) {
            return d;
        }
        DepLine l = dep.get(m);
        if (l == null) {
            return List.of();
        }
        List<String> names = new ArrayList<>();
        for (String p : l.deps()) {
            names.add(ModuleFile.moduleName(p));
        }
        return names;
    }

    static String flavour(InitramfsTree tree) throws InitramfsException {
        if (tree.typeOf("conf/initramfs.conf") == '-' || tree.typeOf("scripts/functions") == '-') {
            return "initramfs-tools";
        }
        if (tree.typeOf("usr/lib/dracut") == 'd' || tree.typeOf("lib/dracut") == 'd') {
            return "dracut";
        }
        return "unknown";
    }

    private static void mkdirs(InitramfsTree tree, List<MainArchiveRewriter.Add> w, String dir, Set<String> made)
            throws IOException {
        if (dir.isEmpty() || made.contains(dir)) {
            return;
        }
        char t = tree.typeOf(dir);
        if (t == 'd') {
            made.add(dir);
            return;
        }
        if (t != 0) {
            throw new InitramfsException("initramfs.path", dir + " exists and is not a directory");
        }
        mkdirs(tree, w, parent(dir), made);
        w.add(new MainArchiveRewriter.Add(dir, null));
        made.add(dir);
    }

    private static String parent(String p) {
        int i = p.lastIndexOf('/');
        return i < 0 ? "" : p.substring(0, i);
    }

    private static String text(byte[] b) {
        return b == null ? "" : new String(b, StandardCharsets.UTF_8);
    }

    private static byte[] gzip(byte[] data) throws IOException {
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        try (GZIPOutputStream g = new GZIPOutputStream(bo) {
            {
                def.setLevel(9);
            }
        }) {
            g.write(data);
        }
        return bo.toByteArray();
    }

    /** Sorted copy, for stable reporting. */
    static List<String> sorted(Set<String> s) {
        return new ArrayList<>(new TreeSet<>(s));
    }
}
