package dev.linuximage.core.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.linuximage.testsupport.DirectoryGuestFiles;
import dev.linuximage.testsupport.GuestFixtures;
import dev.linuximage.testsupport.GuestTree;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * systemd itself as the oracle: {@code systemctl --root=TREE is-enabled UNIT} reads the same links offline. What our
 * inspection says must agree with it before and after our enable/disable.
 */
@Tag("oracle")
class SystemctlOracleTest {

    static String isEnabled(GuestTree t, String unit) throws Exception {
        Process p;
        try {
            p = new ProcessBuilder("systemctl", "--root=" + t.root(), "is-enabled", unit)
                    .redirectErrorStream(true)
                    .start();
        } catch (java.io.IOException e) {
            throw new AssertionError("systemctl (Debian package systemd) is needed for this oracle test", e);
        }
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("systemctl is-enabled hung");
        }
        return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    }

    static boolean ours(GuestTree t, String unit) throws Exception {
        try (DirectoryGuestFiles g = new DirectoryGuestFiles(t.root(), true)) {
            return new SystemdUnits(new GuestReader(g)).state(unit).enabled();
        }
    }

    @Test
    void debianSshAndAgentLessUnitAgreeWithSystemctl(@TempDir Path dir) throws Exception {
        GuestTree t = GuestFixtures.debian(dir);
        assertThat(isEnabled(t, "ssh.service")).isEqualTo("disabled");
        assertThat(ours(t, "ssh.service")).isFalse();
        assertThat(isEnabled(t, "walinuxagent.service")).isEqualTo("enabled");
        assertThat(ours(t, "walinuxagent.service")).isTrue();
        try (DirectoryGuestFiles g = new DirectoryGuestFiles(t.root(), false)) {
            GuestPatcher.patch(g, PatchOptions.defaults().withProvisioning(Provisioning.None), List.of(), null);
        }
        assertThat(isEnabled(t, "ssh.service")).isEqualTo("enabled");
        assertThat(isEnabled(t, "sshd.service")).isEqualTo("alias");
        assertThat(ours(t, "ssh.service")).isTrue();
        assertThat(isEnabled(t, NoAgentPatch.UNIT_NAME)).isEqualTo("enabled");
        assertThat(ours(t, NoAgentPatch.UNIT_NAME)).isTrue();
        assertThat(isEnabled(t, "walinuxagent.service")).isEqualTo("disabled");
        assertThat(ours(t, "walinuxagent.service")).isFalse();
    }

    @Test
    void rhelWaagentAndMaskedUnits(@TempDir Path dir) throws Exception {
        GuestTree t = GuestFixtures.rhel8(dir);
        assertThat(isEnabled(t, "waagent.service")).isEqualTo("disabled");
        assertThat(isEnabled(t, "sshd.service")).isEqualTo("enabled");
        assertThat(ours(t, "sshd.service")).isTrue();
        java.nio.file.Files.delete(t.root().resolve("etc/systemd/system/multi-user.target.wants/sshd.service"));
        t.link("/etc/systemd/system/sshd.service", "/dev/null");
        assertThat(isEnabled(t, "sshd.service")).isEqualTo("masked");
        assertThat(ours(t, "sshd.service")).isFalse();
        try (DirectoryGuestFiles g = new DirectoryGuestFiles(t.root(), false)) {
            GuestPatcher.patch(g, PatchOptions.defaults().withProvisioning(Provisioning.WALinuxAgent), List.of(), null);
        }
        assertThat(isEnabled(t, "waagent.service")).isEqualTo("enabled");
        assertThat(isEnabled(t, "sshd.service")).isEqualTo("enabled");
        assertThat(ours(t, "waagent.service")).isTrue();
    }

    @Test
    void systemdAnalyzeAcceptsTheReportReadyUnitWithoutWarnings(@TempDir Path dir) throws Exception {
        GuestTree t = new GuestTree(dir);
        t.bytes("/usr/local/sbin/linuximage-report-ready", NoAgentPatch.script(), "rwxr-xr-x");
        t.bytes(NoAgentPatch.UNIT_PATH, NoAgentPatch.unit(), "rw-r--r--");
        // the targets and slices the unit hangs off, from the host's systemd (the oracle's own vocabulary)
        try (var s = java.nio.file.Files.list(Path.of("/usr/lib/systemd/system"))) {
            for (Path p : (Iterable<Path>) s::iterator) {
                String n = p.getFileName().toString();
                if ((n.endsWith(".target") || n.endsWith(".slice")) && java.nio.file.Files.isRegularFile(p)) {
                    t.file("/usr/lib/systemd/system/" + n, java.nio.file.Files.readString(p));
                }
            }
        }
        Process p = new ProcessBuilder("systemd-analyze", "--root=" + t.root(), "verify", NoAgentPatch.UNIT_PATH)
                .redirectErrorStream(true)
                .start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out).isEmpty();
    }
}
