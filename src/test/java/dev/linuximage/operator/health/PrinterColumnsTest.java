package dev.linuximage.operator.health;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.jayway.jsonpath.Configuration;
import com.jayway.jsonpath.JsonPath;
import com.jayway.jsonpath.Option;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code kubectl get limg} shows why an image is not ready (Reason) and {@code -o wide} the message, the Hyper-V
 * generations and the blob URL. The paths of the committed CRD's printer columns are evaluated with Jayway JsonPath
 * (kubectl's JSONPath dialect for these shapes) on the recorded status objects the operator really writes.
 */
class PrinterColumnsTest {
    private static final Configuration LENIENT =
            Configuration.defaultConfiguration().addOptions(Option.SUPPRESS_EXCEPTIONS);

    @Test
    void columnsAndTheirValuesOnRecordedStatus() throws Exception {
        JsonNode crd = new ObjectMapper(new YAMLFactory())
                .readTree(Path.of("crds/linuximages.linuximage.dev-v1.yml").toFile());
        Map<String, JsonNode> columns = new LinkedHashMap<>();
        crd.at("/spec/versions/0/additionalPrinterColumns")
                .forEach(c -> columns.put(c.get("name").asText(), c));
        assertThat(columns.keySet())
                .contains(
                        "Ready",
                        "Reason",
                        "Phase",
                        "Progress",
                        "Compliant",
                        "Age",
                        "Message",
                        "OS",
                        "Version",
                        "Generations",
                        "Blob");
        for (String wide : List.of("Message", "OS", "Version", "Generations", "Blob")) {
            assertThat(columns.get(wide).get("priority").asInt())
                    .as(wide + " only with -o wide")
                    .isEqualTo(1);
        }
        assertThat(columns.get("Reason").get("priority").asInt()).isZero();

        String succeeded = Files.readString(Path.of("src/test/resources/status-fixtures/succeeded.json"));
        assertThat(value(columns, "Reason", succeeded)).isEqualTo("Succeeded");
        assertThat(value(columns, "Ready", succeeded)).isEqualTo("True");
        assertThat(value(columns, "Message", succeeded)).isNotBlank();
        assertThat(value(columns, "Blob", succeeded)).startsWith("https://").doesNotContain("?");
        assertThat(value(columns, "Generations", succeeded)).contains("Gen");
        assertThat(value(columns, "OS", succeeded)).isEqualTo("debian");
        assertThat(value(columns, "Version", succeeded)).isEqualTo("12");
        String running = Files.readString(Path.of("src/test/resources/status-fixtures/running.json"));
        assertThat(value(columns, "OS", running)).as("no OS before the result").isNull();

        String pull = Files.readString(Path.of("src/test/resources/status-fixtures/pending-image-pull.json"));
        assertThat(value(columns, "Ready", pull)).isEqualTo("False");
        assertThat(value(columns, "Reason", pull)).isNotBlank();
        String stalled = Files.readString(Path.of("src/test/resources/status-fixtures/failed-stalled.json"));
        assertThat(value(columns, "Reason", stalled)).isNotBlank().isNotEqualTo("Succeeded");
    }

    private static String value(Map<String, JsonNode> columns, String name, String json) {
        String path = "$" + columns.get(name).get("jsonPath").asText();
        Object v = JsonPath.using(LENIENT).parse(json).read(path);
        if (v instanceof List<?> l) {
            return l.isEmpty() ? null : l.size() == 1 ? String.valueOf(l.get(0)) : l.toString();
        }
        return v == null ? null : String.valueOf(v);
    }
}
