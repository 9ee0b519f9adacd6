package dev.linuximage.core.guest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.linuximage.core.guestfs.Change;
import dev.linuximage.core.guestfs.ChangeLog;
import dev.linuximage.testsupport.DirectoryGuestFiles;
import dev.linuximage.testsupport.GuestFixtures;
import dev.linuximage.testsupport.GuestTree;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each patch family against realistic guests, and a second run that changes nothing. */
class GuestPatchesTest {

    static GuestPatcher.Result run(GuestTree t, PatchOptions o) throws Exception {
        try (DirectoryGuestFiles g = new DirectoryGuestFiles(t.root(), false)) {
            return GuestPatcher.patch(g, o, List.of(), null);
        }
    }

    @Test
    void swapEntriesAreCommentedOutAndSwapFilesDeleted(@TempDir Path dir) throws Exception {
        GuestTree t = GuestFixtures.debian(dir);
        GuestPatcher.Result r = run(t, PatchOptions.defaults());
        assertThat(r.errors()).isEmpty();
        String fstab = t.read("/etc/fstab");
        assertThat(fstab)
                .contains("# disabled by linuximage (swap belongs on the resource disk): "
                        + "UUID=99998888-7777-6666-5555-444433332222 none      swap sw 0 0");
        assertThat(fstab)
                .contains("\nUUID=0a1b2c3d-1111-2222-3333-444455556666 /         ext4 errors=remount-ro 0 1\n");
        assertThat(t.exists("/swapfile")).isFalse();
        assertThat(t.exists("/mnt/resource/swapfile")).isFalse();
        assertThat(t.exists("/mnt/resource")).isTrue();
        // the fstab swap entry makes resume a risk: noresume goes on the command lines (ResumePatch)
        assertThat(r.changes().forRequirement("SWAP-OS-DISK"))
                .extracting(Change::path)
                .containsExactly("/etc/fstab", "/swapfile", "/etc/default/grub", "/boot/grub/grub.cfg");
        assertThat(t.read("/boot/grub/grub.cfg")).contains(" noresume\n");
        assertThat(run(t, PatchOptions.defaults()).changes().changes()).isEmpty();
    }

    @Test
    void onlyTheUdfDisablingLineGoes(@TempDir Path dir) throws Exception {
        GuestTree t = GuestFixtures.debian(dir);
        t.file("/etc/modprobe.d/blacklist-vfat.conf", "blacklist vfat\n");
        run(t, PatchOptions.defaults());
        assertThat(t.read("/etc/modprobe.d/cis-hardening.conf")).isEqualTo("""
                # CIS 1.1.1.x: disable unused file systems
                install cramfs /bin/true
                install freevxfs /bin/true
                """);
        assertThat(t.read("/etc/modprobe.d/blacklist-vfat.conf")).isEmpty();
    }

    @Test
    void waagentKeysPerProvisioningMode(@TempDir Path dir) throws Exception {
        GuestTree t = GuestFixtures.rhel8(dir);
        PatchOptions wa = PatchOptions.defaults().withProvisioning(Provisioning.WALinuxAgent);
        run(t, wa);
        assertThat(t.read("/etc/waagent.conf")).isEqualTo("""
                Provisioning.Agent=auto
                ResourceDisk.Format=y
                ResourceDisk.Filesystem=ext4
                ResourceDisk.MountPoint=/mnt/resource
                ResourceDisk.EnableSwap=y
                ResourceDisk.SwapSizeMB=2048
                """);
        // waagent's unit was installed but not enabled: enabled the way systemctl does
        assertThat(t.readLink("/etc/systemd/system/multi-user.target.wants/waagent.service"))
                .isEqualTo("/usr/lib/systemd/system/waagent.service");
        assertThat(run(t, wa).changes().changes()).isEmpty();

        // Debian's waagent package ships Provisioning.Agent=cloud-init: such an agent would wait for cloud-init
        GuestTree dw = GuestFixtures.rhel8(dir.resolve("dw"));
        dw.file("/etc/waagent.conf", "Provisioning.Agent=cloud-init\nResourceDisk.Format=n\n");
        run(dw, wa);
        assertThat(dw.read("/etc/waagent.conf")).startsWith("Provisioning.Agent=waagent\nResourceDisk.Format=y\n");
        assertThat(run(dw, wa).changes().changes()).isEmpty();
        GuestTree sw = GuestFixtures.rhel8(dir.resolve("sw"));
        run(sw, wa.withImageKind(ImageKind.Specialized));
        assertThat(sw.read("/etc/waagent.conf")).startsWith("Provisioning.Agent=disabled\n");

        GuestTree d = GuestFixtures.debian(dir.resolve("d"));
        run(d, PatchOptions.defaults());
        // the documents replace auto by cloud-init (auto defers to cloud-init only if waagent detects it at run time)
        assertThat(d.read("/etc/waagent.conf"))
                .contains("Provisioning.Agent=cloud-init\n")
                .doesNotContain("Provisioning.Agent=auto")
                .contains("ResourceDisk.Format=n\n")
                .contains("ResourceDisk.EnableSwap=n\n")
                .contains("# Format if unformatted.\n")
                .contains("Logs.Verbose=n\n");
        GuestTree s = GuestFixtures.debian(dir.resolve("s"));
        run(s, PatchOptions.defaults().withImageKind(ImageKind.Specialized));
        assertThat(s.read("/etc/waagent.conf")).contains("Provisioning.Agent=disabled\n");
    }

