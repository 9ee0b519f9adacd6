package dev.linuximage.core.fs.ext4;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.linuximage.core.fs.BytesSource;
import dev.linuximage.core.fs.FileSystem;
import dev.linuximage.core.io.LittleEndian;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

/** Pure functions: checksums, directory records, and the committed fuzz seeds being real file systems. */
class Ext4UnitTest {

    @Test
    void rawCrc32cMatchesTheJdkOnceInverted() {
        Random r = new Random(1);
        for (int n : new int[] {0, 1, 7, 1024, 4096}) {
            byte[] b = new byte[n];
            r.nextBytes(b);
            CRC32C jdk = new CRC32C();
            jdk.update(b);
            assertThat(~Crc.crc32c(~0, b) & 0xFFFFFFFFL).isEqualTo(jdk.getValue());
            // chaining: crc(crc(seed, a), b) == crc(seed, a||b) -- what the inode/dir seeds rely on
            int split = n / 3;
            int chained = Crc.crc32c(Crc.crc32c(0x1234, b, 0, split), b, split, n - split);
            assertThat(chained).isEqualTo(Crc.crc32c(0x1234, b));
        }
    }

    @Test
    void crc16IsTheAnsiReflectedCrc() {
        // CRC-16/ARC check value of "123456789" is 0xBB3D (init 0); ext4 uses the same polynomial with init ~0
        assertThat(Crc.crc16(0, "123456789".getBytes(StandardCharsets.US_ASCII), 0, 9))
                .isEqualTo(0xBB3D);
    }

    @Test
    void direntRecordsAreBoundsChecked() throws Exception {
        byte[] b = new byte[64];
        Dirents.put(b, 0, 11, 16, "abc".getBytes(StandardCharsets.US_ASCII), Dirents.FT_REG, true);
        Dirents.put(b, 16, 0, 48, new byte[0], 0, true);
        assertThat(Dirents.parse(b, 0, 64, 1024, true, "t")).hasSize(2);
        byte[] bad = b.clone();
        LittleEndian.put16(bad, 4, 200); // rec_len past the end
        assertThatThrownBy(() -> Dirents.parse(bad, 0, 64, 1024, true, "t"))
                .isInstanceOf(Ext4CorruptException.class)
                .hasMessageContaining("rec_len 200");
        byte[] bad2 = b.clone();
        LittleEndian.put8(bad2, 6, 60); // name longer than the record
        assertThatThrownBy(() -> Dirents.parse(bad2, 0, 64, 1024, true, "t"))
                .isInstanceOf(Ext4CorruptException.class)
                .hasMessageContaining("name_len 60");
        assertThat(Dirents.decodeRecLen(65535, 65536)).isEqualTo(65536);
    }

    @Test
    void extentAndIndirectTreeSizes() {
        assertThat(FileMap.extentTreeBlocks(4, 4096)).isZero();
        assertThat(FileMap.extentTreeBlocks(5, 4096)).isEqualTo(1);
        assertThat(FileMap.extentTreeBlocks(340 * 4 + 1, 4096)).isEqualTo(5 + 1);
        assertThat(FileMap.indirectBlocks(12, 1024)).isZero();
        assertThat(FileMap.indirectBlocks(13, 1024)).isEqualTo(1);
        assertThat(FileMap.indirectBlocks(12 + 256 + 1, 1024)).isEqualTo(1 + 2);
        assertThat(FileMap.indirectBlocks(12 + 256 + 256 * 256 + 1, 1024)).isEqualTo(1 + 1 + 256 + 3);
    }

