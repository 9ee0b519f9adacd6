package dev.linuximage.core.format.vhd;

import dev.linuximage.core.format.FormatException;
import dev.linuximage.core.io.ByteSource;
import dev.linuximage.core.io.BytesSource;
import dev.linuximage.core.io.ConcatSource;
import dev.linuximage.core.io.ExtentVisitor;
import dev.linuximage.core.io.ForwardingSource;
import dev.linuximage.core.io.OverlaySource;
import dev.linuximage.core.io.WritableByteSource;
import dev.linuximage.core.io.ZeroSource;
import dev.linuximage.core.partition.Gpt;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The bytes of a complete fixed VHD file for a disk, without writing anything: the disk's bytes, zeros up to the next
 * whole MiB, then the 512-byte footer. Extents are those of the disk, ZERO for the padding, DATA for the footer.
 * A GPT's backup header and entries are moved to the new last sector (see {@code GptRelocation}); the input is
 * never modified (patches live in an in-memory overlay of a few sectors).
 *
 * <p>Closing the view does not close the disk.
 */
public final class FixedVhdView implements ByteSource {
    public static final long MIB = 1 << 20;

    private final OverlaySource view;
    private final long diskSize;
    private final long alignedSize;
    private final byte[] footer;
    private final List<String> notes;
    private final List<String> warnings;

    private final Gpt.Repair gpt;

    private FixedVhdView(
            OverlaySource view,
            long diskSize,
            long alignedSize,
            byte[] footer,
            List<String> notes,
            List<String> warnings,
            Gpt.Repair gpt) {
        this.gpt = gpt;
        this.view = view;
        this.diskSize = diskSize;
        this.alignedSize = alignedSize;
        this.footer = footer;
        this.notes = List.copyOf(notes);
        this.warnings = List.copyOf(warnings);
    }

    /** Aligns {@code size} bytes up to a whole MiB (1 B → 1 MiB; 0 → 0). */
    public static long alignUp(long size) {
        return (size + MIB - 1) / MIB * MIB;
    }

    /**
     * The MiB-aligned size of a disk of {@code size} bytes, refused (typed {@link FormatException}) when it exceeds
     * the options' maximum or is empty; checked before anything is read.
     */
    public static long alignedSize(long size, FixedVhdOptions options) throws FormatException {
        if (size > options.maxSize() || size > Long.MAX_VALUE - MIB) {
            throw new FormatException(
                    "vhd", "virtual size", size, "exceeds the maximum of " + options.maxSize() + " bytes (--max-size)");
        }
        long aligned = alignUp(size);
        if (aligned > options.maxSize()) {
            throw new FormatException(
                    "vhd",
                    "aligned size",
                    aligned,
                    "exceeds the maximum of " + options.maxSize() + " bytes once aligned to 1 MiB (--max-size)");
        }
        if (aligned == 0) {
            throw new FormatException("vhd", "virtual size", 0, "an empty disk cannot become a VHD");
        }
        return aligned;
    }

    /** Builds the view; the size cap is checked before anything is read. */
    public static FixedVhdView of(ByteSource disk, FixedVhdOptions options) throws IOException {
        long size = disk.size();
        long aligned = alignedSize(size, options);
        long ts = options.timestamp() != null
                ? options.timestamp()
                : Instant.now().getEpochSecond() - VhdFooter.VHD_EPOCH;
        UUID id = options.uniqueId() != null ? options.uniqueId() : UUID.randomUUID();
        byte[] footer = VhdFooter.fixed(aligned, ts & 0xFFFFFFFFL, id);
        ByteSource base = ConcatSource.of(
                ForwardingSource.nonClosing(disk), new ZeroSource(aligned - size), new BytesSource(footer));
        OverlaySource overlay = new OverlaySource(base, 512, 1 << 20, null);
        List<String> notes = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        if (aligned != size) {
            notes.add("virtual size " + size + " aligned up to " + aligned + " bytes");
        }
        // the slice ends before the footer: the GPT's last LBA is the disk's, not the VHD file's
        Gpt.Repair gpt = GptRelocation.relocate(overlay.slice(0, aligned), size, notes, warnings);
        return new FixedVhdView(overlay, size, aligned, footer, notes, warnings, gpt);
    }

    /**
     * What the view did to the GPT (DISK-GPT): the state found at the aligned size and the rewrites, or why an
     * inconsistent GPT was left alone; null when the disk has no GPT with 512-byte sectors.
     */
    public Gpt.Repair gptRepair() {
        return gpt;
    }

    /**
     * Grows {@code disk} (read-only) to {@code alignedSize} bytes with zeros and makes its GPT consistent there, in a
     * copy-on-write overlay: the writable disk a streamed {@code prepare} patches before the fixed-VHD view wraps it.
     *
     * @param overlay an overlay whose base is the disk followed by zeros up to the aligned size
     * @param inputSize the disk's own size in bytes
     */
    public static Gpt.Repair alignGpt(
            WritableByteSource overlay, long inputSize, List<String> notes, List<String> warnings) throws IOException {
        return GptRelocation.relocate(overlay, inputSize, notes, warnings);
    }

    /** Size of the whole VHD file in bytes: {@link #diskSize()} + 512. */
    @Override
    public long size() {
        return alignedSize + VhdFooter.SIZE;
    }

    /** Virtual size of the VHD (MiB-aligned), in bytes. */
    public long diskSize() {
        return alignedSize;
    }

    /** Size of the input disk in bytes. */
    public long inputSize() {
        return diskSize;
    }

    public byte[] footer() {
        return footer.clone();
    }

    /** What the view changed (alignment, GPT relocation) and why something was not changed. */
    public List<String> notes() {
        return notes;
    }

    /** What makes the result unfit for its purpose though it was written (a 4Kn GPT: see docs/formats.md). */
    public List<String> warnings() {
        return warnings;
    }

    @Override
    public int read(long offset, ByteBuffer dst) throws IOException {
        return view.read(offset, dst);
    }

    @Override
    public void extents(long offset, long length, ExtentVisitor visitor) throws IOException {
        view.extents(offset, length, visitor);
    }

    @Override
    public void close() throws IOException {
        view.close();
    }
}
