package dev.linuximage.core.guestfs;

/**
 * How a guest is opened.
 *
 * @param writable     false = audit: every mutator throws {@link ReadOnlyGuestException}
 * @param dryRun       record changes in the {@link ChangeLog} without writing the disk (reads in the same session see
 *                     the recorded file contents and deletions)
 * @param readCapBytes largest file {@code read} returns, in bytes
 */
public record GuestOptions(boolean writable, boolean dryRun, long readCapBytes) {
    public static final long DEFAULT_READ_CAP = 64L << 20;

    public static GuestOptions readOnly() {
        return new GuestOptions(false, false, DEFAULT_READ_CAP);
    }

    public static GuestOptions readWrite() {
        return new GuestOptions(true, false, DEFAULT_READ_CAP);
    }

    public static GuestOptions dryRunOptions() {
        return new GuestOptions(true, true, DEFAULT_READ_CAP);
    }

    public GuestOptions withReadCap(long bytes) {
        return new GuestOptions(writable, dryRun, bytes);
    }
}
