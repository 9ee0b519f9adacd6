package dev.linuximage.testsupport.guests;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs external tools (the test oracles) with a time limit; a failure carries the tool's output. */
public final class Tools {
    public static final Duration MINUTE = Duration.ofMinutes(1);

    /** Exit code and merged stdout+stderr of a finished tool. */
    public record Result(List<String> command, int exitCode, String output) {
        public Result assertSuccess() {
            if (exitCode != 0) {
                throw new AssertionError(String.join(" ", command) + " exited " + exitCode + ":\n" + output);
            }
            return this;
        }
    }

    private Tools() {}

    /** Runs a command; fails (AssertionError) on a non-zero exit code or a timeout. */
    public static Result run(Duration timeout, String... command) {
        return exec(timeout, command).assertSuccess();
    }

    /** Runs a command and returns its result whatever the exit code; fails on a timeout or a missing tool. */
    public static Result exec(Duration timeout, String... command) {
        List<String> cmd = List.of(command);
        Path out = null;
        try {
            out = Files.createTempFile(tempDir(), "tool-", ".out");
            Process p = new ProcessBuilder(cmd)
                    .redirectErrorStream(true)
                    .redirectOutput(out.toFile())
                    .start();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
                throw new AssertionError(String.join(" ", cmd) + " did not finish within " + timeout + ":\n"
                        + Files.readString(out, StandardCharsets.ISO_8859_1));
            }
            return new Result(cmd, p.exitValue(), Files.readString(out, StandardCharsets.ISO_8859_1));
        } catch (IOException e) {
            throw new AssertionError(
                    "could not run " + String.join(" ", cmd)
                            + " (is the tool installed? scripts/setup.sh installs it): " + e.getMessage(),
                    e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while running " + String.join(" ", cmd), e);
        } finally {
            if (out != null) {
                try {
                    Files.deleteIfExists(out);
                } catch (IOException ignored) {
                    // best effort: it lives under target/
                }
            }
        }
    }

    /** The project's {@code target/} directory (Maven runs the tests with the project directory as cwd). */
    public static Path targetDir() {
        return Path.of(System.getProperty("basedir", System.getProperty("user.dir")))
                .toAbsolutePath()
                .resolve("target");
    }

    /**
     * Frees the disk space of a test's work directory once it is judged: deletes every file in it but the small
     * reports ({@code *.json}, {@code *.log}, {@code *.txt}), so that the guest pass needs room for one variant's
     * outputs at a time, not for all of them. {@code -Dlinuximage.guests.keep=true} keeps everything (debugging).
     */
    public static void releaseOutputs(Path dir) {
        if (Boolean.getBoolean("linuximage.guests.keep") || !Files.isDirectory(dir)) {
            return;
        }
        try (var files = Files.walk(dir)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                String name = f.getFileName().toString();
                if (!name.endsWith(".json") && !name.endsWith(".log") && !name.endsWith(".txt")) {
                    Files.delete(f);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not release the outputs in " + dir, e);
        }
    }

    static Path tempDir() {
        Path dir = targetDir().resolve("guests").resolve("tmp");
        try {
            return Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
