package dev.linuximage.operator.admission;

import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.cel.bundle.Cel;
import dev.cel.bundle.CelFactory;
import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.CelFunctionDecl;
import dev.cel.common.CelOverloadDecl;
import dev.cel.common.CelValidationResult;
import dev.cel.common.types.CelType;
import dev.cel.common.types.MapType;
import dev.cel.common.types.OpaqueType;
import dev.cel.common.types.SimpleType;
import dev.cel.parser.CelStandardMacro;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelFunctionBinding;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Test scaffolding around Google's cel-java ({@code dev.cel:cel}) to evaluate Kubernetes CEL expressions read from
 * the shipped YAML: JSON-like values converted to CEL values, and a <b>test double</b> of the Kubernetes
 * {@code authorizer} library (k8s.io/apiserver/pkg/cel/library, "Authz"). It is not a Kubernetes feature of the
 * product; it exists so the expressions that ship in {@code k8s/} are compiled and evaluated by a real CEL
 * implementation.
 *
 * <p>The double declares the library's function chain with its types, as member functions:
 * {@code Authorizer.group(string) -> GroupCheck}, {@code GroupCheck.resource(string) -> ResourceCheck},
 * {@code ResourceCheck.namespace(string)}, {@code ResourceCheck.name(string)}, {@code ResourceCheck.subresource(string)}
 * (each {@code -> ResourceCheck}), {@code ResourceCheck.check(string) -> Decision}, {@code Decision.allowed() -> bool}.
 * Behind it is a table of {@link Grant}s with RBAC's matching rule: a grant without a resource name ({@code "*"})
 * covers every name, a grant with one covers only a check that names exactly it; verbs, groups, resources and
 * namespaces match exactly. The real library asks the API server's authorizer chain (RBAC, webhooks...), which no test
 * here can run; what is tested is what the expressions ask, and what they do with the answer.
 */
public final class KubeCel {

    static final CelType AUTHORIZER = OpaqueType.create("kubernetes.authorization.Authorizer");
    static final CelType GROUP_CHECK = OpaqueType.create("kubernetes.authorization.GroupCheck");
    static final CelType RESOURCE_CHECK = OpaqueType.create("kubernetes.authorization.ResourceCheck");
    static final CelType DECISION = OpaqueType.create("kubernetes.authorization.Decision");
    static final CelType DYN_MAP = MapType.create(SimpleType.STRING, SimpleType.DYN);

    /** One RBAC-like permission: {@code name} "*" stands for a rule without resourceNames. */
    record Grant(String user, String verb, String group, String resource, String namespace, String name) {
        boolean covers(String u, String v, ResourceCheck c) {
            return user.equals(u)
                    && verb.equals(v)
                    && group.equals(c.group)
                    && resource.equals(c.resource)
                    && Objects.equals(namespace, c.namespace)
                    && c.subresource.isEmpty()
                    && (name.equals("*") || name.equals(c.name));
        }
    }

    record Authorizer(String user, Set<Grant> grants) {}

    record GroupCheck(Authorizer authorizer, String group) {}

    record ResourceCheck(
            Authorizer authorizer, String group, String resource, String subresource, String namespace, String name) {
        ResourceCheck with(String sub, String ns, String n) {
            return new ResourceCheck(authorizer, group, resource, sub, ns, n);
        }
    }

    record Decision(boolean allowed) {}

    /** Every check the expressions made, in order, for the assertions on what was asked. */
    final List<String> asked = new ArrayList<>();

    final Cel cel;

    /** @param vars the variables the expressions see, with their CEL types */
    KubeCel(Map<String, CelType> vars) {
        var builder = CelFactory.standardCelBuilder()
                // Kubernetes enables CEL's standard macros (has, all, exists, exists_one, map, filter)
                .setStandardMacros(CelStandardMacro.STANDARD_MACROS)
                .addFunctionDeclarations(
                        CelFunctionDecl.newFunctionDeclaration(
                                "group",
                                CelOverloadDecl.newMemberOverload(
                                        "authorizer_group", GROUP_CHECK, AUTHORIZER, SimpleType.STRING)),
                        CelFunctionDecl.newFunctionDeclaration(
                                "resource",
                                CelOverloadDecl.newMemberOverload(
                                        "groupcheck_resource", RESOURCE_CHECK, GROUP_CHECK, SimpleType.STRING)),
                        CelFunctionDecl.newFunctionDeclaration(
                                "subresource",
                                CelOverloadDecl.newMemberOverload(
                                        "resourcecheck_subresource",
                                        RESOURCE_CHECK,
                                        RESOURCE_CHECK,
                                        SimpleType.STRING)),
                        CelFunctionDecl.newFunctionDeclaration(
                                "namespace",
                                CelOverloadDecl.newMemberOverload(
                                        "resourcecheck_namespace", RESOURCE_CHECK, RESOURCE_CHECK, SimpleType.STRING)),
                        CelFunctionDecl.newFunctionDeclaration(
                                "name",
                                CelOverloadDecl.newMemberOverload(
                                        "resourcecheck_name", RESOURCE_CHECK, RESOURCE_CHECK, SimpleType.STRING)),
                        CelFunctionDecl.newFunctionDeclaration(
                                "check",
                                CelOverloadDecl.newMemberOverload(
                                        "resourcecheck_check", DECISION, RESOURCE_CHECK, SimpleType.STRING)),
                        CelFunctionDecl.newFunctionDeclaration(
                                "allowed",
                                CelOverloadDecl.newMemberOverload("decision_allowed", SimpleType.BOOL, DECISION)))
                .addFunctionBindings(
                        CelFunctionBinding.from("authorizer_group", Authorizer.class, String.class, GroupCheck::new),
                        CelFunctionBinding.from(
                                "groupcheck_resource",
                                GroupCheck.class,
                                String.class,
                                (g, r) -> new ResourceCheck(g.authorizer(), g.group(), r, "", null, "")),
                        CelFunctionBinding.from(
                                "resourcecheck_subresource",
                                ResourceCheck.class,
                                String.class,
                                (c, s) -> c.with(s, c.namespace(), c.name())),
                        CelFunctionBinding.from(
                                "resourcecheck_namespace",
                                ResourceCheck.class,
                                String.class,
                                (c, ns) -> c.with(c.subresource(), ns, c.name())),
                        CelFunctionBinding.from(
                                "resourcecheck_name",
                                ResourceCheck.class,
                                String.class,
                                (c, n) -> c.with(c.subresource(), c.namespace(), n)),
                        CelFunctionBinding.from("resourcecheck_check", ResourceCheck.class, String.class, this::check),
                        CelFunctionBinding.from("decision_allowed", Decision.class, Decision::allowed));
        vars.forEach(builder::addVar);
        this.cel = builder.build();
    }

