package dev.linuximage.core.format;

import dev.linuximage.core.report.BadInputException;
import dev.linuximage.core.report.ExitCodes;

/**
 * The one typed error of the format engine: a disk container is malformed, hostile, or uses a feature we refuse
 * (backing file, encryption, differencing, dirty log, foreign extent). Exit code {@link ExitCodes#BAD_INPUT}.
 * Carries the format, the header field and the offending value so the message is actionable.
 */
public class FormatException extends BadInputException {
    private final String format;
    private final String field;
    private final String value;

    public FormatException(String format, String field, Object value, String message) {
        super(Reason.UNSUPPORTED_IMAGE, format + ": " + field + "=" + value + ": " + message);
        this.format = format;
        this.field = field;
        this.value = String.valueOf(value);
    }

    public FormatException(String format, String field, Object value, String message, Throwable cause) {
        super(Reason.UNSUPPORTED_IMAGE, format + ": " + field + "=" + value + ": " + message, cause);
        this.format = format;
        this.field = field;
        this.value = String.valueOf(value);
    }

    public String format() {
        return format;
    }

    public String field() {
        return field;
    }

    public String value() {
        return value;
    }
}
