package dev.linuximage.operator.job;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** Deterministic names and label values. */
public final class JobNames {

    /**
     * Job names stay within 52 characters: the Job controller puts the name in a label (at most 63) and derives pod
     * names ({@code <job>-<5 random>}) that must stay valid host names (63).
     */
    static final int MAX_JOB_NAME = 52;

    static final int MAX_LABEL_VALUE = 63;

    private JobNames() {}

    /** {@code <name>-g<generation>}; a long name is cut and a hash of the full name keeps it unique. */
    public static String forGeneration(String name, long generation) {
        return fit(name, "-g" + generation, MAX_JOB_NAME);
    }

    /**
     * The Job of a generation run again for a {@code linuximage.dev/rerun} value: {@code <name>-g<generation>-r<hash>}
     * (8 hex digits of the value's SHA-256: any annotation value gives a valid, fixed-length name); null or empty
     * value: {@link #forGeneration}.
     */
    public static String forRun(String name, long generation, String rerun) {
        if (rerun == null || rerun.isEmpty()) {
            return forGeneration(name, generation);
        }
        return fit(name, "-g" + generation + "-r" + sha256Hex(rerun).substring(0, 8), MAX_JOB_NAME);
    }

    /** The result ConfigMap of a run: {@code <job name>-result} (at most 59 characters). */
    public static String resultConfigMap(String jobName) {
        return jobName + "-result";
    }

    /** A label value for a resource name (names may be up to 253 characters, label values 63). */
    public static String labelValue(String name) {
        return fit(name, "", MAX_LABEL_VALUE);
    }

    static String fit(String name, String suffix, int max) {
        if (name.length() + suffix.length() <= max) {
            return name + suffix;
        }
        String hash = sha256Hex(name).substring(0, 8);
        String head = name.substring(0, max - suffix.length() - hash.length() - 1);
        while (!head.isEmpty() && !Character.isLetterOrDigit(head.charAt(head.length() - 1))) {
            head = head.substring(0, head.length() - 1);
        }
        return head + "-" + hash + suffix;
    }

    static String sha256Hex(String s) {
        try {
            return HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is always available", e);
        }
    }
}
