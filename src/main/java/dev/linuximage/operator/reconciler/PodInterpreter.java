package dev.linuximage.operator.reconciler;

import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.ContainerStateWaiting;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.Volume;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Pure: the pods of an active Job to what the status should say about them. {@code job.status.active} counts pending
 * pods as active, so the Job alone reads "running" while its pod cannot be scheduled or its image cannot be pulled;
 * the pods' own status tells (Kubernetes "Pod Lifecycle": the PodScheduled condition, and a container's
 * {@code state.waiting.reason}).
 */
public final class PodInterpreter {

    /**
     * What the pods say.
     *
     * @param reason  {@link Reason#Running}, {@link Reason#Pending}, or a warning reason when the pod cannot start
     * @param message human-readable, names the pod and the Kubernetes reason and message
     * @param running whether the pod runs (phase Running and no container stuck waiting)
     */
    public record PodState(Reason reason, String message, boolean running) {}

    /**
     * Kubelet waiting reasons that mean the container will not start without a change (kubelet
     * {@code images/types.go}, {@code kuberuntime}: they come back after each back-off). Others (ContainerCreating,
     * PodInitializing) are the normal way to Running.
     */
    static final Map<String, Reason> WAITING_PROBLEMS = Map.of(
            "ErrImagePull", Reason.ImagePullBackOff,
            "ImagePullBackOff", Reason.ImagePullBackOff,
            "ErrImageNeverPull", Reason.ImagePullBackOff,
            "InvalidImageName", Reason.InvalidImageName,
            "CreateContainerConfigError", Reason.CreateContainerConfigError,
            "CreateContainerError", Reason.CreateContainerError,
            "RunContainerError", Reason.RunContainerError,
            "CrashLoopBackOff", Reason.CrashLoopBackOff);

    static final int MAX_MESSAGE = 512;

    private PodInterpreter() {}

    /**
     * @param pods        the Job's pods (any order, any phase)
     * @param failedPods  {@code job.status.failed}: pods of this Job that failed so far (may be 0 when already
     *                    garbage-collected ones are not counted)
     * @param claimPhases phase ({@code Pending}, {@code Bound}, {@code Lost}) of each claim named by
     *                    {@link #claimsToCheck}; a claim absent from the map does not exist
     */
    public static PodState interpret(List<Pod> pods, int failedPods, Map<String, String> claimPhases) {
        return interpret(pods, failedPods, claimPhases, List.of());
    }

    /**
     * As {@link #interpret(List, int, Map)}, and what only events tell: the Job controller's FailedCreate (no pod at
     * all) and the volume events of a scheduled pod that stays in ContainerCreating (FailedAttachVolume, e.g.
     * Multi-Attach, and FailedMount). The pod's status says nothing of these.
     *
     * @param warnings Warning events about the Job and its current pod ({@link #needsEvents}), any order
     */
    public static PodState interpret(
            List<Pod> pods, int failedPods, Map<String, String> claimPhases, List<Event> warnings) {
        PodState s = fromPods(pods, failedPods, claimPhases);
        if (s.running() || s.reason().isWarning() && s.reason() != Reason.Retrying || warnings.isEmpty()) {
            return s;
        }
        Optional<Pod> current = current(pods);
        Optional<Event> e = warnings.stream()
                .filter(ev -> "Warning".equals(ev.getType()))
                .filter(ev -> ev.getInvolvedObject() != null)
                .filter(ev -> current.isEmpty()
                        ? "Job".equals(ev.getInvolvedObject().getKind()) && "FailedCreate".equals(ev.getReason())
                        : "Pod".equals(ev.getInvolvedObject().getKind())
                                && sameObject(ev, current.get())
                                && VOLUME_EVENTS.containsKey(ev.getReason()))
                .max(Comparator.comparing(PodInterpreter::when));
        if (e.isEmpty()) {
            return s;
        }
        Event ev = e.get();
        String subject = current.map(p -> "pod " + p.getMetadata().getName()).orElse("the Job controller");
        Reason r = current.isEmpty() ? Reason.FailedCreate : VOLUME_EVENTS.get(ev.getReason());
        return new PodState(
                r,
                cap(subject + ": " + ev.getReason() + ": " + text(ev.getMessage())
                        + (ev.getCount() == null || ev.getCount() <= 1 ? "" : " (" + ev.getCount() + " times)")),
                false);
    }

    /** Whether what the pods say leaves a question only events answer (so the caller reads them only then). */
    public static boolean needsEvents(PodState s) {
        return !s.running() && (!s.reason().isWarning() || s.reason() == Reason.Retrying);
    }

