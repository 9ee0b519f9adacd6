package dev.linuximage.core.initramfs;

import java.util.List;

/**
 * What {@link HvDriverInjector} did to one kernel's initramfs, for the compliance report.
 *
 * @param kernelVersion   e.g. {@code 6.1.0-56-amd64}
 * @param initramfsPath   guest path of the initramfs (may be null when there is none)
 * @param flavour         {@code initramfs-tools}, {@code dracut} or {@code unknown}
 * @param builtin         requested modules that are built into the kernel
 * @param alreadyPresent  requested modules already in the initramfs
 * @param added           module names added (requested ones and their dependencies), in load order
 * @param unavailable     requested modules neither built in nor shipped as module files
 * @param bytesBefore     initramfs size before, bytes
 * @param bytesAfter      initramfs size after, bytes (equal when unchanged)
 * @param changed         true when the initramfs was rewritten
 * @param note            human-readable summary or the reason nothing could be done
 */
public record InjectionResult(
        String kernelVersion,
        String initramfsPath,
        String flavour,
        List<String> builtin,
        List<String> alreadyPresent,
        List<String> added,
        List<String> unavailable,
        long bytesBefore,
        long bytesAfter,
        boolean changed,
        String note) {}
