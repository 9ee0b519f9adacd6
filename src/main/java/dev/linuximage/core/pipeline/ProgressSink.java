package dev.linuximage.core.pipeline;

import java.io.IOException;

/**
 * Where {@link PreparePipeline} tells what it is doing; the command line renders it (stderr lines, a redrawn byte
 * line on a terminal, machine-readable events in a Job). Calls arrive in the order the steps run; the byte callback
 * may come from the writer's or uploader's threads.
 */
public interface ProgressSink {
    /** A milestone of stage {@code stage} ({@code convert}, {@code patch}, ...) at {@code percent} of the run. */
    void step(String stage, int percent, String message);

    /**
     * A byte-counting step that calls back often: {@code done} of {@code total} bytes, to be shown between
     * {@code from} and {@code to} percent of the whole run.
     */
    void bytes(String stage, int from, int to, String label, long done, long total);

    /**
     * As {@link #bytes(String, int, int, String, long, long)}; {@code atMost}: {@code total} is so far only an upper
     * bound (an upload's total before its scan has read the data). Default: the total shown as it is.
     */
    default void bytes(String stage, int from, int to, String label, long done, long total, boolean atMost) {
        bytes(stage, from, to, label, done, total);
    }

    /** A line for people ({@code note: ...}, {@code warning: ...}). */
    void note(String line);

    /** The rendered compliance report: JSON and the human table. */
    void report(String json, String table) throws IOException;
}
