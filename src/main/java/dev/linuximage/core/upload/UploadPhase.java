package dev.linuximage.core.upload;

/** Phases of one upload, in order. */
public enum UploadPhase {
    /** Inspecting the blob: create, resume, recreate, fence. */
    PREPARING,
    /** Scanning the source and sending non-zero pages. */
    UPLOADING,
    /** Writing the footer page last and reading it back. */
    FINISHING,
    /** Verifying the blob's content (see {@link VerifyMode}). */
    VERIFYING,
    /** Verified and marked complete in the blob's metadata. */
    DONE
}
