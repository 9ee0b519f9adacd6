package dev.linuximage.operator.reconciler;

import dev.linuximage.core.report.ReportLine;
import dev.linuximage.operator.OperatorConfig;
import dev.linuximage.operator.api.v1alpha1.Condition;
import dev.linuximage.operator.api.v1alpha1.ConditionType;
import dev.linuximage.operator.api.v1alpha1.LinuxImage;
import dev.linuximage.operator.api.v1alpha1.LinuxImageStatus;
import dev.linuximage.operator.api.v1alpha1.Phase;
import dev.linuximage.operator.api.v1alpha1.ReportRef;
import dev.linuximage.operator.job.JobDefaults;
import dev.linuximage.operator.job.JobFactory;
import dev.linuximage.operator.job.JobLabels;
import dev.linuximage.operator.job.JobNames;
import dev.linuximage.operator.job.Locations;
import dev.linuximage.operator.job.OwnImage;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.DeletionPropagation;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.RetryInfo;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import jakarta.inject.Inject;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * One Job per spec generation. Everything is derived from the cluster (the Job, its pods, the status), never from
 * memory, so a restarted operator picks up where the last one stopped. Errors a retry cannot fix end in Ready=False
 * with a {@link Reason} and a Warning event, without an exception (so without JOSDK's retries); API errors are
 * thrown and retried with back-off.
 */
@ControllerConfiguration(
        name = "linuximage",
        generationAwareEventProcessing = false,
        informer = @Informer(onUpdateFilter = SpecOrRerunFilter.class))
public class LinuxImageReconciler implements Reconciler<LinuxImage> {

    private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(LinuxImageReconciler.class);

    private final KubernetesClient client;
    private final JobDefaults defaults;
    private final OperatorConfig config;
    private final JobInspector inspector;
    private final EventRecorder events;
    private final SecurityPolicy policy;
    private final Clock clock;
    private final LinuxImageMetrics metrics;

    /** The annotation whose every new value runs the current generation again (a rebuilt disk at the same path). */
    public static final String RERUN_ANNOTATION = "linuximage.dev/rerun";

    public LinuxImageReconciler(KubernetesClient client, OperatorConfig config) {
        this(client, config, new SimpleMeterRegistry());
    }

    @Inject
    public LinuxImageReconciler(KubernetesClient client, OperatorConfig config, MeterRegistry registry) {
        this(client, config, Clock.systemUTC(), jobImage(config.job().image(), client, System.getenv()), registry);
    }

    LinuxImageReconciler(KubernetesClient client, OperatorConfig config, Clock clock) {
        this(client, config, clock, jobImage(config.job().image(), client, System.getenv()));
    }

    LinuxImageReconciler(KubernetesClient client, OperatorConfig config, Clock clock, OwnImage jobImage) {
        this(client, config, clock, jobImage, new SimpleMeterRegistry());
    }

    LinuxImageReconciler(
            KubernetesClient client, OperatorConfig config, Clock clock, OwnImage jobImage, MeterRegistry registry) {
        this.metrics = new LinuxImageMetrics(registry, clock);
        this.client = client;
        this.config = config;
        this.defaults = OperatorSettings.jobDefaults(config, jobImage.reference());
        this.inspector = new JobInspector(client);
        this.events = new EventRecorder(client, clock);
        this.policy = SecurityPolicy.of(config, jobImage);
        this.clock = clock;
        LOG.infof(
                "Jobs run image %s%s",
                jobImage.reference(),
                config.job().image().isPresent() ? " (linuximage.job.image)" : " (the operator's own)");
    }

    /**
     * The Jobs' default image: {@code linuximage.job.image} when set, else the operator's own from its Pod (read once
     * at start-up: a Pod's image does not change; a new image means new Pods).
     */
    static OwnImage jobImage(Optional<String> configured, KubernetesClient client, java.util.Map<String, String> env) {
        return configured.map(i -> new OwnImage(i, i)).orElseGet(() -> OwnImage.of(client, env));
    }

    @Override
    public List<EventSource<?, LinuxImage>> prepareEventSources(EventSourceContext<LinuxImage> context) {
        // Jobs map back to their LinuxImage through the controller owner reference.
        InformerEventSource<Job, LinuxImage> jobs = new InformerEventSource<>(
                InformerEventSourceConfiguration.from(Job.class, LinuxImage.class)
                        .withLabelSelector(JobLabels.MANAGED_SELECTOR)
                        .build(),
                context);
        metrics.watchJobs(() -> jobs.list().toList());
        return List.of(jobs);
    }

    /**
     * The rerun value the current run belongs to: the annotation's, or — when it was removed — the one the status
     * already observed for this generation (removing the annotation must not start yet another run).
     */
    static String rerunValue(LinuxImage image, LinuxImageStatus previous, long generation) {
        Map<String, String> a = image.getMetadata().getAnnotations();
        String v = a == null ? null : a.get(RERUN_ANNOTATION);
        if (v != null && !v.isEmpty()) {
            return v;
        }
        boolean same = previous != null
                && previous.getObservedGeneration() != null
                && previous.getObservedGeneration() == generation;
        return same ? previous.getObservedRerun() : null;
    }

    @Override
    public UpdateControl<LinuxImage> reconcile(LinuxImage image, Context<LinuxImage> context) {
        long generation = image.getMetadata().getGeneration();
        LinuxImageStatus previous = image.getStatus();
        String rerun = rerunValue(image, previous, generation);
        String jobName = JobNames.forRun(image.getMetadata().getName(), generation, rerun);
        List<Job> jobs = List.copyOf(context.getSecondaryResources(Job.class));
        jobs.stream().filter(j -> !j.getMetadata().getName().equals(jobName)).forEach(this::retire);
        Job job = jobs.stream()
                .filter(j -> j.getMetadata().getName().equals(jobName))
                .findFirst()
                .orElse(null);

        if (job == null) {
            if (StatusAggregator.finished(previous, generation, jobName)) {
                return UpdateControl.noUpdate(); // finished earlier, Job since TTL-deleted: never rerun
            }
            Optional<Refusal> refusal = refusal(image, context);
            if (refusal.isPresent()) {
                Refusal r = refusal.get();
                UpdateControl<LinuxImage> u = update(
                        image,
                        StatusAggregator.refused(
                                image.getSpec(), generation, previous, r.reason(), r.message(), clock.instant()));
                return r.reason().isRechecked() ? u.rescheduleAfter(config.recheckInterval()) : u;
            }
            Locations plain = Locations.of(image.getSpec());
            Job wanted = JobFactory.build(
                    image,
                    defaults,
                    isBlock(claim(image, plain.sourceClaim())),
                    plain.separateClaim() && isBlock(claim(image, plain.outputClaim())));
            wanted.getMetadata().setName(jobName); // a rerun's Job: same pod, its own name
            Optional<Job> created = create(image, wanted);
            if (created.isEmpty()) {
                return update(
                                image,
                                StatusAggregator.refused(
                                        image.getSpec(),
                                        generation,
                                        previous,
                                        Reason.JobNameConflict,
                                        "Job " + jobName + " exists and is not owned by this LinuxImage",
                                        clock.instant()))
                        .rescheduleAfter(config.recheckInterval());
            }
            job = created.get();
        }

        JobObservation observed = inspector.observe(job);
        LinuxImageStatus next =
                StatusAggregator.aggregate(image.getSpec(), generation, previous, observed, clock.instant());
        next.setObservedRerun(rerun);
        if (observed.result() != null) {
            next.setReportRef(publish(image, jobName, observed, job));
        }
        boolean newlyFinished = observed.state().isTerminal()
                && next.getPhase() != null
                && next.getPhase().isTerminal()
                && !StatusAggregator.finished(previous, generation, jobName);
        UpdateControl<LinuxImage> u = update(image, next);
        if (newlyFinished) {
            // after the write: a conflict (thrown) is retried and counted then, once
            JobInspector.LastRun last = inspector.lastRun(job);
            Reason reason = Reason.valueOf(
                    next.condition(ConditionType.Ready).orElseThrow().getReason());
            metrics.finished(
                    image.getMetadata().getNamespace(),
                    next.getPhase() == Phase.Succeeded,
                    reason,
                    observed.result(),
                    job,
                    last.container(),
                    last.podCreated());
        }
        return observed.state().isTerminal() ? u : u.rescheduleAfter(config.progressInterval());
    }

    /**
     * Creates the run's result ConfigMap ({@link ResultConfigMap}) once; null when a ConfigMap of that name belongs to
     * someone else (never touched; logged, and the status then has no reportRef).
     */
    private ReportRef publish(LinuxImage image, String jobName, JobObservation observed, Job job) {
        boolean outputBlock = JobFactory.outputBlock(job);
        ReportRef ref = ResultConfigMap.ref(image, jobName, outputBlock);
        LinuxImageStatus previous = image.getStatus();
        if (previous != null && ref.equals(previous.getReportRef())) {
            return ref; // published by an earlier reconcile of this run
        }
        ReportLine.Scan report = inspector.fullReport(job);
        ConfigMap wanted = ResultConfigMap.build(image, jobName, observed.result(), report, outputBlock);
        String ns = image.getMetadata().getNamespace();
        try {
            client.configMaps().resource(wanted).create();
            return ref;
        } catch (KubernetesClientException e) {
            if (e.getCode() != 409) {
                throw e; // transient: JOSDK retries
            }
        }
        ConfigMap existing = client.configMaps()
                .inNamespace(ns)
                .withName(wanted.getMetadata().getName())
                .get();
        if (existing != null && ResultConfigMap.ownedBy(existing, image)) {
            return ref; // created by an attempt whose status write failed
        }
        LOG.warnf(
                "ConfigMap %s/%s exists and is not owned by LinuxImage %s: the result is not published there",
                ns, wanted.getMetadata().getName(), image.getMetadata().getName());
        return null;
    }

    /**
     * JOSDK calls this after every failed attempt. Only the last one is written: earlier ones are retried with back-off
     * and usually pass (a conflict, an API server restart). After the last, the error is in Ready (reason
     * {@link Reason#ReconcileError}, one Warning event) instead of only in the operator's log, and the reconcile is
     * tried again after the recheck interval, as nothing else may trigger it.
     */
    @Override
    public ErrorStatusUpdateControl<LinuxImage> updateErrorStatus(
            LinuxImage image, Context<LinuxImage> context, Exception e) {
        Optional<RetryInfo> retry = context.getRetryInfo();
        if (retry.isEmpty() || !retry.get().isLastAttempt()) {
            return ErrorStatusUpdateControl.noStatusUpdate();
        }
        String message = "reconcile failed after " + retry.get().getAttemptCount() + " attempt(s), tried again every "
                + config.recheckInterval().toSeconds() + " s: "
                + (e.getMessage() == null ? e.toString() : e.getMessage());
        try {
            update(
                    image,
                    StatusAggregator.errored(
                            image.getSpec(),
                            image.getMetadata().getGeneration(),
                            image.getStatus(),
                            message,
                            clock.instant()));
        } catch (KubernetesClientException writeFailed) {
            // the API server that made the reconcile fail may refuse this too: the next attempt writes it
            LOG.warnf(
                    "could not write the error status of %s/%s: %s",
                    image.getMetadata().getNamespace(), image.getMetadata().getName(), writeFailed.getMessage());
        }
        return ErrorStatusUpdateControl.<LinuxImage>noStatusUpdate().rescheduleAfter(config.recheckInterval());
    }

    // Refusals that depend on objects the operator does not watch (Reason#isRechecked: a ServiceAccount's annotation,
    // another LinuxImage going away, a claim applied later) are looked at again after the recheck interval. The event
    // is recorded only when the reason changes, so a recheck is no retry storm.

    /** Bad spec, security policy, missing claim: known before any Job exists. */
    private Optional<Refusal> refusal(LinuxImage image, Context<LinuxImage> context) {
        List<String> violations = SpecValidator.validate(image.getSpec());
        if (!violations.isEmpty()) {
            return Optional.of(new Refusal(Reason.InvalidSpec, String.join("; ", violations)));
        }
        Optional<Refusal> denied = policy.check(image.getSpec());
        if (denied.isPresent()) {
            return denied;
        }
        String ns = image.getMetadata().getNamespace();
        Optional<String> sa = SecurityPolicy.workloadServiceAccount(image.getSpec());
        if (sa.isPresent()) {
            denied = policy.checkServiceAccount(
                    ns,
                    sa.get(),
                    client.serviceAccounts().inNamespace(ns).withName(sa.get()).get());
            if (denied.isPresent()) {
                return denied;
            }
        }
        denied = SecurityPolicy.checkBlobConflict(
                image, context.getPrimaryCache().list());
        if (denied.isPresent()) {
            return denied;
        }
        Locations loc = Locations.of(image.getSpec());
        Optional<Refusal> missing = Stream.of(loc.sourceClaim(), loc.outputClaim())
                .filter(Objects::nonNull)
                .distinct()
                .filter(claim -> claim(image, claim) == null)
                .findFirst()
                .map(claim -> new Refusal(
                        Reason.MissingClaim,
                        "PersistentVolumeClaim '" + claim + "' not found in namespace "
                                + image.getMetadata().getNamespace()));
        if (missing.isPresent()) {
            return missing;
        }
        // volumeMode is immutable on a claim: a refusal here is fixed by a spec change, like any InvalidSpec
        List<String> modes = SpecValidator.volumeModes(
                image.getSpec(),
                isBlock(claim(image, loc.sourceClaim())),
                loc.separateClaim() && isBlock(claim(image, loc.outputClaim())));
        return modes.isEmpty()
                ? Optional.empty()
                : Optional.of(new Refusal(Reason.InvalidSpec, String.join("; ", modes)));
    }

    private PersistentVolumeClaim claim(LinuxImage image, String name) {
        return client.persistentVolumeClaims()
                .inNamespace(image.getMetadata().getNamespace())
                .withName(name)
                .get();
    }

    /** {@code volumeMode: Block}; unset means Filesystem (the API server's default). */
    static boolean isBlock(PersistentVolumeClaim claim) {
        return claim != null
                && claim.getSpec() != null
                && "Block".equals(claim.getSpec().getVolumeMode());
    }

    /**
     * Create-only: a Job is never updated (its pod template is immutable). The name makes creation idempotent: a 409
     * is our own earlier create the informer has not shown yet, unless the Job belongs to someone else (empty).
     */
    private Optional<Job> create(LinuxImage image, Job job) {
        try {
            Job created = client.batch().v1().jobs().resource(job).create();
            events.record(
                    image,
                    Reason.JobCreated,
                    "created Job " + job.getMetadata().getName() + " for generation "
                            + image.getMetadata().getGeneration());
            return Optional.of(created);
        } catch (KubernetesClientException e) {
            if (e.getCode() != 409) {
                throw e; // transient: JOSDK retries with back-off
            }
            Job existing = client.batch()
                    .v1()
                    .jobs()
                    .inNamespace(job.getMetadata().getNamespace())
                    .withName(job.getMetadata().getName())
                    .get();
            if (existing == null) {
                throw e; // deleted in between: retry
            }
            boolean ours = existing.getMetadata().getOwnerReferences().stream()
                    .anyMatch(r -> Boolean.TRUE.equals(r.getController())
                            && image.getMetadata().getUid().equals(r.getUid()));
            return ours ? Optional.of(existing) : Optional.empty();
        }
    }

    /** A Job of an older generation: its pod goes with it (background propagation). */
    private void retire(Job old) {
        client.batch()
                .v1()
                .jobs()
                .inNamespace(old.getMetadata().getNamespace())
                .withName(old.getMetadata().getName())
                .withPropagationPolicy(DeletionPropagation.BACKGROUND)
                .delete();
    }

    /**
     * Writes the status only when it changed, and announces a new Ready reason with an event. The write is a PUT of
     * the status subresource with the resourceVersion the status was computed from (optimistic locking): JOSDK's
     * patchStatus without SSA sends a JSON Patch diffed against the cached object with the resourceVersion removed,
     * whose index-based operations on {@code conditions} mix two statuses when the cache is behind (seen as
     * Converted=False/Succeeded once the Running condition came and went). A 409 is thrown: JOSDK retries on a
     * fresher cache, and the event is recorded only after the write, so a retry does not repeat it.
     */
    private UpdateControl<LinuxImage> update(LinuxImage image, LinuxImageStatus next) {
        LinuxImageStatus previous = image.getStatus();
        if (next.equals(previous)) {
            return UpdateControl.noUpdate();
        }
        Optional<Condition> before = previous == null ? Optional.empty() : previous.condition(ConditionType.Ready);
        Condition ready = next.condition(ConditionType.Ready).orElseThrow();
        Reason reason = Reason.valueOf(ready.getReason());
        boolean changed = before.map(b -> !b.getReason().equals(ready.getReason())
                        || !Objects.equals(b.getObservedGeneration(), ready.getObservedGeneration()))
                .orElse(true);
        image.setStatus(next);
        client.resource(image).updateStatus();
        if (changed && (reason.isWarning() || reason == Reason.Succeeded)) {
            events.record(image, reason, ready.getMessage());
        }
        return UpdateControl.noUpdate();
    }
}
