package dev.linuximage.core.fs.fat;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.linuximage.core.fs.BytesSource;
import dev.linuximage.core.fs.FileSystem;
import dev.linuximage.core.fs.GuestFiles;
import dev.linuximage.core.report.BadInputException;
import java.io.IOException;
import java.nio.ByteBuffer;

/** Hostile BPBs, FAT chains and directories: typed errors only, bounded work. */
class FatFuzzTest {
    @FuzzTest(maxDuration = "20s")
    void fuzzVolume(byte[] data) throws IOException {
        try (FatFileSystem fs = FatFileSystem.open(new BytesSource(data.clone()), false)) {
            walk(fs, fs.root(), 0);
            assertThat(fs.freeBytes()).isNotNegative();
        } catch (BadInputException e) {
            assertThat(e.getMessage()).startsWith("vfat");
        }
    }

    private static void walk(FileSystem fs, FileSystem.Node dir, int depth) throws IOException {
        if (depth > 4) {
            return;
        }
        for (FileSystem.Entry e : fs.list(dir)) {
            FileSystem.Node n = fs.lookup(dir, e.name()).orElseThrow();
            if (n.type() == GuestFiles.Type.DIRECTORY) {
                walk(fs, n, depth + 1);
            } else {
                fs.read(n, 0, ByteBuffer.allocate((int) Math.min(n.size(), 1 << 16)));
            }
        }
    }
}
