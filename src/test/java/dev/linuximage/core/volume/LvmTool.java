package dev.linuximage.core.volume;

import dev.linuximage.testsupport.Tools;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Real LVM2 tools as the fixture builder and oracle: PVs on loop devices, metadata only ({@code --driverloaded n}:
 * the host has no device-mapper, so nothing is activated). Scanning is restricted to our own loop devices.
 */
final class LvmTool implements AutoCloseable {
    private final List<String> loops = new ArrayList<>();

    String attach(Path file) throws Exception {
        Tools.require("losetup");
        String dev = Tools.run("losetup", "-f", "--show", file.toString()).out().strip();
        loops.add(dev);
        return dev;
    }

    String attach(Path file, long offset, long size) throws Exception {
        String dev = Tools.run(
                        "losetup",
                        "-f",
                        "--show",
                        "-o",
                        String.valueOf(offset),
                        "--sizelimit",
                        String.valueOf(size),
                        file.toString())
                .out()
                .strip();
        loops.add(dev);
        return dev;
    }

    String lvm(String... args) throws Exception {
        StringBuilder filter = new StringBuilder("devices{use_devicesfile=0 global_filter=[");
        for (String l : loops) {
            filter.append("\"a|^").append(l).append("$|\",");
        }
        filter.append("\"r|.*|\"]} activation{udev_sync=0 udev_rules=0}");
        List<String> cmd = new ArrayList<>(
                List.of("lvm", args[0], "--driverloaded", "n", "--devicesfile", "", "--config", filter.toString()));
        for (int i = 1; i < args.length; i++) {
            cmd.add(args[i]);
        }
        Tools.Result r = Tools.exec(cmd.toArray(String[]::new));
        if (r.exit() != 0) {
            throw new AssertionError(String.join(" ", cmd) + " exited " + r.exit() + "\n" + r.out() + r.err());
        }
        return r.out();
    }

    @Override
    public void close() throws Exception {
        for (String l : loops) {
            Tools.exec("losetup", "-d", l);
        }
        loops.clear();
    }
}
