package dev.linuximage.core.initramfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.linuximage.testsupport.Tools;
import dev.linuximage.testsupport.initramfs.InitramfsFixtures;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@Tag("oracle")
class InitramfsReaderOracleTest {

    @TempDir
    Path work;

    @BeforeAll
    static void tools() {
        Tools.require("cpio", "gzip", "xz", "zstd", "lz4", "bzip2", "lzma");
    }

    /** Early uncompressed member + compressed main member + a second compressed member after zero padding. */
    @ParameterizedTest
    @ValueSource(strings = {"gzip", "xz", "zstd", "lz4-legacy", "bzip2", "lzma", "cpio"})
    void readsEveryCompressionAsTheKernelConcatenatesThem(String label) throws Exception {
        Path tree = work.resolve("tree");
        InitramfsFixtures.mainTree(tree, 1, false);
        Path extra = work.resolve("extra");
        Files.createDirectories(extra.resolve("etc"));
        Files.writeString(extra.resolve("etc/extra.conf"), "second member\n");
        byte[] early = InitramfsFixtures.earlyMember(work);
        byte[] main = InitramfsFixtures.member(tree, label, "newc");
        byte[] second = InitramfsFixtures.member(extra, label, "newc");
        byte[] image =
                InitramfsFixtures.concat(early, main, InitramfsFixtures.pad(main.length, 4), new byte[512], second);

        Map<String, byte[]> contents = new HashMap<>();
        List<CpioEntry> entries = new ArrayList<>();
        InitramfsReader.Summary s = new InitramfsReader().read(image, (e, in) -> {
            entries.add(e);
            if (e.isRegular()) {
                contents.put(e.path(), in.readAllBytes());
            }
        });

        assertThat(s.members()).hasSize(3);
        assertThat(s.members().get(0).compression()).isEqualTo(Compression.NONE);
        assertThat(s.members().get(1).compression().label()).isEqualTo(label);
        assertThat(s.members().get(1).offset()).isEqualTo(early.length);
        if (!label.equals("cpio")) {
            // the exact end of the compressed stream is found (the kernel relies on it to find the next member)
            assertThat(s.members().get(1).length()).isEqualTo(main.length);
        }
        assertThat(s.members().get(2).offset()).isEqualTo(image.length - second.length);

        // oracle: cpio -t on the decompressed main member lists the same names
        String cpioList = Tools.shOk(tree, "find . | sort | cpio --quiet -o -H newc -R 0:0 | cpio --quiet -t")
                .out();
        TreeSet<String> expected = Arrays.stream(cpioList.split("\n"))
                .map(CpioEntry::normalise)
                .collect(Collectors.toCollection(TreeSet::new));
        TreeSet<String> ours = entries.stream()
                .filter(e -> e.member() == 1)
                .map(CpioEntry::path)
                .collect(Collectors.toCollection(TreeSet::new));
        assertThat(ours).isEqualTo(expected);

        // every regular file body equals the file in the tree; symlinks carry their targets
        for (CpioEntry e : entries) {
            if (e.member() == 1 && e.isRegular()) {
                assertThat(contents.get(e.path())).as(e.path()).isEqualTo(Files.readAllBytes(tree.resolve(e.path())));
            }
        }
        assertThat(entries)
                .filteredOn(e -> e.path().equals("lib"))
                .singleElement()
                .satisfies(e -> assertThat(e.linkTarget()).isEqualTo("usr/lib"));
        assertThat(contents.get("kernel/x86/microcode/GenuineIntel.bin")).hasSize(3000);
        assertThat(contents.get("etc/extra.conf")).asString().isEqualTo("second member\n");
    }

    @ParameterizedTest
    @ValueSource(strings = {"zstd", "lz4-legacy"})
    void bigFileSpansBlocksAndFrames(String label) throws Exception {
        Path tree = work.resolve("tree");
        InitramfsFixtures.mainTree(tree, 2, true);
        byte[] image = InitramfsFixtures.member(tree, label, "newc");
        byte[][] big = new byte[1][];
        new InitramfsReader().read(image, (e, in) -> {
            if (e.path().equals("usr/lib/big.bin")) {
                big[0] = in.readAllBytes();
            }
        });
        assertThat(big[0]).isEqualTo(Files.readAllBytes(tree.resolve("usr/lib/big.bin")));
    }

