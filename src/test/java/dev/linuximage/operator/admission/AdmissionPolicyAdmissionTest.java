package dev.linuximage.operator.admission;

import static dev.linuximage.operator.admission.KubeCel.put;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.types.CelType;
import dev.cel.common.types.SimpleType;
import dev.cel.common.values.NullValue;
import dev.cel.runtime.CelEvaluationException;
import dev.linuximage.operator.admission.KubeCel.Authorizer;
import dev.linuximage.operator.admission.KubeCel.Grant;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The ValidatingAdmissionPolicy shipped in {@code k8s/base/admission-policy.yaml}, evaluated with Google's cel-java: its
 * matchConditions, variables, validations and messageExpressions are read from the YAML (never copied here),
 * compiled, and run against sample admission requests the way the API server runs them (Kubernetes docs,
 * "Validating Admission Policy": matchConditions first, all must be true for the policy to apply; then every
 * validation must be true; a false one denies with its message).
 *
 * <p>{@code authorizer} is a test double of the Kubernetes authorizer library ({@link KubeCel}: a table of
 * grants with RBAC's resourceNames rule) — test scaffolding, not a product feature. What cel-java cannot reproduce
 * here, precisely: (1) Kubernetes type-checks {@code object}/{@code oldObject} against the CRD's structural schema
 * and {@code request} against AdmissionRequest; here they are {@code dyn} maps, so a misspelt field compiles here
 * and fails only when evaluated (every sample below reaches every field the expressions name); (2) Kubernetes'
 * cost estimation and runtime cost budget; (3) {@code variables} are evaluated eagerly, in declaration order,
 * before the validations (Kubernetes evaluates them lazily; the expressions have no side effects, so results are
 * the same); (4) the real authorizer chain (RBAC, webhooks, aggregated ClusterRoles) — only the questions the
 * expressions ask and what they do with the answers are tested.
 */
class AdmissionPolicyAdmissionTest {

    static final Path POLICY = Path.of("k8s/base/admission-policy.yaml");
    static final Path CRD = Path.of("k8s/crd/linuximages.linuximage.dev-v1.yml");
    static final String NS = "images";

    static Map<String, Object> policy;
    static Map<String, Object> binding;

    @BeforeAll
    static void load() throws Exception {
        for (Map<String, Object> doc : KubeCel.readYaml(POLICY)) {
            switch ((String) doc.get("kind")) {
                case "ValidatingAdmissionPolicy" -> policy = doc;
                case "ValidatingAdmissionPolicyBinding" -> binding = doc;
                default -> throw new AssertionError("unexpected kind in " + POLICY + ": " + doc.get("kind"));
            }
        }
        assertThat(policy).as("policy in %s", POLICY).isNotNull();
        assertThat(binding).as("binding in %s", POLICY).isNotNull();
    }

    // --- the policy as the API server evaluates it ----------------------------------------------------------------

    record Verdict(boolean matched, boolean allowed, List<String> messages, List<String> asked) {}

    /** Evaluates the shipped policy for one request by {@code user} with {@code grants}. */
    @SuppressWarnings("unchecked")
    static Verdict admit(
            String operation, Map<String, Object> object, Map<String, Object> oldObject, String user, Set<Grant> grants)
            throws CelEvaluationException {
        Map<String, CelType> decls = new LinkedHashMap<>();
        decls.put("object", SimpleType.DYN);
        decls.put("oldObject", SimpleType.DYN);
        decls.put("request", KubeCel.DYN_MAP);
        decls.put("authorizer", KubeCel.AUTHORIZER);
        decls.put("variables", KubeCel.DYN_MAP);
        KubeCel cel = new KubeCel(decls);

        Map<String, Object> request = new LinkedHashMap<>();
        request.put("operation", operation);
        request.put("namespace", NS);
        request.put("name", KubeCel.at(object, "metadata.name"));
        request.put("userInfo", Map.of("username", user, "groups", List.of("system:authenticated")));
        request.put("resource", Map.of("group", "linuximage.dev", "version", "v1alpha1", "resource", "linuximages"));
        Map<String, Object> vars = new LinkedHashMap<>();
        vars.put("object", KubeCel.toCel(object));
        vars.put("oldObject", oldObject == null ? NullValue.NULL_VALUE : KubeCel.toCel(oldObject));
        vars.put("request", KubeCel.toCel(request));
        vars.put("authorizer", new Authorizer(user, grants));
        Map<String, Object> variables = new LinkedHashMap<>();
        vars.put("variables", variables);

        Map<String, Object> spec = (Map<String, Object>) policy.get("spec");
        for (Map<String, Object> mc : (List<Map<String, Object>>) spec.getOrDefault("matchConditions", List.of())) {
            if (!(Boolean) cel.eval(cel.compile((String) mc.get("expression")), vars)) {
                return new Verdict(false, true, List.of(), cel.asked);
            }
        }
        for (Map<String, Object> v : (List<Map<String, Object>>) spec.getOrDefault("variables", List.of())) {
            variables.put((String) v.get("name"), cel.eval(cel.compile((String) v.get("expression")), vars));
        }
        List<String> messages = new ArrayList<>();
        for (Map<String, Object> val : (List<Map<String, Object>>) spec.get("validations")) {
            CelAbstractSyntaxTree ast = cel.compile((String) val.get("expression"));
            Object ok = cel.eval(ast, vars);
            assertThat(ok)
                    .as("validation %s yields a bool", val.get("expression"))
                    .isInstanceOf(Boolean.class);
            if (!(Boolean) ok) {
                String msg = val.containsKey("messageExpression")
                        ? (String) cel.eval(cel.compile((String) val.get("messageExpression")), vars)
                        : (String) val.get("message");
                messages.add(val.get("reason") + ": " + msg);
            }
        }
        return new Verdict(true, messages.isEmpty(), messages, cel.asked);
    }

    static Verdict create(Map<String, Object> object, String user, Grant... grants) throws CelEvaluationException {
        return admit("CREATE", object, null, user, Set.of(grants));
    }

    // --- samples ----------------------------------------------------------------------------------------------

    static Map<String, Object> image() {
        Map<String, Object> li = new LinkedHashMap<>();
        li.put("apiVersion", "linuximage.dev/v1alpha1");
        li.put("kind", "LinuxImage");
        put(li, "metadata.name", "web");
        put(li, "metadata.namespace", NS);
        put(li, "spec.source", Map.of("claimName", "disks", "path", "builds/web.qcow2"));
        return li;
    }

    static Map<String, Object> withSecret(String secret) {
        Map<String, Object> li = image();
        put(li, "spec.upload.blobUrl", "https://acct.blob.core.windows.net/vhds/web.vhd");
        put(li, "spec.upload.credentials.secretRef", Map.of("name", secret, "type", "Sas"));
        return li;
    }

    static Map<String, Object> withWorkloadIdentity(String serviceAccount) {
        Map<String, Object> li = image();
        put(li, "spec.upload.blobUrl", "https://acct.blob.core.windows.net/vhds/web.vhd");
        Map<String, Object> wi = new LinkedHashMap<>();
        wi.put("clientId", "00000000-0000-0000-0000-000000000001");
        if (serviceAccount != null) {
            wi.put("serviceAccountName", serviceAccount);
        }
        put(li, "spec.upload.credentials.workloadIdentity", wi);
        return li;
    }

    static Grant get(String user, String resource, String name) {
        return new Grant(user, "get", "", resource, NS, name);
    }

    static Grant createPods(String user) {
        return new Grant(user, "create", "", "pods", NS, "*");
    }

    // --- the policy's shape -------------------------------------------------------------------------------------

    @Test
    @SuppressWarnings("unchecked")
    void policyMatchesLinuxImageWritesAndIsBoundToDeny() throws Exception {
        Map<String, Object> crd = KubeCel.readYaml(CRD).get(0);
        String group = (String) KubeCel.at(crd, "spec.group");
        String plural = (String) KubeCel.at(crd, "spec.names.plural");

        assertThat(policy.get("apiVersion")).isEqualTo("admissionregistration.k8s.io/v1");
        Map<String, Object> spec = (Map<String, Object>) policy.get("spec");
        assertThat(spec.get("failurePolicy"))
                .as("an admission check must fail closed")
                .isEqualTo("Fail");
        List<Map<String, Object>> rules =
                (List<Map<String, Object>>) KubeCel.at(spec, "matchConstraints.resourceRules");
        assertThat(rules).hasSize(1);
        assertThat(rules.get(0).get("apiGroups")).isEqualTo(List.of(group));
        // the main resource only: the operator's own status writes (linuximages/status) must not be judged
        assertThat(rules.get(0).get("resources")).isEqualTo(List.of(plural));
        assertThat((List<String>) rules.get(0).get("operations")).containsExactlyInAnyOrder("CREATE", "UPDATE");

        assertThat(binding.get("apiVersion")).isEqualTo("admissionregistration.k8s.io/v1");
        assertThat(KubeCel.at(binding, "spec.policyName")).isEqualTo(KubeCel.at(policy, "metadata.name"));
        assertThat((List<String>) KubeCel.at(binding, "spec.validationActions")).contains("Deny");
        assertThat(KubeCel.at(binding, "spec.matchResources"))
                .as("bound in every namespace (no namespaceSelector narrowing it)")
                .isNull();

        // both installs (k8s/ and k8s/namespaced/) include base/, which applies the policy
        assertThat(Files.readAllLines(Path.of("k8s/base/kustomization.yaml"))).contains("  - admission-policy.yaml");
        assertThat(Files.readAllLines(Path.of("k8s/kustomization.yaml"))).contains("  - base");
        assertThat(Files.readAllLines(Path.of("k8s/namespaced/kustomization.yaml")))
                .contains("  - ../base");
    }

    // --- Secrets ----------------------------------------------------------------------------------------------

    @Test
    void authorWhoMayGetTheSecretIsAdmitted() throws Exception {
        Verdict v = create(withSecret("storage-sas"), "alice", get("alice", "secrets", "storage-sas"));
        assertThat(v.messages()).isEmpty();
        assertThat(v.allowed()).isTrue();
        assertThat(v.asked()).contains("alice get secrets images/storage-sas");
    }

    @Test
    void authorWhoMayNotGetTheSecretIsRefused() throws Exception {
        Verdict v = create(withSecret("storage-sas"), "bob");
        assertThat(v.allowed()).isFalse();
        assertThat(v.messages())
                .containsExactly("Forbidden: spec.upload.credentials.secretRef.name: user bob may "
                        + "not get Secret images/storage-sas");
    }

    @Test
    void rightsOnAnotherSecretOrNamespaceDoNotCount() throws Exception {
        assertThat(create(withSecret("storage-sas"), "bob", get("bob", "secrets", "other-sas"))
                        .allowed())
                .as("resourceNames: only the named Secret")
                .isFalse();
        assertThat(create(withSecret("storage-sas"), "bob", new Grant("bob", "get", "", "secrets", "elsewhere", "*"))
                        .allowed())
                .as("a grant in another namespace")
                .isFalse();
        assertThat(create(withSecret("storage-sas"), "bob", new Grant("bob", "list", "", "secrets", NS, "*"))
                        .allowed())
                .as("list is not get")
                .isFalse();
        assertThat(create(withSecret("storage-sas"), "bob", get("bob", "secrets", "*"))
                        .allowed())
                .as("get on every Secret of the namespace")
                .isTrue();
    }

    @Test
    void noUploadNeedsNoSecretRight() throws Exception {
        Verdict v = create(image(), "bob");
        assertThat(v.allowed()).isTrue();
        assertThat(v.asked()).as("only the pods question of the variables").allMatch(a -> a.contains(" pods "));
    }

    // --- ServiceAccounts ----------------------------------------------------------------------------------------

    @Test
    void serviceAccountNeedsGetAndUse() throws Exception {
        Map<String, Object> li = withWorkloadIdentity("image-uploader");
        Grant use = new Grant("carol", "use", "", "serviceaccounts", NS, "image-uploader");
        assertThat(create(li, "carol", get("carol", "serviceaccounts", "image-uploader"), use)
                        .allowed())
                .isTrue();

        Verdict getOnly = create(li, "carol", get("carol", "serviceaccounts", "image-uploader"));
        assertThat(getOnly.allowed()).isFalse();
        assertThat(getOnly.messages())
                .containsExactly("Forbidden: spec.upload.credentials.workloadIdentity."
                        + "serviceAccountName: user carol may neither create pods in images nor use ServiceAccount "
                        + "image-uploader (verb \"use\" on serviceaccounts)");

        Verdict useOnly = create(li, "carol", use);
        assertThat(useOnly.allowed()).isFalse();
        assertThat(useOnly.messages())
                .containsExactly("Forbidden: spec.upload.credentials.workloadIdentity."
                        + "serviceAccountName: user carol may not get ServiceAccount images/image-uploader");
    }

    @Test
    void podCreatorsMayUseAnyServiceAccountTheyCanSee() throws Exception {
        // Kubernetes' own rule: create pods in a namespace = run pods as any ServiceAccount of it
        Map<String, Object> li = withWorkloadIdentity("image-uploader");
        assertThat(create(li, "erin", get("erin", "serviceaccounts", "image-uploader"), createPods("erin"))
                        .allowed())
                .isTrue();
        assertThat(create(li, "erin", createPods("erin")).allowed())
                .as("still needs get")
                .isFalse();
    }

    @Test
    void workloadIdentityWithoutANameIsCheckedAsDefault() throws Exception {
        Map<String, Object> li = withWorkloadIdentity(null);
        Grant[] onUploader = {
            get("dave", "serviceaccounts", "image-uploader"),
            new Grant("dave", "use", "", "serviceaccounts", NS, "image-uploader")
        };
        Verdict v = create(li, "dave", onUploader);
        assertThat(v.allowed()).isFalse();
        assertThat(v.asked())
                .contains("dave get serviceaccounts images/default", "dave use serviceaccounts images/default");
        assertThat(create(
                                li,
                                "dave",
                                get("dave", "serviceaccounts", "default"),
                                new Grant("dave", "use", "", "serviceaccounts", NS, "default"))
                        .allowed())
                .isTrue();
    }

    // --- spec.job overrides ----------------------------------------------------------------------------------------

    @Test
    void jobOverridesNeedCreatePods() throws Exception {
        Map<String, Map<String, Object>> overrides = new LinkedHashMap<>();
        overrides.put("image", Map.of("image", "registry.example/linuximage@sha256:abc"));
        overrides.put("tolerations", Map.of("tolerations", List.of(Map.of("key", "gpu", "operator", "Exists"))));
        overrides.put("nodeSelector", Map.of("nodeSelector", Map.of("kubernetes.io/hostname", "node-1")));
        overrides.put("empty tolerations", Map.of("tolerations", List.of()));
        // issue 16's passthrough: scheduling (affinity, priority) and what selects the pod (labels: a Service's or a
        // NetworkPolicy's selector), and annotations (webhooks act on them) are what `create pods` would give
        overrides.put("affinity", Map.of("affinity", Map.of("nodeAffinity", Map.of())));
        overrides.put("priorityClassName", Map.of("priorityClassName", "batch-high"));
        overrides.put("podLabels", Map.of("podLabels", Map.of("app", "db")));
        overrides.put("podAnnotations", Map.of("podAnnotations", Map.of("example.com/x", "y")));
        for (var e : overrides.entrySet()) {
            Map<String, Object> li = image();
            put(li, "spec.job", e.getValue());
            Verdict refused = create(li, "frank");
            assertThat(refused.allowed()).as(e.getKey()).isFalse();
            assertThat(refused.messages())
                    .as(e.getKey())
                    .containsExactly("Forbidden: spec.job.image/tolerations/"
                            + "nodeSelector/affinity/priorityClassName/podLabels/podAnnotations: user frank may not create "
                            + "pods in images, so may not override the Job pod");
            assertThat(create(li, "frank", createPods("frank")).allowed())
                    .as(e.getKey())
                    .isTrue();
            assertThat(create(li, "frank", new Grant("frank", "create", "", "pods", "elsewhere", "*"))
                            .allowed())
                    .as(e.getKey() + ", create pods elsewhere")
                    .isFalse();
        }
    }

    @Test
    void jobSettingsThatAreNotOverridesNeedNothing() throws Exception {
        Map<String, Object> li = image();
        put(
                li,
                "spec.job",
                Map.of(
                        "activeDeadlineSeconds",
                        3600,
                        "backoffLimit",
                        0,
                        "resources",
                        Map.of("limits", Map.of("memory", "2Gi"))));
        assertThat(create(li, "frank").allowed()).isTrue();
    }

    @Test
    void everyMissingRightIsReportedAtOnce() throws Exception {
        Map<String, Object> li = withWorkloadIdentity("image-uploader");
        put(li, "spec.job.image", "registry.example/other:1");
        Verdict v = create(li, "mallory");
        assertThat(v.messages()).hasSize(3).allMatch(m -> m.startsWith("Forbidden: ") && m.contains("mallory"));
    }

    // --- UPDATE ---------------------------------------------------------------------------------------------

    @Test
    void updatesAreCheckedWhenTheSpecChanges() throws Exception {
        Map<String, Object> old = withSecret("storage-sas");
        Map<String, Object> relabelled = KubeCel.deepCopy(old);
        put(relabelled, "metadata.labels", Map.of("team", "images"));
        Verdict label = admit("UPDATE", relabelled, old, "bob", Set.of());
        assertThat(label.matched()).as("a metadata-only change starts no Job").isFalse();
        assertThat(label.allowed()).isTrue();

        // bob cannot read the Secret; any spec change runs a new Job with it, on bob's behalf
        Map<String, Object> moved = KubeCel.deepCopy(old);
        put(moved, "spec.upload.blobUrl", "https://attacker.blob.core.windows.net/x/y.vhd");
        Verdict v = admit("UPDATE", moved, old, "bob", Set.of());
        assertThat(v.matched()).isTrue();
        assertThat(v.allowed()).isFalse();
        assertThat(v.messages()).singleElement().asString().contains("may not get Secret images/storage-sas");

        Map<String, Object> tweak = KubeCel.deepCopy(old);
        put(tweak, "spec.strict", false);
        assertThat(admit("UPDATE", tweak, old, "alice", Set.of(get("alice", "secrets", "storage-sas")))
                        .allowed())
                .isTrue();
    }

    // --- the shipped examples -----------------------------------------------------------------------------------

    @Test
    void shippedExamplesNeedExactlyTheRightsTheyName() throws Exception {
        int seen = 0;
        try (var files = Files.list(Path.of("k8s/examples"))) {
            for (Path f : files.sorted().toList()) {
                for (Map<String, Object> doc : KubeCel.readYaml(f)) {
                    if (!"LinuxImage".equals(doc.get("kind"))) {
                        continue;
                    }
                    seen++;
                    Object secret = KubeCel.at(doc, "spec.upload.credentials.secretRef.name");
                    Object wi = KubeCel.at(doc, "spec.upload.credentials.workloadIdentity");
                    Set<Grant> rights = new HashSet<>();
                    if (secret != null) {
                        rights.add(get("u", "secrets", (String) secret));
                    }
                    if (wi != null) {
                        Object sa = KubeCel.at(doc, "spec.upload.credentials.workloadIdentity.serviceAccountName");
                        String name = sa == null ? "default" : (String) sa;
                        rights.add(get("u", "serviceaccounts", name));
                        rights.add(new Grant("u", "use", "", "serviceaccounts", NS, name));
                    }
                    if (KubeCel.at(doc, "spec.job.image") != null
                            || KubeCel.at(doc, "spec.job.tolerations") != null
                            || KubeCel.at(doc, "spec.job.nodeSelector") != null) {
                        rights.add(createPods("u"));
                    }
                    Verdict ok = admit("CREATE", doc, null, "u", rights);
                    assertThat(ok.messages()).as(f.toString()).isEmpty();
                    if (!rights.isEmpty()) {
                        assertThat(admit("CREATE", doc, null, "u", Set.of()).allowed())
                                .as(f + " without the rights")
                                .isFalse();
                    }
                }
            }
        }
        assertThat(seen).isGreaterThanOrEqualTo(4);
    }
}
