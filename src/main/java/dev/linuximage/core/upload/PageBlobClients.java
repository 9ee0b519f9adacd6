package dev.linuximage.core.upload;

import com.azure.core.http.HttpClient;
import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder;
import com.azure.identity.WorkloadIdentityCredentialBuilder;
import com.azure.storage.blob.BlobServiceVersion;
import com.azure.storage.blob.specialized.PageBlobClient;
import com.azure.storage.blob.specialized.SpecializedBlobClientBuilder;
import com.azure.storage.common.StorageSharedKeyCredential;
import com.azure.storage.common.policy.RequestRetryOptions;
import com.azure.storage.common.policy.RetryPolicyType;
import java.net.URI;
import java.time.Duration;

/**
 * Builds the SDK's {@link PageBlobClient} for a blob URL and credentials.
 *
 * <p>Transport: the JDK {@link java.net.http.HttpClient} (azure-core-http-jdk-httpclient), HTTP/1.1, instead of the
 * SDK's default Netty transport, which clashes with Quarkus' Netty and is not native-image friendly here.
 *
 * <p>Retries: the SDK's own retry policy is set to a single try (its exponential policy has no jitter), and its
 * download retries (resuming a dropped response body) are off; every request goes through {@link Retrier}, which
 * retries with exponential backoff and equal jitter, honours a bounded {@code Retry-After} and counts retries. The
 * SDK's per-try timeout still applies. One retry layer stays below ours: the JDK HTTP client re-sends an idempotent
 * request (GET, HEAD) once by itself when its connection closes before any byte of the response arrived.
 */
public final class PageBlobClients {
    static {
        // The SDK sets Content-Length itself; the JDK client computes it from the body and would log a warning per
        // request for the "restricted" header. Allowing it keeps the logs clean (the values agree).
        if (System.getProperty("jdk.httpclient.allowRestrictedHeaders") == null) {
            System.setProperty("jdk.httpclient.allowRestrictedHeaders", "content-length");
        }
    }

    private PageBlobClients() {}

    /** {@code url} without query string and fragment. */
    public static String stripQuery(String url) {
        int q = url.indexOf('?');
        int h = url.indexOf('#');
        int cut = q < 0 ? h : (h < 0 ? q : Math.min(q, h));
        return cut < 0 ? url : url.substring(0, cut);
    }

    /** Checks a blob URL: http(s), a container and a blob name, and no query string (a SAS belongs in a file). */
    public static String checkBlobUrl(String url) throws UploadException {
        URI u;
        try {
            u = URI.create(stripQuery(url));
        } catch (IllegalArgumentException e) {
            throw new UploadException(
                    "blob URL is not a valid URL: " + Secrets.none().scrub(stripQuery(url)));
        }
        if (!stripQuery(url).equals(url)) {
            throw new UploadException("blob URL " + stripQuery(url) + " must not carry a query string: pass a SAS "
                    + "with --sas-file (a file, e.g. a mounted Secret), never on the command line or in a spec");
        }
        if (u.getScheme() == null
                || !(u.getScheme().equals("https") || u.getScheme().equals("http"))
                || u.getHost() == null) {
            throw new UploadException(
                    "blob URL must be https://ACCOUNT.blob.core.windows.net/CONTAINER/BLOB, got " + url);
        }
        String path = u.getPath() == null ? "" : u.getPath();
        if (path.chars().filter(c -> c == '/').count() < 2 || path.endsWith("/")) {
            throw new UploadException("blob URL must name a container and a blob: " + url);
        }
        return url;
    }

    static BlobServiceVersion serviceVersion(String v) throws UploadException {
        if (v == null) {
            return null;
        }
        for (BlobServiceVersion s : BlobServiceVersion.values()) {
            if (s.getVersion().equals(v) || s.name().equals(v)) {
                return s;
            }
        }
        throw new UploadException("unknown storage service version " + v + " (e.g. 2026-06-06)");
    }

    /**
     * The default HTTP client: JDK HttpClient, HTTP/1.1, with connect/read/response timeouts. It takes the JVM's
     * default SSLContext ({@link TrustBundle#install} adds a CA bundle to it) and the proxy of the environment,
     * {@code HTTPS_PROXY} (else {@code HTTP_PROXY}) and {@code NO_PROXY}, as the Job pods get them from the operator.
     */
    public static HttpClient defaultHttpClient(Duration requestTimeout) {
        return defaultHttpClient(requestTimeout, new com.azure.core.util.ConfigurationBuilder());
    }

