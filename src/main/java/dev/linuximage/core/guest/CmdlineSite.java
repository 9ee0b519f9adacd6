package dev.linuximage.core.guest;

/**
 * One place that sets (part of) a kernel command line.
 *
 * @param kind      where it is
 * @param file      guest path
 * @param line      1-based line (0 for grubenv, whose block is one record)
 * @param literal   the arguments as written there (may hold {@code $variables})
 * @param effective the arguments with known variables expanded ({@code $kernelopts} from grubenv,
 *                  {@code $GRUB_CMDLINE_LINUX} in /etc/default/grub); what the kernel would see
 * @param kernel    the kernel image this place boots as it names it (grub.cfg {@code linux} line, BLS {@code linux}
 *                  key), or null for places every kernel boots with
 */
public record CmdlineSite(Kind kind, String file, int line, String literal, String effective, String kernel) {
    /** A place every kernel boots with (no particular kernel). */
    public CmdlineSite(Kind kind, String file, int line, String literal, String effective) {
        this(kind, file, line, literal, effective, null);
    }

    public enum Kind {
        /** Effective {@code GRUB_CMDLINE_LINUX} after /etc/default/grub and grub.d drop-ins (last assignment). */
        DEFAULT_GRUB,
        /** A {@code GRUB_CMDLINE_LINUX_DEFAULT} assignment (normal entries only). */
        DEFAULT_GRUB_EXTRA,
        /** A {@code linux}/{@code linuxefi}/{@code linux16} line of a generated grub.cfg. */
        GRUB_CFG,
        /** A {@code set kernelopts=...} fallback in grub.cfg (RHEL 8). */
        GRUB_CFG_KERNELOPTS,
        /** An {@code options} line of a Boot Loader Specification entry. */
        BLS,
        /** {@code kernelopts} in a GRUB environment block. */
        GRUBENV,
        /** {@code /etc/kernel/cmdline} (kernel-install uses it for new kernels). */
        KERNEL_CMDLINE,
        /** A {@code kernel} line of a GRUB legacy {@code grub.conf}/{@code menu.lst} entry ({@link LegacyBootSites}). */
        GRUB_LEGACY,
        /** Debian's legacy update-grub {@code # kopt=} magic comment (the source of every entry's arguments). */
        GRUB_LEGACY_KOPT,
        /** Debian's legacy update-grub {@code # defoptions=} (normal entries only, like GRUB_CMDLINE_LINUX_DEFAULT). */
        GRUB_LEGACY_DEFOPTIONS,
        /** An extlinux/syslinux {@code APPEND} line (a Linux label's own, or the global one it inherits). */
        EXTLINUX,
        /** Alpine's {@code default_kernel_opts} in /etc/update-extlinux.conf (update-extlinux regenerates from it). */
        EXTLINUX_SOURCE,
        /** SLES 11's {@code DEFAULT_APPEND} in /etc/sysconfig/bootloader (perl-Bootloader's source for new entries). */
        SUSE_BOOTLOADER
    }

    /** True for places an entry boots with (all but the extra-defaults variable). */
    public boolean complete() {
        return kind != Kind.DEFAULT_GRUB_EXTRA && kind != Kind.GRUB_LEGACY_DEFOPTIONS;
    }
}
