package dev.linuximage.core.fs.ext4;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.linuximage.core.fs.FileSystem;
import dev.linuximage.core.fs.GuestFiles;
import dev.linuximage.core.fs.UnsupportedFsFeatureException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;

/**
 * Parsers on hostile bytes: they may only throw our typed exceptions (IOException subclasses), never anything
 * else, never hang, never allocate from an unchecked size. The committed seeds (tiny mke2fs images with their
 * trailing zeros cut, a superblock, a directory block) run in every build in regression mode;
 * {@code JAZZER_FUZZ=1} fuzzes for real.
 */
class Ext4FuzzTest {

    @FuzzTest(maxDuration = "60s")
    void superblock(byte[] data) {
        try {
            Superblock.parse(Arrays.copyOf(data, Superblock.SIZE), 1L << 40);
        } catch (Ext4CorruptException | UnsupportedFsFeatureException expected) {
            // typed rejection
        }
    }

    @FuzzTest(maxDuration = "60s")
    void dirents(byte[] data) {
        for (boolean filetype : new boolean[] {true, false}) {
            try {
                Dirents.parse(data, 0, data.length, 1024, filetype, "fuzz");
            } catch (Ext4CorruptException expected) {
                // typed rejection
            }
        }
    }

    /** A whole (small) image: open, walk, read, and try one write on a copy. */
    @FuzzTest(maxDuration = "120s")
    void image(byte[] data) {
        byte[] img = Arrays.copyOf(data, Math.max(128 * 1024, Math.min(data.length, 256 * 1024)));
        try {
            Ext4FileSystem fs = Ext4FileSystem.open(new MemoryByteSource(img), true);
            walk(fs, fs.root(), 0);
            if (fs.writable()) {
                FileSystem.Node root = fs.root();
                fs.createFile(root, "fuzz", 0644, 0, 0, new byte[3000]);
                fs.mkdir(root, "fuzzdir", 0755, 0, 0);
                List<FileSystem.Entry> entries = fs.list(root);
                if (!entries.isEmpty()) {
                    fs.unlink(root, entries.get(0).name());
                }
            }
        } catch (IOException expected) {
            // typed rejection (corrupt, unsupported, no space, not found, not a directory)
        }
    }

    private static void walk(Ext4FileSystem fs, FileSystem.Node dir, int depth) throws IOException {
        if (depth > 4) {
            return;
        }
        int n = 0;
        for (FileSystem.Entry e : fs.list(dir)) {
            if (n++ > 64) {
                return;
            }
            FileSystem.Node node = fs.lookup(dir, e.name()).orElse(null);
            if (node == null) {
                continue;
            }
            if (node.type() == GuestFiles.Type.DIRECTORY) {
                walk(fs, node, depth + 1);
            } else if (node.type() == GuestFiles.Type.SYMLINK) {
                fs.readLink(node);
            } else if (node.type() == GuestFiles.Type.FILE) {
                ByteBuffer b = ByteBuffer.allocate(65536);
                fs.read(node, 0, b);
                b.clear();
                fs.read(node, Math.max(0, node.size() - 100), b);
            }
        }
    }
}
