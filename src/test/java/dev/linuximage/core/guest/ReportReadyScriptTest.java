package dev.linuximage.core.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.w3c.dom.Document;

/**
 * Runs the shipped report-ready program with the real {@code sh} against a fake wireserver + IMDS on loopback, with
 * each HTTP client it supports, and with {@code systemctl}, {@code hostnamectl} and {@code ssh-keygen} stubbed on
 * PATH.
 */
class ReportReadyScriptTest {
    static final String GOAL_STATE = """
            <?xml version="1.0" encoding="utf-8"?>
            <GoalState xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
              <Version>2012-11-30</Version>
              <Incarnation>3</Incarnation>
              <Machine>
                <ExpectedState>Started</ExpectedState>
              </Machine>
              <Container>
                <ContainerId>c0ffee00-1234-4abc-9def-000000000001</ContainerId>
                <RoleInstanceList>
                  <RoleInstance>
                    <InstanceId>a1b2c3d4-0000-4000-8000-00000000beef._vm-from-azure</InstanceId>
                    <State>Started</State>
                  </RoleInstance>
                </RoleInstanceList>
              </Container>
            </GoalState>
            """.replace("\n", "\r\n");

    record Request(String method, String uri, Map<String, List<String>> headers, String body) {
        String header(String name) {
            return headers.entrySet().stream()
                    .filter(e -> e.getKey().equalsIgnoreCase(name))
                    .map(e -> e.getValue().get(0))
                    .findFirst()
                    .orElse(null);
        }
    }

