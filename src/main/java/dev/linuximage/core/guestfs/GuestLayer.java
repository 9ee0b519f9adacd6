package dev.linuximage.core.guestfs;

import dev.linuximage.core.fs.GuestFiles;
import java.io.IOException;
import java.io.OutputStream;

/**
 * The writing API the layers of a {@link GuestDisk} stack share: {@link GuestFiles} plus the two streaming reads of
 * {@code guest cat} and {@code guest ls}, so that the dry-run and recording decorators can wrap every operation.
 */
interface GuestLayer extends GuestFiles {
    /** As {@link GuestDisk#copyTo(String, OutputStream)}. */
    long copyTo(String path, OutputStream out) throws IOException;

    /** As {@link GuestDisk#list(String, boolean, GuestDisk.EntryVisitor)}. */
    void list(String path, boolean details, GuestDisk.EntryVisitor visitor) throws IOException;
}
