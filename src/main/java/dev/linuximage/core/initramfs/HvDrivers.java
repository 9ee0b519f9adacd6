package dev.linuximage.core.initramfs;

import dev.linuximage.core.fs.GuestFiles;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * KERNEL-HV-DRIVERS over a whole guest: for every installed kernel, checks (read-only) or ensures that
 * {@code hv_vmbus}, {@code hv_storvsc} and {@code hv_netvsc} are built in or in its initramfs.
 */
public final class HvDrivers {
    private final HvDriverInjector injector;

    public HvDrivers() {
        this(new HvDriverInjector());
    }

    public HvDrivers(HvDriverInjector injector) {
        this.injector = injector;
    }

    /** Read-only audit: what {@link #ensure} would do, per kernel (nothing is written). */
    public List<InjectionResult> check(GuestFiles g) throws IOException {
        return run(g, false);
    }

    /** Adds the missing drivers to each kernel's initramfs (rewriting the file in place, mode and owner kept). */
    public List<InjectionResult> ensure(GuestFiles g) throws IOException {
        return run(g, true);
    }

    private List<InjectionResult> run(GuestFiles g, boolean write) throws IOException {
        List<InjectionResult> out = new ArrayList<>();
        for (KernelInventory.Kernel k : KernelInventory.scan(g)) {
            if (k.initramfs() == null) {
                // Without an initramfs the drivers must be built in: report what the kernel has.
                ModuleSource src = KernelInventory.modules(g, k);
                List<String> builtin = new ArrayList<>();
                List<String> missing = new ArrayList<>();
                for (String m : HvDriverInjector.HV_MODULES) {
                    (src.builtin().contains(m) ? builtin : missing).add(m);
                }
                out.add(new InjectionResult(
                        k.version(),
                        null,
                        "none",
                        builtin,
                        List.of(),
                        List.of(),
                        missing,
                        0,
                        0,
                        false,
                        missing.isEmpty()
                                ? "drivers built in, no initramfs needed"
                                : "no initramfs for " + k.version() + " and not built in: " + missing));
                continue;
            }
            byte[] image = g.read(k.initramfs());
            HvDriverInjector.Plan plan = injector.plan(
                    k.version(), k.initramfs(), image, KernelInventory.modules(g, k), HvDriverInjector.HV_MODULES);
            if (write && plan.newImage() != null) {
                g.write(k.initramfs(), plan.newImage());
            }
            InjectionResult r = plan.result();
            if (!write && r.changed()) {
                r = new InjectionResult(
                        r.kernelVersion(),
                        r.initramfsPath(),
                        r.flavour(),
                        r.builtin(),
                        r.alreadyPresent(),
                        r.added(),
                        r.unavailable(),
                        r.bytesBefore(),
                        r.bytesBefore(),
                        false,
                        "missing from the initramfs (would add " + r.added() + ")");
            }
            out.add(r);
        }
        return out;
    }
}
