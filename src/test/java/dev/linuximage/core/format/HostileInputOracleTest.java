package dev.linuximage.core.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.linuximage.core.format.vhd.FixedVhdOptions;
import dev.linuximage.core.format.vhd.FixedVhdView;
import dev.linuximage.core.io.ByteSource;
import dev.linuximage.core.io.BytesSource;
import dev.linuximage.core.report.ExitCodes;
import dev.linuximage.testsupport.Tools;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Crafted hostile inputs: each is refused with one typed {@link FormatException} naming the field. */
@Tag("oracle")
class HostileInputOracleTest {
    static final OpenOptions OPTS = OpenOptions.defaults();

    static FormatException refused(byte[] file, String format) {
        ByteSource src = new BytesSource(file);
        Throwable t = org.assertj.core.api.Assertions.catchThrowable(() -> {
            try (DiskImage img = DiskImages.open(src, format, OPTS)) {
                FormatFuzzTest.drain(img.data());
            }
        });
        assertThat(t).as("expected a FormatException for " + format).isInstanceOf(FormatException.class);
        FormatException fe = (FormatException) t;
        assertThat(fe.exitCode()).isEqualTo(ExitCodes.BAD_INPUT);
        return fe;
    }

    // ---- qcow2 ----

    /** A valid little qcow2: cluster 512 B, L1 @512, refcount table @1024, L2 @1536, data @2048. */
    static ByteBuffer qcow2(int version) {
        ByteBuffer b = ByteBuffer.allocate(4096).order(ByteOrder.BIG_ENDIAN);
        b.putInt(0, 0x514649fb)
                .putInt(4, version)
                .putInt(20, 9)
                .putLong(24, 32 * 1024)
                .putInt(36, 1)
                .putLong(40, 512)
                .putLong(48, 1024)
                .putInt(56, 1);
        if (version == 3) {
            b.putInt(96, 4).putInt(100, 104);
        }
        b.putLong(512, 1536L | (1L << 63));
        b.putLong(1536, 2048L | (1L << 63));
        return b;
    }

    @Test
    void qcow2Valid() throws IOException {
        try (DiskImage img = DiskImages.open(new BytesSource(qcow2(3).array()), null, OPTS)) {
            assertThat(img.format()).isEqualTo("qcow2");
            assertThat(img.virtualSize()).isEqualTo(32 * 1024);
            FormatFuzzTest.drain(img.data());
        }
    }

    @Test
    void qcow2HugeL1() {
        assertThat(refused(qcow2(3).putInt(36, -1).array(), "qcow2").field()).isEqualTo("l1_size");
    }

    @Test
    void qcow2L1PastEof() {
        assertThat(refused(qcow2(3).putLong(40, 1L << 40).array(), "qcow2").field())
                .isEqualTo("l1_table_offset");
    }

    @Test
    void qcow2HugeVirtualSize() {
        FormatException e = refused(qcow2(3).putLong(24, Long.MAX_VALUE).array(), "qcow2");
        assertThat(e.field()).isEqualTo("size");
        assertThat(refused(qcow2(3).putLong(24, Long.MIN_VALUE).array(), "qcow2")
                        .field())
                .isEqualTo("size");
    }

    @Test
    void qcow2TruncatedHeader() {
        byte[] t = java.util.Arrays.copyOf(qcow2(3).array(), 60);
        assertThat(refused(t, "qcow2").field()).isEqualTo("header");
    }

    @Test
    void qcow2BackingFileEncryptionAndDataFileRefused() {
        assertThat(refused(qcow2(3).putLong(8, 3000).putInt(16, 4).array(), "qcow2")
                        .field())
                .isEqualTo("backing_file_offset");
        assertThat(refused(qcow2(3).putInt(32, 1).array(), "qcow2").field()).isEqualTo("crypt_method");
        assertThat(refused(qcow2(3).putLong(72, 4).array(), "qcow2").value()).isEqualTo("external data file");
        assertThat(refused(qcow2(3).putLong(72, 1L << 40).array(), "qcow2").field())
                .isEqualTo("incompatible_features");
        assertThat(refused(qcow2(7).array(), "qcow2").field()).isEqualTo("version");
    }

