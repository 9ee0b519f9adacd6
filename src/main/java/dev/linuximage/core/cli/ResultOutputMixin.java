package dev.linuximage.core.cli;

import dev.linuximage.core.io.OutputFiles;
import dev.linuximage.core.pipeline.FailureReason;
import dev.linuximage.core.pipeline.ProgressSink;
import dev.linuximage.core.report.ComplianceReport;
import dev.linuximage.core.report.CoreException;
import dev.linuximage.core.report.ExitCodes;
import dev.linuximage.core.report.JobResult;
import dev.linuximage.core.report.ProgressEvent;
import dev.linuximage.core.report.ReportJson;
import dev.linuximage.core.report.ReportLine;
import dev.linuximage.core.report.ReportOutput;
import dev.linuximage.core.report.ReportTable;
import dev.linuximage.core.report.TerminationMessage;
import dev.linuximage.core.upload.Secrets;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * How {@code check} and {@code prepare} report: the full JSON report to a file ({@code --report}), a table on the
 * terminal, progress, and — in a Job — the compact {@link JobResult} in the termination message plus progress lines
 * ({@link ProgressEvent}) on stdout that the operator reads from the pod log.
 *
 * <p>Every failure, expected or not, still produces a result with a precise reason, so the operator never has to
 * guess from an exit code.
 */
public class ResultOutputMixin {

    @Option(
            names = "--report",
            paramLabel = "report.json",
            description = "write the full JSON report here ('-' for standard output; the table then goes to stderr)")
    Path report;

    @Option(
            names = "--json",
            description = "print the full JSON report on standard output (as '--report -'; the"
                    + " table and progress go to stderr); with --report FILE the same document is also written there")
    boolean json;

    /** {@code -o}/{@code --output} FORMAT, declared by the commands ({@code prepare}'s {@code --output} is a path). */
    String outputFormat;

    // set by the operator's Job only: hidden from help
    @Option(
            names = "--termination-log",
            paramLabel = "FILE",
            hidden = true,
            description = "write the compact result (JSON, at most 4096 bytes) here, e.g. /dev/termination-log; "
                    + "also switches progress to machine-readable lines on stdout")
    Path terminationLog;

    @Option(names = "--quiet", description = "no report table and no progress on the terminal")
    boolean quiet;

    /** What a command body returns: the result and the exit code. */
    public record Done(JobResult result, int exitCode) {}

    @FunctionalInterface
    public interface Body {
        Done run() throws Exception;
    }

