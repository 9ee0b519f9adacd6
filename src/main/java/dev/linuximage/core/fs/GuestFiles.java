package dev.linuximage.core.fs;

import java.io.IOException;
import java.util.List;
import java.util.Optional;

/**
 * A Linux guest's file tree in the guest's own view: one namespace assembled from the guest's {@code /etc/fstab}
 * (root, {@code /boot}, {@code /boot/efi}, ...). Paths are absolute guest paths ({@code /etc/default/grub}).
 *
 * <p>Resolution never leaves the guest: {@code ..} stops at the guest root, absolute symlink targets are re-anchored
 * at the guest root, loops and over-long chains are errors ({@link GuestPathException}). Reads of files larger than
 * the configured cap fail instead of filling memory.
 *
 * <p>This is the API the patch and compliance layers use; the storage engine implements it over real file systems
 * (ext2/3/4, XFS, FAT), tests may implement it over a directory.
 */
public interface GuestFiles extends AutoCloseable {

    /** Metadata of the object at {@code path}, following symlinks (within the guest); empty if absent. */
    Optional<FileInfo> stat(String path) throws IOException;

    /** Metadata of the object at {@code path} itself (a symlink is reported as a symlink); empty if absent. */
    Optional<FileInfo> lstat(String path) throws IOException;

    /** The whole content of a regular file (symlinks followed). Fails if larger than the read cap. */
    byte[] read(String path) throws IOException;

    /** Entries of a directory (symlinks followed), without {@code .} and {@code ..}, in name order. */
    List<DirEntry> list(String path) throws IOException;

    /** The target of a symlink, as stored. */
    String readLink(String path) throws IOException;

    /**
     * Replaces the content of a regular file (symlinks followed), keeping its mode, owner, links and xattrs; or
     * creates it (parent must exist) with {@code 0644 root:root}.
     */
    void write(String path, byte[] content) throws IOException;

    /** Creates or replaces a regular file with the given mode ({@code 07777} bits), uid and gid. */
    void write(String path, byte[] content, int mode, int uid, int gid) throws IOException;

    /** Creates a directory and missing parents ({@code mode} for the ones created, root-owned). */
    void mkdirs(String path, int mode) throws IOException;

    /** Creates a symlink at {@code path} pointing to {@code target} (stored as given). */
    void symlink(String path, String target) throws IOException;

    /** Removes a file or symlink (not followed), or an empty directory. No error if absent: returns false. */
    boolean delete(String path) throws IOException;

    /** Sets permission bits ({@code 07777}). */
    void chmod(String path, int mode) throws IOException;

    /** True when opened read-only (audit): every mutator throws. */
    boolean readOnly();

    @Override
    void close() throws IOException;

    enum Type {
        FILE,
        DIRECTORY,
        SYMLINK,
        OTHER
    }

    /** @param size bytes; @param mode permission bits {@code 07777}; @param mtime seconds since the epoch */
    record FileInfo(String path, Type type, long size, int mode, int uid, int gid, long mtime) {}

    record DirEntry(String name, Type type) {}
}
