package dev.linuximage.operator.reconciler;

import dev.linuximage.core.report.JobResult;
import dev.linuximage.core.report.JobResultCodec;
import dev.linuximage.core.report.ProgressEvent;
import dev.linuximage.core.report.ReportLine;
import dev.linuximage.operator.job.JobFactory;
import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobCondition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * Reads what the Job's pods tell: the termination message of the finished container (the {@link JobResult}) or, while
 * the Job is active, whether its pod runs or why it cannot ({@link PodInterpreter}: scheduling, image pull, claims)
 * and the last progress line in the log tail. This is the operator's only read of pod logs; the pods themselves
 * need no Kubernetes API access.
 */
public class JobInspector {

    /** The Job controller labels its pods with the Job's name (legacy label, still set by every version). */
    static final String JOB_NAME_LABEL = "job-name";

    static final int LOG_TAIL_LINES = 20;
    private static final Logger LOG = Logger.getLogger(JobInspector.class);

    private final KubernetesClient client;

    public JobInspector(KubernetesClient client) {
        this.client = client;
    }

    public JobObservation observe(Job job) {
        String name = job.getMetadata().getName();
        Optional<JobCondition> failed = condition(job, "Failed");
        JobObservation.State state = condition(job, "Complete").isPresent()
                ? JobObservation.State.Succeeded
                : failed.isPresent()
                        ? JobObservation.State.Failed
                        : job.getStatus() != null
                                        && job.getStatus().getActive() != null
                                        && job.getStatus().getActive() > 0
                                ? JobObservation.State.Running
                                : JobObservation.State.Pending;
        List<Pod> pods = pods(job);
        if (state.isTerminal()) {
            Optional<ContainerStateTerminated> t = pods.stream()
                    .map(JobInspector::terminated)
                    .flatMap(Optional::stream)
                    .max(Comparator.comparing(x -> x.getFinishedAt() == null ? "" : x.getFinishedAt()));
            JobResult result = null;
            String problem;
            if (t.isEmpty()
                    || t.get().getMessage() == null
                    || t.get().getMessage().isBlank()) {
                problem = "no termination message";
            } else {
                try {
                    result = JobResultCodec.parse(t.get().getMessage());
                    problem = null;
                } catch (IllegalArgumentException e) {
                    problem = e.getMessage() + "; the message begins: "
                            + excerpt(t.get().getMessage());
                }
            }
            return new JobObservation(
                    name,
                    state,
                    failed.map(JobCondition::getReason).orElse(null),
                    failed.map(JobCondition::getMessage).orElse(null),
                    result,
                    problem,
                    null);
        }
        String ns = job.getMetadata().getNamespace();
        Map<String, String> claimPhases = new HashMap<>();
        for (String claim : PodInterpreter.claimsToCheck(pods)) {
            PersistentVolumeClaim pvc = client.persistentVolumeClaims()
                    .inNamespace(ns)
                    .withName(claim)
                    .get();
            if (pvc != null) {
                claimPhases.put(
                        claim,
                        pvc.getStatus() == null || pvc.getStatus().getPhase() == null
                                ? "Unknown"
                                : pvc.getStatus().getPhase());
            }
        }
        int failedPods = job.getStatus() == null || job.getStatus().getFailed() == null
                ? 0
                : job.getStatus().getFailed();
        PodInterpreter.PodState podState = PodInterpreter.interpret(pods, failedPods, claimPhases);
        if (PodInterpreter.needsEvents(podState)) {
            podState = PodInterpreter.interpret(pods, failedPods, claimPhases, warnings(job, pods));
        }
        ProgressEvent progress = !podState.running()
                ? null
                : pods.stream()
                        .filter(p -> p.getStatus() != null
                                && "Running".equals(p.getStatus().getPhase()))
                        .findFirst()
                        .flatMap(this::lastProgress)
                        .orElse(null);
        return new JobObservation(name, state, null, null, null, null, progress, podState);
    }

    /** The pod that ran last and its main container's end, for the stage durations; null parts when unknown. */
    public record LastRun(String podCreated, ContainerStateTerminated container) {}

    public LastRun lastRun(Job job) {
        Pod last = null;
        ContainerStateTerminated end = null;
        for (Pod p : pods(job)) {
            Optional<ContainerStateTerminated> t = terminated(p);
            if (t.isPresent()
                    && (end == null
                            || String.valueOf(t.get().getFinishedAt()).compareTo(String.valueOf(end.getFinishedAt()))
                                    > 0)) {
                last = p;
                end = t.get();
            }
        }
        return new LastRun(last == null ? null : last.getMetadata().getCreationTimestamp(), end);
    }

    /** Lines of the finished pod's log tail searched for the report line: it is followed by a few lines only. */
    public static final int REPORT_TAIL_LINES = 10;
    /** The longest report read from a log: no more than a ConfigMap holds. */
    public static final int REPORT_MAX_CHARS = 1 << 20;
    /** Bytes read at most ({@code limitBytes}): the report line and the few lines around it. */
    public static final int REPORT_LIMIT_BYTES = REPORT_MAX_CHARS + (64 << 10);

