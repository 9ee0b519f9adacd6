package dev.linuximage.core.fs.ext4;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.linuximage.core.fs.BytesSource;
import dev.linuximage.core.fs.FileSystem;
import dev.linuximage.core.fs.GuestFiles;
import dev.linuximage.core.fs.UnsupportedFsFeatureException;
import dev.linuximage.core.io.LittleEndian;
import dev.linuximage.core.report.BadInputException;
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

    /**
     * The htree probe on a hostile directory. Byte 0: flags (1 metadata_csum, 2 large_dir, 4 unsigned hash, 8 blocks
     * past the data are holes); bytes 1-4: the directory's checksum seed (le32); then the directory's content in
     * 1 KiB blocks (at least 2, at most 64). Only BadIndexException and Ext4CorruptException may come out.
     */
    @FuzzTest(maxDuration = "60s")
    void htree(byte[] data) {
        if (data.length < 5) {
            return;
        }
        int flags = data[0];
        int seed = LittleEndian.i32(data, 1);
        byte[] dir = Arrays.copyOfRange(data, 5, data.length);
        int bs = 1024;
        long nblocks = Math.min(64, Math.max(2, (dir.length + bs - 1) / bs));
        Htree.DirBlocks blocks = l -> {
            if (l < 0 || l >= nblocks) {
                throw new AssertionError("read of logical block " + l + " outside the directory");
            }
            if ((flags & 8) != 0 && l * bs >= dir.length) {
                return null;
            }
            byte[] b = new byte[bs];
            if (l * bs < dir.length) {
                System.arraycopy(dir, (int) (l * bs), b, 0, (int) Math.min(bs, dir.length - l * bs));
            }
            return b;
        };
        Htree.Params p = new Htree.Params(
                bs,
                nblocks,
                (flags & 1) != 0,
                seed,
                (flags & 2) != 0,
                (flags & 4) != 0,
                new int[] {0, 0, 0, 0},
                "fuzz");
        for (String name : new String[] {"a", "name-17", "é".repeat(100)}) {
            try {
                byte[] root = blocks.read(0);
                if (root == null) {
                    continue;
                }
                Htree h = Htree.probe(blocks, p, root, name.getBytes(java.nio.charset.StandardCharsets.UTF_8));
                int leaves = 0;
                for (long leaf = h.nextLeaf(); leaf >= 0; leaf = h.nextLeaf()) {
                    if (leaf >= nblocks || ++leaves > nblocks) {
                        throw new AssertionError("leaf " + leaf + " / " + leaves + " leaves of " + nblocks);
                    }
                }
            } catch (Htree.BadIndexException | Ext4CorruptException expected) {
                // fall back to the linear scan / typed corruption
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        }
    }

    /** In-inode xattr parsing and re-serialisation on a hostile 256-byte inode. */
    @FuzzTest(maxDuration = "60s")
    void inodeXattrs(byte[] data) {
        Inode i = new Inode(12, Arrays.copyOf(data, 256));
        try {
            List<InodeXattrs.Entry> xs = new java.util.ArrayList<>(InodeXattrs.parse(i, "ext4"));
            xs.add(new InodeXattrs.Entry(InodeXattrs.INDEX_SYSTEM, InodeXattrs.DATA, new byte[data.length % 97], 0));
            if (InodeXattrs.fits(i, xs)) {
                InodeXattrs.write(i, xs);
                List<InodeXattrs.Entry> back = InodeXattrs.parse(i, "ext4");
                if (back.size() != xs.size()) {
                    throw new AssertionError("re-parsed " + back.size() + " of " + xs.size() + " entries");
                }
                for (int k = 0; k < xs.size(); k++) {
                    if (!Arrays.equals(back.get(k).value(), xs.get(k).value())) {
                        throw new AssertionError("value " + k + " changed by the round trip");
                    }
                }
            }
        } catch (Ext4CorruptException | UnsupportedFsFeatureException expected) {
            // typed rejection
        }
    }

    /** A whole (small) image: open, walk, read, and try one write on a copy. */
    @FuzzTest(maxDuration = "120s")
    void image(byte[] data) throws IOException {
        byte[] img = Arrays.copyOf(data, Math.max(128 * 1024, Math.min(data.length, 256 * 1024)));
        try {
            Ext4FileSystem fs = Ext4FileSystem.open(new BytesSource(img), true);
            walk(fs, fs.root(), 0);
            if (fs.writable()) {
                FileSystem.Node root = fs.root();
                // inline_data seeds: rewrite inline (small, then into system.data), convert (large), then move
                // the file into a (possibly inline) directory, which converts that directory
                FileSystem.Node file = null;
                FileSystem.Node dir = null;
                String fileName = null;
                for (FileSystem.Entry e : fs.list(root)) {
                    if (e.type() == GuestFiles.Type.FILE && file == null) {
                        file = fs.node(e.id());
                        fileName = e.name();
                    } else if (e.type() == GuestFiles.Type.DIRECTORY
                            && dir == null
                            && !e.name().equals("lost+found")) {
                        dir = fs.node(e.id());
                    }
                }
                if (file != null) {
                    fs.replaceContent(file, new byte[20]);
                    fs.replaceContent(file, new byte[100]);
                    fs.replaceContent(file, new byte[5000]);
                    if (dir != null) {
                        fs.rename(root, fileName, dir, "moved");
                    }
                }
                fs.createFile(root, "fuzz", 0644, 0, 0, new byte[3000]);
                fs.mkdir(root, "fuzzdir", 0755, 0, 0);
                List<FileSystem.Entry> entries = fs.list(root);
                if (!entries.isEmpty()) {
                    fs.unlink(root, entries.get(0).name());
                }
            }
        } catch (BadInputException expected) {
            // typed rejection (corrupt, unsupported, no space)
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
