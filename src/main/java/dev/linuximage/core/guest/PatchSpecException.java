package dev.linuximage.core.guest;

/** A LinuxImage manifest (or option) that cannot be used; names the offending field and value. */
public class PatchSpecException extends IllegalArgumentException {
    private final String field;

    public PatchSpecException(String field, String problem) {
        super(field + ": " + problem);
        this.field = field;
    }

    /** The dotted path of the bad field, e.g. {@code spec.guest.imageKind}. */
    public String field() {
        return field;
    }
}
