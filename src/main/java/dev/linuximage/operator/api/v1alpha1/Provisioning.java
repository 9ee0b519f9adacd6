package dev.linuximage.operator.api.v1alpha1;

/** Which provisioning agent the guest uses in Azure; None means an agent-less report-ready unit. */
public enum Provisioning {
    CloudInit,
    WALinuxAgent,
    None
}
