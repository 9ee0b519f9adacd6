package dev.linuximage.core.format;

import static org.assertj.core.api.Assertions.assertThat;

import dev.linuximage.core.io.BytesSource;
import java.io.InputStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The well-formed seeds of the fuzz corpus really parse (so the fuzzer starts from deep inside each parser). */
class SeedCorpusTest {
    @ParameterizedTest
    @CsvSource({
        "qcow2/v2, qcow2, 32768",
        "qcow2/v3, qcow2, 32768",
        "vhd/fixed, vhd, 4096",
        "vhd/dynamic, vhd, 8192",
        "vdi/dynamic, vdi, 3072",
        "vmdk/sparse, vmdk, 65536",
        "vmdk/stream, vmdk, 65536",
        "ova/ova, ova, 65536",
    })
    void seedParses(String seed, String format, long size) throws Exception {
        byte[] b;
        try (InputStream in = getClass().getResourceAsStream("FormatFuzzTestInputs/" + seed)) {
            assertThat(in).as(seed).isNotNull();
            b = in.readAllBytes();
        }
        BytesSource src = new BytesSource(b);
        assertThat(DiskImages.detect(src)).isEqualTo(format);
        try (DiskImage img = format.equals("ova")
                ? dev.linuximage.core.format.ova.OvaFormat.open(src, OpenOptions.defaults(), DiskFormats::openMember)
                : DiskImages.open(src, null, OpenOptions.defaults())) {
            assertThat(img.virtualSize()).isEqualTo(size);
            FormatFuzzTest.drain(img.data());
            long[] data = {0};
            img.data().extents(0, size, e -> data[0] += e.isData() ? e.length() : 0);
            assertThat(data[0]).isPositive().isLessThanOrEqualTo(size);
        }
    }
}
