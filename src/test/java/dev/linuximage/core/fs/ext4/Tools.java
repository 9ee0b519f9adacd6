package dev.linuximage.core.fs.ext4;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the e2fsprogs oracles (mke2fs, e2fsck, debugfs). A missing tool fails the test, never skips it. */
final class Tools {
    record Result(int exit, byte[] stdout, String stderr) {
        String out() {
            return new String(stdout, StandardCharsets.UTF_8);
        }
    }

    private Tools() {}

    static Result run(List<String> cmd) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd);
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new AssertionError("oracle tool " + cmd.get(0) + " is not runnable (install e2fsprogs): " + e, e);
        }
        p.getOutputStream().close();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Thread te = new Thread(() -> copy(p.getErrorStream(), err));
        te.start();
        copy(p.getInputStream(), out);
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("timeout: " + cmd);
        }
        te.join();
        return new Result(p.exitValue(), out.toByteArray(), err.toString(StandardCharsets.UTF_8));
    }

    private static void copy(InputStream in, ByteArrayOutputStream out) {
        try (in) {
            in.transferTo(out);
        } catch (IOException e) {
            // process ended
        }
    }

    /** mke2fs -F -q [-d tree] img size with extra options; asserts success. */
    static void mkfs(Path img, String size, Path tree, String... opts) throws Exception {
        Files.deleteIfExists(img);
        List<String> cmd = new ArrayList<>(List.of("mke2fs", "-F", "-q", "-E", "root_owner=0:0"));
        cmd.addAll(List.of(opts));
        if (tree != null) {
            cmd.add("-d");
            cmd.add(tree.toString());
        }
        cmd.add(img.toString());
        cmd.add(size);
        Result r = run(cmd);
        if (r.exit() != 0) {
            throw new AssertionError("mke2fs failed: " + cmd + "\n" + r.out() + r.stderr());
        }
    }

    /**
     * Builds htree indexes the way a real system gets them: mke2fs -d writes linear directories, e2fsck -fD
     * re-indexes every directory of more than one block (exit 1 = "changes made" is expected).
     */
    static void indexDirectories(Path img) throws Exception {
        Result r = run(List.of("e2fsck", "-fyD", img.toString()));
        if (r.exit() > 1) {
            throw new AssertionError("e2fsck -fyD exit " + r.exit() + "\n" + r.out() + r.stderr());
        }
    }

    /** True when debugfs reports {@code path} as an htree-indexed directory (EXT4_INDEX_FL 0x1000). */
    static boolean indexed(Path img, String path) throws Exception {
        var m = java.util.regex.Pattern.compile("Flags: 0x([0-9a-f]+)")
                .matcher(debugfs(img, "stat " + path).out());
        return m.find() && (Long.parseLong(m.group(1), 16) & 0x1000) != 0;
    }

    /** e2fsck -fn: returns the result; exit 0 means clean. */
    static Result fsck(Path img) throws Exception {
        return run(List.of("e2fsck", "-fn", img.toString()));
    }

    static void assertClean(Path img) throws Exception {
        Result r = fsck(img);
        if (r.exit() != 0) {
            throw new AssertionError("e2fsck -fn " + img + " exit " + r.exit() + "\n" + r.out() + r.stderr());
        }
    }

    static Result debugfs(Path img, String request) throws Exception {
        return run(List.of("debugfs", "-R", request, img.toString()));
    }

    /** debugfs with a flag (e.g. {@code -w} to write with debugfs itself, for fixture set-up). */
    static Result debugfs(Path img, String flag, String request) throws Exception {
        return run(List.of("debugfs", flag, "-R", request, img.toString()));
    }

    static byte[] cat(Path img, String path) throws Exception {
        return debugfs(img, "cat \"" + path + "\"").stdout();
    }

    /** Parsed debugfs stat: mode (07777 bits), uid, gid, links, size, type word. */
    record Stat(String type, int mode, int uid, int gid, int links, long size) {}

    static Stat stat(Path img, String path) throws Exception {
        Result r = debugfs(img, "stat \"" + path + "\"");
        String s = r.out();
        var type = java.util.regex.Pattern.compile("Type: (\\w+)").matcher(s);
        var mode = java.util.regex.Pattern.compile("Mode:\\s+(\\d+)").matcher(s);
        var user = java.util.regex.Pattern.compile("User:\\s+(\\d+)\\s+Group:\\s+(\\d+)")
                .matcher(s);
        var links = java.util.regex.Pattern.compile("Links: (\\d+)").matcher(s);
        var size = java.util.regex.Pattern.compile("Size: (\\d+)").matcher(s);
        if (!type.find() || !mode.find() || !user.find() || !links.find() || !size.find()) {
            throw new AssertionError("debugfs stat " + path + " unparsable:\n" + s + r.stderr());
        }
        return new Stat(
                type.group(1),
                Integer.parseInt(mode.group(1), 8),
                Integer.parseInt(user.group(1)),
                Integer.parseInt(user.group(2)),
                Integer.parseInt(links.group(1)),
                Long.parseLong(size.group(1)));
    }

    /** A per-test work directory under target/ (never /tmp). */
    static Path workDir(String name) throws IOException {
        Path d = Path.of("target", "ext4-tests", name).toAbsolutePath();
        if (Files.exists(d)) {
            try (var w = Files.walk(d)) {
                w.sorted(java.util.Comparator.reverseOrder())
                        .forEach(p -> p.toFile().delete());
            }
        }
        Files.createDirectories(d);
        return d;
    }
}
