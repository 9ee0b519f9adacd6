package dev.linuximage.operator.reconciler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.linuximage.operator.api.v1alpha1.CredentialsSpec;
import dev.linuximage.operator.api.v1alpha1.LinuxImage;
import dev.linuximage.operator.api.v1alpha1.LinuxImageSpec;
import dev.linuximage.operator.api.v1alpha1.SourceSpec;
import dev.linuximage.operator.api.v1alpha1.UploadSpec;
import dev.linuximage.operator.job.JobDefaults;
import dev.linuximage.operator.job.JobFactory;
import dev.linuximage.operator.job.OwnImage;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Issue 16.3, one image reference: the Jobs run the operator's own image, read from its Pod on the (fabric8 mock)
 * API server and pinned by the digest the kubelet reported; an {@code images:} line of a kustomize overlay, rendered
 * by the real {@code kubectl kustomize}, changes the Deployment and therefore the Jobs.
 */
@Tag("integration")
class OwnImageJobIT {

    static final String NS = "linuximage-system";
    static final String POD = "linuximage-operator-7d9f8c6b5-x2x4q";
    static final String DIGEST = "sha256:" + "3f".repeat(32);

    KubernetesMockServer server;
    KubernetesClient client;

    @BeforeEach
    void start() {
        server = new KubernetesMockServer(
                new Context(), new MockWebServer(), new HashMap<>(), new KubernetesCrudDispatcher(), false);
        server.init();
        client = server.createClient();
    }

    @AfterEach
    void stop() {
        client.close();
        server.destroy();
    }

    static Pod operatorPod(PodSpec spec, String imageId) {
        String container = spec.getContainers().get(0).getName();
        return new PodBuilder()
                .withNewMetadata()
                .withName(POD)
                .withNamespace(NS)
                .endMetadata()
                .withSpec(spec)
                .withNewStatus()
                .withPhase("Running")
                .withContainerStatuses(new ContainerStatusBuilder()
                        .withName(container)
                        .withImage(spec.getContainers().get(0).getImage())
                        .withImageID(imageId)
                        .withReady(true)
                        .withRestartCount(0)
                        .build())
                .endStatus()
                .build();
    }

    static PodSpec spec(String image) {
        return new io.fabric8.kubernetes.api.model.PodSpecBuilder()
                .addNewContainer()
                .withName("operator")
                .withImage(image)
                .endContainer()
                .build();
    }

    /** The downward API's values for the operator's Pod. */
    static Map<String, String> env() {
        return Map.of(OwnImage.POD_NAME, POD, OwnImage.POD_NAMESPACE, NS);
    }

    /** The default image as the reconciler resolves it, into a Job created on the API server and read back. */
    String createdJobImage(Optional<String> configured) {
        OwnImage own = LinuxImageReconciler.jobImage(configured, client, env());
        LinuxImageSpec spec = new LinuxImageSpec();
        spec.setSource(new SourceSpec("disks", "builds/web.qcow2"));
        spec.setUpload(new UploadSpec("https://a.blob.core.windows.net/v/web.vhd", CredentialsSpec.secret("st")));
        LinuxImage li = new LinuxImage("images", "web", spec);
        li.getMetadata().setGeneration(1L);
        li.getMetadata().setUid("0f6c3c1e-7d2a-4c55-9d4e-1a2b3c4d5e6f");
        Job job = JobFactory.build(li, JobDefaults.standard(own.reference()));
        client.batch().v1().jobs().resource(job).create();
        Job stored = client.batch()
                .v1()
                .jobs()
                .inNamespace("images")
                .withName(job.getMetadata().getName())
                .get();
        return stored.getSpec().getTemplate().getSpec().getContainers().get(0).getImage();
    }

    @Test
    void jobsRunTheOperatorsImageByDigest() {
        client.pods()
                .resource(operatorPod(
                        spec("ghcr.io/linuximage/linuximage-operator:0.1.0"),
                        "ghcr.io/linuximage/linuximage-operator@" + DIGEST))
                .create();
        assertThat(createdJobImage(Optional.empty())).isEqualTo("ghcr.io/linuximage/linuximage-operator@" + DIGEST);
    }

    @Test
    void dockerPullableImageIdsAndRegistryPortsToo() {
        client.pods()
                .resource(operatorPod(
                        spec("registry.local:5000/li/operator:1.2"),
                        "docker-pullable://registry.local:5000/li/operator@" + DIGEST))
                .create();
        assertThat(createdJobImage(Optional.empty())).isEqualTo("registry.local:5000/li/operator@" + DIGEST);
    }

    @Test
    void withoutARegistryDigestTheTagAsThePodNamesIt() {
        // a locally loaded image (kind load, ctr import): the image ID is a config digest, not pullable
        client.pods()
                .resource(operatorPod(spec("registry.local:5000/li/operator:1.2"), DIGEST))
                .create();
        assertThat(createdJobImage(Optional.empty())).isEqualTo("registry.local:5000/li/operator:1.2");
    }

