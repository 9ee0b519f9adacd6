package dev.linuximage.core.volume;

import java.nio.file.Path;

/** Public face of {@link LvmTool} for fixtures in other packages. */
public final class LvmToolAccess implements AutoCloseable {
    private final LvmTool tool = new LvmTool();

    public String attach(Path file, long offset, long size) throws Exception {
        return tool.attach(file, offset, size);
    }

    public String lvm(String... args) throws Exception {
        return tool.lvm(args);
    }

    @Override
    public void close() throws Exception {
        tool.close();
    }
}
