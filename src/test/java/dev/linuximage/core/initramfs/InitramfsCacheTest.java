package dev.linuximage.core.initramfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.linuximage.testsupport.Tools;
import dev.linuximage.testsupport.initramfs.InitramfsFixtures;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link InitramfsCache} on images made by the real {@code cpio}/{@code gzip} ({@link InitramfsFixtures}): decoded
 * once per content, never served stale for changed content of the same length, failures remembered, views limited
 * to what each reader captures, bounded, safe under concurrent use.
 */
class InitramfsCacheTest {
    static final Predicate<String> INIT = p -> p.equals("init");
    static final Predicate<String> ALIAS = p -> p.endsWith("/modules.alias");

    @TempDir
    Path work;

    /** Early microcode member + main member ({@code label}) with {@code /init} holding {@code init}. */
    byte[] image(String name, String init, String label) throws Exception {
        Tools.require("cpio", "gzip");
        Path tree = Files.createDirectories(work.resolve(name));
        InitramfsFixtures.mainTree(tree, 1, false);
        Files.writeString(tree.resolve("init"), init);
        Files.writeString(
                tree.resolve("usr/lib/modules/6.1.0-test/modules.alias"), "alias virtio:d00000002v* virtio_blk\n");
        return InitramfsFixtures.concat(
                InitramfsFixtures.earlyMember(work), InitramfsFixtures.member(tree, label, "newc"));
    }

    static String text(byte[] b) {
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }

    @Test
    void theSameContentIsDecodedOnceAndChangedContentOfTheSameLengthAgain() throws Exception {
        byte[] a = image("a", "#!/bin/sh\necho hello\n", "cpio");
        byte[] b = image("b", "#!/bin/sh\necho HELLO\n", "cpio");
        assertThat(b).hasSameSizeAs(a).isNotEqualTo(a);
        InitramfsReader reader = new InitramfsReader();
        InitramfsCache cache = new InitramfsCache(reader, INIT.or(ALIAS));

        InitramfsTree t = cache.tree(a);
        assertThat(text(t.captured("init"))).isEqualTo("#!/bin/sh\necho hello\n");
        assertThat(cache.tree(a.clone())).isSameAs(t); // other array, same bytes
        assertThat(reader.decodes()).isEqualTo(1);

        // as when a repair rewrites a file in place: same length, other bytes
        assertThat(text(cache.tree(b).captured("init"))).isEqualTo("#!/bin/sh\necho HELLO\n");
        assertThat(reader.decodes()).isEqualTo(2);
        assertThat(text(cache.tree(a).captured("init"))).isEqualTo("#!/bin/sh\necho hello\n");
        assertThat(reader.decodes()).isEqualTo(2);
    }

    /** A kernel's boot probe and its driver check pass the same array: hashed once, as well as decoded once. */
    @Test
    void theSameArrayIsHashedOnceAndAnotherArrayWithTheSameBytesAgain() throws Exception {
        byte[] a = image("a", "#!/bin/sh\necho hello\n", "cpio");
        InitramfsReader reader = new InitramfsReader();
        InitramfsCache cache = new InitramfsCache(reader, INIT.or(ALIAS));

        InitramfsTree t = cache.tree(a);
        assertThat(cache.tree(a)).isSameAs(t);
        assertThat(cache.hashes()).isEqualTo(1);
        byte[] copy = a.clone();
        assertThat(cache.tree(copy)).isSameAs(t);
        assertThat(cache.hashes())
                .as("another array is hashed: its bytes may differ")
                .isEqualTo(2);
        byte[] b = image("b", "#!/bin/sh\necho HELLO\n", "cpio");
        assertThat(text(cache.tree(b).captured("init"))).isEqualTo("#!/bin/sh\necho HELLO\n");
        assertThat(cache.hashes()).isEqualTo(3);
        assertThat(cache.tree(copy)).as("only the last array is remembered").isSameAs(t);
        assertThat(cache.hashes()).isEqualTo(4);
        assertThat(reader.decodes()).isEqualTo(2);
    }

