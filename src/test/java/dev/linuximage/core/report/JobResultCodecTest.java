package dev.linuximage.core.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.linuximage.testsupport.Golden;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class JobResultCodecTest {

    static final String SHA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    static JobResult preparedAndUploaded() {
        List<Finding> findings = List.of(
                new Finding(
                        "CMDLINE-CONSOLE",
                        FindingStatus.Fixed,
                        "console=ttyS0 added to the kernel command line",
                        List.of(new Evidence("/etc/default/grub", 6, "GRUB_CMDLINE_LINUX=\"quiet\"")),
                        "added"),
                new Finding("SWAP-OS-DISK", FindingStatus.Pass, "no swap on the OS disk", List.of(), null),
                new Finding(
                        "INITRAMFS-HV", FindingStatus.Pass, "hv_vmbus, hv_storvsc, hv_netvsc present", List.of(), null),
                new Finding(
                        "DEPROV-MACHINE-ID",
                        FindingStatus.Fixed,
                        "machine-id emptied",
                        List.of(Evidence.of("/etc/machine-id", "non-empty")),
                        "emptied"));
        return JobResult.succeeded("prepared builds/web.qcow2 and uploaded it")
                .withStages(new JobResult.Stages(true, true, true, true))
                .withCompliance(JobResult.Compliance.of(findings))
                .withGenerations(List.of("Gen1", "Gen2"))
                .withOutput(new JobResult.Output("/disks/source/builds/web.vhd", 10L << 30, SHA))
                .withUpload(new JobResult.Upload(
                        "https://acct.blob.core.windows.net/vhds/web.vhd", 1_234_567_890L, "sha256:" + SHA));
    }

    static JobResult notCompliant() {
        List<Finding> findings = List.of(
                new Finding(
                        "PROVISION-AGENT",
                        FindingStatus.Fail,
                        "neither cloud-init nor waagent is installed",
                        List.of(Evidence.of("/usr/bin/cloud-init", "absent")),
                        "install cloud-init"),
                new Finding("CMDLINE-CONSOLE", FindingStatus.Pass, "console=ttyS0 present", List.of(), null),
                new Finding(
                        "SSH-HOST-KEYS",
                        FindingStatus.Warn,
                        "host keys present in a generalized image",
                        List.of(new Evidence("/etc/ssh/ssh_host_ed25519_key", null, null)),
                        "removed"),
                new Finding("SELINUX-LABELS", FindingStatus.Unknown, "cannot tell offline", List.of(), null),
                new Finding("DEPROV-USERS", FindingStatus.NotApplicable, "specialized image", List.of(), null));
        return JobResult.failed(ResultReasons.NOT_COMPLIANT, "1 requirement failed and was not repaired")
                .withStages(new JobResult.Stages(true, true, false, null))
                .withCompliance(JobResult.Compliance.of(findings))
                .withGenerations(List.of("Gen2"));
    }

    static JobResult unsupported() {
        return JobResult.failed(
                        ResultReasons.UNSUPPORTED_IMAGE,
                        "qcow2: backing file 'base.qcow2' refused (header field backing_file_offset=0x148)")
                .withStages(new JobResult.Stages(false, null, null, null));
    }

    static JobResult manyFindings(int n, int messageChars) {
        List<Finding> findings = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            FindingStatus st = FindingStatus.values()[i % FindingStatus.values().length];
            findings.add(new Finding(
                    String.format("REQ-%03d", i),
                    st,
                    "m".repeat(messageChars) + i,
                    List.of(new Evidence("/etc/file" + i, i, "v".repeat(messageChars))),
                    null));
        }
        return JobResult.failed(ResultReasons.NOT_COMPLIANT, "many failed")
                .withStages(new JobResult.Stages(true, true, false, null))
                .withCompliance(JobResult.Compliance.of(findings));
    }

    @Test
    void theSparseDigestTravelsBesideTheLegacyField() {
        String digest = "sparse-sha256-v1:" + "0123456789abcdef".repeat(4);
        JobResult r = JobResult.succeeded("prepared")
                .withOutput(new JobResult.Output("/disks/out/web.vhd", 1L << 30, null, digest))
                .withUpload(new JobResult.Upload("https://acct.blob.core.windows.net/vhds/web.vhd", 5L, digest));
        String json = JobResultCodec.write(r);
        assertThat(json).contains("\"digest\":\"" + digest + "\"").doesNotContain("\"sha256\"");
        JobResult back = JobResultCodec.parse(json);
        assertThat(back.output()).isEqualTo(r.output());
        assertThat(back.upload().digest()).isEqualTo(digest);
        // a result of an earlier version (whole-file sha256, no digest) still decodes
        JobResult old = JobResultCodec.parse(JobResultCodec.write(preparedAndUploaded()));
        assertThat(old.output().sha256()).isEqualTo(SHA);
        assertThat(old.output().digest()).isNull();
    }

    @Test
    void goldenPreparedAndUploaded() {
        Golden.assertMatches("result/prepared-uploaded.json", JobResultCodec.write(preparedAndUploaded()));
    }

    @Test
    void goldenNotCompliant() {
        Golden.assertMatches("result/not-compliant.json", JobResultCodec.write(notCompliant()));
    }

    @Test
    void goldenUnsupportedImage() {
        Golden.assertMatches("result/unsupported-image.json", JobResultCodec.write(unsupported()));
    }

    @Test
    void goldenTruncated() {
        String json = JobResultCodec.write(manyFindings(200, 100));
        Golden.assertMatches("result/truncated.json", json);
        assertThat(json.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(4096);
        JobResult back = JobResultCodec.parse(json);
        assertThat(back.truncated()).isTrue();
        assertThat(back.compliance().omitted()).isPositive();
        // summary counts are never cut
        assertThat(back.compliance().summary().values().stream()
                        .mapToInt(Integer::intValue)
                        .sum())
                .isEqualTo(200);
        // the most severe findings are the ones kept
        assertThat(back.compliance().findings().get(0).status()).isEqualTo(FindingStatus.Fail);
        assertThat(back.compliance().findings()).noneMatch(f -> f.status() == FindingStatus.Pass);
        assertThat(back.compliance().findings().size() + back.compliance().omitted())
                .isEqualTo(manyFindings(200, 100).compliance().findings().size());
    }

    @Test
    void roundTripKeepsEverything() {
        for (JobResult r : List.of(preparedAndUploaded(), notCompliant(), unsupported())) {
            JobResult back = JobResultCodec.parse(JobResultCodec.write(r));
            assertThat(back).isEqualTo(r);
        }
    }

    @Test
    void osRoundTripsAndGuestTextIsBounded() {
        JobResult r = JobResult.succeeded("prepared").withOs(new JobResult.Os("debian", "12", "debian"));
        assertThat(JobResultCodec.parse(JobResultCodec.write(r)).os())
                .isEqualTo(new JobResult.Os("debian", "12", "debian"));
        // os-release is written by the guest: a hostile VERSION_ID must not push the message past its bound
        JobResult hostile = r.withOs(new JobResult.Os("x".repeat(10_000), "9".repeat(10_000), "unknown"));
        String json = JobResultCodec.write(hostile);
        assertThat(json.getBytes(java.nio.charset.StandardCharsets.UTF_8).length)
                .isLessThanOrEqualTo(JobResultCodec.MAX_BYTES);
        assertThat(JobResultCodec.parse(json).os().versionId().length()).isLessThan(100);
        assertThat(JobResultCodec.parse(JobResultCodec.write(JobResult.succeeded("x")))
                        .os())
                .isNull();
    }

    @Test
    void findingsAreOrderedMostSevereFirst() {
        JobResult back = JobResultCodec.parse(JobResultCodec.write(notCompliant()));
        assertThat(back.compliance().findings())
                .extracting(JobResult.CompactFinding::status)
                .containsExactly(
                        FindingStatus.Fail, FindingStatus.Unknown, FindingStatus.Warn, FindingStatus.NotApplicable);
        assertThat(back.compliance().summary())
                .containsEntry(FindingStatus.Pass, 1)
                .containsEntry(FindingStatus.Fail, 1);
    }

    @Test
    void alwaysFitsInTheTerminationMessage() {
        Random random = new Random(42);
        for (int i = 0; i < 60; i++) {
            JobResult r = manyFindings(random.nextInt(400), random.nextInt(3000))
                    .withOutput(
                            new JobResult.Output("p".repeat(random.nextInt(5000)), 1L, "s".repeat(random.nextInt(300))))
                    .withUpload(new JobResult.Upload(
                            "https://a/" + "u".repeat(random.nextInt(5000)) + "?sig=SECRET", 2L, "d"))
                    .withDurations(
                            random.nextBoolean()
                                    ? null
                                    : new JobResult.Durations(9999999.999, 1234567.891, 0.001, 7654321.123));
            if (random.nextBoolean()) {
                r = new JobResult(
                        r.schema(),
                        r.outcome(),
                        r.reason(),
                        "\u00e9\ud83d\ude00".repeat(random.nextInt(5000)),
                        r.stages(),
                        r.compliance(),
                        r.generations(),
                        r.output(),
                        r.upload(),
                        false,
                        r.os(),
                        r.durations());
            }
            String json = JobResultCodec.write(r);
            assertThat(json.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(JobResultCodec.MAX_BYTES);
            assertThat(json).doesNotContain("SECRET").doesNotContain("sig=");
            JobResult back = JobResultCodec.parse(json);
            assertThat(back.outcome()).isEqualTo(r.outcome());
            assertThat(back.reason()).isEqualTo(r.reason());
            assertThat(JobResultCodec.write(r)).as("deterministic").isEqualTo(json);
        }
    }

    @Test
    void stepDurationsRoundTripAndSurviveTheShortening() {
        JobResult.Durations d = new JobResult.Durations(12.5, 3.25, 0.75, null);
        JobResult r = JobResult.succeeded("prepared").withDurations(d);
        String json = JobResultCodec.write(r);
        assertThat(json).contains("\"durations\":{\"convert\":12.5,\"patch\":3.25,\"check\":0.75}");
        assertThat(JobResultCodec.parse(json).durations()).isEqualTo(d);
        assertThat(JobResultCodec.parse(JobResultCodec.write(JobResult.succeeded("x")))
                        .durations())
                .isNull();

        // findings are dropped to fit 4096 bytes; the four numbers stay
        JobResult big = manyFindings(400, 3000).withDurations(d);
        String cut = JobResultCodec.write(big);
        assertThat(cut.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(JobResultCodec.MAX_BYTES);
        JobResult back = JobResultCodec.parse(cut);
        assertThat(back.truncated()).isTrue();
        assertThat(back.durations()).isEqualTo(d);
    }

    /** The termination message is pod-written: a duration that is no plausible number of seconds is dropped. */
    @ParameterizedTest
    @ValueSource(strings = {"-1", "\"12\"", "1e300", "true", "{}", "null", "10000001"})
    void implausibleDurationsAreIgnored(String value) {
        String json = "{\"schema\":\"" + JobResult.SCHEMA + "\",\"outcome\":\"Succeeded\",\"reason\":\"Succeeded\","
                + "\"durations\":{\"convert\":" + value + ",\"upload\":2.5}}";
        JobResult r = JobResultCodec.parse(json);
        assertThat(r.durations()).isEqualTo(new JobResult.Durations(null, null, null, 2.5));
        String again = JobResultCodec.write(r);
        assertThat(again).contains("\"durations\":{\"upload\":2.5}");
    }

    @Test
    void durationsAreWrittenToTheMillisecond() {
        JobResult r = JobResult.succeeded("x").withDurations(new JobResult.Durations(1.23456789, null, null, 0.0004));
        assertThat(JobResultCodec.write(r)).contains("\"durations\":{\"convert\":1.235,\"upload\":0.0}");
        assertThat(JobResult.Durations.seconds(1_234_567_890L)).isEqualTo(1.235);
        assertThat(JobResult.Durations.seconds(-1)).isNull();
    }

    @Test
    void blobUrlNeverCarriesAQueryString() {
        JobResult r = JobResult.succeeded("ok")
                .withUpload(new JobResult.Upload(
                        "https://acct.blob.core.windows.net/vhds/web.vhd?sv=2024&sig=abc", 1L, null));
        assertThat(JobResultCodec.parse(JobResultCodec.write(r)).upload().blobUrl())
                .isEqualTo("https://acct.blob.core.windows.net/vhds/web.vhd");
        // and a reader strips one a foreign writer left in
        assertThat(JobResultCodec.parse("{\"schema\":\"linuximage.dev/result/v1\",\"outcome\":\"Succeeded\","
                                + "\"reason\":\"Succeeded\",\"upload\":{\"blobUrl\":\"https://a/b?sig=x\"}}")
                        .upload()
                        .blobUrl())
                .isEqualTo("https://a/b");
    }

    @Test
    void invalidReasonIsReplacedWhenWriting() {
        JobResult r = JobResult.failed("not camel case", "x");
        assertThat(JobResultCodec.parse(JobResultCodec.write(r)).reason()).isEqualTo(ResultReasons.INTERNAL_ERROR);
    }

    @Test
    void parserIgnoresUnknownFieldsAndAcceptsMinorVersions() {
        JobResult r = JobResultCodec.parse("{\"schema\":\"linuximage.dev/result/v1.1\",\"outcome\":\"Failed\","
                + "\"reason\":\"UploadFailed\",\"future\":{\"x\":1},\"stages\":{\"converted\":true,\"new\":false}}");
        assertThat(r.reason()).isEqualTo("UploadFailed");
        assertThat(r.stages().converted()).isTrue();
        assertThat(r.stages().uploaded()).isNull();
    }

    @Test
    void parserRejectsWhatIsNotAResult() {
        assertThatThrownBy(() -> JobResultCodec.parse("")).hasMessageContaining("empty");
        assertThatThrownBy(() -> JobResultCodec.parse("Error: exec format error"))
                .hasMessageContaining("not JSON");
        assertThatThrownBy(() -> JobResultCodec.parse("[1]")).hasMessageContaining("not a JSON object");
        assertThatThrownBy(() -> JobResultCodec.parse("{\"schema\":\"linuximage.dev/result/v2\"}"))
                .hasMessageContaining("unsupported result schema 'linuximage.dev/result/v2'");
        assertThatThrownBy(
                        () -> JobResultCodec.parse("{\"schema\":\"linuximage.dev/result/v1\",\"outcome\":\"Maybe\"}"))
                .hasMessageContaining("invalid outcome 'Maybe'");
        assertThatThrownBy(() -> JobResultCodec.parse(
                        "{\"schema\":\"linuximage.dev/result/v1\",\"outcome\":\"Failed\",\"reason\":\"bad reason\"}"))
                .hasMessageContaining("invalid result reason");
        assertThatThrownBy(() -> JobResultCodec.parse("{\"schema\":\"linuximage.dev/result/v1\",\"outcome\":"
                        + "\"Failed\",\"reason\":\"X\",\"compliance\":{\"summary\":{\"Bogus\":1}}}"))
                .hasMessageContaining("invalid compliance.summary key 'Bogus'");
    }

    @Test
    void terminationMessageWritesTheCompactJson(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        java.nio.file.Path log = dir.resolve("termination-log");
        java.nio.file.Files.writeString(log, "x".repeat(10000));
        String json = TerminationMessage.write(log, manyFindings(300, 500));
        assertThat(java.nio.file.Files.readString(log)).isEqualTo(json);
        assertThat(java.nio.file.Files.size(log)).isLessThanOrEqualTo(4096);
        assertThat(TerminationMessage.write(null, unsupported())).isEqualTo(JobResultCodec.write(unsupported()));
    }

    @Test
    void summaryCountsEveryStatus() {
        JobResult.Compliance c = preparedAndUploaded().compliance();
        assertThat(c.summary()).isEqualTo(Map.of(FindingStatus.Fixed, 2, FindingStatus.Pass, 2));
        assertThat(c.findings())
                .extracting(JobResult.CompactFinding::id)
                .containsExactly("CMDLINE-CONSOLE", "DEPROV-MACHINE-ID");
        assertThat(c.findings().get(0).evidence()).isEqualTo("/etc/default/grub:6=GRUB_CMDLINE_LINUX=\"quiet\"");
    }
}
