package dev.linuximage.operator.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Pod status objects as the API server returns them (field names and values from the Kubernetes API reference,
 * PodStatus / ContainerStateWaiting / PodCondition; reasons and messages as the kubelet and the scheduler write them:
 * kubelet {@code images/image_manager.go} "Back-off pulling image %q", scheduler {@code VolumeBinding}
 * "pod has unbound immediate PersistentVolumeClaims", {@code NodeResourcesFit} "Insufficient memory").
 */
class PodInterpreterTest {

    static final Map<String, String> BOUND = Map.of("disks", "Bound");

    /** A Job pod as the Job controller creates it, with {@code status} given as YAML. */
    static Pod pod(String name, String created, String statusYaml) {
        return Serialization.unmarshal(
                """
                apiVersion: v1
                kind: Pod
                metadata:
                  name: %s
                  namespace: images
                  creationTimestamp: "%s"
                  labels:
                    job-name: web-g1
                spec:
                  restartPolicy: Never
                  containers:
                  - name: linuximage
                    image: registry.example/linuximage:9.9
                  volumes:
                  - name: source
                    persistentVolumeClaim:
                      claimName: disks
                  - name: tmp
                    emptyDir: {}
                status:
                %s
                """.formatted(name, created, statusYaml.indent(2).stripTrailing()), Pod.class);
    }

    static Pod pod(String statusYaml) {
        return pod("web-g1-x7k2p", "2026-12-05T10:00:00Z", statusYaml);
    }

    static final String SCHEDULED = """
            - type: PodScheduled
              status: "True"
              lastTransitionTime: "2026-12-05T10:00:01Z"
            """;

    static PodInterpreter.PodState one(Pod pod, Map<String, String> claims) {
        return PodInterpreter.interpret(List.of(pod), 0, claims);
    }

    @Test
    void imagePullBackOffIsReportedWithTheImage() {
        Pod p = pod("""
                phase: Pending
                conditions:
                %s
                containerStatuses:
                - name: linuximage
                  image: registry.example/linuximage:9.9
                  imageID: ""
                  ready: false
                  restartCount: 0
                  started: false
                  state:
                    waiting:
                      reason: ImagePullBackOff
                      message: Back-off pulling image "registry.example/linuximage:9.9"
                """.formatted(SCHEDULED.indent(0).stripTrailing()));
        PodInterpreter.PodState s = one(p, BOUND);
        assertThat(s.reason()).isEqualTo(Reason.ImagePullBackOff);
        assertThat(s.running()).isFalse();
        assertThat(s.message())
                .contains("web-g1-x7k2p")
                .contains("linuximage")
                .contains("Back-off pulling image \"registry.example/linuximage:9.9\"");
    }

    /** The kubelet alternates ErrImagePull and ImagePullBackOff: one reason, so no event per flip. */
    @Test
    void errImagePullIsTheSameReasonAndKeepsTheRuntimesCause() {
        Pod p = pod("""
                phase: Pending
                containerStatuses:
                - name: linuximage
                  image: registry.example/linuximage:9.9
                  ready: false
                  restartCount: 0
                  state:
                    waiting:
                      reason: ErrImagePull
                      message: 'rpc error: code = NotFound desc = failed to pull and unpack image "registry.example/linuximage:9.9": not found'
                """);
        PodInterpreter.PodState s = one(p, BOUND);
        assertThat(s.reason()).isEqualTo(Reason.ImagePullBackOff);
        assertThat(s.message()).contains("ErrImagePull").contains("code = NotFound");
    }

    @Test
    void invalidImageName() {
        Pod p = pod("""
                phase: Pending
                containerStatuses:
                - name: linuximage
                  image: "Registry.Example/LinuxImage::9"
                  ready: false
                  restartCount: 0
                  state:
                    waiting:
                      reason: InvalidImageName
                      message: 'Failed to apply default image tag "Registry.Example/LinuxImage::9": couldn''t parse image name "Registry.Example/LinuxImage::9": invalid reference format'
                """);
        assertThat(one(p, BOUND).reason()).isEqualTo(Reason.InvalidImageName);
    }

    @Test
    void createContainerConfigErrorFromRunAsNonRoot() {
        Pod p = pod("""
                phase: Pending
                conditions:
                %s
                containerStatuses:
                - name: linuximage
                  image: registry.example/linuximage:9.9
                  ready: false
                  restartCount: 0
                  state:
                    waiting:
                      reason: CreateContainerConfigError
                      message: 'container has runAsNonRoot and image will run as root (pod: "web-g1-x7k2p_images(0c1d)", container: linuximage)'
                """.formatted(SCHEDULED.stripTrailing()));
        PodInterpreter.PodState s = one(p, BOUND);
        assertThat(s.reason()).isEqualTo(Reason.CreateContainerConfigError);
        assertThat(s.message()).contains("runAsNonRoot");
    }

