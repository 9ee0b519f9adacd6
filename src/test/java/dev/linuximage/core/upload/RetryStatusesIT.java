package dev.linuximage.core.upload;

import static dev.linuximage.core.upload.UploadTestSupport.assertBlobHolds;
import static dev.linuximage.core.upload.UploadTestSupport.key;
import static dev.linuximage.core.upload.UploadTestSupport.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.azure.storage.blob.BlobContainerClient;
import dev.linuximage.testsupport.AzuriteExtension;
import dev.linuximage.testsupport.FaultProxy;
import dev.linuximage.testsupport.TestVhds;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every status the {@link Retrier} claims to retry (408, 429, 500, 502, 503, 504), connection resets half-way
 * through a request body and connection drops half-way through a response body are injected by {@link FaultProxy}
 * in front of a real Azurite, a fixed number of times each. For each: the upload completes, the blob read back from
 * Azurite (directly, not through the proxy) equals the source, and the number of retried requests counted on the wire
 * (requests of the faulted kind minus distinct ranges) equals the number injected and the uploader's own count — which
 * also proves the SDK's pipeline adds no retries of its own (it is configured for a single try). Statuses the
 * Retrier does not retry (400, 403, 404, 409) fail at the first answer with {@link UploadException} carrying the
 * status, and no request is repeated. {@code Retry-After} is honoured, and bounded by the maximum backoff.
 */
@Tag("integration")
class RetryStatusesIT {
    @RegisterExtension
    static final AzuriteExtension AZURITE = new AzuriteExtension();

    /** 3 MiB, about half of it non-zero, sent in 64 KiB puts: dozens of Put Page requests and read-back ranges. */
    static TestVhds img;

    static FaultProxy proxy;
    static BlobContainerClient container;

    @BeforeAll
    static void setUp() throws Exception {
        img = TestVhds.random(3, 0.5, 128 * 1024, 4242);
        proxy = new FaultProxy(AZURITE.port());
        container = AZURITE.newContainer();
    }

    @AfterAll
    static void tearDown() throws Exception {
        proxy.close();
    }

    @BeforeEach
    void clean() {
        proxy.clearRules();
        proxy.seen.clear();
    }

    private static UploadOptions fast() {
        // small base backoff: the test measures retries, not patience; maxBackoff is the Retry-After bound
        return options()
                .withMaxPutBytes(64 * 1024)
                .withParallel(4)
                .withRetry(6, Duration.ofMillis(5), Duration.ofMillis(1500));
    }

    private static UploadResult upload(String blob, UploadOptions o) throws Exception {
        return PageBlobUploader.upload(
                img.source(),
                "retry-test",
                proxy.blobEndpoint() + "/" + container.getBlobContainerName() + "/" + blob,
                key(AZURITE),
                o,
                UploadListener.NONE);
    }

    /**
     * Retries of a kind of request on the wire: requests (in arrival order) for the same target and range as an
     * earlier faulted request that was not yet followed by one. A range legitimately read twice (the footer: read
     * back after its write, and again by the verification) is not a retry unless the first read was faulted.
     */
    private static long repeats(Predicate<FaultProxy.Request> kind) {
        return repeats(kind, true);
    }

    private static long repeats(Predicate<FaultProxy.Request> kind, boolean everyFaultRetried) {
        Map<String, Integer> pending = new HashMap<>();
        long retried = 0;
        for (FaultProxy.Seen s : proxy.seen) {
            if (!kind.test(s.request())) {
                continue;
            }
            String k = s.request().method() + " " + s.request().target() + " "
                    + s.request().range();
            int p = pending.getOrDefault(k, 0);
            if (p > 0) {
                retried++;
                pending.put(k, p - 1);
            }
            if (!s.fault().isEmpty()) {
                pending.merge(k, 1, Integer::sum);
            }
        }
        if (everyFaultRetried) {
            assertThat(pending.values())
                    .as("every faulted request was sent again")
                    .allMatch(v -> v == 0);
        }
        return retried;
    }

    private static String errorCode(int status) {
        return switch (status) {
            case 408 -> "OperationTimedOut";
            case 429 -> "TooManyRequests";
            case 500 -> "InternalError";
            case 502 -> "BadGateway";
            case 503 -> "ServerBusy";
            case 504 -> "GatewayTimeout";
            case 400 -> "InvalidInput";
            case 403 -> "AuthorizationFailure";
            case 404 -> "BlobNotFound";
            case 409 -> "ConflictingOperation";
            default -> "Injected";
        };
    }

