package dev.linuximage.operator.job;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Cluster-wide settings of the Job pods that a platform team owns (issue 16 item 4), from operator configuration
 * ({@code linuximage.job.*}); a LinuxImage cannot set them.
 *
 * @param fsGroup            the pod's {@code fsGroup}, or null (the default: the platform assigns it, e.g.
 *                           OpenShift's restricted-v2 SCC from the namespace's range; a fixed value would be refused
 *                           there)
 * @param imagePullSecrets   names of Secrets in the LinuxImage's namespace to pull the Job image with
 * @param proxyEnv           {@code HTTP_PROXY}/{@code HTTPS_PROXY}/{@code NO_PROXY} for the core (read by azure-core
 *                           and so by every request to Storage and Entra ID), in that order; empty for none
 * @param caBundleConfigMap  a ConfigMap in the LinuxImage's namespace holding extra CA certificates (PEM), or null
 * @param caBundleKey        its key (e.g. {@code ca-bundle.crt}, OpenShift's injected trusted CA bundle)
 * @param azureAuthorityHost Entra ID authority for workload identity ({@code AZURE_AUTHORITY_HOST}), e.g.
 *                           {@code https://login.microsoftonline.us/} for Azure Government
 */
public record PodSettings(
        Long fsGroup,
        List<String> imagePullSecrets,
        Map<String, String> proxyEnv,
        String caBundleConfigMap,
        String caBundleKey,
        String azureAuthorityHost) {

    public static final String PUBLIC_CLOUD_AUTHORITY = "https://login.microsoftonline.com/";
    public static final String DEFAULT_CA_KEY = "ca-bundle.crt";

    public PodSettings {
        imagePullSecrets = List.copyOf(imagePullSecrets);
        proxyEnv = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(proxyEnv));
        caBundleKey = caBundleKey == null ? DEFAULT_CA_KEY : caBundleKey;
        azureAuthorityHost = azureAuthorityHost == null ? PUBLIC_CLOUD_AUTHORITY : azureAuthorityHost;
        // a malformed setting stops the operator at start-up, naming it, instead of failing every pod later
        for (String name : imagePullSecrets) {
            if (!DNS_SUBDOMAIN.matcher(name).matches()) {
                throw new IllegalArgumentException(
                        "linuximage.job.image-pull-secrets: '" + name + "' is not a Secret name");
            }
        }
        if (caBundleConfigMap != null
                && !DNS_SUBDOMAIN.matcher(caBundleConfigMap).matches()) {
            throw new IllegalArgumentException(
                    "linuximage.job.ca-bundle-config-map: '" + caBundleConfigMap + "' is not a ConfigMap name");
        }
        if (!CONFIG_KEY.matcher(caBundleKey).matches()) {
            throw new IllegalArgumentException(
                    "linuximage.job.ca-bundle-key: '" + caBundleKey + "' is not a ConfigMap key");
        }
        java.net.URI authority;
        try {
            authority = java.net.URI.create(azureAuthorityHost);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("linuximage.job.azure-authority-host: not a URL: " + azureAuthorityHost);
        }
        // the federated service-account token is sent there: https only, no credentials or query in the URL
        if (!"https".equals(authority.getScheme())
                || authority.getHost() == null
                || authority.getRawQuery() != null
                || authority.getRawUserInfo() != null) {
            throw new IllegalArgumentException(
                    "linuximage.job.azure-authority-host: must be https://HOST/, got " + azureAuthorityHost);
        }
    }

    private static final java.util.regex.Pattern DNS_SUBDOMAIN =
            java.util.regex.Pattern.compile("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$");
    private static final java.util.regex.Pattern CONFIG_KEY =
            java.util.regex.Pattern.compile("^[-._a-zA-Z0-9]{1,253}$");

    /** No fsGroup, no pull secrets, no proxy, no CA bundle, Azure's public cloud. */
    public static PodSettings none() {
        return new PodSettings(null, List.of(), Map.of(), null, null, null);
    }

    /**
     * The proxy variables: configured values first, else the operator's own environment (where a cluster-wide proxy,
     * e.g. OpenShift's through OLM, has put them), upper-case names before lower-case ones.
     */
    public static Map<String, String> proxyEnv(
            java.util.Optional<String> http,
            java.util.Optional<String> https,
            java.util.Optional<String> noProxy,
            Map<String, String> env) {
        Map<String, String> m = new LinkedHashMap<>();
        put(m, "HTTP_PROXY", http, env);
        put(m, "HTTPS_PROXY", https, env);
        put(m, "NO_PROXY", noProxy, env);
        return m;
    }

    private static void put(
            Map<String, String> m, String name, java.util.Optional<String> configured, Map<String, String> env) {
        String v = configured.filter(s -> !s.isBlank()).orElseGet(() -> {
            String e = env.get(name);
            return e != null && !e.isBlank() ? e : env.get(name.toLowerCase(java.util.Locale.ROOT));
        });
        if (v != null && !v.isBlank()) {
            m.put(name, v.strip());
        }
    }
}
