package dev.linuximage.core.guestfs;

/**
 * One change made (or, in a dry run, that would be made) to a guest: by a patch for a requirement (what the report's
 * {@code changes} lists), or by a direct file operation recorded by the storage engine ({@code guest put|rm}).
 *
 * @param requirement the requirement ID the change serves (e.g. {@code SWAP-OS-DISK}); empty for a direct file
 *                    operation
 * @param path        the guest path
 * @param action      what was done
 * @param before      a patch's text edit: the lines removed (secrets redacted), otherwise a short description or
 *                    null; a file operation: SHA-256 (lower-case hex) of the old content, or empty
 * @param after       a patch's text edit: the lines added (secrets redacted); for symlinks the target; or null; a
 *                    file operation: SHA-256 (lower-case hex) of the new content, or empty
 * @param diff        a file operation's line diff ({@link LineDiff#hunks}) or description ({@code mode 0644 -> 0600},
 *                    {@code -> target}); empty for a patch's change (its lines are in before/after)
 * @param applied     false when recorded in a dry run
 */
public record Change(
        String requirement, String path, Action action, String before, String after, String diff, boolean applied) {

    public enum Action {
        Created,
        Modified,
        Deleted,
        Symlinked,
        ModeChanged,
        DirCreated
    }

    /** A change a patch made for {@code requirement}. */
    public Change(String requirement, String path, Action action, String before, String after) {
        this(requirement, path, action, before, after, "", true);
    }

    /** A direct file operation ({@code before}/{@code after} are SHA-256 hex or empty). */
    static Change ofFile(String path, Action action, String beforeSha, String afterSha, String diff, boolean applied) {
        return new Change("", path, action, beforeSha, afterSha, diff, applied);
    }

    /** The verb of the {@code guest} commands' change lines: create, modify, delete, symlink, chmod, mkdir. */
    public String operation() {
        return switch (action) {
            case Created -> "create";
            case Modified -> "modify";
            case Deleted -> "delete";
            case Symlinked -> "symlink";
            case ModeChanged -> "chmod";
            case DirCreated -> "mkdir";
        };
    }
}
