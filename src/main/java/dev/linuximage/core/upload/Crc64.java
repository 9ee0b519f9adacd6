package dev.linuximage.core.upload;

import com.azure.storage.common.implementation.contentvalidation.StorageCrc64Calculator;

/**
 * The CRC-64 Azure Storage returns in {@code x-ms-content-crc64}: CRC-64/NVME (width 64, reflected polynomial
 * 0x9a6c9329ac4bc9b5, init and xorout all ones, check value of "123456789" 0xae8b14860a799888), sent on the wire as
 * the 8 bytes of the value in <b>little-endian</b> order, base64-encoded. The computation is the Azure SDK's own
 * (azure-storage-common's {@code StorageCrc64Calculator}, already on the class path; not a public API of that
 * library, so {@code Crc64Test} pins it to the catalogue check value and an SDK upgrade that drops it fails to
 * compile rather than silently changing what is compared).
 */
final class Crc64 {
    private Crc64() {}

    /** CRC-64/NVME of {@code b[off, off + len)}. */
    static long of(byte[] b, int off, int len) {
        return StorageCrc64Calculator.compute(b, off, len, 0);
    }

    /** The 8 header bytes of {@code crc}: least significant byte first. */
    static byte[] littleEndian(long crc) {
        byte[] out = new byte[8];
        for (int i = 0; i < 8; i++) {
            out[i] = (byte) (crc >>> (8 * i));
        }
        return out;
    }
}
