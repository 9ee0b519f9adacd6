package dev.linuximage.core.upload;

import static org.assertj.core.api.Assertions.assertThat;

import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.specialized.PageBlobClient;
import dev.linuximage.core.cli.CoreCli;
import dev.linuximage.testsupport.AzuriteExtension;
import dev.linuximage.testsupport.Digests;
import dev.linuximage.testsupport.FaultProxy;
import dev.linuximage.testsupport.ReferenceDigest;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kill-and-resume of {@code prepare} itself, the Job's real path (issue 13): the real core runs {@code prepare} with
 * an upload in a separate JVM against Azurite behind {@link FaultProxy}, which slows every Put Page down so the upload
 * takes seconds; the JVM is killed with SIGKILL (as an evicted pod: no shutdown hook) once part of the data reached
 * the proxy. The same command is run again: it must skip convert and patch (state file), resume the upload (its own
 * message, and fewer bytes on the wire than the image's non-zero data: exactly what the killed run had not landed,
 * give or take the one put in flight), and leave a blob equal byte-for-byte to the output VHD and to the digest recorded
 * in the run's result, with no {@code .partial} file left on the output directory.
 */
@Tag("integration")
class PrepareKillResumeIT {
    @RegisterExtension
    static final AzuriteExtension AZURITE = new AzuriteExtension();

    static final int PUT = 8 * 1024;

    @TempDir
    Path dir;

    static String sha256(Path file) throws Exception {
        return Digests.sha256(file);
    }

    /** Bytes of the 512-byte pages that are not all zero: what an upload sends (zero pages are skipped). */
    static long nonZeroBytes(Path file) throws Exception {
        long n = 0;
        byte[] page = new byte[512];
        try (InputStream in = new java.io.BufferedInputStream(Files.newInputStream(file), 1 << 20)) {
            while (in.readNBytes(page, 0, 512) == 512) {
                for (byte b : page) {
                    if (b != 0) {
                        n += 512;
                        break;
                    }
                }
            }
        }
        return n;
    }

