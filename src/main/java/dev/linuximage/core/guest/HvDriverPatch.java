package dev.linuximage.core.guest;

import java.io.IOException;
import java.util.List;

/** KERNEL-HV-DRIVERS: asks the initramfs layer ({@link HvDriverRepair}) to add missing Hyper-V modules. */
public final class HvDriverPatch {
    public static final String REQ = "KERNEL-HV-DRIVERS";
    /** hv_vmbus and hv_storvsc are needed to find the root disk, hv_netvsc to reach the wireserver. */
    public static final List<String> MODULES = List.of("hv_vmbus", "hv_storvsc", "hv_netvsc");

    private HvDriverPatch() {
    }

    public static List<String> missing(KernelFacts k) {
        return MODULES.stream().filter(m -> !k.available(m)).toList();
    }

    public static void apply(GuestEditor ed, List<KernelFacts> kernels, PatchOptions o, HvDriverRepair repair)
            throws IOException {
        if (!o.hyperVDrivers() || repair == null) {
            return;
        }
        for (KernelFacts k : kernels) {
            List<String> miss = missing(k);
            if (miss.isEmpty() || !k.initramfsReadable()) {
                continue;
            }
            String what = repair.addModules(ed.reader().files(), k.version(), miss);
            ed.log().add(new Change(REQ, k.initramfsPath() == null ? "/boot" : k.initramfsPath(),
                    Change.Action.Modified, "missing " + String.join(", ", miss), what));
        }
    }
}
