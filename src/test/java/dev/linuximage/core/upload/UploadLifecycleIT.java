package dev.linuximage.core.upload;

import static dev.linuximage.core.upload.UploadTestSupport.assertBlobHolds;
import static dev.linuximage.core.upload.UploadTestSupport.key;
import static dev.linuximage.core.upload.UploadTestSupport.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.azure.core.util.BinaryData;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.models.PageBlobRequestConditions;
import com.azure.storage.blob.models.PageRange;
import com.azure.storage.blob.models.SequenceNumberActionType;
import com.azure.storage.blob.options.PageBlobUploadPagesOptions;
import com.azure.storage.blob.specialized.PageBlobClient;
import dev.linuximage.testsupport.AzuriteExtension;
import dev.linuximage.testsupport.FaultProxy;
import dev.linuximage.testsupport.TestVhds;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Re-use of a blob name, resume bookkeeping, fencing by generation, and faults, against Azurite. */
@Tag("integration")
class UploadLifecycleIT {
    @RegisterExtension
    static final AzuriteExtension AZURITE = new AzuriteExtension();

    private static String url(BlobContainerClient c, String blob) {
        return AZURITE.blobEndpoint() + "/" + c.getBlobContainerName() + "/" + blob;
    }

    private static UploadResult upload(TestVhds img, String fp, BlobContainerClient c, String blob, UploadOptions o)
            throws Exception {
        return PageBlobUploader.upload(img.source(), fp, url(c, blob), key(AZURITE), o, UploadListener.NONE);
    }

    @Test
    void reusingABlobNameWithADifferentImageLeavesNoStaleData() throws Exception {
        BlobContainerClient c = AZURITE.newContainer();
        TestVhds first = TestVhds.random(16, 0.6, 128 * 1024, 11);
        upload(first, "first", c, "x.vhd", options());
        TestVhds second = TestVhds.random(16, 0.1, 64 * 1024, 12);
        UploadResult r = upload(second, "second", c, "x.vhd", options());
        assertBlobHolds(UploadTestSupport.keyClient(c, "x.vhd"), second, r);
        assertThat(r.resumed()).isFalse();
        // a different size under the same name too
        TestVhds third = TestVhds.random(9, 0.2, 64 * 1024, 13);
        UploadResult r3 = upload(third, "third", c, "x.vhd", options());
        assertBlobHolds(UploadTestSupport.keyClient(c, "x.vhd"), third, r3);
    }

    @Test
    void rerunOfTheSameSourceResumesAndClearsPagesThatAreZeroInTheSource() throws Exception {
        BlobContainerClient c = AZURITE.newContainer();
        TestVhds img = TestVhds.random(16, 0.3, 128 * 1024, 21);
        upload(img, "same", c, "s.vhd", options());
        PageBlobClient blob = UploadTestSupport.keyClient(c, "s.vhd");
        // stale pages inside a range that is zero in the image (written by "someone", same generation)
        long zeroAt = -1;
        long prevEnd = 0;
        for (long[] r : img.nonZeroRanges()) {
            if (r[0] - prevEnd >= 16384) {
                zeroAt = prevEnd;
                break;
            }
            prevEnd = r[1];
        }
        assertThat(zeroAt).isGreaterThanOrEqualTo(0);
        byte[] junk = new byte[8192];
        new Random(5).nextBytes(junk);
        blob.uploadPagesWithResponse(
                new PageBlobUploadPagesOptions(
                        new PageRange().setStart(zeroAt).setEnd(zeroAt + junk.length - 1), BinaryData.fromBytes(junk)),
                null,
                null);
        UploadResult r = upload(img, "same", c, "s.vhd", options());
        assertThat(r.resumed()).isTrue();
        assertThat(r.bytesCleared()).isEqualTo(junk.length);
        assertThat(r.bytesSent()).isEqualTo(512); // only the footer, rewritten last
        assertThat(r.bytesAlreadyThere()).isEqualTo(img.nonZeroBytes() - 512);
        assertBlobHolds(blob, img, r);
    }

    @Test
    void olderGenerationIsRefusedBeforeWritingAnything() throws Exception {
        BlobContainerClient c = AZURITE.newContainer();
        TestVhds newer = TestVhds.random(8, 0.3, 64 * 1024, 31);
        upload(newer, "newer", c, "f.vhd", options().withGeneration(5));
        PageBlobClient blob = UploadTestSupport.keyClient(c, "f.vhd");
        String before = UploadTestSupport.downloadSha256(blob);
        TestVhds older = TestVhds.random(8, 0.3, 64 * 1024, 32);
        assertThatThrownBy(() -> upload(older, "older", c, "f.vhd", options().withGeneration(4)))
                .isInstanceOf(StaleWriterException.class)
                .hasMessageContaining("generation 5");
        assertThat(UploadTestSupport.downloadSha256(blob)).isEqualTo(before);
        assertThat(blob.getProperties().getBlobSequenceNumber()).isEqualTo(5);
        // the same generation may re-run (a restarted pod of the same Job)
        UploadResult again = upload(newer, "newer", c, "f.vhd", options().withGeneration(5));
        assertThat(again.resumed()).isTrue();
        assertBlobHolds(blob, newer, again);
    }