    @Test
    void createContainerConfigErrorFromAMissingSecret() {
        Pod p = pod("""
                phase: Pending
                containerStatuses:
                - name: linuximage
                  ready: false
                  restartCount: 0
                  state:
                    waiting:
                      reason: CreateContainerConfigError
                      message: secret "proxy-ca" not found
                """);
        PodInterpreter.PodState s = one(p, BOUND);
        assertThat(s.reason()).isEqualTo(Reason.CreateContainerConfigError);
        assertThat(s.message()).contains("secret \"proxy-ca\" not found");
    }

    @Test
    void crashLoopBackOffCountsRestarts() {
        Pod p = pod("""
                phase: Running
                containerStatuses:
                - name: linuximage
                  ready: false
                  restartCount: 3
                  lastState:
                    terminated:
                      exitCode: 1
                      reason: Error
                  state:
                    waiting:
                      reason: CrashLoopBackOff
                      message: back-off 40s restarting failed container=linuximage pod=web-g1-x7k2p_images(0c1d)
                """);
        PodInterpreter.PodState s = one(p, BOUND);
        assertThat(s.reason()).isEqualTo(Reason.CrashLoopBackOff);
        assertThat(s.running()).as("phase Running, but the container waits").isFalse();
        assertThat(s.message()).contains("restarted 3 times");
    }

    @Test
    void unschedulableCarriesTheSchedulersMessage() {
        Pod p = pod("""
                phase: Pending
                conditions:
                - type: PodScheduled
                  status: "False"
                  reason: Unschedulable
                  message: '0/3 nodes are available: 3 Insufficient memory. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.'
                  lastTransitionTime: "2026-12-05T10:00:01Z"
                """);
        assertThat(PodInterpreter.claimsToCheck(List.of(p))).containsExactly("disks");
        PodInterpreter.PodState s = one(p, BOUND);
        assertThat(s.reason()).isEqualTo(Reason.Unschedulable);
        assertThat(s.running()).isFalse();
        assertThat(s.message()).contains("3 Insufficient memory");
    }

    @Test
    void unschedulableWithAnUnboundClaimNamesTheClaim() {
        Pod p = pod("""
                phase: Pending
                conditions:
                - type: PodScheduled
                  status: "False"
                  reason: Unschedulable
                  message: '0/1 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.'
                """);
        PodInterpreter.PodState s = one(p, Map.of("disks", "Pending"));
        assertThat(s.reason()).isEqualTo(Reason.PersistentVolumeClaimPending);
        assertThat(s.message()).contains("'disks'").contains("unbound immediate PersistentVolumeClaims");
    }

    @Test
    void unschedulableWithADeletedClaimIsMissingClaim() {
        Pod p = pod("""
                phase: Pending
                conditions:
                - type: PodScheduled
                  status: "False"
                  reason: Unschedulable
                  message: '0/1 nodes are available: persistentvolumeclaim "disks" not found.'
                """);
        PodInterpreter.PodState s = one(p, Map.of());
        assertThat(s.reason()).isEqualTo(Reason.MissingClaim);
        assertThat(s.message()).contains("'disks' not found");
    }

    @Test
    void schedulingGatedIsPendingNotAWarning() {
        Pod p = pod("""
                phase: Pending
                conditions:
                - type: PodScheduled
                  status: "False"
                  reason: SchedulingGated
                  message: Scheduling is blocked due to non-empty scheduling gates
                """);
        assertThat(PodInterpreter.claimsToCheck(List.of(p))).isEmpty();
        PodInterpreter.PodState s = one(p, Map.of());
        assertThat(s.reason()).isEqualTo(Reason.Pending);
        assertThat(s.reason().isWarning()).isFalse();
    }

    @Test
    void containerCreatingIsPending() {
        Pod p = pod("""
                phase: Pending
                conditions:
                %s
                containerStatuses:
                - name: linuximage
                  ready: false
                  restartCount: 0
                  state:
                    waiting:
                      reason: ContainerCreating
                """.formatted(SCHEDULED.stripTrailing()));
        PodInterpreter.PodState s = one(p, BOUND);
        assertThat(s.reason()).isEqualTo(Reason.Pending);
        assertThat(s.running()).isFalse();
        assertThat(s.message()).contains("ContainerCreating");
        assertThat(PodInterpreter.claimsToCheck(List.of(p)))
                .as("scheduled: claims are bound")
                .isEmpty();
    }

    @Test
    void runningPod() {
        Pod p = pod("""
                phase: Running
                conditions:
                %s
                containerStatuses:
                - name: linuximage
                  ready: true
                  restartCount: 0
                  started: true
                  state:
                    running:
                      startedAt: "2026-12-05T10:00:09Z"
                """.formatted(SCHEDULED.stripTrailing()));
        PodInterpreter.PodState s = one(p, BOUND);
        assertThat(s.reason()).isEqualTo(Reason.Running);
        assertThat(s.running()).isTrue();
    }

