package dev.linuximage.testsupport;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * x86 Linux kernel images in the bzImage format for guest fixtures whose distribution's kernel cannot be installed
 * here (Arch's {@code vmlinuz-linux}, Alpine's {@code vmlinuz-virt}, a rescue kernel): the real-mode setup sectors
 * with the setup header at its fixed offsets ({@code Documentation/arch/x86/boot.rst}, "The Real-Mode Kernel Header",
 * all fields little-endian), followed by the protected-mode part, as the kernel's {@code arch/x86/boot/tools/build}
 * lays an image out. The kernel's own version string ({@code UTS_RELEASE " (" LINUX_COMPILE_BY "@" LINUX_COMPILE_HOST
 * ") " UTS_VERSION}, e.g. {@code "6.7.4-arch1-1 (linux@archlinux) #1 SMP PREEMPT_DYNAMIC Mon, 05 Feb 2024 22:07:49
 * +0000"}) sits NUL-terminated inside the setup code, where the header's {@code kernel_version} field (0x20E) points:
 * at {@code 0x200 + value}. {@code file(1)}'s magic reads the same field ("Linux kernel x86 boot executable bzImage,
 * version ...").
 *
 * <p>The protected-mode part is filler (no real kernel is carried): the images are for the guest inspector, which
 * reads only the header, never for booting.
 */
public final class BzImages {
    /** Setup sectors after the boot sector: 31, so the real-mode part is 32 × 512 bytes (a 6.x kernel has ~30). */
    public static final int SETUP_SECTS = 31;
    /** Where the version string starts in the file (inside the setup code, as in real images). */
    public static final int VERSION_OFFSET = 0x3000;
    /** Bytes of protected-mode filler: the whole image stays below 0x200 + 0xFFFF, the field's reach. */
    public static final int PAYLOAD_BYTES = 32 * 1024;
    /** Boot protocol 2.15 (Linux 5.5 and later). */
    public static final int PROTOCOL = 0x020F;

    private BzImages() {}

    /**
     * A bzImage whose {@code kernel_version} field points at {@code versionString} (written as given, then a NUL as
     * the kernel's {@code .asciz} ends it; at most {@code (SETUP_SECTS + 1) * 512 - VERSION_OFFSET - 1} bytes).
     *
     * @param versionString the kernel's version string, US-ASCII
     * @return the image: {@code (SETUP_SECTS + 1) * 512 + PAYLOAD_BYTES} bytes
     */
    public static byte[] bzImage(String versionString) {
        int setupBytes = (SETUP_SECTS + 1) * 512;
        byte[] v = versionString.getBytes(StandardCharsets.US_ASCII);
        if (v.length + 1 > setupBytes - VERSION_OFFSET) {
            throw new IllegalArgumentException("version string of " + v.length + " bytes does not fit the setup code");
        }
        ByteBuffer b = ByteBuffer.allocate(setupBytes + PAYLOAD_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        b.put(0, (byte) 'M').put(1, (byte) 'Z'); // the EFI stub's PE/COFF "MZ" (CONFIG_EFI_STUB) opens the boot sector
        b.put(0x1F1, (byte) SETUP_SECTS); // setup_sects
        b.putShort(0x1F2, (short) 1); // root_flags: read-only root (obsolete; "ro"/"rw" decide)
        b.putInt(0x1F4, PAYLOAD_BYTES / 16); // syssize: the protected-mode part in 16-byte paragraphs
        b.putShort(0x1FA, (short) 0xFFFF); // vid_mode: "normal"
        b.putShort(0x1FE, (short) 0xAA55); // boot_flag
        b.put(0x200, (byte) 0xEB).put(0x201, (byte) 0x6A); // jump: short jmp over the header (to 0x26C)
        b.put(0x202, (byte) 'H').put(0x203, (byte) 'd').put(0x204, (byte) 'r').put(0x205, (byte) 'S');
        b.putShort(0x206, (short) PROTOCOL); // version
        b.putShort(0x20C, (short) 0x1000); // start_sys_seg (obsolete, 0x1000)
        b.putShort(0x20E, (short) (VERSION_OFFSET - 0x200)); // kernel_version: the string at 0x200 + value
        b.put(0x211, (byte) 0x01); // loadflags: LOADED_HIGH
        b.putShort(0x212, (short) 0x8000); // setup_move_size
        b.putInt(0x214, 0x100000); // code32_start
        b.putInt(0x22C, 0x7FFFFFFF); // initrd_addr_max
        b.putInt(0x230, 0x200000); // kernel_alignment (CONFIG_PHYSICAL_ALIGN)
        b.put(0x234, (byte) 1); // relocatable_kernel
        b.put(0x235, (byte) 21); // min_alignment: 2^21
        b.putShort(0x236, (short) 0x0003); // xloadflags: XLF_KERNEL_64 | XLF_CAN_BE_LOADED_ABOVE_4G
        b.putInt(0x238, 2047); // cmdline_size
        b.putLong(0x258, 0x1000000); // pref_address
        b.put(VERSION_OFFSET, v); // then 0: the terminating NUL (the buffer is zero-filled)
        for (int i = setupBytes; i < setupBytes + PAYLOAD_BYTES; i++) {
            b.put(i, (byte) (i * 31 + (i >>> 8))); // deterministic, not all zeros: a payload stands here
        }
        return b.array();
    }
}
