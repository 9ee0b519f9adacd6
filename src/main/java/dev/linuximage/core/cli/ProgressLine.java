package dev.linuximage.core.cli;

import dev.linuximage.core.io.Sizes;
import java.io.PrintWriter;
import java.util.Locale;

/**
 * Progress of a byte-counting step, the way qemu-img and az show it: on a terminal one line redrawn in place
 * (at most 5 times a second), elsewhere (a log, a pipe) a plain line at most every {@code interval}, never the
 * same text twice. The text gives the bytes done and to do, the rate since the step began and the time left, then
 * an optional detail (short free text, e.g. upload's bytes scanned and retries) after a {@code "; "}. Thread-safe.
 */
final class ProgressLine {
    private final PrintWriter out;
    private final boolean redraw;
    private final long intervalNanos;
    private final long started = System.nanoTime();
    private long lastAt = Long.MIN_VALUE;
    private String lastText;
    private int drawnWidth;

    /**
     * @param redraw          {@code true} on a terminal
     * @param intervalSeconds seconds between plain lines
     */
    ProgressLine(PrintWriter out, boolean redraw, double intervalSeconds) {
        this.out = out;
        this.redraw = redraw;
        this.intervalNanos = redraw ? 200_000_000L : (long) (intervalSeconds * 1e9);
    }

    /** {@code true} when standard output and input are a terminal (Java 17: {@link System#console()}). */
    static boolean terminal() {
        return System.console() != null;
    }

    /** Shows {@code done} of {@code total} bytes when the last line is old enough; returns whether it printed. */
    synchronized boolean update(String label, long done, long total) {
        return update(label, done, total, null);
    }

    /**
     * As {@link #update(String, long, long)} with a detail shown after the bytes, rate and time left, on the redrawn
     * line and in each plain line alike.
     *
     * @param detail short free text without line breaks, or null/empty for none
     */
    synchronized boolean update(String label, long done, long total, String detail) {
        return update(label, done, total, false, detail);
    }

    /**
     * As {@link #update(String, long, long, String)}; {@code atMost}: {@code total} is only an upper bound so far
     * (shown as {@code "of at most"}).
     */
    synchronized boolean update(String label, long done, long total, boolean atMost, String detail) {
        long now = System.nanoTime();
        if (lastAt != Long.MIN_VALUE && now - lastAt < intervalNanos && done < total) {
            return false;
        }
        String text = text(label, done, total, atMost, now - started, detail);
        if (text.equals(lastText)) {
            return false;
        }
        lastAt = now;
        lastText = text;
        if (redraw) {
            int pad = Math.max(0, drawnWidth - text.length());
            out.print("\r" + text + " ".repeat(pad));
            drawnWidth = text.length();
        } else {
            out.println(text);
        }
        out.flush();
        return true;
    }

    /** The text last shown (null before the first). */
    synchronized String lastText() {
        return lastText;
    }

    /** Ends a redrawn line so that what follows starts on its own line. */
    synchronized void finish() {
        if (redraw && drawnWidth > 0) {
            out.println();
            out.flush();
            drawnWidth = 0;
        }
    }

    /** {@code "converting: 1.2 GiB of 3.0 GiB (40%), 150.3 MiB/s, 12 s left"}. */
    static String text(String label, long done, long total, long elapsedNanos) {
        return text(label, done, total, elapsedNanos, null);
    }

    /** {@code "upload: uploading: 1 GiB of 4 GiB (25%), 102.4 MiB/s, 30 s left; <detail>"} (no suffix without one). */
    static String text(String label, long done, long total, long elapsedNanos, String detail) {
        return text(label, done, total, false, elapsedNanos, detail);
    }

    /**
     * As {@link #text(String, long, long, long, String)}; {@code atMost}: {@code "1 GiB of at most 4 GiB"}, the
     * percentage and time left then being bounds as well.
     */
    static String text(String label, long done, long total, boolean atMost, long elapsedNanos, String detail) {
        StringBuilder b = new StringBuilder(label)
                .append(": ")
                .append(Sizes.human(done))
                .append(atMost ? " of at most " : " of ")
                .append(Sizes.human(total));
        if (total > 0) {
            b.append(String.format(Locale.ROOT, " (%d%%)", Math.min(100, done * 100 / total)));
        }
        double secs = elapsedNanos / 1e9;
        if (secs >= 0.5 && done > 0) {
            double rate = done / secs;
            b.append(", ").append(Sizes.human((long) rate)).append("/s");
            if (done < total) {
                b.append(", ")
                        .append(duration((long) Math.ceil((total - done) / rate)))
                        .append(" left");
            }
        }
        if (detail != null && !detail.isEmpty()) {
            b.append("; ").append(detail);
        }
        return b.toString();
    }

    static String duration(long seconds) {
        if (seconds < 60) {
            return seconds + " s";
        }
        if (seconds < 3600) {
            return String.format(Locale.ROOT, "%d min %02d s", seconds / 60, seconds % 60);
        }
        return String.format(Locale.ROOT, "%d h %02d min", seconds / 3600, seconds % 3600 / 60);
    }
}