    @Test
    void anInitContainerStuckInImagePullIsReported() {
        Pod p = pod("""
                phase: Pending
                initContainerStatuses:
                - name: istio-init
                  image: docker.io/istio/proxyv2:1.99
                  ready: false
                  restartCount: 0
                  state:
                    waiting:
                      reason: ImagePullBackOff
                      message: Back-off pulling image "docker.io/istio/proxyv2:1.99"
                containerStatuses:
                - name: linuximage
                  ready: false
                  restartCount: 0
                  state:
                    waiting:
                      reason: PodInitializing
                """);
        PodInterpreter.PodState s = one(p, BOUND);
        assertThat(s.reason()).isEqualTo(Reason.ImagePullBackOff);
        assertThat(s.message()).contains("istio-init");
    }

    @Test
    void aFailedPodAndItsReplacementRunningIsRetrying() {
        Pod failed = pod("web-g1-aaaaa", "2026-12-05T10:00:00Z", """
                phase: Failed
                containerStatuses:
                - name: linuximage
                  ready: false
                  restartCount: 0
                  state:
                    terminated:
                      exitCode: 1
                      reason: Error
                      finishedAt: "2026-12-05T10:03:00Z"
                """);
        Pod second = pod("web-g1-bbbbb", "2026-12-05T10:03:02Z", """
                phase: Running
                containerStatuses:
                - name: linuximage
                  ready: true
                  restartCount: 0
                  state:
                    running:
                      startedAt: "2026-12-05T10:03:05Z"
                """);
        PodInterpreter.PodState s = PodInterpreter.interpret(List.of(second, failed), 1, BOUND);
        assertThat(s.reason()).isEqualTo(Reason.Retrying);
        assertThat(s.running()).isTrue();
        assertThat(s.message())
                .contains("web-g1-bbbbb is running")
                .contains("attempt 2")
                .contains("web-g1-aaaaa failed (exit code 1, Error)");
    }

    @Test
    void anEvictedPodWithoutAReplacementYet() {
        Pod evicted = pod("""
                phase: Failed
                reason: Evicted
                message: 'The node was low on resource: ephemeral-storage. Threshold quantity: 1Gi, available: 512Mi.'
                """);
        PodInterpreter.PodState s = PodInterpreter.interpret(List.of(evicted), 1, BOUND);
        assertThat(s.reason()).isEqualTo(Reason.Retrying);
        assertThat(s.running()).isFalse();
        assertThat(s.message()).contains("Evicted: The node was low on resource: ephemeral-storage");
    }

    @Test
    void aPodBeingDeletedIsNotTheOneTheJobWaitsFor() {
        Pod old = pod("web-g1-old00", "2026-12-05T10:05:00Z", """
                phase: Pending
                containerStatuses:
                - name: linuximage
                  ready: false
                  restartCount: 0
                  state:
                    waiting:
                      reason: ImagePullBackOff
                      message: Back-off pulling image "x"
                """);
        old.getMetadata().setDeletionTimestamp("2026-12-05T10:06:00Z");
        Pod fresh = pod("web-g1-new00", "2026-12-05T10:00:00Z", """
                phase: Running
                """);
        PodInterpreter.PodState s = PodInterpreter.interpret(List.of(old, fresh), 0, BOUND);
        assertThat(s.reason()).isEqualTo(Reason.Running);
    }

    @Test
    void noPodYet() {
        PodInterpreter.PodState s = PodInterpreter.interpret(List.of(), 0, Map.of());
        assertThat(s.reason()).isEqualTo(Reason.Pending);
        assertThat(s.running()).isFalse();
    }

    @Test
    void aLongSchedulerMessageIsBounded() {
        String nodes = "0/5000 nodes are available: " + "1 node(s) had untolerated taint {pool: gpu}. ".repeat(200);
        Pod p = pod("""
                phase: Pending
                conditions:
                - type: PodScheduled
                  status: "False"
                  reason: Unschedulable
                  message: '%s'
                """.formatted(nodes));
        PodInterpreter.PodState s = one(p, BOUND);
        assertThat(s.reason()).isEqualTo(Reason.Unschedulable);
        assertThat(s.message().length()).isLessThanOrEqualTo(PodInterpreter.MAX_MESSAGE + 1);
        assertThat(nodes.length()).isGreaterThan(PodInterpreter.MAX_MESSAGE);
    }

    // --- what only events tell -----------------------------------------------------------------------------------

