package dev.linuximage.operator.api.v1alpha1;

/**
 * Validation patterns shared by the CRD schema and the operator's own spec check. The CRD patterns are RE2 (the API
 * server's regex engine: no look-around), so the '..' rule is a CEL rule.
 */
public final class Patterns {
    /** RFC 1123 label: what a PVC, Secret or ServiceAccount name may be (we do not accept dots). */
    public static final String DNS_LABEL = "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$";
    /** Relative path: not empty, no leading '/', no NUL or newline. */
    public static final String RELATIVE_PATH = "^[^/\\x00\\n][^\\x00\\n]{0,1023}$";
    /** CEL: no '..' path segment. */
    public static final String NO_DOT_DOT_CEL = "!self.matches('(^|/)\\\\.\\\\.(/|$)')";
    /** Java equivalent of {@link #NO_DOT_DOT_CEL}. */
    public static final String DOT_DOT_SEGMENT = "(^|/)\\.\\.(/|$)";
    /**
     * Blob URL without query string or fragment (a SAS token never belongs in the spec). https only, except plain
     * http to the loopback address for a local storage emulator.
     */
    public static final String BLOB_URL =
            "^(https://[A-Za-z0-9.-]+(:[0-9]+)?|http://(127\\.0\\.0\\.1|localhost)(:[0-9]+)?)/[^?#\\s]+$";
    /** An Azure AD client (application) or tenant ID. */
    public static final String UUID = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$";

    private Patterns() {}
}
