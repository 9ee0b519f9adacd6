/**
 * Page-blob uploader: puts a fixed VHD (any {@link dev.linuximage.core.io.ByteSource} holding data + 512-byte
 * footer) into an Azure page blob, sending only non-zero 512-byte pages in parallel Put Page requests of at most
 * 4 MiB with Content-MD5, resuming from the page ranges the blob already holds, fenced by the blob's sequence number
 * (= the writer's generation), footer written last, verified by read-back before success. Entry point:
 * {@link dev.linuximage.core.upload.PageBlobUploader#upload}. All sizes and offsets are in bytes.
 */
package dev.linuximage.core.upload;
