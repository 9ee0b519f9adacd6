package dev.linuximage.testing.guests;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Boots a disk in QEMU and reads its serial console.
 *
 * <pre>{@code
 * try (FakeWireServer wire = FakeWireServer.start();
 *      QemuBoot vm = QemuBoot.builder(disk).firmware(Firmware.BIOS).wireServer(wire).snapshot(true).start()) {
 *     vm.awaitMultiUser(QemuBoot.BOOT_TIMEOUT);
 *     vm.assertKernelCommandLineContains("console=ttyS0", "rootdelay=300");
 * }
 * }</pre>
 *
 * <p>The machine is an i440FX PC ({@code -machine pc}, like Azure Gen1) with the disk on IDE, 1 GiB of memory, one
 * e1000 NIC on slirp user networking with {@code restrict=on} (no way out of the host) on 168.63.129.0/24, so that a
 * {@link FakeWireServer} answers at 168.63.129.16:80 through {@code guestfwd}. UEFI boots use OVMF
 * ({@code /usr/share/OVMF/OVMF_CODE_4M.fd}, Debian package {@code ovmf}) with a private copy of the variable store.
 * The accelerator is KVM when {@code /dev/kvm} can be opened read-write, else TCG; override with the system property
 * {@code linuximage.qemu.accel=kvm|tcg}. The console is the first serial port, written to
 * {@code <workDir>/console.log} as it arrives.
 */
public final class QemuBoot implements AutoCloseable {
    /** Generous default for a whole boot under TCG (measured 45-100 s; CI machines are slower). */
    public static final Duration BOOT_TIMEOUT = Duration.ofMinutes(6);

    public enum Firmware { BIOS, UEFI }

    public enum DiskFormat {
        RAW("raw"), QCOW2("qcow2"), /** A fixed or dynamic VHD: QEMU's probe takes a fixed VHD for raw. */ VPC("vpc");

        final String qemuName;

        DiskFormat(String qemuName) {
            this.qemuName = qemuName;
        }

        static DiskFormat of(Path disk) {
            String n = disk.getFileName().toString().toLowerCase(Locale.ROOT);
            if (n.endsWith(".vhd")) {
                return VPC;
            }
            if (n.endsWith(".qcow2")) {
                return QCOW2;
            }
            if (n.endsWith(".raw") || n.endsWith(".img")) {
                return RAW;
            }
            throw new IllegalArgumentException("cannot tell the format of " + disk + "; call format(...)");
        }
    }

    /** systemd's line when the default target is reached (with or without the unit name prefix of v250+). */
    public static final Pattern MULTI_USER =
            Pattern.compile("Reached target (multi-user\\.target|.*Multi-User System)");
    /** A getty's login prompt, e.g. {@code fixture-bios-mbr login:}. */
    public static final Pattern LOGIN_PROMPT = Pattern.compile("(?m)\\S+ login: ?$");
    /** The kernel's {@code Command line: ...} boot message. */
    public static final Pattern KERNEL_COMMAND_LINE = Pattern.compile("(?m)\\] Command line: (.*?)\\r?$");

    private final List<String> command;
    private final Process process;
    private final Path workDir;
    private final Path consoleLog;
    private final StringBuilder console = new StringBuilder();
    private final Thread pump;
    private final long startNanos = System.nanoTime();

    private QemuBoot(List<String> command, Process process, Path workDir, Path consoleLog) {
        this.command = command;
        this.process = process;
        this.workDir = workDir;
        this.consoleLog = consoleLog;
        this.pump = new Thread(this::pumpConsole, "qemu-console");
        this.pump.setDaemon(true);
        this.pump.start();
    }

    public static Builder builder(Path disk) {
        return new Builder(disk);
    }

    /** Builder of a QEMU boot; only the disk is required. */
    public static final class Builder {
        private final Path disk;
        private DiskFormat format;
        private Firmware firmware = Firmware.BIOS;
        private int memoryMb = 1024;
        private boolean snapshot;
        private FakeWireServer wire;
        private Path workDir;
        private String accel;
        private final List<String> extraArgs = new ArrayList<>();

        private Builder(Path disk) {
            this.disk = disk.toAbsolutePath();
        }

        /** Disk format; by default from the file name ({@code .vhd} → vpc, {@code .qcow2}, {@code .raw}/.img). */
        public Builder format(DiskFormat f) {
            this.format = f;
            return this;
        }

        public Builder firmware(Firmware f) {
            this.firmware = f;
            return this;
        }

        public Builder memoryMb(int mb) {
            this.memoryMb = mb;
            return this;
        }

        /** Writes go to a temporary overlay and are discarded: use it to boot cached fixture images. */
        public Builder snapshot(boolean s) {
            this.snapshot = s;
            return this;
        }

