package dev.linuximage.core.fs.ext4;

import dev.linuximage.core.report.BadInputException;

/** The file system has no room (blocks or inodes) for the requested change; nothing was written. */
public class Ext4NoSpaceException extends BadInputException {
    public Ext4NoSpaceException(String message) {
        super(Reason.UNSUPPORTED_IMAGE, "ext4: no space: " + message);
    }
}
