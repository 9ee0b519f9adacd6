package dev.linuximage.core.compliance;

import dev.linuximage.core.report.Finding;
import dev.linuximage.core.report.FindingStatus;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Runs every requirement family and returns exactly one finding per catalogue ID, in catalogue order. */
public final class CheckSuite {
    private CheckSuite() {}

    public static List<Finding> run(CheckContext c) {
        List<Finding> all = new ArrayList<>();
        all.addAll(DiskChecks.check(c));
        all.addAll(BootChecks.check(c));
        all.addAll(KernelChecks.check(c));
        all.addAll(NetworkChecks.amendConsole(c, CmdlineChecks.check(c)));
        all.addAll(AgentChecks.check(c));
        all.addAll(CloudInitChecks.check(c));
        all.addAll(DeprovisionChecks.check(c));
        all.addAll(NoAgentChecks.check(c));
        Map<String, Finding> byId = new LinkedHashMap<>();
        for (Finding f : all) {
            if (byId.putIfAbsent(f.id(), f) != null) {
                throw new IllegalStateException("two findings for " + f.id());
            }
        }
        List<Finding> out = new ArrayList<>();
        for (String id : Requirements.ids()) {
            Finding f = byId.remove(id);
            out.add(f != null ? f : new Finding(id, FindingStatus.Unknown, "not evaluated", List.of(), null));
        }
        if (!byId.isEmpty()) {
            throw new IllegalStateException("findings for unknown IDs " + byId.keySet());
        }
        return out;
    }
}
