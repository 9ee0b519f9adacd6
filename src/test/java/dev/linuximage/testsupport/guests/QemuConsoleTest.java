package dev.linuximage.testsupport.guests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * The console patterns of {@link QemuBoot} against a real serial console captured from a boot of the
 * {@code bios-mbr-console} fixture (GRUB's menu drawing, the kernel, systemd's coloured status lines, the getty).
 */
class QemuConsoleTest {

    private static String capturedConsole() throws IOException {
        try (InputStream in = QemuConsoleTest.class.getResourceAsStream("bookworm-bios-console.log")) {
            assertThat(in).as("captured console resource").isNotNull();
            return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    @Test
    void plainTextDropsEscapesAndKeepsSystemdLines() throws IOException {
        String raw = capturedConsole();
        assertThat(raw).contains("\u001b[0;32m");
        String text = QemuBoot.plainText(raw);
        assertThat(text)
                .doesNotContain("\u001b")
                .doesNotContain("\r")
                .contains("[  OK  ] Reached target basic.target - Basic System.")
                .contains("Loading Linux 6.1.0-50-amd64 ...");
    }

    @Test
    void kernelCommandLineIsFound() throws IOException {
        String text = QemuBoot.plainText(capturedConsole());
        assertThat(QemuBoot.kernelCommandLineIn(text))
                .contains("BOOT_IMAGE=/boot/vmlinuz-6.1.0-50-amd64 root=UUID=04c3ac4c-f988-4384-ab75-9d31b0f55c07 ro"
                        + " console=tty0 console=ttyS0,115200n8");
        QemuBoot.assertCommandLineContains(text, "console=ttyS0,115200n8", "ro");
        assertThatThrownBy(() -> QemuBoot.assertCommandLineContains(text, "console=ttyS0"))
                .as("whole words only")
                .hasMessageContaining("lacks 'console=ttyS0'");
        assertThatThrownBy(() -> QemuBoot.assertCommandLineContains(text, "rootdelay=300"))
                .hasMessageContaining("lacks 'rootdelay=300'");
        assertThat(QemuBoot.kernelCommandLineIn("GRUB only\nLoading Linux ...\n"))
                .isEmpty();
    }

    /** The UART delivers the console in pieces: half a command line is not the command line (seen under load). */
    @Test
    void aCommandLineIsReadOnlyOnceItsLineHasEnded() {
        String half = "[    0.000000] Command line: BOOT_IMAGE=/boot/vmlinuz-6.1.0-50-amd64 root=UUID=2b9e ro";
        assertThat(QemuBoot.kernelCommandLineIn(half)).isEmpty();
        assertThat(QemuBoot.KERNEL_COMMAND_LINE.matcher(half).find()).isFalse();
        assertThat(QemuBoot.kernelCommandLineIn(half + " console=ttyS0 earlyprintk=ttyS0\n[    0.0001] x"))
                .contains("BOOT_IMAGE=/boot/vmlinuz-6.1.0-50-amd64 root=UUID=2b9e ro console=ttyS0 earlyprintk=ttyS0");
    }

    @Test
    void bootedMatchesTheLoginPromptWhenSystemdIsSilencedByTheGetty() throws IOException {
        String text = QemuBoot.plainText(capturedConsole());
        // systemd stops its status lines once the serial getty holds the console: no multi-user line here.
        assertThat(QemuBoot.MULTI_USER.matcher(text).find()).isFalse();
        assertThat(QemuBoot.LOGIN_PROMPT.matcher(text).find()).isTrue();
        assertThat(QemuBoot.BOOTED.matcher(text).find()).isTrue();
        assertThat(QemuBoot.BOOTED
                        .matcher("[  OK  ] Reached target multi-user.target - Multi-User System.\n")
                        .find())
                .isTrue();
        assertThat(QemuBoot.BOOTED
                        .matcher("[  OK  ] Reached target basic.target - Basic System.\n")
                        .find())
                .isFalse();
    }
}
