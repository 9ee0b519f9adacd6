package dev.linuximage.core.report;

/** The outcome of one requirement check (docs/requirements.md). Spelled as in the report and the status. */
public enum FindingStatus {
    /** The requirement is met as found. */
    Pass,
    /** The requirement is not met and was not repaired. */
    Fail,
    /** Not a hard requirement, or met only partly: worth the user's attention. */
    Warn,
    /** It failed and the product repaired it. */
    Fixed,
    /** Does not apply to this image (e.g. deprovisioning on a specialized image). */
    NotApplicable,
    /** Could not be decided offline; the message says why. */
    Unknown
}
