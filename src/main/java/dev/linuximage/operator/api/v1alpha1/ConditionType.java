package dev.linuximage.operator.api.v1alpha1;

/**
 * The condition types of a LinuxImage. {@link #Ready} summarises the others; {@link #Reconciling} and
 * {@link #Stalled} are kstatus' standard conditions (sigs.k8s.io/cli-utils/pkg/kstatus, README "Conditions"):
 * abnormal-true, present only while True, never both at once.
 */
public enum ConditionType {
    Ready,
    /** True while the operator works on the observed generation (the Job waits or runs, or a refusal is rechecked). */
    Reconciling,
    /** True when the observed generation failed in a way a retry cannot fix (invalid spec, Job failed for good). */
    Stalled,
    /** Whether the Job's pod runs; present only while the Job of the observed generation is active. */
    Running,
    Converted,
    Patched,
    Compliant,
    Uploaded
}
