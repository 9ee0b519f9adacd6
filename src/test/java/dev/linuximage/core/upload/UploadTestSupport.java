package dev.linuximage.core.upload;

import static org.assertj.core.api.Assertions.assertThat;

import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.models.BlobRange;
import com.azure.storage.blob.models.PageRangeItem;
import com.azure.storage.blob.options.ListPageRangesOptions;
import com.azure.storage.blob.specialized.PageBlobClient;
import dev.linuximage.testsupport.AzuriteExtension;
import dev.linuximage.testsupport.TestVhds;
import java.io.ByteArrayOutputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/** Oracles that read the blob back independently of the uploader (plain SDK calls with the account key). */
final class UploadTestSupport {
    private UploadTestSupport() {}

    /** Azurite and the test proxies listen on loopback: allowed explicitly (the default is Azure's hosts only). */
    static final BlobHostAllowList LOOPBACK = BlobHostAllowList.of(List.of("127.0.0.1"));

    static UploadOptions options() {
        return UploadOptions.defaults()
                .withServiceVersion(AzuriteExtension.SERVICE_VERSION.getVersion())
                .withHttpClient(AzuriteExtension.httpClient())
                .withAllowedHosts(LOOPBACK);
    }

    static BlobCredentials key(AzuriteExtension az) {
        return new BlobCredentials.ConnectionString(az.connectionString());
    }

    /** The blob's page ranges, merged. */
    static List<long[]> pageRanges(PageBlobClient blob) {
        List<long[]> out = new ArrayList<>();
        for (PageRangeItem it : blob.listPageRanges(new ListPageRangesOptions(new BlobRange(0)), null, null)) {
            if (it.isClear()) {
                continue;
            }
            long s = it.getRange().getOffset();
            long e = s + it.getRange().getLength();
            if (!out.isEmpty() && out.get(out.size() - 1)[1] == s) {
                out.get(out.size() - 1)[1] = e;
            } else {
                out.add(new long[] {s, e});
            }
        }
        return out;
    }

    /** SHA-256 of the blob's full content, downloaded in 64 MiB ranges. */
    static String downloadSha256(PageBlobClient blob) throws Exception {
        long size = blob.getProperties().getBlobSize();
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        for (long o = 0; o < size; o += 64L << 20) {
            long n = Math.min(64L << 20, size - o);
            ByteArrayOutputStream b = new ByteArrayOutputStream((int) n);
            blob.downloadStreamWithResponse(b, new BlobRange(o, n), null, null, false, null, null);
            sha.update(b.toByteArray());
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    static PageBlobClient keyClient(BlobContainerClient c, String name) {
        return c.getBlobClient(name).getPageBlobClient();
    }

    /** The URL of blob {@code blob} in container {@code c} at {@code endpoint} (Azurite's, or a proxy's in front). */
    static String url(String endpoint, BlobContainerClient c, String blob) {
        return endpoint + "/" + c.getBlobContainerName() + "/" + blob;
    }

    /** Pages were written, then found untrustworthy: the blob is marked so that the next run does not resume. */
    static void assertDoubted(BlobContainerClient c, String name) {
        assertThat(keyClient(c, name).getProperties().getMetadata().get(PageBlobUploader.META_STATE))
                .as("pages were written, then found untrustworthy: the next run must not resume onto them")
                .isEqualTo(PageBlobUploader.STATE_DOUBTED);
    }

    /** The upload failed before the blob was marked complete. */
    static void assertNotComplete(BlobContainerClient c, String name) {
        assertThat(keyClient(c, name).getProperties().getMetadata().get(PageBlobUploader.META_STATE))
                .isNotEqualTo("complete");
    }

    static void assertBlobHolds(PageBlobClient blob, TestVhds img, UploadResult r) throws Exception {
        System.out.println("upload result: " + r.toJson());
        assertThat(blob.getProperties().getBlobSize()).isEqualTo(img.size());
        assertThat(pageRanges(blob)).containsExactlyElementsOf(img.nonZeroRanges());
        String sha = img.sha256();
        assertThat(downloadSha256(blob)).isEqualTo(sha);
        String digest = img.sparseDigest();
        assertThat(r.digest()).isEqualTo(digest);
        assertThat(blob.getProperties().getMetadata())
                .containsEntry(PageBlobUploader.META_DIGEST, digest)
                .containsEntry(PageBlobUploader.META_STATE, "complete");
        assertThat(r.blobUrl()).doesNotContain("?");
    }

    /** {@code upload} with the given arguments, loopback allowed as blob host. */
    static String[] upload(String... args) {
        List<String> l = new ArrayList<>(List.of("upload"));
        l.addAll(List.of(args));
        // Azurite and the test proxies listen on loopback: allowed explicitly (the default is Azure's hosts only)
        l.addAll(List.of("--allowed-blob-host", "127.0.0.1"));
        return l.toArray(String[]::new);
    }
}
