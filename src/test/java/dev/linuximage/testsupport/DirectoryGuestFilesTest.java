package dev.linuximage.testsupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.linuximage.core.fs.GuestFiles;
import dev.linuximage.core.fs.GuestPathException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DirectoryGuestFilesTest {

    @Test
    void absoluteSymlinksAndDotDotStayInsideTheRoot(@TempDir Path dir) throws Exception {
        Path outside = dir.resolve("outside");
        Files.createDirectories(outside);
        Files.writeString(outside.resolve("secret"), "host secret");
        GuestTree t = new GuestTree(dir.resolve("guest"));
        t.file("/etc/secret", "guest secret");
        t.link("/etc/abs", "/etc/secret");
        t.link("/etc/up", "../../../../outside/secret");
        t.link("/lib", "usr/lib").file("/usr/lib/os-release", "ID=test\n");
        try (DirectoryGuestFiles g = new DirectoryGuestFiles(t.root(), true)) {
            assertThat(new String(g.read("/etc/abs"), StandardCharsets.UTF_8)).isEqualTo("guest secret");
            assertThat(g.stat("/etc/up")).isEmpty(); // ../ stops at the guest root: /outside/secret is absent
            assertThat(new String(g.read("/../../etc/secret"), StandardCharsets.UTF_8))
                    .isEqualTo("guest secret");
            assertThat(new String(g.read("/lib/os-release"), StandardCharsets.UTF_8))
                    .isEqualTo("ID=test\n");
            assertThat(g.lstat("/etc/abs").orElseThrow().type()).isEqualTo(GuestFiles.Type.SYMLINK);
            assertThat(g.readLink("/etc/abs")).isEqualTo("/etc/secret");
        }
    }

    @Test
    void loopsAreErrors(@TempDir Path dir) {
        GuestTree t = new GuestTree(dir).link("/a", "/b").link("/b", "/a");
        DirectoryGuestFiles g = new DirectoryGuestFiles(t.root(), true);
        assertThatThrownBy(() -> g.read("/a"))
                .isInstanceOf(GuestPathException.class)
                .hasMessageContaining("symlinks");
    }

    @Test
    void readOnlyRefusesEveryMutator(@TempDir Path dir) throws Exception {
        GuestTree t = new GuestTree(dir).file("/etc/hostname", "x\n");
        DirectoryGuestFiles g = new DirectoryGuestFiles(t.root(), true);
        assertThatThrownBy(() -> g.write("/etc/hostname", new byte[0])).hasMessageContaining("read-only");
        assertThatThrownBy(() -> g.mkdirs("/var/x", 0755)).hasMessageContaining("read-only");
        assertThatThrownBy(() -> g.symlink("/etc/l", "/x")).hasMessageContaining("read-only");
        assertThatThrownBy(() -> g.delete("/etc/hostname")).hasMessageContaining("read-only");
        assertThatThrownBy(() -> g.chmod("/etc/hostname", 0600)).hasMessageContaining("read-only");
        assertThat(t.read("/etc/hostname")).isEqualTo("x\n");
        assertThat(g.mutations.get()).isEqualTo(5); // every attempt is counted, none got through
    }

    @Test
    void writesFollowSymlinksInsideTheGuestAndKeepModes(@TempDir Path dir) throws Exception {
        GuestTree t = new GuestTree(dir.resolve("g"))
                .file("/etc/real", "a", "rw-------")
                .link("/etc/l", "/etc/real");
        try (DirectoryGuestFiles g = new DirectoryGuestFiles(t.root(), false)) {
            g.write("/etc/l", "b".getBytes(StandardCharsets.UTF_8));
            assertThat(t.read("/etc/real")).isEqualTo("b");
            assertThat(g.stat("/etc/real").orElseThrow().mode()).isEqualTo(0600);
            g.write("/etc/new", "n".getBytes(StandardCharsets.UTF_8));
            assertThat(g.stat("/etc/new").orElseThrow().mode()).isEqualTo(0644);
            assertThatThrownBy(() -> g.write("/nodir/x", new byte[1])).hasMessageContaining("parent");
        }
    }
}
