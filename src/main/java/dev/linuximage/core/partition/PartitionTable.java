package dev.linuximage.core.partition;

import java.util.List;

/**
 * The partition table of a disk.
 *
 * @param scheme   {@code gpt}, {@code mbr} or {@code none} (a file system on the whole disk)
 * @param diskId   GPT disk GUID or MBR disk signature (8 hex digits); empty for {@code none}
 * @param warnings problems found and worked around (e.g. "primary GPT header CRC mismatch, used backup")
 */
public record PartitionTable(String scheme, String diskId, List<Partition> partitions, List<String> warnings) {
    public PartitionTable {
        partitions = List.copyOf(partitions);
        warnings = List.copyOf(warnings);
    }
}
