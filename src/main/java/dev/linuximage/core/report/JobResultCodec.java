package dev.linuximage.core.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Compact JSON of a {@link JobResult} that always fits a Kubernetes termination message ({@value #MAX_BYTES} bytes,
 * the kubelet's limit per container), and its parser.
 * <p>
 * Fitting is deterministic: texts are first capped (finding messages {@value #FINDING_MESSAGE_CHARS} characters,
 * evidence {@value #EVIDENCE_CHARS}, the message {@value #MESSAGE_CHARS}); then findings are dropped from the least
 * severe end (counted in {@code compliance.omitted}); then the message is cut further; as a last resort only
 * schema, outcome, reason and the flag remain. Any cut sets {@code truncated}. The summary counts are never cut.
 * <p>
 * Uses Jackson's tree model only (no data binding), so it needs no reflection in a native image.
 */
public final class JobResultCodec {

    /** The kubelet keeps at most this many bytes of a termination message. */
    public static final int MAX_BYTES = 4096;

    static final int MESSAGE_CHARS = 512;
    static final int FINDING_MESSAGE_CHARS = 160;
    static final int EVIDENCE_CHARS = 120;
    static final int SHORT_TEXT_CHARS = 1024;

    private static final ObjectMapper JSON = new ObjectMapper();

    private JobResultCodec() {}

    /** Serialises {@code result} to compact JSON of at most {@link #MAX_BYTES} UTF-8 bytes. */
    public static String write(JobResult result) {
        return write(result, MAX_BYTES);
    }

    static String write(JobResult result, int maxBytes) {
        boolean[] cut = {result.truncated()};
        List<JobResult.CompactFinding> findings = new ArrayList<>();
        int omitted = 0;
        if (result.compliance() != null) {
            omitted = result.compliance().omitted();
            for (JobResult.CompactFinding f : result.compliance().findings()) {
                findings.add(new JobResult.CompactFinding(
                        cap(f.id(), 64, cut),
                        f.status(),
                        cap(f.message(), FINDING_MESSAGE_CHARS, cut),
                        cap(f.evidence(), EVIDENCE_CHARS, cut)));
            }
            findings.sort(JobResult.CompactFinding.SEVERITY_ORDER);
        }
        String message = cap(result.message(), MESSAGE_CHARS, cut);
        String json = render(result, message, findings, omitted, cut[0]);
        if (utf8Length(json) <= maxBytes) {
            return json;
        }
        // Too big: keep the longest most-severe-first prefix of the findings that fits. The length grows with the
        // prefix, so a binary search finds it in O(log n) renderings.
        int lo = 0;
        int hi = findings.size() - 1;
        String best = null;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            String candidate = render(result, message, findings.subList(0, mid), omitted + findings.size() - mid, true);
            if (utf8Length(candidate) <= maxBytes) {
                best = candidate;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        if (best != null) {
            return best;
        }
        // Not even without findings: shorten the message, then give up on everything but the head.
        int allOmitted = omitted + findings.size();
        json = render(result, cap(message, 64, cut), List.of(), allOmitted, true);
        return utf8Length(json) <= maxBytes ? json : renderMinimal(result);
    }

    /** Writes the JSON into {@code out} as UTF-8. */
    public static byte[] writeBytes(JobResult result) {
        return write(result).getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Parses a termination message. Unknown fields are ignored (a newer core may add some); the schema must be
     * {@link JobResult#SCHEMA} or a later {@code v1.x}.
     *
     * @throws IllegalArgumentException naming what is wrong when the text is not a result of this schema
     */
    public static JobResult parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("empty result");
        }
        JsonNode root;
        try {
            root = JSON.readTree(text.strip());
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("result is not JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("result is not a JSON object");
        }
        String schema = root.path("schema").asText(null);
        if (schema == null || !(schema.equals(JobResult.SCHEMA) || schema.startsWith(JobResult.SCHEMA + "."))) {
            throw new IllegalArgumentException(
                    "unsupported result schema '" + schema + "', expected " + JobResult.SCHEMA);
        }
        JobResult.Outcome outcome =
                enumOf(JobResult.Outcome.class, root.path("outcome").asText(null), "outcome");
        String reason = root.path("reason").asText(null);
        if (!ResultReasons.isValid(reason)) {
            throw new IllegalArgumentException("invalid result reason '" + reason + "'");
        }
        JsonNode s = root.path("stages");
        JobResult.Stages stages = new JobResult.Stages(
                bool(s, "converted"), bool(s, "patched"), bool(s, "compliant"), bool(s, "uploaded"));
        JobResult.Compliance compliance = null;
        JsonNode c = root.get("compliance");
        if (c != null && c.isObject()) {
            Map<FindingStatus, Integer> summary = new EnumMap<>(FindingStatus.class);
            c.path("summary").fields().forEachRemaining(e -> {
                FindingStatus st = enumOf(FindingStatus.class, e.getKey(), "compliance.summary key");
                summary.put(st, e.getValue().asInt());
            });
            List<JobResult.CompactFinding> list = new ArrayList<>();
            for (JsonNode f : c.path("findings")) {
                list.add(new JobResult.CompactFinding(
                        f.path("id").asText(null),
                        enumOf(FindingStatus.class, f.path("status").asText(null), "finding status"),
                        f.path("message").asText(null),
                        f.path("evidence").asText(null)));
            }
            compliance =
                    new JobResult.Compliance(summary, list, c.path("omitted").asInt(0));
        }
        List<String> generations = null;
        if (root.path("generations").isArray()) {
            generations = new ArrayList<>();
            for (JsonNode g : root.path("generations")) {
                generations.add(g.asText());
            }
        }
        JobResult.Output output = null;
        JsonNode o = root.get("output");
        if (o != null && o.isObject()) {
            output = new JobResult.Output(
                    o.path("path").asText(null),
                    longOrNull(o, "virtualSize"),
                    o.path("sha256").asText(null),
                    o.path("digest").asText(null));
        }
        JobResult.Upload upload = null;
        JsonNode u = root.get("upload");
        if (u != null && u.isObject()) {
            upload = new JobResult.Upload(
                    stripQuery(u.path("blobUrl").asText(null)),
                    longOrNull(u, "bytesSent"),
                    u.path("digest").asText(null));
        }
        JobResult.Os os = null;
        JsonNode g = root.get("os");
        if (g != null && g.isObject()) {
            os = new JobResult.Os(
                    g.path("id").asText(null),
                    g.path("versionId").asText(null),
                    g.path("family").asText(null));
        }
        JobResult.Durations durations = null;
        JsonNode d = root.get("durations");
        if (d != null && d.isObject()) {
            durations = new JobResult.Durations(
                    seconds(d, "convert"), seconds(d, "patch"), seconds(d, "check"), seconds(d, "upload"));
            durations = durations.isEmpty() ? null : durations;
        }
        return new JobResult(
                schema,
                outcome,
                reason,
                root.path("message").asText(null),
                stages,
                compliance,
                generations,
                output,
                upload,
                root.path("truncated").asBoolean(false),
                os,
                durations);
    }

    private static String render(
            JobResult r, String message, List<JobResult.CompactFinding> findings, int omitted, boolean truncated) {
        ObjectNode root = head(r);
        if (message != null) {
            root.put("message", message);
        }
        JobResult.Stages st = r.stages() == null ? JobResult.Stages.NONE : r.stages();
        if (st.converted() != null || st.patched() != null || st.compliant() != null || st.uploaded() != null) {
            ObjectNode s = root.putObject("stages");
            putIf(s, "converted", st.converted());
            putIf(s, "patched", st.patched());
            putIf(s, "compliant", st.compliant());
            putIf(s, "uploaded", st.uploaded());
        }
        if (r.compliance() != null) {
            ObjectNode c = root.putObject("compliance");
            ObjectNode summary = c.putObject("summary");
            for (Map.Entry<FindingStatus, Integer> e : r.compliance().summary().entrySet()) {
                summary.put(e.getKey().name(), e.getValue());
            }
            ArrayNode list = c.putArray("findings");
            for (JobResult.CompactFinding f : findings) {
                ObjectNode n = list.addObject();
                n.put("id", f.id());
                n.put("status", f.status().name());
                if (f.message() != null) {
                    n.put("message", f.message());
                }
                if (f.evidence() != null) {
                    n.put("evidence", f.evidence());
                }
            }
            if (omitted > 0) {
                c.put("omitted", omitted);
            }
        }
        if (r.generations() != null) {
            ArrayNode g = root.putArray("generations");
            r.generations().stream().limit(4).forEach(x -> g.add(capQuiet(x, 16)));
        }
        if (r.os() != null) {
            // os-release values are guest-written: bounded like every other text of the message
            ObjectNode os = root.putObject("os");
            putIf(os, "id", capQuiet(r.os().id(), 64));
            putIf(os, "versionId", capQuiet(r.os().versionId(), 64));
            putIf(os, "family", capQuiet(r.os().family(), 16));
        }
        if (r.durations() != null && !r.durations().isEmpty()) {
            // at most 4 numbers of a few characters each: never what makes a result too big
            ObjectNode d = root.putObject("durations");
            putSeconds(d, "convert", r.durations().convert());
            putSeconds(d, "patch", r.durations().patch());
            putSeconds(d, "check", r.durations().check());
            putSeconds(d, "upload", r.durations().upload());
        }
        if (r.output() != null) {
            ObjectNode o = root.putObject("output");
            putIf(o, "path", capQuiet(r.output().path(), SHORT_TEXT_CHARS));
            if (r.output().virtualSize() != null) {
                o.put("virtualSize", r.output().virtualSize());
            }
            putIf(o, "sha256", capQuiet(r.output().sha256(), 128));
            putIf(o, "digest", capQuiet(r.output().digest(), 128));
        }
        if (r.upload() != null) {
            ObjectNode u = root.putObject("upload");
            putIf(u, "blobUrl", capQuiet(stripQuery(r.upload().blobUrl()), SHORT_TEXT_CHARS));
            if (r.upload().bytesSent() != null) {
                u.put("bytesSent", r.upload().bytesSent());
            }
            putIf(u, "digest", capQuiet(r.upload().digest(), 160));
        }
        if (truncated) {
            root.put("truncated", true);
        }
        return root.toString();
    }

    private static String renderMinimal(JobResult r) {
        ObjectNode root = head(r);
        root.put("truncated", true);
        return root.toString();
    }

    private static ObjectNode head(JobResult r) {
        ObjectNode root = JSON.createObjectNode();
        root.put("schema", JobResult.SCHEMA);
        root.put("outcome", (r.outcome() == null ? JobResult.Outcome.Failed : r.outcome()).name());
        root.put("reason", ResultReasons.isValid(r.reason()) ? r.reason() : ResultReasons.INTERNAL_ERROR);
        return root;
    }

    /** Removes a query string or fragment: a SAS token must never reach the status. */
    static String stripQuery(String url) {
        if (url == null) {
            return null;
        }
        int q = url.indexOf('?');
        int h = url.indexOf('#');
        int cut = q < 0 ? h : (h < 0 ? q : Math.min(q, h));
        return cut < 0 ? url : url.substring(0, cut);
    }

    private static void putIf(ObjectNode n, String field, Boolean v) {
        if (v != null) {
            n.put(field, v);
        }
    }

    private static void putIf(ObjectNode n, String field, String v) {
        if (v != null) {
            n.put(field, v);
        }
    }

    private static String capQuiet(String s, int chars) {
        return cap(s, chars, new boolean[1]);
    }

    /** Cuts to at most {@code chars} code points, marking an ellipsis; never splits a surrogate pair. */
    static String cap(String s, int chars, boolean[] cut) {
        if (s == null || s.codePointCount(0, s.length()) <= chars) {
            return s;
        }
        cut[0] = true;
        int end = s.offsetByCodePoints(0, Math.max(0, chars - 1));
        return s.substring(0, end) + "\u2026";
    }

    private static int utf8Length(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }

    private static Boolean bool(JsonNode n, String f) {
        JsonNode v = n.get(f);
        return v == null || v.isNull() ? null : v.asBoolean();
    }

    private static void putSeconds(ObjectNode n, String field, Double seconds) {
        Double s = plausible(seconds);
        if (s != null) {
            n.put(field, Math.round(s * 1000) / 1000.0);
        }
    }

    /** A step's duration as the pod wrote it: a number of seconds within bounds, else null (pod-written input). */
    private static Double seconds(JsonNode n, String f) {
        JsonNode v = n.get(f);
        return v == null || !v.isNumber() ? null : plausible(v.asDouble());
    }

    private static Double plausible(Double s) {
        return s == null || !Double.isFinite(s) || s < 0 || s > JobResult.Durations.MAX_SECONDS ? null : s;
    }

    private static Long longOrNull(JsonNode n, String f) {
        JsonNode v = n.get(f);
        return v == null || !v.canConvertToLong() ? null : v.asLong();
    }

    private static <E extends Enum<E>> E enumOf(Class<E> type, String value, String field) {
        if (value != null) {
            for (E e : type.getEnumConstants()) {
                if (e.name().equals(value)) {
                    return e;
                }
            }
        }
        throw new IllegalArgumentException("invalid " + field + " '" + value + "'");
    }
}
