package dev.linuximage.core.guest;

import dev.linuximage.core.guestfs.Change;
import java.io.IOException;
import java.util.List;

/**
 * A repair below the file systems (the partition table), wired by the pipeline when the disk is writable: the guest
 * layer cannot reach those bytes. {@code prepare} applies it after the file patches and re-reads the disk facts.
 */
public interface DiskPatch {
    /**
     * Applies the disk-level repairs and returns the changes made (empty when nothing was needed).
     *
     * @throws IOException when the repair cannot be done; the affected finding keeps its status and the message
     *                     goes to the report's errors
     */
    List<Change> apply(GuestInspection guest, PatchOptions options) throws IOException;

    /** The disk facts as they are now (after {@link #apply}). */
    DiskFacts facts() throws IOException;
}
