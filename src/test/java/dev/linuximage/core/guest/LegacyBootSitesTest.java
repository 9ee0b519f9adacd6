package dev.linuximage.core.guest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.linuximage.core.guestfs.Change;
import dev.linuximage.core.guestfs.ChangeLog;
import dev.linuximage.testsupport.DirectoryGuestFiles;
import dev.linuximage.testsupport.FamilyGuests;
import dev.linuximage.testsupport.GuestTree;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * GRUB legacy and extlinux/syslinux command-line sites. Expectations follow the boot loaders' documented syntax:
 * GRUB legacy's {@code kernel FILE ARGS} per {@code title} entry; syslinux.cfg's case-insensitive {@code APPEND} per
 * {@code LABEL}, the global APPEND for labels without one, {@code APPEND -} for none, .c32 modules not Linux.
 */
class LegacyBootSitesTest {
    static final List<String> AZURE = List.of("console=ttyS0", "earlyprintk=ttyS0", "net.ifnames=0");

    private static CmdlinePolicy policy(boolean numa) {
        return CmdlinePolicy.of(PatchOptions.defaults(), numa);
    }

    private static List<String> words(String s) {
        return Arrays.stream(s.trim().split("\\s+")).filter(w -> !w.isEmpty()).toList();
    }

    private static List<CmdlineSite> sites(GuestTree t) throws Exception {
        try (DirectoryGuestFiles g = new DirectoryGuestFiles(t.root(), true)) {
            return BootCmdline.inspect(new GuestReader(g)).sites();
        }
    }

    private static ChangeLog patch(GuestTree t, CmdlinePolicy p) throws Exception {
        ChangeLog log = new ChangeLog();
        try (DirectoryGuestFiles g = new DirectoryGuestFiles(t.root(), false)) {
            BootCmdline.patch(new GuestEditor(g, log), p, "CMDLINE-CONSOLE");
        }
        return log;
    }

    @Test
    void rhel6GrubConfIsOneSiteThroughItsTwoLinks(@TempDir Path dir) throws Exception {
        GuestTree t = FamilyGuests.rhel6(dir, "6.2");
        List<CmdlineSite> s = sites(t);
        // /etc/grub.conf and menu.lst both lead to /boot/grub/grub.conf: one file, one kernel line (line 16)
        assertThat(s).singleElement().satisfies(site -> {
            assertThat(site.kind()).isEqualTo(CmdlineSite.Kind.GRUB_LEGACY);
            assertThat(site.file()).isEqualTo("/boot/grub/grub.conf");
            assertThat(site.line()).isEqualTo(16);
            assertThat(words(site.effective())).startsWith("ro").contains("rhgb", "quiet", "crashkernel=auto");
        });
    }

    @Test
    void grubLegacyPatchEditsOnlyKernelArguments(@TempDir Path dir) throws Exception {
        GuestTree t = FamilyGuests.rhel6(dir, "6.2");
        String before = t.read("/boot/grub/grub.conf");
        ChangeLog log = patch(t, policy(true));
        assertThat(log.changes()).extracting(Change::path).containsExactly("/boot/grub/grub.conf");
        String after = t.read("/boot/grub/grub.conf");
        List<String> b = before.lines().toList();
        List<String> a = after.lines().toList();
        assertThat(a).hasSameSizeAs(b);
        for (int i = 0; i < a.size(); i++) {
            if (!b.get(i).trim().startsWith("kernel ")) {
                assertThat(a.get(i)).as("line %d", i + 1).isEqualTo(b.get(i));
            }
        }
        String kernel = a.stream()
                .filter(l -> l.trim().startsWith("kernel "))
                .findFirst()
                .orElseThrow();
        assertThat(kernel).startsWith("\tkernel /boot/vmlinuz-" + FamilyGuests.RHEL6_KERNEL + " ro root=UUID=");
        assertThat(words(kernel))
                .containsAll(AZURE)
                .contains("numa=off")
                .doesNotContain("rhgb", "quiet", "crashkernel=auto")
                .contains("rd_NO_LUKS", "KEYTABLE=us");
        // the links still lead to the edited file
        assertThat(t.readLink("/etc/grub.conf")).isEqualTo("../boot/grub/grub.conf");
        assertThat(patch(t, policy(true)).changes()).isEmpty();
    }

