package dev.linuximage.core.pipeline;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.linuximage.core.format.vhd.VhdFooter;
import dev.linuximage.core.guest.PatchOptions;
import dev.linuximage.core.io.OutputFiles;
import dev.linuximage.core.io.Sha256;
import dev.linuximage.core.report.JobResult;
import dev.linuximage.core.report.JobResultCodec;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.UUID;

/**
 * What makes {@code prepare} restartable without redoing finished work: an identity of the request (the input
 * file's path, size and modification time, the input format and the patch options) and, beside the output VHD, a
 * small state file written only after convert and patch completed. A re-run with the same identity and an output
 * file unchanged since (same size and mtime) skips to the upload, whose own resume then sends only what is missing.
 *
 * <p>The same identity makes the footer deterministic (unique id and timestamp derive from it), so two runs of the
 * same request produce the same footer.
 */
public final class PrepareState {
    static final String SCHEMA = "linuximage.dev/prepare-state/v1";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String identity;
    private final long inputMtimeSeconds;

    private PrepareState(String identity, long inputMtimeSeconds) {
        this.identity = identity;
        this.inputMtimeSeconds = inputMtimeSeconds;
    }

    /** Convert + patch + check finished: the compact result, whether it is compliant, and the rendered report. */
    public record Outcome(JobResult result, boolean compliant, String reportJson, String reportTable) {}

    public static PrepareState of(Path input, PatchOptions options, String format) throws IOException {
        long mtime = Files.getLastModifiedTime(input).toMillis() / 1000;
        long size = dev.linuximage.core.io.DiskPaths.size(input); // a block device's size, not its node's 0
        String id = sha256Hex(
                (input.toAbsolutePath().normalize() + "\n" + size + "\n" + mtime + "\n" + format + "\n" + options)
                        .getBytes(StandardCharsets.UTF_8));
        return new PrepareState(id, mtime);
    }

    /** Footer unique id derived from the request identity. */
    public UUID uniqueId() {
        return UUID.nameUUIDFromBytes(identity.getBytes(StandardCharsets.UTF_8));
    }

    /** Footer timestamp: the input's mtime, in seconds since 2000-01-01 UTC (the VHD epoch). */
    public Long timestamp() {
        return Math.max(0, inputMtimeSeconds - VhdFooter.VHD_EPOCH);
    }

    /** The upload's source fingerprint for a prepared output file. */
    public String fingerprint(Path out) throws IOException {
        return "prepare:" + identity + ":" + Files.size(out) + ":"
                + Files.getLastModifiedTime(out).toMillis();
    }

    static Path stateFile(Path out) {
        return out.resolveSibling(out.getFileName() + ".state.json");
    }

    /** Removes a stale state file before the output is rewritten. */
    public static void clear(Path out) throws IOException {
        Files.deleteIfExists(stateFile(out));
    }

    /** The recorded outcome when this request already completed convert + patch into {@code out}; else null. */
    public Outcome completedAt(Path out) {
        Path f = stateFile(out);
        try {
            if (!Files.isRegularFile(f) || !Files.isRegularFile(out) || Files.size(f) > (4 << 20)) {
                return null;
            }
            ObjectNode n = (ObjectNode) JSON.readTree(f.toFile());
            if (!SCHEMA.equals(n.path("schema").asText())
                    || !identity.equals(n.path("identity").asText())
                    || n.path("outputSize").asLong(-1) != Files.size(out)
                    || n.path("outputMtime").asLong(-1)
                            != Files.getLastModifiedTime(out).toMillis()) {
                return null;
            }
            return new Outcome(
                    JobResultCodec.parse(n.path("result").asText()),
                    n.path("compliant").asBoolean(),
                    n.path("reportJson").asText(),
                    n.path("reportTable").asText());
        } catch (IOException | RuntimeException e) {
            return null; // unreadable or foreign state: redo the work
        }
    }

    /** Records that convert + patch into {@code out} completed (written atomically, after the VHD was flushed). */
    public void markCompleted(Path out, Outcome outcome) throws IOException {
        ObjectNode n = JSON.createObjectNode();
        n.put("schema", SCHEMA);
        n.put("identity", identity);
        n.put("outputSize", Files.size(out));
        n.put("outputMtime", Files.getLastModifiedTime(out).toMillis());
        n.put("compliant", outcome.compliant());
        n.put("result", JobResultCodec.write(outcome.result()));
        n.put("reportJson", outcome.reportJson());
        n.put("reportTable", outcome.reportTable());
        OutputFiles.write(stateFile(out), JSON.writeValueAsBytes(n));
    }

    /** SHA-256 (hex) of a whole file, streamed in 1 MiB reads. */
    public static String sha256(Path file) throws IOException {
        MessageDigest md = Sha256.newDigest();
        byte[] buf = new byte[1 << 20];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
        }
        return Sha256.hex(md);
    }

    static String sha256Hex(byte[] b) {
        return Sha256.hex(b);
    }
}
