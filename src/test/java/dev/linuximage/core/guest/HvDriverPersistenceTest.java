package dev.linuximage.core.guest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.linuximage.core.guestfs.ChangeLog;
import dev.linuximage.testsupport.DirectoryGuestFiles;
import dev.linuximage.testsupport.GuestTree;
import dev.linuximage.testsupport.Tools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * KERNEL-HV-DRIVERS persistence: expectations from each generator's documentation (dracut.conf(5),
 * mkinitcpio.conf(5), initramfs-tools(7) and mkinitramfs' MODULES handling, Alpine mkinitfs' features.d); the
 * shell that the generators themselves use to read their configuration is the oracle for what we wrote.
 */
class HvDriverPersistenceTest {
    static final List<String> HV = HvDriverPatch.MODULES;

    private static ChangeLog apply(GuestTree t) throws Exception {
        ChangeLog log = new ChangeLog();
        try (DirectoryGuestFiles g = new DirectoryGuestFiles(t.root(), false)) {
            HvDriverPersistence.apply(new GuestEditor(g, log), HvDriverPatch.REQ, HV);
        }
        return log;
    }

    private static List<HvDriverPersistence.Status> status(GuestTree t) throws Exception {
        try (DirectoryGuestFiles g = new DirectoryGuestFiles(t.root(), true)) {
            return HvDriverPersistence.status(new GuestReader(g), HV);
        }
    }

    private static String sh(GuestTree t, String script) throws Exception {
        return Tools.shOk(t.root(), "bash -c '" + script + "'").out().strip();
    }

    @Test
    void dracutHostOnlyGetsAnAddDriversDropInThatDracutsShellReads(@TempDir Path dir) throws Exception {
        GuestTree t = new GuestTree(dir);
        t.dir("/usr/lib/dracut/modules.d");
        // RHEL/Fedora ship hostonly="yes" in 01-dist.conf
        t.file("/usr/lib/dracut/dracut.conf.d/01-dist.conf", "hostonly=\"yes\"\nhostonly_cmdline=\"no\"\n");
        t.file("/etc/dracut.conf", "# PUT YOUR CONFIG IN separate files\n");
        assertThat(status(t)).singleElement().satisfies(s -> {
            assertThat(s.generator()).isEqualTo(HvDriverPersistence.Generator.DRACUT);
            assertThat(s.atRisk()).isTrue();
            assertThat(s.why()).contains("01-dist.conf");
            assertThat(s.missing()).containsExactlyElementsOf(HV);
        });
        ChangeLog log = apply(t);
        assertThat(log.changes())
                .singleElement()
                .satisfies(c -> assertThat(c.path()).isEqualTo("/etc/dracut.conf.d/90-linuximage-hyperv.conf"));
        // dracut sources every conf file in order; add_drivers accumulates with leading/trailing spaces
        String drivers = sh(
                t,
                "add_drivers=\" virtio_blk \"; for f in usr/lib/dracut/dracut.conf.d/01-dist.conf "
                        + "etc/dracut.conf.d/90-linuximage-hyperv.conf; do . ./$f; done; echo \"[$add_drivers]\"");
        assertThat(drivers).isEqualTo("[ virtio_blk  hv_vmbus hv_storvsc hv_netvsc ]");
        assertThat(status(t))
                .singleElement()
                .satisfies(s -> assertThat(s.atRisk()).isFalse());
        assertThat(apply(t).changes()).isEmpty();
    }

    @Test
    void dracutWithHostonlyNoOrDriversAlreadyConfiguredIsNotAtRisk(@TempDir Path dir) throws Exception {
        GuestTree t = new GuestTree(dir);
        t.file("/usr/bin/dracut", "#!/bin/bash\n");
        t.file("/usr/lib/dracut/dracut.conf.d/01-dist.conf", "hostonly=\"yes\"\n");
        t.file("/etc/dracut.conf.d/50-generic.conf", "hostonly=\"no\" # generic image\n");
        assertThat(status(t).get(0).hostOnly()).isFalse();
        GuestTree u = new GuestTree(dir.resolve("u"));
        u.file("/usr/bin/dracut", "#!/bin/bash\n");
        u.file("/usr/lib/dracut/dracut.conf.d/01-dist.conf", "hostonly=\"yes\"\n");
        u.file(
                "/etc/dracut.conf.d/hyperv.conf",
                "add_drivers+=\" hv_vmbus hv_netvsc \"\n" + "force_drivers+=\" hv-storvsc \"\n");
        assertThat(status(u).get(0).missing()).isEmpty();
        assertThat(status(u).get(0).file()).isEqualTo("/etc/dracut.conf.d/hyperv.conf");
    }

