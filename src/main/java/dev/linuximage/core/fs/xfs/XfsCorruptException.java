package dev.linuximage.core.fs.xfs;

import dev.linuximage.core.report.BadInputException;

/**
 * An XFS structure that fails validation (bad magic, CRC32C, owner, a field out of range, counters that disagree);
 * the message starts with {@code xfs:} and names the structure, the on-disk field and the value.
 */
public class XfsCorruptException extends BadInputException {
    public XfsCorruptException(String message) {
        super(Reason.CORRUPT_IMAGE, message);
    }
}
