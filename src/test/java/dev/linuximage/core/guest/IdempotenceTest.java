package dev.linuximage.core.guest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.linuximage.testsupport.DirectoryGuestFiles;
import dev.linuximage.testsupport.GuestFixtures;
import dev.linuximage.testsupport.GuestTree;
import dev.linuximage.testsupport.NetworkFixtures;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every fixture × provisioning mode × image kind: the second patch run changes nothing at all. */
class IdempotenceTest {

    static Stream<Arguments> matrix() {
        List<Arguments> out = new ArrayList<>();
        List<Function<Path, GuestTree>> fixtures = List.of(
                GuestFixtures::debian,
                GuestFixtures::rhel8,
                GuestFixtures::rhel9,
                NetworkFixtures::ubuntu2204,
                NetworkFixtures::rhel9,
                NetworkFixtures::rhel8,
                p -> NetworkFixtures.sles15(p, "enp1s0"),
                p -> NetworkFixtures.arch(p, "MACAddress=" + NetworkFixtures.MAC));
        List<String> names = List.of(
                "debian",
                "rhel8",
                "rhel9",
                "ubuntu2204-subiquity",
                "rhel9-keyfile",
                "rhel8-ifcfg",
                "sles15-wicked",
                "arch-networkd");
        for (int i = 0; i < fixtures.size(); i++) {
            for (Provisioning p : Provisioning.values()) {
                for (ImageKind k : ImageKind.values()) {
                    out.add(Arguments.of(names.get(i), fixtures.get(i), p, k));
                }
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {2} {3}")
    @MethodSource("matrix")
    void secondRunIsEmpty(
            String name, Function<Path, GuestTree> fixture, Provisioning p, ImageKind k, @TempDir Path dir)
            throws Exception {
        GuestTree t = fixture.apply(dir);
        PatchOptions o = new PatchOptions(
                k,
                p,
                1024,
                true,
                List.of("nvme_core.io_timeout=240"),
                List.of("resume"),
                false,
                List.of("builder"),
                true,
                PatchOptions.DEFAULT_MAX_DISK_SIZE);
        try (DirectoryGuestFiles g = new DirectoryGuestFiles(t.root(), false)) {
            GuestPatcher.Result first = GuestPatcher.patch(g, o, List.of(), null);
            assertThat(first.errors()).isEmpty();
            assertThat(first.changes().changes()).isNotEmpty();
        }
        String digest = t.digest();
        try (DirectoryGuestFiles g = new DirectoryGuestFiles(t.root(), false)) {
            GuestPatcher.Result second = GuestPatcher.patch(g, o, List.of(), null);
            assertThat(second.errors()).isEmpty();
            assertThat(second.changes().changes()).isEmpty();
            assertThat(g.mutations.get()).isZero();
        }
        assertThat(t.digest()).isEqualTo(digest);
    }

    @org.junit.jupiter.api.Test
    void filesWithoutFinalNewlineOrWithCrlfAreNotRewrittenWhenAlreadyRight(@TempDir Path dir) throws Exception {
        GuestTree t = GuestFixtures.debian(dir);
        PatchOptions o =
                PatchOptions.defaults().withRemoveUsers(List.of("builder")).withProvisioning(Provisioning.WALinuxAgent);
        try (DirectoryGuestFiles g = new DirectoryGuestFiles(t.root(), false)) {
            GuestPatcher.patch(g, o, List.of(), null);
        }
        for (String f : List.of(
                "/etc/shadow", "/etc/group", "/etc/gshadow", "/etc/passwd", "/etc/waagent.conf", "/etc/fstab")) {
            t.file(f, t.read(f).stripTrailing());
        }
        t.file("/boot/grub/grub.cfg", t.read("/boot/grub/grub.cfg").replace("\n", "\r\n"));
        String digest = t.digest();
        try (DirectoryGuestFiles g = new DirectoryGuestFiles(t.root(), false)) {
            GuestPatcher.Result again = GuestPatcher.patch(g, o, List.of(), null);
            assertThat(again.changes().changes()).isEmpty();
        }
        assertThat(t.digest()).isEqualTo(digest);
    }
}
