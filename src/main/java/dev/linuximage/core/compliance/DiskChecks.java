package dev.linuximage.core.compliance;

import dev.linuximage.core.format.vhd.VhdFormat;
import dev.linuximage.core.guest.ContainerFacts;
import dev.linuximage.core.guest.DiskFacts;
import dev.linuximage.core.report.Evidence;
import dev.linuximage.core.report.Finding;
import dev.linuximage.core.report.FindingStatus;
import java.util.ArrayList;
import java.util.List;

/**
 * DISK-FORMAT, DISK-ALIGN, DISK-MAXSIZE, DISK-FOOTER, from the converter's {@link ContainerFacts}; DISK-GPT from the
 * partition layer's {@link DiskFacts.GptFacts} (the disk as it is now) and the converter's repair record.
 */
final class DiskChecks {
    static final long MIB = 1L << 20;

    private DiskChecks() {}

    static List<Finding> check(CheckContext c) {
        List<Finding> out = new ArrayList<>(container(c));
        out.add(gpt(c));
        return out;
    }

    /**
     * DISK-GPT: the GPT read at the disk's size (what {@code sgdisk -v} on the raw view judges). When the converter
     * rebuilt it on the way to this disk, the finding is {@code Fixed} with what was found and what was rewritten.
     */
    static Finding gpt(CheckContext c) {
        String id = "DISK-GPT";
        DiskFacts d = c.disk();
        if (d == null) {
            return Findings.unknown(id, "no partition facts: needs the disk, not only its files", List.of());
        }
        DiskFacts.GptFacts g = d.gpt();
        if (g == null && "GPT".equals(d.partitionScheme())) {
            return Findings.unknown(
                    id, "The GPT's primary/backup consistency was not examined (no GPT facts).", List.of());
        }
        if (g == null) {
            return Findings.na(id, "The disk has no GPT (partition table: " + d.partitionScheme() + ").");
        }
        String table = "partition table (GPT)";
        if (!g.consistent()) {
            List<Evidence> ev = new ArrayList<>();
            g.problems().forEach(p -> ev.add(Findings.ev(table, p)));
            return Findings.fail(
                    id,
                    "The GPT is not consistent at the disk's size: "
                            + g.problems().get(0) + ".",
                    Findings.cap(ev, 12),
                    g.repairable()
                            ? "run linuximage prepare (or convert): it rebuilds the backup header and entries at the"
                                    + " last LBA from the valid primary (as sgdisk -e does), or restores the primary from the"
                                    + " valid backup, in the output; the input is never written"
                            : "neither GPT header is valid: re-create the partition table (e.g. sgdisk) and check"
                                    + " the partitions");
        }
        ContainerFacts ct = c.container();
        if (ct != null && !ct.gptRebuilt().isEmpty()) {
            List<Evidence> ev = new ArrayList<>();
            ct.gptFound().forEach(p -> ev.add(Findings.ev(table, "found: " + p)));
            ct.gptRebuilt().forEach(a -> ev.add(Findings.ev(table, "rebuilt: " + a)));
            ev.add(Findings.ev(table, "now: " + g.summary()));
            return new Finding(
                    id,
                    FindingStatus.Fixed,
                    "The GPT was inconsistent at the disk's final size; the" + " converter rebuilt it.",
                    Findings.cap(ev, 16),
                    String.join("; ", ct.gptRebuilt()));
        }
        return Findings.pass(
                id,
                "Primary and backup GPT agree, the backup header is the last sector and its entries sit"
                        + " just before it.",
                List.of(Findings.ev(table, g.summary())));
    }

    private static List<Finding> container(CheckContext c) {
        ContainerFacts d = c.container();
        if (d == null) {
            String why = "no container facts: decided on the converted output (run prepare or check a VHD)";
            return List.of(
                    Findings.unknown("DISK-FORMAT", why, List.of()),
                    Findings.unknown("DISK-ALIGN", why, List.of()),
                    Findings.unknown("DISK-MAXSIZE", why, List.of()),
                    Findings.unknown("DISK-FOOTER", why, List.of()));
        }
        String file = "disk";
        boolean fixedVhd = VhdFormat.KIND.equals(d.format());
        Finding format = fixedVhd
                ? Findings.pass(
                        "DISK-FORMAT", "The disk is a fixed VHD.", List.of(Findings.ev(file, "format=" + d.format())))
                : Findings.fail(
                        "DISK-FORMAT",
                        "Azure accepts only fixed VHDs; this disk is " + d.format() + ".",
                        List.of(Findings.ev(file, "format=" + d.format())),
                        "convert to a fixed VHD (linuximage convert/prepare)");
        long v = d.virtualSizeBytes();
        Finding align;
        if (v % MIB == 0 && (!fixedVhd || d.fileSizeBytes() == v + 512)) {
            align = Findings.pass(
                    "DISK-ALIGN",
                    "The virtual size is " + (v / MIB) + " MiB exactly.",
                    List.of(Findings.ev(file, "virtualSize=" + v)));
        } else {
            long up = (v + MIB - 1) / MIB * MIB;
            align = Findings.fail(
                    "DISK-ALIGN",
                    v % MIB != 0
                            ? "The virtual size " + v + " bytes is not a whole number of MiB."
                            : "The VHD file is " + d.fileSizeBytes() + " bytes, expected virtual size + 512.",
                    List.of(Findings.ev(file, "virtualSize=" + v + ", fileSize=" + d.fileSizeBytes())),
                    "round the virtual size up to " + up + " bytes (convert)");
        }
        long max = c.options().maxDiskSizeBytes();
        Finding size = v <= max
                ? Findings.pass(
                        "DISK-MAXSIZE",
                        "The virtual size is within the " + max + "-byte limit.",
                        List.of(Findings.ev(file, "virtualSize=" + v)))
                : Findings.fail(
                        "DISK-MAXSIZE",
                        "The virtual size " + v + " bytes exceeds the limit of " + max + " bytes.",
                        List.of(Findings.ev(file, "virtualSize=" + v)),
                        "shrink the guest file systems and partitions");
        Finding footer;
        if (!fixedVhd) {
            footer = Findings.na("DISK-FOOTER", "Not a VHD: the converter writes the footer.");
        } else if (d.footerProblem() == null) {
            footer = Findings.pass("DISK-FOOTER", "The VHD footer is valid.", List.of(Findings.ev(file, "footer ok")));
        } else {
            footer = Findings.fail(
                    "DISK-FOOTER",
                    "The VHD footer is invalid: " + d.footerProblem() + ".",
                    List.of(Findings.ev(file, d.footerProblem())),
                    "rewrite the footer (convert)");
        }
        return List.of(format, align, size, footer);
    }
}
