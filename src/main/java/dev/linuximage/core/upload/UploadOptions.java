package dev.linuximage.core.upload;

import com.azure.core.http.HttpClient;
import java.time.Duration;

/**
 * Tunables of an upload. Immutable; start from {@link #defaults()} and use the {@code with*} methods.
 *
 * <p>Sizes in bytes. {@code maxPutBytes} is capped at Azure's Put Page limit of 4 MiB (4,194,304 bytes) and must be
 * a multiple of 512: Azurite does not enforce that limit, so this class does.
 */
public final class UploadOptions {
    /** Azure's limit on the body of one Put Page request. */
    public static final int AZURE_MAX_PUT_PAGE_BYTES = 4 * 1024 * 1024;
    /** Azure's limit on a page blob's size (8 TiB). */
    public static final long AZURE_MAX_PAGE_BLOB_BYTES = 8L << 40;

    private int parallel = 8;
    private int maxPutBytes = AZURE_MAX_PUT_PAGE_BYTES;
    private long generation = 0;
    private VerifyMode verify = VerifyMode.MD5;
    private int maxAttempts = 10;
    private Duration baseBackoff = Duration.ofMillis(250);
    private Duration maxBackoff = Duration.ofSeconds(30);
    private Duration requestTimeout = Duration.ofSeconds(120);
    private String serviceVersion;
    private HttpClient httpClient;
    private boolean fresh;
    private BlobHostAllowList allowedHosts = BlobHostAllowList.azureDefaults();
    private String owner;
    private boolean takeOver;

    private UploadOptions() {}

    public static UploadOptions defaults() {
        return new UploadOptions();
    }

    private UploadOptions copy() {
        UploadOptions o = new UploadOptions();
        o.parallel = parallel;
        o.maxPutBytes = maxPutBytes;
        o.generation = generation;
        o.verify = verify;
        o.maxAttempts = maxAttempts;
        o.baseBackoff = baseBackoff;
        o.maxBackoff = maxBackoff;
        o.requestTimeout = requestTimeout;
        o.serviceVersion = serviceVersion;
        o.httpClient = httpClient;
        o.fresh = fresh;
        o.allowedHosts = allowedHosts;
        o.owner = owner;
        o.takeOver = takeOver;
        return o;
    }

    /** Requests in flight at once (1..64). Default 8. */
    public UploadOptions withParallel(int n) {
        if (n < 1 || n > 64) {
            throw new IllegalArgumentException("parallel must be 1..64, got " + n);
        }
        UploadOptions o = copy();
        o.parallel = n;
        return o;
    }

    /** Largest Put Page body in bytes: a multiple of 512, at most 4 MiB. Default 4 MiB. */
    public UploadOptions withMaxPutBytes(int n) {
        if (n < 512 || n > AZURE_MAX_PUT_PAGE_BYTES || n % 512 != 0) {
            throw new IllegalArgumentException(
                    "max put size must be a multiple of 512 in 512.." + AZURE_MAX_PUT_PAGE_BYTES + ", got " + n);
        }
        UploadOptions o = copy();
        o.maxPutBytes = n;
        return o;
    }

    /**
     * Fencing generation (e.g. the LinuxImage's {@code metadata.generation}), stored as the blob's sequence number.
     * A writer with a smaller generation than the blob's is refused. Default 0.
     */
    public UploadOptions withGeneration(long g) {
        if (g < 0 || g > PageBlobUploader.MAX_GENERATION) {
            throw new IllegalArgumentException(
                    "generation must be 0.." + PageBlobUploader.MAX_GENERATION + ", got " + g);
        }
        UploadOptions o = copy();
        o.generation = g;
        return o;
    }

    public UploadOptions withVerify(VerifyMode v) {
        UploadOptions o = copy();
        o.verify = java.util.Objects.requireNonNull(v);
        return o;
    }

    /** Attempts per request (first try included) before the upload fails; and the backoff bounds. */
    public UploadOptions withRetry(int maxAttempts, Duration baseBackoff, Duration maxBackoff) {
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be >= 1");
        }
        UploadOptions o = copy();
        o.maxAttempts = maxAttempts;
        o.baseBackoff = baseBackoff;
        o.maxBackoff = maxBackoff;
        return o;
    }

    /** Timeout of one request attempt. Default 120 s. */
    public UploadOptions withRequestTimeout(Duration d) {
        UploadOptions o = copy();
        o.requestTimeout = d;
        return o;
    }

    /** Storage REST API version to send (e.g. {@code 2026-06-06} for Azurite 3.37); {@code null}: the SDK's latest. */
    public UploadOptions withServiceVersion(String v) {
        UploadOptions o = copy();
        o.serviceVersion = v;
        return o;
    }

    /** HTTP client to use (tests, proxies, custom TLS); {@code null}: a JDK HttpClient (HTTP/1.1). */
    public UploadOptions withHttpClient(HttpClient c) {
        UploadOptions o = copy();
        o.httpClient = c;
        return o;
    }

    /** Never resume: recreate the blob even if it holds a partial upload of the same source. */
    public UploadOptions withFresh(boolean f) {
        UploadOptions o = copy();
        o.fresh = f;
        return o;
    }

    /**
     * The hosts credentials may be sent to (see {@link BlobHostAllowList}). Default: Azure's public and sovereign
     * blob endpoints ({@link BlobHostAllowList#AZURE_DEFAULTS}); a local emulator must be allowed explicitly.
     */
    public UploadOptions withAllowedHosts(BlobHostAllowList list) {
        UploadOptions o = copy();
        o.allowedHosts = java.util.Objects.requireNonNull(list);
        return o;
    }

    /**
     * Fencing identity (e.g. the LinuxImage's {@code metadata.uid}), stored in the blob's metadata
     * ({@value PageBlobUploader#META_OWNER}). A writer with an owner only writes a blob that is absent or has the
     * same owner, unless {@link #withTakeOver(boolean)}. {@code null} (default): no owner; such a writer only
     * writes blobs without an owner. At most 128 characters of {@code [A-Za-z0-9._-]}.
     */
    public UploadOptions withOwner(String owner) {
        if (owner != null && !owner.matches("[A-Za-z0-9._-]{1,128}")) {
            throw new IllegalArgumentException("owner must be 1..128 characters of [A-Za-z0-9._-]");
        }
        UploadOptions o = copy();
        o.owner = owner;
        return o;
    }

    /**
     * Take the blob over from another owner (or from none): it is recreated under a new fencing epoch, so every
     * writer of the previous owner is refused by the service from then on, whatever its generation.
     */
    public UploadOptions withTakeOver(boolean t) {
        UploadOptions o = copy();
        o.takeOver = t;
        return o;
    }

    public BlobHostAllowList allowedHosts() {
        return allowedHosts;
    }

    public String owner() {
        return owner;
    }

    public boolean takeOver() {
        return takeOver;
    }

    public int parallel() {
        return parallel;
    }

    public int maxPutBytes() {
        return maxPutBytes;
    }

    public long generation() {
        return generation;
    }

    public VerifyMode verify() {
        return verify;
    }

    public int maxAttempts() {
        return maxAttempts;
    }

    public Duration baseBackoff() {
        return baseBackoff;
    }

    public Duration maxBackoff() {
        return maxBackoff;
    }

    public Duration requestTimeout() {
        return requestTimeout;
    }

    public String serviceVersion() {
        return serviceVersion;
    }

    public HttpClient httpClient() {
        return httpClient;
    }

    public boolean fresh() {
        return fresh;
    }
}
