package dev.linuximage.core.fs.ext4;

import java.io.IOException;

/** The file system has no room (blocks or inodes) for the requested change; nothing was written. */
public class Ext4NoSpaceException extends IOException {
    public Ext4NoSpaceException(String message) {
        super("ext4: no space: " + message);
    }
}
