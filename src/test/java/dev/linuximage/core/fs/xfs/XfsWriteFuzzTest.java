package dev.linuximage.core.fs.xfs;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.linuximage.core.fs.FileSystem;
import dev.linuximage.core.io.FileByteSource;
import dev.linuximage.core.io.OverlaySource;
import dev.linuximage.core.report.BadInputException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Hostile metadata under the writer: bytes of the AG 0 headers, the free-space and inode btree roots and the root
 * inode chunk are changed (optionally with the CRCs recomputed, so the damage gets past the checksums into the
 * parsers), then create/symlink/mkdir/unlink/grow run. Only {@link IOException}s (typed, with a message) may come
 * out: no index errors, no arithmetic surprises, no endless loops.
 */
class XfsWriteFuzzTest {
    /** The mutated window: AG 0 headers, btree roots (blocks 1-5) and the root inode chunk (blocks 16-23). */
    static final int WINDOW = 96 * 1024;

    static final java.util.concurrent.atomic.AtomicInteger COMPLETED = new java.util.concurrent.atomic.AtomicInteger();
    private static FileByteSource image;

    /** The pristine image, built once per JVM and only read (every round writes to an in-memory overlay). */
    static synchronized FileByteSource image() throws Exception {
        if (image == null) {
            Path dir = Files.createDirectories(Path.of("target", "xfs-write-fuzz"));
            image = FileByteSource.openReadOnly(XfsFixture.build(dir, "fuzz", 300, null));
        }
        return image;
    }

    @FuzzTest(maxDuration = "30s")
    void fuzzWrites(byte[] data) throws Exception {
        exercise(data);
    }

    @Test
    void twoThousandSeededMutationRounds() throws Exception {
        Random r = new Random(20261122);
        int before = COMPLETED.get();
        for (int i = 0; i < 2000; i++) {
            byte[] data = new byte[1 + 4 * (1 + r.nextInt(6))];
            r.nextBytes(data);
            exercise(data);
        }
        // the mutations must not all be stopped at the door: many rounds reach and finish a write
        assertThat(COMPLETED.get() - before).isGreaterThan(300);
    }

    static void exercise(byte[] data) throws Exception {
        OverlaySource dev = OverlaySource.inMemory(image());
        byte[] win = dev.readBytes(0, WINDOW);
        for (int i = 1; i + 4 <= data.length; i += 4) {
            int off = (((data[i] & 0xff) << 16) | ((data[i + 1] & 0xff) << 8) | (data[i + 2] & 0xff)) % WINDOW;
            win[off] = data[i + 3];
        }
        if (data.length > 0 && (data[0] & 1) == 0) {
            fixCrcs(win);
        }
        dev.write(0, ByteBuffer.wrap(win));
        try (XfsFileSystem fs = XfsFileSystem.open(dev, true)) {
            attempt(() -> {
                FileSystem.Node etc =
                        fs.lookup(fs.root(), "etc").orElseThrow(() -> BadInputException.corrupt("no etc"));
                attempt(() -> {
                    fs.createFile(etc, "new.cfg", 0644, 0, 0, new byte[5000]);
                    COMPLETED.incrementAndGet();
                });
                attempt(() -> fs.symlink(etc, "l", "/" + "x".repeat(600), 0, 0));
                attempt(() -> fs.mkdir(etc, "d", 0755, 0, 0));
                attempt(() -> fs.unlink(etc, "hostname"));
                attempt(() -> fs.replaceContent(
                        fs.lookup(etc, "os-release").orElseThrow(() -> BadInputException.corrupt("no os-release")),
                        new byte[9000]));
                FileSystem.Node block =
                        fs.lookup(etc, "block").orElseThrow(() -> BadInputException.corrupt("no block"));
                attempt(() -> fs.createFile(block, "n", 0644, 0, 0, new byte[1]));
                attempt(() -> fs.unlink(block, "file-in-block-dir-1"));
            });
        } catch (BadInputException e) {
            assertThat(e.getMessage()).isNotBlank();
        }
    }

    interface Op {
        void run() throws IOException;
    }

    static void attempt(Op op) {
        try {
            op.run();
        } catch (BadInputException e) {
            assertThat(e.getMessage()).isNotBlank();
        } catch (IOException e) {
            throw new AssertionError("untyped I/O error: " + e, e);
        }
    }

    /** Recomputes the CRC of every v5 structure in the window whose magic is intact. */
    static void fixCrcs(byte[] w) {
        ByteBuffer b = ByteBuffer.wrap(w);
        for (int s = 0; s + 512 <= w.length; s += 512) {
            int magic = b.getInt(s);
            byte[] sec = java.util.Arrays.copyOfRange(w, s, s + 512);
            int crcOff = switch (magic) {
                case 0x58465342 -> 224; // XFSB
                case 0x58414746 -> 216; // XAGF
                case 0x58414749 -> 312; // XAGI
                default -> (magic >>> 16) == 0x494e ? 100 : -1; // an inode
            };
            if (crcOff >= 0) {
                XfsTx.setCrc(sec, crcOff);
                System.arraycopy(sec, 0, w, s, 512);
            }
        }
        for (int s = 0; s + 4096 <= w.length; s += 4096) {
            int magic = b.getInt(s);
            int crcOff = switch (magic) {
                case XfsAlloc.IBT_MAGIC, XfsAlloc.FIBT_MAGIC, XfsAlloc.BNO_MAGIC, XfsAlloc.CNT_MAGIC -> 52;
                case XfsDir.BLOCK_MAGIC -> 4;
                default -> -1;
            };
            if (crcOff >= 0) {
                byte[] blk = java.util.Arrays.copyOfRange(w, s, s + 4096);
                XfsTx.setCrc(blk, crcOff);
                System.arraycopy(blk, 0, w, s, 4096);
            }
        }
    }
}
