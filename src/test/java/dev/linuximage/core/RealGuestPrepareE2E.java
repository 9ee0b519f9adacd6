package dev.linuximage.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.linuximage.core.cli.CoreCli;
import dev.linuximage.testsupport.DiskFiles;
import dev.linuximage.testsupport.Ext4Oracle;
import dev.linuximage.testsupport.Tools;
import dev.linuximage.testsupport.guests.GuestImage;
import dev.linuximage.testsupport.guests.GuestImages;
import dev.linuximage.testsupport.guests.GuestVariant;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The whole product ({@code linuximage prepare}) on real Debian bookworm guests (see {@code docs/test-guests.md}),
 * each output fixed VHD then judged by the real tools: {@code qemu-img info}, {@code e2fsck -fn}, {@code debugfs},
 * {@code lsinitramfs}, {@code fsck.vfat -n}; then {@code linuximage check} on the output and a second
 * {@code prepare} of the output, which must change nothing (idempotence).
 *
 * <p>The fixtures carry no build user (debootstrap creates none), so no {@code --remove-user} is given.
 */
@Tag("guests")
class RealGuestPrepareE2E {
    private static final Duration TOOL = Duration.ofMinutes(3);
    private static final ObjectMapper JSON = new ObjectMapper();
    static final List<String> AZURE_ARGS = List.of("console=ttyS0", "earlyprintk=ttyS0", "net.ifnames=0");

    /** The output of one prepare run, kept for the variant-specific assertions. */
    record Prepared(GuestImage image, Path dir, Path vhd, JsonNode report) {
        String read(String guestPath) {
            return Ext4Oracle.readString(vhd, image.rootOffset(), guestPath);
        }

        boolean exists(String guestPath) {
            return Ext4Oracle.exists(vhd, image.rootOffset(), guestPath);
        }
    }

    /** The work directory of the running test; its outputs are deleted once the test is over. */
    private Path current;

    @AfterEach
    void releaseOutputs() {
        if (current != null) {
            GuestImages.releaseOutputs(current);
        }
    }

    /** Where one variant works: under target/, deleted first (2 GiB sparse files). */
    private static Path workDir(GuestVariant v) throws IOException {
        return workDir(v.id());
    }

    private static Path workDir(String name) throws IOException {
        Path dir = Tools.targetDir().resolve("realguests/" + name);
        if (Files.exists(dir)) {
            Tools.command("rm", "-rf", dir.toString())
                    .timeout(Tools.MINUTE)
                    .mergeStderr()
                    .run();
        }
        return Files.createDirectories(dir);
    }

    private static JsonNode prepare(Path input, Path output, Path report, String provisioning) throws IOException {
        List<String> args = new ArrayList<>(List.of(
                "prepare",
                input.toString(),
                "--output",
                output.toString(),
                "--report",
                report.toString(),
                "--image-kind",
                "Generalized",
                "--provisioning",
                provisioning,
                "--quiet"));
        int exit = CoreCli.execute(args.toArray(String[]::new));
        JsonNode json = JSON.readTree(report.toFile());
        assertThat(exit)
                .as("prepare exit code; report:\n%s", json.toPrettyString())
                .isZero();
        List<String> failed = new ArrayList<>();
        json.get("findings").forEach(f -> {
            if ("Fail".equals(f.get("status").asText())) {
                failed.add(f.get("id").asText() + ": " + f.get("message").asText());
            }
        });
        assertThat(failed).as("failed findings").isEmpty();
        return json;
    }

    private static void assertRootdelay(String cmdline, boolean wanted) {
        List<String> rd =
                words(cmdline).stream().filter(w -> w.startsWith("rootdelay=")).toList();
        if (wanted) {
            assertThat(rd).as(cmdline).containsExactly("rootdelay=300");
        } else {
            assertThat(rd).as(cmdline).isEmpty();
        }
    }

    /** Runs prepare and every check common to all variants; returns the output for variant checks. */
    private Prepared prepareAndCheck(GuestVariant variant, String provisioning) throws Exception {
        GuestImage img = GuestImages.get(variant);
        Path dir = workDir(variant);
        current = dir;
        // prepare reads the shared cached qcow2 itself (no copy): it must never write its input
        return prepareAndCheck(img, dir, img.qcow2(), img.diskBytes(), provisioning);
    }

