package dev.linuximage.core.upload;

import static dev.linuximage.core.upload.UploadTestSupport.assertBlobHolds;
import static dev.linuximage.core.upload.UploadTestSupport.assertDoubted;
import static dev.linuximage.core.upload.UploadTestSupport.key;
import static dev.linuximage.core.upload.UploadTestSupport.options;
import static dev.linuximage.core.upload.UploadTestSupport.url;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.azure.core.http.HttpHeaders;
import com.azure.core.http.policy.AddHeadersFromContextPolicy;
import com.azure.core.util.BinaryData;
import com.azure.core.util.Context;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.models.BlobStorageException;
import com.azure.storage.blob.models.PageRange;
import com.azure.storage.blob.options.PageBlobUploadPagesOptions;
import com.azure.storage.blob.specialized.PageBlobClient;
import dev.linuximage.testsupport.AzuriteExtension;
import dev.linuximage.testsupport.DiskFiles;
import dev.linuximage.testsupport.FaultProxy;
import dev.linuximage.testsupport.TestVhds;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link VerifyMode#CRC64}: as {@link VerifyMode#MD5}, with the body's CRC-64 in {@code x-ms-content-crc64} (Put
 * Page, "Request headers": a mismatch fails with 400 {@code Crc64Mismatch}). First that Azurite really checks that
 * header (otherwise nothing here or in {@link TransactionalHashIT}, which covers the fresh upload and a body damaged
 * on the way for both modes, would prove anything), then what is particular to this mode: an answer whose CRC-64 is
 * not ours, a page of an earlier run that is wrong.
 */
@Tag("integration")
class TransactionalCrc64IT {
    @RegisterExtension
    static final AzuriteExtension AZURITE = new AzuriteExtension();

    /** The request's {@link Context} carrying {@code x-ms-content-crc64: crc} (the CRC-64/NVME, little-endian). */
    private static Context crcHeader(long crc) {
        return new Context(
                AddHeadersFromContextPolicy.AZURE_REQUEST_HTTP_HEADERS_KEY,
                new HttpHeaders()
                        .set("x-ms-content-crc64", Base64.getEncoder().encodeToString(Crc64.littleEndian(crc))));
    }

    @Test
    void azuriteRejectsAPutPageWhoseCrc64IsNotThatOfTheBody() {
        BlobContainerClient c = AZURITE.newContainer();
        PageBlobClient blob = UploadTestSupport.keyClient(c, "c.vhd");
        blob.create(1024 * 1024);
        byte[] body = DiskFiles.random(8192, 17);
        byte[] other = body.clone();
        other[4096] ^= 1;
        PageRange range = new PageRange().setStart(0).setEnd(body.length - 1);

        assertThatThrownBy(() -> blob.uploadPagesWithResponse(
                        new PageBlobUploadPagesOptions(range, BinaryData.fromBytes(body)),
                        null,
                        crcHeader(Crc64.of(other, 0, other.length))))
                .isInstanceOfSatisfying(BlobStorageException.class, e -> {
                    assertThat(e.getStatusCode()).isEqualTo(400);
                    assertThat(e.getErrorCode()).hasToString("Crc64Mismatch");
                });
        assertThat(UploadTestSupport.pageRanges(blob))
                .as("no page written by the refused put")
                .isEmpty();

        // the same put with the body's own CRC-64 is accepted, stored, and answered with that CRC-64
        byte[] answered = blob.uploadPagesWithResponse(
                        new PageBlobUploadPagesOptions(range, BinaryData.fromBytes(body)),
                        null,
                        crcHeader(Crc64.of(body, 0, body.length)))
                .getValue()
                .getContentCrc64();
        assertThat(answered).isEqualTo(Crc64.littleEndian(Crc64.of(body, 0, body.length)));
        assertThat(UploadTestSupport.pageRanges(blob)).containsExactly(new long[] {0, body.length});
    }

    /** The put succeeded, but the CRC-64 the service says it computed is not ours: the pages are not trusted. */
    @Test
    void anAnswerWhoseCrc64IsNotOursFailsTheUploadAndDoubtsTheBlob() throws Exception {
        BlobContainerClient c = AZURITE.newContainer();
        TestVhds img = TestVhds.random(8, 0.4, 256 * 1024, 43);
        try (FaultProxy proxy = new FaultProxy(AZURITE.port())) {
            FaultProxy.Rule rule =
                    proxy.inject(FaultProxy.Request::isPutPage, FaultProxy.Kind.REWRITE_RESPONSE_CRC64, 1);
            assertThatThrownBy(() -> PageBlobUploader.upload(
                            img.source(),
                            "fp-crc-answer",
                            url(proxy.blobEndpoint(), c, "a.vhd"),
                            key(AZURITE),
                            options().withVerify(VerifyMode.CRC64),
                            UploadListener.NONE))
                    .isInstanceOfSatisfying(VerificationException.class, e -> {
                        assertThat(e.httpStatus())
                                .as("the put itself succeeded")
                                .isZero();
                        assertThat(e.getMessage()).contains("answered x-ms-content-crc64");
                    });
            assertThat(rule.applied.get()).isEqualTo(1);
        }
        assertDoubted(c, "a.vhd");
    }

    /**
     * Pages an earlier run wrote are not sent again, so no header vouches for them: they are read back, as under MD5.
     * One of them overwritten behind the uploader's back fails the resumed run, and the run after it sends every page.
     */
    @Test
    void aWrongPageLeftByAnEarlierRunIsCaughtOnResume() throws Exception {
        BlobContainerClient c = AZURITE.newContainer();
        TestVhds img = TestVhds.random(8, 0.4, 256 * 1024, 44);
        String url = url(AZURITE.blobEndpoint(), c, "r.vhd");
        UploadOptions crc = options().withVerify(VerifyMode.CRC64);
        PageBlobUploader.upload(img.source(), "fp-r", url, key(AZURITE), crc, UploadListener.NONE);
        PageBlobClient blob = UploadTestSupport.keyClient(c, "r.vhd");
        long page = img.nonZeroRanges().get(0)[0];
        byte[] junk = new byte[512];
        java.util.Arrays.fill(junk, (byte) 0x5A);
        blob.uploadPages(new PageRange().setStart(page).setEnd(page + 511), new java.io.ByteArrayInputStream(junk));

        List<String> second = Collections.synchronizedList(new ArrayList<>());
        assertThatThrownBy(() -> PageBlobUploader.upload(
                        img.source(), "fp-r", url, key(AZURITE), crc, VerificationResumeIT.events(second)))
                .isInstanceOf(VerificationException.class);
        assertThat(second).anyMatch(e -> e.contains("resuming"));

        UploadResult r = PageBlobUploader.upload(img.source(), "fp-r", url, key(AZURITE), crc, UploadListener.NONE);
        assertThat(r.resumed()).isFalse();
        assertThat(r.bytesSent()).isEqualTo(img.nonZeroBytes());
        assertBlobHolds(blob, img, r);
    }
}
