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
 * @param unknownTolerated requirement IDs whose {@code Unknown} does not make the image non-compliant: advisory
 *                     items (repair "none: warn" or opt-in) and those the user allowed ({@code --allow-unknown},
 *                     {@code spec.guest.allowUnknown})
 */
public record ComplianceReport(
        String schema,
        String mode,
        String subject,
        Instant generatedAt,
        GuestIdentity guest,
        String imageKind,
        String provisioning,
        Boolean gen1,
        Boolean gen2,
        List<Finding> findings,
        List<ReportChange> changes,
        List<String> errors,
        List<String> unknownTolerated) {
    public static final String SCHEMA = "linuximage.dev/report/v1";

    public ComplianceReport {
        findings = List.copyOf(findings);
        changes = List.copyOf(changes == null ? List.of() : changes);
        errors = List.copyOf(errors == null ? List.of() : errors);
        unknownTolerated = List.copyOf(unknownTolerated == null ? List.of() : unknownTolerated);
    }

    /** Strict: no Unknown is tolerated. */
    public ComplianceReport(
            String schema,
            String mode,
            String subject,
            Instant generatedAt,
            GuestIdentity guest,
            String imageKind,
            String provisioning,
            Boolean gen1,
            Boolean gen2,
            List<Finding> findings,
            List<ReportChange> changes,
            List<String> errors) {
        this(
                schema,
                mode,
                subject,
                generatedAt,
                guest,
                imageKind,
                provisioning,
                gen1,
                gen2,
                findings,
                changes,
                errors,
                List.of());
    }

    /**
     * The guest's identity as reported.
     *
     * @param family the distribution family from {@code ID}, else {@code ID_LIKE} (os-release(5)): {@code debian},
     *               {@code redhat}, {@code suse}, {@code alpine}, {@code arch} or {@code unknown}
     */
    public record GuestIdentity(String osId, String versionId, String prettyName, List<String> kernels, String family) {
        public GuestIdentity {
            kernels = List.copyOf(kernels);
            family = family == null ? "unknown" : family;
        }

        public GuestIdentity(String osId, String versionId, String prettyName, List<String> kernels) {
            this(osId, versionId, prettyName, kernels, null);
        }
    }

    public ComplianceSummary summary() {
        return ComplianceSummary.of(findings, unknownTolerated);
    }

    /** No finding failed, and no Unknown outside {@link #unknownTolerated} (Warn does not count against it). */
    public boolean compliant() {
        return summary().compliant();
    }

    public Finding finding(String id) {
        return findings.stream().filter(f -> f.id().equals(id)).findFirst().orElse(null);
    }
}
