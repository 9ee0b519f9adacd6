package dev.linuximage.core.compliance;

import dev.linuximage.core.guest.CmdlinePatch;
import dev.linuximage.core.guest.CmdlineSite;
import dev.linuximage.core.guest.GuestInspection;
import dev.linuximage.core.guest.HvDriverPatch;
import dev.linuximage.core.guest.HvDriverPersistence;
import dev.linuximage.core.guest.KernelCmdline;
import dev.linuximage.core.guest.KernelFacts;
import dev.linuximage.core.guest.KernelVersion;
import dev.linuximage.core.guest.OsIdentity;
import dev.linuximage.core.report.Evidence;
import dev.linuximage.core.report.Finding;
import java.util.ArrayList;
import java.util.List;

/** KERNEL-HV-DRIVERS, KERNEL-VFAT, KERNEL-UDF, KERNEL-NUMA, KERNEL-LIS. */
final class KernelChecks {
    private KernelChecks() {}

    static List<Finding> check(CheckContext c) {
        return List.of(
                hv(c),
                module(c, "vfat", "KERNEL-VFAT", "fs/fat/vfat.ko"),
                module(c, "udf", "KERNEL-UDF", "fs/udf/udf.ko"),
                numa(c),
                lis(c));
    }

    static Finding hv(CheckContext c) {
        String id = HvDriverPatch.REQ;
        List<KernelFacts> ks = c.kernels();
        if (ks == null || ks.isEmpty()) {
            return Findings.unknown(
                    id,
                    c.guest().kernels().isEmpty()
                            ? "no installed kernel found"
                            : "no kernel facts: the initramfs contents were not read",
                    List.of());
        }
        List<Evidence> ev = new ArrayList<>();
        boolean missing = false;
        boolean unknown = false;
        boolean needInitramfs = false;
        for (KernelFacts k : ks) {
            List<String> miss = HvDriverPatch.missing(k);
            if (!HvDriverPatch.MODULES.stream().allMatch(k.builtinModules()::contains)) {
                needInitramfs = true;
            }
            String where = k.initramfsPath() == null ? "/lib/modules/" + k.version() : k.initramfsPath();
            if (miss.isEmpty()) {
                ev.add(Findings.ev(
                        where,
                        k.label() + ": " + String.join(", ", HvDriverPatch.MODULES) + " built in or in the initramfs"));
            } else if (!k.initramfsReadable()) {
                unknown = true;
                ev.add(Findings.ev(
                        where, k.label() + ": " + String.join(", ", miss) + " not built in; initramfs not readable"));
            } else {
                missing = true;
                ev.add(Findings.ev(where, k.label() + ": missing " + String.join(", ", miss)));
            }
        }
        // the requirement's second half: the next initramfs rebuild (kernel update) must keep the drivers
        List<String> atRisk = new ArrayList<>();
        if (needInitramfs) {
            for (HvDriverPersistence.Status s : HvDriverPersistence.status(c.reader(), HvDriverPatch.MODULES)) {
                String g = s.generator().label();
                if (s.atRisk()) {
                    atRisk.add(g);
                    ev.add(Findings.ev(
                            s.file(),
                            g + " is host-only (" + s.why() + ") and " + String.join(", ", s.missing())
                                    + " are not configured: the next initramfs rebuild drops them"));
                } else if (s.missing().isEmpty()) {
                    ev.add(Findings.ev(
                            s.file(),
                            g + ": " + String.join(", ", HvDriverPatch.MODULES)
                                    + " configured for future initramfs rebuilds"));
                } else {
                    ev.add(Findings.ev(
                            s.file(),
                            g + " is not host-only (" + s.why() + "): rebuilds include the Hyper-V " + "drivers"));
                }
            }
        }
        if (missing) {
            String repair = c.options().hyperVDrivers()
                    ? (c.hvRepairAvailable()
                            ? "add the modules from /lib/modules/<version> to the initramfs and "
                                    + "configure them for the initramfs generator"
                            : "add hv_vmbus, hv_storvsc, hv_netvsc to the initramfs (dracut: add_drivers+=; "
                                    + "initramfs-tools: /etc/initramfs-tools/modules) and rebuild it")
                    : "repair disabled (--hyperv-drivers=false): add the modules to the initramfs yourself";
            return Findings.fail(id, "Some kernels cannot reach the Hyper-V disk and network at boot.", ev, repair);
        }
        if (!atRisk.isEmpty()) {
            return Findings.fail(
                    id,
                    "The Hyper-V drivers are in the initramfs but " + String.join(", ", atRisk)
                            + " would leave them out at the next rebuild (kernel update).",
                    ev,
                    c.options().hyperVDrivers()
                            ? "configure them for " + String.join(", ", atRisk)
                                    + " (initramfs-tools: /etc/initramfs-tools/modules; dracut: add_drivers+= in "
                                    + "/etc/dracut.conf.d; mkinitcpio: MODULES; mkinitfs: a features.d file)"
                            : "repair disabled (--hyperv-drivers=false): configure the modules yourself");
        }
        if (unknown) {
            return Findings.unknown(id, "Hyper-V modules are not built in and the initramfs could not be read.", ev);
        }
        return Findings.pass(id, "Every kernel has the Hyper-V drivers at boot.", ev);
    }

