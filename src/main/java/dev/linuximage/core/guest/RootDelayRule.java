package dev.linuximage.core.guest;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * CMDLINE-CONSOLE's {@code rootdelay=300}, decided per kernel from what its boot path does with the value
 * ({@link InitramfsBoot}): the catalogue asks for it only where the initramfs treats it as a wait-for-device timeout.
 * <ul>
 *   <li>an initramfs that sleeps it (initramfs-tools): not added, and a value above {@value #MAX_KEPT_SLEEP} s is
 *       removed — initramfs-tools already polls for the root device for 30 s on its own ({@code scripts/local}:
 *       max(30, rootdelay) counted from before the sleep), so a larger value only idles the boot (300 s: five idle
 *       minutes each boot); up to 10 s is kept as a deliberate settle delay that stays well inside that window and the
 *       90 s boot-to-root budget;</li>
 *   <li>no initramfs (the kernel mounts root): {@code init/do_mounts.c} sleeps rootdelay unconditionally too, so the
 *       same removal, and {@code rootwait} is required instead — it polls for the device (a deviation from the
 *       catalogue's "no initramfs" case, stated in the evidence);</li>
 *   <li>an initramfs that waits for the root device at most rootdelay seconds (mkinitcpio's busybox init:
 *       {@code poll_device "$device" "$rootdelay"}, which returns as soon as the device exists): added — this is the
 *       wait-for-device timeout the catalogue means, raised from mkinitcpio's default 10 s;</li>
 *   <li>an initramfs that never reads it (dracut, Alpine mkinitfs, mkinitcpio's systemd hook; systemd in the initrd
 *       neither): added as the catalogue asks — it costs nothing there, their own waits are {@code rd.retry}/
 *       {@code rd.timeout} and nlplug-findfs' uevent timeout;</li>
 *   <li>a generator this product does not know that reads it without sleeping it: left as it is.</li>
 * </ul>
 * When the initramfs could not be read, the generator installed in the guest is analysed instead
 * ({@link InitramfsBoot#fromGuest}); when nothing is installed either, the distribution family's only generator is
 * assumed (Debian/Ubuntu: initramfs-tools, so nothing is added; Red Hat/SUSE: dracut) and the evidence says so.
 * A user's own {@code rootdelay} in the spec's added arguments wins over all of this.
 */
public final class RootDelayRule {
    public static final String ROOTDELAY = "rootdelay=300";
    public static final String ROOTWAIT = "rootwait";
    /** Largest {@code rootdelay} (seconds) kept where it is a sleep. */
    public static final int MAX_KEPT_SLEEP = 10;
    /** Removal pattern for a sleeping rootdelay above the bound ({@link KernelCmdline#matchesRemoval}). */
    public static final String REMOVE_LARGE = "rootdelay>" + MAX_KEPT_SLEEP;

    /** What a command line booting a kernel gets. */
    public enum Action {
        ADD,
        REMOVE_LARGE,
        ROOTWAIT,
        LEAVE,
        USER;

        /** The policy for command lines that boot such a kernel. */
        public CmdlinePolicy apply(CmdlinePolicy base) {
            return switch (this) {
                case ADD -> base.with(List.of(ROOTDELAY), List.of());
                case REMOVE_LARGE -> base.with(List.of(), List.of(RootDelayRule.REMOVE_LARGE));
                case ROOTWAIT -> base.with(List.of(RootDelayRule.ROOTWAIT), List.of(RootDelayRule.REMOVE_LARGE));
                case LEAVE, USER -> base;
            };
        }

        String outcome() {
            return switch (this) {
                case ADD -> "rootdelay=300 added";
                case REMOVE_LARGE -> "rootdelay not added (any above " + MAX_KEPT_SLEEP + " s removed)";
                case ROOTWAIT -> "rootdelay not added (any above " + MAX_KEPT_SLEEP + " s removed), rootwait added";
                case LEAVE -> "rootdelay left as it is";
                case USER -> "rootdelay as the spec's added arguments say";
            };
        }
    }

    /**
     * @param kernel   the kernel version, or null for the decision that applies to every kernel (global sites)
     * @param evidence what was read and what follows
     */
    public record Decision(String kernel, Action action, String evidence) {}

    /**
     * Per-kernel decisions and the one for places every kernel boots with.
     *
     * @param names a kernel image name to its release where they differ ({@code vmlinuz-virt} is Alpine's
     *              6.6.14-0-virt, {@code vmlinuz-linux} Arch's 6.7.4-arch1-1), from {@link KernelFacts#name()}
     */
    public record Rules(Map<String, Decision> byKernel, Decision global, Map<String, String> names) {
        public Rules(Map<String, Decision> byKernel, Decision global) {
            this(byKernel, global, Map.of());
        }

        /**
         * The decision for an entry booting {@code kernelImage} (as a grub.cfg {@code linux} line or BLS
         * {@code linux} key names it, e.g. {@code /boot/vmlinuz-6.1.0-26-amd64}); the global one when unknown.
         */
        public Decision forImage(String kernelImage) {
            if (kernelImage == null) {
                return global;
            }
            String base = GuestReader.baseName(kernelImage);
            String v = base.startsWith("vmlinuz-") ? base.substring(8) : base;
            Decision d = byKernel.get(v);
            if (d == null && names.containsKey(v)) {
                d = byKernel.get(names.get(v));
            }
            int slash = kernelImage.lastIndexOf('/');
            if (d == null && slash > 0) {
                // kernel-install's BLS layout: <token>/<kernel version>/linux on the ESP
                d = byKernel.get(GuestReader.baseName(kernelImage.substring(0, slash)));
            }
            return d == null ? global : d;
        }

        /** The distinct evidence lines, for the finding. */
        public List<String> evidence() {
            List<String> out = new ArrayList<>();
            for (Decision d : byKernel.values()) {
                if (!out.contains(d.evidence())) {
                    out.add(d.evidence());
                }
            }
            if (byKernel.isEmpty()) {
                out.add(global.evidence());
            }
            return out;
        }
    }

    private RootDelayRule() {}

    /**
     * @param kernels the initramfs layer's facts (may be null or empty: then only the guest's files are used)
     */
    public static Rules decide(GuestReader r, GuestInspection g, List<KernelFacts> kernels, PatchOptions o) {
        boolean user =
                o.kernelArgsAdd().stream().anyMatch(t -> KernelCmdline.key(t).equals("rootdelay"));
        Map<String, KernelFacts> facts = new LinkedHashMap<>();
        if (kernels != null) {
            kernels.forEach(k -> facts.put(k.version(), k));
        }
        List<String> versions = new ArrayList<>(facts.keySet());
        Map<String, String> names = new LinkedHashMap<>();
        facts.values().stream()
                .filter(k -> !k.name().equals(k.version()))
                .forEach(k -> names.put(k.name(), k.version()));
        for (GuestInspection.KernelInfo k : g.kernels()) {
            // the inspector keys a kernel by its image name (vmlinuz-virt -> "virt"); the initramfs layer already
            // paired that image with its release
            if (!versions.contains(k.version()) && !names.containsKey(k.version())) {
                versions.add(k.version());
            }
        }
        InitramfsBoot[] fallback = new InitramfsBoot[1];
        boolean[] fallbackRead = new boolean[1];
        Map<String, Decision> byKernel = new LinkedHashMap<>();
        for (String v : versions) {
            if (user) {
                byKernel.put(v, new Decision(v, Action.USER, v + ": the spec adds its own rootdelay"));
                continue;
            }
            KernelFacts f = facts.get(v);
            InitramfsBoot boot = f == null ? null : f.boot();
            String initrd = f != null
                    ? f.initramfsPath()
                    : g.kernels().stream()
                            .filter(k -> k.version().equals(v))
                            .findFirst()
                            .map(GuestInspection.KernelInfo::initramfsPath)
                            .orElse(null);
            if (boot == null && initrd == null) {
                if (!names.containsValue(v)
                        && g.kernels().stream().noneMatch(k -> k.version().equals(v) && k.imagePath() != null)) {
                    // only a module tree (e.g. /lib/modules/6.6.14-0-virt next to Alpine's vmlinuz-virt, or one
                    // left behind by a removed kernel): nothing boots it, it decides nothing
                    continue;
                }
                boot = InitramfsBoot.noInitramfs(v);
            }
            if (boot == null) {
                if (!fallbackRead[0]) {
                    fallback[0] = InitramfsBoot.fromGuest(r);
                    fallbackRead[0] = true;
                }
                boot = fallback[0];
                byKernel.put(
                        v,
                        boot == null
                                ? assumed(v, g)
                                : decision(v, boot, (initrd == null ? "" : initrd + " not read; ")));
            } else {
                byKernel.put(v, decision(v, boot, ""));
            }
        }
        Decision global;
        if (user) {
            global = new Decision(null, Action.USER, "the spec adds its own rootdelay");
        } else if (byKernel.isEmpty()) {
            InitramfsBoot boot = InitramfsBoot.fromGuest(r);
            global = boot == null ? assumed(null, g) : decision(null, boot, "no kernel found; ");
        } else {
            global = combine(byKernel);
        }
        return new Rules(byKernel, global, names);
    }

    private static Decision decision(String v, InitramfsBoot b, String prefix) {
        Action a = switch (b.rootDelay()) {
            case SLEEP -> Action.REMOVE_LARGE;
            case TIMEOUT, NOT_READ -> Action.ADD;
            case KERNEL_SLEEP -> Action.ROOTWAIT;
            case UNKNOWN -> Action.LEAVE;
        };
        String where =
                b.source().startsWith("/") ? b.generator() + " initramfs " + b.source() + ": " : b.source() + ": ";
        if (b.rootDelay() == InitramfsBoot.RootDelay.KERNEL_SLEEP) {
            where = "";
        }
        return new Decision(
                v, a, (v == null ? "" : v + ": ") + prefix + where + b.rootDelayEvidence() + " -> " + a.outcome());
    }

    /** Nothing could be read: the family's only generator is assumed. */
    private static Decision assumed(String v, GuestInspection g) {
        GuestInspection.OsInfo os = g.os();
        String p = v == null ? "" : v + ": ";
        boolean debian = os.id().equals("debian")
                || os.id().equals("ubuntu")
                || os.idLike().contains("debian")
                || os.idLike().contains("ubuntu");
        boolean dracut = os.redHatFamily()
                || os.id().contains("suse")
                || os.id().equals("sles")
                || os.idLike().contains("suse");
        if (debian) {
            return new Decision(
                    v,
                    Action.REMOVE_LARGE,
                    p + "initramfs not read and no generator installed; "
                            + os.id() + "'s generator is initramfs-tools, whose init sleeps rootdelay (assumed) -> "
                            + Action.REMOVE_LARGE.outcome());
        }
        if (dracut) {
            return new Decision(
                    v,
                    Action.ADD,
                    p + "initramfs not read and no generator installed; " + os.id()
                            + "'s generator is dracut, which does not read rootdelay (assumed) -> "
                            + Action.ADD.outcome());
        }
        return new Decision(
                v,
                Action.LEAVE,
                p + "initramfs not read, no generator installed, distribution "
                        + os.id() + " unknown: whether rootdelay is a sleep or a device timeout cannot be told -> "
                        + Action.LEAVE.outcome());
    }

    /**
     * Places every kernel boots with (GRUB_CMDLINE_LINUX, grubenv kernelopts, /etc/kernel/cmdline): never add
     * rootdelay when any kernel sleeps it; add it only when every kernel ignores it.
     */
    private static Decision combine(Map<String, Decision> byKernel) {
        List<Action> actions =
                byKernel.values().stream().map(Decision::action).distinct().toList();
        Action a;
        if (actions.size() == 1) {
            a = actions.get(0);
        } else if (actions.contains(Action.ROOTWAIT)) {
            a = Action.ROOTWAIT;
        } else if (actions.contains(Action.REMOVE_LARGE)) {
            a = Action.REMOVE_LARGE;
        } else {
            a = Action.LEAVE;
        }
        String ev = actions.size() == 1
                ? "every kernel: " + a.outcome()
                : "kernels differ (" + actions + "): for places every kernel boots with, " + a.outcome();
        return new Decision(null, a, ev);
    }
}
