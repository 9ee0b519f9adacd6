package dev.linuximage.core.partition;

import dev.linuximage.core.report.BadInputException;

/** A partition table that is malformed: the message names the table, the field and the value. */
public class PartitionTableException extends BadInputException {
    public PartitionTableException(String message) {
        super(Reason.CORRUPT_IMAGE, message);
    }
}
