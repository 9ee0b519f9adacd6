package dev.linuximage.core.initramfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.linuximage.core.initramfs.kmod.KmodException;
import dev.linuximage.testsupport.Tools;
import dev.linuximage.testsupport.initramfs.InitramfsFixtures;
import dev.linuximage.testsupport.initramfs.KernelFixture;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What {@link HvDriverInjector#plan} refuses or leaves alone, on small in-memory images. */
@Tag("oracle")
class HvDriverInjectorRefusalOracleTest {
    /** The version of the real kernel package the fixture fetched (Debian moves linux-image-amd64 forward). */
    private String V;

    @TempDir
    Path work;

    @BeforeEach
    void kernelVersion() throws Exception {
        V = KernelFixture.version();
    }

    /** Serves the real Debian modules, optionally pretending to be another kernel version. */
    static ModuleSource realModules(boolean empty) {
        return new ModuleSource() {
            @Override
            public Optional<Module> find(String name) throws IOException {
                if (empty) {
                    return Optional.empty();
                }
                try (var s = Files.walk(KernelFixture.modules())) {
                    Path p = s.filter(f -> f.getFileName().toString().equals(name + ".ko"))
                            .findFirst()
                            .orElse(null);
                    if (p == null) {
                        return Optional.empty();
                    }
                    String rel = KernelFixture.modules().relativize(p).toString();
                    return Optional.of(new Module(name, rel, Files.readAllBytes(p)));
                } catch (InterruptedException e) {
                    throw new IOException(e);
                }
            }

            @Override
            public Set<String> builtin() {
                return Set.of();
            }
        };
    }

    private byte[] image(String... files) throws IOException {
        CpioWriter.InMemory m = new CpioWriter.InMemory();
        m.writer().symlink("lib", "usr/lib");
        m.writer().directory("usr", 0755);
        m.writer().directory("usr/lib", 0755);
        m.writer().directory("usr/lib/modules", 0755);
        m.writer().directory("usr/lib/modules/" + V, 0755);
        for (String f : files) {
            m.writer().file(f, 0644, new byte[] {1, 2, 3});
        }
        return m.finish();
    }

    @Test
    void binaryIndexWithoutTextIsRefused() throws Exception {
        byte[] img = image("usr/lib/modules/" + V + "/modules.dep.bin");
        assertThatThrownBy(() ->
                        new HvDriverInjector().plan(V, "/boot/x", img, realModules(false), HvDriverInjector.HV_MODULES))
                .isInstanceOf(InitramfsException.class)
                .hasMessageContaining("initramfs.modules.dep");
    }

    @Test
    void unavailableModulesLeaveTheImageAlone() throws Exception {
        byte[] img = image();
        HvDriverInjector.Plan p =
                new HvDriverInjector().plan(V, "/boot/x", img, realModules(true), HvDriverInjector.HV_MODULES);
        assertThat(p.newImage()).isNull();
        assertThat(p.result().changed()).isFalse();
        assertThat(p.result().unavailable()).containsExactly("hv_vmbus", "hv_storvsc", "hv_netvsc");
    }

    @Test
    void modulesOfAnotherKernelAreRefused() throws Exception {
        byte[] img = image();
        assertThatThrownBy(() -> new HvDriverInjector()
                        .plan("5.10.0-99-amd64", "/boot/x", img, realModules(false), HvDriverInjector.HV_MODULES))
                .isInstanceOf(KmodException.class)
                .hasMessageContaining("module.vermagic");
    }

    @Test
    void appendingAfterAnLz4LegacyMemberIsRefused() throws Exception {
        // two compressed members (so no single main archive to rewrite), the last one LZ4 legacy: the append
        // fallback would put a member after LZ4 data, which has no end marker
        Tools.require("cpio", "lz4", "gzip");
        Path tree = work.resolve("t");
        Files.createDirectories(tree.resolve("usr/lib/modules/" + V));
        Path other = work.resolve("o");
        Files.createDirectories(other.resolve("etc"));
        byte[] img = InitramfsFixtures.concat(
                InitramfsFixtures.member(tree, "gzip", "newc"), InitramfsFixtures.member(other, "lz4-legacy", "newc"));
        assertThatThrownBy(() ->
                        new HvDriverInjector().plan(V, "/boot/x", img, realModules(false), HvDriverInjector.HV_MODULES))
                .hasMessageContaining("initramfs.append");
    }

    @Test
    void anLz4LegacyMainArchiveIsRewrittenInLz4Legacy() throws Exception {
        Tools.require("cpio", "lz4");
        Path tree = work.resolve("t");
        Files.createDirectories(tree.resolve("lib/modules/" + V));
        byte[] img = InitramfsFixtures.member(tree, "lz4-legacy", "newc");
        HvDriverInjector.Plan p =
                new HvDriverInjector().plan(V, "/boot/x", img, realModules(false), HvDriverInjector.HV_MODULES);
        assertThat(p.result().note()).contains("rewrote the main lz4-legacy archive");
        Files.write(work.resolve("new.lz4"), p.newImage());
        String listing = Tools.shOk(work, "lz4 -dc new.lz4 | cpio -t --quiet").out();
        assertThat(listing)
                .contains(
                        "lib/modules/" + V + "/kernel/drivers/hv/hv_vmbus.ko", "lib/modules/" + V + "/modules.dep.bin");
    }

    @Test
    void plainImageGetsModulesAndIndexesAndAListingShowsThem() throws Exception {
        byte[] img = image();
        HvDriverInjector.Plan p =
                new HvDriverInjector().plan(V, "/boot/x", img, realModules(false), java.util.List.of("hv_netvsc"));
        assertThat(p.result().added()).containsExactly("hv_vmbus", "hv_netvsc");
        assertThat(p.result().flavour()).isEqualTo("unknown");
        // no compressed main archive to rewrite: the fallback appends a gzip member and says why
        assertThat(p.result().note()).contains("appended a gzip member", "no compressed main archive");
        var lines = new InitramfsReader()
                .list(p.newImage()).stream().map(InitramfsReader::format).toList();
        assertThat(lines).contains("0 cpio l0777 7 lib -> usr/lib");
        assertThat(lines)
                .anyMatch(l -> l.startsWith("1 gzip -0644 ")
                        && l.endsWith("usr/lib/modules/" + V + "/kernel/drivers/net/hyperv/hv_netvsc.ko"));
        assertThat(lines).anyMatch(l -> l.endsWith("usr/lib/modules/" + V + "/modules.dep.bin"));
        assertThat(lines).anyMatch(l -> l.endsWith(HvDriverInjector.DRACUT_CONF));
        // no directory the image already has is emitted again (the kernel would chmod it)
        assertThat(lines).noneMatch(l -> l.startsWith("1 ") && l.endsWith(" usr/lib/modules/" + V));
    }
}
