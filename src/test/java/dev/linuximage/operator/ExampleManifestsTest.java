package dev.linuximage.operator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.linuximage.operator.api.v1alpha1.LinuxImage;
import dev.linuximage.operator.job.JobDefaults;
import dev.linuximage.operator.job.JobFactory;
import dev.linuximage.operator.reconciler.SpecValidator;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The shipped manifests parse, pass the operator's own validation and build a Job; the kustomization is whole. */
class ExampleManifestsTest {

    @Test
    void examplesAreValidLinuxImages() throws Exception {
        KubernetesSerialization serialization = new KubernetesSerialization();
        serialization.registerKubernetesResource(LinuxImage.class);
        List<LinuxImage> images = new ArrayList<>();
        try (Stream<Path> files = Files.list(Path.of("k8s/examples"))) {
            for (Path f : files.sorted().toList()) {
                Object parsed = serialization.unmarshal(Files.readString(f));
                List<?> items = parsed instanceof List<?> l ? l : List.of(parsed);
                for (Object o : items) {
                    if (o instanceof LinuxImage li) {
                        images.add(li);
                        assertThat(SpecValidator.validate(li.getSpec()))
                                .as(f.toString())
                                .isEmpty();
                        li.getMetadata().setGeneration(1L);
                        li.getMetadata().setUid("uid");
                        assertThat(JobFactory.build(li, JobDefaults.standard("img"))
                                        .getMetadata()
                                        .getName())
                                .isEqualTo(li.getMetadata().getName() + "-g1");
                    } else {
                        assertThat(o).as(f + " holds only Kubernetes objects").isInstanceOf(HasMetadata.class);
                    }
                }
            }
        }
        assertThat(images)
                .extracting(li -> li.getMetadata().getName())
                .containsExactlyInAnyOrder("web", "db", "web-audit", "appliance");
    }

    @Test
    void kustomizationListsExistingFiles() throws Exception {
        List<String> all = new ArrayList<>();
        for (String install : List.of("k8s", "k8s/namespaced")) {
            all.addAll(resources(Path.of(install)));
        }
        assertThat(all)
                .contains(
                        "k8s/crd/linuximages.linuximage.dev-v1.yml",
                        "k8s/rbac.yaml",
                        "k8s/base/deployment.yaml",
                        "k8s/base/admission-policy.yaml",
                        "k8s/namespaced/role-images.yaml");
    }

    /** The files a kustomization pulls in, following directory resources (each must exist). */
    static List<String> resources(Path dir) throws Exception {
        List<String> lines = Files.readAllLines(dir.resolve("kustomization.yaml"));
        int start = lines.indexOf("resources:");
        List<String> out = new ArrayList<>();
        for (String r : lines.subList(start + 1, lines.size()).stream()
                .takeWhile(l -> l.startsWith("  - "))
                .map(l -> l.substring(4).trim())
                .toList()) {
            Path p = dir.resolve(r).normalize();
            assertThat(p).exists();
            if (Files.isDirectory(p)) {
                out.addAll(resources(p));
            } else {
                out.add(p.toString());
            }
        }
        return out;
    }
}