    /** The image seeds of the fuzz corpus must be valid file systems, or the regression run proves little. */
    @Test
    void fuzzSeedImagesAreRealFileSystems() throws Exception {
        for (String seed : new String[] {"ext2-128k", "ext4-128k", "ext4i-128k"}) {
            byte[] data;
            try (InputStream in = getClass().getResourceAsStream("Ext4FuzzTestInputs/image/" + seed)) {
                data = in.readAllBytes();
            }
            Ext4FileSystem fs = Ext4FileSystem.open(new BytesSource(Arrays.copyOf(data, 128 * 1024)), true);
            assertThat(fs.writable()).as(seed).isTrue();
            FileSystem.Node root = fs.root();
            assertThat(fs.list(root)).extracting(FileSystem.Entry::name).contains("f", "l", "slow", "d");
            FileSystem.Node f = fs.lookup(root, "f").orElseThrow();
            assertThat(Trees.readAll(fs, f)).isEqualTo("hello\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(fs.readLink(fs.lookup(root, "slow").orElseThrow())).isEqualTo("y".repeat(80));
            // the write steps the image fuzz target adds for inline_data seeds succeed on the real seeds
            for (int n : new int[] {20, 100, 5000}) {
                byte[] content = new byte[n];
                Arrays.fill(content, (byte) n);
                fs.replaceContent(f, content);
                assertThat(Trees.readAll(fs, fs.lookup(root, "f").orElseThrow()))
                        .as(seed + " " + n)
                        .isEqualTo(content);
            }
            FileSystem.Node d = fs.lookup(root, "d").orElseThrow();
            fs.rename(root, "f", d, "moved");
            assertThat(fs.lookup(d, "moved")).as(seed).isPresent();
            assertThat(fs.lookup(root, "f")).as(seed).isEmpty();
        }
    }

    /** The htree seeds are real e2fsck -fD indexes (checksum included), so the regression run reaches the leaves. */
    @Test
    void htreeFuzzSeedsAreRealIndexes() throws Exception {
        for (String seed : new String[] {"csum-1k", "nocsum-1k"}) {
            byte[] data;
            try (InputStream in = getClass().getResourceAsStream("Ext4FuzzTestInputs/htree/" + seed)) {
                data = in.readAllBytes();
            }
            byte[] dir = Arrays.copyOfRange(data, 5, data.length);
            long nblocks = dir.length / 1024;
            Htree.Params p = new Htree.Params(
                    1024, nblocks, data[0] == 1, LittleEndian.i32(data, 1), false, false, new int[4], seed);
            Htree h = Htree.probe(
                    l -> Arrays.copyOfRange(dir, (int) l * 1024, (int) l * 1024 + 1024),
                    p,
                    Arrays.copyOf(dir, 1024),
                    "name-1".getBytes(StandardCharsets.US_ASCII));
            assertThat(h.nextLeaf()).as(seed).isBetween(1L, nblocks - 1);
        }
    }

    /** The in-inode xattr seed holds system.data; a rewrite round-trips and keeps the entry list. */
    @Test
    void inodeXattrSeedRoundTrips() throws Exception {
        byte[] raw;
        try (InputStream in = getClass().getResourceAsStream("Ext4FuzzTestInputs/inodeXattrs/inline-90")) {
            raw = in.readAllBytes();
        }
        Inode i = new Inode(30, raw);
        List<InodeXattrs.Entry> xs = new ArrayList<>(InodeXattrs.parse(i, "ext4"));
        assertThat(xs).hasSize(1);
        assertThat(xs.get(0).is(InodeXattrs.INDEX_SYSTEM, InodeXattrs.DATA)).isTrue();
        assertThat(xs.get(0).value()).hasSize(30); // 90-byte file: 60 in i_block + 30
        xs.add(new InodeXattrs.Entry(1, "k".getBytes(StandardCharsets.US_ASCII), new byte[] {1, 2, 3}, 0));
        InodeXattrs.write(i, xs);
        List<InodeXattrs.Entry> back = InodeXattrs.parse(i, "ext4");
        assertThat(back).hasSize(2);
        assertThat(back.get(1).value()).containsExactly(1, 2, 3);
        assertThat(back.get(0).value()).isEqualTo(xs.get(0).value());
        // 92-byte area: 20 + 32 (system.data, value 30 padded) + 20 + 16 (k) + 4 terminator = 92 fits exactly
        xs.set(1, new InodeXattrs.Entry(1, "k".getBytes(StandardCharsets.US_ASCII), new byte[16], 0));
        assertThat(InodeXattrs.fits(i, xs)).isTrue();
        xs.set(1, new InodeXattrs.Entry(1, "k".getBytes(StandardCharsets.US_ASCII), new byte[17], 0));
        assertThat(InodeXattrs.fits(i, xs)).isFalse();
    }
}
