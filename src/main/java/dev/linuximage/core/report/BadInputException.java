package dev.linuximage.core.report;

import java.io.IOException;

/**
 * The root of every typed input error: a disk, its container, partition table, volume manager, file system or guest
 * file is malformed or uses something we refuse. Every parser's errors are (subclasses of) this; a plain
 * {@link IOException} is then a real I/O failure (or a bug). Exit code {@link ExitCodes#BAD_INPUT} (see
 * {@link ExitCodes#of(Reason)}): the Job does not retry, since the same input fails the same way.
 *
 * <p>The message names the structure, the field and the value ("xfs: inode 128: di_forkoff 300 beyond the inode"),
 * so a user (or a bug report) can find the byte that was refused. It never carries a secret.
 */
public class BadInputException extends IOException {

    /** Why the input was refused. */
    public enum Reason {
        /** A structure fails validation: bad magic, checksum, field out of range, inconsistent counters, a loop. */
        CORRUPT_IMAGE(ResultReasons.CORRUPT_IMAGE),
        /** Well-formed, but uses a feature, format or state we refuse (encryption, a dirty log, a full guest). */
        UNSUPPORTED_IMAGE(ResultReasons.UNSUPPORTED_IMAGE);

        private final String resultReason;

        Reason(String resultReason) {
            this.resultReason = resultReason;
        }

        /** The CamelCase reason of the command's result ({@link ResultReasons}). */
        public String resultReason() {
            return resultReason;
        }
    }

    private final Reason reason;

    public BadInputException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public BadInputException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    /** Corruption: a structure fails validation; {@code message} names the structure, field and value. */
    public static BadInputException corrupt(String message) {
        return new BadInputException(Reason.CORRUPT_IMAGE, message);
    }

    /** Refusal: a feature or state we do not handle; {@code message} names it. */
    public static BadInputException unsupported(String message) {
        return new BadInputException(Reason.UNSUPPORTED_IMAGE, message);
    }

    public Reason reason() {
        return reason;
    }

    /** {@link ExitCodes#of(Reason)} of this error's reason. */
    public int exitCode() {
        return ExitCodes.of(reason);
    }

    /** The first bad-input error in {@code t}'s cause chain (bounded: a cause cycle cannot loop), or null. */
    public static BadInputException in(Throwable t) {
        int depth = 0;
        for (Throwable c = t; c != null && depth < 32; c = c.getCause(), depth++) {
            if (c instanceof BadInputException b) {
                return b;
            }
        }
        return null;
    }
}
