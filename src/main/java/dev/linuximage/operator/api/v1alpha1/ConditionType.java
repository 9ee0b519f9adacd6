package dev.linuximage.operator.api.v1alpha1;

/** The condition types of a LinuxImage. {@link #Ready} summarises the others. */
public enum ConditionType {
    Ready,
    /** Whether the Job's pod runs; present only while the Job of the observed generation is active. */
    Running,
    Converted,
    Patched,
    Compliant,
    Uploaded
}