    @Test
    void aPinnedPodImageStaysAsItIs() {
        String pinned = "ghcr.io/linuximage/linuximage-operator@" + DIGEST;
        client.pods()
                .resource(operatorPod(spec(pinned), "ghcr.io/linuximage/linuximage-operator@sha256:" + "00".repeat(32)))
                .create();
        assertThat(createdJobImage(Optional.empty())).isEqualTo(pinned);
    }

    @Test
    void theOperatorsConfigurationOverridesWithoutReadingThePod() {
        assertThat(createdJobImage(Optional.of("registry.example/other:2"))).isEqualTo("registry.example/other:2");
    }

    @Test
    void unknownImageIsAStartUpErrorNamingWhatIsMissing() {
        assertThatThrownBy(() -> OwnImage.of(client, Map.of()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("POD_NAME")
                .hasMessageContaining("linuximage.job.image");
        assertThatThrownBy(() -> OwnImage.of(client, env()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("does not exist");
        Pod twoContainers = new PodBuilder()
                .withNewMetadata()
                .withName(POD)
                .endMetadata()
                .withNewSpec()
                .addNewContainer()
                .withName("istio-proxy")
                .withImage("istio/proxyv2")
                .endContainer()
                .addNewContainer()
                .withName("main")
                .withImage("x/y:1")
                .endContainer()
                .endSpec()
                .build();
        assertThatThrownBy(() -> OwnImage.of(twoContainers)).hasMessageContaining("none is named 'operator'");
    }

    @Test
    void aSidecarDoesNotConfuseIt() {
        Pod pod = new PodBuilder()
                .withNewMetadata()
                .withName(POD)
                .endMetadata()
                .withNewSpec()
                .addNewContainer()
                .withName("istio-proxy")
                .withImage("istio/proxyv2:1.2")
                .endContainer()
                .addNewContainer()
                .withName("operator")
                .withImage("x/y:1")
                .endContainer()
                .endSpec()
                .build();
        assertThat(OwnImage.of(pod).reference()).isEqualTo("x/y:1");
    }

    /**
     * A user's overlay with one {@code images:} line, rendered by the real kustomize: the Deployment's image changes,
     * and a Pod of that Deployment (its template, as the ReplicaSet controller creates it) makes the Jobs use it.
     */
    @Test
    @SuppressWarnings("unchecked")
    void anImagesOverlayLineMovesTheOperatorAndItsJobs() throws Exception {
        Assumptions.assumeTrue(onPath("kubectl"), "kubectl is not on the PATH: the kustomize rendering is not tested");
        Path overlay = Path.of("target/own-image-overlay");
        Files.createDirectories(overlay);
        Files.writeString(overlay.resolve("kustomization.yaml"), """
                apiVersion: kustomize.config.k8s.io/v1beta1
                kind: Kustomization
                resources:
                  - ../../k8s
                images:
                  - name: ghcr.io/linuximage/linuximage-operator
                    newName: mirror.example.com/platform/linuximage-operator
                    newTag: "0.2.0"
                """);
        Process p = new ProcessBuilder("kubectl", "kustomize", overlay.toString()).start();
        byte[] out = p.getInputStream().readAllBytes();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(err).isZero();
        Map<String, Object> deployment = null;
        for (Object d : new YAMLMapper().readerFor(Map.class).readValues(out).readAll()) {
            if ("Deployment".equals(((Map<String, Object>) d).get("kind"))) {
                deployment = (Map<String, Object>) d;
            }
        }
        assertThat(deployment).isNotNull();
        Map<String, Object> template =
                (Map<String, Object>) ((Map<String, Object>) deployment.get("spec")).get("template");
        PodSpec podSpec = new ObjectMapper().convertValue(template.get("spec"), PodSpec.class);
        assertThat(podSpec.getContainers())
                .extracting(c -> c.getName() + "=" + c.getImage())
                .containsExactly("operator=mirror.example.com/platform/linuximage-operator:0.2.0");
        assertThat(podSpec.getContainers().get(0).getEnv())
                .noneMatch(e -> e.getName().equals("LINUXIMAGE_JOB_IMAGE"));

        client.pods()
                .resource(operatorPod(podSpec, "mirror.example.com/platform/linuximage-operator@" + DIGEST))
                .create();
        assertThat(createdJobImage(Optional.empty()))
                .isEqualTo("mirror.example.com/platform/linuximage-operator@" + DIGEST);
    }

    static boolean onPath(String tool) {
        return java.util.Arrays.stream(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
                .anyMatch(d -> !d.isEmpty() && Files.isExecutable(Path.of(d, tool)));
    }
}
