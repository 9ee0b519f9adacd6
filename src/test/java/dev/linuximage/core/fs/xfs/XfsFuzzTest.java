package dev.linuximage.core.fs.xfs;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.linuximage.core.report.BadInputException;
import java.util.Arrays;

/** Hostile XFS superblocks: typed errors only, geometry always self-consistent when accepted. */
class XfsFuzzTest {
    @FuzzTest(maxDuration = "20s")
    void fuzzSuperblock(byte[] data) throws java.io.IOException {
        byte[] s = Arrays.copyOf(data, Math.max(512, Math.min(data.length, 4096)));
        try {
            XfsSuperblock sb = XfsSuperblock.parse(s, 1L << 40);
            assertThat(sb.blockSize()).isBetween(512, 65536);
            assertThat((long) sb.agBlocks() * sb.agCount()).isGreaterThanOrEqualTo(sb.dblocks());
            sb.fsbToByte(sb.rootIno() >>> sb.inopbLog());
        } catch (BadInputException e) {
            assertThat(e.getMessage()).startsWith("xfs");
        }
    }
}
