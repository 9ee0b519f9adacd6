package dev.linuximage.core.guest;

import dev.linuximage.core.guestfs.Change;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** KERNEL-HV-DRIVERS: asks the initramfs layer ({@link HvDriverRepair}) to add missing Hyper-V modules. */
public final class HvDriverPatch {
    public static final String REQ = "KERNEL-HV-DRIVERS";
    /** hv_vmbus and hv_storvsc are needed to find the root disk, hv_netvsc to reach the wireserver. */
    public static final List<String> MODULES = List.of("hv_vmbus", "hv_storvsc", "hv_netvsc");

    private HvDriverPatch() {}

    public static List<String> missing(KernelFacts k) {
        return MODULES.stream().filter(m -> !k.available(m)).toList();
    }

    /**
     * Adds the missing modules to each kernel's initramfs, each kernel on its own (a kernel that cannot be repaired,
     * e.g. a rescue kernel whose module tree is gone, does not stop the others), then configures the guest's
     * initramfs generator so the next rebuild keeps them ({@link HvDriverPersistence}) whenever some kernel needs
     * them from its initramfs (not all built in).
     *
     * @throws IOException after trying every kernel, naming each one that failed
     */
    public static void apply(GuestEditor ed, List<KernelFacts> kernels, PatchOptions o, HvDriverRepair repair)
            throws IOException {
        if (!o.hyperVDrivers()) {
            return;
        }
        List<String> failures = new ArrayList<>();
        boolean needInitramfs = false;
        for (KernelFacts k : kernels) {
            if (!MODULES.stream().allMatch(k.builtinModules()::contains)) {
                needInitramfs = true;
            }
            List<String> miss = missing(k);
            if (repair == null || miss.isEmpty() || !k.initramfsReadable()) {
                continue;
            }
            try {
                String what = repair.addModules(ed.reader().files(), k.name(), miss);
                ed.log()
                        .add(new Change(
                                REQ,
                                k.initramfsPath() == null ? "/boot" : k.initramfsPath(),
                                Change.Action.Modified,
                                k.label() + ": missing " + String.join(", ", miss),
                                what));
            } catch (IOException | RuntimeException e) {
                failures.add(k.label() + ": "
                        + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
            }
        }
        if (needInitramfs) {
            try {
                HvDriverPersistence.apply(ed, REQ, MODULES);
            } catch (IOException | RuntimeException e) {
                failures.add("persisting for future initramfs rebuilds: " + e.getMessage());
            }
        }
        if (!failures.isEmpty()) {
            throw new IOException(String.join("; ", failures));
        }
    }
}
