package dev.linuximage.core.upload;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.azure.core.http.HttpMethod;
import com.azure.core.http.HttpRequest;
import com.azure.core.http.HttpResponse;
import com.azure.core.util.ConfigurationBuilder;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.linuximage.core.report.ExitCodes;
import dev.linuximage.testsupport.CliRun;
import dev.linuximage.testsupport.TestVhds;
import java.io.FileInputStream;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 16 item 4: a Job pod behind a TLS-inspecting proxy or talking to a private CA. The CA bundle (PEM, as the
 * operator mounts it from a ConfigMap) is trusted besides the JDK's CAs; the proxy comes from HTTPS_PROXY/NO_PROXY.
 * Both are checked against real loopback servers: an HTTPS server whose certificate only the bundle vouches for, and
 * a socket playing the proxy that records the CONNECT line.
 */
class TrustBundleProxyTest {

    static KeyStore serverKeys(Path dir, Path pemOut) throws Exception {
        Path ks = dir.resolve("ks.p12");
        String keytool =
                Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        run(
                keytool,
                "-genkeypair",
                "-keystore",
                ks.toString(),
                "-storetype",
                "PKCS12",
                "-storepass",
                "changeit",
                "-keypass",
                "changeit",
                "-alias",
                "srv",
                "-keyalg",
                "RSA",
                "-keysize",
                "2048",
                "-validity",
                "2",
                "-dname",
                "CN=localhost",
                "-ext",
                "san=ip:127.0.0.1,dns:localhost");
        run(
                keytool,
                "-exportcert",
                "-rfc",
                "-keystore",
                ks.toString(),
                "-storepass",
                "changeit",
                "-alias",
                "srv",
                "-file",
                pemOut.toString());
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (FileInputStream in = new FileInputStream(ks.toFile())) {
            store.load(in, "changeit".toCharArray());
        }
        return store;
    }

