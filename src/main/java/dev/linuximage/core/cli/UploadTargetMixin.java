package dev.linuximage.core.cli;

import dev.linuximage.core.report.CoreException;
import dev.linuximage.core.report.ExitCodes;
import dev.linuximage.core.report.ResultReasons;
import dev.linuximage.core.upload.BlobCredentialFiles;
import dev.linuximage.core.upload.BlobCredentials;
import dev.linuximage.core.upload.BlobHostAllowList;
import dev.linuximage.core.upload.BlobHostNotAllowedException;
import dev.linuximage.core.upload.PageBlobClients;
import dev.linuximage.core.upload.UploadException;
import dev.linuximage.core.upload.UploadOptions;
import dev.linuximage.core.upload.VerifyMode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Option;

/**
 * Where and how to upload: the options {@code upload} and {@code prepare} share
 * ({@code --blob-url URL (--sas-file F | --connection-string-file F | --workload-identity)} and tuning).
 */
public class UploadTargetMixin {

    @Option(
            names = "--blob-url",
            paramLabel = "URL",
            description =
                    "https://ACCOUNT.blob.core.windows.net/CONTAINER/BLOB (no query string: a SAS goes in --sas-file)")
    String blobUrl;

    @ArgGroup(exclusive = true, multiplicity = "0..1")
    Auth auth;

    static class Auth {
        @Option(names = "--sas-file", paramLabel = "F", description = "file holding a SAS token (or a SAS URL)")
        Path sasFile;

        @Option(names = "--connection-string-file", paramLabel = "F", description = "file holding a connection string")
        Path connectionStringFile;

        @Option(
                names = "--workload-identity",
                description =
                        "Entra workload identity (AZURE_CLIENT_ID, " + "AZURE_TENANT_ID, AZURE_FEDERATED_TOKEN_FILE)")
        boolean workloadIdentity;
    }

    /** How to authenticate: {@code --auth MODE}, or implied by one of the credential flags. */
    public enum AuthMode {
        /** {@code --sas-file F}. */
        SAS("sas"),
        /** {@code --connection-string-file F}. */
        CONNECTION_STRING("connection-string"),
        /** Entra workload identity from the environment (what the Jobs use). */
        WORKLOAD_IDENTITY("workload-identity"),
        /** The Azure SDK's DefaultAzureCredential chain: environment, workload identity, managed identity, Azure CLI. */
        DEFAULT("default");

        final String flag;

        AuthMode(String flag) {
            this.flag = flag;
        }

        static AuthMode parse(String s) {
            for (AuthMode m : values()) {
                if (m.flag.equals(s)) {
                    return m;
                }
            }
            throw new CoreException(
                    ExitCodes.USAGE,
                    "--auth: '" + s + "' is none of sas, connection-string, " + "workload-identity, default");
        }
    }

    @Option(
            names = "--auth",
            paramLabel = "MODE",
            description =
                    "default (DefaultAzureCredential: AZURE_CLIENT_ID/AZURE_CLIENT_SECRET/AZURE_TENANT_ID, workload "
                            + "identity, managed identity, Azure CLI), sas (with --sas-file), connection-string (with "
                            + "--connection-string-file) or workload-identity. Default: implied by the credential flag given")
    String authMode;

    @Option(
            names = "--ca-bundle",
            paramLabel = "F",
            description = "PEM file of extra CA certificates to trust besides the JDK's (a TLS-inspecting proxy, a "
                    + "private endpoint's CA); HTTPS_PROXY/HTTP_PROXY/NO_PROXY from the environment are honoured")
    Path caBundle;

    @Option(names = "--parallel", paramLabel = "N", defaultValue = "8", description = "requests in flight (default 8)")
    int parallel;

    // --fence-generation and --fence-owner are set by the operator's Job: hidden from help, usable by hand
    @Option(
            names = "--fence-generation",
            paramLabel = "G",
            defaultValue = "0",
            hidden = true,
            description = "generation stored as the blob's sequence number; older generations are refused (default 0)")
    long generation;

    @Option(
            names = "--fence-owner",
            paramLabel = "ID",
            hidden = true,
            description = "identity stored in the blob's metadata (the operator passes the LinuxImage's uid); a blob "
                    + "of another owner, or of none, is refused unless --take-over")
    String owner;

    @Option(
            names = "--take-over",
            description = "overwrite a blob of another owner (or of none) under a new "
                    + "fencing epoch: its previous writers are refused from then on")
    boolean takeOver;

    @Option(
            names = "--allowed-blob-host",
            paramLabel = "HOST[:PORT]",
            description = "a host credentials may be sent to; repeatable; '*.' matches one DNS label. Default: "
                    + "*.blob.core.windows.net, *.blob.core.usgovcloudapi.net, *.blob.core.chinacloudapi.cn. "
                    + "Given at least once, it replaces the default (e.g. 127.0.0.1:10000 for Azurite)")
    java.util.List<String> allowedHosts;

    @Option(
            names = "--verify",
            paramLabel = "MODE",
            defaultValue = "md5",
            description = "md5 (default: the service checks each put's Content-MD5 against the body; pages an "
                    + "earlier run wrote are read back; page ranges + footer compared), crc64 (md5 with the body's "
                    + "CRC-64 in x-ms-content-crc64: cheaper for both ends), readback (also read every "
                    + "run of non-zero pages back while later ones are sent and compare), readback-after (download "
                    + "the non-zero ranges after the upload and compare their SHA-256) or ranges (md5 without "
                    + "reading back an earlier run's pages)")
    String verify;

