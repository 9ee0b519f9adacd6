package dev.linuximage.operator.reconciler;

import dev.linuximage.operator.api.v1alpha1.CredentialsSpec;
import dev.linuximage.operator.api.v1alpha1.LinuxImageSpec;
import dev.linuximage.operator.api.v1alpha1.Mode;
import dev.linuximage.operator.api.v1alpha1.Patterns;
import dev.linuximage.operator.api.v1alpha1.UploadSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The CRD's validation again, in Java. The API server normally refuses a bad spec, but not every API server runs
 * the CEL rules (older clusters, the test server), and a Job built from a bad spec must never start. Pure.
 */
public final class SpecValidator {

    private static final Pattern DNS_LABEL = Pattern.compile(Patterns.DNS_LABEL);
    private static final Pattern RELATIVE_PATH = Pattern.compile(Patterns.RELATIVE_PATH);
    private static final Pattern DOT_DOT = Pattern.compile(Patterns.DOT_DOT_SEGMENT);
    private static final Pattern BLOB_URL = Pattern.compile(Patterns.BLOB_URL);
    private static final Pattern UUID = Pattern.compile(Patterns.UUID);
    private static final Pattern TOKEN = Pattern.compile("^[^\\s\"']{1,256}$");
    private static final Pattern USER = Pattern.compile("^[a-z_][a-z0-9_-]{0,31}$");
    private static final Pattern REQUIREMENT_ID = Pattern.compile("^[A-Z][A-Z0-9]*(-[A-Z0-9]+){1,5}$");

    private SpecValidator() {}

    /** Every violation, as {@code field: problem}; empty when the spec is valid. */
    public static List<String> validate(LinuxImageSpec spec) {
        List<String> v = new ArrayList<>();
        if (spec == null) {
            v.add("spec: required");
            return v;
        }
        if (spec.getSource() == null) {
            v.add("spec.source: required");
        } else {
            claim(v, "spec.source.claimName", spec.getSource().getClaimName(), true);
            // optional here: a Block-mode claim has no path; volumeModes() requires it for a Filesystem claim
            path(v, "spec.source.path", spec.getSource().getPath(), false);
        }
        if (spec.getMode() == Mode.Audit && (spec.getUpload() != null || spec.getOutput() != null)) {
            v.add("spec: Audit mode is read-only: upload and output are not allowed");
        }
        if (spec.getOutput() != null) {
            claim(v, "spec.output.claimName", spec.getOutput().getClaimName(), false);
            path(v, "spec.output.path", spec.getOutput().getPath(), false);
            if (Boolean.TRUE.equals(spec.getOutput().getStreamToUpload()) && spec.getUpload() == null) {
                v.add("spec.output.streamToUpload: requires spec.upload");
            }
        }
        if (spec.getUpload() != null) {
            upload(v, spec.getUpload());
        }
        if (spec.getJob() != null) {
            job(v, spec.getJob());
        }
        if (spec.getGuest() != null) {
            Integer swap = spec.getGuest().getResourceDiskSwapMiB();
            if (swap != null && (swap < 0 || swap > 1048576)) {
                v.add("spec.guest.resourceDiskSwapMiB: must be 0..1048576, got " + swap);
            }
            if (spec.getGuest().getKernelArgs() != null) {
                tokens(
                        v,
                        "spec.guest.kernelArgs.add",
                        spec.getGuest().getKernelArgs().getAdd(),
                        TOKEN);
                kernelArgConflicts(v, spec.getGuest().getKernelArgs().getAdd());
                tokens(
                        v,
                        "spec.guest.kernelArgs.remove",
                        spec.getGuest().getKernelArgs().getRemove(),
                        TOKEN);
            }
            if (spec.getGuest().getDeprovision() != null) {
                tokens(
                        v,
                        "spec.guest.deprovision.removeUsers",
                        spec.getGuest().getDeprovision().getRemoveUsers(),
                        USER);
            }
            // same rule as the CRD's: requirement IDs such as BOOT-GENERATION (the core checks the catalogue)
            tokens(v, "spec.guest.allowUnknown", spec.getGuest().getAllowUnknown(), REQUIREMENT_ID);
        }
        return v;
    }

