package dev.linuximage.core.report;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReportJsonTest {

    static Finding f(String id, FindingStatus s, String msg) {
        return new Finding(id, s, msg, List.of(new Evidence("/etc/fstab", 3, "UUID=x none swap sw 0 0")), "fix it");
    }

    @Test
    void summaryCountsEveryStatusAndListsOnlyWhatNeedsAttention() throws Exception {
        ComplianceSummary s = ComplianceSummary.of(List.of(
                f("A", FindingStatus.Pass, "ok"),
                f("B", FindingStatus.Fail, "bad"),
                f("C", FindingStatus.Fixed, "was bad"),
                f("D", FindingStatus.NotApplicable, "n/a"),
                f("E", FindingStatus.Unknown, "?")));
        assertThat(s.compliant()).isFalse();
        JsonNode n = new ObjectMapper().readTree(ReportJson.summaryJson(s, 4096));
        assertThat(n.get("schema").asText()).isEqualTo("linuximage.dev/report/v1");
        assertThat(n.get("counts").get("Pass").asInt()).isEqualTo(1);
        assertThat(n.get("counts").get("Warn").asInt()).isZero();
        assertThat(n.get("attention")).extracting(x -> x.get("id").asText()).containsExactly("B", "C", "E");
        assertThat(n.get("attention").get(0).get("message").asText()).isEqualTo("bad");
    }

    @Test
    void summaryFitsTheTerminationMessageWhateverTheFindings() throws Exception {
        List<Finding> many = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            many.add(f("REQ-" + i, FindingStatus.Fail, "é".repeat(500) + i));
        }
        ComplianceSummary s = ComplianceSummary.of(many);
        for (int max : new int[] {4096, 1024, 300}) {
            String json = ReportJson.summaryJson(s, max);
            assertThat(json.getBytes(StandardCharsets.UTF_8).length)
                    .as("max " + max)
                    .isLessThanOrEqualTo(max);
            JsonNode n = new ObjectMapper().readTree(json);
            assertThat(n.get("compliant").asBoolean()).isFalse();
            assertThat(n.get("counts").get("Fail").asInt()).isEqualTo(40);
            int listed = n.has("attention") ? n.get("attention").size() : 0;
            int omitted = n.has("omitted") ? n.get("omitted").asInt() : 0;
            if (n.has("attention")) {
                assertThat(listed + omitted).isEqualTo(40);
            }
        }
    }

    @Test
    void fullReportRoundTripsAsJson() throws Exception {
        ComplianceReport r = new ComplianceReport(
                ComplianceReport.SCHEMA,
                "prepare",
                "d.vhd",
                Instant.parse("2026-01-01T00:00:00Z"),
                new ComplianceReport.GuestIdentity("debian", "12", "Debian", List.of("6.1")),
                "Generalized",
                "CloudInit",
                true,
                null,
                List.of(f("SWAP-OS-DISK", FindingStatus.Fixed, "swap")),
                List.of(new ReportChange("SWAP-OS-DISK", "/etc/fstab", "Modified", "a", "# a")),
                List.of("x: y"));
        JsonNode n = new ObjectMapper().readTree(ReportJson.toJson(r));
        assertThat(n.get("generations").get("gen1").asBoolean()).isTrue();
        assertThat(n.get("generations").get("gen2").isNull()).isTrue();
        assertThat(n.get("findings").get(0).get("evidence").get(0).get("line").asInt())
                .isEqualTo(3);
        assertThat(n.get("changes").get(0).get("after").asText()).isEqualTo("# a");
        assertThat(n.get("summary").get("counts").get("Fixed").asInt()).isEqualTo(1);
        assertThat(n.get("errors").get(0).asText()).isEqualTo("x: y");
    }
}
