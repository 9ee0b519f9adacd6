package dev.linuximage.testsupport.initramfs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A real Debian bookworm kernel package, downloaded once with {@code apt-get download} (not installed) and unpacked
 * with {@code dpkg-deb -x}, cached under {@code target/kernel/}. Recipe: {@code src/test/fixtures/kernel.sh}.
 */
public final class KernelFixture {
    private static Path root;
    private static String version;

    private KernelFixture() {}

    /** The unpacked package root (has {@code boot/} and {@code lib/modules/<version>/}). */
    public static synchronized Path root() throws IOException, InterruptedException {
        if (root == null) {
            Tools.require("apt-get", "dpkg-deb");
            Path target = Path.of("target/kernel").toAbsolutePath();
            Files.createDirectories(target);
            Tools.Result r = Tools.sh(Path.of("."), "sh src/test/fixtures/kernel.sh " + target, null);
            if (r.exit() != 0) {
                throw new AssertionError("cannot fetch/unpack the Debian kernel package (apt-get download "
                        + "linux-image-amd64's dependency): " + r.stderr());
            }
            version = r.out().strip();
            root = target.resolve("root");
        }
        return root;
    }

    public static synchronized String version() throws IOException, InterruptedException {
        root();
        return version;
    }

    public static Path modules() throws IOException, InterruptedException {
        return root().resolve("lib/modules/" + version());
    }
}
