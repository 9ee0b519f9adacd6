package dev.linuximage.core.volume;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Writes an LVM2 PV by hand (label in sector 1, PV header, one metadata area at 4 KiB holding {@code text} at
 * offset 512 of the area), for cases the real tools cannot create here (thin, raid, snapshot need device-mapper).
 * Layout per lvm2 lib/format_text/layout.h.
 */
final class PvImage {
    private PvImage() {}

    static byte[] build(String pvUuid32, String text, int mdaSize, long deviceBytes, long dataStart) {
        byte[] disk = new byte[(int) deviceBytes];
        ByteBuffer l = ByteBuffer.wrap(disk, 512, 512).slice().order(ByteOrder.LITTLE_ENDIAN);
        l.put(0, "LABELONE".getBytes(StandardCharsets.US_ASCII));
        l.putLong(8, 1);
        l.putInt(20, 32);
        l.put(24, "LVM2 001".getBytes(StandardCharsets.US_ASCII));
        l.put(32, pvUuid32.getBytes(StandardCharsets.US_ASCII));
        l.putLong(64, deviceBytes);
        l.putLong(72, dataStart); // data area
        l.putLong(80, 0);
        l.putLong(88, 0).putLong(96, 0); // end of data areas
        l.putLong(104, 4096); // metadata area
        l.putLong(112, mdaSize);
        l.putLong(120, 0).putLong(128, 0);
        byte[] label = new byte[512];
        System.arraycopy(disk, 512, label, 0, 512);
        l.putInt(16, (int) Lvm.crc(Lvm.INITIAL_CRC, label, 20, 492));
        byte[] t = (text + "\0").getBytes(StandardCharsets.UTF_8);
        System.arraycopy(t, 0, disk, 4096 + 512, t.length);
        ByteBuffer m = ByteBuffer.wrap(disk, 4096, 512).slice().order(ByteOrder.LITTLE_ENDIAN);
        m.put(4, Lvm.MDA_MAGIC);
        m.putInt(20, 1);
        m.putLong(24, 4096);
        m.putLong(32, mdaSize);
        m.putLong(40, 512);
        m.putLong(48, t.length);
        m.putInt(56, (int) Lvm.crc(Lvm.INITIAL_CRC, t, 0, t.length));
        byte[] hdr = new byte[512];
        System.arraycopy(disk, 4096, hdr, 0, 512);
        m.putInt(0, (int) Lvm.crc(Lvm.INITIAL_CRC, hdr, 4, 508));
        return disk;
    }
}
