package dev.linuximage.core.guest;

import dev.linuximage.core.fs.GuestFiles;
import java.io.IOException;
import java.util.List;

/**
 * Produces {@link KernelFacts} for every installed kernel of a guest. Called before and again after the patches
 * (the HV repair rewrites initramfs images). The initramfs layer implements it; {@link #builtinOnly()} is the
 * fallback that knows only {@code modules.builtin} and leaves initramfs contents unknown.
 */
@FunctionalInterface
public interface KernelFactsSource {
    List<KernelFacts> read(GuestFiles guest) throws IOException;

    /** Reads {@code /lib/modules/<ver>/modules.builtin} only; every initramfs is reported unreadable. */
    static KernelFactsSource builtinOnly() {
        return guest -> {
            GuestReader r = new GuestReader(guest);
            List<KernelFacts> out = new java.util.ArrayList<>();
            for (GuestInspection.KernelInfo k : GuestInspector.kernels(r)) {
                java.util.Set<String> builtin = new java.util.HashSet<>();
                for (String l : GuestReader.lines(r.text("/lib/modules/" + k.version() + "/modules.builtin")
                        .orElse(""))) {
                    String n = GuestReader.baseName(l.trim());
                    int dot = n.indexOf(".ko");
                    if (dot > 0) {
                        builtin.add(n.substring(0, dot).replace('-', '_'));
                    }
                }
                out.add(new KernelFacts(k.version(), k.initramfsPath(), builtin, java.util.Set.of(), false));
            }
            return out;
        };
    }
}
