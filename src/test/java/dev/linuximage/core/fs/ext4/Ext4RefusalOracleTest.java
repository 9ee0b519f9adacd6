package dev.linuximage.core.fs.ext4;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.linuximage.core.fs.FileSystem;
import dev.linuximage.core.fs.UnsupportedFsFeatureException;
import dev.linuximage.core.io.FileByteSource;
import dev.linuximage.core.io.LittleEndian;
import dev.linuximage.testsupport.Ext4Oracle;
import dev.linuximage.testsupport.Tools;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** What we refuse, and that refusing leaves the image byte-for-byte unchanged. */
@Tag("oracle")
class Ext4RefusalOracleTest {
    static Path work;
    static Path tree;

    @BeforeAll
    static void setUp() throws Exception {
        work = Tools.scratch("ext4-tests", "refusal");
        tree = work.resolve("tree");
        Files.createDirectories(tree.resolve("dir"));
        Files.write(tree.resolve("small"), "inline me\n".getBytes(StandardCharsets.UTF_8));
        Files.write(tree.resolve("dir/file"), new byte[10000]);
    }

    /** Edits the primary superblock and refreshes its crc32c (so only the edited field is "wrong"). */
    static void patchSuperblock(Path img, Consumer<byte[]> edit) throws Exception {
        try (RandomAccessFile f = new RandomAccessFile(img.toFile(), "rw")) {
            byte[] sb = new byte[1024];
            f.seek(1024);
            f.readFully(sb);
            edit.accept(sb);
            if ((LittleEndian.i32(sb, 0x64) & Superblock.RO_METADATA_CSUM) != 0) {
                LittleEndian.put32(sb, 0x3FC, Crc.crc32c(~0, sb, 0, 0x3FC));
            }
            f.seek(1024);
            f.write(sb);
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "needs_recovery",
        "errors",
        "not-clean",
        "orphans",
    })
    void refusesToWriteInUnsafeStates(String what) throws Exception {
        Path img = work.resolve(what + ".img");
        Ext4Oracle.mkfs(img, "16M", tree, "-t", "ext4");
        patchSuperblock(img, sb -> {
            switch (what) {
                case "needs_recovery" ->
                    LittleEndian.put32(sb, 0x60, LittleEndian.i32(sb, 0x60) | Superblock.INCOMPAT_RECOVER);
                case "errors" -> LittleEndian.put16(sb, 0x3A, 3);
                case "not-clean" -> LittleEndian.put16(sb, 0x3A, 0);
                case "orphans" -> LittleEndian.put32(sb, 0xE8, 12);
                default -> throw new IllegalArgumentException(what);
            }
        });
        byte[] before = Files.readAllBytes(img);
        try (FileByteSource src = FileByteSource.openReadWrite(img);
                Ext4FileSystem fs = Ext4FileSystem.open(src, true)) {
            assertThat(fs.writable()).isFalse();
            assertThat(fs.writeRefusalReason()).isPresent();
            FileSystem.Node root = fs.root();
            assertThat(fs.list(root)).extracting(FileSystem.Entry::name).contains("small", "dir");
            assertThatThrownBy(() -> fs.createFile(root, "x", 0644, 0, 0, new byte[1]))
                    .isInstanceOf(UnsupportedFsFeatureException.class);
            assertThatThrownBy(() -> fs.unlink(root, "small")).isInstanceOf(UnsupportedFsFeatureException.class);
        }
        assertThat(Files.readAllBytes(img)).isEqualTo(before);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            value = {
                "encrypt|-t ext4 -O encrypt",
                "casefold|-t ext4 -O casefold",
                "meta_bg|-t ext4 -O meta_bg,^resize_inode",
            })
    void refusesToReadUnknownLayouts(String name, String opts) throws Exception {
        Path img = work.resolve(name + ".img");
        Ext4Oracle.mkfs(img, "16M", null, opts.split(" "));
        try (FileByteSource src = FileByteSource.openReadOnly(img)) {
            assertThatThrownBy(() -> Ext4FileSystem.open(src, false))
                    .isInstanceOf(UnsupportedFsFeatureException.class)
                    .hasMessageContaining(name);
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            value = {
                "quota|-t ext4 -O quota",
                "project|-t ext4 -O quota,project",
                "bigalloc|-t ext4 -O bigalloc -C 16384",
            })
    void readsButRefusesToWrite(String name, String opts) throws Exception {
        Path img = work.resolve(name + ".img");
        Ext4Oracle.mkfs(img, "32M", tree, opts.split(" "));
        byte[] before = Files.readAllBytes(img);
        try (FileByteSource src = FileByteSource.openReadWrite(img);
                Ext4FileSystem fs = Ext4FileSystem.open(src, true)) {
            assertThat(fs.writable()).isFalse();
            assertThat(fs.writeRefusalReason().orElseThrow()).contains(name);
            Trees.assertSame(tree, fs);
            assertThatThrownBy(() -> fs.mkdir(fs.root(), "x", 0755, 0, 0))
                    .isInstanceOf(UnsupportedFsFeatureException.class);
        }
        assertThat(Files.readAllBytes(img)).isEqualTo(before);
    }

    @Test
    void corruptSuperblockChecksumIsATypedError() throws Exception {
        Path img = work.resolve("sbcsum.img");
        Ext4Oracle.mkfs(img, "8M", null, "-t", "ext4");
        try (RandomAccessFile f = new RandomAccessFile(img.toFile(), "rw")) {
            f.seek(1024 + 0x78);
            f.write('X'); // label byte, checksum left stale
        }
        try (FileByteSource src = FileByteSource.openReadOnly(img)) {
            assertThatThrownBy(() -> Ext4FileSystem.open(src, false))
                    .isInstanceOf(Ext4CorruptException.class)
                    .hasMessageContaining("s_checksum");
        }
    }

    @Test
    void corruptInodeChecksumIsATypedError() throws Exception {
        Path img = work.resolve("inodecsum.img");
        Ext4Oracle.mkfs(img, "8M", tree, "-t", "ext4");
        long ino;
        int bs;
        try (FileByteSource src = FileByteSource.openReadOnly(img);
                Ext4FileSystem fs = Ext4FileSystem.open(src, false)) {
            ino = fs.lookup(fs.root(), "small").orElseThrow().id();
            bs = fs.blockSize();
        }
        Tools.Result r = Ext4Oracle.debugfs(img, "imap <" + ino + ">");
        var m = java.util.regex.Pattern.compile("located at block (\\d+), offset 0x([0-9a-f]+)")
                .matcher(r.out());
        assertThat(m.find()).as(r.out()).isTrue();
        long off = Long.parseLong(m.group(1)) * bs + Long.parseLong(m.group(2), 16);
        try (RandomAccessFile f = new RandomAccessFile(img.toFile(), "rw")) {
            f.seek(off + 0x10); // i_mtime
            f.writeInt(0x12345678);
        }
        try (FileByteSource src = FileByteSource.openReadOnly(img);
                Ext4FileSystem fs = Ext4FileSystem.open(src, false)) {
            assertThatThrownBy(() -> fs.lookup(fs.root(), "small"))
                    .isInstanceOf(Ext4CorruptException.class)
                    .hasMessageContaining("inode " + ino + " checksum");
        }
    }

    @Test
    void outOfSpaceChangesNothing() throws Exception {
        Path img = work.resolve("full.img");
        Ext4Oracle.mkfs(img, "2M", tree, "-t", "ext4", "-b", "1024");
        byte[] before = Files.readAllBytes(img);
        try (FileByteSource src = FileByteSource.openReadWrite(img);
                Ext4FileSystem fs = Ext4FileSystem.open(src, true)) {
            long free = fs.freeBytes();
            assertThatThrownBy(() -> fs.createFile(fs.root(), "huge", 0644, 0, 0, new byte[(int) free + 4096]))
                    .isInstanceOf(Ext4NoSpaceException.class);
            FileSystem.Node small = fs.lookup(fs.root(), "small").orElseThrow();
            assertThatThrownBy(() -> fs.replaceContent(small, new byte[(int) free + 4096]))
                    .isInstanceOf(Ext4NoSpaceException.class);
            assertThat(fs.freeBytes()).isEqualTo(free);
            assertThat(fs.lookup(fs.root(), "huge")).isEmpty();
        }
        assertThat(Files.readAllBytes(img)).isEqualTo(before);
        Ext4Oracle.assertClean(img);
    }

    @Test
    void readOnlyOpenRefusesEveryMutator() throws Exception {
        Path img = work.resolve("ro.img");
        Ext4Oracle.mkfs(img, "8M", tree, "-t", "ext4");
        try (FileByteSource src = FileByteSource.openReadOnly(img);
                Ext4FileSystem fs = Ext4FileSystem.open(src, false)) {
            FileSystem.Node root = fs.root();
            FileSystem.Node small = fs.lookup(root, "small").orElseThrow();
            assertThatThrownBy(() -> fs.replaceContent(small, new byte[1]))
                    .isInstanceOf(UnsupportedFsFeatureException.class);
            assertThatThrownBy(() -> fs.symlink(root, "l", "t", 0, 0))
                    .isInstanceOf(UnsupportedFsFeatureException.class);
            assertThatThrownBy(() -> fs.rename(root, "small", root, "big"))
                    .isInstanceOf(UnsupportedFsFeatureException.class);
            assertThatThrownBy(() -> fs.setAttributes(small, 0600, null, null, null))
                    .isInstanceOf(UnsupportedFsFeatureException.class);
        }
    }

    @Test
    void anInlineInodeWithoutSystemDataIsCorruptAndNothingIsWritten() throws Exception {
        Path img = work.resolve("inline.img");
        Ext4Oracle.mkfs(img, "16M", tree, "-t", "ext4", "-O", "inline_data");
        // rename the in-inode xattr system.data (index 7) to user.data (index 1), fixing the inode checksum
        var loc = java.util.regex.Pattern.compile("located at block (\\d+), offset 0x([0-9a-f]+)")
                .matcher(Ext4Oracle.debugfs(img, "imap /small").out());
        assertThat(loc.find()).isTrue();
        long off = Long.parseLong(loc.group(1)) * 1024 + Long.parseLong(loc.group(2), 16);
        long ino =
                Long.parseLong(Ext4Oracle.debugfs(img, "stat /small").out().replaceAll("(?s)^Inode: (\\d+).*", "$1"));
        try (RandomAccessFile f = new RandomAccessFile(img.toFile(), "rw")) {
            byte[] raw = new byte[256];
            f.seek(off);
            f.readFully(raw);
            Inode i = new Inode(ino, raw);
            int first = InodeXattrs.firstEntry(i);
            assertThat(raw[first + 1]).isEqualTo((byte) InodeXattrs.INDEX_SYSTEM);
            raw[first + 1] = 1;
            byte[] sbRaw = new byte[1024];
            f.seek(1024);
            f.readFully(sbRaw);
            i.updateChecksum(Superblock.parse(sbRaw, f.length()).csumSeed);
            f.seek(off);
            f.write(raw);
        }
        byte[] before = Files.readAllBytes(img);
        try (FileByteSource src = FileByteSource.openReadWrite(img);
                Ext4FileSystem fs = Ext4FileSystem.open(src, true)) {
            FileSystem.Node small = fs.lookup(fs.root(), "small").orElseThrow();
            assertThatThrownBy(() -> fs.replaceContent(small, new byte[3]))
                    .isInstanceOf(Ext4CorruptException.class)
                    .hasMessageContaining("no system.data");
        }
        assertThat(Files.readAllBytes(img)).isEqualTo(before);
    }
}
