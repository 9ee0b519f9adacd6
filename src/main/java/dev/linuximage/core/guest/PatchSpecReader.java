package dev.linuximage.core.guest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.linuximage.core.io.Sizes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Reads the patch settings from a LinuxImage manifest ({@code kind: LinuxImage}) as a plain YAML tree: the core does
 * not depend on the operator's classes. Fields read (all optional):
 * <pre>
 * spec.mode
 * spec.maxDiskSize                      bytes, or a size with a binary suffix (K, M, G, T, Ki, Mi, Gi, Ti)
 * spec.guest.imageKind                  Generalized | Specialized
 * spec.guest.provisioning               CloudInit | WALinuxAgent | None
 * spec.guest.resourceDiskSwapMiB        integer MiB, 0 = none
 * spec.guest.hyperVDrivers              boolean
 * spec.guest.cloudInitSwap              boolean (opt-in CLOUDINIT-SWAP drop-in)
 * spec.guest.kernelArgs.add / remove    lists of kernel arguments
 * spec.guest.kernelArgs.keepCrashkernel boolean
 * spec.guest.deprovision.removeUsers    list of user names
 * spec.guest.allowUnknown               list of requirement IDs whose Unknown is accepted
 * </pre>
 * Unknown fields are ignored (the CRD may grow); a wrong type or value is a {@link PatchSpecException} naming the field.
 */
public final class PatchSpecReader {
    /** Manifests are small; a larger file is refused rather than parsed. */
    public static final int MAX_BYTES = 1 << 20;

    private static final Pattern KERNEL_ARG = PatchOptions.KERNEL_ARG;
    private static final Pattern USER = PatchOptions.USER_NAME;

    private PatchSpecReader() {}

    public static PatchSettings read(Path file) throws IOException {
        if (Files.size(file) > MAX_BYTES) {
            throw new PatchSpecException("spec", file + " is larger than " + MAX_BYTES + " bytes");
        }
        return parse(Files.readAllBytes(file));
    }

    public static PatchSettings parse(byte[] yaml) {
        JsonNode root;
        try {
            root = new ObjectMapper(new YAMLFactory()).readTree(yaml);
        } catch (JsonProcessingException e) {
            throw new PatchSpecException("spec", "not valid YAML: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new PatchSpecException("spec", "unreadable: " + e.getMessage());
        }
        if (root == null || !root.isObject()) {
            throw new PatchSpecException("spec", "the manifest is not a YAML mapping");
        }
        JsonNode kind = root.get("kind");
        if (kind != null && !"LinuxImage".equals(kind.asText())) {
            throw new PatchSpecException("kind", "expected LinuxImage, was '" + kind.asText() + "'");
        }
        JsonNode spec = object(root, "spec", "spec");
        if (spec == null) {
            throw new PatchSpecException("spec", "missing");
        }
        String mode = text(spec, "mode", "spec.mode");
        Long maxSize = size(spec, "maxDiskSize", "spec.maxDiskSize");
        JsonNode guest = object(spec, "guest", "spec.guest");
        if (guest == null) {
            return new PatchSettings(mode, null, null, null, null, null, null, null, null, null, maxSize);
        }
        ImageKind kindValue = enumValue(guest, "imageKind", "spec.guest.imageKind", ImageKind.class);
        Provisioning prov = enumValue(guest, "provisioning", "spec.guest.provisioning", Provisioning.class);
        Integer swap = integer(guest, "resourceDiskSwapMiB", "spec.guest.resourceDiskSwapMiB");
        if (swap != null && (swap < 0 || swap > 1 << 20)) {
            throw new PatchSpecException("spec.guest.resourceDiskSwapMiB", "must be 0..1048576 MiB, was " + swap);
        }
        Boolean hv = bool(guest, "hyperVDrivers", "spec.guest.hyperVDrivers");
        Boolean ciSwap = bool(guest, "cloudInitSwap", "spec.guest.cloudInitSwap");
        JsonNode ka = object(guest, "kernelArgs", "spec.guest.kernelArgs");
        List<String> add = null;
        List<String> remove = null;
        Boolean keep = null;
        if (ka != null) {
            add = list(ka, "add", "spec.guest.kernelArgs.add", KERNEL_ARG);
            remove = list(ka, "remove", "spec.guest.kernelArgs.remove", KERNEL_ARG);
            keep = bool(ka, "keepCrashkernel", "spec.guest.kernelArgs.keepCrashkernel");
        }
        JsonNode dep = object(guest, "deprovision", "spec.guest.deprovision");
        List<String> users = dep == null ? null : list(dep, "removeUsers", "spec.guest.deprovision.removeUsers", USER);
        if (users != null && users.contains("root")) {
            throw new PatchSpecException("spec.guest.deprovision.removeUsers", "'root' cannot be removed");
        }
        List<String> allow = list(guest, "allowUnknown", "spec.guest.allowUnknown", PatchOptions.REQUIREMENT_ID);
        return new PatchSettings(mode, kindValue, prov, swap, hv, add, remove, keep, users, ciSwap, maxSize, allow);
    }

    private static JsonNode object(JsonNode parent, String name, String field) {
        JsonNode n = parent.get(name);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isObject()) {
            throw new PatchSpecException(field, "expected a mapping, was " + describe(n));
        }
        return n;
    }

