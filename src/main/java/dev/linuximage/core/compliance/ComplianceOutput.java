package dev.linuximage.core.compliance;

import dev.linuximage.core.report.ExitCodes;
import dev.linuximage.core.report.ComplianceReport;
import dev.linuximage.core.report.ReportJson;
import dev.linuximage.core.report.ReportTable;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** What {@code check} and {@code prepare} do with a report: the JSON file, the table, the exit code. */
public final class ComplianceOutput {
    /** The table width used when the terminal's is unknown. */
    public static final int DEFAULT_WIDTH = 120;

    private ComplianceOutput() {
    }

    /** {@link ExitCodes#OK} when no finding is {@code Fail}, else {@link ExitCodes#NOT_COMPLIANT}. */
    public static int exitCode(ComplianceReport r) {
        return r.compliant() ? ExitCodes.OK : ExitCodes.NOT_COMPLIANT;
    }

    /** Writes the JSON report (via a temporary file and a rename, so a reader never sees half a report). */
    public static void writeJson(ComplianceReport r, Path file) throws IOException {
        Path abs = file.toAbsolutePath();
        Path tmp = abs.resolveSibling(abs.getFileName() + ".tmp");
        Files.writeString(tmp, ReportJson.toJson(r), StandardCharsets.UTF_8);
        Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
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
