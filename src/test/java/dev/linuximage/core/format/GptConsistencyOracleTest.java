package dev.linuximage.core.format;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.linuximage.core.cli.CoreCli;
import dev.linuximage.testsupport.DiskFiles;
import dev.linuximage.testsupport.Tools;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * DISK-GPT against the real tools: GPT disks whose end moved after partitioning ({@code qemu-img resize}, the CHS
 * rounding of {@code qemu-img convert -O vpc}) or whose primary header is corrupt are first shown inconsistent by
 * {@code sgdisk -v}; after {@code linuximage convert} the raw view of the output must pass {@code sgdisk -v} with the
 * same partitions and the same partition contents; {@code linuximage check} fails the input and passes the output.
 */
@Tag("oracle")
class GptConsistencyOracleTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long MIB = 1 << 20;

    /**
     * A raw GPT disk partitioned by sgdisk: ESP, Linux swap, and an ext4 root to the end written by {@code mke2fs -d}
     * from the demo's guest tree ({@code scripts/sample-guest}) plus systemd's gpt-auto generator, so {@code check}
     * and {@code prepare} find a guest.
     */
    static Path gptDisk(Path dir, String name, long size) throws Exception {
        Path raw = dir.resolve(name);
        Tools.command("truncate", "-s", String.valueOf(size), raw.toString())
                .dir(dir)
                .mergeStderr()
                .run();
        Tools.command(
                        "sgdisk",
                        "-o",
                        "-n1:2048:+1M",
                        "-t1:ef00",
                        "-n2:0:+1M",
                        "-t2:8200",
                        "-n3:0:0",
                        "-t3:8300",
                        raw.toString())
                .dir(dir)
                .mergeStderr()
                .run();
        Path tree = dir.resolve("tree-" + name);
        Tools.command("cp", "-a", Path.of("scripts/sample-guest").toAbsolutePath() + "/.", tree.toString())
                .dir(dir)
                .mergeStderr()
                .run();
        Path gen = tree.resolve("usr/lib/systemd/system-generators/systemd-gpt-auto-generator");
        Files.createDirectories(gen.getParent());
        Files.writeString(gen, "#!/bin/sh\n# stands in for systemd's generator binary\n");
        String info = Tools.command("sgdisk", "-i", "3", raw.toString())
                .dir(dir)
                .mergeStderr()
                .run()
                .out();
        long first = sectorField(info, "First sector");
        long last = sectorField(info, "Last sector");
        Tools.command(
                        "mke2fs",
                        "-q",
                        "-t",
                        "ext4",
                        "-U",
                        "3f0d5a52-6c52-4a8e-9a4e-6a4a7b9d1c11",
                        "-d",
                        tree.toString(),
                        "-E",
                        "offset=" + first * 512,
                        raw.toString(),
                        (last - first + 1) / 2 + "k")
                .dir(dir)
                .mergeStderr()
                .run();
        assertThat(Tools.command("sgdisk", "-v", raw.toString())
                        .dir(dir)
                        .mergeStderr()
                        .run()
                        .out())
                .contains("No problems found");
        return raw;
    }

    static long sectorField(String sgdiskI, String key) {
        for (String line : sgdiskI.split("\n")) {
            if (line.startsWith(key + ":")) {
                return Long.parseLong(line.substring(key.length() + 1).trim().split("\\s+")[0]);
            }
        }
        throw new AssertionError(key + " not in " + sgdiskI);
    }

    static String partitions(Path dir, Path raw) throws Exception {
        String p = Tools.command("sgdisk", "-p", raw.toString())
                .dir(dir)
                .mergeStderr()
                .run()
                .out();
        return p.substring(p.indexOf("Number"));
    }

    /** Converts with {@code linuximage convert} and returns the raw view of the output (via qemu-img). */
    static Path convertToRawView(Path dir, Path input, String format) throws Exception {
        Path vhd = dir.resolve("out.vhd");
        Files.deleteIfExists(vhd);
        assertThat(CoreCli.execute("convert", input.toString(), vhd.toString(), "--format", format, "--quiet"))
                .isZero();
        Path view = dir.resolve("out.raw");
        Files.deleteIfExists(view);
        DiskFiles.qemuConvert(vhd, "vpc", view, "raw");
        assertThat(Files.size(view) % MIB).isZero();
        return view;
    }

    static JsonNode check(Path dir, Path disk, String format, int expectedExit) throws Exception {
        Path report = dir.resolve("check-" + disk.getFileName() + ".json");
        Files.deleteIfExists(report);
        PrintStream err = System.err;
        try {
            System.setErr(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
            int code = CoreCli.execute(
                    "check", disk.toString(), "--format", format, "--report", report.toString(), "--quiet");
            assertThat(code).as("check exit code").isEqualTo(expectedExit);
        } finally {
            System.setErr(err);
        }
        JsonNode json = JSON.readTree(report.toFile());
        for (JsonNode f : json.get("findings")) {
            if (f.get("id").asText().equals("DISK-GPT")) {
                return f;
            }
        }
        throw new AssertionError("no DISK-GPT finding in " + json);
    }

    @Test
    void aDiskGrownWithQemuImgResizeIsMadeConsistentByConvert() throws Exception {
        Path dir = Tools.scratch("format-tests", "gpt-resize");
        Path raw = gptDisk(dir, "src.raw", 10 * MIB);
        String before = partitions(dir, raw);
        Tools.command("qemu-img", "resize", "-q", "-f", "raw", raw.toString(), "13M")
                .dir(dir)
                .mergeStderr()
                .run(); // stays MiB-aligned
        assertThat(Tools.command("sgdisk", "-v", raw.toString())
                        .dir(dir)
                        .mergeStderr()
                        .run()
                        .out())
                .contains("doesn't reside")
                .doesNotContain("No problems found");
        JsonNode in = check(dir, raw, "raw", 4);
        assertThat(in.get("status").asText()).isEqualTo("Fail");
        assertThat(in.toString())
                .contains("does not reside at the end of the disk")
                .contains("prepare");

        Path view = convertToRawView(dir, raw, "raw");
        assertThat(Files.size(view)).isEqualTo(13 * MIB);
        assertThat(Tools.command("sgdisk", "-v", view.toString())
                        .dir(dir)
                        .mergeStderr()
                        .run()
                        .out())
                .contains("No problems found");
        assertThat(partitions(dir, view)).isEqualTo(before);
        Tools.command(
                        "cmp",
                        "-n",
                        String.valueOf(6 * MIB),
                        "-i",
                        String.valueOf(2 * MIB),
                        raw.toString(),
                        view.toString())
                .dir(dir)
                .mergeStderr()
                .run();
        // check on the output VHD itself
        JsonNode out = check(dir, dir.resolve("out.vhd"), "vpc", 4);
        assertThat(out.get("status").asText()).as(out.toString()).isEqualTo("Pass");
    }

    @Test
    void aDynamicVhdWhoseSizeQemuRoundedToChsGeometryIsMadeConsistent() throws Exception {
        Path dir = Tools.scratch("format-tests", "gpt-chs");
        long size = 20 * MIB;
        Path raw = gptDisk(dir, "src.raw", size);
        String before = partitions(dir, raw);
        Path vpc = dir.resolve("dyn.vhd");
        DiskFiles.qemuConvert(raw, "raw", vpc, "vpc", "-o", "subformat=dynamic");
        long virtual = DiskFiles.qemuVirtualSize(Tools.command("qemu-img", "info", "--output=json", vpc.toString())
                .dir(dir)
                .mergeStderr()
                .run()
                .out());
        assertThat(virtual)
                .as("qemu-img rounded the size to its CHS geometry")
                .isNotEqualTo(size)
                .isGreaterThan(size);
        Path rounded = dir.resolve("rounded.raw");
        DiskFiles.qemuConvert(vpc, "vpc", rounded, "raw");
        assertThat(Tools.command("sgdisk", "-v", rounded.toString())
                        .dir(dir)
                        .mergeStderr()
                        .run()
                        .out())
                .doesNotContain("No problems found");
        JsonNode in = check(dir, vpc, "vpc", 4);
        assertThat(in.get("status").asText()).isEqualTo("Fail");

        Path view = convertToRawView(dir, vpc, "vpc");
        assertThat(Files.size(view)).isEqualTo((virtual + MIB - 1) / MIB * MIB);
        assertThat(Tools.command("sgdisk", "-v", view.toString())
                        .dir(dir)
                        .mergeStderr()
                        .run()
                        .out())
                .contains("No problems found");
        assertThat(partitions(dir, view)).isEqualTo(before);
        Tools.command(
                        "cmp",
                        "-n",
                        String.valueOf(size - 4 * MIB),
                        "-i",
                        String.valueOf(2 * MIB),
                        raw.toString(),
                        view.toString())
                .dir(dir)
                .mergeStderr()
                .run();
    }

    @Test
    void onlyTheBackupIsValidThePrimaryIsRestoredFromIt() throws Exception {
        Path dir = Tools.scratch("format-tests", "gpt-backup-only");
        long size = 9 * MIB + 17 * 1024; // unaligned: the backup also has to move to the aligned end
        Path raw = gptDisk(dir, "src.raw", size);
        String before = partitions(dir, raw);
        corruptPrimaryHeaderAndEntries(raw);
        assertThat(Tools.command("sgdisk", "-v", raw.toString())
                        .dir(dir)
                        .mergeStderr()
                        .run()
                        .out())
                .doesNotContain("No problems found");

        Path view = convertToRawView(dir, raw, "raw");
        assertThat(Tools.command("sgdisk", "-v", view.toString())
                        .dir(dir)
                        .mergeStderr()
                        .run()
                        .out())
                .contains("No problems found");
        assertThat(partitions(dir, view)).isEqualTo(before);
        JsonNode out = check(dir, dir.resolve("out.vhd"), "vpc", 4);
        assertThat(out.get("status").asText()).isEqualTo("Pass");
    }

    @Test
    void aCorruptPrimaryOnAGrownDiskIsRestoredFromTheBackupItsAlternateFieldPointsTo() throws Exception {
        Path dir = Tools.scratch("format-tests", "gpt-backup-grown");
        Path raw = gptDisk(dir, "src.raw", 10 * MIB);
        String before = partitions(dir, raw);
        Tools.command("qemu-img", "resize", "-q", "-f", "raw", raw.toString(), "12M")
                .dir(dir)
                .mergeStderr()
                .run();
        // the primary's header CRC no longer matches (its alternate-LBA field still names the old end)
        try (FileChannel ch = FileChannel.open(raw, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(1);
            ch.read(b, 512 + 60);
            b.put(0, (byte) (b.get(0) ^ 0x5a)).rewind();
            ch.write(b, 512 + 60);
        }
        // sgdisk looks for the backup only in the last sector: it finds no GPT at all (no partitions)
        assertThat(partitions(dir, raw)).isNotEqualTo(before);
        Path view = convertToRawView(dir, raw, "raw");
        assertThat(Tools.command("sgdisk", "-v", view.toString())
                        .dir(dir)
                        .mergeStderr()
                        .run()
                        .out())
                .contains("No problems found");
        assertThat(partitions(dir, view)).isEqualTo(before);
    }

    @Test
    void neitherHeaderValidIsLeftUnchangedWithAWarningAndCheckFailsIt() throws Exception {
        Path dir = Tools.scratch("format-tests", "gpt-none-valid");
        long size = 8 * MIB;
        Path raw = gptDisk(dir, "src.raw", size);
        corruptPrimaryHeaderAndEntries(raw);
        try (FileChannel ch = FileChannel.open(raw, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[] {'X'}), size - 512 + 3); // backup signature "EFIXPART"
        }
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        Path vhd = dir.resolve("out.vhd");
        try {
            System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
            assertThat(CoreCli.execute("convert", raw.toString(), vhd.toString(), "--format", "raw"))
                    .isZero();
        } finally {
            System.setErr(err);
        }
        assertThat(captured.toString(StandardCharsets.UTF_8))
                .contains("warning: the GPT is inconsistent")
                .contains("neither GPT header is valid");
        DiskFiles.qemuCompare(vhd, "vpc", raw, "raw");
    }

    /**
     * {@code prepare} end to end on a grown GPT disk with a Linux-swap partition and systemd's gpt-auto generator in
     * the guest: DISK-GPT Fixed (the converter rebuilt the backup), SWAP-OS-DISK Fixed (attribute bit 63 set in both
     * entry arrays, as {@code sgdisk -i} shows), {@code sgdisk -v} clean on the output; {@code check} of the output
     * then passes both.
     */
    @Test
    void prepareFixesTheGptAndSetsNoAutoOnTheSwapPartition() throws Exception {
        Path dir = Tools.scratch("format-tests", "gpt-prepare");
        Path raw = gptDisk(dir, "src.raw", 10 * MIB);
        Tools.command("qemu-img", "resize", "-q", "-f", "raw", raw.toString(), "14M")
                .dir(dir)
                .mergeStderr()
                .run();
        assertThat(Tools.command("sgdisk", "-i", "2", raw.toString())
                        .dir(dir)
                        .mergeStderr()
                        .run()
                        .out())
                .contains("Attribute flags: 0000000000000000");
        Path vhd = dir.resolve("prepared.vhd");
        Path report = dir.resolve("prepare.json");
        PrintStream err = System.err;
        try {
            System.setErr(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
            CoreCli.execute(
                    "prepare",
                    raw.toString(),
                    "--format",
                    "raw",
                    "--output",
                    vhd.toString(),
                    "--report",
                    report.toString(),
                    "--quiet");
        } finally {
            System.setErr(err);
        }
        JsonNode json = JSON.readTree(report.toFile());
        JsonNode gpt = finding(json, "DISK-GPT");
        assertThat(gpt.get("status").asText()).as(gpt.toString()).isEqualTo("Fixed");
        assertThat(gpt.toString()).contains("does not reside at the end").contains("rebuilt the backup header");
        JsonNode swap = finding(json, "SWAP-OS-DISK");
        assertThat(swap.get("status").asText()).as(swap.toString()).isEqualTo("Fixed");
        assertThat(json.get("changes").toString())
                .contains("GPT partition 2 (Linux swap) attributes")
                .contains("8000000000000000");

        Path view = dir.resolve("prepared.raw");
        DiskFiles.qemuConvert(vhd, "vpc", view, "raw");
        assertThat(Tools.command("sgdisk", "-v", view.toString())
                        .dir(dir)
                        .mergeStderr()
                        .run()
                        .out())
                .contains("No problems found");
        assertThat(Tools.command("sgdisk", "-i", "2", view.toString())
                        .dir(dir)
                        .mergeStderr()
                        .run()
                        .out())
                .contains("Attribute flags: 8000000000000000");
        assertThat(Tools.command("sgdisk", "-i", "3", view.toString())
                        .dir(dir)
                        .mergeStderr()
                        .run()
                        .out())
                .contains("Attribute flags: 0000000000000000");
        // the backup array carries the bit too: with the primary destroyed, sgdisk reads the backup
        try (FileChannel ch = FileChannel.open(view, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.allocate(512), 512);
        }
        assertThat(Tools.command("sgdisk", "-i", "2", view.toString())
                        .dir(dir)
                        .mergeStderr()
                        .run()
                        .out())
                .contains("Attribute flags: 8000000000000000");

        JsonNode again = check(dir, vhd, "vpc", 4);
        assertThat(again.get("status").asText()).isEqualTo("Pass");
    }

    static JsonNode finding(JsonNode report, String id) {
        for (JsonNode f : report.get("findings")) {
            if (f.get("id").asText().equals(id)) {
                return f;
            }
        }
        throw new AssertionError("no " + id + " in " + report);
    }

    /** Flips bytes in the primary header (disk GUID) and the first entry: both CRCs fail. */
    static void corruptPrimaryHeaderAndEntries(Path raw) throws Exception {
        try (FileChannel ch = FileChannel.open(raw, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            for (long off : new long[] {512 + 56, 1024 + 20}) {
                ByteBuffer b = ByteBuffer.allocate(1);
                ch.read(b, off);
                b.put(0, (byte) (b.get(0) ^ 0xff)).rewind();
                ch.write(b, off);
            }
        }
    }
}