    /**
     * Prepares {@code qcow2} (any form of {@code img}'s disk whose virtual size is {@code inputBytes}) into
     * {@code dir/out.vhd} and runs the common checks: the output is a fixed VHD of the input's size rounded up to a
     * whole MiB.
     */
    private Prepared prepareAndCheck(GuestImage img, Path dir, Path qcow2, long inputBytes, String provisioning)
            throws Exception {
        long t0 = System.nanoTime();
        GuestVariant variant = img.variant();
        byte[] input = sha256(qcow2);
        Path vhd = dir.resolve("out.vhd");
        JsonNode report = prepare(qcow2, vhd, dir.resolve("report.json"), provisioning);
        assertThat(report.get("changes").size())
                .as("changes of the first prepare")
                .isPositive();
        assertThat(sha256(qcow2)).as("prepare leaves its input untouched").isEqualTo(input);
        long t1 = System.nanoTime();

        // qemu-img: a fixed VHD (vpc) of a whole number of MiB, the guest's size
        JsonNode info = JSON.readTree(Tools.command("qemu-img", "info", "--output=json", "-f", "vpc", vhd.toString())
                .timeout(TOOL)
                .mergeStderr()
                .run()
                .out());
        assertThat(info.get("format").asText()).isEqualTo("vpc");
        long virtual = info.get("virtual-size").asLong();
        assertThat(virtual % (1 << 20))
                .as("virtual size %d is a whole MiB", virtual)
                .isZero();
        assertThat(virtual)
                .as("the input's %d bytes rounded up to a MiB", inputBytes)
                .isEqualTo((inputBytes + (1 << 20) - 1) / (1 << 20) * (1 << 20));
        assertThat(Files.size(vhd)).isEqualTo(virtual + 512);

        // the root file system is clean after the product's writes
        Ext4Oracle.assertClean(vhd, img.rootOffset());

        Prepared p = new Prepared(img, dir, vhd, report);
        String grubCfg = p.read("/boot/grub/grub.cfg");
        List<String> linuxLines = linuxLines(grubCfg);
        assertThat(linuxLines).as("linux lines of grub.cfg").isNotEmpty();
        // rootdelay: dracut never reads it, so the catalogue's value is added; initramfs-tools' init sleeps it
        // (RootDelayRule), so the initramfs-tools variants must have none
        boolean dracut = variant == GuestVariant.DRACUT_HOSTONLY;
        for (String line : linuxLines) {
            assertThat(words(line)).as(line).containsAll(AZURE_ARGS).doesNotContain("quiet", "rhgb");
            assertRootdelay(line, dracut);
        }
        String defaultGrub = p.read("/etc/default/grub");
        String cmdline = grubVariable(defaultGrub, "GRUB_CMDLINE_LINUX");
        assertThat(words(cmdline))
                .as("GRUB_CMDLINE_LINUX")
                .containsAll(AZURE_ARGS)
                .doesNotContain("quiet");
        assertRootdelay(cmdline, dracut);
        if (!dracut) {
            // future initramfs-tools images resume from nothing (SWAP-OS-DISK)
            assertThat(p.read("/etc/initramfs-tools/conf.d/resume")).contains("RESUME=none");
        }
        String cmdlineDefault = grubVariable(defaultGrub, "GRUB_CMDLINE_LINUX_DEFAULT");
        if (cmdlineDefault != null) {
            assertThat(words(cmdlineDefault)).as("GRUB_CMDLINE_LINUX_DEFAULT").doesNotContain("quiet");
        }
        long t2 = System.nanoTime();

        // linuximage check on the output: compliant, read-only
        byte[] before = sha256(vhd);
        int check = CoreCli.execute(
                "check",
                vhd.toString(),
                "--provisioning",
                provisioning,
                "--quiet",
                "--report",
                dir.resolve("check.json").toString());
        assertThat(check)
                .as("check exit code; report:\n%s", Files.readString(dir.resolve("check.json")))
                .isZero();
        assertThat(sha256(vhd)).as("check leaves the disk untouched").isEqualTo(before);

        // idempotence: preparing the prepared VHD again changes nothing
        Path other = dir.resolve("other.vhd");
        JsonNode again = prepare(vhd, other, dir.resolve("report2.json"), provisioning);
        assertThat(again.get("changes")).as("changes of a second prepare").isEmpty();
        Files.delete(other);
        long t3 = System.nanoTime();
        System.err.printf(
                "real guest %s: prepare %d ms, oracles %d ms, check + second prepare %d ms%n",
                variant.id(), (t1 - t0) / 1_000_000, (t2 - t1) / 1_000_000, (t3 - t2) / 1_000_000);
        return p;
    }

