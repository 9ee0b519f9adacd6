package dev.linuximage.operator.reconciler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.linuximage.operator.api.v1alpha1.CredentialsSpec;
import dev.linuximage.operator.api.v1alpha1.LinuxImage;
import dev.linuximage.operator.api.v1alpha1.LinuxImageSpec;
import dev.linuximage.operator.api.v1alpha1.SourceSpec;
import dev.linuximage.operator.api.v1alpha1.UploadSpec;
import dev.linuximage.operator.job.JobDefaults;
import dev.linuximage.operator.job.JobFactory;
import dev.linuximage.operator.job.PodSettings;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Issue 16 item 4 with issue 12's guard: each pod passthrough field of a LinuxImage is checked so that it gives its
 * author nothing RBAC does not (the admission policy additionally requires {@code create pods} for any of them:
 * {@code AdmissionPolicyAdmissionTest}); what only the platform team may set is not in the spec at all.
 */
class PodPassthroughSecurityTest {

    static LinuxImageSpec spec() {
        LinuxImageSpec s = new LinuxImageSpec();
        s.setSource(new SourceSpec("disks", "a.qcow2"));
        s.setUpload(new UploadSpec("https://acct.blob.core.windows.net/c/b.vhd", CredentialsSpec.secret("s")));
        return s;
    }

    static List<String> labels(Map<String, String> m) {
        LinuxImageSpec s = spec();
        s.getJob().setPodLabels(new LinkedHashMap<>(m));
        return SpecValidator.validate(s);
    }

    static List<String> annotations(Map<String, String> m) {
        LinuxImageSpec s = spec();
        s.getJob().setPodAnnotations(new LinkedHashMap<>(m));
        return SpecValidator.validate(s);
    }

    /** The workload identity webhook's opt-in label would give a pod an Azure token the spec did not ask for. */
    @Test
    void reservedLabelsAreRefused() {
        for (String key : List.of(
                "azure.workload.identity/use",
                "app.kubernetes.io/managed-by",
                "linuximage.dev/generation",
                "pod-security.kubernetes.io/enforce",
                "node-role.kubernetes.io/master",
                "security.openshift.io/scc",
                "kubernetes.io/metadata.name")) {
            assertThat(labels(Map.of(key, "true")))
                    .as(key)
                    .singleElement()
                    .asString()
                    .startsWith("spec.job.podLabels: key '" + key + "' is reserved");
        }
        assertThat(labels(Map.of("team", "images", "example.com/cost-center", "42")))
                .isEmpty();
    }

    /** AppArmor/seccomp annotations loosen the container's confinement; openshift.io/required-scc picks an SCC. */
    @Test
    void securityAnnotationsAreRefused() {
        for (String key : List.of(
                "container.apparmor.security.beta.kubernetes.io/linuximage",
                "seccomp.security.alpha.kubernetes.io/pod",
                "openshift.io/required-scc",
                "azure.workload.identity/skip-containers",
                "azure.workload.identity/service-account-token-expiration",
                "kubectl.kubernetes.io/default-container")) {
            assertThat(annotations(Map.of(key, "x")))
                    .as(key)
                    .singleElement()
                    .asString()
                    .startsWith("spec.job.podAnnotations: key '" + key + "' is reserved");
        }
        // harmless and wanted for a Job that runs for hours: the autoscaler must not evict it
        assertThat(annotations(Map.of(
                        "cluster-autoscaler.kubernetes.io/safe-to-evict",
                        "false",
                        "backup.velero.io/backup-volumes-excludes",
                        "tmp")))
                .isEmpty();
    }

    @Test
    void malformedKeysAndValuesAreRefused() {
        assertThat(labels(Map.of("bad key", "x"))).singleElement().asString().contains("not a valid key");
        assertThat(labels(Map.of("ok", "not a label value")))
                .singleElement()
                .asString()
                .contains("not a valid label value");
        assertThat(labels(Map.of("ok", "x".repeat(64))))
                .singleElement()
                .asString()
                .contains("not a valid label value");
        assertThat(annotations(Map.of("big", "x".repeat(70_000))))
                .singleElement()
                .asString()
                .contains("more than 65536");
        // annotation values are free text
        assertThat(annotations(Map.of("example.com/note", "any text: with spaces")))
                .isEmpty();
    }

    /** system-node-critical / system-cluster-critical preempt cluster components. */
    @Test
    void systemPriorityClassesAreRefused() {
        for (String pc : List.of("system-node-critical", "system-cluster-critical", "system-anything")) {
            LinuxImageSpec s = spec();
            s.getJob().setPriorityClassName(pc);
            assertThat(SpecValidator.validate(s))
                    .as(pc)
                    .singleElement()
                    .asString()
                    .startsWith("spec.job.priorityClassName");
        }
        LinuxImageSpec s = spec();
        s.getJob().setPriorityClassName("batch-low");
        assertThat(SpecValidator.validate(s)).isEmpty();
    }

