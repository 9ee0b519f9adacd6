package dev.linuximage.core.cli;

import dev.linuximage.core.report.ExitCodes;
import io.quarkus.runtime.annotations.RegisterForReflection;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The core commands: {@code linuximage inspect|convert|check|prepare|upload|digest|guest ...}. No Kubernetes here. */
@Command(
        name = "linuximage",
        mixinStandardHelpOptions = true,
        version = "linuximage 0.1.0",
        description = "Turns a Linux VM disk into an Azure-ready fixed VHD. 'linuximage operator' starts the "
                + "Kubernetes operator (so does no command at all inside a pod).")
// picocli-codegen writes reflection config for the @Command classes it sees in annotations; HelpCommand and the
// completion generator are added in code (last, so help lists them last), so their reflection is registered here.
@RegisterForReflection(targets = {CommandLine.HelpCommand.class, AutoComplete.GenerateCompletion.class})
public final class CoreCli {

    /** The subcommands by name, in help order. Only the one a command line names is modelled (see {@link #commandLine}). */
    private static final java.util.Map<String, java.util.function.Supplier<Object>> COMMANDS = commands();

    private static java.util.Map<String, java.util.function.Supplier<Object>> commands() {
        java.util.Map<String, java.util.function.Supplier<Object>> m = new java.util.LinkedHashMap<>();
        m.put("inspect", InspectCommand::new);
        m.put("convert", ConvertCommand::new);
        m.put("check", CheckCommand::new);
        m.put("prepare", PrepareCommand::new);
        m.put("upload", UploadCommand::new);
        m.put("digest", DigestCommand::new);
        m.put("guest", GuestCommand::new);
        return java.util.Collections.unmodifiableMap(m);
    }

    private CoreCli() {}

    /** Runs one core command and returns its exit code (see {@link ExitCodes}). */
    public static int execute(String... args) {
        CommandLine cli = commandLine(args);
        if (args.length == 0) {
            // outside a pod a bare 'linuximage' is a person trying the tool: show what it does, touch nothing
            cli.usage(System.err);
            System.err.println();
            System.err.println("linuximage: no command given (the operator starts with 'linuximage operator')");
            return ExitCodes.USAGE;
        }
        cli.setExitCodeExceptionMapper(CoreCli::exitCodeFor);
        cli.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            cmd.getErr().println("linuximage " + cmd.getCommandName() + ": " + describe(ex));
            return exitCodeFor(ex);
        });
        long started = System.nanoTime();
        int rc = cli.execute(args);
        // PrintStream/PrintWriter swallow write errors: a report or listing that never reached stdout (/dev/full, a
        // closed pipe) must not end with exit 0
        if (rc == ExitCodes.OK && (System.out.checkError() || cli.getOut().checkError())) {
            System.err.println("linuximage " + (args.length > 0 ? args[0] : "") + ": cannot write to standard output"
                    + " (closed pipe or device error)");
            rc = ExitCodes.ERROR;
        }
        if (System.getenv("LINUXIMAGE_TIMING") != null) {
            // for benchmarks: the command's own time, without the JVM's (or native executable's) start-up
            System.err.printf(
                    "linuximage timing: %s took %d ms in-process%n",
                    args.length > 0 ? args[0] : "-", (System.nanoTime() - started) / 1_000_000);
        }
        return rc;
    }

    /**
     * The picocli model for {@code args}. Building the annotation model of every subcommand costs most of a core
     * command's start-up (measured ~0.3 s of CPU on the JVM), so when the first argument names a subcommand only that
     * one is added; otherwise (help, version, a typo) all are, so that help and suggestions list them.
     */
    public static CommandLine commandLine(String... args) {
        CommandLine cli = new CommandLine(new CoreCli());
        String first = args.length > 0 ? args[0] : "";
        if (COMMANDS.containsKey(first)) {
            cli.addSubcommand(first, COMMANDS.get(first).get());
        } else {
            COMMANDS.forEach((name, make) -> cli.addSubcommand(name, make.get()));
        }
        cli.addSubcommand(new CommandLine.HelpCommand());
        // 'linuximage completion' prints a bash/zsh completion script: source <(linuximage completion)
        CommandLine completion = new CommandLine(new AutoComplete.GenerateCompletion());
        completion
                .getCommandSpec()
                .usageMessage()
                .description("Print a bash/zsh completion script: " + "source <(linuximage completion)");
        cli.addSubcommand("completion", completion);
        return cli;
    }

    static int exitCodeFor(Throwable t) {
        if (t instanceof CommandLine.ParameterException) {
            return ExitCodes.USAGE;
        }
        return ExitCodes.of(t);
    }

    static String describe(Throwable t) {
        String m = t.getMessage();
        return m == null ? t.getClass().getSimpleName() : m;
    }
}
