package dev.linuximage.core.format;

import static org.assertj.core.api.Assertions.assertThat;

import dev.linuximage.core.cli.CoreCli;
import dev.linuximage.core.format.vhd.FixedVhdView;
import dev.linuximage.core.report.ExitCodes;
import dev.linuximage.testsupport.DiskFiles;
import dev.linuximage.testsupport.Tools;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Unaligned sizes come out MiB-aligned; GPT disks pass {@code sgdisk -v} after the backup header moved. */
@Tag("oracle")
class AlignmentAndGptOracleTest {

    @ParameterizedTest
    @ValueSource(longs = {1, 511, (1 << 20) - 1, 1 << 20, (3L << 20) + 1})
    void unalignedSizesComeOutAligned(long size) throws Exception {
        Path dir = Tools.scratch("format-tests", "align-" + size);
        Path raw = DiskFiles.rawDisk(dir, "src.raw", size, size);
        Path vhd = dir.resolve("out.vhd");
        assertThat(CoreCli.execute("convert", raw.toString(), vhd.toString(), "--quiet"))
                .isZero();
        long aligned = FixedVhdView.alignUp(size);
        assertThat(aligned % (1 << 20)).isZero();
        assertThat(Files.size(vhd)).isEqualTo(aligned + 512);
        String info = Tools.command("qemu-img", "info", "--output=json", "-f", "vpc", vhd.toString())
                .dir(dir)
                .mergeStderr()
                .run()
                .out();
        assertThat(DiskFiles.qemuVirtualSize(info)).isEqualTo(aligned);
        // same content, zeros in the padding (compare without -s accepts a zero tail on the larger image)
        Tools.command("qemu-img", "compare", "-f", "vpc", "-F", "raw", vhd.toString(), raw.toString())
                .dir(dir)
                .mergeStderr()
                .run()
                .out();
    }

    @Test
    void maxSizeIsCheckedBeforeAnyWork() throws Exception {
        Path dir = Tools.scratch("format-tests", "maxsize");
        Path raw = DiskFiles.rawDisk(dir, "src.raw", (2L << 20) + 1, 1);
        Path vhd = dir.resolve("out.vhd");
        assertThat(CoreCli.execute("convert", raw.toString(), vhd.toString(), "--max-size", "2M", "--quiet"))
                .isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(vhd).doesNotExist();
        try (var s = Files.list(dir)) {
            assertThat(s.filter(p -> p.getFileName().toString().contains("partial"))
                            .count())
                    .isZero();
        }
        assertThat(CoreCli.execute("convert", raw.toString(), vhd.toString(), "--max-size", "3M", "--quiet"))
                .isZero();
        assertThat(CoreCli.execute("convert", raw.toString(), vhd.toString(), "--max-size", "lots"))
                .isEqualTo(ExitCodes.USAGE);
    }

