package dev.linuximage.core.fs;

import dev.linuximage.core.report.BadInputException;

/** A guest path that cannot be resolved safely: a symlink loop, an over-long chain, a non-directory in the middle. */
public class GuestPathException extends BadInputException {
    public GuestPathException(String path, String problem) {
        super(Reason.UNSUPPORTED_IMAGE, "guest path " + path + ": " + problem);
    }

    /**
     * @param cause the error that hid the path, e.g. the root file system's corruption found while probing; when it
     *              is corruption, so is this error (the guest is not missing, it is damaged)
     */
    public GuestPathException(String path, String problem, Throwable cause) {
        super(reasonOf(cause), "guest path " + path + ": " + problem, cause);
    }

    private static Reason reasonOf(Throwable cause) {
        BadInputException b = BadInputException.in(cause);
        return b != null && b.reason() == Reason.CORRUPT_IMAGE ? Reason.CORRUPT_IMAGE : Reason.UNSUPPORTED_IMAGE;
    }
}
