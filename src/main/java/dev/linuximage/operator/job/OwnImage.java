package dev.linuximage.operator.job;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The image the Jobs run by default: the operator's own (one executable, two modes), read from the operator's Pod
 * (issue 16.3). So an image overlay ({@code images:} in a kustomization) or a registry mirror changes the operator
 * and its Jobs together: the Deployment is the one place that names the image.
 *
 * <p>The Pod is found by the downward-API variables {@code POD_NAME} and {@code POD_NAMESPACE} of the Deployment.
 * Its container is the only one, or the one named {@value #CONTAINER} (a sidecar may have been injected). The
 * reference is the container's {@code image}, pinned to the digest the kubelet reports in
 * {@code status.containerStatuses[].imageID} when that is a registry digest ({@code repo@sha256:<64 hex>}; a bare
 * {@code sha256:} image ID is a local config digest, not a pullable reference, and is ignored): the Jobs then run
 * exactly the bytes the operator runs, even if the tag moves.
 *
 * @param reference    what the Jobs pull: {@code repository@sha256:...} when the digest is known, else {@link #podImage}
 * @param podImage     the container's image as the Pod spec names it
 */
public record OwnImage(String reference, String podImage) {

    public static final String CONTAINER = "operator";
    public static final String POD_NAME = "POD_NAME";
    public static final String POD_NAMESPACE = "POD_NAMESPACE";

    private static final Pattern REPO_DIGEST = Pattern.compile("(?:[a-z-]+://)?[^@\\s]+@(sha256:[0-9a-f]{64})");

    /** Reads the operator's Pod named by {@code env}; a typed error names what is missing. */
    public static OwnImage of(KubernetesClient client, Map<String, String> env) {
        String name = env.get(POD_NAME);
        String namespace = env.get(POD_NAMESPACE);
        if (name == null || name.isBlank() || namespace == null || namespace.isBlank()) {
            throw new IllegalStateException("linuximage.job.image is not set and " + POD_NAME + "/" + POD_NAMESPACE
                    + " are not (the Deployment sets them from the downward API): the Jobs' image is unknown");
        }
        Pod pod;
        try {
            pod = client.pods().inNamespace(namespace).withName(name).get();
        } catch (KubernetesClientException e) {
            throw new IllegalStateException(
                    "cannot read the operator's own Pod " + namespace + "/" + name
                            + " for the Jobs' image (RBAC: get pods in " + namespace
                            + "); or set linuximage.job.image: "
                            + e.getMessage(),
                    e);
        }
        if (pod == null) {
            throw new IllegalStateException("the operator's own Pod " + namespace + "/" + name + " does not exist");
        }
        return of(pod);
    }

    /** The image of the operator's container in {@code pod}, by digest when the kubelet reported one. */
    public static OwnImage of(Pod pod) {
        List<Container> containers = pod.getSpec().getContainers();
        Container c = containers.size() == 1
                ? containers.get(0)
                : containers.stream()
                        .filter(x -> CONTAINER.equals(x.getName()))
                        .findFirst()
                        .orElseThrow(() -> new IllegalStateException(
                                "pod " + pod.getMetadata().getName() + " has " + containers.size()
                                        + " containers and none is named '" + CONTAINER + "'"));
        String image = c.getImage();
        if (image == null || image.isBlank()) {
            throw new IllegalStateException(
                    "container " + c.getName() + " of pod " + pod.getMetadata().getName() + " names no image");
        }
        if (image.contains("@")) {
            return new OwnImage(image, image); // already pinned
        }
        Optional<String> digest = pod.getStatus() == null || pod.getStatus().getContainerStatuses() == null
                ? Optional.empty()
                : pod.getStatus().getContainerStatuses().stream()
                        .filter(s -> c.getName().equals(s.getName()))
                        .map(ContainerStatus::getImageID)
                        .filter(id -> id != null)
                        .map(REPO_DIGEST::matcher)
                        .filter(Matcher::matches)
                        .map(m -> m.group(1))
                        .findFirst();
        return new OwnImage(digest.map(d -> repository(image) + "@" + d).orElse(image), image);
    }

    /** The reference without its tag: a ':' after the last '/' starts the tag (before it, it is a registry port). */
    static String repository(String image) {
        int slash = image.lastIndexOf('/');
        int colon = image.lastIndexOf(':');
        return colon > slash ? image.substring(0, colon) : image;
    }
}
