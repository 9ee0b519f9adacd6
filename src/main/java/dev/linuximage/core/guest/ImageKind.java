package dev.linuximage.core.guest;

/** Azure image kinds ("Bringing and creating Linux images in Azure"): generalized images are deprovisioned. */
public enum ImageKind {
    Generalized,
    Specialized
}