    /**
     * The rules that depend on the claims' {@code volumeMode} (read from the PersistentVolumeClaims): a Block claim
     * is a whole disk attached as a device, so a Block source has no path and its VHD goes to a separate claim; a
     * Block output claim receives the VHD on its device (no path, and no report file: no file system to hold it;
     * the result ConfigMap and the pod's log carry the report), and a streamed upload, which writes no VHD, has no
     * use for it.
     *
     * @param sourceBlock whether the source claim has {@code volumeMode: Block}
     * @param outputBlock whether a separate output claim has {@code volumeMode: Block}
     */
    public static List<String> volumeModes(LinuxImageSpec spec, boolean sourceBlock, boolean outputBlock) {
        List<String> v = new ArrayList<>();
        String claim = spec.getSource().getClaimName();
        if (!sourceBlock && spec.getSource().getPath() == null) {
            v.add("spec.source.path: required (claim '" + claim + "' is a Filesystem volume)");
        }
        if (sourceBlock && spec.getSource().getPath() != null) {
            v.add("spec.source.path: must be unset: claim '" + claim + "' is a Block volume, the disk is the whole "
                    + "device");
        }
        var out = spec.getOutput();
        if (sourceBlock && spec.getMode() != Mode.Audit) {
            if (out == null || out.getClaimName() == null || out.getClaimName().equals(claim)) {
                v.add("spec.output.claimName: required and another claim when the source claim '" + claim
                        + "' is a Block volume (the device is read, the VHD is written elsewhere)");
            } else if (!outputBlock && out.getPath() == null) {
                v.add("spec.output.path: required when the source claim '" + claim + "' is a Block volume and the"
                        + " output claim '" + out.getClaimName() + "' a Filesystem one (there is no source path to"
                        + " name the VHD after)");
            }
        }
        if (outputBlock && out != null) {
            if (out.getPath() != null) {
                v.add("spec.output.path: must be unset: claim '" + out.getClaimName() + "' is a Block volume, the"
                        + " VHD is written onto the whole device");
            }
            if (Boolean.TRUE.equals(out.getStreamToUpload())) {
                v.add("spec.output.streamToUpload: writes no VHD, so the Block output claim '" + out.getClaimName()
                        + "' would be unused: drop one of them");
            }
        }
        return v;
    }

    private static final Pattern QUALIFIED_NAME =
            Pattern.compile("^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
                    + "[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$");
    private static final Pattern LABEL_VALUE = Pattern.compile("^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$");
    /**
     * Key domains a LinuxImage may not put on its pod: Kubernetes' and OpenShift's own (security and scheduling
     * annotations such as AppArmor profiles or {@code openshift.io/required-scc}), the operator's labels, and the
     * workload identity webhook's (its opt-in label and token settings are the operator's to set).
     */
    static final List<String> RESERVED_DOMAINS =
            List.of("kubernetes.io", "k8s.io", "openshift.io", "linuximage.dev", "azure.workload.identity");
    /** Reserved-domain keys that change nothing a pod author could not: the autoscaler may not evict a long Job. */
    static final List<String> ALLOWED_RESERVED_KEYS = List.of("cluster-autoscaler.kubernetes.io/safe-to-evict");

    private static final int MAX_ANNOTATION_BYTES = 64 * 1024;

    private static void job(List<String> v, dev.linuximage.operator.api.v1alpha1.JobSettings job) {
        String pc = job.getPriorityClassName();
        if (pc != null
                && (pc.startsWith("system-") || !QUALIFIED_NAME.matcher(pc).matches() || pc.contains("/"))) {
            v.add("spec.job.priorityClassName: '" + pc + "' is not allowed (system-* classes preempt cluster "
                    + "components; not a valid name otherwise)");
        }
        metadata(v, "spec.job.podLabels", job.getPodLabels(), true);
        metadata(v, "spec.job.podAnnotations", job.getPodAnnotations(), false);
    }

    private static void metadata(List<String> v, String field, java.util.Map<String, String> m, boolean labels) {
        if (m == null) {
            return;
        }
        long bytes = 0;
        for (var e : m.entrySet()) {
            String k = e.getKey();
            String value = e.getValue() == null ? "" : e.getValue();
            bytes += k.length() + value.length();
            if (!QUALIFIED_NAME.matcher(k).matches() || k.length() > 316) {
                v.add(field + ": '" + k + "' is not a valid key");
            } else if (reserved(k)) {
                v.add(field + ": key '" + k + "' is reserved (" + String.join(", ", RESERVED_DOMAINS) + ")");
            }
            if (labels && !LABEL_VALUE.matcher(value).matches()) {
                v.add(field + ": value of '" + k + "' is not a valid label value");
            }
        }
        if (!labels && bytes > MAX_ANNOTATION_BYTES) {
            v.add(field + ": " + bytes + " bytes, more than " + MAX_ANNOTATION_BYTES);
        }
    }

