package dev.linuximage.core.io;

import java.io.IOException;

/** Receives extents in increasing offset order; see {@link ByteSource#extents(long, long, ExtentVisitor)}. */
@FunctionalInterface
public interface ExtentVisitor {
    void visit(Extent extent) throws IOException;
}
