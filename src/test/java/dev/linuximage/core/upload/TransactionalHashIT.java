package dev.linuximage.core.upload;

import static dev.linuximage.core.upload.UploadTestSupport.assertBlobHolds;
import static dev.linuximage.core.upload.UploadTestSupport.assertNotComplete;
import static dev.linuximage.core.upload.UploadTestSupport.key;
import static dev.linuximage.core.upload.UploadTestSupport.keyClient;
import static dev.linuximage.core.upload.UploadTestSupport.url;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.azure.storage.blob.BlobContainerClient;
import dev.linuximage.testsupport.AzuriteExtension;
import dev.linuximage.testsupport.FaultProxy;
import dev.linuximage.testsupport.TestVhds;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * What {@link VerifyMode#MD5} (the default) and {@link VerifyMode#CRC64} share: each Put Page carries its body's hash
 * in a request header the service checks before it writes (Put Page, "Request headers": {@code Content-MD5}, a
 * mismatch fails with 400 {@code Md5Mismatch}; {@code x-ms-content-crc64}, 400 {@code Crc64Mismatch}), so a fresh
 * upload reads no page data back, and a body damaged on its way fails the upload. That Azurite really makes these
 * checks is shown by {@link TransactionalMd5IT} and {@link TransactionalCrc64IT}, with what is particular to each mode.
 */
@Tag("integration")
class TransactionalHashIT {
    @RegisterExtension
    static final AzuriteExtension AZURITE = new AzuriteExtension();

    /** A mode's request header, the one it must not send, and the service's error code for a mismatch. */
    enum Hash {
        MD5(VerifyMode.MD5, "content-md5", "x-ms-content-crc64", "Md5Mismatch"),
        CRC64(VerifyMode.CRC64, "x-ms-content-crc64", "content-md5", "Crc64Mismatch");

        final VerifyMode mode;
        final String header;
        final String otherHeader;
        final String mismatch;

        Hash(VerifyMode mode, String header, String otherHeader, String mismatch) {
            this.mode = mode;
            this.header = header;
            this.otherHeader = otherHeader;
            this.mismatch = mismatch;
        }

        /** MD5 is the default: left unset, so the test also covers that default. */
        UploadOptions options() {
            return mode == VerifyMode.MD5
                    ? UploadTestSupport.options()
                    : UploadTestSupport.options().withVerify(mode);
        }
    }

    /** Uploads {@code img} as blob {@code name} of {@code c} through {@code proxy}, account key, {@code hash}'s mode. */
    private static UploadResult uploadThrough(
            FaultProxy proxy, BlobContainerClient c, String name, TestVhds img, Hash hash) throws Exception {
        return PageBlobUploader.upload(
                img.source(),
                "fp-" + name + "-" + hash,
                url(proxy.blobEndpoint(), c, name),
                key(AZURITE),
                hash.options(),
                UploadListener.NONE);
    }

    /** What makes these modes cheap: no page data is read back on a fresh upload, only the 512-byte footer. */
    @ParameterizedTest(name = "{0}")
    @EnumSource(Hash.class)
    void aFreshUploadHashesEveryPutReadsNoPageDataBackAndTheBlobHoldsTheImage(Hash hash) throws Exception {
        BlobContainerClient c = AZURITE.newContainer();
        TestVhds img = TestVhds.random(12, 0.3, 256 * 1024, 32 + hash.ordinal());
        try (FaultProxy proxy = new FaultProxy(AZURITE.port())) {
            UploadResult r = uploadThrough(proxy, c, "ok.vhd", img, hash);
            assertThat(r.verification()).isEqualTo(hash.mode);
            assertThat(proxy.seen)
                    .filteredOn(s -> s.request().isPutPage())
                    .hasSizeGreaterThan(1)
                    .allSatisfy(s -> {
                        assertThat(s.request().header(hash.header))
                                .as(hash.header + " on every Put Page")
                                .isNotBlank();
                        assertThat(s.request().header(hash.otherHeader))
                                .as("no " + hash.otherHeader + " (the service would refuse both: Azurite says so)")
                                .isNull();
                    });
            assertThat(proxy.pageBytes.get())
                    .as("non-zero pages, footer included")
                    .isEqualTo(img.nonZeroBytes());
            assertThat(proxy.seen)
                    .filteredOn(s -> s.request().isRangedRead())
                    .extracting(s -> s.request().range())
                    .containsExactly("bytes=" + (img.size() - 512) + "-" + (img.size() - 1));
            assertBlobHolds(keyClient(c, "ok.vhd"), img, r);
        }
    }

    /** Needs the header: without it the damaged page would be stored and these modes read nothing back. */
    @ParameterizedTest(name = "{0}")
    @EnumSource(Hash.class)
    void aByteFlippedInAPutPageBodyOnTheWayFailsTheUpload(Hash hash) throws Exception {
        BlobContainerClient c = AZURITE.newContainer();
        TestVhds img = TestVhds.random(8, 0.4, 256 * 1024, 42 + hash.ordinal());
        try (FaultProxy proxy = new FaultProxy(AZURITE.port())) {
            FaultProxy.Rule rule = proxy.inject(FaultProxy.Request::isPutPage, FaultProxy.Kind.CORRUPT_REQUEST_BODY, 1);
            assertThatThrownBy(() -> uploadThrough(proxy, c, "x.vhd", img, hash))
                    .isInstanceOfSatisfying(VerificationException.class, e -> {
                        assertThat(e.httpStatus()).isEqualTo(400);
                        assertThat(e.getMessage()).contains(hash.mismatch);
                    });
            assertThat(rule.applied.get()).isEqualTo(1);
        }
        assertNotComplete(c, "x.vhd");
    }
}
