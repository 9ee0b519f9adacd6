package dev.linuximage.operator.reconciler;

import dev.linuximage.operator.api.v1alpha1.LinuxImage;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Clock;
import java.time.temporal.ChronoUnit;
import org.jboss.logging.Logger;

/** Records core/v1 Events on a LinuxImage. Best effort: an event that cannot be written never fails a reconcile. */
public class EventRecorder {

    static final String COMPONENT = "linuximage-operator";
    private static final Logger LOG = Logger.getLogger(EventRecorder.class);

    private final KubernetesClient client;
    private final Clock clock;

    public EventRecorder(KubernetesClient client, Clock clock) {
        this.client = client;
        this.clock = clock;
    }

    public void record(LinuxImage image, Reason reason, String message) {
        String now = clock.instant().truncatedTo(ChronoUnit.SECONDS).toString();
        Event event = new EventBuilder()
                .withNewMetadata()
                .withNamespace(image.getMetadata().getNamespace())
                .withName(image.getMetadata().getName() + "." + Long.toHexString(clock.millis())
                        + Integer.toHexString(reason.ordinal()))
                .endMetadata()
                .withInvolvedObject(new ObjectReferenceBuilder()
                        .withApiVersion(image.getApiVersion())
                        .withKind(image.getKind())
                        .withNamespace(image.getMetadata().getNamespace())
                        .withName(image.getMetadata().getName())
                        .withUid(image.getMetadata().getUid())
                        .build())
                .withType(reason.eventType())
                .withReason(reason.name())
                .withMessage(message == null || message.length() <= 1024 ? message : message.substring(0, 1024))
                .withFirstTimestamp(now)
                .withLastTimestamp(now)
                .withCount(1)
                .withNewSource()
                .withComponent(COMPONENT)
                .endSource()
                .withReportingComponent(COMPONENT)
                .build();
        try {
            client.v1()
                    .events()
                    .inNamespace(image.getMetadata().getNamespace())
                    .resource(event)
                    .create();
        } catch (KubernetesClientException e) {
            LOG.warnf(
                    "could not record event %s on %s/%s: %s",
                    reason,
                    image.getMetadata().getNamespace(),
                    image.getMetadata().getName(),
                    e.getMessage());
        }
    }
}