    static List<String> linuxLines(String grubCfg) {
        List<String> out = new ArrayList<>();
        for (String l : grubCfg.split("\n")) {
            String t = l.strip();
            if (t.startsWith("linux ") || t.startsWith("linux\t") || t.startsWith("linuxefi ")) {
                out.add(t);
            }
        }
        return out;
    }

    static List<String> words(String s) {
        return List.of(s.strip().split("\\s+"));
    }

    /** The value of {@code NAME="..."} in /etc/default/grub (last assignment wins), or null. */
    static String grubVariable(String file, String name) {
        Matcher m = Pattern.compile("(?m)^\\s*" + name + "=\"([^\"]*)\"").matcher(file);
        String v = null;
        while (m.find()) {
            v = m.group(1);
        }
        return v;
    }

    private static byte[] sha256(Path f) throws Exception {
        java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
        try (InputStream in = Files.newInputStream(f)) {
            byte[] buf = new byte[1 << 20];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
        }
        return md.digest();
    }

    @Test
    void biosMbr() throws Exception {
        Prepared p = prepareAndCheck(GuestVariant.BIOS_MBR, "CloudInit");
        assertThat(p.read("/etc/cloud/cloud.cfg.d/91-azure_datasource.cfg")).contains("Azure");
    }

    @Test
    void quietSwap() throws Exception {
        Prepared p = prepareAndCheck(GuestVariant.QUIET_SWAP, "CloudInit");
        String uuid = p.image().swapUuid().orElseThrow();
        List<String> swapLines = new ArrayList<>();
        for (String l : p.read("/etc/fstab").split("\n")) {
            if (l.contains(uuid)) {
                swapLines.add(l);
            }
        }
        assertThat(swapLines)
                .as("fstab lines naming the swap partition")
                .isNotEmpty()
                .allSatisfy(l -> assertThat(l.strip()).startsWith("#"));
        assertThat(grubVariable(p.read("/etc/default/grub"), "GRUB_CMDLINE_LINUX_DEFAULT"))
                .doesNotContain("quiet");
        // swap was in fstab: the initramfs must not wait for or resume from it (SWAP-OS-DISK)
        for (String line : linuxLines(p.read("/boot/grub/grub.cfg"))) {
            assertThat(words(line)).as(line).contains("noresume").noneMatch(w -> w.startsWith("resume="));
        }
    }

    @Test
    void dracutHostonly() throws Exception {
        Prepared p = prepareAndCheck(GuestVariant.DRACUT_HOSTONLY, "CloudInit");
        String kver = p.image().kernelVersion();
        Matcher m = Pattern.compile("(?m)^\\s*initrd\\s+(\\S+)").matcher(p.read("/boot/grub/grub.cfg"));
        assertThat(m.find()).as("grub.cfg has an initrd line").isTrue();
        String initrd = m.group(1);
        assertThat(initrd).contains(kver);
        Path img =
                Ext4Oracle.dump(p.vhd(), p.image().rootOffset(), initrd, p.dir().resolve("initrd.img"));
        // issue 10.6: the distributions' own listings show the drivers (GuestFixtureE2E shows the fixture's image
        // lacks them): prepare rewrote the main archive instead of appending a member they would not read
        String listing = Tools.command("lsinitramfs", img.toString())
                .timeout(TOOL)
                .mergeStderr()
                .run()
                .out();
        String lsinitrd = Tools.command("lsinitrd", img.toString())
                .timeout(TOOL)
                .mergeStderr()
                .run()
                .out();
        assertThat(listing).contains("usr/lib/modules/" + kver + "/modules.dep");
        for (String mod : List.of("hv_vmbus.ko", "hv_storvsc.ko", "hv_netvsc.ko")) {
            Pattern file = Pattern.compile("(?m)/" + Pattern.quote(mod) + "(\\.(xz|zst|gz))?$");
            assertThat(listing)
                    .as("lsinitramfs lists %s in the prepared initramfs", mod)
                    .containsPattern(file);
            assertThat(lsinitrd)
                    .as("lsinitrd lists %s in the prepared initramfs", mod)
                    .containsPattern(file);
        }
        assertThat(listing).contains("etc/modules-load.d/linuximage-hyperv.conf");
        // what the kernel unpacks (init/initramfs.c): still one gzip member, one cpio archive without duplicate names
        List<Path> members = gunzipMembers(img, p.dir());
        assertThat(members).as("gzip members of the dracut initramfs").hasSize(1);
        List<String> names = Tools.command(
                        "sh", "-c", "cpio -it --quiet < \"$0\"", members.get(0).toString())
                .timeout(TOOL)
                .mergeStderr()
                .run()
                .out()
                .lines()
                .toList();
        assertThat(names).doesNotHaveDuplicates();
    }

