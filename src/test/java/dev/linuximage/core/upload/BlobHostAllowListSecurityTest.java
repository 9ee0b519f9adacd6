package dev.linuximage.core.upload;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import dev.linuximage.testsupport.TestVhds;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12: a blob URL on a foreign host must not receive the credentials. The core refuses before any request;
 * a local HTTP server counts the requests that would have carried the SAS token.
 */
class BlobHostAllowListSecurityTest {

    private static boolean allows(List<String> entries, String url) {
        return BlobHostAllowList.of(entries).allows(URI.create(url));
    }

    @Test
    void azureDefaultsCoverPublicAndSovereignBlobEndpointsOnly() {
        BlobHostAllowList d = BlobHostAllowList.azureDefaults();
        assertThat(d.allows(URI.create("https://acct.blob.core.windows.net/c/b.vhd")))
                .isTrue();
        assertThat(d.allows(URI.create("https://ACCT.Blob.Core.Windows.Net/c/b.vhd")))
                .isTrue();
        assertThat(d.allows(URI.create("https://acct.blob.core.usgovcloudapi.net/c/b.vhd")))
                .isTrue();
        assertThat(d.allows(URI.create("https://acct.blob.core.chinacloudapi.cn/c/b.vhd")))
                .isTrue();
        // a wildcard is one DNS label, like a TLS wildcard
        assertThat(d.allows(URI.create("https://blob.core.windows.net/c/b.vhd")))
                .isFalse();
        assertThat(d.allows(URI.create("https://a.b.blob.core.windows.net/c/b.vhd")))
                .isFalse();
        // look-alikes
        assertThat(d.allows(URI.create("https://acct.blob.core.windows.net.evil.example/c/b")))
                .isFalse();
        assertThat(d.allows(URI.create("https://acctblob.core.windows.net/c/b")))
                .isFalse();
        assertThat(d.allows(URI.create("https://acct.file.core.windows.net/c/b")))
                .isFalse();
        assertThat(d.allows(URI.create("https://127.0.0.1:10000/devstoreaccount1/c/b")))
                .isFalse();
        assertThat(d.allows(URI.create("https://user@evil.example/acct.blob.core.windows.net/c")))
                .isFalse();
    }

    @Test
    void explicitEntriesWithAndWithoutPort() {
        assertThat(allows(List.of("127.0.0.1:10000"), "http://127.0.0.1:10000/devstoreaccount1/c/b"))
                .isTrue();
        assertThat(allows(List.of("127.0.0.1:10000"), "http://127.0.0.1:10001/devstoreaccount1/c/b"))
                .isFalse();
        assertThat(allows(List.of("127.0.0.1"), "http://127.0.0.1:10001/devstoreaccount1/c/b"))
                .isTrue();
        assertThat(allows(List.of("127.0.0.1:*"), "http://127.0.0.1:4711/a/c/b"))
                .isTrue();
        assertThat(allows(
                        List.of("acct.privatelink.blob.core.windows.net"),
                        "https://acct.privatelink.blob.core.windows.net/c/b"))
                .isTrue();
        assertThat(allows(List.of("10.0.0.4:443"), "https://10.0.0.4/c/b")).isFalse(); // no port in the URL is not 443
        assertThat(allows(List.of("[::1]:10000"), "http://[::1]:10000/a/c/b")).isTrue();
        assertThat(allows(List.of("acct.blob.core.windows.net"), "https://acct.blob.core.windows.net./c/b"))
                .isTrue();
    }