    @Test
    void crcFormatChecksumIsVerified() throws Exception {
        Path tree = work.resolve("tree");
        InitramfsFixtures.mainTree(tree, 3, false);
        byte[] image = InitramfsFixtures.member(tree, "cpio", "crc");
        List<CpioEntry> list = new InitramfsReader().list(image);
        assertThat(list).extracting(CpioEntry::path).contains("usr/bin/tool3", "conf/modules");

        // flip one body byte of conf/modules: the stored c_check no longer matches
        int at = indexOf(image, "# modules".getBytes());
        image[at] ^= 0x01;
        assertThatThrownBy(() -> new InitramfsReader().list(image))
                .isInstanceOf(InitramfsException.class)
                .hasMessageContaining("cpio.c_check");
    }

    @Test
    void hostileHeadersAreRefusedByField() throws Exception {
        Path tree = work.resolve("tree");
        InitramfsFixtures.mainTree(tree, 4, false);
        byte[] good = InitramfsFixtures.member(tree, "cpio", "newc");

        byte[] badHex = good.clone();
        badHex[6 + 6 * 8] = 'x'; // c_filesize of the first entry
        assertThatThrownBy(() -> new InitramfsReader().list(badHex)).hasMessageContaining("cpio.c_filesize");

        byte[] hugeName = good.clone();
        System.arraycopy("7FFFFFFF".getBytes(), 0, hugeName, 6 + 11 * 8, 8);
        assertThatThrownBy(() -> new InitramfsReader().list(hugeName)).hasMessageContaining("cpio.c_namesize");

        byte[] hugeFile = good.clone();
        System.arraycopy("FFFFFFFF".getBytes(), 0, hugeFile, 6 + 6 * 8, 8);
        InitramfsLimits small = new InitramfsLimits(1 << 20, 4096, 1L << 30, 250, 1 << 20, 1000, 16, 8 << 20);
        assertThatThrownBy(() -> new InitramfsReader(small).list(hugeFile)).hasMessageContaining("cpio.c_filesize");

        byte[] truncated = Arrays.copyOf(good, 300);
        assertThatThrownBy(() -> new InitramfsReader().list(truncated)).isInstanceOf(InitramfsException.class);

        byte[] junk = InitramfsFixtures.concat(good, new byte[] {'J', 'U', 'N', 'K'});
        assertThatThrownBy(() -> new InitramfsReader().list(junk)).hasMessageContaining("initramfs.member.magic");

        byte[] lzo = InitramfsFixtures.concat(good, new byte[] {(byte) 0x89, 'L', 'Z', 'O', 0, 0});
        assertThatThrownBy(() -> new InitramfsReader().list(lzo)).hasMessageContaining("lzo");
    }

    @ParameterizedTest
    @ValueSource(strings = {"gzip", "xz", "zstd", "bzip2"})
    void decompressionBombIsCapped(String label) throws Exception {
        // 24 MiB of zeros inside one cpio entry compresses to a few KiB
        Path tree = work.resolve("bomb");
        Files.createDirectories(tree);
        Tools.shOk(tree, "head -c 25165824 /dev/zero > zeros");
        byte[] image = InitramfsFixtures.member(tree, label, "newc");
        InitramfsLimits limits = new InitramfsLimits(1L << 30, 4096, 1L << 30, 100, 1 << 20, 1000, 16, 64 << 20);
        assertThatThrownBy(() ->
                        new InitramfsReader(limits).read(image, (e, in) -> in.transferTo(new ByteArrayOutputStream())))
                .isInstanceOf(InitramfsException.class)
                .hasMessageContaining(".ratio");
        InitramfsLimits total = new InitramfsLimits(1L << 30, 4096, 8L << 20, 1_000_000, 1 << 20, 1000, 16, 64 << 20);
        assertThatThrownBy(() -> new InitramfsReader(total).list(image))
                .isInstanceOf(InitramfsException.class)
                .hasMessageContaining("initramfs.decoded_size");
    }

    @Test
    void corruptCompressedDataIsTyped() throws Exception {
        Path tree = work.resolve("tree");
        InitramfsFixtures.mainTree(tree, 5, false);
        for (String label : List.of("gzip", "xz", "zstd", "lz4-legacy", "bzip2", "lzma")) {
            byte[] image = InitramfsFixtures.member(tree, label, "newc");
            byte[] cut = Arrays.copyOf(image, image.length / 2);
            assertThatThrownBy(() -> new InitramfsReader().list(cut)).as(label).isInstanceOf(InitramfsException.class);
        }
    }

    static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("not found");
    }
}
