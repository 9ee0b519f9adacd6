package dev.linuximage.core.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Optional;

/**
 * The full report as one log line of a Job's pod: {@code LINUXIMAGE-REPORT {...compact report JSON...}}, printed by
 * {@code check}/{@code prepare} with {@code --termination-log} after the table, before the last progress line. The
 * termination message holds only the compact {@link JobResult} (4096 bytes); the pod has no API access; so the log
 * is how the operator gets the whole report into the run's result ConfigMap (the copy on the claim is out of its
 * reach: it mounts nothing). The kubelet reassembles lines the runtime split (CRI logs split at 16 KiB), so one line
 * of any length comes back whole from {@code pods/log}.
 */
public final class ReportLine {

    public static final String PREFIX = "LINUXIMAGE-REPORT ";

    private static final ObjectMapper JSON = new ObjectMapper();

    private ReportLine() {}

    /**
     * The line for a rendered report (any JSON layout), without a line terminator: the same document, compact.
     *
     * @throws IllegalArgumentException when {@code reportJson} is not a JSON object
     */
    public static String toLine(String reportJson) {
        try {
            JsonNode n = JSON.readTree(reportJson);
            if (n == null || !n.isObject()) {
                throw new IllegalArgumentException("report is not a JSON object");
            }
            return PREFIX + n;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException("report is not JSON: " + e.getOriginalMessage());
        }
    }

    /**
     * What a log excerpt held.
     *
     * @param report  the report, compact JSON; null when none was found
     * @param tooLong a report line was there but longer than the bound (or cut short by the reader's byte limit)
     */
    public record Scan(String report, boolean tooLong) {
        static final Scan NONE = new Scan(null, false);
    }

    /** {@link #scan}'s report, if any. */
    public static Optional<String> lastIn(String log, int maxChars) {
        return Optional.ofNullable(scan(log, maxChars).report());
    }

    /**
     * The report of the last report line in a log excerpt (pod-written, hostile input), compact; none when there is
     * no such line, when it is longer than {@code maxChars}, not JSON, or its schema is not
     * {@link ComplianceReport#SCHEMA} (or a later {@code v1.x}). Never throws.
     *
     * @param maxChars a longer line is not parsed (the caller's bound on what it will store), only flagged
     */
    public static Scan scan(String log, int maxChars) {
        if (log == null) {
            return Scan.NONE;
        }
        int end = log.length();
        while (end > 0) {
            int start = log.lastIndexOf('\n', end - 1) + 1;
            String line = log.substring(start, end).strip();
            end = start - 1;
            // a container runtime may prefix a timestamp; the marker may follow it
            int at = line.indexOf(PREFIX);
            if (at < 0) {
                continue;
            }
            String json = line.substring(at + PREFIX.length());
            if (json.length() > maxChars) {
                return new Scan(null, true);
            }
            try {
                JsonNode n = JSON.readTree(json);
                String schema = n == null ? null : n.path("schema").asText(null);
                if (n == null
                        || !n.isObject()
                        || schema == null
                        || !(schema.equals(ComplianceReport.SCHEMA)
                                || schema.startsWith(ComplianceReport.SCHEMA + "."))) {
                    return Scan.NONE;
                }
                return new Scan(n.toString(), false);
            } catch (Exception e) {
                return Scan.NONE; // not JSON: no report rather than a wrong one
            }
        }
        return Scan.NONE;
    }
}
