package dev.linuximage.core.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.List;
import java.util.Map;

/** Properties of the command-line edit and the grubenv codec on arbitrary input (seed corpus runs in every build). */
class CmdlineFuzzTest {
    /** CMDLINE-CONSOLE and KERNEL-NUMA's single-valued arguments, by key (AZURE-REQUIREMENTS). */
    static final Map<String, String> REQUIRED_SINGLE_VALUED =
            Map.of("net.ifnames", "net.ifnames=0", "earlyprintk", "earlyprintk=ttyS0", "numa", "numa=off");

    @FuzzTest
    void editIsIdempotentAndComplete(FuzzedDataProvider data) {
        boolean keep = data.consumeBoolean();
        String extra = data.consumeAsciiString(20).replaceAll("[^\\x21\\x23-\\x26\\x28-\\x7e]", "");
        String args = data.consumeRemainingAsString();
        List<String> given = extra.isEmpty() ? List.of() : List.of(extra);
        List<String> add = given;
        // docs/cli.md: an added argument may not give net.ifnames, earlyprintk or numa a value other than the required
        // one (it and the required one would each be unwanted for the other): refused, then the line is edited anyway
        String key = extra.contains("=") ? extra.substring(0, extra.indexOf('=')) : extra;
        String required = REQUIRED_SINGLE_VALUED.get(key);
        if (required != null && !required.equals(extra)) {
            assertThatThrownBy(() -> PatchOptions.defaults().withKernelArgs(given, List.of(), keep))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(extra)
                    .hasMessageContaining(required);
            add = List.of();
        }
        PatchOptions o = PatchOptions.defaults().withKernelArgs(add, List.of(), keep);
        CmdlinePolicy p = CmdlinePolicy.of(o, false);
        String once = p.edit(args, true, null);
        assertThat(p.edit(once, true, null)).isEqualTo(once);
        List<String> tokens = KernelCmdline.tokens(once);
        assertThat(p.missing(tokens)).isEmpty();
        assertThat(p.unwanted(tokens)).isEmpty();
    }

    @FuzzTest
    void grubenvParsesOrRefusesAndRoundTripsInExactly1024Bytes(FuzzedDataProvider data) {
        byte[] block = data.consumeRemainingAsBytes();
        Map<String, String> vars;
        try {
            vars = GrubEnv.parse(block);
        } catch (IllegalArgumentException e) {
            assertThat(e.getMessage()).startsWith("grubenv:");
            return;
        }
        try {
            byte[] again = GrubEnv.format(vars);
            assertThat(again).hasSize(GrubEnv.SIZE);
            assertThat(GrubEnv.parse(again)).isEqualTo(vars);
        } catch (IllegalArgumentException e) {
            assertThat(e.getMessage()).contains("exceed");
        }
    }
}
