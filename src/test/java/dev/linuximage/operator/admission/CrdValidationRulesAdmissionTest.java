package dev.linuximage.operator.admission;

import static dev.linuximage.operator.admission.KubeCel.put;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.types.CelType;
import dev.cel.common.types.SimpleType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every {@code x-kubernetes-validations} rule of the committed CRD ({@code k8s/crd/}, which {@code CrdDriftIT}
 * keeps equal to the one generated from the API classes), read from the YAML and evaluated with Google's cel-java
 * against valid and invalid LinuxImages, the way the API server applies them (Kubernetes docs, "Validation rules"):
 * defaults from the schema are applied first; a rule runs on each value its schema node describes, with that value
 * as {@code self}; a <i>transition rule</i> (one that references {@code oldSelf}) runs only on an update whose old
 * object has a value at the same path, with that value as {@code oldSelf}.
 *
 * <p>What cel-java cannot reproduce here, precisely: (1) Kubernetes compiles each rule with {@code self} typed from
 * the structural schema; here {@code self} is {@code dyn}, so a rule naming a field the schema lacks is caught only
 * when a sample reaches it (each rule below is reached by a valid and an invalid sample); (2) the per-rule cost
 * estimate (driven by maxItems/maxLength) and the runtime cost budget are Kubernetes' own and not computed;
 * (3) Kubernetes' CEL libraries (lists, regex, urls, quantity, ...) are not declared: no rule of this CRD uses
 * them, and one that did would fail to compile here rather than be skipped; (4) correlation of {@code oldSelf}
 * through list items (only map-keyed lists correlate) is not modelled: the CRD's only transition rule is on an
 * object field path ({@code spec.source}).
 */
class CrdValidationRulesAdmissionTest {

    static final Path CRD = Path.of("k8s/crd/linuximages.linuximage.dev-v1.yml");

    record Rule(String path, String rule, String message, boolean transition, CelAbstractSyntaxTree ast) {}

    static Map<String, Object> schema;
    static final List<Rule> RULES = new ArrayList<>();
    static KubeCel cel;

    @BeforeAll
    @SuppressWarnings("unchecked")
    static void load() throws Exception {
        Map<String, Object> crd = KubeCel.readYaml(CRD).get(0);
        List<Map<String, Object>> versions = (List<Map<String, Object>>) KubeCel.at(crd, "spec.versions");
        assertThat(versions).hasSize(1);
        schema = (Map<String, Object>) KubeCel.at(versions.get(0), "schema.openAPIV3Schema");
        Map<String, CelType> selfOnly = Map.of("self", SimpleType.DYN);
        Map<String, CelType> both = new LinkedHashMap<>(selfOnly);
        both.put("oldSelf", SimpleType.DYN);
        KubeCel plain = new KubeCel(selfOnly);
        cel = new KubeCel(both);
        collect(schema, "", plain);
    }

    /** Walks the schema (properties, items, additionalProperties) and compiles every rule. */
    @SuppressWarnings("unchecked")
    static void collect(Map<String, Object> node, String path, KubeCel plain) {
        for (Map<String, Object> v :
                (List<Map<String, Object>>) node.getOrDefault("x-kubernetes-validations", List.of())) {
            String rule = (String) v.get("rule");
            // A rule is a transition rule iff it references oldSelf: it then does not compile without oldSelf.
            boolean transition = plain.cel.compile(rule).hasError();
            RULES.add(new Rule(path, rule, (String) v.get("message"), transition, cel.compile(rule)));
        }
        ((Map<String, Map<String, Object>>) node.getOrDefault("properties", Map.of()))
                .forEach((k, child) -> collect(child, path.isEmpty() ? k : path + "." + k, plain));
        if (node.get("items") instanceof Map<?, ?> items) {
            collect((Map<String, Object>) items, path + "[]", plain);
        }
        if (node.get("additionalProperties") instanceof Map<?, ?> ap) {
            collect((Map<String, Object>) ap, path + "{}", plain);
        }
    }