    /**
     * Splits a file of concatenated RFC 1952 gzip members and writes each member's decoded bytes to
     * {@code dir/member-N.cpio} (test helper; the file is the test's own trusted output).
     */
    static List<Path> gunzipMembers(Path gz, Path dir) throws Exception {
        byte[] d = Files.readAllBytes(gz);
        List<Path> out = new ArrayList<>();
        int pos = 0;
        while (pos < d.length) {
            if (d[pos] == 0) { // padding between members
                pos++;
                continue;
            }
            assertThat(d.length - pos).isGreaterThanOrEqualTo(18);
            assertThat(new int[] {d[pos] & 0xff, d[pos + 1] & 0xff, d[pos + 2] & 0xff})
                    .as("gzip magic and deflate at %d", pos)
                    .containsExactly(0x1f, 0x8b, 8);
            int flg = d[pos + 3] & 0xff;
            int h = pos + 10;
            if ((flg & 4) != 0) { // FEXTRA
                h += 2 + ((d[h] & 0xff) | (d[h + 1] & 0xff) << 8);
            }
            for (int bit : new int[] {8, 16}) { // FNAME, FCOMMENT: zero-terminated
                if ((flg & bit) != 0) {
                    while (d[h] != 0) {
                        h++;
                    }
                    h++;
                }
            }
            if ((flg & 2) != 0) { // FHCRC
                h += 2;
            }
            java.util.zip.Inflater inf = new java.util.zip.Inflater(true);
            inf.setInput(d, h, d.length - h);
            Path member = dir.resolve("member-" + out.size() + ".cpio");
            try (OutputStream o = Files.newOutputStream(member)) {
                byte[] buf = new byte[1 << 16];
                while (!inf.finished()) {
                    int n = inf.inflate(buf);
                    if (n == 0 && (inf.needsInput() || inf.needsDictionary())) {
                        throw new AssertionError("truncated gzip member at " + pos);
                    }
                    o.write(buf, 0, n);
                }
            }
            pos = d.length - inf.getRemaining() + 8; // CRC32 and ISIZE trailer
            inf.end();
            out.add(member);
        }
        return out;
    }

    @Test
    void agentless() throws Exception {
        Prepared p = prepareAndCheck(GuestVariant.AGENTLESS, "None");
        assertThat(p.read("/usr/local/sbin/linuximage-report-ready")).startsWith("#!");
        assertThat(p.read("/etc/systemd/system/linuximage-report-ready.service"))
                .contains("ExecStart=");
        assertThat(p.exists("/etc/systemd/system/multi-user.target.wants/linuximage-report-ready.service"))
                .as("the unit is enabled (wants symlink)")
                .isTrue();
        String link = Tools.command(
                        "debugfs",
                        "-R",
                        "stat /etc/systemd/system/multi-user.target.wants/linuximage-report-ready.service",
                        p.vhd().toAbsolutePath() + "?offset=" + p.image().rootOffset())
                .timeout(TOOL)
                .mergeStderr()
                .run()
                .out();
        assertThat(link).contains("Type: symlink").contains("linuximage-report-ready.service");
        // no agent regenerates the SSH host keys deprovisioning removed: the SSH unit makes them before starting
        assertThat(p.exists("/etc/ssh/ssh_host_ed25519_key")).isFalse();
        assertThat(p.read("/etc/systemd/system/ssh.service.d/linuximage-hostkeys.conf"))
                .contains(
                        "[Service]\nExecStartPre=\nExecStartPre=/usr/bin/ssh-keygen -A\nExecStartPre=/usr/sbin/sshd -t\n");
        assertThat(p.exists("/usr/sbin/waagent")).isFalse();
        assertThat(p.exists("/etc/waagent.conf")).isFalse();
        assertThat(p.exists("/lib/systemd/system/walinuxagent.service")).isFalse();
    }

