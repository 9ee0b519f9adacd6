package dev.linuximage.core.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.linuximage.core.io.ByteSource;
import dev.linuximage.testsupport.DiskFiles;
import dev.linuximage.testsupport.Tools;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The two read paths of compressed clusters/grains (see {@code MappedSource}): whole clusters are decompressed straight
 * into the caller's buffer (the convert/upload path), partial reads go through the decompressed-cluster cache. Both
 * must give the bytes qemu-img compressed, for compressible grains (one 4 KiB read in a streamOptimized VMDK) and
 * incompressible ones (a second read for the rest of the grain), and for the last, partial cluster of the disk.
 */
@Tag("oracle")
class CompressedReadPathOracleTest {

    /** 3 MiB + 5 KiB: random, text, zeros, random again, ending in a partial cluster. */
    private static byte[] disk() {
        byte[] d = new byte[3 * 1024 * 1024 + 5 * 1024];
        Random r = new Random(42);
        byte[] rnd = new byte[d.length];
        r.nextBytes(rnd);
        System.arraycopy(rnd, 0, d, 0, 700 * 1024);
        byte[] text = "the quick brown fox jumps over the lazy dog 0123456789\n"
                .repeat(20000)
                .getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(text, 0, d, 700 * 1024, 1024 * 1024);
        // [1724 KiB, 2 MiB) stays zero
        System.arraycopy(rnd, 0, d, 2 * 1024 * 1024, d.length - 2 * 1024 * 1024);
        return d;
    }

    @ParameterizedTest
    @CsvSource({
        "qcow2, -c -o compression_type=zlib",
        "qcow2, -c -o compression_type=zstd",
        "vmdk, -o subformat=streamOptimized",
    })
    void wholeClusterAndPartialReadsGiveTheSameBytes(String fmt, String opts) throws Exception {
        Path dir = Tools.scratch("format-tests", "compressed-" + fmt + opts.hashCode());
        byte[] want = disk();
        Path raw = dir.resolve("disk.raw");
        Files.write(raw, want);
        Path img = dir.resolve("disk." + fmt);
        java.util.List<String> cmd =
                new java.util.ArrayList<>(java.util.List.of("qemu-img", "convert", "-f", "raw", "-O", fmt));
        cmd.addAll(java.util.List.of(opts.split(" ")));
        cmd.addAll(java.util.List.of(raw.toString(), img.toString()));
        Tools.command(cmd.toArray(String[]::new)).dir(dir).mergeStderr().run();
        try (DiskImage image = DiskImages.open(img, null, OpenOptions.defaults())) {
            ByteSource src = image.data();
            assertThat(src.size()).isGreaterThanOrEqualTo(want.length);
            // whole clusters: one direct 1 MiB buffer per read (what convert does, with 4 MiB)
            byte[] whole = new byte[(int) src.size()];
            ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20);
            for (long o = 0; o < src.size(); o += buf.capacity()) {
                buf.clear().limit((int) Math.min(buf.capacity(), src.size() - o));
                src.readFully(o, buf);
                buf.flip().get(whole, (int) o, buf.remaining());
            }
            assertThat(java.util.Arrays.copyOf(whole, want.length)).isEqualTo(want);
            // partial reads at odd offsets and lengths straddling cluster boundaries (the cache path)
            byte[] odd = new byte[(int) src.size()];
            int step = 4999;
            for (int o = 0; o < odd.length; o += step) {
                ByteBuffer b = ByteBuffer.wrap(odd, o, Math.min(step, odd.length - o));
                src.readFully(o, b);
            }
            assertThat(odd).isEqualTo(whole);
        }
    }

    @Test
    void aCorruptCompressedClusterIsAFormatErrorOnBothPaths() throws Exception {
        Path dir = Tools.scratch("format-tests", "compressed-corrupt");
        Path raw = dir.resolve("disk.raw");
        Files.write(raw, java.util.Arrays.copyOfRange(disk(), 700 * 1024, 1724 * 1024)); // text: all compressed
        Path img = dir.resolve("disk.qcow2");
        DiskFiles.qemuConvert(raw, "raw", img, "qcow2", "-c");
        // qcow2.txt: L1 table offset at header byte 40, cluster_bits at 20 (big-endian); L2[0] of L1[0] describes
        // cluster 0, a compressed descriptor whose low 62 - (cluster_bits - 8) bits are the byte offset
        long at;
        try (var ch = java.nio.channels.FileChannel.open(
                img, java.nio.file.StandardOpenOption.READ, java.nio.file.StandardOpenOption.WRITE)) {
            ByteBuffer h = ByteBuffer.allocate(48);
            ch.read(h, 0);
            int clusterBits = h.getInt(20);
            long l1 = h.getLong(40);
            ByteBuffer e = ByteBuffer.allocate(8);
            ch.read(e, l1);
            long l2 = e.getLong(0) & 0x00fffffffffffe00L;
            e.clear();
            ch.read(e, l2);
            long desc = e.getLong(0);
            assertThat(desc >>> 62 & 1).as("cluster 0 is compressed").isEqualTo(1);
            at = desc & ((1L << (62 - (clusterBits - 8))) - 1);
            // 0xFF: a final deflate block of the reserved type 3
            ch.write(ByteBuffer.wrap(new byte[] {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF}), at);
        }
        try (DiskImage image = DiskImages.open(img, null, OpenOptions.defaults())) {
            ByteSource src = image.data();
            assertThatThrownBy(() -> src.readFully(0, ByteBuffer.allocateDirect(1 << 20)))
                    .isInstanceOf(FormatException.class)
                    .hasMessageContaining("qcow2")
                    .hasMessageContaining(String.valueOf(at));
            assertThatThrownBy(() -> src.readFully(100, ByteBuffer.allocate(1000)))
                    .isInstanceOf(FormatException.class)
                    .hasMessageContaining("qcow2");
            // the next clusters are intact
            ByteBuffer ok = ByteBuffer.allocate(4096);
            src.readFully(1 << 16, ok);
            assertThat(ok.array())
                    .isEqualTo(java.util.Arrays.copyOfRange(Files.readAllBytes(raw), 1 << 16, (1 << 16) + 4096));
        }
    }
}
