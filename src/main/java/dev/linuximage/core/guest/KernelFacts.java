package dev.linuximage.core.guest;

import java.util.Set;

/**
 * What one installed kernel can load at boot, produced by the initramfs layer.
 *
 * @param name                the boot image's name after {@code vmlinuz-} ({@code linux}, {@code 0-rescue-<id>});
 *                            equal to {@code version} for versioned names and module-only kernels
 * @param version             the kernel release ({@code 6.1.0-26-amd64}, {@code 5.14.0-427.el9.x86_64})
 * @param initramfsPath       the guest path of its initramfs, or null when none was found
 * @param builtinModules      module names built into the kernel ({@code modules.builtin}, without {@code .ko})
 * @param initramfsModules    module names present in the initramfs (all members, concatenated archives included)
 * @param initramfsReadable   false when the initramfs could not be read (unknown compression, corrupt): the
 *                            check says Unknown rather than guessing
 * @param boot                what the initramfs's scripts do with {@code rootdelay=} and resume (CMDLINE-CONSOLE,
 *                            SWAP-OS-DISK); null when not read (the command-line rules then fall back, see
 *                            {@link RootDelayRule})
 */
public record KernelFacts(
        String name,
        String version,
        String initramfsPath,
        Set<String> builtinModules,
        Set<String> initramfsModules,
        boolean initramfsReadable,
        InitramfsBoot boot) {
    public KernelFacts {
        name = name == null ? version : name;
        builtinModules = Set.copyOf(builtinModules == null ? Set.of() : builtinModules);
        initramfsModules = Set.copyOf(initramfsModules == null ? Set.of() : initramfsModules);
    }

    /** A kernel whose image name is its release, without the boot-script analysis. */
    public KernelFacts(
            String version,
            String initramfsPath,
            Set<String> builtinModules,
            Set<String> initramfsModules,
            boolean initramfsReadable) {
        this(version, version, initramfsPath, builtinModules, initramfsModules, initramfsReadable, null);
    }

    /** A named kernel without the boot-script analysis. */
    public KernelFacts(
            String name,
            String version,
            String initramfsPath,
            Set<String> builtinModules,
            Set<String> initramfsModules,
            boolean initramfsReadable) {
        this(name, version, initramfsPath, builtinModules, initramfsModules, initramfsReadable, null);
    }

    /** A kernel whose image name is its release, with the boot-script analysis. */
    public KernelFacts(
            String version,
            String initramfsPath,
            Set<String> builtinModules,
            Set<String> initramfsModules,
            boolean initramfsReadable,
            InitramfsBoot boot) {
        this(version, version, initramfsPath, builtinModules, initramfsModules, initramfsReadable, boot);
    }

    /** How evidence names the kernel: {@code 6.1.0-26-amd64}, or {@code linux (6.6.1-arch1-1)}. */
    public String label() {
        return name.equals(version) ? version : name + " (" + version + ")";
    }

    public boolean available(String module) {
        return builtinModules.contains(module) || initramfsModules.contains(module);
    }
}
