package dev.linuximage.core.report;

import java.time.Instant;
import java.util.List;

/**
 * The full compliance report (schema {@value #SCHEMA}, documented in docs/report-schema.md): one finding per
 * requirement ID in catalogue order, the changes {@code prepare} made, and patch errors.
 *
 * @param mode         {@code check} (read-only audit) or {@code prepare} (patched, then re-checked)
 * @param subject      what was examined (the disk path as given), may be null
 * @param generatedAt  when the report was made
 * @param guest        the guest's identity
 * @param imageKind    {@code Generalized} or {@code Specialized}
 * @param provisioning {@code CloudInit}, {@code WALinuxAgent} or {@code None}
 * @param gen1         boots as Hyper-V Gen1 (null = unknown)
 * @param gen2         boots as Hyper-V Gen2 (null = unknown)
 */
public record ComplianceReport(String schema, String mode, String subject, Instant generatedAt, GuestIdentity guest,
                               String imageKind, String provisioning, Boolean gen1, Boolean gen2,
                               List<Finding> findings, List<ReportChange> changes, List<String> errors) {
    public static final String SCHEMA = "linuximage.dev/report/v1";

    public ComplianceReport {
        findings = List.copyOf(findings);
        changes = List.copyOf(changes == null ? List.of() : changes);
        errors = List.copyOf(errors == null ? List.of() : errors);
    }

    /** The guest's identity as reported. */
    public record GuestIdentity(String osId, String versionId, String prettyName, List<String> kernels) {
        public GuestIdentity {
            kernels = List.copyOf(kernels);
        }
    }

    public ComplianceSummary summary() {
        return ComplianceSummary.of(findings);
    }

    /** No finding failed (Warn and Unknown do not make an image non-compliant). */
    public boolean compliant() {
        return summary().compliant();
    }

    public Finding finding(String id) {
        return findings.stream().filter(f -> f.id().equals(id)).findFirst().orElse(null);
    }
}
