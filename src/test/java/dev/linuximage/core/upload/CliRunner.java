package dev.linuximage.core.upload;

import dev.linuximage.core.cli.CoreCli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Runs a core command in this JVM with stdout and stderr captured (tests only; serialised). */
final class CliRunner {
    record Result(int exit, String output) { }

    private CliRunner() {
    }

    static synchronized Result run(String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream cap = new PrintStream(buf, true, StandardCharsets.UTF_8);
        System.setOut(cap);
        System.setErr(cap);
        try {
            int code = CoreCli.execute(args);
            cap.flush();
            return new Result(code, buf.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
            out.print(buf.toString(StandardCharsets.UTF_8));
        }
    }

    static String[] upload(String... args) {
        List<String> l = new ArrayList<>(List.of("upload"));
        l.addAll(List.of(args));
        // Azurite and the test proxies listen on loopback: allowed explicitly (the default is Azure's hosts only)
        l.addAll(List.of("--allowed-blob-host", "127.0.0.1"));
        return l.toArray(String[]::new);
    }
}
