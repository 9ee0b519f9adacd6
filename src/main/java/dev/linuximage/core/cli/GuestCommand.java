package dev.linuximage.core.cli;

import dev.linuximage.core.fs.GuestFiles;
import dev.linuximage.core.guestfs.Change;
import dev.linuximage.core.guestfs.ChangeLog;
import dev.linuximage.core.guestfs.DiskFiles;
import dev.linuximage.core.guestfs.GuestDisk;
import dev.linuximage.core.guestfs.GuestOptions;
import dev.linuximage.core.guestfs.ReadOnlyGuestException;
import dev.linuximage.core.io.ByteSource;
import dev.linuximage.core.report.CoreException;
import dev.linuximage.core.report.ExitCodes;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code linuximage guest ls|cat|put|rm <disk> <guest-path> ...}: unprivileged access to a guest's files. */
@Command(
        name = "guest",
        mixinStandardHelpOptions = true,
        description = "Read or write a guest file system without mounting it.",
        subcommands = {GuestCommand.Ls.class, GuestCommand.Cat.class, GuestCommand.Put.class, GuestCommand.Rm.class})
public class GuestCommand implements Callable<Integer> {

    @Override
    public Integer call() {
        throw new CoreException(ExitCodes.USAGE, "guest: missing subcommand (ls, cat, put, rm)");
    }

    /**
     * Maps an I/O error of a guest command to its exit code by the error contract ({@link ExitCodes#of(Throwable)}:
     * bad input is {@link ExitCodes#BAD_INPUT}, other I/O errors {@link ExitCodes#ERROR}); a guest path that does
     * not exist and a write to a guest opened read-only are the user's input here, so also bad input.
     */
    static CoreException typed(IOException e) {
        boolean bad = e instanceof NoSuchFileException || e instanceof ReadOnlyGuestException;
        String msg = e instanceof NoSuchFileException ? "no such file: " + e.getMessage() : e.getMessage();
        return new CoreException(bad ? ExitCodes.BAD_INPUT : ExitCodes.of(e), msg, e);
    }

