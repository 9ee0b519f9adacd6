package dev.linuximage.testsupport;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Random;
import java.util.regex.Pattern;

/** Raw disk files for the tests, and what {@code qemu-img info --output=json} says about one. */
public final class DiskFiles {
    private DiskFiles() {}

    /** {@code n} bytes from {@link Random} seeded with {@code seed}: the same bytes for the same seed. */
    public static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

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
     * {@code file} (created, or overwritten over its first {@code bytes}) filled with {@code junk}, a non-zero byte:
     * a "used" disk or device, on which a writer that skips ranges or leaves old bytes is caught.
     */
    public static Path junk(Path file, long bytes, byte junk) throws IOException {
        if (junk == 0) {
            throw new IllegalArgumentException("junk must not be zero");
        }
        byte[] chunk = new byte[1 << 20];
        Arrays.fill(chunk, junk);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            for (long at = 0; at < bytes; at += chunk.length) {
                ByteBuffer b = ByteBuffer.wrap(chunk, 0, (int) Math.min(chunk.length, bytes - at));
                while (b.hasRemaining()) {
                    ch.write(b, at + b.position());
                }
            }
        }
        return file;
    }

    /**
     * Whether {@code length} bytes of {@code file} at {@code offset} all read as zero (holes included). Fails if the
     * file ends before {@code offset + length}.
     */
    public static boolean readsZero(Path file, long offset, long length) throws IOException {
        try (FileChannel in = FileChannel.open(file)) {
            ByteBuffer buf = ByteBuffer.allocate(1 << 20);
            for (long done = 0; done < length; ) {
                buf.clear().limit((int) Math.min(buf.capacity(), length - done));
                while (buf.hasRemaining()) {
                    if (in.read(buf, offset + done + buf.position()) < 0) {
                        throw new IOException("short read at byte " + (offset + done + buf.position()) + " of " + file);
                    }
                }
                buf.flip();
                if (!allZero(buf)) {
                    return false;
                }
                done += buf.limit();
            }
        }
        return true;
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

    /**
     * Copies {@code length} bytes at byte {@code offset} of {@code image} into {@code target} (created or truncated),
     * the way {@code dd skip= count= conv=sparse} does: 1 MiB at a time, all-zero chunks left as holes, the file
     * then sized to exactly {@code length}. A fixed VHD's data starts at byte 0, so a partition's offset is the same
     * in the VHD and in the raw disk. Fails if the image ends before {@code offset + length}.
     */
    public static Path copyRange(Path image, long offset, long length, Path target) throws IOException {
        if (offset < 0 || length < 0) {
            throw new IllegalArgumentException("offset " + offset + " / length " + length + " must be >= 0");
        }
        try (FileChannel in = FileChannel.open(image);
                FileChannel out = FileChannel.open(
                        target,
                        StandardOpenOption.CREATE,
                        StandardOpenOption.WRITE,
                        StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer buf = ByteBuffer.allocate(1 << 20);
            long done = 0;
            while (done < length) {
                buf.clear().limit((int) Math.min(buf.capacity(), length - done));
                while (buf.hasRemaining()) {
                    if (in.read(buf, offset + done + buf.position()) < 0) {
                        throw new IOException("short read at byte " + (offset + done + buf.position()) + " of " + image
                                + " (wanted " + length + " bytes from " + offset + ")");
                    }
                }
                buf.flip();
                if (!allZero(buf)) {
                    while (buf.hasRemaining()) {
                        out.write(buf, done + buf.position());
                    }
                }
                done += buf.limit();
            }
            // trailing holes: size the file explicitly (truncate only shrinks, so write the last byte if needed)
            if (out.size() < length) {
                out.write(ByteBuffer.allocate(1), length - 1);
            }
        }
        return target;
    }

    private static boolean allZero(ByteBuffer b) {
        for (int i = b.position(); i < b.limit(); i++) {
            if (b.get(i) != 0) {
                return false;
            }
        }
        return true;
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

    /**
     * {@code qemu-img convert -f from -O to [options] src dst} (the oracle's own conversion), run in {@code dst}'s
     * directory; fails unless it exits 0. Returns {@code dst}.
     */
    public static Path qemuConvert(Path src, String from, Path dst, String to, String... options) {
        java.util.List<String> cmd = new java.util.ArrayList<>(java.util.List.of("qemu-img", "convert", "-f", from));
        cmd.addAll(java.util.List.of("-O", to));
        cmd.addAll(java.util.List.of(options));
        cmd.addAll(java.util.List.of(src.toString(), dst.toString()));
        Tools.command(cmd).dir(dst.toAbsolutePath().getParent()).mergeStderr().run();
        return dst;
    }

    /** {@code qemu-img compare -f fa -F fb a b}: fails unless the two images hold the same guest data. */
    public static void qemuCompare(Path a, String fa, Path b, String fb) {
        Tools.command("qemu-img", "compare", "-f", fa, "-F", fb, a.toString(), b.toString())
                .dir(a.toAbsolutePath().getParent())
                .mergeStderr()
                .run();
    }
}
