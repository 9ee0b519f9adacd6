package dev.linuximage.core.format;

import dev.linuximage.core.io.ByteSource;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The two read paths of compressed clusters/grains (see {@code MappedSource}): whole clusters are decompressed straight
 * into the caller's buffer (the convert/upload path), partial reads go through the decompressed-cluster cache. Both
 * must give the bytes qemu-img compressed, for compressible grains (one 4 KiB read in a streamOptimized VMDK) and
 * incompressible ones (a second read for the rest of the grain), and for the last, partial cluster of the disk.
 */
class CompressedReadPathTest {

    /** 3 MiB + 5 KiB: random, text, zeros, random again, ending in a partial cluster. */
    private static byte[] disk() {
        byte[] d = new byte[3 * 1024 * 1024 + 5 * 1024];
        Random r = new Random(42);
        byte[] rnd = new byte[d.length];
        r.nextBytes(rnd);
        System.arraycopy(rnd, 0, d, 0, 700 * 1024);
        byte[] text = "the quick brown fox jumps over the lazy dog 0123456789\n".repeat(20000)
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
        Path dir = Tools.scratch("compressed-" + fmt + opts.hashCode());
        byte[] want = disk();
        Path raw = dir.resolve("disk.raw");
        Files.write(raw, want);
        Path img = dir.resolve("disk." + fmt);
        java.util.List<String> cmd = new java.util.ArrayList<>(java.util.List.of("qemu-img", "convert", "-f", "raw",
                "-O", fmt));
        cmd.addAll(java.util.List.of(opts.split(" ")));
        cmd.addAll(java.util.List.of(raw.toString(), img.toString()));
        Tools.ok(dir, cmd.toArray(String[]::new));
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
}
