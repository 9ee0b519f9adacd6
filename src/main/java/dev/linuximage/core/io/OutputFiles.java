package dev.linuximage.core.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Writes a small output file (a report, a listing) so that a reader never sees half of it, without ever replacing
 * what the path names when that is not a plain file: {@code /dev/stdout}, a terminal, a FIFO or a process
 * substitution are written through, and a symbolic link keeps pointing where it pointed (the file it names is
 * replaced, not the link).
 */
public final class OutputFiles {
    private OutputFiles() {
    }

    public static void write(Path target, byte[] data) throws IOException {
        if (Files.isSymbolicLink(target) && !Files.exists(target)) {
            Files.write(target, data); // a dangling link: create the file it names, keep the link
            return;
        }
        if (Files.exists(target) && !Files.isRegularFile(target)) {
            // a device, FIFO or socket (also behind a link such as /dev/stdout -> /proc/self/fd/1): a rename would
            // replace the device node or the link by a plain file, and on /dev/stdout lose the output
            if (Files.isDirectory(target)) {
                throw new IOException(target + " is a directory");
            }
            Files.write(target, data, StandardOpenOption.WRITE);
            return;
        }
        Path real = Files.exists(target) ? target.toRealPath() : target.toAbsolutePath();
        Path tmp = real.resolveSibling("." + real.getFileName() + ".tmp");
        try {
            Files.write(tmp, data);
            Files.move(tmp, real, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
