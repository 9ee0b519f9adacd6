package dev.linuximage.core.report;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

/** The full report as one log line of a Job's pod, and the operator's reading of it (pod-written, hostile input). */
class ReportLineTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String REPORT = "{\n  \"schema\" : \"linuximage.dev/report/v1\",\n  \"mode\" : \"check\",\n"
            + "  \"findings\" : [ { \"id\" : \"CMDLINE-CONSOLE\", \"status\" : \"Fail\" } ]\n}";

    @Test
    void aPrettyReportBecomesOneCompactLineAndComesBackTheSame() throws Exception {
        String line = ReportLine.toLine(REPORT);
        assertThat(line).startsWith("LINUXIMAGE-REPORT {").doesNotContain("\n");
        String log = "table line\n" + line + "\nLINUXIMAGE-PROGRESS {\"stage\":\"done\",\"percent\":100}\n";
        ReportLine.Scan s = ReportLine.scan(log, 1 << 20);
        assertThat(s.tooLong()).isFalse();
        assertThat(JSON.readTree(s.report())).isEqualTo(JSON.readTree(REPORT));
    }

    @Test
    void aRuntimeTimestampBeforeTheMarkerIsAllowedAndTheLastLineWins() throws Exception {
        String older = ReportLine.toLine(REPORT.replace("check", "prepare"));
        String log = older + "\n2026-12-06T09:00:00.000000000Z " + ReportLine.toLine(REPORT) + "\n";
        assertThat(JSON.readTree(ReportLine.lastIn(log, 1 << 20).orElseThrow())
                        .path("mode")
                        .asText())
                .isEqualTo("check");
    }

    @Test
    void nothingOrSomethingElseIsNoReport() {
        assertThat(ReportLine.scan(null, 100).report()).isNull();
        assertThat(ReportLine.scan("", 100).report()).isNull();
        assertThat(ReportLine.scan("just a log\n", 100).report()).isNull();
        // another schema, not an object, cut JSON (limitBytes), garbage
        assertThat(ReportLine.lastIn(ReportLine.PREFIX + "{\"schema\":\"linuximage.dev/result/v1\"}", 100))
                .isEmpty();
        assertThat(ReportLine.lastIn(ReportLine.PREFIX + "[1,2]", 100)).isEmpty();
        assertThat(ReportLine.lastIn(ReportLine.PREFIX + "{\"schema\":\"linuximage.dev/report/v1\",\"f", 100))
                .isEmpty();
        assertThat(ReportLine.lastIn(ReportLine.PREFIX + "\u0000\u00ff", 100)).isEmpty();
        // a later minor version is read, as JobResultCodec reads results
        assertThat(ReportLine.lastIn(ReportLine.PREFIX + "{\"schema\":\"linuximage.dev/report/v1.1\"}", 100))
                .isPresent();
    }

    @Test
    void aLineLongerThanTheBoundIsFlaggedNotParsed() {
        String line = ReportLine.toLine(REPORT);
        int jsonChars = line.length() - ReportLine.PREFIX.length();
        assertThat(ReportLine.scan(line, jsonChars).report()).isNotNull();
        ReportLine.Scan s = ReportLine.scan(line, jsonChars - 1);
        assertThat(s.report()).isNull();
        assertThat(s.tooLong()).isTrue();
    }
}
