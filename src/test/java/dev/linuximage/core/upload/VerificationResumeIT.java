package dev.linuximage.core.upload;

import static dev.linuximage.core.upload.UploadTestSupport.assertBlobHolds;
import static dev.linuximage.core.upload.UploadTestSupport.key;
import static dev.linuximage.core.upload.UploadTestSupport.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.models.PageRange;
import com.azure.storage.blob.specialized.PageBlobClient;
import dev.linuximage.testsupport.AzuriteExtension;
import dev.linuximage.testsupport.FaultProxy;
import dev.linuximage.testsupport.TestVhds;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * After a read-back {@link VerificationException} the next run must not trust the blob's pages (issue 13): resume
 * sends only missing pages, so a page that is present but wrong would fail verification on every later run. Against
 * Azurite, the blob read back with plain SDK calls as the oracle.
 */
@Tag("integration")
class VerificationResumeIT {
    @RegisterExtension
    static final AzuriteExtension AZURITE = new AzuriteExtension();

    static String url(String endpoint, BlobContainerClient c, String blob) {
        return endpoint + "/" + c.getBlobContainerName() + "/" + blob;
    }

    static UploadListener events(List<String> into) {
        return new UploadListener() {
            @Override
            public void onProgress(UploadProgress progress) {}

            @Override
            public void onEvent(String message) {
                into.add(message);
            }
        };
    }

    @Test
    void aPageCorruptedInTheBlobBetweenRunsIsResentAfterTheFailedVerification() throws Exception {
        BlobContainerClient c = AZURITE.newContainer();
        TestVhds img = TestVhds.random(8, 0.4, 256 * 1024, 91);
        String url = url(AZURITE.blobEndpoint(), c, "v.vhd");
        PageBlobUploader.upload(img.source(), "fp-v", url, key(AZURITE), options(), UploadListener.NONE);
        PageBlobClient blob = UploadTestSupport.keyClient(c, "v.vhd");

        // one page of data inside the first non-zero range overwritten behind the uploader's back
        long page = img.nonZeroRanges().get(0)[0];
        byte[] junk = new byte[512];
        java.util.Arrays.fill(junk, (byte) 0x5A);
        blob.uploadPages(new PageRange().setStart(page).setEnd(page + 511), new java.io.ByteArrayInputStream(junk));

        // the same source again: it resumes (every page is there, nothing to send) and the read-back catches it
        List<String> second = Collections.synchronizedList(new ArrayList<>());
        assertThatThrownBy(() ->
                        PageBlobUploader.upload(img.source(), "fp-v", url, key(AZURITE), options(), events(second)))
                .isInstanceOf(VerificationException.class);
        assertThat(second).anyMatch(e -> e.contains("resuming"));
        assertThat(blob.getProperties().getMetadata())
                .containsEntry(PageBlobUploader.META_STATE, PageBlobUploader.STATE_DOUBTED);

        // the next run does not trust those pages: it recreates the blob and sends every non-zero page again
        List<String> third = Collections.synchronizedList(new ArrayList<>());
        UploadResult r = PageBlobUploader.upload(img.source(), "fp-v", url, key(AZURITE), options(), events(third));
        assertThat(third).noneMatch(e -> e.contains("resuming")).anyMatch(e -> e.contains("verification failed"));
        assertThat(r.resumed()).isFalse();
        assertThat(r.bytesSent()).isEqualTo(img.nonZeroBytes());
        assertBlobHolds(blob, img, r);
    }

    @Test
    void anInjectedReadBackFailureMakesTheNextRunResendEveryPage() throws Exception {
        BlobContainerClient c = AZURITE.newContainer();
        TestVhds img = TestVhds.random(6, 0.5, 128 * 1024, 92);
        try (FaultProxy proxy = new FaultProxy(AZURITE.port())) {
            proxy.corruptRangedReads = true; // the service's answers to ranged reads are damaged in transit
            String viaProxy = url(proxy.blobEndpoint(), c, "i.vhd");
            // READBACK: every run is read back (MD5, the default, reads back only pages an earlier run wrote)
            assertThatThrownBy(() -> PageBlobUploader.upload(
                            img.source(),
                            "fp-i",
                            viaProxy,
                            key(AZURITE),
                            options().withVerify(VerifyMode.READBACK),
                            UploadListener.NONE))
                    .isInstanceOf(VerificationException.class);
            assertThat(proxy.corruptedReads.get()).isPositive();
            proxy.corruptRangedReads = false;
            long before = proxy.pageBytes.get();
            UploadResult r = PageBlobUploader.upload(
                    img.source(), "fp-i", viaProxy, key(AZURITE), options(), UploadListener.NONE);
            assertThat(r.resumed()).isFalse();
            assertThat(proxy.pageBytes.get() - before).as("page bytes re-sent").isEqualTo(img.nonZeroBytes());
            assertBlobHolds(UploadTestSupport.keyClient(c, "i.vhd"), img, r);
        }
    }
}
