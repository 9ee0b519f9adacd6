package dev.linuximage.core.volume;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.linuximage.core.fs.BytesSource;
import dev.linuximage.core.report.BadInputException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** Hostile LVM2 labels, mda headers and metadata text: typed {@link IOException}s only, never a crash or a hang. */
class LvmFuzzTest {
    @FuzzTest(maxDuration = "20s")
    void fuzzText(byte[] data) {
        try {
            var m = LvmText.parse(new String(data, StandardCharsets.UTF_8));
            assertThat(m).isNotNull();
            Lvm.vgNameOf(m);
        } catch (LvmException e) {
            assertThat(e.getMessage()).startsWith("LVM2");
        }
    }

    @FuzzTest(maxDuration = "20s")
    void fuzzPv(byte[] data) throws IOException {
        try {
            var pv = Lvm.readPv(new BytesSource(data.clone()), "fuzz");
            if (pv.isPresent()) {
                for (LogicalVolume lv : Lvm.logicalVolumes(List.of(pv.get()))) {
                    if (lv.source() != null && lv.source().size() > 0) {
                        lv.source().readBytes(lv.source().size() - 1, 1);
                    }
                }
            }
        } catch (BadInputException e) {
            assertThat(e.getMessage()).isNotBlank();
        }
    }
}
