package dev.linuximage.core.format.vmdk;

import dev.linuximage.core.format.Check;
import dev.linuximage.core.format.FormatException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The text descriptor ("Virtual Disk Format 5.0", "The Descriptor File"): {@code createType}, {@code parentCID} and
 * the extent lines {@code ACCESS SECTORS TYPE ["FILE" [OFFSET]]}. Sizes in 512-byte sectors.
 */
record VmdkDescriptor(String createType, List<ExtentLine> extents) {
    /** The format's name in the errors this class raises (the format field of a FormatException). */
    /** The format's name in the errors this class raises (the format field of a FormatException). */
    static final String LABEL = "vmdk";

    static final int MAX_BYTES = 64 * 1024;
    static final int MAX_EXTENTS = 1024;
    private static final Pattern EXTENT =
            Pattern.compile("^(RW|RDONLY|NOACCESS)\\s+(\\d+)\\s+(FLAT|SPARSE|ZERO|VMFS|VMFSSPARSE|VMFSRDM|VMFSRAW)"
                    + "(?:\\s+\"([^\"]*)\"(?:\\s+(\\d+))?)?\\s*$");

    record ExtentLine(String access, long sectors, String type, String file, long offset) {}

    static boolean looksLikeDescriptor(byte[] head) {
        String s = new String(head, 0, Math.min(head.length, 512), StandardCharsets.ISO_8859_1);
        return s.startsWith("# Disk DescriptorFile") || s.contains("\ncreateType=");
    }

    static VmdkDescriptor parse(byte[] text, long maxSectors) throws FormatException {
        Check.that(text.length <= MAX_BYTES, LABEL, "descriptor size", text.length, "descriptor larger than 64 KiB");
        String s = new String(text, StandardCharsets.UTF_8);
        int nul = s.indexOf('\0');
        if (nul >= 0) {
            s = s.substring(0, nul);
        }
        String createType = null;
        List<ExtentLine> extents = new ArrayList<>();
        long total = 0;
        for (String raw : s.split("\r?\n")) {
            String line = raw.trim();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            Matcher m = EXTENT.matcher(line);
            if (m.matches()) {
                long sectors;
                try {
                    sectors = Long.parseLong(m.group(2));
                } catch (NumberFormatException e) {
                    throw new FormatException(LABEL, "extent sectors", m.group(2), "not a number");
                }
                Check.range(LABEL, "extent sectors", sectors, 0, maxSectors);
                total = Check.add(LABEL, "extent sectors", total, sectors);
                Check.range(LABEL, "total sectors", total, 0, maxSectors);
                String type = m.group(3);
                long offset = 0;
                if (m.group(5) != null) {
                    try {
                        offset = Long.parseLong(m.group(5));
                    } catch (NumberFormatException e) {
                        throw new FormatException(LABEL, "extent offset", m.group(5), "not a number");
                    }
                }
                Check.that(
                        !type.equals("ZERO") || m.group(4) == null, LABEL, "extent", line, "ZERO extent names a file");
                Check.that(type.equals("ZERO") || m.group(4) != null, LABEL, "extent", line, "extent without a file");
                extents.add(new ExtentLine(m.group(1), sectors, type, m.group(4), offset));
                Check.that(extents.size() <= MAX_EXTENTS, LABEL, "extents", extents.size(), "too many extents");
                continue;
            }
            int eq = line.indexOf('=');
            if (eq > 0) {
                String key = line.substring(0, eq).trim().toLowerCase(Locale.ROOT);
                String val = line.substring(eq + 1).trim().replace("\"", "");
                switch (key) {
                    case "createtype" -> createType = val;
                    case "parentcid" ->
                        Check.that(
                                val.equalsIgnoreCase("ffffffff"),
                                LABEL,
                                "parentCID",
                                val,
                                "differencing VMDK (has a parent) - refused");
                    case "parentfilenamehint" ->
                        throw new FormatException(
                                LABEL, "parentFileNameHint", val, "differencing VMDK (has a parent) - refused");
                    default -> {}
                }
            }
        }
        Check.that(createType != null, LABEL, "createType", "missing", "descriptor without createType");
        return new VmdkDescriptor(createType, List.copyOf(extents));
    }
}
