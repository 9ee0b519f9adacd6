package dev.linuximage.core.compliance;

import dev.linuximage.core.guest.CloudConfig;
import dev.linuximage.core.guest.CloudInitPatch;
import dev.linuximage.core.guest.Provisioning;
import dev.linuximage.core.report.Evidence;
import dev.linuximage.core.report.Finding;
import java.util.ArrayList;
import java.util.List;

/** CLOUDINIT-DATASOURCE, CLOUDINIT-MOUNTS, CLOUDINIT-SWAP, CLOUDINIT-LOGGING on the merged cloud-init config. */
final class CloudInitChecks {
    private CloudInitChecks() {}

    static List<Finding> check(CheckContext c) {
        List<String> ids = List.of("CLOUDINIT-DATASOURCE", "CLOUDINIT-MOUNTS", "CLOUDINIT-SWAP", "CLOUDINIT-LOGGING");
        if (c.options().provisioning() != Provisioning.CloudInit) {
            return ids.stream()
                    .map(id -> Findings.na(id, "Provisioning is " + c.options().provisioning() + "."))
                    .toList();
        }
        if (!c.reader().isFile(CloudConfig.MAIN)) {
            return ids.stream()
                    .map(id -> Findings.fail(
                            id,
                            "cloud-init is not installed (no " + CloudConfig.MAIN + ").",
                            List.of(Findings.ev(CloudConfig.MAIN, "absent")),
                            "install cloud-init (see AGENT-PRESENT)"))
                    .toList();
        }
        CloudConfig cc = c.cloud();
        List<Evidence> problems = cc.problems().stream()
                .map(p -> Findings.ev(p.substring(0, Math.max(0, p.indexOf(':'))), p))
                .toList();
        List<Finding> out = new ArrayList<>();
        List<String> installer = CloudInitPatch.INSTALLER_LEFTOVERS.stream()
                .filter(c.reader()::exists)
                .toList();
        Finding ds = cloudFinding(
                cc,
                problems,
                "CLOUDINIT-DATASOURCE",
                CloudInitPatch.datasourceOk(cc) && installer.isEmpty(),
                "datasource_list is [ Azure ] and Azure.apply_network_config is False.",
                installer.isEmpty()
                        ? "cloud-init does not use only the Azure datasource with apply_network_config " + "False."
                        : "the Ubuntu installer's leftovers override the datasource and/or disable "
                                + "cloud-init's networking (they sort after " + CloudInitPatch.DATASOURCE_FILE + ").",
                (installer.isEmpty() ? "" : "delete " + String.join(", ", installer) + "; ") + "write "
                        + CloudInitPatch.DATASOURCE_FILE,
                Findings.ev(
                        CloudConfig.DIR,
                        "datasource_list=" + cc.get("datasource_list") + ", apply_network_config="
                                + cc.get("datasource", "Azure", "apply_network_config") + ", network="
                                + cc.get("network")));
        if (!installer.isEmpty()) {
            List<Evidence> ev = new ArrayList<>(ds.evidence());
            installer.forEach(f -> ev.add(Findings.ev(f, "left by the installer (subiquity)")));
            ds = new Finding(ds.id(), ds.status(), ds.message(), ev, ds.repair());
        }
        out.add(ds);
        out.add(cloudFinding(
                cc,
                problems,
                "CLOUDINIT-MOUNTS",
                CloudInitPatch.mountsOk(cc),
                "cloud_init_modules runs disk_setup and mounts.",
                "disk_setup and mounts are not each listed once, in cloud_init_modules only.",
                "list disk_setup and mounts once, in cloud_init_modules of " + CloudConfig.MAIN
                        + " (and not in cloud_config_modules / cloud_final_modules)",
                Findings.ev(
                        CloudConfig.MAIN,
                        "cloud_init_modules=" + cc.modules("cloud_init_modules")
                                + ", cloud_config_modules=" + cc.modules("cloud_config_modules")
                                + ", cloud_final_modules=" + cc.modules("cloud_final_modules"))));
        boolean swap = CloudInitPatch.swapOk(cc);
        if (swap || c.options().cloudInitSwapDropIn()) {
            out.add(cloudFinding(
                    cc,
                    problems,
                    "CLOUDINIT-SWAP",
                    swap,
                    "cloud-init puts swap on the resource disk (ephemeral0.2).",
                    "the resource-disk swap drop-in was asked for but is not in effect.",
                    "write " + CloudInitPatch.SWAP_FILE,
                    Findings.ev(CloudConfig.DIR, "mounts=" + cc.get("mounts"))));
        } else {
            out.add(Findings.na(
                    "CLOUDINIT-SWAP",
                    "Opt-in (--cloud-init-swap); passing the swap configuration as custom "
                            + "data per VM is the recommended alternative."));
        }
        out.add(cloudFinding(
                cc,
                problems,
                "CLOUDINIT-LOGGING",
                CloudInitPatch.loggingOk(cc),
                "cloud-init output goes to " + CloudInitPatch.OUTPUT_LOG + ".",
                "cloud-init output is not logged to " + CloudInitPatch.OUTPUT_LOG + ".",
                "write " + CloudInitPatch.LOGGING_FILE,
                Findings.ev(CloudConfig.DIR, "output=" + cc.get("output"))));
        return out;
    }

    private static Finding cloudFinding(
            CloudConfig cc,
            List<Evidence> problems,
            String id,
            boolean ok,
            String pass,
            String fail,
            String repair,
            Evidence ev) {
        List<Evidence> all = new ArrayList<>(List.of(ev));
        all.addAll(problems);
        if (ok) {
            return Findings.pass(id, "The merged cloud-init configuration: " + pass, all);
        }
        if (!problems.isEmpty()) {
            return Findings.fail(
                    id,
                    "Some cloud-init configuration files are invalid, and " + fail,
                    all,
                    "fix the invalid files; " + repair);
        }
        return Findings.fail(id, "The merged cloud-init configuration: " + fail, all, repair);
    }
}
