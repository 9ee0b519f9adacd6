package dev.linuximage.core.pipeline;

import dev.linuximage.core.io.OutputSpaceException;
import dev.linuximage.core.report.BadInputException;
import dev.linuximage.core.report.CoreException;
import dev.linuximage.core.report.ExitCodes;
import dev.linuximage.core.report.ResultReasons;

/**
 * The result reason of a failure (the error contract's second half, beside {@link ExitCodes#of(Throwable)}): here
 * rather than in the command line because the pipeline itself ends a failed upload in a result with its reason.
 */
public final class FailureReason {
    private FailureReason() {}

    /** The CamelCase {@link ResultReasons reason} of {@code e}, which ends the process with exit code {@code code}. */
    public static String of(Throwable e, int code) {
        if (e instanceof CoreException ce && ce.reason() != null) {
            return ce.reason();
        }
        if (code == ExitCodes.ERROR && OutputSpaceException.isNoSpace(e)) {
            return ResultReasons.OUTPUT_VOLUME_FULL;
        }
        if (e instanceof ExitCodes.Classified c) {
            return c.resultReason();
        }
        BadInputException bad = BadInputException.in(e);
        if (bad != null && code == ExitCodes.BAD_INPUT) {
            return bad.reason().resultReason();
        }
        return switch (code) {
            case ExitCodes.USAGE -> ResultReasons.INVALID_ARGUMENTS;
            case ExitCodes.BAD_INPUT -> ResultReasons.UNSUPPORTED_IMAGE;
            case ExitCodes.NOT_COMPLIANT -> ResultReasons.NOT_COMPLIANT;
            case ExitCodes.INTERRUPTED -> ResultReasons.INTERRUPTED;
            default -> ResultReasons.INTERNAL_ERROR;
        };
    }
}
