package dev.linuximage.core.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.linuximage.core.format.DiskImage;
import dev.linuximage.core.format.DiskImages;
import java.io.RandomAccessFile;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 16: a PersistentVolumeClaim with volumeMode Block reaches the Job pod as a block device node, whose
 * {@code st_size} is 0. The size comes from the kernel (recent JDKs) or, where the JDK reports 0, from reading.
 */
@Tag("oracle")
class DiskPathsOracleTest {

    /**
     * The read-based search against channels whose end is known: a regular file reads to its length and returns end
     * of input after it, as a block device does at its last sector. Sizes are whole sectors, as a device's are.
     */
    @Test
    void probeFindsTheEndOfWholeSectorChannels(@TempDir Path dir) throws Exception {
        for (long size : new long[] {
            0, 512, 1024, 3 * 512, 4096, 1L << 20, (1L << 20) + 512, 3L << 20, (1L << 30) + 7 * 512, 5L << 40
        }) {
            Path f = dir.resolve("d" + size);
            try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
                raf.setLength(size); // sparse: the 5 TiB case allocates nothing
            }
            try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
                assertThat(DiskPaths.probeSize(ch)).as("size %d", size).isEqualTo(size);
            }
            Files.delete(f);
        }
    }

    /** A character device reads forever: never a disk (refused before any size is asked). */
    @Test
    void characterDevicesAreNoDisks() throws Exception {
        Path zero = Path.of("/dev/zero");
        Assumptions.assumeTrue(Files.exists(zero));
        assertThat(DiskPaths.isBlockDevice(zero)).isFalse();
        assertThat(DiskPaths.isDiskInput(zero)).isFalse();
        // and the search itself stops at its bound rather than looping
        try (FileChannel ch = FileChannel.open(zero, StandardOpenOption.READ)) {
            assertThatThrownBy(() -> DiskPaths.probeSize(ch)).hasMessageContaining("not a disk");
        }
        assertThat(DiskPaths.isDiskInput(Path.of("/dev"))).isFalse();
        assertThat(DiskPaths.isDiskInput(Path.of("/nonexistent/x"))).isFalse();
    }

    @Test
    void regularFilesAreTheirLength(@TempDir Path dir) throws Exception {
        Path f = Files.writeString(dir.resolve("f"), "x".repeat(1000), StandardCharsets.US_ASCII);
        assertThat(DiskPaths.isDiskInput(f)).isTrue();
        assertThat(DiskPaths.size(f)).isEqualTo(1000);
    }

    /**
     * A real block device: a qcow2 image (made by qemu-img) on a loop device is opened through the device node, and
     * its size and virtual size agree with {@code blockdev --getsize64} and {@code qemu-img info}. Needs root and
     * loop devices (this machine has both; a CI runner without them skips this test, the probe test above still
     * covers the search).
     */
    @Test
    void aLoopDeviceIsReadAsADisk(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root for losetup");
        Assumptions.assumeTrue(Files.exists(Path.of("/dev/loop-control")), "no loop devices");
        Path img = dir.resolve("disk.qcow2");
        assertThat(exec("qemu-img", "create", "-q", "-f", "qcow2", img.toString(), "64M").exit)
                .isZero();
        // a loop device's size is the backing file's, rounded down to 512: pad the qcow2 file to whole sectors
        long len = Files.size(img);
        try (RandomAccessFile raf = new RandomAccessFile(img.toFile(), "rw")) {
            raf.setLength((len + 511) / 512 * 512);
        }
        Result attach = exec("losetup", "-f", "--show", "-r", img.toString());
        Assumptions.assumeTrue(attach.exit == 0, "losetup failed: " + attach.out);
        Path dev = Path.of(attach.out.strip());
        try {
            assertThat(DiskPaths.isBlockDevice(dev)).isTrue();
            assertThat(DiskPaths.isDiskInput(dev)).isTrue();
            long kernel = Long.parseLong(
                    exec("blockdev", "--getsize64", dev.toString()).out.strip());
            assertThat(DiskPaths.size(dev)).isEqualTo(kernel).isEqualTo(Files.size(img));
            try (FileChannel ch = FileChannel.open(dev, StandardOpenOption.READ)) {
                assertThat(DiskPaths.probeSize(ch)).isEqualTo(kernel);
            }
            try (DiskImage image = DiskImages.open(dev)) {
                assertThat(image.format()).isEqualTo("qcow2");
                assertThat(image.virtualSize()).isEqualTo(64L << 20);
            }
        } finally {
            exec("losetup", "-d", dev.toString());
        }
    }

    record Result(int exit, String out) {}

    static Result exec(String... cmd) throws Exception {
        Process p = new ProcessBuilder(List.of(cmd)).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Result(p.exitValue(), out);
    }
}
