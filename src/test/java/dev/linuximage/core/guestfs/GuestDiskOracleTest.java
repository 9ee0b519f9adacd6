package dev.linuximage.core.guestfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.linuximage.core.fs.GuestFiles;
import dev.linuximage.core.fs.GuestPathException;
import dev.linuximage.core.fs.UnsupportedFsFeatureException;
import dev.linuximage.core.io.FileByteSource;
import dev.linuximage.testsupport.DiskFiles;
import dev.linuximage.testsupport.Tools;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Tag("oracle")
class GuestDiskOracleTest {
    @TempDir
    static Path shared;

    static GuestDiskFixture.Built fx;
    static FileTime canaryTime;

    @TempDir
    Path tmp;

    @BeforeAll
    static void build() throws Exception {
        fx = GuestDiskFixture.build(shared);
        canaryTime = Files.getLastModifiedTime(fx.canary());
    }

    static String text(GuestFiles g, String p) throws Exception {
        return new String(g.read(p), StandardCharsets.UTF_8);
    }

    void canaryUntouched() throws Exception {
        assertThat(Files.readString(fx.canary())).isEqualTo("HOST SECRET - must never be read\n");
        assertThat(Files.getLastModifiedTime(fx.canary())).isEqualTo(canaryTime);
        assertThat(Files.list(fx.canary().getParent())).hasSize(1);
    }

    @Test
    void assemblesTheGuestFromItsOwnFstab() throws Exception {
        try (FileByteSource src = FileByteSource.openReadOnly(fx.disk());
                GuestDisk g = GuestDisk.open(src, GuestOptions.readOnly(), new ChangeLog())) {
            assertThat(g.rootVolume()).isEqualTo("part3");
            assertThat(g.mountedVolumes())
                    .containsEntry("/", "part3")
                    .containsEntry("/boot/efi", "part1")
                    .containsEntry("/srv", "/dev/vgguest/data");
            assertThat(g.mountEntries())
                    .extracting(MountEntry::status)
                    .containsExactly(
                            "mounted",
                            "mounted",
                            "mounted",
                            "ignored: swap is not on this disk",
                            "ignored: tmpfs is not on this disk",
                            "ignored: nfs is not on this disk",
                            "unresolved: no volume matches LABEL=MISSING");
            assertThat(g.warnings()).anyMatch(w -> w.contains("LABEL=MISSING"));
            assertThat(text(g, "/etc/os-release")).contains("ID=rocky");
            assertThat(text(g, "/boot/efi/EFI/debian/grub.cfg")).contains("search --fs-uuid");
            assertThat(text(g, "/boot/efi/efi/DEBIAN/grub.cfg"))
                    .as("FAT is case-insensitive")
                    .contains("search --fs-uuid");
            assertThat(text(g, "/srv/hello.txt")).isEqualTo("served from an LV\n");
            assertThat(text(g, "/etc/esp/debian/grub.cfg"))
                    .as("relative symlink into a mount")
                    .contains("configfile");
            assertThat(g.list("/")).extracting(GuestFiles.DirEntry::name).contains("boot", "etc", "srv", "usr");
            assertThat(g.list("/boot/efi"))
                    .extracting(GuestFiles.DirEntry::name)
                    .containsExactly("EFI");
            assertThat(text(g, "/boot/efi/../../etc/hostname"))
                    .as(".. leaves a mount upwards")
                    .isEqualTo("hello xfs\n");
            assertThat(g.lstat("/etc/cloud").orElseThrow().type()).isEqualTo(GuestFiles.Type.SYMLINK);
            assertThat(g.stat("/etc/cloud").orElseThrow().type()).isEqualTo(GuestFiles.Type.DIRECTORY);
            assertThat(g.readLink("/etc/loop1")).isEqualTo("loop2");
            assertThat(g.stat("/nonexistent/x")).isEmpty();
        }
    }

