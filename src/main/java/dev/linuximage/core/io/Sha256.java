package dev.linuximage.core.io;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256 helpers: every Java runtime must provide SHA-256 (JCA standard names), so its absence is a bug, not input. */
public final class Sha256 {
    private Sha256() {}

    public static MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java runtime", e);
        }
    }

    /** Lower-case hex of the SHA-256 of {@code b}. */
    public static String hex(byte[] b) {
        return HexFormat.of().formatHex(newDigest().digest(b));
    }

    /** Lower-case hex of {@code md}'s digest (which resets it). */
    public static String hex(MessageDigest md) {
        return HexFormat.of().formatHex(md.digest());
    }
}
