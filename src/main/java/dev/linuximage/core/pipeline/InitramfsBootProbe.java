package dev.linuximage.core.pipeline;

import dev.linuximage.core.guest.GuestReader;
import dev.linuximage.core.guest.InitramfsBoot;
import dev.linuximage.core.initramfs.InitramfsReader;
import dev.linuximage.core.initramfs.InitramfsTree;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Reads one initramfs image's boot scripts ({@link InitramfsBoot#wanted}) in a single streaming pass and hands them
 * to {@link InitramfsBoot#analyse}: which generator made it, whether {@code /init} exists (a file, or dracut's
 * symlink to systemd), and what its scripts do with {@code rootdelay=} and the resume device.
 */
final class InitramfsBootProbe {
    private InitramfsBootProbe() {}

    /**
     * @param path  the image's guest path (evidence only)
     * @param image the whole image
     * @throws IOException when the image cannot be read (the caller then falls back to the guest's generator)
     */
    static InitramfsBoot read(String path, byte[] image, InitramfsReader reader) throws IOException {
        return read(path, InitramfsTree.read(image, reader, CAPTURE));
    }

    /** The files the probe reads: the boot scripts and configuration {@link InitramfsBoot#wanted} names. */
    static final Predicate<String> CAPTURE = p -> InitramfsBoot.wanted(p) && !p.endsWith(".ko");

    /**
     * As {@link #read(String, byte[], InitramfsReader)} from the image's tree already read with {@link #CAPTURE} or
     * a predicate accepting more (no decoding here).
     */
    static InitramfsBoot read(String path, InitramfsTree whole) throws IOException {
        InitramfsTree tree = whole.view(CAPTURE);
        Map<String, String> scripts = new HashMap<>();
        for (Map.Entry<String, InitramfsTree.Node> e : tree.nodes().entrySet()) {
            byte[] b = tree.captured(e.getKey());
            if (b != null && b.length <= InitramfsBoot.MAX_SCRIPT) {
                scripts.put(e.getKey(), new String(b, StandardCharsets.UTF_8));
            }
        }
        InitramfsTree.Node init = tree.nodes().get("init");
        String generator;
        if (tree.typeOf("conf/initramfs.conf") == '-' || tree.typeOf("scripts/functions") == '-') {
            generator = "initramfs-tools";
        } else if (tree.typeOf("usr/lib/dracut") == 'd' || tree.typeOf("lib/dracut") == 'd') {
            generator = "dracut";
        } else if (mkinitcpio(tree, scripts.get("init"), init)) {
            generator = "mkinitcpio";
        } else if (mkinitfs(scripts.get("init"))) {
            generator = "mkinitfs";
        } else {
            generator = "unknown";
        }
        return InitramfsBoot.analyse(
                path, generator, init != null, init != null && init.type() == 'l' ? init.linkTarget() : null, scripts);
    }

    /**
     * mkinitcpio: its busybox {@code /init} (base hook) sources {@code /init_functions} ({@code . /init_functions});
     * with the systemd hook {@code /init} is a link to systemd and the image is recognised by the
     * {@code /buildconfig} and {@code /config} files {@code parse_config} always writes (the config holding the
     * {@code HOOKS=} line the busybox init reads).
     */
    static boolean mkinitcpio(InitramfsTree tree, String init, InitramfsTree.Node node) throws IOException {
        if (init != null
                && tree.typeOf("init_functions") == '-'
                && anyLine(
                        init,
                        l -> l.equals(". /init_functions")
                                || l.startsWith(". /init_functions ")
                                || l.startsWith("source /init_functions"))) {
            return true;
        }
        return node != null && node.type() == 'l' && tree.typeOf("buildconfig") == '-' && tree.typeOf("config") == '-';
    }

    /** Alpine mkinitfs: its {@code /init} ({@code initramfs-init}) runs {@code nlplug-findfs} to find root. */
    static boolean mkinitfs(String init) {
        return init != null && anyLine(init, l -> !l.startsWith("#") && l.matches(".*(^|[\\s/])nlplug-findfs\\s.*"));
    }

    /** Whether a stripped line of the script matches. */
    private static boolean anyLine(String text, Predicate<String> p) {
        return GuestReader.lines(text).stream().map(String::strip).anyMatch(p);
    }
}
