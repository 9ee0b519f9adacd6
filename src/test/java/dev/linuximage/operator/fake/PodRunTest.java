package dev.linuximage.operator.fake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PodRunTest {

    final PodRun run = new PodRun(
            null,
            null,
            List.of(
                    "prepare",
                    "/disks/source/builds/web.qcow2",
                    "--output",
                    "/disks/output/web.vhd",
                    "--sas-file",
                    "/var/run/linuximage/credentials/sas",
                    "--termination-log",
                    "/dev/termination-log",
                    "--blob-url",
                    "https://a/b"),
            Map.of(
                    "/disks/source",
                    Path.of("/w/claims/disks"),
                    "/disks/output",
                    Path.of("/w/claims/vhds"),
                    "/var/run/linuximage/credentials",
                    Path.of("/w/pod/credentials")),
            Map.of("disks", Path.of("/w/claims/disks")),
            line -> {});

    @Test
    void mapsPodPathsThroughTheMounts() {
        assertThat(run.local("/disks/source/builds/web.qcow2")).isEqualTo(Path.of("/w/claims/disks/builds/web.qcow2"));
        assertThat(run.local("/disks/source")).isEqualTo(Path.of("/w/claims/disks"));
        assertThatThrownBy(() -> run.local("/disks/sourceX/a")).hasMessageContaining("no mounted volume");
    }

    @Test
    void localArgsAreReadyForTheRealCore() {
        assertThat(run.localArgs(Path.of("/w/pod/termination-log")))
                .containsExactly(
                        "prepare",
                        "/w/claims/disks/builds/web.qcow2",
                        "--output",
                        "/w/claims/vhds/web.vhd",
                        "--sas-file",
                        "/w/pod/credentials/sas",
                        "--termination-log",
                        "/w/pod/termination-log",
                        "--blob-url",
                        "https://a/b");
        assertThat(run.arg("--output")).isEqualTo("/disks/output/web.vhd");
        assertThat(run.arg("--nope")).isNull();
    }
}
