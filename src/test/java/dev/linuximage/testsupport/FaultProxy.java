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
            for (int i = 1; i < lines.length; i++) {
                String l = lines[i];
                String lower = l.toLowerCase(Locale.ROOT);
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
            double d = draw();
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
                        + "The server is busy.</Message></Error>").getBytes(StandardCharsets.UTF_8);
                OutputStream out = client.getOutputStream();
                out.write(("HTTP/1.1 503 The server is busy.\r\nContent-Type: application/xml\r\n"
                        + "x-ms-error-code: ServerBusy\r\nContent-Length: " + body.length
                        + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
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
                uo.write(rewritten.toString().getBytes(StandardCharsets.ISO_8859_1));
                byte[] buf = new byte[65536];
                long left = contentLength;
                while (left > 0) {
                    int n = in.read(buf, 0, (int) Math.min(buf.length, left));
                    if (n < 0) {
                        return;
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
                    if (!l.toLowerCase(Locale.ROOT).startsWith("connection:")
                            && !l.toLowerCase(Locale.ROOT).startsWith("keep-alive:")) {
                        rh.append(l).append("\r\n");
                    }
                }
                rh.append("Connection: close\r\n\r\n");
                OutputStream co = client.getOutputStream();
                co.write(rh.toString().getBytes(StandardCharsets.ISO_8859_1));
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
            state = (c == '\r' && (state == 0 || state == 2)) ? state + 1 : (c == '\n' && (state == 1 || state == 3)) ? state + 1 : 0;
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
