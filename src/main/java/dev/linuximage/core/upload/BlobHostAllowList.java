package dev.linuximage.core.upload;

import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The hosts the uploader may send credentials to. Checked before any request is built: a SAS token travels in the
 * query string and a workload-identity access token in the Authorization header, so a blob URL on a foreign host
 * would hand either to that host (issue 12).
 *
 * <p>An entry is {@code HOST} or {@code HOST:PORT}. {@code HOST} is a DNS name or an IP address; a leading
 * {@code *.} matches exactly one DNS label (like a TLS wildcard: {@code *.blob.core.windows.net} matches
 * {@code acct.blob.core.windows.net}, not {@code blob.core.windows.net} nor {@code a.b.blob.core.windows.net}).
 * Without a port any port matches; {@code PORT} may be {@code *}. Comparison is case-insensitive.
 *
 * <p>Plain {@code http} is allowed only to a loopback host (127.0.0.0/8, {@code localhost}, {@code [::1]}), for a
 * local storage emulator, whatever the list says: a credential never crosses a network in clear text.
 */
public final class BlobHostAllowList {

    /** Azure public cloud, US Government and China (21Vianet) blob endpoints. */
    public static final List<String> AZURE_DEFAULTS =
            List.of("*.blob.core.windows.net", "*.blob.core.usgovcloudapi.net", "*.blob.core.chinacloudapi.cn");

    private static final Pattern ENTRY = Pattern.compile(
            "^(\\*\\.)?([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)(\\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*(:([0-9]{1,5}|\\*))?$"
                    + "|^\\[[0-9a-f:.]+\\](:([0-9]{1,5}|\\*))?$");

    private final List<String> entries;

    private BlobHostAllowList(List<String> entries) {
        this.entries = entries;
    }

    /** The Azure defaults ({@link #AZURE_DEFAULTS}). */
    public static BlobHostAllowList azureDefaults() {
        return new BlobHostAllowList(AZURE_DEFAULTS);
    }

    /**
     * A list of entries (see the class comment).
     *
     * @throws IllegalArgumentException an entry is malformed (names the entry) or the list is empty
     */
    public static BlobHostAllowList of(List<String> entries) {
        if (entries == null || entries.isEmpty()) {
            throw new IllegalArgumentException("the blob host allow-list is empty: no upload could be made");
        }
        List<String> norm = entries.stream()
                .map(e -> e == null ? "" : e.strip().toLowerCase(Locale.ROOT))
                .toList();
        for (String e : norm) {
            if (!ENTRY.matcher(e).matches()) {
                throw new IllegalArgumentException(
                        "blob host allow-list entry '" + e + "' is not HOST, *.DOMAIN, " + "HOST:PORT or HOST:*");
            }
        }
        return new BlobHostAllowList(List.copyOf(norm));
    }

    public List<String> entries() {
        return entries;
    }

    /** Whether {@code url}'s host (and port) is allowed; false for a URL without a host. */
    public boolean allows(URI url) {
        String host = url.getHost();
        if (host == null) {
            return false;
        }
        host = host.toLowerCase(Locale.ROOT);
        if (host.endsWith(".")) {
            host = host.substring(0, host.length() - 1); // a fully qualified name is the same host
        }
        int port = url.getPort();
        for (String e : entries) {
            if (matches(e, host, port)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Refuses a URL whose host is not allowed, or plain http to a host other than loopback.
     *
     * @throws BlobHostNotAllowedException naming the host and the allow-list
     */
    public void check(String blobUrl) throws UploadException {
        String bare = PageBlobClients.stripQuery(blobUrl);
        URI u;
        try {
            u = URI.create(bare);
        } catch (IllegalArgumentException e) {
            throw new UploadException(
                    "blob URL is not a valid URL: " + Secrets.none().scrub(bare));
        }
        if ("http".equalsIgnoreCase(u.getScheme()) && !isLoopback(u.getHost())) {
            throw new BlobHostNotAllowedException("blob URL " + bare + " uses plain http to a host that is not "
                    + "loopback: credentials would cross the network in clear text; use https");
        }
        if (!allows(u)) {
            throw new BlobHostNotAllowedException(
                    "blob host " + u.getHost() + (u.getPort() < 0 ? "" : ":" + u.getPort())
                            + " is not in the allow-list " + entries + ": no credential is sent to it "
                            + "(add it with --allowed-blob-host, or linuximage.security.allowed-blob-hosts on the operator)");
        }
    }

    static boolean matches(String entry, String host, int port) {
        String h = entry;
        String p = null;
        int colon = entry.lastIndexOf(':');
        int bracket = entry.lastIndexOf(']');
        if (colon > bracket) {
            h = entry.substring(0, colon);
            p = entry.substring(colon + 1);
        }
        if (p != null && !p.equals("*") && Integer.parseInt(p) != port) {
            return false;
        }
        if (h.startsWith("[")) {
            return h.equals(host) || h.equals("[" + host + "]");
        }
        if (h.startsWith("*.")) {
            String suffix = h.substring(1); // ".blob.core.windows.net"
            if (!host.endsWith(suffix)) {
                return false;
            }
            String label = host.substring(0, host.length() - suffix.length());
            return !label.isEmpty() && label.indexOf('.') < 0;
        }
        return h.equals(host);
    }

    static boolean isLoopback(String host) {
        if (host == null) {
            return false;
        }
        String h = host.toLowerCase(Locale.ROOT);
        return h.equals("localhost")
                || h.equals("[::1]")
                || h.equals("::1")
                || h.matches("127\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}");
    }

    @Override
    public String toString() {
        return String.join(",", entries);
    }
}
