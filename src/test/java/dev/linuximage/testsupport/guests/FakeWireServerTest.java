package dev.linuximage.testsupport.guests;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fake wireserver, reached exactly as a guest reaches it: through the per-connection relay command that
 * slirp's {@code guestfwd=...-cmd:} runs (the guest socket is the command's stdin and stdout).
 */
class FakeWireServerTest {

    /** Sends one raw HTTP request through the relay, returns everything until EOF (the relay must end it). */
    private static String viaRelay(Path relay, int port, String request) throws Exception {
        Process p = new ProcessBuilder(relay.toString(), Integer.toString(port)).start();
        try (OutputStream guest = p.getOutputStream()) {
            guest.write(request.getBytes(StandardCharsets.ISO_8859_1));
            guest.flush();
            // The guest keeps its side open, as an HTTP client does while it reads the answer.
            byte[] answer = p.getInputStream().readAllBytes();
            assertThat(p.waitFor(10, TimeUnit.SECONDS))
                    .as("relay ends when the server closes")
                    .isTrue();
            return new String(answer, StandardCharsets.UTF_8);
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void goalStateThroughTheGuestfwdRelay(@TempDir Path dir) throws Exception {
        try (FakeWireServer wire = FakeWireServer.start()) {
            Path relay = QemuBoot.writeWireRelay(dir);
            String answer = viaRelay(
                    relay,
                    wire.port(),
                    "GET /machine/?comp=goalstate HTTP/1.1\r\n"
                            + "Host: 168.63.129.16\r\nx-ms-version: 2012-11-30\r\n\r\n");
            assertThat(answer)
                    .startsWith("HTTP/1.1 200")
                    .contains("<Incarnation>1</Incarnation>")
                    .contains("<ContainerId>" + wire.containerId() + "</ContainerId>")
                    .contains("<InstanceId>" + wire.instanceId() + "</InstanceId>");
            assertThat(wire.requests())
                    .singleElement()
                    .satisfies(r -> assertThat(r.versionHeader()).isEqualTo("2012-11-30"));
        }
    }

    /** What the Azure Linux Agent fetches after the goal state: the two documents it names, then vmSettings. */
    @Test
    void configurationDocumentsTheGoalStateNamesAreServed(@TempDir Path dir) throws Exception {
        try (FakeWireServer wire = FakeWireServer.start()) {
            Path relay = QemuBoot.writeWireRelay(dir);
            String gs = wire.goalStateXml();
            for (String type : new String[] {"hostingEnvironmentConfig", "sharedConfig"}) {
                java.util.regex.Matcher m = java.util.regex.Pattern.compile(
                                "http://168\\.63\\.129\\.16:80(/machine/[^<]*type=" + type + "[^<]*)")
                        .matcher(gs);
                assertThat(m.find())
                        .as("goal state names the %s document", type)
                        .isTrue();
                String path = m.group(1).replace("&amp;", "&");
                String answer = viaRelay(
                        relay,
                        wire.port(),
                        "GET " + path + " HTTP/1.1\r\nHost: 168.63.129.16\r\n" + "x-ms-version: 2012-11-30\r\n\r\n");
                assertThat(answer)
                        .startsWith("HTTP/1.1 200")
                        .contains(type.equals("sharedConfig") ? "<SharedConfig" : "<HostingEnvironmentConfig")
                        .contains("<Deployment name=\"" + wire.containerId() + "\"");
            }
            // HostGAPlugin (port 32526, forwarded here too): 404 means "no FastTrack", so the agent uses the goal state
            String vm = viaRelay(relay, wire.port(), "GET /vmSettings HTTP/1.1\r\nHost: 168.63.129.16:32526\r\n\r\n");
            assertThat(vm).startsWith("HTTP/1.1 404");
        }
    }

    @Test
    void healthReportIsRecordedAndAwaitable(@TempDir Path dir) throws Exception {
        try (FakeWireServer wire = FakeWireServer.start()) {
            Path relay = QemuBoot.writeWireRelay(dir);
            String body = "<Health><GoalStateIncarnation>1</GoalStateIncarnation><Container><ContainerId>"
                    + wire.containerId() + "</ContainerId></Container></Health>";
            String answer = viaRelay(
                    relay,
                    wire.port(),
                    "POST /machine?comp=health HTTP/1.1\r\nHost: 168.63.129.16\r\n"
                            + "x-ms-version: 2012-11-30\r\nContent-Type: text/xml; charset=utf-8\r\nContent-Length: "
                            + body.length() + "\r\n\r\n" + body);
            assertThat(answer).startsWith("HTTP/1.1 200");
            assertThat(wire.awaitHealthReport(Duration.ofSeconds(5))).isEqualTo(body);
            assertThat(wire.awaitHealthReport(r -> r.contains("<ContainerId>"), Duration.ofSeconds(5)))
                    .isEqualTo(body);
            org.assertj.core.api.Assertions.assertThatThrownBy(() ->
                            wire.awaitHealthReport(r -> r.contains("<State>Ready</State>"), Duration.ofMillis(200)))
                    .isInstanceOf(AssertionError.class)
                    .hasMessageContaining("no health report");
        }
    }

    @Test
    void machineRequestsWithoutVersionHeaderAreRefusedLikeTheRealOne(@TempDir Path dir) throws Exception {
        try (FakeWireServer wire = FakeWireServer.start()) {
            Path relay = QemuBoot.writeWireRelay(dir);
            String answer = viaRelay(
                    relay, wire.port(), "GET /machine/?comp=goalstate HTTP/1.1\r\nHost: 168.63.129.16\r\n\r\n");
            assertThat(answer).startsWith("HTTP/1.1 400");
            assertThat(wire.healthReports()).isEmpty();
        }
    }

    @Test
    void awaitHealthReportFailsWhenNoneCame() throws IOException {
        try (FakeWireServer wire = FakeWireServer.start()) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> wire.awaitHealthReport(Duration.ofMillis(200)))
                    .isInstanceOf(AssertionError.class)
                    .hasMessageContaining("no health report");
        }
    }
}
