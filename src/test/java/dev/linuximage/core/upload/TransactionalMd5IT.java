package dev.linuximage.core.upload;

import static dev.linuximage.core.upload.UploadTestSupport.assertBlobHolds;
import static dev.linuximage.core.upload.UploadTestSupport.key;
import static dev.linuximage.core.upload.UploadTestSupport.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.azure.core.util.BinaryData;
import com.azure.core.util.Context;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.models.BlobErrorCode;
import com.azure.storage.blob.models.BlobStorageException;
import com.azure.storage.blob.models.PageRange;
import com.azure.storage.blob.options.PageBlobUploadPagesOptions;
import com.azure.storage.blob.specialized.PageBlobClient;
import dev.linuximage.testsupport.AzuriteExtension;
import dev.linuximage.testsupport.FaultProxy;
import dev.linuximage.testsupport.TestVhds;
import java.security.MessageDigest;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link VerifyMode#MD5}, the default: the data of the pages sent rests on the service checking each Put Page's
 * {@code Content-MD5} against the body it received (Put Page, "Request headers": a mismatch fails with 400
 * {@code Md5Mismatch}). First that Azurite really does that check (otherwise nothing below would prove anything
 * here), then that a byte damaged on its way to the service fails the upload with a {@link VerificationException}
 * — which needs the header: without it the damaged page would be stored and this mode reads nothing back.
 */
@Tag("integration")
class TransactionalMd5IT {
    @RegisterExtension
    static final AzuriteExtension AZURITE = new AzuriteExtension();

    private static String url(String endpoint, BlobContainerClient c, String blob) {
        return endpoint + "/" + c.getBlobContainerName() + "/" + blob;
    }

    @Test
    void azuriteRejectsAPutPageWhoseContentMd5IsNotThatOfTheBody() throws Exception {
        BlobContainerClient c = AZURITE.newContainer();
        PageBlobClient blob = UploadTestSupport.keyClient(c, "m.vhd");
        blob.create(1024 * 1024);
        byte[] body = new byte[8192];
        new Random(7).nextBytes(body);
        byte[] other = body.clone();
        other[4096] ^= 1;
        PageRange range = new PageRange().setStart(0).setEnd(body.length - 1);

        assertThatThrownBy(() -> blob.uploadPagesWithResponse(
                        new PageBlobUploadPagesOptions(range, BinaryData.fromBytes(body))
                                .setContentMd5(MessageDigest.getInstance("MD5").digest(other)),
                        null,
                        Context.NONE))
                .isInstanceOfSatisfying(BlobStorageException.class, e -> {
                    assertThat(e.getStatusCode()).isEqualTo(400);
                    assertThat(e.getErrorCode()).isEqualTo(BlobErrorCode.MD5MISMATCH);
                });
        assertThat(UploadTestSupport.pageRanges(blob))
                .as("no page written by the refused put")
                .isEmpty();

        // the same put with the body's own MD5 is accepted and stored
        blob.uploadPagesWithResponse(
                new PageBlobUploadPagesOptions(range, BinaryData.fromBytes(body))
                        .setContentMd5(MessageDigest.getInstance("MD5").digest(body)),
                null,
                Context.NONE);
        assertThat(UploadTestSupport.pageRanges(blob)).containsExactly(new long[] {0, body.length});
    }

    @Test
    void aByteFlippedInAPutPageBodyOnTheWayFailsTheUpload() throws Exception {
        BlobContainerClient c = AZURITE.newContainer();
        TestVhds img = TestVhds.random(8, 0.4, 256 * 1024, 31);
        try (FaultProxy proxy = new FaultProxy(AZURITE.port())) {
            FaultProxy.Rule rule = proxy.inject(FaultProxy.Request::isPutPage, FaultProxy.Kind.CORRUPT_REQUEST_BODY, 1);
            assertThatThrownBy(() -> PageBlobUploader.upload(
                            img.source(),
                            "fp-md5",
                            url(proxy.blobEndpoint(), c, "x.vhd"),
                            key(AZURITE),
                            options().withVerify(VerifyMode.MD5),
                            UploadListener.NONE))
                    .isInstanceOfSatisfying(VerificationException.class, e -> {
                        assertThat(e.httpStatus()).isEqualTo(400);
                        assertThat(e.getMessage()).contains("Md5Mismatch");
                    });
            assertThat(rule.applied.get()).isEqualTo(1);
            assertThat(proxy.seen)
                    .filteredOn(s -> s.request().isPutPage())
                    .allSatisfy(s -> assertThat(s.request().header("content-md5"))
                            .as("Content-MD5 on every Put Page")
                            .isNotBlank());
        }
        PageBlobClient blob = UploadTestSupport.keyClient(c, "x.vhd");
        assertThat(blob.getProperties().getMetadata().get(PageBlobUploader.META_STATE))
                .isNotEqualTo("complete");
    }

    /** What makes this mode cheap: no page data is read back on a fresh upload, only the 512-byte footer. */
    @Test
    void aFreshUploadReadsNoPageDataBackAndTheBlobHoldsTheImage() throws Exception {
        BlobContainerClient c = AZURITE.newContainer();
        TestVhds img = TestVhds.random(12, 0.3, 256 * 1024, 32);
        try (FaultProxy proxy = new FaultProxy(AZURITE.port())) {
            UploadResult r = PageBlobUploader.upload(
                    img.source(),
                    "fp-md5-ok",
                    url(proxy.blobEndpoint(), c, "ok.vhd"),
                    key(AZURITE),
                    options(),
                    UploadListener.NONE);
            assertThat(r.verification()).as("the default").isEqualTo(VerifyMode.MD5);
            assertThat(proxy.pageBytes.get())
                    .as("non-zero pages, footer included")
                    .isEqualTo(img.nonZeroBytes());
            assertThat(proxy.seen)
                    .filteredOn(s -> s.request().isRangedRead())
                    .extracting(s -> s.request().range())
                    .containsExactly("bytes=" + (img.size() - 512) + "-" + (img.size() - 1));
            assertBlobHolds(UploadTestSupport.keyClient(c, "ok.vhd"), img, r);
        }
    }
}