    @Test
    void cloudInitDropInsAndAMinimalCloudCfgEdit(@TempDir Path dir) throws Exception {
        GuestTree t = GuestFixtures.debian(dir);
        String before = t.read("/etc/cloud/cloud.cfg");
        GuestPatcher.Result r = run(t, PatchOptions.defaults().withCloudInitSwapDropIn(true));
        String after = t.read("/etc/cloud/cloud.cfg");
        assertThat(after).isEqualTo(before.replace(" - ssh\n", " - ssh\n - disk_setup\n - mounts\n"));
        assertThat(t.read("/etc/cloud/cloud.cfg.d/91-azure_datasource.cfg"))
                .contains("datasource_list: [ Azure ]")
                .contains("apply_network_config: False");
        assertThat(t.read("/etc/cloud/cloud.cfg.d/05_logging.cfg"))
                .startsWith("## This yaml formated config file handles setting")
                .endsWith("output: {all: '| tee -a /var/log/cloud-init-output.log'}\n");
        assertThat(t.read("/etc/cloud/cloud.cfg.d/00-azure-swap.cfg"))
                .startsWith("#cloud-config\n")
                .contains("layout: [66, [33, 82]]")
                .contains("x-systemd.requires=cloud-init.service,x-systemd.device-timeout=2");
        assertThat(r.changes().requirements())
                .contains("CLOUDINIT-DATASOURCE", "CLOUDINIT-MOUNTS", "CLOUDINIT-LOGGING", "CLOUDINIT-SWAP");
        try (DirectoryGuestFiles g = new DirectoryGuestFiles(t.root(), true)) {
            CloudConfig c = CloudConfig.read(new GuestReader(g));
            assertThat(c.problems()).isEmpty();
            assertThat(CloudInitPatch.datasourceOk(c)).isTrue();
            assertThat(CloudInitPatch.mountsOk(c)).isTrue();
            assertThat(CloudInitPatch.loggingOk(c)).isTrue();
            assertThat(CloudInitPatch.swapOk(c)).isTrue();
        }
        assertThat(run(t, PatchOptions.defaults().withCloudInitSwapDropIn(true))
                        .changes()
                        .changes())
                .isEmpty();
    }

    @Test
    void mountsListedInTheConfigStageMovesToTheInitStageOnce(@TempDir Path dir) throws Exception {
        GuestTree t = GuestFixtures.debian(dir);
        // Red Hat's cloud.cfg: disk_setup in the init stage, mounts in the config stage
        t.file("/etc/cloud/cloud.cfg", """
                cloud_init_modules:
                 - disk_setup
                 - migrator
                 - bootcmd
                 - write-files
                 - growpart
                 - resizefs
                 - set_hostname
                 - update_hostname
                 - update_etc_hosts
                 - rsyslog
                 - users-groups
                 - ssh

                cloud_config_modules:
                 - mounts
                 - locale
                 - set-passwords
                 - rh_subscription
                 - timezone
                 - disable-ec2-metadata
                 - runcmd

                cloud_final_modules:
                 - scripts-per-once
                 - final-message
                """);
        try (DirectoryGuestFiles g = new DirectoryGuestFiles(t.root(), true)) {
            assertThat(CloudInitPatch.mountsOk(CloudConfig.read(new GuestReader(g))))
                    .isFalse();
        }
        run(t, PatchOptions.defaults());
        try (DirectoryGuestFiles g = new DirectoryGuestFiles(t.root(), true)) {
            CloudConfig c = CloudConfig.read(new GuestReader(g));
            assertThat(c.modules("cloud_init_modules")).containsOnlyOnce("disk_setup", "mounts");
            assertThat(c.modules("cloud_config_modules"))
                    .doesNotContain("mounts")
                    .containsExactly(
                            "locale", "set-passwords", "rh_subscription", "timezone", "disable-ec2-metadata", "runcmd");
            assertThat(CloudInitPatch.mountsOk(c)).isTrue();
        }
        assertThat(run(t, PatchOptions.defaults()).changes().changes()).isEmpty();
        // a repeated item in the init stage goes too
        assertThat(CloudInitPatch.addModules("cloud_init_modules:\n - disk_setup\n - mounts\n - mounts\n"))
                .isEqualTo("cloud_init_modules:\n - disk_setup\n - mounts\n");
    }