        /** Forwards the guest's 168.63.129.16:80 to this server. */
        public Builder wireServer(FakeWireServer w) {
            this.wire = w;
            return this;
        }

        /** Directory for the console log, QEMU's stderr, the OVMF variables and the guestfwd relay. */
        public Builder workDir(Path dir) {
            this.workDir = dir;
            return this;
        }

        /** {@code kvm} or {@code tcg}; default: system property {@code linuximage.qemu.accel}, else probe. */
        public Builder accel(String a) {
            this.accel = a;
            return this;
        }

        public Builder extraArgs(String... args) {
            extraArgs.addAll(List.of(args));
            return this;
        }

        public QemuBoot start() throws IOException {
            if (!Files.isRegularFile(disk)) {
                throw new IllegalArgumentException("no disk at " + disk);
            }
            Path dir = workDir != null ? workDir
                    : Files.createTempDirectory(Tools.tempDir(), "qemu-" + disk.getFileName() + "-");
            Files.createDirectories(dir);
            String qemu = "qemu-system-x86_64";
            List<String> cmd = new ArrayList<>(List.of(qemu,
                    "-machine", "pc", "-accel", accel != null ? accel : defaultAccel(),
                    "-m", Integer.toString(memoryMb), "-smp", "1",
                    "-display", "none", "-vga", "none", "-monitor", "none", "-parallel", "none",
                    "-serial", "stdio", "-no-reboot"));
            DiskFormat f = format != null ? format : DiskFormat.of(disk);
            cmd.addAll(List.of("-drive", "file=" + qemuPath(disk) + ",format=" + f.qemuName + ",if=ide,index=0,media=disk"
                    + (snapshot ? ",snapshot=on" : "")));
            if (firmware == Firmware.UEFI) {
                Path code = Path.of("/usr/share/OVMF/OVMF_CODE_4M.fd");
                Path varsTemplate = Path.of("/usr/share/OVMF/OVMF_VARS_4M.fd");
                if (!Files.isRegularFile(code) || !Files.isRegularFile(varsTemplate)) {
                    throw new AssertionError("OVMF firmware missing (" + code + "): install the Debian package ovmf");
                }
                Path vars = Files.copy(varsTemplate, dir.resolve("OVMF_VARS.fd"), StandardCopyOption.REPLACE_EXISTING);
                cmd.addAll(List.of(
                        "-drive", "if=pflash,format=raw,unit=0,readonly=on,file=" + qemuPath(code),
                        "-drive", "if=pflash,format=raw,unit=1,file=" + qemuPath(vars)));
            }
            StringBuilder net = new StringBuilder(
                    "user,id=n0,restrict=on,net=168.63.129.0/24,host=168.63.129.2,dhcpstart=168.63.129.100");
            if (wire != null) {
                Path relay = writeWireRelay(dir);
                net.append(",guestfwd=tcp:168.63.129.16:80-cmd:").append(qemuPath(relay)).append(' ').append(wire.port());
            }
            cmd.addAll(List.of("-netdev", net.toString(), "-device", "e1000,netdev=n0,romfile="));
            cmd.addAll(extraArgs);
            Path consoleLog = dir.resolve("console.log");
            ProcessBuilder pb = new ProcessBuilder(cmd)
                    .redirectInput(ProcessBuilder.Redirect.PIPE)
                    .redirectError(dir.resolve("qemu.stderr").toFile());
            Files.writeString(dir.resolve("qemu.cmdline"), String.join(" ", cmd) + "\n");
            return new QemuBoot(List.copyOf(cmd), pb.start(), dir, consoleLog);
        }
    }

    /**
     * Writes the command slirp runs for each guest connection to 168.63.129.16:80 ({@code guestfwd=...-cmd:}): it
     * joins its stdin/stdout (the guest's socket) to the fake wireserver's loopback port given as its argument.
     * A per-connection command, unlike a {@code tcp:} chardev, gives every guest connection its own server one.
     */
    static Path writeWireRelay(Path dir) throws IOException {
        Path relay = dir.resolve("wire-relay.sh");
        Files.writeString(relay, """
                #!/bin/bash
                # One guest connection to 168.63.129.16:80 (stdin/stdout) <-> the fake wireserver on the host's
                # loopback port $1. The guest sees EOF only once every copy of its socket is closed, so the
                # guest-to-server copier is killed as soon as the server closes (it answers "Connection: close").
                exec 2>/dev/null
                exec 3<>/dev/tcp/127.0.0.1/"$1" || exit 1
                exec 4<&0
                cat <&4 >&3 &
                writer=$!
                exec 4<&-
                cat <&3
                kill "$writer"
                exit 0
                """);
        Files.setPosixFilePermissions(relay, PosixFilePermissions.fromString("rwx------"));
        return relay;
    }

