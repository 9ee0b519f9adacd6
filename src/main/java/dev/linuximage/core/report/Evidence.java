package dev.linuximage.core.report;

/**
 * What a check read: the guest file (or disk structure), the 1-based line when there is one, and the value seen.
 * Never carries secrets: values from credentials are not evidence.
 */
public record Evidence(String file, Integer line, String value) {
    public static Evidence of(String file, String value) {
        return new Evidence(file, null, value);
    }
}
