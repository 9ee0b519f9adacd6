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
    /**
     * Ubuntu's installer (subiquity) leaves these behind: {@code 99-installer.cfg} (mode 0600: it carries the
     * installer's user data) sets {@code datasource_list: [None]} with the install-time user data as NoCloud-like
     * {@code datasource: None}, and sorts after {@code 91-azure_datasource.cfg}, so it wins the merge; the other sets
     * {@code network: {config: disabled}}, so cloud-init never writes the first boot's network configuration. Both
     * are listed in subiquity's own {@code /etc/cloud/clean.d/99-installer} hook: {@code cloud-init clean} deletes
     * them when an image is generalized, and so does this patch.
     */
    public static final List<String> INSTALLER_LEFTOVERS = List.of(
            CloudConfig.DIR + "/99-installer.cfg", CloudConfig.DIR + "/subiquity-disable-cloudinit-networking.cfg");

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

    private CloudInitPatch() {}

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
        boolean noNet = anc != null
                && (anc.isBoolean() ? !anc.asBoolean() : anc.asText().equalsIgnoreCase("false"));
        return azure && noNet;
    }

    /** The module lists cloud-init runs after the init stage. */
    static final List<String> LATER_STAGES = List.of("cloud_config_modules", "cloud_final_modules");

    static final List<String> INIT_STAGE_MODULES = List.of("disk_setup", "mounts");

    /**
     * {@code disk_setup} and {@code mounts} run once, in the init stage: the documents delete every
     * {@code - mounts} / {@code - disk_setup} line of cloud.cfg and add them to {@code cloud_init_modules} (Red
     * Hat's cloud.cfg lists {@code mounts} in {@code cloud_config_modules}).
     */
    public static boolean mountsOk(CloudConfig c) {
        List<String> m = c.modules("cloud_init_modules");
        for (String mod : INIT_STAGE_MODULES) {
            if (m.stream().filter(mod::equals).count() != 1) {
                return false;
            }
            for (String later : LATER_STAGES) {
                if (c.modules(later).contains(mod)) {
                    return false;
                }
            }
        }
        return true;
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
            if (m.isArray()
                    && m.size() >= 3
                    && m.get(0).asText().equals("ephemeral0.2")
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
        for (String f : INSTALLER_LEFTOVERS) {
            ed.delete("CLOUDINIT-DATASOURCE", f);
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
        List<String> lines = dropLaterAndDuplicates(GuestReader.lines(text));
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
            String joined = String.join("\n", lines) + "\n";
            return joined.equals(String.join("\n", GuestReader.lines(text)) + "\n") ? text : joined;
        }
        return String.join("\n", lines) + "\n";
    }

    /**
     * Drops {@code disk_setup}/{@code mounts} items from the later-stage lists and repeated ones from
     * {@code cloud_init_modules} (the first stays), so each runs once, in the init stage.
     */
    static List<String> dropLaterAndDuplicates(List<String> in) {
        List<String> out = new ArrayList<>();
        String list = null;
        List<String> seen = new ArrayList<>();
        for (String l : in) {
            Matcher k = TOP_KEY.matcher(l);
            if (k.matches()) {
                list = k.group(1);
            }
            Matcher m = ITEM.matcher(l);
            if (list != null && !k.matches() && m.matches() && INIT_STAGE_MODULES.contains(m.group(3))) {
                if (LATER_STAGES.contains(list)) {
                    continue;
                }
                if (list.equals("cloud_init_modules")) {
                    if (seen.contains(m.group(3))) {
                        continue;
                    }
                    seen.add(m.group(3));
                }
            }
            out.add(l);
        }
        return out;
    }
}