    @Test
    void initramfsToolsModulesDepAppendsMissingLinesKeepingComments(@TempDir Path dir) throws Exception {
        GuestTree t = new GuestTree(dir);
        t.dir("/usr/share/initramfs-tools");
        t.file("/etc/initramfs-tools/initramfs.conf", "# comment\nMODULES=most\n");
        t.file("/etc/initramfs-tools/conf.d/hostonly", "MODULES=dep\n");
        String header = "# List of modules that you want to include in your initramfs.\n#\n# raid1\nhv_vmbus\n";
        t.file("/etc/initramfs-tools/modules", header);
        HvDriverPersistence.Status s = status(t).get(0);
        assertThat(s.atRisk()).isTrue();
        assertThat(s.why()).contains("MODULES=dep").contains("conf.d/hostonly");
        assertThat(s.missing()).containsExactly("hv_storvsc", "hv_netvsc");
        apply(t);
        String after = t.read("/etc/initramfs-tools/modules");
        assertThat(after).startsWith(header);
        // mkinitramfs reads the non-comment lines of the file ("grep '^[^#]'"): module name first
        assertThat(sh(t, "grep \"^[^#]\" etc/initramfs-tools/modules | cut -d\" \" -f1")
                        .lines()
                        .toList())
                .containsExactly("hv_vmbus", "hv_storvsc", "hv_netvsc");
        assertThat(apply(t).changes()).isEmpty();
    }

    @Test
    void initramfsToolsMostIsNotHostOnly(@TempDir Path dir) throws Exception {
        GuestTree t = new GuestTree(dir);
        t.file("/etc/initramfs-tools/initramfs.conf", "MODULES=most\n");
        assertThat(status(t).get(0).hostOnly()).isFalse();
        t.file("/usr/share/initramfs-tools/conf.d/x", "MODULES=netboot\n");
        assertThat(status(t).get(0).hostOnly()).isTrue();
        t.file("/etc/initramfs-tools/conf.d/x", "MODULES=most\n"); // same name in /etc replaces it
        assertThat(status(t).get(0).hostOnly()).isFalse();
        // MODULES=most includes drivers/scsi and drivers/net by itself: nothing to configure
        assertThat(apply(t).changes()).isEmpty();
        assertThat(t.exists("/etc/initramfs-tools/modules")).isFalse();
    }

    @Test
    void mkinitcpioOneLineModulesArrayIsExtendedAndBashSeesIt(@TempDir Path dir) throws Exception {
        GuestTree t = new GuestTree(dir);
        t.file(
                "/etc/mkinitcpio.conf",
                "# vim:set ft=sh\n# MODULES=(piix ide_disk reiserfs)\nMODULES=(i915)\n"
                        + "BINARIES=()\nHOOKS=(base udev autodetect microcode modconf kms keyboard block filesystems fsck)\n");
        HvDriverPersistence.Status s = status(t).get(0);
        assertThat(s.generator()).isEqualTo(HvDriverPersistence.Generator.MKINITCPIO);
        assertThat(s.atRisk()).isTrue();
        apply(t);
        assertThat(sh(t, ". etc/mkinitcpio.conf; echo \"${MODULES[@]}\""))
                .isEqualTo("i915 hv_vmbus hv_storvsc hv_netvsc");
        assertThat(t.read("/etc/mkinitcpio.conf")).contains("# MODULES=(piix ide_disk reiserfs)\n");
        assertThat(apply(t).changes()).isEmpty();
    }

    @Test
    void mkinitcpioWithDropInDirectoryGetsADropIn(@TempDir Path dir) throws Exception {
        GuestTree t = new GuestTree(dir);
        t.file("/etc/mkinitcpio.conf", "MODULES=(nvme)\nHOOKS=(base systemd autodetect block filesystems)\n");
        t.dir("/etc/mkinitcpio.conf.d");
        apply(t);
        assertThat(t.read("/etc/mkinitcpio.conf"))
                .isEqualTo("MODULES=(nvme)\n" + "HOOKS=(base systemd autodetect block filesystems)\n");
        // mkinitcpio sources the main file, then the drop-ins
        assertThat(sh(
                        t,
                        ". etc/mkinitcpio.conf; for f in etc/mkinitcpio.conf.d/*.conf; do . ./$f; done; "
                                + "echo \"${MODULES[@]}\""))
                .isEqualTo("nvme hv_vmbus hv_storvsc hv_netvsc");
        assertThat(status(t).get(0).missing()).isEmpty();
        assertThat(apply(t).changes()).isEmpty();
    }

