package dev.linuximage.core.fs;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Optional;

/**
 * One file system (ext2/3/4, XFS, FAT) over a byte source, addressed by nodes, not paths: the guest-level resolver
 * ({@link GuestFiles} implementation) walks components itself so that symlinks and mount points are resolved in the
 * guest's namespace and never escape it. Names are single path components (no {@code /}).
 *
 * <p>Writers keep every on-disk structure consistent or refuse the operation with
 * {@link UnsupportedFsFeatureException} before touching the disk.
 */
public interface FileSystem extends Closeable {

    /** {@code ext2}, {@code ext3}, {@code ext4}, {@code xfs}, {@code vfat}. */
    String type();

    /** Volume label, or empty string. */
    String label();

    /** Volume UUID as written by blkid (lower-case, dashed for ext/XFS; {@code XXXX-XXXX} for FAT). */
    String uuid();

    /** Size in bytes of the file system. */
    long totalBytes();

    /** Free bytes. */
    long freeBytes();

    /**
     * The largest file size (bytes) this file system's format and geometry can represent: a larger inode size is
     * corrupt. The default (no tighter format limit known, e.g. XFS: {@code 2^63 - 1}) is {@link Long#MAX_VALUE}.
     */
    default long maxFileBytes() {
        return Long.MAX_VALUE;
    }

    Node root() throws IOException;

    /** Looks up {@code name} in directory {@code dir}; empty when absent. Does not follow symlinks. */
    Optional<Node> lookup(Node dir, String name) throws IOException;

    /** Directory entries without {@code .} and {@code ..}. */
    List<Entry> list(Node dir) throws IOException;

    /**
     * Visits the entries of {@code dir} (without {@code .} and {@code ..}) in on-disk order, one at a time, until the
     * visitor returns false. Implementations stream: memory stays bounded by one directory block whatever the number
     * of entries (the default, for file systems whose directories are small by format, collects {@link #list}).
     */
    default void forEachEntry(Node dir, EntryVisitor visitor) throws IOException {
        for (Entry e : list(dir)) {
            if (!visitor.visit(e)) {
                return;
            }
        }
    }

    /**
     * The node an entry of {@code dir} (as given by {@link #forEachEntry} or {@link #list}) names, not followed: by
     * its id where the file system can read a node directly (one inode read), else by name ({@link #lookup}).
     */
    default Optional<Node> node(Node dir, Entry entry) throws IOException {
        return lookup(dir, entry.name());
    }

    /** Receives directory entries; returns false to stop. */
    @FunctionalInterface
    interface EntryVisitor {
        boolean visit(Entry entry) throws IOException;
    }

    /** Reads file bytes at {@code offset} (bytes) into {@code dst}; returns bytes read, -1 at end of file. */
    int read(Node file, long offset, ByteBuffer dst) throws IOException;

    /** Target of a symlink, as stored. */
    String readLink(Node symlink) throws IOException;

    /** False when opened read-only or when a feature forbids writing (then every mutator throws). */
    boolean writable();

    /** Replaces the whole content of a regular file, keeping inode, mode, owner, link count and xattrs. */
    void replaceContent(Node file, byte[] content) throws IOException;

    Node createFile(Node dir, String name, int mode, int uid, int gid, byte[] content) throws IOException;

    Node mkdir(Node dir, String name, int mode, int uid, int gid) throws IOException;

    Node symlink(Node dir, String name, String target, int uid, int gid) throws IOException;

    /** Removes a file, symlink or empty directory entry (freeing the inode when its last link goes). */
    void unlink(Node dir, String name) throws IOException;

    void rename(Node fromDir, String fromName, Node toDir, String toName) throws IOException;

    /** Sets any non-null attribute: permission bits {@code 07777}, owner, mtime (seconds since the epoch). */
    void setAttributes(Node node, Integer mode, Integer uid, Integer gid, Long mtime) throws IOException;

    /** Writes back pending metadata (superblock counters, ...) and flushes the device. */
    void flush() throws IOException;

    /**
     * A file-system object.
     *
     * @param id    inode number (ext, XFS) or a stable per-open id (FAT)
     * @param size  bytes
     * @param mode  permission bits {@code 07777}
     * @param mtime seconds since the epoch
     */
    record Node(long id, GuestFiles.Type type, long size, int mode, int uid, int gid, long mtime, int links) {}

    record Entry(String name, long id, GuestFiles.Type type) {}
}
