package dev.linuximage.core.guest;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * WAAGENT-RESOURCEDISK and WAAGENT-CLOUDINIT: {@code /etc/waagent.conf} keys per provisioning mode.
 *
 * <p>When waagent provisions, {@code Provisioning.Agent} must let it ({@code waagent}, or {@code auto} which picks
 * waagent when cloud-init is absent): distributions that package waagent beside cloud-init ship
 * {@code Provisioning.Agent=cloud-init} (Debian does), and such an agent waits at first boot for a cloud-init that
 * is not there and never reports Ready. A specialized image is not provisioned again: {@code disabled}.
 */
public final class WaagentConfPatch {
    public static final String PATH = "/etc/waagent.conf";

    private WaagentConfPatch() {}

    /** The requirement that governs waagent.conf for these options, or empty when none does (agent-less). */
    public static Optional<String> requirement(PatchOptions o) {
        return switch (o.provisioning()) {
            case WALinuxAgent -> Optional.of("WAAGENT-RESOURCEDISK");
            case CloudInit -> Optional.of("WAAGENT-CLOUDINIT");
            case None -> Optional.empty();
        };
    }

    /** Keys and the value each must have (the documents' settings). */
    public static Map<String, String> wanted(PatchOptions o) {
        Map<String, String> m = new LinkedHashMap<>();
        if (o.provisioning() == Provisioning.WALinuxAgent) {
            m.put("Provisioning.Agent", o.generalized() ? "waagent" : "disabled");
            m.put("ResourceDisk.Format", "y");
            m.put("ResourceDisk.Filesystem", "ext4");
            m.put("ResourceDisk.MountPoint", "/mnt/resource");
            m.put("ResourceDisk.EnableSwap", o.resourceDiskSwapMiB() > 0 ? "y" : "n");
            m.put("ResourceDisk.SwapSizeMB", Integer.toString(o.resourceDiskSwapMiB()));
        } else if (o.provisioning() == Provisioning.CloudInit) {
            m.put("Provisioning.Agent", o.generalized() ? "cloud-init" : "disabled");
            m.put("ResourceDisk.Format", "n");
            m.put("ResourceDisk.EnableSwap", "n");
        }
        return m;
    }

    /**
     * Whether a current value is acceptable. {@code auto} passes for waagent provisioning only: the documents turn
     * {@code auto} into {@code cloud-init} for cloud-init provisioning (their {@code sed} replaces it), because
     * {@code auto} hands provisioning to cloud-init only when waagent detects cloud-init as enabled at run time.
     */
    public static boolean acceptable(String key, String want, String have) {
        if (have == null) {
            return false;
        }
        if (key.equals("Provisioning.Agent") && want.equals("waagent") && have.equals("auto")) {
            return true;
        }
        return have.equals(want);
    }

    public static void apply(GuestEditor ed, PatchOptions o) throws IOException {
        Optional<String> req = requirement(o);
        Optional<String> text = ed.reader().text(PATH);
        if (req.isEmpty() || text.isEmpty()) {
            return;
        }
        List<String> lines = new ArrayList<>(GuestReader.lines(text.get()));
        Map<String, String> current = GuestInspector.keyValues(text);
        boolean changed = false;
        for (Map.Entry<String, String> w : wanted(o).entrySet()) {
            if (acceptable(w.getKey(), w.getValue(), current.get(w.getKey()))) {
                continue;
            }
            int last = -1;
            for (int i = 0; i < lines.size(); i++) {
                String t = lines.get(i).trim();
                if (!t.startsWith("#")
                        && t.contains("=")
                        && t.substring(0, t.indexOf('=')).trim().equals(w.getKey())) {
                    last = i;
                }
            }
            changed = true;
            String line = w.getKey() + "=" + w.getValue();
            if (last >= 0) {
                lines.set(last, line);
            } else {
                lines.add(line);
            }
        }
        if (changed) {
            ed.writeText(req.get(), PATH, String.join("\n", lines) + "\n");
        }
    }
}
