package dev.linuximage.core.upload;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class SecretsTest {
    @Test
    void redactsSasSignaturesAccountKeysBearerTokensAndRegisteredLiterals() {
        String key = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
        Secrets s = Secrets.of(List.of("my-literal-secret-value", key));
        String text = "PUT https://a.blob.core.windows.net/c/b?sv=2025&sig=abc%2Bdef%3D&sp=rw failed; "
                + "AccountName=a;AccountKey=" + key + ";EndpointSuffix=x "
                + "Authorization: Bearer eyJ0eXAi.eyJhdWQi.c2ln and SharedKey a:Zm9vYmFy= "
                + "client_assertion=eyJhbGc.x.y&client_id=1 plus my-literal-secret-value and "
                + key.replace("/", "%2F").replace("+", "%2B").replace("=", "%3D");
        String out = s.scrub(text);
        assertThat(out)
                .doesNotContain("abc%2Bdef")
                .doesNotContain(key)
                .doesNotContain("eyJ0eXAi")
                .doesNotContain("Zm9vYmFy")
                .doesNotContain("eyJhbGc")
                .doesNotContain("my-literal-secret-value")
                .doesNotContain("Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq%2F");
        assertThat(out).contains("sig=REDACTED").contains("sv=2025").contains("AccountName=a");
    }

    @Test
    void scrubbedChainKeepsClassesAndStackButNoSecret() {
        RuntimeException inner = new IllegalStateException("GET http://h/c/b?sig=SECRETSIG123 reset");
        RuntimeException outer = new RuntimeException("wrapped sig=SECRETSIG123", inner);
        Throwable t = Secrets.none().scrubChain(outer);
        assertThat(t.getMessage()).contains("java.lang.RuntimeException").doesNotContain("SECRETSIG123");
        assertThat(t.getCause().getMessage()).contains("IllegalStateException").doesNotContain("SECRETSIG123");
        assertThat(t.getStackTrace()).isEqualTo(outer.getStackTrace());
    }

    @Test
    void credentialsToStringNeverShowsTheSecret() {
        assertThat(new BlobCredentials.SasToken("?sv=1&sig=abcdefgh").toString())
                .doesNotContain("abcdefgh");
        assertThat(new BlobCredentials.ConnectionString("AccountName=a;AccountKey=k123456789").toString())
                .doesNotContain("k123456789");
    }
}
