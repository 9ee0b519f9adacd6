package dev.linuximage.core.pipeline;

import dev.linuximage.core.compliance.Compliance;
import dev.linuximage.core.guest.ContainerFacts;
import dev.linuximage.core.guestfs.GuestDisk;
import dev.linuximage.core.io.ByteSource;
import dev.linuximage.core.io.WritableByteSource;
import dev.linuximage.core.report.ComplianceReport;
import dev.linuximage.core.report.JobResult;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** The pieces {@code check} and {@code prepare} share: facts about a disk and the compact result for the operator. */
public final class GuestAnalysis {
    private GuestAnalysis() {}

    /** The facts the compliance checks consume besides the guest files: disk layout, container, kernels. */
    public static Compliance.Facts facts(ByteSource disk, GuestDisk guest, ContainerFacts container)
            throws IOException {
        GuestKernels kernels = new GuestKernels();
        return new Compliance.Facts(DiskFactsProbe.read(disk, guest), container, kernels, kernels);
    }

    /**
     * The facts for a {@code prepare} on a writable disk: as {@link #facts}, plus the disk-level repair
     * ({@link GptSwapPatch}) that needs the disk's bytes rather than a file system.
     */
    public static Compliance.Facts prepareFacts(WritableByteSource disk, GuestDisk guest, ContainerFacts container)
            throws IOException {
        Compliance.Facts f = facts(disk, guest, container);
        return new Compliance.Facts(f.disk(), f.container(), f.kernels(), f.hvRepair(), new GptSwapPatch(disk, guest));
    }

    /** Gen1/Gen2 as reported in the status, from the report's boot findings. */
    public static List<String> generations(ComplianceReport report) {
        List<String> g = new ArrayList<>();
        if (Boolean.TRUE.equals(report.gen1())) {
            g.add("Gen1");
        }
        if (Boolean.TRUE.equals(report.gen2())) {
            g.add("Gen2");
        }
        return g;
    }

    /** The guest's OS for the compact result. */
    public static JobResult.Os os(ComplianceReport report) {
        ComplianceReport.GuestIdentity g = report.guest();
        return g == null ? null : new JobResult.Os(g.osId(), g.versionId(), g.family());
    }

    /** The compliance part of the compact result. */
    public static JobResult.Compliance compliance(ComplianceReport report) {
        return JobResult.Compliance.of(report.findings());
    }
}
