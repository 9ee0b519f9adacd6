package dev.linuximage.core.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.linuximage.core.compliance.Compliance;
import dev.linuximage.core.guest.GuestEditor;
import dev.linuximage.core.guest.HvDriverPatch;
import dev.linuximage.core.guest.KernelFacts;
import dev.linuximage.core.guest.PatchOptions;
import dev.linuximage.core.guestfs.ChangeLog;
import dev.linuximage.testsupport.DirectoryGuestFiles;
import dev.linuximage.testsupport.GuestTree;
import dev.linuximage.testsupport.Tools;
import dev.linuximage.testsupport.initramfs.KernelFixture;
import dev.linuximage.testsupport.initramfs.KvmGuestFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue #14, "one guest inspection per run": each distinct initramfs content is decoded (decompressed and
 * cpio-parsed) at most once per run before a repair and once after it, counted on the run's own reader
 * ({@link GuestKernels#decodes}) through the real path: the real Debian kernel's modules in an initramfs built with
 * the real cpio/zstd/depmod ({@link KvmGuestFixture}), or the real initramfs-tools scripts
 * ({@link RootDelayResumePrepareTest#debian}).
 *
 * <p>The minimum for check, Hyper-V driver repair, check of one initramfs is 3: the check decodes the image once;
 * the repair must decode its main member once more, because the new archive is the old entries' bodies streamed
 * into a new one and those bodies are not held in memory between the two (the image can be hundreds of MiB
 * decoded); the check after it decodes the rewritten image once, as written, so that it judges the bytes the
 * kernel will unpack and not what the repair meant to write.
 */
class InitramfsDecodeOnceTest {

    static List<KernelFacts> check(GuestKernels gk, Path guest) throws Exception {
        try (DirectoryGuestFiles g = new DirectoryGuestFiles(guest, true)) {
            return gk.read(g);
        }
    }

    @Test
    void aCheckDecodesEachDistinctInitramfsOnce(@TempDir Path work) throws Exception {
        Tools.require("cpio", "zstd", "depmod");
        String v = KernelFixture.version();
        Path guest = KvmGuestFixture.build(work, "dracut", "zstd", null);
        Path boot = guest.resolve("boot");
        // Arch's naming for a second kernel entry whose initramfs has the same bytes under another path
        Files.copy(boot.resolve("vmlinuz-" + v), boot.resolve("vmlinuz-linux"));
        Files.copy(boot.resolve("initramfs-" + v + ".img"), boot.resolve("initramfs-linux.img"));

        GuestKernels gk = new GuestKernels();
        List<KernelFacts> facts = check(gk, guest);
        assertThat(facts).hasSize(2).allSatisfy(k -> {
            assertThat(k.initramfsReadable()).isTrue();
            assertThat(k.boot()).isNotNull();
            assertThat(k.boot().generator()).isEqualTo("dracut");
            // the drivers are missing: a check that built the repair to learn this would decode a third time
            assertThat(HvDriverPatch.missing(k)).isNotEmpty();
        });
        assertThat(gk.decodes()).as("two kernels, one initramfs content").isEqualTo(1);
        // each image read is hashed once, though the boot probe and the driver check both look it up
        assertThat(gk.hashes()).as("two kernels, each image read once").isEqualTo(2);

        // other content (4 zero bytes of padding appended: the same archive) is decoded on its own
        byte[] other = Files.readAllBytes(boot.resolve("initramfs-linux.img"));
        Files.write(boot.resolve("initramfs-linux.img"), Arrays.copyOf(other, other.length + 4));
        check(gk, guest);
        assertThat(gk.decodes()).as("the unchanged image is not decoded again").isEqualTo(2);

        // the cache belongs to the run: another run decodes for itself
        GuestKernels next = new GuestKernels();
        check(next, guest);
        assertThat(next.decodes()).isEqualTo(2);
    }

    @Test
    void checkRepairCheckDecodesThreeTimes(@TempDir Path work) throws Exception {
        Tools.require("cpio", "zstd", "depmod");
        String v = KernelFixture.version();
        Path guest = KvmGuestFixture.build(work, "initramfs-tools", "zstd", null);
        Path image = guest.resolve("boot/initrd.img-" + v);
        byte[] original = Files.readAllBytes(image);

        GuestKernels gk = new GuestKernels();
        List<KernelFacts> before = check(gk, guest);
        assertThat(before)
                .singleElement()
                .satisfies(k -> assertThat(HvDriverPatch.missing(k))
                        .containsExactlyInAnyOrder("hv_vmbus", "hv_storvsc", "hv_netvsc"));
        assertThat(gk.decodes()).as("check").isEqualTo(1);

        ChangeLog log = new ChangeLog();
        try (DirectoryGuestFiles g = new DirectoryGuestFiles(guest, false)) {
            HvDriverPatch.apply(new GuestEditor(g, log), before, PatchOptions.defaults(), gk);
        }
        assertThat(Files.readAllBytes(image)).isNotEqualTo(original);
        assertThat(gk.decodes())
                .as("check + repair (its rewrite of the main member)")
                .isEqualTo(2);

        // same path, new content: decoded again, and not served the stale facts of the image before the repair
        List<KernelFacts> after = check(gk, guest);
        assertThat(after)
                .singleElement()
                .satisfies(k -> assertThat(HvDriverPatch.missing(k)).isEmpty());
        assertThat(gk.decodes()).as("check + repair + check").isEqualTo(3);
        check(gk, guest);
        assertThat(gk.decodes()).as("a further check of the unchanged image").isEqualTo(3);
    }

    @Test
    void aPrepareThatLeavesTheInitramfsAloneDecodesItOnce(@TempDir Path dir, @TempDir Path work) throws Exception {
        GuestTree t = RootDelayResumePrepareTest.debian(dir, work);
        GuestKernels gk = new GuestKernels();
        try (DirectoryGuestFiles g = new DirectoryGuestFiles(t.root(), false)) {
            Compliance.Outcome out = Compliance.prepare(
                    g,
                    PatchOptions.defaults(),
                    new Compliance.Facts(null, null, gk, null),
                    "debian",
                    RootDelayResumePrepareTest.NOW);
            // the run repaired other things (grub, resume), not the initramfs; both checks read its scripts
            assertThat(out.changes()).isNotEmpty();
            assertThat(out.changes()).noneMatch(c -> c.path().equals(RootDelayResumePrepareTest.DEBIAN_INITRD));
            assertThat(RootDelayResumePrepareTest.evidence(
                            RootDelayResumePrepareTest.byId(out.report()).get("CMDLINE-CONSOLE")))
                    .contains("initramfs-tools initramfs " + RootDelayResumePrepareTest.DEBIAN_INITRD);
        }
        assertThat(gk.decodes()).as("prepare: check, repairs, check").isEqualTo(1);

        GuestKernels audit = new GuestKernels();
        try (DirectoryGuestFiles g = new DirectoryGuestFiles(t.root(), true)) {
            Compliance.audit(
                    g,
                    PatchOptions.defaults(),
                    new Compliance.Facts(null, null, audit, null),
                    "debian",
                    RootDelayResumePrepareTest.NOW);
        }
        assertThat(audit.decodes()).as("check").isEqualTo(1);
    }
}