    abstract static class Base implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "<disk>", description = "disk image")
        Path disk;

        @Parameters(index = "1", paramLabel = "<guest-path>", description = "absolute path in the guest")
        String guestPath;

        @Option(names = "--format", paramLabel = "F", description = "container format (default: auto)")
        String format;

        @Option(names = "--partition", paramLabel = "N", description = "use partition N as / (no fstab)")
        Integer partition;

        @Option(
                names = "--fs",
                paramLabel = "DEVICE",
                description = "use this volume as / (no fstab): /dev/sda2, /dev/vg/lv, /dev/mapper/vg-lv, UUID=...,"
                        + " LABEL=...")
        String fsDevice;

        /** Whether the command edits the guest (the disk is then opened writable unless it is a dry run). */
        boolean writes() {
            return false;
        }

        boolean dryRun() {
            return false;
        }

        abstract int run(GuestDisk guest, PrintStream out) throws IOException;

        @Override
        public Integer call() {
            if (partition != null && fsDevice != null) {
                throw new CoreException(ExitCodes.USAGE, "--partition and --fs are mutually exclusive");
            }
            GuestOptions opts = writes()
                    ? (dryRun() ? GuestOptions.dryRunOptions() : GuestOptions.readWrite())
                    : GuestOptions.readOnly();
            try (ByteSource src = DiskFiles.open(disk, format, writes() && !dryRun())) {
                ChangeLog log = new ChangeLog();
                GuestDisk guest;
                if (partition != null) {
                    guest = GuestDisk.openVolume(src, "part" + partition, opts, log);
                } else if (fsDevice != null) {
                    guest = GuestDisk.openVolume(src, fsDevice, opts, log);
                } else {
                    guest = GuestDisk.open(src, opts, log);
                }
                try (guest) {
                    int rc = run(guest, System.out);
                    for (Change c : log.changes()) {
                        System.err.printf(
                                "%s %s %s%s%n",
                                c.applied() ? "changed:" : "would change:",
                                c.operation(),
                                c.path(),
                                c.diff().isEmpty() ? "" : "\n" + c.diff().stripTrailing());
                    }
                    System.out.flush();
                    return rc;
                }
            } catch (IOException e) {
                throw typed(e);
            }
        }
    }

    /** A command that edits the guest, with {@code --dry-run}. */
    abstract static class Writing extends Base {
        @Option(names = "--dry-run", description = "show what would change; write nothing")
        boolean dry;

        @Override
        boolean writes() {
            return true;
        }

        @Override
        boolean dryRun() {
            return dry;
        }
    }

    @Command(
            name = "ls",
            mixinStandardHelpOptions = true,
            description = "List a guest directory (in on-disk order, "
                    + "streamed: memory stays small whatever the number of entries).")
    static class Ls extends Base {
        @Option(
                names = {"-1", "--names"},
                description = "names only (no inode read per entry)")
        boolean namesOnly;

        @Option(
                names = "--json",
                description = "JSON Lines: one object per entry (name, path, type, size, mode, uid,"
                        + " gid, mtime, target), streamed")
        boolean json;

        @Option(
                names = {"-o", "--output"},
                paramLabel = "FORMAT",
                description = OutputFormat.HELP)
        String outputFormat;

        @Override
        int run(GuestDisk guest, PrintStream out) throws IOException {
            json = OutputFormat.json(json, outputFormat);
            Optional<GuestFiles.FileInfo> st = guest.stat(guestPath);
            if (st.isEmpty()) {
                throw new NoSuchFileException(guestPath);
            }
            // buffered, and every write error (closed pipe, full device) ends the listing with exit 1
            java.io.Writer w = new java.io.BufferedWriter(
                    new java.io.OutputStreamWriter(new CheckedStdout(out), java.nio.charset.StandardCharsets.UTF_8),
                    1 << 16);
            if (st.get().type() != GuestFiles.Type.DIRECTORY) {
                GuestFiles.FileInfo self =
                        namesOnly ? null : guest.lstat(guestPath).orElseThrow();
                w.write(
                        json
                                ? jsonLine(self, guestPath, guestPath, guest)
                                : namesOnly ? guestPath : line(self, guestPath, guest));
                w.write('\n');
                w.flush();
                return ExitCodes.OK;
            }
            String dir = guestPath.endsWith("/") ? guestPath : guestPath + "/";
            guest.list(guestPath, !namesOnly, (e, info) -> {
                if (json) {
                    w.write(jsonLine(
                            info == null
                                    ? null
                                    : new GuestFiles.FileInfo(
                                            dir + e.name(),
                                            info.type(),
                                            info.size(),
                                            info.mode(),
                                            info.uid(),
                                            info.gid(),
                                            info.mtime()),
                            e.name(),
                            dir + e.name(),
                            guest));
                } else if (namesOnly) {
                    w.write(e.name());
                } else if (info == null) {
                    w.write("? " + e.name());
                } else {
                    w.write(line(
                            new GuestFiles.FileInfo(
                                    dir + e.name(),
                                    info.type(),
                                    info.size(),
                                    info.mode(),
                                    info.uid(),
                                    info.gid(),
                                    info.mtime()),
                            e.name(),
                            guest));
                }
                w.write('\n');
                return true;
            });
            w.flush();
            return ExitCodes.OK;
        }

        /**
         * One entry as one line of JSON. Without the inode ({@code --names}, or an entry whose inode cannot be read)
         * only name and path; {@code mode} is the permission bits (as the text listing's octal), {@code mtime} seconds
         * since the epoch (UTC), {@code target} a symlink's target.
         */
        private static String jsonLine(GuestFiles.FileInfo i, String name, String path, GuestDisk guest)
                throws IOException {
            com.fasterxml.jackson.databind.node.ObjectNode o = JsonOut.object();
            o.put("name", name);
            o.put("path", path);
            if (i != null) {
                o.put("type", i.type().name().toLowerCase(Locale.ROOT));
                o.put("size", i.size());
                o.put("mode", i.mode());
                o.put("uid", i.uid());
                o.put("gid", i.gid());
                o.put("mtime", i.mtime());
                if (i.type() == GuestFiles.Type.SYMLINK) {
                    o.put("target", guest.readLink(i.path()));
                }
            }
            return JsonOut.line(o);
        }

        private static String line(GuestFiles.FileInfo i, String name, GuestDisk guest) throws IOException {
            char t = switch (i.type()) {
                case DIRECTORY -> 'd';
                case SYMLINK -> 'l';
                case FILE -> '-';
                default -> '?';
            };
            String link = i.type() == GuestFiles.Type.SYMLINK ? " -> " + guest.readLink(i.path()) : "";
            return String.format(
                    Locale.ROOT, "%c%04o %5d %5d %12d %s%s", t, i.mode(), i.uid(), i.gid(), i.size(), name, link);
        }
    }

    @Command(
            name = "cat",
            mixinStandardHelpOptions = true,
            description = "Print guest files one after the other (symlinks followed); the disk is opened once.")
    static class Cat extends Base {
        @Parameters(index = "2..*", paramLabel = "<more-paths>", description = "further guest files")
        java.util.List<String> morePaths = new java.util.ArrayList<>();

        @Override
        int run(GuestDisk guest, PrintStream out) throws IOException {
            // a closed pipe (| head) or a full device stops the copy at once with exit 1
            CheckedStdout checked = new CheckedStdout(out);
            guest.copyTo(guestPath, checked);
            for (String p : morePaths) {
                guest.copyTo(p, checked);
            }
            checked.flush();
            return ExitCodes.OK;
        }
    }

    @Command(
            name = "put",
            mixinStandardHelpOptions = true,
            description = "Replace or create a guest file with the content of a local file.")
    static class Put extends Writing {
        @Parameters(index = "2", paramLabel = "<local-file>")
        Path local;

        @Option(names = "--mode", paramLabel = "OCTAL", description = "permission bits, e.g. 0644")
        String mode;

        @Override
        int run(GuestDisk guest, PrintStream out) throws IOException {
            if (Files.size(local) > GuestOptions.DEFAULT_READ_CAP) {
                throw new CoreException(
                        ExitCodes.USAGE, "local file larger than " + GuestOptions.DEFAULT_READ_CAP + " bytes");
            }
            byte[] content = Files.readAllBytes(local);
            if (mode != null) {
                guest.write(guestPath, content, Integer.parseInt(mode, 8), 0, 0);
            } else {
                guest.write(guestPath, content);
            }
            return ExitCodes.OK;
        }
    }

    @Command(name = "rm", mixinStandardHelpOptions = true, description = "Remove a guest file, symlink or empty dir.")
    static class Rm extends Writing {
        @Override
        int run(GuestDisk guest, PrintStream out) throws IOException {
            if (!guest.delete(guestPath)) {
                throw new NoSuchFileException(guestPath);
            }
            return ExitCodes.OK;
        }
    }
}
