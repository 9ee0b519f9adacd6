package dev.linuximage.operator.reconciler;

import dev.linuximage.operator.api.v1alpha1.LinuxImage;
import io.javaoperatorsdk.operator.processing.event.source.filter.OnUpdateFilter;
import java.util.Map;
import java.util.Objects;

/**
 * Which updates of a LinuxImage start a reconcile: a new generation (a spec change), a new value of
 * {@link LinuxImageReconciler#RERUN_ANNOTATION}, or deletion. Status writes, label and other annotation changes do
 * not (what JOSDK's generation-aware processing does, which has to be off for the annotation: its filter is combined
 * with a custom one by AND, so a custom filter could only remove events).
 */
@io.quarkus.runtime.annotations.RegisterForReflection
public class SpecOrRerunFilter implements OnUpdateFilter<LinuxImage> {

    @Override
    public boolean accept(LinuxImage newResource, LinuxImage oldResource) {
        Long before = oldResource.getMetadata().getGeneration();
        Long after = newResource.getMetadata().getGeneration();
        return before == null
                || after == null
                || after > before
                || !Objects.equals(rerun(newResource), rerun(oldResource))
                || newResource.isMarkedForDeletion();
    }

    private static String rerun(LinuxImage image) {
        Map<String, String> a = image.getMetadata().getAnnotations();
        return a == null ? null : a.get(LinuxImageReconciler.RERUN_ANNOTATION);
    }
}
