package dev.linuximage.operator.reconciler;

import dev.linuximage.core.report.JobResult;
import dev.linuximage.core.report.ProgressEvent;

/**
 * What the operator saw of the current generation's Job, reduced to what the status needs.
 *
 * @param jobName       the Job's name
 * @param state         where the Job is
 * @param jobReason     the reason of the Job's Failed condition (e.g. {@code DeadlineExceeded}); null otherwise
 * @param jobMessage    the message of the Job's Failed condition; null otherwise
 * @param result        the parsed termination message of the pod; null when none or unreadable
 * @param resultProblem why there is no result (e.g. not JSON, with an excerpt of what was there); null otherwise
 * @param progress      the last progress line of a running pod; null when none
 * @param pod           what the pods of an active Job say ({@link PodInterpreter}); null when finished or unknown
 */
public record JobObservation(
        String jobName,
        State state,
        String jobReason,
        String jobMessage,
        JobResult result,
        String resultProblem,
        ProgressEvent progress,
        PodInterpreter.PodState pod) {

    public JobObservation(
            String jobName,
            State state,
            String jobReason,
            String jobMessage,
            JobResult result,
            String resultProblem,
            ProgressEvent progress) {
        this(jobName, state, jobReason, jobMessage, result, resultProblem, progress, null);
    }

    public enum State {
        Pending,
        Running,
        Succeeded,
        Failed;

        public boolean isTerminal() {
            return this == Succeeded || this == Failed;
        }
    }

    public static JobObservation pending(String jobName) {
        return new JobObservation(jobName, State.Pending, null, null, null, null, null);
    }
}
