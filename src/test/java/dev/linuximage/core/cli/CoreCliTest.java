package dev.linuximage.core.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.linuximage.core.report.ExitCodes;
import org.junit.jupiter.api.Test;

/** The top-level command: one subcommand modelled when named, all of them for help and typos. */
class CoreCliTest {

    @Test
    void aNamedCommandIsTheOnlyOneModelled() {
        assertThat(CoreCli.commandLine("prepare", "x.qcow2").getSubcommands().keySet())
                .containsExactly("prepare", "help", "completion");
    }

    @Test
    void helpAndUnknownCommandsSeeEveryCommand() {
        for (String[] args : new String[][] {{}, {"--help"}, {"prepre"}, {"help", "convert"}}) {
            assertThat(CoreCli.commandLine(args).getSubcommands().keySet())
                    .as(String.join(" ", args))
                    .containsExactly(
                            "inspect",
                            "convert",
                            "check",
                            "prepare",
                            "upload",
                            "digest",
                            "guest",
                            "help",
                            "completion");
        }
    }

    @Test
    void exitCodes() {
        assertThat(CoreCli.execute("help", "convert")).isEqualTo(ExitCodes.OK);
        assertThat(CoreCli.execute("--version")).isEqualTo(ExitCodes.OK);
        assertThat(CoreCli.execute("prepre", "x")).isEqualTo(ExitCodes.USAGE);
        assertThat(CoreCli.execute("convert")).isEqualTo(ExitCodes.USAGE);
    }
}
