package dev.linuximage.operator.api.v1alpha1;

/** The condition types of a LinuxImage. {@link #Ready} summarises the others. */
public enum ConditionType {
    Ready,
    Converted,
    Patched,
    Compliant,
    Uploaded
}
