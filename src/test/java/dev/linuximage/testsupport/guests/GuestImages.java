package dev.linuximage.testsupport.guests;

import dev.linuximage.testsupport.Tools;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * Builds real Debian guest disks with {@code src/test/fixtures/guests/build-guest.sh} or returns the cached ones.
 *
 * <pre>{@code
 * GuestImage img = GuestImages.get(GuestVariant.BIOS_MBR);   // target/guests/images/bios-mbr.{qcow2,properties}
 * CoreCli.execute("prepare", img.qcow2().toString(), "--output", out.toString()); // read it, never write it
 * }</pre>
 *
 * <p>The first build on a machine runs debootstrap against the Debian mirror of the machine's apt sources (minutes);
 * later builds reuse the cached tree under {@code target/guests/cache}. An image is rebuilt when the build script
 * changed (its SHA-256 is recorded in the image's facts). A failed build (network down, mirror unreachable, not
 * root) fails the calling test with the script's log; it never skips.
 */
public final class GuestImages {
    /** Upper bound for one build, cold (debootstrap) included. */
    public static final Duration BUILD_TIMEOUT = Duration.ofMinutes(30);

    private GuestImages() {}

    /** The committed build script. */
    public static Path script() {
        Path p = Tools.targetDir().getParent().resolve("src/test/fixtures/guests/build-guest.sh");
        if (!Files.isRegularFile(p)) {
            throw new IllegalStateException("guest build script not found at " + p);
        }
        return p;
    }

    /** Where images are published: {@code target/guests/images} (system property {@code linuximage.guests.dir}). */
    public static Path imagesDir() {
        String override = System.getProperty("linuximage.guests.dir");
        return override != null
                ? Path.of(override).toAbsolutePath()
                : Tools.targetDir().resolve("guests/images");
    }

    /** Returns the cached image of a variant, building it first if it is missing or stale. */
    public static synchronized GuestImage get(GuestVariant variant) {
        Path dir = imagesDir();
        GuestImage cached = cached(variant, dir);
        if (cached != null) {
            return cached;
        }
        build(variant, dir);
        GuestImage built = cached(variant, dir);
        if (built == null) {
            throw new AssertionError(
                    "build-guest.sh " + variant.id() + " succeeded but left no usable image in " + dir);
        }
        return built;
    }

    /** Rebuilds a variant even when a cached image exists (the debootstrap tree cache is still used). */
    public static synchronized GuestImage rebuild(GuestVariant variant) {
        build(variant, imagesDir());
        return get(variant);
    }

    /**
     * The raw copy of an image's disk under {@code target/guests/raw}, converted from its qcow2 with
     * {@code qemu-img convert} (sparse: 2 GiB virtual, about 0.8 GiB allocated) unless it is already there. Only one
     * raw copy exists at a time: asking for another variant's deletes the previous one.
     */
    public static synchronized Path raw(GuestImage img) {
        Path dir = rawDir();
        Path raw = dir.resolve(img.variant().id() + ".raw");
        try {
            if (Files.isRegularFile(raw)
                    && Files.getLastModifiedTime(raw).compareTo(Files.getLastModifiedTime(img.qcow2())) >= 0) {
                return raw;
            }
            releaseRaw();
            Files.createDirectories(dir);
            Path tmp = dir.resolve(img.variant().id() + ".raw.tmp");
            Tools.command(
                            "qemu-img",
                            "convert",
                            "-q",
                            "-f",
                            "qcow2",
                            "-O",
                            "raw",
                            img.qcow2().toString(),
                            tmp.toString())
                    .timeout(Duration.ofMinutes(5))
                    .mergeStderr()
                    .run();
            return Files.move(tmp, raw, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("could not make the raw copy of " + img.qcow2(), e);
        }
    }

    /** Deletes the raw copy made by {@link #raw}, if any (tests call it once they are done with raw oracles). */
    public static synchronized void releaseRaw() {
        Path dir = rawDir();
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (var files = Files.list(dir)) {
            for (Path f : files.toList()) {
                Files.deleteIfExists(f);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not delete the raw copies in " + dir, e);
        }
    }

    private static Path rawDir() {
        return Tools.targetDir().resolve("guests/raw");
    }

    private static GuestImage cached(GuestVariant variant, Path dir) {
        Path props = dir.resolve(variant.id() + ".properties");
        Path qcow2 = dir.resolve(variant.id() + ".qcow2");
        if (!Files.isRegularFile(props) || !Files.isRegularFile(qcow2)) {
            return null;
        }
        Properties facts = new Properties();
        try (InputStream in = Files.newInputStream(props)) {
            facts.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (!scriptSha256().equals(facts.getProperty("script.sha256"))) {
            return null;
        }
        return new GuestImage(variant, qcow2, facts);
    }

    private static void build(GuestVariant variant, Path dir) {
        Path logs = Tools.targetDir().resolve("guests/logs");
        Path log = logs.resolve("build-" + variant.id() + ".log");
        List<String> cmd = List.of("bash", script().toString(), variant.id(), dir.toString());
        try {
            Files.createDirectories(logs);
            Files.createDirectories(dir);
            // The script's own marker: delete the facts first so an interrupted build is never taken for a good one.
            Files.deleteIfExists(dir.resolve(variant.id() + ".properties"));
            Process p = new ProcessBuilder(cmd)
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .start();
            if (!p.waitFor(BUILD_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("building guest " + variant.id() + " took more than " + BUILD_TIMEOUT
                        + "; log " + log + ":\n" + tail(log));
            }
            if (p.exitValue() != 0) {
                throw new AssertionError("building guest " + variant.id() + " failed (exit " + p.exitValue() + ")."
                        + " The first build needs root and access to the Debian mirror of the machine's apt sources"
                        + " (debootstrap); log " + log + ":\n" + tail(log));
            }
            System.err.println(lastLine(log));
        } catch (IOException e) {
            throw new AssertionError("could not run " + cmd + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while building guest " + variant.id(), e);
        }
    }

    static String scriptSha256() {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(script()));
            return HexFormat.of().formatHex(digest);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String tail(Path log) throws IOException {
        List<String> lines = Files.readAllLines(log, StandardCharsets.ISO_8859_1);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    }

    private static String lastLine(Path log) throws IOException {
        List<String> lines = Files.readAllLines(log, StandardCharsets.ISO_8859_1);
        return lines.isEmpty() ? "" : lines.get(lines.size() - 1);
    }

    /**
     * Frees the disk space of a test's work directory once it is judged: deletes every file in it but the small
     * reports ({@code *.json}, {@code *.log}, {@code *.txt}), so that the guest pass needs room for one variant's
     * outputs at a time, not for all of them. {@code -Dlinuximage.guests.keep=true} keeps everything (debugging).
     */
    public static void releaseOutputs(Path dir) {
        if (Boolean.getBoolean("linuximage.guests.keep") || !Files.isDirectory(dir)) {
            return;
        }
        try (var files = Files.walk(dir)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                String name = f.getFileName().toString();
                if (!name.endsWith(".json") && !name.endsWith(".log") && !name.endsWith(".txt")) {
                    Files.delete(f);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not release the outputs in " + dir, e);
        }
    }
}
