package dev.linuximage.core.report;

/**
 * The reasons a core command reports in {@link JobResult#reason()}. CamelCase, stable: the operator maps them to
 * its condition reasons, and users see them. A command may use another CamelCase reason; the operator then reports
 * it as a generic Job failure with this reason in the message.
 */
public final class ResultReasons {
    /** Everything asked was done. */
    public static final String SUCCEEDED = "Succeeded";
    /** Bad command line or bad spec (exit code 2). */
    public static final String INVALID_ARGUMENTS = "InvalidArguments";
    /** The source file does not exist on the claim. */
    public static final String SOURCE_NOT_FOUND = "SourceNotFound";
    /** The disk or its guest uses something refused (exit code 3; {@link BadInputException.Reason#UNSUPPORTED_IMAGE}). */
    public static final String UNSUPPORTED_IMAGE = "UnsupportedImage";
    /** A structure of the disk or its guest fails validation (exit code 3; {@link BadInputException.Reason#CORRUPT_IMAGE}). */
    public static final String CORRUPT_IMAGE = "CorruptImage";
    /** At least one requirement failed and was not repaired (exit code 4). */
    public static final String NOT_COMPLIANT = "NotCompliant";
    /** The credentials file is missing, empty or malformed (e.g. the Secret or its key does not exist; exit code 2). */
    public static final String MISSING_CREDENTIALS = "MissingCredentials";
    /** The storage service refused the credentials. */
    public static final String UPLOAD_UNAUTHORIZED = "UploadUnauthorized";
    /** The upload failed for another reason (network, service). */
    public static final String UPLOAD_FAILED = "UploadFailed";
    /** A newer generation owns the output (fencing). */
    public static final String SUPERSEDED = "Superseded";
    /** The blob URL's host is not in the core's allow-list: no credential was sent (exit code 2). */
    public static final String BLOB_HOST_NOT_ALLOWED = "BlobHostNotAllowed";
    /** The blob belongs to another owner (another LinuxImage uid) and taking it over was not asked for (exit 2). */
    public static final String BLOB_OWNED_BY_OTHER = "BlobOwnedByOther";
    /** The volume receiving the output (the claim of spec.output) filled up; the partial output was removed. */
    public static final String OUTPUT_VOLUME_FULL = "OutputVolumeFull";
    /** Interrupted (exit code 130); a re-run resumes. */
    public static final String INTERRUPTED = "Interrupted";
    /** Anything else (exit code 1). */
    public static final String INTERNAL_ERROR = "InternalError";

    private ResultReasons() {}

    /** Whether {@code reason} is a valid CamelCase reason: a letter first, letters and digits, at most 64. */
    public static boolean isValid(String reason) {
        return reason != null && reason.matches("[A-Z][A-Za-z0-9]{0,63}");
    }
}
