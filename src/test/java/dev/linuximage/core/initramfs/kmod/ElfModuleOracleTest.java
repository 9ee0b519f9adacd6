package dev.linuximage.core.initramfs.kmod;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.linuximage.testsupport.Tools;
import dev.linuximage.testsupport.initramfs.KernelFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Tag("oracle")
class ElfModuleOracleTest {
    @TempDir
    Path work;

    static final List<String> MODULES = List.of(
            "kernel/drivers/hv/hv_vmbus.ko",
            "kernel/drivers/scsi/hv_storvsc.ko",
            "kernel/drivers/net/hyperv/hv_netvsc.ko",
            "kernel/drivers/scsi/scsi_mod.ko");

    @Test
    void modinfoMatchesKmodsModinfo() throws Exception {
        Tools.require("modinfo");
        Path mods = KernelFixture.modules();
        for (String rel : MODULES) {
            Path ko = mods.resolve(rel);
            Map<String, List<String>> ours =
                    ElfModule.parse(Files.readAllBytes(ko)).modinfo();
            for (String key : List.of("depends", "alias", "name", "vermagic", "softdep", "license")) {
                String oracle = Tools.shOk(work, "modinfo -F " + key + " " + ko).out();
                List<String> expected = oracle.isEmpty()
                        ? List.of()
                        : Arrays.stream(oracle.split("\n")).map(String::strip).toList();
                List<String> got = ours.getOrDefault(key, List.of()).stream()
                        .map(String::strip)
                        .toList();
                if (key.equals("depends") && got.equals(List.of(""))) {
                    got = List.of();
                }
                assertThat(got).as(rel + " " + key).isEqualTo(expected);
            }
        }
    }

    @Test
    void compressedModulesDecompressFirst() throws Exception {
        Tools.require("xz", "zstd", "gzip", "modinfo");
        Path ko = KernelFixture.modules().resolve("kernel/drivers/scsi/hv_storvsc.ko");
        Files.copy(ko, work.resolve("hv_storvsc.ko"));
        Tools.shOk(work, "xz -k --check=crc32 hv_storvsc.ko && zstd -q -k hv_storvsc.ko && gzip -k hv_storvsc.ko");
        for (String suffix : List.of(".ko.xz", ".ko.zst", ".ko.gz")) {
            byte[] c = Files.readAllBytes(work.resolve("hv_storvsc" + suffix));
            ElfModule e = ElfModule.parse(ModuleFile.elf("hv_storvsc" + suffix, c));
            // this host's kmod is built without zlib: the uncompressed .ko is the oracle for every suffix
            assertThat(e.modinfo("depends"))
                    .as(suffix)
                    .isEqualTo(Tools.shOk(work, "modinfo -F depends hv_storvsc.ko")
                            .out()
                            .strip());
        }
        assertThat(ModuleFile.moduleName("kernel/x/snd-hda-intel.ko.zst")).isEqualTo("snd_hda_intel");
    }

    @Test
    void exportedSymbolsMatchDepmod() throws Exception {
        Tools.require("depmod");
        Path mods = KernelFixture.modules();
        String v = KernelFixture.version();
        Path root = work.resolve("root");
        Path dst = root.resolve("lib/modules/" + v);
        for (String rel : MODULES) {
            Files.createDirectories(dst.resolve(rel).getParent());
            Files.copy(mods.resolve(rel), dst.resolve(rel));
        }
        Tools.shOk(root, "depmod -b " + root + " " + v);
        String symbols = Files.readString(dst.resolve("modules.symbols"));
        for (String rel : MODULES) {
            String name = ModuleFile.moduleName(rel);
            List<String> expected = symbols.lines()
                    .filter(l -> l.endsWith(" " + name))
                    .map(l -> l.split(" ")[1].substring("symbol:".length()))
                    .sorted()
                    .toList();
            assertThat(List.copyOf(ElfModule.parse(Files.readAllBytes(mods.resolve(rel)))
                            .exportedSymbols()))
                    .as(rel)
                    .isEqualTo(expected);
        }
    }

    @Test
    void hostileElfIsRefusedByField() throws Exception {
        byte[] ko = Files.readAllBytes(KernelFixture.modules().resolve("kernel/drivers/hv/hv_vmbus.ko"));
        assertThatThrownBy(() -> ElfModule.parse(Arrays.copyOf(ko, 20))).hasMessageContaining("elf.header");
        byte[] notElf = ko.clone();
        notElf[1] = 'X';
        assertThatThrownBy(() -> ElfModule.parse(notElf)).hasMessageContaining("elf.magic");
        byte[] be = ko.clone();
        be[5] = 2;
        assertThatThrownBy(() -> ElfModule.parse(be)).hasMessageContaining("elf.data");
        byte[] shoff = ko.clone();
        for (int i = 0; i < 8; i++) {
            shoff[0x28 + i] = (byte) 0x7f;
        }
        assertThatThrownBy(() -> ElfModule.parse(shoff)).hasMessageContaining("elf.e_shoff");
        byte[] truncated = Arrays.copyOf(ko, ko.length / 2);
        assertThatThrownBy(() -> ElfModule.parse(truncated)).isInstanceOf(KmodException.class);
    }
}
