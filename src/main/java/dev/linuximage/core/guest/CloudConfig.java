package dev.linuximage.core.guest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * cloud-init's effective system configuration: {@code /etc/cloud/cloud.cfg} then {@code cloud.cfg.d/*.cfg} in name
 * order, mappings merged recursively and everything else replaced by the later file (cloud-init's default merge
 * for system configuration). Files that are not valid YAML are listed in {@link #problems()}.
 */
public final class CloudConfig {
    public static final String MAIN = "/etc/cloud/cloud.cfg";
    public static final String DIR = "/etc/cloud/cloud.cfg.d";

    private final ObjectNode merged;
    private final List<String> problems;
    private final List<String> files;

    private CloudConfig(ObjectNode merged, List<String> problems, List<String> files) {
        this.merged = merged;
        this.problems = problems;
        this.files = files;
    }

    public static CloudConfig read(GuestReader r) {
        ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
        ObjectNode merged = JsonNodeFactory.instance.objectNode();
        List<String> problems = new ArrayList<>();
        List<String> files = new ArrayList<>();
        List<String> all = new ArrayList<>();
        if (r.isFile(MAIN)) {
            all.add(MAIN);
        }
        all.addAll(r.paths(DIR, n -> n.endsWith(".cfg")));
        for (String f : all) {
            Optional<String> t = r.text(f);
            if (t.isEmpty()) {
                continue;
            }
            files.add(f);
            try {
                JsonNode n = yaml.readTree(t.get());
                if (n != null && n.isObject()) {
                    merge(merged, (ObjectNode) n);
                } else if (n != null && !n.isNull() && !n.isMissingNode()) {
                    problems.add(f + ": not a YAML mapping");
                }
            } catch (Exception e) {
                problems.add(f + ": not valid YAML (" + e.getClass().getSimpleName() + ")");
            }
        }
        return new CloudConfig(merged, problems, files);
    }

    private static void merge(ObjectNode into, ObjectNode from) {
        Iterator<Map.Entry<String, JsonNode>> it = from.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode cur = into.get(e.getKey());
            if (cur instanceof ObjectNode co && e.getValue() instanceof ObjectNode eo) {
                merge(co, eo);
            } else {
                into.set(e.getKey(), e.getValue().deepCopy());
            }
        }
    }

    public JsonNode get(String... path) {
        JsonNode n = merged;
        for (String p : path) {
            n = n == null ? null : n.get(p);
        }
        return n;
    }

    public List<String> problems() {
        return problems;
    }

    public List<String> files() {
        return files;
    }

    /** Module names of a module list ({@code - mounts} or {@code - [mounts, always]}). */
    public List<String> modules(String list) {
        List<String> out = new ArrayList<>();
        JsonNode n = get(list);
        if (n != null && n.isArray()) {
            for (JsonNode e : n) {
                if (e.isTextual()) {
                    out.add(e.asText());
                } else if (e.isArray() && e.size() > 0) {
                    out.add(e.get(0).asText());
                }
            }
        }
        return out;
    }
}
