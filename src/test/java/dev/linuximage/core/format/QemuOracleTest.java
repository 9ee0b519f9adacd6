package dev.linuximage.core.format;

import static org.assertj.core.api.Assertions.assertThat;

import dev.linuximage.core.cli.CoreCli;
import dev.linuximage.core.format.vhd.FixedVhdView;
import dev.linuximage.core.io.Extent;
import dev.linuximage.core.io.SparseFileWriter;
import dev.linuximage.testsupport.DiskFiles;
import dev.linuximage.testsupport.Tools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every container format made by qemu-img from a raw disk with known content: our raw view must equal qemu's view
 * ({@code qemu-img compare}), our fixed VHD must be read by qemu as vpc with the exact aligned size and the same
 * content.
 */
@Tag("oracle")
class QemuOracleTest {
    static final long SIZE = (6L << 20) + 12288; // not MiB-aligned: conversion must align it

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource(
            delimiter = ';',
            value = {
                "raw;;raw;",
                "qcow2;compat=0.10;qcow2;v2 (compat=0.10)",
                "qcow2;compat=1.1;qcow2;v3 (compat=1.1)",
                "qcow2;-c;qcow2;v3 (compat=1.1)",
                "qcow2;-c,compression_type=zstd;qcow2;v3 (compat=1.1)",
                "qcow2;cluster_size=4096;qcow2;v3 (compat=1.1)",
                "qcow2;cluster_size=2M;qcow2;v3 (compat=1.1)",
                "vhdx;subformat=dynamic;vhdx;dynamic",
                "vhdx;subformat=fixed;vhdx;fixed",
                "vpc;subformat=dynamic,force_size=on;vhd;dynamic",
                "vpc;subformat=fixed,force_size=on;vhd;fixed",
                "vpc;subformat=dynamic;vhd;dynamic",
                "vmdk;subformat=monolithicSparse;vmdk;monolithicSparse",
                "vmdk;subformat=streamOptimized;vmdk;streamOptimized",
                "vmdk;subformat=monolithicFlat;vmdk;monolithicFlat",
                "vmdk;subformat=twoGbMaxExtentSparse;vmdk;twoGbMaxExtentSparse",
                "vmdk;subformat=twoGbMaxExtentFlat;vmdk;twoGbMaxExtentFlat",
                "vdi;static=off;vdi;dynamic",
                "vdi;static=on;vdi;fixed",
            })
    void readsWhatQemuWroteAndConvertsToFixedVhd(String qfmt, String opts, String ourFormat, String sub)
            throws Exception {
        String tag = (qfmt + "-" + (opts == null ? "" : opts)).replaceAll("[^A-Za-z0-9]+", "_");
        Path dir = Tools.scratch("format-tests", "oracle-" + tag);
        Path raw = DiskFiles.rawDisk(dir, "src.raw", SIZE, 42);
        Path img;
        if (qfmt.equals("raw")) {
            img = raw;
        } else {
            img = dir.resolve("disk." + qfmt);
            List<String> cmd = new ArrayList<>(List.of("qemu-img", "convert", "-f", "raw", "-O", qfmt));
            if (opts != null) {
                for (String o : opts.split(",", -1)) {
                    if (o.equals("-c")) {
                        cmd.add("-c");
                    } else if (!o.isEmpty()) {
                        cmd.add("-o");
                        cmd.add(o);
                    }
                }
            }
            cmd.add(raw.toString());
            cmd.add(img.toString());
            Tools.command(cmd.toArray(String[]::new)).dir(dir).mergeStderr().run();
        }
        long qemuSize =
                DiskFiles.qemuVirtualSize(Tools.command("qemu-img", "info", "--output=json", "-f", qfmt, img.toString())
                        .dir(dir)
                        .mergeStderr()
                        .run()
                        .out());
        Path ours = dir.resolve("ours.raw");
        try (DiskImage d = DiskImages.open(img)) {
            assertThat(d.format()).isEqualTo(ourFormat);
            assertThat(d.subformat()).isEqualTo(sub == null ? "" : sub);
            assertThat(d.virtualSize()).isEqualTo(qemuSize);
            if (!qfmt.equals("raw")) {
                // holes are reported: far less DATA than the virtual size
                long[] data = {0};
                d.data().extents(0, d.virtualSize(), e -> {
                    if (e.kind() == Extent.Kind.DATA) {
                        data[0] += e.length();
                    }
                });
                if (!sub.equals("fixed") && !opts.contains("Flat") && !qfmt.equals("vhdx")) {
                    // 64 KiB clusters/grains: less than half; 1-2 MiB blocks: at least one block is a hole
                    boolean small = (qfmt.equals("qcow2") && !opts.contains("2M")) || qfmt.equals("vmdk");
                    assertThat(data[0]).isLessThan(small ? d.virtualSize() / 2 : d.virtualSize());
                }
            }
            ImageDescription desc = ImageDescription.of(d);
            assertThat(desc.format()).isEqualTo(ourFormat);
            assertThat(desc.virtualSize()).isEqualTo(qemuSize);
            assertThat(desc.allocatedBytes()).isPositive().isLessThanOrEqualTo(qemuSize);
            assertThat(desc.containerBytes()).isPositive();
            assertThat(desc.summary()).contains(ourFormat).contains(String.valueOf(qemuSize));
            SparseFileWriter.write(d.data(), ours, null);
        }
        assertThat(Files.size(ours)).isEqualTo(qemuSize);
        DiskFiles.qemuCompare(ours, "raw", img, qfmt);
        if (qemuSize == SIZE) {
            DiskFiles.qemuCompare(ours, "raw", raw, "raw");
        }

        Path vhd = dir.resolve("out.vhd");
        int rc = CoreCli.execute("convert", img.toString(), vhd.toString(), "--quiet");
        assertThat(rc).isZero();
        String info = Tools.command("qemu-img", "info", "--output=json", "-f", "vpc", vhd.toString())
                .dir(dir)
                .mergeStderr()
                .run()
                .out();
        assertThat(DiskFiles.qemuFormat(info)).isEqualTo("vpc");
        long aligned = FixedVhdView.alignUp(qemuSize);
        assertThat(DiskFiles.qemuVirtualSize(info)).isEqualTo(aligned);
        assertThat(Files.size(vhd)).isEqualTo(aligned + 512);
        DiskFiles.qemuCompare(vhd, "vpc", img, qfmt);
    }

