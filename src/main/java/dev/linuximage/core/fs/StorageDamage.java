package dev.linuximage.core.fs;

import dev.linuximage.core.fs.ext4.Ext4CorruptException;
import dev.linuximage.core.fs.fat.FatCorruptException;
import dev.linuximage.core.fs.xfs.XfsCorruptException;
import dev.linuximage.core.report.BadInputException;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Tells a damaged file system apart from a bad guest file. Layers that degrade per item on a bad file (a hostile
 * initramfs makes one kernel Unknown, a patch that cannot be applied becomes a report error) must not degrade on a
 * damaged directory, inode, free-space header or FAT chain under the guest's files: that is the disk's corruption
 * and ends the command with exit 3 (issue 13), whatever item happened to hit it first.
 */
public final class StorageDamage {
    private StorageDamage() {}

    /** The first file-system corruption error in {@code t}'s cause chain (bounded), or null. */
    public static BadInputException in(Throwable t) {
        int depth = 0;
        for (Throwable c = t; c != null && depth < 32; c = c.getCause(), depth++) {
            if (c instanceof XfsCorruptException
                    || c instanceof FatCorruptException
                    || c instanceof Ext4CorruptException) {
                return (BadInputException) c;
            }
        }
        return null;
    }

    /** Rethrows {@code t} (unchecked, cause kept) when it carries file-system corruption; returns otherwise. */
    public static void rethrow(Throwable t) {
        if (in(t) == null) {
            return;
        }
        if (t instanceof RuntimeException r) {
            throw r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        throw new UncheckedIOException(t.getMessage(), t instanceof IOException io ? io : new IOException(t));
    }
}
