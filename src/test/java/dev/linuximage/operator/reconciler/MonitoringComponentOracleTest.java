package dev.linuximage.operator.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@code k8s/components/monitoring}: the ServiceMonitor scrapes the Service the install ships, and the alerts only
 * name metrics the operator exports (Micrometer's Prometheus naming: dots to underscores, counters get
 * {@code _total}). That the operator exports them after a reconcile is {@code LinuxImageOperatorIT}'s
 * domainMetricsAfterAReconcile.
 */
@Tag("oracle")
class MonitoringComponentOracleTest {

    static final Path COMPONENT = Path.of("k8s/components/monitoring");
    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    @Test
    void serviceMonitorScrapesTheShippedService() throws Exception {
        JsonNode k = YAML.readTree(COMPONENT.resolve("kustomization.yaml").toFile());
        assertThat(k.path("kind").asText()).isEqualTo("Component");
        JsonNode sm = YAML.readTree(COMPONENT.resolve("servicemonitor.yaml").toFile());
        JsonNode svc = YAML.readTree(Path.of("k8s/base/service.yaml").toFile());
        sm.at("/spec/selector/matchLabels")
                .fields()
                .forEachRemaining(e -> assertThat(svc.path("metadata")
                                .path("labels")
                                .path(e.getKey())
                                .asText())
                        .isEqualTo(e.getValue().asText()));
        assertThat(sm.at("/spec/namespaceSelector/matchNames/0").asText())
                .isEqualTo(svc.at("/metadata/namespace").asText());
        List<String> ports = new ArrayList<>();
        svc.at("/spec/ports").forEach(p -> ports.add(p.path("name").asText()));
        assertThat(sm.at("/spec/endpoints/0/port").asText()).isIn(ports);
        assertThat(sm.at("/spec/endpoints/0/path").asText()).isEqualTo("/q/metrics");
    }

    @Test
    void alertsNameExportedMetrics() throws Exception {
        Set<String> exported = Set.of(
                prom(LinuxImageMetrics.JOBS_FINISHED) + "_total",
                prom(LinuxImageMetrics.OUTPUT_BYTES) + "_total",
                prom(LinuxImageMetrics.UPLOAD_BYTES) + "_total",
                prom(LinuxImageMetrics.FINDINGS) + "_total",
                prom(LinuxImageMetrics.REQUIREMENTS_CHECKED) + "_total",
                prom(LinuxImageMetrics.STAGE_DURATION) + "_seconds_bucket",
                prom(LinuxImageMetrics.CORE_STEP_DURATION) + "_seconds_bucket",
                prom(LinuxImageMetrics.JOBS_ACTIVE),
                prom(LinuxImageMetrics.JOBS_ACTIVE_OLDEST));
        JsonNode rule = YAML.readTree(COMPONENT.resolve("prometheusrule.yaml").toFile());
        Set<String> alerts = new TreeSet<>();
        Set<String> used = new TreeSet<>();
        for (JsonNode g : rule.at("/spec/groups")) {
            for (JsonNode r : g.path("rules")) {
                alerts.add(r.path("alert").asText());
                Matcher m = Pattern.compile("linuximage_[a-z_]+")
                        .matcher(r.path("expr").asText());
                while (m.find()) {
                    used.add(m.group());
                }
            }
        }
        assertThat(alerts).containsExactly("LinuxImageFailed", "LinuxImageJobStuck");
        assertThat(used).isNotEmpty().isSubsetOf(exported);
        // the PromQL examples of docs/operator.md name exported metrics too
        String docs = Files.readString(Path.of("docs/operator.md"), StandardCharsets.UTF_8);
        int from = docs.indexOf("\n## Metrics\n");
        assertThat(from).as("docs/operator.md has a Metrics section").isPositive();
        String section = docs.substring(from, docs.indexOf("\n## ", from + 1));
        Matcher m = Pattern.compile("linuximage_[a-z_]+").matcher(section);
        int named = 0;
        while (m.find()) {
            String name = m.group();
            assertThat(exported.contains(name) || exported.contains(name + "_bucket"))
                    .as("docs/operator.md Metrics names %s, which the operator does not export", name)
                    .isTrue();
            named++;
        }
        assertThat(named).isGreaterThanOrEqualTo(exported.size());
    }

    /** With kubectl on the PATH: the real kustomize renders the install with the component. */
    @Test
    void kustomizeRendersTheInstallWithTheComponent() throws Exception {
        Assumptions.assumeTrue(
                System.getenv("PATH") != null
                        && java.util.Arrays.stream(System.getenv("PATH").split(java.io.File.pathSeparator))
                                .anyMatch(d -> !d.isEmpty() && Files.isExecutable(Path.of(d, "kubectl"))),
                "kubectl not on the PATH");
        Path overlay = Files.createDirectories(Path.of("target/monitoring-overlay"));
        Files.writeString(overlay.resolve("kustomization.yaml"), """
                apiVersion: kustomize.config.k8s.io/v1beta1
                kind: Kustomization
                resources: [../../k8s]
                components: [../../k8s/components/monitoring]
                """);
        Process p = new ProcessBuilder("kubectl", "kustomize", overlay.toString())
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(out).isZero();
        assertThat(out)
                .contains("kind: ServiceMonitor")
                .contains("kind: PrometheusRule")
                .contains("kind: Deployment");
    }

    static String prom(String micrometerName) {
        return micrometerName.replace('.', '_');
    }
}
