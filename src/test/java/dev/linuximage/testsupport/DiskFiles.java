package dev.linuximage.testsupport;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;
import java.util.regex.Pattern;

/** Raw disk files for the tests, and what {@code qemu-img info --output=json} says about one. */
public final class DiskFiles {
    private DiskFiles() {}

    /** A sparse file of {@code bytes} (created or truncated). */
    public static Path sparse(Path file, long bytes) throws IOException {
        try (var ch = FileChannel.open(
                file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            ch.truncate(0);
            ch.write(ByteBuffer.wrap(new byte[1]), bytes - 1);
        }
        return file;
    }

    /**
     * A new raw disk of {@code size} bytes: zeros, with seeded random data at a few known offsets (start, an
     * unaligned run, a 128 KiB run in the middle, the last 4 KiB).
     */
    public static Path rawDisk(Path dir, String name, long size, long seed) throws IOException {
        Path p = dir.resolve(name);
        Random r = new Random(seed);
        try (var ch = FileChannel.open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            long[][] runs = {{0, 65536}, {(1 << 20) + 100, 5000}, {3L << 20, 128 << 10}, {size - 4096, 4096}};
            for (long[] run : runs) {
                long off = Math.max(0, Math.min(run[0], size - 1));
                int len = (int) Math.min(run[1], size - off);
                byte[] b = new byte[len];
                r.nextBytes(b);
                ch.write(ByteBuffer.wrap(b), off);
            }
            if (ch.size() < size) {
                ch.write(ByteBuffer.allocate(1), size - 1);
            }
        }
        return p;
    }

    /** {@code "virtual-size": N} (bytes) from {@code qemu-img info --output=json}. */
    public static long qemuVirtualSize(String json) {
        var m = Pattern.compile("\"virtual-size\":\\s*(\\d+)").matcher(json);
        if (!m.find()) {
            throw new AssertionError("no virtual-size in " + json);
        }
        return Long.parseLong(m.group(1));
    }

    /** {@code "format": "..."} from {@code qemu-img info --output=json}. */
    public static String qemuFormat(String json) {
        var m = Pattern.compile("\"format\":\\s*\"([^\"]+)\"").matcher(json);
        if (!m.find()) {
            throw new AssertionError("no format in " + json);
        }
        return m.group(1);
    }
}