    @Test
    void symlinksNeverLeaveTheGuest() throws Exception {
        try (FileByteSource src = FileByteSource.openReadOnly(fx.disk());
                GuestDisk g = GuestDisk.open(src, GuestOptions.readOnly(), new ChangeLog())) {
            assertThatThrownBy(() -> g.read("/etc/grub2")).isInstanceOf(NoSuchFileException.class);
            assertThat(text(g, "/etc/cloud/etc/passwd")).isEqualTo(GuestDiskFixture.GUEST_PASSWD);
            assertThat(text(g, "/etc/cloud/etc/cloud/etc/cloud/etc/passwd")).isEqualTo(GuestDiskFixture.GUEST_PASSWD);
            assertThat(text(g, "/../../../../etc/passwd")).isEqualTo(GuestDiskFixture.GUEST_PASSWD);
            assertThat(text(g, "/etc/dotdot")).contains("ID=rocky");
            assertThatThrownBy(() -> g.read("/etc/canary")).isInstanceOf(NoSuchFileException.class);
            assertThatThrownBy(() -> g.read("/etc/hostroot")).isInstanceOf(NoSuchFileException.class);
            assertThat(g.stat("/etc/canarydir/canary.txt")).isEmpty();
            assertThatThrownBy(() -> g.read("/etc/loop1"))
                    .isInstanceOf(GuestPathException.class)
                    .hasMessageContaining("40");
            assertThatThrownBy(() -> g.read("/etc/c0")).as("41 links").isInstanceOf(GuestPathException.class);
            assertThat(text(g, "/etc/c2")).as("39 links are fine").contains("ID=rocky");
            assertThatThrownBy(() -> g.read("/etc/os-release/x"))
                    .isInstanceOf(GuestPathException.class)
                    .hasMessageContaining("not a directory");
        }
        canaryUntouched();
    }

    @Test
    void readCapAndReadOnlyMode() throws Exception {
        try (FileByteSource src = FileByteSource.openReadOnly(fx.disk());
                GuestDisk g = GuestDisk.open(src, GuestOptions.readOnly().withReadCap(1_000_000), new ChangeLog())) {
            assertThatThrownBy(() -> g.read("/big.bin"))
                    .isInstanceOf(GuestPathException.class)
                    .hasMessageContaining("read cap");
            assertThat(g.readOnly()).isTrue();
            assertThatThrownBy(() -> g.write("/etc/hostname", new byte[1])).isInstanceOf(ReadOnlyGuestException.class);
            assertThatThrownBy(() -> g.delete("/etc/hostname")).isInstanceOf(ReadOnlyGuestException.class);
            assertThatThrownBy(() -> g.mkdirs("/x", 0755)).isInstanceOf(ReadOnlyGuestException.class);
            assertThatThrownBy(() -> g.chmod("/etc/hostname", 0600)).isInstanceOf(ReadOnlyGuestException.class);
            assertThatThrownBy(() -> g.symlink("/x", "y")).isInstanceOf(ReadOnlyGuestException.class);
        }
    }

