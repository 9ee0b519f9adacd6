package dev.linuximage.operator.api.v1alpha1;

/** What the Job does with the disk. */
public enum Mode {
    /** Convert to a fixed VHD, patch the guest, check compliance and (optionally) upload. */
    Prepare,
    /** Read-only compliance check: the source is mounted read-only, nothing is written or uploaded. */
    Audit
}
