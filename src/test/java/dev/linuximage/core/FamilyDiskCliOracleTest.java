package dev.linuximage.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.linuximage.core.cli.CoreCli;
import dev.linuximage.core.compliance.Requirements;
import dev.linuximage.testsupport.Ext4Oracle;
import dev.linuximage.testsupport.FamilyGuests;
import dev.linuximage.testsupport.GuestTree;
import dev.linuximage.testsupport.Tools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code linuximage prepare} and {@code check} through the CLI on real disks of two non-Debian families, built
 * without mounts: an MBR disk ({@code sfdisk}) whose ext4 root is written by {@code mke2fs -d TREE} from the
 * family trees of {@link FamilyGuests} (RHEL 6: GRUB legacy + SysV; Alpine: extlinux + OpenRC). The output VHD is
 * read back with the real tools ({@code debugfs}, {@code e2fsck -fn}); plus a CentOS 7 disk with /boot on XFS and
 * root on an LVM logical volume that {@code check} reads. Expectations come from the seeds and the distributions'
 * tools, not from the product's output. A second prepare of the output must change nothing.
 */
@Tag("oracle")
class FamilyDiskCliOracleTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final long OFFSET = 1L << 20;
    static final List<String> AZURE = List.of("console=ttyS0", "earlyprintk=ttyS0", "net.ifnames=0");

    /** A 64 MiB raw disk: MBR, one Linux partition from 1 MiB, ext4 with the tree's files and the fstab's UUID. */
    static Path disk(Path dir, GuestTree tree) throws Exception {
        Path raw = dir.resolve("disk.raw");
        try (var f = new java.io.RandomAccessFile(raw.toFile(), "rw")) {
            f.setLength(64L << 20);
        }
        Path layout = Files.writeString(dir.resolve("layout.sfdisk"), "label: dos\nstart=2048, type=83\n");
        Tools.command("sh", "-c", "sfdisk --no-reread --no-tell-kernel " + raw + " < " + layout)
                .timeout(Tools.MINUTE)
                .mergeStderr()
                .run();
        Tools.command(
                        "mke2fs",
                        "-q",
                        "-F",
                        "-t",
                        "ext4",
                        "-U",
                        "6d5c0f7e-8a3b-4c2d-9e1f-0a1b2c3d4e5f",
                        "-d",
                        tree.root().toString(),
                        "-E",
                        "offset=" + OFFSET,
                        raw.toString(),
                        "63M")
                .timeout(Tools.MINUTE)
                .mergeStderr()
                .run();
        Ext4Oracle.assertClean(raw, OFFSET);
        return raw;
    }

    record Outcome(int exit, JsonNode report, Map<String, String> status) {}

    static Outcome run(String... args) throws Exception {
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        java.io.PrintStream old = System.err;
        int exit;
        System.setErr(new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            exit = CoreCli.execute(args);
        } finally {
            System.setErr(old);
        }
        Path report = null;
        for (int i = 0; i < args.length - 1; i++) {
            if (args[i].equals("--report")) {
                report = Path.of(args[i + 1]);
            }
        }
        assertThat(report).as("exit %d, stderr: %s", exit, err).isRegularFile();
        JsonNode json = JSON.readTree(report.toFile());
        Map<String, String> status = new HashMap<>();
        List<String> ids = new ArrayList<>();
        json.get("findings").forEach(f -> {
            ids.add(f.get("id").asText());
            status.put(f.get("id").asText(), f.get("status").asText());
        });
        // one finding per requirement, in catalogue order
        assertThat(ids).containsExactlyElementsOf(Requirements.ids());
        return new Outcome(exit, json, status);
    }

    static List<String> words(String line) {
        return Arrays.stream(line.trim().split("\\s+")).toList();
    }

    static String symlinkTarget(Path image, String guestPath) {
        String out = Tools.command(
                        "debugfs", "-R", "stat \"" + guestPath + "\"", image.toAbsolutePath() + "?offset=" + OFFSET)
                .timeout(Tools.MINUTE)
                .mergeStderr()
                .run()
                .out();
        assertThat(out).as(guestPath).contains("Type: symlink");
        java.util.regex.Matcher m =
                java.util.regex.Pattern.compile("Fast link dest: \"([^\"]*)\"").matcher(out);
        assertThat(m.find()).as("fast symlink %s", guestPath).isTrue();
        return m.group(1);
    }

    /** prepare, then check of the output, then a second prepare of the output. */
    static Outcome[] prepareCheckAgain(Path dir, Path raw) throws Exception {
        Path vhd = dir.resolve("out.vhd");
        Outcome p = run(
                "prepare",
                raw.toString(),
                "--output",
                vhd.toString(),
                "--report",
                dir.resolve("prepare.json").toString(),
                "--provisioning",
                "CloudInit",
                "--quiet");
        // compliant (0) or not (4: e.g. BOOT-GENERATION, this disk has no boot loader code); never an error
        assertThat(p.exit()).as(p.report().toPrettyString()).isIn(0, 4);
        assertThat(p.report().get("errors")).as("patch errors").isEmpty();
        Ext4Oracle.assertClean(vhd, OFFSET);
        Outcome c = run(
                "check",
                vhd.toString(),
                "--report",
                dir.resolve("check.json").toString(),
                "--provisioning",
                "CloudInit",
                "--quiet");
        Outcome again = run(
                "prepare",
                vhd.toString(),
                "--output",
                dir.resolve("again.vhd").toString(),
                "--report",
                dir.resolve("again.json").toString(),
                "--provisioning",
                "CloudInit",
                "--quiet");
        assertThat(again.report().get("changes"))
                .as("changes of the second prepare")
                .isEmpty();
        return new Outcome[] {p, c, again};
    }

    @Test
    void rhel6GrubLegacyAndSysv(@TempDir Path dir) throws Exception {
        GuestTree tree = FamilyGuests.rhel6(dir.resolve("tree"), "6.2");
        Path raw = disk(dir, tree);
        // no /etc/os-release: the guest is found and named by /etc/redhat-release
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        java.io.PrintStream old = System.out;
        System.setOut(new java.io.PrintStream(out, true, java.nio.charset.StandardCharsets.UTF_8));
        int inspect;
        try {
            inspect = CoreCli.execute("inspect", raw.toString(), "--json");
        } finally {
            System.setOut(old);
        }
        assertThat(inspect).as(out.toString()).isZero();
        JsonNode guest = JSON.readTree(out.toString()).get("guest");
        assertThat(guest.get("found").asBoolean()).isTrue();
        assertThat(guest.at("/os/ID").asText()).isEqualTo("rhel");
        assertThat(guest.at("/os/VERSION_ID").asText()).isEqualTo("6.2");
        assertThat(guest.at("/os/source").asText()).isEqualTo("/etc/redhat-release");
        Outcome[] o = prepareCheckAgain(dir, raw);
        Path vhd = dir.resolve("out.vhd");
        assertThat(o[0].report().at("/guest/osId").asText()).isEqualTo("rhel");
        assertThat(o[0].report().at("/guest/versionId").asText()).isEqualTo("6.2");
        Map<String, String> p = o[0].status();
        assertThat(p)
                .containsEntry("CMDLINE-CONSOLE", "Fixed")
                .containsEntry("CMDLINE-NOQUIET", "Fixed")
                .containsEntry("KERNEL-NUMA", "Fixed")
                .containsEntry("SSH-SERVER", "Fixed")
                .containsEntry("AGENT-PRESENT", "Fixed")
                .containsEntry("KERNEL-LIS", "Warn");
        String grub = Ext4Oracle.readString(vhd, OFFSET, "/boot/grub/grub.conf");
        List<String> kernel =
                grub.lines().filter(l -> l.trim().startsWith("kernel ")).toList();
        assertThat(kernel).hasSize(1);
        assertThat(words(kernel.get(0)))
                .containsAll(AZURE)
                .contains("numa=off")
                .doesNotContain("rhgb", "quiet", "crashkernel=auto");
        assertThat(symlinkTarget(vhd, "/etc/grub.conf")).isEqualTo("../boot/grub/grub.conf");
        for (int n = 2; n <= 5; n++) {
            assertThat(symlinkTarget(vhd, "/etc/rc.d/rc" + n + ".d/S55sshd")).isEqualTo("../init.d/sshd");
            assertThat(Ext4Oracle.exists(vhd, OFFSET, "/etc/rc.d/rc" + n + ".d/K25sshd"))
                    .isFalse();
            assertThat(symlinkTarget(vhd, "/etc/rc.d/rc" + n + ".d/S09cloud-init"))
                    .isEqualTo("../init.d/cloud-init");
        }
        assertThat(Ext4Oracle.exists(vhd, OFFSET, "/etc/rc.d/rc0.d/K25sshd")).isTrue();
        // the output passes its own check on everything prepare repaired
        assertThat(o[1].status())
                .containsEntry("CMDLINE-CONSOLE", "Pass")
                .containsEntry("KERNEL-NUMA", "Pass")
                .containsEntry("SSH-SERVER", "Pass")
                .containsEntry("AGENT-PRESENT", "Pass");
    }

    @Test
    void alpineExtlinuxAndOpenRc(@TempDir Path dir) throws Exception {
        GuestTree tree = FamilyGuests.alpine(dir.resolve("tree"));
        Outcome[] o = prepareCheckAgain(dir, disk(dir, tree));
        Path vhd = dir.resolve("out.vhd");
        assertThat(o[0].report().at("/guest/osId").asText()).isEqualTo("alpine");
        // the guest's initramfs-virt is an mkinitfs image: its init never reads rootdelay (nlplug-findfs waits for
        // root=), so rootdelay=300 is added as the catalogue asks for initramfs that do not sleep it
        assertThat(o[0].status())
                .containsEntry("CMDLINE-CONSOLE", "Fixed")
                .containsEntry("CMDLINE-NOQUIET", "Fixed")
                .containsEntry("SSH-SERVER", "Fixed")
                .containsEntry("AGENT-PRESENT", "Fixed");
        String ext = Ext4Oracle.readString(vhd, OFFSET, "/boot/extlinux.conf");
        List<String> append =
                ext.lines().filter(l -> l.trim().startsWith("APPEND ")).toList();
        assertThat(append).hasSize(1);
        assertThat(words(append.get(0)))
                .containsAll(AZURE)
                .contains("rootdelay=300")
                .doesNotContain("quiet")
                .contains("modules=sd-mod,usb-storage,ext4");
        String src = Ext4Oracle.readString(vhd, OFFSET, "/etc/update-extlinux.conf");
        String opts = src.lines()
                .filter(l -> l.startsWith("default_kernel_opts="))
                .findFirst()
                .orElseThrow();
        assertThat(words(opts.substring(opts.indexOf('=') + 1).replace("\"", "")))
                .containsAll(AZURE)
                .doesNotContain("quiet");
        assertThat(symlinkTarget(vhd, "/etc/runlevels/default/sshd")).isEqualTo("/etc/init.d/sshd");
        assertThat(symlinkTarget(vhd, "/etc/runlevels/boot/cloud-init-local"))
                .isEqualTo("/etc/init.d/cloud-init-local");
        assertThat(symlinkTarget(vhd, "/etc/runlevels/default/cloud-final")).isEqualTo("/etc/init.d/cloud-final");
        assertThat(o[1].status())
                .containsEntry("CMDLINE-CONSOLE", "Pass")
                .containsEntry("SSH-SERVER", "Pass")
                .containsEntry("AGENT-PRESENT", "Pass");
    }

    /** An {@code mkfs.xfs -p} protofile of a directory tree (files with their permission bits, directories, short symlinks; root owned). */
    static String protofile(Path dir) throws Exception {
        StringBuilder p = new StringBuilder("/dev/null\n0 0\nd--755 0 0\n");
        proto(dir, p, 1);
        return p.append("$\n").toString();
    }

    private static void proto(Path dir, StringBuilder p, int depth) throws Exception {
        List<Path> entries;
        try (var s = Files.list(dir)) {
            entries = s.sorted().toList();
        }
        String ind = " ".repeat(depth);
        for (Path e : entries) {
            String name = e.getFileName().toString();
            if (Files.isSymbolicLink(e)) {
                p.append(ind)
                        .append(name)
                        .append(" l--777 0 0 ")
                        .append(Files.readSymbolicLink(e))
                        .append('\n');
            } else if (Files.isDirectory(e)) {
                p.append(ind).append(name).append(" d--755 0 0\n");
                proto(e, p, depth + 1);
                p.append(ind).append("$\n");
            } else {
                // the tree's own permission bits (GuestTree sets them: 0600 keyfiles, 0000 shadow)
                String mode = Integer.toOctalString(Files.getPosixFilePermissions(e).stream()
                        .mapToInt(pp -> 1 << (8 - pp.ordinal()))
                        .sum());
                mode = "0".repeat(3 - mode.length()) + mode;
                p.append(ind)
                        .append(name)
                        .append(" ---")
                        .append(mode)
                        .append(" 0 0 ")
                        .append(e.toAbsolutePath())
                        .append('\n');
            }
        }
    }

    /**
     * An XFS image of {@code mib} MiB holding {@code tree}, by {@code mkfs.xfs -p}; {@code features} are further
     * mkfs.xfs options (an older release's defaults, e.g. {@code -m finobt=0}); none: this xfsprogs' defaults.
     */
    static Path xfs(Path dir, String name, Path tree, String uuid, long mib, String... features) throws Exception {
        Path proto = Files.writeString(dir.resolve(name + ".proto"), protofile(tree));
        Path img = dir.resolve(name + ".xfs");
        try (var f = new java.io.RandomAccessFile(img.toFile(), "rw")) {
            f.setLength(mib << 20);
        }
        List<String> cmd = new ArrayList<>(List.of("mkfs.xfs", "-q", "-f", "-m", "uuid=" + uuid));
        cmd.addAll(List.of(features));
        cmd.addAll(List.of("-p", proto.toString(), img.toString()));
        Tools.command(cmd.toArray(String[]::new))
                .timeout(Tools.MINUTE)
                .mergeStderr()
                .run();
        return img;
    }

    /** Where {@link #lvmSwapThenRoot} put the root LV: its first physical extent and its byte offset in the disk. */
    record RootLv(long firstPe, long start) {}

    /**
     * The RHEL/CentOS installer's LVM layout, written by the real lvm2 tools on the PV at {@code pvStart} (bytes,
     * {@code pvSize} long) of {@code raw}: VG {@code vg} with 4 MiB extents, LV {@code swap} (32 MiB) then LV
     * {@code root} (300 MiB).
     */
    static RootLv lvmSwapThenRoot(Path raw, long pvStart, long pvSize, String vg) throws Exception {
        try (dev.linuximage.core.volume.LvmToolAccess t = new dev.linuximage.core.volume.LvmToolAccess()) {
            String loop = t.attach(raw, pvStart, pvSize);
            t.lvm("pvcreate", "-y", loop);
            t.lvm("vgcreate", "-y", "-s", "4m", vg, loop);
            t.lvm("lvcreate", "-y", "-an", "-Zn", "-n", "swap", "-L", "32m", vg);
            t.lvm("lvcreate", "-y", "-an", "-Zn", "-n", "root", "-L", "300m", vg);
            long peStart =
                    Long.parseLong(t.lvm("pvs", "--noheadings", "--units", "b", "--nosuffix", "-o", "pe_start", loop)
                            .strip());
            String range = t.lvm("lvs", "--noheadings", "-o", "seg_pe_ranges", vg + "/root")
                    .strip();
            long firstPe = Long.parseLong(range.replaceAll(".*:(\\d+)-\\d+", "$1"));
            return new RootLv(firstPe, pvStart + peStart + firstPe * (4L << 20));
        }
    }

    static void place(Path image, Path disk, long offset) {
        Tools.command(
                        "dd",
                        "if=" + image,
                        "of=" + disk,
                        "bs=512",
                        "seek=" + offset / 512,
                        "conv=sparse,notrunc",
                        "status=none")
                .timeout(Tools.MINUTE)
                .mergeStderr()
                .run();
    }

    /**
     * CentOS/RHEL 7 as anaconda lays it out by default on BIOS: MBR, {@code /boot} an XFS partition (sda1), the rest
     * an LVM PV (sda2, type 8e) with VG {@code centos}, LVs {@code root} (XFS) and {@code swap}; fstab mounts
     * {@code /dev/mapper/centos-root} on /, /boot by UUID and swaps on {@code /dev/mapper/centos-swap}; grub.cfg on
     * /boot names kernels relative to the /boot partition. The LVM metadata is written by the real lvm2 tools on a
     * loop device (metadata only, nothing activated; needs root, as {@code GuestDiskFixture}). {@code check} must read
     * the guest through the LV and the /boot partition.
     */
    @Test
    void rhel7XfsBootAndLvmRootAreReadByCheck(@TempDir Path dir) throws Exception {
        String bootUuid = "3b1f6c2e-5d4a-4e8b-9c7d-1a2b3c4d5e6f";
        GuestTree tree = FamilyGuests.centos7(dir.resolve("tree"));
        tree.file(
                "/etc/fstab",
                "/dev/mapper/centos-root /                       xfs     defaults        0 0\n"
                        + "UUID=" + bootUuid + " /boot                   xfs     defaults        0 0\n"
                        + "/dev/mapper/centos-swap swap                    swap    defaults        0 0\n");
        FamilyDiskPrepareOracleTest.AnacondaDisk disk =
                FamilyDiskPrepareOracleTest.anacondaLvmDisk(dir, tree, bootUuid, "centos");
        Path raw = disk.raw();
        // the oracle: xfs_repair -n finds the root file system clean where it was placed
        dev.linuximage.testsupport.guests.XfsOracle.assertClean(dev.linuximage.testsupport.DiskFiles.copyRange(
                raw, disk.rootStart(), FamilyDiskPrepareOracleTest.XFS_MIB << 20, dir.resolve("root.check")));

        Outcome c = run(
                "check",
                raw.toString(),
                "--report",
                dir.resolve("check.json").toString(),
                "--provisioning",
                "CloudInit",
                "--quiet");
        assertThat(c.report().get("errors")).as(c.report().toPrettyString()).isEmpty();
        assertThat(c.report().at("/guest/osId").asText()).isEqualTo("centos");
        // os-release and the module tree exist only on the root LV, vmlinuz and grub.cfg only on the /boot partition
        assertThat(c.report().at("/guest/versionId").asText()).isEqualTo("7");
        assertThat(c.report().at("/guest/kernels").toString()).contains(FamilyGuests.CENTOS7_KERNEL);
        assertThat(finding(c, "KERNEL-HV-DRIVERS").toString())
                .contains("/boot/initramfs-" + FamilyGuests.CENTOS7_KERNEL + ".img");
        // grub.cfg, read from the /boot XFS partition: no serial console, and rhgb quiet crashkernel=auto
        assertThat(c.status()).containsEntry("CMDLINE-CONSOLE", "Fail").containsEntry("CMDLINE-NOQUIET", "Fail");
        JsonNode console = finding(c, "CMDLINE-CONSOLE");
        assertThat(console.toString())
                .contains("/boot/grub2/grub.cfg")
                .contains("root=/dev/mapper/centos-root")
                .contains("/etc/default/grub");
        // swap on the OS disk, through the LV fstab names
        assertThat(c.status()).containsEntry("SWAP-OS-DISK", "Fail");
        assertThat(finding(c, "SWAP-OS-DISK").toString()).contains("/dev/mapper/centos-swap");
    }

    static JsonNode finding(Outcome o, String id) {
        for (JsonNode f : o.report().get("findings")) {
            if (f.get("id").asText().equals(id)) {
                return f;
            }
        }
        throw new AssertionError(id);
    }
}