    @Test
    void fixedVhdRoundTripIsByteIdentical() throws Exception {
        Path dir = Tools.scratch("format-tests", "roundtrip");
        Path raw = DiskFiles.rawDisk(dir, "src.raw", 4L << 20, 7);
        Path a = dir.resolve("a.vhd");
        Path b = dir.resolve("b.vhd");
        assertThat(CoreCli.execute("convert", raw.toString(), a.toString(), "--quiet"))
                .isZero();
        assertThat(CoreCli.execute("convert", a.toString(), b.toString(), "--quiet"))
                .isZero();
        assertThat(Files.size(b)).isEqualTo(Files.size(a)).isEqualTo((4L << 20) + 512);
        assertThat(Files.mismatch(a, b)).isEqualTo(-1L);
        // and a fixed VHD made by qemu-img converts to the same data, no growth
        Path q = dir.resolve("q.vhd");
        DiskFiles.qemuConvert(raw, "raw", q, "vpc", "-o", "subformat=fixed,force_size=on");
        Path c = dir.resolve("c.vhd");
        assertThat(CoreCli.execute("convert", q.toString(), c.toString(), "--quiet"))
                .isZero();
        assertThat(Files.size(c)).isEqualTo(Files.size(q));
        assertThat(Files.mismatch(raw, c)).isEqualTo(4L << 20); // data identical; only the footer differs
    }

    @Test
    void patchedOnAStreamThroughAnOverlay() throws Exception {
        Path dir = Tools.scratch("format-tests", "overlay-stream");
        Path raw = DiskFiles.rawDisk(dir, "src.raw", 4L << 20, 21);
        Path img = dir.resolve("disk.qcow2");
        DiskFiles.qemuConvert(raw, "raw", img, "qcow2");
        byte[] patch = "patched without touching the input".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        long at = (2L << 20) + 333; // inside a hole of the qcow2
        Path vhd = dir.resolve("out.vhd");
        try (DiskImage d = DiskImages.open(img);
                dev.linuximage.core.io.OverlaySource o = dev.linuximage.core.io.OverlaySource.inMemory(d.data())) {
            o.write(at, java.nio.ByteBuffer.wrap(patch));
            try (FixedVhdView v = FixedVhdView.of(o, dev.linuximage.core.format.vhd.FixedVhdOptions.defaults())) {
                SparseFileWriter.write(v, vhd, null);
            }
        }
        // expected: the raw disk with the patch applied
        try (var ch = java.nio.channels.FileChannel.open(raw, java.nio.file.StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.wrap(patch), at);
        }
        DiskFiles.qemuCompare(vhd, "vpc", raw, "raw");
        // the input is untouched: qemu still sees zeros there
        assertThat(Tools.command("qemu-img", "compare", "-f", "qcow2", "-F", "raw", img.toString(), raw.toString())
                        .dir(dir)
                        .mergeStderr()
                        .exec()
                        .exit())
                .isEqualTo(1);
    }
}
