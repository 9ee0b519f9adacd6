package dev.linuximage.core.guest;

import dev.linuximage.core.guestfs.Change;
import java.io.IOException;
import java.util.Locale;
import java.util.Optional;

/**
 * SELinux labels of what a run created. Our file-system writers keep the {@code security.selinux} attribute of a file
 * whose content they replace, but set none on a file, directory or symlink they create, and an SELinux guest
 * (enforcing or permissive) treats an unlabeled file as {@code unlabeled_t}: in enforcing mode, services are denied
 * access to e.g. a new unit file or cloud-init drop-in. As image builders do (virt-customize's
 * {@code --selinux-relabel} without a helper VM, Anaconda kickstarts), the run then creates {@code /.autorelabel}:
 * at first boot the guest's own {@code selinux-autorelabel} relabels the file systems with its own policy and
 * reboots once. Nothing happens when the run created nothing or SELinux is disabled or absent.
 */
final class SelinuxRelabelPatch {
    /** Not a catalogue requirement: a consequence of the repairs, reported as changes under this name. */
    static final String REQ = "SELINUX-LABELS";

    static final String CONFIG = "/etc/selinux/config";
    static final String MARKER = "/.autorelabel";

    private SelinuxRelabelPatch() {}

    static void apply(GuestEditor ed) throws IOException {
        boolean created = ed.log().changes().stream()
                .anyMatch(c -> c.action() == Change.Action.Created || c.action() == Change.Action.Symlinked);
        if (!created || ed.reader().exists(MARKER)) {
            return;
        }
        String mode = mode(ed.reader().text(CONFIG)).orElse("disabled");
        if (mode.equals("enforcing") || mode.equals("permissive")) {
            ed.writeText(REQ, MARKER, "");
        }
    }

    /** The last {@code SELINUX=} assignment of {@code /etc/selinux/config} (lower case, quotes and comments removed). */
    static Optional<String> mode(Optional<String> config) {
        String mode = null;
        for (String line : GuestReader.lines(config.orElse(""))) {
            String l = line.strip();
            int hash = l.indexOf('#');
            if (hash >= 0) {
                l = l.substring(0, hash).strip();
            }
            if (l.startsWith("SELINUX=")) {
                mode = l.substring("SELINUX=".length())
                        .strip()
                        .replace("\"", "")
                        .replace("'", "")
                        .toLowerCase(Locale.ROOT);
            }
        }
        return Optional.ofNullable(mode);
    }
}
