package dev.linuximage.operator.it;

import dev.linuximage.operator.api.v1alpha1.Condition;
import dev.linuximage.operator.api.v1alpha1.ConditionType;
import dev.linuximage.operator.api.v1alpha1.LinuxImage;
import dev.linuximage.operator.api.v1alpha1.LinuxImageStatus;
import dev.linuximage.operator.fake.FakeJobController;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import org.junit.jupiter.api.TestInfo;

/**
 * One test's own namespace on the mock API server, and the queries the operator tests make of it: the LinuxImage
 * status, events, Jobs, and waiting for a status with a description of everything on timeout.
 */
final class TestNamespace {
    private final KubernetesClient client;
    private final FakeJobController fake;
    private final Duration timeout;
    final String name;

    private TestNamespace(KubernetesClient client, FakeJobController fake, Duration timeout, String name) {
        this.client = client;
        this.fake = fake;
        this.timeout = timeout;
        this.name = name;
    }

    /** Creates a namespace named after the test method (12 characters and a random suffix). */
    static TestNamespace create(KubernetesClient client, FakeJobController fake, TestInfo info, Duration timeout) {
        String method = info.getTestMethod()
                .orElseThrow()
                .getName()
                .toLowerCase(Locale.ROOT)
                .replaceAll("[^a-z0-9]", "");
        String ns =
                method.substring(0, Math.min(12, method.length())) + "-" + Long.toHexString(System.nanoTime() & 0xffff);
        client.namespaces()
                .resource(new NamespaceBuilder()
                        .withNewMetadata()
                        .withName(ns)
                        .endMetadata()
                        .build())
                .create();
        return new TestNamespace(client, fake, timeout, ns);
    }

    List<Job> jobs() {
        return client.batch().v1().jobs().inNamespace(name).list().getItems();
    }

    List<String> reasons() {
        return client.v1().events().inNamespace(name).list().getItems().stream()
                .map(Event::getReason)
                .toList();
    }

    List<String> warnings() {
        return client.v1().events().inNamespace(name).list().getItems().stream()
                .filter(e -> "Warning".equals(e.getType()))
                .map(Event::getReason)
                .toList();
    }

    LinuxImageStatus status(String image) {
        LinuxImage li = client.resources(LinuxImage.class)
                .inNamespace(name)
                .withName(image)
                .get();
        return li == null ? null : li.getStatus();
    }

    /** Waits until the image has a phase and {@code condition} holds for its status, then returns that status. */
    LinuxImageStatus awaitStatus(String image, Function<LinuxImageStatus, Boolean> condition) {
        await(() -> {
            LinuxImageStatus s = status(image);
            return s != null && s.getPhase() != null && condition.apply(s);
        });
        return status(image);
    }

    void await(BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout + "; " + describe());
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    /** Every image's phase and conditions, the Jobs, the events and each pod's log. */
    String describe() {
        StringBuilder sb = new StringBuilder();
        for (LinuxImage li :
                client.resources(LinuxImage.class).inNamespace(name).list().getItems()) {
            sb.append(li.getMetadata().getName())
                    .append(" gen=")
                    .append(li.getMetadata().getGeneration())
                    .append(": ")
                    .append(
                            li.getStatus() == null
                                    ? "no status"
                                    : li.getStatus().getPhase() + " "
                                            + li.getStatus().getConditions())
                    .append('\n');
        }
        sb.append("jobs=")
                .append(jobs().stream().map(j -> j.getMetadata().getName()).toList())
                .append(" events=")
                .append(reasons())
                .append('\n');
        for (Pod p : client.pods().inNamespace(name).list().getItems()) {
            sb.append("pod ")
                    .append(p.getMetadata().getName())
                    .append(" log:\n")
                    .append(fake.log(name, p.getMetadata().getName()));
        }
        return sb.toString();
    }

    /** A condition as {@code status/reason}. */
    static String cond(LinuxImageStatus s, ConditionType t) {
        Condition c = s.condition(t).orElseThrow();
        return c.getStatus() + "/" + c.getReason();
    }
}
