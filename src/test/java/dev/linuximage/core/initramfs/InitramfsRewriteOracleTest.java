package dev.linuximage.core.initramfs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.linuximage.testsupport.DirectoryGuestFiles;
import dev.linuximage.testsupport.Tools;
import dev.linuximage.testsupport.initramfs.InitramfsFixtures;
import dev.linuximage.testsupport.initramfs.KernelFixture;
import dev.linuximage.testsupport.initramfs.KvmGuestFixture;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 10.6: after the Hyper-V repair the distributions' own tools list the drivers. Images are laid out as
 * mkinitramfs and dracut write them (uncompressed early cpio first, dracut's with its {@code early_cpio} marker, then
 * one compressed main archive made by the real {@code cpio -o -H newc} and compressor), the repair runs, and the
 * oracles are the real tools: Debian's {@code lsinitramfs}/{@code unmkinitramfs}, dracut's {@code lsinitrd} and
 * {@code skipcpio}, GNU {@code cpio -t}, the CLI decompressors and kmod's {@code modprobe}.
 */
@Tag("oracle")
class InitramfsRewriteOracleTest {
    static final List<String> HV = List.of(
            "kernel/drivers/hv/hv_vmbus.ko",
            "kernel/drivers/scsi/hv_storvsc.ko",
            "kernel/drivers/net/hyperv/hv_netvsc.ko");

    @TempDir
    Path work;

    @BeforeAll
    static void tools() {
        Tools.require(
                "cpio", "zstd", "gzip", "xz", "lz4", "lzma", "modprobe", "unmkinitramfs", "lsinitramfs", "lsinitrd");
    }

    /** The CLI that decodes a main archive's magic, as unmkinitramfs' xcpio picks it. */
    private static String decoder(byte[] main) {
        Compression c = Compression.detect(main, 0, main.length);
        return switch (c) {
            case GZIP -> "gzip -dc";
            case ZSTD -> "zstd -q -dc";
            case XZ -> "xz -dc";
            case LZ4_LEGACY -> "lz4 -dc";
            case LZMA -> "xz --format=lzma -dc";
            default -> throw new AssertionError("unexpected main archive compression " + c);
        };
    }

    /** Bytes dracut's {@code skipcpio} skips: the uncompressed early archives in front of the main one. */
    private long earlyLength(Path img) throws Exception {
        byte[] rest = Tools.shOk(work, "/usr/lib/dracut/skipcpio " + img).stdout();
        return Files.size(img) - rest.length;
    }

