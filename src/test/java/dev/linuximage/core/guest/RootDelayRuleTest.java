package dev.linuximage.core.guest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.linuximage.testsupport.DirectoryGuestFiles;
import dev.linuximage.testsupport.FamilyGuests;
import dev.linuximage.testsupport.GuestFixtures;
import dev.linuximage.testsupport.GuestTree;
import dev.linuximage.testsupport.initramfs.GeneratorFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link RootDelayRule}: decisions per kernel, the global one, the fallbacks and the removal bound. */
class RootDelayRuleTest {
    static final InitramfsBoot SLEEPS = new InitramfsBoot(
            "initramfs-tools",
            InitramfsBoot.RootDelay.SLEEP,
            "/boot/initrd.img-a",
            "init line 232 sleeps the whole rootdelay",
            null,
            null);
    static final InitramfsBoot IGNORES = new InitramfsBoot(
            "dracut",
            InitramfsBoot.RootDelay.NOT_READ,
            "/boot/initramfs-b.img",
            "no script reads rootdelay",
            null,
            null);

    static RootDelayRule.Rules rules(GuestTree t, List<KernelFacts> k, PatchOptions o) throws Exception {
        try (DirectoryGuestFiles g = new DirectoryGuestFiles(t.root(), true)) {
            return RootDelayRule.decide(new GuestReader(g), GuestInspector.inspect(g), k, o);
        }
    }

    static KernelFacts kernel(String v, InitramfsBoot b) {
        return new KernelFacts(v, b == null ? null : b.source(), Set.of(), Set.of(), true, b);
    }

    @Test
    void removalBoundFollowsTheLeadingDigitsAsTheKernelAndInitramfsToolsReadThem() {
        assertThat(KernelCmdline.matchesRemoval("rootdelay=300", RootDelayRule.REMOVE_LARGE))
                .isTrue();
        assertThat(KernelCmdline.matchesRemoval("rootdelay=11", RootDelayRule.REMOVE_LARGE))
                .isTrue();
        assertThat(KernelCmdline.matchesRemoval("rootdelay=10", RootDelayRule.REMOVE_LARGE))
                .isFalse();
        assertThat(KernelCmdline.matchesRemoval("rootdelay=5", RootDelayRule.REMOVE_LARGE))
                .isFalse();
        assertThat(KernelCmdline.matchesRemoval("rootdelay=30.5", RootDelayRule.REMOVE_LARGE))
                .isTrue();
        assertThat(KernelCmdline.matchesRemoval("rootdelay=abc", RootDelayRule.REMOVE_LARGE))
                .isFalse();
        assertThat(KernelCmdline.matchesRemoval("rootdelay=99999999999999999999999", RootDelayRule.REMOVE_LARGE))
                .isTrue();
        assertThat(KernelCmdline.matchesRemoval("rootdelayx=300", RootDelayRule.REMOVE_LARGE))
                .isFalse();
        // a user pattern with '>' but no number keeps the old meaning
        assertThat(KernelCmdline.matchesRemoval("a>b", "a>b")).isTrue();
    }

    @Test
    void perKernelDecisionsAndTheGlobalOneNeverAddWhereAnyKernelSleeps(@TempDir Path dir) throws Exception {
        GuestTree t = GuestFixtures.debian(dir);
        RootDelayRule.Rules r = rules(t, List.of(kernel("a", SLEEPS), kernel("b", IGNORES)), PatchOptions.defaults());
        assertThat(r.forImage("/boot/vmlinuz-a").action()).isEqualTo(RootDelayRule.Action.REMOVE_LARGE);
        assertThat(r.forImage("/vmlinuz-b").action()).isEqualTo(RootDelayRule.Action.ADD);
        assertThat(r.global().action()).isEqualTo(RootDelayRule.Action.REMOVE_LARGE);
        assertThat(r.forImage("/boot/vmlinuz-unknown")).isEqualTo(r.global());
        assertThat(r.forImage(null)).isEqualTo(r.global());
        // the per-kernel policies as the patch applies them
        CmdlinePolicy base = CmdlinePolicy.of(PatchOptions.defaults(), false);
        assertThat(r.forImage("/vmlinuz-b").action().apply(base).edit("ro", true, null))
                .isEqualTo("ro rootdelay=300 console=ttyS0 earlyprintk=ttyS0 net.ifnames=0");
        assertThat(r.forImage("/vmlinuz-a").action().apply(base).edit("ro rootdelay=300 rootdelay=7", true, null))
                .isEqualTo("ro rootdelay=7 console=ttyS0 earlyprintk=ttyS0 net.ifnames=0");
    }

