package dev.linuximage.core.guestfs;

/**
 * One line of the guest's {@code /etc/fstab} and what became of it.
 *
 * @param volume the volume name it resolved to, or empty
 * @param status {@code mounted}, {@code ignored: <why>} (swap, network, pseudo file systems) or
 *               {@code unresolved: <why>}
 */
public record MountEntry(String spec, String mountPoint, String fsType, String options, String volume, String status) {}