    @ParameterizedTest(name = "HTTP {0} on Put Page, {1} times")
    @CsvSource({"408,3", "429,3", "500,3", "502,3", "503,3", "504,3"})
    void retriedStatusOnPutPageCompletesWithExactlyTheInjectedRetries(int status, int times) throws Exception {
        FaultProxy.Rule rule =
                proxy.injectStatus(FaultProxy.Request::isPutPage, status, errorCode(status), null, times);
        String blob = "status-" + status + ".vhd";
        UploadResult r = upload(blob, fast());
        assertThat(rule.applied.get()).isEqualTo(times);
        assertBlobHolds(UploadTestSupport.keyClient(container, blob), img, r);
        assertThat(repeats(FaultProxy.Request::isPutPage))
                .as("Put Page requests repeated on the wire")
                .isEqualTo(times);
        assertThat(r.retries()).as("retries the uploader counted").isEqualTo(times);
    }

    @ParameterizedTest(name = "HTTP {0} on read-back, {1} times")
    @CsvSource({"500,2", "503,2"})
    void retriedStatusOnReadBackCompletes(int status, int times) throws Exception {
        FaultProxy.Rule rule =
                proxy.injectStatus(FaultProxy.Request::isRangedRead, status, errorCode(status), null, times);
        String blob = "read-" + status + ".vhd";
        UploadResult r = upload(blob, fast().withVerify(VerifyMode.READBACK)); // every run read back
        assertThat(rule.applied.get()).isEqualTo(times);
        assertBlobHolds(UploadTestSupport.keyClient(container, blob), img, r);
        assertThat(repeats(FaultProxy.Request::isRangedRead)).isEqualTo(times);
        assertThat(r.retries()).isEqualTo(times);
    }

    @Test
    void connectionResetHalfWayThroughThePutBodyIsRetried() throws Exception {
        FaultProxy.Rule rule = proxy.inject(FaultProxy.Request::isPutPage, FaultProxy.Kind.RESET_REQUEST, 3);
        UploadResult r = upload("reset.vhd", fast());
        assertThat(rule.applied.get()).isEqualTo(3);
        assertBlobHolds(UploadTestSupport.keyClient(container, "reset.vhd"), img, r);
        assertThat(repeats(FaultProxy.Request::isPutPage)).isEqualTo(3);
        assertThat(r.retries()).isEqualTo(3);
    }

    @Test
    void connectionDroppedHalfWayThroughAResponseBodyIsRetried() throws Exception {
        // read-back downloads: the status line and headers arrive, then half the body, then a TCP reset
        FaultProxy.Rule rule = proxy.inject(FaultProxy.Request::isRangedRead, FaultProxy.Kind.DROP_RESPONSE_BODY, 2);
        UploadResult r = upload("drop.vhd", fast().withVerify(VerifyMode.READBACK)); // every run read back
        assertThat(rule.applied.get()).isEqualTo(2);
        assertBlobHolds(UploadTestSupport.keyClient(container, "drop.vhd"), img, r);
        assertThat(repeats(FaultProxy.Request::isRangedRead)).isEqualTo(2);
        assertThat(r.retries()).isEqualTo(2);
    }

    @Test
    void faultsOnTheFirstRequestAndOnBlobCreationAreRetried() throws Exception {
        // Get Blob Properties (HEAD, the first request) and Put Blob (create) go through the same retrier. (A HEAD
        // reset before any response byte would be re-sent by the JDK HTTP client itself: a status is used here.)
        FaultProxy.Rule head = proxy.injectStatus(r -> r.method().equals("HEAD"), 503, "ServerBusy", null, 1);
        Predicate<FaultProxy.Request> create =
                r -> r.method().equals("PUT") && "PageBlob".equals(r.header("x-ms-blob-type"));
        FaultProxy.Rule reset = proxy.inject(create, FaultProxy.Kind.RESET_REQUEST, 1);
        UploadResult r = upload("first.vhd", fast());
        assertThat(head.applied.get()).isEqualTo(1);
        assertThat(reset.applied.get()).isEqualTo(1);
        assertBlobHolds(UploadTestSupport.keyClient(container, "first.vhd"), img, r);
        assertThat(repeats(x -> x.method().equals("HEAD")) + repeats(create)).isEqualTo(2);
        assertThat(r.retries()).isEqualTo(2);
    }

