package dev.linuximage.core.partition;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.linuximage.core.io.FileByteSource;
import dev.linuximage.core.io.LittleEndian;
import dev.linuximage.testsupport.DiskFiles;
import dev.linuximage.testsupport.Tools;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Tag("oracle")
class PartitionTablesOracleTest {
    @TempDir
    Path tmp;

    /** Compares our reading with sfdisk --json (the oracle): start, size, type, uuid, name per partition. */
    static void matchesSfdisk(Path img, PartitionTable t) throws Exception {
        JsonNode pt = new ObjectMapper()
                .readTree(Tools.run("sfdisk", "--json", img.toString()).out())
                .get("partitiontable");
        List<Partition> ours = t.partitions().stream()
                .filter(p -> !p.kind().equals("extended"))
                .toList();
        int i = 0;
        for (JsonNode p : pt.get("partitions")) {
            String node = p.get("node").asText();
            int number = Integer.parseInt(node.replaceAll(".*?(\\d+)$", "$1"));
            if (t.scheme().equals("mbr")
                    && List.of("5", "f", "85").contains(p.get("type").asText())) {
                continue; // the extended container itself is not a volume
            }
            Partition q = ours.get(i++);
            assertThat(q.number()).isEqualTo(number);
            assertThat(q.startBytes()).isEqualTo(p.get("start").asLong() * 512);
            assertThat(q.sizeBytes()).isEqualTo(p.get("size").asLong() * 512);
            if (t.scheme().equals("gpt")) {
                assertThat(q.typeCode()).isEqualTo(p.get("type").asText().toLowerCase(Locale.ROOT));
                assertThat(q.partUuid()).isEqualTo(p.get("uuid").asText().toLowerCase(Locale.ROOT));
                assertThat(q.name()).isEqualTo(p.has("name") ? p.get("name").asText() : "");
            } else {
                assertThat(Integer.parseInt(q.typeCode(), 16))
                        .isEqualTo(Integer.parseInt(p.get("type").asText(), 16));
            }
        }
        assertThat(i).isEqualTo(ours.size());
    }

    @Test
    void mbrWithExtendedAndLogicalPartitions() throws Exception {
        Path img = DiskFiles.sparse(tmp.resolve("mbr.img"), 128L << 20);
        Tools.command("sfdisk", "-q", img.toString())
                .stdin(("label: dos\nlabel-id: 0x12345678\n,10M,83\n,20M,82\n,80M,5\n,10M,83\n,10M,8e\n,10M,83\n,,ef\n")
                        .getBytes())
                .exec();
        try (FileByteSource src = FileByteSource.openReadOnly(img)) {
            PartitionTable t = PartitionTables.read(src);
            assertThat(t.scheme()).isEqualTo("mbr");
            assertThat(t.diskId()).isEqualTo("12345678");
            assertThat(t.partitions()).extracting(Partition::number).containsExactly(1, 2, 4, 5, 6, 7);
            assertThat(t.partitions())
                    .extracting(Partition::kind)
                    .containsExactly("linux", "swap", "linux", "lvm", "linux", "esp");
            assertThat(t.partitions().get(3).partUuid()).isEqualTo("12345678-05");
            matchesSfdisk(img, t);
        }
    }

    @Test
    void mbrExtendedChainThatLoopsStops() throws Exception {
        Path img = DiskFiles.sparse(tmp.resolve("loop.img"), 64L << 20);
        Tools.command("sfdisk", "-q", img.toString())
                .stdin(("label: dos\n,10M,83\n,40M,5\n,1M,83\n,5M,83\n,5M,83\n").getBytes())
                .exec();
        try (FileByteSource src = FileByteSource.openReadWrite(img)) {
            byte[] mbr = src.readBytes(0, 512);
            long ext = LittleEndian.u32(mbr, 446 + 16 + 8);
            byte[] ebr1 = src.readBytes(ext * 512, 512);
            long next = LittleEndian.u32(ebr1, 446 + 16 + 8);
            byte[] ebr2 = src.readBytes((ext + next) * 512, 512);
            // Second EBR links back to the first: relative offset 0 from the extended start.
            ebr2[446 + 16 + 4] = 0x05;
            ebr2[446 + 16 + 8] = 0;
            ebr2[446 + 16 + 9] = 0;
            ebr2[446 + 16 + 10] = 0;
            ebr2[446 + 16 + 11] = 0;
            ebr2[446 + 16 + 12] = 1;
            src.write((ext + next) * 512, ByteBuffer.wrap(ebr2));
            PartitionTable t = PartitionTables.read(src);
            assertThat(t.partitions()).extracting(Partition::number).containsExactly(1, 3, 4, 5);
            assertThat(t.warnings()).anyMatch(w -> w.contains("loops"));
        }
    }

