package dev.linuximage.core.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.linuximage.core.guestfs.Change;
import dev.linuximage.core.guestfs.ChangeLog;
import dev.linuximage.testsupport.DirectoryGuestFiles;
import dev.linuximage.testsupport.GuestFixtures;
import dev.linuximage.testsupport.GuestTree;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CmdlinePatchTest {
    /** CMDLINE-CONSOLE's arguments for every guest. */
    static final String CONSOLE = "console=ttyS0 earlyprintk=ttyS0 net.ifnames=0";
    /**
     * With rootdelay=300 first: Red Hat-family fixtures carry no initramfs facts and no dracut files, so dracut is
     * assumed (RootDelayRule) and it does not read rootdelay: the catalogue's value is added.
     */
    static final String AZURE = "rootdelay=300 " + CONSOLE;

    static ChangeLog patch(GuestTree t, PatchOptions o) throws Exception {
        try (DirectoryGuestFiles g = new DirectoryGuestFiles(t.root(), false)) {
            ChangeLog log = new ChangeLog();
            CmdlinePatch.apply(new GuestEditor(g, log), GuestInspector.inspect(g), o);
            return log;
        }
    }

    static List<CmdlineSite> sites(GuestTree t) throws Exception {
        try (DirectoryGuestFiles g = new DirectoryGuestFiles(t.root(), true)) {
            return BootCmdline.inspect(new GuestReader(g)).sites();
        }
    }

    @Test
    void debianDefaultsAndEveryGrubCfgLinuxLineAreEdited(@TempDir Path dir) throws Exception {
        GuestTree t = GuestFixtures.debian(dir);
        ChangeLog log = patch(t, PatchOptions.defaults());
        String dg = t.read("/etc/default/grub");
        assertThat(dg)
                .contains("GRUB_CMDLINE_LINUX_DEFAULT=\"\"\n")
                .contains("GRUB_CMDLINE_LINUX=\"" + CONSOLE + "\"\n")
                .contains("GRUB_DISTRIBUTOR=`lsb_release -i -s 2> /dev/null || echo Debian`")
                .contains("#GRUB_TERMINAL=console");
        String cfg = t.read("/boot/grub/grub.cfg");
        // Debian without initramfs facts: initramfs-tools assumed, whose init sleeps rootdelay: none added
        assertThat(cfg)
                .contains("\tlinux\t/boot/vmlinuz-6.1.0-26-amd64 root=UUID=0a1b2c3d-1111-2222-3333-444455556666 ro "
                        + CONSOLE + "\n");
        assertThat(cfg)
                .contains(
                        "\t\tlinux\t/boot/vmlinuz-6.1.0-26-amd64 root=UUID=0a1b2c3d-1111-2222-3333-444455556666 ro single "
                                + CONSOLE + "\n");
        assertThat(cfg).doesNotContain("rootdelay");
        assertThat(cfg).doesNotContain(" quiet");
        assertThat(cfg).contains("initrd\t/boot/initrd.img-6.1.0-26-amd64"); // untouched lines stay byte-identical
        assertThat(t.read("/boot/efi/EFI/debian/grub.cfg")).doesNotContain("rootdelay"); // a stub, no linux line
        assertThat(log.changes())
                .extracting(Change::path)
                .containsExactlyInAnyOrder("/etc/default/grub", "/boot/grub/grub.cfg");
        assertThat(patch(t, PatchOptions.defaults()).changes()).isEmpty();
        for (CmdlineSite s : sites(t)) {
            assertThat(KernelCmdline.tokens(s.effective())).doesNotContain("quiet");
        }
    }

    /**
     * Debian with systemd-boot: {@code kernel-install} writes type #1 entries to the ESP it finds mounted at
     * /boot/efi (kernel-install(8): $BOOT is searched in /efi, /boot, /boot/efi), with the kernel and initrd under
     * {@code <machine-id>/<version>/}, from /etc/kernel/cmdline. Both are edited; an /efi symlink to the same ESP
     * does not make the entry a second place.
     */
    @Test
    void debianSystemdBootEntriesOnTheEspAndTheirSourceAreEdited(@TempDir Path dir) throws Exception {
        GuestTree t = GuestFixtures.debian(dir);
        String mid = "0123456789abcdef0123456789abcdef";
        String kver = "6.1.0-26-amd64";
        String entry = "/boot/efi/loader/entries/" + mid + "-" + kver + ".conf";
        t.file("/etc/kernel/cmdline", "root=UUID=0a1b2c3d-1111-2222-3333-444455556666 ro quiet\n");
        t.file(
                entry,
                "title      Debian GNU/Linux 12 (bookworm)\nversion    " + kver + "\nmachine-id " + mid
                        + "\nsort-key   debian\noptions    root=UUID=0a1b2c3d-1111-2222-3333-444455556666 ro quiet"
                        + " systemd.machine_id=" + mid + "\nlinux      /" + mid + "/" + kver + "/linux\ninitrd     /"
                        + mid
                        + "/" + kver + "/initrd.img-" + kver + "\n");
        t.file("/boot/efi/loader/loader.conf", "#timeout 3\n#console-mode keep\n");
        t.link("/efi", "boot/efi");
        assertThat(sites(t))
                .filteredOn(s -> s.kind() == CmdlineSite.Kind.BLS)
                .extracting(CmdlineSite::file)
                .containsExactly(entry);
        ChangeLog log = patch(t, PatchOptions.defaults());
        assertThat(log.changes()).extracting(Change::path).contains(entry, "/etc/kernel/cmdline");
        // initramfs-tools assumed (no initramfs facts): its init sleeps rootdelay, so none is added
        assertThat(t.read(entry))
                .contains("options    root=UUID=0a1b2c3d-1111-2222-3333-444455556666 ro" + " systemd.machine_id=" + mid
                        + " " + CONSOLE + "\n")
                .doesNotContain("rootdelay", "quiet")
                .contains("linux      /" + mid + "/" + kver + "/linux\n");
        assertThat(t.read("/etc/kernel/cmdline"))
                .isEqualTo("root=UUID=0a1b2c3d-1111-2222-3333-444455556666 ro " + CONSOLE + "\n");
        assertThat(patch(t, PatchOptions.defaults()).changes()).isEmpty();

        // DEPROVISION-MACHINE: systemd.machine_id= (kernel-install's, entry token = machine id) overrides the emptied
        // /etc/machine-id at every boot (systemd(1)): every VM of a generalized image would share it
        try (DirectoryGuestFiles g = new DirectoryGuestFiles(t.root(), false)) {
            GuestInspection before = GuestInspector.inspect(g);
            assertThat(DeprovisionPatch.pinnedMachineIds(before))
                    .extracting(CmdlineSite::file)
                    .containsExactly(entry);
            ChangeLog dep = new ChangeLog();
            DeprovisionPatch.apply(new GuestEditor(g, dep), before, PatchOptions.defaults());
            assertThat(dep.changes())
                    .filteredOn(c -> c.requirement().equals("DEPROVISION-MACHINE"))
                    .extracting(Change::path)
                    .contains(entry)
                    .doesNotContain("/etc/default/grub");
            assertThat(DeprovisionPatch.pinnedMachineIds(GuestInspector.inspect(g)))
                    .isEmpty();
        }
        assertThat(t.read(entry))
                .contains("options    root=UUID=0a1b2c3d-1111-2222-3333-444455556666 ro " + CONSOLE + "\n")
                .doesNotContain("systemd.machine_id");
    }

    @Test
    void rhel8GrubenvStaysExactly1024BytesAndBlsKeepsKerneloptsReference(@TempDir Path dir) throws Exception {
        GuestTree t = GuestFixtures.rhel8(dir);
        String bls = "/boot/loader/entries/4d3c2b1a00112233445566778899aabb-" + GuestFixtures.RHEL8_KERNEL + ".conf";
        String blsBefore = t.read(bls);
        patch(t, PatchOptions.defaults());
        byte[] env = Files.readAllBytes(t.root().resolve("boot/grub2/grubenv"));
        assertThat(env).hasSize(1024);
        Map<String, String> vars = GrubEnv.parse(env);
        assertThat(vars.get("kernelopts"))
                .isEqualTo("root=/dev/mapper/rhel-root ro resume=/dev/mapper/rhel-swap "
                        + "rd.lvm.lv=rhel/root rd.lvm.lv=rhel/swap " + AZURE);
        assertThat(vars.get("saved_entry")).endsWith(GuestFixtures.RHEL8_KERNEL);
        assertThat(new String(env, StandardCharsets.ISO_8859_1)).endsWith("###");
        // BLS options take $kernelopts: the entry needs no edit
        assertThat(t.read(bls)).isEqualTo(blsBefore);
        // the grub.cfg fallback used when grubenv has no kernelopts is edited too
        assertThat(t.read("/boot/grub2/grub.cfg"))
                .contains("set kernelopts=\"root=/dev/mapper/rhel-root ro "
                        + "resume=/dev/mapper/rhel-swap rd.lvm.lv=rhel/root rd.lvm.lv=rhel/swap " + AZURE + "\"");
        assertThat(t.read("/etc/default/grub"))
                .contains("GRUB_CMDLINE_LINUX=\"resume=/dev/mapper/rhel-swap "
                        + "rd.lvm.lv=rhel/root rd.lvm.lv=rhel/swap " + AZURE + "\"");
        for (CmdlineSite s : sites(t)) {
            if (s.complete()) {
                assertThat(s.effective()).as(s.toString()).contains(AZURE).doesNotContain("rhgb");
            }
        }
        assertThat(patch(t, PatchOptions.defaults()).changes()).isEmpty();
    }

    @Test
    void keepCrashkernelAndUserArguments(@TempDir Path dir) throws Exception {
        GuestTree t = GuestFixtures.rhel8(dir);
        PatchOptions o = PatchOptions.defaults()
                .withKernelArgs(List.of("nvme_core.io_timeout=240", "rootdelay=300"), List.of("resume"), true);
        patch(t, o);
        String ko = GrubEnv.parse(Files.readAllBytes(t.root().resolve("boot/grub2/grubenv")))
                .get("kernelopts");
        assertThat(KernelCmdline.tokens(ko))
                .contains("crashkernel=auto", "nvme_core.io_timeout=240")
                .doesNotContain("rhgb", "quiet", "resume=/dev/mapper/rhel-swap");
        assertThat(KernelCmdline.tokens(ko).stream().filter(x -> x.startsWith("rootdelay")))
                .hasSize(1);
    }

    @Test
    void rhel9LiteralBlsOptionsKernelCmdlineAndSymlinkedGrubenv(@TempDir Path dir) throws Exception {
        GuestTree t = GuestFixtures.rhel9(dir);
        byte[] envBefore = Files.readAllBytes(t.root().resolve("boot/efi/EFI/redhat/grubenv"));
        patch(t, PatchOptions.defaults());
        String bls =
                t.read("/boot/loader/entries/4d3c2b1a00112233445566778899aabb-" + GuestFixtures.RHEL9_KERNEL + ".conf");
        assertThat(bls)
                .contains("options root=UUID=77aa ro crashkernel=1G-4G:192M,4G-64G:256M,64G-:512M " + AZURE + "\n")
                .contains("grub_users $grub_users");
        assertThat(t.read("/etc/kernel/cmdline"))
                .isEqualTo("root=UUID=77aa ro " + "crashkernel=1G-4G:192M,4G-64G:256M,64G-:512M " + AZURE + "\n");
        // no kernelopts in this grubenv: left byte-identical
        assertThat(Files.readAllBytes(t.root().resolve("boot/efi/EFI/redhat/grubenv")))
                .isEqualTo(envBefore);
        assertThat(t.readLink("/boot/grub2/grubenv")).isEqualTo("../efi/EFI/redhat/grubenv");
    }

    @Test
    void dropInThatOverridesGrubCmdlineLinuxIsTheOneThatGetsTheArguments(@TempDir Path dir) throws Exception {
        GuestTree t = GuestFixtures.debian(dir);
        t.file(
                "/etc/default/grub.d/50-cloudimg-settings.cfg",
                "# Cloud image settings\nGRUB_CMDLINE_LINUX=\"$GRUB_CMDLINE_LINUX console=tty1 quiet\"\n");
        patch(t, PatchOptions.defaults());
        assertThat(t.read("/etc/default/grub.d/50-cloudimg-settings.cfg"))
                .contains("GRUB_CMDLINE_LINUX=\"$GRUB_CMDLINE_LINUX console=tty1 " + CONSOLE + "\"");
        assertThat(t.read("/etc/default/grub")).contains("GRUB_CMDLINE_LINUX=\"\"");
        CmdlineSite eff = sites(t).stream()
                .filter(s -> s.kind() == CmdlineSite.Kind.DEFAULT_GRUB)
                .findFirst()
                .orElseThrow();
        assertThat(eff.file()).isEqualTo("/etc/default/grub.d/50-cloudimg-settings.cfg");
        assertThat(eff.effective()).isEqualTo("console=tty1 " + CONSOLE);
    }

    @Test
    void consoleWithOptionsCountsAndASmallRootdelayStaysWhereItIsASleep(@TempDir Path dir) throws Exception {
        GuestTree t = GuestFixtures.debian(dir);
        t.file("/etc/default/grub", "GRUB_CMDLINE_LINUX='console=ttyS0,115200n8 rootdelay=10 net.ifnames=0'\n");
        patch(t, PatchOptions.defaults());
        // initramfs-tools (assumed for Debian) sleeps rootdelay: up to 10 s is kept, nothing is added
        assertThat(t.read("/etc/default/grub"))
                .isEqualTo(
                        "GRUB_CMDLINE_LINUX='console=ttyS0,115200n8 rootdelay=10 net.ifnames=0 earlyprintk=ttyS0'\n");
    }

    @Test
    void aLargeRootdelayGoesWhereItIsASleep(@TempDir Path dir) throws Exception {
        GuestTree t = GuestFixtures.debian(dir);
        t.file("/etc/default/grub", "GRUB_CMDLINE_LINUX=\"rootdelay=300 console=ttyS0\"\n");
        patch(t, PatchOptions.defaults());
        assertThat(t.read("/etc/default/grub")).isEqualTo("GRUB_CMDLINE_LINUX=\"" + CONSOLE + "\"\n");
        assertThat(patch(t, PatchOptions.defaults()).changes()).isEmpty();
    }

    @Test
    void conflictingRootdelayIsReplacedWhereTheInitramfsDoesNotReadIt(@TempDir Path dir) throws Exception {
        GuestTree t = GuestFixtures.rhel8(dir);
        t.file("/etc/default/grub", "GRUB_CMDLINE_LINUX='console=ttyS0,115200n8 rootdelay=10 net.ifnames=0'\n");
        patch(t, PatchOptions.defaults());
        assertThat(t.read("/etc/default/grub"))
                .isEqualTo(
                        "GRUB_CMDLINE_LINUX='console=ttyS0,115200n8 net.ifnames=0 rootdelay=300 earlyprintk=ttyS0'\n");
    }

    @Test
    void oldRedHatKernelGetsNumaOff(@TempDir Path dir) throws Exception {
        GuestTree t = GuestFixtures.rhel8(dir);
        t.file("/boot/vmlinuz-2.6.32-431.el6.x86_64", "old kernel");
        patch(t, PatchOptions.defaults());
        assertThat(GrubEnv.parse(Files.readAllBytes(t.root().resolve("boot/grub2/grubenv")))
                        .get("kernelopts"))
                .contains("numa=off");
    }

    @Test
    void fullGrubenvIsRefusedNotTruncated(@TempDir Path dir) throws Exception {
        GuestTree t = GuestFixtures.rhel8(dir);
        Map<String, String> env = new java.util.LinkedHashMap<>();
        env.put("kernelopts", "root=/dev/sda1 ro");
        env.put("filler", "x".repeat(1024 - 25 - 30 - 20));
        t.bytes("/boot/grub2/grubenv", GrubEnv.format(env), "rw-r--r--");
        byte[] before = Files.readAllBytes(t.root().resolve("boot/grub2/grubenv"));
        assertThatThrownBy(() -> patch(t, PatchOptions.defaults())).hasMessageContaining("grubenv");
        assertThat(Files.readAllBytes(t.root().resolve("boot/grub2/grubenv"))).isEqualTo(before);
    }

    @Test
    void malformedGrubenvIsReportedNeverRewritten(@TempDir Path dir) throws Exception {
        GuestTree t = GuestFixtures.rhel8(dir);
        t.file("/boot/grub2/grubenv", "kernelopts=root=/dev/sda1 quiet\n");
        patch(t, PatchOptions.defaults());
        assertThat(t.read("/boot/grub2/grubenv")).isEqualTo("kernelopts=root=/dev/sda1 quiet\n");
        try (DirectoryGuestFiles g = new DirectoryGuestFiles(t.root(), true)) {
            assertThat(BootCmdline.inspect(new GuestReader(g)).problems())
                    .singleElement()
                    .asString()
                    .contains("/boot/grub2/grubenv")
                    .contains("size");
        }
    }

    @Test
    void multiLineGrubCmdlineIsRefusedNotOverridden(@TempDir Path dir) throws Exception {
        GuestTree t = GuestFixtures.rhel8(dir);
        String grub = "GRUB_TIMEOUT=5\nGRUB_CMDLINE_LINUX=\"rd.lvm.lv=rhel/root\n  rd.lvm.lv=rhel/swap quiet\"\n";
        t.file("/etc/default/grub", grub);
        assertThatThrownBy(() -> patch(t, PatchOptions.defaults())).hasMessageContaining("spanning several lines");
        assertThat(t.read("/etc/default/grub")).isEqualTo(grub);
        try (DirectoryGuestFiles g = new DirectoryGuestFiles(t.root(), true)) {
            assertThat(BootCmdline.inspect(new GuestReader(g)).problems()).anyMatch(p -> p.contains("line 2"));
        }
        // through the patcher it is a recorded error and the other patches still run
        try (DirectoryGuestFiles g = new DirectoryGuestFiles(t.root(), false)) {
            GuestPatcher.Result r = GuestPatcher.patch(g, PatchOptions.defaults(), List.of(), null);
            // the console and the resume (noresume) edits both refuse that file; the fstab edit still happens
            assertThat(r.errors())
                    .extracting(GuestPatcher.PatchError::requirement)
                    .containsExactly("CMDLINE-CONSOLE", "SWAP-OS-DISK");
            assertThat(r.errors()).allSatisfy(e -> assertThat(e.message()).contains("spanning several lines"));
            assertThat(r.changes().forRequirement("SWAP-OS-DISK"))
                    .extracting(Change::path)
                    .contains("/etc/fstab");
        }
    }

    @Test
    void kernelVersionRules() {
        assertThat(KernelVersion.needsNumaOff("2.6.32-431.el6.x86_64", true)).isTrue();
        assertThat(KernelVersion.needsNumaOff("2.6.32-504.el6.x86_64", true)).isFalse();
        assertThat(KernelVersion.needsNumaOff("2.6.32-754.el6.x86_64", true)).isFalse();
        assertThat(KernelVersion.needsNumaOff("2.6.18-398.el5", true)).isTrue();
        assertThat(KernelVersion.needsNumaOff("2.6.36-1-generic", false)).isTrue();
        assertThat(KernelVersion.needsNumaOff("2.6.37", false)).isFalse();
        // an .el6 kernel is a Red Hat-built kernel whatever the guest's release files say: fixed from build 504
        assertThat(KernelVersion.needsNumaOff("2.6.32-504.el6.x86_64", false)).isFalse();
        assertThat(KernelVersion.needsNumaOff("2.6.32-504", false)).isTrue();
        assertThat(KernelVersion.needsNumaOff("6.1.0-26-amd64", false)).isFalse();
        assertThat(KernelVersion.needsNumaOff("garbage", false)).isFalse();
    }

    /**
     * A user argument with the key of a required single-valued one (CMDLINE-CONSOLE net.ifnames=0, earlyprintk=ttyS0;
     * KERNEL-NUMA numa=off) and another value would be removed by the edit while the edit adds it back (the fuzz
     * finding of ci-20261206): refused up front, naming the argument and the required value. The required value
     * itself, several consoles and unrelated keys are fine.
     */
    @Test
    void userArgumentsMayNotContradictTheRequiredOnes() {
        for (String bad :
                List.of("net.ifnames=0nvme_c", "net.ifnames=1", "net.ifnames", "earlyprintk=vga", "numa=noacpi")) {
            assertThatThrownBy(() -> PatchOptions.defaults().withKernelArgs(List.of(bad), List.of(), false))
                    .as(bad)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("'" + bad + "'")
                    .hasMessageContaining("required");
        }
        assertThatThrownBy(() -> PatchOptions.defaults().withKernelArgs(List.of("a=1", "a=2"), List.of(), false))
                .hasMessageContaining("'a=1' and 'a=2'");
        PatchOptions ok = PatchOptions.defaults()
                .withKernelArgs(
                        List.of(
                                "net.ifnames=0",
                                "earlyprintk=ttyS0",
                                "numa=off",
                                "console=tty0",
                                "console=ttyS1,115200",
                                "a=1",
                                "a=1",
                                "net.ifnames.x=1"),
                        List.of(),
                        false);
        CmdlinePolicy p = CmdlinePolicy.of(ok, true);
        String once = p.edit("ro quiet net.ifnames=1", true, null);
        assertThat(p.edit(once, true, null)).isEqualTo(once);
        assertThat(KernelCmdline.tokens(once))
                .contains("net.ifnames=0", "console=tty0", "console=ttyS1,115200")
                .doesNotContain("net.ifnames=1", "quiet");
    }

    /** The same refusal from a spec file (spec.guest.kernelArgs.add) and from the CLI: a bad command line, exit 2. */
    @Test
    void aContradictingArgumentIsABadCommandLine(@TempDir Path dir) throws Exception {
        Path spec = Files.writeString(dir.resolve("li.yaml"), "spec: {guest: {kernelArgs: {add: [earlyprintk=vga]}}}");
        PatchSettings settings = PatchSpecReader.read(spec);
        assertThatThrownBy(settings::toOptions)
                .isInstanceOf(PatchSpecException.class)
                .hasMessageContaining("'earlyprintk=vga' contradicts the required earlyprintk=ttyS0");

        Path disk = Files.write(dir.resolve("d.raw"), new byte[1 << 20]);
        java.io.PrintStream oldErr = System.err;
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        int code;
        try {
            System.setErr(new java.io.PrintStream(err, true, StandardCharsets.UTF_8));
            // a blank disk alone is a bad input (3): the contradiction is refused first, as a usage error (2)
            code = dev.linuximage.core.cli.CoreCli.execute(
                    "check", disk.toString(), "--kernel-arg-add", "net.ifnames=0nvme_c", "--quiet");
        } finally {
            System.setErr(oldErr);
        }
        assertThat(code).isEqualTo(dev.linuximage.core.report.ExitCodes.USAGE);
        assertThat(err.toString(StandardCharsets.UTF_8))
                .contains("'net.ifnames=0nvme_c' contradicts the required net.ifnames=0");
        assertThat(dev.linuximage.core.cli.CoreCli.execute(
                        "check", disk.toString(), "--kernel-arg-add", "net.ifnames=0", "--quiet"))
                .isEqualTo(3);
    }
}