    @Test
    void diskSetupGoesBeforeAnExistingMounts() {
        String cfg =
                "cloud_init_modules:\n  - bootcmd\n  - [mounts, always]\n  - ssh\ncloud_config_modules:\n  - runcmd\n";
        assertThat(CloudInitPatch.addModules(cfg))
                .isEqualTo("cloud_init_modules:\n  - bootcmd\n  - disk_setup\n  - [mounts, always]\n  - ssh\n"
                        + "cloud_config_modules:\n  - runcmd\n");
        assertThat(CloudInitPatch.addModules("users: [default]\n")).isNull();
    }

    @Test
    void sshIsEnabledWithItsAliasAndCloudInitDisabledMarkerGoes(@TempDir Path dir) throws Exception {
        GuestTree t = GuestFixtures.debian(dir);
        t.file("/etc/cloud/cloud-init.disabled", "");
        GuestPatcher.Result r = run(t, PatchOptions.defaults());
        assertThat(t.readLink("/etc/systemd/system/multi-user.target.wants/ssh.service"))
                .isEqualTo("/usr/lib/systemd/system/ssh.service");
        assertThat(t.readLink("/etc/systemd/system/sshd.service")).isEqualTo("/usr/lib/systemd/system/ssh.service");
        assertThat(t.exists("/etc/cloud/cloud-init.disabled")).isFalse();
        assertThat(t.readLink("/etc/systemd/system/multi-user.target.wants/cloud-init.target"))
                .isEqualTo("/usr/lib/systemd/system/cloud-init.target");
        assertThat(r.changes().forRequirement("SSH-SERVER")).hasSize(2);
    }

    @Test
    void maskedUnitIsUnmaskedThenEnabled(@TempDir Path dir) throws Exception {
        GuestTree t = GuestFixtures.rhel8(dir);
        Files.delete(t.root().resolve("etc/systemd/system/multi-user.target.wants/sshd.service"));
        t.link("/etc/systemd/system/sshd.service", "/dev/null");
        try (DirectoryGuestFiles g = new DirectoryGuestFiles(t.root(), false)) {
            SystemdUnits u = new SystemdUnits(new GuestReader(g));
            assertThat(u.state("sshd.service").masked()).isTrue();
            assertThat(u.state("sshd.service").enabled()).isFalse();
            assertThat(u.enable(new GuestEditor(g, new ChangeLog()), "SSH-SERVER", "sshd.service"))
                    .isTrue();
            assertThat(u.state("sshd.service").masked()).isFalse();
            assertThat(u.state("sshd.service").enabled()).isTrue();
        }
    }

