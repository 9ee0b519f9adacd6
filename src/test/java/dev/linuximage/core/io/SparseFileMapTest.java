package dev.linuximage.core.io;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * When {@link SparseFileMap} cannot get a file's allocation map it reads the file whole, and a user whose 1 TiB upload
 * then takes minutes is told why, once. tmpfs has no FIEMAP ({@code filefrag} exits 22 there: "FIBMAP/FIEMAP
 * unsupported"), ext4 has.
 */
class SparseFileMapTest {
    private static final Path SHM = Path.of("/dev/shm");
    private final List<Path> created = new ArrayList<>();

    @AfterEach
    void removeShmFiles() throws IOException {
        for (Path p : created) {
            Files.deleteIfExists(p);
        }
    }

    @Test
    void withoutFiemapALargeFileIsReadWholeAndTheWarningSaysWhyOnce() throws IOException {
        Path f = sparseFile(onTmpfs("big"), 2L << 30);
        List<String> warnings = new ArrayList<>();
        try (FileByteSource src = FileByteSource.openReadOnly(f)) {
            SparseFileMap map = SparseFileMap.view(f, src, warnings::add);
            assertThat(extents(map)).containsExactly(new Extent(0, 2L << 30, Extent.Kind.DATA));
            assertThat(map.usedFallback()).isTrue();
            extents(map); // a second pass (the digest, then the upload) warns no more
        }
        assertThat(warnings).hasSize(1);
        assertThat(warnings.get(0)).contains(f.toString()).contains("no FIEMAP").contains("reading all 2 GiB");
    }

    @Test
    void aSmallFileIsReadWholeWithoutAWarning() throws IOException {
        Path f = sparseFile(onTmpfs("small"), SparseFileMap.WARN_FROM - 4096);
        List<String> warnings = new ArrayList<>();
        try (FileByteSource src = FileByteSource.openReadOnly(f)) {
            SparseFileMap map = SparseFileMap.view(f, src, warnings::add);
            assertThat(extents(map)).hasSize(1);
            assertThat(map.usedFallback()).isTrue();
        }
        assertThat(warnings).isEmpty();
    }

    @Test
    void withTheMapNothingIsWarned(@TempDir Path dir) throws IOException {
        assertThat(Files.getFileStore(dir).type()).isIn("ext4", "xfs", "btrfs");
        Path f = sparseFile(dir.resolve("big"), 2L << 30);
        List<String> warnings = new ArrayList<>();
        try (FileByteSource src = FileByteSource.openReadOnly(f)) {
            SparseFileMap map = SparseFileMap.view(f, src, warnings::add);
            List<Extent> got = extents(map);
            assertThat(map.usedFallback()).isFalse();
            assertThat(got.stream()
                            .filter(Extent::isData)
                            .mapToLong(Extent::length)
                            .sum())
                    .isEqualTo(1 << 20);
        }
        assertThat(warnings).isEmpty();
    }

    private Path onTmpfs(String name) throws IOException {
        assertThat(Files.getFileStore(SHM).type())
                .as("/dev/shm is a tmpfs on this machine kind")
                .isEqualTo("tmpfs");
        Path f = Files.createTempFile(SHM, "sparse-file-map-" + name, ".img");
        created.add(f);
        return f;
    }

    /** {@code size} bytes, holes but for 1 MiB of ones at 64 MiB. */
    private static Path sparseFile(Path f, long size) throws IOException {
        try (RandomAccessFile r = new RandomAccessFile(f.toFile(), "rw")) {
            r.setLength(size);
            r.seek(64L << 20);
            byte[] ones = new byte[1 << 20];
            java.util.Arrays.fill(ones, (byte) 1);
            r.write(ones);
        }
        return f;
    }

    private static List<Extent> extents(SparseFileMap map) throws IOException {
        List<Extent> out = new ArrayList<>();
        map.extents(0, map.size(), out::add);
        return out;
    }
}
