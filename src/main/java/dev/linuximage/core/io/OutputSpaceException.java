package dev.linuximage.core.io;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The file system that receives an output filled up ({@code ENOSPC} or {@code EDQUOT}): a PVC too small for the
 * image's data, a quota, a full node disk. The partial output has been removed; freeing space (or a larger volume)
 * and running again is the fix, so the message says how much was written and how much is free.
 */
public class OutputSpaceException extends IOException {
    private final long written;

    public OutputSpaceException(Path target, long written, long free, long dataBytes, IOException cause) {
        super(message(target, written, free, dataBytes), cause);
        this.written = written;
    }

    private static String message(Path target, long written, long free, long dataBytes) {
        Path dir = target.toAbsolutePath().getParent();
        return "no space left for the output " + target + ": the file system of " + dir + " filled up after "
                + mib(written) + " MiB of data were written ("
                + (free >= 0 ? mib(free) + " MiB free once the partial file was removed" : "free space unknown")
                + (dataBytes >= 0 ? "; the image has up to " + mib(dataBytes) + " MiB of data" : "")
                + "); free space or use a larger volume and run again";
    }

    private static long mib(long bytes) {
        return bytes >> 20;
    }

    /** Bytes of data written before the file system filled up. */
    public long written() {
        return written;
    }

    /** Whether {@code e}, or an exception it wraps, reports a full file system or an exceeded quota. */
    public static boolean isNoSpace(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof OutputSpaceException) {
                return true;
            }
            String m = t.getMessage();
            if (t instanceof IOException
                    && m != null
                    && (m.contains("No space left on device") || m.contains("Disk quota exceeded"))) {
                return true;
            }
        }
        return false;
    }
}
