package dev.linuximage.core.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OverlaySourceTest {

    static ByteSource base() {
        // 1 MiB: DATA [0, 64K) random, ZERO elsewhere
        byte[] head = new byte[65536];
        new Random(5).nextBytes(head);
        return ConcatSource.of(new BytesSource(head), new ZeroSource((1 << 20) - 65536));
    }

    static List<Extent> extents(ByteSource s) throws Exception {
        List<Extent> out = new ArrayList<>();
        s.extents(0, s.size(), out::add);
        return out;
    }

    @Test
    void writesAreVisibleBaseUntouchedExtentsMerged() throws Exception {
        ByteSource base = base();
        byte[] before = base.readBytes(0, 1 << 20);
        try (OverlaySource o = new OverlaySource(base, 4096, 1 << 20, null)) {
            byte[] patch = "hello, guest".getBytes();
            o.write(100_000, ByteBuffer.wrap(patch));
            o.write(10, ByteBuffer.wrap(patch));
            assertThat(o.readBytes(100_000, patch.length)).isEqualTo(patch);
            assertThat(o.readBytes(10, patch.length)).isEqualTo(patch);
            // the rest of the partial block comes from the base
            assertThat(o.readBytes(0, 10)).isEqualTo(java.util.Arrays.copyOf(before, 10));
            assertThat(base.readBytes(0, 1 << 20)).isEqualTo(before);
            assertThat(extents(o))
                    .containsExactly(
                            new Extent(0, 65536, Extent.Kind.DATA),
                            new Extent(65536, 98304 - 65536, Extent.Kind.ZERO),
                            new Extent(98304, 4096, Extent.Kind.DATA),
                            new Extent(102400, (1 << 20) - 102400, Extent.Kind.ZERO));
            // a write across block boundaries
            byte[] big = new byte[10_000];
            new Random(1).nextBytes(big);
            o.write(500_000, ByteBuffer.wrap(big));
            assertThat(o.readBytes(500_000, big.length)).isEqualTo(big);
            assertThat(o.modifiedBytes()).isEqualTo(2 * 4096 + 3 * 4096);
            assertThatThrownBy(() -> o.write((1 << 20) - 2, ByteBuffer.allocate(4)))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void spillsToATemporaryFileBeyondTheMemoryLimit(@TempDir Path tmp) throws Exception {
        ByteSource base = base();
        Random r = new Random(9);
        byte[] model = base.readBytes(0, 1 << 20);
        try (OverlaySource o = new OverlaySource(base, 4096, 16 * 4096, tmp)) {
            for (int i = 0; i < 200; i++) {
                int off = r.nextInt((1 << 20) - 3000);
                byte[] p = new byte[1 + r.nextInt(3000)];
                r.nextBytes(p);
                o.write(off, ByteBuffer.wrap(p));
                System.arraycopy(p, 0, model, off, p.length);
            }
            assertThat(o.spilled()).isTrue();
            // the spill file is unlinked as soon as it is open (DELETE_ON_CLOSE on Linux): nothing is left behind
            // even if the process dies
            try (var s = Files.list(tmp)) {
                assertThat(s.count()).isLessThanOrEqualTo(1);
            }
            assertThat(o.readBytes(0, 1 << 20)).isEqualTo(model);
        }
        try (var s = Files.list(tmp)) {
            assertThat(s.count()).as("spill file deleted on close").isZero();
        }
    }

    @Test
    void memoryOnlyOverlayRefusesToGrowPastItsLimit() throws Exception {
        try (OverlaySource o = new OverlaySource(base(), 4096, 8192, null)) {
            o.write(0, ByteBuffer.allocate(8192));
            assertThatThrownBy(() -> o.write(65536, ByteBuffer.allocate(1))).hasMessageContaining("memory limit");
        }
    }

    @Test
    void zeroScanSplitsAtGranularity() throws Exception {
        ByteBuffer b = ByteBuffer.allocate(16384);
        b.put(5000, (byte) 1);
        List<Extent> out = new ArrayList<>();
        ZeroScan.split(b, 1 << 20, 4096, out::add);
        long base = 1 << 20;
        assertThat(out)
                .containsExactly(
                        new Extent(base, 4096, Extent.Kind.ZERO),
                        new Extent(base + 4096, 4096, Extent.Kind.DATA),
                        new Extent(base + 8192, 8192, Extent.Kind.ZERO));
        List<Extent> fine = new ArrayList<>();
        ZeroScan.split(b, 0, 512, fine::add);
        assertThat(fine).contains(new Extent(4608, 512, Extent.Kind.DATA));
        List<Extent> det = new ArrayList<>();
        ZeroScan.detecting(new BytesSource(b.array()), 512).extents(0, 16384, det::add);
        assertThat(det).isEqualTo(fine);
    }
}
