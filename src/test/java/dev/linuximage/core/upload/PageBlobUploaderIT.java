package dev.linuximage.core.upload;

import static dev.linuximage.core.upload.UploadTestSupport.assertBlobHolds;
import static dev.linuximage.core.upload.UploadTestSupport.key;
import static dev.linuximage.core.upload.UploadTestSupport.options;
import static dev.linuximage.core.upload.UploadTestSupport.url;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.specialized.PageBlobClient;
import dev.linuximage.testsupport.AzuriteExtension;
import dev.linuximage.testsupport.FaultProxy;
import dev.linuximage.testsupport.TestVhds;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Uploads against a real Azurite; the blob is read back with plain SDK calls as the oracle. */
@Tag("integration")
class PageBlobUploaderIT {
    @RegisterExtension
    static final AzuriteExtension AZURITE = new AzuriteExtension();

    static FaultProxy counter;

    @BeforeAll
    static void proxy() throws Exception {
        counter = new FaultProxy(AZURITE.port());
    }

    @AfterAll
    static void closeProxy() throws Exception {
        counter.close();
    }

    @Test
    void uploads20MiBWithZeroPagesInsideDataExtentsAndVerifies() throws Exception {
        BlobContainerClient c = AZURITE.newContainer();
        TestVhds img = TestVhds.random(20, 0.3, 256 * 1024, 1);
        List<UploadProgress> seen = new ArrayList<>();
        UploadResult r = PageBlobUploader.upload(
                img.source(), "fp-20", url(AZURITE.blobEndpoint(), c, "a.vhd"), key(AZURITE), options(), p -> {
                    synchronized (seen) {
                        seen.add(p);
                    }
                });
        PageBlobClient blob = UploadTestSupport.keyClient(c, "a.vhd");
        assertBlobHolds(blob, img, r);
        assertThat(r.bytesSent()).isEqualTo(img.nonZeroBytes());
        assertThat(r.bytesSkippedZero()).isEqualTo(img.size() - img.nonZeroBytes());
        assertThat(r.resumed()).isFalse();
        assertThat(seen).isNotEmpty();
        assertThat(seen.get(seen.size() - 1).phase()).isEqualTo(UploadPhase.DONE);
        assertThat(seen.get(seen.size() - 1).bytesSent()).isEqualTo(img.nonZeroBytes());
    }

    /**
     * The total to send is only known once the source is scanned (zero pages inside DATA extents are found by reading
     * them): until then it is an upper bound ({@code totalExact == false}) and must never be below what is sent, nor
     * above the start's honest bound (the DATA extents plus the footer), and it meets what is sent when the scan has
     * passed the last DATA byte; once exact it is what is sent in all.
     */
    @Test
    void totalToSendStaysWithinSentAndTheDataExtentsAndConvergesWhenDataExtentsHoldZeroPages() throws Exception {
        BlobContainerClient c = AZURITE.newContainer();
        int mib = 1 << 20;
        // one 12 MiB DATA extent at the start of a 64 MiB disk: 4 MiB of zeros, 4 MiB random, 4 MiB of zeros
        byte[] data = new byte[12 * mib];
        byte[] random = new byte[4 * mib];
        new java.util.Random(42).nextBytes(random);
        System.arraycopy(random, 0, data, 4 * mib, random.length);
        TestVhds img = TestVhds.zero(64).with(0, data);
        long dataExtentsAndFooter = data.length + 512L;
        List<UploadProgress> seen = new ArrayList<>();
        UploadResult r = PageBlobUploader.upload(
                img.source(), "fp-bound", url(AZURITE.blobEndpoint(), c, "b.vhd"), key(AZURITE), options(), p -> {
                    synchronized (seen) {
                        seen.add(p);
                    }
                });
        long sentInAll = img.nonZeroBytes();
        assertThat(r.bytesSent()).isEqualTo(sentInAll);
        assertThat(sentInAll).isLessThan(dataExtentsAndFooter);
        assertThat(seen).isNotEmpty().allSatisfy(p -> {
            assertThat(p.bytesToSend()).as("%s", p).isBetween(sentInAll, dataExtentsAndFooter);
            if (p.totalExact() || p.bytesScanned() >= data.length) {
                assertThat(p.bytesToSend()).as("%s", p).isEqualTo(sentInAll);
            }
        });
        assertThat(seen).anySatisfy(p -> assertThat(p.totalExact()).isFalse());
        assertThat(seen.get(seen.size() - 1).totalExact()).isTrue();
    }

