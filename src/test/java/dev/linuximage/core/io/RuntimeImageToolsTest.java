package dev.linuximage.core.io;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The production image (Dockerfile.native) carries the one external tool the core runs, {@code filefrag}, where
 * {@link SparseFileMap} looks for it, built for the runtime image's C library. Without it a sparse raw input, the
 * written VHD's upload and {@code digest} read every byte of the file (docs/performance.md: a 1 TiB disk holding
 * 10 GiB would be read whole). No container engine runs on the development machines, so the image itself is not
 * built here: this checks the Dockerfile against the code and the base images against their documented
 * distributions.
 */
class RuntimeImageToolsTest {
    private static final Path DOCKERFILE = Path.of("Dockerfile.native");

    record Stage(String image, String name, List<String> instructions) {}

    /** Instructions with their continuation lines joined, comments dropped, grouped by FROM. */
    static List<Stage> stages(String text) {
        List<String> lines = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        for (String raw : text.split("\n")) {
            String line = raw.strip();
            if (line.startsWith("#") || (line.isEmpty() && cur.length() == 0)) {
                continue;
            }
            if (line.endsWith("\\")) {
                cur.append(line.substring(0, line.length() - 1).strip()).append(' ');
                continue;
            }
            cur.append(line);
            lines.add(cur.toString().strip());
            cur.setLength(0);
        }
        List<Stage> stages = new ArrayList<>();
        for (String l : lines) {
            String[] w = l.split("\\s+");
            if (w[0].equalsIgnoreCase("FROM")) {
                String name = w.length >= 4 && w[2].equalsIgnoreCase("AS") ? w[3] : null;
                stages.add(new Stage(w[1], name, new ArrayList<>()));
            } else if (!stages.isEmpty()) {
                stages.get(stages.size() - 1).instructions().add(l);
            }
        }
        return stages;
    }

    /** The default of every {@code ARG NAME=value} before the first FROM. */
    static Map<String, String> globalArgs(String text) {
        Map<String, String> args = new LinkedHashMap<>();
        Matcher m = Pattern.compile("(?m)^ARG\\s+(\\w+)=(\\S+)$").matcher(text.substring(0, text.indexOf("\nFROM ")));
        while (m.find()) {
            args.put(m.group(1), m.group(2));
        }
        return args;
    }

    @Test
    void theRuntimeStageCopiesFilefragFromAStageThatInstallsE2fsprogs() throws IOException {
        List<Stage> stages = stages(Files.readString(DOCKERFILE));
        Stage runtime = stages.get(stages.size() - 1);
        Pattern copy = Pattern.compile("COPY\\s+--from=(\\S+)\\s+(?:--\\S+\\s+)*(/\\S+)\\s+(/\\S+)");
        Optional<Matcher> found = runtime.instructions().stream()
                .map(copy::matcher)
                .filter(Matcher::matches)
                .filter(m -> SparseFileMap.TOOLS.contains(m.group(3)))
                .findFirst();
        assertThat(found)
                .as(
                        "the runtime stage copies filefrag to one of the places SparseFileMap runs it from, %s",
                        SparseFileMap.TOOLS)
                .isPresent();
        Matcher m = found.get();
        Stage tools = stages.stream()
                .filter(s -> m.group(1).equals(s.name()))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no stage named " + m.group(1)));
        String run = String.join("\n", tools.instructions());
        assertThat(run).as("the stage installs e2fsprogs").containsPattern("install\\b.*\\be2fsprogs\\b");
        // the build fails there when the package does not put the tool where the COPY takes it from
        assertThat(run).as("the stage runs the copied file").contains(m.group(2) + " -V");
        assertThat(m.group(2)).isEqualTo("/usr/sbin/filefrag"); // e2fsprogs' place for it on RHEL/UBI
    }

    @Test
    void theToolStageHasTheRuntimeImagesCLibrary() throws IOException {
        String text = Files.readString(DOCKERFILE);
        Map<String, String> args = globalArgs(text);
        List<Stage> stages = stages(text);
        Stage tools = stages.stream()
                .filter(s -> "tools".equals(s.name()))
                .findFirst()
                .orElseThrow();
        String toolsImage = resolve(tools.image(), args);
        String builderImage = resolve(stages.get(0).image(), args);
        String runtimeImage = resolve(stages.get(stages.size() - 1).image(), args);
        // quarkus-images' README: quarkus-micro-image:2.0 and ubi-quarkus-mandrel-builder-image are UBI 8,
        // ubi9-quarkus-micro-image:2.0 UBI 9 (and so on). A binary built against a newer glibc does not start on an
        // older one (Debian 12's filefrag needs GLIBC_2.34, UBI 8 has 2.28); the native executable links glibc too.
        assertThat(ubiRelease(toolsImage))
                .as("%s and %s", toolsImage, runtimeImage)
                .isEqualTo(ubiRelease(runtimeImage));
        assertThat(ubiRelease(builderImage))
                .as("%s and %s", builderImage, runtimeImage)
                .isEqualTo(ubiRelease(runtimeImage));
    }

    private static String resolve(String image, Map<String, String> args) {
        Matcher m = Pattern.compile("^\\$\\{(\\w+)}$").matcher(image);
        return m.matches() ? args.get(m.group(1)) : image;
    }

    /** The UBI major release an image of Red Hat's or of quarkus-images is built on. */
    static int ubiRelease(String image) {
        String repo = image.replaceAll("[:@].*$", "");
        Matcher ubi = Pattern.compile("(?:^|/)ubi(\\d+)(?:[/-]|$)").matcher(repo);
        if (ubi.find()) {
            return Integer.parseInt(ubi.group(1));
        }
        // quarkus-images without a release in the name: quarkus-micro-image, ubi-quarkus-mandrel-builder-image
        String name = repo.substring(repo.lastIndexOf('/') + 1);
        if (name.equals("quarkus-micro-image") || name.startsWith("ubi-quarkus-")) {
            return 8;
        }
        throw new AssertionError("unknown base distribution of " + image);
    }

    @Test
    void ubiReleaseReadsTheImageNames() {
        assertThat(ubiRelease("quay.io/quarkus/quarkus-micro-image:2.0")).isEqualTo(8);
        assertThat(ubiRelease("quay.io/quarkus/ubi9-quarkus-micro-image:2.0")).isEqualTo(9);
        assertThat(ubiRelease("quay.io/quarkus/ubi-quarkus-mandrel-builder-image:jdk-21"))
                .isEqualTo(8);
        assertThat(ubiRelease("quay.io/quarkus/ubi9-quarkus-mandrel-builder-image:jdk-21"))
                .isEqualTo(9);
        assertThat(ubiRelease("registry.access.redhat.com/ubi8/ubi-minimal:8.10@sha256:00"))
                .isEqualTo(8);
        assertThat(ubiRelease("registry.access.redhat.com/ubi9/ubi-minimal:9.6"))
                .isEqualTo(9);
        assertThat(stages("FROM a AS b\nRUN x \\\n  && y\n# c\nFROM d\nCOPY --from=b /p /q\n"))
                .containsExactly(
                        new Stage("a", "b", List.of("RUN x && y")),
                        new Stage("d", null, List.of("COPY --from=b /p /q")));
    }
}
