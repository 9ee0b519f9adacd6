package dev.linuximage.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Builds, reads and checks ext2/3/4 file systems with the real e2fsprogs (mke2fs, e2fsck, debugfs), through {@link
 * Tools}. A file system is either a plain image ({@code fsImage}) or sits at {@code offsetBytes} inside a raw disk or a
 * fixed VHD, read in place: e2fsprogs' unix I/O manager takes {@code image?offset=BYTES}. (A qcow2 must be converted
 * to raw first, e.g. with {@code qemu-img convert -O raw}.)
 */
public final class Ext4Oracle {
    private static final Duration TIMEOUT = Duration.ofMinutes(3);

    private Ext4Oracle() {}

    private static String device(Path image, long offsetBytes) {
        if (offsetBytes < 0) {
            throw new IllegalArgumentException("negative offset " + offsetBytes);
        }
        return image.toAbsolutePath() + "?offset=" + offsetBytes;
    }

    /** {@code e2fsck -fn}: fails unless the file system is clean; returns e2fsck's output. */
    public static String assertClean(Path image, long offsetBytes) {
        return Tools.command("e2fsck", "-fn", device(image, offsetBytes))
                .timeout(TIMEOUT)
                .mergeStderr()
                .run()
                .out();
    }

    /** {@code e2fsck -fn} of a file-system image: fails unless it is clean. */
    public static String assertClean(Path fsImage) {
        return assertClean(fsImage, 0);
    }

    /** {@code e2fsck -fn} of a file-system image, whatever its verdict (exit 0 means clean). */
    public static Tools.Result fsck(Path fsImage) {
        return Tools.command("e2fsck", "-fn", fsImage.toString())
                .timeout(TIMEOUT)
                .exec();
    }

    /** Whether {@code guestPath} exists (any file type, symlinks not followed), per debugfs. */
    public static boolean exists(Path image, long offsetBytes, String guestPath) {
        Tools.Result r = Tools.command("debugfs", "-R", "stat \"" + guestPath + "\"", device(image, offsetBytes))
                .timeout(TIMEOUT)
                .mergeStderr()
                .exec();
        if (r.out().contains("File not found by ext2_lookup")) {
            return false;
        }
        if (r.out().contains("Inode:")) {
            return true;
        }
        throw new AssertionError("debugfs could not stat " + guestPath + ":\n" + r.out());
    }

    /** The bytes of a guest file, dumped by debugfs. Fails if it does not exist. */
    public static byte[] read(Path image, long offsetBytes, String guestPath) {
        Path out = null;
        try {
            out = Files.createTempFile(Tools.tempDir(), "debugfs-", ".dump");
            Files.delete(out);
            Tools.Result r = Tools.command(
                            "debugfs", "-R", "dump \"" + guestPath + "\" " + out, device(image, offsetBytes))
                    .timeout(TIMEOUT)
                    .mergeStderr()
                    .exec();
            if (r.exit() != 0 || !Files.exists(out) || r.out().contains("File not found")) {
                throw new AssertionError("debugfs could not read " + guestPath + " from " + image + ":\n" + r.out());
            }
            return Files.readAllBytes(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            if (out != null) {
                try {
                    Files.deleteIfExists(out);
                } catch (IOException ignored) {
                    // under target/
                }
            }
        }
    }

    /** The bytes of a file in a file-system image, dumped by debugfs. Fails if it does not exist. */
    public static byte[] read(Path fsImage, String path) {
        return read(fsImage, 0, path);
    }

    /** A guest text file (UTF-8). */
    public static String readString(Path image, long offsetBytes, String guestPath) {
        return new String(read(image, offsetBytes, guestPath), StandardCharsets.UTF_8);
    }

    /** Copies a guest file to {@code target} on the host. */
    public static Path dump(Path image, long offsetBytes, String guestPath, Path target) throws IOException {
        Files.write(target, read(image, offsetBytes, guestPath));
        return target;
    }

    /** {@code mke2fs -F -q -E root_owner=0:0 [opts] [-d tree] fsImage size}; fails unless it succeeds. */
    public static void mkfs(Path fsImage, String size, Path tree, String... opts) throws IOException {
        Files.deleteIfExists(fsImage);
        List<String> cmd = new ArrayList<>(List.of("mke2fs", "-F", "-q", "-E", "root_owner=0:0"));
        cmd.addAll(List.of(opts));
        if (tree != null) {
            cmd.add("-d");
            cmd.add(tree.toString());
        }
        cmd.add(fsImage.toString());
        cmd.add(size);
        Tools.command(cmd).timeout(TIMEOUT).run();
    }

    /**
     * Builds htree indexes the way a real system gets them: mke2fs -d writes linear directories, e2fsck -fD
     * re-indexes every directory of more than one block (exit 1 = "changes made" is expected).
     */
    public static void indexDirectories(Path fsImage) {
        Tools.Result r = Tools.command("e2fsck", "-fyD", fsImage.toString())
                .timeout(TIMEOUT)
                .exec();
        if (r.exit() > 1) {
            throw new AssertionError("e2fsck -fyD exit " + r.exit() + "\n" + r.out() + r.err());
        }
    }

    /** True when debugfs reports {@code path} as an htree-indexed directory (EXT4_INDEX_FL 0x1000). */
    public static boolean indexed(Path fsImage, String path) {
        var m = Pattern.compile("Flags: 0x([0-9a-f]+)")
                .matcher(debugfs(fsImage, "stat " + path).out());
        return m.find() && (Long.parseLong(m.group(1), 16) & 0x1000) != 0;
    }

    /** {@code debugfs -R request fsImage}, whatever the exit code (stdout and stderr apart). */
    public static Tools.Result debugfs(Path fsImage, String request) {
        return Tools.command("debugfs", "-R", request, fsImage.toString())
                .timeout(TIMEOUT)
                .exec();
    }

    /** debugfs with a flag (e.g. {@code -w} to write with debugfs itself, for fixture set-up). */
    public static Tools.Result debugfs(Path fsImage, String flag, String request) {
        return Tools.command("debugfs", flag, "-R", request, fsImage.toString())
                .timeout(TIMEOUT)
                .exec();
    }

    /** Parsed debugfs stat: mode (07777 bits), uid, gid, links, size in bytes, type word. */
    public record Stat(String type, int mode, int uid, int gid, int links, long size) {}

    public static Stat stat(Path fsImage, String path) {
        Tools.Result r = debugfs(fsImage, "stat \"" + path + "\"");
        String s = r.out();
        var type = Pattern.compile("Type: (\\w+)").matcher(s);
        var mode = Pattern.compile("Mode:\\s+(\\d+)").matcher(s);
        var user = Pattern.compile("User:\\s+(\\d+)\\s+Group:\\s+(\\d+)").matcher(s);
        var links = Pattern.compile("Links: (\\d+)").matcher(s);
        var size = Pattern.compile("Size: (\\d+)").matcher(s);
        if (!type.find() || !mode.find() || !user.find() || !links.find() || !size.find()) {
            throw new AssertionError("debugfs stat " + path + " unparsable:\n" + s + r.err());
        }
        return new Stat(
                type.group(1),
                Integer.parseInt(mode.group(1), 8),
                Integer.parseInt(user.group(1)),
                Integer.parseInt(user.group(2)),
                Integer.parseInt(links.group(1)),
                Long.parseLong(size.group(1)));
    }
}