    /** Whether a label or annotation key belongs to a reserved domain (the domain itself or a subdomain of it). */
    static boolean reserved(String key) {
        int slash = key.indexOf('/');
        if (slash < 0 || ALLOWED_RESERVED_KEYS.contains(key)) {
            return false;
        }
        String domain = key.substring(0, slash).toLowerCase(java.util.Locale.ROOT);
        return RESERVED_DOMAINS.stream().anyMatch(d -> domain.equals(d) || domain.endsWith("." + d));
    }

    private static void upload(List<String> v, UploadSpec u) {
        if (u.getBlobUrl() == null) {
            v.add("spec.upload.blobUrl: required");
        } else if (u.getBlobUrl().contains("?")) {
            v.add("spec.upload.blobUrl: must not carry a query string (put a SAS token in a Secret)");
        } else if (!BLOB_URL.matcher(u.getBlobUrl()).matches()) {
            v.add("spec.upload.blobUrl: must be https://<host>/<container>/<blob>");
        }
        CredentialsSpec c = u.getCredentials();
        if (c == null || (c.getSecretRef() == null) == (c.getWorkloadIdentity() == null)) {
            v.add("spec.upload.credentials: exactly one of secretRef or workloadIdentity must be set");
            return;
        }
        if (c.getSecretRef() != null
                && (c.getSecretRef().getName() == null
                        || c.getSecretRef().getName().isBlank())) {
            v.add("spec.upload.credentials.secretRef.name: required");
        }
        if (c.getWorkloadIdentity() != null) {
            String id = c.getWorkloadIdentity().getClientId();
            if (id == null || !UUID.matcher(id).matches()) {
                v.add("spec.upload.credentials.workloadIdentity.clientId: must be a UUID");
            }
            String sa = c.getWorkloadIdentity().getServiceAccountName();
            if (sa != null && !DNS_LABEL.matcher(sa).matches()) {
                v.add("spec.upload.credentials.workloadIdentity.serviceAccountName: not a valid name");
            }
        }
    }

    private static void claim(List<String> v, String field, String value, boolean required) {
        if (value == null) {
            if (required) {
                v.add(field + ": required");
            }
        } else if (!DNS_LABEL.matcher(value).matches()) {
            v.add(field + ": '" + value + "' is not a valid claim name");
        }
    }

    private static void path(List<String> v, String field, String value, boolean required) {
        if (value == null) {
            if (required) {
                v.add(field + ": required");
            }
        } else if (!RELATIVE_PATH.matcher(value).matches()) {
            v.add(field + ": must be a relative path");
        } else if (DOT_DOT.matcher(value).find()) {
            v.add(field + ": must not contain '..' segments");
        }
    }

    /**
     * The core's required single-valued kernel arguments (core.guest.CmdlinePolicy.USER_MAY_NOT_CONTRADICT; a test
     * keeps the two lists equal). Copied, not imported: the operator uses only the core's contract packages.
     */
    static final List<String> REQUIRED_KERNEL_ARGS = List.of("earlyprintk=ttyS0", "net.ifnames=0", "numa=off");

    /**
     * The core's rule (CMDLINE-CONSOLE, KERNEL-NUMA): an added argument may not give a required argument's key another
     * value, and two added arguments may not give one key two values ({@code console} may appear several times): the
     * edit would never settle, and the Job would exit 2.
     */
    private static void kernelArgConflicts(List<String> v, List<String> add) {
        if (add == null) {
            return;
        }
        java.util.Map<String, String> seen = new java.util.HashMap<>();
        for (String a : add) {
            if (a == null) {
                continue;
            }
            String k = key(a);
            for (String q : REQUIRED_KERNEL_ARGS) {
                if (key(q).equals(k) && !q.equals(a)) {
                    v.add("spec.guest.kernelArgs.add: '" + a + "' contradicts the required " + q);
                }
            }
            String before = seen.putIfAbsent(k, a);
            if (before != null && !before.equals(a) && !k.equals("console")) {
                v.add("spec.guest.kernelArgs.add: '" + before + "' and '" + a + "' give " + k + " two values");
            }
        }
    }

    private static String key(String arg) {
        int i = arg.indexOf('=');
        return i < 0 ? arg : arg.substring(0, i);
    }

    private static void tokens(List<String> v, String field, List<String> values, Pattern p) {
        if (values == null) {
            return;
        }
        for (String s : values) {
            if (s == null || !p.matcher(s).matches()) {
                v.add(field + ": invalid entry '" + s + "'");
            }
        }
    }
}