    @Test
    void mbrPartitionBeyondTheDiskIsRefused() throws Exception {
        Path img = DiskFiles.sparse(tmp.resolve("oob.img"), 8L << 20);
        Tools.command("sfdisk", "-q", img.toString())
                .stdin(("label: dos\n,,83\n").getBytes())
                .exec();
        try (FileByteSource src = FileByteSource.openReadWrite(img)) {
            src.write(446 + 12, ByteBuffer.wrap(new byte[] {0, 0, 0, 1})); // 16M sectors
            assertThatThrownBy(() -> PartitionTables.read(src))
                    .isInstanceOf(PartitionTableException.class)
                    .hasMessageContaining("outside the disk");
        }
    }

    Path gpt() throws Exception {
        Path img = DiskFiles.sparse(tmp.resolve("gpt.img"), 64L << 20);
        Tools.run(
                "sgdisk",
                "-U",
                "0F1E2D3C-4B5A-6978-8796-A5B4C3D2E1F0",
                "-n1:2048:+10M",
                "-t1:ef00",
                "-c1:EFI System",
                "-n2:0:+1M",
                "-t2:ef02",
                "-n3:0:+20M",
                "-t3:8304",
                "-c3:root",
                "-n4:0:0",
                "-t4:8e00",
                img.toString());
        return img;
    }

    @Test
    void gptMatchesTheOracle() throws Exception {
        Path img = gpt();
        try (FileByteSource src = FileByteSource.openReadOnly(img)) {
            PartitionTable t = PartitionTables.read(src);
            assertThat(t.scheme()).isEqualTo("gpt");
            assertThat(t.diskId()).isEqualTo("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");
            assertThat(t.warnings()).isEmpty();
            assertThat(t.partitions())
                    .extracting(Partition::kind)
                    .containsExactly("esp", "bios-boot", "linux-root-x86-64", "lvm");
            assertThat(t.partitions().get(0).name()).isEqualTo("EFI System");
            matchesSfdisk(img, t);
        }
    }

    @Test
    void corruptPrimaryGptFallsBackToTheBackup() throws Exception {
        Path img = gpt();
        try (FileByteSource src = FileByteSource.openReadWrite(img)) {
            src.write(512 + 40, ByteBuffer.wrap(new byte[] {1, 2, 3})); // primary header: CRC now wrong
        }
        Tools.Result v = Tools.exec("sgdisk", "-v", img.toString());
        assertThat(v.out()).as("the oracle sees the damage").containsIgnoringCase("problem");
        try (FileByteSource src = FileByteSource.openReadOnly(img)) {
            PartitionTable t = PartitionTables.read(src);
            assertThat(t.warnings()).anyMatch(w -> w.contains("backup"));
            assertThat(t.warnings()).anyMatch(w -> w.contains("CRC32"));
            // the primary is damaged, but the partitions are those the backup records: same as before
            assertThat(t.partitions()).hasSize(4);
            assertThat(t.partitions().get(2).name()).isEqualTo("root");
        }
    }

    @Test
    void corruptPrimaryEntryArrayFallsBackToo() throws Exception {
        Path img = gpt();
        try (FileByteSource src = FileByteSource.openReadWrite(img)) {
            src.write(1024 + 128 + 60, ByteBuffer.wrap(new byte[] {'X'})); // entry 2's name in the primary array
            PartitionTable t = PartitionTables.read(src);
            assertThat(t.warnings()).anyMatch(w -> w.contains("entry array CRC32"));
            assertThat(t.partitions()).hasSize(4);
        }
    }

    @Test
    void bothGptHeadersBadIsATypedError() throws Exception {
        Path img = gpt();
        try (FileByteSource src = FileByteSource.openReadWrite(img)) {
            src.write(512 + 40, ByteBuffer.wrap(new byte[] {1}));
            src.write(src.size() - 512 + 40, ByteBuffer.wrap(new byte[] {1}));
            assertThatThrownBy(() -> PartitionTables.read(src))
                    .isInstanceOf(PartitionTableException.class)
                    .hasMessageContaining("neither");
        }
    }
}
