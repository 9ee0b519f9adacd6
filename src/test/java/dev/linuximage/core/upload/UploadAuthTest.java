package dev.linuximage.core.upload;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.azure.core.http.HttpClient;
import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.linuximage.testsupport.CliRun;
import dev.linuximage.testsupport.TestVhds;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Secret scrubbing end to end, and the Entra workload-identity credential chain against a fake token endpoint. */
class UploadAuthTest {
    static final String SIG = "Zm9vYmFyU0VDUkVUc2lnbmF0dXJlMTIzNDU2Nzg5MA%3D";

    record Seen(String method, String uri, Map<String, List<String>> headers, String body) {}

    private static void reply(HttpExchange ex, int status, String contentType, String body, String... headers)
            throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", contentType);
        for (int i = 0; i + 1 < headers.length; i += 2) {
            ex.getResponseHeaders().set(headers[i], headers[i + 1]);
        }
        if (ex.getRequestMethod().equals("HEAD")) {
            ex.sendResponseHeaders(status, -1);
        } else {
            ex.sendResponseHeaders(status, b.length == 0 ? -1 : b.length);
            ex.getResponseBody().write(b);
        }
        ex.close();
    }

    /**
     * A fake storage endpoint whose error bodies echo the request URL, SAS included (a worst case for leaks):
     * the blob does not exist (404 on HEAD), and creating it is refused with 403 quoting the URL.
     */
    @Test
    void sasSignatureNeverAppearsInOutputOrExceptionChain(@TempDir Path dir) throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", ex -> {
            ex.getRequestBody().readAllBytes();
            if (ex.getRequestMethod().equals("HEAD")) {
                reply(ex, 404, "application/xml", "", "x-ms-error-code", "BlobNotFound");
            } else {
                reply(
                        ex,
                        403,
                        "application/xml",
                        "<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>"
                                + "AuthenticationFailed</Code><Message>Server failed to authenticate the request. Request URL "
                                + ("http://" + ex.getRequestHeaders().getFirst("Host") + ex.getRequestURI())
                                        .replace("&", "&amp;")
                                + "</Message></Error>",
                        "x-ms-error-code",
                        "AuthenticationFailed");
            }
        });
        server.start();
        try {
            String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/devstoreaccount1/c/b.vhd";
            String sas = "sv=2025-01-05&se=2099-01-01T00%3A00%3A00Z&sr=b&sp=racwd&sig=" + SIG;
            Path sasFile = dir.resolve("sas");
            Files.writeString(sasFile, url + "?" + sas);
            TestVhds img = TestVhds.random(2, 0.5, 64 * 1024, 81);
            Path vhd = img.writeTo(dir.resolve("d.vhd"));

            CliRun.Run r = CliRun.runEchoed(UploadTestSupport.upload(
                    vhd.toString(), "--blob-url", url, "--sas-file", sasFile.toString(), "--progress", "plain"));
            assertThat(r.exit())
                    .as("refused credentials: a retry cannot help")
                    .isEqualTo(dev.linuximage.core.report.ExitCodes.USAGE);
            assertThat(r.output())
                    .contains("403")
                    .contains("AuthenticationFailed")
                    .contains("Request URL")
                    .contains("REDACTED");
            assertThat(r.output()).doesNotContain(SIG).doesNotContain(URLDecoder.decode(SIG, StandardCharsets.UTF_8));

            UploadException e = org.junit.jupiter.api.Assertions.assertThrows(
                    UploadException.class,
                    () -> PageBlobUploader.upload(
                            img.source(),
                            "fp",
                            url,
                            new BlobCredentials.SasToken(sas),
                            UploadOptions.defaults().withAllowedHosts(UploadTestSupport.LOOPBACK),
                            UploadListener.NONE));
            StringWriter trace = new StringWriter();
            e.printStackTrace(new PrintWriter(trace));
            assertThat(trace.toString())
                    .contains("AuthenticationFailed")
                    .contains("REDACTED")
                    .doesNotContain(SIG)
                    .doesNotContain(URLDecoder.decode(SIG, StandardCharsets.UTF_8));
        } finally {
            server.stop(0);
        }
    }

    /**
     * Workload identity: the federated token file is exchanged at the authority host (a local HTTPS server standing
     * in for Entra ID: AZURE_AUTHORITY_HOST), for an access token with scope https://storage.azure.com/.default,
     * which the storage request then carries as a bearer token. The same server plays the storage endpoint (the
     * SDK sends bearer tokens over HTTPS only, and Azurite on plain HTTP cannot take them).
     */
    @Test
    void workloadIdentityExchangesTheFederatedTokenForAStorageScopedBearerToken(@TempDir Path dir) throws Exception {
        Path ks = dir.resolve("ks.p12");
        Process kt = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "keytool")
                                .toString(),
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
                        "san=ip:127.0.0.1,dns:localhost")
                .redirectErrorStream(true)
                .start();
        String ktOut = new String(kt.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(kt.waitFor()).as("keytool: " + ktOut).isZero();
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (FileInputStream in = new FileInputStream(ks.toFile())) {
            store.load(in, "changeit".toCharArray());
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(store, "changeit".toCharArray());
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(store);
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);

        String accessToken = "eyJhbGciOiJub25lIn0.eyJhdWQiOiJodHRwczovL3N0b3JhZ2UuYXp1cmUuY29tIn0.c2lnbmF0dXJl";
        List<Seen> seen = new CopyOnWriteArrayList<>();
        HttpsServer server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(ssl));
        int port;
        server.createContext("/", ex -> {
            String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            seen.add(new Seen(
                    ex.getRequestMethod(), ex.getRequestURI().toString(), new HashMap<>(ex.getRequestHeaders()), body));
            String path = ex.getRequestURI().getPath();
            String host = "https://127.0.0.1:" + server.getAddress().getPort();
            if (path.endsWith("/oauth2/v2.0/token")) {
                reply(
                        ex,
                        200,
                        "application/json",
                        "{\"token_type\":\"Bearer\",\"expires_in\":3600,"
                                + "\"ext_expires_in\":3600,\"access_token\":\"" + accessToken + "\"}");
            } else if (path.contains("discovery/instance")) {
                reply(
                        ex,
                        200,
                        "application/json",
                        "{\"tenant_discovery_endpoint\":\"" + host
                                + "/tenant-1/v2.0/.well-known/openid-configuration\",\"api-version\":\"1.1\",\"metadata\":"
                                + "[{\"preferred_network\":\"127.0.0.1:"
                                + server.getAddress().getPort()
                                + "\",\"preferred_cache\":\"127.0.0.1:"
                                + server.getAddress().getPort()
                                + "\",\"aliases\":[\"127.0.0.1:"
                                + server.getAddress().getPort() + "\"]}]}");
            } else if (path.endsWith("openid-configuration")) {
                reply(
                        ex,
                        200,
                        "application/json",
                        "{\"token_endpoint\":\"" + host + "/tenant-1/oauth2/v2.0/token\","
                                + "\"authorization_endpoint\":\"" + host
                                + "/tenant-1/oauth2/v2.0/authorize\",\"issuer\":\""
                                + host + "/tenant-1/v2.0\"}");
            } else {
                reply(
                        ex,
                        403,
                        "application/xml",
                        "<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>"
                                + "AuthorizationPermissionMismatch</Code><Message>no role assignment</Message></Error>",
                        "x-ms-error-code",
                        "AuthorizationPermissionMismatch");
            }
        });
        server.start();
        port = server.getAddress().getPort();
        // MSAL's token request trusts the JVM defaults: trust the test certificate for this test only
        SSLContext previous = SSLContext.getDefault();
        javax.net.ssl.SSLSocketFactory previousFactory = javax.net.ssl.HttpsURLConnection.getDefaultSSLSocketFactory();
        SSLContext.setDefault(ssl);
        javax.net.ssl.HttpsURLConnection.setDefaultSSLSocketFactory(ssl.getSocketFactory());
        try {
            Path federated = dir.resolve("federated-token");
            String saToken = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6bnM6c2EifQ.ZmFrZQ";
            Files.writeString(federated, saToken);
            HttpClient http = new JdkHttpClientBuilder(java.net.http.HttpClient.newBuilder()
                            .sslContext(ssl)
                            .version(java.net.http.HttpClient.Version.HTTP_1_1))
                    .build();
            TestVhds img = TestVhds.random(2, 0.5, 64 * 1024, 91);
            BlobCredentials wi = new BlobCredentials.WorkloadIdentity(
                    "client-1", "tenant-1", federated.toString(), "https://127.0.0.1:" + port + "/");
            assertThatThrownBy(() -> PageBlobUploader.upload(
                            img.source(),
                            "fp",
                            "https://127.0.0.1:" + port + "/devstoreaccount1/c/b.vhd",
                            wi,
                            UploadOptions.defaults()
                                    .withAllowedHosts(UploadTestSupport.LOOPBACK)
                                    .withHttpClient(http)
                                    .withRetry(1, Duration.ofMillis(1), Duration.ofMillis(1)),
                            UploadListener.NONE))
                    .isInstanceOf(UploadException.class)
                    .hasMessageContaining("403")
                    .satisfies(e -> assertThat(e.getMessage())
                            .doesNotContain(accessToken)
                            .doesNotContain(saToken));

            Seen token = seen.stream()
                    .filter(s -> s.uri().endsWith("/oauth2/v2.0/token"))
                    .findFirst()
                    .orElseThrow(() -> new AssertionError("no token exchange; requests seen: " + seen));
            Map<String, String> form = new HashMap<>();
            for (String kv : token.body().split("&")) {
                String[] p = kv.split("=", 2);
                form.put(
                        URLDecoder.decode(p[0], StandardCharsets.UTF_8),
                        p.length > 1 ? URLDecoder.decode(p[1], StandardCharsets.UTF_8) : "");
            }
            assertThat(token.uri()).startsWith("/tenant-1/");
            assertThat(form)
                    .containsEntry("grant_type", "client_credentials")
                    .containsEntry("client_id", "client-1")
                    .containsEntry("client_assertion", saToken)
                    .containsEntry("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
            assertThat(form.get("scope")).contains("https://storage.azure.com/.default");
            Seen storage = seen.stream()
                    .filter(s -> s.uri().startsWith("/devstoreaccount1/c/b.vhd"))
                    .findFirst()
                    .orElseThrow(() -> new AssertionError("no storage request; seen: " + seen));
            List<String> auth = storage.headers().get("Authorization");
            assertThat(auth).containsExactly("Bearer " + accessToken);
        } finally {
            SSLContext.setDefault(previous);
            javax.net.ssl.HttpsURLConnection.setDefaultSSLSocketFactory(previousFactory);
            server.stop(0);
        }
    }
}
