package dev.linuximage.testsupport.guests;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Predicate;

/**
 * A fake Azure wireserver (168.63.129.16:80 inside the guest, reached through QEMU's slirp {@code guestfwd}) on
 * a loopback port of the host.
 *
 * <p>It answers what a provisioning agent or an agent-less "report ready" unit asks:
 * {@code GET /?comp=versions}, {@code GET /machine/?comp=goalstate} (a GoalState with Incarnation, ContainerId and
 * one RoleInstance/InstanceId, whose Configuration names the HostingEnvironmentConfig and SharedConfig documents
 * that the Azure Linux Agent fetches before it reports; both are served too) and records every request, in
 * particular the bodies of
 * {@code POST /machine?comp=health} (the ready report). Like the real wireserver, requests under {@code /machine}
 * without an {@code x-ms-version} header get 400 (switch off with {@link #requireVersionHeader(boolean)}).
 * Request bodies are capped at 1 MiB.
 */
public final class FakeWireServer implements AutoCloseable {
    /** One request the guest made. */
    public record Request(String method, String uri, String versionHeader, String body) {
        public boolean isHealthReport() {
            return method.equals("POST") && uri.startsWith("/machine") && uri.contains("comp=health");
        }
    }

    private static final int MAX_BODY = 1 << 20;

    private final HttpServer server;
    private final ExecutorService executor;
    private final String containerId = UUID.randomUUID().toString();
    private final String instanceId = UUID.randomUUID() + "._fixture";
    private final int incarnation = 1;
    private final List<Request> requests = new ArrayList<>();
    private volatile boolean requireVersionHeader = true;

