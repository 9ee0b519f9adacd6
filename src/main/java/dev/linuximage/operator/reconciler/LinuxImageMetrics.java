package dev.linuximage.operator.reconciler;

import dev.linuximage.core.compliance.Requirements;
import dev.linuximage.core.report.FindingStatus;
import dev.linuximage.core.report.JobResult;
import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Domain metrics (Micrometer, exported at {@code /q/metrics} in Prometheus format). Every label has a bounded value
 * set: {@code namespace} (bounded by the namespaces the operator watches; the one label that lets a team alert on
 * its own images), {@code outcome} (2), {@code reason} ({@link Reason}, an enum), {@code stage} (3), {@code step} (4),
 * {@code requirement} (the catalogue's IDs; anything else a pod writes counts as {@code other}: the termination
 * message is pod-written, hostile input) and {@code status} ({@link FindingStatus}). No LinuxImage, Job or blob name
 * is a label.
 *
 * <p>A run is counted once: when the operator first writes the finished status of that Job (a restarted operator
 * counts a run whose end it had not written; one whose end it had written is not counted again).
 */
public class LinuxImageMetrics {

    static final String JOBS_FINISHED = "linuximage.jobs.finished";
    static final String OUTPUT_BYTES = "linuximage.output.bytes";
    static final String UPLOAD_BYTES = "linuximage.upload.bytes";
    static final String STAGE_DURATION = "linuximage.job.stage.duration";
    static final String CORE_STEP_DURATION = "linuximage.core.step.duration";
    static final String FINDINGS = "linuximage.findings";
    static final String REQUIREMENTS_CHECKED = "linuximage.requirements.checked";
    static final String JOBS_ACTIVE = "linuximage.jobs.active";
    static final String JOBS_ACTIVE_OLDEST = "linuximage.jobs.active.oldest.seconds";

    private final MeterRegistry registry;
    private final Clock clock;
    private final Set<String> requirements = Set.copyOf(Requirements.ids());

    public LinuxImageMetrics(MeterRegistry registry, Clock clock) {
        this.registry = registry;
        this.clock = clock;
    }

    /**
     * Gauges over the operator's own Jobs, read from the informer's cache at scrape time (derived from the cluster,
     * never from memory): how many run, and the age of the oldest running one (0 when none) — a stuck Job shows as an
     * age that keeps growing.
     */
    public void watchJobs(Supplier<List<Job>> jobs) {
        Gauge.builder(
                        JOBS_ACTIVE,
                        () -> jobs.get().stream()
                                .filter(LinuxImageMetrics::active)
                                .count())
                .description("Jobs of LinuxImages that have not finished")
                .register(registry);
        Gauge.builder(
                        JOBS_ACTIVE_OLDEST,
                        () -> jobs.get().stream()
                                .filter(LinuxImageMetrics::active)
                                .map(j -> instant(j.getMetadata().getCreationTimestamp()))
                                .filter(t -> t != null)
                                .mapToDouble(t -> Math.max(
                                        0, Duration.between(t, clock.instant()).toMillis() / 1000.0))
                                .max()
                                .orElse(0))
                .description("Age of the oldest unfinished Job, seconds")
                .baseUnit("seconds")
                .register(registry);
    }

