package dev.linuximage.core.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The core commands: {@code linuximage inspect|convert|check|prepare|upload|guest ...}. No Kubernetes here. */
@Command(name = "linuximage", mixinStandardHelpOptions = true, version = "linuximage 0.1.0",
        description = "Turns a Linux VM disk into an Azure-ready fixed VHD. Without a command (or with "
                + "'operator') the Kubernetes operator starts.",
        subcommands = {InspectCommand.class, ConvertCommand.class, CheckCommand.class, PrepareCommand.class,
                UploadCommand.class, GuestCommand.class, CommandLine.HelpCommand.class})
public final class CoreCli {

    private CoreCli() {
    }

    /** Runs one core command and returns its exit code (see {@link ExitCodes}). */
    public static int execute(String... args) {
        CommandLine cli = new CommandLine(new CoreCli());
        cli.setExitCodeExceptionMapper(CoreCli::exitCodeFor);
        cli.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            cmd.getErr().println("linuximage " + cmd.getCommandName() + ": " + describe(ex));
            return exitCodeFor(ex);
        });
        return cli.execute(args);
    }

    static int exitCodeFor(Throwable t) {
        if (t instanceof CommandLine.ParameterException) {
            return ExitCodes.USAGE;
        }
        if (t instanceof CoreException ce) {
            return ce.exitCode();
        }
        return ExitCodes.ERROR;
    }

    static String describe(Throwable t) {
        String m = t.getMessage();
        return m == null ? t.getClass().getSimpleName() : m;
    }
}
