package dev.linuximage.operator.health;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.luaj.vm2.Globals;
import org.luaj.vm2.LoadState;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.compiler.LuaC;
import org.luaj.vm2.lib.BaseLib;
import org.luaj.vm2.lib.MathLib;
import org.luaj.vm2.lib.PackageLib;
import org.luaj.vm2.lib.StringLib;
import org.luaj.vm2.lib.TableLib;

/**
 * Runs the shipped Argo CD health check ({@code deploy/argocd/health.lua}) with LuaJ against the recorded status
 * objects. The object is handed over the way Argo CD does (operator-manual/health, "Custom Health Checks": the
 * resource is the global {@code obj}, the script returns a table with {@code status} and {@code message}): JSON
 * objects become tables with string keys, arrays 1-based sequence tables, numbers Lua numbers (floats), booleans and
 * strings themselves; only the base, package, table, string and math libraries are opened.
 */
class ArgoHealthLuaTest {

    static final Path SCRIPT = Path.of("deploy/argocd/health.lua");
    static final List<String> ARGO_STATUSES =
            List.of("Healthy", "Progressing", "Degraded", "Suspended", "Missing", "Unknown");

    static LuaValue toLua(Object v) {
        if (v instanceof Map<?, ?> m) {
            LuaTable t = new LuaTable();
            m.forEach((k, x) -> {
                if (x != null) {
                    t.set((String) k, toLua(x));
                }
            });
            return t;
        }
        if (v instanceof List<?> l) {
            LuaTable t = new LuaTable();
            for (int i = 0; i < l.size(); i++) {
                t.set(i + 1, toLua(l.get(i)));
            }
            return t;
        }
        if (v instanceof Number n) {
            return LuaValue.valueOf(n.doubleValue());
        }
        if (v instanceof Boolean b) {
            return LuaValue.valueOf(b);
        }
        if (v == null) {
            return LuaValue.NIL;
        }
        return LuaValue.valueOf(v.toString());
    }

    /** hs.status and hs.message of the script run on {@code obj}. */
    static String[] health(Map<String, Object> obj) throws Exception {
        Globals g = new Globals();
        g.load(new BaseLib());
        g.load(new PackageLib());
        g.load(new TableLib());
        g.load(new StringLib());
        g.load(new MathLib());
        LoadState.install(g);
        LuaC.install(g);
        g.set("obj", toLua(obj));
        LuaValue hs = g.load(Files.readString(SCRIPT), "health.lua").call();
        assertThat(hs.istable()).as("the script returns a table").isTrue();
        String status = hs.get("status").isnil() ? null : hs.get("status").tojstring();
        String message = hs.get("message").isnil() ? null : hs.get("message").tojstring();
        assertThat(status).isIn(ARGO_STATUSES);
        return new String[] {status, message};
    }

    @Test
    void everyPhaseHasTheDocumentedHealth() throws Exception {
        Map<String, Map<String, Object>> fixtures = StatusFixtures.recorded();
        assertThat(fixtures.keySet()).containsExactlyInAnyOrderElementsOf(Expected.BY_FIXTURE.keySet());
        for (var e : fixtures.entrySet()) {
            assertThat(health(e.getValue())[0])
                    .as(e.getKey())
                    .isEqualTo(Expected.BY_FIXTURE.get(e.getKey()).argo());
        }
    }

    @Test
    void theMessageSaysWhy() throws Exception {
        Map<String, Map<String, Object>> f = StatusFixtures.recorded();
        assertThat(health(f.get("running"))[1]).contains("convert 42 %");
        assertThat(health(f.get("pending-image-pull"))[1])
                .startsWith("ImagePullBackOff: ")
                .contains("registry.example/linuximage:0.1.0");
        assertThat(health(f.get("failed-stalled"))[1]).startsWith("UnsupportedImage: ");
        assertThat(health(f.get("failed-retriable"))[1]).startsWith("MissingClaim: rechecked");
        assertThat(health(f.get("generation-changed"))[1]).contains("generation 2");
    }

    @Test
    void aNewObjectWithoutStatusIsProgressingNotHealthy() throws Exception {
        assertThat(health(Map.of(
                        "apiVersion",
                        "linuximage.dev/v1alpha1",
                        "kind",
                        "LinuxImage",
                        "metadata",
                        Map.of("name", "web", "generation", 1)))[0])
                .isEqualTo("Progressing");
    }
}
