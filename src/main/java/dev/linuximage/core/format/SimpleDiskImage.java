package dev.linuximage.core.format;

import dev.linuximage.core.io.ByteSource;
import java.io.Closeable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** Plain {@link DiskImage}: a data view plus the resources to close. */
public final class SimpleDiskImage implements DiskImage {
    private final String format;
    private final String subformat;
    private final ByteSource data;
    private final long containerBytes;
    private final List<String> warnings;
    private final List<Closeable> resources;

    public SimpleDiskImage(
            String format,
            String subformat,
            ByteSource data,
            long containerBytes,
            List<String> warnings,
            List<? extends Closeable> resources) {
        this.format = format;
        this.subformat = subformat;
        this.data = data;
        this.containerBytes = containerBytes;
        this.warnings = List.copyOf(warnings);
        this.resources = new ArrayList<>(resources);
    }

    @Override
    public String format() {
        return format;
    }

    @Override
    public String subformat() {
        return subformat;
    }

    @Override
    public long virtualSize() {
        return data.size();
    }

    @Override
    public ByteSource data() {
        return data;
    }

    @Override
    public long containerBytes() {
        return containerBytes;
    }

    @Override
    public List<String> warnings() {
        return warnings;
    }

    @Override
    public void close() throws IOException {
        IOException first = null;
        for (Closeable c : resources) {
            try {
                c.close();
            } catch (IOException e) {
                if (first == null) {
                    first = e;
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
