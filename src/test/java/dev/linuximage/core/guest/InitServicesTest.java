package dev.linuximage.core.guest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.linuximage.core.guestfs.ChangeLog;
import dev.linuximage.testsupport.DirectoryGuestFiles;
import dev.linuximage.testsupport.FamilyGuests;
import dev.linuximage.testsupport.GuestTree;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SysV and OpenRC services. Expected links are what the tools document: {@code chkconfig <svc> on} creates
 * {@code S<start><svc>} in runlevels 2-5 from the script's {@code # chkconfig: <levels> <start> <stop>} header and
 * kill links in the other levels (chkconfig(8)); {@code rc-update add <svc> <level>} links
 * {@code /etc/runlevels/<level>/<svc>} to {@code /etc/init.d/<svc>} (rc-update(8)).
 */
class InitServicesTest {

    @Test
    void sysvChkconfigOnReplacesKillLinksInRunlevels2To5(@TempDir Path dir) throws Exception {
        GuestTree t = FamilyGuests.rhel6(dir, "6.5");
        try (DirectoryGuestFiles g = new DirectoryGuestFiles(t.root(), false)) {
            InitServices init = new InitServices(new GuestReader(g));
            assertThat(init.kind()).isEqualTo(InitServices.Kind.SYSV);
            assertThat(init.defaultRunlevel()).isEqualTo(3);
            SystemdUnits.UnitState before = init.state("sshd");
            assertThat(before.installed()).isTrue();
            assertThat(before.path()).isEqualTo("/etc/rc.d/init.d/sshd");
            assertThat(before.enabled()).as("K links only: chkconfig sshd off").isFalse();
            ChangeLog log = new ChangeLog();
            assertThat(init.enable(new GuestEditor(g, log), "SSH-SERVER", "sshd", "default"))
                    .isTrue();
            assertThat(init.state("sshd").enabledBy()).containsExactly("/etc/rc.d/rc3.d/S55sshd");
        }
        for (int n = 0; n <= 6; n++) {
            boolean on = n >= 2 && n <= 5;
            assertThat(t.exists("/etc/rc.d/rc" + n + ".d/S55sshd"))
                    .as("S55sshd in rc%d.d", n)
                    .isEqualTo(on);
            assertThat(t.exists("/etc/rc.d/rc" + n + ".d/K25sshd"))
                    .as("K25sshd in rc%d.d", n)
                    .isEqualTo(!on);
            if (on) {
                assertThat(t.readLink("/etc/rc.d/rc" + n + ".d/S55sshd")).isEqualTo("../init.d/sshd");
            }
        }
        // a service that never had links (cloud-init-local, header "- 08 92"): S08 in 2-5, K92 in 0, 1, 6
        try (DirectoryGuestFiles g = new DirectoryGuestFiles(t.root(), false)) {
            InitServices init = new InitServices(new GuestReader(g));
            init.enable(new GuestEditor(g, new ChangeLog()), "AGENT-PRESENT", "cloud-init-local", "boot");
        }
        for (int n = 0; n <= 6; n++) {
            boolean on = n >= 2 && n <= 5;
            assertThat(t.exists("/etc/rc.d/rc" + n + ".d/S08cloud-init-local")).isEqualTo(on);
            assertThat(t.exists("/etc/rc.d/rc" + n + ".d/K92cloud-init-local")).isEqualTo(!on);
        }
    }

    @Test
    void enablingTwiceChangesNothing(@TempDir Path dir) throws Exception {
        GuestTree t = FamilyGuests.rhel6(dir, "6.5");
        try (DirectoryGuestFiles g = new DirectoryGuestFiles(t.root(), false)) {
            InitServices init = new InitServices(new GuestReader(g));
            init.enable(new GuestEditor(g, new ChangeLog()), "SSH-SERVER", "sshd", "default");
            ChangeLog second = new ChangeLog();
            init.enable(new GuestEditor(g, second), "SSH-SERVER", "sshd", "default");
            assertThat(second.changes()).isEmpty();
        }
    }

    @Test
    void aScriptWithoutChkconfigHeaderIsNotGuessed(@TempDir Path dir) throws Exception {
        GuestTree t = new GuestTree(dir);
        t.file("/etc/init.d/ssh", "#!/bin/sh\n### BEGIN INIT INFO\n# Provides: sshd\n### END INIT INFO\n", "rwxr-xr-x");
        t.dir("/etc/rc2.d").dir("/etc/rc0.d");
        String before = t.digest();
        try (DirectoryGuestFiles g = new DirectoryGuestFiles(t.root(), false)) {
            InitServices init = new InitServices(new GuestReader(g));
            assertThat(init.kind()).isEqualTo(InitServices.Kind.SYSV);
            assertThat(init.state("ssh").installed()).isTrue();
            assertThat(init.enable(new GuestEditor(g, new ChangeLog()), "SSH-SERVER", "ssh", "default"))
                    .isFalse();
        }
        assertThat(t.digest()).isEqualTo(before);
    }

    @Test
    void debianSysvWithoutInittabCountsAnyMultiUserLevel(@TempDir Path dir) throws Exception {
        GuestTree t = new GuestTree(dir);
        t.file("/etc/init.d/ssh", "#!/bin/sh\n", "rwxr-xr-x");
        t.dir("/etc/rc0.d").dir("/etc/rc3.d");
        t.link("/etc/rc2.d/S01ssh", "../init.d/ssh");
        try (DirectoryGuestFiles g = new DirectoryGuestFiles(t.root(), true)) {
            InitServices init = new InitServices(new GuestReader(g));
            assertThat(init.state("ssh").enabledBy()).containsExactly("/etc/rc2.d/S01ssh");
        }
    }

    @Test
    void openRcRcUpdateAddLinksIntoTheRunlevel(@TempDir Path dir) throws Exception {
        GuestTree t = FamilyGuests.alpine(dir);
        try (DirectoryGuestFiles g = new DirectoryGuestFiles(t.root(), false)) {
            InitServices init = new InitServices(new GuestReader(g));
            assertThat(init.kind()).isEqualTo(InitServices.Kind.OPENRC);
            assertThat(init.state("networking").enabledBy()).containsExactly("/etc/runlevels/boot/networking");
            assertThat(init.state("sshd").enabled()).isFalse();
            init.enable(new GuestEditor(g, new ChangeLog()), "SSH-SERVER", "sshd", "default");
            assertThat(init.state("sshd").enabled()).isTrue();
            assertThat(init.enable(new GuestEditor(g, new ChangeLog()), "X", "nonexistent", "default"))
                    .isFalse();
        }
        assertThat(t.readLink("/etc/runlevels/default/sshd")).isEqualTo("/etc/init.d/sshd");
    }
}
