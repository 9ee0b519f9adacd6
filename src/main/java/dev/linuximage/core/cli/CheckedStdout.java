package dev.linuximage.core.cli;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.PrintStream;

/**
 * Standard output that reports write errors. {@code System.out} is a {@link PrintStream}, which swallows them (a
 * closed pipe, a full device) and only sets {@link PrintStream#checkError()}; a command streaming a large file would
 * go on reading the disk for a reader that is gone. This stream checks after every write and throws.
 */
final class CheckedStdout extends FilterOutputStream {
    private final PrintStream ps;

    CheckedStdout(PrintStream ps) {
        super(ps);
        this.ps = ps;
    }

    /** Thrown when standard output cannot be written. */
    static final class StdoutException extends IOException {
        StdoutException() {
            super("cannot write to standard output (closed pipe or device error); stopped");
        }
    }

    @Override
    public void write(int b) throws IOException {
        ps.write(b);
        check();
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        ps.write(b, off, len);
        check();
    }

    @Override
    public void flush() throws IOException {
        check();
    }

    @Override
    public void close() throws IOException {
        check(); // never closes System.out
    }

    private void check() throws IOException {
        if (ps.checkError()) { // flushes, then reports any error since the stream was made
            throw new StdoutException();
        }
    }
}
