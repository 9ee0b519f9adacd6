package dev.linuximage.core.io;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A view of a local file whose {@link #extents} follow the file system's allocation map, so that a reader of its
 * DATA extents spends time on the allocated data only (a 1 TiB sparse VHD with 2 GiB of data reads 2 GiB).
 *
 * <p>Java has no {@code lseek(SEEK_DATA/SEEK_HOLE)} nor FIEMAP, so the map comes from {@code filefrag -s -e -b512}
 * (e2fsprogs; the kernel's FIEMAP ioctl after an fsync of the file: delayed allocations are on disk by then):
 * each listed extent is DATA (unwritten/preallocated extents too: they are read and read as zeros), everything
 * else is a hole, i.e. ZERO — which is what the kernel returns for a hole. Extents are streamed from the tool's
 * output, never collected: memory is bounded whatever the file's fragmentation.
 *
 * <p>Fallback: when the tool is missing, the file system has no FIEMAP (tmpfs, some network file systems) or the
 * output does not have the expected form <em>before any extent was reported</em>, the whole file is one DATA extent
 * (correct, only slower). A failure after extents were reported is an {@link IOException}, never a guess. A fallback
 * over at least {@link #WARN_FROM} bytes is told once to the view's warning consumer: the run then takes time in
 * proportion to the file's size, and the user should know why.
 */
public final class SparseFileMap implements ByteSource {
    private static final Pattern HEADER =
            Pattern.compile("^File size of .* is (\\d+) \\((\\d+) blocks of 512 bytes\\)$");
    /** {@code    0:     8000..    8023:  244817728.. 244817751:     24: ...} (logical first..last in 512-byte blocks). */
    private static final Pattern EXTENT = Pattern.compile("^\\s*\\d+:\\s*(\\d+)\\.\\.\\s*(\\d+):.*$");

    private static final long BLOCK = 512;

    /** A fallback over this many bytes or more is warned about (smaller files read whole in well under a second). */
    static final long WARN_FROM = 1L << 30;

    private final Path file;
    private final ByteSource data;
    private final Consumer<String> warnings;
    private final AtomicBoolean warned = new AtomicBoolean();
    private volatile boolean fallback;

    private SparseFileMap(Path file, ByteSource data, Consumer<String> warnings) {
        this.file = file.toAbsolutePath();
        this.data = data;
        this.warnings = warnings;
    }

    /** {@code data} (the open file, which the view does not close) with extents from the file's allocation map. */
    public static SparseFileMap view(Path file, ByteSource data) {
        return new SparseFileMap(file, data, null);
    }

    /**
     * As {@link #view(Path, ByteSource)}; {@code warnings} (may be null) receives, once, why a range of at least 1 GiB
     * is read whole (no {@code filefrag}, no FIEMAP on the file system, output not understood).
     */
    public static SparseFileMap view(Path file, ByteSource data, Consumer<String> warnings) {
        return new SparseFileMap(file, data, warnings);
    }

    /** Whether the last {@link #extents} call had to treat the whole range as DATA (no allocation map). */
    public boolean usedFallback() {
        return fallback;
    }

    @Override
    public long size() {
        return data.size();
    }

    @Override
    public int read(long offset, ByteBuffer dst) throws IOException {
        return data.read(offset, dst);
    }

    @Override
    public void extents(long offset, long length, ExtentVisitor visitor) throws IOException {
        ByteSource.Range range = ByteSource.clip(offset, length, size());
        long start = range.start();
        long end = range.end();
        if (start >= end) {
            return;
        }
        Process p = start();
        if (p == null) {
            allData(start, end, visitor, "filefrag (e2fsprogs) not found");
            return;
        }
        long pos = start; // everything below pos has been visited
        boolean header = false;
        boolean visited = false;
        long lastEnd = 0;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            p.getOutputStream().close();
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                Matcher h = HEADER.matcher(line);
                if (h.matches()) {
                    header = Long.parseLong(h.group(1)) == size();
                    continue;
                }
                Matcher m = EXTENT.matcher(line);
                if (!header || !m.matches()) {
                    continue;
                }
                long s = Long.parseLong(m.group(1)) * BLOCK;
                long e = Math.addExact(Long.parseLong(m.group(2)), 1) * BLOCK;
                if (s < lastEnd) {
                    // FIEMAP lists extents sorted and disjoint; anything else could hide data behind a "hole"
                    throw new IOException(
                            "allocation map of " + file + " is not in offset order at block " + s / BLOCK);
                }
                lastEnd = e;
                long ds = Math.max(s, pos);
                long de = Math.min(e, end);
                if (ds >= de) {
                    continue;
                }
                if (ds > pos) {
                    visitor.visit(new Extent(pos, ds - pos, Extent.Kind.ZERO));
                }
                visitor.visit(new Extent(ds, de - ds, Extent.Kind.DATA));
                visited = true;
                pos = de;
            }
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("filefrag did not end");
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while reading the allocation map of " + file);
        } catch (NumberFormatException | ArithmeticException e) {
            p.destroyForcibly();
            if (visited) {
                throw new IOException("unreadable allocation map of " + file + ": " + e.getMessage());
            }
            allData(start, end, visitor, "filefrag's output not understood: " + e.getMessage());
            return;
        }
        if (p.exitValue() != 0 || !header) {
            if (visited) {
                throw new IOException(
                        "filefrag failed (exit " + p.exitValue() + ") on " + file + " after a partial map");
            }
            allData(
                    start,
                    end,
                    visitor,
                    p.exitValue() != 0
                            ? "filefrag failed with exit " + p.exitValue() + ": no FIEMAP on this file system?"
                            : "filefrag's output not understood");
            return;
        }
        fallback = false;
        if (pos < end) {
            visitor.visit(new Extent(pos, end - pos, Extent.Kind.ZERO));
        }
    }

    /**
     * {@code filefrag} from the PATH, else from {@code /usr/sbin} or {@code /sbin} (e2fsprogs installs it there, which
     * a non-root user's PATH on Debian does not include); null if none starts.
     */
    private Process start() {
        for (String tool : TOOLS) {
            try {
                return new ProcessBuilder(tool, "-s", "-e", "-b512", file.toString())
                        .redirectError(ProcessBuilder.Redirect.DISCARD)
                        .start();
            } catch (IOException e) {
                // not there: the next place
            }
        }
        return null;
    }

    /** Where {@link #start} looks, in order (Dockerfile.native puts it at /usr/sbin/filefrag: RuntimeImageToolsTest). */
    static final List<String> TOOLS = List.of("filefrag", "/usr/sbin/filefrag", "/sbin/filefrag");

    private void allData(long start, long end, ExtentVisitor visitor, String why) throws IOException {
        fallback = true;
        if (warnings != null && end - start >= WARN_FROM && warned.compareAndSet(false, true)) {
            warnings.accept("no allocation map of " + file + " (" + why + "): reading all " + Sizes.human(end - start)
                    + " of it, holes included, so this takes time in proportion to its size");
        }
        visitor.visit(new Extent(start, end - start, Extent.Kind.DATA));
    }

    /** Does not close the underlying source. */
    @Override
    public void close() {}
}
