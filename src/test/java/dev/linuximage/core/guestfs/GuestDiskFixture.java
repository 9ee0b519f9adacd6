package dev.linuximage.core.guestfs;

import dev.linuximage.core.fs.xfs.XfsFixture;
import dev.linuximage.core.io.FileByteSource;
import dev.linuximage.core.partition.Partition;
import dev.linuximage.core.partition.PartitionTables;
import dev.linuximage.testsupport.DiskFiles;
import dev.linuximage.testsupport.Tools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A whole guest disk built without mounting: GPT (sgdisk) with an ESP (mkfs.vfat + mtools, FAT32), a BIOS-boot
 * partition, an XFS root (mkfs.xfs -p) whose /etc/fstab mounts the ESP by UUID and an LVM logical volume (real lvm2
 * tools on a loop device, metadata only) holding a FAT file system at /srv, plus hostile symlinks.
 */
public final class GuestDiskFixture {
    public static final String ROOT_UUID = "5e1f8b5c-3f3e-4a3c-9a59-0d2b7f0c1a11";
    public static final String FSTAB = "# /etc/fstab: static file system information\n"
            + "UUID=" + ROOT_UUID + " / xfs defaults 0 0\n"
            + "UUID=DEAD-BEEF /boot/efi vfat umask=0077 0 1\n"
            + "/dev/mapper/vgguest-data /srv vfat defaults,nofail 0 2\n"
            + "/dev/sda9 none swap sw 0 0\n"
            + "tmpfs /tmp tmpfs defaults 0 0\n"
            + "server:/export /mnt/nfs nfs defaults 0 0\n"
            + "LABEL=MISSING /data ext4 defaults 0 2\n";
    public static final String GUEST_PASSWD = "root:x:0:0:guest root:/root:/bin/bash\n";

    public record Built(Path disk, Path canary, List<Partition> partitions) {}

    private GuestDiskFixture() {}