    /**
     * As {@link #defaultHttpClient(Duration)}, the environment read through {@code env}. azure-core's
     * {@code ProxyOptions.fromConfiguration} reads {@code HTTPS_PROXY}/{@code HTTP_PROXY}/{@code NO_PROXY} only when
     * {@code java.net.useSystemProxies} is {@code true} (azure-core 1.61, {@code attemptToLoadProxy}); without it a
     * pod's proxy variables would be ignored, so it is set for this client's configuration (not for the JVM).
     */
    static HttpClient defaultHttpClient(Duration requestTimeout, com.azure.core.util.ConfigurationBuilder env) {
        return new JdkHttpClientBuilder(
                        java.net.http.HttpClient.newBuilder().version(java.net.http.HttpClient.Version.HTTP_1_1))
                .configuration(
                        env.putProperty("java.net.useSystemProxies", "true").build())
                .connectionTimeout(Duration.ofSeconds(30))
                .readTimeout(requestTimeout)
                .responseTimeout(requestTimeout)
                .writeTimeout(requestTimeout)
                .build();
    }

    /**
     * A client for {@code blobUrl} (no query string) authenticated with {@code credentials}.
     *
     * @throws BlobHostNotAllowedException the host is not in {@link UploadOptions#allowedHosts()}: checked before
     *                                     the credentials are touched
     */
    public static PageBlobClient create(String blobUrl, BlobCredentials credentials, UploadOptions options)
            throws UploadException {
        checkBlobUrl(blobUrl);
        options.allowedHosts().check(blobUrl);
        HttpClient http =
                options.httpClient() != null ? options.httpClient() : defaultHttpClient(options.requestTimeout());
        SpecializedBlobClientBuilder b = new SpecializedBlobClientBuilder()
                .endpoint(blobUrl)
                .httpClient(http)
                .retryOptions(new RequestRetryOptions(
                        RetryPolicyType.FIXED,
                        1,
                        options.requestTimeout(),
                        Duration.ofMillis(1),
                        Duration.ofMillis(1),
                        null));
        BlobServiceVersion v = serviceVersion(options.serviceVersion());
        if (v != null) {
            b.serviceVersion(v);
        }
        if (credentials instanceof BlobCredentials.SasToken sas) {
            b.sasToken(sas.token());
        } else if (credentials instanceof BlobCredentials.ConnectionString cs) {
            String key = cs.field("AccountKey");
            String name = cs.field("AccountName");
            String sas = cs.field("SharedAccessSignature");
            if (key != null && name != null) {
                b.credential(new StorageSharedKeyCredential(name, key));
            } else if (sas != null) {
                b.sasToken(sas.startsWith("?") ? sas.substring(1) : sas);
            } else {
                throw new CredentialsException(
                        "connection string has neither AccountName+AccountKey nor SharedAccessSignature");
            }
        } else if (credentials instanceof BlobCredentials.WorkloadIdentity wi) {
            WorkloadIdentityCredentialBuilder wb = new WorkloadIdentityCredentialBuilder();
            if (wi.clientId() != null) {
                wb.clientId(wi.clientId());
            }
            if (wi.tenantId() != null) {
                wb.tenantId(wi.tenantId());
            }
            if (wi.tokenFile() != null) {
                wb.tokenFilePath(wi.tokenFile());
            }
            if (wi.authorityHost() != null) {
                wb.authorityHost(wi.authorityHost());
            }
            if (options.httpClient() != null) {
                wb.httpClient(options.httpClient());
            }
            try {
                b.credential(wb.build());
            } catch (RuntimeException e) {
                throw new UploadException("workload identity is not configured (AZURE_CLIENT_ID, AZURE_TENANT_ID, "
                        + "AZURE_FEDERATED_TOKEN_FILE): " + Secrets.none().scrub(e.getMessage()));
            }
        } else if (credentials instanceof BlobCredentials.DefaultChain) {
            com.azure.identity.DefaultAzureCredentialBuilder db =
                    new com.azure.identity.DefaultAzureCredentialBuilder();
            if (options.httpClient() != null) {
                db.httpClient(options.httpClient());
            }
            try {
                b.credential(db.build()); // nothing is looked up yet: the first token request walks the chain
            } catch (RuntimeException e) {
                throw new CredentialsException("DefaultAzureCredential cannot be built: "
                        + Secrets.none().scrub(e.getMessage()));
            }
        } else if (credentials instanceof BlobCredentials.Token t) {
            b.credential(t.credential());
        }
        try {
            return b.buildPageBlobClient();
        } catch (RuntimeException e) {
            throw new UploadException("cannot build a client for " + stripQuery(blobUrl) + ": "
                    + Secrets.of(credentials.secrets()).scrub(e.getMessage()));
        }
    }
}
