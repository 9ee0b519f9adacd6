package dev.linuximage.operator.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The committed CRD ({@code crds/}) must be exactly what the build generates from the API classes. A
 * {@code @QuarkusTest} (same resources as {@link LinuxImageOperatorIT}, so the application is shared) because the
 * generation runs in the Quarkus build, which a Quarkus test performs before its first test.
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
@Tag("integration")
class CrdDriftIT {

    static final String FILE = "linuximages.linuximage.dev-v1.yml";

    @Test
    void committedCrdMatchesTheGeneratedOne() throws Exception {
        Path generated = Path.of("target/kubernetes", FILE);
        Path committed = Path.of("crds", FILE);
        assertThat(generated)
                .as("the Quarkus build should have generated %s", generated)
                .exists();
        assertThat(committed)
                .as("%s is missing: ./mvnw -o -q package -DskipTests && cp %s crds/", committed, generated)
                .exists();
        assertThat(Files.readString(committed))
                .as(
                        "crds/%s differs from the CRD generated from the API classes. Refresh it with: "
                                + "./mvnw -o -q package -DskipTests && cp target/kubernetes/%s crds/",
                        FILE, FILE)
                .isEqualTo(Files.readString(generated));
        // kustomize cannot load files outside k8s/, so k8s/crd/ holds a second copy
        assertThat(Files.readString(Path.of("k8s/crd", FILE)))
                .as("k8s/crd/%s differs from crds/%s: cp crds/%s k8s/crd/", FILE, FILE, FILE)
                .isEqualTo(Files.readString(committed));
    }
}
