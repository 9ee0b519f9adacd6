package dev.linuximage.core.partition;

import dev.linuximage.core.io.LittleEndian;
import java.util.Locale;
import java.util.Map;

/** Well-known partition types (UEFI spec 2.10 table 5.7 and the Discoverable Partitions Specification). */
public final class PartitionTypes {
    public static final String GPT_ESP = "c12a7328-f81f-11d2-ba4b-00a0c93ec93b";
    public static final String GPT_BIOS_BOOT = "21686148-6449-6e6f-744e-656564454649";
    public static final String GPT_LINUX_FS = "0fc63daf-8483-4772-8e79-3d69d8477de4";
    public static final String GPT_LINUX_LVM = "e6d6d379-f507-44c2-a23c-238f2a3df928";
    public static final String GPT_LINUX_SWAP = "0657fd6d-a4ab-43c4-84e5-0933c84b4f4f";
    public static final String GPT_LINUX_ROOT_X86_64 = "4f68bce3-e8cd-4db1-96e7-fbcaf984b709";
    public static final String GPT_LINUX_ROOT_ARM64 = "b921b045-1df0-41c3-af44-4c6f280d3fae";
    public static final String GPT_LINUX_HOME = "933ac7e1-2eb4-4f13-b844-0e14e2aef915";
    public static final String GPT_LINUX_RAID = "a19d880f-05fc-4d3b-a006-743f0f84911e";
    public static final String GPT_XBOOTLDR = "bc13c2ff-59e6-4262-a352-b275fd6f7172";
    public static final String GPT_MS_BASIC_DATA = "ebd0a0a2-b9e5-4433-87c0-68b6b72699c7";

    private static final Map<String, String> GPT = Map.ofEntries(
            Map.entry(GPT_ESP, "esp"),
            Map.entry(GPT_BIOS_BOOT, "bios-boot"),
            Map.entry(GPT_LINUX_FS, "linux"),
            Map.entry(GPT_LINUX_LVM, "lvm"),
            Map.entry(GPT_LINUX_SWAP, "swap"),
            Map.entry(GPT_LINUX_ROOT_X86_64, "linux-root-x86-64"),
            Map.entry(GPT_LINUX_ROOT_ARM64, "linux-root-arm64"),
            Map.entry(GPT_LINUX_HOME, "linux-home"),
            Map.entry(GPT_LINUX_RAID, "linux-raid"),
            Map.entry(GPT_XBOOTLDR, "xbootldr"),
            Map.entry(GPT_MS_BASIC_DATA, "basic-data"));

    private static final Map<Integer, String> MBR = Map.ofEntries(
            Map.entry(0x83, "linux"),
            Map.entry(0x82, "swap"),
            Map.entry(0x8e, "lvm"),
            Map.entry(0xef, "esp"),
            Map.entry(0xee, "gpt-protective"),
            Map.entry(0xfd, "linux-raid"),
            Map.entry(0x05, "extended"),
            Map.entry(0x0f, "extended"),
            Map.entry(0x85, "extended"),
            Map.entry(0x01, "fat12"),
            Map.entry(0x04, "fat16"),
            Map.entry(0x06, "fat16"),
            Map.entry(0x0b, "fat32"),
            Map.entry(0x0c, "fat32"),
            Map.entry(0x0e, "fat16"),
            Map.entry(0x07, "ntfs"));

    private PartitionTypes() {}

    public static String gptKind(String guid) {
        return GPT.getOrDefault(guid.toLowerCase(Locale.ROOT), "unknown");
    }

    public static String mbrKind(int type) {
        return MBR.getOrDefault(type & 0xff, "unknown");
    }

    public static boolean isMbrExtended(int type) {
        int t = type & 0xff;
        return t == 0x05 || t == 0x0f || t == 0x85;
    }

    /** A GPT mixed-endian GUID (first three fields little-endian, UEFI spec appendix A) as lower-case text. */
    public static String guid(byte[] b, int off) {
        return String.format(
                Locale.ROOT,
                "%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                LittleEndian.u32(b, off),
                LittleEndian.u16(b, off + 4),
                LittleEndian.u16(b, off + 6),
                b[off + 8] & 0xff,
                b[off + 9] & 0xff,
                b[off + 10] & 0xff,
                b[off + 11] & 0xff,
                b[off + 12] & 0xff,
                b[off + 13] & 0xff,
                b[off + 14] & 0xff,
                b[off + 15] & 0xff);
    }
}