    /**
     * Asserts what a user sees with the distributions' tools on {@code after}, repaired from {@code before}.
     *
     * @param modules source of the module files (the guest's {@code lib/modules/<v>})
     * @return the directory unmkinitramfs extracted the main archive to
     */
    private Path assertListedAndIntact(byte[] before, byte[] after, String v, Path modules, String tag)
            throws Exception {
        Path b = work.resolve(tag + "-before.img");
        Path a = work.resolve(tag + "-after.img");
        Files.write(b, before);
        Files.write(a, after);

        // the early archives are kept byte for byte
        long early = earlyLength(b);
        assertThat(earlyLength(a)).as("early cpio length").isEqualTo(early);
        assertThat(Arrays.copyOf(after, (int) early)).isEqualTo(Arrays.copyOf(before, (int) early));
        byte[] mainBefore = Arrays.copyOfRange(before, (int) early, before.length);
        byte[] mainAfter = Arrays.copyOfRange(after, (int) early, after.length);

        // lsinitramfs and lsinitrd list the drivers
        String lsinitramfs = Tools.shOk(work, "lsinitramfs " + a).out();
        String lsinitrd = Tools.shOk(work, "lsinitrd " + a).out();
        for (String rel : HV) {
            assertThat(lsinitramfs)
                    .as("lsinitramfs lists %s", rel)
                    .containsPattern("(?m)/modules/" + v + "/" + rel + "$");
            assertThat(lsinitrd)
                    .as("lsinitrd lists %s", rel)
                    .containsPattern("(?m) \\S*/modules/" + v + "/" + rel + "$");
        }
        // ... and still everything they listed before
        Set<String> listedBefore =
                new HashSet<>(Tools.shOk(work, "lsinitramfs " + b).out().lines().toList());
        assertThat(lsinitramfs.lines().toList()).containsAll(listedBefore);

        // one compressed main archive holding one cpio archive without duplicate names, nothing appended
        byte[] decoded = Tools.sh(work, decoder(mainAfter), mainAfter).stdout();
        String listing = new String(Tools.sh(work, "cpio -t --quiet", decoded).stdout(), StandardCharsets.UTF_8);
        List<String> names = listing.lines().map(CpioEntry::normalise).toList();
        assertThat(names).doesNotHaveDuplicates();
        String decodedText = new String(decoded, StandardCharsets.ISO_8859_1);
        assertThat(decodedText.split("TRAILER!!!", -1))
                .as("TRAILER!!! occurrences + 1")
                .hasSize(2);
        byte[] decodedBefore = Tools.sh(work, decoder(mainBefore), mainBefore).stdout();
        Set<String> namesBefore = new HashSet<>(
                new String(Tools.sh(work, "cpio -t --quiet", decodedBefore).stdout(), StandardCharsets.UTF_8)
                        .lines()
                        .map(CpioEntry::normalise)
                        .toList());
        assertThat(names).containsAll(namesBefore);

        // unmkinitramfs extracts the drivers byte-identical to the guest's module files
        Path x = work.resolve(tag + "-x");
        Tools.shOk(work, "unmkinitramfs " + a + " " + x);
        Path main = early > 0 ? x.resolve("main") : x;
        Path modDir = main.resolve("usr/lib/modules/" + v);
        for (String rel : HV) {
            assertThat(modDir.resolve(rel)).as(rel).hasSameBinaryContentAs(modules.resolve(rel));
        }
        // kmod resolves them through the replaced modules.dep.bin
        List<String> order = HvDriverInjectorOracleTest.insmodOrder(
                Tools.shOk(work, "modprobe -d " + main + " -S " + v + " --show-depends hv_storvsc")
                        .out());
        assertThat(order).contains("hv_vmbus", "scsi_mod").endsWith("hv_storvsc");
        return main;
    }

    @ParameterizedTest
    @ValueSource(strings = {"gzip", "zstd", "xz"})
    void initramfsToolsImageIsRewrittenInItsOwnCompression(String label) throws Exception {
        String v = KernelFixture.version();
        Path guest = KvmGuestFixture.build(work, "initramfs-tools", label, null);
        Path initrd = guest.resolve("boot/initrd.img-" + v);
        byte[] before = Files.readAllBytes(initrd);

        InjectionResult r =
                new HvDrivers().ensure(new DirectoryGuestFiles(guest, false)).get(0);
        System.out.println("HV rewrite (" + label + "): " + r.note());
        assertThat(r.changed()).isTrue();
        assertThat(r.note()).contains("rewrote the main " + label + " archive");
        byte[] after = Files.readAllBytes(initrd);
        long early = earlyLength(initrd);
        assertThat(Compression.detect(after, (int) early, 6)).isEqualTo(Compression.detect(before, (int) early, 6));

        Path main = assertListedAndIntact(before, after, v, KernelFixture.modules(), label);
        // initramfs-tools' load list, replaced in place: the old line kept, the drivers added
        assertThat(Files.readString(main.resolve("conf/modules")).lines().toList())
                .containsExactly("virtio_blk", "hv_vmbus", "hv_storvsc", "hv_netvsc");
        // the modules that were there still resolve through the union index
        assertThat(HvDriverInjectorOracleTest.insmodOrder(
                        Tools.shOk(work, "modprobe -d " + main + " -S " + v + " --show-depends virtio_blk")
                                .out()))
                .endsWith("virtio_blk")
                .contains("virtio", "virtio_ring");

        // idempotent: a second run finds the drivers and changes nothing
        InjectionResult again =
                new HvDrivers().ensure(new DirectoryGuestFiles(guest, false)).get(0);
        assertThat(again.changed()).isFalse();
        assertThat(again.alreadyPresent()).containsExactly("hv_vmbus", "hv_storvsc", "hv_netvsc");
        assertThat(Files.readAllBytes(initrd)).isEqualTo(after);
    }

