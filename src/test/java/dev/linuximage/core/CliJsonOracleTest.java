package dev.linuximage.core;

import static dev.linuximage.testsupport.CliRun.run;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.linuximage.core.report.ExitCodes;
import dev.linuximage.core.report.ReportLine;
import dev.linuximage.testsupport.CliRun.Run;
import dev.linuximage.testsupport.Tools;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --json} on every core command that prints a result (issue #16.7, as qemu-img's {@code --output=json}): stdout
 * carries the JSON and nothing else (a document, or JSON Lines for {@code guest ls}), messages and progress go to
 * stderr, and the fields agree with independent truth — qemu-img info, the files the test put into the image with
 * {@code mke2fs -d}, the digest's published definition recomputed here.
 */
@Tag("oracle")
class CliJsonOracleTest {
    /** Fails on anything after the first document: stdout must be exactly one JSON value. */
    static final ObjectMapper STRICT = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    @TempDir
    static Path dir;

    static Path disk;
    static Path tree;

    @BeforeAll
    static void build() throws Exception {
        disk = PrepareOutputOracleTest.alpineDisk(dir); // ext4 made by mke2fs -d from dir/tree
        tree = dir.resolve("tree");
    }

    static JsonNode qemuInfo(Path f) throws Exception {
        return new ObjectMapper()
                .readTree(Tools.run("qemu-img", "info", "--output=json", f.toString())
                        .out());
    }

    /** qemu-img probes a fixed VHD as raw (its footer is at the end only): name the format. */
    static JsonNode qemuInfoVpc(Path f) throws Exception {
        return new ObjectMapper()
                .readTree(Tools.run("qemu-img", "info", "-f", "vpc", "--output=json", f.toString())
                        .out());
    }

    @Test
    void checkJsonIsTheWholeReportAloneOnStdout() throws Exception {
        Run r = run("check", disk.toString(), "--json");
        assertThat(r.code()).as(r.err()).isIn(ExitCodes.OK, ExitCodes.NOT_COMPLIANT);
        JsonNode j = STRICT.readTree(r.out());
        assertThat(j.path("subject").asText()).isEqualTo(disk.toString());
        assertThat(j.at("/guest/osId").asText()).isEqualTo("alpine"); // the os-release the test wrote
        assertThat(j.path("findings").size()).isGreaterThan(20);
        assertThat(j.at("/summary/compliant").asBoolean()).isEqualTo(r.code() == ExitCodes.OK);
        assertThat(r.err()).contains("CMDLINE-CONSOLE"); // the table, on stderr

        // with --report FILE the same document also lands in the file
        Path file = dir.resolve("check.json");
        Run both = run("check", disk.toString(), "--json", "--report", file.toString(), "--quiet");
        assertThat(both.code()).isEqualTo(r.code());
        JsonNode fromFile = new ObjectMapper().readTree(Files.readString(file));
        assertThat(STRICT.readTree(both.out())).isEqualTo(fromFile);
        assertThat(both.err()).doesNotContain("CMDLINE-CONSOLE");
    }

    /**
     * {@code -o json} and {@code --output json} (az's and qemu-img's habits, issue #16.7) print the same document as
     * {@code --json}, on every command that has {@code --json}; {@code prepare} has {@code -o} only.
     */
    @Test
    void dashOJsonIsTheSameDocumentAsJsonOnEveryCommand() throws Exception {
        List<List<String>> commands = List.of(
                List.of("inspect", disk.toString()),
                List.of("check", disk.toString(), "--quiet"),
                List.of("guest", "ls", "--partition", "1", disk.toString(), "/etc"),
                List.of("digest", disk.toString()));
        for (List<String> base : commands) {
            Run json = run(concat(base, "--json"));
            assertThat(json.code()).as(json.err()).isIn(ExitCodes.OK, ExitCodes.NOT_COMPLIANT);
            JsonNode expected = documents(json.out());
            for (List<String> spelling : List.of(
                    List.of("-o", "json"), List.of("--output", "json"), List.of("--output=json"), List.of("-ojson"))) {
                Run r = run(concat(base, spelling.toArray(String[]::new)));
                assertThat(r.code()).as(base + " " + spelling + ": " + r.err()).isEqualTo(json.code());
                assertThat(withoutTime(documents(r.out())))
                        .as(base + " " + spelling)
                        .isEqualTo(withoutTime(expected));
            }
            // -o text is the default: the same text as without any option, and not JSON
            Run plain = run(base.toArray(String[]::new));
            Run text = run(concat(base, "-o", "text"));
            assertThat(text.code()).isEqualTo(plain.code());
            assertThat(text.out()).isEqualTo(plain.out()).doesNotStartWith("{");
        }

        // convert: a new output each time, then the same description but for the output's path
        Path a = dir.resolve("o-a.vhd");
        Path b = dir.resolve("o-b.vhd");
        Run ja = run("convert", disk.toString(), a.toString(), "--json", "--quiet");
        Run jb = run("convert", disk.toString(), b.toString(), "--output=json", "--quiet");
        assertThat(jb.code()).as(jb.err()).isZero();
        ObjectNode da = (ObjectNode) STRICT.readTree(ja.out());
        ObjectNode db = (ObjectNode) STRICT.readTree(jb.out());
        assertThat(db.remove("output").asText()).isEqualTo(b.toString());
        da.remove("output");
        assertThat(db).isEqualTo(da);

        // prepare: -o json prints the report; --output stays the VHD's path
        Path vhd = dir.resolve("o-prepared.vhd");
        Run p = run("prepare", disk.toString(), "--output", vhd.toString(), "-o", "json", "--quiet");
        assertThat(p.code()).as(p.err()).isIn(ExitCodes.OK, ExitCodes.NOT_COMPLIANT);
        assertThat(STRICT.readTree(p.out()).path("mode").asText()).isEqualTo("prepare");
        assertThat(qemuInfoVpc(vhd).path("virtual-size").asLong()).isEqualTo(64L << 20);
    }

    static String[] concat(List<String> base, String... more) {
        List<String> all = new ArrayList<>(base);
        all.addAll(List.of(more));
        return all.toArray(String[]::new);
    }

    /** One JSON document, or JSON Lines as an array. */
    static JsonNode documents(String out) throws Exception {
        if (out.lines().count() > 1 && out.startsWith("{\"")) {
            ArrayNode a = new ObjectMapper().createArrayNode();
            for (String line : out.split("\n")) {
                if (!line.isEmpty()) {
                    a.add(STRICT.readTree(line));
                }
            }
            return a;
        }
        return STRICT.readTree(out);
    }

    /** A report's generation time differs between two runs. */
    static JsonNode withoutTime(JsonNode n) {
        if (n instanceof ObjectNode o) {
            o.remove("generatedAt");
        }
        return n;
    }

    /** In a Job (--termination-log) the full report is also one log line, for the operator's result ConfigMap. */
    @Test
    void inAJobTheFullReportIsOneLogLineEqualToTheReportFile() throws Exception {
        Path term = dir.resolve("termination-report");
        Path file = dir.resolve("job-report.json");
        Run r = run("check", disk.toString(), "--termination-log", term.toString(), "--report", file.toString());
        assertThat(r.code()).as(r.err()).isIn(ExitCodes.OK, ExitCodes.NOT_COMPLIANT);
        assertThat(r.out().lines().filter(l -> l.startsWith(ReportLine.PREFIX))).hasSize(1);
        String line = ReportLine.lastIn(r.out(), 1 << 20).orElseThrow();
        assertThat(STRICT.readTree(line)).isEqualTo(STRICT.readTree(Files.readString(file)));
        // the result in the termination message stays the compact one
        assertThat(Files.readString(term)).contains("\"schema\":\"linuximage.dev/result/v1\"");
        // outside a Job no such line
        assertThat(run("check", disk.toString(), "--quiet").out()).doesNotContain(ReportLine.PREFIX);
    }

    @Test
    void jsonInAJobIsABadCommandLine() throws Exception {
        Path term = dir.resolve("termination");
        Run r = run("check", disk.toString(), "--json", "--termination-log", term.toString());
        assertThat(r.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).contains("--json", "--termination-log");
    }

    @Test
    void prepareJsonIsTheReportAloneOnStdoutAndProgressOnStderr() throws Exception {
        Path out = dir.resolve("prepared.vhd");
        Run r = run("prepare", disk.toString(), "--output", out.toString(), "--provisioning", "CloudInit", "--json");
        assertThat(r.code()).as(r.err()).isIn(ExitCodes.OK, ExitCodes.NOT_COMPLIANT);
        JsonNode j = STRICT.readTree(r.out());
        assertThat(j.path("mode").asText()).isEqualTo("prepare");
        assertThat(j.at("/guest/osId").asText()).isEqualTo("alpine");
        assertThat(j.path("provisioning").asText()).isEqualToIgnoringCase("CloudInit");
        assertThat(j.path("changes").size()).isGreaterThan(0); // prepare patched the guest
        assertThat(j.at("/summary/compliant").asBoolean()).isEqualTo(r.code() == ExitCodes.OK);
        assertThat(r.err()).contains("%]").contains("CMDLINE-CONSOLE"); // progress and table
        assertThat(qemuInfoVpc(out).path("virtual-size").asLong()).isEqualTo(64L << 20);
    }

    @Test
    void convertJsonDescribesTheOutputAsQemuImgSeesIt() throws Exception {
        // a qcow2 input of a size that is not a whole MiB, so the output is aligned up
        Path raw = dir.resolve("odd.raw");
        byte[] data = new byte[3 * 1024 * 1024 + 4096 + 512];
        new Random(7).nextBytes(data);
        java.util.Arrays.fill(data, 1 << 20, 2 << 20, (byte) 0);
        Files.write(raw, data);
        Path qcow2 = dir.resolve("odd.qcow2");
        Tools.run("qemu-img", "convert", "-f", "raw", "-O", "qcow2", raw.toString(), qcow2.toString());
        Path vhd = dir.resolve("odd.vhd");
        Run r = run("convert", qcow2.toString(), vhd.toString(), "--json");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out().lines().count()).isEqualTo(1);
        JsonNode j = STRICT.readTree(r.out());
        JsonNode qin = qemuInfo(qcow2);
        JsonNode qout = qemuInfoVpc(vhd);
        assertThat(j.path("output").asText()).isEqualTo(vhd.toString());
        assertThat(qout.path("format").asText()).isEqualTo("vpc");
        assertThat(j.path("format").asText()).isEqualTo("vhd");
        assertThat(j.path("subformat").asText()).isEqualTo("fixed");
        assertThat(j.path("virtualSize").asLong())
                .isEqualTo(qout.path("virtual-size").asLong())
                .isEqualTo(4L << 20);
        assertThat(j.path("fileSize").asLong()).isEqualTo(Files.size(vhd)).isEqualTo((4L << 20) + 512);
        // the random MiBs are data, the zeroed MiB need not be written
        assertThat(j.path("dataWritten").asLong()).isBetween((long) data.length - (1 << 20), Files.size(vhd));
        assertThat(j.at("/input/path").asText()).isEqualTo(qcow2.toString());
        assertThat(j.at("/input/format").asText()).isEqualTo(qin.path("format").asText());
        assertThat(j.at("/input/virtualSize").asLong())
                .isEqualTo(qin.path("virtual-size").asLong())
                .isEqualTo(data.length);
    }

    @Test
    void digestJsonMatchesThePublishedDefinition() throws Exception {
        Path f = dir.resolve("pages.bin");
        byte[] b = new byte[64 * 512];
        Random rnd = new Random(11);
        for (int page : new int[] {0, 1, 2, 9, 40, 63}) { // three runs: [0,3) [9,10) [40,41) [63,64)
            for (int i = 0; i < 512; i++) {
                b[page * 512 + i] = (byte) (rnd.nextInt(255) + 1);
            }
        }
        Files.write(f, b);
        Run r = run("digest", f.toString(), "--json");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode j = STRICT.readTree(r.out());
        assertThat(j.path("algorithm").asText()).isEqualTo("sparse-sha256-v1");
        assertThat(j.path("size").asLong()).isEqualTo(b.length);
        assertThat(j.path("file").asText()).isEqualTo(f.toString());
        assertThat(j.path("digest").asText()).isEqualTo("sparse-sha256-v1:" + definition(b));
    }

    /** The digest's definition (SparseDigest's javadoc, docs/upload.md), written out here independently. */
    static String definition(byte[] img) throws Exception {
        MessageDigest data = MessageDigest.getInstance("SHA-256");
        MessageDigest ranges = MessageDigest.getInstance("SHA-256");
        long runStart = -1;
        for (int p = 0; p <= img.length / 512; p++) {
            boolean nonZero = false;
            if (p < img.length / 512) {
                for (int i = 0; i < 512 && !nonZero; i++) {
                    nonZero = img[p * 512 + i] != 0;
                }
            }
            if (nonZero) {
                data.update(img, p * 512, 512);
                if (runStart < 0) {
                    runStart = p * 512L;
                }
            } else if (runStart >= 0) {
                ranges.update(ByteBuffer.allocate(16)
                        .putLong(runStart)
                        .putLong(p * 512L)
                        .array());
                runStart = -1;
            }
        }
        MessageDigest d = MessageDigest.getInstance("SHA-256");
        d.update("linuximage sparse-sha256-v1\n".getBytes(StandardCharsets.US_ASCII));
        d.update(ByteBuffer.allocate(8).putLong(img.length).array());
        d.update(data.digest());
        d.update(ranges.digest());
        return HexFormat.of().formatHex(d.digest());
    }

    @Test
    void guestLsJsonIsOneObjectPerEntryAsMke2fsWroteThem() throws Exception {
        Run r = run("guest", "ls", "--json", "--partition", "1", disk.toString(), "/etc");
        assertThat(r.code()).as(r.err()).isZero();
        Map<String, JsonNode> got = new HashMap<>();
        for (String line : r.out().split("\n", -1)) {
            if (line.isEmpty()) {
                continue;
            }
            JsonNode e = STRICT.readTree(line); // every line is one whole object
            assertThat(got.put(e.path("name").asText(), e))
                    .as("listed once: %s", line)
                    .isNull();
        }
        assertThat(r.out()).endsWith("\n");
        Path etc = tree.resolve("etc");
        List<Path> expected = new ArrayList<>();
        try (Stream<Path> s = Files.list(etc)) {
            s.forEach(expected::add);
        }
        assertThat(expected).hasSizeGreaterThan(3);
        assertThat(got.keySet())
                .containsExactlyInAnyOrderElementsOf(
                        expected.stream().map(p -> p.getFileName().toString()).toList());
        for (Path p : expected) {
            JsonNode e = got.get(p.getFileName().toString());
            String what = e.toString();
            assertThat(e.path("path").asText()).as(what).isEqualTo("/etc/" + p.getFileName());
            String type = Files.isSymbolicLink(p)
                    ? "symlink"
                    : Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS) ? "directory" : "file";
            assertThat(e.path("type").asText()).as(what).isEqualTo(type);
            int hostMode = (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            assertThat(e.path("mode").asInt()).as(what).isEqualTo(hostMode & 07777);
            assertThat(e.path("uid").asInt())
                    .as(what)
                    .isEqualTo(Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS));
            assertThat(e.path("gid").asInt())
                    .as(what)
                    .isEqualTo(Files.getAttribute(p, "unix:gid", LinkOption.NOFOLLOW_LINKS));
            assertThat(e.path("mtime").asLong())
                    .as(what)
                    .isEqualTo(Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS)
                            .to(TimeUnit.SECONDS));
            if (type.equals("symlink")) {
                assertThat(e.path("target").asText())
                        .as(what)
                        .isEqualTo(Files.readSymbolicLink(p).toString());
                assertThat(e.path("size").asLong())
                        .as(what)
                        .isEqualTo(Files.readSymbolicLink(p).toString().length());
            } else {
                assertThat(e.has("target")).as(what).isFalse();
            }
            if (type.equals("file")) {
                assertThat(e.path("size").asLong()).as(what).isEqualTo(Files.size(p));
            }
        }

        // one file: a single line; --names: name and path only
        Run one = run("guest", "ls", "--json", "--partition", "1", disk.toString(), "/etc/alpine-release");
        assertThat(one.code()).as(one.err()).isZero();
        JsonNode f = STRICT.readTree(one.out());
        assertThat(f.path("type").asText()).isEqualTo("file");
        assertThat(f.path("size").asLong()).isEqualTo(Files.size(etc.resolve("alpine-release")));
        Run names = run("guest", "ls", "--json", "-1", "--partition", "1", disk.toString(), "/etc");
        assertThat(names.code()).as(names.err()).isZero();
        List<String> lines = names.out().lines().toList();
        assertThat(lines).hasSize(expected.size());
        for (String line : lines) {
            JsonNode e = STRICT.readTree(line);
            assertThat(e.fieldNames()).toIterable().containsExactly("name", "path");
        }
    }
}