    @Test
    void generalizedDebianIsDeprovisioned(@TempDir Path dir) throws Exception {
        GuestTree t = GuestFixtures.debian(dir);
        GuestPatcher.Result r = run(t, PatchOptions.defaults().withRemoveUsers(List.of("builder")));
        assertThat(r.errors()).isEmpty();
        assertThat(t.read("/etc/passwd")).doesNotContain("builder").contains("root:x:0:0");
        assertThat(t.read("/etc/shadow"))
                .doesNotContain("builder")
                .startsWith("root:!$y$j9T$abcdefgh$")
                .contains("daemon:*:");
        assertThat(t.read("/etc/group")).isEqualTo("root:x:0:\nadm:x:4:\nsudo:x:27:\nusers:x:100:\nnogroup:x:65534:\n");
        assertThat(t.read("/etc/gshadow")).isEqualTo("root:*::\nadm:*::\nsudo:*::\nusers:*::\nnogroup:*::\n");
        assertThat(PosixFilePermissions.toString(
                        Files.getPosixFilePermissions(t.root().resolve("etc/shadow"))))
                .isEqualTo("rw-r-----");
        assertThat(t.exists("/home/builder")).isFalse();
        assertThat(t.exists("/root/.bash_history")).isFalse();
        assertThat(t.exists("/etc/ssh/ssh_host_ed25519_key")).isFalse();
        assertThat(t.exists("/etc/ssh/ssh_host_rsa_key.pub")).isFalse();
        assertThat(t.exists("/etc/ssh/sshd_config")).isTrue();
        assertThat(t.read("/etc/machine-id")).isEmpty();
        assertThat(t.exists("/var/lib/dbus/machine-id")).isTrue(); // a symlink to /etc/machine-id stays
        assertThat(t.exists("/var/lib/dhcp/dhclient.eth0.leases")).isFalse();
        assertThat(t.read("/etc/hostname")).isEqualTo("localhost\n");
        assertThat(t.exists("/var/log/waagent.log")).isFalse();
        assertThat(t.exists("/var/lib/waagent/ovf-env.xml")).isFalse();
        assertThat(t.exists("/var/lib/waagent")).isTrue();
        assertThat(t.exists("/var/lib/cloud/instances")).isFalse();
        assertThat(t.exists("/var/lib/cloud/instance")).isFalse();
        assertThat(t.read("/var/lib/cloud/seed/nocloud/user-data")).contains("#cloud-config");
        // password hashes never reach the change log
        assertThat(r.changes().changes()).allSatisfy(c -> {
            assertThat(String.valueOf(c.before()))
                    .doesNotContain("0123456789abcdef")
                    .doesNotContain("ZYXWVUTS");
            assertThat(String.valueOf(c.after()))
                    .doesNotContain("0123456789abcdef")
                    .doesNotContain("ZYXWVUTS");
        });
        assertThat(r.changes().forRequirement("DEPROVISION-USERS")).anySatisfy(c -> {
            assertThat(c.path()).isEqualTo("/etc/shadow");
            assertThat(c.after()).contains("root:!<redacted>:19800");
        });
        assertThat(run(t, PatchOptions.defaults().withRemoveUsers(List.of("builder")))
                        .changes()
                        .changes())
                .isEmpty();
    }

    @Test
    void specializedImagesKeepTheirIdentity(@TempDir Path dir) throws Exception {
        GuestTree t = GuestFixtures.debian(dir);
        run(t, PatchOptions.defaults().withImageKind(ImageKind.Specialized));
        assertThat(t.exists("/etc/ssh/ssh_host_ed25519_key")).isTrue();
        assertThat(t.read("/etc/machine-id")).startsWith("4d3c2b1a");
        assertThat(t.read("/etc/passwd")).contains("builder");
    }

    @Test
    void agentLessModeInstallsTheReportReadyUnitAndRemovesWaagent(@TempDir Path dir) throws Exception {
        GuestTree t = GuestFixtures.debian(dir);
        PatchOptions o = PatchOptions.defaults().withProvisioning(Provisioning.None);
        GuestPatcher.Result r = run(t, o);
        assertThat(r.errors()).isEmpty();
        assertThat(Files.readAllBytes(t.root().resolve("usr/local/sbin/linuximage-report-ready")))
                .isEqualTo(NoAgentPatch.script());
        assertThat(PosixFilePermissions.toString(
                        Files.getPosixFilePermissions(t.root().resolve("usr/local/sbin/linuximage-report-ready"))))
                .isEqualTo("rwxr-xr-x");
        assertThat(t.read("/etc/systemd/system/linuximage-report-ready.service"))
                .contains("Type=oneshot");
        assertThat(t.readLink("/etc/systemd/system/multi-user.target.wants/linuximage-report-ready.service"))
                .isEqualTo("/etc/systemd/system/linuximage-report-ready.service");
        assertThat(t.exists("/etc/systemd/system/multi-user.target.wants/walinuxagent.service"))
                .isFalse();
        assertThat(t.exists("/etc/waagent.conf")).isFalse();
        assertThat(t.exists("/var/lib/waagent")).isFalse();
        assertThat(t.exists("/etc/cloud/cloud.cfg.d/91-azure_datasource.cfg")).isFalse();
        // no agent regenerates the removed SSH host keys: the SSH unit makes them before it starts
        assertThat(t.exists("/etc/ssh/ssh_host_ed25519_key")).isFalse();
        assertThat(t.read("/etc/systemd/system/ssh.service.d/linuximage-hostkeys.conf"))
                .contains("[Service]\nExecStartPre=\nExecStartPre=/usr/bin/ssh-keygen -A\n");
        assertThat(run(t, o).changes().changes()).isEmpty();
    }

