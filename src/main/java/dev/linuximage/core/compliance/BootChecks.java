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
    private BootChecks() {
    }

    static List<Finding> check(CheckContext c) {
        return List.of(generation(c.disk()), lvm(c.disk()), swap(c));
    }

    static Finding generation(DiskFacts d) {
        String id = "BOOT-GENERATION";
        if (d == null) {
            return F.unknown(id, "no partition facts: needs the disk, not only its files", List.of());
        }
        List<Evidence> ev = List.of(F.ev("partition table", "scheme=" + d.partitionScheme()
                + ", mbrBootCode=" + d.hasMbrBootCode() + ", biosBootPartition=" + d.hasBiosBootPartition()
                + ", esp=" + d.hasEsp() + ", espBootx64=" + d.espHasBootx64()));
        boolean g1 = d.bootsGen1();
        boolean g2 = d.bootsGen2();
        if (!g1 && !g2) {
            return F.fail(id, "The disk boots neither as Gen1 (BIOS) nor as Gen2 (UEFI).", ev,
                    "install a boot loader: MBR/BIOS-boot GRUB for Gen1 or \\EFI\\BOOT\\BOOTX64.EFI on an ESP for Gen2");
        }
        String gens = g1 && g2 ? "Gen1 and Gen2" : g1 ? "Gen1 only" : "Gen2 only";
        String note = "";
        if (g1 && !g2 && d.hasEsp()) {
            note = " (the ESP lacks the fallback \\EFI\\BOOT\\BOOTX64.EFI, so not Gen2)";
        }
        return F.pass(id, "The disk boots as " + gens + note + ".", ev);
    }

    static Finding lvm(DiskFacts d) {
        String id = "PART-LVM";
        if (d == null) {
            return F.unknown(id, "no volume facts: needs the disk, not only its files", List.of());
        }
        if (d.usesLvmForRoot()) {
            return F.warn(id, "The root file system is on LVM; standard partitions are recommended on the OS disk "
                    + "(volume group names clash when disks of cloned VMs are attached).",
                    List.of(F.ev("volumes", "root on LVM")), "rebuild the OS disk with standard partitions");
        }
        return F.pass(id, "The root file system is on a standard partition.", List.of(F.ev("volumes", "no LVM root")));
    }

    static Finding swap(CheckContext c) {
        String id = "SWAP-OS-DISK";
        GuestInspection g = c.guest();
        List<Evidence> ev = new ArrayList<>();
        g.fstabSwap().forEach(s -> ev.add(F.ev(s.file(), s.line(), s.text().trim())));
        g.swapFiles().forEach(f -> ev.add(F.ev(f, "swap file")));
        List<Evidence> resume = ResumeChecks.problems(c);
        if (!ev.isEmpty() || !resume.isEmpty()) {
            ev.addAll(resume);
            return F.fail(id, ev.size() > resume.size()
                            ? "Swap is configured on the OS disk; it belongs on the resource disk."
                            : "The initramfs may wait for or resume from a swap device.", ev,
                    "comment out the fstab swap entries and delete the swap files; neutralise resume: noresume "
                            + "on the kernel command line, RESUME=none in " + ResumeConfig.CONF);
        }
        List<String> parts = c.disk() == null ? List.of() : c.disk().swapPartitions();
        if (!parts.isEmpty()) {
            return F.warn(id, "The OS disk has swap partitions not used by fstab; they waste OS-disk space.",
                    parts.stream().map(p -> F.ev("partition table", p)).toList(),
                    "delete the swap partitions when rebuilding the disk");
        }
        return F.pass(id, "No swap on the OS disk (fstab, swap files" + (c.disk() == null ? "" : ", partitions")
                + ").", List.of(F.ev("/etc/fstab", "no swap entries"), ResumeChecks.state(c)));
    }
}
