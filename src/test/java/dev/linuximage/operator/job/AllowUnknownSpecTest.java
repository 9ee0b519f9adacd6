package dev.linuximage.operator.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.linuximage.operator.api.v1alpha1.GuestSpec;
import dev.linuximage.operator.api.v1alpha1.LinuxImageSpec;
import dev.linuximage.operator.reconciler.SpecValidator;
import io.fabric8.kubernetes.api.model.Container;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code spec.guest.allowUnknown}: validated like the CRD's rule and passed to the core as {@code --allow-unknown}. */
class AllowUnknownSpecTest {

    static LinuxImageSpec spec(List<String> allow) {
        LinuxImageSpec s = dev.linuximage.operator.reconciler.SpecValidatorTestAccess.valid();
        GuestSpec g = new GuestSpec();
        g.setAllowUnknown(allow);
        s.setGuest(g);
        return s;
    }

    @Test
    void passedAsRepeatedFlags() {
        Container c = JobFactory.build(
                        JobFactoryTest.image("web", 2, spec(List.of("BOOT-GENERATION", "DISK-FOOTER"))),
                        JobFactoryTest.DEFAULTS)
                .getSpec()
                .getTemplate()
                .getSpec()
                .getContainers()
                .get(0);
        assertThat(c.getArgs())
                .containsSubsequence("--allow-unknown", "BOOT-GENERATION", "--allow-unknown", "DISK-FOOTER");
        Container none = JobFactory.build(JobFactoryTest.image("web", 2, spec(null)), JobFactoryTest.DEFAULTS)
                .getSpec()
                .getTemplate()
                .getSpec()
                .getContainers()
                .get(0);
        assertThat(none.getArgs()).doesNotContain("--allow-unknown");
    }

    @Test
    void validatedAsRequirementIds() {
        assertThat(SpecValidator.validate(spec(List.of("KERNEL-NUMA")))).isEmpty();
        assertThat(SpecValidator.validate(spec(List.of("kernel numa"))))
                .singleElement()
                .asString()
                .startsWith("spec.guest.allowUnknown");
    }
}
