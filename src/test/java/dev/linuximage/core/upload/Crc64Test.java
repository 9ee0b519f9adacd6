package dev.linuximage.core.upload;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * {@link Crc64} is CRC-64/NVME, the CRC Azure Storage answers in {@code x-ms-content-crc64}: the catalogue's check
 * value (CRC RevEng catalogue, "CRC-64/NVME": check = 0xae8b14860a799888 for the ASCII bytes "123456789"), and the
 * header's byte order (least significant byte first; its agreement with a service is shown against Azurite in
 * {@code TransactionalMd5IT}).
 */
class Crc64Test {
    @Test
    void isCrc64NvmeByTheCataloguesCheckValue() {
        byte[] b = "123456789".getBytes(StandardCharsets.US_ASCII);
        assertThat(Crc64.of(b, 0, b.length)).isEqualTo(0xae8b14860a799888L);
    }

    @Test
    void coversExactlyTheSliceAsked() {
        byte[] b = "xx123456789yy".getBytes(StandardCharsets.US_ASCII);
        assertThat(Crc64.of(b, 2, 9)).isEqualTo(0xae8b14860a799888L);
        assertThat(Crc64.of(b, 2, 8)).isNotEqualTo(0xae8b14860a799888L);
    }

    @Test
    void headerBytesAreLittleEndian() {
        assertThat(Crc64.littleEndian(0xae8b14860a799888L))
                .containsExactly(0x88, 0x98, 0x79, 0x0a, 0x86, 0x14, 0x8b, 0xae);
    }
}