    private static String text(JsonNode parent, String name, String field) {
        JsonNode n = parent.get(name);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isTextual()) {
            throw new PatchSpecException(field, "expected a string, was " + describe(n));
        }
        return n.asText();
    }

    private static Boolean bool(JsonNode parent, String name, String field) {
        JsonNode n = parent.get(name);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isBoolean()) {
            throw new PatchSpecException(field, "expected true or false, was " + describe(n));
        }
        return n.asBoolean();
    }

    private static Integer integer(JsonNode parent, String name, String field) {
        JsonNode n = parent.get(name);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isIntegralNumber() || !n.canConvertToInt()) {
            throw new PatchSpecException(field, "expected an integer, was " + describe(n));
        }
        return n.asInt();
    }

    private static Long size(JsonNode parent, String name, String field) {
        JsonNode n = parent.get(name);
        if (n == null || n.isNull()) {
            return null;
        }
        if (n.isIntegralNumber() && n.canConvertToLong() && n.asLong() > 0) {
            return n.asLong();
        }
        if (n.isTextual()) {
            try {
                return parseSize(n.asText());
            } catch (IllegalArgumentException e) {
                throw new PatchSpecException(field, e.getMessage());
            }
        }
        throw new PatchSpecException(field, "expected a positive size, was " + describe(n));
    }

    /** Parses a size in the one grammar of {@link Sizes} ({@code 1023Gi}, {@code 1023G}, {@code 512M}, bytes). */
    public static long parseSize(String s) {
        return Sizes.parse(s);
    }

    private static <E extends Enum<E>> E enumValue(JsonNode parent, String name, String field, Class<E> type) {
        String v = text(parent, name, field);
        if (v == null) {
            return null;
        }
        for (E e : type.getEnumConstants()) {
            if (e.name().equalsIgnoreCase(v)) {
                return e;
            }
        }
        List<String> allowed = new ArrayList<>();
        for (E e : type.getEnumConstants()) {
            allowed.add(e.name());
        }
        throw new PatchSpecException(field, "'" + v + "' is not one of " + String.join(", ", allowed));
    }

    private static List<String> list(JsonNode parent, String name, String field, Pattern item) {
        JsonNode n = parent.get(name);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isArray()) {
            throw new PatchSpecException(field, "expected a list, was " + describe(n));
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n.size(); i++) {
            JsonNode e = n.get(i);
            if (!e.isTextual() || !item.matcher(e.asText()).matches()) {
                throw new PatchSpecException(field + "[" + i + "]", "invalid value " + describe(e));
            }
            out.add(e.asText());
        }
        return out;
    }

    private static String describe(JsonNode n) {
        String t = n.getNodeType().name().toLowerCase(Locale.ROOT);
        String v = n.isContainerNode() ? "" : " '" + n.asText() + "'";
        return t + v;
    }
}