    /** Event reasons of the attach/detach controller and the kubelet's volume manager. */
    static final Map<String, Reason> VOLUME_EVENTS = Map.of(
            "FailedAttachVolume", Reason.FailedAttachVolume,
            "FailedMount", Reason.FailedMount);

    private static boolean sameObject(Event ev, Pod pod) {
        String uid = ev.getInvolvedObject().getUid();
        return uid != null
                ? uid.equals(pod.getMetadata().getUid())
                : pod.getMetadata().getName().equals(ev.getInvolvedObject().getName());
    }

    /** core/v1 events carry lastTimestamp (older recorders) or eventTime (events.k8s.io recorders). */
    private static String when(Event ev) {
        if (ev.getLastTimestamp() != null) {
            return ev.getLastTimestamp();
        }
        if (ev.getEventTime() != null && ev.getEventTime().getTime() != null) {
            return ev.getEventTime().getTime();
        }
        return ev.getMetadata() == null || ev.getMetadata().getCreationTimestamp() == null
                ? ""
                : ev.getMetadata().getCreationTimestamp();
    }

    private static PodState fromPods(List<Pod> pods, int failedPods, Map<String, String> claimPhases) {
        Optional<Pod> failed =
                pods.stream().filter(p -> "Failed".equals(phase(p))).max(NEWEST);
        int failures = Math.max(failedPods, (int)
                pods.stream().filter(p -> "Failed".equals(phase(p))).count());
        String retry = failures == 0
                ? ""
                : "; attempt " + (failures + 1) + ", after "
                        + failed.map(PodInterpreter::failure).orElse(failures + " failed pod(s)");
        Optional<Pod> current = current(pods);
        if (current.isEmpty()) {
            return failures == 0
                    ? new PodState(Reason.Pending, "waiting for the Job controller to create the pod", false)
                    : new PodState(
                            Reason.Retrying, "waiting for the Job controller to create the next pod" + retry, false);
        }
        Pod pod = current.get();
        String name = "pod " + pod.getMetadata().getName();
        if (pod.getStatus() == null) {
            return new PodState(
                    failures == 0 ? Reason.Pending : Reason.Retrying, cap(name + " has no status yet" + retry), false);
        }

        Optional<PodCondition> unscheduled = condition(pod, "PodScheduled").filter(c -> "False".equals(c.getStatus()));
        if (unscheduled.isPresent()) {
            PodCondition c = unscheduled.get();
            String why = text(c.getReason()) + ": " + text(c.getMessage());
            if (!"Unschedulable".equals(c.getReason())) {
                // SchedulingGated (a queue holds it back on purpose), SchedulerError (retried by the scheduler)
                return new PodState(Reason.Pending, cap(name + " is not scheduled yet (" + why + ")" + retry), false);
            }
            for (String claim : claims(pod)) {
                String ph = claimPhases.get(claim);
                if (ph == null) {
                    return new PodState(
                            Reason.MissingClaim,
                            cap("PersistentVolumeClaim '" + claim + "' not found; " + name + " is unschedulable (" + why
                                    + ")" + retry),
                            false);
                }
                if ("Pending".equals(ph)) {
                    return new PodState(
                            Reason.PersistentVolumeClaimPending,
                            cap("PersistentVolumeClaim '" + claim + "' is Pending (not bound); " + name
                                    + " is unschedulable (" + why + ")" + retry),
                            false);
                }
            }
            return new PodState(Reason.Unschedulable, cap(name + " cannot be scheduled (" + why + ")" + retry), false);
        }

        // init containers first: the main container waits (PodInitializing) while an init container is stuck
        Optional<PodState> stuck = Stream.concat(
                        stream(pod.getStatus().getInitContainerStatuses()),
                        stream(pod.getStatus().getContainerStatuses()))
                .map(cs -> stuck(name, cs, retry))
                .flatMap(Optional::stream)
                .findFirst();
        if (stuck.isPresent()) {
            return stuck.get();
        }
        if ("Running".equals(phase(pod))) {
            return failures == 0
                    ? new PodState(Reason.Running, name + " is running", true)
                    : new PodState(Reason.Retrying, cap(name + " is running" + retry), true);
        }
        String detail = Stream.concat(
                        stream(pod.getStatus().getInitContainerStatuses()),
                        stream(pod.getStatus().getContainerStatuses()))
                .filter(cs -> cs.getState() != null && cs.getState().getWaiting() != null)
                .map(cs -> "container " + cs.getName() + ": "
                        + text(cs.getState().getWaiting().getReason()))
                .findFirst()
                .orElse(phase(pod) == null ? "no status yet" : "phase " + phase(pod));
        return new PodState(
                failures == 0 ? Reason.Pending : Reason.Retrying,
                cap(name + " is starting (" + detail + ")" + retry),
                false);
    }

