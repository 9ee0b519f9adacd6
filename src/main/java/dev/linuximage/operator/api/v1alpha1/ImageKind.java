package dev.linuximage.operator.api.v1alpha1;

/** Azure's image kinds: a generalized image is deprovisioned (no users, host keys, machine-id). */
public enum ImageKind {
    Generalized,
    Specialized
}