    @Test
    void theSpecsOwnRootdelayWins(@TempDir Path dir) throws Exception {
        GuestTree t = GuestFixtures.debian(dir);
        PatchOptions o = PatchOptions.defaults().withKernelArgs(List.of("rootdelay=60"), List.of(), false);
        RootDelayRule.Rules r = rules(t, List.of(kernel("a", SLEEPS)), o);
        assertThat(r.forImage("/boot/vmlinuz-a").action()).isEqualTo(RootDelayRule.Action.USER);
        CmdlinePolicy p = r.global().action().apply(CmdlinePolicy.of(o, false));
        assertThat(p.edit("ro rootdelay=300", true, null))
                .isEqualTo("ro console=ttyS0 earlyprintk=ttyS0 " + "net.ifnames=0 rootdelay=60");
    }

    @Test
    void anUnreadableInitramfsFallsBackToTheGuestsOwnInitramfsToolsInit(@TempDir Path dir) throws Exception {
        GuestTree t = GuestFixtures.debian(dir);
        Path init = GeneratorFixture.initramfsTools().resolve("usr/share/initramfs-tools/init");
        t.file("/usr/share/initramfs-tools/init", Files.readString(init));
        // initramfs path known, analysis missing (unreadable image)
        KernelFacts unreadable = new KernelFacts(
                GuestFixtures.DEBIAN_KERNEL,
                "/boot/initrd.img-" + GuestFixtures.DEBIAN_KERNEL,
                Set.of(),
                Set.of(),
                false);
        RootDelayRule.Rules r = rules(t, List.of(unreadable), PatchOptions.defaults());
        RootDelayRule.Decision d = r.byKernel().get(GuestFixtures.DEBIAN_KERNEL);
        assertThat(d.action()).isEqualTo(RootDelayRule.Action.REMOVE_LARGE);
        assertThat(d.evidence())
                .contains("not read")
                .contains("the guest's initramfs-tools " + "(/usr/share/initramfs-tools/init)")
                .contains("sleeps the whole rootdelay");
    }

    @Test
    void nothingKnownAndAnUnknownDistributionLeavesRootdelayAlone(@TempDir Path dir) throws Exception {
        GuestTree t = GuestFixtures.debian(dir);
        t.file("/usr/lib/os-release", "ID=someos\nNAME=Some OS\n");
        RootDelayRule.Rules r = rules(t, List.of(), PatchOptions.defaults());
        assertThat(r.global().action()).isEqualTo(RootDelayRule.Action.LEAVE);
        assertThat(String.join("\n", r.evidence())).contains("cannot be told");
        CmdlinePolicy p = r.global().action().apply(CmdlinePolicy.of(PatchOptions.defaults(), false));
        assertThat(p.edit("ro rootdelay=300", true, null))
                .isEqualTo("ro rootdelay=300 console=ttyS0 " + "earlyprintk=ttyS0 net.ifnames=0");
    }

    /** Arch with its kernel's initramfs unreadable: the installed mkinitcpio decides. */
    static RootDelayRule.Decision archFallback(Path dir, String confD) throws Exception {
        GuestTree t = FamilyGuests.arch(dir);
        if (confD != null) {
            t.file("/etc/mkinitcpio.conf.d/10-hooks.conf", confD);
        }
        KernelFacts unreadable = new KernelFacts("linux", "/boot/initramfs-linux.img", Set.of(), Set.of(), false);
        return rules(t, List.of(unreadable), PatchOptions.defaults()).byKernel().get("linux");
    }

