package dev.linuximage.core.fs;

import java.io.IOException;

/** A file-system feature or state we refuse to write (or read), named so the user knows what blocked us. */
public class UnsupportedFsFeatureException extends IOException {
    public UnsupportedFsFeatureException(String fsType, String feature) {
        super(fsType + ": unsupported " + feature);
    }
}
