package dev.linuximage.core.guest;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Kernel release strings ({@code 2.6.32-504.el6.x86_64}, {@code 6.1.0-26-amd64}) compared numerically. */
public final class KernelVersion {
    private static final Pattern REL = Pattern.compile("^(\\d+(?:\\.\\d+)*)(?:-(\\d+))?");

    private KernelVersion() {}

    /** Upstream version numbers (2, 6, 32), empty when the string does not start with digits. */
    public static List<Integer> base(String release) {
        Matcher m = REL.matcher(release);
        List<Integer> out = new ArrayList<>();
        if (m.find()) {
            for (String p : m.group(1).split("\\.")) {
                out.add(safeInt(p));
            }
        }
        return out;
    }

    /** The first number after the dash (the distribution's build, 504 in {@code 2.6.32-504.el6}), or -1. */
    public static int build(String release) {
        Matcher m = REL.matcher(release);
        return m.find() && m.group(2) != null ? safeInt(m.group(2)) : -1;
    }

    private static int safeInt(String s) {
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            return Integer.MAX_VALUE;
        }
    }

    public static int compare(List<Integer> a, List<Integer> b) {
        for (int i = 0; i < Math.max(a.size(), b.size()); i++) {
            int x = i < a.size() ? a.get(i) : 0;
            int y = i < b.size() ? b.get(i) : 0;
            if (x != y) {
                return Integer.compare(x, y);
            }
        }
        return 0;
    }

    /**
     * KERNEL-NUMA (catalogue "Kernel"; the seeds' "kernels older than 2.6.37 do not support NUMA on Hyper-V", fixed
     * in RHEL 6.6's kernel-2.6.32-504): a kernel before 2.6.37 needs {@code numa=off}, except a Red Hat-built 2.6.32
     * kernel from build 504 on (the fix was back-ported). A kernel counts as Red Hat-built on a Red Hat-family guest
     * or when its release carries an {@code .el} tag ({@code 2.6.32-754.el6.x86_64}). An unparsable release never
     * needs it.
     */
    public static boolean needsNumaOff(String release, boolean redHatFamily) {
        List<Integer> b = base(release);
        if (b.isEmpty() || compare(b, List.of(2, 6, 37)) >= 0) {
            return false;
        }
        boolean redHatBuilt = redHatFamily || release.matches(".*\\.el\\d.*");
        return !(redHatBuilt && compare(b, List.of(2, 6, 32)) == 0 && build(release) >= 504);
    }
}
