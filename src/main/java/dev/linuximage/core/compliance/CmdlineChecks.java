package dev.linuximage.core.compliance;

import dev.linuximage.core.guest.CmdlinePatch;
import dev.linuximage.core.guest.CmdlinePolicy;
import dev.linuximage.core.guest.CmdlineSite;
import dev.linuximage.core.guest.KernelCmdline;
import dev.linuximage.core.guest.RootDelayRule;
import dev.linuximage.core.report.Evidence;
import dev.linuximage.core.report.Finding;
import java.util.ArrayList;
import java.util.List;

/** CMDLINE-CONSOLE and CMDLINE-NOQUIET over every command-line site (grub defaults, grub.cfg, BLS, grubenv). */
final class CmdlineChecks {
    private CmdlineChecks() {}

    static List<Finding> check(CheckContext c) {
        List<CmdlineSite> sites = c.guest().cmdline().sites();
        List<String> problems = c.guest().cmdline().problems();
        if (sites.isEmpty()) {
            String why = "no boot loader configuration found (/etc/default/grub, grub.cfg, BLS entries, grubenv, "
                    + "grub legacy grub.conf/menu.lst, extlinux/syslinux)";
            return List.of(
                    Findings.unknown("CMDLINE-CONSOLE", why, List.of()),
                    Findings.unknown("CMDLINE-NOQUIET", why, List.of()));
        }
        CmdlinePolicy p = CmdlinePatch.policy(c.guest(), c.options());
        // numa=off is KERNEL-NUMA's business, not this requirement's
        CmdlinePolicy base =
                new CmdlinePolicy(CmdlinePolicy.of(c.options(), false).required(), List.of());
        // rootdelay is decided per kernel from what its initramfs does with it (RootDelayRule)
        RootDelayRule.Rules rules = RootDelayRule.decide(c.reader(), c.guest(), c.kernels(), c.options());
        List<Evidence> missing = new ArrayList<>();
        List<Evidence> sleeping = new ArrayList<>();
        List<Evidence> unwanted = new ArrayList<>();
        boolean bootEntry = false;
        for (CmdlineSite s : sites) {
            List<String> eff = KernelCmdline.tokens(s.effective());
            Integer line = s.line() == 0 ? null : s.line();
            if (bootEntry(s.kind())) {
                bootEntry = true;
            }
            RootDelayRule.Decision d = s.kernel() != null ? rules.forImage(s.kernel()) : rules.global();
            CmdlinePolicy required = d.action().apply(base);
            if (s.complete()) {
                List<String> m = required.missing(eff);
                if (!m.isEmpty()) {
                    missing.add(Findings.ev(
                            s.file(), line, kind(s) + s.effective() + "  [missing: " + String.join(" ", m) + "]"));
                }
            }
            List<String> slow = required.unwanted(eff).stream()
                    .filter(t -> KernelCmdline.matchesRemoval(t, RootDelayRule.REMOVE_LARGE))
                    .toList();
            if (!slow.isEmpty()) {
                sleeping.add(Findings.ev(
                        s.file(),
                        line,
                        kind(s) + s.effective() + "  [remove: " + String.join(" ", slow) + ": " + d.evidence() + "]"));
            }
            List<String> u = p.unwanted(eff).stream()
                    .filter(t -> p.removed().stream().anyMatch(r -> KernelCmdline.matchesRemoval(t, r)))
                    .toList();
            if (!u.isEmpty()) {
                unwanted.add(Findings.ev(
                        s.file(), line, kind(s) + s.effective() + "  [remove: " + String.join(" ", u) + "]"));
            }
        }
        List<Evidence> rootdelay =
                rules.evidence().stream().map(e -> Findings.ev("rootdelay", e)).toList();
        List<Evidence> problemEv = problems.stream()
                .map(pr -> Findings.ev(pr.substring(0, Math.max(0, pr.indexOf(':'))), pr))
                .toList();
        String sitesNote = sites.size() + " command-line places checked"
                + (bootEntry ? "" : " (no generated boot entries found: only the defaults)");
        boolean undecided = rules.global().action() == RootDelayRule.Action.LEAVE
                || rules.byKernel().values().stream().anyMatch(d -> d.action() == RootDelayRule.Action.LEAVE);
        String wanted = String.join(" ", base.required());
        Finding console;
        if (!missing.isEmpty() || !sleeping.isEmpty()) {
            List<Evidence> ev = new ArrayList<>(Findings.cap(missing, 30));
            ev.addAll(Findings.cap(sleeping, 30));
            ev.addAll(rootdelay);
            console = Findings.fail(
                    "CMDLINE-CONSOLE",
                    (missing.size() + sleeping.size()) + " of " + sites.size()
                            + " command-line places lack required arguments or sleep a long rootdelay.",
                    ev,
                    "add " + wanted + " (and rootdelay=300 only where the initramfs does not sleep it; rootwait "
                            + "without an initramfs) to GRUB_CMDLINE_LINUX, grub.cfg linux lines, BLS options and "
                            + "grubenv kernelopts; remove a rootdelay above " + RootDelayRule.MAX_KEPT_SLEEP
                            + " s where it is a sleep");
        } else if (!problems.isEmpty()) {
            console = Findings.warn(
                    "CMDLINE-CONSOLE",
                    "The readable places are fine, but some could not be read.",
                    problemEv,
                    "fix or remove the unreadable files");
        } else if (undecided) {
            List<Evidence> ev = new ArrayList<>(
                    List.of(Findings.ev(sites.get(0).file(), sites.get(0).effective())));
            ev.addAll(rootdelay);
            console = Findings.warn(
                    "CMDLINE-CONSOLE",
                    "Every boot entry has " + wanted + "; whether rootdelay=300 is "
                            + "needed could not be decided for every kernel; " + sitesNote + ".",
                    ev,
                    "add rootdelay=300 yourself if this initramfs waits for the root device by rootdelay");
        } else {
            List<Evidence> ev = new ArrayList<>(
                    List.of(Findings.ev(sites.get(0).file(), sites.get(0).effective())));
            ev.addAll(rootdelay);
            console = Findings.pass(
                    "CMDLINE-CONSOLE",
                    "Every boot entry has " + wanted + ", and rootdelay as its " + "initramfs needs it; " + sitesNote
                            + ".",
                    ev);
        }
        Finding quiet = unwanted.isEmpty()
                ? Findings.pass(
                        "CMDLINE-NOQUIET", "No " + String.join("/", p.removed()) + " on any command line.", List.of())
                : Findings.fail(
                        "CMDLINE-NOQUIET",
                        "Boot output is hidden or memory reserved: " + unwanted.size() + " places carry "
                                + String.join("/", p.removed()) + ".",
                        Findings.cap(unwanted, 30),
                        "remove " + String.join(" ", p.removed()) + " in the same places");
        return List.of(console, quiet);
    }

