package dev.linuximage.core.pipeline;

import dev.linuximage.core.fs.GuestFiles;
import dev.linuximage.core.guest.HvDriverRepair;
import dev.linuximage.core.guest.InitramfsBoot;
import dev.linuximage.core.guest.KernelFacts;
import dev.linuximage.core.guest.KernelFactsSource;
import dev.linuximage.core.initramfs.HvDriverInjector;
import dev.linuximage.core.initramfs.InitramfsCache;
import dev.linuximage.core.initramfs.InitramfsReader;
import dev.linuximage.core.initramfs.InjectionResult;
import dev.linuximage.core.initramfs.KernelInventory;
import dev.linuximage.core.initramfs.ModuleSource;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Connects the initramfs layer to the compliance checks: per installed kernel, which Hyper-V modules are built in
 * or already in its initramfs ({@link KernelFactsSource}), and the KERNEL-HV-DRIVERS repair ({@link HvDriverRepair})
 * that adds the missing ones, with their dependencies and module indexes, by rewriting the initramfs' main archive
 * ({@link HvDriverInjector}).
 */
public final class GuestKernels implements KernelFactsSource, HvDriverRepair {
    private final InitramfsReader reader = new InitramfsReader();
    private final HvDriverInjector injector = new HvDriverInjector(reader);
    /**
     * Each distinct initramfs content of this run decoded once (issue #14), for the boot probe and the driver plan
     * of every kernel, entry and check that reads it; one instance serves one run (one guest).
     */
    private final InitramfsCache cache =
            new InitramfsCache(reader, InitramfsBootProbe.CAPTURE.or(HvDriverInjector.CAPTURE));

    /** Initramfs decodes so far (each a decompression and cpio parse of an image or of its main member). */
    long decodes() {
        return reader.decodes();
    }

    /** Initramfs images hashed so far to find their decoded tree (each a SHA-256 of the whole image). */
    int hashes() {
        return cache.hashes();
    }

    @Override
    public List<KernelFacts> read(GuestFiles guest) throws IOException {
        List<KernelFacts> out = new ArrayList<>();
        // every initramfs something boots: /boot's, and the ones type #1 boot entries name elsewhere (the ESP copies
        // systemd-boot loads); entries are what the loader reads, so an ESP copy is judged on its own
        for (KernelInventory.Kernel k : KernelInventory.bootable(guest)) {
            // the image is read once and decoded at most once per content (cache): its tree serves both the
            // boot-script probe and the driver check
            byte[] image = null;
            InitramfsBoot boot;
            if (k.initramfs() == null) {
                // a module tree no boot image claimed boots nothing: only a kernel image without an initramfs
                // mounts root itself
                boot = k.vmlinuz() != null ? InitramfsBoot.noInitramfs(k.version()) : null;
            } else {
                try {
                    image = guest.read(k.initramfs());
                } catch (IOException | RuntimeException e) {
                    dev.linuximage.core.fs.StorageDamage.rethrow(e); // a damaged file system, not a bad image
                    image = null; // unreadable: both the probe and the plan see it so
                }
                boot = image == null ? null : boot(k, image);
            }
            Set<String> builtin = Set.of();
            try {
                ModuleSource modules = KernelInventory.modules(guest, k);
                builtin = modules.builtin();
                if (k.initramfs() == null) {
                    out.add(new KernelFacts(k.name(), k.version(), null, builtin, Set.of(), false, boot));
                    continue;
                }
                if (image == null) {
                    throw new IOException(k.initramfs() + ": unreadable");
                }
                // assess, not plan: a check does not build (decode, rewrite, recompress) the repaired image
                InjectionResult r = assess(k, k.initramfs(), image, modules);
                Set<String> present = new HashSet<>(r.alreadyPresent());
                // the entry's earlier initrds are unpacked first into the same root file system: their modules count
                for (String earlier : k.earlierInitrds()) {
                    try {
                        present.addAll(
                                assess(k, earlier, guest.read(earlier), modules).alreadyPresent());
                    } catch (IOException | RuntimeException e) {
                        // a microcode archive or an unreadable add-on adds nothing
                    }
                }
                out.add(new KernelFacts(k.name(), k.version(), k.initramfs(), builtin, present, true, boot));
            } catch (IOException | RuntimeException e) {
                dev.linuximage.core.fs.StorageDamage.rethrow(e);
                // unreadable or hostile initramfs (or module tree): this kernel alone is reported Unknown/Fail
                // with its own path; the other kernels are still read
                out.add(new KernelFacts(k.name(), k.version(), k.initramfs(), builtin, Set.of(), false, boot));
            }
        }
        return out;
    }

    private InjectionResult assess(KernelInventory.Kernel k, String path, byte[] image, ModuleSource modules)
            throws IOException {
        return injector.assess(k.version(), path, image, cache.tree(image), modules, HvDriverInjector.HV_MODULES);
    }

    /** The initramfs's boot scripts (CMDLINE-CONSOLE rootdelay, SWAP-OS-DISK resume); null when unreadable. */
    private InitramfsBoot boot(KernelInventory.Kernel k, byte[] image) {
        try {
            return InitramfsBootProbe.read(k.initramfs(), cache.tree(image));
        } catch (IOException | RuntimeException e) {
            dev.linuximage.core.fs.StorageDamage.rethrow(e);
            return null;
        }
    }

    /**
     * @param kernelName the kernel's image name ({@link KernelFacts#name()}), or the guest path of the boot entry
     *                   whose initramfs is rewritten ({@link KernelInventory#bootable}); a release matches too when
     *                   no image has that name
     */
    @Override
    public String addModules(GuestFiles guest, String kernelName, List<String> modules) throws IOException {
        List<KernelInventory.Kernel> all = KernelInventory.bootable(guest);
        KernelInventory.Kernel k = all.stream()
                .filter(x -> x.name().equals(kernelName))
                .findFirst()
                .or(() ->
                        all.stream().filter(x -> x.version().equals(kernelName)).findFirst())
                .orElseThrow(() -> new IOException("kernel " + kernelName + " not found in the guest"));
        String label = k.name().equals(k.version()) ? k.version() : k.name() + " (" + k.version() + ")";
        if (k.initramfs() == null) {
            throw new IOException("kernel " + label + " has no initramfs to add " + modules + " to");
        }
        if (k.modulesDir() == null) {
            throw new IOException("kernel " + label + ": no /lib/modules/" + k.version() + " in the guest to take "
                    + modules + " from");
        }
        byte[] image = guest.read(k.initramfs());
        // the tree from this run's check when the image is unchanged since: only the rewrite decodes (its main member)
        HvDriverInjector.Plan plan = injector.plan(
                k.version(), k.initramfs(), image, cache.tree(image), KernelInventory.modules(guest, k), modules);
        InjectionResult r = plan.result();
        if (!r.unavailable().isEmpty()) {
            throw new IOException(
                    "modules not found under the guest's /lib/modules/" + k.version() + ": " + r.unavailable());
        }
        if (plan.newImage() != null) {
            guest.write(k.initramfs(), plan.newImage());
        }
        return k.initramfs() + ": added " + r.added() + " (" + r.flavour() + ", " + r.bytesBefore() + " -> "
                + r.bytesAfter() + " bytes)";
    }
}
