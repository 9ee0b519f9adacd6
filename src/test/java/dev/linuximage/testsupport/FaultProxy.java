package dev.linuximage.testsupport;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A small HTTP/1.1 proxy on loopback in front of Azurite that injects faults and counts what the client sends.
 * Each request is forwarded on its own upstream connection with {@code Connection: close} (requests and responses
 * are rewritten so), which keeps the proxy free of response parsing. Faults, each drawn per request with its own
 * probability: reset the connection half-way through the request body (TCP RST), answer 503 ServerBusy (after
 * reading the body), or delay the request. Counts Put Page (update) body bytes received from the client, whether
 * or not the request then failed: that is what the uploader "sent".
 *
 * <p>Targeted faults ({@link #inject}): a {@link Rule} matches requests by a predicate on the method, the request
 * target and the headers, and applies to the next {@code times} matching requests one fault: an HTTP status with an
 * Azure error body (optionally with {@code Retry-After}), a reset half-way through the request body, a connection
 * drop half-way through the response body (the headers went out, then TCP RST), or one flipped byte in the middle of
 * the request body forwarded with its headers unchanged (data damaged in transit), the request's {@code Content-MD5}
 * removed (a hop that drops the header), or the {@code Content-MD5} / {@code x-ms-content-crc64} of the response
 * replaced by another valid value (an answer changed on the way); {@link #inject(java.util.function.Predicate, int,
 * Kind, Kind...)} combines several on one request. Every request is logged
 * ({@link #seen}) with its arrival time, range header and the fault applied, so a test can count the retries on the
 * wire itself.
 */
public final class FaultProxy implements AutoCloseable {
    private final int upstreamPort;
    private final ServerSocket server;
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "fault-proxy");
        t.setDaemon(true);
        return t;
    });
    private final Random random = new Random(42);
    public volatile double resetFraction;
    public volatile double busyFraction;
    public volatile double delayFraction;
    public volatile int delayMillis = 300;
    public final AtomicLong pageBytes = new AtomicLong();
    public final AtomicLong maxPageBody = new AtomicLong();
    public final AtomicLong pagePuts = new AtomicLong();
    public final AtomicLong requests = new AtomicLong();
    public final AtomicLong resets = new AtomicLong();
    public final AtomicLong busies = new AtomicLong();
    public final AtomicLong delays = new AtomicLong();
    public volatile String lastAuthorization;
    /** When set, the first body byte of every ranged blob read (GET without comp=) longer than one page is flipped. */
    public volatile boolean corruptRangedReads;

    public final AtomicLong corruptedReads = new AtomicLong();

    /** What a {@link Rule} does to a request it matches. */
    public enum Kind {
        STATUS,
        RESET_REQUEST,
        DROP_RESPONSE_BODY,
        /** Forwards the request with the byte in the middle of its body flipped (XOR 0x01), headers untouched. */
        CORRUPT_REQUEST_BODY,
        /** Forwards the request without its {@code Content-MD5} header (the service then has nothing to check). */
        STRIP_REQUEST_CONTENT_MD5,
        /** Forwards the answer with the first byte of its base64 {@code Content-MD5} value's bytes flipped. */
        REWRITE_RESPONSE_CONTENT_MD5,
        /** Forwards the answer with the first byte of its base64 {@code x-ms-content-crc64} value's bytes flipped. */
        REWRITE_RESPONSE_CRC64
    }

    /** One request as the proxy saw it: method, target (path and query), the lower-cased headers. */
    public record Request(String method, String target, java.util.Map<String, String> headers) {
        public String header(String lowerName) {
            return headers.get(lowerName);
        }

        /** The byte range asked for: {@code x-ms-range} or {@code Range}, or null. */
        public String range() {
            String r = headers.get("x-ms-range");
            return r != null ? r : headers.get("range");
        }

        /** A Put Page (update) request. */
        public boolean isPutPage() {
            return method.equals("PUT")
                    && target.contains("comp=page")
                    && "update".equalsIgnoreCase(String.valueOf(headers.get("x-ms-page-write")));
        }

        /** A ranged Get Blob (what read-back verification sends). */
        public boolean isRangedRead() {
            return method.equals("GET") && !target.contains("comp=") && range() != null;
        }
    }

    /** A request seen: arrival time (System.nanoTime), the request, and the fault applied ("" for none). */
    public record Seen(long nanos, Request request, String fault) {}

    /**
     * A fault for the next {@code times} requests matching {@code match} ({@code times < 0}: every one).
     * {@code applied} counts the requests it was applied to.
     */
    public static final class Rule {
        final java.util.function.Predicate<Request> match;
        final Kind kind;
        final java.util.Set<Kind> kinds;
        final int status;
        final String errorCode;
        final String retryAfter;
        final java.util.concurrent.atomic.AtomicInteger left;
        public final java.util.concurrent.atomic.AtomicInteger applied =
                new java.util.concurrent.atomic.AtomicInteger();

        Rule(
                java.util.function.Predicate<Request> match,
                Kind kind,
                int status,
                String errorCode,
                String retryAfter,
                int times) {
            this(match, java.util.EnumSet.of(kind), status, errorCode, retryAfter, times);
        }

        Rule(
                java.util.function.Predicate<Request> match,
                java.util.Set<Kind> kinds,
                int status,
                String errorCode,
                String retryAfter,
                int times) {
            this.match = match;
            this.kinds = java.util.Set.copyOf(kinds);
            this.kind = kinds.iterator().next();
            this.status = status;
            this.errorCode = errorCode;
            this.retryAfter = retryAfter;
            this.left = new java.util.concurrent.atomic.AtomicInteger(times);
        }

        boolean take(Request r) {
            if (!match.test(r)) {
                return false;
            }
            while (true) {
                int n = left.get();
                if (n == 0) {
                    return false;
                }
                if (n < 0 || left.compareAndSet(n, n - 1)) {
                    applied.incrementAndGet();
                    return true;
                }
            }
        }

        boolean has(Kind k) {
            return kinds.contains(k);
        }

        String describe() {
            return kind == Kind.STATUS
                    ? Integer.toString(status)
                    : kinds.stream().map(Kind::name).sorted().collect(java.util.stream.Collectors.joining("+"));
        }
    }

    private final java.util.concurrent.CopyOnWriteArrayList<Rule> rules =
            new java.util.concurrent.CopyOnWriteArrayList<>();
    public final java.util.concurrent.ConcurrentLinkedQueue<Seen> seen =
            new java.util.concurrent.ConcurrentLinkedQueue<>();

    /** Answers the next {@code times} matching requests with {@code status} (error code, optional Retry-After). */
    public Rule injectStatus(
            java.util.function.Predicate<Request> match, int status, String errorCode, String retryAfter, int times) {
        Rule r = new Rule(match, Kind.STATUS, status, errorCode, retryAfter, times);
        rules.add(r);
        return r;
    }

    /** Resets ({@link Kind#RESET_REQUEST}) or drops mid-response ({@link Kind#DROP_RESPONSE_BODY}) the next ones. */
    public Rule inject(java.util.function.Predicate<Request> match, Kind kind, int times) {
        Rule r = new Rule(match, kind, 0, null, null, times);
        rules.add(r);
        return r;
    }

    /** Applies all the given kinds (e.g. strip the request's Content-MD5 and corrupt its body) to the next ones. */
    public Rule inject(java.util.function.Predicate<Request> match, int times, Kind first, Kind... more) {
        java.util.EnumSet<Kind> kinds = java.util.EnumSet.of(first, more);
        if (kinds.contains(Kind.STATUS) || kinds.contains(Kind.RESET_REQUEST)) {
            throw new IllegalArgumentException("STATUS and RESET_REQUEST answer instead of forwarding: use alone");
        }
        Rule r = new Rule(match, kinds, 0, null, null, times);
        rules.add(r);
        return r;
    }

    /** Requests matching this are held {@link #throttleMillis} before being forwarded (a slow link); null: none. */
    public volatile java.util.function.Predicate<Request> throttle;

    public volatile int throttleMillis;

    public void clearRules() {
        rules.clear();
    }

    private Rule ruleFor(Request r) {
        for (Rule rule : rules) {
            if (rule.take(r)) {
                return rule;
            }
        }
        return null;
    }

    public FaultProxy(int upstreamPort) throws IOException {
        this.upstreamPort = upstreamPort;
        this.server = new ServerSocket(0, 128, InetAddress.getLoopbackAddress());
        threads.execute(this::acceptLoop);
    }

    public int port() {
        return server.getLocalPort();
    }

    public String blobEndpoint() {
        return "http://127.0.0.1:" + port() + "/" + AzuriteExtension.ACCOUNT;
    }

    public void faults(double reset, double busy, double delay) {
        resetFraction = reset;
        busyFraction = busy;
        delayFraction = delay;
    }

    private synchronized double draw() {
        return random.nextDouble();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket c = server.accept();
                threads.execute(() -> handle(c));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void handle(Socket client) {
        try (client) {
            InputStream in = client.getInputStream();
            String head = readHead(in);
            if (head == null) {
                return;
            }
            requests.incrementAndGet();
            String[] lines = head.split("\r\n");
            String requestLine = lines[0];
            long contentLength = 0;
            long rangeLength = -1;
            boolean pageUpdate = false;
            StringBuilder rewritten = new StringBuilder(requestLine).append("\r\n");
            java.util.Map<String, String> headers = new java.util.HashMap<>();
            for (int i = 1; i < lines.length; i++) {
                String l = lines[i];
                String lower = l.toLowerCase(Locale.ROOT);
                int colon = l.indexOf(':');
                if (colon > 0) {
                    headers.put(
                            lower.substring(0, colon).trim(),
                            l.substring(colon + 1).trim());
                }
                if (lower.startsWith("content-length:")) {
                    contentLength = Long.parseLong(l.substring(15).trim());
                } else if (lower.startsWith("transfer-encoding:")) {
                    throw new IOException("chunked request bodies are not supported by this proxy");
                } else if (lower.startsWith("x-ms-page-write:") && lower.contains("update")) {
                    pageUpdate = true;
                } else if (lower.startsWith("authorization:")) {
                    lastAuthorization = l.substring(14).trim();
                } else if (lower.startsWith("x-ms-range:") || lower.startsWith("range:")) {
                    rangeLength = rangeLength(lower);
                }
                if (lower.startsWith("connection:")) {
                    continue;
                }
                rewritten.append(l).append("\r\n");
            }
            rewritten.append("Connection: close\r\n\r\n");
            boolean isPage = pageUpdate && requestLine.startsWith("PUT ") && requestLine.contains("comp=page");
            if (isPage) {
                pagePuts.incrementAndGet();
                maxPageBody.accumulateAndGet(contentLength, Math::max);
            }
            String[] rl = requestLine.split(" ");
            Request request = new Request(rl[0], rl.length > 1 ? rl[1] : "", java.util.Map.copyOf(headers));
            Rule rule = ruleFor(request);
            seen.add(new Seen(System.nanoTime(), request, rule == null ? "" : rule.describe()));
            if (rule != null && rule.has(Kind.RESET_REQUEST)) {
                resets.incrementAndGet();
                long got = skip(in, contentLength / 2);
                if (isPage) {
                    pageBytes.addAndGet(got);
                }
                client.setSoLinger(true, 0); // RST on close
                return;
            }
            if (rule != null && rule.has(Kind.STATUS)) {
                long got = skip(in, contentLength);
                if (isPage) {
                    pageBytes.addAndGet(got);
                }
                byte[] body = ("<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>" + rule.errorCode
                                + "</Code><Message>Injected by the test proxy.</Message></Error>")
                        .getBytes(StandardCharsets.UTF_8);
                boolean isHead = request.method().equals("HEAD");
                OutputStream out = client.getOutputStream();
                out.write(("HTTP/1.1 " + rule.status + " Injected\r\nContent-Type: application/xml\r\n"
                                + "x-ms-error-code: " + rule.errorCode + "\r\n"
                                + (rule.retryAfter == null ? "" : "Retry-After: " + rule.retryAfter + "\r\n")
                                + "Content-Length: " + body.length + "\r\nConnection: close\r\n\r\n")
                        .getBytes(StandardCharsets.ISO_8859_1));
                if (!isHead) {
                    out.write(body);
                }
                out.flush();
                return;
            }
            java.util.function.Predicate<Request> slow = throttle;
            if (slow != null && slow.test(request)) {
                Thread.sleep(throttleMillis);
            }
            double d = rule != null ? 1.0 : draw();
            if (d < resetFraction) {
                resets.incrementAndGet();
                long half = contentLength / 2;
                long got = skip(in, half);
                if (isPage) {
                    pageBytes.addAndGet(got);
                }
                client.setSoLinger(true, 0); // RST on close
                return;
            }
            if (d < resetFraction + busyFraction) {
                busies.incrementAndGet();
                long got = skip(in, contentLength);
                if (isPage) {
                    pageBytes.addAndGet(got);
                }
                byte[] body = ("<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>ServerBusy</Code><Message>"
                                + "The server is busy.</Message></Error>")
                        .getBytes(StandardCharsets.UTF_8);
                OutputStream out = client.getOutputStream();
                out.write(("HTTP/1.1 503 The server is busy.\r\nContent-Type: application/xml\r\n"
                                + "x-ms-error-code: ServerBusy\r\nContent-Length: " + body.length
                                + "\r\nConnection: close\r\n\r\n")
                        .getBytes(StandardCharsets.ISO_8859_1));
                out.write(body);
                out.flush();
                return;
            }
            if (d < resetFraction + busyFraction + delayFraction) {
                delays.incrementAndGet();
                Thread.sleep(delayMillis);
            }
            try (Socket up = new Socket(InetAddress.getLoopbackAddress(), upstreamPort)) {
                OutputStream uo = up.getOutputStream();
                String headOut = rewritten.toString();
                if (rule != null && rule.has(Kind.STRIP_REQUEST_CONTENT_MD5)) {
                    headOut = withoutHeader(headOut, "content-md5");
                }
                uo.write(headOut.getBytes(StandardCharsets.ISO_8859_1));
                byte[] buf = new byte[65536];
                long left = contentLength;
                long flipAt = rule != null && rule.has(Kind.CORRUPT_REQUEST_BODY) ? contentLength / 2 : -1;
                while (left > 0) {
                    int n = in.read(buf, 0, (int) Math.min(buf.length, left));
                    if (n < 0) {
                        return;
                    }
                    long at = contentLength - left; // body offset of buf[0]
                    if (flipAt >= at && flipAt < at + n) {
                        buf[(int) (flipAt - at)] ^= 0x01;
                    }
                    if (isPage) {
                        pageBytes.addAndGet(n);
                    }
                    uo.write(buf, 0, n);
                    left -= n;
                }
                uo.flush();
                InputStream ui = up.getInputStream();
                String rhead = readHead(ui);
                if (rhead == null) {
                    return;
                }
                StringBuilder rh = new StringBuilder();
                for (String l : rhead.split("\r\n")) {
                    String lower = l.toLowerCase(Locale.ROOT);
                    if (rule != null
                            && rule.has(Kind.REWRITE_RESPONSE_CONTENT_MD5)
                            && lower.startsWith("content-md5:")) {
                        l = "Content-MD5: "
                                + flipFirstByte(l.substring(l.indexOf(':') + 1).trim());
                    } else if (rule != null
                            && rule.has(Kind.REWRITE_RESPONSE_CRC64)
                            && lower.startsWith("x-ms-content-crc64:")) {
                        l = "x-ms-content-crc64: "
                                + flipFirstByte(l.substring(l.indexOf(':') + 1).trim());
                    }
                    if (!lower.startsWith("connection:") && !lower.startsWith("keep-alive:")) {
                        rh.append(l).append("\r\n");
                    }
                }
                rh.append("Connection: close\r\n\r\n");
                OutputStream co = client.getOutputStream();
                co.write(rh.toString().getBytes(StandardCharsets.ISO_8859_1));
                if (rule != null && rule.has(Kind.DROP_RESPONSE_BODY)) {
                    long len = responseLength(rhead);
                    long half = len > 0 ? len / 2 : 0;
                    byte[] b = new byte[65536];
                    long sent = 0;
                    while (sent < half) {
                        int n = ui.read(b, 0, (int) Math.min(b.length, half - sent));
                        if (n < 0) {
                            break;
                        }
                        co.write(b, 0, n);
                        sent += n;
                    }
                    co.flush();
                    client.setSoLinger(true, 0); // RST: the body stops half-way
                    return;
                }
                boolean blobRead = requestLine.startsWith("GET ") && !requestLine.contains("comp=");
                if (corruptRangedReads && blobRead && rangeLength > 512 && rhead.startsWith("HTTP/1.1 20")) {
                    int first = ui.read();
                    if (first >= 0) {
                        corruptedReads.incrementAndGet();
                        co.write(first ^ 0x01);
                    }
                }
                ui.transferTo(co);
                co.flush();
            }
        } catch (IOException | InterruptedException | RuntimeException e) {
            // the client sees a broken connection: that is a fault too
        }
    }

    /** A request head (CRLF lines) without the header {@code lowerName}. */
    private static String withoutHeader(String head, String lowerName) {
        StringBuilder out = new StringBuilder();
        for (String l : head.split("\r\n", -1)) {
            if (!l.toLowerCase(Locale.ROOT).startsWith(lowerName + ":")) {
                out.append(l).append("\r\n");
            }
        }
        return out.substring(0, out.length() - 2);
    }

    /** The base64 value with its first decoded byte flipped (XOR 0x01), re-encoded: valid, and different. */
    private static String flipFirstByte(String base64) {
        byte[] b = java.util.Base64.getDecoder().decode(base64);
        b[0] ^= 0x01;
        return java.util.Base64.getEncoder().encodeToString(b);
    }

    private static long responseLength(String head) {
        for (String l : head.split("\r\n")) {
            if (l.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                return Long.parseLong(l.substring(15).trim());
            }
        }
        return -1;
    }

    /** The length of a {@code bytes=a-b} range header line (lower-cased), or -1. */
    private static long rangeLength(String headerLine) {
        int eq = headerLine.indexOf("bytes=");
        int dash = headerLine.indexOf('-', eq);
        if (eq < 0 || dash < 0) {
            return -1;
        }
        try {
            long a = Long.parseLong(headerLine.substring(eq + 6, dash).trim());
            long b = Long.parseLong(headerLine.substring(dash + 1).trim());
            return b - a + 1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static long skip(InputStream in, long n) throws IOException {
        byte[] buf = new byte[65536];
        long got = 0;
        while (got < n) {
            int k = in.read(buf, 0, (int) Math.min(buf.length, n - got));
            if (k < 0) {
                break;
            }
            got += k;
        }
        return got;
    }

    /** Reads up to and including CRLFCRLF; returns the head without it, or null at EOF. */
    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream(1024);
        int state = 0;
        while (true) {
            int c = in.read();
            if (c < 0) {
                return null;
            }
            b.write(c);
            state = (c == '\r' && (state == 0 || state == 2))
                    ? state + 1
                    : (c == '\n' && (state == 1 || state == 3)) ? state + 1 : 0;
            if (state == 4) {
                String s = b.toString(StandardCharsets.ISO_8859_1);
                return s.substring(0, s.length() - 4);
            }
            if (b.size() > 65536) {
                throw new IOException("request head too large");
            }
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        threads.shutdownNow();
    }
}
