package dev.linuximage.core.report;

/** A readable terminal table of a report: one row per requirement, then the counts. */
public final class ReportTable {
    private ReportTable() {}

    public static String render(ComplianceReport r, int width) {
        int idW = r.findings().stream().mapToInt(f -> f.id().length()).max().orElse(2);
        int stW = "NotApplicable".length();
        int msgW = Math.max(20, width - idW - stW - 4);
        StringBuilder sb = new StringBuilder();
        sb.append(
                        r.guest().prettyName().isEmpty()
                                ? r.guest().osId()
                                : r.guest().prettyName())
                .append(" | ")
                .append(r.imageKind())
                .append(", ")
                .append(r.provisioning())
                .append(" | generations: ")
                .append(gens(r))
                .append('\n');
        sb.append(pad("ID", idW)).append("  ").append(pad("STATUS", stW)).append("  MESSAGE\n");
        for (Finding f : r.findings()) {
            String msg = f.message() == null ? "" : f.message();
            if ((f.status() == FindingStatus.Fail || f.status() == FindingStatus.Warn) && f.repair() != null) {
                msg += " -> " + f.repair();
            } else if (f.status() == FindingStatus.Fixed && f.repair() != null) {
                msg += " (" + f.repair() + ")";
            }
            if (msg.length() > msgW) {
                msg = msg.substring(0, msgW - 3) + "...";
            }
            sb.append(pad(f.id(), idW))
                    .append("  ")
                    .append(pad(f.status().name(), stW))
                    .append("  ")
                    .append(msg)
                    .append('\n');
        }
        ComplianceSummary s = r.summary();
        sb.append('\n');
        s.counts().forEach((k, v) -> sb.append(k.name()).append(": ").append(v).append("  "));
        sb.append('\n').append(s.compliant() ? "COMPLIANT" : "NOT COMPLIANT").append('\n');
        return sb.toString();
    }

    private static String gens(ComplianceReport r) {
        if (r.gen1() == null && r.gen2() == null) {
            return "unknown";
        }
        String g = (Boolean.TRUE.equals(r.gen1()) ? "Gen1 " : "") + (Boolean.TRUE.equals(r.gen2()) ? "Gen2" : "");
        return g.isBlank() ? "none" : g.trim();
    }

    private static String pad(String s, int w) {
        return s.length() >= w ? s : s + " ".repeat(w - s.length());
    }
}