    @Test
    void writesAcrossFileSystemsAndTheOraclesAgree() throws Exception {
        Path disk = GuestDiskFixture.copy(fx.disk(), tmp.resolve("disk.raw"));
        ChangeLog log = new ChangeLog();
        try (FileByteSource src = FileByteSource.openReadWrite(disk);
                GuestDisk g = GuestDisk.open(src, GuestOptions.readWrite(), log)) {
            g.write("/etc/esp/debian/grub.cfg", "set timeout=5\nsearch --fs-uuid --set=root x\n".getBytes());
            g.write("/etc/hostname", "web01\n".getBytes());
            g.write("/srv/a new file with a long name.txt", "new\n".getBytes());
            g.mkdirs("/boot/efi/EFI/BOOT/sub", 0755);
            g.write("/boot/efi/EFI/BOOT/sub/BOOTX64.CSV", "shimx64.efi\n".getBytes());
            assertThat(g.delete("/boot/efi/EFI/debian/old.cfg")).isTrue();
            assertThat(g.delete("/boot/efi/EFI/debian/old.cfg")).isFalse();
            g.chmod("/etc/passwd", 0600);
            // creation on the XFS root: in the block directory /etc, a new short-form directory, an inline symlink
            g.write("/etc/new-on-xfs", new byte[] {'x'});
            g.mkdirs("/etc/modprobe.d", 0755);
            g.write("/etc/modprobe.d/blacklist-floppy.conf", "blacklist floppy\n".getBytes());
            g.symlink("/etc/modprobe.d/link", "blacklist-floppy.conf");
            assertThatThrownBy(() -> g.write("/etc/canary", "pwned".getBytes())).isInstanceOf(GuestPathException.class);
            assertThatThrownBy(() -> g.write("/etc/canarydir/new.txt", "pwned".getBytes()))
                    .isInstanceOf(GuestPathException.class);
            assertThatThrownBy(() -> g.delete("/boot/efi")).isInstanceOf(GuestPathException.class);
            assertThat(text(g, "/boot/efi/EFI/debian/grub.cfg")).startsWith("set timeout=5");
        }
        canaryUntouched();
        assertThat(log.changes())
                .extracting(Change::operation)
                .containsExactly(
                        "modify", "modify", "create", "mkdir", "mkdir", "create", "delete", "chmod", "create", "mkdir",
                        "create", "symlink");
        Change grub = log.changes().get(0);
        assertThat(grub.path()).isEqualTo("/etc/esp/debian/grub.cfg");
        assertThat(grub.diff()).contains("+set timeout=5").contains("-configfile ($root)/boot/grub/grub.cfg");
        assertThat(grub.before()).hasSize(64).isNotEqualTo(grub.after());
        assertThat(grub.applied()).isTrue();
        // Oracles: fsck.vfat + mtools on the ESP and the LV, xfs_repair + xfs_db on the root.
        Path esp = DiskFiles.copyRange(
                disk,
                fx.partitions().get(0).startBytes(),
                fx.partitions().get(0).sizeBytes(),
                tmp.resolve("esp.fat"));
        Tools.Result fsck = Tools.exec("fsck.vfat", "-n", esp.toString());
        assertThat(fsck.exit()).as(fsck.out() + fsck.err()).isZero();
        assertThat(Tools.run("mtype", "-i", esp.toString(), "::/EFI/debian/grub.cfg")
                        .out())
                .startsWith("set timeout=5");
        assertThat(Tools.run("mtype", "-i", esp.toString(), "::/EFI/BOOT/sub/BOOTX64.CSV")
                        .out())
                .isEqualTo("shimx64.efi\n");
        assertThat(Tools.run("mdir", "-i", esp.toString(), "::/EFI/debian").out())
                .doesNotContain("old");
        Path root = DiskFiles.copyRange(
                disk,
                fx.partitions().get(2).startBytes(),
                fx.partitions().get(2).sizeBytes(),
                tmp.resolve("root.xfs"));
        Tools.Result repair = Tools.exec("xfs_repair", "-n", "-f", root.toString());
        assertThat(repair.exit()).as(repair.out() + repair.err()).isZero();
        assertThat(Tools.run("xfs_db", "-r", "-c", "path /etc/passwd", "-c", "print core.mode", root.toString())
                        .out())
                .contains("0100600");
        assertThat(Tools.run("xfs_db", "-r", "-c", "ls /etc/modprobe.d", root.toString())
                        .out())
                .contains("blacklist-floppy.conf")
                .contains("link");
        try (FileByteSource src = FileByteSource.openReadOnly(disk);
                GuestDisk g = GuestDisk.open(src, GuestOptions.readOnly(), new ChangeLog())) {
            assertThat(text(g, "/etc/hostname")).isEqualTo("web01\n");
            assertThat(text(g, "/srv/a new file with a long name.txt")).isEqualTo("new\n");
            assertThat(text(g, "/etc/new-on-xfs")).isEqualTo("x");
            assertThat(text(g, "/etc/modprobe.d/link")).isEqualTo("blacklist floppy\n");
        }
    }

    @Test
    void dryRunRecordsButDoesNotWrite() throws Exception {
        Path disk = GuestDiskFixture.copy(fx.disk(), tmp.resolve("disk.raw"));
        ChangeLog log = new ChangeLog();
        try (FileByteSource src = FileByteSource.openReadOnly(disk);
                GuestDisk g = GuestDisk.open(src, GuestOptions.dryRunOptions(), log)) {
            g.write("/boot/efi/EFI/debian/grub.cfg", "dry\n".getBytes());
            g.write("/boot/efi/EFI/debian/new.cfg", "fresh\n".getBytes());
            assertThat(g.delete("/srv/hello.txt")).isTrue();
            assertThat(text(g, "/boot/efi/EFI/debian/grub.cfg")).isEqualTo("dry\n");
            assertThat(text(g, "/boot/efi/EFI/debian/new.cfg")).isEqualTo("fresh\n");
            assertThat(g.stat("/srv/hello.txt")).isEmpty();
            assertThat(g.list("/boot/efi/EFI/debian"))
                    .extracting(GuestFiles.DirEntry::name)
                    .contains("new.cfg");
        }
        assertThat(log.changes()).allMatch(c -> !c.applied()).hasSize(3);
        try (FileByteSource src = FileByteSource.openReadOnly(disk);
                GuestDisk g = GuestDisk.open(src, GuestOptions.readOnly(), new ChangeLog())) {
            assertThat(text(g, "/boot/efi/EFI/debian/grub.cfg")).contains("search --fs-uuid");
            assertThat(g.stat("/boot/efi/EFI/debian/new.cfg")).isEmpty();
            assertThat(text(g, "/srv/hello.txt")).isEqualTo("served from an LV\n");
        }
    }

