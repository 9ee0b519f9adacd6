package dev.linuximage.core.guestfs;

import dev.linuximage.core.fs.GuestPathException;
import dev.linuximage.core.io.Sha256;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.NoSuchFileException;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Change-recording decorator: each mutation that the wrapped layer carried out (or, under {@link DryRunFiles},
 * accepted) lands in the {@link ChangeLog} as a file operation ({@link Change#ofFile}) with the SHA-256 of the old
 * and new content and a {@link LineDiff#hunks} diff. A mutation that fails records nothing: only what really
 * happened is recorded. Reads pass through.
 */
final class RecordingFiles implements GuestLayer {
    private final GuestLayer files;
    private final ChangeLog log;
    private final boolean applied;
    private final long readCapBytes;

    /**
     * @param applied      false over a dry run: the changes are recorded as not applied
     * @param readCapBytes a modified file's old content is read for the record only up to this size, in bytes
     */
    RecordingFiles(GuestLayer files, ChangeLog log, boolean applied, long readCapBytes) {
        this.files = files;
        this.log = log;
        this.applied = applied;
        this.readCapBytes = readCapBytes;
    }

    private void record(String path, Change.Action action, byte[] before, byte[] after, String diff) {
        log.add(Change.ofFile(
                path,
                action,
                sha256(before),
                sha256(after),
                diff != null ? diff : LineDiff.hunks(before, after),
                applied));
    }

    private static String sha256(byte[] b) {
        return b == null ? "" : Sha256.hex(b);
    }

    private void checkWritable(String path) throws ReadOnlyGuestException {
        if (files.readOnly()) {
            throw new ReadOnlyGuestException(path);
        }
    }

    // ---- reads pass through -------------------------------------------------------------------------------------

    @Override
    public Optional<FileInfo> stat(String path) throws IOException {
        return files.stat(path);
    }

    @Override
    public Optional<FileInfo> lstat(String path) throws IOException {
        return files.lstat(path);
    }

    @Override
    public byte[] read(String path) throws IOException {
        return files.read(path);
    }

    @Override
    public long copyTo(String path, OutputStream out) throws IOException {
        return files.copyTo(path, out);
    }

    @Override
    public List<DirEntry> list(String path) throws IOException {
        return files.list(path);
    }

    @Override
    public void list(String path, boolean details, GuestDisk.EntryVisitor visitor) throws IOException {
        files.list(path, details, visitor);
    }

    @Override
    public String readLink(String path) throws IOException {
        return files.readLink(path);
    }

    @Override
    public boolean readOnly() {
        return files.readOnly();
    }

    // ---- writes, recorded ---------------------------------------------------------------------------------------

    /** The old content of an existing regular file at {@code path} (symlinks followed) if within the read cap. */
    private byte[] oldContent(Optional<FileInfo> st, String path) throws IOException {
        return st.isPresent() && st.get().type() == Type.FILE && st.get().size() <= readCapBytes
                ? files.read(path)
                : null;
    }

    @Override
    public void write(String path, byte[] content) throws IOException {
        checkWritable(path);
        Optional<FileInfo> st = files.stat(path);
        byte[] before = oldContent(st, path);
        files.write(path, content);
        record(path, st.isPresent() ? Change.Action.Modified : Change.Action.Created, before, content, null);
    }

    @Override
    public void write(String path, byte[] content, int mode, int uid, int gid) throws IOException {
        checkWritable(path);
        Optional<FileInfo> st = files.stat(path);
        byte[] before = oldContent(st, path);
        files.write(path, content, mode, uid, gid);
        record(path, st.isPresent() ? Change.Action.Modified : Change.Action.Created, before, content, null);
    }

    /** One record per directory created, as {@code mkdir -p} makes them: parents first. */
    @Override
    public void mkdirs(String path, int mode) throws IOException {
        checkWritable(path);
        String cur = "/";
        for (String c : GuestPaths.normalize(path).split("/")) {
            if (c.isEmpty()) {
                continue;
            }
            cur = GuestPaths.child(cur, c);
            Optional<FileInfo> st = files.stat(cur);
            if (st.isPresent()) {
                if (st.get().type() != Type.DIRECTORY) {
                    throw new GuestPathException(path, cur + " exists and is not a directory");
                }
                continue;
            }
            files.mkdirs(cur, mode);
            record(cur, Change.Action.DirCreated, null, null, String.format(Locale.ROOT, "mode %04o", mode & 07777));
        }
    }

    @Override
    public void symlink(String path, String target) throws IOException {
        checkWritable(path);
        files.symlink(path, target);
        record(path, Change.Action.Symlinked, null, null, "-> " + target);
    }

    @Override
    public boolean delete(String path) throws IOException {
        checkWritable(path);
        Optional<FileInfo> st = files.lstat(path);
        byte[] before =
                st.isPresent() && st.get().type() == Type.FILE && st.get().size() <= LineDiff.HUNKS_LIMIT
                        ? files.read(path)
                        : null;
        if (!files.delete(path)) {
            return false;
        }
        record(path, Change.Action.Deleted, before, null, "");
        return true;
    }

    @Override
    public void chmod(String path, int mode) throws IOException {
        checkWritable(path);
        FileInfo st = files.stat(path).orElseThrow(() -> new NoSuchFileException(path));
        files.chmod(path, mode);
        record(
                path,
                Change.Action.ModeChanged,
                null,
                null,
                String.format(Locale.ROOT, "mode %04o -> %04o", st.mode(), mode & 07777));
    }

    @Override
    public void close() throws IOException {
        files.close();
    }
}