    @Test
    void withAnAgentNoHostKeyDropInIsWritten(@TempDir Path dir) throws Exception {
        GuestTree t = GuestFixtures.debian(dir);
        run(t, PatchOptions.defaults());
        assertThat(t.exists("/etc/ssh/ssh_host_ed25519_key")).isFalse();
        assertThat(t.exists("/etc/systemd/system/ssh.service.d/linuximage-hostkeys.conf"))
                .isFalse();
    }

    @Test
    void hvRepairHookIsCalledForKernelsMissingModules(@TempDir Path dir) throws Exception {
        GuestTree t = GuestFixtures.rhel8(dir);
        KernelFacts k = new KernelFacts(
                GuestFixtures.RHEL8_KERNEL,
                "/boot/initramfs-" + GuestFixtures.RHEL8_KERNEL + ".img",
                java.util.Set.of(),
                java.util.Set.of("xfs", "hv_vmbus"),
                true);
        List<String> calls = new java.util.ArrayList<>();
        HvDriverRepair hook = (g, v, m) -> {
            calls.add(v + " " + m);
            return "added " + String.join(",", m);
        };
        try (DirectoryGuestFiles g = new DirectoryGuestFiles(t.root(), false)) {
            GuestPatcher.Result r = GuestPatcher.patch(g, PatchOptions.defaults(), List.of(k), hook);
            assertThat(calls).containsExactly(GuestFixtures.RHEL8_KERNEL + " [hv_storvsc, hv_netvsc]");
            assertThat(r.changes().forRequirement("KERNEL-HV-DRIVERS"))
                    .singleElement()
                    .satisfies(c -> assertThat(c.after()).isEqualTo("added hv_storvsc,hv_netvsc"));
        }
        PatchOptions off = new PatchOptions(
                ImageKind.Generalized,
                Provisioning.CloudInit,
                0,
                false,
                List.of(),
                List.of(),
                false,
                List.of(),
                false,
                PatchOptions.DEFAULT_MAX_DISK_SIZE);
        calls.clear();
        try (DirectoryGuestFiles g = new DirectoryGuestFiles(t.root(), false)) {
            GuestPatcher.patch(g, off, List.of(k), hook);
        }
        assertThat(calls).isEmpty();
    }

    @Test
    void anSelinuxGuestRelabelsWhatTheRunCreatedAtFirstBoot(@TempDir Path dir) throws Exception {
        GuestTree t = GuestFixtures.rhel8(dir);
        t.file(
                "/etc/selinux/config",
                "# This file controls the state of SELinux\nSELINUX=enforcing\nSELINUXTYPE=targeted\n");
        GuestPatcher.Result r = run(t, PatchOptions.defaults());
        assertThat(r.errors()).isEmpty();
        assertThat(r.changes().changes()).anyMatch(c -> c.action() == Change.Action.Symlinked); // the agent unit
        assertThat(r.changes().forRequirement("SELINUX-LABELS"))
                .extracting(Change::path)
                .containsExactly("/.autorelabel");
        assertThat(t.exists("/.autorelabel")).isTrue();
        assertThat(run(t, PatchOptions.defaults()).changes().changes()).isEmpty();
    }

    @Test
    void noRelabelWithoutSelinuxOrWithoutCreatedFiles(@TempDir Path dir) throws Exception {
        GuestTree disabled = GuestFixtures.rhel8(dir.resolve("disabled"));
        disabled.file("/etc/selinux/config", "SELINUX=enforcing\nSELINUX=disabled # later wins\n");
        assertThat(run(disabled, PatchOptions.defaults()).changes().changes()).isNotEmpty();
        assertThat(disabled.exists("/.autorelabel")).isFalse();
        GuestTree debian = GuestFixtures.debian(dir.resolve("debian"));
        run(debian, PatchOptions.defaults());
        assertThat(debian.exists("/.autorelabel")).isFalse();
        assertThat(SelinuxRelabelPatch.mode(java.util.Optional.of("SELINUX=\"Permissive\" # quoted\n")))
                .contains("permissive");
        assertThat(SelinuxRelabelPatch.mode(java.util.Optional.empty())).isEmpty();
    }
}