    static List<String> listing(Path d) throws Exception {
        try (Stream<Path> s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    static Path sampleDisk(Path d) throws Exception {
        Path script = Path.of("scripts/make-sample-disk.sh").toAbsolutePath();
        Process p = new ProcessBuilder(script.toString(), d.toString())
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0)
                .as(out)
                .isTrue();
        return d.resolve("sample.qcow2");
    }

    /** The sample needs these to come out compliant (as the operator's end-to-end test sets them in the spec). */
    static final List<String> PATCH =
            List.of("--image-kind", "Generalized", "--provisioning", "CloudInit", "--remove-user", "builder");

    Process start(List<String> args, Path log) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m",
                "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1",
                "-Djava.util.logging.manager=org.jboss.logmanager.LogManager",
                "-cp",
                System.getProperty("java.class.path"),
                "dev.linuximage.Main"));
        cmd.addAll(args);
        return new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
    }

    @Test
    void prepareKilledDuringTheUploadResumesAndTheBlobEqualsAFreshPrepare() throws Exception {
        Path input = sampleDisk(Files.createDirectories(dir.resolve("in")));

        // the reference: a fresh prepare of the same input, no upload
        Path refDir = Files.createDirectories(dir.resolve("ref"));
        Path ref = refDir.resolve("sample.vhd");
        List<String> refArgs =
                new ArrayList<>(List.of("prepare", input.toString(), "--output", ref.toString(), "--quiet"));
        refArgs.addAll(PATCH);
        assertThat(CoreCli.execute(refArgs.toArray(String[]::new)))
                .as("reference prepare")
                .isZero();
        long data = nonZeroBytes(ref);
        System.out.printf("reference VHD: %d bytes, %d non-zero%n", Files.size(ref), data);

        BlobContainerClient container = AZURITE.newContainer();
        Path conn = Files.writeString(dir.resolve("conn"), AZURITE.connectionString());
        Path outDir = Files.createDirectories(dir.resolve("out"));
        Path out = outDir.resolve("sample.vhd");
        Path result = dir.resolve("result.json"); // the compact result a Job writes as its termination message
        try (FaultProxy proxy = new FaultProxy(AZURITE.port())) {
            // a slow link: every Put Page waits; one request in flight, 8 KiB each
            proxy.throttle = FaultProxy.Request::isPutPage;
            proxy.throttleMillis = (int) Math.max(50, 6000 / Math.max(1, data / PUT));
            List<String> args = new ArrayList<>(List.of(
                    "prepare",
                    input.toString(),
                    "--output",
                    out.toString(),
                    "--blob-url",
                    proxy.blobEndpoint() + "/" + container.getBlobContainerName() + "/sample.vhd",
                    "--connection-string-file",
                    conn.toString(),
                    "--allowed-blob-host",
                    "127.0.0.1",
                    "--parallel",
                    "1",
                    "--max-put-size",
                    Integer.toString(PUT),
                    "--termination-log",
                    result.toString()));
            args.addAll(PATCH);

            Process first = start(args, dir.resolve("first.log"));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(420);
            while (first.isAlive() && proxy.pageBytes.get() < data / 3 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertThat(first.isAlive())
                    .as("still uploading: %s", Files.readString(dir.resolve("first.log")))
                    .isTrue();
            assertThat(proxy.pageBytes.get())
                    .as(
                            "a third of the data reached the proxy within 420 s: %s",
                            Files.readString(dir.resolve("first.log")))
                    .isGreaterThanOrEqualTo(data / 3);
            first.destroyForcibly(); // SIGKILL
            assertThat(first.waitFor(30, TimeUnit.SECONDS)).isTrue();
            Thread.sleep(300); // a put in the proxy's throttle finds its client gone
            long sentFirst = proxy.pageBytes.get();
            System.out.printf("first run killed after %d of %d bytes reached the proxy%n", sentFirst, data);
            assertThat(sentFirst).isBetween(data / 3, data - 1);
            assertThat(listing(outDir))
                    .as("killed during the upload: the VHD is complete and committed")
                    .containsExactly("sample.vhd", "sample.vhd.state.json");
            PageBlobClient blob = UploadTestSupport.keyClient(container, "sample.vhd");
            assertThat(blob.getProperties().getMetadata()).containsEntry(PageBlobUploader.META_STATE, "uploading");

            proxy.throttle = null;
            proxy.pageBytes.set(0);
            long t0 = System.nanoTime();
            Process second = start(args, dir.resolve("second.log"));
            assertThat(second.waitFor(420, TimeUnit.SECONDS)).isTrue();
            String log = Files.readString(dir.resolve("second.log"));
            assertThat(second.exitValue()).as(log).isZero();
            long sentSecond = proxy.pageBytes.get();
            System.out.printf(
                    "second run: %d bytes sent (of %d non-zero) in %d ms%n",
                    sentSecond, data, (System.nanoTime() - t0) / 1_000_000);
            assertThat(log)
                    .contains("already converted and patched for this input")
                    .contains("resuming an earlier upload of the same source")
                    .doesNotContain("converting");
            // only what the killed run did not land: at most the one put in flight at the kill is sent again
            assertThat(sentSecond).isLessThan(data).isLessThanOrEqualTo(data - sentFirst + PUT + 512);

            // the blob (read straight from Azurite) equals the output file byte for byte and the digest the run
            // recorded in its result. (Not compared with the fresh prepare's bytes: patching stamps the files it
            // writes with the current time, so two prepares differ in inode timestamps; the layout is the same.)
            String vhdSha = sha256(out);
            assertThat(UploadTestSupport.downloadSha256(blob)).isEqualTo(vhdSha);
            // the digest recorded (output and upload) is the reference digest of the output file: no whole-file hash
            String digest = ReferenceDigest.ofFile(out);
            assertThat(Files.readString(result))
                    .contains("\"digest\":\"" + digest + "\"")
                    .contains(blob.getBlobUrl().replace("127.0.0.1:" + AZURITE.port(), "127.0.0.1:" + proxy.port()));
            assertThat(Files.size(out)).isEqualTo(Files.size(ref));
            assertThat(nonZeroBytes(out)).isEqualTo(data);
            assertThat(blob.getProperties().getMetadata())
                    .containsEntry(PageBlobUploader.META_STATE, "complete")
                    .containsEntry(PageBlobUploader.META_DIGEST, digest);
            assertThat(listing(outDir)).as("no stray .partial").containsExactly("sample.vhd", "sample.vhd.state.json");
        }
    }
}
