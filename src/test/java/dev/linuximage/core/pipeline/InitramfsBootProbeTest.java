package dev.linuximage.core.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.linuximage.core.guest.InitramfsBoot;
import dev.linuximage.core.initramfs.InitramfsReader;
import dev.linuximage.testsupport.initramfs.GeneratorFixture;
import dev.linuximage.testsupport.initramfs.InitramfsFixtures;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link InitramfsBootProbe} on initramfs images whose scripts are the real ones of Debian bookworm's initramfs-tools
 * 0.142 and dracut 059 ({@link GeneratorFixture}). The expectations come from those sources: initramfs-tools'
 * {@code init} runs {@code sleep "$ROOTDELAY"} guarded only by {@code if [ "$ROOTDELAY" ]}; no dracut script reads
 * {@code rootdelay} at all (checked here over the whole unpacked package, not only the files in the image).
 */
class InitramfsBootProbeTest {
    private static final InitramfsReader READER = new InitramfsReader();

    /** 1-based line of {@code sleep "$ROOTDELAY"} in the package's init, and that it is guarded only by being set. */
    static int sleepLine() throws IOException, InterruptedException {
        List<String> init = Files.readAllLines(
                GeneratorFixture.initramfsTools().resolve("usr/share/initramfs-tools/init"), StandardCharsets.UTF_8);
        for (int i = 0; i < init.size(); i++) {
            if (init.get(i).strip().equals("sleep \"$ROOTDELAY\"")) {
                assertThat(init.get(i - 1).strip()).isEqualTo("if [ \"$ROOTDELAY\" ]; then");
                return i + 1;
            }
        }
        throw new AssertionError("initramfs-tools' init no longer sleeps $ROOTDELAY: revisit RootDelayRule");
    }

    @Test
    void initramfsToolsInitSleepsTheWholeRootdelay(@TempDir Path work) throws Exception {
        byte[] image = GeneratorFixture.initramfsToolsImage(work, null);
        InitramfsBoot b = InitramfsBootProbe.read("/boot/initrd.img-6.1.0-test-amd64", image, READER);
        assertThat(b.generator()).isEqualTo("initramfs-tools");
        assertThat(b.rootDelay()).isEqualTo(InitramfsBoot.RootDelay.SLEEP);
        assertThat(b.rootDelayEvidence())
                .contains("init line " + sleepLine() + " ")
                .contains("sleep \"$ROOTDELAY\"");
        assertThat(b.resume()).isNull();
    }

    @Test
    void initramfsToolsResumeComesFromConfD(@TempDir Path work) throws Exception {
        byte[] image = GeneratorFixture.initramfsToolsImage(work, "UUID=99998888-7777-6666-5555-444433332222");
        InitramfsBoot b = InitramfsBootProbe.read("/boot/initrd.img-x", image, READER);
        assertThat(b.resume()).isEqualTo("UUID=99998888-7777-6666-5555-444433332222");
        assertThat(b.resumeEvidence()).startsWith("conf/conf.d/resume line 1: RESUME=UUID=");
        // RESUME=none is what the product writes for future images: it configures no resume
        byte[] none = GeneratorFixture.initramfsToolsImage(work.resolve("none"), "none");
        assertThat(InitramfsBootProbe.read("/boot/initrd.img-x", none, READER).resume())
                .isNull();
    }

    @Test
    void noDracutScriptReadsRootdelay() throws Exception {
        try (var s = Files.walk(GeneratorFixture.dracut().resolve("usr/lib/dracut"))) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                String text = new String(Files.readAllBytes(p), StandardCharsets.ISO_8859_1);
                assertThat(text.toLowerCase(Locale.ROOT)).as(p.toString()).doesNotContain("rootdelay");
            }
        }
    }

    @Test
    void dracutWithSystemdDoesNotReadRootdelay(@TempDir Path work) throws Exception {
        byte[] image = GeneratorFixture.dracutImage(work, true, null);
        InitramfsBoot b = InitramfsBootProbe.read("/boot/initramfs-5.14.img", image, READER);
        assertThat(b.generator()).isEqualTo("dracut");
        assertThat(b.rootDelay()).isEqualTo(InitramfsBoot.RootDelay.NOT_READ);
        assertThat(b.rootDelayEvidence()).contains("/init -> usr/lib/systemd/systemd");
        assertThat(b.resume()).isNull();
    }

    @Test
    void dracutWithoutSystemdDoesNotReadRootdelayEither(@TempDir Path work) throws Exception {
        byte[] image = GeneratorFixture.dracutImage(work, false, null);
        InitramfsBoot b = InitramfsBootProbe.read("/boot/initramfs-5.14.img", image, READER);
        assertThat(b.generator()).isEqualTo("dracut");
        assertThat(b.rootDelay()).isEqualTo(InitramfsBoot.RootDelay.NOT_READ);
    }

    @Test
    void dracutHostOnlyResumeComesFromCmdlineD(@TempDir Path work) throws Exception {
        byte[] image = GeneratorFixture.dracutImage(work, true, "/dev/mapper/rhel-swap");
        InitramfsBoot b = InitramfsBootProbe.read("/boot/initramfs-5.14.img", image, READER);
        assertThat(b.resume()).isEqualTo("/dev/mapper/rhel-swap");
        assertThat(b.resumeEvidence()).startsWith("etc/cmdline.d/95resume.conf line 1");
    }

    @Test
    void anImageWithoutInitLeavesRootToTheKernel(@TempDir Path work) throws Exception {
        byte[] microcodeOnly = InitramfsFixtures.earlyMember(work);
        InitramfsBoot b = InitramfsBootProbe.read("/boot/initrd.img-x", microcodeOnly, READER);
        assertThat(b.rootDelay()).isEqualTo(InitramfsBoot.RootDelay.KERNEL_SLEEP);
        assertThat(b.rootDelayEvidence()).contains("has no /init").contains("do_mounts");
    }
}
