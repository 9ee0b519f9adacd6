package dev.linuximage.operator.reconciler;

import static dev.linuximage.operator.api.v1alpha1.Condition.FALSE;
import static dev.linuximage.operator.api.v1alpha1.Condition.TRUE;
import static dev.linuximage.operator.api.v1alpha1.Condition.UNKNOWN;

import dev.linuximage.core.report.FindingStatus;
import dev.linuximage.core.report.JobResult;
import dev.linuximage.core.report.ProgressEvent;
import dev.linuximage.operator.api.v1alpha1.ComplianceStatus;
import dev.linuximage.operator.api.v1alpha1.Condition;
import dev.linuximage.operator.api.v1alpha1.ConditionType;
import dev.linuximage.operator.api.v1alpha1.FindingEntry;
import dev.linuximage.operator.api.v1alpha1.LinuxImageSpec;
import dev.linuximage.operator.api.v1alpha1.LinuxImageStatus;
import dev.linuximage.operator.api.v1alpha1.Mode;
import dev.linuximage.operator.api.v1alpha1.OsStatus;
import dev.linuximage.operator.api.v1alpha1.OutputSpec;
import dev.linuximage.operator.api.v1alpha1.OutputStatus;
import dev.linuximage.operator.api.v1alpha1.Phase;
import dev.linuximage.operator.api.v1alpha1.ProgressStatus;
import dev.linuximage.operator.api.v1alpha1.UploadStatus;
import dev.linuximage.operator.job.Locations;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Pure: (spec, generation, previous status, what was observed, now) to the next status. Results of an older
 * generation are dropped: the status always describes {@code observedGeneration}.
 */
public final class StatusAggregator {

    private StatusAggregator() {}

    /** The spec or the cluster refuses the work before any Job exists. */
    public static LinuxImageStatus refused(
            LinuxImageSpec spec,
            long generation,
            LinuxImageStatus previous,
            Reason reason,
            String message,
            Instant now) {
        LinuxImageStatus s = fresh(generation);
        s.setPhase(Phase.Failed);
        Conditions c = new Conditions(conditionsOf(previous), generation, now);
        if (reason.isRechecked()) {
            // the cluster may change (a claim applied later, an opt-in annotation): the operator looks again
            c.reconciling(reason, "rechecked periodically: " + message);
        } else {
            c.stalled(reason, message); // only a new spec (or operator configuration) changes the answer
        }
        c.set(ConditionType.Ready, FALSE, reason, message);
        stages(spec, c, UNKNOWN, Reason.NotReached, "the Job was not created: " + reason);
        s.setConditions(c.build());
        return s;
    }

    /**
     * The operator could not reconcile (an API error) and its retries are exhausted. Ready=False with
     * {@link Reason#ReconcileError}; everything else the previous status said about this generation stays. A status
     * of an older generation is not carried over: it would claim that generation's result (and jobName) for this one.
     */
    public static LinuxImageStatus errored(
            LinuxImageSpec spec, long generation, LinuxImageStatus previous, String message, Instant now) {
        boolean same = previous != null
                && previous.getObservedGeneration() != null
                && previous.getObservedGeneration() == generation;
        LinuxImageStatus s = fresh(generation);
        Conditions c = new Conditions(conditionsOf(previous), generation, now);
        if (same) {
            s.setPhase(previous.getPhase() == null ? Phase.Pending : previous.getPhase());
            s.setProgress(previous.getProgress());
            s.setCompliance(previous.getCompliance());
            s.setGenerations(previous.getGenerations());
            s.setOutput(previous.getOutput());
            s.setUpload(previous.getUpload());
            s.setJobName(previous.getJobName());
            s.setOs(previous.getOs());
            s.setReportRef(previous.getReportRef());
            s.setObservedRerun(previous.getObservedRerun());
            for (Condition old : previous.getConditions()) {
                c.keep(old);
            }
        } else {
            s.setPhase(Phase.Pending);
            stages(spec, c, UNKNOWN, Reason.NotReached, "the operator could not reconcile");
        }
        // JOSDK gave up, the operator tries again after the recheck interval: still working, not stalled
        c.reconciling(Reason.ReconcileError, message);
        c.set(ConditionType.Ready, FALSE, Reason.ReconcileError, message);
        s.setConditions(c.build());
        return s;
    }

