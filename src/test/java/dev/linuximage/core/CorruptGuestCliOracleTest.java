package dev.linuximage.core;

import static dev.linuximage.testsupport.CliRun.run;
import static org.assertj.core.api.Assertions.assertThat;

import dev.linuximage.core.report.ExitCodes;
import dev.linuximage.testsupport.CliRun.Run;
import dev.linuximage.testsupport.FamilyGuests;
import dev.linuximage.testsupport.GuestTree;
import dev.linuximage.testsupport.Tools;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13, end to end: corrupt guest file systems through the command line. A CentOS 7 guest on a GPT disk (ESP:
 * FAT32 by {@code mkfs.vfat} + {@code mtools} at /boot/efi; root: XFS by {@code mkfs.xfs -p}) and the same tree on
 * an ext4 MBR disk ({@code mke2fs -d}) are damaged one field at a time with the real tools ({@code xfs_db -x
 * write -d}, which recomputes the CRC so that the field itself is what a reader must refuse; {@code debugfs};
 * byte edits of the BPB and the FAT at offsets from Microsoft's FAT specification), and the file-system oracle
 * ({@code xfs_repair -n}, {@code fsck.vfat -n}, {@code e2fsck -fn}) must agree that the image is damaged.
 *
 * <p>Every command that reads the damaged structure — {@code inspect}, {@code check}, {@code prepare},
 * {@code guest ls}, {@code guest cat} — must exit 3 ({@link ExitCodes#BAD_INPUT}: the input is what it is, a Job does
 * not retry it) with a one-line message naming the structure and field; never exit 1 (operational, retried), never a
 * stack trace, never a report that read the damaged directory as "absent" (which made requirements pass or fail on
 * files nobody could read). {@code prepare} leaves nothing at {@code --output}.
 */
@Tag("oracle")
class CorruptGuestCliOracleTest {
    static final String ROOT_UUID = "7c6b5a49-3827-4e1d-8c9b-0a1f2e3d4c5b";
    /** GPT partition starts (512-byte sectors): ESP at 1 MiB (40 MiB), root at 41 MiB (300 MiB). */
    static final long ESP_START = 2048L * 512;

    static final long ROOT_START = 83968L * 512;

    @TempDir
    static Path shared;

    static Path xfsImage;
    static Path espImage;
    static Path ext4Disk;

    @TempDir
    Path dir;

    @BeforeAll
    static void build() throws Exception {
        GuestTree tree = FamilyGuests.centos7(shared.resolve("tree"));
        tree.file(
                "/etc/fstab",
                "UUID=" + ROOT_UUID + " / xfs defaults 0 0\n"
                        + "UUID=DEAD-BEEF /boot/efi vfat umask=0077,shortname=winnt 0 2\n");
        tree.dir("/boot/efi");
        // enough entries that /etc/ssh is a block-form directory (its entries exceed the 336-byte literal area of a
        // 512-byte inode), so it has a directory data block to damage
        for (String k : List.of("rsa", "ecdsa", "ed25519")) {
            tree.file("/etc/ssh/ssh_host_" + k + "_key", "-----BEGIN OPENSSH PRIVATE KEY-----\n", "rw-------");
            tree.file("/etc/ssh/ssh_host_" + k + "_key.pub", "ssh-" + k + " AAAA\n");
        }
        tree.file("/etc/ssh/sshd_config", "PermitRootLogin no\nClientAliveInterval 180\n");
        tree.file("/etc/ssh/ssh_config", "Host *\n");
        for (int i = 0; i < 12; i++) {
            tree.file("/etc/ssh/sshd_config.rpmsave-" + i, "# old\n");
        }
        xfsImage = FamilyDiskCliOracleTest.xfs(shared, "root", tree.root(), ROOT_UUID, 300);
        assertThat(Tools.command(
                                "xfs_db",
                                "-r",
                                "-c",
                                "path /etc/ssh",
                                "-c",
                                "print core.format",
                                "-c",
                                "dblock 0",
                                "-c",
                                "print bhdr.hdr.magic",
                                xfsImage.toString())
                        .timeout(Tools.MINUTE)
                        .mergeStderr()
                        .run()
                        .out())
                .contains("core.format = 2 (extents)")
                .contains("bhdr.hdr.magic = 0x58444233");

        espImage = shared.resolve("esp.fat");
        try (RandomAccessFile f = new RandomAccessFile(espImage.toFile(), "rw")) {
            f.setLength(40L << 20);
        }
        // FAT32 with 512-byte clusters: a grub.cfg of several clusters has a chain to damage
        Tools.command("mkfs.vfat", "-F", "32", "-s", "1", "-i", "DEADBEEF", espImage.toString())
                .timeout(Tools.MINUTE)
                .mergeStderr()
                .run();
        StringBuilder cfg = new StringBuilder("set timeout=5\n");
        for (int i = 0; i < 40; i++) {
            cfg.append("# padding line ").append(i).append(" so that grub.cfg spans several clusters\n");
        }
        cfg.append("menuentry 'CentOS Linux' {\n\tlinuxefi /vmlinuz-")
                .append(FamilyGuests.CENTOS7_KERNEL)
                .append(" root=UUID=")
                .append(ROOT_UUID)
                .append(" ro rhgb quiet\n}\n");
        Path grubCfg = Files.writeString(shared.resolve("grub.cfg"), cfg);
        Tools.command("mmd", "-i", espImage.toString(), "::/EFI", "::/EFI/centos")
                .timeout(Tools.MINUTE)
                .mergeStderr()
                .run();
        Tools.command("mcopy", "-i", espImage.toString(), grubCfg.toString(), "::/EFI/centos/grub.cfg")
                .timeout(Tools.MINUTE)
                .mergeStderr()
                .run();

        GuestTree ext4Tree = FamilyGuests.centos7(shared.resolve("ext4-tree"));
        ext4Tree.file("/etc/fstab", "UUID=6d5c0f7e-8a3b-4c2d-9e1f-0a1b2c3d4e5f / ext4 defaults 0 1\n");
        for (String k : List.of("rsa", "ecdsa", "ed25519")) {
            ext4Tree.file("/etc/ssh/ssh_host_" + k + "_key", "-----BEGIN OPENSSH PRIVATE KEY-----\n", "rw-------");
        }
        Path ext4Dir = Files.createDirectories(shared.resolve("ext4"));
        ext4Disk = FamilyDiskCliOracleTest.disk(ext4Dir, ext4Tree);
    }

    // ---- the images ---------------------------------------------------------------------------------------------

    /** The GPT disk of a (possibly damaged) root and ESP image. */
    Path gptDisk(Path root, Path esp) throws Exception {
        Path raw = dir.resolve("disk.raw");
        try (RandomAccessFile f = new RandomAccessFile(raw.toFile(), "rw")) {
            f.setLength(400L << 20);
        }
        Tools.command(
                        "sgdisk",
                        "-n",
                        "1:2048:+40M",
                        "-t",
                        "1:ef00",
                        "-n",
                        "2:83968:+300M",
                        "-t",
                        "2:8300",
                        raw.toString())
                .timeout(Tools.MINUTE)
                .mergeStderr()
                .run();
        FamilyDiskCliOracleTest.place(esp, raw, ESP_START);
        FamilyDiskCliOracleTest.place(root, raw, ROOT_START);
        return raw;
    }

    /** A copy of the root image damaged by {@code xfs_db -x} commands; xfs_repair -n must find the damage. */
    Path damagedXfs(String... commands) throws Exception {
        Path img = copy(xfsImage, dir.resolve("root.xfs"));
        String[] cmd = new String[commands.length * 2 + 3];
        cmd[0] = "xfs_db";
        cmd[1] = "-x";
        for (int i = 0; i < commands.length; i++) {
            cmd[2 + 2 * i] = "-c";
            cmd[3 + 2 * i] = commands[i];
        }
        cmd[cmd.length - 1] = img.toString();
        Tools.command(cmd).timeout(Tools.MINUTE).mergeStderr().run();
        Tools.Result repair = Tools.command("xfs_repair", "-n", "-f", img.toString())
                .timeout(Tools.MINUTE)
                .mergeStderr()
                .exec();
        assertThat(repair.exit())
                .as("xfs_repair -n sees the damage: %s", repair.out())
                .isNotZero();
        return img;
    }

    /** A copy of the ESP image damaged by {@code edit}; fsck.vfat -n must find the damage. */
    Path damagedEsp(FatEdit edit) throws Exception {
        Path img = copy(espImage, dir.resolve("esp.fat"));
        try (RandomAccessFile f = new RandomAccessFile(img.toFile(), "rw")) {
            edit.apply(f, Bpb.read(f));
        }
        Tools.Result fsck = Tools.command("fsck.vfat", "-n", img.toString())
                .timeout(Tools.MINUTE)
                .mergeStderr()
                .exec();
        assertThat(fsck.exit())
                .as("fsck.vfat -n sees the damage: %s", fsck.out())
                .isNotZero();
        return img;
    }

    interface FatEdit {
        void apply(RandomAccessFile f, Bpb bpb) throws Exception;
    }

    /**
     * The FAT32 BPB fields we need (Microsoft "FAT: General Overview of On-Disk Format", §3.1–3.3, little-endian):
     * BytsPerSec @11, SecPerClus @13, RsvdSecCnt @14, NumFATs @16, TotSec32 @32, FATSz32 @36.
     */
    record Bpb(int bytesPerSector, int sectorsPerCluster, int reserved, int fats, long totalSectors, long fatSectors) {
        static Bpb read(RandomAccessFile f) throws Exception {
            byte[] s = new byte[512];
            f.seek(0);
            f.readFully(s);
            ByteBuffer b = ByteBuffer.wrap(s).order(ByteOrder.LITTLE_ENDIAN);
            return new Bpb(
                    b.getShort(11) & 0xffff,
                    s[13] & 0xff,
                    b.getShort(14) & 0xffff,
                    s[16] & 0xff,
                    b.getInt(32) & 0xffffffffL,
                    b.getInt(36) & 0xffffffffL);
        }

        /** CountofClusters (§3.5; FAT32 has no fixed root directory region). */
        long clusters() {
            return (totalSectors - reserved - (long) fats * fatSectors) / sectorsPerCluster;
        }

        /** Sets FAT entry {@code cluster} to {@code value} in every FAT copy (the upper 4 bits are reserved, §4). */
        void setEntry(RandomAccessFile f, long cluster, long value) throws Exception {
            for (int k = 0; k < fats; k++) {
                long at = ((long) reserved + k * fatSectors) * bytesPerSector + cluster * 4;
                byte[] e = new byte[4];
                f.seek(at);
                f.readFully(e);
                int old = ByteBuffer.wrap(e).order(ByteOrder.LITTLE_ENDIAN).getInt();
                int v = (old & 0xf0000000) | (int) (value & 0x0fffffff);
                f.seek(at);
                f.write(ByteBuffer.allocate(4)
                        .order(ByteOrder.LITTLE_ENDIAN)
                        .putInt(v)
                        .array());
            }
        }
    }

    /** The first cluster of a file or directory on the pristine ESP, as {@code mshowfat} reports it. */
    static long firstCluster(String path) {
        String out = Tools.command("mshowfat", "-i", espImage.toString(), "::" + path)
                .timeout(Tools.MINUTE)
                .mergeStderr()
                .run()
                .out();
        Matcher m = Pattern.compile("<(\\d+)").matcher(out);
        assertThat(m.find()).as(out).isTrue();
        return Long.parseLong(m.group(1));
    }

    static Path copy(Path from, Path to) {
        Tools.command("cp", "--sparse=always", from.toString(), to.toString())
                .timeout(Tools.MINUTE)
                .mergeStderr()
                .run();
        return to;
    }

    // ---- running the CLI ----------------------------------------------------------------------------------------

    /** Exit 3, the field named on one line, no stack trace, no exception class names. */
    static void assertRefused(Run r, String what, String... named) {
        assertThat(r.code())
                .as("%s exit code; stderr: %s; stdout: %s", what, r.err(), r.out())
                .isEqualTo(ExitCodes.BAD_INPUT);
        for (String n : named) {
            assertThat(r.err()).as(what).contains(n);
        }
        assertThat(r.err())
                .as(what + ": no stack trace")
                .doesNotContain("\tat ")
                .doesNotContain("Exception");
    }

    /** inspect, check and prepare (nothing at --output afterwards) refuse the disk naming {@code named}. */
    void assertPipelineRefuses(Path disk, String... named) throws Exception {
        assertRefused(run("inspect", disk.toString(), "--json"), "inspect", named);
        assertCheckAndPrepareRefuse(disk, named);
    }

    /**
     * check and prepare refuse the disk naming {@code named}; inspect, which describes the disk, its file systems
     * and the guest's identity and fstab, never reads the damaged directory and still describes the disk (exit 0).
     */
    void assertCheckAndPrepareRefuseInspectDescribes(Path disk, String... named) throws Exception {
        Run inspect = run("inspect", disk.toString(), "--json");
        assertThat(inspect.code()).as(inspect.err()).isZero();
        assertThat(inspect.out()).contains("\"found\" : true").contains("CentOS Linux 7 (Core)");
        assertCheckAndPrepareRefuse(disk, named);
    }

    void assertCheckAndPrepareRefuse(Path disk, String... named) throws Exception {
        assertRefused(
                run(
                        "check",
                        disk.toString(),
                        "--quiet",
                        "--provisioning",
                        "CloudInit",
                        "--report",
                        dir.resolve("check.json").toString()),
                "check",
                named);
        Path outDir = Files.createDirectories(dir.resolve("out"));
        assertRefused(
                run(
                        "prepare",
                        disk.toString(),
                        "--output",
                        outDir.resolve("disk.vhd").toString(),
                        "--quiet",
                        "--provisioning",
                        "CloudInit",
                        "--report",
                        dir.resolve("prepare.json").toString()),
                "prepare",
                named);
        try (Stream<Path> s = Files.list(outDir)) {
            assertThat(s.map(p -> p.getFileName().toString()).toList())
                    .as("prepare leaves nothing under the output name and no partial file")
                    .isEmpty();
        }
    }

    // ---- the pristine images work ---------------------------------------------------------------------------------

    @Test
    void thePristineDisksAreReadByEveryCommand() throws Exception {
        Path disk = gptDisk(xfsImage, espImage);
        Run ls = run("guest", "ls", disk.toString(), "/etc/ssh");
        assertThat(ls.code()).as(ls.err()).isZero();
        assertThat(ls.out()).contains("ssh_host_ed25519_key.pub").contains("sshd_config.rpmsave-11");
        Run cat = run("guest", "cat", disk.toString(), "/boot/efi/EFI/centos/grub.cfg");
        assertThat(cat.code()).as(cat.err()).isZero();
        assertThat(cat.out()).isEqualTo(Files.readString(shared.resolve("grub.cfg")));
        Run check = run(
                "check",
                disk.toString(),
                "--quiet",
                "--provisioning",
                "CloudInit",
                "--report",
                dir.resolve("check.json").toString());
        assertThat(check.code()).as(check.err()).isEqualTo(ExitCodes.NOT_COMPLIANT);
        // the three host keys are found (the finding the damaged /etc/ssh must not turn into a Pass)
        String report = Files.readString(dir.resolve("check.json"));
        assertThat(report).contains("/etc/ssh/ssh_host_rsa_key").contains("/boot/efi/EFI/centos/grub.cfg");
        Run ext4 = run("guest", "ls", ext4Disk.toString(), "/etc/ssh");
        assertThat(ext4.code()).as(ext4.err()).isZero();
        assertThat(ext4.out()).contains("ssh_host_rsa_key");
    }

    // ---- XFS ----------------------------------------------------------------------------------------------------

    /** sb_agcount 0: an XFS file system has at least one allocation group (XFS Algorithms & Data Structures §12). */
    @Test
    void xfsSuperblockAgcountZero() throws Exception {
        Path disk = gptDisk(damagedXfs("sb 0", "write -d agcount 0"), espImage);
        assertPipelineRefuses(disk, "agcount 0");
        assertRefused(run("guest", "ls", disk.toString(), "/etc"), "guest ls", "agcount 0");
        assertRefused(run("guest", "cat", disk.toString(), "/etc/fstab"), "guest cat", "agcount 0");
    }

    /** sb_agblocks below the minimum AG size (XFS_MIN_AG_BLOCKS = 64) and disagreeing with sb_agblklog. */
    @Test
    void xfsSuperblockAgblocksTooSmall() throws Exception {
        Path disk = gptDisk(damagedXfs("sb 0", "write -d agblocks 16"), espImage);
        assertPipelineRefuses(disk, "agblocks 16");
        assertRefused(run("guest", "cat", disk.toString(), "/etc/fstab"), "guest cat", "agblocks 16");
    }

    /**
     * A damaged directory data block (magic XDB3 overwritten, CRC recomputed) of /etc/ssh: the directory cannot be
     * read, so nothing can be said of the host keys in it. Before issue 13's fix, {@code check} read it as an empty
     * directory and passed DEPROVISION-SSH-HOSTKEYS.
     */
    @Test
    void xfsDirectoryBlockMagic() throws Exception {
        Path disk = gptDisk(damagedXfs("path /etc/ssh", "dblock 0", "write -d bhdr.hdr.magic 0"), espImage);
        assertCheckAndPrepareRefuseInspectDescribes(disk, "data block hdr.magic");
        assertRefused(run("guest", "ls", disk.toString(), "/etc/ssh"), "guest ls", "data block hdr.magic");
        assertRefused(
                run("guest", "cat", disk.toString(), "/etc/ssh/sshd_config"), "guest cat", "data block hdr.magic");
        // the damage is local: a file elsewhere still reads
        Run fstab = run("guest", "cat", disk.toString(), "/etc/fstab");
        assertThat(fstab.code()).as(fstab.err()).isZero();
    }

    /**
     * di_format 7 on /etc/os-release: a regular file's data fork is XFS_DINODE_FMT_EXTENTS (2) or _BTREE (3); 7 is
     * no format at all (§16.1). The guest's identity cannot be read, which is not "no os-release".
     */
    @Test
    void xfsInodeFormat() throws Exception {
        Path disk = gptDisk(damagedXfs("path /etc/os-release", "write -d core.format 7"), espImage);
        assertPipelineRefuses(disk, "format 7");
        assertRefused(run("guest", "cat", disk.toString(), "/etc/os-release"), "guest cat", "format 7");
    }

    /**
     * The AGF magic (XAGF, §15.2) of every AG overwritten: free space cannot be read, so nothing can be allocated.
     * {@code prepare} (which writes) must refuse; a read-only audit does not read the AGF (and {@code inspect} takes
     * the used space from the superblock's sb_fdblocks when an AGF is unreadable).
     */
    @Test
    void xfsAgfMagic() throws Exception {
        int ags =
                Integer.parseInt(Tools.command("xfs_db", "-r", "-c", "sb 0", "-c", "print agcount", xfsImage.toString())
                        .timeout(Tools.MINUTE)
                        .mergeStderr()
                        .run()
                        .out()
                        .replaceAll("(?s).*agcount = (\\d+).*", "$1"));
        String[] cmds = new String[2 * ags];
        for (int a = 0; a < ags; a++) {
            cmds[2 * a] = "agf " + a;
            cmds[2 * a + 1] = "write -d magicnum 0";
        }
        Path disk = gptDisk(damagedXfs(cmds), espImage);
        Path outDir = Files.createDirectories(dir.resolve("out"));
        assertRefused(
                run(
                        "prepare",
                        disk.toString(),
                        "--output",
                        outDir.resolve("disk.vhd").toString(),
                        "--quiet",
                        "--provisioning",
                        "CloudInit"),
                "prepare",
                "AGF");
        try (Stream<Path> s = Files.list(outDir)) {
            assertThat(s.toList()).as("nothing at the output").isEmpty();
        }
        // the read-only audit reads no free-space header: it reaches the pristine disk's verdict (not compliant:
        // console, quiet, ...), it does not fail
        Run check = run("check", disk.toString(), "--quiet", "--provisioning", "CloudInit");
        assertThat(check.code()).as(check.err()).isEqualTo(ExitCodes.NOT_COMPLIANT);
    }

    // ---- FAT ----------------------------------------------------------------------------------------------------

    /** BPB_SecPerClus 0: the spec allows only 1, 2, 4, ..., 128 (§3.1). The ESP fstab mounts cannot be read. */
    @Test
    void fatSectorsPerClusterZero() throws Exception {
        Path disk = gptDisk(xfsImage, damagedEsp((f, bpb) -> {
            f.seek(13);
            f.write(0);
        }));
        assertPipelineRefuses(disk, "sectors per cluster 0");
        assertRefused(run("guest", "ls", disk.toString(), "/boot/efi/EFI"), "guest ls", "sectors per cluster 0");
        assertRefused(
                run("guest", "cat", disk.toString(), "/boot/efi/EFI/centos/grub.cfg"),
                "guest cat",
                "sectors per cluster 0");
    }

    /** The cluster chain of /EFI/centos points back to itself: a directory without end (§4: chains end in EOC). */
    @Test
    void fatDirectoryClusterChainLoop() throws Exception {
        long c = firstCluster("/EFI/centos");
        Path disk = gptDisk(xfsImage, damagedEsp((f, bpb) -> bpb.setEntry(f, c, c)));
        assertCheckAndPrepareRefuseInspectDescribes(disk, "cluster chain loops");
        assertRefused(run("guest", "ls", disk.toString(), "/boot/efi/EFI/centos"), "guest ls", "cluster chain loops");
        assertRefused(
                run("guest", "cat", disk.toString(), "/boot/efi/EFI/centos/grub.cfg"),
                "guest cat",
                "cluster chain loops");
    }

    /**
     * grub.cfg's first FAT entry points past the last cluster: valid cluster numbers are 2..CountofClusters+1 (§3.5,
     * §4), computed here from the BPB.
     */
    @Test
    void fatEntryBeyondTheVolume() throws Exception {
        long c = firstCluster("/EFI/centos/grub.cfg");
        long[] max = new long[1];
        Path disk = gptDisk(xfsImage, damagedEsp((f, bpb) -> {
            max[0] = bpb.clusters() + 1;
            bpb.setEntry(f, c, bpb.clusters() + 100);
        }));
        String named = "outside 2.." + max[0];
        assertRefused(run("guest", "cat", disk.toString(), "/boot/efi/EFI/centos/grub.cfg"), "guest cat", named);
        assertRefused(run("check", disk.toString(), "--quiet", "--provisioning", "CloudInit"), "check", named);
        Path outDir = Files.createDirectories(dir.resolve("out"));
        assertRefused(
                run(
                        "prepare",
                        disk.toString(),
                        "--output",
                        outDir.resolve("disk.vhd").toString(),
                        "--quiet",
                        "--provisioning",
                        "CloudInit"),
                "prepare",
                named);
        try (Stream<Path> s = Files.list(outDir)) {
            assertThat(s.toList()).as("nothing at the output").isEmpty();
        }
    }

    // ---- ext4, for symmetry -------------------------------------------------------------------------------------

    /** The extent header magic (0xF30A, ext4 disk layout "The Extent Tree") of /etc/ssh overwritten by debugfs. */
    @Test
    void ext4DirectoryExtentMagic() throws Exception {
        Path disk = copy(ext4Disk, dir.resolve("ext4.raw"));
        Tools.command(
                        "debugfs",
                        "-w",
                        "-R",
                        "sif /etc/ssh block[0] 0x12345678",
                        disk.toAbsolutePath() + "?offset=" + FamilyDiskCliOracleTest.OFFSET)
                .timeout(Tools.MINUTE)
                .mergeStderr()
                .run();
        assertE2fsckSeesDamage(disk);
        assertCheckAndPrepareRefuseInspectDescribes(disk, "extent header eh_magic 0x5678");
        assertRefused(run("guest", "ls", disk.toString(), "/etc/ssh"), "guest ls", "extent header eh_magic");
    }

    /** s_inodes_per_group 0 (ext4 disk layout "The Super Block"): no inode can be located. */
    @Test
    void ext4SuperblockInodesPerGroupZero() throws Exception {
        Path disk = copy(ext4Disk, dir.resolve("ext4.raw"));
        Tools.command(
                        "debugfs",
                        "-w",
                        "-R",
                        "ssv inodes_per_group 0",
                        disk.toAbsolutePath() + "?offset=" + FamilyDiskCliOracleTest.OFFSET)
                .timeout(Tools.MINUTE)
                .mergeStderr()
                .run();
        assertPipelineRefuses(disk, "s_inodes_per_group 0");
        assertRefused(run("guest", "cat", disk.toString(), "/etc/fstab"), "guest cat", "s_inodes_per_group 0");
    }

    static void assertE2fsckSeesDamage(Path disk) throws Exception {
        Path fs = Path.of(disk + ".fs");
        Tools.command("dd", "if=" + disk, "of=" + fs, "bs=1M", "skip=1", "conv=sparse", "status=none")
                .timeout(Tools.MINUTE)
                .mergeStderr()
                .run();
        Tools.Result r = Tools.command("e2fsck", "-fn", fs.toString())
                .timeout(Tools.MINUTE)
                .mergeStderr()
                .exec();
        assertThat(r.exit()).as("e2fsck -fn sees the damage: %s", r.out()).isNotZero();
    }
}