    @Test
    void explicitVolumeSelection() throws Exception {
        try (FileByteSource src = FileByteSource.openReadOnly(fx.disk())) {
            try (GuestDisk g = GuestDisk.openVolume(src, "part1", GuestOptions.readOnly(), new ChangeLog())) {
                assertThat(g.list("/EFI")).extracting(GuestFiles.DirEntry::name).containsExactly("debian");
            }
            try (GuestDisk g =
                    GuestDisk.openVolume(src, "/dev/vgguest/data", GuestOptions.readOnly(), new ChangeLog())) {
                assertThat(text(g, "/hello.txt")).isEqualTo("served from an LV\n");
            }
            try (GuestDisk g = GuestDisk.openVolume(src, "UUID=dead-beef", GuestOptions.readOnly(), new ChangeLog())) {
                assertThat(g.stat("/EFI/debian/grub.cfg")).isPresent();
            }
            try (GuestDisk g = GuestDisk.openVolume(src, "/dev/sda3", GuestOptions.readOnly(), new ChangeLog())) {
                assertThat(g.mountEntries()).isEmpty();
                assertThat(g.stat("/boot/efi/EFI"))
                        .as("no fstab mounts with --fs")
                        .isEmpty();
            }
            assertThatThrownBy(() -> GuestDisk.openVolume(src, "part2", GuestOptions.readOnly(), new ChangeLog()))
                    .isInstanceOf(GuestPathException.class)
                    .hasMessageContaining("bios-boot");
        }
    }

    @Test
    void dirtyXfsLogKeepsTheRootReadableAndNamesTheReasonOnWrite() throws Exception {
        Path disk = GuestDiskFixture.copy(fx.disk(), tmp.resolve("disk.raw"));
        Path root = DiskFiles.copyRange(
                disk,
                fx.partitions().get(2).startBytes(),
                fx.partitions().get(2).sizeBytes(),
                tmp.resolve("root.xfs"));
        String sb = Tools.run(
                        "xfs_db",
                        "-r",
                        "-c",
                        "sb 0",
                        "-c",
                        "print logstart blocksize agblocks agblklog",
                        root.toString())
                .out();
        long logstart = Long.parseLong(sb.replaceAll("(?s).*logstart = (\\d+).*", "$1"));
        int bs = Integer.parseInt(sb.replaceAll("(?s).*blocksize = (\\d+).*", "$1"));
        long agblocks = Long.parseLong(sb.replaceAll("(?s).*agblocks = (\\d+).*", "$1"));
        int agblklog = Integer.parseInt(sb.replaceAll("(?s).*agblklog = (\\d+).*", "$1"));
        long logByte = fx.partitions().get(2).startBytes()
                + ((logstart >>> agblklog) * agblocks + (logstart & ((1L << agblklog) - 1))) * bs;
        try (FileByteSource src = FileByteSource.openReadWrite(disk)) {
            byte[] op = src.readBytes(logByte + 512, 16);
            assertThat(op[9] & 0x20).as("mkfs left an unmount record").isEqualTo(0x20);
            op[9] = 0; // the last log record is no longer an unmount record: the log needs recovery
            src.write(logByte + 512, java.nio.ByteBuffer.wrap(op));
        }
        try (FileByteSource src = FileByteSource.openReadWrite(disk);
                GuestDisk g = GuestDisk.open(src, GuestOptions.readWrite(), new ChangeLog())) {
            assertThat(g.warnings()).anyMatch(w -> w.startsWith("part3 opened read-only") && w.contains("log"));
            assertThat(text(g, "/etc/os-release")).contains("ID=rocky");
            assertThatThrownBy(() -> g.write("/etc/hostname", "x\n".getBytes()))
                    .isInstanceOf(UnsupportedFsFeatureException.class)
                    .hasMessageContaining("part3")
                    .hasMessageContaining("log is dirty");
            g.write("/boot/efi/EFI/debian/grub.cfg", "still writable\n".getBytes());
            assertThat(text(g, "/boot/efi/EFI/debian/grub.cfg")).isEqualTo("still writable\n");
        }
    }
}
