package dev.linuximage.core.report;

/** An error that maps to a specific exit code; its message is safe to print (never carries a secret). */
public class CoreException extends RuntimeException {
    private final int exitCode;
    private final String reason;

    public CoreException(int exitCode, String message) {
        this(exitCode, null, message, null);
    }

    public CoreException(int exitCode, String message, Throwable cause) {
        this(exitCode, null, message, cause);
    }

    /**
     * @param reason the CamelCase reason the operator shows (see {@code core/report/ResultReasons}); null to derive
     *               it from the exit code
     */
    public CoreException(int exitCode, String reason, String message, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
        this.reason = reason;
    }

    /** The CamelCase reason given at construction, or null. */
    public String reason() {
        return reason;
    }

    public int exitCode() {
        return exitCode;
    }
}
