package dev.linuximage.core.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.linuximage.core.io.ByteSource;
import dev.linuximage.core.io.DiskPaths;
import dev.linuximage.core.io.ExtentVisitor;
import dev.linuximage.core.io.FileByteSource;
import dev.linuximage.core.io.InPlaceOutput;
import dev.linuximage.core.io.OutputTooSmallException;
import dev.linuximage.core.io.Sha256;
import dev.linuximage.core.report.ExitCodes;
import dev.linuximage.core.report.JobResultCodec;
import dev.linuximage.core.report.ResultReasons;
import dev.linuximage.core.upload.FixedVhdCheck;
import dev.linuximage.testsupport.CliRun;
import dev.linuximage.testsupport.DiskFiles;
import dev.linuximage.testsupport.Ext4Oracle;
import dev.linuximage.testsupport.Tools;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 16: a fixed VHD written straight onto a Block-mode claim's device ({@link InPlaceOutput}), and onto a
 * pre-sized file standing in for one through the same code ({@code --output-in-place}). The reference is the same
 * input converted to a new file (same footer identity); {@code qemu-img} reads what was written.
 *
 * <p>Every output here starts "used": filled with a non-zero pattern, and with a valid VHD footer of an earlier run
 * where one could be, so a writer that skipped the image's empty ranges or left an old footer would be caught.
 */
@Tag("oracle")
class InPlaceOutputOracleTest {
    private static final String UUID = "5f2b6c1e-8d43-4a0e-9a7c-2b1f3e4d5c6a";
    private static final String TIMESTAMP = "700000000";
    private static final byte USED = (byte) 0xA5;

    /** A raw disk of 10 MiB + 300 KiB (not MiB-aligned: the VHD grows it) with random data between holes. */
    static Path source(Path dir) throws IOException {
        Path raw = dir.resolve("src.raw");
        Random r = new Random(16);
        try (RandomAccessFile f = new RandomAccessFile(raw.toFile(), "rw")) {
            f.setLength((10L << 20) + 300 * 1024);
            for (long at : new long[] {0, 1L << 20, (3L << 20) + 4096 * 3, 7L << 20, (10L << 20) + 200 * 1024}) {
                byte[] b = new byte[(int) (64 * 1024 + at % 7 * 512)];
                r.nextBytes(b);
                f.seek(at);
                f.write(b);
            }
        }
        return raw;
    }

    /** The reference: the source converted to a new file, deterministic identity. */
    static Path reference(Path dir, Path raw) {
        Path ref = dir.resolve("ref.vhd");
        assertThat(CliRun.run(
                                "convert",
                                raw.toString(),
                                ref.toString(),
                                "--unique-id",
                                UUID,
                                "--timestamp",
                                TIMESTAMP,
                                "--quiet")
                        .exit())
                .isZero();
        return ref;
    }

