package dev.linuximage.core.format.vhd;

import static dev.linuximage.testsupport.DiskFiles.random;
import static org.assertj.core.api.Assertions.assertThat;

import dev.linuximage.core.format.DiskImage;
import dev.linuximage.core.format.DiskImages;
import dev.linuximage.core.io.ByteSource;
import dev.linuximage.core.io.DirectIo;
import dev.linuximage.testsupport.DiskFiles;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A dynamic VHD's sector bitmap (VHD specification, "Block Bitmap"): a sector whose bit is clear holds no data and
 * reads as zero, even inside an allocated block. qemu-img allocates blocks with every bit set, so the clear bits are
 * made here by editing one block's bitmap in the file, located from the footer's data offset, the dynamic header's
 * table offset and the BAT (all big-endian, as the specification lays them out). Read by four threads in an
 * interleaved order, as the conversion's workers do, so the bitmaps of several blocks are wanted at once.
 */
class VhdSectorBitmapTest {
    private static final int MIB = 1 << 20;

    @Test
    void aClearBitReadsAsZerosWhileWorkersReadOtherBlocks(@TempDir Path dir) throws Exception {
        byte[] raw = random(32 * MIB, 21);
        Path rawFile = Files.write(dir.resolve("d.raw"), raw);
        Path vhd = dir.resolve("d.vhd");
        DiskFiles.qemuConvert(rawFile, "raw", vhd, "vpc", "-o", "subformat=dynamic,force_size=on");

        byte[] expected = raw.clone();
        try (FileChannel ch = FileChannel.open(vhd, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            long dynHeader = readLong(ch, ch.size() - 512 + 16);
            long bat = readLong(ch, dynHeader + 16);
            long blockSize = readInt(ch, dynHeader + 32);
            assertThat(blockSize).isEqualTo(2 * MIB); // qemu's default, which the offsets below assume
            for (int block : new int[] {1, 6, 13}) {
                long sector = readInt(ch, bat + 4L * block);
                assertThat(sector).as("block %d is allocated", block).isNotEqualTo(0xFFFF_FFFFL);
                // byte 0: sectors 0-7 of the block (most significant bit first); byte 100: sectors 800-807
                ch.write(ByteBuffer.wrap(new byte[] {0}), sector * 512);
                ch.write(ByteBuffer.wrap(new byte[] {(byte) 0x0F}), sector * 512 + 100);
                long v = block * blockSize;
                Arrays.fill(expected, (int) v, (int) v + 8 * 512, (byte) 0);
                Arrays.fill(expected, (int) v + 800 * 512, (int) v + 804 * 512, (byte) 0);
            }
        }

        byte[] got = new byte[raw.length];
        try (DiskImage img = DiskImages.open(vhd)) {
            assertThat(img.subformat()).isEqualTo("dynamic");
            ByteSource data = img.data();
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                List<Future<?>> done = new ArrayList<>();
                for (int w = 0; w < 4; w++) {
                    int first = w;
                    done.add(pool.submit(() -> {
                        ByteBuffer buf = DirectIo.allocate(4 * MIB);
                        for (int chunk = first; chunk < 8; chunk += 4) {
                            buf.clear();
                            data.readFully((long) chunk * 4 * MIB, buf);
                            buf.flip().get(got, chunk * 4 * MIB, 4 * MIB);
                        }
                        return null;
                    }));
                }
                for (Future<?> f : done) {
                    f.get();
                }
            } finally {
                pool.shutdown();
            }
        }
        assertThat(Arrays.equals(got, expected)).isTrue();
    }

    private static long readLong(FileChannel ch, long at) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(8);
        ch.read(b, at);
        return b.flip().getLong();
    }

    private static long readInt(FileChannel ch, long at) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(4);
        ch.read(b, at);
        return Integer.toUnsignedLong(b.flip().getInt());
    }
}
