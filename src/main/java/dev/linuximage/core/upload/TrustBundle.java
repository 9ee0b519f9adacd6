package dev.linuximage.core.upload;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * Extra CA certificates (a PEM bundle, e.g. a TLS-inspecting proxy's or a private CA's; the operator mounts the
 * ConfigMap of {@code linuximage.job.ca-bundle-config-map} and passes {@code --ca-bundle}) trusted besides the JDK's
 * own. Built in memory at start-up (no keystore file, no reflection: native-image friendly) and installed as the
 * JVM's default {@link SSLContext}, which the JDK HTTP client uses for every connection the Azure SDK makes (Storage
 * and Entra ID alike).
 */
public final class TrustBundle {
    /** A CA bundle is small (OpenShift's full trusted bundle is about 200 KiB); anything far larger is refused. */
    static final long MAX_BYTES = 4L << 20;

    private TrustBundle() {}

    /** The certificates of a PEM file (text around the blocks, such as {@code # comments}, is skipped). */
    public static List<X509Certificate> read(Path pem) throws IOException {
        long size = Files.size(pem);
        if (size > MAX_BYTES) {
            throw new IOException("CA bundle " + pem + " is " + size + " bytes, more than " + MAX_BYTES);
        }
        Collection<? extends Certificate> certs;
        try {
            certs = CertificateFactory.getInstance("X.509")
                    .generateCertificates(new ByteArrayInputStream(Files.readAllBytes(pem)));
        } catch (java.security.cert.CertificateException e) {
            throw new IOException("CA bundle " + pem + " is not PEM X.509: " + e.getMessage());
        }
        List<X509Certificate> out = new ArrayList<>();
        for (Certificate c : certs) {
            out.add((X509Certificate) c);
        }
        if (out.isEmpty()) {
            throw new IOException("CA bundle " + pem + " holds no certificate");
        }
        return out;
    }

    /** A trust manager for the JDK's default CAs plus {@code extra}. */
    public static X509TrustManager trustManager(List<X509Certificate> extra) throws IOException {
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            int i = 0;
            for (X509Certificate c : defaultTrustManager().getAcceptedIssuers()) {
                ks.setCertificateEntry("jdk-" + i++, c);
            }
            i = 0;
            for (X509Certificate c : extra) {
                ks.setCertificateEntry("bundle-" + i++, c);
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ks);
            return x509(tmf);
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot build a trust store: " + e.getMessage(), e);
        }
    }

    /** An SSLContext trusting the JDK's CAs plus those of {@code pem}. */
    public static SSLContext sslContext(Path pem) throws IOException {
        try {
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, new javax.net.ssl.TrustManager[] {trustManager(read(pem))}, null);
            return ctx;
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot build a TLS context: " + e.getMessage(), e);
        }
    }

    /** Makes {@link #sslContext(Path)} the JVM's default: every HTTP client built afterwards trusts the bundle. */
    public static void install(Path pem) throws IOException {
        SSLContext.setDefault(sslContext(pem));
    }

    private static X509TrustManager defaultTrustManager() throws GeneralSecurityException {
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init((KeyStore) null);
        return x509(tmf);
    }

    private static X509TrustManager x509(TrustManagerFactory tmf) throws GeneralSecurityException {
        for (var tm : tmf.getTrustManagers()) {
            if (tm instanceof X509TrustManager x) {
                return x;
            }
        }
        throw new GeneralSecurityException("no X509TrustManager");
    }
}
