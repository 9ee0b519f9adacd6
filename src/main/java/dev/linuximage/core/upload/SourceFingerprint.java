package dev.linuximage.core.upload;

import dev.linuximage.core.io.ByteSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;

/**
 * The default source fingerprint of a local VHD file: its size, its last-modified time (nanoseconds) and its
 * 512-byte footer (which holds the disk's unique id, creation timestamp and checksum). Cheap (no data read) and
 * changes whenever a tool rewrites the file. Not proof against a same-size in-place edit that restores the mtime:
 * {@link VerifyMode#MD5} (the default) and {@link VerifyMode#READBACK} catch that (the pages the resumed run did not
 * send are read back and compared with this run's source bytes), and {@code --fresh} forces a clean upload. Callers that know better (the {@code prepare} pipeline knows its input
 * and spec) pass their own fingerprint.
 */
public final class SourceFingerprint {
    private SourceFingerprint() {}

    public static String ofFile(Path file, ByteSource source) throws IOException {
        long size = source.size();
        byte[] footer = source.readBytes(size - 512, 512);
        long mtime = Files.getLastModifiedTime(file).toInstant().getEpochSecond() * 1_000_000_000L
                + Files.getLastModifiedTime(file).toInstant().getNano();
        return "file:size=" + size + ";mtime=" + mtime + ";footer="
                + HexFormat.of().formatHex(footer);
    }
}
