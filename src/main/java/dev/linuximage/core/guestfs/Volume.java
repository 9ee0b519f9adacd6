package dev.linuximage.core.guestfs;

import dev.linuximage.core.io.ByteSource;
import dev.linuximage.core.partition.Partition;
import dev.linuximage.core.volume.LogicalVolume;

/**
 * A block device of the guest as the storage engine sees it: the whole disk, a partition or an LVM logical volume.
 *
 * @param name      a Linux-like name for messages and {@code --fs}: {@code disk}, {@code part1},
 *                  {@code /dev/vg/lv}
 * @param partition the partition, or {@code null}
 * @param lv        the logical volume, or {@code null}
 * @param source    the device bytes (offsets in bytes); {@code null} for an unmappable LV
 * @param content   {@code xfs}, {@code vfat}, {@code ext4}, {@code LVM2_member}, {@code swap}, {@code unknown}, or
 *                  {@code unsupported: ...}
 */
public record Volume(String name, Partition partition, LogicalVolume lv, ByteSource source, String content) {
    public long sizeBytes() {
        return source != null ? source.size() : lv != null ? lv.sizeBytes() : 0;
    }
}
