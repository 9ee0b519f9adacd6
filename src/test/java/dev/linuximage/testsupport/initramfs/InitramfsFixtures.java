package dev.linuximage.testsupport.initramfs;

import dev.linuximage.testsupport.Tools;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/**
 * Builds initramfs images with the real tools: {@code cpio -o -H newc} piped through each compressor, with an
 * uncompressed early-microcode member first, the way initramfs-tools and dracut lay them out.
 */
public final class InitramfsFixtures {
    private InitramfsFixtures() {}

    /** Shell pipeline stage per compression label (the flags mkinitramfs/dracut use). */
    public static String compressor(String label) {
        return switch (label) {
            case "gzip" -> "gzip -n -9";
            case "xz" -> "xz --check=crc32 -T1";
            case "zstd" -> "zstd -q -3 -T1";
            case "lz4-legacy" -> "lz4 -l -q -9";
            case "bzip2" -> "bzip2 -9";
            case "lzma" -> "lzma -9";
            case "cpio" -> "cat";
            default -> throw new IllegalArgumentException(label);
        };
    }

    /** A small main tree: dirs, files of assorted sizes (one above 8 MiB to span LZ4 blocks when big), a symlink. */
    public static void mainTree(Path root, long seed, boolean big) throws IOException {
        Random r = new Random(seed);
        Files.createDirectories(root.resolve("usr/lib/modules/6.1.0-test/kernel/drivers"));
        Files.createDirectories(root.resolve("usr/bin"));
        Files.createDirectories(root.resolve("conf"));
        Files.createSymbolicLink(root.resolve("lib"), Path.of("usr/lib"));
        Files.createSymbolicLink(root.resolve("bin"), Path.of("usr/bin"));
        Files.writeString(root.resolve("conf/modules"), "# modules\nvirtio_blk\n");
        Files.writeString(root.resolve("init"), "#!/bin/sh\necho hello\n");
        for (int i = 0; i < 20; i++) {
            byte[] data = new byte[r.nextInt(5000)];
            // half random, half text: compressible but not trivially
            for (int j = 0; j < data.length; j++) {
                data[j] = (byte) (j % 2 == 0 ? r.nextInt(256) : 'a' + j % 26);
            }
            Files.write(root.resolve("usr/bin/tool" + i), data);
        }
        Files.write(root.resolve("usr/lib/empty"), new byte[0]);
        if (big) {
            byte[] data = new byte[9 << 20];
            for (int j = 0; j < data.length; j += 64) {
                data[j] = (byte) r.nextInt(256);
            }
            Files.write(root.resolve("usr/lib/big.bin"), data);
        }
    }

    /** The early microcode member: {@code kernel/x86/microcode/GenuineIntel.bin}, uncompressed newc. */
    public static byte[] earlyMember(Path work) throws IOException, InterruptedException {
        Path early = work.resolve("early");
        Files.createDirectories(early.resolve("kernel/x86/microcode"));
        byte[] ucode = new byte[3000];
        new Random(7).nextBytes(ucode);
        Files.write(early.resolve("kernel/x86/microcode/GenuineIntel.bin"), ucode);
        return Tools.shOk(early, "find . | sort | cpio --quiet -o -H newc -R 0:0")
                .stdout();
    }

    /** {@code cpio -o -H <format>} of {@code tree}, piped through the compressor for {@code label}. */
    public static byte[] member(Path tree, String label, String format) throws IOException, InterruptedException {
        return Tools.shOk(tree, "find . | sort | cpio --quiet -o -H " + format + " -R 0:0 | " + compressor(label))
                .stdout();
    }

    public static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    /** Zero padding up to the next multiple of {@code align} of {@code length}. */
    public static byte[] pad(int length, int align) {
        return new byte[(align - length % align) % align];
    }
}
