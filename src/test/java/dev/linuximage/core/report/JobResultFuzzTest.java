package dev.linuximage.core.report;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;

/**
 * The termination message and the log are written by the pod: hostile input for the operator. Parsing either must
 * fail only with a typed error (or not at all), and whatever parses must write back within the size limit.
 */
class JobResultFuzzTest {

    @FuzzTest
    void parseTerminationMessage(byte[] data) {
        String text = new String(data, StandardCharsets.UTF_8);
        JobResult r;
        try {
            r = JobResultCodec.parse(text);
        } catch (IllegalArgumentException expected) {
            return;
        }
        String json = JobResultCodec.write(r);
        assertThat(json.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(JobResultCodec.MAX_BYTES);
        assertThat(JobResultCodec.parse(json).outcome()).isEqualTo(r.outcome());
    }

    @FuzzTest
    void parseProgressLog(byte[] data) {
        String log = new String(data, StandardCharsets.UTF_8);
        ProgressEvent.lastIn(log).ifPresent(e -> assertThat(e.percent()).isBetween(0, 100));
    }
}
