package dev.linuximage.core.compliance;

import dev.linuximage.core.guest.DiskFacts;
import dev.linuximage.core.guest.GuestInspection;
import dev.linuximage.core.guest.ResumeConfig;
import dev.linuximage.core.report.Evidence;
import dev.linuximage.core.report.Finding;
import java.util.ArrayList;
import java.util.List;

/** BOOT-GENERATION, PART-LVM, SWAP-OS-DISK. */
final class BootChecks {
    private BootChecks() {}

    static List<Finding> check(CheckContext c) {
        return List.of(generation(c.disk()), lvm(c.disk()), swap(c));
    }

    static Finding generation(DiskFacts d) {
        String id = "BOOT-GENERATION";
        if (d == null) {
            return Findings.unknown(id, "no partition facts: needs the disk, not only its files", List.of());
        }
        List<Evidence> ev = List.of(Findings.ev(
                "partition table",
                "scheme=" + d.partitionScheme()
                        + ", mbrBootCode=" + d.hasMbrBootCode() + ", biosBootPartition=" + d.hasBiosBootPartition()
                        + ", esp=" + d.hasEsp() + ", espBootx64=" + d.espHasBootx64()));
        boolean g1 = d.bootsGen1();
        boolean g2 = d.bootsGen2();
        if (!g1 && !g2) {
            return Findings.fail(
                    id,
                    "The disk boots neither as Gen1 (BIOS) nor as Gen2 (UEFI).",
                    ev,
                    "install a boot loader: MBR/BIOS-boot GRUB for Gen1 or \\EFI\\BOOT\\BOOTX64.EFI on an ESP for Gen2");
        }
        String gens = g1 && g2 ? "Gen1 and Gen2" : g1 ? "Gen1 only" : "Gen2 only";
        String note = "";
        if (g1 && !g2 && d.hasEsp()) {
            note = " (the ESP lacks the fallback \\EFI\\BOOT\\BOOTX64.EFI, so not Gen2)";
        }
        return Findings.pass(id, "The disk boots as " + gens + note + ".", ev);
    }

    static Finding lvm(DiskFacts d) {
        String id = "PART-LVM";
        if (d == null) {
            return Findings.unknown(id, "no volume facts: needs the disk, not only its files", List.of());
        }
        if (d.usesLvmForRoot()) {
            return Findings.warn(
                    id,
                    "The root file system is on LVM; standard partitions are recommended on the OS disk "
                            + "(volume group names clash when disks of cloned VMs are attached).",
                    List.of(Findings.ev("volumes", "root on LVM")),
                    "rebuild the OS disk with standard partitions");
        }
        return Findings.pass(
                id, "The root file system is on a standard partition.", List.of(Findings.ev("volumes", "no LVM root")));
    }

    /** Where systemd installs its generators (split and merged /usr). */
    static final List<String> GPT_AUTO_GENERATOR = List.of(
            "/usr/lib/systemd/system-generators/systemd-gpt-auto-generator",
            "/lib/systemd/system-generators/systemd-gpt-auto-generator");
    /** A same-named link to /dev/null here disables a generator (systemd.generator(7)). */
    static final List<String> GENERATOR_MASKS = List.of(
            "/etc/systemd/system-generators/systemd-gpt-auto-generator",
            "/run/systemd/system-generators/systemd-gpt-auto-generator");

