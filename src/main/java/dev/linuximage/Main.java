package dev.linuximage;

import dev.linuximage.core.cli.CoreCli;
import dev.linuximage.operator.OperatorApplication;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.annotations.QuarkusMain;
import java.util.Arrays;

/**
 * The one executable's entry point. {@code linuximage operator} starts the controller, and so does a bare
 * {@code linuximage} inside a Kubernetes pod (the kubelet sets {@code KUBERNETES_SERVICE_HOST}); a bare
 * {@code linuximage} anywhere else prints the usage (exit 2) instead of trying to reach a cluster. Any other first
 * argument is a core command ({@code inspect}, {@code convert}, {@code check}, {@code prepare},
 * {@code upload}, {@code guest}) that runs in plain Java: Quarkus is not booted, no HTTP server starts and the
 * Kubernetes API is never contacted.
 */
@QuarkusMain
public final class Main {

    private Main() {}

    public static void main(String... args) {
        if (startsOperator(args, System.getenv())) {
            String[] rest = args.length == 0 ? args : Arrays.copyOfRange(args, 1, args.length);
            Quarkus.run(OperatorApplication.class, rest);
            return;
        }
        System.exit(CoreCli.execute(args));
    }

    /** {@code operator} as the first argument, or no argument at all inside a pod. */
    static boolean startsOperator(String[] args, java.util.Map<String, String> env) {
        if (args.length > 0) {
            return "operator".equals(args[0]);
        }
        String host = env.get("KUBERNETES_SERVICE_HOST");
        return host != null && !host.isBlank();
    }
}