    /** Whether a module exists for some kernel (built in or as a .ko listed in modules.dep/builtin). */
    private static Boolean moduleExists(CheckContext c, String name, String koPath, List<Evidence> ev) {
        if (c.kernels() != null) {
            for (KernelFacts k : c.kernels()) {
                if (k.builtinModules().contains(name)) {
                    ev.add(Findings.ev("/lib/modules/" + k.version() + "/modules.builtin", name + " built in"));
                    return true;
                }
            }
        }
        boolean any = false;
        for (GuestInspection.KernelInfo k : c.guest().kernels()) {
            for (String f : List.of("modules.builtin", "modules.dep")) {
                String p = "/lib/modules/" + k.version() + "/" + f;
                String t = c.reader().text(p).orElse(null);
                if (t == null) {
                    continue;
                }
                any = true;
                if (t.contains(koPath)) {
                    ev.add(Findings.ev(p, koPath));
                    return true;
                }
            }
        }
        return any ? Boolean.FALSE : null;
    }

    static Finding module(CheckContext c, String name, String id, String koPath) {
        List<Evidence> ev = new ArrayList<>();
        List<GuestInspection.ModprobeRule> rules = c.guest().modprobeRules().stream()
                .filter(r -> r.module().equals(name))
                .toList();
        rules.forEach(r -> ev.add(Findings.ev(r.file(), r.line(), r.text().trim())));
        Boolean exists = moduleExists(c, name, koPath, ev);
        boolean udfOptional = name.equals("udf") && cloudInitAtLeast(c.guest().cloudInitVersion(), 21, 2);
        if (!rules.isEmpty()) {
            return Findings.fail(
                    id,
                    name + " is disabled in modprobe.d"
                            + (name.equals("udf")
                                    ? "; Azure's provisioning media is UDF"
                                    : "; provisioning and UEFI boot need it")
                            + ".",
                    ev,
                    "remove the disabling lines");
        }
        if (exists == null) {
            return Findings.unknown(id, "no modules.dep or modules.builtin for any installed kernel", ev);
        }
        if (!exists) {
            if (udfOptional) {
                return Findings.warn(
                        id,
                        "The kernel has no UDF support; cloud-init " + c.guest().cloudInitVersion()
                                + " can provision without it only SSH-key VMs without custom data.",
                        ev,
                        "install a kernel with the udf module");
            }
            return Findings.fail(
                    id, "No kernel provides " + name + ".", ev, "install a kernel with the " + name + " module");
        }
        return Findings.pass(id, name + " is available and not disabled.", ev);
    }

    static boolean cloudInitAtLeast(String version, int major, int minor) {
        if (version == null) {
            return false;
        }
        List<Integer> v = KernelVersion.base(version);
        return KernelVersion.compare(v, List.of(major, minor)) >= 0;
    }

