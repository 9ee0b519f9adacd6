package dev.linuximage.core.cli;

/** Process exit codes of the core commands (documented in the README). */
public final class ExitCodes {
    /** The command did everything it was asked. */
    public static final int OK = 0;
    /** An operational error: I/O failure, upload failure, unexpected error. */
    public static final int ERROR = 1;
    /** Bad command line or bad spec. */
    public static final int USAGE = 2;
    /** The disk (or its guest) is malformed or uses something we refuse to handle: typed input error. */
    public static final int BAD_INPUT = 3;
    /** {@code check}/{@code prepare}: at least one requirement failed and was not repaired. */
    public static final int NOT_COMPLIANT = 4;
    /** Interrupted (SIGINT/SIGTERM); work done so far is kept and a re-run resumes. */
    public static final int INTERRUPTED = 130;

    private ExitCodes() {
    }
}