    /** Schema defaulting (applied by the API server before validation): absent fields with a default get it. */
    @SuppressWarnings("unchecked")
    static void applyDefaults(Map<String, Object> node, Object value) {
        if (value instanceof Map<?, ?> m && node.get("properties") instanceof Map<?, ?> props) {
            Map<String, Object> obj = (Map<String, Object>) m;
            ((Map<String, Map<String, Object>>) props).forEach((k, child) -> {
                if (!obj.containsKey(k) && child.containsKey("default")) {
                    obj.put(k, KubeCel.toCel(child.get("default")));
                }
                if (obj.containsKey(k)) {
                    applyDefaults(child, obj.get(k));
                }
            });
        } else if (value instanceof List<?> l && node.get("items") instanceof Map<?, ?> items) {
            l.forEach(x -> applyDefaults((Map<String, Object>) items, x));
        }
    }

    /** The messages ("path: message") of every rule that rejects {@code object} (an update when old is given). */
    static List<String> validate(Map<String, Object> object, Map<String, Object> old) throws Exception {
        Map<String, Object> o = KubeCel.deepCopy(object);
        applyDefaults(schema, o);
        Map<String, Object> prev = null;
        if (old != null) {
            prev = KubeCel.deepCopy(old);
            applyDefaults(schema, prev);
        }
        List<String> violations = new ArrayList<>();
        walk(schema, "", o, prev, violations);
        return violations;
    }

    @SuppressWarnings("unchecked")
    static void walk(Map<String, Object> node, String path, Object self, Object oldSelf, List<String> out)
            throws Exception {
        for (Rule r : RULES) {
            if (!r.path().equals(path) || (r.transition() && oldSelf == null)) {
                continue;
            }
            Map<String, Object> vars = new LinkedHashMap<>();
            vars.put("self", self);
            if (r.transition()) {
                vars.put("oldSelf", oldSelf);
            }
            Object ok = cel.eval(r.ast(), vars);
            assertThat(ok).as("rule %s yields a bool", r.rule()).isInstanceOf(Boolean.class);
            if (!(Boolean) ok) {
                out.add(path + ": " + r.message());
            }
        }
        if (self instanceof Map<?, ?> m && node.get("properties") instanceof Map<?, ?> props) {
            for (var e : ((Map<String, Map<String, Object>>) props).entrySet()) {
                Object child = ((Map<String, Object>) m).get(e.getKey());
                if (child != null) {
                    Object oldChild = oldSelf instanceof Map<?, ?> om ? om.get(e.getKey()) : null;
                    walk(e.getValue(), path.isEmpty() ? e.getKey() : path + "." + e.getKey(), child, oldChild, out);
                }
            }
        }
        if (self instanceof List<?> l && node.get("items") instanceof Map<?, ?> items) {
            for (Object x : l) {
                walk((Map<String, Object>) items, path + "[]", x, null, out);
            }
        }
        if (self instanceof Map<?, ?> m && node.get("additionalProperties") instanceof Map<?, ?> ap) {
            for (Object x : m.values()) {
                walk((Map<String, Object>) ap, path + "{}", x, null, out);
            }
        }
    }

    static String message(String path) {
        List<String> at = RULES.stream()
                .filter(r -> r.path().equals(path))
                .map(Rule::message)
                .toList();
        assertThat(at).as("one rule at %s", path).hasSize(1);
        return path + ": " + at.get(0);
    }

    static String message(String path, String startsWith) {
        List<String> at = RULES.stream()
                .filter(r -> r.path().equals(path) && r.message().startsWith(startsWith))
                .map(Rule::message)
                .toList();
        assertThat(at).as("one rule at %s starting %s", path, startsWith).hasSize(1);
        return path + ": " + at.get(0);
    }

    static Map<String, Object> image() {
        Map<String, Object> li = new LinkedHashMap<>();
        put(li, "spec.source", Map.of("claimName", "disks", "path", "builds/web.qcow2"));
        return li;
    }

    static Map<String, Object> withSas() {
        Map<String, Object> li = image();
        put(li, "spec.upload.blobUrl", "https://acct.blob.core.windows.net/vhds/web.vhd");
        put(li, "spec.upload.credentials.secretRef.name", "storage-sas");
        return li;
    }

