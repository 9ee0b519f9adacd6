package dev.linuximage.core.guest;

import dev.linuximage.core.initramfs.testing.GeneratorFixture;
import dev.linuximage.testing.DirectoryGuestFiles;
import dev.linuximage.testing.GuestFixtures;
import dev.linuximage.testing.GuestTree;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link RootDelayRule}: decisions per kernel, the global one, the fallbacks and the removal bound. */
class RootDelayRuleTest {
    static final InitramfsBoot SLEEPS = new InitramfsBoot("initramfs-tools", InitramfsBoot.RootDelay.SLEEP,
            "/boot/initrd.img-a", "init line 232 sleeps the whole rootdelay", null, null);
    static final InitramfsBoot IGNORES = new InitramfsBoot("dracut", InitramfsBoot.RootDelay.NOT_READ,
            "/boot/initramfs-b.img", "no script reads rootdelay", null, null);

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
        assertThat(KernelCmdline.matchesRemoval("rootdelay=300", RootDelayRule.REMOVE_LARGE)).isTrue();
        assertThat(KernelCmdline.matchesRemoval("rootdelay=11", RootDelayRule.REMOVE_LARGE)).isTrue();
        assertThat(KernelCmdline.matchesRemoval("rootdelay=10", RootDelayRule.REMOVE_LARGE)).isFalse();
        assertThat(KernelCmdline.matchesRemoval("rootdelay=5", RootDelayRule.REMOVE_LARGE)).isFalse();
        assertThat(KernelCmdline.matchesRemoval("rootdelay=30.5", RootDelayRule.REMOVE_LARGE)).isTrue();
        assertThat(KernelCmdline.matchesRemoval("rootdelay=abc", RootDelayRule.REMOVE_LARGE)).isFalse();
        assertThat(KernelCmdline.matchesRemoval("rootdelay=99999999999999999999999", RootDelayRule.REMOVE_LARGE))
                .isTrue();
        assertThat(KernelCmdline.matchesRemoval("rootdelayx=300", RootDelayRule.REMOVE_LARGE)).isFalse();
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
        assertThat(p.edit("ro rootdelay=300", true, null)).isEqualTo("ro console=ttyS0 earlyprintk=ttyS0 "
                + "net.ifnames=0 rootdelay=60");
    }

    @Test
    void anUnreadableInitramfsFallsBackToTheGuestsOwnInitramfsToolsInit(@TempDir Path dir) throws Exception {
        GuestTree t = GuestFixtures.debian(dir);
        Path init = GeneratorFixture.initramfsTools().resolve("usr/share/initramfs-tools/init");
        t.file("/usr/share/initramfs-tools/init", Files.readString(init));
        // initramfs path known, analysis missing (unreadable image)
        KernelFacts unreadable = new KernelFacts(GuestFixtures.DEBIAN_KERNEL, "/boot/initrd.img-"
                + GuestFixtures.DEBIAN_KERNEL, Set.of(), Set.of(), false);
        RootDelayRule.Rules r = rules(t, List.of(unreadable), PatchOptions.defaults());
        RootDelayRule.Decision d = r.byKernel().get(GuestFixtures.DEBIAN_KERNEL);
        assertThat(d.action()).isEqualTo(RootDelayRule.Action.REMOVE_LARGE);
        assertThat(d.evidence()).contains("not read").contains("the guest's initramfs-tools "
                + "(/usr/share/initramfs-tools/init)").contains("sleeps the whole rootdelay");
    }

    @Test
    void nothingKnownAndAnUnknownDistributionLeavesRootdelayAlone(@TempDir Path dir) throws Exception {
        GuestTree t = GuestFixtures.debian(dir);
        t.file("/usr/lib/os-release", "ID=someos\nNAME=Some OS\n");
        RootDelayRule.Rules r = rules(t, List.of(), PatchOptions.defaults());
        assertThat(r.global().action()).isEqualTo(RootDelayRule.Action.LEAVE);
        assertThat(String.join("\n", r.evidence())).contains("cannot be told");
        CmdlinePolicy p = r.global().action().apply(CmdlinePolicy.of(PatchOptions.defaults(), false));
        assertThat(p.edit("ro rootdelay=300", true, null)).isEqualTo("ro rootdelay=300 console=ttyS0 "
                + "earlyprintk=ttyS0 net.ifnames=0");
    }
}
