package dev.linuximage.operator.fake;

/**
 * What runs "inside" a Job's pod for the fake kubelet. Today the tests plug in scripted executors; the real core can
 * be plugged in by running {@code CoreCli.execute(run.localArgs())} against the directories that stand in for the
 * claims and returning the termination-log file's content.
 */
@FunctionalInterface
public interface PodExecutor {

    PodOutcome run(PodRun run) throws Exception;

    /**
     * @param exitCode           the container's exit code
     * @param terminationMessage what the container wrote to its termination-message path (null if nothing)
     * @param conditions         pod conditions set when the pod ended (may be empty)
     */
    record PodOutcome(
            int exitCode,
            String terminationMessage,
            java.util.List<io.fabric8.kubernetes.api.model.PodCondition> conditions) {
        public PodOutcome(int exitCode, String terminationMessage) {
            this(exitCode, terminationMessage, java.util.List.of());
        }

        /** Conditions such as {@code DisruptionTarget=True} (an evicted pod) feed {@code onPodConditions} rules. */
        public PodOutcome {
            conditions = conditions == null ? java.util.List.of() : java.util.List.copyOf(conditions);
        }
    }
}