    /**
     * Whatever the spec sets, the pod keeps the restricted settings, no host access, no API token and the operator's
     * labels: the passthrough fields are scheduling and metadata only.
     */
    @Test
    void passthroughNeverTouchesTheSecuritySettings() {
        LinuxImageSpec s = spec();
        s.getJob().setPriorityClassName("batch-low");
        s.getJob().setPodLabels(new LinkedHashMap<>(Map.of("team", "images")));
        s.getJob().setPodAnnotations(new LinkedHashMap<>(Map.of("example.com/x", "y")));
        s.getJob()
                .setAffinity(new io.fabric8.kubernetes.api.model.AffinityBuilder()
                        .withNewPodAffinity()
                        .addNewRequiredDuringSchedulingIgnoredDuringExecution()
                        .withTopologyKey("kubernetes.io/hostname")
                        .withNewLabelSelector()
                        .addToMatchLabels("app", "db")
                        .endLabelSelector()
                        .endRequiredDuringSchedulingIgnoredDuringExecution()
                        .endPodAffinity()
                        .build());
        assertThat(SpecValidator.validate(s)).isEmpty();
        LinuxImage li = new LinuxImage("images", "web", s);
        li.getMetadata().setGeneration(1L);
        li.getMetadata().setUid("0f6c3c1e-7d2a-4c55-9d4e-1a2b3c4d5e6f");
        Job job = JobFactory.build(li, JobDefaults.standard("img"));
        PodSpec pod = job.getSpec().getTemplate().getSpec();
        assertThat(pod.getServiceAccountName()).isNull();
        assertThat(pod.getAutomountServiceAccountToken()).isFalse();
        assertThat(pod.getHostNetwork()).isNull();
        assertThat(pod.getHostPID()).isNull();
        assertThat(pod.getVolumes()).allSatisfy(v -> assertThat(v.getHostPath()).isNull());
        assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
        assertThat(pod.getContainers()
                        .get(0)
                        .getSecurityContext()
                        .getCapabilities()
                        .getDrop())
                .containsExactly("ALL");
        assertThat(pod.getContainers().get(0).getSecurityContext().getPrivileged())
                .isFalse();
        assertThat(job.getSpec().getTemplate().getMetadata().getLabels())
                .containsEntry("app.kubernetes.io/managed-by", "linuximage-operator")
                .doesNotContainKey("azure.workload.identity/use");
    }

    /**
     * The authority host receives the federated service-account token: it is operator configuration only (no spec
     * field), and must be an https URL without credentials or query.
     */
    @Test
    void authorityHostIsPlatformConfigurationAndHttpsOnly() {
        assertThat(java.util.Arrays.stream(
                                dev.linuximage.operator.api.v1alpha1.WorkloadIdentitySpec.class.getDeclaredFields())
                        .map(f -> f.getName().toLowerCase()))
                .noneMatch(n -> n.contains("authority"));
        for (String bad : List.of(
                "http://login.example/",
                "https://user:pw@login.example/",
                "https://login.example/?x=1",
                "login.microsoftonline.us")) {
            assertThatThrownBy(() -> new PodSettings(null, List.of(), Map.of(), null, null, bad))
                    .as(bad)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("azure-authority-host");
        }
        assertThat(new PodSettings(null, List.of(), Map.of(), null, null, "https://login.chinacloudapi.cn/")
                        .azureAuthorityHost())
                .isEqualTo("https://login.chinacloudapi.cn/");
        assertThatThrownBy(() -> new PodSettings(null, List.of("Bad Name"), Map.of(), null, null, null))
                .hasMessageContaining("image-pull-secrets");
        assertThatThrownBy(() -> new PodSettings(null, List.of(), Map.of(), "bad/name", null, null))
                .hasMessageContaining("ca-bundle-config-map");
    }

    /** The proxy comes from configuration, else from the operator's own environment (a cluster-wide proxy). */
    @Test
    void proxyDefaultsToTheOperatorsEnvironment() {
        Map<String, String> env = Map.of("HTTPS_PROXY", "http://proxy:3128", "no_proxy", ".svc,10.0.0.0/8");
        assertThat(PodSettings.proxyEnv(
                        java.util.Optional.empty(), java.util.Optional.empty(), java.util.Optional.empty(), env))
                .containsExactly(
                        Map.entry("HTTPS_PROXY", "http://proxy:3128"), Map.entry("NO_PROXY", ".svc,10.0.0.0/8"));
        assertThat(PodSettings.proxyEnv(
                        java.util.Optional.of("http://a:1"),
                        java.util.Optional.of("http://b:2"),
                        java.util.Optional.of("x"),
                        env))
                .containsExactly(
                        Map.entry("HTTP_PROXY", "http://a:1"),
                        Map.entry("HTTPS_PROXY", "http://b:2"),
                        Map.entry("NO_PROXY", "x"));
        assertThat(PodSettings.proxyEnv(
                        java.util.Optional.empty(), java.util.Optional.empty(), java.util.Optional.empty(), Map.of()))
                .isEmpty();
    }
}
