package dev.linuximage.core.cli;

import static dev.linuximage.testsupport.CliRun.run;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.linuximage.core.guestfs.GuestDiskFixture;
import dev.linuximage.core.report.ExitCodes;
import dev.linuximage.testsupport.CliRun.Run;
import dev.linuximage.testsupport.DiskFiles;
import dev.linuximage.testsupport.Tools;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code linuximage inspect} and {@code linuximage guest ls|cat|put|rm} on a disk built by real tools. */
@Tag("oracle")
class StorageCliOracleTest {
    @TempDir
    static Path shared;

    static GuestDiskFixture.Built fx;

    @TempDir
    Path tmp;

    @BeforeAll
    static void build() throws Exception {
        fx = GuestDiskFixture.build(shared);
    }

    @Test
    void inspectJson() throws Exception {
        Run r = run("inspect", fx.disk().toString(), "--json");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertThat(j.at("/partitionTable/scheme").asText()).isEqualTo("gpt");
        assertThat(j.at("/partitionTable/partitions")).hasSize(4);
        assertThat(j.at("/guest/os/ID").asText()).isEqualTo("rocky");
        assertThat(j.at("/guest/root").asText()).isEqualTo("part3");
        JsonNode vols = j.get("volumes");
        assertThat(vols.toString()).contains("\"content\":\"LVM2_member\"").contains("\"name\":\"/dev/vgguest/data\"");
        JsonNode esp = vols.get(0);
        assertThat(esp.at("/filesystem/uuid").asText()).isEqualTo("DEAD-BEEF");
        assertThat(esp.at("/filesystem/type").asText()).isEqualTo("vfat");
        JsonNode root = vols.get(2);
        assertThat(root.at("/filesystem/type").asText()).isEqualTo("xfs");
        assertThat(root.at("/filesystem/label").asText()).isEqualTo("xfsroot");
        // used bytes agree with the oracle's free-block count
        String free = Tools.run(
                        "xfs_db",
                        "-r",
                        "-c",
                        "sb 0",
                        "-c",
                        "print fdblocks dblocks blocksize",
                        DiskFiles.copyRange(
                                        fx.disk(),
                                        fx.partitions().get(2).startBytes(),
                                        fx.partitions().get(2).sizeBytes(),
                                        tmp.resolve("r.xfs"))
                                .toString())
                .out();
        long fd = Long.parseLong(free.replaceAll("(?s).*fdblocks = (\\d+).*", "$1"));
        long db = Long.parseLong(free.replaceAll("(?s).*dblocks = (\\d+).*", "$1"));
        long bs = Long.parseLong(free.replaceAll("(?s).*blocksize = (\\d+).*", "$1"));
        assertThat(root.at("/filesystem/size").asLong()).isEqualTo(db * bs);
        assertThat(root.at("/filesystem/used").asLong()).isEqualTo((db - fd) * bs);
        assertThat(j.at("/guest/fstab").toString()).contains("ignored: swap");
        Run text = run("inspect", fx.disk().toString());
        assertThat(text.code()).isZero();
        assertThat(text.out()).contains("guest os: Rocky Linux 9.4 (Blue Onyx)").contains("DEAD-BEEF");
    }

    @Test
    void guestLsCatPutRm() throws Exception {
        Path disk = GuestDiskFixture.copy(fx.disk(), tmp.resolve("disk.raw"));
        Run ls = run("guest", "ls", disk.toString(), "/etc");
        assertThat(ls.code()).as(ls.err()).isZero();
        assertThat(ls.out()).contains("fstab").contains("l0777     0     0").contains("cloud -> /");
        Run cat = run("guest", "cat", disk.toString(), "/etc/fstab");
        assertThat(cat.out()).isEqualTo(GuestDiskFixture.FSTAB);
        String espCfg = run("guest", "cat", disk.toString(), "/boot/efi/EFI/debian/grub.cfg")
                .out();
        Run two = run("guest", "cat", disk.toString(), "/etc/fstab", "/boot/efi/EFI/debian/grub.cfg", "/etc/fstab");
        assertThat(two.code()).as(two.err()).isZero();
        assertThat(two.out()).isEqualTo(GuestDiskFixture.FSTAB + espCfg + GuestDiskFixture.FSTAB);
        Run big = run("guest", "cat", disk.toString(), "/big.bin");
        assertThat(big.out().length()).isPositive();
        Path local = Files.writeString(tmp.resolve("new.cfg"), "timeout 3\n");
        Run dry = run("guest", "put", "--dry-run", disk.toString(), "/boot/efi/EFI/debian/grub.cfg", local.toString());
        assertThat(dry.code()).as(dry.err()).isZero();
        assertThat(dry.err())
                .contains("would change: modify /boot/efi/EFI/debian/grub.cfg")
                .contains("+timeout 3");
        assertThat(run("guest", "cat", disk.toString(), "/boot/efi/EFI/debian/grub.cfg")
                        .out())
                .contains("search");
        Run put = run("guest", "put", disk.toString(), "/boot/efi/EFI/debian/grub.cfg", local.toString());
        assertThat(put.code()).as(put.err()).isZero();
        assertThat(run("guest", "cat", disk.toString(), "/boot/efi/EFI/debian/grub.cfg")
                        .out())
                .isEqualTo("timeout 3\n");
        assertThat(run("guest", "rm", disk.toString(), "/srv/hello.txt").code()).isZero();
        Run gone = run("guest", "cat", disk.toString(), "/srv/hello.txt");
        assertThat(gone.code()).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(gone.err()).contains("no such file");
        Run part = run("guest", "ls", "--partition", "1", disk.toString(), "/EFI/debian");
        assertThat(part.out()).contains("grub.cfg");
        Run byFs = run("guest", "cat", "--fs", "/dev/mapper/vgguest-data", disk.toString(), "/hello.txt");
        assertThat(byFs.code()).isEqualTo(ExitCodes.BAD_INPUT);
        Run loop = run("guest", "cat", disk.toString(), "/etc/loop1");
        assertThat(loop.code()).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(loop.err()).contains("symbolic links");
        Run xfsCreate = run("guest", "put", disk.toString(), "/etc/brand-new", local.toString());
        assertThat(xfsCreate.code()).as(xfsCreate.err()).isZero();
        assertThat(run("guest", "cat", disk.toString(), "/etc/brand-new").out()).isEqualTo("timeout 3\n");
        Run xfsNode = run("guest", "put", disk.toString(), "/usr/node/brand-new", local.toString());
        assertThat(xfsNode.code()).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(xfsNode.err()).contains("xfs: unsupported adding entries to a node form directory");
        Run fmt = run("inspect", disk.toString(), "--format", "qcow2");
        assertThat(fmt.code()).isEqualTo(ExitCodes.BAD_INPUT);
        Path esp = DiskFiles.copyRange(
                disk,
                fx.partitions().get(0).startBytes(),
                fx.partitions().get(0).sizeBytes(),
                tmp.resolve("esp.fat"));
        Tools.Result fsck = Tools.exec("fsck.vfat", "-n", esp.toString());
        assertThat(fsck.exit()).as(fsck.out()).isZero();
    }
}
