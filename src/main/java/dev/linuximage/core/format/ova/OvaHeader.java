package dev.linuximage.core.format.ova;

import dev.linuximage.core.format.Check;
import dev.linuximage.core.format.FormatException;
import dev.linuximage.core.format.OpenOptions;
import dev.linuximage.core.io.ByteSource;
import dev.linuximage.core.io.Sha256;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * The parsed, validated structure of an OVA (DMTF DSP0243 OVF 2.x, §5: a tar whose first member is the .ovf
 * descriptor, optionally a .mf manifest): the disk member to open and the warnings. The OVF's DiskSection/References
 * name the disk file; the disk (usually a streamOptimized VMDK) is read in place inside the tar. When a manifest is
 * present every digest in it is verified (SHA-1, SHA-256, SHA-512); a mismatch or a file named in the OVF but missing
 * from the archive is refused. The first disk of the DiskSection (the boot disk by convention) is opened unless {@link
 * OpenOptions#ovaDisk()} names another; with several disks a warning lists them all.
 */
record OvaHeader(TarIndex.Entry disk, List<String> warnings) {
    /** The format's name in the errors this class raises (the format field of a FormatException). */
    /** The format's name in the errors this class raises (the format field of a FormatException). */
    static final String LABEL = "ova";

    private static final Pattern MF_LINE =
            Pattern.compile("^(SHA1|SHA256|SHA512)\\((.+)\\)\\s*=\\s*([0-9a-fA-F]+)\\s*$");

    public static boolean probe(byte[] head) {
        if (!TarIndex.probe(head)) {
            return false;
        }
        String name = new String(head, 0, 100, StandardCharsets.UTF_8);
        int nul = name.indexOf('\0');
        name = nul >= 0 ? name.substring(0, nul) : name;
        return name.toLowerCase(java.util.Locale.ROOT).endsWith(".ovf");
    }

    /**
     * Indexes the tar, parses the OVF, chooses the disk and verifies the manifest (when present and enabled).
     *
     * @return the chosen disk's member and the warnings so far
     */
    public static OvaHeader read(ByteSource tar, OpenOptions opts) throws IOException {
        List<TarIndex.Entry> entries = TarIndex.read(tar);
        Map<String, TarIndex.Entry> byName = new LinkedHashMap<>();
        for (TarIndex.Entry e : entries) {
            Check.that(byName.put(e.name(), e) == null, LABEL, "tar member", e.name(), "duplicate member name");
        }
        TarIndex.Entry ovf = entries.stream()
                .filter(e -> e.name().toLowerCase(java.util.Locale.ROOT).endsWith(".ovf"))
                .findFirst()
                .orElseThrow(() -> new FormatException(LABEL, "members", entries.size(), "no .ovf descriptor"));
        Check.that(ovf.size() <= (4 << 20), LABEL, "ovf size", ovf.size(), "descriptor larger than 4 MiB");
        List<String> warnings = new ArrayList<>();
        byte[] ovfBytes = tar.readBytes(ovf.offset(), (int) ovf.size());
        List<OvfDisk> disks = disks(ovfBytes);
        Check.that(!disks.isEmpty(), LABEL, "DiskSection", 0, "the OVF names no disk");
        OvfDisk chosen = choose(disks, opts.ovaDisk());
        if (disks.size() > 1) {
            warnings.add("OVA has " + disks.size() + " disks ("
                    + String.join(", ", disks.stream().map(OvfDisk::describe).toList()) + "); using "
                    + chosen.describe()
                    + (opts.ovaDisk() == null ? "; choose another with --ova-disk" : ""));
        }
        String diskName = chosen.file();
        TarIndex.Entry disk = byName.get(diskName);
        Check.that(disk != null, LABEL, "disk file", diskName, "named in the OVF but not in the archive");
        TarIndex.Entry mf = entries.stream()
                .filter(e -> e.name().toLowerCase(java.util.Locale.ROOT).endsWith(".mf"))
                .findFirst()
                .orElse(null);
        if (mf == null) {
            warnings.add("OVA has no manifest; digests not verified");
        } else if (opts.verifyManifest()) {
            verifyManifest(tar, mf, byName);
        } else {
            warnings.add("OVA manifest not verified (disabled)");
        }
        return new OvaHeader(disk, List.copyOf(warnings));
    }

    /** A disk of the OVF's DiskSection: its position (1-based), {@code ovf:diskId} and archive member name. */
    record OvfDisk(int position, String id, String file) {
        String describe() {
            return "#" + position + " " + (id.isEmpty() ? "" : id + "=") + file;
        }
    }

    /** The disk {@code choice} names (position, diskId or file name), or the first when {@code choice} is null. */
    static OvfDisk choose(List<OvfDisk> disks, String choice) throws FormatException {
        if (choice == null || choice.isBlank()) {
            return disks.get(0);
        }
        for (OvfDisk d : disks) {
            if (choice.equals(Integer.toString(d.position())) || choice.equals(d.id()) || choice.equals(d.file())) {
                return d;
            }
        }
        throw new FormatException(
                LABEL,
                "--ova-disk",
                choice,
                "no such disk in the OVF; it has "
                        + String.join(
                                ", ", disks.stream().map(OvfDisk::describe).toList()));
    }

    static List<OvfDisk> disks(byte[] ovf) throws FormatException {
        Document doc;
        try {
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setNamespaceAware(true);
            f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            f.setXIncludeAware(false);
            f.setExpandEntityReferences(false);
            DocumentBuilder b = f.newDocumentBuilder();
            b.setErrorHandler(null);
            doc = b.parse(new ByteArrayInputStream(ovf));
        } catch (Exception e) {
            throw new FormatException(LABEL, "ovf", "xml", "unreadable OVF descriptor: " + e.getMessage());
        }
        Map<String, String> files = new LinkedHashMap<>();
        NodeList refs = doc.getElementsByTagNameNS("*", "File");
        for (int i = 0; i < refs.getLength(); i++) {
            Element e = (Element) refs.item(i);
            files.put(attr(e, "id"), attr(e, "href"));
        }
        List<OvfDisk> out = new ArrayList<>();
        NodeList disks = doc.getElementsByTagNameNS("*", "Disk");
        for (int i = 0; i < disks.getLength(); i++) {
            Element d = (Element) disks.item(i);
            String ref = attr(d, "fileRef");
            if (ref.isEmpty()) {
                continue; // an empty disk to be created at deployment: no data
            }
            String href = files.get(ref);
            Check.that(href != null, LABEL, "Disk fileRef", ref, "references no File element");
            Check.that(
                    !href.contains(":") && !href.startsWith("/") && !href.contains(".."),
                    LABEL,
                    "File href",
                    href,
                    "only plain member names inside the archive are allowed");
            out.add(new OvfDisk(out.size() + 1, attr(d, "diskId"), href));
        }
        return out;
    }

    private static String attr(Element e, String local) {
        for (int i = 0; i < e.getAttributes().getLength(); i++) {
            org.w3c.dom.Node a = e.getAttributes().item(i);
            String ln = a.getLocalName() != null ? a.getLocalName() : a.getNodeName();
            if (ln.equals(local)) {
                return a.getNodeValue();
            }
        }
        return "";
    }

    private static void verifyManifest(ByteSource tar, TarIndex.Entry mf, Map<String, TarIndex.Entry> byName)
            throws IOException {
        Check.that(mf.size() <= (1 << 20), LABEL, "manifest size", mf.size(), "manifest larger than 1 MiB");
        String text = new String(tar.readBytes(mf.offset(), (int) mf.size()), StandardCharsets.UTF_8);
        for (String line : text.split("\r?\n")) {
            if (line.isBlank()) {
                continue;
            }
            Matcher m = MF_LINE.matcher(line.trim());
            Check.that(m.matches(), LABEL, "manifest line", line, "not ALGO(file)= hex");
            String algo = switch (m.group(1)) {
                case "SHA1" -> "SHA-1";
                case "SHA256" -> "SHA-256";
                default -> "SHA-512";
            };
            TarIndex.Entry e = byName.get(m.group(2));
            Check.that(e != null, LABEL, "manifest", m.group(2), "names a file that is not in the archive");
            String actual = digest(tar, e, algo);
            Check.that(
                    actual.equalsIgnoreCase(m.group(3)),
                    LABEL,
                    "manifest " + m.group(1),
                    m.group(2),
                    "digest mismatch: manifest " + m.group(3).toLowerCase() + ", actual " + actual);
        }
    }

    private static String digest(ByteSource tar, TarIndex.Entry e, String algo) throws IOException {
        MessageDigest md;
        if (algo.equals("SHA-256")) {
            md = Sha256.newDigest();
        } else {
            try {
                md = MessageDigest.getInstance(algo);
            } catch (NoSuchAlgorithmException ex) {
                throw new IllegalStateException(ex);
            }
        }
        ByteBuffer buf = ByteBuffer.allocate(1 << 20);
        long pos = e.offset();
        long end = e.offset() + e.size();
        while (pos < end) {
            buf.clear().limit((int) Math.min(buf.capacity(), end - pos));
            tar.readFully(pos, buf);
            buf.flip();
            md.update(buf);
            pos += buf.limit();
        }
        return Sha256.hex(md);
    }
}
