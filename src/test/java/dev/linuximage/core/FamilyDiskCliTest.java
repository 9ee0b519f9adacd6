package dev.linuximage.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.linuximage.core.cli.CoreCli;
import dev.linuximage.core.compliance.Requirements;
import dev.linuximage.testing.FamilyGuests;
import dev.linuximage.testing.GuestTree;
import dev.linuximage.testing.guests.Ext4Oracle;
import dev.linuximage.testing.guests.Tools;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code linuximage prepare} and {@code check} through the CLI on real disks of two non-Debian families, built
 * without mounts: an MBR disk ({@code sfdisk}) whose ext4 root is written by {@code mke2fs -d TREE} from the
 * family trees of {@link FamilyGuests} (RHEL 6: GRUB legacy + SysV; Alpine: extlinux + OpenRC). The output VHD is
 * read back with the real tools ({@code debugfs}, {@code e2fsck -fn}); expectations come from the seeds and the
 * distributions' tools, not from the product's output. A second prepare of the output must change nothing.
 */
class FamilyDiskCliTest {
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
        Tools.run(Tools.MINUTE, "sh", "-c", "sfdisk --no-reread --no-tell-kernel " + raw + " < " + layout);
        Tools.run(Tools.MINUTE, "mke2fs", "-q", "-F", "-t", "ext4", "-U", "6d5c0f7e-8a3b-4c2d-9e1f-0a1b2c3d4e5f",
                "-d", tree.root().toString(), "-E", "offset=" + OFFSET, raw.toString(), "63M");
        Ext4Oracle.assertClean(raw, OFFSET);
        return raw;
    }

    record Outcome(int exit, JsonNode report, Map<String, String> status) {
    }

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
        String out = Tools.run(Tools.MINUTE, "debugfs", "-R", "stat \"" + guestPath + "\"",
                image.toAbsolutePath() + "?offset=" + OFFSET).output();
        assertThat(out).as(guestPath).contains("Type: symlink");
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("Fast link dest: \"([^\"]*)\"").matcher(out);
        assertThat(m.find()).as("fast symlink %s", guestPath).isTrue();
        return m.group(1);
    }

    /** prepare, then check of the output, then a second prepare of the output. */
    static Outcome[] prepareCheckAgain(Path dir, Path raw) throws Exception {
        Path vhd = dir.resolve("out.vhd");
        Outcome p = run("prepare", raw.toString(), "--output", vhd.toString(), "--report",
                dir.resolve("prepare.json").toString(), "--provisioning", "CloudInit", "--quiet");
        // compliant (0) or not (4: e.g. BOOT-GENERATION, this disk has no boot loader code); never an error
        assertThat(p.exit()).as(p.report().toPrettyString()).isIn(0, 4);
        assertThat(p.report().get("errors")).as("patch errors").isEmpty();
        Ext4Oracle.assertClean(vhd, OFFSET);
        Outcome c = run("check", vhd.toString(), "--report", dir.resolve("check.json").toString(), "--provisioning",
                "CloudInit", "--quiet");
        Outcome again = run("prepare", vhd.toString(), "--output", dir.resolve("again.vhd").toString(), "--report",
                dir.resolve("again.json").toString(), "--provisioning", "CloudInit", "--quiet");
        assertThat(again.report().get("changes")).as("changes of the second prepare").isEmpty();
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
        assertThat(p).containsEntry("CMDLINE-CONSOLE", "Fixed").containsEntry("CMDLINE-NOQUIET", "Fixed")
                .containsEntry("KERNEL-NUMA", "Fixed").containsEntry("SSH-SERVER", "Fixed")
                .containsEntry("AGENT-PRESENT", "Fixed").containsEntry("KERNEL-LIS", "Warn");
        String grub = Ext4Oracle.readString(vhd, OFFSET, "/boot/grub/grub.conf");
        List<String> kernel = grub.lines().filter(l -> l.trim().startsWith("kernel ")).toList();
        assertThat(kernel).hasSize(1);
        assertThat(words(kernel.get(0))).containsAll(AZURE).contains("numa=off")
                .doesNotContain("rhgb", "quiet", "crashkernel=auto");
        assertThat(symlinkTarget(vhd, "/etc/grub.conf")).isEqualTo("../boot/grub/grub.conf");
        for (int n = 2; n <= 5; n++) {
            assertThat(symlinkTarget(vhd, "/etc/rc.d/rc" + n + ".d/S55sshd")).isEqualTo("../init.d/sshd");
            assertThat(Ext4Oracle.exists(vhd, OFFSET, "/etc/rc.d/rc" + n + ".d/K25sshd")).isFalse();
            assertThat(symlinkTarget(vhd, "/etc/rc.d/rc" + n + ".d/S09cloud-init")).isEqualTo("../init.d/cloud-init");
        }
        assertThat(Ext4Oracle.exists(vhd, OFFSET, "/etc/rc.d/rc0.d/K25sshd")).isTrue();
        // the output passes its own check on everything prepare repaired
        assertThat(o[1].status()).containsEntry("CMDLINE-CONSOLE", "Pass").containsEntry("KERNEL-NUMA", "Pass")
                .containsEntry("SSH-SERVER", "Pass").containsEntry("AGENT-PRESENT", "Pass");
    }

    @Test
    void alpineExtlinuxAndOpenRc(@TempDir Path dir) throws Exception {
        GuestTree tree = FamilyGuests.alpine(dir.resolve("tree"));
        Outcome[] o = prepareCheckAgain(dir, disk(dir, tree));
        Path vhd = dir.resolve("out.vhd");
        assertThat(o[0].report().at("/guest/osId").asText()).isEqualTo("alpine");
        // the guest's initramfs-virt is an mkinitfs image: its init never reads rootdelay (nlplug-findfs waits for
        // root=), so rootdelay=300 is added as the catalogue asks for initramfs that do not sleep it
        assertThat(o[0].status()).containsEntry("CMDLINE-CONSOLE", "Fixed").containsEntry("CMDLINE-NOQUIET", "Fixed")
                .containsEntry("SSH-SERVER", "Fixed").containsEntry("AGENT-PRESENT", "Fixed");
        String ext = Ext4Oracle.readString(vhd, OFFSET, "/boot/extlinux.conf");
        List<String> append = ext.lines().filter(l -> l.trim().startsWith("APPEND ")).toList();
        assertThat(append).hasSize(1);
        assertThat(words(append.get(0))).containsAll(AZURE).contains("rootdelay=300").doesNotContain("quiet")
                .contains("modules=sd-mod,usb-storage,ext4");
        String src = Ext4Oracle.readString(vhd, OFFSET, "/etc/update-extlinux.conf");
        String opts = src.lines().filter(l -> l.startsWith("default_kernel_opts=")).findFirst().orElseThrow();
        assertThat(words(opts.substring(opts.indexOf('=') + 1).replace("\"", ""))).containsAll(AZURE)
                .doesNotContain("quiet");
        assertThat(symlinkTarget(vhd, "/etc/runlevels/default/sshd")).isEqualTo("/etc/init.d/sshd");
        assertThat(symlinkTarget(vhd, "/etc/runlevels/boot/cloud-init-local")).isEqualTo("/etc/init.d/cloud-init-local");
        assertThat(symlinkTarget(vhd, "/etc/runlevels/default/cloud-final")).isEqualTo("/etc/init.d/cloud-final");
        assertThat(o[1].status()).containsEntry("CMDLINE-CONSOLE", "Pass").containsEntry("SSH-SERVER", "Pass")
                .containsEntry("AGENT-PRESENT", "Pass");
    }
}