    /** Invalid samples found, per rule path+message, to prove each rule is exercised. */
    static final Set<String> REJECTED_BY = new LinkedHashSet<>();

    static void assertRejects(Map<String, Object> object, Map<String, Object> old, String expected) throws Exception {
        assertThat(validate(object, old)).containsExactly(expected);
        REJECTED_BY.add(expected);
    }

    // --- the rules ----------------------------------------------------------------------------------------------

    @Test
    void rulesAreFoundAndCompile() {
        assertThat(RULES)
                .extracting(Rule::path)
                .containsExactlyInAnyOrder(
                        "spec",
                        "spec",
                        "spec.guest.allowUnknown",
                        "spec.guest.deprovision.removeUsers",
                        "spec.guest.kernelArgs.add",
                        "spec.guest.kernelArgs.remove",
                        "spec.output.path",
                        "spec.source",
                        "spec.source.path",
                        "spec.upload.credentials");
        assertThat(RULES).filteredOn(Rule::transition).extracting(Rule::path).containsExactly("spec.source");
    }

    @Test
    void shippedExamplesPassEveryRule() throws Exception {
        int seen = 0;
        try (var files = Files.list(Path.of("k8s/examples"))) {
            for (Path f : files.sorted().toList()) {
                for (Map<String, Object> doc : KubeCel.readYaml(f)) {
                    if ("LinuxImage".equals(doc.get("kind"))) {
                        seen++;
                        assertThat(validate(doc, null)).as(f.toString()).isEmpty();
                        assertThat(validate(doc, doc))
                                .as(f + " unchanged update")
                                .isEmpty();
                    }
                }
            }
        }
        assertThat(seen).isGreaterThanOrEqualTo(4);
    }

    @Test
    void userAndKernelArgumentLengths() throws Exception {
        Map<String, Object> ok = image();
        put(ok, "spec.guest.deprovision.removeUsers", List.of("b", "x".repeat(32)));
        put(ok, "spec.guest.kernelArgs.add", List.of("nvme_core.io_timeout=240", "y".repeat(256)));
        put(ok, "spec.guest.kernelArgs.remove", List.of("quiet"));
        assertThat(validate(ok, null)).isEmpty();

        for (List<String> users : List.of(List.of(""), List.of("builder", "x".repeat(33)))) {
            Map<String, Object> bad = image();
            put(bad, "spec.guest.deprovision.removeUsers", users);
            assertRejects(bad, null, message("spec.guest.deprovision.removeUsers"));
        }
        for (String field : List.of("add", "remove")) {
            for (String arg : List.of("", "z".repeat(257))) {
                Map<String, Object> bad = image();
                put(bad, "spec.guest.kernelArgs." + field, List.of("quiet", arg));
                assertRejects(bad, null, message("spec.guest.kernelArgs." + field));
            }
        }
    }

    /** Catalogue IDs (docs/requirements.md) are upper-case words joined by hyphens. */
    @Test
    void allowUnknownTakesRequirementIdsOnly() throws Exception {
        Map<String, Object> ok = image();
        put(
                ok,
                "spec.guest.allowUnknown",
                List.of("BOOT-GENERATION", "DISK-GPT", "CLOUDINIT-DATASOURCE", "KERNEL-HV-DRIVERS"));
        assertThat(validate(ok, null)).isEmpty();
        for (String id : List.of("", "boot-generation", "DISK", "DISK-GPT; rm -rf /", "-DISK-GPT", "DISK--GPT")) {
            Map<String, Object> bad = image();
            put(bad, "spec.guest.allowUnknown", List.of("DISK-GPT", id));
            assertRejects(bad, null, message("spec.guest.allowUnknown"));
        }
    }

    @Test
    void pathsHaveNoDotDotSegments() throws Exception {
        for (String p : List.of("a/b.qcow2", "a..b/c", "a/..b", "b../c", "..a", "a/.../b", "./a")) {
            Map<String, Object> ok = image();
            put(ok, "spec.source.path", p);
            put(ok, "spec.output.path", p);
            assertThat(validate(ok, null)).as(p).isEmpty();
        }
        for (String p : List.of("..", "../etc/shadow", "a/../../b", "a/..", "a/../b")) {
            Map<String, Object> bad = image();
            put(bad, "spec.source.path", p);
            assertRejects(bad, null, message("spec.source.path"));
            Map<String, Object> badOut = image();
            put(badOut, "spec.output.path", p);
            assertRejects(badOut, null, message("spec.output.path"));
        }
    }