    static Finding numa(CheckContext c) {
        String id = "KERNEL-NUMA";
        GuestInspection g = c.guest();
        if (g.kernels().isEmpty()) {
            return Findings.unknown(id, "no installed kernel found", List.of());
        }
        List<String> old = g.kernels().stream()
                .filter(k -> KernelVersion.needsNumaOff(k.version(), g.os().redHatFamily()))
                .map(GuestInspection.KernelInfo::version)
                .toList();
        if (old.isEmpty()) {
            return Findings.pass(
                    id,
                    "Every kernel is recent enough not to need numa=off.",
                    g.kernels().stream()
                            .map(k -> Findings.ev(
                                    k.imagePath() != null ? k.imagePath() : "/lib/modules/" + k.version(), k.version()))
                            .toList());
        }
        List<Evidence> ev = new ArrayList<>();
        for (CmdlineSite s : g.cmdline().sites()) {
            if (s.complete() && !KernelCmdline.tokens(s.effective()).contains("numa=off")) {
                ev.add(Findings.ev(s.file(), s.line() == 0 ? null : s.line(), s.effective()));
            }
        }
        if (ev.isEmpty()) {
            return Findings.pass(id, "Old kernels (" + String.join(", ", old) + ") boot with numa=off.", List.of());
        }
        return Findings.fail(
                id,
                "Kernels " + String.join(", ", old) + " need numa=off on the command line.",
                Findings.cap(ev, 20),
                "add numa=off (" + CmdlinePatch.REQ + " sites)");
    }

    static Finding lis(CheckContext c) {
        String id = "KERNEL-LIS";
        GuestInspection g = c.guest();
        if (g.kernels().isEmpty()) {
            return Findings.unknown(id, "no installed kernel found", List.of());
        }
        List<Evidence> ev = new ArrayList<>();
        GuestInspection.OsInfo os = g.os();
        // seeds: RHEL 6.0-6.3 (and derivatives) need Microsoft's LIS package; from 6.4 the drivers are in the kernel
        if (os.redHatFamily()
                && !os.id().equals("fedora")
                && !os.id().equals("amzn")
                && OsIdentity.major(os) == 6
                && OsIdentity.minor(os) >= 0
                && OsIdentity.minor(os) <= 3) {
            ev.add(Findings.ev(os.source(), os.prettyName().isEmpty() ? os.versionId() : os.prettyName()));
            // kmod-microsoft-hyper-v installs its modules the kmod way: /lib/modules/<kver>/extra/<kmod name>/,
            // linked into weak-updates/ for compatible kernels
            List<String> lisDirs = new ArrayList<>();
            for (GuestInspection.KernelInfo k : g.kernels()) {
                for (String sub : List.of("extra", "weak-updates")) {
                    String d = "/lib/modules/" + k.version() + "/" + sub + "/microsoft-hyper-v";
                    if (c.reader().isDir(d)) {
                        lisDirs.add(d);
                    }
                }
            }
            lisDirs.forEach(d -> ev.add(Findings.ev(d, "LIS package modules")));
            return !lisDirs.isEmpty()
                    ? Findings.pass(id, "RHEL 6.0-6.3 with the LIS package installed.", ev)
                    : Findings.warn(
                            id,
                            "RHEL 6.0-6.3 kernels need the separate Linux Integration Services package.",
                            ev,
                            "install Microsoft's LIS package (microsoft-hyper-v, kmod-microsoft-hyper-v) in the guest");
        }
        List<String> ancient = g.kernels().stream()
                .filter(k -> KernelVersion.compare(KernelVersion.base(k.version()), List.of(2, 6, 32)) < 0)
                .map(GuestInspection.KernelInfo::version)
                .toList();
        if (!ancient.isEmpty()) {
            ancient.forEach(v -> ev.add(Findings.ev("/boot", v)));
            return Findings.warn(
                    id,
                    "Kernels older than 2.6.32 do not carry the Hyper-V drivers (LIS).",
                    ev,
                    "use a kernel with in-tree Hyper-V drivers (LIS 3.x+)");
        }
        return Findings.pass(
                id,
                "The kernels carry in-tree Linux Integration Services (Hyper-V drivers).",
                g.kernels().stream().map(k -> Findings.ev("/boot", k.version())).toList());
    }
}
