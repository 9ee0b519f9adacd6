package dev.linuximage.operator.admission;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The OLM bundle that {@code ./mvnw -Pbundle package} writes to {@code target/bundle/linuximage-operator/} (the
 * Quarkiverse bundle generator, from application.properties and src/main/kubernetes/kubernetes.yml), judged against
 * the kustomize install {@code k8s/}, the reference (rendered by {@link InstallRbacSecurityOracleTest#render}; that
 * test checks the reader against {@code kubectl kustomize}).
 *
 * <p>Runs in the package phase of the {@code bundle} profile, after the Quarkus build (tag "bundle", excluded from
 * the default suite: the bundle does not exist in the test phase). Run alone without the bundle, it fails.
 *
 * <p>What the bundle format requires is taken from the operator-framework's registry+v1 bundle documentation: a
 * {@code manifests/} and a {@code metadata/} directory, {@code metadata/annotations.yaml} with the
 * {@code operators.operatorframework.io.bundle.*.v1} keys (mediatype registry+v1, package, channels, default
 * channel), the same keys as LABELs of {@code bundle.Dockerfile}, and only the object kinds a registry+v1 bundle
 * may carry in {@code manifests/}. No {@code operator-sdk bundle validate} or {@code opm} could be installed here.
 */
@Tag("bundle")
class OlmBundleTest {

    static final Path BUNDLE = Path.of("target/bundle/linuximage-operator");
    static final String CRD_FILE = "linuximages.linuximage.dev-v1.yml";
    static final String SA = "linuximage-operator";
    static final String LEASE_ROLE = InstallRbacSecurityOracleTest.LEASE_ROLE;

    // --- reading ------------------------------------------------------------------------------------------------

    static Map<String, Object> csv() throws Exception {
        Path file = BUNDLE.resolve("manifests/linuximage-operator.clusterserviceversion.yaml");
        assertThat(file)
                .as("the OLM bundle is written by the Quarkus build of the bundle profile: ./mvnw -Pbundle package")
                .exists();
        List<Map<String, Object>> docs = KubeCel.readYaml(file);
        assertThat(docs).hasSize(1);
        assertThat(docs.get(0)).containsEntry("apiVersion", "operators.coreos.com/v1alpha1");
        assertThat(docs.get(0)).containsEntry("kind", "ClusterServiceVersion");
        return docs.get(0);
    }

    static List<Map<String, Object>> kustomize() throws Exception {
        return InstallRbacSecurityOracleTest.render(Path.of("k8s"));
    }

    static Map<String, Object> one(List<Map<String, Object>> docs, String kind, String name) {
        List<Map<String, Object>> found = docs.stream()
                .filter(d ->
                        kind.equals(d.get("kind")) && (name == null || name.equals(KubeCel.at(d, "metadata.name"))))
                .toList();
        assertThat(found).as("%s %s in the kustomize install", kind, name).hasSize(1);
        return found.get(0);
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> list(Object o) {
        return o == null ? List.of() : (List<Map<String, Object>>) o;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object o) {
        return (Map<String, Object>) o;
    }

    /** One install-strategy permission entry (clusterPermissions or permissions) of the CSV, for the operator's SA. */
    static Map<String, Object> permissionOf(Map<String, Object> csv, String field) {
        List<Map<String, Object>> perms = list(KubeCel.at(csv, "spec.install.spec." + field));
        assertThat(perms)
                .as("spec.install.spec.%s: one entry, for the operator's ServiceAccount", field)
                .hasSize(1);
        assertThat(perms.get(0)).as(field).containsOnlyKeys("serviceAccountName", "rules");
        assertThat(perms.get(0)).as(field).containsEntry("serviceAccountName", SA);
        return perms.get(0);
    }

    /** The CSV's single Deployment spec, as the install strategy names it. */
    static Map<String, Object> deployment(Map<String, Object> csv) {
        assertThat(KubeCel.at(csv, "spec.install.strategy")).isEqualTo("deployment");
        List<Map<String, Object>> deployments = list(KubeCel.at(csv, "spec.install.spec.deployments"));
        assertThat(deployments).hasSize(1);
        assertThat(deployments.get(0)).containsEntry("name", "linuximage-operator");
        return map(deployments.get(0).get("spec"));
    }

    static Map<String, Object> container(Map<String, Object> deploymentSpec) {
        List<Map<String, Object>> containers = list(KubeCel.at(deploymentSpec, "template.spec.containers"));
        assertThat(containers).as("one container").hasSize(1);
        return containers.get(0);
    }

    /** Environment variables set from the downward API: name -> fieldPath. */
    static Map<String, String> fieldRefs(Map<String, Object> container) {
        Map<String, String> out = new TreeMap<>();
        for (Map<String, Object> e : list(container.get("env"))) {
            Object path = KubeCel.at(e, "valueFrom.fieldRef.fieldPath");
            if (path != null) {
                out.put((String) e.get("name"), (String) path);
            }
        }
        return out;
    }

    /** The image kustomize gives the Deployment: its image with k8s/base/kustomization.yaml's images: applied. */
    static String kustomizedImage(Map<String, Object> kustomizeContainer) throws Exception {
        String image = (String) kustomizeContainer.get("image");
        String name = image.replaceFirst("[:@].*$", "");
        Map<String, Object> k =
                KubeCel.readYaml(Path.of("k8s/base/kustomization.yaml")).get(0);
        for (Map<String, Object> img : list(k.get("images"))) {
            if (name.equals(img.get("name"))) {
                String newName = (String) img.getOrDefault("newName", name);
                if (img.get("digest") != null) {
                    return newName + "@" + img.get("digest");
                }
                return newName + ":"
                        + (img.get("newTag") != null ? img.get("newTag") : image.substring(name.length() + 1));
            }
        }
        return image;
    }

    // --- RBAC ---------------------------------------------------------------------------------------------------

    @Test
    void clusterPermissionsAreExactlyTheClusterRoleOfTheKustomizeInstall() throws Exception {
        Map<String, Object> cluster = permissionOf(csv(), "clusterPermissions");
        Map<String, Set<String>> expected = InstallRbacSecurityOracleTest.rules(one(kustomize(), "ClusterRole", null));
        // rules(): "group resource" -> verbs, and refuses resourceNames/nonResourceURLs
        Map<String, Set<String>> actual = InstallRbacSecurityOracleTest.rules(cluster);
        for (var e : expected.entrySet()) {
            assertThat(actual.get(e.getKey()))
                    .as("CSV clusterPermissions must grant what k8s/rbac.yaml grants on %s", e.getKey())
                    .isNotNull()
                    .containsAll(e.getValue());
        }
        assertThat(actual)
                .as("CSV clusterPermissions: nothing beyond k8s/rbac.yaml (rule by rule)")
                .isEqualTo(expected);
        assertNoWildcards(cluster);
    }

    @Test
    void namespacedPermissionsAreExactlyTheLeaderElectionRole() throws Exception {
        Map<String, Object> ns = permissionOf(csv(), "permissions");
        assertThat(InstallRbacSecurityOracleTest.rules(ns))
                .as("CSV permissions (the operator's namespace): the Lease Role of k8s/base/leader-election.yaml")
                .isEqualTo(InstallRbacSecurityOracleTest.rules(one(kustomize(), "Role", LEASE_ROLE)));
        assertNoWildcards(ns);
    }

    @Test
    void noPermissionOfTheBundleTouchesSecrets() throws Exception {
        Map<String, Object> csv = csv();
        for (String field : List.of("clusterPermissions", "permissions")) {
            assertThat(InstallRbacSecurityOracleTest.rules(permissionOf(csv, field))
                            .keySet())
                    .as(field)
                    .noneMatch(k -> k.endsWith(" secrets") || k.contains(" secrets/"));
        }
    }

    static void assertNoWildcards(Map<String, Object> permission) {
        for (Map<String, Object> r : list(permission.get("rules"))) {
            for (String key : List.of("apiGroups", "resources", "verbs")) {
                assertThat(r.get(key).toString()).as("%s of %s", key, r).doesNotContain("*");
            }
        }
    }

    // --- Deployment ---------------------------------------------------------------------------------------------

    @Test
    void deploymentGivesTheOperatorItsOwnPodNameAndNamespace() throws Exception {
        Map<String, Object> c = container(deployment(csv()));
        Map<String, String> refs = fieldRefs(c);
        // OwnImage: the operator refuses to start without them (the Jobs run the image of its own Pod)
        assertThat(refs).containsEntry("POD_NAME", "metadata.name");
        assertThat(refs).containsEntry("POD_NAMESPACE", "metadata.namespace");
        Map<String, Object> kc = container(
                map(one(kustomize(), "Deployment", "linuximage-operator").get("spec")));
        assertThat(refs)
                .as("every downward-API variable of k8s/base/deployment.yaml")
                .containsAllEntriesOf(fieldRefs(kc));
        // OLM projects the OperatorGroup's target namespaces (empty = all) into this annotation of the pod
        assertThat(refs)
                .containsEntry(InstallRbacSecurityOracleTest.WATCH_ENV, "metadata.annotations['olm.targetNamespaces']");
        assertThat(c.get("args")).as("operator mode").isEqualTo(kc.get("args"));
    }

    @Test
    void deploymentMeetsTheRestrictedPodSecurityStandardAsTheKustomizeOneDoes() throws Exception {
        Map<String, Object> spec = deployment(csv());
        Map<String, Object> pod = map(KubeCel.at(spec, "template.spec"));
        Map<String, Object> c = container(spec);
        Map<String, Object> kspec =
                map(one(kustomize(), "Deployment", "linuximage-operator").get("spec"));

        // the restricted profile's fields, one by one (a weakened reference must not pass either)
        assertThat(KubeCel.at(pod, "securityContext.runAsNonRoot")).isEqualTo(true);
        assertThat(KubeCel.at(pod, "securityContext.seccompProfile.type")).isEqualTo("RuntimeDefault");
        assertThat(KubeCel.at(c, "securityContext.allowPrivilegeEscalation")).isEqualTo(false);
        assertThat(KubeCel.at(c, "securityContext.capabilities.drop")).isEqualTo(List.of("ALL"));
        assertThat(KubeCel.at(c, "securityContext.capabilities.add")).isNull();
        assertThat(KubeCel.at(c, "securityContext.privileged")).isNotEqualTo(true);
        // no fixed UID (OpenShift's restricted-v2 SCC assigns one), as in k8s/base/deployment.yaml
        assertThat(KubeCel.at(pod, "securityContext.runAsUser")).isNull();
        assertThat(KubeCel.at(c, "securityContext.runAsUser")).isNull();
        for (String hostField : List.of("hostNetwork", "hostPID", "hostIPC")) {
            assertThat(pod.get(hostField)).as(hostField).isNotEqualTo(true);
        }
        assertThat(list(pod.get("volumes"))).as("no hostPath volume").noneMatch(v -> v.containsKey("hostPath"));

        // and exactly the kustomize install's security contexts
        assertThat(pod.get("securityContext")).isEqualTo(KubeCel.at(kspec, "template.spec.securityContext"));
        assertThat(c.get("securityContext")).isEqualTo(container(kspec).get("securityContext"));
        // read-only root file system: /tmp is an emptyDir, as in k8s/base/deployment.yaml
        assertThat(KubeCel.at(c, "securityContext.readOnlyRootFilesystem")).isEqualTo(true);
        assertThat(list(c.get("volumeMounts")))
                .anyMatch(m -> "/tmp".equals(m.get("mountPath"))
                        && list(pod.get("volumes")).stream()
                                .anyMatch(v -> v.get("name").equals(m.get("name")) && v.containsKey("emptyDir")));
    }

    @Test
    void deploymentRunsTheKustomizeImageAsTheOperatorServiceAccount() throws Exception {
        Map<String, Object> csv = csv();
        Map<String, Object> spec = deployment(csv);
        Map<String, Object> kspec =
                map(one(kustomize(), "Deployment", "linuximage-operator").get("spec"));
        Map<String, Object> c = container(spec);
        Map<String, Object> kc = container(kspec);
        String image = kustomizedImage(kc);
        assertThat(c.get("image")).as("the image of the kustomize install").isEqualTo(image);
        assertThat(KubeCel.at(csv, "metadata.annotations.containerImage")).isEqualTo(image);
        assertThat(c.get("imagePullPolicy")).isEqualTo(kc.get("imagePullPolicy"));
        assertThat(KubeCel.at(spec, "template.spec.serviceAccountName")).isEqualTo(SA);
        assertThat(spec.get("replicas")).as("two replicas, one leader").isEqualTo(kspec.get("replicas"));
        assertThat(c.get("resources")).isEqualTo(kc.get("resources"));
        // the selector must select the pod template (a Deployment the API server accepts)
        Map<String, Object> selector = map(KubeCel.at(spec, "selector.matchLabels"));
        assertThat(map(KubeCel.at(spec, "template.metadata.labels"))).containsAllEntriesOf(selector);
        assertThat(c.get("livenessProbe")).isNotNull();
        assertThat(c.get("readinessProbe")).isNotNull();
    }

    // --- CSV, CRD and bundle metadata ---------------------------------------------------------------------------

    @Test
    void bundleCrdIsTheCommittedCrd() throws Exception {
        Path inBundle = BUNDLE.resolve("manifests/linuximages.linuximage.dev-v1.crd.yml");
        assertThat(inBundle).exists();
        List<Map<String, Object>> bundled = KubeCel.readYaml(inBundle);
        assertThat(bundled)
                .as("the bundle's CRD, parsed, equals crds/%s", CRD_FILE)
                .isEqualTo(KubeCel.readYaml(Path.of("crds", CRD_FILE)));
        assertThat(bundled).isEqualTo(KubeCel.readYaml(Path.of("k8s/crd", CRD_FILE)));
    }

    @Test
    void csvOwnsTheCrdItShipsAndDeclaresOnlyAllNamespaces() throws Exception {
        Map<String, Object> csv = csv();
        Map<String, Object> crd = KubeCel.readYaml(Path.of("crds", CRD_FILE)).get(0);
        List<Map<String, Object>> owned = list(KubeCel.at(csv, "spec.customresourcedefinitions.owned"));
        assertThat(owned).hasSize(1);
        assertThat(owned.get(0)).containsEntry("name", KubeCel.at(crd, "metadata.name"));
        assertThat(owned.get(0)).containsEntry("kind", KubeCel.at(crd, "spec.names.kind"));
        String storage = list(KubeCel.at(crd, "spec.versions")).stream()
                .filter(v -> Boolean.TRUE.equals(v.get("storage")))
                .map(v -> (String) v.get("name"))
                .findFirst()
                .orElseThrow();
        assertThat(owned.get(0)).containsEntry("version", storage);
        assertThat(list(KubeCel.at(csv, "spec.customresourcedefinitions.required")))
                .isEmpty();

        // clusterPermissions are cluster-wide whatever the OperatorGroup targets: only AllNamespaces is honest
        Map<String, Boolean> modes = new TreeMap<>();
        list(KubeCel.at(csv, "spec.installModes"))
                .forEach(m -> modes.put((String) m.get("type"), (Boolean) m.get("supported")));
        assertThat(modes)
                .isEqualTo(Map.of(
                        "AllNamespaces",
                        true,
                        "OwnNamespace",
                        false,
                        "SingleNamespace",
                        false,
                        "MultiNamespace",
                        false));

        String version = (String) KubeCel.at(csv, "spec.version");
        assertThat(version).matches("\\d+\\.\\d+\\.\\d+(-[0-9A-Za-z.-]+)?");
        assertThat(KubeCel.at(csv, "metadata.name")).isEqualTo("linuximage-operator.v" + version);
        assertThat((String) KubeCel.at(csv, "spec.minKubeVersion")).isNotBlank();
        assertThat((String) KubeCel.at(csv, "spec.description")).isNotBlank();
        assertThat(KubeCel.at(csv, "spec.provider.name")).isNotEqualTo("root");
    }

    @Test
    void bundleLayoutAnnotationsAndDockerfileLabelsAgree() throws Exception {
        try (Stream<Path> top = Files.list(BUNDLE)) {
            assertThat(top.map(p -> p.getFileName().toString()))
                    .containsExactlyInAnyOrder("manifests", "metadata", "bundle.Dockerfile");
        }
        Map<String, Object> annotations = map(KubeCel.readYaml(BUNDLE.resolve("metadata/annotations.yaml"))
                .get(0)
                .get("annotations"));
        String prefix = "operators.operatorframework.io.bundle.";
        assertThat(annotations).containsEntry(prefix + "mediatype.v1", "registry+v1");
        assertThat(annotations).containsEntry(prefix + "manifests.v1", "manifests/");
        assertThat(annotations).containsEntry(prefix + "metadata.v1", "metadata/");
        assertThat(annotations).containsEntry(prefix + "package.v1", "linuximage-operator");
        List<String> channels = List.of(((String) annotations.get(prefix + "channels.v1")).split(","));
        assertThat(channels).isNotEmpty().doesNotContain("");
        assertThat(channels).contains((String) annotations.get(prefix + "channel.default.v1"));

        // bundle.Dockerfile: the same key/values as LABELs, and COPY of both directories to the image root
        String dockerfile = Files.readString(BUNDLE.resolve("bundle.Dockerfile"));
        Map<String, String> labels = new TreeMap<>();
        Matcher m = Pattern.compile("(?m)^LABEL (\\S+)=(\\S+)$").matcher(dockerfile);
        while (m.find()) {
            labels.put(m.group(1), m.group(2));
        }
        Map<String, String> expected = new TreeMap<>();
        annotations.forEach((k, v) -> expected.put(k, v.toString()));
        assertThat(labels).isEqualTo(expected);
        assertThat(dockerfile).containsPattern("(?m)^COPY manifests /manifests/$");
        assertThat(dockerfile).containsPattern("(?m)^COPY metadata /metadata/$");

        // manifests/: only kinds a registry+v1 bundle may carry (the core kinds plus the extra kinds OLM's catalog
        // operator accepts, its supportedKinds), exactly one CSV. Not in the list: ValidatingAdmissionPolicy,
        // Namespace, Deployment (the CSV carries the Deployment).
        Set<String> allowed = Set.of(
                "ClusterServiceVersion",
                "CustomResourceDefinition",
                "Secret",
                "ClusterRole",
                "ClusterRoleBinding",
                "ConfigMap",
                "ServiceAccount",
                "Service",
                "Role",
                "RoleBinding",
                "PrometheusRule",
                "ServiceMonitor",
                "PodDisruptionBudget",
                "PriorityClass",
                "VerticalPodAutoscaler",
                "ConsoleYAMLSample",
                "ConsoleQuickStart",
                "ConsoleCLIDownload",
                "ConsoleLink");
        List<String> kinds = new ArrayList<>();
        try (Stream<Path> files = Files.list(BUNDLE.resolve("manifests"))) {
            for (Path f : files.toList()) {
                KubeCel.readYaml(f).forEach(d -> kinds.add((String) d.get("kind")));
            }
        }
        assertThat(kinds).allMatch(allowed::contains);
        assertThat(kinds.stream().filter("ClusterServiceVersion"::equals)).hasSize(1);
        assertThat(new TreeSet<>(kinds)).contains("CustomResourceDefinition");
    }
}
