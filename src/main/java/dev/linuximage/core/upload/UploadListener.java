package dev.linuximage.core.upload;

/**
 * Receives progress of an upload. Called from the uploader's worker threads, possibly concurrently, after every
 * completed request and at phase changes: implementations must be thread-safe and fast (throttle rendering
 * themselves). Never receives secrets.
 */
@FunctionalInterface
public interface UploadListener {
    UploadListener NONE = p -> {};

    void onProgress(UploadProgress progress);

    /** A human-readable event (blob created, resumed, recreated, cleared stale pages). Default: ignored. */
    default void onEvent(String message) {}
}