    @Test
    void malformedEntriesAreRefusedNamingTheEntry() {
        assertThatThrownBy(() -> BlobHostAllowList.of(List.of("https://acct.blob.core.windows.net")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("https://acct");
        assertThatThrownBy(() -> BlobHostAllowList.of(List.of("*"))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> BlobHostAllowList.of(List.of("a.*.windows.net")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> BlobHostAllowList.of(List.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("empty");
    }

    @Test
    void plainHttpOnlyToLoopbackWhateverTheList() {
        BlobHostAllowList any = BlobHostAllowList.of(List.of("storage.internal.example", "127.0.0.1"));
        assertThatThrownBy(() -> any.check("http://storage.internal.example/a/c/b"))
                .isInstanceOf(BlobHostNotAllowedException.class)
                .hasMessageContaining("clear text");
        org.assertj.core.api.Assertions.assertThatCode(() -> any.check("https://storage.internal.example/a/c/b"))
                .doesNotThrowAnyException();
        org.assertj.core.api.Assertions.assertThatCode(() -> any.check("http://127.0.0.1:10000/a/c/b"))
                .doesNotThrowAnyException();
    }

    /** The reproduction of issue 12: SAS of an unrelated Secret, blob URL on another host. */
    @Test
    void aForeignHostNeverSeesTheSasToken(@TempDir Path dir) throws Exception {
        AtomicInteger requests = new AtomicInteger();
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", ex -> {
            requests.incrementAndGet();
            ex.sendResponseHeaders(500, -1);
            ex.close();
        });
        server.start();
        try {
            int port = server.getAddress().getPort();
            String url = "http://127.0.0.1:" + port + "/acct/c/b.vhd";
            String sas = "sv=2025-01-05&sr=b&sp=racwd&sig=c2VjcmV0LXNpZ25hdHVyZQ%3D%3D";
            TestVhds img = TestVhds.random(2, 0.5, 64 * 1024, 7);
            // library: the default list (Azure only) refuses the host before any request
            assertThatThrownBy(() -> PageBlobUploader.upload(
                            img.source(),
                            "fp",
                            url,
                            new BlobCredentials.SasToken(sas),
                            UploadOptions.defaults(),
                            UploadListener.NONE))
                    .isInstanceOf(BlobHostNotAllowedException.class)
                    .hasMessageContaining("127.0.0.1:" + port)
                    .hasMessageNotContaining("sig=");
            // an allow-list naming another host refuses too
            assertThatThrownBy(() -> PageBlobUploader.upload(
                            img.source(),
                            "fp",
                            url,
                            new BlobCredentials.SasToken(sas),
                            UploadOptions.defaults().withAllowedHosts(BlobHostAllowList.of(List.of("127.0.0.1:10000"))),
                            UploadListener.NONE))
                    .isInstanceOf(BlobHostNotAllowedException.class);
            // command line: exit 2 (not retried by the Job), without an explicit --allowed-blob-host
            Path sasFile = dir.resolve("sas");
            Files.writeString(sasFile, sas);
            Path vhd = img.writeTo(dir.resolve("d.vhd"));
            int exit = dev.linuximage.core.cli.CoreCli.execute(new String[] {
                "upload", vhd.toString(), "--blob-url", url, "--sas-file", sasFile.toString(), "--progress", "none"
            });
            assertThat(exit).isEqualTo(dev.linuximage.core.report.ExitCodes.USAGE);
            // prepare (what a Job runs): refused before the conversion, with the reason in the termination message
            Path term = dir.resolve("termination-log");
            int prepared = dev.linuximage.core.cli.CoreCli.execute(new String[] {
                "prepare",
                vhd.toString(),
                "--output",
                dir.resolve("out.vhd").toString(),
                "--blob-url",
                url,
                "--sas-file",
                sasFile.toString(),
                "--termination-log",
                term.toString(),
                "--quiet"
            });
            assertThat(prepared).isEqualTo(dev.linuximage.core.report.ExitCodes.USAGE);
            assertThat(Files.readString(term))
                    .contains("\"BlobHostNotAllowed\"")
                    .doesNotContain("sig=");
            assertThat(dir.resolve("out.vhd")).doesNotExist();
            assertThat(requests.get())
                    .as("requests that reached the foreign host")
                    .isZero();
        } finally {
            server.stop(0);
        }
    }
}
