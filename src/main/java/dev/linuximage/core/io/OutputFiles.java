package dev.linuximage.core.io;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * The one way an output file is published whole: it is written under a temporary name in the target's directory
 * ({@link Pending}, mode 0600 while partial), then renamed over the target with mode 0644. {@link #write} does that
 * for a small file (a report, a listing, a state file) without ever replacing what the path names when that is not
 * a plain file: {@code /dev/stdout}, a terminal, a FIFO or a process substitution are written through, and a symbolic
 * link keeps pointing where it pointed (the file it names is replaced, not the link).
 */
public final class OutputFiles {
    private OutputFiles() {}

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
        try (Pending p = pending(real)) {
            Files.write(p.path(), data, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
            p.commit();
        }
    }

    /** Starts writing {@code target} under a temporary name beside it; nothing is at {@code target} until commit. */
    public static Pending pending(Path target) throws IOException {
        return new Pending(target);
    }

    /**
     * Removes the partial files an earlier writer of {@code target} left behind when it was SIGKILLed (no shutdown
     * hook ran), so a re-run on the same volume does not need room for two copies. Only for callers that own the
     * target (one {@code prepare} Job per output): a concurrent writer of the same target would lose its file.
     *
     * @return how many were removed
     */
    public static int removeStalePartials(Path target) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        String prefix = "." + target.getFileName() + ".";
        int n = 0;
        try (java.nio.file.DirectoryStream<Path> ds = Files.newDirectoryStream(dir, p -> {
            String name = p.getFileName().toString();
            return name.startsWith(prefix) && name.endsWith(".partial") && Files.isRegularFile(p);
        })) {
            for (Path p : ds) {
                if (Files.deleteIfExists(p)) {
                    n++;
                }
            }
        }
        return n;
    }

    /**
     * An output file being written under a temporary name ({@code .NAME.*.partial}) in the target's directory, so an
     * interrupted or failed run never leaves a half-written or half-edited file under the final name. A shutdown hook
     * removes it on SIGINT/SIGTERM; {@link #close()} removes it unless {@link #commit()} renamed it.
     */
    public static final class Pending implements java.io.Closeable {
        /** The committed file's mode: rw-r--r-- (0644). */
        public static final java.util.Set<java.nio.file.attribute.PosixFilePermission> PUBLISHED =
                java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--");

        private final Path target;
        private final Path tmp;
        private final Thread cleanup;
        private boolean committed;
        private boolean closed;
        long written; // set by SparseFileWriter

        private Pending(Path target) throws IOException {
            this.target = target;
            Path dir = target.toAbsolutePath().getParent();
            this.tmp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".partial");
            // SIGINT/SIGTERM: the JVM runs shutdown hooks; remove the partial file so nothing half-done is left
            this.cleanup = new Thread(
                    () -> {
                        try {
                            Files.deleteIfExists(tmp);
                        } catch (IOException ignored) {
                            // best effort while the JVM exits
                        }
                    },
                    "partial-output-cleanup");
            Runtime.getRuntime().addShutdownHook(cleanup);
        }

        /** The temporary file (same directory as the target, so the rename is atomic). */
        public Path path() {
            return tmp;
        }

        /** The final name. */
        public Path target() {
            return target;
        }

        /** Bytes of non-zero data a {@link SparseFileWriter} copy wrote (0 for other writers). */
        public long written() {
            return written;
        }

        /**
         * Renames the file to the target (atomically where the file system can, replacing an older target), readable
         * by all ({@link #PUBLISHED}). The caller has flushed and closed whatever it edited the file with.
         */
        public void commit() throws IOException {
            if (closed || committed) {
                throw new IllegalStateException("already " + (committed ? "committed" : "closed"));
            }
            // createTempFile made it 0600 (right while it is partial); the result is for the pods that consume it,
            // which usually run under another UID and share only the group (fsGroup) or nothing: 0644, as cp or
            // qemu-img would create it under the usual umask 022.
            try {
                Files.setPosixFilePermissions(tmp, PUBLISHED);
            } catch (UnsupportedOperationException notPosix) {
                // a file system without POSIX modes: nothing to widen
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            committed = true;
        }

        /** Removes the temporary file unless committed. */
        @Override
        public void close() throws IOException {
            if (closed) {
                return;
            }
            closed = true;
            try {
                if (!committed) {
                    Files.deleteIfExists(tmp);
                }
            } finally {
                try {
                    Runtime.getRuntime().removeShutdownHook(cleanup);
                } catch (IllegalStateException shuttingDown) {
                    // the hook is running or about to: it deletes the partial file
                }
            }
        }
    }
}