    @Option(names = "--fresh", description = "never resume: recreate the blob")
    boolean fresh;

    @Option(
            names = "--service-version",
            paramLabel = "V",
            description = "storage API version to send, e.g. 2026-06-06 for Azurite 3.37 (default: the SDK's latest)")
    String serviceVersion;

    @Option(
            names = "--max-put-size",
            paramLabel = "BYTES",
            defaultValue = "4194304",
            description = "largest Put Page body, a multiple of 512, at most 4 MiB (default 4194304)")
    int maxPut;

    /** True when {@code --blob-url} was given. */
    public boolean requested() {
        return blobUrl != null;
    }

    public String blobUrl() {
        return blobUrl;
    }

    /**
     * The authentication mode: {@code --auth} when given (its file flag must match), else the one credential flag
     * given. Pure (reads no file, no environment).
     *
     * @throws CoreException exit code 2 (usage) when the flags disagree or none is given
     */
    static AuthMode selectAuth(String mode, Auth flags) {
        AuthMode implied = flags == null
                ? null
                : flags.sasFile != null
                        ? AuthMode.SAS
                        : flags.connectionStringFile != null
                                ? AuthMode.CONNECTION_STRING
                                : flags.workloadIdentity ? AuthMode.WORKLOAD_IDENTITY : null;
        if (mode == null) {
            if (implied == null) {
                throw new CoreException(
                        ExitCodes.USAGE,
                        "--blob-url needs a credential: --auth default, "
                                + "--sas-file F, --connection-string-file F or --workload-identity");
            }
            return implied;
        }
        AuthMode m = AuthMode.parse(mode);
        if (m == AuthMode.SAS && implied != AuthMode.SAS) {
            throw new CoreException(ExitCodes.USAGE, "--auth sas needs --sas-file F (and no other credential flag)");
        }
        if (m == AuthMode.CONNECTION_STRING && implied != AuthMode.CONNECTION_STRING) {
            throw new CoreException(
                    ExitCodes.USAGE,
                    "--auth connection-string needs --connection-string-file F (and no other credential flag)");
        }
        if ((m == AuthMode.DEFAULT || m == AuthMode.WORKLOAD_IDENTITY) && implied != null && implied != m) {
            throw new CoreException(
                    ExitCodes.USAGE,
                    "--auth " + m.flag + " takes no --sas-file, "
                            + "--connection-string-file or other credential flag");
        }
        return m;
    }

    /** Checks that a blob URL comes with exactly one way to authenticate, and nothing of the kind without one. */
    public void validate() {
        if (blobUrl == null && (auth != null || authMode != null)) {
            throw new CoreException(ExitCodes.USAGE, "credentials given without --blob-url");
        }
        if (blobUrl != null) {
            selectAuth(authMode, auth);
        }
        if (caBundle != null) {
            try {
                // before any client exists: the JDK HTTP client takes the default SSLContext when it is built
                dev.linuximage.core.upload.TrustBundle.install(caBundle);
            } catch (IOException e) {
                throw new CoreException(ExitCodes.USAGE, "--ca-bundle: " + e.getMessage());
            }
        }
        if (blobUrl != null) {
            try {
                PageBlobClients.checkBlobUrl(blobUrl); // a SAS in the URL is a secret on the command line
            } catch (UploadException e) {
                throw new CoreException(ExitCodes.USAGE, "--blob-url: " + e.getMessage());
            }
            // before any work: a refused host must not cost an hour of conversion first
            try {
                allowList().check(blobUrl);
            } catch (BlobHostNotAllowedException e) {
                throw new CoreException(ExitCodes.USAGE, ResultReasons.BLOB_HOST_NOT_ALLOWED, e.getMessage(), null);
            } catch (java.io.IOException e) {
                throw new CoreException(ExitCodes.USAGE, e.getMessage());
            }
        }
    }

    private BlobHostAllowList allowList() {
        try {
            return allowedHosts == null || allowedHosts.isEmpty()
                    ? BlobHostAllowList.azureDefaults()
                    : BlobHostAllowList.of(allowedHosts);
        } catch (IllegalArgumentException e) {
            throw new CoreException(ExitCodes.USAGE, e.getMessage());
        }
    }

    public UploadOptions options() {
        try {
            VerifyMode mode = VerifyMode.valueOf(verify.toUpperCase(Locale.ROOT).replace('-', '_'));
            return UploadOptions.defaults()
                    .withParallel(parallel)
                    .withGeneration(generation)
                    .withMaxPutBytes(maxPut)
                    .withVerify(mode)
                    .withServiceVersion(serviceVersion)
                    .withFresh(fresh)
                    .withAllowedHosts(allowList())
                    .withOwner(owner)
                    .withTakeOver(takeOver);
        } catch (IllegalArgumentException e) {
            throw new CoreException(ExitCodes.USAGE, e.getMessage());
        }
    }

    /** Reads the credentials (files are read here, never logged). */
    public BlobCredentials credentials() throws IOException {
        return switch (selectAuth(authMode, auth)) {
            case SAS -> BlobCredentialFiles.sas(auth.sasFile);
            case CONNECTION_STRING -> BlobCredentialFiles.connectionString(auth.connectionStringFile);
            case WORKLOAD_IDENTITY -> BlobCredentials.WorkloadIdentity.fromEnvironment();
            case DEFAULT -> new BlobCredentials.DefaultChain();
        };
    }
}
