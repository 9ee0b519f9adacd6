package dev.linuximage.core.volume;

import static org.assertj.core.api.Assertions.assertThat;

import dev.linuximage.core.fs.FileSystem;
import dev.linuximage.core.fs.fat.FatFileSystem;
import dev.linuximage.core.io.ByteSource;
import dev.linuximage.core.io.FileByteSource;
import dev.linuximage.testsupport.DiskFiles;
import dev.linuximage.testsupport.Tools;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** LVM metadata written by the real lvm2 tools; the mapping checked against {@code lvs} and a FAT file system. */
@Tag("oracle")
class LvmRealToolsOracleTest {
    @TempDir
    Path tmp;

    record Seg(String lv, long startPe, long pes, String pv, long pvStartPe) {}

    @Test
    void mapsLinearLvsAcrossSegmentsAndPvsAndRefusesOthers() throws Exception {
        Path a = DiskFiles.sparse(tmp.resolve("pv-a.img"), 32 << 20);
        Path b = DiskFiles.sparse(tmp.resolve("pv-b.img"), 32 << 20);
        String vg = "vgtest" + Long.toHexString(new Random().nextLong() & 0xffffffL);
        List<Seg> segs = new ArrayList<>();
        Map<String, Long> peStart;
        String devA;
        try (LvmTool t = new LvmTool()) {
            devA = t.attach(a);
            String devB = t.attach(b);
            t.lvm("pvcreate", "-y", devA, devB);
            t.lvm("vgcreate", "-y", "-s", "1m", vg, devA, devB);
            t.lvm("lvcreate", "-y", "-an", "-Zn", "-n", "first", "-L", "10m", vg);
            t.lvm("lvcreate", "-y", "-an", "-Zn", "--type", "striped", "-i", "2", "-n", "striped", "-L", "4m", vg);
            t.lvm("lvcreate", "-y", "-an", "-Zn", "-n", "data", "-L", "36m", vg); // spans both PVs
            t.lvm("lvextend", "-y", "-L", "+3m", vg + "/first"); // a second, non-contiguous segment
            // (snapshots, thin and raid need device-mapper even to be created: see LvmMetadataTest)
            String out = t.lvm(
                    "lvs",
                    "--noheadings",
                    "--separator",
                    ";",
                    "-o",
                    "lv_name,seg_start_pe,seg_size_pe,seg_pe_ranges",
                    "-a",
                    vg);
            for (String line : out.strip().split("\n")) {
                String[] f = line.strip().split(";");
                if (f.length < 4 || f[3].isBlank()) {
                    continue;
                }
                for (String range : f[3].strip().split(" ")) {
                    // /dev/loopN:START-END
                    String pv = range.substring(0, range.lastIndexOf(':'));
                    String[] se = range.substring(range.lastIndexOf(':') + 1).split("-");
                    long s = Long.parseLong(se[0]);
                    long e = Long.parseLong(se[1]);
                    segs.add(new Seg(
                            f[0].strip().replaceAll("[\\[\\]]", ""),
                            Long.parseLong(f[1].strip()),
                            e - s + 1,
                            pv.equals(devA) ? "a" : "b",
                            s));
                }
            }
            peStart = t.lvm(
                            "pvs",
                            "--noheadings",
                            "--units",
                            "b",
                            "--nosuffix",
                            "--separator",
                            ";",
                            "-o",
                            "pv_name,pe_start")
                    .lines()
                    .map(String::strip)
                    .filter(l -> !l.isEmpty())
                    .collect(Collectors.toMap(
                            l -> l.split(";")[0].equals(devA) ? "a" : "b", l -> Long.parseLong(l.split(";")[1])));
        }
        assertThat(segs.stream().filter(s -> s.lv().equals("data")).map(Seg::pv).distinct())
                .hasSize(2);
        assertThat(segs.stream().filter(s -> s.lv().equals("first")).count()).isEqualTo(2);

        // A FAT file system laid into the "data" LV through the oracle's mapping (independent of our code).
        long lvBytes = 36L << 20;
        Path fat = tmp.resolve("lv.fat");
        Tools.run("mkfs.vfat", "-C", "-n", "LVDATA", fat.toString(), String.valueOf(lvBytes / 1024));
        Files.writeString(tmp.resolve("hello"), "inside a logical volume\n");
        Tools.run("mcopy", "-i", fat.toString(), tmp.resolve("hello").toString(), "::/hello.txt");
        scatter(fat, segs, "data", peStart, a, b, true);

        try (FileByteSource sa = FileByteSource.openReadWrite(a);
                FileByteSource sb = FileByteSource.openReadWrite(b)) {
            List<PhysicalVolume> pvs = List.of(
                    Lvm.readPv(sa, "a").orElseThrow(), Lvm.readPv(sb, "b").orElseThrow());
            assertThat(pvs.get(0).vgName()).isEqualTo(vg);
            List<LogicalVolume> lvs = Lvm.logicalVolumes(pvs);
            Map<String, LogicalVolume> byName = lvs.stream().collect(Collectors.toMap(LogicalVolume::lvName, l -> l));
            assertThat(byName.get("striped").unsupported()).isEqualTo("unsupported: striped (stripe_count 2)");
            assertThat(byName.get("first").unsupported()).isEmpty();
            assertThat(byName.get("first").sizeBytes()).isEqualTo(13L << 20);
            LogicalVolume data = byName.get("data");
            assertThat(data.unsupported()).isEmpty();
            assertThat(data.sizeBytes()).isEqualTo(lvBytes);
            assertThat(data.mapperPath()).isEqualTo("/dev/mapper/" + vg + "-data");
            try (FatFileSystem fs = FatFileSystem.open(data.source(), true)) {
                assertThat(fs.label()).isEqualTo("LVDATA");
                FileSystem.Node n = fs.lookup(fs.root(), "hello.txt").orElseThrow();
                ByteBuffer buf = ByteBuffer.allocate((int) n.size());
                fs.read(n, 0, buf);
                assertThat(new String(buf.array())).isEqualTo("inside a logical volume\n");
                byte[] big = new byte[9 << 20]; // large enough to land on both PVs
                new Random(1).nextBytes(big);
                fs.createFile(fs.root(), "written through the mapping.bin", 0644, 0, 0, big);
                Files.write(tmp.resolve("expected.bin"), big);
            }
        }
        // Reassemble the LV with the oracle's mapping and let fsck.vfat and mtools judge our write.
        Path back = tmp.resolve("back.fat");
        DiskFiles.sparse(back, lvBytes);
        scatter(back, segs, "data", peStart, a, b, false);
        Tools.Result r = Tools.exec("fsck.vfat", "-n", back.toString());
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
        Tools.run(
                "mcopy",
                "-i",
                back.toString(),
                "::/written through the mapping.bin",
                tmp.resolve("got.bin").toString());
        assertThat(Files.readAllBytes(tmp.resolve("got.bin")))
                .isEqualTo(Files.readAllBytes(tmp.resolve("expected.bin")));
    }

    /** Copies an LV image into (toPvs) or out of the PV files following the oracle's segment list. */
    static void scatter(
            Path lvImage, List<Seg> segs, String lv, Map<String, Long> peStart, Path a, Path b, boolean toPvs)
            throws Exception {
        long extent = 1 << 20;
        try (FileByteSource img = FileByteSource.openReadWrite(lvImage);
                FileByteSource pa = FileByteSource.openReadWrite(a);
                FileByteSource pb = FileByteSource.openReadWrite(b)) {
            for (Seg s : segs) {
                if (!s.lv().equals(lv)) {
                    continue;
                }
                FileByteSource pv = s.pv().equals("a") ? pa : pb;
                long pvOff = peStart.get(s.pv()) + s.pvStartPe() * extent;
                long lvOff = s.startPe() * extent;
                for (long k = 0; k < s.pes(); k++) {
                    ByteSource from = toPvs ? img : pv;
                    long fo = toPvs ? lvOff + k * extent : pvOff + k * extent;
                    long to = toPvs ? pvOff + k * extent : lvOff + k * extent;
                    byte[] chunk = from.readBytes(fo, (int) extent);
                    (toPvs ? pv : img).write(to, ByteBuffer.wrap(chunk));
                }
            }
        }
    }
}
