package dev.linuximage.core.fs.ext4;

import java.io.IOException;

/** An ext2/3/4 structure that fails validation; the message names the structure, field and value. */
public class Ext4CorruptException extends IOException {
    public Ext4CorruptException(String message) {
        super("ext4: " + message);
    }
}