    /**
     * SWAP-OS-DISK is about swap <em>at boot</em>: fstab swap lines and swap files, and GPT partitions of the Linux
     * swap type that systemd-gpt-auto-generator enables without any fstab line ("all swap partitions on the disk
     * containing the root partition are automatically enabled", Discoverable Partitions Specification) unless their
     * attribute bit 63 ("no-auto") is set. MBR swap partitions (type 0x82) are never enabled without configuration:
     * the generator reads GPT only.
     */
    static Finding swap(CheckContext c) {
        String id = "SWAP-OS-DISK";
        GuestInspection g = c.guest();
        List<Evidence> ev = new ArrayList<>();
        g.fstabSwap()
                .forEach(s -> ev.add(Findings.ev(s.file(), s.line(), s.text().trim())));
        g.swapFiles().forEach(f -> ev.add(Findings.ev(f, "swap file")));
        List<Evidence> resume = ResumeChecks.problems(c);
        List<String> repairs = new ArrayList<>();
        if (!ev.isEmpty()) {
            repairs.add("comment out the fstab swap entries and delete the swap files");
        }
        DiskFacts d = c.disk();
        String generator = gptAutoGenerator(c);
        List<Evidence> inactive = new ArrayList<>();
        List<Integer> autoSwap = new ArrayList<>();
        if (d != null) {
            for (DiskFacts.SwapPartition p : d.swapTypePartitions()) {
                String part = "partition table (" + p.scheme() + ")";
                if ("MBR".equals(p.scheme())) {
                    inactive.add(Findings.ev(
                            part,
                            "partition " + p.number() + ": type 82 (Linux swap); not enabled at"
                                    + " boot without an fstab line: systemd-gpt-auto-generator reads GPT disks only"));
                } else if (p.noAuto()) {
                    inactive.add(Findings.ev(
                            part,
                            "partition " + p.number() + ": Linux swap type, attribute bit 63"
                                    + " (no-auto) set: systemd-gpt-auto-generator skips it"));
                } else if (generator == null) {
                    inactive.add(Findings.ev(
                            part,
                            "partition " + p.number() + ": Linux swap type without attribute bit"
                                    + " 63, but the guest has no systemd-gpt-auto-generator to enable it"));
                } else {
                    autoSwap.add(p.number());
                    ev.add(Findings.ev(
                            part,
                            "partition " + p.number() + ": Linux swap type (0657FD6D-A4AB-43C4-84E5-"
                                    + "0933C84B4F4F) without attribute bit 63 (no-auto): " + generator
                                    + " enables it at"
                                    + " boot, with or without an fstab line"));
                }
            }
        }
        if (!autoSwap.isEmpty()) {
            repairs.add("set GPT attribute bit 63 (no-auto) on partition" + (autoSwap.size() > 1 ? "s " : " ")
                    + autoSwap.stream().map(String::valueOf).collect(java.util.stream.Collectors.joining(", "))
                    + " in both GPT entry arrays (prepare does it)");
        }
        if (!resume.isEmpty()) {
            repairs.add("neutralise resume: noresume on the kernel command line, RESUME=none in " + ResumeConfig.CONF);
        }
        if (!ev.isEmpty() || !resume.isEmpty()) {
            boolean swapOn = !ev.isEmpty();
            ev.addAll(resume);
            ev.addAll(inactive);
            return Findings.fail(
                    id,
                    swapOn
                            ? "Swap is enabled on the OS disk at boot; it belongs on the resource disk."
                            : "The initramfs may wait for or resume from a swap device.",
                    Findings.cap(ev, 16),
                    String.join("; ", repairs));
        }
        List<String> others = d == null ? List.of() : d.swapPartitions();
        if (!inactive.isEmpty() || !others.isEmpty()) {
            List<Evidence> all = new ArrayList<>(inactive);
            if (inactive.isEmpty()) {
                others.forEach(
                        p -> all.add(Findings.ev("volumes", p + ": swap, not in fstab: nothing enables it at boot")));
            }
            all.add(Findings.ev("/etc/fstab", "no swap entries"));
            all.add(ResumeChecks.state(c));
            return Findings.pass(
                    id,
                    "No swap is enabled on the OS disk at boot; the swap partitions left there only take" + " space.",
                    Findings.cap(all, 16));
        }
        return Findings.pass(
                id,
                "No swap on the OS disk (fstab, swap files" + (d == null ? "" : ", partitions") + ").",
                List.of(Findings.ev("/etc/fstab", "no swap entries"), ResumeChecks.state(c)));
    }

    /** The guest's systemd-gpt-auto-generator path when it is installed and not masked; null otherwise. */
    static String gptAutoGenerator(CheckContext c) {
        for (String mask : GENERATOR_MASKS) {
            if (c.reader().readLink(mask).map("/dev/null"::equals).orElse(false)) {
                return null;
            }
        }
        for (String p : GPT_AUTO_GENERATOR) {
            if (c.reader().isFile(p)) {
                return p;
            }
        }
        return null;
    }
}
