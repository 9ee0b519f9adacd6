package dev.linuximage.core.fs;

import dev.linuximage.core.report.BadInputException;

/** A file-system feature or state we refuse to write (or read), named so the user knows what blocked us. */
public class UnsupportedFsFeatureException extends BadInputException {
    public UnsupportedFsFeatureException(String fsType, String feature) {
        super(Reason.UNSUPPORTED_IMAGE, fsType + ": unsupported " + feature);
    }
}
