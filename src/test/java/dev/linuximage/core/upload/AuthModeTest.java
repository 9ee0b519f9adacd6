package dev.linuximage.core.upload;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.azure.core.credential.TokenCredential;
import com.azure.identity.CredentialUnavailableException;
import dev.linuximage.core.report.ExitCodes;
import dev.linuximage.core.report.ResultReasons;
import dev.linuximage.testsupport.CliRun;
import dev.linuximage.testsupport.CountingServer;
import dev.linuximage.testsupport.TestVhds;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Mono;

/**
 * Issue 16 item 7: {@code --auth default} (the SDK's DefaultAzureCredential) beside the explicit modes. No request
 * leaves the machine: the selection is tested on the command line (usage errors, exit 2, before any credential is
 * built) and a credential chain that finds nothing is played by a credential throwing the SDK's
 * {@link CredentialUnavailableException}, which must end as a typed MissingCredentials (exit 2), not a stack trace.
 */
class AuthModeTest {

    @Test
    void modesAndFlagsMustAgree(@TempDir Path dir) throws Exception {
        Path vhd = TestVhds.zero(1).writeTo(dir.resolve("d.vhd"));
        Path sas = Files.writeString(dir.resolve("sas"), "sv=2024&sig=x");
        String url = "https://127.0.0.1:1/acct/c/b.vhd";
        String[][] usage = {
            {"--auth", "default", "--sas-file", sas.toString()},
            {"--auth", "workload-identity", "--sas-file", sas.toString()},
            {"--auth", "sas"},
            {"--auth", "connection-string", "--sas-file", sas.toString()},
            {"--auth", "kerberos"},
            {},
        };
        for (String[] c : usage) {
            String[] args = concat(new String[] {vhd.toString(), "--blob-url", url, "--progress", "none"}, c);
            CliRun.Run r = CliRun.runEchoed(UploadTestSupport.upload(args));
            assertThat(r.exit()).as("%s: %s", String.join(" ", c), r.output()).isEqualTo(ExitCodes.USAGE);
            assertThat(r.output())
                    .as(String.join(" ", c))
                    .doesNotContain("\tat ")
                    .doesNotContain("Exception");
        }
        CliRun.Run none =
                CliRun.runEchoed(UploadTestSupport.upload(vhd.toString(), "--blob-url", url, "--progress", "none"));
        assertThat(none.output()).contains("--auth default");
        CliRun.Run noUrl = CliRun.runEchoed("upload", vhd.toString(), "--auth", "default");
        assertThat(noUrl.exit()).isEqualTo(ExitCodes.USAGE);
    }

    @Test
    void selectionIsPure() {
        assertThat(dev.linuximage.core.cli.UploadTargetMixinAccess.select("default", null, false))
                .isEqualTo("DEFAULT");
        assertThat(dev.linuximage.core.cli.UploadTargetMixinAccess.select(null, "sas-file", false))
                .isEqualTo("SAS");
        assertThat(dev.linuximage.core.cli.UploadTargetMixinAccess.select("sas", "sas-file", false))
                .isEqualTo("SAS");
        assertThat(dev.linuximage.core.cli.UploadTargetMixinAccess.select(null, null, true))
                .isEqualTo("WORKLOAD_IDENTITY");
        assertThat(dev.linuximage.core.cli.UploadTargetMixinAccess.select("workload-identity", null, true))
                .isEqualTo("WORKLOAD_IDENTITY");
        assertThat(dev.linuximage.core.cli.UploadTargetMixinAccess.select("connection-string", "cs-file", false))
                .isEqualTo("CONNECTION_STRING");
    }

    /** The default chain builds without looking anything up (the first token request walks it). */
    @Test
    void defaultChainBuildsAClientWithoutANetworkCall() throws Exception {
        var client = PageBlobClients.create(
                "https://acct.blob.core.windows.net/c/b.vhd",
                new BlobCredentials.DefaultChain(),
                UploadOptions.defaults());
        assertThat(client.getBlobUrl()).isEqualTo("https://acct.blob.core.windows.net/c/b.vhd");
        assertThat(new BlobCredentials.DefaultChain().secrets()).isEmpty();
    }

    /** A chain that finds no credential fails the first request before it is sent: exit 2, MissingCredentials. */
    @Test
    void noCredentialAvailableIsMissingCredentials(@TempDir Path dir) throws Exception {
        TokenCredential nothing = request -> Mono.error(new CredentialUnavailableException(
                "DefaultAzureCredential failed to retrieve a token from the included credentials."));
        try (CountingServer server = new CountingServer()) {
            String url = "https://127.0.0.1:" + server.port() + "/acct/c/b.vhd";
            UploadOptions options = UploadOptions.defaults()
                    .withAllowedHosts(BlobHostAllowList.of(java.util.List.of("127.0.0.1:" + server.port())));
            var client = PageBlobClients.create(url, new BlobCredentials.Token(nothing), options);
            Retrier retrier = new Retrier(options, Secrets.none(), new AtomicLong());
            assertThatThrownBy(() -> retrier.call("get properties", client::getProperties))
                    .isInstanceOfSatisfying(CredentialsException.class, e -> {
                        assertThat(e.exitCode()).isEqualTo(ExitCodes.USAGE);
                        assertThat(e.resultReason()).isEqualTo(ResultReasons.MISSING_CREDENTIALS);
                        assertThat(e.getMessage()).contains("no Azure credential available");
                    });
            // wrapped (as reactive code may deliver it): the same
            assertThatThrownBy(() -> retrier.call("x", () -> {
                        throw new RuntimeException(new CredentialUnavailableException("none"));
                    }))
                    .isInstanceOf(CredentialsException.class);
            assertThat(server.connections()).as("nothing sent without a token").isZero();
        }
    }

    static String[] concat(String[] a, String[] b) {
        String[] r = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
