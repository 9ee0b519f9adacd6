package dev.linuximage.operator;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** Operator settings ({@code linuximage.*} in application.properties or LINUXIMAGE_* environment variables). */
@ConfigMapping(prefix = "linuximage")
public interface OperatorConfig {

    /** Defaults of the Jobs. */
    JobConfig job();

    /** What a LinuxImage may make its Job use (issue 12: a LinuxImage must not be a way around RBAC). */
    SecurityConfig security();

    /** How often a running Job's log tail is read for progress. */
    @WithDefault("10s")
    Duration progressInterval();

    /** How often a missing PersistentVolumeClaim is looked for again (it may be applied after the LinuxImage). */
    @WithDefault("60s")
    Duration recheckInterval();

    interface SecurityConfig {
        /**
         * Images {@code spec.job.image} may name besides the Jobs' default image (always allowed: the operator's
         * own, by digest or by its Pod's tag, or {@code linuximage.job.image}). An entry
         * ending in {@code *} is a prefix (e.g. {@code registry.example/linuximage@sha256:*}). Default: none.
         */
        Optional<List<String>> allowedJobImages();

        /**
         * Hosts a blob URL may name (the core gets the same list and refuses others before sending a credential):
         * {@code HOST}, {@code *.DOMAIN} (one label) or {@code HOST:PORT}. Default: Azure's public and sovereign
         * blob endpoints; add e.g. {@code 127.0.0.1:10000} for Azurite or a private endpoint's name.
         */
        @WithDefault("*.blob.core.windows.net,*.blob.core.usgovcloudapi.net,*.blob.core.chinacloudapi.cn")
        List<String> allowedBlobHosts();

        /**
         * ServiceAccounts a workload-identity LinuxImage may run its Job as without the opt-in annotation
         * {@code linuximage.dev/allow-use: "true"} on the ServiceAccount: {@code NAMESPACE/NAME} or
         * {@code NAMESPACE/*}. Default: none (only annotated ServiceAccounts).
         */
        Optional<List<String>> allowedServiceAccounts();
    }

    interface JobConfig {
        /**
         * The Jobs' image. Unset (the default): the operator's own, read from its Pod (POD_NAME/POD_NAMESPACE) and
         * pinned by digest when the kubelet reports one ({@link dev.linuximage.operator.job.OwnImage}).
         */
        Optional<String> image();

        @WithDefault("500m")
        String cpuRequest();

        @WithDefault("512Mi")
        String memoryRequest();

        @WithDefault("1Gi")
        String memoryLimit();

        @WithDefault("21600")
        long activeDeadlineSeconds();

        @WithDefault("1")
        int backoffLimit();

        @WithDefault("86400")
        int ttlSecondsAfterFinished();

        @WithDefault("1Gi")
        String tmpSizeLimit();

        /**
         * The Job pod's {@code fsGroup}. Default: unset, so the platform assigns it (OpenShift's restricted-v2 SCC
         * refuses a value outside the namespace's range). Set it (e.g. 65532) where a claim's files are not writable
         * by the pod's user otherwise.
         */
        Optional<Long> fsGroup();

        /** Secrets (in each LinuxImage's namespace) the Job pods pull their image with. Default: none. */
        Optional<List<String>> imagePullSecrets();

        /** HTTP_PROXY of the Job pods. Default: the operator's own HTTP_PROXY (or http_proxy), if any. */
        Optional<String> httpProxy();

        /** HTTPS_PROXY of the Job pods. Default: the operator's own HTTPS_PROXY (or https_proxy), if any. */
        Optional<String> httpsProxy();

        /** NO_PROXY of the Job pods. Default: the operator's own NO_PROXY (or no_proxy), if any. */
        Optional<String> noProxy();

        /**
         * A ConfigMap, in each LinuxImage's namespace, holding extra CA certificates (PEM) the core trusts besides
         * the JDK's (a TLS-inspecting proxy, a private endpoint). Default: none.
         */
        Optional<String> caBundleConfigMap();

        /** The key of {@link #caBundleConfigMap()}. */
        @WithDefault("ca-bundle.crt")
        String caBundleKey();

        /**
         * Entra ID authority of workload identity (AZURE_AUTHORITY_HOST), e.g. https://login.microsoftonline.us/
         * (Azure Government) or https://login.chinacloudapi.cn/ (Azure operated by 21Vianet).
         */
        @WithDefault("https://login.microsoftonline.com/")
        String azureAuthorityHost();
    }
}