    static void run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(String.join(" ", cmd) + ": " + out).isZero();
    }

    static HttpsServer https(KeyStore store) throws Exception {
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(store, "changeit".toCharArray());
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(kmf.getKeyManagers(), null, null);
        HttpsServer server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(ssl));
        server.createContext("/", ex -> {
            byte[] b = "ok".getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        server.start();
        return server;
    }

    @Test
    void caBundleIsTrustedBesidesTheJdkDefaults(@TempDir Path dir) throws Exception {
        Path pem = dir.resolve("srv.pem");
        HttpsServer server = https(serverKeys(dir, pem));
        try {
            URI uri = URI.create("https://127.0.0.1:" + server.getAddress().getPort() + "/");
            java.net.http.HttpRequest get =
                    java.net.http.HttpRequest.newBuilder(uri).build();
            // the JDK's CAs alone do not know the server
            assertThatThrownBy(() -> java.net.http.HttpClient.newBuilder()
                            .build()
                            .send(get, java.net.http.HttpResponse.BodyHandlers.ofString()))
                    .isInstanceOf(SSLHandshakeException.class);
            // with the bundle: trusted; an OpenShift-style bundle has comment lines around the PEM blocks
            Path bundle = Files.writeString(
                    dir.resolve("ca-bundle.crt"), "# injected by the platform\n" + Files.readString(pem) + "\n# end\n");
            var ok = java.net.http.HttpClient.newBuilder()
                    .sslContext(TrustBundle.sslContext(bundle))
                    .build()
                    .send(get, java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(ok.statusCode()).isEqualTo(200);
            assertThat(ok.body()).isEqualTo("ok");

            // the JDK's own CAs stay trusted: every default issuer plus the bundle's
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init((KeyStore) null);
            int defaults = ((javax.net.ssl.X509TrustManager) tmf.getTrustManagers()[0]).getAcceptedIssuers().length;
            assertThat(defaults).isPositive();
            assertThat(TrustBundle.trustManager(TrustBundle.read(bundle)).getAcceptedIssuers())
                    .hasSize(defaults + 1);

            // installed as the JVM default, the Azure SDK's JDK transport (our default client) trusts it
            TrustBundle.install(bundle);
            try (HttpResponse r = PageBlobClients.defaultHttpClient(Duration.ofSeconds(20))
                    .sendSync(new HttpRequest(HttpMethod.GET, uri.toURL()), com.azure.core.util.Context.NONE)) {
                assertThat(r.getStatusCode()).isEqualTo(200);
            }
        } finally {
            server.stop(0);
        }
    }

    @Test
    void badBundlesAreTypedErrors(@TempDir Path dir) throws Exception {
        Path garbage = Files.writeString(
                dir.resolve("g.pem"), "-----BEGIN CERTIFICATE-----\nnot base64!\n" + "-----END CERTIFICATE-----\n");
        assertThatThrownBy(() -> TrustBundle.read(garbage))
                .isInstanceOf(java.io.IOException.class)
                .hasMessageContaining("g.pem");
        Path empty = Files.writeString(dir.resolve("e.pem"), "# nothing\n");
        assertThatThrownBy(() -> TrustBundle.read(empty)).isInstanceOf(java.io.IOException.class);
        // on the command line: a usage error (exit 2), no stack trace
        Path vhd = TestVhds.zero(1).writeTo(dir.resolve("d.vhd"));
        Path sas = Files.writeString(dir.resolve("sas"), "sv=2024&sig=x");
        CliRun.Run r = CliRun.runEchoed(UploadTestSupport.upload(
                vhd.toString(),
                "--blob-url",
                "https://127.0.0.1:1/acct/c/b.vhd",
                "--sas-file",
                sas.toString(),
                "--ca-bundle",
                garbage.toString(),
                "--progress",
                "none"));
        assertThat(r.exit()).as(r.output()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.output()).contains("--ca-bundle").doesNotContain("\tat ");
    }

    /** A socket playing an HTTP proxy: records the first request line of each connection and answers 403. */
    static final class RecordingProxy implements AutoCloseable {
        final ServerSocket socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        final List<String> lines = new CopyOnWriteArrayList<>();
        final Thread thread = new Thread(this::serve, "recording-proxy");

        RecordingProxy() throws Exception {
            thread.setDaemon(true);
            thread.start();
        }

        private void serve() {
            while (!socket.isClosed()) {
                try (Socket s = socket.accept()) {
                    InputStream in = s.getInputStream();
                    StringBuilder line = new StringBuilder();
                    for (int c; (c = in.read()) >= 0 && c != '\n'; ) {
                        line.append((char) c);
                    }
                    lines.add(line.toString().strip());
                    s.getOutputStream()
                            .write("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n"
                                    .getBytes(StandardCharsets.US_ASCII));
                } catch (java.io.IOException e) {
                    return;
                }
            }
        }

        String url() {
            return "http://127.0.0.1:" + socket.getLocalPort();
        }

        @Override
        public void close() throws Exception {
            socket.close();
        }
    }

    @Test
    void proxyVariablesRouteTheSdksRequests() throws Exception {
        try (RecordingProxy proxy = new RecordingProxy()) {
            // the environment of a Job pod the operator gave HTTPS_PROXY (nothing else set)
            ConfigurationBuilder viaProxy =
                    new ConfigurationBuilder(k -> Map.of(), k -> Map.of(), k -> Map.of("HTTPS_PROXY", proxy.url()));
            HttpRequest req = new HttpRequest(HttpMethod.HEAD, "https://acct.blob.core.windows.net/c/b.vhd");
            try {
                PageBlobClients.defaultHttpClient(Duration.ofSeconds(10), viaProxy)
                        .sendSync(req, com.azure.core.util.Context.NONE)
                        .close();
            } catch (RuntimeException expected) {
                // the proxy refuses the tunnel: what matters is that the request went to it, unresolved
            }
            assertThat(proxy.lines).containsExactly("CONNECT acct.blob.core.windows.net:443 HTTP/1.1");

            // NO_PROXY: a matching host goes direct (here to a closed loopback port), the proxy sees nothing
            ConfigurationBuilder bypass = new ConfigurationBuilder(
                    k -> Map.of(), k -> Map.of(), k -> Map.of("HTTPS_PROXY", proxy.url(), "NO_PROXY", "127.0.0.1"));
            int closed;
            try (ServerSocket s = new ServerSocket(0)) {
                closed = s.getLocalPort();
            }
            try {
                PageBlobClients.defaultHttpClient(Duration.ofSeconds(10), bypass)
                        .sendSync(
                                new HttpRequest(HttpMethod.HEAD, "https://127.0.0.1:" + closed + "/c/b.vhd"),
                                com.azure.core.util.Context.NONE)
                        .close();
            } catch (RuntimeException expected) {
                // connection refused
            }
            assertThat(proxy.lines).hasSize(1);
        }
    }
}