    @Test
    void aGptFor4096ByteSectorsIsConvertedUnchangedWithAWarning() throws Exception {
        Path dir = Tools.scratch("format-tests", "gpt-4kn");
        long size = (5L << 20) + 4096 * 3; // 4 KiB-aligned, not MiB-aligned
        Path raw = DiskFiles.rawDisk(dir, "src.raw", size, 5);
        try (FileChannel ch = FileChannel.open(raw, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.allocate(34 * 4096), 0);
            ch.write(ByteBuffer.allocate(34 * 4096), size - 34 * 4096);
        }
        // fdisk is the oracle that writes a real 4Kn GPT into a file (sgdisk and sfdisk assume 512-byte sectors)
        Process p = new ProcessBuilder("fdisk", "-b", "4096", raw.toString())
                .redirectErrorStream(true)
                .start();
        p.getOutputStream().write("g\nn\n\n\n\nw\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        p.getOutputStream().close();
        p.getInputStream().readAllBytes();
        assertThat(p.waitFor()).as("fdisk -b 4096").isZero();
        String before = Tools.command("fdisk", "-b", "4096", "-l", raw.toString())
                .dir(dir)
                .mergeStderr()
                .run()
                .out();
        assertThat(before).contains("Disklabel type: gpt");

        try (DiskImage img = DiskImages.open(raw, "raw", OpenOptions.defaults());
                FixedVhdView view = FixedVhdView.of(
                        img.data(), new dev.linuximage.core.format.vhd.FixedVhdOptions(1L << 40, null, null))) {
            assertThat(view.warnings())
                    .singleElement()
                    .asString()
                    .contains("4096-byte logical sectors")
                    .contains("will not boot");
        }
        Path vhd = dir.resolve("out.vhd");
        assertThat(CoreCli.execute("convert", raw.toString(), vhd.toString(), "--quiet"))
                .isZero();
        // unchanged bytes (the padding is zeros), so the 4Kn table is still readable with 4 KiB sectors
        Tools.command("qemu-img", "compare", "-f", "vpc", "-F", "raw", vhd.toString(), raw.toString())
                .dir(dir)
                .mergeStderr()
                .run()
                .out();
        Path data = dir.resolve("check.raw");
        DiskFiles.qemuConvert(vhd, "vpc", data, "raw");
        String after = Tools.command("fdisk", "-b", "4096", "-l", data.toString())
                .dir(dir)
                .mergeStderr()
                .run()
                .out();
        assertThat(fdiskTable(after.replace(data.toString(), "D")))
                .isEqualTo(fdiskTable(before.replace(raw.toString(), "D")))
                .contains("D1 ");
        // and with the VHD's 512-byte sectors there is no GPT to find (what firmware and Linux will see)
        assertThat(Tools.command("fdisk", "-b", "512", "-l", data.toString())
                        .dir(dir)
                        .mergeStderr()
                        .run()
                        .out())
                .doesNotContain("Disklabel type: gpt");
    }

    @Test
    void gptBackupHeaderMovesToTheNewEnd() throws Exception {
        Path dir = Tools.scratch("format-tests", "gpt");
        long size = (5L << 20) + 17 * 1024; // sector-aligned, not MiB-aligned
        Path raw = DiskFiles.rawDisk(dir, "src.raw", size, 3);
        // zero the areas sgdisk owns, then partition
        try (FileChannel ch = FileChannel.open(raw, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.allocate(34 * 512), 0);
            ch.write(ByteBuffer.allocate(34 * 512), size - 34 * 512);
        }
        Tools.command("sgdisk", "-o", "-n", "1:2048:+1M", "-t", "1:ef00", "-n", "2:0:0", "-t", "2:8300", raw.toString())
                .dir(dir)
                .mergeStderr()
                .run();
        assertThat(Tools.command("sgdisk", "-v", raw.toString())
                        .dir(dir)
                        .mergeStderr()
                        .run()
                        .out())
                .contains("No problems found");
        String before = Tools.command("sgdisk", "-p", raw.toString())
                .dir(dir)
                .mergeStderr()
                .run()
                .out();

        Path vhd = dir.resolve("out.vhd");
        assertThat(CoreCli.execute("convert", raw.toString(), vhd.toString(), "--quiet"))
                .isZero();
        long aligned = FixedVhdView.alignUp(size);
        Path data = dir.resolve("check.raw");
        DiskFiles.qemuConvert(vhd, "vpc", data, "raw");
        assertThat(Files.size(data)).isEqualTo(aligned);
        String verify = Tools.command("sgdisk", "-v", data.toString())
                .dir(dir)
                .mergeStderr()
                .run()
                .out();
        assertThat(verify).contains("No problems found");
        String after = Tools.command("sgdisk", "-p", data.toString())
                .dir(dir)
                .mergeStderr()
                .run()
                .out();
        // same partitions (the table lines after the header)
        assertThat(partitionLines(after)).isEqualTo(partitionLines(before));

        try (FileChannel ch = FileChannel.open(data, StandardOpenOption.READ)) {
            long last = aligned / 512 - 1;
            ByteBuffer h = ByteBuffer.allocate(512).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(h, 512);
            assertThat(h.getLong(32)).as("primary alternate LBA").isEqualTo(last);
            ByteBuffer b = ByteBuffer.allocate(512).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(b, last * 512);
            assertThat(new String(b.array(), 0, 8)).isEqualTo("EFI PART");
            assertThat(b.getLong(24)).as("backup my LBA").isEqualTo(last);
            ByteBuffer m = ByteBuffer.allocate(512).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(m, 0);
            assertThat(m.getInt(446 + 12) & 0xFFFFFFFFL)
                    .as("protective MBR size")
                    .isEqualTo(last);
            // the old backup header is gone
            ByteBuffer old = ByteBuffer.allocate(512);
            ch.read(old, size - 512);
            assertThat(new String(old.array(), 0, 8)).isNotEqualTo("EFI PART");
        }
        // the partitions' contents are unchanged
        Tools.command(
                        "cmp",
                        "-i",
                        String.valueOf(1 << 20),
                        "-n",
                        String.valueOf(size - 34 * 512 - (1 << 20)),
                        raw.toString(),
                        data.toString())
                .dir(dir)
                .mergeStderr()
                .run()
                .out();
    }

    private static String fdiskTable(String fdiskL) {
        int i = fdiskL.indexOf("Device");
        assertThat(i).as("fdisk -l lists partitions: " + fdiskL).isNotNegative();
        return fdiskL.substring(i).replaceAll(" +", " ");
    }

    private static String partitionLines(String sgdiskP) {
        int i = sgdiskP.indexOf("Number");
        return i < 0 ? sgdiskP : sgdiskP.substring(i);
    }
}
