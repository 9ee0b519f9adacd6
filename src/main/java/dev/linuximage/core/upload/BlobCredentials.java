package dev.linuximage.core.upload;

import com.azure.core.credential.TokenCredential;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * How the uploader authenticates to Azure Storage. Secrets come from files (Kubernetes Secret volumes), never from
 * the command line. {@link #toString()} never prints a secret.
 */
public sealed interface BlobCredentials {

    /** Literal secrets to scrub from every message (see {@link Secrets}). */
    List<String> secrets();

    /** A SAS token (query string of a SAS URL, with or without the leading {@code ?}). */
    record SasToken(String token) implements BlobCredentials {
        public SasToken {
            token = token.strip();
            if (token.startsWith("?")) {
                token = token.substring(1);
            }
            if (token.isEmpty()) {
                throw new IllegalArgumentException("empty SAS token");
            }
        }

        @Override
        public List<String> secrets() {
            return List.of(token);
        }

        @Override
        public String toString() {
            return "SasToken[REDACTED]";
        }
    }

    /** A storage connection string with {@code AccountName} + {@code AccountKey}, or with {@code SharedAccessSignature}. */
    record ConnectionString(String value) implements BlobCredentials {
        public ConnectionString {
            value = value.strip();
            if (value.isEmpty()) {
                throw new IllegalArgumentException("empty connection string");
            }
        }

        /** The value of one {@code key=value} field of the connection string, or {@code null}. */
        public String field(String key) {
            for (String part : value.split(";")) {
                int eq = part.indexOf('=');
                if (eq > 0 && part.substring(0, eq).strip().equalsIgnoreCase(key)) {
                    return part.substring(eq + 1).strip();
                }
            }
            return null;
        }

        @Override
        public List<String> secrets() {
            String key = field("AccountKey");
            String sas = field("SharedAccessSignature");
            return java.util.stream.Stream.of(value, key, sas)
                    .filter(s -> s != null && !s.isEmpty())
                    .toList();
        }

        @Override
        public String toString() {
            return "ConnectionString[REDACTED]";
        }
    }

    /**
     * Entra workload identity: a federated service-account token exchanged for an access token. No secret. Null
     * fields fall back to the standard environment ({@code AZURE_CLIENT_ID}, {@code AZURE_TENANT_ID},
     * {@code AZURE_FEDERATED_TOKEN_FILE}, {@code AZURE_AUTHORITY_HOST}) that the workload-identity webhook injects.
     */
    record WorkloadIdentity(String clientId, String tenantId, String tokenFile, String authorityHost)
            implements BlobCredentials {
        public static WorkloadIdentity fromEnvironment() {
            return new WorkloadIdentity(null, null, null, null);
        }

        @Override
        public List<String> secrets() {
            return List.of();
        }
    }

    /**
     * The Azure SDK's {@code DefaultAzureCredential}: environment (service principal), workload identity, managed
     * identity, then developer tools (Azure CLI, ...), the first that has a credential. For a laptop or a VM; the
     * operator's Jobs name their credential explicitly. No secret of ours.
     */
    record DefaultChain() implements BlobCredentials {
        @Override
        public List<String> secrets() {
            return List.of();
        }
    }

    /** Any {@link TokenCredential} (an injection point: managed identity, a test credential, ...). */
    record Token(TokenCredential credential) implements BlobCredentials {
        @Override
        public List<String> secrets() {
            return List.of();
        }

        @Override
        public String toString() {
            return "Token[" + credential.getClass().getSimpleName() + "]";
        }
    }

    /** Reads a SAS token from a file (e.g. a mounted Secret). Accepts a whole SAS URL too: its query is used. */
    static SasToken sasFromFile(Path file) throws IOException {
        String s = readSecretFile(file, "SAS file");
        if (s.regionMatches(true, 0, "http", 0, 4)) {
            int q = s.indexOf('?');
            if (q < 0) {
                throw new CredentialsException("SAS file " + file + " holds a URL without a query string");
            }
            s = s.substring(q + 1);
        }
        return new SasToken(s);
    }

    /**
     * Reads a connection string from a file (e.g. a mounted Secret) and checks its form: {@code key=value} fields
     * separated by {@code ;}, with {@code AccountName} + a base64 {@code AccountKey}, or a
     * {@code SharedAccessSignature} (the Azure Storage connection-string format).
     *
     * @throws CredentialsException naming the file and the field, never the value
     */
    static ConnectionString connectionStringFromFile(Path file) throws IOException {
        ConnectionString cs = new ConnectionString(readSecretFile(file, "connection-string file"));
        String problem = malformed(cs);
        if (problem != null) {
            throw new CredentialsException("connection-string file " + file + " is malformed: " + problem);
        }
        return cs;
    }

    /** What is wrong with a connection string's form, or null. */
    static String malformed(ConnectionString cs) {
        int n = 0;
        for (String part : cs.value().split(";")) {
            n++;
            if (part.isBlank()) {
                continue;
            }
            if (part.indexOf('=') <= 0) {
                return "field " + n + " is not key=value";
            }
        }
        String key = cs.field("AccountKey");
        String name = cs.field("AccountName");
        String sas = cs.field("SharedAccessSignature");
        if (key != null && (name == null || name.isEmpty())) {
            return "AccountKey without AccountName";
        }
        if (key != null) {
            try {
                if (java.util.Base64.getDecoder().decode(key).length == 0) {
                    return "AccountKey is empty";
                }
            } catch (IllegalArgumentException e) {
                return "AccountKey is not base64";
            }
            return null;
        }
        if (sas == null || sas.isEmpty() || sas.equals("?")) {
            return "neither AccountName+AccountKey nor SharedAccessSignature";
        }
        return null;
    }

    private static String readSecretFile(Path file, String what) throws IOException {
        long size;
        try {
            size = Files.size(file);
        } catch (IOException e) {
            throw new CredentialsException(
                    "cannot read " + what + " " + file + ": " + e.getClass().getSimpleName());
        }
        if (size > 64 * 1024) {
            throw new CredentialsException(what + " " + file + " is " + size + " bytes: too large for a credential");
        }
        String s = new String(Files.readAllBytes(file), StandardCharsets.UTF_8).strip();
        if (s.isEmpty()) {
            throw new CredentialsException(what + " " + file + " is empty");
        }
        return s;
    }
}