    @Test
    void allZeroDiskSendsOnlyTheFooter() throws Exception {
        BlobContainerClient c = AZURITE.newContainer();
        TestVhds img = TestVhds.zero(64);
        UploadResult r = PageBlobUploader.upload(
                img.source(),
                "zero",
                url(AZURITE.blobEndpoint(), c, "z.vhd"),
                key(AZURITE),
                options(),
                UploadListener.NONE);
        assertBlobHolds(UploadTestSupport.keyClient(c, "z.vhd"), img, r);
        assertThat(r.bytesSent()).isEqualTo(512);
    }

    @Test
    void oneGiBSparseRandomThroughCountingProxyRespectsPutLimitAndSendsOnlyNonZeroBytes() throws Exception {
        BlobContainerClient c = AZURITE.newContainer();
        TestVhds img = TestVhds.random(1024, 0.10, 6 * 1024 * 1024, 7);
        long before = counter.pageBytes.get();
        UploadResult r = PageBlobUploader.upload(
                img.source(),
                "fp-1g",
                url(counter.blobEndpoint(), c, "g.vhd"),
                key(AZURITE),
                options(),
                UploadListener.NONE);
        assertBlobHolds(UploadTestSupport.keyClient(c, "g.vhd"), img, r);
        assertThat(counter.pageBytes.get() - before).isEqualTo(img.nonZeroBytes());
        assertThat(counter.maxPageBody.get()).isEqualTo(UploadOptions.AZURE_MAX_PUT_PAGE_BYTES);
        assertThat(r.bytesSent()).isEqualTo(img.nonZeroBytes());
    }

    @Test
    void rangesVerificationModeAlsoVerifies() throws Exception {
        BlobContainerClient c = AZURITE.newContainer();
        TestVhds img = TestVhds.random(8, 0.5, 64 * 1024, 3);
        UploadResult r = PageBlobUploader.upload(
                img.source(),
                "fp",
                url(AZURITE.blobEndpoint(), c, "r.vhd"),
                key(AZURITE),
                options().withVerify(VerifyMode.RANGES).withMaxPutBytes(64 * 1024),
                UploadListener.NONE);
        assertBlobHolds(UploadTestSupport.keyClient(c, "r.vhd"), img, r);
        assertThat(r.verification()).isEqualTo(VerifyMode.RANGES);
    }

    /**
     * The read-back check is no formality: a proxy that flips one byte of every ranged read makes the upload fail
     * verification, and the blob is never marked complete — with the default (runs read back while the upload goes
     * on) and with the read-back after the upload.
     */
    @Test
    void readBackThatDiffersFromTheImageFailsVerification() throws Exception {
        BlobContainerClient c = AZURITE.newContainer();
        TestVhds img = TestVhds.random(16, 0.3, 256 * 1024, 5);
        for (VerifyMode mode : new VerifyMode[] {VerifyMode.READBACK, VerifyMode.READBACK_AFTER}) {
            String name = "lie-" + mode + ".vhd";
            try (FaultProxy liar = new FaultProxy(AZURITE.port())) {
                liar.corruptRangedReads = true;
                assertThatThrownBy(() -> PageBlobUploader.upload(
                                img.source(),
                                "fp-lie",
                                url(liar.blobEndpoint(), c, name),
                                key(AZURITE),
                                options().withVerify(mode),
                                UploadListener.NONE))
                        .isInstanceOf(VerificationException.class)
                        .hasMessageContaining(
                                mode == VerifyMode.READBACK
                                        ? "read back during the upload differ"
                                        : "read-back SHA-256 of the written pages");
                assertThat(liar.corruptedReads.get()).isPositive();
            }
            PageBlobClient blob = UploadTestSupport.keyClient(c, name);
            assertThat(blob.getProperties().getMetadata().get(PageBlobUploader.META_STATE))
                    .as(name)
                    .isEqualTo(PageBlobUploader.STATE_DOUBTED);
        }
    }
}
