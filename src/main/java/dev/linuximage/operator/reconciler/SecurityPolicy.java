package dev.linuximage.operator.reconciler;

import dev.linuximage.core.upload.BlobHostAllowList;
import dev.linuximage.operator.OperatorConfig;
import dev.linuximage.operator.api.v1alpha1.LinuxImage;
import dev.linuximage.operator.api.v1alpha1.LinuxImageSpec;
import dev.linuximage.operator.api.v1alpha1.Mode;
import dev.linuximage.operator.api.v1alpha1.WorkloadIdentitySpec;
import dev.linuximage.operator.job.OwnImage;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import java.net.URI;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * What a LinuxImage may make its Job use (issue 12). Whoever may create a LinuxImage must not get, through the
 * operator's service account, what RBAC does not give them: so the Job image, the blob host and the
 * workload-identity ServiceAccount are checked against operator configuration and opt-ins before a Job exists.
 * Pure, apart from the ServiceAccount the caller looked up.
 *
 * <p>Secrets are not checked here on purpose: the operator never reads Secrets (no RBAC on them), so it cannot see an
 * opt-in on one; the admission policy in {@code k8s/admission/} checks that the requesting user may read the
 * Secret, and the blob host allow-list bounds where its value can go.
 */
public final class SecurityPolicy {

    /** Opt-in annotation on a ServiceAccount: a LinuxImage may run its Job as it (for workload identity). */
    public static final String ALLOW_USE_ANNOTATION = "linuximage.dev/allow-use";
    /** The ServiceAccount a workload-identity Job runs as when the spec names none. */
    static final String DEFAULT_SERVICE_ACCOUNT = "default";

    private final String defaultImage;
    private final List<String> allowedImages;
    private final BlobHostAllowList blobHosts;
    private final List<String> allowedServiceAccounts;

    public SecurityPolicy(
            String defaultImage,
            List<String> allowedImages,
            List<String> blobHosts,
            List<String> allowedServiceAccounts) {
        this.defaultImage = Objects.requireNonNull(defaultImage);
        this.allowedImages = List.copyOf(allowedImages);
        // a malformed entry stops the operator at start-up, naming the entry: better than refusing every upload
        this.blobHosts = BlobHostAllowList.of(blobHosts);
        this.allowedServiceAccounts = List.copyOf(allowedServiceAccounts);
    }

    /**
     * @param own the Jobs' default image; when it is the operator's own pinned by digest, the tag form the Pod spec
     *            names is allowed as well (it is the same image)
     */
    static SecurityPolicy of(OperatorConfig config, OwnImage own) {
        OperatorConfig.SecurityConfig s = config.security();
        List<String> allowed = new java.util.ArrayList<>(s.allowedJobImages().orElse(List.of()));
        if (!own.podImage().equals(own.reference())) {
            allowed.add(own.podImage());
        }
        return new SecurityPolicy(
                own.reference(),
                allowed,
                s.allowedBlobHosts(),
                s.allowedServiceAccounts().orElse(List.of()));
    }

    /** The image and blob host checks: no cluster state needed. */
    public Optional<Refusal> check(LinuxImageSpec spec) {
        String image = spec.getJob() == null ? null : spec.getJob().getImage();
        if (image != null && !imageAllowed(image)) {
            return Optional.of(new Refusal(
                    Reason.ImageNotAllowed,
                    "spec.job.image '" + image + "' is not allowed: "
                            + "only the operator's image (" + defaultImage
                            + ") and linuximage.security.allowed-job-images "
                            + allowedImages + " may run"));
        }
        if (uploads(spec)) {
            URI url = URI.create(spec.getUpload().getBlobUrl());
            if (!blobHosts.allows(url)) {
                return Optional.of(new Refusal(
                        Reason.BlobHostNotAllowed,
                        "spec.upload.blobUrl: host '"
                                + url.getHost() + (url.getPort() < 0 ? "" : ":" + url.getPort()) + "' is not in "
                                + "linuximage.security.allowed-blob-hosts " + blobHosts.entries()
                                + ": no credential is sent to it"));
            }
        }
        return Optional.empty();
    }

    boolean imageAllowed(String image) {
        if (image.equals(defaultImage)) {
            return true;
        }
        for (String a : allowedImages) {
            if (a.endsWith("*") ? image.startsWith(a.substring(0, a.length() - 1)) : image.equals(a)) {
                return true;
            }
        }
        return false;
    }