    private Decision check(ResourceCheck c, String verb) {
        Authorizer a = c.authorizer();
        asked.add(a.user() + " " + verb + " " + (c.group().isEmpty() ? "" : c.group() + "/") + c.resource()
                + (c.subresource().isEmpty() ? "" : "/" + c.subresource()) + " " + c.namespace() + "/"
                + (c.name().isEmpty() ? "*" : c.name()));
        return new Decision(a.grants().stream().anyMatch(g -> g.covers(a.user(), verb, c)));
    }

    /** Parses and type-checks; a failure names the expression. */
    CelAbstractSyntaxTree compile(String expression) {
        CelValidationResult result = cel.compile(expression);
        if (result.hasError()) {
            throw new AssertionError("CEL does not compile: " + expression + "\n" + result.getErrorString());
        }
        try {
            return result.getAst();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    Object eval(CelAbstractSyntaxTree ast, Map<String, ?> vars) throws CelEvaluationException {
        return cel.createProgram(ast).eval(vars);
    }

    // --- values -------------------------------------------------------------------------------------------------

    /** All documents of a YAML file, as JSON-like maps. */
    static List<Map<String, Object>> readYaml(Path file) throws IOException {
        List<Map<String, Object>> docs = new ArrayList<>();
        try (MappingIterator<Map<String, Object>> it =
                new YAMLMapper().readerForMapOf(Object.class).readValues(file.toFile())) {
            while (it.hasNext()) {
                Map<String, Object> doc = it.next();
                if (doc != null) {
                    docs.add(doc);
                }
            }
        }
        return docs;
    }

    static List<Map<String, Object>> readYaml(String yaml) throws IOException {
        List<Map<String, Object>> docs = new ArrayList<>();
        try (MappingIterator<Map<String, Object>> it =
                new YAMLMapper().readerForMapOf(Object.class).readValues(yaml)) {
            while (it.hasNext()) {
                Map<String, Object> doc = it.next();
                if (doc != null) {
                    docs.add(doc);
                }
            }
        }
        return docs;
    }

    /**
     * JSON-like Java values to CEL values: integers become {@code long} (CEL int), other numbers {@code double};
     * maps and lists are copied recursively (CEL map/list), strings and booleans stay.
     */
    public static Object toCel(Object v) {
        if (v instanceof Map<?, ?> m) {
            Map<String, Object> out = new LinkedHashMap<>();
            m.forEach((k, x) -> out.put((String) k, toCel(x)));
            return out;
        }
        if (v instanceof List<?> l) {
            return l.stream().map(KubeCel::toCel).toList();
        }
        if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof java.math.BigInteger) {
            return ((Number) v).longValue();
        }
        if (v instanceof Number n) {
            return n.doubleValue();
        }
        return v;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> deepCopy(Map<String, Object> m) {
        return (Map<String, Object>) toCel(m);
    }

    /** The value at a dotted path of nested maps (null when absent). */
    @SuppressWarnings("unchecked")
    static Object at(Map<String, Object> root, String dotted) {
        Object cur = root;
        for (String part : dotted.split("\\.")) {
            if (!(cur instanceof Map<?, ?> m)) {
                return null;
            }
            cur = ((Map<String, Object>) m).get(part);
        }
        return cur;
    }

    /** Sets a value at a dotted path, creating maps on the way; null removes the last key. */
    @SuppressWarnings("unchecked")
    static void put(Map<String, Object> root, String dotted, Object value) {
        String[] parts = dotted.split("\\.");
        Map<String, Object> cur = root;
        for (int i = 0; i < parts.length - 1; i++) {
            cur = (Map<String, Object>) cur.computeIfAbsent(parts[i], k -> new LinkedHashMap<>());
        }
        if (value == null) {
            cur.remove(parts[parts.length - 1]);
        } else {
            cur.put(parts[parts.length - 1], toCel(value));
        }
    }
}
