package dev.linuximage.core.upload;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RangeDiffTest {
    static RangeDiff.Cursor cursor(long... se) {
        List<ByteRange> l = new ArrayList<>();
        for (int i = 0; i < se.length; i += 2) {
            l.add(new ByteRange(se[i], se[i + 1]));
        }
        Iterator<ByteRange> it = l.iterator();
        return () -> it.hasNext() ? it.next() : null;
    }

    @Test
    void sendsMissingAndClearsStale() throws IOException {
        List<String> ops = new ArrayList<>();
        RangeDiff.Sink sink = new RangeDiff.Sink() {
            public void send(long s, long e) {
                ops.add("send " + s + "-" + e);
            }

            public void clear(long s, long e) {
                ops.add("clear " + s + "-" + e);
            }
        };
        // existing: [0,1024) [2048,4096) [8192,9216)
        RangeDiff d = new RangeDiff(RangeDiff.merging(cursor(0, 512, 512, 1024, 2048, 4096, 8192, 9216)));
        d.nonZero(512, 1536, sink); // 512-1024 present, 1024-1536 missing; 0-512 stale
        d.nonZero(3072, 5120, sink); // 2048-3072 stale, 3072-4096 present, 4096-5120 missing
        d.advanceTo(10240, sink); // 8192-9216 stale
        assertThat(ops)
                .containsExactly(
                        "clear 0-512", "send 1024-1536", "clear 2048-3072", "send 4096-5120", "clear 8192-9216");
    }

    @Test
    void randomisedAgainstABitmapModel() throws IOException {
        Random r = new Random(1);
        for (int round = 0; round < 300; round++) {
            int pages = 64;
            boolean[] n = new boolean[pages];
            boolean[] e = new boolean[pages];
            for (int i = 0; i < pages; i++) {
                n[i] = r.nextInt(3) == 0;
                e[i] = r.nextInt(3) == 0;
            }
            List<Long> existing = new ArrayList<>();
            for (int i = 0; i < pages; i++) {
                if (e[i]) {
                    existing.add(i * 512L);
                    existing.add(i * 512L + 512);
                }
            }
            long[] ex = existing.stream().mapToLong(Long::longValue).toArray();
            boolean[] sent = new boolean[pages];
            boolean[] cleared = new boolean[pages];
            RangeDiff.Sink sink = new RangeDiff.Sink() {
                public void send(long s, long en) {
                    for (long p = s; p < en; p += 512) {
                        assertThat(sent[(int) (p / 512)]).isFalse();
                        sent[(int) (p / 512)] = true;
                    }
                }

                public void clear(long s, long en) {
                    for (long p = s; p < en; p += 512) {
                        cleared[(int) (p / 512)] = true;
                    }
                }
            };
            RangeDiff d = new RangeDiff(RangeDiff.merging(cursor(ex)));
            int i = 0;
            while (i < pages) {
                if (!n[i]) {
                    i++;
                    continue;
                }
                int j = i;
                while (j < pages && n[j] && j - i < 3) {
                    j++;
                }
                d.nonZero(i * 512L, j * 512L, sink);
                i = j;
            }
            d.advanceTo(pages * 512L, sink);
            for (int p = 0; p < pages; p++) {
                assertThat(sent[p]).as("page %d send", p).isEqualTo(n[p] && !e[p]);
                assertThat(cleared[p]).as("page %d clear", p).isEqualTo(e[p] && !n[p]);
            }
        }
    }
}
