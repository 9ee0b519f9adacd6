package dev.linuximage.core.compliance;

import dev.linuximage.core.guest.CloudConfig;
import dev.linuximage.core.guest.ContainerFacts;
import dev.linuximage.core.guest.DiskFacts;
import dev.linuximage.core.guest.GuestInspection;
import dev.linuximage.core.guest.GuestReader;
import dev.linuximage.core.guest.KernelFacts;
import dev.linuximage.core.guest.PatchOptions;
import java.util.List;

/**
 * What every check reads. The guest parts come from the guest's files; {@code disk}, {@code container} and
 * {@code kernels} come from other layers and may be null (the affected checks then say Unknown and why).
 *
 * @param hvRepairAvailable whether a KERNEL-HV-DRIVERS repair hook is wired (changes the advice only)
 */
public record CheckContext(
        GuestReader reader,
        GuestInspection guest,
        CloudConfig cloud,
        PatchOptions options,
        DiskFacts disk,
        ContainerFacts container,
        List<KernelFacts> kernels,
        boolean hvRepairAvailable) {}
