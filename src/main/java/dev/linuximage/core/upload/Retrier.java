package dev.linuximage.core.upload;

import com.azure.core.exception.HttpResponseException;
import com.azure.storage.blob.models.BlobErrorCode;
import com.azure.storage.blob.models.BlobStorageException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Runs one storage request with retries: exponential backoff with jitter ("equal jitter": half the exponential
 * delay plus a uniformly random other half, so concurrent workers hit by the same 503 do not retry in lock-step).
 *
 * <p>Retried: HTTP 408, 429, 500, 502, 503 (ServerBusy), 504, and transport failures (connection reset or refused,
 * timeouts: any {@link IOException} or {@link TimeoutException} in the cause chain). Everything else fails at once.
 * A 412 with {@code SequenceNumberConditionNotMet} means a newer writer fenced us: {@link StaleWriterException}.
 * Not retried, so failing at the first answer with a typed {@link UploadException} carrying the status: 400, 401,
 * 403, 404, 409, 412 and every other status (a retry of a malformed, unauthorised or conflicting request gets the same
 * answer). The Azure SDK's own retry policy is set to a single try ({@link PageBlobClients}), so each attempt here is
 * exactly one HTTP request on the wire.
 *
 * <p>Server-requested delays: when a retried answer carries {@code x-ms-retry-after-ms}, {@code retry-after-ms} or
 * {@code Retry-After} (delta-seconds or an HTTP-date, RFC 9110 §10.2.3; Azure sends it with 503 ServerBusy and 429),
 * the next attempt waits at least that long, but never longer than {@link UploadOptions#maxBackoff()}: a server
 * asking for an hour must not park a Job for an hour (the bound keeps the total retry time predictable).
 *
 * <p>Why retrying is safe: every request we send is idempotent. A Put Page writes a fixed byte range with fixed
 * content (the body is a byte array, replayed as is), so a retry of a put that did land rewrites the same bytes;
 * Clear Pages, Get Page Ranges, Get Blob and Get Properties are idempotent by nature; create/set-metadata are
 * guarded by ETag conditions, so a retry of one that landed fails its condition instead of doing harm.
 */
final class Retrier {
    private final UploadOptions options;
    private final Secrets secrets;
    private final AtomicLong retries;

    Retrier(UploadOptions options, Secrets secrets, AtomicLong retries) {
        this.options = options;
        this.secrets = secrets;
        this.retries = retries;
    }

    <T> T call(String what, Callable<T> op) throws UploadException {
        int attempt = 0;
        while (true) {
            attempt++;
            long asked = -1;
            if (Thread.currentThread().isInterrupted()) {
                throw new UploadException(what + ": interrupted");
            }
            try {
                return op.call();
            } catch (com.azure.identity.CredentialUnavailableException e) {
                // no credential in the chain / environment: a retry finds none either (exit 2, MissingCredentials)
                throw new CredentialsException(what + ": no Azure credential available: "
                        + Secrets.none().scrub(String.valueOf(e.getMessage())));
            } catch (BlobStorageException e) {
                if (e.getStatusCode() == 412
                        && BlobErrorCode.SEQUENCE_NUMBER_CONDITION_NOT_MET.equals(e.getErrorCode())) {
                    throw new StaleWriterException(what + ": the blob was claimed by a newer writer (its sequence "
                            + "number is no longer our generation " + options.generation() + "): refusing to write");
                }
                if (!retryableStatus(e.getStatusCode()) || attempt >= options.maxAttempts()) {
                    throw fail(what, attempt, e);
                }
                asked = retryAfterMillis(e.getResponse());
            } catch (HttpResponseException e) {
                int status = e.getResponse() == null ? 0 : e.getResponse().getStatusCode();
                if (!retryableStatus(status) || attempt >= options.maxAttempts()) {
                    throw fail(what, attempt, e);
                }
                asked = retryAfterMillis(e.getResponse());
            } catch (UploadException e) {
                throw e;
            } catch (Exception e) {
                Throwable unavailable = cause(e, com.azure.identity.CredentialUnavailableException.class);
                if (unavailable != null) {
                    throw new CredentialsException(what + ": no Azure credential available: "
                            + Secrets.none().scrub(String.valueOf(unavailable.getMessage())));
                }
                if (isInterrupt(e)) {
                    Thread.currentThread().interrupt();
                    throw new UploadException(what + ": interrupted");
                }
                if (!transportFailure(e) || attempt >= options.maxAttempts()) {
                    throw fail(what, attempt, e);
                }
            }
            retries.incrementAndGet();
            sleep(delayMillis(attempt, asked));
        }
    }

    /** The first throwable of type {@code type} in {@code e}'s cause chain (bounded), or null. */
    static Throwable cause(Throwable e, Class<? extends Throwable> type) {
        for (int i = 0; e != null && i < 16; i++, e = e.getCause()) {
            if (type.isInstance(e)) {
                return e;
            }
        }
        return null;
    }

    /** The backoff before the next attempt, at least {@code askedMillis} (if not -1) but at most the max backoff. */
    long delayMillis(int attempt, long askedMillis) {
        long backoff = backoffMillis(attempt);
        if (askedMillis < 0) {
            return backoff;
        }
        long cap = Math.max(1, options.maxBackoff().toMillis());
        return Math.max(backoff, Math.min(askedMillis, cap));
    }

    /**
     * The delay (milliseconds) a response asks for: {@code x-ms-retry-after-ms} or {@code retry-after-ms}
     * (milliseconds), else {@code Retry-After} (delta-seconds or an IMF-fixdate, RFC 9110 §10.2.3); -1 when none or
     * unparseable (then the own backoff applies). Never negative otherwise: a date in the past means 0.
     */
    static long retryAfterMillis(com.azure.core.http.HttpResponse response) {
        if (response == null || response.getHeaders() == null) {
            return -1;
        }
        for (String ms : new String[] {"x-ms-retry-after-ms", "retry-after-ms"}) {
            String v = response.getHeaders().getValue(com.azure.core.http.HttpHeaderName.fromString(ms));
            if (v != null) {
                try {
                    return Math.max(0, Long.parseLong(v.trim()));
                } catch (NumberFormatException ignored) {
                    // fall through to Retry-After
                }
            }
        }
        return parseRetryAfter(
                response.getHeaders().getValue(com.azure.core.http.HttpHeaderName.RETRY_AFTER),
                java.time.Instant.now());
    }

    /** {@code Retry-After} as milliseconds from {@code now}: delta-seconds or an HTTP-date; -1 if absent/invalid. */
    static long parseRetryAfter(String v, java.time.Instant now) {
        if (v == null || v.isBlank()) {
            return -1;
        }
        String t = v.trim();
        if (t.chars().allMatch(Character::isDigit)) {
            try {
                return Math.multiplyExact(Long.parseLong(t), 1000L);
            } catch (ArithmeticException | NumberFormatException e) {
                return Long.MAX_VALUE; // absurdly large: the cap applies
            }
        }
        try {
            java.time.Instant at = java.time.ZonedDateTime.parse(
                            t, java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME)
                    .toInstant();
            return Math.max(0, java.time.Duration.between(now, at).toMillis());
        } catch (java.time.format.DateTimeParseException | ArithmeticException e) {
            return -1;
        }
    }

    private long backoffMillis(int attempt) {
        long base = Math.max(1, options.baseBackoff().toMillis());
        long cap = Math.max(base, options.maxBackoff().toMillis());
        long exp = Math.min(cap, base << Math.min(20, attempt - 1));
        return exp / 2 + ThreadLocalRandom.current().nextLong(exp / 2 + 1);
    }

    private static void sleep(long ms) throws UploadException {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UploadException("interrupted while backing off");
        }
    }

    static boolean retryableStatus(int status) {
        return status == 408 || status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
    }

    static boolean transportFailure(Throwable t) {
        for (int i = 0; t != null && i < 16; t = t.getCause(), i++) {
            if (t instanceof IOException
                    || t instanceof TimeoutException
                    || t instanceof java.io.UncheckedIOException) {
                return true;
            }
        }
        return false;
    }

    private static boolean isInterrupt(Throwable t) {
        for (int i = 0; t != null && i < 16; t = t.getCause(), i++) {
            if (t instanceof InterruptedException
                    || t instanceof InterruptedIOException && !(t instanceof java.net.SocketTimeoutException)) {
                return true;
            }
        }
        return false;
    }

    UploadException fail(String what, int attempts, Throwable e) {
        String msg = e instanceof BlobStorageException bse
                ? "HTTP " + bse.getStatusCode() + " " + bse.getErrorCode() + ": " + serviceMessage(bse.getMessage())
                : e.getClass().getSimpleName() + ": " + firstLine(String.valueOf(e.getMessage()));
        int status = e instanceof BlobStorageException bse
                ? bse.getStatusCode()
                : e instanceof HttpResponseException hre && hre.getResponse() != null
                        ? hre.getResponse().getStatusCode()
                        : 0;
        String message =
                what + " failed" + (attempts > 1 ? " after " + attempts + " attempts" : "") + ": " + secrets.scrub(msg);
        if (status == 412 || status == 409) {
            return new ConditionNotMetException(message, secrets.scrubChain(e), status);
        }
        return new UploadException(message, secrets.scrubChain(e), status);
    }

    /** The {@code <Message>} of the service's error body if there is one (it may quote the request URL). */
    static String serviceMessage(String m) {
        if (m == null) {
            return "";
        }
        int a = m.indexOf("<Message>");
        int b = m.indexOf("</Message>");
        if (a >= 0 && b > a) {
            return firstLine(m.substring(a + 9, b).replace("&amp;", "&"));
        }
        return firstLine(m);
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        String t = s.strip();
        int nl = t.indexOf('\n');
        t = nl < 0 ? t : t.substring(0, nl);
        return t.length() > 400 ? t.substring(0, 400) + "..." : t;
    }
}
