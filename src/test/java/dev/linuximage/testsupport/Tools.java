package dev.linuximage.testsupport;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs the external tools the tests use as oracles (qemu-img, e2fsck, debugfs, sgdisk, xfs_db, cpio, ...) with a
 * time limit, capturing the exit code and the output. One runner for every test: a missing tool or a timeout fails
 * the test with the command and its output (never a silent skip).
 *
 * <p>Output goes to files under {@link #tempDir()} rather than pipes, so a tool writing a lot to one stream cannot
 * block on the other and the time limit holds even if the tool never closes its output. Stdin is empty unless
 * {@link Command#stdin} gives bytes. Environment: the test JVM's, with {@code LC_ALL=C.UTF-8} (tool messages in
 * English, file names as UTF-8), {@code MTOOLS_SKIP_CHECK=1} (mtools on images without a partition-table geometry)
 * and {@code /usr/sbin:/sbin} appended to {@code PATH} when absent (mke2fs, sgdisk, xfs_repair live there).
 */
public final class Tools {
    public static final Duration MINUTE = Duration.ofMinutes(1);

    /** The time limit when a command sets none. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(2);

    private Tools() {}

    /**
     * A finished tool: the command, its exit code, its stdout bytes and its stderr text (UTF-8). With {@link
     * Command#mergeStderr()} stderr is interleaved into stdout as a terminal shows it, and {@code err} is empty.
     */
    public record Result(List<String> command, int exit, byte[] stdout, String err) {
        /** Stdout as UTF-8 text. */
        public String out() {
            return new String(stdout, StandardCharsets.UTF_8);
        }

        /** Fails (AssertionError with the command and both streams) unless the exit code is 0. */
        public Result assertSuccess() {
            if (exit != 0) {
                throw new AssertionError(
                        String.join(" ", command) + " exited " + exit + "\nstdout: " + out() + "\nstderr: " + err);
            }
            return this;
        }
    }

    /** A command to run; every option has a default (cwd of the JVM, {@link #DEFAULT_TIMEOUT}, empty stdin). */
    public static final class Command {
        private final List<String> command;
        private Path dir;
        private byte[] stdin;
        private Duration timeout = DEFAULT_TIMEOUT;
        private boolean mergeStderr;
        private final Map<String, String> env = new LinkedHashMap<>();

        private Command(List<String> command) {
            if (command.isEmpty()) {
                throw new IllegalArgumentException("empty command");
            }
            this.command = List.copyOf(command);
        }

        /** Working directory of the tool. */
        public Command dir(Path dir) {
            this.dir = dir;
            return this;
        }

        /** Bytes fed to the tool's stdin ({@code null}: empty stdin). */
        public Command stdin(byte[] stdin) {
            this.stdin = stdin;
            return this;
        }

        public Command timeout(Duration timeout) {
            this.timeout = timeout;
            return this;
        }

        /** Stderr into the same stream as stdout, in write order ({@link Result#err()} is then empty). */
        public Command mergeStderr() {
            this.mergeStderr = true;
            return this;
        }

        /** Sets (overrides) one environment variable. */
        public Command env(String name, String value) {
            env.put(name, value);
            return this;
        }

        /** Runs; fails (AssertionError) unless the exit code is 0. */
        public Result run() {
            return exec().assertSuccess();
        }

        /** Runs and returns the result whatever the exit code; fails on a timeout or a tool that cannot start. */
        public Result exec() {
            Path out = null;
            Path err = null;
            Path in = null;
            try {
                Path tmp = tempDir();
                out = Files.createTempFile(tmp, "tool-", ".out");
                ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(out.toFile());
                if (mergeStderr) {
                    pb.redirectErrorStream(true);
                } else {
                    err = Files.createTempFile(tmp, "tool-", ".err");
                    pb.redirectError(err.toFile());
                }
                if (stdin != null) {
                    in = Files.write(Files.createTempFile(tmp, "tool-", ".in"), stdin);
                    pb.redirectInput(in.toFile());
                } else {
                    pb.redirectInput(new File("/dev/null"));
                }
                if (dir != null) {
                    pb.directory(dir.toFile());
                }
                Map<String, String> e = pb.environment();
                e.put("LC_ALL", "C.UTF-8");
                e.put("MTOOLS_SKIP_CHECK", "1");
                e.put("PATH", withSbin(e.getOrDefault("PATH", "/usr/bin:/bin")));
                e.putAll(env);
                Process p;
                try {
                    p = pb.start();
                } catch (IOException ex) {
                    throw new AssertionError(
                            "could not run " + String.join(" ", command)
                                    + " (is the tool installed? scripts/setup.sh installs it): " + ex.getMessage(),
                            ex);
                }
                if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    p.descendants().forEach(ProcessHandle::destroyForcibly);
                    p.destroyForcibly();
                    p.waitFor(10, TimeUnit.SECONDS);
                    throw new AssertionError(String.join(" ", command) + " did not finish within " + timeout
                            + ":\n" + Files.readString(out, StandardCharsets.UTF_8)
                            + (err == null ? "" : Files.readString(err, StandardCharsets.UTF_8)));
                }
                return new Result(
                        command,
                        p.exitValue(),
                        Files.readAllBytes(out),
                        err == null ? "" : Files.readString(err, StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new UncheckedIOException("could not run " + String.join(" ", command), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while running " + String.join(" ", command), e);
            } finally {
                deleteQuietly(out);
                deleteQuietly(err);
                deleteQuietly(in);
            }
        }
    }

    /** A command to configure, then {@link Command#run()} or {@link Command#exec()}. */
    public static Command command(String... command) {
        return new Command(List.of(command));
    }

    public static Command command(List<String> command) {
        return new Command(command);
    }

    /** Runs with the defaults (separate stdout and stderr); fails unless the exit code is 0. */
    public static Result run(String... command) {
        return command(command).run();
    }

    /** Runs with the defaults (separate stdout and stderr) and returns the result whatever the exit code. */
    public static Result exec(String... command) {
        return command(command).exec();
    }

    /** {@code sh -c script} in {@code dir} with {@code LC_ALL=C}, stdin from {@code input} (may be null). */
    public static Result sh(Path dir, String script, byte[] input) {
        return shell(dir, script).stdin(input).exec();
    }

    /** Like {@link #sh} with empty stdin, failing on a non-zero exit. */
    public static Result shOk(Path dir, String script) {
        return shell(dir, script).run();
    }

    private static Command shell(Path dir, String script) {
        // the initramfs fixtures' scripts sort and list archives: the byte-order C locale, sbin tools first
        return command("sh", "-c", script)
                .dir(dir)
                .env("LC_ALL", "C")
                .env("PATH", "/usr/sbin:/sbin:" + System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
    }

    /** Fails (AssertionError) unless every tool is an executable on PATH, /usr/sbin or /sbin. */
    public static void require(String... tools) {
        for (String t : tools) {
            boolean found = t.contains("/") && new File(t).canExecute();
            for (String dir : withSbin(System.getenv().getOrDefault("PATH", "/usr/bin:/bin"))
                    .split(":")) {
                found |= !dir.isEmpty() && !t.contains("/") && new File(dir, t).canExecute();
            }
            if (!found) {
                throw new AssertionError("required oracle tool '" + t
                        + "' is not installed (scripts/setup.sh installs it); this test does not skip");
            }
        }
    }

    /** The project's {@code target/} directory (Maven runs the tests with the project directory as cwd). */
    public static Path targetDir() {
        return Path.of(System.getProperty("basedir", System.getProperty("user.dir")))
                .toAbsolutePath()
                .resolve("target");
    }

    /** Scratch space for tool output and temporary files: {@code target/tmp} (never a shared /tmp name). */
    public static Path tempDir() {
        try {
            return Files.createDirectories(targetDir().resolve("tmp"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A fresh, empty per-test work directory {@code target/<first>/<more...>} (emptied if it exists). */
    public static Path scratch(String first, String... more) throws IOException {
        Path d = targetDir().resolve(Path.of(first, more));
        if (Files.exists(d)) {
            try (var w = Files.walk(d)) {
                for (Path p : w.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
        return Files.createDirectories(d);
    }

    private static String withSbin(String path) {
        List<String> dirs = new ArrayList<>(List.of(path.split(":")));
        for (String sbin : List.of("/usr/sbin", "/sbin")) {
            if (!dirs.contains(sbin)) {
                dirs.add(sbin);
            }
        }
        return String.join(":", dirs);
    }

    private static void deleteQuietly(Path p) {
        if (p != null) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException ignored) {
                // best effort: it lives under target/
            }
        }
    }
}
