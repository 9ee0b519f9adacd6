package dev.linuximage.core.compliance;

import dev.linuximage.core.report.Evidence;
import dev.linuximage.core.report.Finding;
import dev.linuximage.core.report.FindingStatus;
import java.util.List;

/** Short builders for findings. */
final class Findings {
    private Findings() {}

    static Finding pass(String id, String msg, List<Evidence> ev) {
        return new Finding(id, FindingStatus.Pass, msg, ev, null);
    }

    static Finding fail(String id, String msg, List<Evidence> ev, String repair) {
        return new Finding(id, FindingStatus.Fail, msg, ev, repair);
    }

    static Finding warn(String id, String msg, List<Evidence> ev, String repair) {
        return new Finding(id, FindingStatus.Warn, msg, ev, repair);
    }

    static Finding na(String id, String msg) {
        return new Finding(id, FindingStatus.NotApplicable, msg, List.of(), null);
    }

    static Finding unknown(String id, String msg, List<Evidence> ev) {
        return new Finding(id, FindingStatus.Unknown, msg, ev, null);
    }

    static Evidence ev(String file, Integer line, String value) {
        return new Evidence(file, line, value);
    }

    static Evidence ev(String file, String value) {
        return Evidence.of(file, value);
    }

    /** At most {@code n} evidence items (a guest may have thousands of matches). */
    static List<Evidence> cap(List<Evidence> ev, int n) {
        return ev.size() <= n ? ev : ev.subList(0, n);
    }
}
