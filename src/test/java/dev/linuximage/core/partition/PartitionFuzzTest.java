package dev.linuximage.core.partition;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.linuximage.core.fs.BytesSource;
import dev.linuximage.core.report.BadInputException;
import java.io.IOException;

/** Hostile MBR/EBR chains and GPT headers: typed errors only; partitions always inside the disk. */
class PartitionFuzzTest {
    @FuzzTest(maxDuration = "20s")
    void fuzzTables(byte[] data) throws IOException {
        try {
            PartitionTable t = PartitionTables.read(new BytesSource(data));
            for (Partition p : t.partitions()) {
                assertThat(p.startBytes()).isNotNegative();
                assertThat(p.startBytes() + p.sizeBytes()).isLessThanOrEqualTo(data.length);
            }
        } catch (BadInputException e) {
            assertThat(e.getMessage()).isNotBlank();
        }
    }
}
