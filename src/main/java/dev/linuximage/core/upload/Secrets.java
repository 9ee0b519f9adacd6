package dev.linuximage.core.upload;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Removes credentials from text before it can reach a log, a report, a status or an exception message. SDK
 * exception messages can carry request URLs with a SAS ({@code sig=...}), and connection strings carry
 * {@code AccountKey=...}: both patterns are redacted, and so is every literal secret registered here (the SAS token,
 * the account key, bearer tokens), in case it appears in another shape.
 */
public final class Secrets {
    private static final String REDACTED = "REDACTED";
    // SAS signature and the other SAS query parameters that identify a grant.
    private static final Pattern SAS_SIG = Pattern.compile("(?i)(\\bsig=)[^&\\s\"'<>;]*");
    private static final Pattern ACCOUNT_KEY = Pattern.compile("(?i)(AccountKey=)[^;\\s\"'<>]*");
    private static final Pattern SAS_IN_CS = Pattern.compile("(?i)(SharedAccessSignature=)[^;\\s\"'<>]*");
    private static final Pattern BEARER = Pattern.compile("(?i)(Bearer\\s+)[A-Za-z0-9._~+/=-]+");
    private static final Pattern SHARED_KEY = Pattern.compile("(?i)(SharedKey(?:Lite)?\\s+[^:\\s]+:)[A-Za-z0-9+/=]+");
    private static final Pattern ASSERTION = Pattern.compile("(?i)(client_assertion=)[^&\\s\"'<>]*");

    private final List<String> literals;

    private Secrets(List<String> literals) {
        this.literals = literals;
    }

    /** A scrubber for the generic patterns only. */
    public static Secrets none() {
        return new Secrets(List.of());
    }

    /** A scrubber that also redacts each of the given literal secrets (blank and very short ones are ignored). */
    public static Secrets of(Collection<String> literals) {
        List<String> l = new ArrayList<>();
        for (String s : literals) {
            if (s != null && s.strip().length() >= 8) {
                l.add(s.strip());
                String noQ = s.strip().startsWith("?") ? s.strip().substring(1) : null;
                if (noQ != null && noQ.length() >= 8) {
                    l.add(noQ);
                }
            }
        }
        // longest first so that a secret containing another is removed whole
        l.sort((a, b) -> Integer.compare(b.length(), a.length()));
        return new Secrets(List.copyOf(l));
    }

    /** Returns {@code text} with every secret replaced by {@code REDACTED}; {@code null} stays {@code null}. */
    public String scrub(String text) {
        if (text == null) {
            return null;
        }
        String s = text;
        for (String lit : literals) {
            s = s.replace(lit, REDACTED);
            // URL-encoded forms appear in request URLs
            String enc = java.net.URLEncoder.encode(lit, java.nio.charset.StandardCharsets.UTF_8);
            if (!enc.equals(lit)) {
                s = s.replace(enc, REDACTED);
            }
        }
        s = SAS_SIG.matcher(s).replaceAll("$1" + REDACTED);
        s = ACCOUNT_KEY.matcher(s).replaceAll("$1" + REDACTED);
        s = SAS_IN_CS.matcher(s).replaceAll("$1" + REDACTED);
        s = BEARER.matcher(s).replaceAll("$1" + REDACTED);
        s = SHARED_KEY.matcher(s).replaceAll("$1" + REDACTED);
        s = ASSERTION.matcher(s).replaceAll("$1" + REDACTED);
        return s;
    }

    /**
     * A copy of {@code t}'s cause chain in which every message is scrubbed: each level becomes a
     * {@link ScrubbedException} naming the original class, keeping the original stack trace. The original
     * exception objects (whose messages may hold secrets) are not referenced.
     */
    public Throwable scrubChain(Throwable t) {
        if (t == null) {
            return null;
        }
        ScrubbedException top = null;
        ScrubbedException prev = null;
        int depth = 0;
        for (Throwable c = t; c != null && depth < 16; c = c.getCause() == c ? null : c.getCause(), depth++) {
            ScrubbedException e =
                    new ScrubbedException(c.getClass().getName() + ": " + scrub(String.valueOf(c.getMessage())));
            e.setStackTrace(c.getStackTrace());
            if (top == null) {
                top = e;
            } else {
                prev.initCause(e);
            }
            prev = e;
        }
        return top;
    }

    /** Stand-in for an exception whose message was scrubbed; its message names the original class. */
    public static final class ScrubbedException extends RuntimeException {
        ScrubbedException(String message) {
            super(message);
        }
    }
}
