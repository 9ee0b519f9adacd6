package dev.linuximage.testsupport.guests;

/**
 * The guest disks {@code src/test/fixtures/guests/build-guest.sh} can build: real Debian bookworm amd64
 * installations made with debootstrap (see {@code docs/test-guests.md}).
 *
 * <p>The product-under-test variants deliberately leave {@code console=ttyS0} off the kernel command line (the
 * product adds it); only the {@code *-console} variants carry it, to prove the fixtures and the boot harness.
 */
public enum GuestVariant {
    /** MBR, ext4 root, GRUB for BIOS in the post-MBR gap, cloud-init, initramfs-tools. */
    BIOS_MBR("bios-mbr", false),
    /** GPT (root 1, BIOS boot 14, ESP 15), bootable by BIOS and UEFI, cloud-init. */
    UEFI_GPT("uefi-gpt", true),
    /** Like {@link #BIOS_MBR} with {@code quiet} on the kernel command line and a swap partition in fstab. */
    QUIET_SWAP("quiet-swap", false),
    /** dracut host-only initramfs without hv_vmbus, hv_storvsc, hv_netvsc (dracut replaces initramfs-tools). */
    DRACUT_HOSTONLY("dracut-hostonly", false),
    /** No cloud-init and no waagent; systemd-networkd does DHCP. */
    AGENTLESS("agentless", false),
    /** Debian's {@code waagent} package instead of cloud-init. */
    WAAGENT("waagent", false),
    /**
     * GPT like {@link #UEFI_GPT} plus a 256 MiB Linux-swap partition (2, type 8200) at the end that fstab does not
     * name: systemd-gpt-auto-generator activates such a partition on the boot disk.
     */
    GPT_SWAP("gpt-swap", true),
    /** XFS root (holding /boot) made by {@code mkfs.xfs -p}, dracut host-only initramfs, GRUB with xfs.mod; MBR. */
    XFS_DRACUT("xfs-dracut", false),
    /**
     * Like {@link #BIOS_MBR} but initramfs-tools with {@code MODULES=dep} (in {@code conf.d}): a host-only initramfs
     * made by the tree's {@code mkinitramfs} in a build-time QEMU boot on the test hardware (IDE disk), so it lacks
     * hv_vmbus, hv_storvsc, hv_netvsc. Its boot probe rebuilds the initramfs with {@code update-initramfs -u -k all}.
     */
    MODULES_DEP("modules-dep", false),
    /**
     * UEFI only, Debian's systemd-boot: GPT with the ESP (1, mounted at /boot/efi) holding what {@code bootctl install}
     * and {@code kernel-install} (via the kernel's {@code zz-systemd-boot} hook) put there:
     * {@code loader/entries/<machine-id>-<kver>.conf} with its {@code options} line, the kernel and initrd under
     * {@code <machine-id>/<kver>/}; ext4 root (2); {@code /etc/kernel/cmdline} as the options' source.
     */
    SYSTEMD_BOOT("systemd-boot", true),
    /**
     * {@link #SYSTEMD_BOOT} with dracut instead of initramfs-tools: the ESP's {@code <machine-id>/<kver>/initrd} (the
     * name dracut's kernel-install plugin gives it, installed by {@code kernel-install add}) and
     * {@code /boot/initrd.img-<kver>} are the dracut host-only image of {@link #DRACUT_HOSTONLY}, without hv_vmbus,
     * hv_storvsc, hv_netvsc.
     */
    SYSTEMD_BOOT_DRACUT("systemd-boot-dracut", true),
    /**
     * BIOS only, syslinux: MBR with a FAT32 /boot (1, active) holding the kernels, {@code extlinux/extlinux.conf} and
     * {@code extlinux/ldlinux.sys} (Debian's {@code syslinux --install}), syslinux-common's {@code mbr.bin} in the
     * MBR; ext4 root (2).
     */
    EXTLINUX("extlinux", false),
    /** Test-only: {@link #BIOS_MBR} whose kernel command line already has {@code console=ttyS0}. */
    BIOS_MBR_CONSOLE("bios-mbr-console", false),
    /** Test-only: {@link #UEFI_GPT} whose kernel command line already has {@code console=ttyS0}. */
    UEFI_GPT_CONSOLE("uefi-gpt-console", true);

    private final String id;
    private final boolean gpt;

    GuestVariant(String id, boolean gpt) {
        this.id = id;
        this.gpt = gpt;
    }

    /** The variant name the build script takes, e.g. {@code bios-mbr}. */
    public String id() {
        return id;
    }

    /** Whether the disk has a GPT (hybrid: bootable by BIOS and UEFI) rather than an MBR partition table. */
    public boolean gpt() {
        return gpt;
    }

    public static GuestVariant fromId(String id) {
        for (GuestVariant v : values()) {
            if (v.id.equals(id)) {
                return v;
            }
        }
        throw new IllegalArgumentException("unknown guest variant: " + id);
    }
}