    @Test
    void mkinitcpiosBusyboxInitPollsSoRootdelayIsAdded(@TempDir Path dir) throws Exception {
        RootDelayRule.Decision d = archFallback(dir, null);
        assertThat(d.action()).isEqualTo(RootDelayRule.Action.ADD);
        assertThat(d.evidence())
                .contains("/boot/initramfs-linux.img not read; the guest's mkinitcpio "
                        + "(/usr/lib/initcpio/init_functions, HOOKS=(base udev")
                .contains("poll_device")
                .contains("rootdelay=300 added");
        assertThat(d.action()
                        .apply(CmdlinePolicy.of(PatchOptions.defaults(), false))
                        .edit("root=UUID=x rw", true, null))
                .isEqualTo("root=UUID=x rw rootdelay=300 console=ttyS0 earlyprintk=ttyS0 net.ifnames=0");
    }

    @Test
    void mkinitcpiosSystemdHookFromADropInRunsSystemdSoRootdelayIsNotRead(@TempDir Path dir) throws Exception {
        // mkinitcpio(8): drop-ins in /etc/mkinitcpio.conf.d/ are sourced after mkinitcpio.conf
        RootDelayRule.Decision d = archFallback(
                dir,
                "HOOKS=(base systemd autodetect microcode modconf kms keyboard "
                        + "sd-vconsole block filesystems fsck)\n");
        assertThat(d.action()).isEqualTo(RootDelayRule.Action.ADD);
        assertThat(d.evidence())
                .contains("HOOKS=(base systemd")
                .contains("/init -> usr/lib/systemd/systemd")
                .doesNotContain("poll_device");
    }

    @Test
    void alpinesInstalledMkinitfsNeverReadsRootdelay(@TempDir Path dir) throws Exception {
        GuestTree t = FamilyGuests.alpine(dir);
        KernelFacts unreadable = new KernelFacts("virt", "/boot/initramfs-virt", Set.of(), Set.of(), false);
        RootDelayRule.Rules r = rules(t, List.of(unreadable), PatchOptions.defaults());
        // /lib/modules/6.6.14-0-virt has no kernel image of that name: it boots nothing and decides nothing
        assertThat(r.byKernel()).containsOnlyKeys("virt");
        assertThat(r.forImage("vmlinuz-virt").action()).isEqualTo(RootDelayRule.Action.ADD);
        assertThat(r.global().action()).isEqualTo(RootDelayRule.Action.ADD);
        assertThat(r.forImage("vmlinuz-virt").evidence())
                .contains("the guest's mkinitfs " + "(/usr/share/mkinitfs/initramfs-init)")
                .contains("never reads rootdelay");
    }

    @Test
    void anImageNamedByFlavourFindsTheDecisionOfItsRelease(@TempDir Path dir) throws Exception {
        // the initramfs layer paired vmlinuz-virt with release 6.6.14-0-virt (bzImage header); the inspector knows
        // the same kernel as "virt": one decision, found by either name
        GuestTree t = FamilyGuests.alpine(dir);
        InitramfsBoot mkinitfs = new InitramfsBoot(
                "mkinitfs",
                InitramfsBoot.RootDelay.NOT_READ,
                "/boot/initramfs-virt",
                "Alpine mkinitfs init never reads rootdelay",
                null,
                null);
        KernelFacts virt = new KernelFacts(
                "virt", FamilyGuests.ALPINE_KERNEL, "/boot/initramfs-virt", Set.of(), Set.of(), true, mkinitfs);
        RootDelayRule.Rules r = rules(t, List.of(virt), PatchOptions.defaults());
        assertThat(r.byKernel()).containsOnlyKeys(FamilyGuests.ALPINE_KERNEL);
        assertThat(r.forImage("vmlinuz-virt")).isEqualTo(r.byKernel().get(FamilyGuests.ALPINE_KERNEL));
        assertThat(r.forImage("/boot/vmlinuz-virt").action()).isEqualTo(RootDelayRule.Action.ADD);
    }
}
