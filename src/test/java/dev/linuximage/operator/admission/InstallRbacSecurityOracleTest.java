package dev.linuximage.operator.admission;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The two installs in {@code k8s/}: cluster-wide ({@code k8s/}) and namespaced ({@code k8s/namespaced/}). Each is
 * rendered from its kustomization by a small reader here (resources, files and directories, recursively; patches
 * merged the way strategic merge treats the fields used: maps recursively, lists of named items by name), and, when
 * {@code kubectl} is on the PATH, also by {@code kubectl kustomize} (the real kustomize), whose output must agree
 * with the reader's on every object, RBAC rule and environment variable (that test is skipped, and reported as
 * skipped, without kubectl).
 *
 * <p>Asserted: the namespaced install has no ClusterRole or ClusterRoleBinding at all; its Roles are exactly one
 * per namespace the Deployment tells the operator to watch (plus none elsewhere), each with the ClusterRole's rules
 * and bound to the operator's ServiceAccount; no install grants anything on Secrets; the cluster-wide ClusterRole's
 * rules are exactly the table in docs/operator.md "Security".
 */
@Tag("oracle")
class InstallRbacSecurityOracleTest {

    static final String WATCH_ENV = "QUARKUS_OPERATOR_SDK_CONTROLLERS_LINUXIMAGE_NAMESPACES";
    static final String OPERATOR_NS = "linuximage-system";
    static final String LEASE_ROLE = "linuximage-operator-leader-election";
    static final String OWN_POD_ROLE = "linuximage-operator-own-pod";

    // --- rendering --------------------------------------------------------------------------------------------

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> render(Path dir) throws Exception {
        Map<String, Object> k =
                KubeCel.readYaml(dir.resolve("kustomization.yaml")).get(0);
        List<Map<String, Object>> docs = new ArrayList<>();
        for (String r : (List<String>) k.getOrDefault("resources", List.of())) {
            Path p = dir.resolve(r).normalize();
            if (Files.isDirectory(p)) {
                docs.addAll(render(p));
            } else {
                assertThat(p.normalize().startsWith(dir.normalize()))
                        .as("kustomize loads files only below the kustomization's own directory: %s", p)
                        .isTrue();
                docs.addAll(KubeCel.readYaml(p));
            }
        }
        for (Map<String, Object> patch : (List<Map<String, Object>>) k.getOrDefault("patches", List.of())) {
            for (Map<String, Object> pd : KubeCel.readYaml(dir.resolve((String) patch.get("path")))) {
                Map<String, Object> target = docs.stream()
                        .filter(d -> sameObject(d, pd))
                        .findFirst()
                        .orElseThrow(() -> new AssertionError("patch target missing: " + id(pd)));
                merge(target, pd);
            }
        }
        return docs;
    }

    static boolean sameObject(Map<String, Object> a, Map<String, Object> b) {
        return id(a).equals(id(b));
    }

    static String id(Map<String, Object> d) {
        return d.get("kind") + " " + Objects.requireNonNullElse(KubeCel.at(d, "metadata.namespace"), "") + "/"
                + KubeCel.at(d, "metadata.name");
    }

    @SuppressWarnings("unchecked")
    static void merge(Map<String, Object> target, Map<String, Object> patch) {
        patch.forEach((key, pv) -> {
            Object tv = target.get(key);
            if (tv instanceof Map<?, ?> tm && pv instanceof Map<?, ?> pm) {
                merge((Map<String, Object>) tm, (Map<String, Object>) pm);
            } else if (tv instanceof List<?> tl && pv instanceof List<?> pl && named(tl) && named(pl)) {
                List<Object> out = new ArrayList<>(tl);
                for (Object item : pl) {
                    Map<String, Object> pi = (Map<String, Object>) item;
                    out.stream()
                            .filter(t -> ((Map<?, ?>) t).get("name").equals(pi.get("name")))
                            .findFirst()
                            .ifPresentOrElse(t -> merge((Map<String, Object>) t, pi), () -> out.add(pi));
                }
                target.put(key, out);
            } else {
                target.put(key, pv);
            }
        });
    }

    static boolean named(List<?> l) {
        return l.stream().allMatch(x -> x instanceof Map<?, ?> m && m.get("name") instanceof String);
    }

    static List<Map<String, Object>> kustomize(Path dir) throws Exception {
        Process p = new ProcessBuilder("kubectl", "kustomize", dir.toString())
                .redirectErrorStream(false)
                .start();
        byte[] out = p.getInputStream().readAllBytes();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("kubectl kustomize %s: %s", dir, err).isZero();
        return KubeCel.readYaml(new String(out, StandardCharsets.UTF_8));
    }