    /** The ServiceAccount the Job would run as with a credential (workload identity), or empty. */
    public static Optional<String> workloadServiceAccount(LinuxImageSpec spec) {
        if (!uploads(spec) || spec.getUpload().getCredentials() == null) {
            return Optional.empty();
        }
        WorkloadIdentitySpec wi = spec.getUpload().getCredentials().getWorkloadIdentity();
        if (wi == null) {
            return Optional.empty();
        }
        return Optional.of(wi.getServiceAccountName() == null ? DEFAULT_SERVICE_ACCOUNT : wi.getServiceAccountName());
    }

    /**
     * Whether the Job may run as {@code name} in {@code namespace}: listed in configuration, or the ServiceAccount
     * ({@code null} when absent) carries {@code linuximage.dev/allow-use: "true"}.
     */
    public Optional<Refusal> checkServiceAccount(String namespace, String name, ServiceAccount sa) {
        if (allowedServiceAccounts.contains(namespace + "/" + name)
                || allowedServiceAccounts.contains(namespace + "/*")) {
            return Optional.empty();
        }
        String field = "spec.upload.credentials.workloadIdentity.serviceAccountName";
        if (sa == null) {
            return Optional.of(new Refusal(
                    Reason.ServiceAccountNotAllowed,
                    field + ": ServiceAccount '" + name + "' not found in namespace " + namespace));
        }
        Map<String, String> ann = sa.getMetadata().getAnnotations();
        if (ann == null || !"true".equals(ann.get(ALLOW_USE_ANNOTATION))) {
            return Optional.of(new Refusal(
                    Reason.ServiceAccountNotAllowed,
                    field + ": ServiceAccount '" + name
                            + "' has not opted in: annotate it " + ALLOW_USE_ANNOTATION
                            + "=\"true\" (its federated Azure "
                            + "identity becomes usable by every LinuxImage of namespace " + namespace + ")"));
        }
        return Optional.empty();
    }

    /**
     * Two LinuxImages naming one blob: the oldest (creation time, then namespace/name) keeps it, the others are
     * refused. Deterministic, so every replica and every reconcile agrees.
     */
    public static Optional<Refusal> checkBlobConflict(LinuxImage image, Stream<LinuxImage> all) {
        if (!uploads(image.getSpec())) {
            return Optional.empty();
        }
        String key = blobKey(image.getSpec().getUpload().getBlobUrl());
        Optional<LinuxImage> older = all.filter(o -> !Objects.equals(
                        o.getMetadata().getUid(), image.getMetadata().getUid()))
                .filter(o -> o.getSpec() != null && uploads(o.getSpec()))
                .filter(o -> key.equals(blobKey(o.getSpec().getUpload().getBlobUrl())))
                .filter(o -> AGE.compare(o, image) < 0)
                .min(AGE);
        return older.map(o -> new Refusal(
                Reason.BlobConflict,
                "spec.upload.blobUrl: LinuxImage "
                        + o.getMetadata().getNamespace() + "/" + o.getMetadata().getName()
                        + " (older) uploads to the same blob; one blob has one writer"));
    }

    private static final Comparator<LinuxImage> AGE = Comparator.comparing((LinuxImage li) -> created(li))
            .thenComparing(li ->
                    li.getMetadata().getNamespace() + "/" + li.getMetadata().getName());

    private static Instant created(LinuxImage li) {
        String t = li.getMetadata().getCreationTimestamp();
        return t == null ? Instant.MAX : Instant.parse(t);
    }

    /** The blob's identity: scheme, host (lower case), effective port, path. */
    static String blobKey(String url) {
        URI u = URI.create(url);
        String scheme = u.getScheme().toLowerCase(Locale.ROOT);
        int port = u.getPort() >= 0 ? u.getPort() : scheme.equals("https") ? 443 : 80;
        String host = u.getHost().toLowerCase(Locale.ROOT);
        if (host.endsWith(".")) {
            host = host.substring(0, host.length() - 1);
        }
        return scheme + "://" + host + ":" + port + u.getPath();
    }

    private static boolean uploads(LinuxImageSpec spec) {
        return spec.getMode() != Mode.Audit
                && spec.getUpload() != null
                && spec.getUpload().getBlobUrl() != null;
    }
}
