package dev.linuximage.core.report;

import java.util.List;

/**
 * One finding per requirement ID.
 *
 * @param id       the stable requirement ID, e.g. {@code CMDLINE-CONSOLE}
 * @param status   the outcome
 * @param message  one human sentence
 * @param evidence what was read (file, line, value)
 * @param repair   the repair done ({@code Fixed}) or advised ({@code Fail}/{@code Warn}); null when none
 */
public record Finding(String id, FindingStatus status, String message, List<Evidence> evidence, String repair) {
    public Finding {
        evidence = evidence == null ? List.of() : List.copyOf(evidence);
    }
}
