package dev.linuximage.testsupport;

import dev.linuximage.core.cli.CoreCli;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * Runs a core command in this JVM with stdout and stderr captured (tests only), for every test that drives the CLI
 * in-process. Serialised: System.out/err are process-wide.
 */
public final class CliRun {
    /**
     * What one run left: the exit code, stdout, stderr, and both interleaved in the order they were written (the
     * merged view is what a terminal shows, e.g. the upload progress lines between the result lines).
     */
    public record Run(int code, String out, String err, String output) {
        /** The exit code (same as {@link #code()}). */
        public int exit() {
            return code;
        }
    }

    private CliRun() {}

    /** Runs {@code CoreCli.execute(args)} with both streams captured. */
    public static synchronized Run run(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        ByteArrayOutputStream both = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(new Tee(out, both), true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(new Tee(err, both), true, StandardCharsets.UTF_8));
            int code = CoreCli.execute(args);
            System.out.flush();
            System.err.flush();
            return new Run(
                    code,
                    out.toString(StandardCharsets.UTF_8),
                    err.toString(StandardCharsets.UTF_8),
                    both.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    /** As {@link #run}, then prints the merged output to the real stdout so the test log shows what the CLI said. */
    public static Run runEchoed(String... args) {
        Run r = run(args);
        System.out.print(r.output());
        return r;
    }

    /** Writes to one stream of its own and to the shared merged buffer (locked on it to keep whole writes whole). */
    private static final class Tee extends OutputStream {
        private final ByteArrayOutputStream own;
        private final ByteArrayOutputStream both;

        Tee(ByteArrayOutputStream own, ByteArrayOutputStream both) {
            this.own = own;
            this.both = both;
        }

        @Override
        public void write(int b) {
            synchronized (both) {
                own.write(b);
                both.write(b);
            }
        }

        @Override
        public void write(byte[] b, int off, int len) {
            synchronized (both) {
                own.write(b, off, len);
                both.write(b, off, len);
            }
        }
    }
}
