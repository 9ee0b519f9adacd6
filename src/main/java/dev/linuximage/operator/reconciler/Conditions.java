package dev.linuximage.operator.reconciler;

import dev.linuximage.operator.api.v1alpha1.Condition;
import dev.linuximage.operator.api.v1alpha1.ConditionType;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Builds a condition list the metav1 way: {@code lastTransitionTime} moves only when {@code status} flips. A False
 * condition gets a severity (Cluster API's rule: only on False): {@code Info} for a reason that is no failure,
 * otherwise {@link #failureSeverity} ({@code Error} once the generation is stalled, {@code Warning} while it is
 * retried or when a failure is tolerated).
 */
final class Conditions {

    private final List<Condition> previous;
    private final List<Condition> next = new ArrayList<>();
    private final long generation;
    private final String now;
    private String failureSeverity = Condition.WARNING;

    Conditions(List<Condition> previous, long generation, Instant now) {
        this.previous = previous == null ? List.of() : previous;
        this.generation = generation;
        this.now = now.truncatedTo(ChronoUnit.SECONDS).toString();
    }

    Conditions set(ConditionType type, String status, Reason reason, String message) {
        String since = previous.stream()
                .filter(c -> type.name().equals(c.getType()) && status.equals(c.getStatus()))
                .map(Condition::getLastTransitionTime)
                .findFirst()
                .orElse(now);
        String severity =
                !Condition.FALSE.equals(status) ? null : reason.isWarning() ? failureSeverity : Condition.INFO;
        next.removeIf(c -> type.name().equals(c.getType()));
        next.add(new Condition(type.name(), status, reason.name(), message, severity, generation, since));
        return this;
    }

    /**
     * kstatus' Reconciling=True: the operator is working on this generation ({@code reason} the step, e.g. Pending,
     * Running, or a refusal that is rechecked). Removes Stalled: the two are never True together (kstatus takes the
     * first it finds).
     */
    Conditions reconciling(Reason reason, String message) {
        remove(ConditionType.Stalled);
        failureSeverity = Condition.WARNING;
        return set(ConditionType.Reconciling, Condition.TRUE, reason, message);
    }

    /**
     * kstatus' Stalled=True: this generation failed and a retry cannot fix it. Removes Reconciling; failures set
     * after this call get severity Error. Call it before the other conditions.
     */
    Conditions stalled(Reason reason, String message) {
        remove(ConditionType.Reconciling);
        failureSeverity = Condition.ERROR;
        return set(ConditionType.Stalled, Condition.TRUE, reason, message);
    }

    /** Neither Reconciling nor Stalled (abnormal-true conditions are absent when normal): the work is done. */
    Conditions settled() {
        remove(ConditionType.Reconciling);
        remove(ConditionType.Stalled);
        failureSeverity = Condition.WARNING;
        return this;
    }

    Conditions remove(ConditionType type) {
        next.removeIf(c -> type.name().equals(c.getType()));
        return this;
    }

    /** Carries a condition over unchanged (its own generation and transition time). */
    Conditions keep(Condition c) {
        next.removeIf(x -> x.getType().equals(c.getType()));
        next.add(c);
        return this;
    }

    /** In {@link ConditionType} order, so the status is stable whatever order the conditions were set in. */
    List<Condition> build() {
        List<Condition> out = new ArrayList<>(next);
        out.sort(Comparator.comparing(c -> ConditionType.valueOf(c.getType()).ordinal()));
        return out;
    }
}
