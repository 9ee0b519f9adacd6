package dev.linuximage.operator.fake;

import io.fabric8.kubernetes.api.model.ContainerStateBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobCondition;
import io.fabric8.kubernetes.api.model.batch.v1.JobConditionBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.JobStatus;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.quarkus.test.kubernetes.client.KubernetesServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Plays kube-controller-manager (Job controller, garbage collector) and the kubelet against the fabric8 mock API
 * server, which has none of them. For every new Job it creates a pod, "runs" it with a {@link PodExecutor} (given the
 * container args, the mounts mapped to local directories and claim name to directory), writes the termination message
 * into the pod's container status (falling back to the log tail on error, as {@code FallbackToLogsOnError} does), and
 * sets the Job's Complete/Failed condition. When a pod fails, it decides as the real Job controller does from the
 * Job object the operator created — its {@code spec.podFailurePolicy} rules and {@code spec.backoffLimit}
 * ({@link PodFailurePolicies}): {@code FailJob} fails the Job after that pod (reason {@code PodFailurePolicy}),
 * {@code Ignore} creates a replacement pod without counting the failure, {@code Count} (or no matching rule) counts it
 * and creates another pod — a new run of the executor — until more pods failed than {@code backoffLimit}, then fails
 * the Job with reason {@code BackoffLimitExceeded}. As garbage collector it deletes Jobs whose controller owner is
 * gone (and the operator's result ConfigMaps whose LinuxImage is gone) and pods whose Job is gone. Simplifications:
 * the retry backoff is {@link #RETRY_DELAY_MILLIS} instead of the
 * controller's 10 s doubling, no scheduling (a pod can be held in a given waiting status: {@link #holdPods}), no TTL
 * controller, non-indexed Jobs with one completion only.
 */
public final class FakeJobController implements AutoCloseable {

    /**
     * Delay before a replacement pod (the real controller waits 10 s, doubling per failure, up to 6 min); more than a
     * second so two pods of a Job never end in the same second of their RFC 3339 {@code finishedAt}.
     */
    static final long RETRY_DELAY_MILLIS = 1100;

    private static final ResourceDefinitionContext LINUXIMAGES = new ResourceDefinitionContext.Builder()
            .withGroup("linuximage.dev")
            .withVersion("v1alpha1")
            .withPlural("linuximages")
            .withKind("LinuxImage")
            .withNamespaced(true)
            .build();

    private final KubernetesClient client;
    private final Path scratch;
    private final Map<String, Path> claims = new ConcurrentHashMap<>();
    private final Map<String, StringBuilder> logs = new ConcurrentHashMap<>();
    private final Set<String> started = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService loop = Executors.newSingleThreadScheduledExecutor();
    private final ExecutorService kubelet = Executors.newCachedThreadPool();
    private final AtomicInteger runs = new AtomicInteger();
    /** ns/name/uid of a Job → its counted pod failures (Ignore'd ones excluded), as {@code status.failed}. */
    private final Map<String, Integer> counted = new ConcurrentHashMap<>();

    private volatile PodExecutor executor = run -> new PodExecutor.PodOutcome(0, null);
    private volatile Hold hold;
    private volatile String refusal;
    /** uid → namespace of the Jobs and pods whose Warning events are served by field selector (see serveEvents). */
    private final Map<String, String> eventSubjects = new ConcurrentHashMap<>();

    private final Map<String, List<io.fabric8.kubernetes.api.model.Event>> warningEvents = new ConcurrentHashMap<>();
    private volatile KubernetesServer server;

    public FakeJobController(KubernetesClient client, Path scratch) {
        this.client = client;
        this.scratch = scratch;
    }

    public FakeJobController start() {
        loop.scheduleWithFixedDelay(this::tickSafely, 0, 100, TimeUnit.MILLISECONDS);
        return this;
    }

    /** The directory standing in for PVC {@code claimName} (any namespace). */
    public FakeJobController claim(String claimName, Path dir) {
        claims.put(claimName, dir);
        return this;
    }

    /** Serves {@code pods/log} of the pods it creates from this mock server (the mock's CRUD mode has no logs). */
    public FakeJobController serveLogs(KubernetesServer server) {
        this.server = server;
        return this;
    }

    public void executor(PodExecutor executor) {
        this.executor = executor;
    }

    /**
     * The pods created from now on stay in {@code waiting} (as the scheduler or the kubelet would leave a pod that
     * cannot be scheduled or whose image cannot be pulled, with {@code job.status.active} already 1) until
     * {@code release} opens; then they turn Running (PodScheduled=True, no container status) and run as usual.
     * {@code null}: pods run at once.
     */
    public void holdPods(PodStatus waiting, CountDownLatch release) {
        this.hold = waiting == null ? null : new Hold(waiting, release);
    }

    private record Hold(PodStatus status, CountDownLatch release) {}

    /**
     * New Jobs get no pod: as the Job controller does when pod creation is refused (quota, admission), it records a
     * Warning event FailedCreate on the Job with {@code message} and leaves {@code active} at 0. {@code null}: off.
     */
    public void refusePods(String message) {
        this.refusal = message;
    }

    /** How many pods ran so far. */
    public int runs() {
        return runs.get();
    }

    /** The log of a pod so far (what the kubelet would serve on pods/log). */
    public String log(String namespace, String pod) {
        StringBuilder sb = logs.get(namespace + "/" + pod);
        return sb == null ? "" : sb.toString();
    }

    private void tickSafely() {
        try {
            tick();
        } catch (RuntimeException e) {
            // the mock server may be shutting down between tests; the next tick retries
        }
    }

    /**
     * The mock's CRUD mode treats every field selector as an attribute no stored object has, so a list of events by
     * {@code involvedObject.uid} would always be empty. This serves that exact request (as fabric8 sends it) with what
     * a real API server returns: the Warning events of that object, refreshed every tick from the stored events.
     */
    private void serveEvents(String ns, String uid) {
        KubernetesServer srv = server;
        if (srv == null || uid == null || eventSubjects.putIfAbsent(uid, ns) != null) {
            return;
        }
        srv.expect()
                .get()
                .withPath("/api/v1/namespaces/" + ns + "/events?fieldSelector=involvedObject.uid%3D" + uid
                        + "%2Ctype%3DWarning")
                .andReply(
                        200,
                        req -> new io.fabric8.kubernetes.api.model.EventListBuilder()
                                .withItems(warningEvents.getOrDefault(uid, List.of()))
                                .build())
                .always();
    }

    private void refreshEvents() {
        for (String ns : Set.copyOf(eventSubjects.values())) {
            Map<String, List<io.fabric8.kubernetes.api.model.Event>> byUid = new java.util.HashMap<>();
            for (var e : client.v1().events().inNamespace(ns).list().getItems()) {
                if ("Warning".equals(e.getType())
                        && e.getInvolvedObject() != null
                        && e.getInvolvedObject().getUid() != null
                        && eventSubjects.containsKey(e.getInvolvedObject().getUid())) {
                    byUid.computeIfAbsent(e.getInvolvedObject().getUid(), k -> new ArrayList<>())
                            .add(e);
                }
            }
            eventSubjects.forEach((uid, n) -> {
                if (n.equals(ns)) {
                    warningEvents.put(uid, byUid.getOrDefault(uid, List.of()));
                }
            });
        }
    }

    private void tick() {
        refreshEvents();
        for (Job job : client.batch().v1().jobs().inAnyNamespace().list().getItems()) {
            if (ownerGone(job)) {
                client.batch().v1().jobs().resource(job).delete(); // garbage collector
                continue;
            }
            String key =
                    job.getMetadata().getNamespace() + "/" + job.getMetadata().getName();
            if (started.add(key + "/" + job.getMetadata().getUid())) {
                serveEvents(job.getMetadata().getNamespace(), job.getMetadata().getUid());
                String refused = refusal;
                if (refused != null) {
                    failedCreate(job, refused);
                    continue;
                }
                startPod(job, 0);
            }
        }
        for (io.fabric8.kubernetes.api.model.ConfigMap cm : client.configMaps()
                .inAnyNamespace()
                .withLabel("app.kubernetes.io/managed-by", "linuximage-operator")
                .list()
                .getItems()) {
            if (ownerGone(cm)) {
                client.configMaps().resource(cm).delete(); // garbage collector: the result ConfigMaps too
            }
        }
        for (Pod pod :
                client.pods().inAnyNamespace().withLabel("job-name").list().getItems()) {
            String jobName = pod.getMetadata().getLabels().get("job-name");
            if (client.batch()
                            .v1()
                            .jobs()
                            .inNamespace(pod.getMetadata().getNamespace())
                            .withName(jobName)
                            .get()
                    == null) {
                client.pods().resource(pod).delete(); // garbage collector: the Job is gone
            }
        }
    }

    /** Creates the Job's {@code attempt}-th pod, marks the Job active and runs the pod on the fake kubelet. */
    private void startPod(Job job, int attempt) {
        Hold h = hold;
        Pod pod = createPod(job, h, attempt);
        client.batch()
                .v1()
                .jobs()
                .inNamespace(job.getMetadata().getNamespace())
                .withName(job.getMetadata().getName())
                .editStatus(j -> {
                    if (j.getStatus() == null) {
                        j.setStatus(new JobStatus());
                    }
                    j.getStatus().setActive(1);
                    if (j.getStatus().getStartTime() == null) {
                        j.getStatus().setStartTime(now());
                    }
                    return j;
                });
        kubelet.submit(() -> runPod(job, h == null ? pod : release(pod, h), attempt));
    }

    /** Pods created for Jobs so far, by Job ({@code ns/name}), in creation order. */
    public List<String> pods(String namespace, String jobName) {
        return client.pods().inNamespace(namespace).withLabel("job-name", jobName).list().getItems().stream()
                .map(p -> p.getMetadata().getName())
                .sorted()
                .toList();
    }

    private boolean ownerGone(io.fabric8.kubernetes.api.model.HasMetadata job) {
        for (OwnerReference ref : job.getMetadata().getOwnerReferences()) {
            if (Boolean.TRUE.equals(ref.getController()) && "LinuxImage".equals(ref.getKind())) {
                GenericKubernetesResource owner = client.genericKubernetesResources(LINUXIMAGES)
                        .inNamespace(job.getMetadata().getNamespace())
                        .withName(ref.getName())
                        .get();
                return owner == null || !ref.getUid().equals(owner.getMetadata().getUid());
            }
        }
        return false;
    }

    private void failedCreate(Job job, String message) {
        client.v1()
                .events()
                .inNamespace(job.getMetadata().getNamespace())
                .resource(new EventBuilder()
                        .withNewMetadata()
                        .withName(job.getMetadata().getName() + ".failedcreate")
                        .withNamespace(job.getMetadata().getNamespace())
                        .endMetadata()
                        .withNewInvolvedObject()
                        .withApiVersion("batch/v1")
                        .withKind("Job")
                        .withName(job.getMetadata().getName())
                        .withNamespace(job.getMetadata().getNamespace())
                        .withUid(job.getMetadata().getUid())
                        .endInvolvedObject()
                        .withType("Warning")
                        .withReason("FailedCreate")
                        .withMessage(message)
                        .withCount(1)
                        .withFirstTimestamp(now())
                        .withLastTimestamp(now())
                        .withNewSource()
                        .withComponent("job-controller")
                        .endSource()
                        .build())
                .create();
    }

    /** Waits for the hold to open, then does what the kubelet does once the pod is bound and started. */
    private Pod release(Pod pod, Hold h) {
        try {
            if (!h.release().await(60, TimeUnit.SECONDS)) {
                return pod;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return pod;
        }
        Pod current = client.pods().resource(pod).get();
        if (current == null) {
            return pod;
        }
        current.setStatus(new PodStatusBuilder()
                .withPhase("Running")
                .addNewCondition()
                .withType("PodScheduled")
                .withStatus("True")
                .withLastTransitionTime(now())
                .endCondition()
                .withStartTime(now())
                .build());
        return client.pods().resource(current).updateStatus();
    }

    private Pod createPod(Job job, Hold h, int attempt) {
        String name = job.getMetadata().getName() + "-"
                + Integer.toHexString(job.getMetadata().getUid().hashCode() & 0xfffff)
                + (attempt == 0 ? "" : "-" + attempt);
        Map<String, String> labels = new LinkedHashMap<>();
        if (job.getSpec().getTemplate().getMetadata() != null
                && job.getSpec().getTemplate().getMetadata().getLabels() != null) {
            labels.putAll(job.getSpec().getTemplate().getMetadata().getLabels());
        }
        labels.put("job-name", job.getMetadata().getName());
        labels.put("batch.kubernetes.io/job-name", job.getMetadata().getName());
        labels.put("controller-uid", job.getMetadata().getUid());
        Pod pod = new PodBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace(job.getMetadata().getNamespace())
                .withLabels(labels)
                .addNewOwnerReference()
                .withApiVersion("batch/v1")
                .withKind("Job")
                .withName(job.getMetadata().getName())
                .withUid(job.getMetadata().getUid())
                .withController(true)
                .withBlockOwnerDeletion(true)
                .endOwnerReference()
                .endMetadata()
                .withSpec(job.getSpec().getTemplate().getSpec())
                .withStatus(
                        h == null
                                ? new PodStatusBuilder().withPhase("Running").build()
                                : new PodStatusBuilder(h.status()).build())
                .build();
        KubernetesServer srv = server;
        if (srv != null) {
            String ns = job.getMetadata().getNamespace();
            // The exact request fabric8 sends for inContainer(c).tailingLines(n).getLog(); the tail is the last n
            // lines.
            srv.expect()
                    .get()
                    .withPath("/api/v1/namespaces/" + ns + "/pods/" + name
                            + "/log?pretty=false&container=linuximage&tailLines=20")
                    .andReply(200, req -> lastLines(log(ns, name), 20))
                    .always();
            // the operator's read of the full report line once the pod ended (JobInspector.fullReport): the last 10
            // lines, at most limitBytes bytes from their start, as the kubelet serves them
            srv.expect()
                    .get()
                    .withPath("/api/v1/namespaces/" + ns + "/pods/" + name
                            + "/log?pretty=false&container=linuximage&tailLines="
                            + dev.linuximage.operator.reconciler.JobInspector.REPORT_TAIL_LINES + "&limitBytes="
                            + dev.linuximage.operator.reconciler.JobInspector.REPORT_LIMIT_BYTES)
                    .andReply(
                            200,
                            req -> firstBytes(
                                    lastLines(
                                            log(ns, name),
                                            dev.linuximage.operator.reconciler.JobInspector.REPORT_TAIL_LINES),
                                    dev.linuximage.operator.reconciler.JobInspector.REPORT_LIMIT_BYTES))
                    .always();
        }
        Pod created = client.pods().resource(pod).create();
        serveEvents(created.getMetadata().getNamespace(), created.getMetadata().getUid());
        created.setStatus(pod.getStatus());
        return client.pods().resource(created).updateStatus();
    }

    private final Map<String, String> containerStarted = new java.util.concurrent.ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> runsByNamespace = new java.util.concurrent.ConcurrentHashMap<>();

    /** Pod runs in one namespace (other tests' LinuxImages stay on the shared server and may run meanwhile). */
    public int runs(String namespace) {
        AtomicInteger n = runsByNamespace.get(namespace);
        return n == null ? 0 : n.get();
    }

    private void runPod(Job job, Pod pod, int attempt) {
        String ns = pod.getMetadata().getNamespace();
        StringBuilder log = logs.computeIfAbsent(ns + "/" + pod.getMetadata().getName(), k -> new StringBuilder());
        PodExecutor.PodOutcome outcome;
        try {
            Path podDir = Files.createDirectories(
                    scratch.resolve(ns).resolve(pod.getMetadata().getName()));
            var container = pod.getSpec().getContainers().get(0);
            Map<String, Path> mounts = new LinkedHashMap<>();
            Map<String, Path> claimDirs = new LinkedHashMap<>();
            for (VolumeMount m : container.getVolumeMounts()) {
                Volume v = pod.getSpec().getVolumes().stream()
                        .filter(x -> x.getName().equals(m.getName()))
                        .findFirst()
                        .orElseThrow();
                mounts.put(m.getMountPath(), materialise(ns, v, podDir, claimDirs));
            }
            runs.incrementAndGet();
            runsByNamespace.computeIfAbsent(ns, k -> new AtomicInteger()).incrementAndGet();
            containerStarted.put(ns + "/" + pod.getMetadata().getName(), now()); // the kubelet's state.*.startedAt
            outcome = executor.run(new PodRun(job, pod, List.copyOf(container.getArgs()), mounts, claimDirs, line -> {
                synchronized (log) {
                    log.append(line).append('\n');
                }
            }));
        } catch (Exception e) {
            log.append("executor failed: ").append(e).append('\n');
            outcome = new PodExecutor.PodOutcome(1, null);
        }
        finish(job, pod, outcome, log.toString(), attempt);
    }

    /** What the kubelet would mount: a claim's directory, a Secret's keys as files, an empty dir, a token. */
    private Path materialise(String ns, Volume v, Path podDir, Map<String, Path> claimDirs) throws IOException {
        if (v.getPersistentVolumeClaim() != null) {
            String claim = v.getPersistentVolumeClaim().getClaimName();
            Path dir = claims.get(claim);
            if (dir == null) {
                throw new IllegalStateException("no directory stands in for claim " + claim);
            }
            claimDirs.put(claim, dir);
            return dir;
        }
        Path dir = Files.createDirectories(podDir.resolve("volumes").resolve(v.getName()));
        if (v.getSecret() != null) {
            Secret secret = client.secrets()
                    .inNamespace(ns)
                    .withName(v.getSecret().getSecretName())
                    .get();
            if (secret == null && !Boolean.TRUE.equals(v.getSecret().getOptional())) {
                throw new IllegalStateException("secret " + v.getSecret().getSecretName() + " not found");
            }
            if (secret != null && secret.getData() != null) {
                for (var item : v.getSecret().getItems()) {
                    String b64 = secret.getData().get(item.getKey());
                    if (b64 != null) {
                        Files.write(
                                dir.resolve(item.getPath()), Base64.getDecoder().decode(b64));
                    }
                }
            }
        } else if (v.getProjected() != null) {
            for (var source : v.getProjected().getSources()) {
                if (source.getServiceAccountToken() != null) {
                    Files.writeString(
                            dir.resolve(source.getServiceAccountToken().getPath()),
                            "fake-token-for-" + source.getServiceAccountToken().getAudience());
                }
            }
        }
        return dir;
    }

    private void finish(Job job, Pod pod, PodExecutor.PodOutcome outcome, String log, int attempt) {
        String message = outcome.terminationMessage();
        if ((message == null || message.isEmpty()) && outcome.exitCode() != 0) {
            message = tail(log); // FallbackToLogsOnError
        }
        if (message != null && message.getBytes(StandardCharsets.UTF_8).length > 4096) {
            message = new String(message.getBytes(StandardCharsets.UTF_8), 0, 4096, StandardCharsets.UTF_8);
        }
        String finishedAt = now();
        Pod current = client.pods().resource(pod).get();
        if (current == null) {
            return;
        }
        current.getStatus().setPhase(outcome.exitCode() == 0 ? "Succeeded" : "Failed");
        current.getStatus()
                .setContainerStatuses(List.of(new ContainerStatusBuilder()
                        .withName(pod.getSpec().getContainers().get(0).getName())
                        .withState(new ContainerStateBuilder()
                                .withNewTerminated()
                                .withExitCode(outcome.exitCode())
                                .withMessage(message)
                                .withFinishedAt(finishedAt)
                                .withStartedAt(
                                        containerStarted.get(pod.getMetadata().getNamespace() + "/"
                                                + pod.getMetadata().getName()))
                                .withReason(outcome.exitCode() == 0 ? "Completed" : "Error")
                                .endTerminated()
                                .build())
                        .build()));
        if (!outcome.conditions().isEmpty()) {
            List<io.fabric8.kubernetes.api.model.PodCondition> conds = new ArrayList<>(
                    current.getStatus().getConditions() == null
                            ? List.of()
                            : current.getStatus().getConditions());
            conds.addAll(outcome.conditions());
            current.getStatus().setConditions(conds);
        }
        Pod ended = client.pods().resource(current).updateStatus();
        eventSubjects.remove(pod.getMetadata().getUid());
        warningEvents.remove(pod.getMetadata().getUid());
        // the Job as stored now: its spec (podFailurePolicy, backoffLimit) is what the operator created
        Job stored = client.batch()
                .v1()
                .jobs()
                .inNamespace(job.getMetadata().getNamespace())
                .withName(job.getMetadata().getName())
                .get();
        if (stored == null
                || !job.getMetadata().getUid().equals(stored.getMetadata().getUid())) {
            return; // deleted meanwhile
        }
        String key = job.getMetadata().getNamespace() + "/" + job.getMetadata().getName() + "/"
                + job.getMetadata().getUid();
        boolean ok = outcome.exitCode() == 0;
        String reason = null;
        String conditionMessage = null;
        boolean retry = false;
        int failed = counted.getOrDefault(key, 0);
        if (!ok) {
            PodFailurePolicies.Match m = PodFailurePolicies.match(stored, ended);
            switch (m.action()) {
                case FailJob -> {
                    failed++;
                    reason = "PodFailurePolicy";
                    conditionMessage = m.message();
                }
                case Ignore -> retry = true;
                case Count -> {
                    failed++;
                    if (PodFailurePolicies.backoffLimitExceeded(stored, failed)) {
                        reason = "BackoffLimitExceeded";
                        conditionMessage = "Job has reached the specified backoff limit";
                    } else {
                        retry = true;
                    }
                }
            }
            counted.put(key, failed);
        }
        int failedPods = failed;
        if (retry) {
            client.batch()
                    .v1()
                    .jobs()
                    .inNamespace(job.getMetadata().getNamespace())
                    .withName(job.getMetadata().getName())
                    .editStatus(j -> {
                        if (j.getStatus() == null) {
                            j.setStatus(new JobStatus());
                        }
                        j.getStatus().setActive(0);
                        j.getStatus().setFailed(failedPods);
                        return j;
                    });
            loop.schedule(
                    () -> {
                        try {
                            Job again = client.batch()
                                    .v1()
                                    .jobs()
                                    .inNamespace(job.getMetadata().getNamespace())
                                    .withName(job.getMetadata().getName())
                                    .get();
                            if (again != null
                                    && job.getMetadata()
                                            .getUid()
                                            .equals(again.getMetadata().getUid())) {
                                startPod(again, attempt + 1);
                            }
                        } catch (RuntimeException e) {
                            // the mock server may be shutting down between tests
                        }
                    },
                    RETRY_DELAY_MILLIS,
                    TimeUnit.MILLISECONDS);
            return;
        }
        eventSubjects.remove(job.getMetadata().getUid()); // the Job ended: its events are no longer looked at
        warningEvents.remove(job.getMetadata().getUid());
        List<JobCondition> conditions = new ArrayList<>();
        conditions.add(new JobConditionBuilder()
                .withType(ok ? "Complete" : "Failed")
                .withStatus("True")
                .withReason(reason)
                .withMessage(conditionMessage)
                .withLastTransitionTime(finishedAt)
                .build());
        String jobReason = reason;
        client.batch()
                .v1()
                .jobs()
                .inNamespace(job.getMetadata().getNamespace())
                .withName(job.getMetadata().getName())
                .editStatus(j -> {
                    if (j.getStatus() == null) {
                        j.setStatus(new JobStatus());
                    }
                    j.getStatus().setActive(0);
                    j.getStatus().setSucceeded(ok ? 1 : 0);
                    j.getStatus().setFailed(failedPods);
                    j.getStatus().setConditions(conditions);
                    j.getStatus().setCompletionTime(ok ? finishedAt : null);
                    return j;
                });
        if (jobReason != null) {
            counted.remove(key);
        }
    }

    private static String tail(String log) {
        String[] lines = log.split("\n");
        StringBuilder sb = new StringBuilder();
        for (int i = Math.max(0, lines.length - 80); i < lines.length; i++) {
            sb.append(lines[i]).append('\n');
        }
        return sb.toString();
    }

    /** The first {@code n} bytes of {@code s} in UTF-8 (a cut character is dropped), as {@code limitBytes} does. */
    private static String firstBytes(String s, int n) {
        byte[] b = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        return b.length <= n ? s : new String(java.util.Arrays.copyOf(b, n), java.nio.charset.StandardCharsets.UTF_8);
    }

    private static String lastLines(String log, int n) {
        String[] lines = log.split("\n");
        return String.join("\n", java.util.Arrays.copyOfRange(lines, Math.max(0, lines.length - n), lines.length));
    }

    private static String now() {
        return Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
    }

    @Override
    public void close() {
        loop.shutdownNow();
        kubelet.shutdownNow();
    }
}
