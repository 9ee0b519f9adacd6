package dev.linuximage.core.guest;

/** Who provisions a VM created from the image: cloud-init, the Azure Linux Agent, or nobody (agent-less unit). */
public enum Provisioning {
    CloudInit,
    WALinuxAgent,
    None
}
