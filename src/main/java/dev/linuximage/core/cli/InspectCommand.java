package dev.linuximage.core.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.linuximage.core.fs.FileSystem;
import dev.linuximage.core.guestfs.DiskFiles;
import dev.linuximage.core.guestfs.DiskScan;
import dev.linuximage.core.guestfs.GuestDisk;
import dev.linuximage.core.guestfs.GuestOptions;
import dev.linuximage.core.guestfs.MountEntry;
import dev.linuximage.core.guestfs.OsRelease;
import dev.linuximage.core.guestfs.Volume;
import dev.linuximage.core.io.ByteSource;
import dev.linuximage.core.partition.Partition;
import dev.linuximage.core.report.BadInputException;
import dev.linuximage.core.report.CoreException;
import dev.linuximage.core.report.ExitCodes;
import dev.linuximage.core.report.ResultReasons;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code linuximage inspect <disk> [--format F] [--json]}: partitions, volumes, file systems and the guest OS. */
@Command(
        name = "inspect",
        mixinStandardHelpOptions = true,
        description = "Show a disk's partitions, LVM volumes, file systems and guest OS (read-only).")
public class InspectCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "<disk>", description = "disk image")
    Path disk;

    @Option(names = "--format", paramLabel = "F", description = "container format (default: auto)")
    String format;

    @Option(names = "--json", description = "print JSON")
    boolean json;

    @Option(
            names = {"-o", "--output"},
            paramLabel = "FORMAT",
            description = OutputFormat.HELP)
    String outputFormat;

    @Override
    public Integer call() throws Exception {
        json = OutputFormat.json(json, outputFormat);
        try (ByteSource src = DiskFiles.open(disk, format, false)) {
            ObjectNode out = inspect(disk, src);
            PrintStream ps = System.out;
            if (json) {
                ps.println(new ObjectMapper()
                        .enable(SerializationFeature.INDENT_OUTPUT)
                        .writeValueAsString(out));
            } else {
                printText(out, ps);
            }
            // the description is printed either way; a structure that fails validation makes the exit code say so
            // (a disk without a Linux guest, or a refused feature, is a fact the description reports: exit 0)
            String corrupt = corruption(out);
            if (corrupt != null) {
                throw new CoreException(ExitCodes.BAD_INPUT, ResultReasons.CORRUPT_IMAGE, corrupt, null);
            }
            return ExitCodes.OK;
        } catch (IOException e) {
            throw GuestCommand.typed(e);
        }
    }

    /** The inspection as a JSON tree (no reflection: native-image friendly). Sizes in bytes. */
    public static ObjectNode inspect(Path file, ByteSource src) throws IOException {
        ObjectMapper om = new ObjectMapper();
        ObjectNode out = om.createObjectNode();
        out.put("disk", file.toString());
        out.put("virtualSize", src.size());
        out.put("container", DiskFiles.describe(file, src));
        DiskScan scan = DiskScan.scan(src);
        ObjectNode table = out.putObject("partitionTable");
        table.put("scheme", scan.table().scheme());
        table.put("diskId", scan.table().diskId());
        ArrayNode parts = table.putArray("partitions");
        for (Partition p : scan.table().partitions()) {
            ObjectNode n = parts.addObject();
            n.put("number", p.number());
            n.put("start", p.startBytes());
            n.put("size", p.sizeBytes());
            n.put("type", p.typeCode());
            n.put("kind", p.kind());
            n.put("name", p.name());
            n.put("partuuid", p.partUuid());
        }
        ArrayNode warnings = out.putArray("warnings");
        scan.warnings().forEach(warnings::add);
        ArrayNode vols = out.putArray("volumes");
        GuestDisk guest = null;
        String guestError = null;
        boolean guestCorrupt = false;
        try {
            guest = GuestDisk.open(src, GuestOptions.readOnly());
        } catch (IOException e) {
            guestError = e.getMessage();
            guestCorrupt = corrupt(e);
        }
        try {
            for (Volume v : (guest != null ? guest.scan() : scan).volumes()) {
                ObjectNode n = vols.addObject();
                n.put("name", v.name());
                n.put("size", v.sizeBytes());
                n.put("content", v.content());
                if (v.lv() != null) {
                    n.put("vg", v.lv().vgName());
                    n.put("lv", v.lv().lvName());
                }
                if (guest != null
                        && v.source() != null
                        && dev.linuximage.core.fs.FileSystems.PROBES.stream()
                                .anyMatch(p -> p.type().equals(v.content()))) {
                    try {
                        FileSystem fs = guest.fileSystem(v);
                        ObjectNode f = n.putObject("filesystem");
                        f.put("type", fs.type());
                        f.put("label", fs.label());
                        f.put("uuid", fs.uuid());
                        f.put("size", fs.totalBytes());
                        f.put("used", fs.totalBytes() - fs.freeBytes());
                        if (fs instanceof dev.linuximage.core.fs.xfs.XfsFileSystem x) {
                            f.put("logClean", x.logClean());
                        }
                    } catch (IOException e) {
                        n.put("error", e.getMessage());
                        if (corrupt(e)) {
                            n.put("corrupt", true);
                        }
                    }
                }
            }
            ObjectNode g = out.putObject("guest");
            if (guest == null) {
                g.put("found", false);
                g.put("error", guestError);
                if (guestCorrupt) {
                    g.put("corrupt", true);
                }
            } else {
                g.put("found", true);
                g.put("root", guest.rootVolume());
                String osr = guest.stat("/etc/os-release").isPresent() ? "/etc/os-release" : "/usr/lib/os-release";
                if (guest.stat(osr).isPresent()) {
                    Map<String, String> os = OsRelease.parse(new String(guest.read(osr), StandardCharsets.UTF_8));
                    ObjectNode o = g.putObject("os");
                    for (String k : new String[] {"ID", "ID_LIKE", "VERSION_ID", "PRETTY_NAME", "NAME"}) {
                        if (os.containsKey(k)) {
                            o.put(k, os.get(k));
                        }
                    }
                } else {
                    // no os-release (RHEL/CentOS 6, SLES 11): the older release files say who it is
                    dev.linuximage.core.guest.GuestInspection.OsInfo oi =
                            dev.linuximage.core.guest.OsIdentity.read(new dev.linuximage.core.guest.GuestReader(guest));
                    if (oi.source() != null) {
                        ObjectNode o = g.putObject("os");
                        o.put("ID", oi.id());
                        o.put("VERSION_ID", oi.versionId());
                        o.put("PRETTY_NAME", oi.prettyName());
                        o.put("source", oi.source());
                    }
                }
                ArrayNode mounts = g.putArray("fstab");
                for (MountEntry m : guest.mountEntries()) {
                    ObjectNode e = mounts.addObject();
                    e.put("spec", m.spec());
                    e.put("mountPoint", m.mountPoint());
                    e.put("type", m.fsType());
                    e.put("volume", m.volume());
                    e.put("status", m.status());
                }
                guest.warnings().stream()
                        .filter(w -> !scan.warnings().contains(w))
                        .forEach(warnings::add);
            }
        } finally {
            if (guest != null) {
                guest.close();
            }
        }
        return out;
    }

    /** Whether {@code e} is (or wraps) corruption: a structure that fails validation. */
    static boolean corrupt(Throwable e) {
        BadInputException b = BadInputException.in(e);
        return b != null && b.reason() == BadInputException.Reason.CORRUPT_IMAGE;
    }

    /** The first corruption the inspection recorded (guest, then volumes), or null. */
    static String corruption(ObjectNode out) {
        if (out.path("guest").path("corrupt").asBoolean(false)) {
            return out.path("guest").path("error").asText();
        }
        for (var v : out.path("volumes")) {
            if (v.path("corrupt").asBoolean(false)) {
                return v.path("name").asText() + ": " + v.path("error").asText();
            }
        }
        return null;
    }

    static void printText(ObjectNode o, PrintStream ps) {
        ps.printf("disk: %s (%s)%n", o.get("disk").asText(), o.get("container").asText());
        ObjectNode t = (ObjectNode) o.get("partitionTable");
        ps.printf(
                "partition table: %s %s%n",
                t.get("scheme").asText(), t.get("diskId").asText());
        t.get("partitions")
                .forEach(p -> ps.printf(
                        "  %-3d start %-12d size %-12d %-9s %-36s %s%n",
                        p.get("number").asInt(),
                        p.get("start").asLong(),
                        p.get("size").asLong(),
                        p.get("kind").asText(),
                        p.get("type").asText(),
                        p.get("name").asText()));
        ps.println("volumes:");
        o.get("volumes").forEach(v -> {
            ps.printf(
                    "  %-20s %-14s %13d bytes",
                    v.get("name").asText(),
                    v.get("content").asText(),
                    v.get("size").asLong());
            if (v.has("filesystem")) {
                var f = v.get("filesystem");
                ps.printf(
                        "  label=%s uuid=%s used=%d/%d",
                        f.get("label").asText(),
                        f.get("uuid").asText(),
                        f.get("used").asLong(),
                        f.get("size").asLong());
            }
            ps.println();
        });
        var g = o.get("guest");
        if (g.get("found").asBoolean()) {
            ps.printf("guest root: %s%n", g.get("root").asText());
            if (g.has("os")) {
                ps.printf(
                        "guest os: %s%n",
                        g.get("os").has("PRETTY_NAME")
                                ? g.get("os").get("PRETTY_NAME").asText()
                                : g.get("os").toString());
            }
            ps.println("fstab:");
            g.get("fstab")
                    .forEach(m -> ps.printf(
                            "  %-40s %-12s %-6s %s%n",
                            m.get("spec").asText(),
                            m.get("mountPoint").asText(),
                            m.get("type").asText(),
                            m.get("status").asText()));
        } else {
            ps.printf("guest: not found (%s)%n", g.get("error").asText());
        }
        o.get("warnings").forEach(w -> ps.println("warning: " + w.asText()));
    }
}
