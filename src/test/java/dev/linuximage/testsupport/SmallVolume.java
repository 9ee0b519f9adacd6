package dev.linuximage.testsupport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A real, small file system (tmpfs of a given size, mounted on a fresh directory) for tests of what happens when
 * an output does not fit: writes past its size fail with the kernel's own ENOSPC. Needs root, like the XFS
 * kernel-mount tests (CI runs as root).
 */
public final class SmallVolume implements AutoCloseable {
    private final Path dir;

    private SmallVolume(Path dir) {
        this.dir = dir;
    }

    /** Mounts a tmpfs of {@code bytes} (rounded up to pages by the kernel) on {@code parent/volume}. */
    public static SmallVolume mount(Path parent, long bytes) throws IOException {
        Path dir = Files.createDirectories(parent.resolve("volume"));
        Tools.command("mount", "-t", "tmpfs", "-o", "size=" + bytes + ",mode=0755", "linuximage-test", dir.toString())
                .timeout(Tools.MINUTE)
                .mergeStderr()
                .run();
        return new SmallVolume(dir);
    }

    public Path dir() {
        return dir;
    }

    @Override
    public void close() {
        Tools.command("umount", dir.toString())
                .timeout(Tools.MINUTE)
                .mergeStderr()
                .run();
    }
}