    @Test
    void debianMenuLstMagicCommentsAreSources(@TempDir Path dir) throws Exception {
        GuestTree t = new GuestTree(dir);
        t.file("/boot/grub/menu.lst", """
                default		0
                timeout		5
                ### BEGIN AUTOMAGIC KERNELS LIST
                ## default kernel options
                # kopt=root=/dev/sda1 ro
                ## additional options to use with the default boot option, but not with the alternatives
                # defoptions=quiet splash
                ## ## End Default Options ##
                title		Debian GNU/Linux, kernel 2.6.32-5-amd64
                root		(hd0,0)
                kernel		/boot/vmlinuz-2.6.32-5-amd64 root=/dev/sda1 ro quiet splash
                initrd		/boot/initrd.img-2.6.32-5-amd64
                ### END DEBIAN AUTOMAGIC KERNELS LIST
                """);
        List<CmdlineSite> s = sites(t);
        assertThat(s)
                .extracting(CmdlineSite::kind)
                .containsExactly(
                        CmdlineSite.Kind.GRUB_LEGACY_KOPT,
                        CmdlineSite.Kind.GRUB_LEGACY_DEFOPTIONS,
                        CmdlineSite.Kind.GRUB_LEGACY);
        patch(t, policy(false));
        List<String> lines = t.read("/boot/grub/menu.lst").lines().toList();
        assertThat(words(lines.get(4).substring(lines.get(4).indexOf('=') + 1)))
                .startsWith("root=/dev/sda1", "ro")
                .containsAll(AZURE);
        // defoptions only loses quiet: the required arguments come from kopt (update-grub joins both)
        assertThat(lines.get(6)).isEqualTo("# defoptions=splash");
        assertThat(words(lines.get(10)))
                .containsAll(AZURE)
                .doesNotContain("quiet")
                .contains("splash");
    }

