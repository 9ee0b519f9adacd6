package dev.linuximage.core.upload;

import static org.assertj.core.api.Assertions.assertThat;

import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.specialized.PageBlobClient;
import dev.linuximage.testsupport.AzuriteExtension;
import dev.linuximage.testsupport.CliRun;
import dev.linuximage.testsupport.FaultProxy;
import dev.linuximage.testsupport.TestVhds;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The {@code linuximage upload} command in a real subprocess (so it can be SIGKILLed), against Azurite. */
@Tag("integration")
class UploadCommandIT {
    @RegisterExtension
    static final AzuriteExtension AZURITE = new AzuriteExtension();

    record Run(int exit, String output) {}

    static Process start(Path out, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m",
                "-cp",
                System.getProperty("java.class.path"),
                "dev.linuximage.Main",
                "upload"));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(out.toFile())
                .start();
    }

    static Run run(Path dir, String... args) throws Exception {
        Path out = Files.createTempFile(dir, "out", ".txt");
        Process p = start(out, args);
        assertThat(p.waitFor(180, TimeUnit.SECONDS))
                .as("upload finished in time")
                .isTrue();
        return new Run(p.exitValue(), Files.readString(out));
    }

    static String blobUrl(String endpoint, BlobContainerClient c, String blob) {
        return endpoint + "/" + c.getBlobContainerName() + "/" + blob;
    }

    static Path write(Path dir, String name, String content) throws Exception {
        Path f = dir.resolve(name);
        Files.writeString(f, content, StandardCharsets.UTF_8);
        return f;
    }

    @Test
    void killedAt10And50And99PercentResumesAndSendsAtMost1Point1TimesTheNonZeroBytes(@TempDir Path dir)
            throws Exception {
        BlobContainerClient c = AZURITE.newContainer();
        TestVhds img = TestVhds.random(192, 0.5, 2 * 1024 * 1024, 61);
        Path vhd = img.writeTo(dir.resolve("disk.vhd"));
        Path cs = write(dir, "cs", AZURITE.connectionString());
        long nonZero = img.nonZeroBytes();
        try (FaultProxy proxy = new FaultProxy(AZURITE.port())) {
            String[] args = {
                vhd.toString(),
                "--blob-url",
                blobUrl(proxy.blobEndpoint(), c, "k.vhd"),
                "--connection-string-file",
                cs.toString(),
                "--service-version",
                "2026-06-06",
                "--allowed-blob-host",
                "127.0.0.1",
                "--parallel",
                "3",
                "--max-put-size",
                "262144",
                "--progress",
                "plain",
                "--progress-interval",
                "1"
            };
            int killed = 0;
            for (double at : new double[] {0.10, 0.50, 0.99}) {
                Path out = dir.resolve("run-" + at + ".txt");
                Process p = start(out, args);
                while (p.isAlive() && proxy.pageBytes.get() < at * nonZero) {
                    Thread.sleep(2);
                }
                if (p.isAlive()) {
                    p.destroyForcibly(); // SIGKILL: no shutdown hook, no clean-up, like an evicted pod
                    killed++;
                }
                p.waitFor(30, TimeUnit.SECONDS);
            }
            assertThat(killed).as("runs killed before finishing").isGreaterThanOrEqualTo(2);
            long beforeFinal = proxy.pageBytes.get();
            assertThat(beforeFinal).isLessThan(nonZero);
            Run fin = run(dir, args);
            assertThat(fin.exit()).as(fin.output()).isZero();
            assertThat(fin.output()).contains("resumed").contains("upload: resuming");
            long total = proxy.pageBytes.get();
            System.out.printf(
                    "kill/resume: non-zero %d bytes, sent in total %d (%.3fx), final run %d%n",
                    nonZero, total, (double) total / nonZero, total - beforeFinal);
            assertThat(total).isLessThanOrEqualTo((long) (1.1 * nonZero));
            assertThat(total - beforeFinal).isLessThan(nonZero);
        }
        PageBlobClient blob = UploadTestSupport.keyClient(c, "k.vhd");
        assertThat(UploadTestSupport.pageRanges(blob)).containsExactlyElementsOf(img.nonZeroRanges());
        assertThat(UploadTestSupport.downloadSha256(blob)).isEqualTo(img.sha256());
    }

    @Test
    void sasFileAndConnectionStringFileBothWork(@TempDir Path dir) throws Exception {
        BlobContainerClient c = AZURITE.newContainer();
        TestVhds img = TestVhds.random(4, 0.5, 64 * 1024, 71);
        Path vhd = img.writeTo(dir.resolve("d.vhd"));
        Path sas = write(dir, "sas", "?" + AZURITE.sas(c, "sas.vhd", "racwd") + "\n");
        CliRun.Run r = CliRun.runEchoed(UploadTestSupport.upload(
                vhd.toString(),
                "--blob-url",
                blobUrl(AZURITE.blobEndpoint(), c, "sas.vhd"),
                "--sas-file",
                sas.toString(),
                "--service-version",
                "2026-06-06",
                "--json",
                "--progress",
                "none"));
        assertThat(r.exit()).as(r.output()).isZero();
        assertThat(r.output()).contains("\"digest\":\"" + img.sparseDigest() + "\"");
        // `linuximage digest` recomputes locally what the upload reported
        CliRun.Run d = CliRun.runEchoed("digest", vhd.toString());
        assertThat(d.exit()).as(d.output()).isZero();
        assertThat(d.output()).startsWith(img.sparseDigest() + "  ");
        assertThat(UploadTestSupport.downloadSha256(UploadTestSupport.keyClient(c, "sas.vhd")))
                .isEqualTo(img.sha256());
        String sig = AZURITE.sas(c, "sas.vhd", "racwd");
        assertThat(r.output()).doesNotContain(sig.substring(sig.indexOf("sig=")));

        Path cs = write(dir, "cs", AZURITE.connectionString());
        CliRun.Run r2 = CliRun.runEchoed(UploadTestSupport.upload(
                vhd.toString(),
                "--blob-url",
                blobUrl(AZURITE.blobEndpoint(), c, "cs.vhd"),
                "--connection-string-file",
                cs.toString(),
                "--service-version",
                "2026-06-06",
                "--progress",
                "plain"));
        assertThat(r2.exit()).as(r2.output()).isZero();
        assertThat(r2.output()).contains("digest " + img.sparseDigest()).contains("upload: uploading");
        // the progress line's detail: the 4 MiB of data of the 4 MiB + 512 image are scanned once verifying, and the
        // retries
        assertThat(r2.output().lines())
                .anyMatch(l -> l.matches("upload: verifying: .*; scanned 4(\\.0)? MiB of 4\\.0 MiB, \\d+ retr(y|ies)"));
        assertThat(r2.output()).doesNotContain(AzuriteExtension.KEY);
    }

    @Test
    void refusesAFileThatIsNotAFixedVhdWithExitCode3(@TempDir Path dir) throws Exception {
        Path bad = dir.resolve("bad.vhd");
        Files.write(bad, new byte[(1 << 20) + 512]);
        Path cs = write(dir, "cs", AZURITE.connectionString());
        CliRun.Run r = CliRun.runEchoed(UploadTestSupport.upload(
                bad.toString(),
                "--blob-url",
                AZURITE.blobEndpoint() + "/c/b.vhd",
                "--connection-string-file",
                cs.toString()));
        assertThat(r.exit()).isEqualTo(3);
        assertThat(r.output()).contains("conectix");
        Path odd = dir.resolve("odd.vhd");
        Files.write(odd, new byte[(1 << 20) + 1000]);
        CliRun.Run r2 = CliRun.runEchoed(UploadTestSupport.upload(
                odd.toString(),
                "--blob-url",
                AZURITE.blobEndpoint() + "/c/b.vhd",
                "--connection-string-file",
                cs.toString()));
        assertThat(r2.exit()).isEqualTo(3);
        assertThat(r2.output()).contains("N MiB + 512");
        TestVhds ok = TestVhds.zero(1);
        Path good = ok.writeTo(dir.resolve("good.vhd"));
        CliRun.Run r3 = CliRun.runEchoed(UploadTestSupport.upload(
                good.toString(),
                "--blob-url",
                AZURITE.blobEndpoint() + "/c/b.vhd?sv=1&sig=abcdefghijkl",
                "--connection-string-file",
                cs.toString()));
        assertThat(r3.exit())
                .as("a SAS in the URL is a bad command line, refused before any work")
                .isEqualTo(2);
        assertThat(r3.output()).contains("must not carry a query string").doesNotContain("abcdefghijkl");
    }
}
