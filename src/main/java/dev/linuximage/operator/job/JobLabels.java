package dev.linuximage.operator.job;

/** Labels and annotation keys the operator puts on its Jobs and their pods. */
public final class JobLabels {
    public static final String NAME = "app.kubernetes.io/name";
    public static final String INSTANCE = "app.kubernetes.io/instance";
    public static final String COMPONENT = "app.kubernetes.io/component";
    public static final String MANAGED_BY = "app.kubernetes.io/managed-by";
    public static final String PART_OF = "app.kubernetes.io/part-of";
    /** The owning LinuxImage's name (hashed when longer than 63). */
    public static final String LINUXIMAGE = "linuximage.dev/name";
    /** The LinuxImage's metadata.generation the Job works for. */
    public static final String GENERATION = "linuximage.dev/generation";
    /** Azure workload identity webhook opt-in. */
    public static final String AZURE_WORKLOAD_IDENTITY = "azure.workload.identity/use";

    public static final String APP = "linuximage";
    public static final String OPERATOR = "linuximage-operator";
    /** Selector of every Job this operator manages. */
    public static final String MANAGED_SELECTOR = MANAGED_BY + "=" + OPERATOR;

    private JobLabels() {}
}
