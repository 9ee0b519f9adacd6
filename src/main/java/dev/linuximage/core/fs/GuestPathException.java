package dev.linuximage.core.fs;

import java.io.IOException;

/** A guest path that cannot be resolved safely: a symlink loop, an over-long chain, a non-directory in the middle. */
public class GuestPathException extends IOException {
    public GuestPathException(String path, String problem) {
        super("guest path " + path + ": " + problem);
    }
}
