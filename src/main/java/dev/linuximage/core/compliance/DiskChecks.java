package dev.linuximage.core.compliance;

import dev.linuximage.core.guest.ContainerFacts;
import dev.linuximage.core.report.Finding;

import java.util.List;

/** DISK-FORMAT, DISK-ALIGN, DISK-MAXSIZE, DISK-FOOTER, from the converter's {@link ContainerFacts}. */
final class DiskChecks {
    static final long MIB = 1L << 20;

    private DiskChecks() {
    }

    static List<Finding> check(CheckContext c) {
        ContainerFacts d = c.container();
        if (d == null) {
            String why = "no container facts: decided on the converted output (run prepare or check a VHD)";
            return List.of(F.unknown("DISK-FORMAT", why, List.of()), F.unknown("DISK-ALIGN", why, List.of()),
                    F.unknown("DISK-MAXSIZE", why, List.of()), F.unknown("DISK-FOOTER", why, List.of()));
        }
        String file = "disk";
        boolean fixedVhd = "vhd-fixed".equals(d.format());
        Finding format = fixedVhd
                ? F.pass("DISK-FORMAT", "The disk is a fixed VHD.", List.of(F.ev(file, "format=" + d.format())))
                : F.fail("DISK-FORMAT", "Azure accepts only fixed VHDs; this disk is " + d.format() + ".",
                List.of(F.ev(file, "format=" + d.format())), "convert to a fixed VHD (linuximage convert/prepare)");
        long v = d.virtualSizeBytes();
        Finding align;
        if (v % MIB == 0 && (!fixedVhd || d.fileSizeBytes() == v + 512)) {
            align = F.pass("DISK-ALIGN", "The virtual size is " + (v / MIB) + " MiB exactly.",
                    List.of(F.ev(file, "virtualSize=" + v)));
        } else {
            long up = (v + MIB - 1) / MIB * MIB;
            align = F.fail("DISK-ALIGN", v % MIB != 0
                            ? "The virtual size " + v + " bytes is not a whole number of MiB."
                            : "The VHD file is " + d.fileSizeBytes() + " bytes, expected virtual size + 512.",
                    List.of(F.ev(file, "virtualSize=" + v + ", fileSize=" + d.fileSizeBytes())),
                    "round the virtual size up to " + up + " bytes (convert)");
        }
        long max = c.options().maxDiskSizeBytes();
        Finding size = v <= max
                ? F.pass("DISK-MAXSIZE", "The virtual size is within the " + max + "-byte limit.",
                List.of(F.ev(file, "virtualSize=" + v)))
                : F.fail("DISK-MAXSIZE", "The virtual size " + v + " bytes exceeds the limit of " + max + " bytes.",
                List.of(F.ev(file, "virtualSize=" + v)), "shrink the guest file systems and partitions");
        Finding footer;
        if (!fixedVhd) {
            footer = F.na("DISK-FOOTER", "Not a VHD: the converter writes the footer.");
        } else if (d.footerProblem() == null) {
            footer = F.pass("DISK-FOOTER", "The VHD footer is valid.", List.of(F.ev(file, "footer ok")));
        } else {
            footer = F.fail("DISK-FOOTER", "The VHD footer is invalid: " + d.footerProblem() + ".",
                    List.of(F.ev(file, d.footerProblem())), "rewrite the footer (convert)");
        }
        return List.of(format, align, size, footer);
    }
}
