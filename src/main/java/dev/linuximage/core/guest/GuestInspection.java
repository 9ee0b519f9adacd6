package dev.linuximage.core.guest;

import java.util.List;
import java.util.Map;

/**
 * Everything the checks need to know about a guest, read from its files alone ({@link GuestInspector}).
 * Paths are guest paths; nothing here carries a secret (password hashes are reduced to a state).
 */
public record GuestInspection(
        OsInfo os,
        List<KernelInfo> kernels,
        BootCmdline.Result cmdline,
        List<SwapEntry> fstabSwap,
        List<String> swapFiles,
        SystemdUnits.UnitState ssh,
        boolean sshdBinary,
        SystemdUnits.UnitState waagentUnit,
        String waagentBinary,
        String waagentVersion,
        List<String> pythons,
        boolean pyasn1,
        Map<String, String> waagentConf,
        SystemdUnits.UnitState cloudInitUnit,
        boolean cloudInitInstalled,
        String cloudInitVersion,
        boolean cloudInitDisabledMarker,
        SystemdUnits.UnitState networkManager,
        List<ModprobeRule> modprobeRules,
        List<String> dhcpClients,
        List<PasswdEntry> users,
        String rootPassword,
        List<String> authorizedKeys,
        List<String> historyFiles,
        List<String> sshHostKeys,
        String machineId,
        String hostname,
        List<String> agentState,
        List<String> dhcpLeases,
        List<String> privateKeys,
        boolean systemd) {

    /** The guest's identity ({@link OsIdentity}); {@code source} is the release file read (or null when none). */
    public record OsInfo(String id, List<String> idLike, String versionId, String prettyName, String source) {
        public boolean redHatFamily() {
            return family() == OsIdentity.Family.REDHAT;
        }

        /** The distribution family ({@link OsIdentity#family}). */
        public OsIdentity.Family family() {
            return OsIdentity.family(this);
        }
    }

    /** An installed kernel: {@code /boot/vmlinuz-<version>} and/or {@code /lib/modules/<version>}. */
    public record KernelInfo(String version, String imagePath, String initramfsPath, boolean hasModules) {}

    /** An active {@code swap} line of /etc/fstab. */
    public record SwapEntry(String file, int line, String device, String text) {}

    /**
     * A modprobe.d line that disables a module.
     *
     * @param kind {@code install} (install X /bin/true|false) or {@code blacklist}
     */
    public record ModprobeRule(String file, int line, String module, String kind, String text) {}

    /** An /etc/passwd account (no password data). */
    public record PasswdEntry(String name, int uid, int gid, String home, String shell) {
        /** Regular login users as Debian and RHEL number them (1000..60000). */
        public boolean human() {
            return uid >= 1000 && uid < 60000;
        }
    }
}