    /** The first {@code n} bytes of {@code f}, as a file of its own (what a consumer reads given the VHD's size). */
    static Path head(Path f, long n, Path to) throws IOException {
        try (FileChannel in = FileChannel.open(f, StandardOpenOption.READ);
                FileChannel out = FileChannel.open(to, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            long done = 0;
            while (done < n) {
                done += in.transferTo(done, n - done, out);
            }
        }
        return to;
    }

    static byte[] range(Path f, long at, int n) throws IOException {
        try (FileByteSource s = FileByteSource.openReadOnly(f)) {
            return s.readBytes(at, n);
        }
    }

    /**
     * Whether qemu opens {@code f} as a VHD. Its probe recognises only a dynamic VHD's header copy at offset 0, so
     * the format is forced: qemu's vpc driver then reads the footer from the file's last 512 bytes and refuses the
     * file unless they hold a fixed VHD's footer ("invalid VPC image").
     */
    static boolean qemuOpensAsVhd(Path f) {
        return Tools.exec("qemu-img", "info", "-f", "vpc", f.toString()).exit() == 0;
    }

    @Test
    void convertOntoAUsedLargerFileIsTheReferenceVhdInItsFirstBytes(@TempDir Path dir) throws Exception {
        Tools.require("qemu-img");
        Path raw = source(dir);
        Path ref = reference(dir, raw);
        long vhd = Files.size(ref);
        long devSize = vhd + (3L << 20);
        Path dev = DiskFiles.junk(dir.resolve("dev.img"), devSize, USED);
        // an earlier run's VHD footer at the device's end: a reader of the whole device would take it for a VHD
        try (FileChannel ch = FileChannel.open(dev, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(range(ref, vhd - 512, 512)), devSize - 512);
        }

        CliRun.Run run = CliRun.run(
                "convert",
                raw.toString(),
                dev.toString(),
                "--output-in-place",
                "--unique-id",
                UUID,
                "--timestamp",
                TIMESTAMP,
                "--quiet");
        assertThat(run.exit()).as(run.output()).isZero();

        assertThat(Files.size(dev)).as("never truncated nor grown").isEqualTo(devSize);
        Path written = head(dev, vhd, dir.resolve("written.vhd"));
        assertThat(Sha256.hex(Files.readAllBytes(written)))
                .as("the device's first bytes are the VHD a new file would get, holes zeroed")
                .isEqualTo(Sha256.hex(Files.readAllBytes(ref)));
        assertThat(qemuOpensAsVhd(written)).isTrue();
        Tools.command("qemu-img", "compare", "-f", "raw", "-F", "vpc", raw.toString(), written.toString())
                .run();
        // past the VHD: untouched, except the device's last 512 bytes (the stale footer) now zero
        byte[] tail = range(dev, vhd, (int) (devSize - 512 - vhd));
        byte[] used = new byte[tail.length];
        Arrays.fill(used, USED);
        assertThat(tail).isEqualTo(used);
        assertThat(DiskFiles.readsZero(dev, devSize - 512, 512))
                .as("stale footer zeroed")
                .isTrue();
        assertThat(qemuOpensAsVhd(dev))
                .as("the whole device is no VHD of its size")
                .isFalse();
    }

    /**
     * {@code --assume-zeroed} skips the empty ranges: right on an output that reads zeros, wrong on a used one —
     * which is why it is not the default.
     */
    @Test
    void assumeZeroedIsRightOnlyOnAZeroedOutput(@TempDir Path dir) throws Exception {
        Tools.require("qemu-img");
        Path raw = source(dir);
        Path ref = reference(dir, raw);
        long vhd = Files.size(ref);
        Path zeroed = dir.resolve("zeroed.img");
        try (RandomAccessFile f = new RandomAccessFile(zeroed.toFile(), "rw")) {
            f.setLength(vhd);
        }
        Path used = DiskFiles.junk(dir.resolve("used.img"), vhd, USED);
        for (Path dev : new Path[] {zeroed, used}) {
            CliRun.Run run = CliRun.run(
                    "convert",
                    raw.toString(),
                    dev.toString(),
                    "--output-in-place",
                    "--assume-zeroed",
                    "--unique-id",
                    UUID,
                    "--timestamp",
                    TIMESTAMP,
                    "--quiet");
            assertThat(run.exit()).as(run.output()).isZero();
        }
        assertThat(Files.readAllBytes(zeroed)).isEqualTo(Files.readAllBytes(ref));
        assertThat(Tools.exec("qemu-img", "compare", "-q", "-f", "raw", "-F", "vpc", raw.toString(), used.toString())
                        .exit())
                .as("the used output's old bytes show through the image's holes")
                .isEqualTo(1);
        // and without an in-place output the flag is a bad command line
        assertThat(CliRun.run("convert", raw.toString(), dir.resolve("new.vhd").toString(), "--assume-zeroed")
                        .exit())
                .isEqualTo(ExitCodes.USAGE);
        assertThat(dir.resolve("new.vhd")).doesNotExist();
    }

    @Test
    void aTooSmallOutputIsATypedErrorAndNothingIsWritten(@TempDir Path dir) throws Exception {
        Path raw = source(dir);
        Path ref = reference(dir, raw);
        long vhd = Files.size(ref);
        Path dev = DiskFiles.junk(dir.resolve("small.img"), vhd - 512, USED);
        String before = Sha256.hex(Files.readAllBytes(dev));

        CliRun.Run run = CliRun.run("convert", raw.toString(), dev.toString(), "--output-in-place", "--quiet");
        assertThat(run.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(run.err()).contains("holds " + (vhd - 512) + " bytes").contains("needs " + vhd + " bytes");
        assertThat(Sha256.hex(Files.readAllBytes(dev))).isEqualTo(before);

        assertThatThrownBy(() -> InPlaceOutput.open(dev, vhd))
                .isInstanceOfSatisfying(OutputTooSmallException.class, e -> {
                    assertThat(e.outputBytes()).isEqualTo(vhd - 512);
                    assertThat(e.vhdBytes()).isEqualTo(vhd);
                });
        // the pipeline's verdict, as the Job's result carries it: not retried, the output volume is the problem
        assertThatThrownBy(() -> new PreparePipeline(
                                PreparePipelineOracleTest.input(raw), new PreparePipelineOracleTest.Recording())
                        .convert(dev, new PreparePipeline.OutputMode(true, false), 1L << 40, null, null))
                .satisfies(e -> {
                    assertThat(ExitCodes.of(e)).isEqualTo(ExitCodes.USAGE);
                    assertThat(FailureReason.of(e, ExitCodes.of(e))).isEqualTo(ResultReasons.OUTPUT_VOLUME_FULL);
                });
        assertThat(Sha256.hex(Files.readAllBytes(dev))).isEqualTo(before);
        // an output that does not exist is never created
        Path missing = dir.resolve("no-such-device");
        assertThat(CliRun.run("convert", raw.toString(), missing.toString(), "--output-in-place", "--quiet")
                        .exit())
                .isNotZero();
        assertThat(missing).doesNotExist();
    }

    /**
     * A write that fails half-way (the source fails at 5 MiB, as a killed or evicted pod stops anywhere) onto an
     * output that held a valid VHD of the same size: the old footer was cleared before the first data byte, and
     * the new one never written, so no reader takes the mixture for a VHD.
     */
    @Test
    void anInterruptedWriteLeavesNoValidFooter(@TempDir Path dir) throws Exception {
        Tools.require("qemu-img");
        Path raw = source(dir);
        Path ref = reference(dir, raw);
        long vhd = Files.size(ref);
        Path dev = dir.resolve("dev.img");
        Files.copy(ref, dev);
        assertThat(qemuOpensAsVhd(dev)).as("the earlier run's VHD").isTrue();

        try (FileByteSource good = FileByteSource.openReadOnly(ref);
                InPlaceOutput out = InPlaceOutput.open(dev, vhd)) {
            ByteSource failing = new ByteSource() {
                @Override
                public long size() {
                    return good.size();
                }

                @Override
                public int read(long offset, ByteBuffer dst) throws IOException {
                    if (offset >= (5L << 20)) {
                        throw new IOException("injected: the pod was stopped");
                    }
                    return good.read(offset, dst);
                }

                @Override
                public void extents(long offset, long length, ExtentVisitor visitor) throws IOException {
                    good.extents(offset, length, visitor);
                }
            };
            assertThatThrownBy(() -> out.writeData(failing, false, null)).hasMessageContaining("injected");
        }
        assertThat(DiskFiles.readsZero(dev, vhd - 512, 512))
                .as("the old footer cleared")
                .isTrue();
        assertThat(qemuOpensAsVhd(dev)).isFalse();
        try (FileByteSource s = FileByteSource.openReadOnly(dev)) {
            assertThatThrownBy(() -> FixedVhdCheck.check(s, dev.toString())).hasMessageContaining("not a VHD");
        }
    }

    /**
     * {@code prepare} in place: the guest is patched on the output itself and the footer written after the check.
     * The result names the output and the VHD's disk size (what a consumer of a larger device must read); no state
     * file or temporary file is left beside it; e2fsck finds the patched file system clean.
     */
    @Test
    void prepareInPlacePatchesOnTheOutputAndWritesTheFooterLast(@TempDir Path dir) throws Exception {
        Tools.require("qemu-img", "e2fsck", "debugfs");
        Path raw = PreparePipelineOracleTest.alpineDisk(dir);
        Path file = dir.resolve("file.vhd");
        PreparePipelineOracleTest.Recording fileRun = new PreparePipelineOracleTest.Recording();
        PreparePipeline.Result rf =
                new PreparePipeline(PreparePipelineOracleTest.input(raw), fileRun).prepare(file, null);
        long vhd = Files.size(file);

        Path devDir = Files.createDirectory(dir.resolve("dev"));
        Path dev = DiskFiles.junk(devDir.resolve("claim.img"), vhd + (1L << 20), USED);
        PreparePipelineOracleTest.Recording rec = new PreparePipelineOracleTest.Recording();
        PreparePipeline.Result r = new PreparePipeline(PreparePipelineOracleTest.input(raw), rec)
                .prepare(dev, new PreparePipeline.OutputMode(true, false), null);

        assertThat(r.exitCode()).isEqualTo(rf.exitCode());
        assertThat(rec.steps).containsExactly("convert 2", "patch 40", "patch 45", "check 60", "done 100");
        assertThat(rec.reports).hasSize(1);
        assertThat(r.result().output().path()).isEqualTo(dev.toString());
        assertThat(r.result().output().virtualSize()).isEqualTo(vhd - 512);
        assertThat(JobResultCodec.parse(JobResultCodec.write(r.result()))
                        .output()
                        .virtualSize())
                .isEqualTo(vhd - 512);
        try (var s = Files.list(devDir)) {
            assertThat(s).as("no state, temporary or renamed file").containsExactly(dev);
        }
        assertThat(Files.size(dev)).isEqualTo(vhd + (1L << 20));

        Path written = head(dev, vhd, dir.resolve("written.vhd"));
        assertThat(qemuOpensAsVhd(written)).isTrue();
        try (FileByteSource s = FileByteSource.openReadOnly(written)) {
            FixedVhdCheck.check(s, written.toString());
        }
        assertThat(r.result().output().sha256()).isEqualTo(rf.result().output().sha256());
        Ext4Oracle.assertClean(written, 1L << 20);
        // the patch landed on the device as it does in a file: the same patched guest files
        for (String path : new String[] {"/etc/fstab", "/etc/cloud/cloud.cfg.d/90-azure.cfg"}) {
            if (Ext4Oracle.exists(file, 1L << 20, path)) {
                assertThat(new String(Ext4Oracle.read(written, 1L << 20, path), StandardCharsets.UTF_8))
                        .as(path)
                        .isEqualTo(new String(Ext4Oracle.read(file, 1L << 20, path), StandardCharsets.UTF_8));
            }
        }
    }

    /**
     * A real block device: a loop device over a used backing file, the output named by its device node only (no
     * {@code --output-in-place}: a block device is always written in place). Needs root and loop devices, which
     * CI has: there a missing one fails the test instead of skipping it.
     */
    @Test
    void aLoopDeviceReceivesTheVhd(@TempDir Path dir) throws Exception {
        boolean ci = System.getenv("CI") != null;
        boolean root = "root".equals(System.getProperty("user.name"));
        boolean loop = Files.exists(Path.of("/dev/loop-control"));
        if (ci) {
            assertThat(root && loop)
                    .as("CI runs this test as root with loop devices")
                    .isTrue();
        } else {
            Assumptions.assumeTrue(root && loop, "needs root and loop devices");
        }
        Tools.require("qemu-img", "losetup", "blockdev");
        Path raw = source(dir);
        Path ref = reference(dir, raw);
        long vhd = Files.size(ref);
        Path backing = DiskFiles.junk(dir.resolve("backing.img"), vhd + (2L << 20), USED);
        Tools.Result attach = Tools.run("losetup", "-f", "--show", backing.toString());
        Path dev = Path.of(attach.out().strip());
        try {
            assertThat(DiskPaths.isBlockDevice(dev)).isTrue();
            CliRun.Run run = CliRun.run(
                    "convert",
                    raw.toString(),
                    dev.toString(),
                    "--unique-id",
                    UUID,
                    "--timestamp",
                    TIMESTAMP,
                    "--quiet");
            assertThat(run.exit()).as(run.output()).isZero();
            assertThat(DiskPaths.isBlockDevice(dev))
                    .as("still the device node, not replaced by a file")
                    .isTrue();
            assertThat(Long.parseLong(Tools.run("blockdev", "--getsize64", dev.toString())
                            .out()
                            .strip()))
                    .isEqualTo(vhd + (2L << 20));
            Path written = head(dev, vhd, dir.resolve("written.vhd"));
            assertThat(Files.readAllBytes(written)).isEqualTo(Files.readAllBytes(ref));
            Tools.command("qemu-img", "compare", "-f", "raw", "-F", "vpc", raw.toString(), written.toString())
                    .run();

            // too small for another, larger image: refused before writing
            Path big = dir.resolve("big.raw");
            try (RandomAccessFile f = new RandomAccessFile(big.toFile(), "rw")) {
                f.setLength(vhd + (8L << 20));
            }
            String before = Sha256.hex(Files.readAllBytes(head(dev, vhd + (2L << 20), dir.resolve("before.img"))));
            CliRun.Run small = CliRun.run("convert", big.toString(), dev.toString(), "--quiet");
            assertThat(small.exit()).isEqualTo(ExitCodes.USAGE);
            assertThat(small.err()).contains("holds " + (vhd + (2L << 20)) + " bytes");
            assertThat(Sha256.hex(Files.readAllBytes(head(dev, vhd + (2L << 20), dir.resolve("after.img")))))
                    .isEqualTo(before);
        } finally {
            Tools.run("losetup", "-d", dev.toString());
        }
    }
}