    @ParameterizedTest(name = "HTTP {0} with Retry-After: 1")
    @CsvSource({"429", "503"})
    void retryAfterIsHonoured(int status) throws Exception {
        FaultProxy.Rule rule = proxy.injectStatus(FaultProxy.Request::isPutPage, status, errorCode(status), "1", 1);
        String blob = "after-" + status + ".vhd";
        UploadResult r = upload(blob, fast());
        assertThat(rule.applied.get()).isEqualTo(1);
        assertBlobHolds(UploadTestSupport.keyClient(container, blob), img, r);
        // the retry of the faulted range came at least the 1 s asked for (our own backoff here is 5..10 ms)
        assertThat(retryGapMillis()).isBetween(950L, 1500L + 1000L);
    }

    @Test
    void retryAfterBeyondTheMaximumBackoffIsCapped() throws Exception {
        // a server asking for an hour: we wait at most maxBackoff (1.5 s), not an hour
        FaultProxy.Rule rule = proxy.injectStatus(FaultProxy.Request::isPutPage, 503, "ServerBusy", "3600", 1);
        long t0 = System.nanoTime();
        UploadResult r = upload("capped.vhd", fast());
        assertThat(rule.applied.get()).isEqualTo(1);
        assertBlobHolds(UploadTestSupport.keyClient(container, "capped.vhd"), img, r);
        assertThat(retryGapMillis()).isBetween(1400L, 1500L + 1000L);
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(20));
    }

    /** Time between the faulted Put Page and the next request for the same range. */
    private static long retryGapMillis() {
        Map<String, Long> faulted = new HashMap<>();
        for (FaultProxy.Seen s : proxy.seen) {
            if (!s.request().isPutPage()) {
                continue;
            }
            String k = s.request().range();
            if (!s.fault().isEmpty()) {
                faulted.put(k, s.nanos());
            } else if (faulted.containsKey(k)) {
                return (s.nanos() - faulted.get(k)) / 1_000_000;
            }
        }
        throw new AssertionError("no retry of the faulted range was seen: " + proxy.seen);
    }

    @Test
    void retryAfterParsesDeltaSecondsAndHttpDates() {
        java.time.Instant now = java.time.Instant.parse("2026-12-05T10:00:00Z");
        assertThat(Retrier.parseRetryAfter("7", now)).isEqualTo(7000);
        // RFC 9110 §10.2.3: an HTTP-date (IMF-fixdate) is also allowed
        assertThat(Retrier.parseRetryAfter("Sat, 05 Dec 2026 10:00:03 GMT", now))
                .isEqualTo(3000);
        assertThat(Retrier.parseRetryAfter("Sat, 05 Dec 2026 09:00:00 GMT", now))
                .isZero();
        assertThat(Retrier.parseRetryAfter("soon", now)).isEqualTo(-1);
        assertThat(Retrier.parseRetryAfter(null, now)).isEqualTo(-1);
        assertThat(Retrier.parseRetryAfter("99999999999999999999", now)).isEqualTo(Long.MAX_VALUE);
    }

    @ParameterizedTest(name = "HTTP {0} is not retried")
    @CsvSource({"400", "403", "404", "409"})
    void nonRetriableStatusFailsAtOnceWithTheTypedError(int status) {
        // every Put Page would get the status: any retry would show as a repeated range at the proxy
        FaultProxy.Rule rule = proxy.injectStatus(FaultProxy.Request::isPutPage, status, errorCode(status), null, -1);
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> upload("fatal-" + status + ".vhd", fast().withParallel(1)))
                .isInstanceOf(UploadException.class)
                .satisfies(e -> assertThat(((UploadException) e).httpStatus()).isEqualTo(status))
                .hasMessageContaining("HTTP " + status)
                .hasMessageNotContaining("attempts");
        assertThat(rule.applied.get())
                .as("one request got the status, no retry")
                .isEqualTo(1);
        assertThat(repeats(FaultProxy.Request::isPutPage, false)).isZero();
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(10));
    }
}
