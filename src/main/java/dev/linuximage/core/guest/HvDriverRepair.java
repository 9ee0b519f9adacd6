package dev.linuximage.core.guest;

import dev.linuximage.core.fs.GuestFiles;
import java.io.IOException;
import java.util.List;

/**
 * The KERNEL-HV-DRIVERS repair, implemented by the initramfs layer: adds the named modules (from the guest's own
 * {@code /lib/modules/<version>}, with their dependencies) to that kernel's initramfs and keeps its module indexes
 * valid.
 */
@FunctionalInterface
public interface HvDriverRepair {
    /**
     * @param guest         the guest, writable
     * @param kernelVersion the kernel release whose initramfs is rewritten
     * @param modules       module names to add (e.g. {@code hv_vmbus}, {@code hv_storvsc}, {@code hv_netvsc})
     * @return a one-line description of what was done (goes into the change log), e.g. the initramfs path
     * @throws IOException when the repair cannot be done; the finding stays Fail with the message
     */
    String addModules(GuestFiles guest, String kernelVersion, List<String> modules) throws IOException;
}