    static boolean kubectlOnPath() {
        return java.util.Arrays.stream(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
                .anyMatch(d -> !d.isEmpty() && Files.isExecutable(Path.of(d, "kubectl")));
    }

    // --- views ----------------------------------------------------------------------------------------------

    static List<Map<String, Object>> ofKind(List<Map<String, Object>> docs, String kind) {
        return docs.stream().filter(d -> kind.equals(d.get("kind"))).toList();
    }

    /** Rules expanded to "group resource" -> sorted verbs. */
    @SuppressWarnings("unchecked")
    static Map<String, Set<String>> rules(Map<String, Object> role) {
        Map<String, Set<String>> out = new TreeMap<>();
        for (Map<String, Object> r : (List<Map<String, Object>>) role.get("rules")) {
            assertThat(r)
                    .as("no resourceNames/nonResourceURLs in %s", id(role))
                    .containsOnlyKeys("apiGroups", "resources", "verbs");
            for (String g : (List<String>) r.get("apiGroups")) {
                for (String res : (List<String>) r.get("resources")) {
                    out.computeIfAbsent((g.isEmpty() ? "\"\"" : g) + " " + res, x -> new TreeSet<>())
                            .addAll((List<String>) r.get("verbs"));
                }
            }
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    static Map<String, String> env(Map<String, Object> deployment) {
        List<Map<String, Object>> containers =
                (List<Map<String, Object>>) KubeCel.at(deployment, "spec.template.spec.containers");
        Map<String, String> env = new TreeMap<>();
        for (Map<String, Object> c : containers) {
            for (Map<String, Object> e : (List<Map<String, Object>>) c.getOrDefault("env", List.of())) {
                env.put((String) e.get("name"), (String) e.get("value"));
            }
        }
        return env;
    }

    /** The table between the rbac-rules markers of docs/operator.md, as "group resource" -> verbs. */
    static Map<String, Set<String>> readmeRules() throws Exception {
        List<String> lines = Files.readAllLines(Path.of("docs", "operator.md"));
        int from = lines.indexOf("<!-- rbac-rules:begin -->");
        int to = lines.indexOf("<!-- rbac-rules:end -->");
        assertThat(from).as("docs/operator.md rbac-rules table").isNotNegative();
        Map<String, Set<String>> out = new TreeMap<>();
        for (String l : lines.subList(from + 1, to)) {
            if (!l.startsWith("| `")) {
                continue;
            }
            String[] cells = l.split("\\|");
            String group = cells[1].trim().replace("`", "");
            for (String res : cells[2].trim().replace("`", "").split(",\\s*")) {
                out.computeIfAbsent(group + " " + res, x -> new TreeSet<>())
                        .addAll(List.of(cells[3].trim().split(",\\s*")));
            }
        }
        return out;
    }

    // --- tests ----------------------------------------------------------------------------------------------

    @Test
    void clusterWideRoleIsExactlyWhatTheReadmeDocuments() throws Exception {
        List<Map<String, Object>> docs = render(Path.of("k8s"));
        List<Map<String, Object>> roles = ofKind(docs, "ClusterRole");
        assertThat(roles).hasSize(1);
        assertThat(rules(roles.get(0))).isEqualTo(readmeRules());
        assertThat(ofKind(docs, "Role"))
                .extracting(InstallRbacSecurityOracleTest::id)
                .containsExactly("Role " + OPERATOR_NS + "/" + LEASE_ROLE);
        Map<String, Object> binding = ofKind(docs, "ClusterRoleBinding").get(0);
        assertThat(KubeCel.at(binding, "roleRef.name")).isEqualTo(KubeCel.at(roles.get(0), "metadata.name"));
        assertThat(binding.get("subjects"))
                .isEqualTo(List.of(
                        Map.of("kind", "ServiceAccount", "name", "linuximage-operator", "namespace", OPERATOR_NS)));
        assertThat(env(ofKind(docs, "Deployment").get(0)))
                .as("watches every namespace")
                .doesNotContainKey(WATCH_ENV);
    }

    @Test
    void namespacedInstallHasNoClusterRightsAndOneRolePerWatchedNamespace() throws Exception {
        List<Map<String, Object>> docs = render(Path.of("k8s/namespaced"));
        assertThat(ofKind(docs, "ClusterRole")).isEmpty();
        assertThat(ofKind(docs, "ClusterRoleBinding")).isEmpty();

        String watch = env(ofKind(docs, "Deployment").get(0)).get(WATCH_ENV);
        assertThat(watch).as(WATCH_ENV).isNotBlank();
        Set<String> watched = Set.of(watch.split(","));

        Map<String, Set<String>> clusterWide =
                rules(ofKind(render(Path.of("k8s")), "ClusterRole").get(0));
        Set<String> roleNamespaces = new TreeSet<>();
        for (Map<String, Object> role : ofKind(docs, "Role")) {
            if (LEASE_ROLE.equals(KubeCel.at(role, "metadata.name"))
                    || OWN_POD_ROLE.equals(KubeCel.at(role, "metadata.name"))) {
                continue;
            }
            String ns = (String) KubeCel.at(role, "metadata.namespace");
            roleNamespaces.add(ns);
            assertThat(rules(role))
                    .as("Role in %s: the ClusterRole's rules, namespaced", ns)
                    .isEqualTo(clusterWide);
            Map<String, Object> binding = ofKind(docs, "RoleBinding").stream()
                    .filter(b -> ns.equals(KubeCel.at(b, "metadata.namespace")))
                    .findFirst()
                    .orElseThrow();
            assertThat(KubeCel.at(binding, "roleRef.kind")).isEqualTo("Role");
            assertThat(KubeCel.at(binding, "roleRef.name")).isEqualTo(KubeCel.at(role, "metadata.name"));
            assertThat(binding.get("subjects"))
                    .isEqualTo(List.of(
                            Map.of("kind", "ServiceAccount", "name", "linuximage-operator", "namespace", OPERATOR_NS)));
        }
        assertThat(roleNamespaces)
                .as("a Role for exactly the watched namespaces")
                .isEqualTo(watched);
        assertThat(ofKind(docs, "ValidatingAdmissionPolicyBinding"))
                .as("admission in both installs")
                .hasSize(1);
        assertThat(ofKind(docs, "CustomResourceDefinition")).hasSize(1);
    }

    @Test
    void bothInstallsLetTheReplicasShareOneLeaseAndNothingMore() throws Exception {
        for (String dir : List.of("k8s", "k8s/namespaced")) {
            List<Map<String, Object>> docs = render(Path.of(dir));
            Map<String, Object> role = ofKind(docs, "Role").stream()
                    .filter(r -> LEASE_ROLE.equals(KubeCel.at(r, "metadata.name")))
                    .findFirst()
                    .orElseThrow();
            assertThat(KubeCel.at(role, "metadata.namespace")).as(dir).isEqualTo(OPERATOR_NS);
            // the verbs Java Operator SDK's LeaderElectionManager checks before it starts (get, create, update)
            assertThat(rules(role))
                    .as(dir)
                    .isEqualTo(Map.of("coordination.k8s.io leases", Set.of("get", "create", "update")));
            Map<String, Object> binding = ofKind(docs, "RoleBinding").stream()
                    .filter(r -> LEASE_ROLE.equals(KubeCel.at(r, "metadata.name")))
                    .findFirst()
                    .orElseThrow();
            assertThat(KubeCel.at(binding, "metadata.namespace")).isEqualTo(OPERATOR_NS);
            assertThat(KubeCel.at(binding, "roleRef.name")).isEqualTo(LEASE_ROLE);
            assertThat(binding.get("subjects"))
                    .isEqualTo(List.of(
                            Map.of("kind", "ServiceAccount", "name", "linuximage-operator", "namespace", OPERATOR_NS)));
            Map<String, Object> deployment = ofKind(docs, "Deployment").get(0);
            assertThat(((Number) KubeCel.at(deployment, "spec.replicas")).intValue())
                    .as(dir)
                    .isEqualTo(2);
            assertThat(KubeCel.at(deployment, "spec.strategy.type")).as(dir).isEqualTo("RollingUpdate");
        }
        assertThat(Files.readAllLines(Path.of("src/main/resources/application.properties")))
                .contains("quarkus.operator-sdk.activate-leader-election-for-profiles=prod");
    }

    /**
     * The Jobs run the operator's own image, read from its Pod (OwnImage): both installs let it get pods in its own
     * namespace (cluster-wide through the ClusterRole, namespaced through one extra Role there, nothing more), and the
     * Deployment hands it its Pod's name and namespace from the downward API instead of naming the image twice.
     */
    @Test
    @SuppressWarnings("unchecked")
    void bothInstallsLetTheOperatorReadItsOwnPod() throws Exception {
        assertThat(rules(ofKind(render(Path.of("k8s")), "ClusterRole").get(0)).get("\"\" pods"))
                .contains("get");
        List<Map<String, Object>> docs = render(Path.of("k8s/namespaced"));
        Map<String, Object> role = ofKind(docs, "Role").stream()
                .filter(r -> OWN_POD_ROLE.equals(KubeCel.at(r, "metadata.name")))
                .findFirst()
                .orElseThrow();
        assertThat(KubeCel.at(role, "metadata.namespace")).isEqualTo(OPERATOR_NS);
        assertThat(rules(role)).isEqualTo(Map.of("\"\" pods", Set.of("get")));
        Map<String, Object> binding = ofKind(docs, "RoleBinding").stream()
                .filter(r -> OWN_POD_ROLE.equals(KubeCel.at(r, "metadata.name")))
                .findFirst()
                .orElseThrow();
        assertThat(KubeCel.at(binding, "metadata.namespace")).isEqualTo(OPERATOR_NS);
        assertThat(KubeCel.at(binding, "roleRef.name")).isEqualTo(OWN_POD_ROLE);
        assertThat(binding.get("subjects"))
                .isEqualTo(List.of(
                        Map.of("kind", "ServiceAccount", "name", "linuximage-operator", "namespace", OPERATOR_NS)));
        for (String dir : List.of("k8s", "k8s/namespaced")) {
            Map<String, Object> deployment =
                    ofKind(render(Path.of(dir)), "Deployment").get(0);
            List<Map<String, Object>> env = (List<Map<String, Object>>)
                    ((List<Map<String, Object>>) KubeCel.at(deployment, "spec.template.spec.containers"))
                            .get(0)
                            .get("env");
            Map<String, Object> fieldPaths = new TreeMap<>();
            for (Map<String, Object> e : env) {
                fieldPaths.put((String) e.get("name"), KubeCel.at(e, "valueFrom.fieldRef.fieldPath"));
            }
            assertThat(fieldPaths)
                    .as(dir)
                    .containsEntry("POD_NAME", "metadata.name")
                    .containsEntry("POD_NAMESPACE", "metadata.namespace")
                    .as(dir + ": the image is named once")
                    .doesNotContainKey("LINUXIMAGE_JOB_IMAGE");
        }
    }

    @Test
    void noInstallGrantsSecrets() throws Exception {
        for (String dir : List.of("k8s", "k8s/namespaced")) {
            for (Map<String, Object> d : render(Path.of(dir))) {
                if (d.get("kind").toString().endsWith("Role")) {
                    assertThat(rules(d).keySet())
                            .as(dir + " " + id(d))
                            .noneMatch(k -> k.endsWith(" secrets") || k.contains("*"));
                }
            }
        }
    }

    @Test
    void kustomizeAgreesWithTheReader() throws Exception {
        Assumptions.assumeTrue(kubectlOnPath(), "kubectl is not on the PATH");
        for (String dir : List.of("k8s", "k8s/namespaced")) {
            List<Map<String, Object>> real = kustomize(Path.of(dir));
            List<Map<String, Object>> ours = render(Path.of(dir));
            assertThat(real.stream()
                            .map(InstallRbacSecurityOracleTest::id)
                            .sorted()
                            .toList())
                    .as(dir)
                    .isEqualTo(ours.stream()
                            .map(InstallRbacSecurityOracleTest::id)
                            .sorted()
                            .toList());
            for (Map<String, Object> r : real) {
                Map<String, Object> o =
                        ours.stream().filter(x -> sameObject(x, r)).findFirst().orElseThrow();
                if (r.containsKey("rules")) {
                    assertThat(rules(r)).as(dir + " " + id(r)).isEqualTo(rules(o));
                }
                if ("Deployment".equals(r.get("kind"))) {
                    assertThat(env(r)).as(dir + " env").isEqualTo(env(o));
                }
                if (r.get("kind").toString().startsWith("ValidatingAdmissionPolicy")) {
                    assertThat(KubeCel.at(r, "metadata.namespace"))
                            .as("cluster-scoped " + id(r))
                            .isNull();
                    assertThat(r.get("spec")).isEqualTo(o.get("spec"));
                }
            }
            assertThat(real.stream()
                            .filter(d -> d.get("kind").toString().startsWith("Cluster"))
                            .map(InstallRbacSecurityOracleTest::id)
                            .collect(Collectors.toSet()))
                    .as(dir)
                    .isEqualTo(ours.stream()
                            .filter(d -> d.get("kind").toString().startsWith("Cluster"))
                            .map(InstallRbacSecurityOracleTest::id)
                            .collect(Collectors.toSet()));
        }
    }
}
