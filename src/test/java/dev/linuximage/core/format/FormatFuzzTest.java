package dev.linuximage.core.format;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.linuximage.core.format.vhd.FixedVhdOptions;
import dev.linuximage.core.format.vhd.FixedVhdView;
import dev.linuximage.core.io.ByteSource;
import dev.linuximage.core.io.BytesSource;
import dev.linuximage.core.report.BadInputException;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.UUID;

/**
 * Jazzer fuzz targets, one per parser. In the normal build they run their committed seed corpus
 * ({@code FormatFuzzTestInputs/<method>/}, made by {@code make-seeds.py}) in regression mode; with
 * {@code JAZZER_FUZZ=1} they fuzz. The only acceptable failure is a {@link BadInputException} (or an EOF on a
 * truncated file): anything else (index out of bounds, negative sizes, OOM, endless loop) is a bug.
 */
class FormatFuzzTest {
    static final OpenOptions OPTS = new OpenOptions(true, 64L << 20);

    @FuzzTest(maxDuration = "30s")
    void qcow2(byte[] data) throws IOException {
        exercise(data, "qcow2");
    }

    @FuzzTest(maxDuration = "30s")
    void vhd(byte[] data) throws IOException {
        exercise(data, "vhd");
    }

    @FuzzTest(maxDuration = "30s")
    void vhdx(byte[] data) throws IOException {
        exercise(data, "vhdx");
    }

    @FuzzTest(maxDuration = "30s")
    void vmdk(byte[] data) throws IOException {
        exercise(data, "vmdk");
    }

    @FuzzTest(maxDuration = "30s")
    void vdi(byte[] data) throws IOException {
        exercise(data, "vdi");
    }

    @FuzzTest(maxDuration = "30s")
    void ova(byte[] data) throws IOException {
        exercise(data, "ova");
    }

    static void exercise(byte[] data, String format) throws IOException {
        ByteSource file = new BytesSource(data);
        try {
            DiskImages.detect(file);
            if (format.equals("ova")) {
                // the OVA reader is reached through detection of a whole file only
                try (DiskImage img = dev.linuximage.core.format.ova.OvaFormat.open(
                        file, OPTS, dev.linuximage.core.format.DiskFormats::openMember)) {
                    drain(img.data());
                }
                return;
            }
            try (DiskImage img = DiskImages.open(file, format, OPTS)) {
                drain(img.data());
                if (img.virtualSize() > 0) {
                    try (FixedVhdView v =
                            FixedVhdView.of(img.data(), new FixedVhdOptions(1L << 30, new UUID(1, 2), 0L))) {
                        drain(v);
                    }
                }
            }
        } catch (BadInputException | EOFException expected) {
            // typed refusal: fine
        }
    }

    /** Reads every extent's first bytes and up to 1 MiB of data overall. */
    static void drain(ByteSource s) throws IOException {
        long[] budget = {1 << 20};
        ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
        s.extents(0, s.size(), e -> {
            if (e.offset() < 0 || e.length() <= 0 || e.end() > s.size()) {
                throw new AssertionError("bad extent " + e);
            }
            if (e.isData() && budget[0] > 0) {
                buf.clear().limit((int) Math.min(buf.capacity(), e.length()));
                s.readFully(e.offset(), buf);
                budget[0] -= buf.limit();
            }
        });
    }
}