    @Test
    void alpineExtlinuxAndItsUpdateExtlinuxSource(@TempDir Path dir) throws Exception {
        GuestTree t = FamilyGuests.alpine(dir);
        List<CmdlineSite> s = sites(t);
        assertThat(s)
                .extracting(CmdlineSite::kind, CmdlineSite::file, CmdlineSite::line)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple(CmdlineSite.Kind.EXTLINUX, "/boot/extlinux.conf", 12),
                        org.assertj.core.groups.Tuple.tuple(
                                CmdlineSite.Kind.EXTLINUX_SOURCE, "/etc/update-extlinux.conf", 3));
        patch(t, policy(false));
        String append = t.read("/boot/extlinux.conf")
                .lines()
                .filter(l -> l.trim().startsWith("APPEND"))
                .findFirst()
                .orElseThrow();
        assertThat(append).startsWith("  APPEND root=UUID=");
        assertThat(words(append))
                .containsAll(AZURE)
                .contains("modules=sd-mod,usb-storage,ext4", "rootfstype=ext4")
                .doesNotContain("quiet");
        assertThat(t.read("/etc/update-extlinux.conf"))
                .contains("\nmodules=sd-mod,usb-storage,ext4\n")
                .containsPattern("(?m)^default_kernel_opts=\"rootfstype=ext4 [^\"]*console=ttyS0[^\"]*\"$")
                .doesNotContain("quiet");
        assertThat(patch(t, policy(false)).changes()).isEmpty();
    }

    @Test
    void syslinuxLabelsInheritTheGlobalAppendAndModulesAreNotKernels(@TempDir Path dir) throws Exception {
        GuestTree t = new GuestTree(dir);
        t.file("/boot/syslinux/syslinux.cfg", """
                default linux
                append root=/dev/sda2 ro quiet
                label linux
                  kernel /boot/vmlinuz
                  initrd /boot/initrd.img
                label rescue
                  kernel /boot/vmlinuz
                  append -
                label hdt
                  kernel hdt.c32
                  append modules_pcids=/boot/pci.ids
                """);
        List<CmdlineSite> s = sites(t);
        // the global line (inherited by "linux") and rescue's own "append -"; hdt.c32 is a syslinux module
        assertThat(s).extracting(CmdlineSite::line).containsExactly(2, 8);
        assertThat(s.get(1).effective()).isEmpty();
        patch(t, policy(false));
        List<String> lines = t.read("/boot/syslinux/syslinux.cfg").lines().toList();
        assertThat(words(lines.get(1)))
                .startsWith("append", "root=/dev/sda2")
                .containsAll(AZURE)
                .doesNotContain("quiet");
        assertThat(words(lines.get(7))).startsWith("append").containsAll(AZURE).doesNotContain("-");
        assertThat(lines.get(10)).isEqualTo("  append modules_pcids=/boot/pci.ids");
    }

    @Test
    void aLinuxLabelWithNothingToInheritGetsItsOwnAppend(@TempDir Path dir) throws Exception {
        GuestTree t = new GuestTree(dir);
        t.file(
                "/extlinux.conf",
                "DEFAULT a\nLABEL a\n  LINUX /vmlinuz\n  INITRD /initrd\nLABEL b\n"
                        + "  KERNEL /vmlinuz-old\n  APPEND root=/dev/vda1\n");
        assertThat(sites(t))
                .extracting(CmdlineSite::line, CmdlineSite::effective)
                .containsExactlyInAnyOrder(
                        org.assertj.core.groups.Tuple.tuple(7, "root=/dev/vda1"),
                        org.assertj.core.groups.Tuple.tuple(2, ""));
        patch(t, policy(false));
        List<String> lines = t.read("/extlinux.conf").lines().toList();
        assertThat(lines.get(3)).startsWith("  APPEND ");
        assertThat(words(lines.get(3))).containsAll(AZURE);
        assertThat(lines.get(4)).isEqualTo("  INITRD /initrd");
        assertThat(patch(t, policy(false)).changes()).isEmpty();
    }

    @Test
    void sles11MenuLstAndPerlBootloaderDefaultAppend(@TempDir Path dir) throws Exception {
        GuestTree t = new GuestTree(dir);
        t.file("/etc/SuSE-release", "SUSE Linux Enterprise Server 11 (x86_64)\nVERSION = 11\nPATCHLEVEL = 4\n");
        t.file("/boot/grub/menu.lst", """
                default 0
                timeout 8
                title SUSE Linux Enterprise Server 11 SP4 - 3.0.101-63
                    root (hd0,1)
                    kernel /boot/vmlinuz-3.0.101-63-default root=/dev/sda2 resume=/dev/sda1 splash=silent showopts quiet
                    initrd /boot/initrd-3.0.101-63-default
                """);
        t.file("/etc/sysconfig/bootloader", """
                ## Type: string
                LOADER_TYPE="grub"
                DEFAULT_APPEND="resume=/dev/sda1 splash=silent showopts quiet"
                FAILSAFE_APPEND="showopts ide=nodma apm=off noresume"
                """);
        assertThat(sites(t))
                .extracting(CmdlineSite::kind)
                .containsExactly(CmdlineSite.Kind.GRUB_LEGACY, CmdlineSite.Kind.SUSE_BOOTLOADER);
        patch(t, policy(false));
        String sys = t.read("/etc/sysconfig/bootloader");
        String def = sys.lines()
                .filter(l -> l.startsWith("DEFAULT_APPEND="))
                .findFirst()
                .orElseThrow();
        assertThat(words(def.substring(def.indexOf('"') + 1, def.lastIndexOf('"'))))
                .containsAll(AZURE)
                .contains("resume=/dev/sda1")
                .doesNotContain("quiet");
        assertThat(sys).contains("FAILSAFE_APPEND=\"showopts ide=nodma apm=off noresume\"");
        assertThat(patch(t, policy(false)).changes()).isEmpty();
        // a grub2 guest (SLES 12+) keeps the file but does not boot from it: not a site
        GuestTree g2 = new GuestTree(dir.resolve("sles12"));
        g2.file("/etc/sysconfig/bootloader", "DEFAULT_APPEND=\"quiet\"\n");
        g2.file("/boot/grub2/grub.cfg", "linux /boot/vmlinuz root=/dev/sda2\n");
        assertThat(sites(g2)).extracting(CmdlineSite::kind).containsExactly(CmdlineSite.Kind.GRUB_CFG);
    }
}
