package dev.linuximage.core.upload;

import dev.linuximage.core.format.vhd.VhdFooter;
import dev.linuximage.core.io.ByteSource;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The minimal check the uploader makes before sending a local file (the format engine validates VHDs fully):
 * the file is N MiB + 512 bytes (N ≥ 1), and its last 512 bytes are a fixed-disk VHD footer: cookie
 * {@code conectix}, disk type 2 (fixed), current size = N MiB, and a valid checksum. Fields are big-endian
 * (VHD specification, "Hard Disk Footer Format": cookie at 0, current size at 48, disk type at 60, checksum at 64:
 * the one's complement of the byte sum of the footer with the checksum field taken as zero).
 */
public final class FixedVhdCheck {
    private static final long MIB = 1024 * 1024;

    private FixedVhdCheck() {}

    /** Throws {@link IllegalArgumentException} naming the field and value if {@code vhd} is not such a file. */
    public static void check(ByteSource vhd, String name) throws IOException {
        long size = vhd.size();
        if (size < MIB + 512 || (size - 512) % MIB != 0) {
            throw new IllegalArgumentException(name + ": file size " + size + " bytes is not N MiB + 512 (a fixed VHD "
                    + "whose virtual size is a whole number of MiB): convert it first with 'linuximage convert'");
        }
        byte[] f = vhd.readBytes(size - 512, 512);
        if (!VhdFooter.hasCookie(f, 0)) {
            String cookie = new String(f, 0, 8, StandardCharsets.ISO_8859_1);
            throw new IllegalArgumentException(name + ": footer cookie is '" + cookie.replaceAll("[^\\x20-\\x7e]", "?")
                    + "', expected 'conectix': not a VHD");
        }
        ByteBuffer bb = ByteBuffer.wrap(f);
        int type = bb.getInt(60);
        if (type != VhdFooter.TYPE_FIXED) {
            throw new IllegalArgumentException(name + ": VHD footer disk type is " + type + ", expected 2 (fixed): "
                    + "convert it first with 'linuximage convert'");
        }
        long current = bb.getLong(48);
        if (current != size - 512) {
            throw new IllegalArgumentException(name + ": VHD footer current size is " + current + " bytes, but the "
                    + "file holds " + (size - 512) + " bytes of data");
        }
        int stored = bb.getInt(64);
        long computed = VhdFooter.checksum(f);
        if (computed != Integer.toUnsignedLong(stored)) {
            throw new IllegalArgumentException(name + ": VHD footer checksum is 0x" + Integer.toHexString(stored)
                    + ", computed 0x" + Long.toHexString(computed));
        }
    }
}
