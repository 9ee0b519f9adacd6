package dev.linuximage.core.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.linuximage.core.cli.PatchOptionsMixin;
import dev.linuximage.core.report.CoreException;
import dev.linuximage.core.report.ExitCodes;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import picocli.CommandLine;

class PatchSpecReaderTest {
    static final String SPEC = """
            apiVersion: linuximage.dev/v1alpha1
            kind: LinuxImage
            metadata: {name: web}
            spec:
              mode: Prepare
              maxDiskSize: 64Gi
              source: {claimName: disks, path: builds/web.qcow2}
              guest:
                imageKind: Specialized
                provisioning: WALinuxAgent
                resourceDiskSwapMiB: 4096
                hyperVDrivers: false
                cloudInitSwap: true
                kernelArgs:
                  add: [nvme_core.io_timeout=240]
                  remove: [resume]
                  keepCrashkernel: true
                deprovision:
                  removeUsers: [builder, ci]
            """;

    @Test
    void readsEveryField() {
        PatchSettings s = PatchSpecReader.parse(SPEC.getBytes(StandardCharsets.UTF_8));
        PatchOptions o = s.toOptions();
        assertThat(s.mode()).isEqualTo("Prepare");
        assertThat(o.imageKind()).isEqualTo(ImageKind.Specialized);
        assertThat(o.provisioning()).isEqualTo(Provisioning.WALinuxAgent);
        assertThat(o.resourceDiskSwapMiB()).isEqualTo(4096);
        assertThat(o.hyperVDrivers()).isFalse();
        assertThat(o.cloudInitSwapDropIn()).isTrue();
        assertThat(o.kernelArgsAdd()).containsExactly("nvme_core.io_timeout=240");
        assertThat(o.kernelArgsRemove()).containsExactly("resume");
        assertThat(o.keepCrashkernel()).isTrue();
        assertThat(o.removeUsers()).containsExactly("builder", "ci");
        assertThat(o.maxDiskSizeBytes()).isEqualTo(64L << 30);
    }

    @Test
    void emptyGuestGivesDefaults() {
        PatchOptions o = PatchSpecReader.parse("kind: LinuxImage\nspec: {}\n".getBytes(StandardCharsets.UTF_8))
                .toOptions();
        assertThat(o).isEqualTo(PatchOptions.defaults());
    }

    static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> badSpecs() {
        return java.util.stream.Stream.of(
                org.junit.jupiter.params.provider.Arguments.of("kind: Pod\nspec: {}", "kind"),
                org.junit.jupiter.params.provider.Arguments.of("kind: LinuxImage", "spec"),
                org.junit.jupiter.params.provider.Arguments.of("spec: [1]", "spec"),
                org.junit.jupiter.params.provider.Arguments.of(
                        "spec: {guest: {imageKind: Golden}}", "spec.guest.imageKind"),
                org.junit.jupiter.params.provider.Arguments.of(
                        "spec: {guest: {provisioning: 3}}", "spec.guest.provisioning"),
                org.junit.jupiter.params.provider.Arguments.of(
                        "spec: {guest: {resourceDiskSwapMiB: -1}}", "spec.guest.resourceDiskSwapMiB"),
                org.junit.jupiter.params.provider.Arguments.of(
                        "spec: {guest: {resourceDiskSwapMiB: big}}", "spec.guest.resourceDiskSwapMiB"),
                org.junit.jupiter.params.provider.Arguments.of(
                        "spec: {guest: {hyperVDrivers: maybe}}", "spec.guest.hyperVDrivers"),
                org.junit.jupiter.params.provider.Arguments.of(
                        "spec: {guest: {kernelArgs: {add: quiet}}}", "spec.guest.kernelArgs.add"),
                org.junit.jupiter.params.provider.Arguments.of(
                        "spec: {guest: {kernelArgs: {add: ['a b']}}}", "spec.guest.kernelArgs.add[0]"),
                org.junit.jupiter.params.provider.Arguments.of(
                        "spec: {guest: {kernelArgs: {keepCrashkernel: 1}}}", "spec.guest.kernelArgs.keepCrashkernel"),
                org.junit.jupiter.params.provider.Arguments.of(
                        "spec: {guest: {deprovision: {removeUsers: [root]}}}", "spec.guest.deprovision.removeUsers"),
                org.junit.jupiter.params.provider.Arguments.of(
                        "spec: {guest: {deprovision: {removeUsers: ['../etc']}}}",
                        "spec.guest.deprovision.removeUsers[0]"),
                org.junit.jupiter.params.provider.Arguments.of("spec: {maxDiskSize: 12Qi}", "spec.maxDiskSize"),
                org.junit.jupiter.params.provider.Arguments.of("spec: {guest: [x]}", "spec.guest"),
                org.junit.jupiter.params.provider.Arguments.of("spec: {guest: {imageKind: [unclosed}", "spec"));
    }

