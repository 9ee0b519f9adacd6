package dev.linuximage.core.upload;

import static dev.linuximage.core.upload.UploadTestSupport.assertBlobHolds;
import static dev.linuximage.core.upload.UploadTestSupport.assertDoubted;
import static dev.linuximage.core.upload.UploadTestSupport.options;
import static dev.linuximage.core.upload.UploadTestSupport.url;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@link VerifyMode#MD5}, the default: the data of the pages sent rests on the service checking each Put Page's
 * {@code Content-MD5} against the body it received (Put Page, "Request headers": a mismatch fails with 400
 * {@code Md5Mismatch}). First that Azurite really does that check (otherwise nothing here or in
 * {@link TransactionalHashIT}, which covers what MD5 shares with CRC64, would prove anything), then what a hop that
 * strips the header or rewrites the answer's hashes does to an upload under SAS, which does not sign the header.
 */
@Tag("integration")
class TransactionalMd5IT {
    @RegisterExtension
    static final AzuriteExtension AZURITE = new AzuriteExtension();

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

    /** SAS: unlike the account key's Shared Key signature, it does not sign Content-MD5, so a hop may drop it. */
    private static BlobCredentials sas(BlobContainerClient c, String blob) {
        return new BlobCredentials.SasToken(AZURITE.sas(c, blob, "racwd"));
    }

    private static UploadResult uploadThrough(FaultProxy proxy, BlobContainerClient c, String name, TestVhds img)
            throws Exception {
        return PageBlobUploader.upload(
                img.source(),
                "fp-" + name,
                url(proxy.blobEndpoint(), c, name),
                sas(c, name),
                options().withVerify(VerifyMode.MD5),
                UploadListener.NONE);
    }

    /**
     * What a hop does to the Put Page requests (the first one, or every one for {@code times == -1}) or their answers,
     * with SAS credentials; {@code failsWith}: the fragments of the {@link VerificationException}'s message, none
     * when the upload must complete.
     */
    enum Fault {
        /**
         * A hop that drops the request's Content-MD5 takes the service's check away; if it also damages the body, the
         * service stores it and answers 201. Its answer then carries no Content-MD5 but the CRC-64 it computed over
         * what it received (Put Page, "Response headers"; Azurite always returns it), which is not ours: the upload
         * fails on the answer's hash, not later.
         */
        CONTENT_MD5_REMOVED_AND_BODY_DAMAGED(
                33,
                1,
                new FaultProxy.Kind[] {FaultProxy.Kind.STRIP_REQUEST_CONTENT_MD5, FaultProxy.Kind.CORRUPT_REQUEST_BODY},
                "x-ms-content-crc64",
                "no Content-MD5"),
        /**
         * The same hop without damage: the CRC-64 the service answers equals ours (so the comparison above is not
         * just "any CRC-64 fails": same polynomial, same byte order as the service) and the upload completes.
         */
        CONTENT_MD5_REMOVED_BODY_INTACT(34, -1, new FaultProxy.Kind[] {FaultProxy.Kind.STRIP_REQUEST_CONTENT_MD5}),
        /** An answer whose Content-MD5 is not that of the body we sent fails the upload. */
        ANSWERED_CONTENT_MD5_NOT_OURS(
                35, 1, new FaultProxy.Kind[] {FaultProxy.Kind.REWRITE_RESPONSE_CONTENT_MD5}, "answered Content-MD5"),
        /** With the request's Content-MD5 removed, an answer whose CRC-64 is not that of the body fails too. */
        ANSWERED_CRC64_NOT_OURS(
                36,
                1,
                new FaultProxy.Kind[] {FaultProxy.Kind.STRIP_REQUEST_CONTENT_MD5, FaultProxy.Kind.REWRITE_RESPONSE_CRC64
                },
                "x-ms-content-crc64");

        final long seed;
        final int times;
        final FaultProxy.Kind[] kinds;
        final String[] failsWith;

        Fault(long seed, int times, FaultProxy.Kind[] kinds, String... failsWith) {
            this.seed = seed;
            this.times = times;
            this.kinds = kinds;
            this.failsWith = failsWith;
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Fault.class)
    void aHopThatTampersWithThePutsOrTheirAnswers(Fault fault) throws Exception {
        BlobContainerClient c = AZURITE.newContainer();
        TestVhds img = TestVhds.random(8, 0.4, 256 * 1024, fault.seed);
        String name = fault.name().toLowerCase(java.util.Locale.ROOT) + ".vhd";
        try (FaultProxy proxy = new FaultProxy(AZURITE.port())) {
            FaultProxy.Rule rule = proxy.inject(
                    FaultProxy.Request::isPutPage,
                    fault.times,
                    fault.kinds[0],
                    java.util.Arrays.copyOfRange(fault.kinds, 1, fault.kinds.length));
            if (fault.failsWith.length == 0) {
                UploadResult r = uploadThrough(proxy, c, name, img);
                assertThat(rule.applied.get())
                        .as("every Put Page, footer included, went out without Content-MD5")
                        .isEqualTo(proxy.pagePuts.get())
                        .isGreaterThan(1);
                assertBlobHolds(UploadTestSupport.keyClient(c, name), img, r);
                return;
            }
            UploadException e = catchThrowableOfType(() -> uploadThrough(proxy, c, name, img), UploadException.class);
            assertThat(e)
                    .as("the upload fails on the answer's hash, not later")
                    .isInstanceOf(VerificationException.class);
            assertThat(e.getMessage()).contains(fault.failsWith);
            assertThat(e.httpStatus()).as("the put itself succeeded").isZero();
            assertThat(rule.applied.get()).isEqualTo(1);
        }
        assertDoubted(c, name);
    }
}