    /** The next status from the current generation's Job. */
    public static LinuxImageStatus aggregate(
            LinuxImageSpec spec, long generation, LinuxImageStatus previous, JobObservation job, Instant now) {
        LinuxImageStatus s = fresh(generation);
        s.setJobName(job.jobName());
        Conditions c = new Conditions(conditionsOf(previous), generation, now);
        switch (job.state()) {
            case Pending, Running -> {
                PodInterpreter.PodState pod = job.pod();
                // without a look at the pods, job.status.active (which counts pending pods) is all there is
                boolean running = pod != null ? pod.running() : job.state() == JobObservation.State.Running;
                Reason r = running ? Reason.Running : Reason.Pending;
                s.setPhase(running ? Phase.Running : Phase.Pending);
                ProgressEvent p = job.progress();
                s.setProgress(
                        p == null
                                ? new ProgressStatus(0, running ? "starting" : "pending")
                                : new ProgressStatus(p.percent(), p.stage()));
                if (pod != null && pod.reason().isWarning()) {
                    // the pod cannot start (or a pod failed and the Job retries): say why in Ready and Running.
                    // Kubernetes keeps trying until the Job's deadline, so this is Reconciling, not Stalled.
                    String m = "Job " + job.jobName() + ": " + pod.message();
                    c.reconciling(pod.reason(), m);
                    c.set(ConditionType.Ready, FALSE, pod.reason(), m);
                } else {
                    String m = "Job " + job.jobName() + " is " + r.name().toLowerCase();
                    c.reconciling(
                            r, p == null ? m : "Job " + job.jobName() + ": " + p.stage() + " " + p.percent() + " %");
                    c.set(ConditionType.Ready, FALSE, r, m);
                }
                if (pod != null) {
                    c.set(ConditionType.Running, running ? TRUE : FALSE, pod.reason(), pod.message());
                }
                stages(spec, c, UNKNOWN, r, "in progress");
            }
            case Succeeded, Failed -> finished(spec, job, s, c);
        }
        s.setConditions(c.build());
        return s;
    }

    private static void finished(LinuxImageSpec spec, JobObservation job, LinuxImageStatus s, Conditions c) {
        JobResult r = job.result();
        if (r == null) {
            Reason reason = job.state() == JobObservation.State.Succeeded
                    ? Reason.ResultUnreadable
                    : "DeadlineExceeded".equals(job.jobReason()) ? Reason.DeadlineExceeded : Reason.JobFailed;
            String message = job.state() == JobObservation.State.Succeeded
                    ? "Job " + job.jobName() + " completed without a readable result: " + job.resultProblem()
                    : "Job " + job.jobName() + " failed" + (job.jobMessage() == null ? "" : ": " + job.jobMessage())
                            + (job.resultProblem() == null ? "" : "; " + job.resultProblem());
            s.setPhase(Phase.Failed);
            c.stalled(reason, message); // the Job's own retries (backoffLimit) are spent; a generation runs once
            c.set(ConditionType.Ready, FALSE, reason, message);
            stages(spec, c, UNKNOWN, Reason.NotReached, "no result from the Job");
            return;
        }
        Reason failure = Reason.fromResult(r.reason());
        boolean succeeded = r.outcome() == JobResult.Outcome.Succeeded;
        boolean tolerated = !succeeded && failure == Reason.NotCompliant && Boolean.FALSE.equals(spec.getStrict());
        s.setPhase(succeeded || tolerated ? Phase.Succeeded : Phase.Failed);
        String message = r.message() != null ? r.message() : succeeded ? "done" : r.reason();
        if (succeeded || tolerated) {
            c.settled();
            c.set(
                    ConditionType.Ready,
                    TRUE,
                    Reason.Succeeded,
                    tolerated
                            ? message + " (spec.strict is false: failed requirements are in the Compliant condition)"
                            : message);
        } else {
            c.stalled(failure, message); // the core's failure is final for this generation
            c.set(ConditionType.Ready, FALSE, failure, message);
        }
        JobResult.Stages st = r.stages() == null ? JobResult.Stages.NONE : r.stages();
        boolean audit = spec.getMode() == Mode.Audit;
        stage(c, ConditionType.Converted, audit, st.converted(), failure, succeeded);
        stage(c, ConditionType.Patched, audit, st.patched(), failure, succeeded);
        stage(c, ConditionType.Uploaded, audit || spec.getUpload() == null, st.uploaded(), failure, succeeded);
        if (Boolean.TRUE.equals(st.compliant())) {
            c.set(ConditionType.Compliant, TRUE, Reason.Compliant, "no failed requirement");
        } else if (Boolean.FALSE.equals(st.compliant())) {
            c.set(ConditionType.Compliant, FALSE, Reason.NotCompliant, failedSummary(r));
        } else {
            c.set(ConditionType.Compliant, UNKNOWN, Reason.NotReached, "the compliance check did not run");
        }
        s.setCompliance(compliance(r.compliance(), r.truncated()));
        s.setGenerations(r.generations());
        if (r.os() != null) {
            s.setOs(new OsStatus(r.os().id(), r.os().versionId(), r.os().family()));
        }
        if (r.output() != null) {
            // the pod names the device it wrote when the output claim is a Block volume: the status then names the
            // claim alone (the VHD is its device's first output.virtualSize + 512 bytes)
            boolean device = Locations.OUTPUT_DEVICE.equals(r.output().path());
            String path = audit || streams(spec)
                    ? null
                    : Locations.of(spec, false, device).outputForStatus();
            s.setOutput(new OutputStatus(
                    path,
                    r.output().virtualSize(),
                    r.output().sha256(),
                    r.output().digest()));
        }
        if (r.upload() != null) {
            s.setUpload(new UploadStatus(
                    r.upload().blobUrl(), r.upload().bytesSent(), r.upload().digest()));
        }
        s.setProgress(new ProgressStatus(succeeded || tolerated ? 100 : null, "done"));
    }

