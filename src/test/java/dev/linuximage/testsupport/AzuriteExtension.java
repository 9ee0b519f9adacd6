package dev.linuximage.testsupport;

import com.azure.core.http.HttpClient;
import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobServiceClient;
import com.azure.storage.blob.BlobServiceClientBuilder;
import com.azure.storage.blob.BlobServiceVersion;
import com.azure.storage.blob.sas.BlobSasPermission;
import com.azure.storage.blob.sas.BlobServiceSasSignatureValues;
import com.azure.storage.common.StorageSharedKeyCredential;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Starts a real Azurite blob emulator on a free loopback port with in-memory persistence for one test class and
 * stops it afterwards. Register with {@code @RegisterExtension static final AzuriteExtension AZURITE = new
 * AzuriteExtension();}. Needs {@code node_modules/.bin/azurite-blob} in the project directory (installed by
 * {@code scripts/setup.sh}); fails (never skips) when it is missing.
 *
 * <p>Azurite 3.37 refuses the API version azure-storage-blob 12.37 sends by default; clients built here pin
 * {@link #SERVICE_VERSION}, and Azurite also runs with {@code --skipApiVersionCheck} so other tools (az) work.
 */
public final class AzuriteExtension implements BeforeAllCallback, AfterAllCallback {
    public static final String ACCOUNT = "devstoreaccount1";
    /** The well-known, public Azurite development key (not a secret). */
    public static final String KEY =
            "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    public static final BlobServiceVersion SERVICE_VERSION = BlobServiceVersion.V2026_06_06;
    private static final AtomicInteger CONTAINERS = new AtomicInteger();

    private Process process;
    private int port;
    private Path log;
    private final List<String> extraArgs = new ArrayList<>();

    public AzuriteExtension(String... extraArgs) {
        this.extraArgs.addAll(List.of(extraArgs));
    }

    /** The azurite-blob launcher of this project. */
    public static Path launcher() {
        Path p = Path.of(System.getProperty("user.dir"), "node_modules", ".bin", "azurite-blob");
        if (!Files.isExecutable(p)) {
            throw new IllegalStateException(
                    "Azurite is missing: " + p + " not found; run scripts/setup.sh " + "(npm install azurite@3.37.0)");
        }
        return p;
    }

    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        start();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        stop();
    }

    public void start() throws Exception {
        Path dir = Path.of(System.getProperty("user.dir"), "target", "azurite");
        Files.createDirectories(dir);
        for (int attempt = 0; attempt < 3; attempt++) {
            port = freePort();
            log = dir.resolve("azurite-" + port + ".log");
            List<String> cmd = new ArrayList<>(List.of(
                    launcher().toString(),
                    "--blobHost",
                    "127.0.0.1",
                    "--blobPort",
                    Integer.toString(port),
                    "--inMemoryPersistence",
                    "--disableTelemetry",
                    "--silent",
                    "--skipApiVersionCheck"));
            cmd.addAll(extraArgs);
            process = new ProcessBuilder(cmd)
                    .directory(dir.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .start();
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (System.nanoTime() < deadline && process.isAlive()) {
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                    return;
                } catch (IOException e) {
                    Thread.sleep(100);
                }
            }
            stop();
            if (Files.readString(log).contains("rror")) {
                break;
            }
        }
        throw new IllegalStateException("Azurite did not start; see " + log + ": " + Files.readString(log));
    }

    public void stop() {
        if (process != null) {
            process.descendants().forEach(ProcessHandle::destroy);
            process.destroy();
            try {
                process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            process = null;
        }
    }

    public int port() {
        return port;
    }

    /** {@code http://127.0.0.1:PORT/devstoreaccount1} */
    public String blobEndpoint() {
        return "http://127.0.0.1:" + port + "/" + ACCOUNT;
    }

    public String connectionString() {
        return "DefaultEndpointsProtocol=http;AccountName=" + ACCOUNT + ";AccountKey=" + KEY + ";BlobEndpoint="
                + blobEndpoint() + ";";
    }

    public static HttpClient httpClient() {
        if (System.getProperty("jdk.httpclient.allowRestrictedHeaders") == null) {
            System.setProperty("jdk.httpclient.allowRestrictedHeaders", "content-length");
        }
        return new JdkHttpClientBuilder(
                        java.net.http.HttpClient.newBuilder().version(java.net.http.HttpClient.Version.HTTP_1_1))
                .build();
    }

    public BlobServiceClient serviceClient() {
        return new BlobServiceClientBuilder()
                .endpoint(blobEndpoint())
                .credential(new StorageSharedKeyCredential(ACCOUNT, KEY))
                .httpClient(httpClient())
                .serviceVersion(SERVICE_VERSION)
                .buildClient();
    }

    /** A new, uniquely named container. */
    public BlobContainerClient newContainer() {
        String name = "c" + System.nanoTime() % 1_000_000_000L + "-" + CONTAINERS.incrementAndGet();
        BlobContainerClient c = serviceClient().getBlobContainerClient(name);
        c.create();
        return c;
    }

    /** A SAS token (no leading '?') for one blob, signed with the development key. */
    public String sas(BlobContainerClient container, String blob, String permissions) {
        return container
                .getBlobClient(blob)
                .generateSas(new BlobServiceSasSignatureValues(
                        OffsetDateTime.now().plusHours(2), BlobSasPermission.parse(permissions)));
    }
}
