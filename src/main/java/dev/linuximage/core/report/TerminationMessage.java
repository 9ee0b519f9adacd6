package dev.linuximage.core.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Writes a {@link JobResult} where Kubernetes picks it up as the container's termination message
 * ({@code /dev/termination-log} by default; core commands take {@code --termination-log PATH}). Outside a pod the
 * path may simply not exist: a core command on a laptop passes no path, and then nothing is written.
 */
public final class TerminationMessage {

    /** The kubelet's default {@code terminationMessagePath}. */
    public static final String DEFAULT_PATH = "/dev/termination-log";

    private TerminationMessage() {}

    /**
     * Writes the compact JSON (at most {@link JobResultCodec#MAX_BYTES} bytes), replacing what was there.
     *
     * @param path where to write; null writes nothing
     * @return the JSON written (also useful to print to the log)
     */
    public static String write(Path path, JobResult result) throws IOException {
        String json = JobResultCodec.write(result);
        if (path != null) {
            Files.writeString(
                    path,
                    json,
                    StandardOpenOption.CREATE,
                    StandardOpenOption.TRUNCATE_EXISTING,
                    StandardOpenOption.WRITE);
        }
        return json;
    }
}
