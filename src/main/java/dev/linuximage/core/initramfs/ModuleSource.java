package dev.linuximage.core.initramfs;

import java.io.IOException;
import java.util.Optional;
import java.util.Set;

/** Where module files for one kernel version come from (the guest's own {@code /lib/modules/<version>}). */
public interface ModuleSource {

    /** A module file: path relative to {@code /lib/modules/<version>} (e.g. {@code kernel/drivers/hv/hv_vmbus.ko}). */
    record Module(String name, String relativePath, byte[] content) {}

    /** The module file for a (normalised) module name, if the kernel ships it as a loadable module. */
    Optional<Module> find(String moduleName) throws IOException;

    /** Normalised names of the modules built into the kernel ({@code modules.builtin}). */
    Set<String> builtin() throws IOException;
}
