package dev.linuximage.core.guest;

import dev.linuximage.core.fs.GuestFiles;
import dev.linuximage.core.fs.GuestPathException;
import dev.linuximage.core.report.BadInputException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Convenience reads over {@link GuestFiles} for inspection and checks: absent files are empty results, text files
 * are capped (configuration files are small; a huge one is hostile or not what we look for).
 *
 * <p>"Absent" means what it means to the guest's own programs: no such file, or a path the guest's kernel would not
 * resolve either (a symlink loop, a non-directory in the middle: ENOENT, ELOOP, ENOTDIR). A file system that cannot
 * be read — a damaged directory block, inode or FAT chain, a feature we do not read, an I/O error — is not an absent
 * file: it is thrown as an {@link UncheckedIOException} around the typed error (issue 13), so a check never passes or
 * fails a requirement on a file nobody could read; {@code ExitCodes.of} finds the bad-input error in the cause chain
 * (exit 3 for corruption).
 */
public final class GuestReader {
    /** Configuration texts larger than this are not read (bytes). */
    public static final int TEXT_CAP = 4 << 20;

    private final GuestFiles files;

    public GuestReader(GuestFiles files) {
        this.files = files;
    }

    public GuestFiles files() {
        return files;
    }

    public Optional<GuestFiles.FileInfo> stat(String path) {
        try {
            return files.stat(path);
        } catch (IOException e) {
            return absent(e, Optional.empty());
        }
    }

    public Optional<GuestFiles.FileInfo> lstat(String path) {
        try {
            return files.lstat(path);
        } catch (IOException e) {
            return absent(e, Optional.empty());
        }
    }

    public boolean exists(String path) {
        return lstat(path).isPresent();
    }

    public boolean isFile(String path) {
        return stat(path).map(i -> i.type() == GuestFiles.Type.FILE).orElse(false);
    }

    public boolean isDir(String path) {
        return stat(path).map(i -> i.type() == GuestFiles.Type.DIRECTORY).orElse(false);
    }

    public boolean isSymlink(String path) {
        return lstat(path).map(i -> i.type() == GuestFiles.Type.SYMLINK).orElse(false);
    }

    /** The text of a regular file (UTF-8, malformed bytes replaced), empty when absent, not a file or too big. */
    public Optional<String> text(String path) {
        Optional<GuestFiles.FileInfo> st = stat(path);
        if (st.isEmpty() || st.get().type() != GuestFiles.Type.FILE || st.get().size() > TEXT_CAP) {
            return Optional.empty();
        }
        try {
            return Optional.of(new String(files.read(path), StandardCharsets.UTF_8));
        } catch (IOException e) {
            return absent(e, Optional.empty());
        }
    }

    public Optional<String> readLink(String path) {
        try {
            return isSymlink(path) ? Optional.of(files.readLink(path)) : Optional.empty();
        } catch (IOException e) {
            return absent(e, Optional.empty());
        }
    }

    /** Entries of a directory, empty when absent or unreadable. */
    public List<GuestFiles.DirEntry> list(String dir) {
        if (!isDir(dir)) {
            return List.of();
        }
        try {
            return files.list(dir);
        } catch (IOException e) {
            return absent(e, List.of());
        }
    }

    /**
     * {@code empty} when {@code e} says the path does not resolve for the guest either; otherwise the file system
     * could not be read and the error is thrown (see the class comment).
     */
    private static <T> T absent(IOException e, T empty) {
        if (e instanceof NoSuchFileException
                || (e instanceof GuestPathException p && p.reason() == BadInputException.Reason.UNSUPPORTED_IMAGE)) {
            return empty;
        }
        throw new UncheckedIOException(e.getMessage(), e);
    }

    /** Full paths of the entries of {@code dir} whose names match, in name order. */
    public List<String> paths(String dir, Predicate<String> name) {
        List<String> out = new ArrayList<>();
        for (GuestFiles.DirEntry e : list(dir)) {
            if (name.test(e.name())) {
                out.add(join(dir, e.name()));
            }
        }
        return out;
    }

    public static String join(String dir, String name) {
        return dir.endsWith("/") ? dir + name : dir + "/" + name;
    }

    public static String baseName(String path) {
        int i = path.lastIndexOf('/');
        return i < 0 ? path : path.substring(i + 1);
    }

    /** Splits text into lines without their terminators (a final newline does not add an empty line). */
    public static List<String> lines(String text) {
        List<String> out = new ArrayList<>(List.of(text.split("\n", -1)));
        if (!out.isEmpty() && out.get(out.size() - 1).isEmpty()) {
            out.remove(out.size() - 1);
        }
        return out;
    }
}
