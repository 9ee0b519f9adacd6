package dev.linuximage.core.initramfs.kmod;

import io.airlift.compress.zstd.ZstdInputStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Locale;
import java.util.zip.GZIPInputStream;
import org.tukaani.xz.XZInputStream;

/** Kernel module file names and their compressed forms ({@code .ko}, {@code .ko.xz}, {@code .ko.zst}, {@code .ko.gz}). */
public final class ModuleFile {
    /** Largest decompressed module accepted (the biggest in-tree modules are a few tens of MiB). */
    public static final int MAX_MODULE_BYTES = 128 << 20;

    private ModuleFile() {}

    /** True for {@code *.ko}, {@code *.ko.xz}, {@code *.ko.zst}, {@code *.ko.gz}. */
    public static boolean isModule(String fileName) {
        return suffix(fileName) != null;
    }

    private static String suffix(String fileName) {
        for (String s : new String[] {".ko", ".ko.xz", ".ko.zst", ".ko.gz"}) {
            if (fileName.endsWith(s) && fileName.length() > s.length()) {
                return s;
            }
        }
        return null;
    }

    /**
     * The module name kmod uses for a path: the base name without the {@code .ko*} suffix, {@code -} turned into
     * {@code _} (libkmod {@code modname_normalize}).
     */
    public static String moduleName(String path) {
        String base = path.substring(path.lastIndexOf('/') + 1);
        String s = suffix(base);
        if (s != null) {
            base = base.substring(0, base.length() - s.length());
        }
        return normalise(base);
    }

    /** {@code -} to {@code _}, as kmod compares module names. */
    public static String normalise(String name) {
        return name.replace('-', '_');
    }

    /** The ELF image of a module file, decompressed according to its name's suffix (capped). */
    public static byte[] elf(String fileName, byte[] content) throws KmodException {
        String s = suffix(fileName.toLowerCase(Locale.ROOT));
        try {
            InputStream in = switch (s == null ? ".ko" : s) {
                case ".ko.xz" -> new XZInputStream(new ByteArrayInputStream(content), 64 * 1024);
                case ".ko.zst" -> new ZstdInputStream(new ByteArrayInputStream(content));
                case ".ko.gz" -> new GZIPInputStream(new ByteArrayInputStream(content));
                default -> null;
            };
            if (in == null) {
                return content;
            }
            byte[] out = in.readNBytes(MAX_MODULE_BYTES + 1);
            if (out.length > MAX_MODULE_BYTES) {
                throw new KmodException(
                        "module.size", fileName + " decompresses to more than " + MAX_MODULE_BYTES + " bytes");
            }
            return out;
        } catch (KmodException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new KmodException("module.compression", fileName + ": " + e, e);
        }
    }
}
