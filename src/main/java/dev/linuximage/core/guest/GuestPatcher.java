package dev.linuximage.core.guest;

import dev.linuximage.core.fs.GuestFiles;
import dev.linuximage.core.guestfs.ChangeLog;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs every patch the options call for, in a fixed order, on a writable guest. Each patch is idempotent: on an
 * already patched guest the change log stays empty. A patch that fails is recorded (its requirement keeps failing
 * in the re-check) and the others still run.
 */
public final class GuestPatcher {

    /** A patch that could not be applied. */
    public record PatchError(String requirement, String message) {}

    /** What a run did. */
    public record Result(ChangeLog changes, List<PatchError> errors) {}

    private interface Step {
        void run() throws IOException;
    }

    private GuestPatcher() {}

    /**
     * @param guest   writable guest
     * @param o       options
     * @param kernels kernel facts before patching (for KERNEL-HV-DRIVERS)
     * @param repair  the initramfs repair hook, or null when none is wired (the check then advises)
     */
    public static Result patch(GuestFiles guest, PatchOptions o, List<KernelFacts> kernels, HvDriverRepair repair) {
        if (guest.readOnly()) {
            throw new IllegalArgumentException("the guest is open read-only; patching needs a writable guest");
        }
        ChangeLog log = new ChangeLog();
        GuestEditor ed = new GuestEditor(guest, log);
        List<PatchError> errors = new ArrayList<>();
        GuestInspection g = GuestInspector.inspect(guest);
        step(errors, HvDriverPatch.REQ, () -> HvDriverPatch.apply(ed, kernels, o, repair));
        step(errors, CmdlinePatch.REQ, () -> CmdlinePatch.apply(ed, g, o, kernels));
        step(errors, NetworkPatch.REQ, () -> NetworkPatch.apply(ed, o));
        step(errors, SwapPatch.REQ, () -> SwapPatch.apply(ed, g));
        step(errors, ResumePatch.REQ, () -> ResumePatch.apply(ed, g, kernels));
        step(errors, "KERNEL-VFAT", () -> ModprobePatch.apply(ed, g));
        step(errors, "AGENT-PRESENT", () -> ServicePatch.apply(ed, g, o));
        step(errors, WaagentConfPatch.requirement(o).orElse("WAAGENT-CLOUDINIT"), () -> WaagentConfPatch.apply(ed, o));
        if (o.provisioning() == Provisioning.CloudInit) {
            step(errors, "CLOUDINIT-DATASOURCE", () -> CloudInitPatch.apply(ed, o));
        }
        step(errors, "NOAGENT-REPORT-READY", () -> NoAgentPatch.apply(ed, g, o));
        // deprovisioning last: it sees the guest after the other patches (e.g. waagent state already gone)
        step(errors, "DEPROVISION-USERS", () -> DeprovisionPatch.apply(ed, GuestInspector.inspect(guest), o));
        // after everything that may create files: an SELinux guest relabels them at first boot
        step(errors, SelinuxRelabelPatch.REQ, () -> SelinuxRelabelPatch.apply(ed));
        return new Result(log, errors);
    }

    private static void step(List<PatchError> errors, String req, Step s) {
        try {
            s.run();
        } catch (IOException | RuntimeException e) {
            dev.linuximage.core.fs.StorageDamage.rethrow(e); // a damaged file system is not one patch's error
            errors.add(new PatchError(req, e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
        }
    }
}
