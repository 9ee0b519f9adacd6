package dev.linuximage.core.upload;

import java.io.IOException;
import java.nio.file.Path;

/** Public entry points to read credentials from files (Secret volumes). */
public final class BlobCredentialFiles {
    private BlobCredentialFiles() {}

    /** A SAS token file: the token (with or without {@code ?}) or a whole SAS URL. */
    public static BlobCredentials sas(Path file) throws IOException {
        return BlobCredentials.sasFromFile(file);
    }

    /** A connection-string file. */
    public static BlobCredentials connectionString(Path file) throws IOException {
        return BlobCredentials.connectionStringFromFile(file);
    }
}
