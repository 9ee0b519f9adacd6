package dev.linuximage.operator.reconciler;

/** Why no Job is created for a generation: a warning reason and a message naming the field. */
record Refusal(Reason reason, String message) {}