    @Test
    void waagent() throws Exception {
        Prepared p = prepareAndCheck(GuestVariant.WAAGENT, "WALinuxAgent");
        String conf = p.read("/etc/waagent.conf");
        // Debian ships Provisioning.Agent=cloud-init, with which waagent would wait for cloud-init at first boot
        for (String kv : List.of(
                "Provisioning.Agent=waagent",
                "ResourceDisk.Format=y",
                "ResourceDisk.Filesystem=ext4",
                "ResourceDisk.MountPoint=/mnt/resource",
                "ResourceDisk.EnableSwap=y",
                "ResourceDisk.SwapSizeMB=2048")) {
            assertThat(conf).as("waagent.conf has %s", kv).containsPattern("(?m)^\\s*" + Pattern.quote(kv) + "\\s*$");
        }
    }

    @Test
    void uefiGpt() throws Exception {
        Prepared p = prepareAndCheck(GuestVariant.UEFI_GPT, "CloudInit");
        long off = p.image().espOffset().orElseThrow();
        long len = p.image().espBytes().orElseThrow();
        Path esp = DiskFiles.copyRange(p.vhd(), off, len, p.dir().resolve("esp.img"));
        Tools.command("fsck.vfat", "-n", esp.toString())
                .timeout(TOOL)
                .mergeStderr()
                .run();
        // the ESP still boots: its loader is where the firmware looks
        Tools.command("mdir", "-i", esp.toString(), "::/EFI/BOOT/BOOTX64.EFI")
                .timeout(TOOL)
                .mergeStderr()
                .run();
    }

    /**
     * SWAP-OS-DISK on GPT: the swap partition (type 8200) no fstab line names gets the "no auto" attribute (bit 63),
     * so systemd-gpt-auto-generator leaves it alone; sgdisk reads the attribute back.
     */
    @Test
    void gptSwap() throws Exception {
        Prepared p = prepareAndCheck(GuestVariant.GPT_SWAP, "CloudInit");
        Path view = rawView(p.vhd(), p.dir());
        String attrs = Tools.command("sgdisk", "-A", "2:show", view.toString())
                .timeout(TOOL)
                .mergeStderr()
                .run()
                .out();
        assertThat(attrs).as("sgdisk -A 2:show").containsPattern("(?m)^2:63:");
        assertThat(Tools.command("sgdisk", "-v", view.toString())
                        .timeout(TOOL)
                        .mergeStderr()
                        .run()
                        .out())
                .contains("No problems found");
        assertThat(Tools.command("sgdisk", "-i", "2", view.toString())
                        .timeout(TOOL)
                        .mergeStderr()
                        .run()
                        .out())
                .contains("0657FD6D-A4AB-43C4-84E5-0933C84B4F4F"); // still a Linux swap partition
    }

    /**
     * DISK-GPT, a disk grown by {@code qemu-img resize}: the input's backup GPT sits 512 MiB before the end (sgdisk
     * -v says so); the prepared disk's backup header is the last sector again.
     */
    @Test
    void uefiGptGrownByQemuImgResize() throws Exception {
        GuestImage img = GuestImages.get(GuestVariant.UEFI_GPT);
        Path dir = workDir(GuestVariant.UEFI_GPT);
        current = dir;
        Path grown = dir.resolve("grown.raw");
        Tools.command(
                        "qemu-img",
                        "convert",
                        "-q",
                        "-f",
                        "qcow2",
                        "-O",
                        "raw",
                        img.qcow2().toString(),
                        grown.toString())
                .timeout(TOOL)
                .mergeStderr()
                .run();
        Tools.command("qemu-img", "resize", "-q", "-f", "raw", grown.toString(), "+" + (512L << 20))
                .timeout(TOOL)
                .mergeStderr()
                .run();
        assertThat(Tools.command("sgdisk", "-v", grown.toString())
                        .timeout(TOOL)
                        .mergeStderr()
                        .exec()
                        .out())
                .as("the oracle sees the misplaced backup")
                .doesNotContain("No problems found");
        Prepared p = prepareAndCheck(img, dir, grown, img.diskBytes() + (512L << 20), "CloudInit");
        Files.delete(grown);
        assertThat(Tools.command("sgdisk", "-v", rawView(p.vhd(), dir).toString())
                        .timeout(TOOL)
                        .mergeStderr()
                        .run()
                        .out())
                .contains("No problems found");
    }

