package dev.linuximage.core.partition;

/**
 * One partition of a disk.
 *
 * @param number     Linux partition number (1-based; MBR logical partitions start at 5)
 * @param startBytes offset of the first byte from the start of the disk, in bytes
 * @param sizeBytes  length in bytes
 * @param typeCode   GPT partition type GUID (lower-case, dashed) or MBR type as two hex digits ({@code 83})
 * @param kind       a short description of the type ({@code linux}, {@code esp}, {@code lvm}, {@code swap}, ...)
 * @param name       GPT partition name (PARTLABEL) or empty
 * @param partUuid   GPT unique partition GUID, or the MBR form {@code SSSSSSSS-NN} (disk signature, number) as
 *                   blkid reports it; empty when unknown
 * @param attributes GPT partition attribute bits (entry bytes 48..55, little-endian; bit 63 is the Discoverable
 *                   Partitions "no-auto" flag); 0 for MBR
 */
public record Partition(
        int number,
        long startBytes,
        long sizeBytes,
        String typeCode,
        String kind,
        String name,
        String partUuid,
        long attributes) {
    /** A partition without attribute bits (MBR). */
    public Partition(
            int number, long startBytes, long sizeBytes, String typeCode, String kind, String name, String partUuid) {
        this(number, startBytes, sizeBytes, typeCode, kind, name, partUuid, 0);
    }

    /** GPT attribute bit 63 ("no-auto": systemd-gpt-auto-generator neither mounts nor enables the partition). */
    public boolean noAuto() {
        return (attributes & Gpt.ATTR_NO_AUTO) != 0;
    }
}
