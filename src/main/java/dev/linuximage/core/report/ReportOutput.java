package dev.linuximage.core.report;

import dev.linuximage.core.io.OutputFiles;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** What {@code check} and {@code prepare} do with a report: the JSON file, the table, the exit code. */
public final class ReportOutput {
    /** The table width used when the terminal's is unknown. */
    public static final int DEFAULT_WIDTH = 120;

    private ReportOutput() {}

    /** {@link ExitCodes#OK} when no finding is {@code Fail}, else {@link ExitCodes#NOT_COMPLIANT}. */
    public static int exitCode(ComplianceReport r) {
        return r.compliant() ? ExitCodes.OK : ExitCodes.NOT_COMPLIANT;
    }

    /** Writes the JSON report (via a temporary file and a rename, so a reader never sees half a report). */
    public static void writeJson(ComplianceReport r, Path file) throws IOException {
        OutputFiles.write(file, ReportJson.toJson(r).getBytes(StandardCharsets.UTF_8));
    }

    /** Prints the table, writes the JSON when asked, and returns the exit code. */
    public static int emit(ComplianceReport r, Path reportFile, PrintStream out) throws IOException {
        out.print(ReportTable.render(r, DEFAULT_WIDTH));
        if (reportFile != null) {
            writeJson(r, reportFile);
        }
        return exitCode(r);
    }
}
