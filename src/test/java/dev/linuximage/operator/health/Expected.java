package dev.linuximage.operator.health;

import java.util.Map;

/**
 * What each recorded phase must read as in each tool, written from the tools' documentation (not from the code):
 * kstatus (cli-utils pkg/kstatus README "Statuses"/"Conditions"), Argo CD (operator-manual/health: Healthy,
 * Progressing, Degraded), Flux (kustomize-controller healthCheckExprs: inProgress, failed, current).
 *
 * <p>kstatus: a running or pending Job is work in progress, a success is Current, a refusal the operator rechecks
 * may still become Current (InProgress), a failure no retry can fix is Failed, an unobserved generation is InProgress.
 * Argo CD has no "failed but retried": a phase Failed is Degraded either way (the user has to act), the message says
 * whether the operator looks again.
 */
final class Expected {

    private Expected() {}

    record Row(String kstatus, String argo, String flux) {}

    static final Map<String, Row> BY_FIXTURE = Map.of(
            "pending", new Row("InProgress", "Progressing", "InProgress"),
            "pending-image-pull", new Row("InProgress", "Progressing", "InProgress"),
            "running", new Row("InProgress", "Progressing", "InProgress"),
            "succeeded", new Row("Current", "Healthy", "Current"),
            "failed-retriable", new Row("InProgress", "Degraded", "InProgress"),
            "failed-stalled", new Row("Failed", "Degraded", "Failed"),
            "generation-changed", new Row("InProgress", "Progressing", "InProgress"));
}
