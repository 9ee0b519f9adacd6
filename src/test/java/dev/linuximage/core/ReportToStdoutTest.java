package dev.linuximage.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.linuximage.core.cli.CoreCli;
import dev.linuximage.core.report.ExitCodes;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code check --report -}: the JSON report alone on stdout (so it pipes into jq), the table on stderr. */
class ReportToStdoutTest {

    @Test
    void reportToStdoutCarriesOnlyTheJson(@TempDir Path dir) throws Exception {
        Path disk = PrepareOutputOracleTest.alpineDisk(dir);
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            exit = CoreCli.execute("check", disk.toString(), "--report", "-");
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
        assertThat(exit).as(err.toString(StandardCharsets.UTF_8)).isIn(ExitCodes.OK, ExitCodes.NOT_COMPLIANT);
        JsonNode report = new ObjectMapper().readTree(out.toString(StandardCharsets.UTF_8));
        assertThat(report.path("findings").isArray()).isTrue();
        assertThat(report.path("findings").size()).isGreaterThan(20);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("CMDLINE-CONSOLE"); // the table
        assertThat(dir.resolve("-")).doesNotExist();
        assertThat(Path.of("-")).doesNotExist();
    }
}
