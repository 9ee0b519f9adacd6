package dev.linuximage.testsupport.guests;

import java.nio.file.Path;
import java.util.Optional;
import java.util.Properties;

/**
 * A built guest disk: its zlib-compressed qcow2 and the facts the build script recorded ({@code <variant>.properties}:
 * partition offsets in bytes, file-system UUIDs, kernel version, command line).
 *
 * <p>The qcow2 is a shared cache that nothing writes: the product reads it as its input and writes its output
 * elsewhere (a copy would cost disk per test); QEMU boots of it must use {@code QemuBoot.Builder#snapshot(true)}.
 */
public record GuestImage(GuestVariant variant, Path qcow2, Properties facts) {

    /**
     * A raw (sparse) copy of the disk, for the oracles that read only raw files (debugfs, e2fsck, sfdisk, sgdisk,
     * blkid). Made on demand by {@code qemu-img convert}; only the most recently asked variant's raw copy is kept
     * ({@link GuestImages#raw}), so callers use it at once and do not hold it across variants.
     */
    public Path raw() {
        return GuestImages.raw(this);
    }

    /** A fact recorded by the build script; fails if it is absent. */
    public String fact(String key) {
        String v = facts.getProperty(key);
        if (v == null) {
            throw new IllegalStateException("guest image " + variant.id() + " has no fact '" + key + "'");
        }
        return v;
    }

    private Optional<String> optionalFact(String key) {
        String v = facts.getProperty(key, "");
        return v.isEmpty() ? Optional.empty() : Optional.of(v);
    }

    public String kernelVersion() {
        return fact("kernel.version");
    }

    public String rootUuid() {
        return fact("root.uuid");
    }

    /** Byte offset of the ext4 root partition from the start of the disk. */
    public long rootOffset() {
        return Long.parseLong(fact("root.offset"));
    }

    /** Size of the ext4 root file system in bytes. */
    public long rootBytes() {
        return Long.parseLong(fact("root.bytes"));
    }

    /** Virtual disk size in bytes (a whole number of MiB). */
    public long diskBytes() {
        return Long.parseLong(fact("disk.bytes"));
    }

    /** FAT volume id of the ESP as {@code XXXX-XXXX} (GPT variants only). */
    public Optional<String> espUuid() {
        return optionalFact("esp.uuid");
    }

    /** Byte offset of the ESP (GPT variants only). */
    public Optional<Long> espOffset() {
        return optionalFact("esp.offset").map(Long::parseLong);
    }

    /** Size of the ESP in bytes (GPT variants only). */
    public Optional<Long> espBytes() {
        return optionalFact("esp.bytes").map(Long::parseLong);
    }

    /** The root file system's type: {@code ext4} or {@code xfs}. */
    public String rootFsType() {
        return facts.getProperty("root.fstype", "ext4");
    }

    /** Whether the guest's initramfs is made by dracut (else initramfs-tools). */
    public boolean dracut() {
        return fact("flavour").endsWith("dracut"); // dracut, sdboot-dracut
    }

    /** Whether the test-only boot probe also rebuilds the initramfs in the booted guest. */
    public boolean rebuildProbe() {
        return "1".equals(facts.getProperty("rebuild.probe"));
    }

    /** The boot loader: {@code grub}, {@code systemd-boot} or {@code extlinux}. */
    public String loader() {
        return facts.getProperty("loader", "grub");
    }

    /** The machine id the loader entries are named by (systemd-boot only). */
    public Optional<String> machineId() {
        return optionalFact("machine.id");
    }

    /** Byte offset of the separate FAT /boot file system (extlinux only). */
    public Optional<Long> bootOffset() {
        return optionalFact("boot.offset").map(Long::parseLong);
    }

    /** Size of the separate FAT /boot file system in bytes (extlinux only). */
    public Optional<Long> bootBytes() {
        return optionalFact("boot.bytes").map(Long::parseLong);
    }

    /** Swap partition UUID (quiet-swap, gpt-swap). */
    public Optional<String> swapUuid() {
        return optionalFact("swap.uuid");
    }
}
