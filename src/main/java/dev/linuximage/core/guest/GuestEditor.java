package dev.linuximage.core.guest;

import dev.linuximage.core.fs.GuestFiles;
import dev.linuximage.core.guestfs.Change;
import dev.linuximage.core.guestfs.ChangeLog;
import dev.linuximage.core.guestfs.LineDiff;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The only way patches write to the guest: every mutation is a no-op when the guest already has the wanted state
 * (idempotence) and otherwise lands in the {@link ChangeLog} with a compact before/after (the lines removed and
 * added; password fields of {@code /etc/shadow} and {@code /etc/gshadow} redacted).
 */
public final class GuestEditor {
    /** Recursive deletes stop after this many entries: a guest tree is hostile input. */
    public static final int MAX_TREE_ENTRIES = 200_000;

    private static final int MAX_DEPTH = 64;
    private static final int MAX_DIFF_LINES = 40;
    private static final Set<String> REDACTED = Set.of("/etc/shadow", "/etc/gshadow", "/etc/shadow-", "/etc/gshadow-");

    private final GuestFiles files;
    private final GuestReader reader;
    private final ChangeLog log;

    public GuestEditor(GuestFiles files, ChangeLog log) {
        this.files = files;
        this.reader = new GuestReader(files);
        this.log = log;
    }

    public GuestReader reader() {
        return reader;
    }

    public ChangeLog log() {
        return log;
    }

    /** Replaces (keeping mode and owner) or creates ({@code 0644}, parents {@code 0755}) a text file. */
    public boolean writeText(String req, String path, String text) throws IOException {
        return writeText(req, path, text, 0644);
    }

    /** As {@link #writeText(String, String, String)}; a created file gets {@code mode}, an existing one keeps its own. */
    public boolean writeText(String req, String path, String text, int mode) throws IOException {
        Optional<String> old = reader.isFile(path) ? Optional.of(readAll(path)) : Optional.empty();
        if (old.isPresent() && old.get().equals(text)) {
            return false;
        }
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        if (old.isPresent()) {
            files.write(path, bytes);
            String[] d = diff(path, old.get(), text);
            log.add(new Change(req, path, Change.Action.Modified, d[0], d[1]));
        } else {
            ensureParent(path);
            files.write(path, bytes, mode, 0, 0);
            log.add(new Change(req, path, Change.Action.Created, null, excerpt(path, text)));
        }
        return true;
    }

    /** Writes raw bytes (same semantics as {@link #writeText}); before/after are sizes only. */
    public boolean writeBytes(String req, String path, byte[] content, int mode) throws IOException {
        boolean exists = reader.isFile(path);
        if (exists && java.util.Arrays.equals(files.read(path), content)) {
            return false;
        }
        if (exists) {
            files.write(path, content);
            log.add(new Change(req, path, Change.Action.Modified, null, content.length + " bytes"));
        } else {
            ensureParent(path);
            files.write(path, content, mode, 0, 0);
            log.add(new Change(req, path, Change.Action.Created, null, content.length + " bytes"));
        }
        return true;
    }

    public boolean chmod(String req, String path, int mode) throws IOException {
        Optional<GuestFiles.FileInfo> st = reader.stat(path);
        if (st.isEmpty() || st.get().mode() == mode) {
            return false;
        }
        files.chmod(path, mode);
        log.add(new Change(
                req,
                path,
                Change.Action.ModeChanged,
                Integer.toOctalString(st.get().mode()),
                Integer.toOctalString(mode)));
        return true;
    }

    /** Creates a symlink (parents {@code 0755}); replaces a symlink with another target; no-op when equal. */
    public boolean symlink(String req, String path, String target) throws IOException {
        Optional<String> cur = reader.readLink(path);
        if (cur.isPresent() && cur.get().equals(target)) {
            return false;
        }
        if (cur.isPresent()) {
            files.delete(path);
        } else if (reader.exists(path)) {
            throw new IOException("guest path " + path + ": exists and is not a symlink; refusing to replace it");
        }
        ensureParent(path);
        files.symlink(path, target);
        log.add(new Change(req, path, Change.Action.Symlinked, cur.orElse(null), target));
        return true;
    }

    /** Deletes a file or symlink (not followed) or a whole directory tree. */
    public boolean delete(String req, String path) throws IOException {
        Optional<GuestFiles.FileInfo> st = reader.lstat(path);
        if (st.isEmpty()) {
            return false;
        }
        int[] count = {0};
        deleteTree(path, st.get().type(), 0, count);
        log.add(new Change(
                req,
                path,
                Change.Action.Deleted,
                st.get().type() == GuestFiles.Type.DIRECTORY
                        ? "directory, " + count[0] + " entries"
                        : st.get().type().name().toLowerCase() + ", " + st.get().size() + " bytes",
                null));
        return true;
    }

    private void deleteTree(String path, GuestFiles.Type type, int depth, int[] count) throws IOException {
        if (++count[0] > MAX_TREE_ENTRIES || depth > MAX_DEPTH) {
            throw new IOException("guest path " + path + ": tree too large or too deep to delete safely");
        }
        if (type == GuestFiles.Type.DIRECTORY) {
            for (GuestFiles.DirEntry e : files.list(path)) {
                deleteTree(GuestReader.join(path, e.name()), e.type(), depth + 1, count);
            }
        }
        files.delete(path);
    }

    private void ensureParent(String path) throws IOException {
        int i = path.lastIndexOf('/');
        String parent = i <= 0 ? "/" : path.substring(0, i);
        if (!reader.isDir(parent)) {
            files.mkdirs(parent, 0755);
        }
    }

    private String readAll(String path) throws IOException {
        return new String(files.read(path), StandardCharsets.UTF_8);
    }

    /** Lines removed and lines added ({@link LineDiff#net}: multisets, in order of appearance), capped, redacted. */
    static String[] diff(String path, String before, String after) {
        LineDiff.Net d = LineDiff.net(GuestReader.lines(before), GuestReader.lines(after));
        return new String[] {
            join(d.removed().stream().map(l -> redact(path, l)).toList()),
            join(d.added().stream().map(l -> redact(path, l)).toList())
        };
    }

    private static String join(List<String> lines) {
        if (lines.isEmpty()) {
            return null;
        }
        List<String> l = lines.size() > MAX_DIFF_LINES ? new ArrayList<>(lines.subList(0, MAX_DIFF_LINES)) : lines;
        String s = String.join("\n", l);
        if (lines.size() > MAX_DIFF_LINES) {
            s += "\n... (" + (lines.size() - MAX_DIFF_LINES) + " more lines)";
        }
        return s.length() > 4096 ? s.substring(0, 4096) + "..." : s;
    }

    private static String excerpt(String path, String text) {
        return join(GuestReader.lines(text).stream().map(l -> redact(path, l)).toList());
    }

    static String redact(String path, String line) {
        if (!REDACTED.contains(path)) {
            return line;
        }
        String[] f = line.split(":", -1);
        if (f.length > 2 && !f[1].isEmpty() && !f[1].equals("*") && !f[1].equals("!") && !f[1].equals("!!")) {
            f[1] = f[1].startsWith("!") ? "!<redacted>" : "<redacted>";
            return String.join(":", f);
        }
        return line;
    }
}
