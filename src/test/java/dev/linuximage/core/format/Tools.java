package dev.linuximage.core.format;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/** Runs the real oracle tools (qemu-img, sgdisk, tar); a missing tool fails the test with a clear message. */
public final class Tools {
    private Tools() {}

    public record Result(int code, String out) {}

    public static Result run(Path dir, String... cmd) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        if (dir != null) {
            pb.directory(dir.toFile());
        }
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new AssertionError(
                    "oracle tool '" + cmd[0] + "' is not installed (scripts/setup.sh installs it): " + e.getMessage(),
                    e);
        }
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("timeout: " + String.join(" ", cmd));
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    /** Runs and requires exit code 0. */
    public static String ok(Path dir, String... cmd) throws IOException, InterruptedException {
        Result r = run(dir, cmd);
        if (r.code() != 0) {
            throw new AssertionError(String.join(" ", cmd) + " failed (" + r.code() + "): " + r.out());
        }
        return r.out();
    }

    /** A per-test scratch directory under target/ (never /tmp shared names). */
    public static Path scratch(String name) throws IOException {
        Path d = Path.of("target", "format-tests", name).toAbsolutePath();
        if (Files.exists(d)) {
            try (var s = Files.walk(d)) {
                List<Path> all = new ArrayList<>(s.toList());
                java.util.Collections.reverse(all);
                for (Path p : all) {
                    Files.delete(p);
                }
            }
        }
        Files.createDirectories(d);
        return d;
    }

    /**
     * A raw disk of {@code size} bytes: zeros, with seeded random data at a few known offsets (start, an unaligned
     * run, a 128 KiB run in the middle, the last 4 KiB).
     */
    public static Path rawDisk(Path dir, String name, long size, long seed) throws IOException {
        Path p = dir.resolve(name);
        Random r = new Random(seed);
        try (var ch = java.nio.channels.FileChannel.open(
                p, java.nio.file.StandardOpenOption.CREATE_NEW, java.nio.file.StandardOpenOption.WRITE)) {
            long[][] runs = {{0, 65536}, {(1 << 20) + 100, 5000}, {3L << 20, 128 << 10}, {size - 4096, 4096}};
            for (long[] run : runs) {
                long off = Math.max(0, Math.min(run[0], size - 1));
                int len = (int) Math.min(run[1], size - off);
                byte[] b = new byte[len];
                r.nextBytes(b);
                ch.write(java.nio.ByteBuffer.wrap(b), off);
            }
            if (ch.size() < size) {
                ch.write(java.nio.ByteBuffer.allocate(1), size - 1);
            }
        }
        return p;
    }

    /** {@code "virtual-size": N} from {@code qemu-img info --output=json}. */
    public static long qemuVirtualSize(String json) {
        var m = java.util.regex.Pattern.compile("\"virtual-size\":\\s*(\\d+)").matcher(json);
        if (!m.find()) {
            throw new AssertionError("no virtual-size in " + json);
        }
        return Long.parseLong(m.group(1));
    }

    public static String qemuFormat(String json) {
        var m = java.util.regex.Pattern.compile("\"format\":\\s*\"([^\"]+)\"").matcher(json);
        if (!m.find()) {
            throw new AssertionError("no format in " + json);
        }
        return m.group(1);
    }
}
