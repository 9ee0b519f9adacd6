package dev.linuximage.operator.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.linuximage.operator.api.v1alpha1.LinuxImage;
import dev.linuximage.operator.api.v1alpha1.LinuxImageSpec;
import dev.linuximage.operator.api.v1alpha1.SourceSpec;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import jakarta.inject.Inject;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The namespaced install's setting (k8s/namespaced/watch-namespaces.yaml sets
 * QUARKUS_OPERATOR_SDK_CONTROLLERS_LINUXIMAGE_NAMESPACES, i.e. {@code quarkus.operator-sdk.controllers.linuximage.namespaces})
 * confines the operator: on the mock API server, a LinuxImage in a watched namespace is reconciled (its missing claim
 * is reported) and one in another namespace is never touched, so the operator needs no rights there.
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
@TestProfile(WatchedNamespacesSecurityIT.Watched.class)
@Tag("integration")
class WatchedNamespacesSecurityIT {

    static final String WATCHED = "watched-a";
    static final String OTHER = "other-b";

    public static class Watched implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("quarkus.operator-sdk.controllers.linuximage.namespaces", WATCHED);
        }
    }

    @Inject
    KubernetesClient client;

    @Inject
    Operator operator;

    @Test
    void onlyWatchedNamespacesAreReconciled() throws Exception {
        if (!operator.getRuntimeInfo().isStarted()) {
            operator.start(); // Main starts it in operator mode; a test does what Main does
        }
        assertThat(operator.getRuntimeInfo().getRegisteredControllers())
                .singleElement()
                .satisfies(
                        c -> assertThat(c.getConfiguration().getInformerConfig().getNamespaces())
                                .isEqualTo(Set.of(WATCHED)));

        for (String ns : new String[] {OTHER, WATCHED}) { // the unwatched one first
            client.namespaces()
                    .resource(new NamespaceBuilder()
                            .withNewMetadata()
                            .withName(ns)
                            .endMetadata()
                            .build())
                    .create();
            LinuxImageSpec spec = new LinuxImageSpec();
            spec.setSource(new SourceSpec("disks", "builds/web.qcow2")); // no such claim: reported in the status
            client.resources(LinuxImage.class)
                    .inNamespace(ns)
                    .resource(new LinuxImage(ns, "web", spec))
                    .create();
        }
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (status(WATCHED) == null && System.nanoTime() < deadline) {
            Thread.sleep(200);
        }
        assertThat(status(WATCHED))
                .as("the watched namespace's LinuxImage is reconciled")
                .isNotNull();
        Thread.sleep(2000); // a further grace period for the other one, created first
        assertThat(status(OTHER))
                .as("a LinuxImage outside the watched namespaces is never reconciled")
                .isNull();
        assertThat(client.v1().events().inNamespace(OTHER).list().getItems()).isEmpty();
        assertThat(client.batch().v1().jobs().inNamespace(OTHER).list().getItems())
                .isEmpty();
    }

    Object status(String ns) {
        return client.resources(LinuxImage.class)
                .inNamespace(ns)
                .withName("web")
                .get()
                .getStatus();
    }
}
