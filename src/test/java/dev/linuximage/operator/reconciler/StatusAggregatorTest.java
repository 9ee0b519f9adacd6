package dev.linuximage.operator.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import dev.linuximage.core.report.Evidence;
import dev.linuximage.core.report.Finding;
import dev.linuximage.core.report.FindingStatus;
import dev.linuximage.core.report.JobResult;
import dev.linuximage.core.report.ProgressEvent;
import dev.linuximage.core.report.ResultReasons;
import dev.linuximage.operator.api.v1alpha1.Condition;
import dev.linuximage.operator.api.v1alpha1.ConditionType;
import dev.linuximage.operator.api.v1alpha1.CredentialsSpec;
import dev.linuximage.operator.api.v1alpha1.LinuxImageSpec;
import dev.linuximage.operator.api.v1alpha1.LinuxImageStatus;
import dev.linuximage.operator.api.v1alpha1.Mode;
import dev.linuximage.operator.api.v1alpha1.Phase;
import dev.linuximage.operator.api.v1alpha1.SourceSpec;
import dev.linuximage.operator.api.v1alpha1.UploadSpec;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class StatusAggregatorTest {

    static final Instant T0 = Instant.parse("2026-11-22T01:00:00Z");
    static final Instant T1 = Instant.parse("2026-11-22T01:05:00Z");
    static final Instant T2 = Instant.parse("2026-11-22T01:09:00Z");

    static LinuxImageSpec spec(boolean upload) {
        LinuxImageSpec s = new LinuxImageSpec();
        s.setSource(new SourceSpec("disks", "builds/web.qcow2"));
        if (upload) {
            s.setUpload(new UploadSpec("https://a.blob.core.windows.net/v/web.vhd", CredentialsSpec.secret("st")));
        }
        return s;
    }

    static JobObservation done(JobResult r) {
        return new JobObservation("web-g1", JobObservation.State.Succeeded, null, null, r, null, null);
    }

    static JobResult success() {
        return JobResult.succeeded("prepared and uploaded")
                .withStages(new JobResult.Stages(true, true, true, true))
                .withCompliance(JobResult.Compliance.of(List.of(
                        new Finding("A", FindingStatus.Pass, "ok", List.of(), null),
                        new Finding("B", FindingStatus.Fixed, "fixed it", List.of(Evidence.of("/etc/x", "y")), "z"))))
                .withGenerations(List.of("Gen1", "Gen2"))
                .withOutput(new JobResult.Output("/disks/source/builds/web.vhd", 1L << 30, null, DIGEST))
                .withUpload(new JobResult.Upload("https://a.blob.core.windows.net/v/web.vhd", 123L, DIGEST));
    }

    static final String DIGEST = "sparse-sha256-v1:" + "ab".repeat(32);

    static String cond(LinuxImageStatus s, ConditionType t) {
        Condition c = s.condition(t).orElseThrow();
        return c.getStatus() + "/" + c.getReason();
    }

    static String severity(LinuxImageStatus s, ConditionType t) {
        return s.condition(t).orElseThrow().getSeverity();
    }

    @Test
    void runningThenSucceeded() {
        LinuxImageSpec spec = spec(true);
        LinuxImageStatus pending = StatusAggregator.aggregate(spec, 1, null, JobObservation.pending("web-g1"), T0);
        assertThat(pending.getPhase()).isEqualTo(Phase.Pending);
        assertThat(cond(pending, ConditionType.Ready)).isEqualTo("False/Pending");
        assertThat(severity(pending, ConditionType.Ready))
                .as("waiting is normal")
                .isEqualTo("Info");
        assertThat(cond(pending, ConditionType.Reconciling)).isEqualTo("True/Pending");
        assertThat(pending.condition(ConditionType.Stalled)).isEmpty();

        LinuxImageStatus running = StatusAggregator.aggregate(
                spec,
                1,
                pending,
                new JobObservation(
                        "web-g1",
                        JobObservation.State.Running,
                        null,
                        null,
                        null,
                        null,
                        new ProgressEvent("convert", 40, null)),
                T1);
        assertThat(running.getPhase()).isEqualTo(Phase.Running);
        assertThat(running.getProgress().getPercent()).isEqualTo(40);
        assertThat(running.getProgress().getStage()).isEqualTo("convert");
        assertThat(cond(running, ConditionType.Reconciling)).isEqualTo("True/Running");
        assertThat(running.condition(ConditionType.Reconciling).orElseThrow().getMessage())
                .as("the step")
                .isEqualTo("Job web-g1: convert 40 %");
        assertThat(running.condition(ConditionType.Reconciling).orElseThrow().getLastTransitionTime())
                .as("Reconciling stayed True")
                .isEqualTo("2026-11-22T01:00:00Z");
        // status did not flip (False -> False): the transition time stays
        assertThat(running.condition(ConditionType.Ready).orElseThrow().getLastTransitionTime())
                .isEqualTo("2026-11-22T01:00:00Z");

        LinuxImageStatus done = StatusAggregator.aggregate(spec, 1, running, done(success()), T2);
        assertThat(done.getPhase()).isEqualTo(Phase.Succeeded);
        assertThat(done.getObservedGeneration()).isEqualTo(1L);
        assertThat(done.getJobName()).isEqualTo("web-g1");
        assertThat(cond(done, ConditionType.Ready)).isEqualTo("True/Succeeded");
        assertThat(severity(done, ConditionType.Ready)).as("only on False").isNull();
        assertThat(done.condition(ConditionType.Reconciling))
                .as("abnormal-true: absent when done")
                .isEmpty();
        assertThat(done.condition(ConditionType.Stalled)).isEmpty();
        assertThat(done.condition(ConditionType.Ready).orElseThrow().getLastTransitionTime())
                .isEqualTo("2026-11-22T01:09:00Z");
        assertThat(cond(done, ConditionType.Converted)).isEqualTo("True/Succeeded");
        assertThat(cond(done, ConditionType.Uploaded)).isEqualTo("True/Succeeded");
        assertThat(cond(done, ConditionType.Compliant)).isEqualTo("True/Compliant");
        assertThat(done.getCompliance().getSummary()).containsEntry("Pass", 1).containsEntry("Fixed", 1);
        assertThat(done.getCompliance().getFindings())
                .singleElement()
                .satisfies(f -> assertThat(f.getEvidence()).isEqualTo("/etc/x=y"));
        assertThat(done.getOutput().getPath()).isEqualTo("disks:builds/web.vhd");
        assertThat(done.getOutput().getDigest()).isEqualTo(DIGEST);
        assertThat(done.getOutput().getSha256()).isNull();
        assertThat(done.getUpload().getDigest()).isEqualTo(DIGEST);
        assertThat(done.getUpload().getBlobUrl()).isEqualTo("https://a.blob.core.windows.net/v/web.vhd");
        assertThat(done.getGenerations()).containsExactly("Gen1", "Gen2");
        assertThat(done.getProgress().getPercent()).isEqualTo(100);
        assertThat(StatusAggregator.finished(done, 1)).isTrue();
        assertThat(StatusAggregator.finished(done, 2)).isFalse();
    }

    @Test
    void sameInputGivesEqualStatus() {
        LinuxImageSpec spec = spec(true);
        LinuxImageStatus a = StatusAggregator.aggregate(spec, 1, null, done(success()), T0);
        LinuxImageStatus b = StatusAggregator.aggregate(spec, 1, a, done(success()), T1);
        assertThat(b).isEqualTo(a); // so a re-reconcile patches nothing
    }

    @Test
    void notCompliantStrictAndLenient() {
        JobResult r = JobResult.failed(ResultReasons.NOT_COMPLIANT, "1 requirement failed")
                .withStages(new JobResult.Stages(true, true, false, null))
                .withCompliance(JobResult.Compliance.of(
                        List.of(new Finding("PROVISION-AGENT", FindingStatus.Fail, "no agent", List.of(), null))));
        LinuxImageSpec spec = spec(true);
        LinuxImageStatus strict = StatusAggregator.aggregate(spec, 1, null, done(r), T0);
        assertThat(strict.getPhase()).isEqualTo(Phase.Failed);
        assertThat(cond(strict, ConditionType.Ready)).isEqualTo("False/NotCompliant");
        assertThat(cond(strict, ConditionType.Stalled))
                .as("a generation runs once")
                .isEqualTo("True/NotCompliant");
        assertThat(severity(strict, ConditionType.Ready)).isEqualTo("Error");
        assertThat(severity(strict, ConditionType.Compliant)).isEqualTo("Error");
        assertThat(strict.condition(ConditionType.Reconciling)).isEmpty();
        assertThat(cond(strict, ConditionType.Compliant)).isEqualTo("False/NotCompliant");
        assertThat(strict.condition(ConditionType.Compliant).orElseThrow().getMessage())
                .isEqualTo("1 requirement(s) failed: PROVISION-AGENT");
        assertThat(cond(strict, ConditionType.Uploaded)).isEqualTo("Unknown/NotReached");

        spec.setStrict(false);
        LinuxImageStatus lenient = StatusAggregator.aggregate(spec, 1, null, done(r), T0);
        assertThat(lenient.getPhase()).isEqualTo(Phase.Succeeded);
        assertThat(cond(lenient, ConditionType.Ready)).isEqualTo("True/Succeeded");
        assertThat(cond(lenient, ConditionType.Compliant)).isEqualTo("False/NotCompliant");
        assertThat(severity(lenient, ConditionType.Compliant)).as("tolerated").isEqualTo("Warning");
        assertThat(lenient.condition(ConditionType.Stalled)).isEmpty();
    }

    @Test
    void auditAndNoUploadMarkStagesNotRequested() {
        LinuxImageSpec spec = spec(false);
        spec.setMode(Mode.Audit);
        JobResult r = JobResult.succeeded("audited").withStages(new JobResult.Stages(null, null, true, null));
        LinuxImageStatus s = StatusAggregator.aggregate(spec, 4, null, done(r), T0);
        assertThat(cond(s, ConditionType.Converted)).isEqualTo("False/NotRequested");
        assertThat(cond(s, ConditionType.Patched)).isEqualTo("False/NotRequested");
        assertThat(cond(s, ConditionType.Uploaded)).isEqualTo("False/NotRequested");
        assertThat(severity(s, ConditionType.Uploaded)).isEqualTo("Info");
        assertThat(cond(s, ConditionType.Compliant)).isEqualTo("True/Compliant");
        assertThat(s.getConditions())
                .extracting(Condition::getType)
                .containsExactly("Ready", "Converted", "Patched", "Compliant", "Uploaded");
        assertThat(s.getConditions())
                .allSatisfy(c -> assertThat(c.getObservedGeneration()).isEqualTo(4L));
    }

    @Test
    void failedJobWithoutResult() {
        LinuxImageSpec spec = spec(false);
        LinuxImageStatus deadline = StatusAggregator.aggregate(
                spec,
                1,
                null,
                new JobObservation(
                        "web-g1",
                        JobObservation.State.Failed,
                        "DeadlineExceeded",
                        "Job was active longer than specified deadline",
                        null,
                        "no termination message",
                        null),
                T0);
        assertThat(cond(deadline, ConditionType.Ready)).isEqualTo("False/DeadlineExceeded");
        assertThat(cond(deadline, ConditionType.Stalled)).isEqualTo("True/DeadlineExceeded");
        assertThat(severity(deadline, ConditionType.Ready)).isEqualTo("Error");
        assertThat(deadline.getPhase()).isEqualTo(Phase.Failed);

        LinuxImageStatus crashed = StatusAggregator.aggregate(
                spec,
                1,
                null,
                new JobObservation(
                        "web-g1",
                        JobObservation.State.Failed,
                        "BackoffLimitExceeded",
                        "Job has reached the specified backoff limit",
                        null,
                        "result is not JSON: x; the message begins: panic: oops",
                        null),
                T0);
        assertThat(cond(crashed, ConditionType.Ready)).isEqualTo("False/JobFailed");
        assertThat(crashed.condition(ConditionType.Ready).orElseThrow().getMessage())
                .contains("backoff limit")
                .contains("panic: oops");

        LinuxImageStatus unreadable = StatusAggregator.aggregate(
                spec,
                1,
                null,
                new JobObservation(
                        "web-g1", JobObservation.State.Succeeded, null, null, null, "no termination message", null),
                T0);
        assertThat(cond(unreadable, ConditionType.Ready)).isEqualTo("False/ResultUnreadable");
    }

    @Test
    void coreReasonsMapToOurs() {
        assertThat(Reason.fromResult("UnsupportedImage")).isEqualTo(Reason.UnsupportedImage);
        assertThat(Reason.fromResult("MissingCredentials")).isEqualTo(Reason.MissingCredentials);
        assertThat(Reason.fromResult("SomethingNew")).isEqualTo(Reason.JobFailed);
        assertThat(Reason.fromResult("Running"))
                .as("a progress reason is no failure reason")
                .isEqualTo(Reason.JobFailed);
        assertThat(Reason.fromResult(null)).isEqualTo(Reason.JobFailed);
        // every core reason the contract names has its own operator reason
        for (String r : List.of(
                ResultReasons.INVALID_ARGUMENTS,
                ResultReasons.SOURCE_NOT_FOUND,
                ResultReasons.UNSUPPORTED_IMAGE,
                ResultReasons.CORRUPT_IMAGE,
                ResultReasons.NOT_COMPLIANT,
                ResultReasons.MISSING_CREDENTIALS,
                ResultReasons.UPLOAD_UNAUTHORIZED,
                ResultReasons.UPLOAD_FAILED,
                ResultReasons.SUPERSEDED,
                ResultReasons.OUTPUT_VOLUME_FULL)) {
            assertThat(Reason.fromResult(r).name()).isEqualTo(r);
        }
    }

    @Test
    void refusedDropsTheOlderGenerationsResults() {
        LinuxImageSpec spec = spec(true);
        LinuxImageStatus done = StatusAggregator.aggregate(spec, 1, null, done(success()), T0);
        LinuxImageStatus refused = StatusAggregator.refused(spec, 2, done, Reason.MissingClaim, "no claim", T1);
        assertThat(refused.getObservedGeneration()).isEqualTo(2L);
        assertThat(refused.getUpload()).isNull();
        assertThat(refused.getCompliance()).isNull();
        assertThat(refused.getJobName()).isNull();
        assertThat(cond(refused, ConditionType.Ready)).isEqualTo("False/MissingClaim");
        assertThat(StatusAggregator.finished(refused, 2))
                .as("a refusal is not finished work")
                .isFalse();
    }

    /** A refusal the cluster can lift is rechecked (Reconciling); one only a new spec can lift is Stalled. */
    @Test
    void recheckedRefusalsReconcileOthersStall() {
        LinuxImageSpec spec = spec(true);
        for (Reason r : Reason.values()) {
            if (!r.isWarning()) {
                continue;
            }
            LinuxImageStatus s = StatusAggregator.refused(spec, 2, null, r, "because", T0);
            ConditionType expected = r.isRechecked() ? ConditionType.Reconciling : ConditionType.Stalled;
            ConditionType other = r.isRechecked() ? ConditionType.Stalled : ConditionType.Reconciling;
            assertThat(cond(s, expected)).as(r.name()).isEqualTo("True/" + r.name());
            assertThat(s.condition(other)).as(r.name()).isEmpty();
            assertThat(severity(s, ConditionType.Ready)).as(r.name()).isEqualTo(r.isRechecked() ? "Warning" : "Error");
        }
        assertThat(Reason.MissingClaim.isRechecked()).isTrue();
        assertThat(Reason.InvalidSpec.isRechecked()).isFalse();
        // the claim appears: the next status is the Job's, and Reconciling stays True (no flip)
        LinuxImageStatus missing = StatusAggregator.refused(spec, 2, null, Reason.MissingClaim, "no claim", T0);
        LinuxImageStatus pending = StatusAggregator.aggregate(spec, 2, missing, JobObservation.pending("web-g2"), T1);
        assertThat(cond(pending, ConditionType.Reconciling)).isEqualTo("True/Pending");
        assertThat(pending.condition(ConditionType.Reconciling).orElseThrow().getLastTransitionTime())
                .isEqualTo("2026-11-22T01:00:00Z");
    }

    static JobObservation active(PodInterpreter.PodState pod) {
        return new JobObservation("web-g1", JobObservation.State.Running, null, null, null, null, null, pod);
    }

    /** job.status.active counts a pod stuck pulling its image: the pods decide phase, Ready and Running. */
    @Test
    void aStuckPodIsNotRunningAndClearsWhenItRuns() {
        LinuxImageSpec spec = spec(true);
        LinuxImageStatus stuck = StatusAggregator.aggregate(
                spec,
                1,
                null,
                active(new PodInterpreter.PodState(
                        Reason.ImagePullBackOff,
                        "pod web-g1-x, container linuximage: ImagePullBackOff: Back-off pulling " + "image \"r/l:9\"",
                        false)),
                T0);
        assertThat(stuck.getPhase()).isEqualTo(Phase.Pending);
        assertThat(cond(stuck, ConditionType.Ready)).isEqualTo("False/ImagePullBackOff");
        assertThat(cond(stuck, ConditionType.Running)).isEqualTo("False/ImagePullBackOff");
        assertThat(stuck.condition(ConditionType.Ready).orElseThrow().getMessage())
                .startsWith("Job web-g1: ")
                .contains("Back-off pulling image");
        assertThat(cond(stuck, ConditionType.Converted))
                .as("stages are not failed by a waiting pod")
                .isEqualTo("Unknown/Pending");
        assertThat(stuck.getConditions())
                .extracting(Condition::getType)
                .containsExactly("Ready", "Reconciling", "Running", "Converted", "Patched", "Compliant", "Uploaded");
        assertThat(cond(stuck, ConditionType.Reconciling))
                .as("Kubernetes keeps pulling: not stalled")
                .isEqualTo("True/ImagePullBackOff");
        assertThat(severity(stuck, ConditionType.Ready)).isEqualTo("Warning");
        assertThat(severity(stuck, ConditionType.Running)).isEqualTo("Warning");

        LinuxImageStatus running = StatusAggregator.aggregate(
                spec,
                1,
                stuck,
                active(new PodInterpreter.PodState(Reason.Running, "pod web-g1-x is running", true)),
                T1);
        assertThat(running.getPhase()).isEqualTo(Phase.Running);
        assertThat(cond(running, ConditionType.Ready)).isEqualTo("False/Running");
        assertThat(cond(running, ConditionType.Running)).isEqualTo("True/Running");
        assertThat(running.condition(ConditionType.Running).orElseThrow().getLastTransitionTime())
                .as("Running flipped False -> True")
                .isEqualTo("2026-11-22T01:05:00Z");
        assertThat(running.condition(ConditionType.Ready).orElseThrow().getLastTransitionTime())
                .as("Ready stayed False")
                .isEqualTo("2026-11-22T01:00:00Z");

        LinuxImageStatus done = StatusAggregator.aggregate(spec, 1, running, done(success()), T2);
        assertThat(done.condition(ConditionType.Running))
                .as("only while the Job is active")
                .isEmpty();
    }

    @Test
    void withoutAPodLookTheJobsActiveCountDecidesAsBefore() {
        LinuxImageStatus s = StatusAggregator.aggregate(
                spec(false),
                1,
                null,
                new JobObservation("web-g1", JobObservation.State.Running, null, null, null, null, null),
                T0);
        assertThat(s.getPhase()).isEqualTo(Phase.Running);
        assertThat(s.condition(ConditionType.Running)).isEmpty();
    }

    @Test
    void aRetryWhileTheNextPodRunsIsAWarningInReadyButRunningIsTrue() {
        LinuxImageStatus s = StatusAggregator.aggregate(
                spec(false),
                1,
                null,
                active(new PodInterpreter.PodState(
                        Reason.Retrying, "pod b is running; attempt 2, after pod a failed (exit code 1, Error)", true)),
                T0);
        assertThat(s.getPhase()).isEqualTo(Phase.Running);
        assertThat(cond(s, ConditionType.Ready)).isEqualTo("False/Retrying");
        assertThat(cond(s, ConditionType.Running)).isEqualTo("True/Retrying");
    }

    @Test
    void reconcileErrorKeepsThisGenerationsStatus() {
        LinuxImageSpec spec = spec(true);
        LinuxImageStatus running = StatusAggregator.aggregate(
                spec,
                3,
                null,
                active(new PodInterpreter.PodState(Reason.Running, "pod web-g3-x is running", true)),
                T0);
        LinuxImageStatus e = StatusAggregator.errored(spec, 3, running, "reconcile failed: 403 Forbidden", T1);
        assertThat(e.getPhase()).isEqualTo(Phase.Running);
        assertThat(e.getJobName()).isEqualTo("web-g1");
        assertThat(cond(e, ConditionType.Ready)).isEqualTo("False/ReconcileError");
        assertThat(e.condition(ConditionType.Ready).orElseThrow().getMessage()).contains("403 Forbidden");
        assertThat(e.condition(ConditionType.Running)).isEqualTo(running.condition(ConditionType.Running));
        assertThat(e.getConditions()).hasSameSizeAs(running.getConditions());
        assertThat(cond(e, ConditionType.Reconciling))
                .as("retried after the recheck interval")
                .isEqualTo("True/ReconcileError");
        assertThat(severity(e, ConditionType.Ready)).isEqualTo("Warning");
    }

    @Test
    void reconcileErrorOfANewGenerationDoesNotClaimTheOldResult() {
        LinuxImageSpec spec = spec(true);
        LinuxImageStatus done = StatusAggregator.aggregate(spec, 1, null, done(success()), T0);
        LinuxImageStatus e = StatusAggregator.errored(spec, 2, done, "reconcile failed: 403 Forbidden", T1);
        assertThat(e.getObservedGeneration()).isEqualTo(2L);
        assertThat(e.getPhase()).isEqualTo(Phase.Pending);
        assertThat(e.getJobName()).isNull();
        assertThat(e.getUpload()).isNull();
        assertThat(cond(e, ConditionType.Ready)).isEqualTo("False/ReconcileError");
        assertThat(cond(e, ConditionType.Uploaded)).isEqualTo("Unknown/NotReached");
        assertThat(StatusAggregator.finished(e, 2))
                .as("generation 2 must still get its Job")
                .isFalse();
    }
}
