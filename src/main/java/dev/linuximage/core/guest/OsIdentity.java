package dev.linuximage.core.guest;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The guest's distribution from its release files, for guests too old for {@code /etc/os-release} (RHEL/CentOS 6,
 * SLES 11, Ubuntu 12.04) as well as new ones. Files are tried in a fixed order: {@code /etc/os-release},
 * {@code /usr/lib/os-release} (os-release(5)), then {@code /etc/redhat-release}, {@code /etc/system-release},
 * {@code /etc/SuSE-release}, {@code /etc/lsb-release}, {@code /etc/alpine-release}, {@code /etc/arch-release},
 * {@code /etc/debian_version}. Release files are tiny: one larger than {@link #MAX_BYTES} is hostile or not a
 * release file and is skipped; only its first {@link #MAX_CHARS} characters are ever looked at.
 */
public final class OsIdentity {
    /** Release files larger than this (bytes) are skipped. */
    public static final int MAX_BYTES = 64 * 1024;
    /** Only this many characters of a release file are parsed. */
    static final int MAX_CHARS = 4096;

    private static final Pattern RELEASE = Pattern.compile("release\\s+(\\d+(?:\\.\\d+){0,3})");
    private static final Pattern SUSE_FIELD = Pattern.compile("(?m)^\\s*(VERSION|PATCHLEVEL)\\s*=\\s*(\\S+)\\s*$");
    private static final Pattern VERSION_TOKEN = Pattern.compile("^[0-9][0-9A-Za-z._-]{0,31}$");

    /** Distribution families as the product patches them. */
    public enum Family {
        REDHAT,
        SUSE,
        DEBIAN,
        ALPINE,
        ARCH,
        UNKNOWN
    }

    private OsIdentity() {}

    /** The first release file that identifies the guest, or {@code unknown} with a null source. */
    public static GuestInspection.OsInfo read(GuestReader r) {
        for (String f : List.of("/etc/os-release", "/usr/lib/os-release")) {
            Optional<String> t = small(r, f);
            if (t.isPresent()) {
                Map<String, String> kv = GuestInspector.keyValues(t);
                String id = clean(unquote(kv.getOrDefault("ID", "linux"))).toLowerCase(Locale.ROOT);
                List<String> like = new ArrayList<>();
                for (String s : unquote(kv.getOrDefault("ID_LIKE", "")).split("\\s+")) {
                    if (!s.isEmpty() && like.size() < 8) {
                        like.add(clean(s).toLowerCase(Locale.ROOT));
                    }
                }
                return new GuestInspection.OsInfo(
                        id.isEmpty() ? "linux" : id,
                        like,
                        clean(unquote(kv.getOrDefault("VERSION_ID", ""))),
                        clean(unquote(kv.getOrDefault("PRETTY_NAME", ""))),
                        f);
            }
        }
        Optional<String> t = small(r, "/etc/redhat-release");
        if (t.isPresent()) {
            return redHat(firstLine(t.get()), "/etc/redhat-release");
        }
        t = small(r, "/etc/system-release");
        if (t.isPresent()) {
            return redHat(firstLine(t.get()), "/etc/system-release");
        }
        t = small(r, "/etc/SuSE-release");
        if (t.isPresent()) {
            return suse(t.get());
        }
        t = small(r, "/etc/lsb-release");
        if (t.isPresent()) {
            Map<String, String> kv = GuestInspector.keyValues(t);
            String id = clean(unquote(kv.getOrDefault("DISTRIB_ID", ""))).toLowerCase(Locale.ROOT);
            if (!id.isEmpty()) {
                List<String> like = id.equals("ubuntu") || id.equals("linuxmint") ? List.of("debian") : List.of();
                return new GuestInspection.OsInfo(
                        id.replace(' ', '-'),
                        like,
                        version(unquote(kv.getOrDefault("DISTRIB_RELEASE", ""))),
                        clean(unquote(kv.getOrDefault("DISTRIB_DESCRIPTION", ""))),
                        "/etc/lsb-release");
            }
        }
        t = small(r, "/etc/alpine-release");
        if (t.isPresent()) {
            String v = version(firstLine(t.get()));
            return new GuestInspection.OsInfo("alpine", List.of(), v, "Alpine Linux " + v, "/etc/alpine-release");
        }
        if (r.isFile("/etc/arch-release")) {
            return new GuestInspection.OsInfo("arch", List.of(), "", "Arch Linux", "/etc/arch-release");
        }
        t = small(r, "/etc/debian_version");
        if (t.isPresent()) {
            String v = version(firstLine(t.get()));
            return new GuestInspection.OsInfo("debian", List.of(), v, "Debian GNU/Linux " + v, "/etc/debian_version");
        }
        return new GuestInspection.OsInfo("unknown", List.of(), "", "", null);
    }

    /** The family of an identity (its ID, else the first ID_LIKE entry that names one). */
    public static Family family(GuestInspection.OsInfo os) {
        List<String> names = new ArrayList<>();
        names.add(os.id());
        names.addAll(os.idLike());
        for (String n : names) {
            switch (n) {
                case "rhel",
                        "centos",
                        "fedora",
                        "rocky",
                        "almalinux",
                        "ol",
                        "amzn",
                        "scientific",
                        "cloudlinux",
                        "eurolinux",
                        "virtuozzo":
                    return Family.REDHAT;
                case "sles", "sled", "suse", "opensuse", "opensuse-leap", "opensuse-tumbleweed", "sle_hpc":
                    return Family.SUSE;
                case "debian", "ubuntu", "linuxmint", "raspbian", "kali", "devuan":
                    return Family.DEBIAN;
                case "alpine", "postmarketos":
                    return Family.ALPINE;
                case "arch", "archarm", "manjaro", "endeavouros":
                    return Family.ARCH;
                default:
                // keep looking at ID_LIKE
            }
        }
        return Family.UNKNOWN;
    }

    /** The major version number ({@code 6} of {@code 6.10}), or -1. */
    public static int major(GuestInspection.OsInfo os) {
        Matcher m = Pattern.compile("^(\\d{1,4})").matcher(os.versionId());
        return m.find() ? Integer.parseInt(m.group(1)) : -1;
    }

    /** The minor version number ({@code 10} of {@code 6.10}), or -1. */
    public static int minor(GuestInspection.OsInfo os) {
        Matcher m = Pattern.compile("^\\d{1,4}\\.(\\d{1,4})").matcher(os.versionId());
        return m.find() ? Integer.parseInt(m.group(1)) : -1;
    }

    /**
     * {@code Red Hat Enterprise Linux Server release 6.10 (Santiago)}, {@code CentOS release 6.10 (Final)},
     * {@code CentOS Linux release 7.9.2009 (Core)}, {@code Amazon Linux AMI release 2018.03}, ...
     */
    static GuestInspection.OsInfo redHat(String line, String source) {
        String l = clean(line);
        String lower = l.toLowerCase(Locale.ROOT);
        String id;
        if (lower.startsWith("centos")) {
            id = "centos";
        } else if (lower.startsWith("fedora")) {
            id = "fedora";
        } else if (lower.startsWith("scientific")) {
            id = "scientific";
        } else if (lower.startsWith("oracle")) {
            id = "ol";
        } else if (lower.startsWith("amazon")) {
            id = "amzn";
        } else if (lower.startsWith("rocky")) {
            id = "rocky";
        } else if (lower.startsWith("almalinux")) {
            id = "almalinux";
        } else {
            id = "rhel";
        }
        Matcher m = RELEASE.matcher(l);
        List<String> like = id.equals("rhel") || id.equals("fedora") ? List.of("fedora") : List.of("rhel", "fedora");
        return new GuestInspection.OsInfo(id, like, m.find() ? m.group(1) : "", l, source);
    }

    /** {@code SUSE Linux Enterprise Server 11 (x86_64)} with {@code VERSION = 11} and {@code PATCHLEVEL = 4}. */
    static GuestInspection.OsInfo suse(String text) {
        String first = clean(firstLine(text));
        String version = "";
        String patch = "";
        Matcher m = SUSE_FIELD.matcher(text.length() > MAX_CHARS ? text.substring(0, MAX_CHARS) : text);
        while (m.find()) {
            if (m.group(1).equals("VERSION")) {
                version = version(m.group(2));
            } else {
                patch = version(m.group(2));
            }
        }
        if (!version.isEmpty() && !patch.isEmpty() && !version.contains(".")) {
            version = version + "." + patch;
        }
        String id = first.toLowerCase(Locale.ROOT).startsWith("opensuse") ? "opensuse" : "sles";
        return new GuestInspection.OsInfo(id, List.of("suse"), version, first, "/etc/SuSE-release");
    }

    private static Optional<String> small(GuestReader r, String path) {
        if (!r.isFile(path) || r.stat(path).map(i -> i.size() > MAX_BYTES).orElse(true)) {
            return Optional.empty();
        }
        return r.text(path).map(s -> s.length() > MAX_CHARS ? s.substring(0, MAX_CHARS) : s);
    }

    private static String firstLine(String t) {
        for (String l : GuestReader.lines(t)) {
            if (!l.isBlank()) {
                return l.trim();
            }
        }
        return "";
    }

    /** A version token, or empty when the text is not one (a hostile file must not fill the report). */
    static String version(String s) {
        String v = s.trim();
        return VERSION_TOKEN.matcher(v).matches() ? v : "";
    }

    /** Printable text only, at most 200 characters (it ends up in reports and status). */
    static String clean(String s) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length() && sb.length() < 200; i++) {
            char c = s.charAt(i);
            sb.append(c < 0x20 || c == 0x7f ? ' ' : c);
        }
        return sb.toString().trim();
    }

    static String unquote(String s) {
        if (s.length() >= 2 && (s.startsWith("\"") && s.endsWith("\"") || s.startsWith("'") && s.endsWith("'"))) {
            return s.substring(1, s.length() - 1);
        }
        return s;
    }
}
