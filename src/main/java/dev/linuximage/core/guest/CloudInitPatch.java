package dev.linuximage.core.guest;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** CLOUDINIT-DATASOURCE, CLOUDINIT-MOUNTS, CLOUDINIT-SWAP (opt-in) and CLOUDINIT-LOGGING. */
public final class CloudInitPatch {
    public static final String DATASOURCE_FILE = CloudConfig.DIR + "/91-azure_datasource.cfg";
    public static final String LOGGING_FILE = CloudConfig.DIR + "/05_logging.cfg";
    public static final String SWAP_FILE = CloudConfig.DIR + "/00-azure-swap.cfg";
    public static final String OUTPUT_LOG = "/var/log/cloud-init-output.log";
    static final String OUTPUT_LINE = "output: {all: '| tee -a " + OUTPUT_LOG + "'}";

    static final String DATASOURCE = """
            # Azure is this image's only datasource; the network comes from DHCP, not from IMDS.
            # (linuximage: CLOUDINIT-DATASOURCE)
            datasource_list: [ Azure ]
            datasource:
              Azure:
                apply_network_config: False
            """;

    static final String SWAP = """
            #cloud-config
            # Swap lives on the Azure resource disk (ephemeral0), never on the OS disk: partition 1 (ext4) is mounted
            # on /mnt/resource, partition 2 (type 82) is swap. (linuximage: CLOUDINIT-SWAP)
            disk_setup:
              ephemeral0:
                table_type: mbr
                layout: [66, [33, 82]]
                overwrite: true
            fs_setup:
              - device: ephemeral0.1
                filesystem: ext4
              - device: ephemeral0.2
                filesystem: swap
            mounts:
              - ["ephemeral0.1", "/mnt/resource"]
              - ["ephemeral0.2", "none", "swap", "sw,nofail,x-systemd.requires=cloud-init.service,x-systemd.device-timeout=2", "0", "0"]
            """;

    private static final Pattern TOP_KEY = Pattern.compile("^([A-Za-z_][A-Za-z0-9_]*)\\s*:.*$");
    private static final Pattern ITEM = Pattern.compile("^(\\s*)-\\s*(\\[?\\s*['\"]?)([A-Za-z0-9_-]+).*$");

    private CloudInitPatch() {
    }

    public static boolean datasourceOk(CloudConfig c) {
        JsonNode list = c.get("datasource_list");
        if (list == null || !list.isArray()) {
            return false;
        }
        boolean azure = false;
        for (JsonNode e : list) {
            if (e.asText().equals("Azure")) {
                azure = true;
            } else if (!e.asText().equals("None")) {
                return false;
            }
        }
        JsonNode anc = c.get("datasource", "Azure", "apply_network_config");
        boolean noNet = anc != null && (anc.isBoolean() ? !anc.asBoolean() : anc.asText().equalsIgnoreCase("false"));
        return azure && noNet;
    }

    public static boolean mountsOk(CloudConfig c) {
        List<String> m = c.modules("cloud_init_modules");
        return m.contains("mounts") && m.contains("disk_setup");
    }

    public static boolean loggingOk(CloudConfig c) {
        JsonNode all = c.get("output", "all");
        return all != null && all.isTextual() && all.asText().contains(OUTPUT_LOG);
    }

    /** A resource-disk swap mount for {@code ephemeral0.2} exists in the merged configuration. */
    public static boolean swapOk(CloudConfig c) {
        JsonNode mounts = c.get("mounts");
        if (mounts == null || !mounts.isArray()) {
            return false;
        }
        for (JsonNode m : mounts) {
            if (m.isArray() && m.size() >= 3 && m.get(0).asText().equals("ephemeral0.2")
                    && m.get(2).asText().equals("swap")) {
                return true;
            }
        }
        return false;
    }

    public static void apply(GuestEditor ed, PatchOptions o) throws IOException {
        GuestReader r = ed.reader();
        if (!r.isFile(CloudConfig.MAIN)) {
            return; // cloud-init is not installed: AGENT-PRESENT reports it
        }
        if (!datasourceOk(CloudConfig.read(r))) {
            ed.writeText("CLOUDINIT-DATASOURCE", DATASOURCE_FILE, DATASOURCE);
        }
        if (!mountsOk(CloudConfig.read(r))) {
            String t = r.text(CloudConfig.MAIN).orElse("");
            String edited = addModules(t);
            if (edited != null) {
                ed.writeText("CLOUDINIT-MOUNTS", CloudConfig.MAIN, edited);
            }
        }
        if (!loggingOk(CloudConfig.read(r))) {
            String cur = r.text(LOGGING_FILE).orElse("");
            ed.writeText("CLOUDINIT-LOGGING", LOGGING_FILE, withOutputLine(cur));
        }
        if (o.cloudInitSwapDropIn() && !swapOk(CloudConfig.read(r))) {
            ed.writeText("CLOUDINIT-SWAP", SWAP_FILE, SWAP);
        }
    }

    /** Drops a top-level {@code output:} block and appends the wanted output line; the rest stays as written. */
    static String withOutputLine(String text) {
        List<String> out = new ArrayList<>();
        boolean skipping = false;
        for (String l : GuestReader.lines(text)) {
            Matcher k = TOP_KEY.matcher(l);
            if (k.matches()) {
                skipping = k.group(1).equals("output");
            } else if (skipping && !(l.startsWith(" ") || l.startsWith("\t") || l.isBlank())) {
                skipping = false;
            }
            if (!skipping) {
                out.add(l);
            }
        }
        if (out.isEmpty()) {
            out.add("# cloud-init output goes to " + OUTPUT_LOG + " (linuximage: CLOUDINIT-LOGGING)");
        }
        out.add(OUTPUT_LINE);
        return String.join("\n", out) + "\n";
    }

    /**
     * Adds {@code disk_setup} and {@code mounts} to the {@code cloud_init_modules} list of cloud.cfg, editing only
     * that list: {@code disk_setup} goes right before {@code mounts} when mounts is there, both go after the last
     * item otherwise. Returns null when the list cannot be found (no edit is safer than replacing the defaults).
     */
    static String addModules(String text) {
        List<String> lines = new ArrayList<>(GuestReader.lines(text));
        int start = -1;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).matches("^cloud_init_modules\\s*:\\s*(#.*)?$")) {
                start = i;
                break;
            }
        }
        if (start < 0) {
            return null;
        }
        int lastItem = -1;
        int mountsAt = -1;
        int diskSetupAt = -1;
        String indent = " ";
        for (int i = start + 1; i < lines.size(); i++) {
            String l = lines.get(i);
            if (l.isBlank() || l.trim().startsWith("#")) {
                continue;
            }
            Matcher m = ITEM.matcher(l);
            if (!m.matches()) {
                break;
            }
            if (lastItem < 0) {
                indent = m.group(1);
            }
            lastItem = i;
            if (m.group(3).equals("mounts")) {
                mountsAt = i;
            } else if (m.group(3).equals("disk_setup")) {
                diskSetupAt = i;
            }
        }
        if (lastItem < 0) {
            return null;
        }
        if (mountsAt >= 0 && diskSetupAt < 0) {
            lines.add(mountsAt, indent + "- disk_setup");
        } else if (mountsAt < 0 && diskSetupAt >= 0) {
            lines.add(diskSetupAt + 1, indent + "- mounts");
        } else if (mountsAt < 0) {
            lines.add(lastItem + 1, indent + "- mounts");
            lines.add(lastItem + 1, indent + "- disk_setup");
        } else {
            return text;
        }
        return String.join("\n", lines) + "\n";
    }
}
