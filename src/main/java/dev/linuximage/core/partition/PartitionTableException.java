package dev.linuximage.core.partition;

import java.io.IOException;

/** A partition table that is malformed: the message names the table, the field and the value. */
public class PartitionTableException extends IOException {
    public PartitionTableException(String message) {
        super(message);
    }
}
