package dev.linuximage.core.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * JSON for reports and summaries, built as Jackson trees (no reflection: native-image friendly, and the field
 * order is fixed by this code, which keeps golden files stable).
 */
public final class ReportJson {
    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final JsonNodeFactory N = JsonNodeFactory.instance;

    private ReportJson() {}

    public static String toJson(ComplianceReport r) {
        ObjectNode o = N.objectNode();
        o.put("schema", r.schema());
        o.put("mode", r.mode());
        o.put("subject", r.subject());
        o.put("generatedAt", r.generatedAt() == null ? null : r.generatedAt().toString());
        ObjectNode g = o.putObject("guest");
        g.put("osId", r.guest().osId());
        g.put("versionId", r.guest().versionId());
        g.put("prettyName", r.guest().prettyName());
        g.put("family", r.guest().family());
        ArrayNode k = g.putArray("kernels");
        r.guest().kernels().forEach(k::add);
        o.put("imageKind", r.imageKind());
        o.put("provisioning", r.provisioning());
        ObjectNode gen = o.putObject("generations");
        gen.put("gen1", r.gen1());
        gen.put("gen2", r.gen2());
        o.set("summary", summaryNode(r.summary(), Integer.MAX_VALUE));
        ArrayNode tol = o.putArray("unknownTolerated");
        r.unknownTolerated().forEach(tol::add);
        ArrayNode fs = o.putArray("findings");
        r.findings().forEach(f -> fs.add(finding(f, Integer.MAX_VALUE)));
        ArrayNode cs = o.putArray("changes");
        for (ReportChange c : r.changes()) {
            ObjectNode cn = cs.addObject();
            cn.put("requirement", c.requirement());
            cn.put("path", c.path());
            cn.put("action", c.action());
            cn.put("before", c.before());
            cn.put("after", c.after());
        }
        ArrayNode es = o.putArray("errors");
        r.errors().forEach(es::add);
        return write(o) + "\n";
    }

    private static ObjectNode finding(Finding f, int maxText) {
        ObjectNode n = N.objectNode();
        n.put("id", f.id());
        n.put("status", f.status().name());
        n.put("message", cut(f.message(), maxText));
        ArrayNode ev = n.putArray("evidence");
        for (Evidence e : f.evidence()) {
            ObjectNode en = ev.addObject();
            en.put("file", e.file());
            if (e.line() != null) {
                en.put("line", e.line());
            }
            en.put("value", cut(e.value(), maxText));
        }
        n.put("repair", cut(f.repair(), maxText));
        return n;
    }

    private static ObjectNode summaryNode(ComplianceSummary s, int maxText) {
        ObjectNode n = N.objectNode();
        n.put("compliant", s.compliant());
        ObjectNode counts = n.putObject("counts");
        s.counts().forEach((k, v) -> counts.put(k.name(), v));
        return n;
    }

    /**
     * The compact summary for the operator (termination message): {@code schema}, {@code compliant}, counts, and
     * the attention findings as {@code {id, status, message}} (message without evidence), shortened until the
     * UTF-8 JSON fits {@code maxBytes}; findings that still do not fit are dropped and counted in {@code omitted}.
     */
    public static String summaryJson(ComplianceSummary s, int maxBytes) {
        for (int text : new int[] {300, 160, 80, 40, 0}) {
            ObjectNode n = summaryNode(s, text);
            n.put("schema", ComplianceReport.SCHEMA);
            ArrayNode att = n.putArray("attention");
            List<Finding> list = s.attention();
            int omitted = 0;
            for (Finding f : list) {
                ObjectNode fn = N.objectNode();
                fn.put("id", f.id());
                fn.put("status", f.status().name());
                if (text > 0) {
                    fn.put("message", cut(f.message(), text));
                }
                att.add(fn);
                if (bytes(n) > maxBytes - 32) {
                    att.remove(att.size() - 1);
                    omitted++;
                }
            }
            if (omitted > 0) {
                n.put("omitted", omitted);
            }
            if (omitted == 0 || text == 0) {
                String out = compact(n);
                if (out.getBytes(StandardCharsets.UTF_8).length <= maxBytes) {
                    return out;
                }
            }
        }
        ObjectNode n = summaryNode(s, 0);
        n.put("schema", ComplianceReport.SCHEMA);
        return compact(n);
    }

    private static int bytes(ObjectNode n) {
        return compact(n).getBytes(StandardCharsets.UTF_8).length;
    }

    private static String cut(String s, int max) {
        if (s == null || s.length() <= max) {
            return s;
        }
        return s.substring(0, Math.max(0, max - 3)) + "...";
    }

    private static String write(ObjectNode o) {
        try {
            return MAPPER.writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String compact(ObjectNode o) {
        try {
            return new ObjectMapper().writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
