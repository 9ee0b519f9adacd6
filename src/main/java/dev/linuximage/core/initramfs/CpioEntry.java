package dev.linuximage.core.initramfs;

/**
 * One entry of a newc/crc cpio archive inside an initramfs member.
 *
 * @param member        0-based index of the concatenated member that holds the entry
 * @param compression   encoding of that member
 * @param name          the name as stored (without the terminating NUL)
 * @param path          the name normalised: leading {@code ./} and {@code /} removed, {@code .} becomes the empty
 *                      string (the archive root)
 * @param mode          full {@code st_mode} (type bits {@code 0170000} and permission bits {@code 07777})
 * @param size          body size in bytes ({@code c_filesize})
 * @param linkTarget    for a symlink, its target (the body); otherwise {@code null}
 */
public record CpioEntry(
        int member,
        Compression compression,
        String name,
        String path,
        int mode,
        int uid,
        int gid,
        int nlink,
        long mtime,
        long size,
        long ino,
        int devMajor,
        int devMinor,
        int rdevMajor,
        int rdevMinor,
        String linkTarget) {

    public static final int S_IFMT = 0170000;
    public static final int S_IFREG = 0100000;
    public static final int S_IFDIR = 0040000;
    public static final int S_IFLNK = 0120000;

    public boolean isRegular() {
        return (mode & S_IFMT) == S_IFREG;
    }

    public boolean isDirectory() {
        return (mode & S_IFMT) == S_IFDIR;
    }

    public boolean isSymlink() {
        return (mode & S_IFMT) == S_IFLNK;
    }

    /** {@code ls -l}-style type letter: {@code -}, {@code d}, {@code l}, {@code c}, {@code b}, {@code p}, {@code s}. */
    public char typeLetter() {
        return switch (mode & S_IFMT) {
            case S_IFREG -> '-';
            case S_IFDIR -> 'd';
            case S_IFLNK -> 'l';
            case 0020000 -> 'c';
            case 0060000 -> 'b';
            case 0010000 -> 'p';
            case 0140000 -> 's';
            default -> '?';
        };
    }

    /** Normalises a stored cpio name to a path relative to the archive root. */
    public static String normalise(String name) {
        String p = name;
        boolean changed = true;
        while (changed) {
            changed = false;
            if (p.startsWith("./")) {
                p = p.substring(2);
                changed = true;
            } else if (p.startsWith("/")) {
                p = p.substring(1);
                changed = true;
            }
        }
        if (p.equals(".")) {
            return "";
        }
        while (p.endsWith("/")) {
            p = p.substring(0, p.length() - 1);
        }
        return p;
    }
}
