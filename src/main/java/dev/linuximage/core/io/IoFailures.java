package dev.linuximage.core.io;

import java.io.IOException;

/** Rethrowing a failure caught on another thread (a worker, a shared task) in the caller's own terms. */
public final class IoFailures {
    private IoFailures() {}

    /**
     * Throws {@code t} itself when it is unchecked (a {@link RuntimeException} or an {@link Error}); otherwise returns
     * it as an {@link IOException} (itself, or wrapping a checked exception of another kind) for the caller to throw:
     * {@code throw IoFailures.rethrow(cause);}.
     */
    public static IOException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            throw r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return t instanceof IOException io ? io : new IOException(t);
    }
}