    /**
     * DISK-GPT, a dynamic VHD made by {@code qemu-img convert -O vpc}: QEMU rounds its size up to a whole CHS
     * geometry (block/vpc.c, calculate_geometry), so the GPT's backup is no longer at the end of the disk the VHD
     * describes; the prepared disk (a whole MiB again) has it at its last sector.
     */
    @Test
    void uefiGptAsChsRoundedDynamicVhd() throws Exception {
        GuestImage img = GuestImages.get(GuestVariant.UEFI_GPT);
        Path dir = workDir(GuestVariant.UEFI_GPT);
        current = dir;
        Path dynamic = dir.resolve("dynamic.vhd");
        Tools.command(
                        "qemu-img",
                        "convert",
                        "-q",
                        "-f",
                        "qcow2",
                        "-O",
                        "vpc",
                        "-o",
                        "subformat=dynamic",
                        img.qcow2().toString(),
                        dynamic.toString())
                .timeout(TOOL)
                .mergeStderr()
                .run();
        JsonNode info =
                JSON.readTree(Tools.command("qemu-img", "info", "--output=json", "-f", "vpc", dynamic.toString())
                        .timeout(TOOL)
                        .mergeStderr()
                        .run()
                        .out());
        long chs = info.get("virtual-size").asLong();
        assertThat(chs).as("CHS-rounded size of the dynamic VHD").isGreaterThan(img.diskBytes());
        assertThat(chs % (1 << 20))
                .as("CHS-rounded size %d is not a whole MiB", chs)
                .isNotZero();
        Prepared p = prepareAndCheck(img, dir, dynamic, chs, "CloudInit");
        Files.delete(dynamic);
        System.err.printf(
                "real guest uefi-gpt as a dynamic VHD: qemu-img virtual size %d bytes (%d MiB + %d bytes)%n",
                chs, chs >> 20, chs % (1 << 20));
        assertThat(Tools.command("sgdisk", "-v", rawView(p.vhd(), dir).toString())
                        .timeout(TOOL)
                        .mergeStderr()
                        .run()
                        .out())
                .contains("No problems found");
    }

    /**
     * XFS root holding /boot, dracut initramfs: prepare succeeds without a failed finding, the XFS is clean per
     * xfs_repair, check passes and a second prepare changes nothing. (No host tool reads XFS files unmounted: the
     * boot test judges the command line and the initramfs the guest really got.)
     */
    @Test
    void xfsDracut() throws Exception {
        GuestImage img = GuestImages.get(GuestVariant.XFS_DRACUT);
        Path dir = workDir(GuestVariant.XFS_DRACUT);
        current = dir;
        Path vhd = dir.resolve("out.vhd");
        byte[] input = sha256(img.qcow2());
        JsonNode report = prepare(img.qcow2(), vhd, dir.resolve("report.json"), "CloudInit");
        assertThat(report.get("changes").size())
                .as("changes of the first prepare")
                .isPositive();
        assertThat(sha256(img.qcow2())).as("prepare leaves its input untouched").isEqualTo(input);
        assertThat(Files.size(vhd)).isEqualTo(img.diskBytes() + 512);
        Path part = DiskFiles.copyRange(vhd, img.rootOffset(), img.rootBytes(), dir.resolve("root.xfs"));
        Tools.command("xfs_repair", "-n", part.toString())
                .timeout(TOOL)
                .mergeStderr()
                .run();
        Files.delete(part);
        int check = CoreCli.execute(
                "check",
                vhd.toString(),
                "--provisioning",
                "CloudInit",
                "--quiet",
                "--report",
                dir.resolve("check.json").toString());
        assertThat(check)
                .as("check exit code; report:\n%s", Files.readString(dir.resolve("check.json")))
                .isZero();
        JsonNode again = prepare(vhd, dir.resolve("other.vhd"), dir.resolve("report2.json"), "CloudInit");
        assertThat(again.get("changes")).as("changes of a second prepare").isEmpty();
    }

    /** The disk a fixed VHD describes: a sparse copy without its 512-byte footer, for sgdisk. */
    private static Path rawView(Path vhd, Path dir) throws IOException {
        Path view = dir.resolve("view.raw");
        Tools.command("cp", "--sparse=always", vhd.toString(), view.toString())
                .timeout(TOOL)
                .mergeStderr()
                .run();
        Tools.command("truncate", "-s", "-512", view.toString())
                .timeout(TOOL)
                .mergeStderr()
                .run();
        return view;
    }
}
