package dev.linuximage.operator.api.v1alpha1;

/** What the Secret's key holds. */
public enum CredentialType {
    /** A SAS token (the query string, with or without the leading '?'). Default key: {@code sas}. */
    Sas,
    /** A storage account connection string. Default key: {@code connectionString}. */
    ConnectionString;

    /** The Secret key read when {@code secretRef.key} is not set. */
    public String defaultKey() {
        return this == Sas ? "sas" : "connectionString";
    }
}
