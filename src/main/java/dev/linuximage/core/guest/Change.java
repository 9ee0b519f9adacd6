package dev.linuximage.core.guest;

/**
 * One change a patch made to the guest.
 *
 * @param requirement the requirement ID the change serves (e.g. {@code SWAP-OS-DISK})
 * @param path        the guest path
 * @param action      what was done
 * @param before      for text edits, the lines removed (secrets redacted); otherwise a short description or null
 * @param after       for text edits, the lines added (secrets redacted); for symlinks the target; or null
 */
public record Change(String requirement, String path, Action action, String before, String after) {
    public enum Action { Created, Modified, Deleted, Symlinked, ModeChanged }
}