    /** A core/v1 Event as the API server returns it. */
    static Event event(String kind, String name, String uid, String reason, String message, String last, int count) {
        return Serialization.unmarshal(
                """
                apiVersion: v1
                kind: Event
                metadata:
                  name: %s.17e0f5a1c2d3e4f5
                  namespace: images
                involvedObject:
                  apiVersion: %s
                  kind: %s
                  name: %s
                  namespace: images
                  uid: %s
                reason: %s
                message: '%s'
                type: Warning
                count: %d
                firstTimestamp: "2026-12-05T10:00:02Z"
                lastTimestamp: "%s"
                source:
                  component: %s
                """.formatted(
                                name,
                                kind.equals("Job") ? "batch/v1" : "v1",
                                kind,
                                name,
                                uid,
                                reason,
                                message,
                                count,
                                last,
                                kind.equals("Job") ? "job-controller" : "kubelet"),
                Event.class);
    }

    @Test
    void failedCreateOfTheJobControllerWhenThereIsNoPod() {
        Event quota = event(
                "Job",
                "web-g1",
                "job-uid-1",
                "FailedCreate",
                "Error creating: pods \"web-g1-x7k2p\" is "
                        + "forbidden: exceeded quota: compute, requested: requests.memory=512Mi, used: requests.memory=3584Mi, "
                        + "limited: requests.memory=4Gi",
                "2026-12-05T10:04:00Z",
                7);
        PodInterpreter.PodState without = PodInterpreter.interpret(List.of(), 0, Map.of());
        assertThat(PodInterpreter.needsEvents(without)).isTrue();
        PodInterpreter.PodState s = PodInterpreter.interpret(List.of(), 0, Map.of(), List.of(quota));
        assertThat(s.reason()).isEqualTo(Reason.FailedCreate);
        assertThat(s.message()).contains("exceeded quota: compute").contains("7 times");
    }

    @Test
    void multiAttachOfAScheduledPodInContainerCreating() {
        Pod p = pod("""
                phase: Pending
                conditions:
                %s
                containerStatuses:
                - name: linuximage
                  ready: false
                  restartCount: 0
                  state:
                    waiting:
                      reason: ContainerCreating
                """.formatted(SCHEDULED.stripTrailing()));
        p.getMetadata().setUid("pod-uid-1");
        Event attach = event(
                "Pod",
                "web-g1-x7k2p",
                "pod-uid-1",
                "FailedAttachVolume",
                "Multi-Attach error for " + "volume \"pvc-0c1d2e3f\" Volume is already used by pod(s) web-g0-abcde",
                "2026-12-05T10:01:00Z",
                1);
        Event mount = event(
                "Pod",
                "web-g1-x7k2p",
                "pod-uid-1",
                "FailedMount",
                "Unable to attach or mount volumes: "
                        + "unmounted volumes=[source], unattached volumes=[source tmp]: timed out waiting for the condition",
                "2026-12-05T10:03:00Z",
                1);
        Event otherPod = event("Pod", "web-g0-abcde", "pod-uid-0", "FailedMount", "old", "2026-12-05T10:09:00Z", 1);
        PodInterpreter.PodState s = PodInterpreter.interpret(List.of(p), 0, BOUND, List.of(attach));
        assertThat(s.reason()).isEqualTo(Reason.FailedAttachVolume);
        assertThat(s.message()).contains("Multi-Attach error").contains("web-g1-x7k2p");
        assertThat(PodInterpreter.interpret(List.of(p), 0, BOUND, List.of(attach, mount, otherPod))
                        .reason())
                .as("the newest event about this pod")
                .isEqualTo(Reason.FailedMount);
        assertThat(PodInterpreter.interpret(List.of(p), 0, BOUND, List.of(otherPod))
                        .reason())
                .as("events of another pod say nothing about this one")
                .isEqualTo(Reason.Pending);
    }

    @Test
    void eventsDoNotOverrideWhatThePodSays() {
        Pod running = pod("""
                phase: Running
                """);
        running.getMetadata().setUid("pod-uid-1");
        Event old = event("Pod", "web-g1-x7k2p", "pod-uid-1", "FailedMount", "timed out", "2026-12-05T10:01:00Z", 1);
        PodInterpreter.PodState s = PodInterpreter.interpret(List.of(running), 0, BOUND, List.of(old));
        assertThat(PodInterpreter.needsEvents(s)).isFalse();
        assertThat(s.reason()).as("mounted meanwhile: the pod runs").isEqualTo(Reason.Running);
        Event quota = event("Job", "web-g1", "job-uid-1", "FailedCreate", "forbidden", "2026-12-05T10:04:00Z", 1);
        assertThat(PodInterpreter.interpret(List.of(running), 0, BOUND, List.of(quota))
                        .reason())
                .as("a pod exists: an old FailedCreate is history")
                .isEqualTo(Reason.Running);
    }
}
