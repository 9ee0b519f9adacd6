package dev.linuximage.operator.api.v1alpha1;

/** Coarse life-cycle of the current generation's work. */
public enum Phase {
    Pending,
    Running,
    Succeeded,
    Failed;

    public boolean isTerminal() {
        return this == Succeeded || this == Failed;
    }
}
