package dev.linuximage.core.format;

/**
 * Header validation helpers, used in the fixed order magic, version, bounds, offset+length within the file,
 * alignment, checksum. Every failure is a {@link FormatException} naming format, field and value.
 */
public final class Check {
    private Check() {}

    public static void that(boolean ok, String format, String field, Object value, String message)
            throws FormatException {
        if (!ok) {
            throw new FormatException(format, field, value, message);
        }
    }

    /** {@code lo <= v <= hi}. */
    public static long range(String format, String field, long v, long lo, long hi) throws FormatException {
        if (v < lo || v > hi) {
            throw new FormatException(format, field, v, "out of range [" + lo + ", " + hi + "]");
        }
        return v;
    }

    /**
     * Overflow-safe check that {@code [offset, offset + length)} lies within a file of {@code fileSize} bytes.
     */
    public static void within(String format, String field, long offset, long length, long fileSize)
            throws FormatException {
        if (offset < 0 || length < 0 || offset > fileSize || length > fileSize - offset) {
            throw new FormatException(
                    format,
                    field,
                    offset,
                    "range of " + length + " bytes at offset " + offset + " is outside the file of " + fileSize
                            + " bytes");
        }
    }

    public static void aligned(String format, String field, long v, long alignment) throws FormatException {
        if (v % alignment != 0) {
            throw new FormatException(format, field, v, "not aligned to " + alignment + " bytes");
        }
    }

    /** {@code a * b}, refusing overflow as a format error. */
    public static long mul(String format, String field, long a, long b) throws FormatException {
        try {
            return Math.multiplyExact(a, b);
        } catch (ArithmeticException e) {
            throw new FormatException(format, field, a + "*" + b, "arithmetic overflow");
        }
    }

    public static long add(String format, String field, long a, long b) throws FormatException {
        try {
            return Math.addExact(a, b);
        } catch (ArithmeticException e) {
            throw new FormatException(format, field, a + "+" + b, "arithmetic overflow");
        }
    }

    /** Unsigned 32-bit value of {@code v}. */
    public static long u32(int v) {
        return v & 0xFFFFFFFFL;
    }
}
