package dev.linuximage.core.upload;

import com.azure.core.http.HttpHeaderName;
import com.azure.core.http.HttpHeaders;
import com.azure.core.http.policy.AddHeadersFromContextPolicy;
import com.azure.core.http.rest.PagedResponse;
import com.azure.core.util.BinaryData;
import com.azure.core.util.Context;
import com.azure.storage.blob.models.BlobErrorCode;
import com.azure.storage.blob.models.BlobProperties;
import com.azure.storage.blob.models.BlobRange;
import com.azure.storage.blob.models.BlobRequestConditions;
import com.azure.storage.blob.models.BlobStorageException;
import com.azure.storage.blob.models.BlobType;
import com.azure.storage.blob.models.PageBlobItem;
import com.azure.storage.blob.models.PageBlobRequestConditions;
import com.azure.storage.blob.models.PageRange;
import com.azure.storage.blob.models.PageRangeItem;
import com.azure.storage.blob.models.SequenceNumberActionType;
import com.azure.storage.blob.options.ListPageRangesOptions;
import com.azure.storage.blob.options.PageBlobCreateOptions;
import com.azure.storage.blob.options.PageBlobUploadPagesOptions;
import com.azure.storage.blob.specialized.PageBlobClient;
import dev.linuximage.core.io.ByteSource;
import dev.linuximage.core.io.Sha256;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Uploads an image (the bytes of a complete fixed VHD: data + 512-byte footer) to an Azure page blob: only the
 * non-zero 512-byte pages are sent, in parallel Put Page requests of at most 4 MiB each carrying a Content-MD5,
 * resumably, fenced against stale writers, and verified before success is reported.
 *
 * <h2>Blob life cycle</h2>
 * <ol>
 *   <li><b>Prepare.</b> Get Blob Properties. Absent: create the page blob with the exact length, the sequence
 *   number = our generation, and metadata {@value #META_SOURCE} (the source tag, see below) and
 *   {@value #META_STATE}{@code =uploading} ({@code If-None-Match: *}). Present with a sequence number greater
 *   than our generation: refuse ({@link StaleWriterException}). Present with the same source tag and length:
 *   <em>resume</em> (raise the sequence number to our generation with {@code updateSequenceNumber(MAX)}, then
 *   re-check it). Otherwise (another source, another length, not a page blob, or {@code fresh}): <em>recreate</em>
 *   it (Put Blob replaces the blob: all old pages are gone), conditioned on the ETag we saw.</li>
 *   <li><b>Upload.</b> One pass over the source ({@link ImageScanner}): SHA-256 of every byte (reported and stored),
 *   SHA-256 of the non-zero pages alone (what read-back verifies), spans of non-zero pages. On a fresh blob every
 *   non-zero page is sent. On a resumed blob the page ranges it already holds are streamed from Get Page Ranges (paged, in offset order) alongside the scan ({@link RangeDiff}): only missing
 *   ranges are sent, and pages the blob holds where the source is zero are cleared (Clear Pages), so zero-skipping
 *   never leaves stale data behind. Every Put/Clear Page is conditioned on
 *   {@code x-ms-if-sequence-number-eq: generation}.</li>
 *   <li><b>Footer last.</b> The last 512 bytes (the VHD footer, which makes the blob look like a disk) are written
 *   after all other pages succeeded, then read back and compared.</li>
 *   <li><b>Verify</b> ({@link VerifyMode}) with every read conditioned on the ETag after the footer write, then
 *   set metadata {@value #META_STATE}{@code =complete} and {@value #META_SHA256} conditioned on the same ETag.
 *   Only then is the upload reported done.</li>
 * </ol>
 *
 * <h2>Resume and the source tag</h2>
 * Progress lives only in the blob (pods are evicted; no local state): the page ranges it holds are the progress.
 * The source tag is the SHA-256 of the image size and the caller's source fingerprint; a different tag means a
 * different source, which is never mixed with old pages (the blob is recreated). A wrong fingerprint (same tag,
 * different bytes) cannot produce a silently wrong blob under {@link VerifyMode#MD5} (the default) or
 * {@link VerifyMode#READBACK}: the pages this run did not send (found in the blob) are read back and compared with
 * this run's source bytes, and the blob's page-range list must equal the source's non-zero pages.
 *
 * <h2>Fencing: why the sequence number, not a lease</h2>
 * The blob's sequence number is set to the writer's generation (e.g. the resource's {@code metadata.generation}).
 * A newer writer raises it; every Put/Clear Page of an older writer then fails with 412
 * {@code SequenceNumberConditionNotMet}, atomically checked by the service on each request, and the older writer
 * stops ({@link StaleWriterException}). A lease would need renewing every ≤60 s from a process that may be frozen or
 * evicted, and an infinite lease left by an evicted pod would block the newer writer until someone breaks it
 * (and breaking it unconditionally lets any stale writer break it too). The sequence number needs no heartbeat,
 * survives pod eviction, and orders writers by generation, which is exactly the property we want. Metadata updates
 * cannot carry a sequence-number condition: they are conditioned on the ETag instead, which any write by a newer
 * writer changes.
 *
 * <h2>Fencing by identity: owner and epoch</h2>
 * A generation orders the writers of one resource only: a LinuxImage deleted and recreated starts again at
 * generation 1, and two LinuxImages naming one blob have unrelated generations (issue 12). So a writer may carry an
 * owner ({@link UploadOptions#withOwner}, the LinuxImage's {@code metadata.uid}), stored in metadata
 * {@value #META_OWNER}, and the sequence number is a fence {@code epoch << 32 | generation}
 * (generation 0..{@value #MAX_GENERATION}). A writer with an owner writes only a blob that is absent or has the
 * same owner; then its fence uses the blob's epoch, and generations compare as above. Another owner (or none) is
 * refused ({@link BlobOwnerConflictException}) unless the writer takes the blob over
 * ({@link UploadOptions#withTakeOver}): the blob is recreated (conditioned on the ETag seen) with epoch + 1, so
 * every fence of the previous owner, whatever its generation, is smaller and each of its Put/Clear Page requests
 * fails with 412. A writer without owner (a command-line upload) and a blob without owner: epoch 0, the fence is
 * the generation, exactly as before.
 *
 * <h2>Retries</h2> See {@link Retrier}: every request is idempotent, so retrying one that may have landed is safe.
 *
 * <p>Memory: {@code parallel + 2} buffers of {@code maxPutBytes} while uploading, one 4 MiB scan window, and as
 * many download buffers while verifying; independent of the image size and of the number of page ranges.
 */
public final class PageBlobUploader {
    /** Metadata key: SHA-256 (hex) of the image size and the source fingerprint. */
    public static final String META_SOURCE = "linuximage_source";
    /** Metadata key: {@code uploading}, {@code complete} or {@value #STATE_DOUBTED}. */
    public static final String META_STATE = "linuximage_state";
    /** {@value #META_STATE} after a failed read-back verification: the next run recreates the blob, never resumes. */
    public static final String STATE_DOUBTED = "doubted";
    /**
     * Metadata key: the image's {@link SparseDigest} ({@code sparse-sha256-v1:<hex>}), set once verified. (Blobs
     * written before it carry {@code linuximage_sha256}, a SHA-256 of every byte; it is no longer written.)
     */
    public static final String META_DIGEST = "linuximage_digest";
    /** Metadata key: the generation of the writer. */
    public static final String META_GENERATION = "linuximage_generation";
    /** Metadata key: the writer's identity (e.g. the LinuxImage's uid); absent for a writer without owner. */
    public static final String META_OWNER = "linuximage_owner";
    /** Largest generation: the low 32 bits of the fence (the sequence number). */
    public static final long MAX_GENERATION = 0xFFFF_FFFFL;
    /** Largest epoch: a sequence number is at most 2^63 - 1. */
    static final long MAX_EPOCH = (1L << 31) - 1;

    private static final int PAGE = 512;
    /** The Put Page request header that carries our CRC-64 of the body under {@link VerifyMode#CRC64}. */
    private static final HttpHeaderName X_MS_CONTENT_CRC64 = HttpHeaderName.fromString("x-ms-content-crc64");
    /** The error code of a Put Page refused because its body's CRC-64 is not the header's (no SDK constant). */
    private static final BlobErrorCode CRC64_MISMATCH = BlobErrorCode.fromString("Crc64Mismatch");

    private static final com.azure.storage.blob.models.DownloadRetryOptions NO_DOWNLOAD_RETRIES =
            new com.azure.storage.blob.models.DownloadRetryOptions().setMaxRetryRequests(0);

    private final PageBlobClient blob;
    private final String blobUrl;
    private final UploadOptions options;
    private final UploadListener listener;
    private final Secrets secrets;
    private final Retrier retrier;
    private final AtomicLong retries = new AtomicLong();
    private final AtomicBoolean noServiceHashSaid = new AtomicBoolean();
    private final Duration timeout;
    private final long generation;
    /** The sequence number our requests are conditioned on: {@code epoch << 32 | generation}; set by prepare. */
    private long fence;

    // progress
    private final AtomicLong bytesSent = new AtomicLong();
    private final AtomicLong bytesToSend = new AtomicLong();
    private final AtomicLong bytesCleared = new AtomicLong();
    private volatile long bytesScanned;
    /**
     * Until {@link #totalExact}: an upper bound of the bytes to send, updated by the scanning thread after each window
     * (non-zero pages found so far and not yet on the blob, the run still being gathered, the DATA bytes not scanned
     * yet, the footer): it never grows, and meets the exact total when the scan ends. Exact as a bound when DATA
     * extents start and end on 512-byte pages (file system blocks, image clusters); an extent end inside a page can
     * put it off by less than that page.
     */
    private volatile long toSendBound;

    private volatile boolean totalExact;
    private volatile UploadPhase phase = UploadPhase.PREPARING;
    private volatile long uploadStartNanos;
    private long imageSize;

    PageBlobUploader(
            PageBlobClient blob, String blobUrl, UploadOptions options, UploadListener listener, Secrets secrets) {
        this.blob = blob;
        this.blobUrl = PageBlobClients.stripQuery(blobUrl);
        this.options = options;
        this.listener = listener == null ? UploadListener.NONE : listener;
        this.secrets = secrets;
        this.retrier = new Retrier(options, secrets, retries);
        this.timeout = options.requestTimeout();
        this.generation = options.generation();
        this.fence = generation;
    }

    /**
     * Uploads {@code image} to {@code blobUrl}.
     *
     * @param image             the complete fixed VHD (data + footer); size a multiple of 512 bytes. Read from one
     *                          thread, sequentially; ZERO extents are never read.
     * @param sourceFingerprint identifies the source bytes across runs (see the class comment); any string
     * @param blobUrl           {@code https://ACCOUNT.blob.core.windows.net/CONTAINER/BLOB}, without query string
     * @param credentials       SAS, connection string, workload identity or a token credential
     * @return the verified result
     * @throws StaleWriterException  a newer generation owns the blob
     * @throws VerificationException the blob does not hold the image after the upload
     * @throws UploadException       any other failure; messages never contain secrets
     */
    public static UploadResult upload(
            ByteSource image,
            String sourceFingerprint,
            String blobUrl,
            BlobCredentials credentials,
            UploadOptions options,
            UploadListener listener)
            throws IOException {
        Secrets secrets = Secrets.of(credentials.secrets());
        PageBlobClient client = PageBlobClients.create(blobUrl, credentials, options);
        return new PageBlobUploader(client, blobUrl, options, listener, secrets).run(image, sourceFingerprint);
    }

    /** Uploads with an existing client (tests, or a caller that built its own pipeline). */
    public static UploadResult upload(
            ByteSource image,
            String sourceFingerprint,
            PageBlobClient client,
            UploadOptions options,
            UploadListener listener)
            throws IOException {
        return new PageBlobUploader(client, client.getBlobUrl(), options, listener, Secrets.none())
                .run(image, sourceFingerprint);
    }

    /** The source tag stored in {@value #META_SOURCE}: SHA-256 hex of a version prefix, the size and the fingerprint. */
    public static String sourceTag(long size, String fingerprint) {
        return sha256Hex(("linuximage-source-v1\n" + size + "\n" + fingerprint).getBytes(StandardCharsets.UTF_8));
    }

    UploadResult run(ByteSource image, String fingerprint) throws IOException {
        long t0 = System.nanoTime();
        long size = image.size();
        imageSize = size;
        if (size < PAGE || size % PAGE != 0) {
            throw new UploadException("image size " + size + " bytes is not a positive multiple of 512: a page blob "
                    + "holds whole 512-byte pages");
        }
        if (size > UploadOptions.AZURE_MAX_PAGE_BLOB_BYTES) {
            throw new UploadException("image size " + size + " bytes exceeds Azure's page blob limit of "
                    + UploadOptions.AZURE_MAX_PAGE_BLOB_BYTES + " bytes (8 TiB)");
        }
        long dataEnd = size - PAGE;
        byte[] footer = image.readBytes(dataEnd, PAGE);
        if (ImageScanner.isZero(footer, 0, PAGE)) {
            throw new UploadException("the last 512 bytes of the image (the VHD footer) are all zero: not a fixed VHD");
        }
        String tag = sourceTag(size, fingerprint == null ? "" : fingerprint);
        long dataTotal = image.dataBytes(0, dataEnd);
        toSendBound = dataTotal + PAGE;
        report();
        boolean resumed = prepareBlob(size, tag);

        // the image digest (SparseDigest): the non-zero pages and their runs, zeros are never hashed; its data part
        // (the non-zero pages alone, in offset order) is what the after-upload read-back compares
        SparseDigest sparse = new SparseDigest();
        RangeListDigest expectedRanges = new RangeListDigest();
        ExecutorService pool = Executors.newFixedThreadPool(options.parallel(), daemonThreads("upload"));
        long sentPieces;
        try {
            phase = UploadPhase.UPLOADING;
            uploadStartNanos = System.nanoTime();
            report();
            RangeDiff.Cursor existing = resumed ? RangeDiff.merging(listRanges(null)) : RangeDiff.Cursor.EMPTY;
            Sender sender = new Sender(pool, new RangeDiff(existing), expectedRanges);
            ImageScanner scanner = new ImageScanner(image, dataEnd, null);
            scanner.scan(new ImageScanner.Spans() {
                @Override
                public void span(long offset, byte[] buf, int off, int len) throws IOException {
                    sparse.add(offset, buf, off, len);
                    sender.add(offset, buf, off, len);
                }

                @Override
                public void scanned(long pos) throws IOException {
                    sender.checkFailure();
                    bytesScanned = pos;
                    toSendBound = bytesToSend.get() + sender.gathered() + (dataTotal - scanner.dataScanned()) + PAGE;
                    report();
                }
            });
            sender.finish(dataEnd);
            bytesToSend.addAndGet(PAGE); // the footer; before totalExact, so that no report sees the total without it
            totalExact = true;
            sender.awaitAll();
            sentPieces = sender.piecesBytes;
            sparse.add(dataEnd, footer, 0, PAGE);
            expectedRanges.add(dataEnd, size);
        } catch (VerificationException e) {
            // an overlapped read-back found a range that differs: the blob's pages are not trusted. Stop the
            // workers first, so that no put in flight changes the ETag the mark is conditioned on
            pool.shutdownNow();
            try {
                pool.awaitTermination(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
            }
            markDoubted(tag, null);
            throw e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UploadException("upload interrupted; a re-run resumes");
        } finally {
            pool.shutdownNow();
        }
        String digest = sparse.finish(size);
        String dataDigest = sparse.dataHex();
        long nonZero = expectedRanges.bytes();
        String expectedList = expectedRanges.finish();

        // footer last, then read back
        phase = UploadPhase.FINISHING;
        report();
        putPages(dataEnd, footer, 0, PAGE);
        bytesSent.addAndGet(PAGE);
        String etag = retrier.call(
                        "get blob properties",
                        () -> blob.getPropertiesWithResponse(null, timeout, Context.NONE)
                                .getValue())
                .getETag();
        try {
            byte[] back = download(dataEnd, PAGE, etag);
            if (!Arrays.equals(back, footer)) {
                throw new VerificationException(
                        "footer read back from " + blobUrl + " differs from the image's footer");
            }
            BlobProperties props = retrier.call(
                    "get blob properties",
                    () -> blob.getPropertiesWithResponse(
                                    new BlobRequestConditions().setIfMatch(etag), timeout, Context.NONE)
                            .getValue());
            if (props.getBlobSequenceNumber() == null || props.getBlobSequenceNumber() != fence) {
                throw new StaleWriterException("blob " + blobUrl + " is now fenced by "
                        + describe(props.getBlobSequenceNumber()) + ", not ours (" + describe(fence) + ")");
            }
            if (props.getBlobSize() != size) {
                throw new VerificationException(
                        "blob " + blobUrl + " is " + props.getBlobSize() + " bytes, expected " + size);
            }

            phase = UploadPhase.VERIFYING;
            report();
            verify(etag, dataDigest, expectedList, nonZero);
        } catch (VerificationException e) {
            markDoubted(tag, etag);
            throw e;
        }

        Map<String, String> meta = metadata(tag, "complete");
        meta.put(META_DIGEST, digest);
        try {
            retrier.call(
                    "set blob metadata",
                    () -> blob.setMetadataWithResponse(
                            meta, new BlobRequestConditions().setIfMatch(etag), timeout, Context.NONE));
        } catch (ConditionNotMetException e) {
            if (e.preconditionFailed()) {
                throw new StaleWriterException("blob " + blobUrl + " changed during verification (a newer writer?): "
                        + "not marking it complete");
            }
            throw e;
        }
        phase = UploadPhase.DONE;
        report();
        long zeroSkipped = size - nonZero;
        return new UploadResult(
                blobUrl,
                size,
                bytesSent.get(),
                zeroSkipped,
                nonZero - sentPieces - PAGE,
                bytesCleared.get(),
                digest,
                Duration.ofNanos(System.nanoTime() - t0),
                retries.get(),
                resumed,
                options.verify(),
                generation);
    }

    // ---------------------------------------------------------------- prepare

    /**
     * After a failed read-back verification the blob's pages are doubted: which ones differ is not known (one
     * SHA-256 covers them all), and a resumed run would send only missing pages and fail the same way forever. The
     * blob is marked {@value #META_STATE}{@code =}{@value #STATE_DOUBTED} (conditioned on the ETag verified, so a
     * newer writer's blob is left alone) and the next run recreates it and re-sends every page instead of resuming.
     * Best effort: if the mark cannot be written the failure is still reported; the next run's verification would
     * catch the same difference again.
     */
    private void markDoubted(String tag, String knownEtag) {
        try {
            String etag = knownEtag != null
                    ? knownEtag
                    : retrier.call(
                                    "get blob properties",
                                    () -> blob.getPropertiesWithResponse(null, timeout, Context.NONE)
                                            .getValue())
                            .getETag();
            retrier.call(
                    "set blob metadata",
                    () -> blob.setMetadataWithResponse(
                            metadata(tag, STATE_DOUBTED),
                            new BlobRequestConditions().setIfMatch(etag),
                            timeout,
                            Context.NONE));
            listener.onEvent("read-back verification failed: blob marked " + STATE_DOUBTED
                    + "; the next run re-sends every page");
        } catch (UploadException | RuntimeException e) {
            listener.onEvent("read-back verification failed and the blob could not be marked " + STATE_DOUBTED + ": "
                    + secrets.scrub(String.valueOf(e.getMessage())));
        }
    }

    /** A fence for messages: {@code generation 5} or {@code generation 5 of epoch 2}. */
    static String describe(Long seq) {
        if (seq == null) {
            return "no sequence number";
        }
        long epoch = seq >>> 32;
        long g = seq & MAX_GENERATION;
        return "generation " + g + (epoch == 0 ? "" : " of epoch " + epoch);
    }

    private Map<String, String> metadata(String tag, String state) {
        Map<String, String> m = new HashMap<>();
        m.put(META_SOURCE, tag);
        m.put(META_STATE, state);
        m.put(META_GENERATION, Long.toString(generation));
        if (options.owner() != null) {
            m.put(META_OWNER, options.owner());
        }
        return m;
    }

    /** Creates, recreates or resumes the blob; returns whether it resumes. */
    private boolean prepareBlob(long size, String tag) throws UploadException {
        for (int round = 0; round < 5; round++) {
            BlobProperties p = retrier.call("get blob properties", () -> {
                try {
                    return blob.getPropertiesWithResponse(null, timeout, Context.NONE)
                            .getValue();
                } catch (BlobStorageException e) {
                    if (e.getStatusCode() == 404) {
                        return null;
                    }
                    throw e;
                }
            });
            if (p == null) {
                if (create(size, tag, new BlobRequestConditions().setIfNoneMatch("*"))) {
                    listener.onEvent("created page blob of " + size + " bytes");
                    return false;
                }
                continue;
            }
            long seq = p.getBlobSequenceNumber() == null ? 0 : p.getBlobSequenceNumber();
            Map<String, String> meta = p.getMetadata() == null ? Map.of() : p.getMetadata();
            String blobOwner = meta.get(META_OWNER);
            long epoch = seq >>> 32;
            if (!Objects.equals(blobOwner, options.owner())) {
                if (!options.takeOver()) {
                    throw new BlobOwnerConflictException("blob " + blobUrl
                            + (blobOwner == null
                                    ? " exists and was not written by an owner"
                                    : " belongs to owner " + blobOwner)
                            + ", not to " + (options.owner() == null ? "a writer without owner" : options.owner())
                            + ": refusing to overwrite it (taking it over must be asked for explicitly)");
                }
                if (epoch >= MAX_EPOCH) {
                    throw new UploadException(
                            "blob " + blobUrl + " cannot be taken over: its fencing epoch is exhausted");
                }
                fence = ((epoch + 1) << 32) | generation;
                if (create(size, tag, new BlobRequestConditions().setIfMatch(p.getETag()))) {
                    listener.onEvent(
                            "took the blob over from " + (blobOwner == null ? "no owner" : "owner " + blobOwner)
                                    + " (epoch " + (epoch + 1) + "): recreated, no old page survives");
                    return false;
                }
                continue;
            }
            fence = (epoch << 32) | generation;
            if (seq > fence) {
                throw new StaleWriterException("blob " + blobUrl + " belongs to " + describe(seq)
                        + ", newer than ours (" + describe(fence) + "): refusing to overwrite a newer upload");
            }
            boolean sameSource = p.getBlobType() == BlobType.PAGE_BLOB
                    && p.getBlobSize() == size
                    && tag.equals(meta.get(META_SOURCE));
            boolean doubted = STATE_DOUBTED.equals(meta.get(META_STATE));
            if (!sameSource || options.fresh() || doubted) {
                if (create(size, tag, new BlobRequestConditions().setIfMatch(p.getETag()))) {
                    listener.onEvent("recreated blob ("
                            + (options.fresh()
                                    ? "fresh upload requested"
                                    : !sameSource
                                            ? "it held another source or size"
                                            : "an earlier run's read-back verification failed: its pages are not trusted")
                            + "): no old page survives");
                    return false;
                }
                continue;
            }
            // same source: resume under our generation
            PageBlobItem item = retrier.call(
                    "update sequence number",
                    () -> blob.updateSequenceNumberWithResponse(
                                    SequenceNumberActionType.MAX, fence, null, timeout, Context.NONE)
                            .getValue());
            if (item.getBlobSequenceNumber() == null || item.getBlobSequenceNumber() != fence) {
                throw new StaleWriterException("blob " + blobUrl + " belongs to "
                        + describe(item.getBlobSequenceNumber()) + ", newer than ours (" + describe(fence) + ")");
            }
            Map<String, String> m = metadata(tag, "uploading");
            try {
                retrier.call(
                        "set blob metadata",
                        () -> blob.setMetadataWithResponse(
                                m, new BlobRequestConditions().setIfMatch(item.getETag()), timeout, Context.NONE));
            } catch (ConditionNotMetException e) {
                if (e.preconditionFailed()) {
                    continue; // changed under us: look again
                }
                throw e;
            }
            listener.onEvent("resuming an earlier upload of the same source");
            return true;
        }
        throw new UploadException("blob " + blobUrl + " keeps changing under us (concurrent writers?)");
    }

    /** Put Blob (page): a new blob with exact length, sequence number and metadata. False if the condition failed. */
    private boolean create(long size, String tag, BlobRequestConditions cond) throws UploadException {
        try {
            retrier.call(
                    "create page blob",
                    () -> blob.createWithResponse(
                            new PageBlobCreateOptions(size)
                                    .setSequenceNumber(fence)
                                    .setMetadata(metadata(tag, "uploading"))
                                    .setRequestConditions(cond),
                            timeout,
                            Context.NONE));
            return true;
        } catch (ConditionNotMetException e) {
            return false; // 412: the If-Match/If-None-Match condition failed; 409: the blob exists
        }
    }

    // ---------------------------------------------------------------- requests

    /**
     * Put Page carrying a hash of its body that the service checks against the body it received before the pages are
     * written (Put Page, "Request headers"): the MD5 in {@code Content-MD5} (400 {@code Md5Mismatch} if they differ),
     * or, under {@link VerifyMode#CRC64}, the CRC-64 in {@code x-ms-content-crc64} (400 {@code Crc64Mismatch}; the
     * SDK's Put Page options have no field for a CRC-64 the caller computed, so the header rides on the request's
     * {@link Context} through the client's {@link AddHeadersFromContextPolicy}, ahead of the signing policy). A
     * mismatch means the bytes changed between our buffer and the service; it is reported as a
     * {@link VerificationException} at once, not retried (the Retrier passes an UploadException on), so a path that
     * alters data is surfaced instead of masked. The answer is then checked too ({@link #checkServiceHash}): that
     * check does not depend on our header reaching the service.
     */
    private void putPages(long offset, byte[] buf, int off, int len) throws UploadException {
        if (len <= 0 || len % PAGE != 0 || offset % PAGE != 0 || len > options.maxPutBytes()) {
            throw new IllegalStateException("bad put " + offset + "+" + len);
        }
        boolean crc = options.verify() == VerifyMode.CRC64;
        byte[] md5 = crc ? null : md5(buf, off, len);
        byte[] crc64 = crc ? Crc64.littleEndian(Crc64.of(buf, off, len)) : null;
        Context context = crc
                ? new Context(
                        AddHeadersFromContextPolicy.AZURE_REQUEST_HTTP_HEADERS_KEY,
                        new HttpHeaders().set(X_MS_CONTENT_CRC64, base64(crc64)))
                : Context.NONE;
        PageRange range = new PageRange().setStart(offset).setEnd(offset + len - 1);
        PageBlobItem item = retrier.call("put pages " + offset + "+" + len, () -> {
            try {
                return blob.uploadPagesWithResponse(
                                new PageBlobUploadPagesOptions(
                                                range,
                                                BinaryData.fromByteBuffer(ByteBuffer.wrap(buf, off, len)
                                                        .slice()))
                                        .setContentMd5(md5)
                                        .setRequestConditions(
                                                new PageBlobRequestConditions().setIfSequenceNumberEqualTo(fence)),
                                timeout,
                                context)
                        .getValue();
            } catch (BlobStorageException e) {
                if (e.getStatusCode() == 400 && BlobErrorCode.MD5MISMATCH.equals(e.getErrorCode())) {
                    throw new VerificationException(
                            "put pages " + offset + "+" + len + " to " + blobUrl + " was rejected: the service "
                                    + "computed another MD5 of the body than the Content-MD5 we sent (Md5Mismatch): "
                                    + "the bytes changed on their way to the service",
                            400);
                }
                if (e.getStatusCode() == 400 && CRC64_MISMATCH.equals(e.getErrorCode())) {
                    throw new VerificationException(
                            "put pages " + offset + "+" + len + " to " + blobUrl + " was rejected: the service "
                                    + "computed another CRC-64 of the body than the x-ms-content-crc64 we sent "
                                    + "(Crc64Mismatch): the bytes changed on their way to the service",
                            400);
                }
                throw e;
            }
        });
        if (crc) {
            checkServiceCrc64(item, crc64, offset, len);
        } else {
            checkServiceHash(item, md5, buf, off, len, offset);
        }
    }

    /**
     * Under {@link VerifyMode#CRC64}: the {@code x-ms-content-crc64} the service answers (the CRC-64 it computed over
     * the body it received; Put Page, "Response headers") must be ours. Azure documents it for requests without
     * {@code Content-MD5}; Azurite 3.37 always answers it. Absent: the content rests on the service's check of our
     * header, said once as an event.
     */
    private void checkServiceCrc64(PageBlobItem item, byte[] crc64, long offset, int len) throws VerificationException {
        byte[] serviceCrc = item == null ? null : item.getContentCrc64();
        if (serviceCrc == null) {
            if (noServiceHashSaid.compareAndSet(false, true)) {
                listener.onEvent("the service's Put Page answers carry no x-ms-content-crc64: the content of the "
                        + "pages sent rests on the service's check of our x-ms-content-crc64 alone");
            }
            return;
        }
        if (!MessageDigest.isEqual(serviceCrc, crc64)) {
            throw new VerificationException("put pages " + offset + "+" + len + " to " + blobUrl
                    + ": the service answered x-ms-content-crc64 " + base64(serviceCrc) + " for the body it "
                    + "received, ours is " + base64(crc64) + ": the bytes or the answer changed on the way");
        }
    }

    /**
     * Compares the hash the service computed over the Put Page body it received with ours (Put Page, "Response
     * headers"): {@code Content-MD5} (for service versions 2019-02-02 and later returned only when the request
     * carried one) or else {@code x-ms-content-crc64} (returned when the request carried no {@code Content-MD5};
     * {@link Crc64}). Azurite 3.37 echoes the request's {@code Content-MD5}, which it has just checked against the
     * body, and always returns the CRC-64 it computed. This catches what the service's own check of our header
     * cannot: a hop that removed the header (and, with it, the service's check) and changed the body. A difference
     * is a {@link VerificationException} (the pages were written: the caller marks the blob doubted). Neither
     * header present: today's behaviour, the content rests on the service's check of our {@code Content-MD5};
     * said once as an event. The CRC-64 is computed only when it is the sole hash answered, so the usual path
     * costs nothing beyond the MD5 already computed for the request.
     */
    private void checkServiceHash(PageBlobItem item, byte[] md5, byte[] buf, int off, int len, long offset)
            throws VerificationException {
        byte[] serviceMd5 = item == null ? null : item.getContentMd5();
        if (serviceMd5 != null) {
            if (!MessageDigest.isEqual(serviceMd5, md5)) {
                throw new VerificationException("put pages " + offset + "+" + len + " to " + blobUrl
                        + ": the service answered Content-MD5 " + base64(serviceMd5) + " for the body it received, "
                        + "ours is " + base64(md5) + ": the bytes or the answer changed on the way");
            }
            return;
        }
        byte[] serviceCrc = item == null ? null : item.getContentCrc64();
        if (serviceCrc != null) {
            byte[] ours = Crc64.littleEndian(Crc64.of(buf, off, len));
            if (!MessageDigest.isEqual(serviceCrc, ours)) {
                throw new VerificationException("put pages " + offset + "+" + len + " to " + blobUrl
                        + ": the service answered x-ms-content-crc64 " + base64(serviceCrc) + " for the body it "
                        + "received and no Content-MD5 (was our header removed on the way?), ours is "
                        + base64(ours) + ": the bytes or the answer changed on the way");
            }
            return;
        }
        if (noServiceHashSaid.compareAndSet(false, true)) {
            listener.onEvent("the service's Put Page answers carry neither Content-MD5 nor x-ms-content-crc64: "
                    + "the content of the pages sent rests on the service's check of our Content-MD5 alone");
        }
    }

    private static String base64(byte[] b) {
        return Base64.getEncoder().encodeToString(b);
    }

    private void clearPages(long start, long end) throws UploadException {
        PageRange range = new PageRange().setStart(start).setEnd(end - 1);
        retrier.call(
                "clear pages " + start + "+" + (end - start),
                () -> blob.clearPagesWithResponse(
                        range,
                        new PageBlobRequestConditions().setIfSequenceNumberEqualTo(fence),
                        timeout,
                        Context.NONE));
    }

    /**
     * Reads {@code [offset, offset + len)} of the blob and compares it with {@code expected[0, len)} as it arrives
     * (no second buffer). Not conditioned on an ETag: the blob is still being written; see docs/upload.md for what
     * this proves.
     */
    private void verifyRun(byte[] expected, int expectedOff, long offset, int len) throws UploadException {
        retrier.call("read back " + offset + "+" + len, () -> {
            CompareOut out = new CompareOut(expected, expectedOff, len);
            blob.downloadStreamWithResponse(
                    out, new BlobRange(offset, (long) len), NO_DOWNLOAD_RETRIES, null, false, timeout, Context.NONE);
            if (out.pos != len) {
                throw new java.io.EOFException("read back " + out.pos + " of " + len + " bytes");
            }
            if (out.firstDifference >= 0) {
                // an UploadException: the Retrier passes it on at once (a difference is not a transient fault)
                throw new VerificationException("pages of " + blobUrl + " read back during the upload differ from "
                        + "the image at byte " + (offset + out.firstDifference));
            }
            return null;
        });
    }

    private byte[] download(long offset, int len, String etag) throws UploadException {
        return retrier.call("read back " + offset + "+" + len, () -> {
            ArrayOut out = new ArrayOut(len);
            // no download retries inside the SDK (its default resumes a dropped body up to 5 times, unseen by the
            // Retrier's count and backoff): a dropped body fails this attempt and the Retrier reads the range again
            blob.downloadStreamWithResponse(
                    out,
                    new BlobRange(offset, (long) len),
                    NO_DOWNLOAD_RETRIES,
                    new BlobRequestConditions().setIfMatch(etag),
                    false,
                    timeout,
                    Context.NONE);
            if (out.pos != len) {
                throw new java.io.EOFException("read back " + out.pos + " of " + len + " bytes");
            }
            return out.buf;
        });
    }

    /** The blob's valid page ranges, in offset order, fetched page by page (each page retried). */
    private RangeDiff.Cursor listRanges(String etag) {
        return new RangeDiff.Cursor() {
            Iterator<PageRangeItem> items;
            String token;
            boolean last;

            @Override
            public ByteRange next() throws IOException {
                while (true) {
                    if (items != null && items.hasNext()) {
                        PageRangeItem it = items.next();
                        if (it.isClear()) {
                            continue;
                        }
                        long s = it.getRange().getOffset();
                        Long l = it.getRange().getLength();
                        if (l == null || s < 0 || l <= 0 || s % PAGE != 0 || l % PAGE != 0 || s + l > imageSize) {
                            throw new UploadException("service listed an invalid page range " + s + "+" + l);
                        }
                        return new ByteRange(s, s + l);
                    }
                    if (last) {
                        return null;
                    }
                    String tok = token;
                    PagedResponse<PageRangeItem> page = retrier.call("list page ranges", () -> {
                        ListPageRangesOptions o = new ListPageRangesOptions(new BlobRange(0, imageSize));
                        if (etag != null) {
                            o.setRequestConditions(new BlobRequestConditions().setIfMatch(etag));
                        }
                        var pages = tok == null
                                ? blob.listPageRanges(o, timeout, Context.NONE).iterableByPage()
                                : blob.listPageRanges(o, timeout, Context.NONE).iterableByPage(tok);
                        Iterator<PagedResponse<PageRangeItem>> pi = pages.iterator();
                        return pi.hasNext() ? pi.next() : null;
                    });
                    if (page == null) {
                        last = true;
                        items = null;
                        continue;
                    }
                    items = page.getValue().iterator();
                    token = page.getContinuationToken();
                    last = token == null || token.isEmpty();
                }
            }
        };
    }

    // ---------------------------------------------------------------- verify

    /**
     * Checks the blob against the image: its merged page-range list must equal the image's non-zero pages (both as
     * {@link RangeListDigest}s), and with {@link VerifyMode#READBACK} the SHA-256 of those pages' bytes, downloaded
     * in offset order, must equal the one computed while scanning the image. Together they prove every byte (a page
     * outside the list reads as zeros, as it is in the image) while hashing only the non-zero bytes: the cost follows
     * the data, not the virtual size.
     */
    private void verify(String etag, String dataDigest, String expectedList, long nonZero) throws IOException {
        RangeListDigest listed = new RangeListDigest();
        RangeDiff.Cursor ranges = RangeDiff.merging(listRanges(etag));
        if (options.verify() != VerifyMode.READBACK_AFTER) {
            // RANGES: the data rests on the per-request Content-MD5; MD5 (CRC64: x-ms-content-crc64): the same, and
            // the pages not sent in this run were read back (Sender.runDone); READBACK: every run was already read
            // back and compared while the upload went on (Sender.verifyRun); in each case only the list is left to
            // check
            for (ByteRange r = ranges.next(); r != null; r = ranges.next()) {
                listed.add(r.start(), r.end());
            }
        } else {
            MessageDigest sha = Sha256.newDigest();
            ExecutorService pool = Executors.newFixedThreadPool(options.parallel(), daemonThreads("verify"));
            try {
                record Chunk(long offset, Future<byte[]> data) {}
                ArrayDeque<Chunk> window = new ArrayDeque<>();
                int max = options.parallel() + 2;
                for (ByteRange r = ranges.next(); r != null; r = ranges.next()) {
                    listed.add(r.start(), r.end());
                    for (long o = r.start(); o < r.end(); o += UploadOptions.AZURE_MAX_PUT_PAGE_BYTES) {
                        int len = (int) Math.min(UploadOptions.AZURE_MAX_PUT_PAGE_BYTES, r.end() - o);
                        long off = o;
                        while (window.size() >= max) {
                            Chunk c = window.poll();
                            consume(c.offset(), sha, c.data());
                        }
                        window.add(new Chunk(off, pool.submit(() -> download(off, len, etag))));
                    }
                }
                while (!window.isEmpty()) {
                    Chunk c = window.poll();
                    consume(c.offset(), sha, c.data());
                }
            } finally {
                pool.shutdownNow();
            }
            String got = Sha256.hex(sha);
            if (!got.equals(dataDigest)) {
                throw new VerificationException("read-back SHA-256 of the written pages of " + blobUrl + " is " + got
                        + ", the image's non-zero pages give " + dataDigest);
            }
        }
        if (listed.bytes() != nonZero || !listed.finish().equals(expectedList)) {
            throw new VerificationException("page ranges of " + blobUrl + " (" + listed.bytes() + " bytes) differ "
                    + "from the image's non-zero pages (" + nonZero + " bytes)");
        }
    }

    private void consume(long offset, MessageDigest sha, Future<byte[]> f) throws IOException {
        byte[] data;
        try {
            data = f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UploadException("verification interrupted");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof UploadException u) {
                throw u;
            }
            throw new UploadException(
                    "verification failed: " + secrets.scrub(String.valueOf(e.getCause())),
                    secrets.scrubChain(e.getCause()));
        }
        sha.update(data);
        bytesScanned = offset + data.length;
        report();
    }

    // ---------------------------------------------------------------- sending

    /**
     * Accumulates non-zero spans into runs of at most {@code maxPutBytes} (adjacent spans merge, a gap ends a run),
     * diffs each run against the pages the blob already holds and submits the puts and clears. At most
     * {@code parallel + 2} run buffers exist; the scanner blocks when all are in flight.
     */
    private final class Sender {
        private final ExecutorService pool;
        private final RangeDiff diff;
        private final RangeListDigest expected;
        private final Semaphore buffers;
        private final ConcurrentLinkedQueue<byte[]> free = new ConcurrentLinkedQueue<>();
        private final AtomicReference<Throwable> failure = new AtomicReference<>();
        private final AtomicInteger pending = new AtomicInteger();
        private byte[] buf;
        private long runStart;
        private int runLen;
        long piecesBytes;

        Sender(ExecutorService pool, RangeDiff diff, RangeListDigest expected) {
            this.pool = pool;
            this.diff = diff;
            this.expected = expected;
            this.buffers = new Semaphore(options.parallel() + 2);
        }

        void add(long offset, byte[] src, int off, int len) throws IOException {
            int max = options.maxPutBytes();
            while (len > 0) {
                if (buf != null && (offset != runStart + runLen || runLen == max)) {
                    flush();
                }
                if (buf == null) {
                    buf = acquire();
                    runStart = offset;
                    runLen = 0;
                }
                int n = Math.min(len, max - runLen);
                System.arraycopy(src, off, buf, runLen, n);
                runLen += n;
                offset += n;
                off += n;
                len -= n;
            }
        }

        /** Bytes of the run being gathered, not flushed yet (at most what it will send). */
        long gathered() {
            return buf == null ? 0 : runLen;
        }

        private byte[] acquire() throws IOException {
            try {
                while (!buffers.tryAcquire(50, TimeUnit.MILLISECONDS)) {
                    checkFailure();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new UploadException("upload interrupted; a re-run resumes");
            }
            byte[] b = free.poll();
            return b != null ? b : new byte[options.maxPutBytes()];
        }

        private void release(byte[] b) {
            free.add(b);
            buffers.release();
        }

        void checkFailure() throws IOException {
            Throwable t = failure.get();
            if (t != null) {
                if (t instanceof IOException io) {
                    throw io;
                }
                throw new UploadException("upload failed: " + secrets.scrub(String.valueOf(t)), secrets.scrubChain(t));
            }
            if (Thread.currentThread().isInterrupted()) {
                throw new UploadException("upload interrupted; a re-run resumes");
            }
        }

        private void flush() throws IOException {
            if (buf == null) {
                return;
            }
            byte[] b = buf;
            long s = runStart;
            int len = runLen;
            buf = null;
            expected.add(s, s + len);
            AtomicInteger refs = new AtomicInteger(1);
            // the pieces of the run sent now (offsets within the run, in order), kept only with MD5 and CRC64, the
            // modes that read them: there the rest (pages an earlier run of the same source wrote) is read back; the
            // sink is called on this thread, before any put starts
            boolean transactional = options.verify() == VerifyMode.MD5 || options.verify() == VerifyMode.CRC64;
            List<int[]> sentPieces = transactional ? new ArrayList<>() : List.of();
            // a put of this run that failed: the run is not read back (its failure is the one reported)
            AtomicBoolean putFailed = new AtomicBoolean();
            diff.nonZero(s, s + len, new RangeDiff.Sink() {
                @Override
                public void send(long start, long end) {
                    refs.incrementAndGet();
                    if (transactional) {
                        sentPieces.add(new int[] {(int) (start - s), (int) (end - start)});
                    }
                    piecesBytes += end - start;
                    bytesToSend.addAndGet(end - start);
                    submit(() -> {
                        boolean ok = false;
                        try {
                            putPages(start, b, (int) (start - s), (int) (end - start));
                            bytesSent.addAndGet(end - start);
                            ok = true;
                        } finally {
                            if (!ok) {
                                putFailed.set(true);
                            }
                            if (refs.decrementAndGet() == 0) {
                                runDone(b, s, len, sentPieces, putFailed.get());
                            }
                        }
                    });
                }

                @Override
                public void clear(long start, long end) {
                    submitClear(start, end);
                }
            });
            if (refs.decrementAndGet() == 0) {
                // nothing sent (an earlier run of the same source wrote it all): still read back, in a worker
                submit(() -> runDone(b, s, len, sentPieces, false));
            }
        }

        /**
         * Every put of the run {@code [s, s + len)} was acknowledged (or the pages were already there): with
         * {@link VerifyMode#READBACK} the run is read back now, while later runs are sent, and compared byte for byte
         * with the buffer it was sent from; with {@link VerifyMode#MD5} and {@link VerifyMode#CRC64} only the parts of
         * the run not sent now (pages an earlier run of the same source wrote) are, the sent ones having been checked
         * by the service against their Content-MD5 or x-ms-content-crc64; then the buffer is free. Reads happen on the
         * worker threads, so at most {@code parallel} requests (puts and reads together) are in flight.
         */
        private void runDone(byte[] b, long s, int len, List<int[]> sent, boolean putFailed) throws IOException {
            try {
                if (putFailed || failure.get() != null) {
                    return;
                }
                if (options.verify() == VerifyMode.READBACK) {
                    verifyRun(b, 0, s, len);
                } else if (options.verify() == VerifyMode.MD5 || options.verify() == VerifyMode.CRC64) {
                    int at = 0;
                    for (int[] p : sent) {
                        if (p[0] > at) {
                            verifyRun(b, at, s + at, p[0] - at);
                        }
                        at = p[0] + p[1];
                    }
                    if (at < len) {
                        verifyRun(b, at, s + at, len - at);
                    }
                }
            } finally {
                release(b);
            }
        }

        private void submitClear(long start, long end) {
            submit(() -> {
                clearPages(start, end);
                bytesCleared.addAndGet(end - start);
                listener.onEvent("cleared stale pages " + start + "+" + (end - start));
            });
        }

        private void submit(IoTask task) {
            pending.incrementAndGet();
            pool.execute(() -> {
                try {
                    if (failure.get() == null) {
                        task.run();
                        report();
                    }
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                } finally {
                    synchronized (pending) {
                        if (pending.decrementAndGet() == 0) {
                            pending.notifyAll();
                        }
                    }
                }
            });
        }

        void finish(long dataEnd) throws IOException {
            flush();
            diff.advanceTo(dataEnd, new RangeDiff.Sink() {
                @Override
                public void send(long start, long end) {
                    throw new IllegalStateException();
                }

                @Override
                public void clear(long start, long end) {
                    submitClear(start, end);
                }
            });
        }

        void awaitAll() throws IOException, InterruptedException {
            synchronized (pending) {
                while (pending.get() > 0) {
                    pending.wait(100);
                }
            }
            checkFailure();
        }
    }

    @FunctionalInterface
    private interface IoTask {
        void run() throws IOException;
    }

    // ---------------------------------------------------------------- helpers

    private void report() {
        double secs = uploadStartNanos == 0 ? 0 : (System.nanoTime() - uploadStartNanos) / 1e9;
        long sent = bytesSent.get();
        boolean exact = totalExact;
        long toSend = exact ? bytesToSend.get() : toSendBound;
        try {
            listener.onProgress(new UploadProgress(
                    phase,
                    sent,
                    Math.max(sent, toSend),
                    exact,
                    bytesScanned,
                    imageSize,
                    secs > 0 ? sent / secs : 0,
                    retries.get()));
        } catch (RuntimeException ignored) {
            // a listener's failure must not break the upload
        }
    }

    private static ThreadFactory daemonThreads(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, "linuximage-" + name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    static String sha256Hex(byte[] b) {
        return Sha256.hex(b);
    }

    private static byte[] md5(byte[] b, int off, int len) {
        try {
            MessageDigest m = MessageDigest.getInstance("MD5");
            m.update(b, off, len);
            return m.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Compares a download with the bytes that were sent; records the first difference (a retry uses a new one). */
    private static final class CompareOut extends OutputStream {
        final byte[] expected;
        final int base;
        final int len;
        int pos;
        long firstDifference = -1;

        CompareOut(byte[] expected, int base, int len) {
            this.expected = expected;
            this.base = base;
            this.len = len;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int n) throws IOException {
            if (n > len - pos) {
                throw new IOException("service returned more bytes than requested");
            }
            if (firstDifference < 0) {
                int m = Arrays.mismatch(b, off, off + n, expected, base + pos, base + pos + n);
                if (m >= 0) {
                    firstDifference = pos + m;
                }
            }
            pos += n;
        }
    }

    /** A fixed-size output stream over an array (download target; a retry uses a new one). */
    private static final class ArrayOut extends OutputStream {
        final byte[] buf;
        int pos;

        ArrayOut(int n) {
            buf = new byte[n];
        }

        @Override
        public void write(int b) throws IOException {
            if (pos >= buf.length) {
                throw new IOException("service returned more bytes than requested");
            }
            buf[pos++] = (byte) b;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (len > buf.length - pos) {
                throw new IOException("service returned more bytes than requested");
            }
            System.arraycopy(b, off, buf, pos, len);
            pos += len;
        }
    }
}