    @Test
    void qcow2TableLoopsRefused() {
        // L1 entry pointing into the L1 table itself
        assertThat(refused(qcow2(3).putLong(512, 512L).array(), "qcow2").getMessage())
                .contains("L1 table");
        // data cluster pointing at its own L2 table
        assertThat(refused(qcow2(3).putLong(1536, 1536L).array(), "qcow2").getMessage())
                .contains("L2 table");
        // data cluster in the refcount table
        assertThat(refused(qcow2(3).putLong(1536, 1024L).array(), "qcow2").getMessage())
                .contains("refcount");
        // data cluster past the end of the file
        assertThat(refused(qcow2(3).putLong(1536, 1L << 30).array(), "qcow2").getMessage())
                .contains("outside");
    }

    @Test
    void convertFailingMidStreamLeavesNothingUnderTheFinalName() throws Exception {
        Path dir = Tools.scratch("format-tests", "hostile-midstream");
        Path in = dir.resolve("bad.img"); // a qcow2 whose only data cluster lies past EOF; the name says nothing
        Files.write(in, qcow2(3).putLong(1536, 1L << 30).array());
        Path out = dir.resolve("out.vhd");
        assertThat(dev.linuximage.core.cli.CoreCli.execute("convert", in.toString(), out.toString(), "--quiet"))
                .isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(out).doesNotExist();
        try (var s = Files.list(dir)) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactly("bad.img");
        }
    }

    @Test
    void explicitFormatOverridesDetection() throws Exception {
        byte[] f = new byte[4096 + 512];
        System.arraycopy(vhdFooter(4096, 2, -1), 0, f, 4096, 512);
        try (DiskImage img = DiskImages.open(new BytesSource(f), null, OPTS)) {
            assertThat(img.format()).isEqualTo("vhd");
            assertThat(img.virtualSize()).isEqualTo(4096);
        }
        try (DiskImage img = DiskImages.open(new BytesSource(f), "raw", OPTS)) {
            assertThat(img.format()).isEqualTo("raw");
            assertThat(img.virtualSize()).isEqualTo(4096 + 512);
        }
        assertThatThrownBy(() -> DiskImages.open(new BytesSource(f), "qcow2", OPTS))
                .isInstanceOf(FormatException.class)
                .hasMessageContaining("magic");
        assertThatThrownBy(() -> DiskImages.open(new BytesSource(f), "floppy", OPTS))
                .isInstanceOf(FormatException.class)
                .hasMessageContaining("unknown format");
    }

    // ---- VHD ----

    static byte[] vhdFooter(long size, int type, long dataOffset) {
        byte[] f = dev.linuximage.core.format.vhd.VhdFooter.fixed(size, 0, new java.util.UUID(1, 1));
        ByteBuffer b = ByteBuffer.wrap(f);
        b.putInt(60, type).putLong(16, dataOffset).putInt(64, 0);
        b.putInt(64, (int) dev.linuximage.core.format.vhd.VhdFooter.checksum(f));
        return f;
    }

    @Test
    void vhdDifferencingRefused() {
        byte[] f = vhdFooter(1 << 20, 4, 512);
        byte[] file = new byte[2048 + 512];
        System.arraycopy(f, 0, file, 0, 512);
        System.arraycopy(f, 0, file, 2048, 512);
        assertThat(refused(file, "vhd").getMessage()).contains("differencing");
    }

    @Test
    void vhdBadChecksumAndOversizedFixed() {
        byte[] f = vhdFooter(4096, 2, -1);
        f[70] ^= 1;
        byte[] file = new byte[4096 + 512];
        System.arraycopy(f, 0, file, 4096, 512);
        assertThat(refused(file, "vhd").field()).isEqualTo("checksum");
        byte[] big = vhdFooter(1L << 40, 2, -1);
        System.arraycopy(big, 0, file, 4096, 512);
        assertThat(refused(file, "vhd").field()).isEqualTo("current_size");
    }

    static byte[] dynamicVhd(long entries, int bat0, int bat1) {
        ByteBuffer file = ByteBuffer.allocate(512 + 1024 + 512 + 2 * (512 + 4096) + 512);
        byte[] foot = vhdFooter(8192, 3, 512);
        file.put(0, foot).put(file.capacity() - 512, foot);
        ByteBuffer h = ByteBuffer.allocate(1024);
        h.put(0, "cxsparse".getBytes(StandardCharsets.US_ASCII))
                .putLong(8, -1)
                .putLong(16, 1536)
                .putInt(24, 0x10000)
                .putInt(28, (int) entries)
                .putInt(32, 4096);
        long sum = 0;
        for (byte x : h.array()) {
            sum += x & 0xFF;
        }
        h.putInt(36, (int) ~sum);
        file.put(512, h.array());
        for (int i = 0; i < 128; i++) {
            file.putInt(1536 + 4 * i, -1);
        }
        file.putInt(1536, bat0).putInt(1540, bat1);
        return file.array();
    }

    @Test
    void vhdDynamicTables() throws IOException {
        try (DiskImage img = DiskImages.open(new BytesSource(dynamicVhd(2, 4, 13)), null, OPTS)) {
            assertThat(img.subformat()).isEqualTo("dynamic");
            FormatFuzzTest.drain(img.data());
        }
        assertThat(refused(dynamicVhd(0x7FFFFFFF, 4, 13), "vhd").field()).isEqualTo("max_table_entries");
        assertThat(refused(dynamicVhd(2, 4, 0x7FFFFFF0), "vhd").field()).isEqualTo("BAT[1]");
        assertThat(refused(dynamicVhd(2, 4, 4), "vhd").getMessage()).contains("same block");
        assertThat(refused(dynamicVhd(2, 1, 13), "vhd").getMessage()).contains("overlaps");
    }

    // ---- VHDX / VDI made by qemu-img, then corrupted ----

    @Test
    void vhdxDirtyLogRefused() throws Exception {
        Path dir = Tools.scratch("format-tests", "hostile-vhdx");
        Path f = dir.resolve("d.vhdx");
        Tools.command("qemu-img", "create", "-q", "-f", "vhdx", f.toString(), "8M")
                .dir(dir)
                .mergeStderr()
                .run();
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            for (long at : new long[] {64 * 1024, 128 * 1024}) {
                ByteBuffer h = ByteBuffer.allocate(4096).order(ByteOrder.LITTLE_ENDIAN);
                ch.read(h, at);
                h.putLong(48, 0x1122334455667788L).putLong(56, 0x99L).putInt(4, 0);
                CRC32C c = new CRC32C();
                c.update(h.array());
                h.putInt(4, (int) c.getValue());
                ch.write(h.flip(), at);
            }
        }
        assertThatThrownBy(() -> DiskImages.open(f).close())
                .isInstanceOf(FormatException.class)
                .hasMessageContaining("log is not empty");
    }

    @Test
    void vdiDifferencingRefused() throws Exception {
        Path dir = Tools.scratch("format-tests", "hostile-vdi");
        Path f = dir.resolve("d.vdi");
        Tools.command("qemu-img", "create", "-q", "-f", "vdi", f.toString(), "4M")
                .dir(dir)
                .mergeStderr()
                .run();
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, 4), 0x4C);
        }
        assertThatThrownBy(() -> DiskImages.open(f).close())
                .isInstanceOf(FormatException.class)
                .hasMessageContaining("differencing");
    }

    // ---- VMDK ----

    @Test
    void vmdkExtentsOutsideTheDirectoryRefused() throws Exception {
        Path dir = Tools.scratch("format-tests", "hostile-vmdk");
        Path sub = Files.createDirectories(dir.resolve("disk"));
        Files.write(dir.resolve("outside-flat.vmdk"), new byte[4096]);
        Files.createSymbolicLink(sub.resolve("link-flat.vmdk"), dir.resolve("outside-flat.vmdk"));
        Files.write(sub.resolve("ok-flat.vmdk"), new byte[4096]);
        String[][] cases = {
            {"/etc/passwd", "absolute"},
            {"../outside-flat.vmdk", "'..'"},
            {"link-flat.vmdk", "symlink"},
            {"missing.vmdk", "does not exist"},
        };
        for (String[] c : cases) {
            Path d = sub.resolve("d.vmdk");
            Files.writeString(
                    d,
                    "# Disk DescriptorFile\nversion=1\nCID=1\nparentCID=ffffffff\n"
                            + "createType=\"monolithicFlat\"\nRW 8 FLAT \"" + c[0] + "\" 0\n");
            assertThatThrownBy(() -> DiskImages.open(d).close())
                    .as(c[0])
                    .isInstanceOf(FormatException.class)
                    .hasMessageContaining(c[1]);
        }
        Path d = sub.resolve("d.vmdk");
        Files.writeString(
                d,
                "# Disk DescriptorFile\nversion=1\nCID=1\nparentCID=ffffffff\n"
                        + "createType=\"monolithicFlat\"\nRW 8 FLAT \"ok-flat.vmdk\" 0\n");
        try (DiskImage img = DiskImages.open(d)) {
            assertThat(img.virtualSize()).isEqualTo(4096);
        }
        Files.writeString(
                d,
                "# Disk DescriptorFile\nversion=1\nCID=1\nparentCID=12345678\n"
                        + "createType=\"monolithicFlat\"\nRW 8 FLAT \"ok-flat.vmdk\" 0\n");
        assertThatThrownBy(() -> DiskImages.open(d).close())
                .isInstanceOf(FormatException.class)
                .hasMessageContaining("parent");
        Files.writeString(
                d,
                "# Disk DescriptorFile\nversion=1\ncreateType=\"monolithicFlat\"\n"
                        + "RW 16 FLAT \"ok-flat.vmdk\" 0\n");
        assertThatThrownBy(() -> DiskImages.open(d).close())
                .isInstanceOf(FormatException.class)
                .hasMessageContaining("outside the file");
    }

    static ByteBuffer sparseVmdk(long capacitySectors) {
        ByteBuffer b = ByteBuffer.allocate(512 * 12).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, 0x564d444b)
                .putInt(4, 1)
                .putInt(8, 3)
                .putLong(12, capacitySectors)
                .putLong(20, 8)
                .putInt(44, 512)
                .putLong(56, 1)
                .putLong(64, 8);
        b.putInt(512, 2); // GD[0] -> GT at sector 2
        return b;
    }

    @Test
    void vmdkTableLoopsRefused() {
        // two grain directory entries pointing at the same grain table
        ByteBuffer b = sparseVmdk(8192);
        b.putInt(516, 2);
        assertThat(refused(b.array(), "vmdk").getMessage()).contains("same grain table");
        // grain table overlapping the grain directory
        ByteBuffer c = sparseVmdk(4096);
        c.putInt(512, 1);
        assertThat(refused(c.array(), "vmdk").getMessage()).contains("grain directory");
        // a grain that points at the grain table
        ByteBuffer g = sparseVmdk(4096);
        g.putInt(1024, 2);
        assertThat(refused(g.array(), "vmdk").getMessage()).contains("grain table");
        // capacity far beyond any limit
        assertThat(refused(sparseVmdk(Long.MAX_VALUE).array(), "vmdk").field()).isEqualTo("capacity");
    }

    // ---- fixed VHD size cap ----

    @Test
    void sizeCapCheckedBeforeReading() {
        ByteSource huge = new ByteSource() {
            public long size() {
                return 1L << 62;
            }

            public int read(long o, ByteBuffer d) {
                throw new AssertionError("must not read");
            }

            public void extents(long o, long l, dev.linuximage.core.io.ExtentVisitor v) {
                throw new AssertionError("must not map");
            }
        };
        assertThatThrownBy(() -> FixedVhdView.of(huge, FixedVhdOptions.defaults()))
                .isInstanceOf(FormatException.class)
                .hasMessageContaining("--max-size");
    }
}