    /**
     * One finished run.
     *
     * @param namespace the LinuxImage's namespace
     * @param succeeded whether the status says Succeeded
     * @param reason    the Ready condition's reason
     * @param result    the pod's result; null when there was none
     * @param job       the finished Job
     * @param container the main container's terminated state; null when unknown
     * @param podCreated creation time of the pod that ran last; null when unknown
     */
    public void finished(
            String namespace,
            boolean succeeded,
            Reason reason,
            JobResult result,
            Job job,
            ContainerStateTerminated container,
            String podCreated) {
        String outcome = succeeded ? "Succeeded" : "Failed";
        Counter.builder(JOBS_FINISHED)
                .description("Finished LinuxImage Jobs by outcome and reason")
                .tags("namespace", namespace, "outcome", outcome, "reason", reason.name())
                .register(registry)
                .increment();
        if (result != null) {
            if (result.output() != null && result.output().virtualSize() != null) {
                Counter.builder(OUTPUT_BYTES)
                        .description("Virtual size of the VHDs written")
                        .baseUnit("bytes")
                        .tags("namespace", namespace)
                        .register(registry)
                        .increment(Math.max(0, result.output().virtualSize()));
            }
            if (result.upload() != null && result.upload().bytesSent() != null) {
                Counter.builder(UPLOAD_BYTES)
                        .description("Bytes sent to Azure (all-zero pages are skipped)")
                        .baseUnit("bytes")
                        .tags("namespace", namespace)
                        .register(registry)
                        .increment(Math.max(0, result.upload().bytesSent()));
            }
            if (result.durations() != null) {
                // the core's own clock, as the pod reported it (bounded when parsed: JobResultCodec)
                step("convert", result.durations().convert());
                step("patch", result.durations().patch());
                step("check", result.durations().check());
                step("upload", result.durations().upload());
            }
            if (result.compliance() != null) {
                for (Map.Entry<FindingStatus, Integer> e :
                        result.compliance().summary().entrySet()) {
                    Counter.builder(REQUIREMENTS_CHECKED)
                            .description("Requirement findings by status, per run")
                            .tags("status", e.getKey().name())
                            .register(registry)
                            .increment(Math.max(0, e.getValue()));
                }
                for (JobResult.CompactFinding f : result.compliance().findings()) {
                    String id = requirements.contains(f.id()) ? f.id() : "other";
                    Counter.builder(FINDINGS)
                            .description("Non-Pass findings by requirement ID and status, per run")
                            .tags("requirement", id, "status", f.status().name())
                            .register(registry)
                            .increment();
                }
            }
        }
        Instant jobCreated = instant(job.getMetadata().getCreationTimestamp());
        Instant started = container == null ? null : instant(container.getStartedAt());
        Instant ended = container == null ? null : instant(container.getFinishedAt());
        Instant pod = instant(podCreated);
        stage("pending", outcome, pod, started);
        stage("run", outcome, started, ended);
        stage("total", outcome, jobCreated, ended != null ? ended : clock.instant());
    }

    private void step(String step, Double seconds) {
        if (seconds == null) {
            return;
        }
        Timer.builder(CORE_STEP_DURATION)
                .description("The core's own steps in a Job, as its result reports them: convert (writing the VHD),"
                        + " patch (the repairs), check (evaluating the requirements), upload")
                .tags("step", step)
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(100))
                .maximumExpectedValue(Duration.ofHours(12))
                .register(registry)
                .record(Duration.ofNanos(Math.round(seconds * 1e9)));
    }

    private void stage(String stage, String outcome, Instant from, Instant to) {
        if (from == null || to == null || to.isBefore(from)) {
            return;
        }
        Timer.builder(STAGE_DURATION)
                .description("Job stages: pending (pod created to container started: scheduling, image pull, "
                        + "volumes), run (the core), total (Job created to container finished)")
                .tags("stage", stage, "outcome", outcome)
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofSeconds(1))
                .maximumExpectedValue(Duration.ofHours(12))
                .register(registry)
                .record(Duration.between(from, to));
    }

    static boolean active(Job j) {
        if (j.getStatus() == null || j.getStatus().getConditions() == null) {
            return true;
        }
        return j.getStatus().getConditions().stream()
                .noneMatch(c -> "True".equals(c.getStatus())
                        && ("Complete".equals(c.getType()) || "Failed".equals(c.getType())));
    }

    private static Instant instant(String rfc3339) {
        if (rfc3339 == null || rfc3339.isBlank()) {
            return null;
        }
        try {
            return Instant.parse(rfc3339);
        } catch (DateTimeParseException e) {
            return null;
        }
    }
}