    @Test
    void mkinitcpioMultiLineModulesIsRefusedByName(@TempDir Path dir) throws Exception {
        GuestTree t = new GuestTree(dir);
        t.file("/etc/mkinitcpio.conf", "MODULES=(\n  nvme\n)\nHOOKS=(base autodetect)\n");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> apply(t))
                .hasMessageContaining("/etc/mkinitcpio.conf line 1");
        assertThat(t.read("/etc/mkinitcpio.conf")).startsWith("MODULES=(\n");
    }

    @Test
    void alpineMkinitfsGetsAFeatureWhoseGlobsTheShellExpandsToTheModules(@TempDir Path dir) throws Exception {
        GuestTree t = new GuestTree(dir);
        t.file("/etc/mkinitfs/mkinitfs.conf", "features=\"ata base ide scsi usb virtio ext4\"\n");
        t.file(
                "/etc/mkinitfs/features.d/virtio.modules",
                "kernel/drivers/virtio\nkernel/drivers/block/virtio_blk.ko*\n");
        assertThat(status(t).get(0).atRisk()).isTrue();
        apply(t);
        assertThat(sh(t, ". etc/mkinitfs/mkinitfs.conf; echo $features"))
                .isEqualTo("ata base ide scsi usb virtio ext4 linuximage-hyperv");
        // the globs, expanded like mkinitfs' feature_files() from /lib/modules/<version>, find the modules
        // (Alpine compresses them: .ko.gz)
        Path mods = dir.resolve("lib/modules/6.6.8-0-virt");
        for (String p : List.of(
                "kernel/drivers/hv/hv_vmbus.ko.gz",
                "kernel/drivers/scsi/hv_storvsc.ko.gz",
                "kernel/drivers/net/hyperv/hv_netvsc.ko.gz",
                "kernel/drivers/hv/hv_utils.ko.gz")) {
            Files.createDirectories(mods.resolve(p).getParent());
            Files.writeString(mods.resolve(p), "");
        }
        String found = Tools.shOk(
                        mods,
                        "for g in $(sed -e \"/^$/d\" -e \"/^#/d\" " + t.root()
                                + "/etc/mkinitfs/features.d/linuximage-hyperv.modules); do for f in $g; do [ -e \"$f\" ] && echo $f; "
                                + "done; done")
                .out();
        assertThat(found.lines().toList())
                .containsExactly(
                        "kernel/drivers/hv/hv_vmbus.ko.gz",
                        "kernel/drivers/scsi/hv_storvsc.ko.gz",
                        "kernel/drivers/net/hyperv/hv_netvsc.ko.gz");
        assertThat(status(t).get(0).missing()).isEmpty();
        assertThat(apply(t).changes()).isEmpty();
    }

    @Test
    void alpineFeatureAlreadyCoveringTheDriversIsRecognised(@TempDir Path dir) throws Exception {
        GuestTree t = new GuestTree(dir);
        t.file("/etc/mkinitfs/mkinitfs.conf", "features='base ext4 hyperv'\n");
        t.file(
                "/etc/mkinitfs/features.d/hyperv.modules",
                "kernel/drivers/hv\nkernel/drivers/scsi/hv_storvsc.ko*\n" + "kernel/drivers/net/hyperv/*.ko*\n");
        assertThat(status(t).get(0).missing()).isEmpty();
    }

    @Test
    void noGeneratorNoStatus(@TempDir Path dir) throws Exception {
        GuestTree t = new GuestTree(dir);
        t.file("/etc/os-release", "ID=debian\n");
        assertThat(status(t)).isEmpty();
        assertThat(apply(t).changes()).isEmpty();
    }

    @Test
    @org.junit.jupiter.api.Timeout(10)
    void globIsShellLike() {
        assertThat(HvDriverPersistence.globMatches("kernel/drivers/hv/*.ko*", "kernel/drivers/hv/hv_vmbus.ko"))
                .isTrue();
        assertThat(HvDriverPersistence.globMatches("kernel/*.ko", "kernel/drivers/hv/hv_vmbus.ko"))
                .isFalse();
        assertThat(HvDriverPersistence.globMatches("kernel/drivers/hv/hv_vmbus.k?", "kernel/drivers/hv/hv_vmbus.ko"))
                .isTrue();
        assertThat(HvDriverPersistence.globMatches("*a".repeat(200) + "x", "a".repeat(5000)))
                .isFalse(); // bounded time
    }
}
