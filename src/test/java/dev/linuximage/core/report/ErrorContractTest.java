package dev.linuximage.core.report;

import static org.assertj.core.api.Assertions.assertThat;

import dev.linuximage.core.format.FormatException;
import dev.linuximage.core.fs.GuestPathException;
import dev.linuximage.core.fs.UnsupportedFsFeatureException;
import dev.linuximage.core.fs.ext4.Ext4CorruptException;
import dev.linuximage.core.fs.fat.FatCorruptException;
import dev.linuximage.core.fs.xfs.XfsCorruptException;
import dev.linuximage.core.guest.PatchSpecException;
import dev.linuximage.core.initramfs.InitramfsException;
import dev.linuximage.core.partition.PartitionTableException;
import dev.linuximage.core.upload.ConditionNotMetException;
import dev.linuximage.core.upload.CredentialsException;
import dev.linuximage.core.upload.StaleWriterException;
import dev.linuximage.core.upload.UploadException;
import dev.linuximage.core.volume.LvmException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The one error contract: reason → exit code, every parser's error under the bad-input root, core ↛ cli. */
class ErrorContractTest {

    @Test
    void everyBadInputReasonIsExitThreeAndNotRetried() {
        for (BadInputException.Reason r : BadInputException.Reason.values()) {
            assertThat(ExitCodes.of(r)).as(r.name()).isEqualTo(3);
            assertThat(ExitCodes.NON_RETRIABLE).contains(ExitCodes.of(r));
        }
        // the README's table: 1 is retried, 2, 3 and 4 are not
        assertThat(ExitCodes.NON_RETRIABLE).containsExactlyInAnyOrder(2, 3, 4);
        assertThat(BadInputException.Reason.CORRUPT_IMAGE.resultReason()).isEqualTo("CorruptImage");
        assertThat(BadInputException.Reason.UNSUPPORTED_IMAGE.resultReason()).isEqualTo("UnsupportedImage");
    }

    @Test
    void everyParsersErrorIsBadInput() {
        List<IOException> parsers = List.of(
                new XfsCorruptException("xfs: sb_inodesize 300 invalid"),
                new FatCorruptException("vfat: BPB sectors per cluster 3 invalid"),
                new Ext4CorruptException("s_magic 0"),
                new FormatException("qcow2", "magic", 0, "bad"),
                new PartitionTableException("gpt: bad"),
                new LvmException("LVM2: bad"),
                new InitramfsException("cpio.namesize", "bad"),
                new UnsupportedFsFeatureException("xfs", "realtime"),
                new GuestPathException("/etc", "loop"));
        for (IOException e : parsers) {
            assertThat(e).as(e.getClass().getSimpleName()).isInstanceOf(BadInputException.class);
            assertThat(ExitCodes.of(e)).as(e.getMessage()).isEqualTo(ExitCodes.BAD_INPUT);
        }
        assertThat(((BadInputException) parsers.get(0)).reason()).isEqualTo(BadInputException.Reason.CORRUPT_IMAGE);
        assertThat(((BadInputException) parsers.get(7)).reason()).isEqualTo(BadInputException.Reason.UNSUPPORTED_IMAGE);
    }

    @Test
    void wrappedCorruptionStaysBadInputAndPlainIoIsOperational() {
        assertThat(ExitCodes.of(new IOException("read failed"))).isEqualTo(ExitCodes.ERROR);
        assertThat(ExitCodes.of(new IllegalStateException("bug"))).isEqualTo(ExitCodes.ERROR);
        assertThat(ExitCodes.of(new UncheckedIOException(new XfsCorruptException("xfs: di_magic bad"))))
                .isEqualTo(ExitCodes.BAD_INPUT);
        // a corruption that hid the guest root makes the "no root" error a corruption too
        GuestPathException noRoot = new GuestPathException("/", "no root", new XfsCorruptException("xfs: bad"));
        assertThat(noRoot.reason()).isEqualTo(BadInputException.Reason.CORRUPT_IMAGE);
        assertThat(new GuestPathException("/", "no root", null).reason())
                .isEqualTo(BadInputException.Reason.UNSUPPORTED_IMAGE);
        // a cause cycle cannot loop the search
        IOException a = new IOException("a");
        IOException b = new IOException("b", a);
        a.initCause(b);
        assertThat(ExitCodes.of(a)).isEqualTo(ExitCodes.ERROR);
    }

    @Test
    void classifiedErrorsNameTheirOwnCode() {
        assertThat(ExitCodes.of(new CoreException(ExitCodes.USAGE, "x"))).isEqualTo(2);
        assertThat(ExitCodes.of(new PatchSpecException("spec.x", "bad"))).isEqualTo(2);
        assertThat(ExitCodes.of(new CredentialsException("malformed connection string")))
                .isEqualTo(2);
        assertThat(ExitCodes.of(new StaleWriterException("newer writer"))).isEqualTo(2);
        assertThat(ExitCodes.of(new UploadException("denied", null, 403))).isEqualTo(2);
        assertThat(ExitCodes.of(new UploadException("busy", null, 503))).isEqualTo(1);
        assertThat(new CredentialsException("x").resultReason()).isEqualTo(ResultReasons.MISSING_CREDENTIALS);
        ConditionNotMetException c = new ConditionNotMetException("set metadata failed: HTTP 412", null, 412);
        assertThat(c.preconditionFailed()).isTrue();
        assertThat(new ConditionNotMetException("exists", null, 409).preconditionFailed())
                .isFalse();
        assertThat(ExitCodes.of(c)).isEqualTo(ExitCodes.ERROR);
    }

    /** Issue 15: the error contract lives below the CLI; no core package may import core.cli. */
    @Test
    void noCorePackageImportsTheCli() throws IOException {
        Path core = Path.of("src/main/java/dev/linuximage/core");
        List<String> offenders = new ArrayList<>();
        int scanned = 0;
        try (Stream<Path> files = Files.walk(core)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                if (f.startsWith(core.resolve("cli"))) {
                    continue;
                }
                scanned++;
                for (String line : Files.readAllLines(f)) {
                    String t = line.strip();
                    if (t.matches("import\\s+(static\\s+)?dev\\.linuximage\\.core\\.cli\\..*")
                            || (!t.startsWith("*") && !t.startsWith("//") && t.contains("dev.linuximage.core.cli."))) {
                        offenders.add(core.relativize(f) + ": " + t);
                    }
                }
            }
        }
        assertThat(scanned).as("core source files scanned").isGreaterThan(100);
        assertThat(offenders).isEmpty();
    }
}
