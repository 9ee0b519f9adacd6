package dev.linuximage.core.compliance;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The requirement catalogue (docs/requirements.md): every ID, in report order, with a short title. */
public final class Requirements {
    private static final Map<String, String> TITLES = new LinkedHashMap<>();

    static {
        t("DISK-FORMAT", "Fixed VHD");
        t("DISK-ALIGN", "Virtual size is a whole MiB");
        t("DISK-MAXSIZE", "Disk size within the limit");
        t("DISK-FOOTER", "Valid VHD footer");
        t("DISK-GPT", "GPT consistent at the final size");
        t("BOOT-GENERATION", "Boots as Hyper-V Gen1 and/or Gen2");
        t("PART-LVM", "No LVM on the OS disk");
        t("SWAP-OS-DISK", "No swap on the OS disk");
        t("KERNEL-HV-DRIVERS", "Hyper-V drivers available at boot");
        t("KERNEL-VFAT", "VFAT available");
        t("KERNEL-UDF", "UDF available");
        t("KERNEL-NUMA", "numa=off on old kernels");
        t("KERNEL-LIS", "Linux Integration Services in the kernel");
        t("CMDLINE-CONSOLE", "Serial console and Azure kernel arguments");
        t("CMDLINE-NOQUIET", "No rhgb/quiet/crashkernel=auto");
        t("SSH-SERVER", "SSH server enabled");
        t("AGENT-PRESENT", "Provisioning agent present and enabled");
        t("AGENT-NETWORKMANAGER", "waagent and NetworkManager");
        t("WAAGENT-RESOURCEDISK", "waagent handles the resource disk");
        t("WAAGENT-CLOUDINIT", "waagent defers to cloud-init");
        t("CLOUDINIT-DATASOURCE", "cloud-init Azure datasource");
        t("CLOUDINIT-MOUNTS", "cloud-init mounts and disk_setup modules");
        t("CLOUDINIT-SWAP", "cloud-init resource-disk swap (opt-in)");
        t("CLOUDINIT-LOGGING", "cloud-init output log");
        t("RESOURCE-SWAPFILE", "No stale resource-disk swap file");
        t("DEPROVISION-AGENT-STATE", "Agent state and logs removed");
        t("DEPROVISION-SSH-HOSTKEYS", "SSH host keys removed");
        t("DEPROVISION-USERS", "Users, keys, passwords and history removed");
        t("DEPROVISION-MACHINE", "Machine identity reset");
        t("DEPROVISION-SECRETS", "No private keys left");
        t("NOAGENT-DHCP", "DHCP client present");
        t("NOAGENT-REPORT-READY", "Report-ready unit installed");
        t("NOAGENT-NO-WAAGENT", "waagent absent or disabled");
    }

    /**
     * Items whose catalogue repair is "none: warn" or that are opt-in: they never decide compliance, so an Unknown
     * there does not either. Every other item is required, and its Unknown makes check/prepare not compliant unless
     * the user allows it.
     */
    private static final List<String> ADVISORY =
            List.of("PART-LVM", "KERNEL-LIS", "AGENT-NETWORKMANAGER", "CLOUDINIT-SWAP");

    private Requirements() {}

    /** IDs whose Unknown never blocks compliance ({@link #ADVISORY}). */
    public static List<String> advisory() {
        return ADVISORY;
    }

    private static void t(String id, String title) {
        TITLES.put(id, title);
    }

    /** Every requirement ID, in catalogue order. */
    public static List<String> ids() {
        return List.copyOf(TITLES.keySet());
    }

    public static String title(String id) {
        return TITLES.getOrDefault(id, id);
    }
}
