package dev.linuximage.core.guest;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** KERNEL-VFAT and KERNEL-UDF: removes only the modprobe.d lines that disable vfat or udf. */
public final class ModprobePatch {
    private ModprobePatch() {}

    public static String requirement(String module) {
        return module.equals("vfat") ? "KERNEL-VFAT" : "KERNEL-UDF";
    }

    public static void apply(GuestEditor ed, GuestInspection g) throws IOException {
        Map<String, List<GuestInspection.ModprobeRule>> byFile = new TreeMap<>();
        for (GuestInspection.ModprobeRule r : g.modprobeRules()) {
            if (r.module().equals("vfat") || r.module().equals("udf")) {
                byFile.computeIfAbsent(r.file(), f -> new ArrayList<>()).add(r);
            }
        }
        for (Map.Entry<String, List<GuestInspection.ModprobeRule>> e : byFile.entrySet()) {
            List<String> lines = new ArrayList<>(
                    GuestReader.lines(ed.reader().text(e.getKey()).orElse("")));
            List<GuestInspection.ModprobeRule> rules = e.getValue();
            for (int i = rules.size() - 1; i >= 0; i--) {
                lines.remove(rules.get(i).line() - 1);
            }
            String req = rules.stream()
                                    .map(GuestInspection.ModprobeRule::module)
                                    .distinct()
                                    .count()
                            > 1
                    ? "KERNEL-VFAT"
                    : requirement(rules.get(0).module());
            ed.writeText(req, e.getKey(), lines.isEmpty() ? "" : String.join("\n", lines) + "\n");
        }
    }
}
