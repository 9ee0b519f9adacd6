package dev.linuximage.operator.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import dev.linuximage.core.upload.BlobHostAllowList;
import dev.linuximage.operator.api.v1alpha1.CredentialsSpec;
import dev.linuximage.operator.api.v1alpha1.LinuxImage;
import dev.linuximage.operator.api.v1alpha1.LinuxImageSpec;
import dev.linuximage.operator.api.v1alpha1.SourceSpec;
import dev.linuximage.operator.api.v1alpha1.UploadSpec;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Issue 12: the operator's own checks before a Job exists (pure; the cluster part is the ServiceAccount given). */
class PolicySecurityTest {

    static final String OWN = "ghcr.io/linuximage/linuximage-operator:0.1.0";
    static final SecurityPolicy POLICY = new SecurityPolicy(
            OWN,
            List.of("registry.example/linuximage@sha256:*"),
            BlobHostAllowList.AZURE_DEFAULTS,
            List.of("images/listed"));

    static LinuxImageSpec upload(String url, CredentialsSpec creds) {
        LinuxImageSpec s = new LinuxImageSpec();
        s.setSource(new SourceSpec("disks", "a.qcow2"));
        s.setUpload(new UploadSpec(url, creds));
        return s;
    }

    static Optional<Reason> reason(Optional<Refusal> r) {
        return r.map(Refusal::reason);
    }

    @Test
    void onlyTheOperatorsImageOrAllowedImagesRun() {
        LinuxImageSpec s = upload("https://acct.blob.core.windows.net/c/b.vhd", CredentialsSpec.secret("s"));
        assertThat(POLICY.check(s)).isEmpty();
        s.getJob().setImage(OWN);
        assertThat(POLICY.check(s)).isEmpty();
        s.getJob().setImage("registry.example/linuximage@sha256:0123abcd");
        assertThat(POLICY.check(s)).isEmpty();
        s.getJob().setImage("docker.io/attacker/shell:latest");
        assertThat(reason(POLICY.check(s))).contains(Reason.ImageNotAllowed);
        assertThat(POLICY.check(s).get().message()).contains("spec.job.image").contains("attacker/shell");
        s.getJob().setImage("ghcr.io/linuximage/linuximage-operator:0.1.0-evil");
        assertThat(reason(POLICY.check(s))).contains(Reason.ImageNotAllowed);
    }

    /** The reproduction: an unrelated Secret and a blob URL on another host. */
    @Test
    void aBlobOnAnotherHostIsRefusedBeforeAnyJob() {
        LinuxImageSpec s = upload("https://collector.evil.example/c/b.vhd", CredentialsSpec.secret("unrelated"));
        assertThat(reason(POLICY.check(s))).contains(Reason.BlobHostNotAllowed);
        assertThat(POLICY.check(s).get().message()).contains("collector.evil.example");
        assertThat(reason(POLICY.check(
                        upload("http://127.0.0.1:10000/devstoreaccount1/c/b.vhd", CredentialsSpec.secret("s")))))
                .contains(Reason.BlobHostNotAllowed);
    }

    @Test
    void serviceAccountsNeedAnOptIn() {
        LinuxImageSpec s = upload(
                "https://acct.blob.core.windows.net/c/b.vhd",
                CredentialsSpec.workloadIdentity("6e3f2a10-1b2c-4d3e-8f90-a1b2c3d4e5f6"));
        assertThat(SecurityPolicy.workloadServiceAccount(s)).contains("default");
        s.getUpload().getCredentials().getWorkloadIdentity().setServiceAccountName("uploader");
        assertThat(SecurityPolicy.workloadServiceAccount(s)).contains("uploader");
        assertThat(SecurityPolicy.workloadServiceAccount(
                        upload("https://acct.blob.core.windows.net/c/b", CredentialsSpec.secret("s"))))
                .isEmpty();

        ServiceAccount plain = new ServiceAccountBuilder()
                .withNewMetadata()
                .withName("uploader")
                .endMetadata()
                .build();
        ServiceAccount optedIn = new ServiceAccountBuilder()
                .withNewMetadata()
                .withName("uploader")
                .addToAnnotations(SecurityPolicy.ALLOW_USE_ANNOTATION, "true")
                .endMetadata()
                .build();
        ServiceAccount no = new ServiceAccountBuilder()
                .withNewMetadata()
                .withName("uploader")
                .addToAnnotations(SecurityPolicy.ALLOW_USE_ANNOTATION, "yes")
                .endMetadata()
                .build();
        assertThat(reason(POLICY.checkServiceAccount("images", "uploader", plain)))
                .contains(Reason.ServiceAccountNotAllowed);
        assertThat(reason(POLICY.checkServiceAccount("images", "uploader", no)))
                .contains(Reason.ServiceAccountNotAllowed);
        assertThat(reason(POLICY.checkServiceAccount("images", "uploader", null)))
                .contains(Reason.ServiceAccountNotAllowed);
        assertThat(POLICY.checkServiceAccount("images", "uploader", optedIn)).isEmpty();
        assertThat(POLICY.checkServiceAccount("images", "listed", plain)).isEmpty();
        assertThat(reason(POLICY.checkServiceAccount("other", "listed", plain)))
                .contains(Reason.ServiceAccountNotAllowed);
    }

    static LinuxImage li(String ns, String name, String uid, String created, String url) {
        LinuxImage l = new LinuxImage(ns, name, upload(url, CredentialsSpec.secret("s")));
        l.getMetadata().setUid(uid);
        l.getMetadata().setCreationTimestamp(created);
        return l;
    }

    @Test
    void twoLinuxImagesOnOneBlobTheOlderKeepsIt() {
        LinuxImage a =
                li("team-a", "web", "u1", "2026-12-01T10:00:00Z", "https://acct.blob.core.windows.net/c/web.vhd");
        LinuxImage b =
                li("team-b", "web", "u2", "2026-12-01T11:00:00Z", "https://ACCT.blob.core.windows.net:443/c/web.vhd");
        LinuxImage other =
                li("team-b", "db", "u3", "2026-12-01T09:00:00Z", "https://acct.blob.core.windows.net/c/db.vhd");
        assertThat(SecurityPolicy.checkBlobConflict(a, Stream.of(a, b, other))).isEmpty();
        Optional<Refusal> r = SecurityPolicy.checkBlobConflict(b, Stream.of(a, b, other));
        assertThat(reason(r)).contains(Reason.BlobConflict);
        assertThat(r.get().message()).contains("team-a/web");
        assertThat(SecurityPolicy.checkBlobConflict(other, Stream.of(a, b, other)))
                .isEmpty();
    }
}