    /** One stage condition from the result's stage flag. */
    private static void stage(
            Conditions c, ConditionType type, boolean notRequested, Boolean done, Reason failure, boolean succeeded) {
        if (notRequested) {
            c.set(type, FALSE, Reason.NotRequested, "not requested by the spec");
        } else if (Boolean.TRUE.equals(done)) {
            c.set(type, TRUE, Reason.Succeeded, "done");
        } else if (Boolean.FALSE.equals(done)) {
            c.set(type, FALSE, failure, "failed: " + failure.name());
        } else {
            c.set(type, UNKNOWN, Reason.NotReached, succeeded ? "not reported by the Job" : "an earlier stage failed");
        }
    }

    /** All stage conditions the spec implies, with the same status (before or while the Job runs). */
    private static void stages(LinuxImageSpec spec, Conditions c, String status, Reason reason, String message) {
        boolean audit = spec.getMode() == Mode.Audit;
        for (ConditionType t : List.of(ConditionType.Converted, ConditionType.Patched, ConditionType.Uploaded)) {
            boolean notRequested = audit || (t == ConditionType.Uploaded && spec.getUpload() == null);
            if (notRequested) {
                c.set(t, FALSE, Reason.NotRequested, "not requested by the spec");
            } else {
                c.set(t, status, reason, message);
            }
        }
        c.set(ConditionType.Compliant, status, reason, message);
    }

    private static String failedSummary(JobResult r) {
        if (r.compliance() == null) {
            return "at least one requirement failed";
        }
        int failed = r.compliance().summary().getOrDefault(FindingStatus.Fail, 0);
        List<String> ids = r.compliance().findings().stream()
                .filter(f -> f.status() == FindingStatus.Fail)
                .map(JobResult.CompactFinding::id)
                .limit(8)
                .toList();
        return failed + " requirement(s) failed" + (ids.isEmpty() ? "" : ": " + String.join(", ", ids));
    }

    private static ComplianceStatus compliance(JobResult.Compliance rc, boolean truncated) {
        if (rc == null) {
            return null;
        }
        ComplianceStatus cs = new ComplianceStatus();
        Map<String, Integer> summary = new LinkedHashMap<>();
        rc.summary().forEach((k, v) -> summary.put(k.name(), v));
        cs.setSummary(summary);
        List<FindingEntry> findings = new ArrayList<>();
        for (JobResult.CompactFinding f : rc.findings()) {
            if (f.status() != FindingStatus.Pass) {
                findings.add(new FindingEntry(f.id(), f.status().name(), f.message(), f.evidence()));
            }
        }
        cs.setFindings(findings);
        cs.setTruncated(truncated || rc.omitted() > 0 ? Boolean.TRUE : null);
        return cs;
    }

    private static LinuxImageStatus fresh(long generation) {
        LinuxImageStatus s = new LinuxImageStatus();
        s.setObservedGeneration(generation);
        return s;
    }

    private static List<Condition> conditionsOf(LinuxImageStatus previous) {
        return previous == null ? List.of() : previous.getConditions();
    }

    /** Whether the previous status already holds the finished result of {@code generation}. */
    public static boolean finished(LinuxImageStatus status, long generation) {
        return status != null
                && status.getObservedGeneration() != null
                && status.getObservedGeneration() == generation
                && status.getPhase() != null
                && status.getPhase().isTerminal()
                && status.getJobName() != null;
    }

    /** Whether the previous status already holds the finished result of Job {@code jobName} of {@code generation}. */
    public static boolean finished(LinuxImageStatus status, long generation, String jobName) {
        return finished(status, generation) && jobName.equals(status.getJobName());
    }

    static boolean streams(LinuxImageSpec spec) {
        OutputSpec o = spec.getOutput();
        return o != null && Boolean.TRUE.equals(o.getStreamToUpload());
    }
}
