package dev.linuximage.core.report;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The compact result a Job's pod hands to the operator through its termination message (at most
 * {@link JobResultCodec#MAX_BYTES} bytes of JSON, see {@link JobResultCodec}). The full report goes to the claim and
 * the log; this is the summary that lands in the LinuxImage's status. Versioned by {@link #SCHEMA}: readers ignore
 * unknown fields, a breaking change bumps the version.
 *
 * @param schema      {@link #SCHEMA}
 * @param outcome     whether the command did everything it was asked
 * @param reason      CamelCase reason (see {@link ResultReasons}); on success {@code Succeeded}
 * @param message     one human sentence, safe to show (never a secret)
 * @param stages      per-stage outcome; a null stage was not attempted or not requested
 * @param compliance  compliance summary and the non-Pass findings; null when the check did not run
 * @param generations Hyper-V generations the image boots as ({@code Gen1}, {@code Gen2}); null when unknown
 * @param output      the written VHD; null when none was written
 * @param upload      the uploaded blob; null when nothing was uploaded
 * @param truncated   true when findings or texts were cut to fit the size limit
 * @param os          the guest's identity from os-release; null when the guest was not inspected
 * @param durations   how long the core's own steps took in this run (seconds); null when not measured
 */
public record JobResult(
        String schema,
        Outcome outcome,
        String reason,
        String message,
        Stages stages,
        Compliance compliance,
        List<String> generations,
        Output output,
        Upload upload,
        boolean truncated,
        Os os,
        Durations durations) {

    /**
     * Wall-clock time of the core's own steps in the run that wrote this result, in seconds (millisecond precision);
     * a null step did not run in this run: not requested, failed before it, done by an earlier run that this one
     * resumed, or (convert with {@code --stream-to-upload}) not a separate step. For the operator's
     * {@code linuximage_core_step_duration_seconds} histogram.
     *
     * @param convert writing the fixed VHD (the converted bytes, without patching)
     * @param patch   opening the guest file systems and repairing them (the requirement checks excluded)
     * @param check   evaluating the requirements: {@code check} once; {@code prepare} before and after the repairs
     * @param upload  the page-blob upload, verification included
     */
    public record Durations(Double convert, Double patch, Double check, Double upload) {
        /** Steps that took longer than this (about 115 days) are not believed: a pod wrote nonsense. */
        public static final double MAX_SECONDS = 1e7;

        public static final Durations NONE = new Durations(null, null, null, null);

        /** Seconds from nanoseconds, rounded to milliseconds; null for a negative value (not measured). */
        public static Double seconds(long nanos) {
            return nanos < 0 ? null : Math.round(nanos / 1e6) / 1000.0;
        }

        /** Whether no step was measured. */
        public boolean isEmpty() {
            return convert == null && patch == null && check == null && upload == null;
        }
    }

    /**
     * The guest operating system.
     *
     * @param id        os-release {@code ID} (e.g. {@code debian})
     * @param versionId os-release {@code VERSION_ID} (e.g. {@code 12}); may be empty
     * @param family    {@code debian}, {@code redhat}, {@code suse}, {@code alpine}, {@code arch} or {@code unknown}
     */
    public record Os(String id, String versionId, String family) {}

    public JobResult withOs(Os o) {
        return new JobResult(
                schema,
                outcome,
                reason,
                message,
                stages,
                compliance,
                generations,
                output,
                upload,
                truncated,
                o,
                durations);
    }

    public JobResult withDurations(Durations d) {
        return new JobResult(
                schema, outcome, reason, message, stages, compliance, generations, output, upload, truncated, os, d);
    }

    /** The schema (and version) of this DTO. */
    public static final String SCHEMA = "linuximage.dev/result/v1";

    public JobResult {
        generations = generations == null ? null : List.copyOf(generations);
    }

    /** Whether the command did everything it was asked. */
    public enum Outcome {
        Succeeded,
        Failed
    }

    /**
     * Per-stage outcome: {@code TRUE} done, {@code FALSE} attempted and failed, {@code null} not attempted or not
     * requested.
     */
    public record Stages(Boolean converted, Boolean patched, Boolean compliant, Boolean uploaded) {
        public static final Stages NONE = new Stages(null, null, null, null);
    }

    /**
     * @param summary  number of findings per status (all findings, Pass included)
     * @param findings the non-Pass findings, most severe first
     * @param omitted  how many non-Pass findings were dropped to fit the size limit
     */
    public record Compliance(Map<FindingStatus, Integer> summary, List<CompactFinding> findings, int omitted) {
        public Compliance {
            EnumMap<FindingStatus, Integer> m = new EnumMap<>(FindingStatus.class);
            if (summary != null) {
                m.putAll(summary);
            }
            summary = java.util.Collections.unmodifiableMap(m);
            findings = findings == null ? List.of() : List.copyOf(findings);
        }

        /** Summarises a full list of findings: counts every status, keeps the non-Pass ones most severe first. */
        public static Compliance of(List<Finding> all) {
            EnumMap<FindingStatus, Integer> counts = new EnumMap<>(FindingStatus.class);
            List<CompactFinding> kept = new ArrayList<>();
            for (Finding f : all) {
                counts.merge(f.status(), 1, Integer::sum);
                if (f.status() != FindingStatus.Pass) {
                    kept.add(CompactFinding.of(f));
                }
            }
            kept.sort(CompactFinding.SEVERITY_ORDER);
            return new Compliance(counts, kept, 0);
        }
    }

    /**
     * A finding reduced for the status.
     *
     * @param evidence the first evidence, compact: {@code file:line=value}
     */
    public record CompactFinding(String id, FindingStatus status, String message, String evidence) {

        public CompactFinding {
            status = status == null ? FindingStatus.Unknown : status;
        }

        /** Fail, Unknown, Warn, Fixed, NotApplicable, Pass; then by ID. Deterministic. */
        public static final Comparator<CompactFinding> SEVERITY_ORDER = Comparator.comparingInt(
                        (CompactFinding f) -> severity(f.status()))
                .thenComparing(CompactFinding::id, Comparator.nullsFirst(Comparator.naturalOrder()));

        public static CompactFinding of(Finding f) {
            String evidence = null;
            if (!f.evidence().isEmpty()) {
                Evidence e = f.evidence().get(0);
                StringBuilder sb = new StringBuilder();
                if (e.file() != null) {
                    sb.append(e.file());
                }
                if (e.line() != null) {
                    sb.append(':').append(e.line());
                }
                if (e.value() != null) {
                    sb.append(sb.length() > 0 ? "=" : "").append(e.value());
                }
                evidence = sb.length() == 0 ? null : sb.toString();
            }
            return new CompactFinding(f.id(), f.status(), f.message(), evidence);
        }

        static int severity(FindingStatus s) {
            return switch (s) {
                case Fail -> 0;
                case Unknown -> 1;
                case Warn -> 2;
                case Fixed -> 3;
                case NotApplicable -> 4;
                case Pass -> 5;
            };
        }
    }

    /**
     * @param path        where the VHD was written (as the pod saw it)
     * @param virtualSize virtual size in bytes
     * @param sha256      SHA-256 of every byte of the VHD file, lower-case hex: written by versions before issue 14
     *                    (still read from their results); no longer computed (it hashed every zero byte)
     * @param digest      the VHD's digest with its algorithm, {@code sparse-sha256-v1:<hex>}
     *                    ({@link dev.linuximage.core.upload.SparseDigest}; {@code linuximage digest} recomputes it)
     */
    public record Output(String path, Long virtualSize, String sha256, String digest) {
        /** An output of an older result: the whole-file SHA-256, no digest. */
        public Output(String path, Long virtualSize, String sha256) {
            this(path, virtualSize, sha256, null);
        }
    }

    /**
     * @param blobUrl   the blob URL without query string (never a SAS token)
     * @param bytesSent bytes actually sent
     * @param digest    digest of the uploaded content with its algorithm: {@code sparse-sha256-v1:<hex>} (results of
     *                  versions before issue 14: {@code sha256:<hex>} of every byte)
     */
    public record Upload(String blobUrl, Long bytesSent, String digest) {}

    /** A successful result with nothing but the outcome; add parts with the {@code with*} methods. */
    public static JobResult succeeded(String message) {
        return new JobResult(
                SCHEMA,
                Outcome.Succeeded,
                ResultReasons.SUCCEEDED,
                message,
                Stages.NONE,
                null,
                null,
                null,
                null,
                false,
                null,
                null);
    }

    /** A failed result. {@code reason} is CamelCase, see {@link ResultReasons}. */
    public static JobResult failed(String reason, String message) {
        return new JobResult(
                SCHEMA, Outcome.Failed, reason, message, Stages.NONE, null, null, null, null, false, null, null);
    }

    public JobResult withStages(Stages s) {
        return new JobResult(
                schema, outcome, reason, message, s, compliance, generations, output, upload, truncated, os, durations);
    }

    public JobResult withCompliance(Compliance c) {
        return new JobResult(
                schema, outcome, reason, message, stages, c, generations, output, upload, truncated, os, durations);
    }

    public JobResult withGenerations(List<String> g) {
        return new JobResult(
                schema, outcome, reason, message, stages, compliance, g, output, upload, truncated, os, durations);
    }

    public JobResult withOutput(Output o) {
        return new JobResult(
                schema, outcome, reason, message, stages, compliance, generations, o, upload, truncated, os, durations);
    }

    public JobResult withUpload(Upload u) {
        return new JobResult(
                schema, outcome, reason, message, stages, compliance, generations, output, u, truncated, os, durations);
    }
}
