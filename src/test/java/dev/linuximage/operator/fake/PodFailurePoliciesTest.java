package dev.linuximage.operator.fake;

import static dev.linuximage.operator.fake.PodFailurePolicies.Action.Count;
import static dev.linuximage.operator.fake.PodFailurePolicies.Action.FailJob;
import static dev.linuximage.operator.fake.PodFailurePolicies.Action.Ignore;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.linuximage.operator.api.v1alpha1.LinuxImage;
import dev.linuximage.operator.api.v1alpha1.LinuxImageSpec;
import dev.linuximage.operator.api.v1alpha1.SourceSpec;
import dev.linuximage.operator.job.JobDefaults;
import dev.linuximage.operator.job.JobFactory;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.PodFailurePolicyBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The fake Job controller's reading of {@code podFailurePolicy} and {@code backoffLimit}, against the semantics in the
 * Kubernetes API reference ({@code PodFailurePolicyRule}, {@code PodFailurePolicyOnExitCodesRequirement}) and the Job
 * documentation: first matching rule wins, no match counts, zero exit codes never match, {@code NotIn} matches an
 * exit code outside the set, the Job fails once more pods failed than {@code backoffLimit}.
 */
class PodFailurePoliciesTest {

    static Job operatorJob() {
        LinuxImageSpec spec = new LinuxImageSpec();
        spec.setSource(new SourceSpec("disks", "builds/web.qcow2"));
        LinuxImage li = new LinuxImage("images", "web", spec);
        li.getMetadata().setGeneration(1L);
        li.getMetadata().setUid("0f6c3c1e-7d2a-4c55-9d4e-1a2b3c4d5e6f");
        return JobFactory.build(li, JobDefaults.standard("ghcr.io/linuximage/linuximage-operator:0.1.0"));
    }

    static Pod failed(String container, int exit, String... conditions) {
        java.util.List<io.fabric8.kubernetes.api.model.PodCondition> conds = new java.util.ArrayList<>();
        for (String c : conditions) {
            conds.add(new io.fabric8.kubernetes.api.model.PodConditionBuilder()
                    .withType(c.split("=")[0])
                    .withStatus(c.split("=")[1])
                    .build());
        }
        return new PodBuilder()
                .withNewMetadata()
                .withNamespace("images")
                .withName("web-g1-abc")
                .endMetadata()
                .withNewStatus()
                .withPhase("Failed")
                .withConditions(conds)
                .addNewContainerStatus()
                .withName(container)
                .withNewState()
                .withNewTerminated()
                .withExitCode(exit)
                .endTerminated()
                .endState()
                .endContainerStatus()
                .endStatus()
                .build();
    }

    /** The operator's own Job: exit codes 2, 3, 4 (usage, bad input, not compliant) fail it; others retry. */
    @ParameterizedTest(name = "exit {0} → {1}")
    @CsvSource({"1,Count", "2,FailJob", "3,FailJob", "4,FailJob", "137,Count", "130,Count"})
    void theOperatorsJobPolicy(int exit, PodFailurePolicies.Action expected) {
        PodFailurePolicies.Match m = PodFailurePolicies.match(operatorJob(), failed(JobFactory.CONTAINER, exit));
        assertThat(m.action()).isEqualTo(expected);
        if (expected == FailJob) {
            assertThat(m.ruleIndex()).isZero();
            assertThat(m.message()).contains("exit code " + exit).contains("FailJob rule at index 0");
        }
    }

    @Test
    void anEvictedPodIsIgnoredByTheOperatorsJob() {
        // DisruptionTarget=True is what the control plane sets on an evicted or preempted pod
        assertThat(PodFailurePolicies.match(operatorJob(), failed(JobFactory.CONTAINER, 137, "DisruptionTarget=True"))
                        .action())
                .isEqualTo(Ignore);
        assertThat(PodFailurePolicies.match(operatorJob(), failed(JobFactory.CONTAINER, 137, "DisruptionTarget=False"))
                        .action())
                .isEqualTo(Count);
        // rules are evaluated in order: the exit-code rule (index 0) wins over the condition rule
        assertThat(PodFailurePolicies.match(operatorJob(), failed(JobFactory.CONTAINER, 3, "DisruptionTarget=True"))
                        .action())
                .isEqualTo(FailJob);
    }

    static Job job(Integer backoffLimit, String operator, String container, String action, Integer... values) {
        return new JobBuilder()
                .withNewSpec()
                .withBackoffLimit(backoffLimit)
                .withPodFailurePolicy(new PodFailurePolicyBuilder()
                        .addNewRule()
                        .withAction(action)
                        .withNewOnExitCodes()
                        .withContainerName(container)
                        .withOperator(operator)
                        .withValues(values)
                        .endOnExitCodes()
                        .endRule()
                        .build())
                .endSpec()
                .build();
    }

    @Test
    void notInContainerNameAndZeroExitCodes() {
        Job notIn = job(null, "NotIn", null, "FailJob", 1, 42);
        assertThat(PodFailurePolicies.match(notIn, failed("any", 7)).action()).isEqualTo(FailJob);
        assertThat(PodFailurePolicies.match(notIn, failed("any", 42)).action()).isEqualTo(Count);
        // exit code 0 never matches, not even NotIn
        assertThat(PodFailurePolicies.match(notIn, failed("any", 0)).action()).isEqualTo(Count);
        Job named = job(null, "In", "main", "Ignore", 5);
        assertThat(PodFailurePolicies.match(named, failed("main", 5)).action()).isEqualTo(Ignore);
        assertThat(PodFailurePolicies.match(named, failed("sidecar", 5)).action())
                .isEqualTo(Count);
        assertThatThrownBy(() -> PodFailurePolicies.match(job(null, "In", null, "FailIndex", 5), failed("c", 5)))
                .hasMessageContaining("FailIndex");
    }

    @Test
    void backoffLimitCountsFailuresBeyondTheLimit() {
        Job one = job(1, "In", null, "FailJob", 9);
        assertThat(PodFailurePolicies.backoffLimitExceeded(one, 1)).isFalse();
        assertThat(PodFailurePolicies.backoffLimitExceeded(one, 2)).isTrue();
        Job zero = job(0, "In", null, "FailJob", 9);
        assertThat(PodFailurePolicies.backoffLimitExceeded(zero, 1)).isTrue();
        Job unset = job(null, "In", null, "FailJob", 9);
        assertThat(PodFailurePolicies.backoffLimitExceeded(unset, 6)).isFalse();
        assertThat(PodFailurePolicies.backoffLimitExceeded(unset, 7)).isTrue();
        // the operator's Job carries its configured default (1): a second counted failure ends it
        assertThat(operatorJob().getSpec().getBackoffLimit()).isEqualTo(1);
    }
}
