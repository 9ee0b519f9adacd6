package dev.linuximage.core.compress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.airlift.compress.zstd.ZstdCompressor;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ZstdFrameTest {

    private static byte[] frame(byte[] data) {
        ZstdCompressor c = new ZstdCompressor();
        byte[] out = new byte[c.maxCompressedLength(data.length)];
        int n = c.compress(data, 0, data.length, out, 0, out.length);
        return Arrays.copyOf(out, n);
    }

    @Test
    void findsTheEndOfTheFrameBeforeWhatFollowsIt() throws Exception {
        byte[] text = "qcow2 zstd cluster ".repeat(4000).getBytes(StandardCharsets.US_ASCII);
        byte[] random = new byte[70_000];
        new Random(1).nextBytes(random);
        for (byte[] data : new byte[][] {text, random, new byte[65536]}) {
            byte[] f = frame(data);
            // what follows a cluster in the file: the next cluster's frame, or zeros
            byte[] withTail = Arrays.copyOf(f, f.length + 700);
            System.arraycopy(frame(text), 0, withTail, f.length, 8);
            assertThat(ZstdFrame.length(withTail, 0, withTail.length, 1 << 21)).isEqualTo(f.length);
        }
    }

    @Test
    void refusesTruncatedAndForeignDataAndHugeWindows() {
        byte[] f = frame("abc".repeat(10000).getBytes(StandardCharsets.US_ASCII));
        assertThatThrownBy(() -> ZstdFrame.length(f, 0, f.length - 1, 1 << 21))
                .isInstanceOf(ZstdFrame.Invalid.class)
                .hasMessageContaining("runs past");
        assertThatThrownBy(() -> ZstdFrame.length(new byte[64], 0, 64, 1 << 21))
                .isInstanceOf(ZstdFrame.Invalid.class)
                .hasMessageContaining("magic");
        assertThatThrownBy(() -> ZstdFrame.length(f, 0, 3, 4096)).isInstanceOf(ZstdFrame.Invalid.class);
        byte[] big = frame(new byte[70_000]);
        assertThatThrownBy(() -> ZstdFrame.length(big, 0, big.length, 4096))
                .isInstanceOf(ZstdFrame.Invalid.class)
                .hasMessageContaining("zstd.window_size");
    }
}