    private static String kind(CmdlineSite s) {
        return switch (s.kind()) {
            case DEFAULT_GRUB -> "GRUB_CMDLINE_LINUX=";
            case DEFAULT_GRUB_EXTRA -> "GRUB_CMDLINE_LINUX_DEFAULT=";
            case GRUB_CFG -> "linux ";
            case GRUB_CFG_KERNELOPTS -> "set kernelopts=";
            case BLS -> "options ";
            case GRUBENV -> "kernelopts=";
            case KERNEL_CMDLINE -> "";
            case GRUB_LEGACY -> "kernel ";
            case GRUB_LEGACY_KOPT -> "# kopt=";
            case GRUB_LEGACY_DEFOPTIONS -> "# defoptions=";
            case EXTLINUX -> "APPEND ";
            case EXTLINUX_SOURCE -> "default_kernel_opts=";
            case SUSE_BOOTLOADER -> "DEFAULT_APPEND=";
        };
    }

    /** Sites a boot entry is generated from (not an entry itself): defaults, magic comments, update-extlinux.conf. */
    private static boolean bootEntry(CmdlineSite.Kind k) {
        return switch (k) {
            case DEFAULT_GRUB,
                    DEFAULT_GRUB_EXTRA,
                    GRUB_LEGACY_KOPT,
                    GRUB_LEGACY_DEFOPTIONS,
                    EXTLINUX_SOURCE,
                    SUSE_BOOTLOADER -> false;
            default -> true;
        };
    }
}
