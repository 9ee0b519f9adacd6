package dev.linuximage;

import dev.linuximage.core.cli.CoreCli;
import dev.linuximage.operator.OperatorApplication;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.annotations.QuarkusMain;

import java.util.Arrays;

/**
 * The one executable's entry point. {@code linuximage} or {@code linuximage operator} starts the controller;
 * any other first argument is a core command ({@code inspect}, {@code convert}, {@code check}, {@code prepare},
 * {@code upload}, {@code guest}) that runs in plain Java: Quarkus is not booted, no HTTP server starts and the
 * Kubernetes API is never contacted.
 */
@QuarkusMain
public final class Main {

    private Main() {
    }

    public static void main(String... args) {
        if (args.length == 0 || "operator".equals(args[0])) {
            String[] rest = args.length == 0 ? args : Arrays.copyOfRange(args, 1, args.length);
            Quarkus.run(OperatorApplication.class, rest);
            return;
        }
        System.exit(CoreCli.execute(args));
    }
}