    @Test
    void dracutImageWithEarlyCpioMarkerListsTheDriversInLsinitrd() throws Exception {
        String v = KernelFixture.version();
        Path guest = KvmGuestFixture.build(work, "dracut", "zstd", null);
        Path img = guest.resolve("boot/initramfs-" + v + ".img");
        // dracut's early archive: the early_cpio marker and the microcode, uncompressed, in front of the main one
        Path early = work.resolve("dracut-early");
        Files.createDirectories(early.resolve("kernel/x86/microcode"));
        Files.writeString(early.resolve("early_cpio"), "1\n");
        Files.write(early.resolve("kernel/x86/microcode/GenuineIntel.bin"), new byte[4096]);
        byte[] earlyCpio = Tools.shOk(early, "find . | sort | cpio --quiet -o -H newc -R 0:0")
                .stdout();
        byte[] fixture = Files.readAllBytes(img);
        long fixtureEarly = earlyLength(img);
        byte[] before =
                InitramfsFixtures.concat(earlyCpio, Arrays.copyOfRange(fixture, (int) fixtureEarly, fixture.length));
        Files.delete(img);
        Files.write(img, before);
        assertThat(Tools.shOk(work, "lsinitrd " + img).out()).contains("early_cpio");

        InjectionResult r =
                new HvDrivers().ensure(new DirectoryGuestFiles(guest, false)).get(0);
        assertThat(r.flavour()).isEqualTo("dracut");
        byte[] after = Files.readAllBytes(img);
        Path main = assertListedAndIntact(before, after, v, KernelFixture.modules(), "dracut");
        assertThat(Files.readString(main.resolve(HvDriverInjector.DRACUT_CONF)))
                .endsWith("hv_vmbus\nhv_storvsc\nhv_netvsc\n");
        assertThat(Tools.shOk(work, "lsinitrd " + img).out())
                .contains("early_cpio")
                .contains(HvDriverInjector.DRACUT_CONF);
    }

    @Test
    void lz4LegacyMainArchiveStaysLz4AndLzmaBecomesGzip() throws Exception {
        String v = KernelFixture.version();
        Path guest = KvmGuestFixture.build(work, "initramfs-tools", "lz4-legacy", null);
        Path initrd = guest.resolve("boot/initrd.img-" + v);
        byte[] before = Files.readAllBytes(initrd);
        InjectionResult r =
                new HvDrivers().ensure(new DirectoryGuestFiles(guest, false)).get(0);
        assertThat(r.note()).contains("rewrote the main lz4-legacy archive");
        byte[] after = Files.readAllBytes(initrd);
        assertThat(Compression.detect(after, (int) earlyLength(initrd), 6)).isEqualTo(Compression.LZ4_LEGACY);
        assertListedAndIntact(before, after, v, KernelFixture.modules(), "lz4");

        // lzma (LZMA_Alone): no encoder whose output the kernel's unlzma is known to take; the main archive becomes
        // gzip and the result says so
        Path w2 = Files.createDirectories(work.resolve("lzma"));
        Path g2 = KvmGuestFixture.build(w2, "initramfs-tools", "lzma", null);
        Path i2 = g2.resolve("boot/initrd.img-" + v);
        byte[] b2 = Files.readAllBytes(i2);
        InjectionResult r2 =
                new HvDrivers().ensure(new DirectoryGuestFiles(g2, false)).get(0);
        assertThat(r2.note()).contains("recompressed as gzip").contains("no lzma encoder");
        byte[] a2 = Files.readAllBytes(i2);
        assertThat(Compression.detect(a2, (int) earlyLength(i2), 6)).isEqualTo(Compression.GZIP);
        assertListedAndIntact(b2, a2, v, KernelFixture.modules(), "lzma");
    }

    @Test
    void twoCompressedMembersFallBackToAppendingAndSayWhy() throws Exception {
        String v = KernelFixture.version();
        Path guest = KvmGuestFixture.build(work, "initramfs-tools", "gzip", null);
        Path initrd = guest.resolve("boot/initrd.img-" + v);
        // a second compressed archive after the main one (what the previous version of the repair left)
        Path extra = Files.createDirectories(work.resolve("extra/etc"));
        Files.writeString(extra.resolve("extra.conf"), "x\n");
        byte[] before = InitramfsFixtures.concat(
                Files.readAllBytes(initrd), InitramfsFixtures.member(work.resolve("extra"), "gzip", "newc"));
        Files.delete(initrd);
        Files.write(initrd, before);
        InjectionResult r =
                new HvDrivers().ensure(new DirectoryGuestFiles(guest, false)).get(0);
        assertThat(r.changed()).isTrue();
        assertThat(r.note()).contains("appended a gzip member").contains("more than one compressed archive");
        byte[] after = Files.readAllBytes(initrd);
        assertThat(Arrays.copyOf(after, before.length)).isEqualTo(before);
        // the kernel's view (every member in order): our reader lists the drivers in the last member
        List<CpioEntry> entries = new InitramfsReader().list(after);
        int last = entries.get(entries.size() - 1).member();
        assertThat(entries)
                .filteredOn(e -> e.member() == last)
                .extracting(CpioEntry::path)
                .anyMatch(p -> p.endsWith("/hv_vmbus.ko"));
    }

