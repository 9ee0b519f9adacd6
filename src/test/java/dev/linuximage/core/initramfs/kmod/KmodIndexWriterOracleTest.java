package dev.linuximage.core.initramfs.kmod;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.linuximage.testsupport.Tools;
import dev.linuximage.testsupport.initramfs.KernelFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Our kmod index writer against kmod itself, on a whole distribution kernel: depmod writes the text indexes and its
 * own .bin files into tree A; tree B has the same text indexes and our .bin files. kmod's modprobe must answer every
 * sampled dependency, alias (with wildcards) and symbol lookup identically in both trees.
 */
@Tag("oracle")
class KmodIndexWriterOracleTest {
    @TempDir
    Path work;

    @Test
    void modprobeAnswersTheSameWithOurIndexesAsWithDepmods() throws Exception {
        Tools.require("depmod", "modprobe");
        String v = KernelFixture.version();
        Path a = work.resolve("a");
        Path b = work.resolve("b");
        Files.createDirectories(a.resolve("lib/modules"));
        Tools.shOk(
                work,
                "cp -al " + KernelFixture.modules() + " " + a.resolve("lib/modules") + "/ && depmod -b "
                        + a + " " + v + " && mkdir -p " + b.resolve("lib/modules") + " && cp -al "
                        + a.resolve("lib/modules/" + v) + " " + b.resolve("lib/modules") + "/ && rm "
                        + b.resolve("lib/modules/" + v) + "/modules.dep.bin "
                        + b.resolve("lib/modules/" + v) + "/modules.alias.bin " + b.resolve("lib/modules/" + v)
                        + "/modules.symbols.bin");
        Path ma = a.resolve("lib/modules/" + v);
        Path mb = b.resolve("lib/modules/" + v);
        LinkedHashMap<String, ModuleIndexes.DepLine> dep =
                ModuleIndexes.parseDep(Files.readString(ma.resolve("modules.dep")));
        List<ModuleIndexes.Alias> aliases =
                ModuleIndexes.parseAliases(Files.readString(ma.resolve("modules.alias")), "modules.alias");
        List<ModuleIndexes.Alias> symbols =
                ModuleIndexes.parseAliases(Files.readString(ma.resolve("modules.symbols")), "modules.symbols");
        assertThat(dep).hasSizeGreaterThan(3000);
        for (Map.Entry<String, byte[]> e :
                ModuleIndexes.binaries(dep, aliases, symbols).entrySet()) {
            Files.write(mb.resolve(e.getKey()), e.getValue());
        }

        List<String> queries = new ArrayList<>();
        int i = 0;
        for (String m : dep.keySet()) {
            if (i++ % 40 == 0) {
                queries.add("--show-depends " + m);
            }
        }
        i = 0;
        for (ModuleIndexes.Alias al : aliases) {
            if (i++ % 150 == 0) {
                queries.add("-R '" + concrete(al.pattern()) + "'");
            }
        }
        i = 0;
        for (ModuleIndexes.Alias s : symbols) {
            if (i++ % 300 == 0) {
                queries.add("-R '" + s.pattern() + "'");
            }
        }
        queries.add("-R 'no:such:alias'");
        StringBuilder script = new StringBuilder();
        for (String q : queries) {
            script.append("echo '## ")
                    .append(q.replace("'", ""))
                    .append("'; modprobe -d ROOT -S ")
                    .append(v)
                    .append(' ')
                    .append(q)
                    .append(" 2>&1 | sed 's#ROOT##g' | sort\n");
        }
        String outA = Tools.shOk(work, script.toString().replace("ROOT", a.toString()))
                .out();
        String outB = Tools.shOk(work, script.toString().replace("ROOT", b.toString()))
                .out();
        assertThat(outB.lines().toList()).containsExactlyElementsOf(outA.lines().toList());
        assertThat(outA).contains("insmod /lib/modules/" + v + "/kernel/");
        assertThat(outA.lines().filter(l -> !l.startsWith("##") && !l.isBlank()).count())
                .isGreaterThan(200);
    }

    /** A string the wildcard pattern matches: {@code *} and {@code ?} become a letter, a class its first member. */
    static String concrete(String pattern) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < pattern.length(); i++) {
            char c = pattern.charAt(i);
            if (c == '*' || c == '?') {
                sb.append('Z');
            } else if (c == '[') {
                int end = pattern.indexOf(']', i + 2);
                sb.append(pattern.charAt(i + 1) == '!' ? '~' : pattern.charAt(i + 1));
                i = end;
            } else {
                sb.append(c);
            }
        }
        return sb.toString().replace("'", "");
    }

    /** Regression: alias keys were stored with '-', but modprobe looks up "crypto_twofish" for "crypto-twofish". */
    @Test
    void aliasKeysWithDashesAreNormalisedLikeKmod() {
        assertThat(ModuleIndexes.aliasNormalise("crypto-twofish")).isEqualTo("crypto_twofish");
        assertThat(ModuleIndexes.aliasNormalise("of:N*T*Cti,wl1831-st[a-c]-x"))
                .isEqualTo("of:N*T*Cti,wl1831_st[a-c]_x");
        assertThat(ModuleIndexes.aliasNormalise("bad]")).isNull();
        assertThat(ModuleIndexes.aliasNormalise("bad[open")).isNull();
    }

    @Test
    void emptyIndexAndBadKeys() throws Exception {
        byte[] empty = new KmodIndexWriter().toBytes();
        assertThat(empty).hasSize(12);
        assertThat(empty[0] & 0xff).isEqualTo(0xb0);
        assertThatThrownBy(() -> new KmodIndexWriter().add("caf\u00e9", "x", 0))
                .isInstanceOf(KmodException.class)
                .hasMessageContaining("index.key");
        assertThatThrownBy(() -> new KmodIndexWriter().add("a", "x\0y", 0)).hasMessageContaining("index.value");
    }
}
