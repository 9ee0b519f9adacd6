package dev.linuximage.core.format;

import dev.linuximage.core.io.ByteSource;
import java.io.IOException;
import java.util.List;

/**
 * An opened disk container. {@link #data()} is the guest's raw view: {@link #virtualSize()} bytes whose extents
 * report ZERO for everything the container knows to be zero (unallocated blocks, zero clusters), so consumers never
 * read holes. Closing the image closes the data source and the files behind it.
 */
public interface DiskImage extends AutoCloseable {

    /** Container format: {@code raw}, {@code vhd}, {@code vhdx}, {@code qcow2}, {@code vmdk}, {@code vdi}, {@code ova}. */
    String format();

    /** Sub-format, e.g. {@code fixed}, {@code dynamic}, {@code v3}, {@code streamOptimized}. */
    String subformat();

    /** Virtual disk size in bytes. */
    long virtualSize();

    /** The guest's raw view ({@link ByteSource#size()} == {@link #virtualSize()}). */
    ByteSource data();

    /** Bytes of the container file(s) on disk (apparent size). */
    long containerBytes();

    /** Non-fatal observations made while opening (e.g. dirty flag, tolerated snapshots). */
    List<String> warnings();

    @Override
    void close() throws IOException;
}
