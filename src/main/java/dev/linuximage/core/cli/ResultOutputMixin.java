package dev.linuximage.core.cli;

import dev.linuximage.core.report.CoreException;
import dev.linuximage.core.report.ExitCodes;
import dev.linuximage.core.io.OutputSpaceException;
import dev.linuximage.core.report.BadInputException;
import dev.linuximage.core.report.ComplianceReport;
import dev.linuximage.core.report.JobResult;
import dev.linuximage.core.report.ProgressEvent;
import dev.linuximage.core.report.ReportJson;
import dev.linuximage.core.report.ReportTable;
import dev.linuximage.core.report.ResultReasons;
import dev.linuximage.core.report.TerminationMessage;
import dev.linuximage.core.upload.Secrets;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * How {@code check} and {@code prepare} report: the full JSON report to a file ({@code --report}), a table on the
 * terminal, progress, and — in a Job — the compact {@link JobResult} in the termination message plus progress lines
 * ({@link ProgressEvent}) on stdout that the operator reads from the pod log.
 *
 * <p>Every failure, expected or not, still produces a result with a precise reason, so the operator never has to
 * guess from an exit code.
 */
public class ResultOutputMixin {

    @Option(names = "--report", paramLabel = "report.json", description = "write the full JSON report here")
    Path report;

    @Option(names = "--termination-log", paramLabel = "FILE",
            description = "write the compact result (JSON, at most 4096 bytes) here, e.g. /dev/termination-log; "
                    + "also switches progress to machine-readable lines on stdout")
    Path terminationLog;

    @Option(names = "--quiet", description = "no report table and no progress on the terminal")
    boolean quiet;

    /** What a command body returns: the result and the exit code. */
    public record Done(JobResult result, int exitCode) {
    }

    @FunctionalInterface
    public interface Body {
        Done run() throws Exception;
    }

    /** Runs the body, turns any failure into a result with a reason, writes the termination message. */
    public int run(String command, Body body) {
        Done done;
        try {
            done = body.run();
        } catch (Exception e) {
            int code = exitCode(e);
            String message = Secrets.none().scrub(e.getMessage() == null ? e.getClass().getSimpleName()
                    : e.getMessage());
            writeTermination(JobResult.failed(reason(e, code), message));
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
        report(ReportJson.toJson(r), ReportTable.render(r, 120));
    }

    /** Writes a rendered report: JSON to {@code --report} (atomically), the table to the terminal unless quiet. */
    public void report(String json, String table) throws IOException {
        if (report != null) {
            Path tmp = report.resolveSibling("." + report.getFileName() + ".tmp");
            Files.writeString(tmp, json, StandardCharsets.UTF_8);
            Files.move(tmp, report, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
        if (!quiet) {
            System.out.println(table);
        }
    }

    /** Reports a stage: a machine-readable line in a Job, a short human line on stderr otherwise. */
    public void progress(String stage, int percent, String message) {
        if (terminationLog != null) {
            ProgressEvent.emit(System.out, stage, percent, message);
        } else if (!quiet) {
            System.err.printf("[%3d%%] %-8s %s%n", percent, stage, message);
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
            System.err.println("linuximage: cannot write the termination message to " + terminationLog + ": "
                    + e.getMessage());
        }
    }

    /** The exit code of a failure: the one mapping of the error contract ({@link ExitCodes#of(Throwable)}). */
    static int exitCode(Throwable e) {
        return ExitCodes.of(e);
    }

    /** The result reason of a failure with exit code {@code code}. */
    static String reason(Throwable e, int code) {
        if (e instanceof CoreException ce && ce.reason() != null) {
            return ce.reason();
        }
        if (code == ExitCodes.ERROR && OutputSpaceException.isNoSpace(e)) {
            return ResultReasons.OUTPUT_VOLUME_FULL;
        }
        if (e instanceof ExitCodes.Classified c) {
            return c.resultReason();
        }
        BadInputException bad = BadInputException.in(e);
        if (bad != null && code == ExitCodes.BAD_INPUT) {
            return bad.reason().resultReason();
        }
        return switch (code) {
            case ExitCodes.USAGE -> ResultReasons.INVALID_ARGUMENTS;
            case ExitCodes.BAD_INPUT -> ResultReasons.UNSUPPORTED_IMAGE;
            case ExitCodes.NOT_COMPLIANT -> ResultReasons.NOT_COMPLIANT;
            case ExitCodes.INTERRUPTED -> ResultReasons.INTERRUPTED;
            default -> ResultReasons.INTERNAL_ERROR;
        };
    }
}
