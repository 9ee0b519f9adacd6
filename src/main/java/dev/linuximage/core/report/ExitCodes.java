package dev.linuximage.core.report;

import java.util.List;

/**
 * Process exit codes of the core commands (documented in the README), and the one mapping from a typed error's
 * reason to its exit code. The operator's Job names its non-retriable codes from {@link #NON_RETRIABLE}.
 */
public final class ExitCodes {
    /** The command did everything it was asked. */
    public static final int OK = 0;
    /** An operational error: I/O failure, upload failure, unexpected error. A Job may retry it. */
    public static final int ERROR = 1;
    /** Bad command line, bad spec, missing/malformed/refused credentials. A retry cannot help. */
    public static final int USAGE = 2;
    /** The disk (or its guest) is malformed or uses something we refuse to handle: typed input error. */
    public static final int BAD_INPUT = 3;
    /** {@code check}/{@code prepare}: at least one requirement failed and was not repaired. */
    public static final int NOT_COMPLIANT = 4;
    /** Interrupted (SIGINT/SIGTERM); work done so far is kept and a re-run resumes. */
    public static final int INTERRUPTED = 130;

    /**
     * The codes a retry of the same command on the same input cannot change: the Job fails at once on them
     * (podFailurePolicy action FailJob). {@link #ERROR} and {@link #INTERRUPTED} are retried.
     */
    public static final List<Integer> NON_RETRIABLE = List.of(USAGE, BAD_INPUT, NOT_COMPLIANT);

    private ExitCodes() {}

    /** The exit code of a bad-input error: every reason is {@link #BAD_INPUT} (the input is what it is). */
    public static int of(BadInputException.Reason reason) {
        return switch (reason) {
            case CORRUPT_IMAGE, UNSUPPORTED_IMAGE -> BAD_INPUT;
        };
    }

    /**
     * The exit code for any failure: a {@link CoreException} carries its own, a {@link BadInputException} (found
     * anywhere in the cause chain, so a wrapper does not turn corruption into a retriable error) maps by its reason,
     * an {@link Classified} error names its own; anything else is operational ({@link #ERROR}).
     */
    public static int of(Throwable t) {
        if (t instanceof CoreException ce) {
            return ce.exitCode();
        }
        if (t instanceof Classified c) {
            return c.exitCode();
        }
        BadInputException bad = BadInputException.in(t);
        return bad != null ? of(bad.reason()) : ERROR;
    }

    /**
     * An error outside this package that knows its exit code and result reason (e.g. a refused credential): the
     * mapping stays beside the error instead of in a list of {@code instanceof} tests in the command line.
     */
    public interface Classified {
        /** The process exit code, one of the constants of {@link ExitCodes}. */
        int exitCode();

        /** The CamelCase result reason ({@link ResultReasons}). */
        String resultReason();
    }
}
