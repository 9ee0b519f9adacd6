package dev.linuximage.core.compliance;

import dev.linuximage.core.fs.GuestFiles;
import dev.linuximage.core.guest.CloudConfig;
import dev.linuximage.core.guest.ContainerFacts;
import dev.linuximage.core.guest.DiskFacts;
import dev.linuximage.core.guest.DiskPatch;
import dev.linuximage.core.guest.GuestInspection;
import dev.linuximage.core.guest.GuestInspector;
import dev.linuximage.core.guest.GuestPatcher;
import dev.linuximage.core.guest.GuestReader;
import dev.linuximage.core.guest.HvDriverRepair;
import dev.linuximage.core.guest.KernelFacts;
import dev.linuximage.core.guest.KernelFactsSource;
import dev.linuximage.core.guest.PatchOptions;
import dev.linuximage.core.guestfs.Change;
import dev.linuximage.core.report.ComplianceReport;
import dev.linuximage.core.report.Finding;
import dev.linuximage.core.report.FindingStatus;
import dev.linuximage.core.report.ReportChange;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The two entry points of this layer. {@link #audit} = inspect + check on a read-only guest (it refuses a
 * writable one, so a {@code check} can never change a disk). {@link #prepare} = inspect, check, patch, re-inspect,
 * re-check; a finding that failed before and passes after is {@code Fixed}, with the changes that did it.
 */
public final class Compliance {

    /**
     * Facts and hooks from the other layers; any may be null (the affected checks say Unknown, the HV repair is
     * then only advised).
     */
    public record Facts(
            DiskFacts disk,
            ContainerFacts container,
            KernelFactsSource kernels,
            HvDriverRepair hvRepair,
            DiskPatch diskPatch) {
        public Facts(DiskFacts disk, ContainerFacts container, KernelFactsSource kernels, HvDriverRepair hvRepair) {
            this(disk, container, kernels, hvRepair, null);
        }

        public static Facts none() {
            return new Facts(null, null, KernelFactsSource.builtinOnly(), null);
        }

        Facts withDisk(DiskFacts d) {
            return new Facts(d, container, kernels, hvRepair, diskPatch);
        }
    }

    /**
     * A prepare run: the report and the raw change log.
     *
     * @param checkNanos time spent evaluating the requirements (kernel reads, inspections and checks, before and
     *                   after the repairs), in nanoseconds; the rest of the run is the repairs
     */
    public record Outcome(ComplianceReport report, List<Change> changes, long checkNanos) {}

    /** Requirements whose repairs are done by another requirement's patch (one edit serves several IDs). */
    private static final Map<String, String> REPAIRED_BY = Map.of(
            "CMDLINE-NOQUIET",
            "CMDLINE-CONSOLE",
            "KERNEL-NUMA",
            "CMDLINE-CONSOLE",
            "KERNEL-UDF",
            "KERNEL-VFAT",
            "KERNEL-VFAT",
            "KERNEL-UDF",
            "DEPROVISION-SECRETS",
            "DEPROVISION-USERS",
            "AGENT-PRESENT",
            "NOAGENT-REPORT-READY",
            "NOAGENT-DHCP",
            "CMDLINE-CONSOLE");

    private Compliance() {}

    public static ComplianceReport audit(GuestFiles guest, PatchOptions o, Facts f, String subject, Instant now) {
        if (!guest.readOnly()) {
            throw new IllegalArgumentException("audit needs a guest opened read-only");
        }
        // one inspection serves the checks and the report: a read-only guest does not change in between
        GuestInspection g = GuestInspector.inspect(guest);
        List<Finding> findings = check(guest, g, o, f, f.kernels() == null ? null : readKernels(guest, f, null));
        return report("check", subject, now, g, o, f, findings, List.of(), List.of());
    }

    public static Outcome prepare(GuestFiles guest, PatchOptions o, Facts f, String subject, Instant now) {
        List<String> errors = new ArrayList<>();
        long t0 = System.nanoTime();
        List<KernelFacts> kernelsBefore = f.kernels() == null ? null : readKernels(guest, f, errors);
        List<Finding> before = check(guest, GuestInspector.inspect(guest), o, f, kernelsBefore);
        long checkNanos = System.nanoTime() - t0;
        GuestPatcher.Result res =
                GuestPatcher.patch(guest, o, kernelsBefore == null ? List.of() : kernelsBefore, f.hvRepair());
        res.errors().forEach(e -> errors.add(e.requirement() + ": " + e.message()));
        List<Change> changes = new ArrayList<>(res.changes().changes());
        Facts fAfter = f;
        // the patched guest, inspected once: the disk-level patch below changes the partition table, not the files
        long t1 = System.nanoTime();
        GuestInspection patched = GuestInspector.inspect(guest);
        checkNanos += System.nanoTime() - t1;
        if (f.diskPatch() != null) {
            // below the file systems: GPT attributes (SWAP-OS-DISK); then the disk facts are read again
            try {
                changes.addAll(f.diskPatch().apply(patched, o));
                fAfter = f.withDisk(f.diskPatch().facts());
            } catch (IOException | RuntimeException e) {
                dev.linuximage.core.fs.StorageDamage.rethrow(e);
                errors.add("SWAP-OS-DISK: disk-level repair failed: " + e.getMessage());
            }
        }
        long t2 = System.nanoTime();
        List<KernelFacts> kernelsAfter = f.kernels() == null ? null : readKernels(guest, f, errors);
        List<Finding> after = check(guest, patched, o, fAfter, kernelsAfter);
        checkNanos += System.nanoTime() - t2;
        List<Finding> merged = new ArrayList<>();
        for (int i = 0; i < after.size(); i++) {
            merged.add(merge(before.get(i), after.get(i), changes));
        }
        List<ReportChange> rc = changes.stream()
                .map(c -> new ReportChange(c.requirement(), c.path(), c.action().name(), c.before(), c.after()))
                .toList();
        return new Outcome(
                report("prepare", subject, now, patched, o, fAfter, merged, rc, errors), changes, checkNanos);
    }

    static Finding merge(Finding before, Finding after, List<Change> changes) {
        boolean wasBad = before.status() == FindingStatus.Fail
                || before.status() == FindingStatus.Warn
                || before.status() == FindingStatus.Unknown;
        if (!wasBad || after.status() != FindingStatus.Pass) {
            return after;
        }
        String id = after.id();
        List<Change> own =
                changes.stream().filter(c -> c.requirement().equals(id)).toList();
        if (own.isEmpty() && REPAIRED_BY.containsKey(id)) {
            own = changes.stream()
                    .filter(c -> c.requirement().equals(REPAIRED_BY.get(id)))
                    .toList();
        }
        if (own.isEmpty()) {
            return after; // it changed for another reason (e.g. re-read facts); not our repair
        }
        String repair = own.stream()
                        .map(c -> c.action().name().toLowerCase() + " " + c.path())
                        .distinct()
                        .limit(12)
                        .collect(Collectors.joining(", "))
                + (own.size() > 12 ? ", ... (" + own.size() + " changes)" : "");
        return new Finding(id, FindingStatus.Fixed, before.message() + " Repaired.", after.evidence(), repair);
    }

    private static List<KernelFacts> readKernels(GuestFiles guest, Facts f, List<String> errors) {
        try {
            return f.kernels().read(guest);
        } catch (IOException | RuntimeException e) {
            dev.linuximage.core.fs.StorageDamage.rethrow(e); // the file system, not the kernel facts, is bad
            if (errors != null) {
                errors.add("KERNEL-HV-DRIVERS: kernel facts unreadable: " + e.getMessage());
            }
            return null;
        }
    }

    static List<Finding> check(
            GuestFiles guest, GuestInspection g, PatchOptions o, Facts f, List<KernelFacts> kernels) {
        GuestReader r = new GuestReader(guest);
        CheckContext c =
                new CheckContext(r, g, CloudConfig.read(r), o, f.disk(), f.container(), kernels, f.hvRepair() != null);
        return CheckSuite.run(c);
    }

    private static ComplianceReport report(
            String mode,
            String subject,
            Instant now,
            GuestInspection g,
            PatchOptions o,
            Facts f,
            List<Finding> findings,
            List<ReportChange> changes,
            List<String> errors) {
        ComplianceReport.GuestIdentity id = new ComplianceReport.GuestIdentity(
                g.os().id(),
                g.os().versionId(),
                g.os().prettyName(),
                g.kernels().stream().map(GuestInspection.KernelInfo::version).toList(),
                g.os().family().name().toLowerCase(java.util.Locale.ROOT));
        Boolean gen1 = f.disk() == null ? null : f.disk().bootsGen1();
        Boolean gen2 = f.disk() == null ? null : f.disk().bootsGen2();
        List<String> tolerated = new ArrayList<>(Requirements.advisory());
        o.allowUnknown().stream().filter(a -> !tolerated.contains(a)).forEach(tolerated::add);
        return new ComplianceReport(
                ComplianceReport.SCHEMA,
                mode,
                subject,
                now,
                id,
                o.imageKind().name(),
                o.provisioning().name(),
                gen1,
                gen2,
                findings,
                changes,
                errors,
                tolerated);
    }
}
