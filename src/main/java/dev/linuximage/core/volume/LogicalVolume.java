package dev.linuximage.core.volume;

import dev.linuximage.core.io.ByteSource;

/**
 * A logical volume of a volume group.
 *
 * @param source      the LV's bytes through the extent mapping (bytes, from 0), or {@code null} when
 *                    {@link #unsupported} is set
 * @param sizeBytes   the LV size in bytes (extents x extent size)
 * @param unsupported empty when mapped; otherwise {@code unsupported: <reason>} (thin, raid, striped, ...)
 */
public record LogicalVolume(
        String vgName, String lvName, String uuid, long sizeBytes, ByteSource source, String unsupported) {

    /** {@code /dev/mapper/vg-lv}, with dashes inside names doubled as device-mapper does. */
    public String mapperPath() {
        return "/dev/mapper/" + vgName.replace("-", "--") + "-" + lvName.replace("-", "--");
    }

    /** {@code /dev/vg/lv}. */
    public String devPath() {
        return "/dev/" + vgName + "/" + lvName;
    }
}
