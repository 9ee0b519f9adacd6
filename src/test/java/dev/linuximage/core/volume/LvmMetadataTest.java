package dev.linuximage.core.volume;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.linuximage.core.fs.BytesSource;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class LvmMetadataTest {
    static final String UUID = "AbCdEf0123456789GhIjKl0123456789";
    static final String DASHED = "AbCdEf-0123-4567-89Gh-IjKl-0123-456789";

    static String vg(String lvs) {
        return "vg0 {\nid = \"x\"\nseqno = 7\nformat = \"lvm2\" # comment\nstatus = [\"RESIZEABLE\", \"READ\", "
                + "\"WRITE\"]\nextent_size = 8\nphysical_volumes {\npv0 {\nid = \"" + DASHED + "\"\n"
                + "device = \"/dev/sda3\"\nstatus = [\"ALLOCATABLE\"]\npe_start = 64\npe_count = 100\n}\n}\n"
                + "logical_volumes {\n" + lvs + "}\n}\ncontents = \"Text Format Volume Group\"\nversion = 1\n"
                + "description = \"a \\\"quoted\\\" word\"\ncreation_time = 1700000000\n";
    }

    static String lv(String name, String status, String segs) {
        return name + " {\nid = \"id-" + name + "\"\nstatus = " + status + "\nsegment_count = 1\n" + segs + "}\n";
    }

    static String linear(int n, long start, long count, long pvStart) {
        return "segment" + n + " {\nstart_extent = " + start + "\nextent_count = " + count + "\ntype = \"striped\"\n"
                + "stripe_count = 1\nstripes = [\n\"pv0\", " + pvStart + "\n]\n}\n";
    }

    @Test
    void parsesTheTextFormat() throws Exception {
        Map<String, Object> m =
                LvmText.parse(vg(lv("root", "[\"READ\", \"WRITE\", \"VISIBLE\"]", linear(1, 0, 10, 0)) + "\n"));
        assertThat(Lvm.vgNameOf(m)).isEqualTo("vg0");
        assertThat(m.get("description")).isEqualTo("a \"quoted\" word");
        assertThat(m.get("version")).isEqualTo(1L);
    }

    @Test
    void mapsLinearAndReportsEveryOtherTypeAsUnsupported() throws Exception {
        String lvs = lv("root", "[\"READ\", \"WRITE\", \"VISIBLE\"]", linear(1, 0, 2, 3) + linear(2, 2, 1, 0))
                + lv(
                        "thin",
                        "[\"READ\", \"WRITE\", \"VISIBLE\"]",
                        "segment1 {\nstart_extent = 0\nextent_count = 4\n"
                                + "type = \"thin\"\nthin_pool = \"pool\"\ntransaction_id = 1\ndevice_id = 1\n}\n")
                + lv(
                        "mirror",
                        "[\"READ\", \"VISIBLE\"]",
                        "segment1 {\nstart_extent = 0\nextent_count = 4\n"
                                + "type = \"raid1\"\ndevice_count = 2\nraids = [\"a\", \"b\", \"c\", \"d\"]\n}\n")
                + lv("cow", "[\"READ\", \"WRITE\", \"VISIBLE\"]", linear(1, 0, 1, 20))
                + lv(
                        "snapshot0",
                        "[\"READ\"]",
                        "segment1 {\nstart_extent = 0\nextent_count = 2\n"
                                + "type = \"snapshot\"\nchunk_size = 8\norigin = \"root\"\ncow_store = \"cow\"\n}\n")
                + lv(
                        "wide",
                        "[\"READ\", \"VISIBLE\"]",
                        "segment1 {\nstart_extent = 0\nextent_count = 4\n"
                                + "type = \"striped\"\nstripe_count = 2\nstripe_size = 128\nstripes = [\"pv0\", 30, \"pv0\", 40]\n}\n");
        byte[] disk = PvImage.build(UUID, vg(lvs), 16384, 128 * 1024, 32768);
        // PV data: extent n of the PV starts at pe_start (64 sectors) + n * 8 sectors
        for (int e = 0; e < 5; e++) {
            java.util.Arrays.fill(disk, 32768 + e * 4096, 32768 + (e + 1) * 4096, (byte) ('A' + e));
        }
        BytesSource src = new BytesSource(disk);
        PhysicalVolume pv = Lvm.readPv(src, "test").orElseThrow();
        assertThat(pv.uuid()).isEqualTo(DASHED);
        assertThat(pv.seqno()).isEqualTo(7);
        Map<String, LogicalVolume> lvsByName =
                Lvm.logicalVolumes(List.of(pv)).stream().collect(Collectors.toMap(LogicalVolume::lvName, l -> l));
        assertThat(lvsByName.get("thin").unsupported()).isEqualTo("unsupported: thin");
        assertThat(lvsByName.get("mirror").unsupported()).isEqualTo("unsupported: raid1");
        assertThat(lvsByName.get("cow").unsupported()).contains("snapshot");
        assertThat(lvsByName.get("snapshot0").unsupported()).contains("hidden");
        assertThat(lvsByName.get("wide").unsupported()).isEqualTo("unsupported: striped (stripe_count 2)");
        LogicalVolume root = lvsByName.get("root");
        assertThat(root.sizeBytes()).isEqualTo(3 * 4096);
        // segment 1: PV extents 3,4 ; segment 2: PV extent 0
        assertThat(new String(root.source().readBytes(0, 1))).isEqualTo("D");
        assertThat(new String(root.source().readBytes(4096, 1))).isEqualTo("E");
        assertThat(new String(root.source().readBytes(8192, 1))).isEqualTo("A");
        // writes go through the mapping, never outside the LV
        ((dev.linuximage.core.io.WritableByteSource) root.source())
                .write(8190, java.nio.ByteBuffer.wrap(new byte[] {'x', 'y', 'z', 'w'}));
        assertThat(disk[32768 + 4 * 4096 + 4094]).isEqualTo((byte) 'x');
        assertThat(disk[32768 + 0]).isEqualTo((byte) 'z');
        assertThatThrownBy(() -> ((dev.linuximage.core.io.WritableByteSource) root.source())
                        .write(3 * 4096 - 1, java.nio.ByteBuffer.wrap(new byte[2])))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void corruptMetadataIsTyped() throws Exception {
        byte[] disk = PvImage.build(UUID, vg(lv("root", "[\"VISIBLE\"]", linear(1, 0, 1, 0))), 16384, 65536, 32768);
        disk[4096 + 512 + 3] ^= 1;
        assertThatThrownBy(() -> Lvm.readPv(new BytesSource(disk), "t"))
                .isInstanceOf(LvmException.class)
                .hasMessageContaining("CRC");
        assertThatThrownBy(() -> LvmText.parse("vg { a = [1, 2 ")).isInstanceOf(LvmException.class);
        assertThatThrownBy(() -> LvmText.parse("{".repeat(100))).isInstanceOf(LvmException.class);
        String deep = "a = " + "[".repeat(100) + "]".repeat(100);
        assertThatThrownBy(() -> LvmText.parse(deep)).isInstanceOf(LvmException.class);
    }

    @Test
    void segmentOutsideThePvIsRefused() throws Exception {
        byte[] disk = PvImage.build(UUID, vg(lv("root", "[\"VISIBLE\"]", linear(1, 0, 1000, 0))), 16384, 65536, 32768);
        PhysicalVolume pv = Lvm.readPv(new BytesSource(disk), "t").orElseThrow();
        assertThatThrownBy(() -> Lvm.logicalVolumes(List.of(pv)))
                .isInstanceOf(LvmException.class)
                .hasMessageContaining("outside");
    }

    /**
     * pe_start (sectors) of 2^55: times 512 it is 2^64, which wraps to byte 0 in 64-bit arithmetic, so the LV was
     * mapped over the PV label (issue 13). Also 2^54 + 1 (wraps to 512: the label sector itself), 0 (the label area,
     * lvm2's LABEL_SCAN_SECTORS) and a pe_start beyond the device.
     */
    @Test
    void peStartThatOverflowsOrPointsIntoTheLabelIsRefusedNamingTheField() throws Exception {
        String[][] cases = {
            {String.valueOf(1L << 55), "overflows"},
            {String.valueOf((1L << 54) + 1), "overflows"},
            {"0", "label area"},
            {"3", "label area"},
            {String.valueOf(1L << 40), "beyond"},
        };
        for (String[] c : cases) {
            String text = vg(lv("root", "[\"READ\", \"WRITE\", \"VISIBLE\"]", linear(1, 0, 1, 0)))
                    .replace("pe_start = 64", "pe_start = " + c[0]);
            byte[] disk = PvImage.build(UUID, text, 16384, 65536, 32768);
            PhysicalVolume pv = Lvm.readPv(new BytesSource(disk), "t").orElseThrow();
            assertThatThrownBy(() -> Lvm.logicalVolumes(List.of(pv)))
                    .as("pe_start %s", c[0])
                    .isInstanceOf(LvmException.class)
                    .hasMessageContaining("pe_start " + c[0])
                    .hasMessageContaining(c[1]);
        }
    }
}
