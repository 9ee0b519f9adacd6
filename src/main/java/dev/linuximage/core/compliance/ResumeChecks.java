package dev.linuximage.core.compliance;

import dev.linuximage.core.guest.CmdlineSite;
import dev.linuximage.core.guest.KernelCmdline;
import dev.linuximage.core.guest.ResumeConfig;
import dev.linuximage.core.report.Evidence;
import java.util.ArrayList;
import java.util.List;

/**
 * SWAP-OS-DISK's resume part ({@link ResumeConfig}): with swap or a resume device configured, every boot entry must
 * carry {@code noresume} and no {@code resume=}; an initramfs-tools guest must build future images with
 * {@code RESUME=none}.
 */
final class ResumeChecks {
    private ResumeChecks() {}

    /** What is wrong, as evidence; empty when resume is neutralised (or nothing would resume). */
    static List<Evidence> problems(CheckContext c) {
        ResumeConfig rc = ResumeConfig.read(c.reader(), c.guest(), c.kernels());
        List<Evidence> out = new ArrayList<>();
        if (rc.needed()) {
            for (CmdlineSite s : c.guest().cmdline().sites()) {
                if (!s.complete()) {
                    continue;
                }
                List<String> eff = KernelCmdline.tokens(s.effective());
                List<String> bad = new ArrayList<>();
                if (!eff.contains(ResumeConfig.NORESUME)) {
                    bad.add("missing " + ResumeConfig.NORESUME);
                }
                eff.stream().filter(t -> t.startsWith("resume=")).forEach(t -> bad.add("remove " + t));
                if (!bad.isEmpty()) {
                    out.add(Findings.ev(
                            s.file(),
                            s.line() == 0 ? null : s.line(),
                            s.effective() + "  [" + String.join(", ", bad) + "; resume configured: "
                                    + rc.reasons().get(0) + "]"));
                }
            }
        }
        if (rc.initramfsTools() && !"none".equals(rc.etcResume())) {
            out.add(Findings.ev(
                    rc.etcResumeWhere() == null
                            ? ResumeConfig.CONF
                            : rc.etcResumeWhere().split(" line ")[0],
                    rc.etcResumeWhere() == null
                            ? "RESUME unset: mkinitramfs' resume hook picks the largest swap "
                                    + "in use when the next initramfs is built"
                            : rc.etcResumeWhere() + " (initramfs-tools builds future images with it)"));
        }
        return out;
    }

    /** A line for a passing finding: how resume stands. */
    static Evidence state(CheckContext c) {
        ResumeConfig rc = ResumeConfig.read(c.reader(), c.guest(), c.kernels());
        String s = (rc.needed()
                        ? "resume neutralised by noresume (" + rc.reasons().get(0) + ")"
                        : "no resume device configured")
                + (rc.initramfsTools() ? "; " + rc.etcResumeWhere() : "");
        return Findings.ev("resume", s);
    }
}
