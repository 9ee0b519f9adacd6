package dev.linuximage.core.partition;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.linuximage.core.io.BytesSource;
import dev.linuximage.core.io.LittleEndian;
import java.util.ArrayList;
import java.util.function.Consumer;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;

/**
 * The one GPT header rule set (UEFI 2.10 §5.3.2) seen through both callers, {@link Gpt#readHeader} and
 * {@link PartitionTables#readGpt}: hostile header fields are refused with a {@link Gpt.GptException} naming the field.
 * The disk is built here byte by byte from the spec's header layout (little-endian, 512-byte LBAs).
 */
class GptHeaderRulesTest {
    private static final int SECTOR = 512;
    private static final long SECTORS = 2048; // 1 MiB

    /** A valid GPT: 128 entries of 128 bytes at LBA 2, usable 34..2014, one partition at 34..99; header CRC last. */
    private static byte[] disk(Consumer<byte[]> editHeader) {
        byte[] d = new byte[(int) (SECTORS * SECTOR)];
        int e = 2 * SECTOR;
        d[e] = 1; // type GUID: any non-zero GUID makes the entry used
        d[e + 16] = 2;
        LittleEndian.put64(d, e + 32, 34);
        LittleEndian.put64(d, e + 40, 99);
        CRC32 arrayCrc = new CRC32();
        arrayCrc.update(d, e, 128 * 128);
        byte[] h = new byte[SECTOR];
        System.arraycopy("EFI PART".getBytes(java.nio.charset.StandardCharsets.US_ASCII), 0, h, 0, 8);
        LittleEndian.put32(h, 8, 0x00010000);
        LittleEndian.put32(h, 12, 92);
        LittleEndian.put64(h, 24, 1);
        LittleEndian.put64(h, 32, SECTORS - 1);
        LittleEndian.put64(h, 40, 34);
        LittleEndian.put64(h, 48, SECTORS - 34);
        h[56] = 7; // disk GUID
        LittleEndian.put64(h, 72, 2);
        LittleEndian.put32(h, 80, 128);
        LittleEndian.put32(h, 84, 128);
        LittleEndian.put32(h, 88, (int) arrayCrc.getValue());
        editHeader.accept(h);
        int size = (int) Math.min(SECTOR, LittleEndian.u32(h, 12));
        LittleEndian.put32(h, 16, Gpt.headerCrc(h, Math.max(size, 92)));
        System.arraycopy(h, 0, d, SECTOR, SECTOR);
        return d;
    }

    @Test
    void aValidHeaderIsReadAlikeByBothCallers() throws Exception {
        BytesSource src = new BytesSource(disk(h -> {}));
        Gpt.Header h = Gpt.readHeader(src, 1);
        assertThat(h.entryCount()).isEqualTo(128);
        assertThat(h.entrySize()).isEqualTo(128);
        PartitionTable t = PartitionTables.readGpt(src, 1, new ArrayList<>());
        assertThat(t.partitions()).hasSize(1);
        assertThat(t.partitions().get(0).startBytes()).isEqualTo(34L * SECTOR);
        assertThat(t.partitions().get(0).sizeBytes()).isEqualTo(66L * SECTOR);
    }

    @Test
    void anEntrySizeThatIsNot128TimesAPowerOfTwoIsRefused() {
        refused(h -> LittleEndian.put32(h, 84, 136), "entry size"); // a multiple of 8, not 128 x 2^n
        refused(h -> LittleEndian.put32(h, 84, 384), "entry size"); // a multiple of 128, not 128 x 2^n
        refused(h -> LittleEndian.put32(h, 84, 64), "entry size"); // smaller than an entry
    }

    @Test
    void aHeaderLargerThanTheLogicalBlockIsRefused() {
        refused(h -> LittleEndian.put32(h, 12, 600), "header size"); // > 512-byte sector
        refused(h -> LittleEndian.put32(h, 12, 91), "header size"); // < 92
    }

    @Test
    void twoToThe31EntriesAreRefusedBeforeAnyArrayIsRead() {
        refused(h -> LittleEndian.put32(h, 80, 0x8000_0000), "number of entries");
    }

    private static void refused(Consumer<byte[]> edit, String field) {
        BytesSource src = new BytesSource(disk(edit));
        assertThatThrownBy(() -> Gpt.readHeader(src, 1))
                .isInstanceOfSatisfying(
                        Gpt.GptException.class, e -> assertThat(e.field()).isEqualTo(field));
        assertThatThrownBy(() -> PartitionTables.readGpt(src, 1, new ArrayList<>()))
                .isInstanceOfSatisfying(
                        Gpt.GptException.class, e -> assertThat(e.field()).isEqualTo(field))
                .hasMessageContaining(field);
    }
}
