package dev.linuximage.testsupport.initramfs;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Runs the real oracle tools; a missing tool fails the test with a clear message (never a silent skip). */
public final class Tools {
    private Tools() {}

    public record Result(int exit, byte[] stdout, String stderr) {
        public String out() {
            return new String(stdout, java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    public static void require(String... tools) {
        for (String t : tools) {
            boolean found = false;
            for (String dir :
                    System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
                if (new File(dir, t).canExecute()) {
                    found = true;
                }
            }
            for (String dir : List.of("/usr/sbin", "/sbin")) {
                if (new File(dir, t).canExecute()) {
                    found = true;
                }
            }
            if (!found) {
                throw new AssertionError("required tool '" + t + "' is not installed (scripts/setup.sh installs it)");
            }
        }
    }

    /** Runs {@code sh -c script} in {@code dir}; stdin from {@code input} (may be null). */
    public static Result sh(Path dir, String script, byte[] input) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder("sh", "-c", script).directory(dir.toFile());
        pb.environment().put("PATH", "/usr/sbin:/sbin:" + System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
        pb.environment().put("LC_ALL", "C");
        Process p = pb.start();
        Thread writer = new Thread(() -> {
            try (var os = p.getOutputStream()) {
                if (input != null) {
                    os.write(input);
                }
            } catch (IOException ignored) {
                // the tool may close stdin early
            }
        });
        writer.start();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Thread errReader = new Thread(() -> {
            try (InputStream es = p.getErrorStream()) {
                es.transferTo(err);
            } catch (IOException ignored) {
                // process ended
            }
        });
        errReader.start();
        byte[] out = p.getInputStream().readAllBytes();
        int rc = p.waitFor();
        writer.join();
        errReader.join();
        return new Result(rc, out, err.toString(java.nio.charset.StandardCharsets.UTF_8));
    }

    /** Like {@link #sh} but fails on a non-zero exit. */
    public static Result shOk(Path dir, String script) throws IOException, InterruptedException {
        Result r = sh(dir, script, null);
        if (r.exit != 0) {
            throw new AssertionError("command failed (" + r.exit + "): " + script + "\n" + r.stderr);
        }
        return r;
    }

    public static byte[] read(Path p) throws IOException {
        return Files.readAllBytes(p);
    }
}