    @Test
    void sourceIsImmutableOnUpdateOnly() throws Exception {
        Map<String, Object> old = image();
        Map<String, Object> moved = image();
        put(moved, "spec.source.path", "builds/other.qcow2");
        assertThat(validate(moved, null))
                .as("a create has no oldSelf: the transition rule does not run")
                .isEmpty();
        assertRejects(moved, old, message("spec.source"));

        Map<String, Object> format = image();
        put(format, "spec.source.format", "qcow2");
        assertRejects(format, old, message("spec.source"));

        Map<String, Object> otherField = image();
        put(otherField, "spec.strict", false);
        assertThat(validate(otherField, old)).as("other fields may change").isEmpty();
    }

    @Test
    void exactlyOneCredential() throws Exception {
        assertThat(validate(withSas(), null)).isEmpty();
        Map<String, Object> wi = image();
        put(wi, "spec.upload.blobUrl", "https://acct.blob.core.windows.net/vhds/web.vhd");
        put(wi, "spec.upload.credentials.workloadIdentity.clientId", "00000000-0000-0000-0000-000000000001");
        assertThat(validate(wi, null)).isEmpty();

        Map<String, Object> both = withSas();
        put(both, "spec.upload.credentials.workloadIdentity.clientId", "00000000-0000-0000-0000-000000000001");
        assertRejects(both, null, message("spec.upload.credentials"));
        Map<String, Object> none = image();
        put(none, "spec.upload.blobUrl", "https://acct.blob.core.windows.net/vhds/web.vhd");
        put(none, "spec.upload.credentials", Map.of());
        assertRejects(none, null, message("spec.upload.credentials"));
    }

    @Test
    void auditModeIsReadOnly() throws Exception {
        Map<String, Object> audit = image();
        put(audit, "spec.mode", "Audit");
        assertThat(validate(audit, null)).isEmpty();
        assertThat(validate(withSas(), null))
                .as("mode defaults to Prepare, which may upload")
                .isEmpty();

        Map<String, Object> auditUpload = withSas();
        put(auditUpload, "spec.mode", "Audit");
        assertRejects(auditUpload, null, message("spec", "Audit mode"));
        Map<String, Object> auditOutput = image();
        put(auditOutput, "spec.mode", "Audit");
        put(auditOutput, "spec.output.claimName", "out");
        assertRejects(auditOutput, null, message("spec", "Audit mode"));
    }

    @Test
    void streamToUploadNeedsAnUpload() throws Exception {
        Map<String, Object> stream = withSas();
        put(stream, "spec.output.streamToUpload", true);
        assertThat(validate(stream, null)).isEmpty();
        Map<String, Object> off = image();
        put(off, "spec.output.streamToUpload", false);
        assertThat(validate(off, null)).isEmpty();
        Map<String, Object> defaulted = image();
        put(defaulted, "spec.output.claimName", "out");
        assertThat(validate(defaulted, null))
                .as("streamToUpload defaults to false")
                .isEmpty();

        Map<String, Object> bad = image();
        put(bad, "spec.output.streamToUpload", true);
        assertRejects(bad, null, message("spec", "output.streamToUpload"));
    }

    @Test
    void everyRuleRejectsSomething() throws Exception {
        // run the rejecting samples (test order is not guaranteed), then require one per rule
        userAndKernelArgumentLengths();
        allowUnknownTakesRequirementIdsOnly();
        pathsHaveNoDotDotSegments();
        sourceIsImmutableOnUpdateOnly();
        exactlyOneCredential();
        auditModeIsReadOnly();
        streamToUploadNeedsAnUpload();
        assertThat(REJECTED_BY)
                .containsExactlyInAnyOrderElementsOf(
                        RULES.stream().map(r -> r.path() + ": " + r.message()).toList());
    }
}