    private FakeWireServer(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    /** Starts the server on 127.0.0.1 on a free port. */
    public static FakeWireServer start() throws IOException {
        HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        ExecutorService ex = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "fake-wireserver");
            t.setDaemon(true);
            return t;
        });
        FakeWireServer w = new FakeWireServer(s, ex);
        s.createContext("/", w::handle);
        s.setExecutor(ex);
        s.start();
        return w;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    public String containerId() {
        return containerId;
    }

    public String instanceId() {
        return instanceId;
    }

    public int incarnation() {
        return incarnation;
    }

    public FakeWireServer requireVersionHeader(boolean require) {
        this.requireVersionHeader = require;
        return this;
    }

    /** All requests so far, in arrival order. */
    public synchronized List<Request> requests() {
        return List.copyOf(requests);
    }

    /** Bodies of the health (ready) reports posted so far. */
    public synchronized List<String> healthReports() {
        return requests.stream()
                .filter(Request::isHealthReport)
                .map(Request::body)
                .toList();
    }

    /** Waits until a health report has been posted; fails with the requests seen so far otherwise. */
    public String awaitHealthReport(Duration timeout) throws InterruptedException {
        return awaitHealthReport(body -> true, timeout);
    }

    /** Waits until a health report matching {@code which} has been posted (e.g. Ready after NotReady reports). */
    public String awaitHealthReport(Predicate<String> which, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (this) {
            while (true) {
                List<String> reports = healthReports().stream().filter(which).toList();
                if (!reports.isEmpty()) {
                    return reports.get(0);
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError("no health report within " + timeout + "; requests: " + requests);
                }
                wait(Math.max(1, left / 1_000_000));
            }
        }
    }

    /** The GoalState document served for {@code GET /machine/?comp=goalstate}. */
    public String goalStateXml() {
        return """
                <?xml version="1.0" encoding="utf-8"?>
                <GoalState xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" \
                xsi:noNamespaceSchemaLocation="goalstate10.xsd">
                  <Version>2012-11-30</Version>
                  <Incarnation>%d</Incarnation>
                  <Machine>
                    <ExpectedState>Started</ExpectedState>
                    <StopRolesDeadlineHint>300000</StopRolesDeadlineHint>
                    <LBProbePorts><Port>16001</Port></LBProbePorts>
                    <ExpectHealthReport>FALSE</ExpectHealthReport>
                  </Machine>
                  <Container>
                    <ContainerId>%s</ContainerId>
                    <RoleInstanceList>
                      <RoleInstance>
                        <InstanceId>%s</InstanceId>
                        <State>Started</State>
                        <Configuration>
                          <HostingEnvironmentConfig>http://168.63.129.16:80/machine/%s/%s?comp=config&amp;\
                type=hostingEnvironmentConfig&amp;incarnation=%d</HostingEnvironmentConfig>
                          <SharedConfig>http://168.63.129.16:80/machine/%s/%s?comp=config&amp;type=sharedConfig&amp;\
                incarnation=%d</SharedConfig>
                          <ConfigName>%s.1.%s.1.xml</ConfigName>
                        </Configuration>
                      </RoleInstance>
                    </RoleInstanceList>
                  </Container>
                </GoalState>
                """.formatted(
                        incarnation,
                        containerId,
                        instanceId,
                        containerId,
                        instanceId,
                        incarnation,
                        containerId,
                        instanceId,
                        incarnation,
                        containerId,
                        instanceId);
    }

    /** The HostingEnvironmentConfig document (the agent reads the VM, role and deployment names from it). */
    public String hostingEnvironmentXml() {
        return configDocument(
                "HostingEnvironmentConfig",
                "  <StoredCertificates />\n",
                "  <ApplicationSettings />\n  <ResourceReferences />\n");
    }

    /** The SharedConfig document (the agent keeps it as it is). */
    public String sharedConfigXml() {
        return configDocument("SharedConfig", "", """
                  <Instances>
                    <Instance id="fixture-vm" address="10.0.2.15">
                      <FaultDomains randomId="0" updateId="0" updateCount="0" />
                      <InputEndpoints />
                    </Instance>
                  </Instances>
                """);
    }

    /** A goal-state configuration document: its root, the deployment, incarnation and role, and extra elements. */
    private String configDocument(String root, String before, String after) {
        String id = containerId;
        return "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
                + "<" + root + " version=\"1.0.0.0\" goalStateIncarnation=\"" + incarnation + "\">\n" + before
                + """
                  <Deployment name="%s" guid="{%s}" incarnation="0" isNonCancellableTopologyChangeEnabled="false">
                    <Service name="fixture" guid="{00000000-0000-0000-0000-000000000000}" />
                    <ServiceInstance name="%s.0" guid="{%s}" />
                  </Deployment>
                  <Incarnation number="1" instance="fixture-vm" guid="{%s}" />
                  <Role guid="{%s}" name="fixture-vm" settleTimeSeconds="10" />
                """.formatted(id, id, id, id, id, id)
                + after + "</" + root + ">\n";
    }

    private static final String VERSIONS_XML = """
            <?xml version="1.0" encoding="utf-8"?>
            <Versions>
              <Preferred><Version>2015-04-05</Version></Preferred>
              <Supported><Version>2015-04-05</Version><Version>2012-11-30</Version></Supported>
            </Versions>
            """;

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String method = ex.getRequestMethod();
            String uri = ex.getRequestURI().toString();
            String version = ex.getRequestHeaders().getFirst("x-ms-version");
            String body = readCapped(ex.getRequestBody());
            synchronized (this) {
                requests.add(new Request(method, uri, version, body));
                notifyAll();
            }
            ex.getResponseHeaders().set("Connection", "close");
            if (uri.startsWith("/machine") && requireVersionHeader && version == null) {
                reply(ex, 400, "text/plain", "missing x-ms-version header\n");
            } else if (method.equals("GET") && uri.contains("comp=versions")) {
                reply(ex, 200, "text/xml; charset=utf-8", VERSIONS_XML);
            } else if (method.equals("GET") && uri.startsWith("/machine") && uri.contains("comp=goalstate")) {
                reply(ex, 200, "text/xml; charset=utf-8", goalStateXml());
            } else if (method.equals("GET")
                    && uri.startsWith("/machine")
                    && uri.contains("comp=config")
                    && uri.contains("type=hostingEnvironmentConfig")) {
                reply(ex, 200, "text/xml; charset=utf-8", hostingEnvironmentXml());
            } else if (method.equals("GET")
                    && uri.startsWith("/machine")
                    && uri.contains("comp=config")
                    && uri.contains("type=sharedConfig")) {
                reply(ex, 200, "text/xml; charset=utf-8", sharedConfigXml());
            } else if (uri.startsWith("/vmSettings")) {
                // the HostGAPlugin's port (32526) is forwarded here too: 404 says "no FastTrack", as older hosts do
                reply(ex, 404, "text/plain", "vmSettings not supported\n");
            } else if (method.equals("POST")
                    && uri.startsWith("/machine")
                    && (uri.contains("comp=health") || uri.contains("comp=telemetrydata"))) {
                reply(ex, 200, "text/plain", "");
            } else {
                reply(ex, 404, "text/plain", "not faked: " + method + " " + uri + "\n");
            }
        }
    }

    private static void reply(HttpExchange ex, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", type);
        ex.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        if (bytes.length > 0) {
            ex.getResponseBody().write(bytes);
        }
    }

    private static String readCapped(InputStream in) throws IOException {
        byte[] buf = in.readNBytes(MAX_BODY);
        return new String(buf, StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
