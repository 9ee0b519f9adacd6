package dev.linuximage.operator.health;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.junit.jupiter.api.Test;

/**
 * Judges the recorded status objects by kstatus' documented rules (sigs.k8s.io/cli-utils, pkg/kstatus/README.md,
 * "Conditions" and "The Ready Condition"), implemented here from that text:
 * <ol>
 * <li>{@code metadata.deletionTimestamp} set: Terminating.</li>
 * <li>{@code status.observedGeneration} present and different from {@code metadata.generation}: InProgress ("there
 * are changes that the controller has not yet seen").</li>
 * <li>Reconciling=True: InProgress; Stalled=True: Failed ("abnormal-true" conditions, absent when normal).</li>
 * <li>Otherwise, for a resource with a Ready condition: Ready=True Current, Ready=False InProgress; with none,
 * Current.</li>
 * </ol>
 * and checks the conventions the rules rely on: the two standard conditions never True together, a Ready=False
 * always explained by one of them (the README: with Ready alone "there is no way to determine if a resource with the
 * Ready condition set to False is making progress or is doomed"), conditions of the observed generation, a severity
 * only on False conditions.
 */
class KstatusRulesTest {

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> conditions(Map<String, Object> obj) {
        Map<String, Object> status = (Map<String, Object>) obj.get("status");
        return status == null ? List.of() : (List<Map<String, Object>>) status.getOrDefault("conditions", List.of());
    }

    static boolean isTrue(Map<String, Object> obj, String type) {
        return conditions(obj).stream().anyMatch(c -> type.equals(c.get("type")) && "True".equals(c.get("status")));
    }

    @SuppressWarnings("unchecked")
    static String kstatus(Map<String, Object> obj) {
        Map<String, Object> metadata = (Map<String, Object>) obj.get("metadata");
        Map<String, Object> status = (Map<String, Object>) obj.get("status");
        if (metadata.get("deletionTimestamp") != null) {
            return "Terminating";
        }
        Object generation = metadata.get("generation");
        Object observed = status == null ? null : status.get("observedGeneration");
        if (generation != null
                && observed != null
                && ((Number) generation).longValue() != ((Number) observed).longValue()) {
            return "InProgress";
        }
        for (Map<String, Object> c : conditions(obj)) {
            if ("Reconciling".equals(c.get("type")) && "True".equals(c.get("status"))) {
                return "InProgress";
            }
            if ("Stalled".equals(c.get("type")) && "True".equals(c.get("status"))) {
                return "Failed";
            }
        }
        for (Map<String, Object> c : conditions(obj)) {
            if ("Ready".equals(c.get("type"))) {
                return "True".equals(c.get("status")) ? "Current" : "InProgress";
            }
        }
        return "Current";
    }

    @Test
    void everyPhaseReadsAsDocumented() throws Exception {
        Map<String, Map<String, Object>> fixtures = StatusFixtures.recorded();
        assertThat(fixtures.keySet()).containsExactlyInAnyOrderElementsOf(Expected.BY_FIXTURE.keySet());
        fixtures.forEach((name, obj) -> assertThat(kstatus(obj))
                .as(name)
                .isEqualTo(Expected.BY_FIXTURE.get(name).kstatus()));
    }

    @Test
    void theConventionsTheRulesRelyOnHold() throws Exception {
        for (var e : StatusFixtures.recorded().entrySet()) {
            String name = e.getKey();
            Map<String, Object> obj = e.getValue();
            assertThat(isTrue(obj, "Reconciling") && isTrue(obj, "Stalled"))
                    .as(name + ": never both")
                    .isFalse();
            for (Map<String, Object> c : conditions(obj)) {
                if (List.of("Reconciling", "Stalled").contains(c.get("type"))) {
                    assertThat(c.get("status"))
                            .as(name + ": abnormal-true, absent when not True")
                            .isEqualTo("True");
                }
                if ("False".equals(c.get("status"))) {
                    assertThat(c.get("severity")).as(name + " " + c.get("type")).isIn("Error", "Warning", "Info");
                } else {
                    assertThat(c.get("severity"))
                            .as(name + " " + c.get("type") + ": severity only on False")
                            .isNull();
                }
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> status = (Map<String, Object>) obj.get("status");
            assertThat(conditions(obj))
                    .as(name)
                    .allSatisfy(
                            c -> assertThat(c.get("observedGeneration")).isEqualTo(status.get("observedGeneration")));
            boolean readyTrue = isTrue(obj, "Ready");
            assertThat(readyTrue || isTrue(obj, "Reconciling") || isTrue(obj, "Stalled"))
                    .as(name + ": Ready=False is explained by Reconciling or Stalled")
                    .isTrue();
            assertThat(readyTrue && (isTrue(obj, "Reconciling") || isTrue(obj, "Stalled")))
                    .as(name + ": done means neither")
                    .isFalse();
        }
        Map<String, Object> stalled = StatusFixtures.recorded().get("failed-stalled");
        assertThat(conditions(stalled))
                .filteredOn(c -> "Ready".equals(c.get("type")))
                .singleElement()
                .satisfies(c -> assertThat(c.get("severity")).isEqualTo("Error"));
        Map<String, Object> retried = StatusFixtures.recorded().get("failed-retriable");
        assertThat(conditions(retried))
                .filteredOn(c -> "Ready".equals(c.get("type")))
                .singleElement()
                .satisfies(c -> assertThat(c.get("severity")).isEqualTo("Warning"));
    }

    /** The judge itself, on hand-written objects straight from the README's sentences. */
    @Test
    void theJudgeFollowsTheReadme() {
        Map<String, Object> gen3seen2 = Map.of(
                "metadata",
                Map.of("generation", 3),
                "status",
                Map.of("observedGeneration", 2, "conditions", List.of(Map.of("type", "Ready", "status", "True"))));
        assertThat(kstatus(gen3seen2)).isEqualTo("InProgress");
        assertThat(kstatus(Map.of("metadata", Map.of("generation", 1), "status", Map.of("observedGeneration", 1))))
                .as("no conditions at all: assumed reconciled")
                .isEqualTo("Current");
        assertThat(kstatus(Map.of(
                        "metadata",
                        Map.of("generation", 1, "deletionTimestamp", "2026-12-05T10:00:00Z"),
                        "status",
                        Map.of())))
                .isEqualTo("Terminating");
        assertThat(kstatus(Map.of(
                        "metadata",
                        Map.of(),
                        "status",
                        Map.of("conditions", List.of(Map.of("type", "Ready", "status", "False"))))))
                .as("Ready fallback")
                .isEqualTo("InProgress");
        assertThat(Objects.requireNonNull(kstatus(Map.of(
                        "metadata",
                        Map.of(),
                        "status",
                        Map.of(
                                "conditions",
                                List.of(
                                        Map.of("type", "Stalled", "status", "True"),
                                        Map.of("type", "Ready", "status", "True")))))))
                .isEqualTo("Failed");
    }
}
