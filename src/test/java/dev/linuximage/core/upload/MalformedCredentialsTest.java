package dev.linuximage.core.upload;

import static org.assertj.core.api.Assertions.assertThat;

import dev.linuximage.core.report.ExitCodes;
import dev.linuximage.testsupport.CliRun;
import dev.linuximage.testsupport.CountingServer;
import dev.linuximage.testsupport.TestVhds;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A malformed connection string (or an unusable credentials file) is a usage error, exit 2 (issue 13): the Job's
 * pod-failure policy must not retry it with the same Secret. The form checked is the Azure Storage connection string
 * ({@code key=value} pairs separated by {@code ;}, {@code AccountName} + base64 {@code AccountKey}, or
 * {@code SharedAccessSignature}). Nothing is sent: the blob endpoint is a listening socket that counts connections.
 */
class MalformedCredentialsTest {
    static final String KEY = "c2VjcmV0LWtleS1ieXRlcy0xMjM0NTY3ODkwYWJjZGVm"; // base64 of 32 ASCII bytes

    @Test
    void malformedConnectionStringsExit2WithoutSendingAnythingOrPrintingTheSecret(@TempDir Path dir) throws Exception {
        Path vhd = TestVhds.zero(1).writeTo(dir.resolve("d.vhd"));
        String[][] cases = {
            {"garbage-without-any-field", "not key=value"},
            {"AccountName=acct;AccountKey=not*base64*" + "S3CR3T", "AccountKey is not base64"},
            {"AccountKey=" + KEY, "AccountKey without AccountName"},
            {"AccountName=acct;BlobEndpoint=http://127.0.0.1:1/acct", "neither AccountName+AccountKey"},
            {"AccountName=acct;AccountKey=" + KEY + ";=S3CR3T", "not key=value"},
        };
        try (CountingServer server = new CountingServer()) {
            String url = "http://127.0.0.1:" + server.port() + "/acct/c/b.vhd";
            int i = 0;
            for (String[] c : cases) {
                Path cs = Files.writeString(dir.resolve("cs" + i++), c[0] + "\n", StandardCharsets.UTF_8);
                CliRun.Run r = CliRun.runEchoed(UploadTestSupport.upload(
                        vhd.toString(),
                        "--blob-url",
                        url,
                        "--connection-string-file",
                        cs.toString(),
                        "--progress",
                        "none"));
                assertThat(r.exit()).as("%s: %s", c[1], r.output()).isEqualTo(ExitCodes.USAGE);
                assertThat(r.output())
                        .contains("malformed")
                        .contains(c[1])
                        .doesNotContain("S3CR3T")
                        .doesNotContain(KEY);
            }
            assertThat(server.connections())
                    .as("connections to the blob endpoint")
                    .isZero();
        }
    }

    @Test
    void missingOrEmptyCredentialsFilesExit2(@TempDir Path dir) throws Exception {
        Path vhd = TestVhds.zero(1).writeTo(dir.resolve("d.vhd"));
        Path empty = Files.writeString(dir.resolve("empty"), "\n");
        for (String[] c : new String[][] {
            {"--connection-string-file", empty.toString()},
            {"--connection-string-file", dir.resolve("absent").toString()},
            {"--sas-file", empty.toString()}
        }) {
            CliRun.Run r = CliRun.runEchoed(UploadTestSupport.upload(
                    vhd.toString(), "--blob-url", "http://127.0.0.1:1/acct/c/b.vhd", c[0], c[1], "--progress", "none"));
            assertThat(r.exit()).as(r.output()).isEqualTo(ExitCodes.USAGE);
        }
    }

    @Test
    void wellFormedConnectionStringsPassTheFormCheck() {
        assertThat(BlobCredentials.malformed(new BlobCredentials.ConnectionString(
                        "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=" + KEY
                                + ";EndpointSuffix=core.windows.net")))
                .isNull();
        assertThat(
                        BlobCredentials.malformed(
                                new BlobCredentials.ConnectionString(
                                        "BlobEndpoint=https://acct.blob.core.windows.net/;SharedAccessSignature=sv=2022-11-02&sig=abc%3D")))
                .isNull();
        // a trailing ';' (as the portal shows some strings) is not a field
        assertThat(BlobCredentials.malformed(
                        new BlobCredentials.ConnectionString("AccountName=acct;AccountKey=" + KEY + ";")))
                .isNull();
    }
}
