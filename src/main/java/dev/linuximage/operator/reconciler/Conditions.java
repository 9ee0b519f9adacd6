package dev.linuximage.operator.reconciler;

import dev.linuximage.operator.api.v1alpha1.Condition;
import dev.linuximage.operator.api.v1alpha1.ConditionType;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** Builds a condition list the metav1 way: {@code lastTransitionTime} moves only when {@code status} flips. */
final class Conditions {

    private final List<Condition> previous;
    private final List<Condition> next = new ArrayList<>();
    private final long generation;
    private final String now;

    Conditions(List<Condition> previous, long generation, Instant now) {
        this.previous = previous == null ? List.of() : previous;
        this.generation = generation;
        this.now = now.truncatedTo(ChronoUnit.SECONDS).toString();
    }

    Conditions set(ConditionType type, String status, Reason reason, String message) {
        String since = previous.stream()
                .filter(c -> type.name().equals(c.getType()) && status.equals(c.getStatus()))
                .map(Condition::getLastTransitionTime)
                .findFirst().orElse(now);
        next.removeIf(c -> type.name().equals(c.getType()));
        next.add(new Condition(type.name(), status, reason.name(), message, generation, since));
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