    /** Runs the body, turns any failure into a result with a reason, writes the termination message. */
    public int run(String command, Body body) {
        json = OutputFormat.json(json, outputFormat);
        if (json && terminationLog != null) {
            // in a Job stdout carries the progress lines the operator reads: no room for a JSON document
            throw new CoreException(ExitCodes.USAGE, "--json (-o json) cannot be combined with --termination-log");
        }
        Done done;
        try {
            done = body.run();
        } catch (Exception e) {
            int code = exitCode(e);
            String message =
                    Secrets.none().scrub(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
            writeTermination(JobResult.failed(FailureReason.of(e, code), message));
            if (e instanceof CoreException ce) {
                throw ce;
            }
            throw new CoreException(code, message, e);
        }
        writeTermination(done.result());
        return done.exitCode();
    }

    /** Writes the full report (atomically) and prints the table unless quiet. */
    public void report(ComplianceReport r) throws IOException {
        report(ReportJson.toJson(r), ReportTable.render(r, ReportOutput.DEFAULT_WIDTH));
    }

    /** Writes a rendered report: JSON to {@code --report} (atomically), the table to the terminal unless quiet. */
    public void report(String json, String table) throws IOException {
        boolean dash = report != null && report.toString().equals("-");
        boolean toStdout = dash || this.json;
        if (report != null && !dash) {
            OutputFiles.write(report, json.getBytes(StandardCharsets.UTF_8));
        }
        if (toStdout) {
            System.out.println(json);
            System.out.flush();
        }
        if (!quiet) {
            // with --report - stdout carries the JSON alone, so that it can be piped into jq
            (toStdout ? System.err : System.out).println(table);
        }
        if (terminationLog != null) {
            // in a Job: the whole report as one log line, for the operator's result ConfigMap (ReportLine)
            System.out.println(ReportLine.toLine(json));
            System.out.flush();
        }
    }

    /** Seconds between two progress lines of a byte-counting step in a Job or a log. */
    static final double PLAIN_INTERVAL_SECONDS = 2;

    private String lastProgress;
    private ProgressLine bytesLine;
    private String bytesStage;
    private final java.io.PrintWriter stderr = new java.io.PrintWriter(System.err, true);

    /**
     * Reports a milestone: a machine-readable line in a Job, a short human line on stderr otherwise. The same line
     * twice in a row is printed once.
     */
    public synchronized void progress(String stage, int percent, String message) {
        endBytes();
        String line = stage + '\0' + percent + '\0' + message;
        if (line.equals(lastProgress)) {
            return;
        }
        lastProgress = line;
        if (terminationLog != null) {
            ProgressEvent.emit(System.out, stage, percent, message);
        } else if (!quiet) {
            System.err.printf("[%3d%%] %-8s %s%n", percent, stage, message);
        }
    }

    /**
     * Reports a byte-counting step that calls back often (every few MiB): on a terminal one redrawn line with the
     * bytes, rate and time left; in a log or a Job at most one line every {@link #PLAIN_INTERVAL_SECONDS}.
     *
     * @param from percent of the whole command when the step starts
     * @param to   percent when it ends
     */
    public synchronized void progressBytes(String stage, int from, int to, String label, long done, long total) {
        progressBytes(stage, from, to, label, done, total, false);
    }

    /** As {@link #progressBytes(String, int, int, String, long, long)}; {@code atMost}: the total is an upper bound. */
    public synchronized void progressBytes(
            String stage, int from, int to, String label, long done, long total, boolean atMost) {
        if (quiet && terminationLog == null) {
            return;
        }
        if (!stage.equals(bytesStage)) {
            endBytes();
            bytesStage = stage;
            if (terminationLog != null) {
                bytesLine = new ProgressLine(
                        new java.io.PrintWriter(java.io.Writer.nullWriter()), false, PLAIN_INTERVAL_SECONDS);
            } else {
                bytesLine = new ProgressLine(stderr, ProgressLine.terminal(), PLAIN_INTERVAL_SECONDS);
            }
        }
        boolean printed = bytesLine.update(label, done, total, atMost, null);
        if (printed && terminationLog != null) {
            int percent = from + (int) ((to - from) * (double) done / Math.max(1, total));
            lastProgress = null;
            ProgressEvent.emit(System.out, stage, percent, bytesLine.lastText());
        }
    }

    /** A line for people on stderr (unless quiet), after any redrawn progress line. */
    public synchronized void note(String line) {
        if (!quiet) {
            if (bytesLine != null) {
                bytesLine.finish(); // ends a redrawn line; the step's rate keeps counting from its start
            }
            System.err.println(line);
        }
    }

    private void endBytes() {
        if (bytesLine != null) {
            bytesLine.finish();
            bytesLine = null;
            bytesStage = null;
        }
    }

    public boolean inJob() {
        return terminationLog != null;
    }

    public boolean quiet() {
        return quiet;
    }

    private void writeTermination(JobResult r) {
        if (terminationLog == null) {
            return;
        }
        try {
            TerminationMessage.write(terminationLog, r);
        } catch (IOException e) {
            System.err.println(
                    "linuximage: cannot write the termination message to " + terminationLog + ": " + e.getMessage());
        }
    }

    /** The exit code of a failure: the one mapping of the error contract ({@link ExitCodes#of(Throwable)}). */
    static int exitCode(Throwable e) {
        return ExitCodes.of(e);
    }

    /** This output as the pipeline's progress sink: milestones, byte lines, notes and the report. */
    public ProgressSink sink() {
        return new ProgressSink() {
            @Override
            public void step(String stage, int percent, String message) {
                progress(stage, percent, message);
            }

            @Override
            public void bytes(String stage, int from, int to, String label, long done, long total) {
                progressBytes(stage, from, to, label, done, total);
            }

            @Override
            public void bytes(String stage, int from, int to, String label, long done, long total, boolean atMost) {
                progressBytes(stage, from, to, label, done, total, atMost);
            }

            @Override
            public void note(String line) {
                ResultOutputMixin.this.note(line);
            }

            @Override
            public void report(String json, String table) throws IOException {
                ResultOutputMixin.this.report(json, table);
            }
        };
    }
}
