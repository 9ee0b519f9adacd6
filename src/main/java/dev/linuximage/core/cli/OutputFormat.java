package dev.linuximage.core.cli;

import dev.linuximage.core.report.CoreException;
import dev.linuximage.core.report.ExitCodes;
import java.util.Locale;

/**
 * {@code -o FORMAT} / {@code --output FORMAT}: az's ({@code -o json}) and qemu-img's ({@code --output=json}) spelling
 * of {@code --json}, offered by every command that has {@code --json}. {@code prepare} takes {@code -o} only: its
 * {@code --output} has been the VHD path since the first release (a stable spelling, docs/cli.md).
 */
final class OutputFormat {
    /** The help text of the option. */
    static final String HELP =
            "json (the same as --json) or text (the default); as az's '-o json' and" + " qemu-img's '--output=json'";

    /** The help text of {@code prepare}'s {@code -o}, whose {@code --output} is the VHD path. */
    static final String HELP_SHORT_ONLY =
            "json (the same as --json) or text (the default), as az's '-o json'; --output is the VHD path here";

    private OutputFormat() {}

    /**
     * Whether the command prints JSON.
     *
     * @param jsonFlag {@code --json} was given
     * @param format the value of {@code -o}/{@code --output}, or null when not given
     * @throws CoreException exit code 2 for an unknown format or {@code --json} with {@code -o text}
     */
    static boolean json(boolean jsonFlag, String format) {
        if (format == null) {
            return jsonFlag;
        }
        switch (format.toLowerCase(Locale.ROOT)) {
            case "json":
                return true;
            case "text":
                if (jsonFlag) {
                    throw new CoreException(ExitCodes.USAGE, "--json contradicts -o text: give one of them");
                }
                return false;
            default:
                throw new CoreException(ExitCodes.USAGE, "-o/--output: unknown format '" + format + "' (json or text)");
        }
    }
}
