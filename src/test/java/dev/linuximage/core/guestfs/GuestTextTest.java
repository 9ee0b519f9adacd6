package dev.linuximage.core.guestfs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.linuximage.core.io.Sha256;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class GuestTextTest {
    @Test
    void fstabFieldsCommentsAndOctalEscapes() {
        var l = Fstab.parse("# c\n\nLABEL=My\\040Disk /mnt/my\\040data ext4 defaults,nofail 0 2\n"
                + "UUID=abcd /  xfs\n/dev/sda1\n");
        assertThat(l).hasSize(2);
        assertThat(l.get(0).spec()).isEqualTo("LABEL=My Disk");
        assertThat(l.get(0).file()).isEqualTo("/mnt/my data");
        assertThat(l.get(0).options()).isEqualTo("defaults,nofail");
        assertThat(l.get(1).options()).isEqualTo("defaults");
    }

    @Test
    void osReleaseQuotingAndEscapes() {
        var m = OsRelease.parse("NAME=\"Red Hat \\\"Enterprise\\\" Linux\"\nID=rhel\n# x\nVERSION_ID='9.4'\nBAD\n");
        assertThat(m)
                .containsEntry("NAME", "Red Hat \"Enterprise\" Linux")
                .containsEntry("ID", "rhel")
                .containsEntry("VERSION_ID", "9.4")
                .hasSize(3);
    }

    @Test
    void changeLogDiffsTextOnly() {
        String d = LineDiff.hunks("a\nb\nc\n".getBytes(), "a\nB\nc\nd\n".getBytes());
        assertThat(d).isEqualTo("@@ line 2\n+B\n-b\n@@ line 4\n+d\n");
        assertThat(LineDiff.hunks(new byte[] {0, 1, 2}, "x".getBytes())).isEmpty();
        assertThat(LineDiff.hunks(new byte[LineDiff.HUNKS_LIMIT + 1], "x".getBytes()))
                .isEmpty();
        assertThat(Sha256.hex("abc".getBytes(StandardCharsets.US_ASCII)))
                .isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assertThat(GuestPaths.normalize("/a/../../b/./c/")).isEqualTo("/b/c");
    }
}
