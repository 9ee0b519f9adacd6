package dev.linuximage.core.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class OffsetCacheTest {
    private final List<Long> loads = new ArrayList<>();

    private String load(long offset) {
        loads.add(offset);
        return "at " + offset;
    }

    @Test
    void keepsTheMostRecentlyUsedEntriesUpToItsCapacity() throws IOException {
        OffsetCache<String> cache = new OffsetCache<>(2);
        assertThat(cache.get(512, this::load)).isEqualTo("at 512");
        assertThat(cache.get(1024, this::load)).isEqualTo("at 1024");
        assertThat(cache.get(512, this::load)).as("a hit").isEqualTo("at 512");
        assertThat(loads).containsExactly(512L, 1024L);

        cache.get(4096, this::load); // evicts 1024, the least recently used, not 512
        cache.get(512, this::load);
        assertThat(loads).containsExactly(512L, 1024L, 4096L);
        cache.get(1024, this::load);
        assertThat(loads).containsExactly(512L, 1024L, 4096L, 1024L);
    }

    @Test
    void aFailedLoadIsNotCached() throws IOException {
        OffsetCache<String> cache = new OffsetCache<>(4);
        assertThatThrownBy(() -> cache.get(7, off -> {
                    throw new FormatException("test", "table", off, "unreadable");
                }))
                .isInstanceOf(FormatException.class)
                .hasMessageContaining("unreadable");
        assertThat(cache.get(7, this::load)).isEqualTo("at 7");
        assertThat(loads).containsExactly(7L);
    }

    @Test
    void refusesAnEmptyCapacity() {
        assertThatThrownBy(() -> new OffsetCache<String>(0)).isInstanceOf(IllegalArgumentException.class);
    }
}