    /** QEMU's option parser splits on commas; a comma in a path is written twice. */
    private static String qemuPath(Path p) {
        return p.toAbsolutePath().toString().replace(",", ",,");
    }

    /** {@code kvm} when /dev/kvm opens read-write (and the property does not say otherwise), else {@code tcg}. */
    public static String defaultAccel() {
        String prop = System.getProperty("linuximage.qemu.accel");
        if (prop != null && !prop.isBlank()) {
            return prop;
        }
        try (RandomAccessFile kvm = new RandomAccessFile("/dev/kvm", "rw")) {
            return "kvm";
        } catch (IOException | SecurityException e) {
            return "tcg";
        }
    }

    private void pumpConsole() {
        byte[] buf = new byte[8192];
        try (InputStream in = process.getInputStream(); OutputStream log = Files.newOutputStream(consoleLog)) {
            int n;
            while ((n = in.read(buf)) > 0) {
                log.write(buf, 0, n);
                log.flush();
                String s = new String(buf, 0, n, StandardCharsets.ISO_8859_1);
                synchronized (console) {
                    console.append(s);
                    console.notifyAll();
                }
            }
        } catch (IOException e) {
            // the process went away; awaitConsole reports that
        } finally {
            synchronized (console) {
                console.notifyAll();
            }
        }
    }

    /** The whole console output so far (ISO-8859-1 decoded, so any byte survives). */
    public String console() {
        synchronized (console) {
            return console.toString();
        }
    }

    public Path workDir() {
        return workDir;
    }

    public Path consoleLog() {
        return consoleLog;
    }

    public List<String> command() {
        return command;
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** Time since QEMU was started. */
    public Duration uptime() {
        return Duration.ofNanos(System.nanoTime() - startNanos);
    }

    /**
     * Waits until the console matches {@code pattern} and returns the match. Fails with the console's tail and
     * QEMU's stderr when the time runs out or QEMU exits first.
     */
    public MatchResult awaitConsole(Pattern pattern, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (console) {
            while (true) {
                Matcher m = pattern.matcher(console);
                if (m.find()) {
                    return new MatchResult(m.group(), groups(m), uptime());
                }
                if (!process.isAlive() && !pump.isAlive()) {
                    throw new AssertionError("QEMU exited (code " + process.exitValue() + ") before the console showed /"
                            + pattern + "/" + diagnostics());
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError("console did not show /" + pattern + "/ within " + timeout + diagnostics());
                }
                console.wait(Math.min(1000, Math.max(1, left / 1_000_000)));
            }
        }
    }

    /** A console match: the matched text, its groups, and when it was seen. */
    public record MatchResult(String text, List<String> groups, Duration after) {
    }

    private static List<String> groups(Matcher m) {
        List<String> g = new ArrayList<>();
        for (int i = 1; i <= m.groupCount(); i++) {
            g.add(m.group(i));
        }
        return g;
    }

    /** Waits for systemd's "Reached target multi-user.target" (absent with {@code quiet}: use a login prompt). */
    public MatchResult awaitMultiUser(Duration timeout) throws InterruptedException {
        return awaitConsole(MULTI_USER, timeout);
    }

    /** The kernel command line the guest kernel printed, if the console carried kernel messages. */
    public Optional<String> kernelCommandLine() {
        Matcher m = KERNEL_COMMAND_LINE.matcher(console());
        return m.find() ? Optional.of(m.group(1).trim()) : Optional.empty();
    }

    /** Asserts that the kernel's printed command line contains each argument as a whole word. */
    public void assertKernelCommandLineContains(String... args) {
        String line = kernelCommandLine().orElseThrow(() -> new AssertionError(
                "the console shows no kernel 'Command line:' message (no console=ttyS0?)" + diagnostics()));
        List<String> words = List.of(line.split("\\s+"));
        for (String a : args) {
            if (!words.contains(a)) {
                throw new AssertionError("kernel command line lacks '" + a + "': " + line);
            }
        }
    }

    private String diagnostics() {
        String c = console();
        String tail = c.length() > 4000 ? c.substring(c.length() - 4000) : c;
        String err;
        try {
            Path p = workDir.resolve("qemu.stderr");
            err = Files.exists(p) ? Files.readString(p, StandardCharsets.ISO_8859_1) : "";
        } catch (IOException e) {
            err = e.toString();
        }
        return "\n--- command: " + String.join(" ", command) + "\n--- QEMU stderr:\n" + err
                + "\n--- console tail (" + consoleLog + "):\n" + tail;
    }

    /** Kills QEMU (SIGKILL after 5 s of SIGTERM). */
    public void kill() {
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
            pump.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }

    @Override
    public void close() {
        kill();
    }
}
