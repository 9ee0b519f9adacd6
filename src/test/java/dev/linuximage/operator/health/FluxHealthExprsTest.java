package dev.linuximage.operator.health;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.cel.bundle.Cel;
import dev.cel.bundle.CelFactory;
import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.CelValidationResult;
import dev.cel.common.types.SimpleType;
import dev.cel.parser.CelStandardMacro;
import dev.linuximage.operator.admission.KubeCel;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Evaluates the {@code healthCheckExprs} of the shipped Flux example ({@code deploy/flux/kustomization.yaml}) with
 * cel-java against the recorded status objects, as kustomize-controller documents them: the object's top-level
 * fields are the variables ({@code metadata}, {@code status}...), the expressions are tried in the order
 * {@code inProgress}, {@code failed}, {@code current}, and the first that is true decides.
 */
class FluxHealthExprsTest {

    static final Path FILE = Path.of("deploy/flux/kustomization.yaml");

    static final Cel CEL = CelFactory.standardCelBuilder()
            .setStandardMacros(CelStandardMacro.STANDARD_MACROS)
            .addVar("apiVersion", SimpleType.DYN)
            .addVar("kind", SimpleType.DYN)
            .addVar("metadata", SimpleType.DYN)
            .addVar("spec", SimpleType.DYN)
            .addVar("status", SimpleType.DYN)
            .build();

    @SuppressWarnings("unchecked")
    static Map<String, String> expressions() throws Exception {
        Map<String, Object> k = new YAMLMapper().readValue(FILE.toFile(), Map.class);
        List<Map<String, Object>> exprs =
                (List<Map<String, Object>>) ((Map<String, Object>) k.get("spec")).get("healthCheckExprs");
        Map<String, Object> ours = exprs.stream()
                .filter(e ->
                        "LinuxImage".equals(e.get("kind")) && "linuximage.dev/v1alpha1".equals(e.get("apiVersion")))
                .findFirst()
                .orElseThrow();
        Map<String, String> out = new LinkedHashMap<>();
        for (String key : List.of("inProgress", "failed", "current")) {
            out.put(key, (String) ours.get(key));
        }
        return out;
    }

    static CelAbstractSyntaxTree compile(String expression) throws Exception {
        CelValidationResult r = CEL.compile(expression);
        assertThat(r.hasError())
                .as("%s: %s", expression, r.hasError() ? r.getErrorString() : "")
                .isFalse();
        return r.getAst();
    }

    /** The first of inProgress, failed, current that is true, as kstatus' status name; "none" if none is. */
    static String judge(Map<String, String> exprs, Map<String, Object> obj) throws Exception {
        Map<String, Object> vars = new LinkedHashMap<>();
        for (String v : List.of("apiVersion", "kind", "metadata", "spec", "status")) {
            if (obj.containsKey(v)) {
                vars.put(v, KubeCel.toCel(obj.get(v)));
            }
        }
        for (var e : exprs.entrySet()) {
            Object result = CEL.createProgram(compile(e.getValue())).eval(vars);
            assertThat(result).as(e.getKey()).isInstanceOf(Boolean.class);
            if ((Boolean) result) {
                return switch (e.getKey()) {
                    case "inProgress" -> "InProgress";
                    case "failed" -> "Failed";
                    default -> "Current";
                };
            }
        }
        return "none";
    }

    @Test
    void everyPhaseReadsAsKstatusReadsIt() throws Exception {
        Map<String, String> exprs = expressions();
        assertThat(exprs.values()).doesNotContainNull();
        Map<String, Map<String, Object>> fixtures = StatusFixtures.recorded();
        assertThat(fixtures.keySet()).containsExactlyInAnyOrderElementsOf(Expected.BY_FIXTURE.keySet());
        for (var e : fixtures.entrySet()) {
            assertThat(judge(exprs, e.getValue()))
                    .as(e.getKey())
                    .isEqualTo(Expected.BY_FIXTURE.get(e.getKey()).flux());
            assertThat(judge(exprs, e.getValue()))
                    .as(e.getKey() + ": same as kstatus' rules")
                    .isEqualTo(KstatusRulesTest.kstatus(e.getValue()));
        }
    }
}
