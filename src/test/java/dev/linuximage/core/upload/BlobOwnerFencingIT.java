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
import com.azure.storage.blob.options.PageBlobUploadPagesOptions;
import com.azure.storage.blob.specialized.PageBlobClient;
import dev.linuximage.testsupport.AzuriteExtension;
import dev.linuximage.testsupport.TestVhds;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 12, fencing by identity, against Azurite: a generation orders one resource's writers only. The blob records
 * its owner (the LinuxImage uid); another owner is refused unless it takes the blob over, which starts a new epoch
 * that fences every writer of the previous owner at the service.
 */
@Tag("integration")
class BlobOwnerFencingIT {
    @RegisterExtension
    static final AzuriteExtension AZURITE = new AzuriteExtension();

    private static final String UID_A = "0b7f3c52-1111-4a8e-9a55-aaaaaaaaaaaa";
    private static final String UID_B = "5d0e9a11-2222-4c3b-8f00-bbbbbbbbbbbb";

    private static UploadResult upload(TestVhds img, String fp, BlobContainerClient c, String blob, UploadOptions o)
            throws Exception {
        return PageBlobUploader.upload(
                img.source(),
                fp,
                AZURITE.blobEndpoint() + "/" + c.getBlobContainerName() + "/" + blob,
                key(AZURITE),
                o,
                UploadListener.NONE);
    }

    @Test
    void theOwnerIsRecordedAndAnotherOwnerIsRefusedWithoutWriting() throws Exception {
        BlobContainerClient c = AZURITE.newContainer();
        TestVhds a = TestVhds.random(8, 0.4, 64 * 1024, 101);
        upload(a, "a", c, "x.vhd", options().withOwner(UID_A).withGeneration(3));
        PageBlobClient blob = UploadTestSupport.keyClient(c, "x.vhd");
        assertThat(blob.getProperties().getMetadata())
                .containsEntry(PageBlobUploader.META_OWNER, UID_A)
                .containsEntry(PageBlobUploader.META_GENERATION, "3");
        String before = UploadTestSupport.downloadSha256(blob);

        TestVhds b = TestVhds.random(8, 0.4, 64 * 1024, 102);
        // a higher generation does not help another owner
        assertThatThrownBy(() ->
                        upload(b, "b", c, "x.vhd", options().withOwner(UID_B).withGeneration(9)))
                .isInstanceOf(BlobOwnerConflictException.class)
                .hasMessageContaining(UID_A)
                .hasMessageContaining(UID_B);
        // nor does writing without an owner
        assertThatThrownBy(() -> upload(b, "b", c, "x.vhd", options().withGeneration(9)))
                .isInstanceOf(BlobOwnerConflictException.class);
        assertThat(UploadTestSupport.downloadSha256(blob)).isEqualTo(before);
        assertThat(blob.getProperties().getMetadata()).containsEntry(PageBlobUploader.META_OWNER, UID_A);
    }

    /** The bug of issue 12: delete + recreate restarts at generation 1 and was refused as Superseded. */
    @Test
    void aRecreatedResourceTakesItsBlobOverOnlyWhenAskedAndStartsANewEpoch() throws Exception {
        BlobContainerClient c = AZURITE.newContainer();
        PageBlobClient blob = UploadTestSupport.keyClient(c, "r.vhd");
        TestVhds old = TestVhds.random(8, 0.4, 64 * 1024, 111);
        upload(old, "old", c, "r.vhd", options().withOwner(UID_A).withGeneration(7));
        assertThat(blob.getProperties().getBlobSequenceNumber()).isEqualTo(7);

        TestVhds fresh = TestVhds.random(8, 0.4, 64 * 1024, 112);
        assertThatThrownBy(() -> upload(
                        fresh, "fresh", c, "r.vhd", options().withOwner(UID_B).withGeneration(1)))
                .isInstanceOf(BlobOwnerConflictException.class)
                .isNotInstanceOf(StaleWriterException.class);

        UploadResult r = upload(
                fresh,
                "fresh",
                c,
                "r.vhd",
                options().withOwner(UID_B).withGeneration(1).withTakeOver(true));
        assertBlobHolds(blob, fresh, r);
        assertThat(r.resumed()).isFalse();
        assertThat(blob.getProperties().getMetadata()).containsEntry(PageBlobUploader.META_OWNER, UID_B);
        assertThat(blob.getProperties().getBlobSequenceNumber()).isEqualTo((1L << 32) | 1);

        // a straggler of the old owner with the old fence (epoch 0, generation 7) is refused by the service itself
        byte[] page = new byte[512];
        page[0] = 1;
        assertThatThrownBy(() -> blob.uploadPagesWithResponse(
                        new PageBlobUploadPagesOptions(
                                        new PageRange().setStart(0).setEnd(511), BinaryData.fromBytes(page))
                                .setRequestConditions(new PageBlobRequestConditions().setIfSequenceNumberEqualTo(7L)),
                        null,
                        null))
                .hasMessageContaining("412");
        // and the old owner as a whole is refused by identity, whatever its generation
        assertThatThrownBy(() -> upload(
                        old, "old", c, "r.vhd", options().withOwner(UID_A).withGeneration(8)))
                .isInstanceOf(BlobOwnerConflictException.class);
        assertBlobHolds(blob, fresh, r);

        // the new owner's later generations work within its epoch, and order as before
        TestVhds g2 = TestVhds.random(8, 0.4, 64 * 1024, 113);
        UploadResult r2 =
                upload(g2, "g2", c, "r.vhd", options().withOwner(UID_B).withGeneration(2));
        assertBlobHolds(blob, g2, r2);
        assertThat(blob.getProperties().getBlobSequenceNumber()).isEqualTo((1L << 32) | 2);
        assertThatThrownBy(() -> upload(
                        fresh, "fresh", c, "r.vhd", options().withOwner(UID_B).withGeneration(1)))
                .isInstanceOf(StaleWriterException.class)
                .hasMessageContaining("generation 2 of epoch 1");
        // the same generation re-runs (a restarted pod) and resumes
        UploadResult again =
                upload(g2, "g2", c, "r.vhd", options().withOwner(UID_B).withGeneration(2));
        assertThat(again.resumed()).isTrue();
        assertBlobHolds(blob, g2, again);
    }

    @Test
    void aBlobNotWrittenByAnOwnerIsNotOverwrittenByOne() throws Exception {
        BlobContainerClient c = AZURITE.newContainer();
        TestVhds manual = TestVhds.random(4, 0.4, 64 * 1024, 121);
        upload(manual, "manual", c, "m.vhd", options()); // e.g. a laptop upload: no owner
        TestVhds mine = TestVhds.random(4, 0.4, 64 * 1024, 122);
        assertThatThrownBy(() -> upload(
                        mine, "mine", c, "m.vhd", options().withOwner(UID_A).withGeneration(1)))
                .isInstanceOf(BlobOwnerConflictException.class)
                .hasMessageContaining("not written by an owner");
        // writers without owner keep the old generation-only behaviour
        UploadResult r = upload(manual, "manual", c, "m.vhd", options());
        assertThat(r.resumed()).isTrue();
    }

    @Test
    void generationsBeyondThirtyTwoBitsAreRefused() {
        assertThatThrownBy(() -> options().withGeneration(PageBlobUploader.MAX_GENERATION + 1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> options().withOwner("uid with spaces")).isInstanceOf(IllegalArgumentException.class);
    }
}
