package dev.linuximage.core.cli;

import dev.linuximage.core.report.CoreException;
import dev.linuximage.core.report.ExitCodes;
import dev.linuximage.core.compliance.Compliance;
import dev.linuximage.core.format.DiskImage;
import dev.linuximage.core.format.DiskImages;
import dev.linuximage.core.guestfs.ChangeLog;
import dev.linuximage.core.guestfs.GuestDisk;
import dev.linuximage.core.guestfs.GuestOptions;
import dev.linuximage.core.guest.ContainerFacts;
import dev.linuximage.core.guest.PatchOptions;
import dev.linuximage.core.pipeline.GuestAnalysis;
import dev.linuximage.core.report.ComplianceReport;
import dev.linuximage.core.report.JobResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.Callable;

/**
 * {@code linuximage check <disk>}: a read-only audit. The disk is opened read-only (any container format) and the
 * guest file systems without write access; nothing is written to the disk. Exit code 4 when a requirement fails.
 */
@Command(name = "check", mixinStandardHelpOptions = true,
        description = "Audit a disk against Azure's requirements without changing it (exit code 4 when not compliant).")
public class CheckCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "<disk>", description = "disk in any supported format")
    Path disk;

    @Mixin
    InputMixin in;

    @Mixin
    PatchOptionsMixin patch;

    @Mixin
    ResultOutputMixin results;

    @Override
    public Integer call() throws Exception {
        return results.run("check", () -> {
            if (!dev.linuximage.core.io.DiskFiles.isDiskInput(disk)) { // a file, or a Block-mode claim's device
                // inside run(): a Job still gets a result with the precise reason, as prepare does
                throw new CoreException(ExitCodes.USAGE, dev.linuximage.core.report.ResultReasons.SOURCE_NOT_FOUND,
                        disk + ": no such file", null);
            }
            PatchOptions options = patch.resolve();
            results.progress("inspect", 0, "opening " + disk.getFileName());
            try (DiskImage image = DiskImages.open(disk, in.format(), in.openOptions());
                 GuestDisk guest = GuestDisk.open(image.data(), GuestOptions.readOnly(), new ChangeLog())) {
                String kind = image.format() + "-" + image.subformat();
                ContainerFacts container = new ContainerFacts(kind.equals("vhd-fixed") ? "vhd-fixed" : kind,
                        image.virtualSize(), dev.linuximage.core.io.DiskFiles.size(disk), null);
                Compliance.Facts facts = GuestAnalysis.facts(image.data(), guest, container);
                results.progress("check", 50, "checking requirements");
                ComplianceReport report = Compliance.audit(guest, options, facts, disk.toString(),
                        Instant.now());
                results.progress("check", 100, "done");
                results.report(report);
                JobResult r = (report.compliant() ? JobResult.succeeded("the image meets every requirement")
                        : JobResult.failed(dev.linuximage.core.report.ResultReasons.NOT_COMPLIANT,
                        "at least one requirement is not met"))
                        .withCompliance(GuestAnalysis.compliance(report))
                        .withGenerations(GuestAnalysis.generations(report)).withOs(GuestAnalysis.os(report))
                        .withStages(new JobResult.Stages(null, null, report.compliant(), null));
                return new ResultOutputMixin.Done(r, report.compliant() ? ExitCodes.OK : ExitCodes.NOT_COMPLIANT);
            }
        });
    }
}
