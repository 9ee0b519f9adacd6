package dev.linuximage.core.fs;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the real oracle tools (mkfs.vfat, mtools, xfsprogs, sfdisk, sgdisk) for the storage tests. */
public final class Tools {
    private Tools() {}

    public record Result(int exit, String out, String err) {}

    /** Runs a command; fails the test with a clear message if the tool is missing or exits non-zero. */
    public static String run(String... cmd) throws IOException, InterruptedException {
        Result r = exec(null, cmd);
        if (r.exit() != 0) {
            throw new AssertionError(
                    String.join(" ", cmd) + " exited " + r.exit() + "\nstdout: " + r.out() + "\nstderr: " + r.err());
        }
        return r.out();
    }

    /** Runs a command with stdin; any exit code is returned (the caller asserts). */
    public static Result exec(byte[] stdin, String... cmd) throws IOException, InterruptedException {
        requireTool(cmd[0]);
        ProcessBuilder pb = new ProcessBuilder(List.of(cmd));
        pb.environment().put("MTOOLS_SKIP_CHECK", "1");
        pb.environment().put("LC_ALL", "C.UTF-8");
        Process p = pb.start();
        if (stdin != null) {
            p.getOutputStream().write(stdin);
        }
        p.getOutputStream().close();
        var out = p.getInputStream().readAllBytes();
        var err = p.getErrorStream().readAllBytes();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", cmd) + " timed out");
        }
        return new Result(
                p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
    }

    public static void requireTool(String name) {
        if (name.contains("/")) {
            return;
        }
        for (String dir : System.getenv()
                .getOrDefault("PATH", "")
                .concat(":/usr/sbin:/sbin")
                .split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, name))) {
                return;
            }
        }
        throw new AssertionError("required oracle tool '" + name + "' is not installed (scripts/setup.sh installs "
                + "it); this test does not skip");
    }

    /** A sparse file of {@code bytes}. */
    public static Path sparse(Path file, long bytes) throws IOException {
        try (var ch = java.nio.channels.FileChannel.open(
                file,
                java.nio.file.StandardOpenOption.CREATE,
                java.nio.file.StandardOpenOption.WRITE,
                java.nio.file.StandardOpenOption.TRUNCATE_EXISTING)) {
            ch.truncate(0);
            ch.write(java.nio.ByteBuffer.wrap(new byte[1]), bytes - 1);
        }
        return file;
    }
}