    public static Built build(Path dir) throws Exception {
        Path canaryDir = Files.createDirectories(dir.resolve("host-canary"));
        Path canary = Files.writeString(canaryDir.resolve("canary.txt"), "HOST SECRET - must never be read\n");
        Path src = Files.createDirectories(dir.resolve("guest-src"));
        Path fstab = Files.writeString(src.resolve("fstab"), FSTAB);
        Path passwd = Files.writeString(src.resolve("passwd"), GUEST_PASSWD);
        StringBuilder etc = new StringBuilder();
        etc.append(" fstab ---644 0 0 ").append(fstab).append('\n');
        etc.append(" passwd ---644 0 0 ").append(passwd).append('\n');
        etc.append(" grub2 l--777 0 0 /proc/self/root/etc/passwd\n");
        etc.append(" cloud l--777 0 0 /\n");
        etc.append(" loop1 l--777 0 0 loop2\n loop2 l--777 0 0 loop1\n");
        etc.append(" dotdot l--777 0 0 ../../../../../../../../etc/os-release\n");
        etc.append(" esp l--777 0 0 ../boot/efi/EFI\n");
        etc.append(" canary l--777 0 0 ").append(canary.toAbsolutePath()).append('\n');
        etc.append(" canarydir l--777 0 0 ").append(canaryDir.toAbsolutePath()).append('\n');
        etc.append(" hostroot l--777 0 0 ")
                .append("../".repeat(30))
                .append(canary.toAbsolutePath().toString().substring(1))
                .append('\n');
        for (int i = 0; i < 41; i++) {
            etc.append(" c")
                    .append(i)
                    .append(" l--777 0 0 ")
                    .append(i == 40 ? "os-release" : "c" + (i + 1))
                    .append('\n');
        }
        String root = "boot d--755 0 0\n efi d--700 0 0\n $\n grub d--755 0 0\n  grub.cfg ---644 0 0 " + fstab
                + "\n $\n$\nsrv d--755 0 0\n$\ntmp d--777 0 0\n$\n";
        Path xfs = XfsFixture.build(dir, "root", 300, etc.toString(), root);

        Path disk = DiskFiles.sparse(dir.resolve("disk.raw"), 420L << 20);
        Tools.run(
                "sgdisk",
                "-n1:2048:+40M",
                "-t1:ef00",
                "-c1:EFI System",
                "-n2:0:+1M",
                "-t2:ef02",
                "-n3:0:+300M",
                "-t3:8304",
                "-c3:root",
                "-n4:0:0",
                "-t4:8e00",
                disk.toString());
        List<Partition> parts;
        try (FileByteSource s = FileByteSource.openReadOnly(disk)) {
            parts = PartitionTables.read(s).partitions();
        }
        // ESP
        Path esp = dir.resolve("esp.fat");
        Tools.run(
                "mkfs.vfat",
                "-C",
                "-F",
                "32",
                "-s",
                "1",
                "-n",
                "ESP",
                "-i",
                "DEADBEEF",
                esp.toString(),
                String.valueOf(parts.get(0).sizeBytes() / 1024));
        Path grub = Files.writeString(
                dir.resolve("grub.cfg"),
                "search --fs-uuid --set=root " + ROOT_UUID + "\n" + "configfile ($root)/boot/grub/grub.cfg\n");
        Tools.run("mmd", "-i", esp.toString(), "::/EFI", "::/EFI/debian");
        Tools.run("mcopy", "-i", esp.toString(), grub.toString(), "::/EFI/debian/grub.cfg");
        Tools.run("mcopy", "-i", esp.toString(), grub.toString(), "::/EFI/debian/old.cfg");
        place(esp, disk, parts.get(0).startBytes());
        place(xfs, disk, parts.get(2).startBytes());
        // LVM on partition 4, LV "data" with a FAT file system
        Partition p4 = parts.get(3);
        long lvStart;
        try (dev.linuximage.core.volume.LvmToolAccess t = new dev.linuximage.core.volume.LvmToolAccess()) {
            String loop = t.attach(disk, p4.startBytes(), p4.sizeBytes());
            t.lvm("pvcreate", "-y", loop);
            t.lvm("vgcreate", "-y", "-s", "1m", "vgguest", loop);
            t.lvm("lvcreate", "-y", "-an", "-Zn", "-n", "data", "-L", "24m", "vgguest");
            long peStart =
                    Long.parseLong(t.lvm("pvs", "--noheadings", "--units", "b", "--nosuffix", "-o", "pe_start", loop)
                            .strip());
            String range = t.lvm("lvs", "--noheadings", "-o", "seg_pe_ranges", "vgguest/data")
                    .strip();
            long firstPe = Long.parseLong(range.replaceAll(".*:(\\d+)-\\d+", "$1"));
            lvStart = p4.startBytes() + peStart + firstPe * (1L << 20);
        }
        Path lv = dir.resolve("lv.fat");
        Tools.run("mkfs.vfat", "-C", "-n", "SRV", lv.toString(), String.valueOf(24 * 1024));
        Path hello = Files.writeString(dir.resolve("hello.txt"), "served from an LV\n");
        Tools.run("mcopy", "-i", lv.toString(), hello.toString(), "::/hello.txt");
        place(lv, disk, lvStart);
        return new Built(disk, canary, parts);
    }

    /** Copies an image into the disk at {@code offset} bytes, keeping holes (dd conv=sparse,notrunc). */
    static void place(Path image, Path disk, long offset) throws Exception {
        Tools.run(
                "dd",
                "if=" + image,
                "of=" + disk,
                "bs=512",
                "seek=" + offset / 512,
                "conv=sparse,notrunc",
                "status=none");
    }

    public static Path copy(Path disk, Path to) throws Exception {
        Tools.run("cp", "--sparse=always", disk.toString(), to.toString());
        return to;
    }
}