    /**
     * The full report the Job's last pod printed as its {@link ReportLine} (compact JSON, see {@link ReportLine#scan});
     * none when the log cannot be read (deleted pod, no right). At most {@link #REPORT_LIMIT_BYTES} are read from the
     * API server ({@code limitBytes}), so a report longer than {@link #REPORT_MAX_CHARS} is only flagged as too long.
     */
    public ReportLine.Scan fullReport(Job job) {
        Pod last = null;
        String lastEnd = null;
        for (Pod p : pods(job)) {
            Optional<ContainerStateTerminated> t = terminated(p);
            if (t.isPresent()
                    && (lastEnd == null
                            || String.valueOf(t.get().getFinishedAt()).compareTo(lastEnd) > 0)) {
                last = p;
                lastEnd = String.valueOf(t.get().getFinishedAt());
            }
        }
        if (last == null) {
            return new ReportLine.Scan(null, false);
        }
        try {
            String log = client.pods()
                    .inNamespace(last.getMetadata().getNamespace())
                    .withName(last.getMetadata().getName())
                    .inContainer(JobFactory.CONTAINER)
                    .limitBytes(REPORT_LIMIT_BYTES)
                    .tailingLines(REPORT_TAIL_LINES)
                    .getLog();
            return ReportLine.scan(log, REPORT_MAX_CHARS);
        } catch (KubernetesClientException e) {
            LOG.infof(
                    "no full report from the log of pod %s: %s",
                    last.getMetadata().getName(), e.getMessage());
            return new ReportLine.Scan(null, false);
        }
    }

    private List<Pod> pods(Job job) {
        return client.pods()
                .inNamespace(job.getMetadata().getNamespace())
                .withLabel(JOB_NAME_LABEL, job.getMetadata().getName())
                .list()
                .getItems();
    }

    /**
     * Warning events about the Job and its unfinished pods. The field selector keeps the list small on a real API
     * server; the uid filter is applied again here because not every server (e.g. the mock) honours it.
     */
    private List<Event> warnings(Job job, List<Pod> pods) {
        List<String> uids = new ArrayList<>();
        uids.add(job.getMetadata().getUid());
        pods.stream()
                .filter(p -> p.getStatus() == null
                        || !"Succeeded".equals(p.getStatus().getPhase())
                                && !"Failed".equals(p.getStatus().getPhase()))
                .map(p -> p.getMetadata().getUid())
                .filter(Objects::nonNull)
                .forEach(uids::add);
        List<Event> out = new ArrayList<>();
        try {
            for (String uid : uids) {
                if (uid == null) {
                    continue;
                }
                client
                        .v1()
                        .events()
                        .inNamespace(job.getMetadata().getNamespace())
                        .withField("involvedObject.uid", uid)
                        .withField("type", "Warning")
                        .list()
                        .getItems()
                        .stream()
                        .filter(e -> e.getInvolvedObject() != null
                                && uid.equals(e.getInvolvedObject().getUid()))
                        .forEach(out::add);
            }
        } catch (KubernetesClientException e) {
            // events are best effort (e.g. RBAC without list on events): the pods' own status still tells the rest
            LOG.debugf("cannot list events of Job %s: %s", job.getMetadata().getName(), e.getMessage());
        }
        return out;
    }

    private Optional<ProgressEvent> lastProgress(Pod pod) {
        try {
            String log = client.pods()
                    .inNamespace(pod.getMetadata().getNamespace())
                    .withName(pod.getMetadata().getName())
                    .inContainer(JobFactory.CONTAINER)
                    .tailingLines(LOG_TAIL_LINES)
                    .getLog();
            return ProgressEvent.lastIn(log);
        } catch (KubernetesClientException e) {
            // Progress is best effort: a log that cannot be read now is read at the next poll.
            LOG.debugf("no log of pod %s yet: %s", pod.getMetadata().getName(), e.getMessage());
            return Optional.empty();
        }
    }

    private static Optional<ContainerStateTerminated> terminated(Pod pod) {
        if (pod.getStatus() == null || pod.getStatus().getContainerStatuses() == null) {
            return Optional.empty();
        }
        return pod.getStatus().getContainerStatuses().stream()
                .filter(cs -> JobFactory.CONTAINER.equals(cs.getName()))
                .map(ContainerStatus::getState)
                .filter(s -> s != null && s.getTerminated() != null)
                .map(s -> s.getTerminated())
                .findFirst();
    }

    private static Optional<JobCondition> condition(Job job, String type) {
        if (job.getStatus() == null || job.getStatus().getConditions() == null) {
            return Optional.empty();
        }
        return job.getStatus().getConditions().stream()
                .filter(c -> type.equals(c.getType()) && "True".equals(c.getStatus()))
                .findFirst();
    }

    private static String excerpt(String s) {
        String one = s.strip().replaceAll("\\s+", " ");
        return one.length() <= 200 ? one : one.substring(0, 200) + "\u2026";
    }
}
