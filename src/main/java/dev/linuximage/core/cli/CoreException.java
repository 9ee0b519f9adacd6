package dev.linuximage.core.cli;

/** An error that maps to a specific exit code; its message is safe to print (never carries a secret). */
public class CoreException extends RuntimeException {
    private final int exitCode;

    public CoreException(int exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    public CoreException(int exitCode, String message, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    public int exitCode() {
        return exitCode;
    }
}
