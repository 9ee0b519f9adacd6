package dev.linuximage.core.report;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The compact part of a report that the operator's status embeds: counts per status and the findings that need
 * attention (every status but Pass and NotApplicable).
 *
 * @param compliant true when no finding is {@code Fail} and no finding is {@code Unknown} unless its ID is tolerated
 *                  (catalogue: "prepare treats an Unknown on a required item as not compliant unless the user
 *                  allows it explicitly")
 */
public record ComplianceSummary(Map<FindingStatus, Integer> counts, List<Finding> attention, boolean compliant) {
    public ComplianceSummary {
        EnumMap<FindingStatus, Integer> m = new EnumMap<>(FindingStatus.class);
        for (FindingStatus s : FindingStatus.values()) {
            m.put(s, counts == null ? 0 : counts.getOrDefault(s, 0));
        }
        counts = java.util.Collections.unmodifiableMap(m);
        attention = List.copyOf(attention);
    }

    /** Strict: every Unknown counts against compliance. */
    public static ComplianceSummary of(List<Finding> findings) {
        return of(findings, java.util.Set.of());
    }

    /**
     * @param unknownTolerated IDs whose {@code Unknown} does not make the image non-compliant (advisory items and the
     *                         ones the user allowed)
     */
    public static ComplianceSummary of(List<Finding> findings, java.util.Collection<String> unknownTolerated) {
        EnumMap<FindingStatus, Integer> m = new EnumMap<>(FindingStatus.class);
        findings.forEach(f -> m.merge(f.status(), 1, Integer::sum));
        List<Finding> att = findings.stream()
                .filter(f -> f.status() != FindingStatus.Pass && f.status() != FindingStatus.NotApplicable)
                .toList();
        boolean compliant = findings.stream()
                .noneMatch(f -> f.status() == FindingStatus.Fail
                        || f.status() == FindingStatus.Unknown && !unknownTolerated.contains(f.id()));
        return new ComplianceSummary(m, att, compliant);
    }
}