    @Test
    void staleWriterIsStoppedMidFlightWhenANewerGenerationClaimsTheBlob() throws Exception {
        BlobContainerClient c = AZURITE.newContainer();
        PageBlobClient blob = UploadTestSupport.keyClient(c, "m.vhd");
        TestVhds old = TestVhds.random(16, 0.5, 128 * 1024, 41);
        AtomicBoolean bumped = new AtomicBoolean();
        UploadListener newerArrives = p -> {
            if (p.phase() == UploadPhase.UPLOADING && p.bytesSent() > 0 && bumped.compareAndSet(false, true)) {
                blob.updateSequenceNumber(SequenceNumberActionType.UPDATE, 2L); // what a generation-2 writer does
            }
        };
        assertThatThrownBy(() -> PageBlobUploader.upload(
                        old.source(),
                        "old",
                        url(c, "m.vhd"),
                        key(AZURITE),
                        options().withGeneration(1).withParallel(2).withMaxPutBytes(32 * 1024),
                        newerArrives))
                .isInstanceOf(StaleWriterException.class);
        assertThat(bumped).isTrue();
        // the newer writer completes and verifies; the old one cannot come back
        TestVhds newer = TestVhds.random(16, 0.2, 128 * 1024, 42);
        UploadResult r = upload(newer, "new", c, "m.vhd", options().withGeneration(2));
        assertBlobHolds(blob, newer, r);
        assertThatThrownBy(() -> upload(old, "old", c, "m.vhd", options().withGeneration(1)))
                .isInstanceOf(StaleWriterException.class);
        assertBlobHolds(blob, newer, r);
    }

    @Test
    void putPagesConditionedOnTheSequenceNumberFailWith412ForAnOldGeneration() throws Exception {
        // the service-side check the fencing relies on, shown directly
        BlobContainerClient c = AZURITE.newContainer();
        PageBlobClient blob = UploadTestSupport.keyClient(c, "p.vhd");
        blob.create(1 << 20);
        blob.updateSequenceNumber(SequenceNumberActionType.UPDATE, 3L);
        byte[] page = new byte[512];
        page[0] = 1;
        assertThatThrownBy(() -> blob.uploadPagesWithResponse(
                        new PageBlobUploadPagesOptions(
                                        new PageRange().setStart(0).setEnd(511), BinaryData.fromBytes(page))
                                .setRequestConditions(new PageBlobRequestConditions().setIfSequenceNumberEqualTo(2L)),
                        null,
                        null))
                .hasMessageContaining("412");
    }

    @Test
    void uploadCompletesAndVerifiesThroughResetsDelaysAndServerBusy() throws Exception {
        BlobContainerClient c = AZURITE.newContainer();
        TestVhds img = TestVhds.random(24, 0.4, 512 * 1024, 51);
        try (FaultProxy proxy = new FaultProxy(AZURITE.port())) {
            proxy.faults(0.08, 0.12, 0.1);
            proxy.delayMillis = 200;
            UploadOptions o = options()
                    .withMaxPutBytes(256 * 1024)
                    .withRetry(12, java.time.Duration.ofMillis(20), java.time.Duration.ofMillis(500));
            UploadResult r = PageBlobUploader.upload(
                    img.source(),
                    "faulty",
                    proxy.blobEndpoint() + "/" + c.getBlobContainerName() + "/f.vhd",
                    key(AZURITE),
                    o,
                    UploadListener.NONE);
            proxy.faults(0, 0, 0);
            assertBlobHolds(UploadTestSupport.keyClient(c, "f.vhd"), img, r);
            assertThat(proxy.resets.get()).isPositive();
            assertThat(proxy.busies.get()).isPositive();
            assertThat(proxy.delays.get()).isPositive();
            // every 503 is retried by us; a reset GET may also be retried inside the JDK client, so not all are ours
            assertThat(r.retries()).isGreaterThanOrEqualTo(proxy.busies.get());
        }
    }

    @Test
    void refusesImagesThatAreNotWholePagesOrHaveNoFooter() throws Exception {
        BlobContainerClient c = AZURITE.newContainer();
        TestVhds zeroFooterless = TestVhds.zero(1);
        var src = zeroFooterless.source();
        var noFooter = new dev.linuximage.core.io.ByteSource() {
            public long size() {
                return src.size();
            }

            public int read(long o, java.nio.ByteBuffer d) {
                int n = (int) Math.min(d.remaining(), size() - o);
                d.position(d.position() + n);
                return n;
            }

            public void extents(long o, long l, dev.linuximage.core.io.ExtentVisitor v) throws java.io.IOException {
                v.visit(new dev.linuximage.core.io.Extent(
                        o, Math.min(l, size() - o), dev.linuximage.core.io.Extent.Kind.ZERO));
            }
        };
        assertThatThrownBy(() -> PageBlobUploader.upload(
                        noFooter, "x", url(c, "n.vhd"), key(AZURITE), options(), UploadListener.NONE))
                .isInstanceOf(UploadException.class)
                .hasMessageContaining("footer");
        assertThatThrownBy(() -> PageBlobUploader.upload(
                        src.slice(0, 1000), "x", url(c, "n.vhd"), key(AZURITE), options(), UploadListener.NONE))
                .isInstanceOf(UploadException.class)
                .hasMessageContaining("512");
    }
}
