package dev.linuximage.core.guestfs;

import java.io.IOException;

/** A mutator was called on a guest opened read-only (audit mode). */
public class ReadOnlyGuestException extends IOException {
    public ReadOnlyGuestException(String path) {
        super("guest opened read-only: refusing to modify " + path);
    }
}
