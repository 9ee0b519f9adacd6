package dev.linuximage.core.report;

/**
 * One change {@code prepare} made to the guest, as reported.
 *
 * @param requirement the requirement ID it serves
 * @param path        guest path
 * @param action      {@code Created}, {@code Modified}, {@code Deleted}, {@code Symlinked}, {@code ModeChanged}
 * @param before      lines removed / previous state (secrets redacted), or null
 * @param after       lines added / new state (secrets redacted), or null
 */
public record ReportChange(String requirement, String path, String action, String before, String after) {}
