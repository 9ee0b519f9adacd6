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
 */
public record Partition(int number, long startBytes, long sizeBytes, String typeCode, String kind, String name,
                        String partUuid) {
}