    /** The claims of the current pod when it is not scheduled: only then can an unbound claim be the cause. */
    public static Set<String> claimsToCheck(List<Pod> pods) {
        return current(pods)
                .filter(p -> condition(p, "PodScheduled")
                        .filter(c -> "False".equals(c.getStatus()) && "Unschedulable".equals(c.getReason()))
                        .isPresent())
                .map(PodInterpreter::claims)
                .orElse(Set.of());
    }

    /** The newest pod that is neither finished nor being deleted: the one the Job now waits for. */
    private static Optional<Pod> current(List<Pod> pods) {
        return pods.stream()
                .filter(p -> p.getMetadata().getDeletionTimestamp() == null)
                .filter(p -> !"Succeeded".equals(phase(p)) && !"Failed".equals(phase(p)))
                .max(NEWEST);
    }

    private static Optional<PodState> stuck(String pod, ContainerStatus cs, String retry) {
        ContainerStateWaiting w = cs.getState() == null ? null : cs.getState().getWaiting();
        if (w == null || !WAITING_PROBLEMS.containsKey(w.getReason())) {
            return Optional.empty();
        }
        int restarts = cs.getRestartCount() == null ? 0 : cs.getRestartCount();
        return Optional.of(new PodState(
                WAITING_PROBLEMS.get(w.getReason()),
                cap(pod + ", container " + cs.getName()
                        + ": " + w.getReason() + ": " + text(w.getMessage())
                        + (restarts == 0 ? "" : " (restarted " + restarts + " times)") + retry),
                false));
    }

    /** Why a failed pod failed: the container's exit code and reason, or the pod's reason (e.g. Evicted). */
    private static String failure(Pod pod) {
        if (pod.getStatus() == null) {
            return "pod " + pod.getMetadata().getName() + " failed";
        }
        String term = stream(pod.getStatus().getContainerStatuses())
                .map(cs -> cs.getState() == null ? null : cs.getState().getTerminated())
                .filter(t -> t != null)
                .findFirst()
                .map(PodInterpreter::terminated)
                .orElse(null);
        String podReason = pod.getStatus().getReason() == null
                ? null
                : pod.getStatus().getReason()
                        + (pod.getStatus().getMessage() == null
                                ? ""
                                : ": " + pod.getStatus().getMessage());
        return "pod " + pod.getMetadata().getName() + " failed ("
                + (term != null ? term : podReason != null ? podReason : "no reason given") + ")";
    }

    private static String terminated(ContainerStateTerminated t) {
        return "exit code " + t.getExitCode() + (t.getReason() == null ? "" : ", " + t.getReason());
    }

    private static Set<String> claims(Pod pod) {
        Set<String> out = new LinkedHashSet<>();
        if (pod.getSpec() != null && pod.getSpec().getVolumes() != null) {
            for (Volume v : pod.getSpec().getVolumes()) {
                if (v.getPersistentVolumeClaim() != null
                        && v.getPersistentVolumeClaim().getClaimName() != null) {
                    out.add(v.getPersistentVolumeClaim().getClaimName());
                }
            }
        }
        return out;
    }

    private static Optional<PodCondition> condition(Pod pod, String type) {
        if (pod.getStatus() == null || pod.getStatus().getConditions() == null) {
            return Optional.empty();
        }
        return pod.getStatus().getConditions().stream()
                .filter(c -> type.equals(c.getType()))
                .findFirst();
    }

    private static String phase(Pod p) {
        return p.getStatus() == null ? null : p.getStatus().getPhase();
    }

    private static Stream<ContainerStatus> stream(List<ContainerStatus> l) {
        return l == null ? Stream.empty() : l.stream();
    }

    private static String text(String s) {
        return s == null || s.isBlank() ? "no message" : s.strip();
    }

    /** Scheduler and runtime messages can be long (one line per node group); the status keeps a bounded excerpt. */
    private static String cap(String s) {
        return s.length() <= MAX_MESSAGE ? s : s.substring(0, MAX_MESSAGE) + "\u2026";
    }

    /** RFC 3339 timestamps in UTC compare as strings; a pod without one sorts first. */
    private static final Comparator<Pod> NEWEST = Comparator.comparing(
                    (Pod p) -> p.getMetadata().getCreationTimestamp() == null
                            ? ""
                            : p.getMetadata().getCreationTimestamp())
            .thenComparing(p ->
                    p.getMetadata().getName() == null ? "" : p.getMetadata().getName());
}
