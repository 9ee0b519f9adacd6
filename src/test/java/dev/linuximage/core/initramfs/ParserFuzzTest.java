package dev.linuximage.core.initramfs;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.linuximage.core.initramfs.kmod.ElfModule;
import dev.linuximage.core.initramfs.kmod.KmodException;

/**
 * Fuzz targets for the two hostile-input parsers. In the normal build they run their seed corpus
 * ({@code src/test/resources/dev/linuximage/core/initramfs/ParserFuzzTestInputs/<method>/}) in regression mode;
 * with {@code JAZZER_FUZZ=1} they fuzz. Any exception other than the typed ones is a bug.
 */
class ParserFuzzTest {
    private static final InitramfsLimits SMALL =
            new InitramfsLimits(1 << 20, 4096, 8 << 20, 100, 1 << 20, 10_000, 16, 8 << 20);

    @FuzzTest(maxDuration = "30s")
    void initramfsReader(byte[] data) {
        try {
            new InitramfsReader(SMALL).read(data, (e, in) -> in.readAllBytes());
        } catch (InitramfsException expected) {
            // typed refusal: fine
        } catch (java.io.IOException e) {
            throw new AssertionError("untyped I/O error: " + e, e);
        }
    }

    @FuzzTest(maxDuration = "30s")
    void elfModinfo(byte[] data) {
        try {
            ElfModule m = ElfModule.parse(data);
            m.modinfo();
            m.exportedSymbols();
        } catch (KmodException expected) {
            // typed refusal: fine
        }
    }
}
