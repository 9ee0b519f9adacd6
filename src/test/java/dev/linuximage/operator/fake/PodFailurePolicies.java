package dev.linuximage.operator.fake;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.PodFailurePolicy;
import io.fabric8.kubernetes.api.model.batch.v1.PodFailurePolicyOnExitCodesRequirement;
import io.fabric8.kubernetes.api.model.batch.v1.PodFailurePolicyOnPodConditionsPattern;
import io.fabric8.kubernetes.api.model.batch.v1.PodFailurePolicyRule;
import java.util.List;

/**
 * What the Job controller decides when a pod of a Job fails, from the Job's own {@code spec.podFailurePolicy} and
 * {@code spec.backoffLimit} (Kubernetes documentation "Jobs: Pod failure policy" and the API reference of
 * {@code PodFailurePolicyRule}; kube-controller-manager {@code pkg/controller/job/pod_failure_policy.go}):
 * <ul>
 *   <li>the rules are evaluated in order; the first that matches decides; no match means {@code Count};</li>
 *   <li>{@code onExitCodes}: only containers that terminated with a non-zero exit code are considered, restricted
 *   to {@code containerName} when given; {@code In} matches when such an exit code is in {@code values},
 *   {@code NotIn} when one is not;</li>
 *   <li>{@code onPodConditions}: matches when the pod has a condition of that type with that status (default
 *   {@code True});</li>
 *   <li>{@code FailJob}: the Job fails at once (reason {@code PodFailurePolicy}); {@code Ignore}: the failure does not
 *   count towards {@code backoffLimit} and a replacement pod is created; {@code Count}: it counts, and the Job fails
 *   with reason {@code BackoffLimitExceeded} once more pods failed than {@code backoffLimit} (default 6) allows.</li>
 * </ul>
 * {@code FailIndex} (indexed Jobs only) is refused: the operator never creates indexed Jobs.
 */
public final class PodFailurePolicies {
    /** The API server's default of {@code spec.backoffLimit}. */
    public static final int DEFAULT_BACKOFF_LIMIT = 6;

    private PodFailurePolicies() {}

    public enum Action {
        FailJob,
        Ignore,
        Count
    }

    /**
     * @param action    what the matching rule (or the default, Count) says
     * @param ruleIndex index of the matching rule, -1 for none
     * @param message   the Job condition message the controller writes for a FailJob rule
     */
    public record Match(Action action, int ruleIndex, String message) {}

    /** The decision for a pod that failed (phase Failed) of {@code job}. */
    public static Match match(Job job, Pod pod) {
        PodFailurePolicy policy = job.getSpec() == null ? null : job.getSpec().getPodFailurePolicy();
        List<PodFailurePolicyRule> rules = policy == null || policy.getRules() == null ? List.of() : policy.getRules();
        for (int i = 0; i < rules.size(); i++) {
            PodFailurePolicyRule rule = rules.get(i);
            String why = null;
            if (rule.getOnExitCodes() != null) {
                why = exitCodeMatch(rule.getOnExitCodes(), pod);
            } else if (rule.getOnPodConditions() != null
                    && !rule.getOnPodConditions().isEmpty()) {
                why = conditionMatch(rule.getOnPodConditions(), pod);
            }
            if (why != null) {
                Action a = switch (rule.getAction()) {
                    case "FailJob" -> Action.FailJob;
                    case "Ignore" -> Action.Ignore;
                    case "Count" -> Action.Count;
                    default ->
                        throw new IllegalStateException("podFailurePolicy action " + rule.getAction()
                                + " is not supported by the fake Job controller (non-indexed Jobs only)");
                };
                return new Match(
                        a,
                        i,
                        "Pod " + pod.getMetadata().getNamespace() + "/"
                                + pod.getMetadata().getName() + " has " + why + " matching " + rule.getAction()
                                + " rule at index " + i);
            }
        }
        return new Match(Action.Count, -1, null);
    }

    /** Whether {@code failed} counted failures exceed the Job's {@code spec.backoffLimit}. */
    public static boolean backoffLimitExceeded(Job job, int failed) {
        Integer limit = job.getSpec() == null ? null : job.getSpec().getBackoffLimit();
        return failed > (limit == null ? DEFAULT_BACKOFF_LIMIT : limit);
    }

    private static String exitCodeMatch(PodFailurePolicyOnExitCodesRequirement req, Pod pod) {
        if (pod.getStatus() == null || pod.getStatus().getContainerStatuses() == null) {
            return null;
        }
        List<Integer> values = req.getValues() == null ? List.of() : req.getValues();
        for (ContainerStatus cs : pod.getStatus().getContainerStatuses()) {
            if (req.getContainerName() != null && !req.getContainerName().equals(cs.getName())) {
                continue;
            }
            if (cs.getState() == null || cs.getState().getTerminated() == null) {
                continue;
            }
            int code = cs.getState().getTerminated().getExitCode();
            if (code == 0) {
                continue; // only failed containers are matched
            }
            boolean in = values.contains(code);
            boolean hit = switch (String.valueOf(req.getOperator())) {
                case "In" -> in;
                case "NotIn" -> !in;
                default -> throw new IllegalStateException("onExitCodes operator " + req.getOperator());
            };
            if (hit) {
                return "container " + cs.getName() + " failed with exit code " + code;
            }
        }
        return null;
    }

    private static String conditionMatch(List<PodFailurePolicyOnPodConditionsPattern> patterns, Pod pod) {
        List<PodCondition> conds = pod.getStatus() == null || pod.getStatus().getConditions() == null
                ? List.of()
                : pod.getStatus().getConditions();
        for (PodFailurePolicyOnPodConditionsPattern p : patterns) {
            String status = p.getStatus() == null ? "True" : p.getStatus();
            for (PodCondition c : conds) {
                if (p.getType().equals(c.getType()) && status.equals(c.getStatus())) {
                    return "condition " + c.getType() + "=" + c.getStatus();
                }
            }
        }
        return null;
    }
}
