package dev.linuximage.testsupport.guests;

import dev.linuximage.testsupport.Tools;
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
 * {@link FakeWireServer} answers at 168.63.129.16:80 (and at the HostGAPlugin's port 32526) through
 * {@code guestfwd}. UEFI boots use OVMF ({@code /usr/share/OVMF/OVMF_CODE_4M.fd}, Debian package {@code ovmf}) with
 * a private copy of the variable store.
 * The accelerator is KVM when a probe shows it really runs boot code (see {@link #defaultAccel()}), else TCG; override
 * with the system property {@code linuximage.qemu.accel=kvm|tcg}. The console is the first serial port, written to
 * {@code <workDir>/console.log} as it arrives.
 */
public final class QemuBoot implements AutoCloseable {
    /** Generous default for a whole boot under TCG (measured 45-100 s; CI machines are slower). */
    public static final Duration BOOT_TIMEOUT = Duration.ofMinutes(8);

    public enum Firmware {
        BIOS,
        UEFI
    }

    public enum DiskFormat {
        RAW("raw"),
        QCOW2("qcow2"),
        /** A fixed or dynamic VHD: QEMU's probe takes a fixed VHD for raw. */
        VPC("vpc");

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

    /** systemd's status line when the default target is reached (with or without the unit name of v250+). */
    public static final Pattern MULTI_USER =
            Pattern.compile("Reached target (multi-user\\.target|.*Multi-User System)");
    /** A getty's login prompt, e.g. {@code fixture-bios-mbr login:} (kernel messages may follow on the line). */
    public static final Pattern LOGIN_PROMPT = Pattern.compile("(?m)^\\S+ login: ");
    /**
     * The guest reached multi-user: systemd's "Reached target multi-user.target" or a serial login prompt. systemd
     * stops printing status lines while a service (the serial getty) holds the console, which usually happens before
     * multi-user.target is reached; the getty is itself started by multi-user.target's transaction.
     */
    public static final Pattern BOOTED = Pattern.compile(MULTI_USER.pattern() + "|" + LOGIN_PROMPT.pattern());
    /**
     * The kernel's {@code Command line:} message, matched only once its line has ended: the emulated UART delivers
     * the console in pieces, and {@code (?m)...$} also matches at the end of the text so far, i.e. half a line
     * (seen: a command line cut after {@code ro}, the Azure arguments still to come).
     */
    public static final Pattern KERNEL_COMMAND_LINE = Pattern.compile("(?m)\\] Command line: (.*)\\n");
    /** ANSI/VT100 escape sequences, including ones systemd's ellipsizing cut short, and carriage returns. */
    private static final Pattern TERMINAL_NOISE = Pattern.compile("\u001b(\\[[0-9;?]*[ -/]*[@-~]|[@-Z\\\\-_]|\\[?)|\r");

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
            Path dir = workDir != null
                    ? workDir
                    : Files.createTempDirectory(Tools.tempDir(), "qemu-" + disk.getFileName() + "-");
            Files.createDirectories(dir);
            String qemu = "qemu-system-x86_64";
            List<String> cmd = new ArrayList<>(List.of(
                    qemu,
                    "-machine",
                    "pc",
                    "-accel",
                    accel != null ? accel : defaultAccel(),
                    "-m",
                    Integer.toString(memoryMb),
                    "-smp",
                    "1",
                    "-nodefaults",
                    "-display",
                    "none",
                    "-vga",
                    "none",
                    "-monitor",
                    "none",
                    "-serial",
                    "stdio",
                    "-no-reboot"));
            DiskFormat f = format != null ? format : DiskFormat.of(disk);
            cmd.addAll(List.of(
                    "-drive",
                    "file=" + qemuPath(disk) + ",format=" + f.qemuName + ",if=ide,index=0,media=disk"
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
                net.append(",guestfwd=tcp:168.63.129.16:80-cmd:")
                        .append(qemuPath(relay))
                        .append(' ')
                        .append(wire.port());
                // the HostGAPlugin's port: the Azure Linux Agent asks it for vmSettings before it reports
                net.append(",guestfwd=tcp:168.63.129.16:32526-cmd:")
                        .append(qemuPath(relay))
                        .append(' ')
                        .append(wire.port());
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

    private static String probedAccel;

    /**
     * The accelerator to use: the system property {@code linuximage.qemu.accel} if set; else {@code kvm} if
     * {@code /dev/kvm} opens read-write <em>and</em> a one-sector boot program (real mode, where every boot loader
     * starts) prints on QEMU's debug port under KVM at least as fast as under TCG; else {@code tcg}. Opening
     * /dev/kvm is not enough: on nested machines KVM may start and then crawl through BIOS real-mode code (measured
     * on this machine kind: SeaBIOS reached the boot sector after 5-20 s under KVM and GRUB did not show within
     * 3 minutes, while TCG boots the guest to a login prompt in 1-3 minutes). The result is kept for the JVM.
     */
    public static synchronized String defaultAccel() {
        String prop = System.getProperty("linuximage.qemu.accel");
        if (prop != null && !prop.isBlank()) {
            return prop;
        }
        if (probedAccel == null) {
            probedAccel = "tcg";
            if (kvmDeviceOpens()) {
                Optional<Duration> kvm = probeBoot("kvm");
                Optional<Duration> tcg = probeBoot("tcg");
                if (kvm.isPresent() && (tcg.isEmpty() || kvm.get().compareTo(tcg.get()) <= 0)) {
                    probedAccel = "kvm";
                }
                System.err.println("QemuBoot: /dev/kvm opens; boot-sector probe: kvm "
                        + kvm.map(Duration::toMillis).map(ms -> ms + " ms").orElse("timed out") + ", tcg "
                        + tcg.map(Duration::toMillis).map(ms -> ms + " ms").orElse("timed out") + " -> using "
                        + probedAccel);
            }
        }
        return probedAccel;
    }

    private static boolean kvmDeviceOpens() {
        try (RandomAccessFile kvm = new RandomAccessFile("/dev/kvm", "rw")) {
            return true;
        } catch (IOException | SecurityException e) {
            return false;
        }
    }

    /** Time until a boot sector printing 'K' on the debug port (0x402) ran under {@code accel}; empty after 15 s. */
    private static Optional<Duration> probeBoot(String accel) {
        try {
            Path dir = Files.createTempDirectory(Tools.tempDir(), "accel-probe-" + accel + "-");
            Path mbr = dir.resolve("probe.img");
            // mov dx,0x402; mov al,'K'; out dx,al; hlt; jmp $-1
            byte[] sector = new byte[512];
            byte[] code = {
                (byte) 0xBA, 0x02, 0x04, (byte) 0xB0, 0x4B, (byte) 0xEE, (byte) 0xF4, (byte) 0xEB, (byte) 0xFD
            };
            System.arraycopy(code, 0, sector, 0, code.length);
            sector[510] = 0x55;
            sector[511] = (byte) 0xAA;
            Files.write(mbr, sector);
            Path out = dir.resolve("debugcon.log");
            long start = System.nanoTime();
            Process p = new ProcessBuilder(
                            "qemu-system-x86_64",
                            "-machine",
                            "pc",
                            "-accel",
                            accel,
                            "-m",
                            "16",
                            "-display",
                            "none",
                            "-vga",
                            "none",
                            "-monitor",
                            "none",
                            "-nodefaults",
                            "-chardev",
                            "file,id=dbg,path=" + qemuPath(out),
                            "-device",
                            "isa-debugcon,iobase=0x402,chardev=dbg",
                            "-drive",
                            "file=" + qemuPath(mbr) + ",format=raw,if=ide")
                    .redirectErrorStream(true)
                    .redirectOutput(dir.resolve("qemu.out").toFile())
                    .start();
            long deadline = start + Duration.ofSeconds(15).toNanos();
            try {
                while (System.nanoTime() < deadline && p.isAlive()) {
                    if (Files.exists(out)
                            && Files.readString(out, StandardCharsets.ISO_8859_1)
                                    .contains("7c00\nK")) {
                        return Optional.of(Duration.ofNanos(System.nanoTime() - start));
                    }
                    Thread.sleep(50);
                }
                return Optional.empty();
            } finally {
                p.destroyForcibly();
                p.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    private void pumpConsole() {
        byte[] buf = new byte[8192];
        try (InputStream in = process.getInputStream();
                OutputStream log = Files.newOutputStream(consoleLog)) {
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

    /** The whole console output so far, raw (ISO-8859-1 decoded, so any byte survives). */
    public String console() {
        synchronized (console) {
            return console.toString();
        }
    }

    /**
     * The console output as text: terminal escape sequences and carriage returns removed, UTF-8 decoded (systemd
     * ellipsizes with U+2026). {@link #awaitConsole} matches against this.
     */
    public String consoleText() {
        return plainText(console());
    }

    /** Console bytes (as ISO-8859-1 text) to plain text: UTF-8 decoded, escape sequences and CRs removed. */
    public static String plainText(String rawIso88591) {
        String utf8 = new String(rawIso88591.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
        return TERMINAL_NOISE.matcher(utf8).replaceAll("");
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
     * Waits until the console text ({@link #consoleText()}) matches {@code pattern} and returns the match. Fails with the console's tail and
     * QEMU's stderr when the time runs out or QEMU exits first.
     */
    public MatchResult awaitConsole(Pattern pattern, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            // Match outside the lock: the pump thread must never wait for a regex over the whole console, or QEMU's
            // serial output backs up and the guest's early console (which gives up after a bounded wait) drops bytes.
            String raw;
            synchronized (console) {
                raw = console.toString();
            }
            Matcher m = pattern.matcher(plainText(raw));
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
            synchronized (console) {
                if (console.length() == raw.length()) {
                    console.wait(Math.min(1000, Math.max(1, left / 1_000_000)));
                }
            }
        }
    }

    /** A console match: the matched text, its groups, and when it was seen. */
    public record MatchResult(String text, List<String> groups, Duration after) {}

    private static List<String> groups(Matcher m) {
        List<String> g = new ArrayList<>();
        for (int i = 1; i <= m.groupCount(); i++) {
            g.add(m.group(i));
        }
        return g;
    }

    /**
     * Waits until the guest reached multi-user ({@link #BOOTED}: systemd's "Reached target multi-user.target" or a
     * login prompt on the serial console). Needs {@code console=ttyS0} on the kernel command line.
     */
    public MatchResult awaitMultiUser(Duration timeout) throws InterruptedException {
        return awaitConsole(BOOTED, timeout);
    }

    /** The kernel command line the guest kernel printed, if the console carried kernel messages. */
    public Optional<String> kernelCommandLine() {
        return kernelCommandLineIn(consoleText());
    }

    /** The kernel's {@code Command line:} message in a console text (see {@link #plainText}). */
    public static Optional<String> kernelCommandLineIn(String consoleText) {
        Matcher m = KERNEL_COMMAND_LINE.matcher(consoleText);
        return m.find() ? Optional.of(m.group(1).trim()) : Optional.empty();
    }

    /** Asserts that the kernel's printed command line contains each argument as a whole word. */
    public void assertKernelCommandLineContains(String... args) {
        if (kernelCommandLine().isEmpty()) {
            throw new AssertionError(
                    "the console shows no kernel 'Command line:' message (no console=ttyS0?)" + diagnostics());
        }
        try {
            assertCommandLineContains(consoleText(), args);
        } catch (AssertionError e) {
            // the raw bytes around the message tell a garbled serial line from a wrong boot entry
            String raw = console();
            int at = raw.indexOf("Command line:");
            String around = raw.substring(Math.max(0, at - 1500), Math.min(raw.length(), at + 1500));
            throw new AssertionError(
                    e.getMessage() + "\n--- raw console around the message (Java-escaped):\n" + escape(around)
                            + diagnostics(),
                    e);
        }
    }

    private static String escape(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            if (c == '\n' || (c >= 0x20 && c < 0x7f)) {
                b.append(c);
            } else {
                b.append(String.format("\\x%02x", (int) c));
            }
        }
        return b.toString();
    }

    /** Asserts that the kernel command line printed in {@code consoleText} has each argument as a whole word. */
    public static void assertCommandLineContains(String consoleText, String... args) {
        String line = kernelCommandLineIn(consoleText)
                .orElseThrow(() ->
                        new AssertionError("the console shows no kernel 'Command line:' message (no console=ttyS0?)"));
        List<String> words = List.of(line.split("\\s+"));
        for (String a : args) {
            if (!words.contains(a)) {
                throw new AssertionError("kernel command line lacks '" + a + "': " + line);
            }
        }
    }

    private String diagnostics() {
        String c = consoleText();
        String tail = c.length() > 4000 ? c.substring(c.length() - 4000) : c;
        String err;
        try {
            Path p = workDir.resolve("qemu.stderr");
            err = Files.exists(p) ? Files.readString(p, StandardCharsets.ISO_8859_1) : "";
        } catch (IOException e) {
            err = e.toString();
        }
        return "\n--- command: " + String.join(" ", command) + "\n--- QEMU stderr:\n" + err + "\n--- console tail ("
                + consoleLog + "):\n" + tail;
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
