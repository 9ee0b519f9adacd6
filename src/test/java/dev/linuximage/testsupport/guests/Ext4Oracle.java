package dev.linuximage.testsupport.guests;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Reads and checks an ext2/3/4 file system inside a raw disk or a fixed VHD with the real e2fsprogs, without
 * extracting the partition: e2fsprogs' unix I/O manager takes {@code image?offset=BYTES}. (A qcow2 must be
 * converted to raw first, e.g. with {@code qemu-img convert -O raw}.)
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
        return Tools.run(TIMEOUT, "e2fsck", "-fn", device(image, offsetBytes)).output();
    }

    /** Whether {@code guestPath} exists (any file type, symlinks not followed), per debugfs. */
    public static boolean exists(Path image, long offsetBytes, String guestPath) {
        Tools.Result r = Tools.exec(TIMEOUT, "debugfs", "-R", "stat \"" + guestPath + "\"", device(image, offsetBytes));
        if (r.output().contains("File not found by ext2_lookup")) {
            return false;
        }
        if (r.output().contains("Inode:")) {
            return true;
        }
        throw new AssertionError("debugfs could not stat " + guestPath + ":\n" + r.output());
    }

    /** The bytes of a guest file, dumped by debugfs. Fails if it does not exist. */
    public static byte[] read(Path image, long offsetBytes, String guestPath) {
        Path out = null;
        try {
            out = Files.createTempFile(Tools.tempDir(), "debugfs-", ".dump");
            Files.delete(out);
            Tools.Result r = Tools.exec(
                    TIMEOUT, "debugfs", "-R", "dump \"" + guestPath + "\" " + out, device(image, offsetBytes));
            if (r.exitCode() != 0 || !Files.exists(out) || r.output().contains("File not found")) {
                throw new AssertionError("debugfs could not read " + guestPath + " from " + image + ":\n" + r.output());
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

    /** A guest text file (UTF-8). */
    public static String readString(Path image, long offsetBytes, String guestPath) {
        return new String(read(image, offsetBytes, guestPath), StandardCharsets.UTF_8);
    }

    /** Copies a guest file to {@code target} on the host. */
    public static Path dump(Path image, long offsetBytes, String guestPath, Path target) throws IOException {
        Files.write(target, read(image, offsetBytes, guestPath));
        return target;
    }
}