    final List<Request> requests = new CopyOnWriteArrayList<>();
    final AtomicInteger goalStateFailures = new AtomicInteger();
    HttpServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop(0);
        }
    }

    void start(int port) throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0);
        server.createContext("/", ex -> {
            String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            Request r = new Request(ex.getRequestMethod(), ex.getRequestURI().toString(), ex.getRequestHeaders(), body);
            requests.add(r);
            int status;
            String out;
            if (r.method().equals("GET") && r.uri().equals("/machine/?comp=goalstate")) {
                if (goalStateFailures.getAndDecrement() > 0) {
                    status = 503;
                    out = "not yet";
                } else {
                    status = "2012-11-30".equals(r.header("x-ms-version")) ? 200 : 400;
                    out = GOAL_STATE;
                }
            } else if (r.method().equals("POST") && r.uri().equals("/machine?comp=health")) {
                status = 200;
                out = "";
            } else if (r.method().equals("GET")
                    && r.uri().equals("/metadata/instance/compute/name?api-version=2019-06-01&format=text")) {
                status = "true".equals(r.header("Metadata")) ? 200 : 400;
                out = "vm-from-azure";
            } else {
                status = 404;
                out = "";
            }
            byte[] b = out.getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(status, b.length == 0 ? -1 : b.length);
            if (b.length > 0) {
                ex.getResponseBody().write(b);
            }
            ex.close();
        });
        server.start();
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    record Run(int exit, String stderr, String stubLog) {}

    static Process launch(Path dir, int port, String client, int attempts) throws IOException {
        return launch(dir, port, client, attempts, List.of("sh"));
    }

    static Process launch(Path dir, int port, String client, int attempts, List<String> shell) throws IOException {
        Path script = dir.resolve("linuximage-report-ready");
        Files.write(script, NoAgentPatch.script());
        Path stubs = dir.resolve("stubs");
        Files.createDirectories(stubs);
        for (String cmd : List.of("systemctl", "hostnamectl", "ssh-keygen")) {
            Path p = stubs.resolve(cmd);
            Files.writeString(p, "#!/bin/sh\necho \"" + cmd + " $*\" >>\"$STUB_LOG\"\n");
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        List<String> cmd = new java.util.ArrayList<>(shell);
        cmd.add(script.toString());
        ProcessBuilder pb = new ProcessBuilder(cmd);
        Map<String, String> env = pb.environment();
        env.put("PATH", stubs + ":" + System.getenv("PATH"));
        env.put("STUB_LOG", dir.resolve("stub.log").toString());
        env.put("LINUXIMAGE_WIRESERVER", "http://127.0.0.1:" + port);
        env.put("LINUXIMAGE_IMDS", "http://127.0.0.1:" + port);
        env.put("LINUXIMAGE_HTTP_CLIENT", client);
        env.put("LINUXIMAGE_ATTEMPTS", Integer.toString(attempts));
        env.put("LINUXIMAGE_RETRY_DELAY", "1");
        env.put("LINUXIMAGE_RETRY_MAX_DELAY", "2");
        env.put("TMPDIR", dir.toString());
        pb.redirectError(dir.resolve("stderr").toFile());
        pb.redirectOutput(dir.resolve("stdout").toFile());
        return pb.start();
    }

    static Run finish(Path dir, Process p) throws Exception {
        if (!p.waitFor(90, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("report-ready script did not finish in 90 s");
        }
        Path log = dir.resolve("stub.log");
        return new Run(
                p.exitValue(), Files.readString(dir.resolve("stderr")), Files.exists(log) ? Files.readString(log) : "");
    }

    static void requireTool(String tool) throws Exception {
        Process p = new ProcessBuilder("sh", "-c", "command -v " + tool).start();
        if (p.waitFor() != 0) {
            fail(tool + " is not installed: the report-ready test needs it (scripts/setup.sh installs it)");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"curl", "wget", "python3"})
    void reportsReadySetsTheHostnameAndDisablesItselfAfterA503(String client, @TempDir Path dir) throws Exception {
        requireTool(client);
        int port = freePort();
        start(port);
        goalStateFailures.set(1);
        Run run = finish(dir, launch(dir, port, client, 5));
        assertThat(run.exit()).as(run.stderr()).isZero();
        assertThat(run.stderr()).contains("attempt 1 failed").contains("reported Ready (incarnation 3)");

        List<Request> goal = requests.stream()
                .filter(r -> r.uri().contains("comp=goalstate"))
                .toList();
        assertThat(goal).hasSize(2).allSatisfy(r -> {
            assertThat(r.method()).isEqualTo("GET");
            assertThat(r.header("x-ms-version")).isEqualTo("2012-11-30");
        });
        Request post = requests.stream()
                .filter(r -> r.method().equals("POST"))
                .findFirst()
                .orElseThrow();
        assertThat(post.uri()).isEqualTo("/machine?comp=health");
        assertThat(post.header("Content-Type")).isEqualTo("text/xml;charset=utf-8");
        assertThat(post.header("x-ms-version")).isEqualTo("2012-11-30");
        assertThat(post.header("x-ms-agent-name")).isEqualTo("linuximage-report-ready");
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        Document doc = f.newDocumentBuilder()
                .parse(new ByteArrayInputStream(post.body().getBytes(StandardCharsets.UTF_8)));
        assertThat(doc.getDocumentElement().getTagName()).isEqualTo("Health");
        assertThat(text(doc, "GoalStateIncarnation")).isEqualTo("3");
        assertThat(text(doc, "ContainerId")).isEqualTo("c0ffee00-1234-4abc-9def-000000000001");
        assertThat(text(doc, "InstanceId")).isEqualTo("a1b2c3d4-0000-4000-8000-00000000beef._vm-from-azure");
        assertThat(text(doc, "State")).isEqualTo("Ready");

        Request imds = requests.stream()
                .filter(r -> r.uri().startsWith("/metadata/"))
                .findFirst()
                .orElseThrow();
        assertThat(imds.header("Metadata")).isEqualTo("true");
        assertThat(run.stubLog())
                .contains("hostnamectl set-hostname vm-from-azure\n")
                .contains("systemctl disable linuximage-report-ready.service\n");
        // order: the POST comes after the goal state, the hostname after the POST
        assertThat(requests.indexOf(post)).isGreaterThan(requests.indexOf(goal.get(1)));
        assertThat(requests.indexOf(imds)).isGreaterThan(requests.indexOf(post));
    }

    @Test
    void busyboxAshWithBusyboxWgetAsOnSmallDistributions(@TempDir Path dir) throws Exception {
        requireTool("busybox");
        Path bb = Path.of(new String(
                        new ProcessBuilder("sh", "-c", "command -v busybox")
                                .start()
                                .getInputStream()
                                .readAllBytes(),
                        StandardCharsets.UTF_8)
                .trim());
        Path stubs = dir.resolve("stubs");
        Files.createDirectories(stubs);
        Files.createSymbolicLink(stubs.resolve("wget"), bb); // BusyBox wget first on PATH
        int port = freePort();
        start(port);
        goalStateFailures.set(1);
        Run run = finish(dir, launch(dir, port, "wget", 5, List.of(bb.toString(), "sh")));
        assertThat(run.exit()).as(run.stderr()).isZero();
        assertThat(run.stderr()).contains("attempt 1 failed");
        Request post = requests.stream()
                .filter(r -> r.method().equals("POST"))
                .findFirst()
                .orElseThrow();
        assertThat(post.header("Content-Type")).isEqualTo("text/xml;charset=utf-8");
        assertThat(post.header("User-Agent")).containsIgnoringCase("wget");
        assertThat(post.body()).contains("<State>Ready</State>");
        assertThat(run.stubLog()).contains("systemctl disable linuximage-report-ready.service");
    }

    @Test
    void retriesWhileTheWireserverRefusesConnections(@TempDir Path dir) throws Exception {
        requireTool("curl");
        int port = freePort();
        Process p = launch(dir, port, "curl", 6);
        Thread.sleep(1500);
        start(port);
        Run run = finish(dir, p);
        assertThat(run.exit()).as(run.stderr()).isZero();
        assertThat(run.stderr()).contains("attempt 1 failed");
        assertThat(requests).anyMatch(r -> r.method().equals("POST") && r.body().contains("<State>Ready</State>"));
        assertThat(run.stubLog()).contains("systemctl disable linuximage-report-ready.service");
    }

    @Test
    void givesUpWithoutDisablingItselfSoTheNextBootRetries(@TempDir Path dir) throws Exception {
        requireTool("curl");
        int port = freePort();
        start(port);
        goalStateFailures.set(100);
        Run run = finish(dir, launch(dir, port, "curl", 2));
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.stderr()).contains("giving up after 2 attempts");
        assertThat(requests).noneMatch(r -> r.method().equals("POST"));
        assertThat(run.stubLog()).doesNotContain("systemctl");
    }

    static String text(Document d, String tag) {
        return d.getElementsByTagName(tag).item(0).getTextContent();
    }
}
