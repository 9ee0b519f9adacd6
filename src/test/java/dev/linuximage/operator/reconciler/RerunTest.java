package dev.linuximage.operator.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import dev.linuximage.operator.api.v1alpha1.LinuxImage;
import dev.linuximage.operator.api.v1alpha1.LinuxImageSpec;
import dev.linuximage.operator.api.v1alpha1.LinuxImageStatus;
import dev.linuximage.operator.job.JobNames;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The linuximage.dev/rerun trigger: Job names per value, which updates reach the reconciler, the value observed. */
class RerunTest {

    @Test
    void eachValueHasItsOwnValidJobName() {
        assertThat(JobNames.forRun("web", 3, null)).isEqualTo("web-g3");
        assertThat(JobNames.forRun("web", 3, "")).isEqualTo("web-g3");
        String a = JobNames.forRun("web", 3, "build-42");
        assertThat(a).matches("web-g3-r[0-9a-f]{8}").isEqualTo(JobNames.forRun("web", 3, "build-42"));
        assertThat(JobNames.forRun("web", 3, "build-43")).isNotEqualTo(a);
        // any annotation value (up to 256 KiB of anything) gives a DNS-1123 label the Job controller accepts
        String longName = "n".repeat(253);
        String odd = JobNames.forRun(longName, 12345, "Ünïcode / spaces " + "x".repeat(5000));
        assertThat(odd).hasSizeLessThanOrEqualTo(52).matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
        assertThat(JobNames.resultConfigMap(odd)).hasSizeLessThanOrEqualTo(63);
    }

    @Test
    void onlySpecChangesNewRerunValuesAndDeletionReachTheReconciler() {
        SpecOrRerunFilter f = new SpecOrRerunFilter();
        LinuxImage old = image(1, null);
        assertThat(f.accept(image(2, null), old)).as("spec change").isTrue();
        assertThat(f.accept(image(1, "a"), old)).as("annotation added").isTrue();
        assertThat(f.accept(image(1, "b"), image(1, "a"))).as("new value").isTrue();
        assertThat(f.accept(image(1, null), image(1, "a")))
                .as("removed: reconciled, and it starts no run")
                .isTrue();
        assertThat(f.accept(image(1, "a"), image(1, "a")))
                .as("same value (status write, re-apply)")
                .isFalse();
        LinuxImage labelled = image(1, "a");
        labelled.getMetadata().setLabels(Map.of("team", "x"));
        labelled.getMetadata().getAnnotations().put("other", "y");
        assertThat(f.accept(labelled, image(1, "a")))
                .as("labels and other annotations")
                .isFalse();
        LinuxImage deleted = image(1, "a");
        deleted.getMetadata().setDeletionTimestamp("2026-01-01T00:00:00Z");
        assertThat(f.accept(deleted, image(1, "a"))).isTrue();
    }

    @Test
    void theRunFollowsTheAnnotationAndSurvivesItsRemoval() {
        LinuxImageStatus s = new LinuxImageStatus();
        s.setObservedGeneration(1L);
        s.setObservedRerun("a");
        assertThat(LinuxImageReconciler.rerunValue(image(1, "b"), s, 1)).isEqualTo("b");
        assertThat(LinuxImageReconciler.rerunValue(image(1, null), s, 1))
                .as("removing the annotation keeps the run it observed: no new Job")
                .isEqualTo("a");
        assertThat(LinuxImageReconciler.rerunValue(image(2, null), s, 2))
                .as("a new generation without the annotation is a plain run")
                .isNull();
        assertThat(LinuxImageReconciler.rerunValue(image(1, null), null, 1)).isNull();
    }

    static LinuxImage image(long generation, String rerun) {
        LinuxImage li = new LinuxImage("ns", "web", new LinuxImageSpec());
        li.getMetadata().setGeneration(generation);
        li.getMetadata()
                .setAnnotations(
                        rerun == null
                                ? new java.util.HashMap<>()
                                : new java.util.HashMap<>(Map.of(LinuxImageReconciler.RERUN_ANNOTATION, rerun)));
        return li;
    }
}