    /**
     * The real host-only dracut initramfs of the bookworm-dracut guest fixture (built by dracut 059 with
     * {@code --omit-drivers 'hv_vmbus hv_storvsc hv_netvsc'}), repaired with the guest's own module files.
     */
    @Test
    @Tag("guests")
    void realDracutHostonlyImage() throws Exception {
        // where build-guest.sh keeps its trees and the host-only initramfs: $GUEST_CACHE_DIR, else target/guests/cache
        List<Path> caches = Stream.of(
                        System.getenv("GUEST_CACHE_DIR"),
                        "target/guests/cache",
                        System.getProperty("user.home") + "/.cache/linuximage/guests")
                .filter(d -> d != null)
                .map(Path::of)
                .filter(Files::isDirectory)
                .toList();
        Optional<Path> found = Optional.empty();
        for (Path c : caches) {
            try (Stream<Path> s = Files.list(c)) {
                found = found.or(
                        () -> s.filter(p -> p.getFileName().toString().matches(".*\\.initrd-hostonly-.*\\.img"))
                                .findFirst());
            }
        }
        assertThat(found)
                .as("the dracut-hostonly guest fixture's initramfs in %s (built by -Pguests)", caches)
                .isPresent();
        Path cache = found.get().getParent();
        Path img = found.get();
        String name = img.getFileName().toString();
        String fixture = name.substring(0, name.indexOf(".initrd-hostonly-"));
        String v = name.substring(name.indexOf(".initrd-hostonly-") + 17, name.lastIndexOf('-'));
        Path modules = cache.resolve(fixture + "/tree/lib/modules/" + v);
        assertThat(modules.resolve("modules.dep")).exists();
        byte[] before = Files.readAllBytes(img);
        assertThat(Tools.shOk(work, "lsinitrd " + img).out()).doesNotContain("hv_vmbus.ko");

        HvDriverInjector.Plan p = new HvDriverInjector()
                .plan(v, "/boot/initrd.img-" + v, before, directoryModules(modules), HvDriverInjector.HV_MODULES);
        System.out.println("HV rewrite (real dracut host-only): " + p.result().note());
        assertThat(p.result().flavour()).isEqualTo("dracut");
        assertThat(p.result().note()).contains("rewrote the main gzip archive");
        Path main = assertListedAndIntact(before, p.newImage(), v, modules, "real");
        assertThat(main.resolve(HvDriverInjector.DRACUT_CONF)).exists();
        assertThat(new HvDriverInjector()
                        .plan(v, "/boot/x", p.newImage(), directoryModules(modules), HvDriverInjector.HV_MODULES)
                        .newImage())
                .isNull();
    }

    /** Module files of {@code dir} (a guest's {@code lib/modules/<v>}), found through its modules.dep paths. */
    static ModuleSource directoryModules(Path dir) throws IOException {
        Map<String, String> paths = new java.util.HashMap<>();
        for (String l : Files.readAllLines(dir.resolve("modules.dep"))) {
            String rel = l.substring(0, l.indexOf(':'));
            paths.put(dev.linuximage.core.initramfs.kmod.ModuleFile.moduleName(rel), rel);
        }
        Set<String> builtin = new HashSet<>();
        for (String l : Files.readAllLines(dir.resolve("modules.builtin"))) {
            builtin.add(dev.linuximage.core.initramfs.kmod.ModuleFile.moduleName(l));
        }
        return new ModuleSource() {
            @Override
            public Optional<Module> find(String name) throws IOException {
                String rel = paths.get(name);
                return rel == null
                        ? Optional.empty()
                        : Optional.of(new Module(name, rel, Files.readAllBytes(dir.resolve(rel))));
            }

            @Override
            public Set<String> builtin() {
                return builtin;
            }
        };
    }
}