    @Test
    void aViewShowsOnlyTheFilesItsReaderCaptures() throws Exception {
        byte[] a = image("a", "#!/bin/sh\n", "gzip");
        InitramfsCache cache = new InitramfsCache(new InitramfsReader(), INIT.or(ALIAS));
        InitramfsTree whole = cache.tree(a);
        String alias = "usr/lib/modules/6.1.0-test/modules.alias";
        assertThat(whole.captured(alias)).isNotNull();
        InitramfsTree init = whole.view(INIT);
        assertThat(init.captured("init")).isNotNull();
        assertThat(init.captured(alias)).isNull();
        assertThat(init.nodes()).isSameAs(whole.nodes());
        // what a tree read with the reader's own predicate holds
        InitramfsTree own = InitramfsTree.read(a, new InitramfsReader(), INIT);
        for (String p : own.nodes().keySet()) {
            assertThat(init.captured(p)).as(p).isEqualTo(own.captured(p));
        }
        assertThat(init.nodes()).isEqualTo(own.nodes());
    }

    @Test
    void anOversizedFileFailsOnlyTheReaderThatCapturesIt() throws Exception {
        Tools.require("cpio", "gzip");
        Path tree = Files.createDirectories(work.resolve("big"));
        InitramfsFixtures.mainTree(tree, 2, false);
        Files.write(tree.resolve("usr/lib/modules/6.1.0-test/modules.alias"), new byte[InitramfsTree.MAX_CAPTURE + 1]);
        byte[] image = InitramfsFixtures.member(tree, "gzip", "newc");
        // one pass with the union of the predicates
        InitramfsTree whole = new InitramfsCache(new InitramfsReader(), INIT.or(ALIAS)).tree(image);
        assertThat(whole.view(INIT).captured("init")).isNotNull();
        // the reader that wants the file fails as its own read does
        assertThatThrownBy(() -> whole.view(ALIAS))
                .isInstanceOf(InitramfsException.class)
                .extracting(e -> ((InitramfsException) e).field())
                .isEqualTo("initramfs.capture");
        assertThatThrownBy(() -> InitramfsTree.read(image, new InitramfsReader(), ALIAS))
                .isInstanceOf(InitramfsException.class)
                .extracting(e -> ((InitramfsException) e).field())
                .isEqualTo("initramfs.capture");
    }

    @Test
    void aFailedDecodeIsRememberedAndRethrown() throws Exception {
        byte[] bad = image("a", "#!/bin/sh\n", "gzip");
        int early = InitramfsFixtures.earlyMember(work).length;
        for (int i = early + 200; i < bad.length - 16; i += 7) {
            bad[i] ^= 0x5a;
        }
        InitramfsReader reader = new InitramfsReader();
        InitramfsCache cache = new InitramfsCache(reader, INIT);
        Throwable first = org.assertj.core.api.Assertions.catchThrowable(() -> cache.tree(bad));
        assertThat(first).isInstanceOf(InitramfsException.class);
        assertThatThrownBy(() -> cache.tree(bad)).isSameAs(first);
        assertThat(reader.decodes()).isEqualTo(1);
    }

    @Test
    void treesOverTheBoundAreDroppedLeastRecentlyUsedFirst() throws Exception {
        byte[] a = image("a", "#!/bin/sh\necho a\n", "gzip");
        byte[] b = image("b", "#!/bin/sh\necho b\n", "gzip");
        InitramfsReader reader = new InitramfsReader();
        InitramfsCache small = new InitramfsCache(reader, INIT, 1); // room for the latest tree only
        small.tree(a);
        small.tree(b);
        assertThat(small.size()).isEqualTo(1);
        small.tree(b);
        assertThat(reader.decodes()).isEqualTo(2);
        assertThat(text(small.tree(a).captured("init"))).isEqualTo("#!/bin/sh\necho a\n");
        assertThat(reader.decodes()).isEqualTo(3);

        InitramfsReader r2 = new InitramfsReader();
        InitramfsCache normal = new InitramfsCache(r2, INIT);
        normal.tree(a);
        normal.tree(b);
        normal.tree(a);
        assertThat(normal.size()).isEqualTo(2);
        assertThat(r2.decodes()).isEqualTo(2);
    }

    @Test
    void concurrentRequestsForOneContentShareOneDecode() throws Exception {
        byte[] a = image("a", "#!/bin/sh\n", "gzip");
        InitramfsReader reader = new InitramfsReader();
        InitramfsCache cache = new InitramfsCache(reader, INIT);
        int n = 8;
        CountDownLatch go = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            List<Future<InitramfsTree>> results = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                Callable<InitramfsTree> c = () -> {
                    go.await();
                    return cache.tree(a.clone());
                };
                results.add(pool.submit(c));
            }
            go.countDown();
            InitramfsTree first = results.get(0).get();
            for (Future<InitramfsTree> f : results) {
                assertThat(f.get()).isSameAs(first);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(reader.decodes()).isEqualTo(1);
    }
}
