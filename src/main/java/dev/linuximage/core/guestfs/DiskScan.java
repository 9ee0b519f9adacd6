package dev.linuximage.core.guestfs;

import dev.linuximage.core.fs.FileSystemProbe;
import dev.linuximage.core.fs.FileSystems;
import dev.linuximage.core.io.ByteSource;
import dev.linuximage.core.partition.Partition;
import dev.linuximage.core.partition.PartitionTable;
import dev.linuximage.core.partition.PartitionTables;
import dev.linuximage.core.volume.LogicalVolume;
import dev.linuximage.core.volume.Lvm;
import dev.linuximage.core.volume.PhysicalVolume;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Disk → partitions → LVM logical volumes → content probes. Reads only headers (a few sectors per device and the
 * LVM metadata areas): time does not grow with the disk size.
 *
 * @param warnings problems worked around (bad primary GPT, unreadable PV, ...)
 */
public record DiskScan(PartitionTable table, List<Volume> volumes, List<String> warnings) {

    public static DiskScan scan(ByteSource disk) throws IOException {
        PartitionTable table = PartitionTables.read(disk);
        List<String> warnings = new ArrayList<>(table.warnings());
        List<Volume> out = new ArrayList<>();
        List<PhysicalVolume> pvs = new ArrayList<>();
        if (table.partitions().isEmpty()) {
            out.add(probe("disk", null, null, disk, pvs, warnings));
        } else {
            for (Partition p : table.partitions()) {
                if (p.kind().equals("bios-boot") || p.kind().equals("extended")) {
                    out.add(new Volume(
                            "part" + p.number(), p, null, disk.slice(p.startBytes(), p.sizeBytes()), p.kind()));
                    continue;
                }
                out.add(probe("part" + p.number(), p, null, disk.slice(p.startBytes(), p.sizeBytes()), pvs, warnings));
            }
        }
        List<LogicalVolume> lvs = List.of();
        if (!pvs.isEmpty()) {
            try {
                lvs = Lvm.logicalVolumes(pvs);
            } catch (IOException e) {
                warnings.add("LVM: " + e.getMessage()); // the partitions stay usable
            }
        }
        if (!lvs.isEmpty()) {
            for (LogicalVolume lv : lvs) {
                if (!lv.unsupported().isEmpty()) {
                    out.add(new Volume(lv.devPath(), null, lv, null, lv.unsupported()));
                } else {
                    out.add(probe(lv.devPath(), null, lv, lv.source(), pvs, warnings));
                }
            }
        }
        return new DiskScan(table, out, warnings);
    }

    private static Volume probe(
            String name, Partition p, LogicalVolume lv, ByteSource src, List<PhysicalVolume> pvs, List<String> warnings)
            throws IOException {
        try {
            Optional<FileSystemProbe> fs = FileSystems.detect(src);
            if (fs.isPresent()) {
                return new Volume(name, p, lv, src, fs.get().type());
            }
            if (lv == null && Lvm.probe(src)) {
                try {
                    Lvm.readPv(src, name).ifPresent(pvs::add);
                } catch (IOException e) {
                    warnings.add(name + ": " + e.getMessage());
                }
                return new Volume(name, p, lv, src, "LVM2_member");
            }
            if (src.size() >= 4096
                    && new String(src.readBytes(4086, 10), StandardCharsets.US_ASCII).equals("SWAPSPACE2")) {
                return new Volume(name, p, lv, src, "swap");
            }
        } catch (IOException e) {
            warnings.add(name + ": " + e.getMessage());
        }
        return new Volume(name, p, lv, src, "unknown");
    }
}