    @ParameterizedTest
    @org.junit.jupiter.params.provider.MethodSource("badSpecs")
    void badFieldsAreNamed(String yaml, String field) {
        assertThatThrownBy(() -> PatchSpecReader.parse(yaml.getBytes(StandardCharsets.UTF_8)))
                .isInstanceOfSatisfying(
                        PatchSpecException.class, e -> assertThat(e.field()).isEqualTo(field));
    }

    @Test
    void commandLineFlagsOverrideTheSpec(@TempDir Path dir) throws Exception {
        Path spec = dir.resolve("linuximage.yaml");
        Files.writeString(spec, SPEC);
        PatchOptionsMixin m = new PatchOptionsMixin();
        new CommandLine(m)
                .parseArgs(
                        "--spec",
                        spec.toString(),
                        "--image-kind",
                        "Generalized",
                        "--hyperv-drivers=true",
                        "--remove-user",
                        "alice",
                        "--remove-user",
                        "bob",
                        "--kernel-arg-add",
                        "a=1",
                        "--kernel-arg-add",
                        "b",
                        "--kernel-arg-remove",
                        "c",
                        "--resource-disk-swap-mib",
                        "0");
        PatchOptions o = m.resolve();
        assertThat(o.imageKind()).isEqualTo(ImageKind.Generalized);
        assertThat(o.provisioning()).isEqualTo(Provisioning.WALinuxAgent); // from the spec
        assertThat(o.hyperVDrivers()).isTrue();
        assertThat(o.removeUsers()).containsExactly("alice", "bob");
        assertThat(o.kernelArgsAdd()).containsExactly("a=1", "b");
        assertThat(o.kernelArgsRemove()).containsExactly("c");
        assertThat(o.keepCrashkernel()).isTrue(); // from the spec
        assertThat(o.resourceDiskSwapMiB()).isZero();
    }

    @Test
    void badSpecFileIsAUsageError(@TempDir Path dir) throws Exception {
        Path spec = dir.resolve("bad.yaml");
        Files.writeString(spec, "kind: LinuxImage\nspec: {guest: {provisioning: Puppet}}\n");
        PatchOptionsMixin m = new PatchOptionsMixin();
        new CommandLine(m).parseArgs("--spec", spec.toString());
        assertThatThrownBy(m::resolve).isInstanceOfSatisfying(CoreException.class, e -> {
            assertThat(e.exitCode()).isEqualTo(ExitCodes.USAGE);
            assertThat(e.getMessage()).contains("spec.guest.provisioning").contains("Puppet");
        });
        PatchOptionsMixin missing = new PatchOptionsMixin();
        new CommandLine(missing).parseArgs("--spec", dir.resolve("nope.yaml").toString());
        assertThatThrownBy(missing::resolve)
                .isInstanceOfSatisfying(
                        CoreException.class, e -> assertThat(e.exitCode()).isEqualTo(ExitCodes.USAGE));
    }

    @Test
    void badFlagValuesAreRejected() {
        PatchOptionsMixin m = new PatchOptionsMixin();
        assertThatThrownBy(() -> new CommandLine(m).parseArgs("--provisioning", "Puppet"))
                .isInstanceOf(CommandLine.ParameterException.class);
        PatchOptionsMixin n = new PatchOptionsMixin();
        new CommandLine(n).parseArgs("--resource-disk-swap-mib", "-5");
        assertThatThrownBy(n::resolve).isInstanceOf(CoreException.class).hasMessageContaining("resourceDiskSwapMiB");
        PatchOptionsMixin u = new PatchOptionsMixin();
        new CommandLine(u).parseArgs("--remove-user", "root");
        assertThatThrownBy(u::resolve).isInstanceOf(CoreException.class).hasMessageContaining("root");
        assertThat(List.of()).isEmpty();
    }
}
