package dev.linuximage.docs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.linuximage.core.compliance.Requirements;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The documentation stays true to the code: the catalogue page lists exactly the requirement IDs the checks report,
 * in report order, and every relative link of the README and docs/ reaches a file of the repository.
 */
class DocsTest {
    private static final Pattern ROW_ID = Pattern.compile("^\\| ([A-Z]+(?:-[A-Z0-9]+)+) \\|");
    private static final Pattern LINK = Pattern.compile("\\]\\(([^)#\\s]+)(#[^)\\s]*)?\\)");

    @Test
    void requirementsPageListsEveryCheckedIdInReportOrder() throws IOException {
        List<String> documented = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of("docs", "requirements.md"))) {
            Matcher m = ROW_ID.matcher(line);
            if (m.find()) {
                documented.add(m.group(1));
            }
        }
        assertThat(documented)
                .as("IDs in the tables of docs/requirements.md")
                .containsExactlyElementsOf(Requirements.ids());
    }

    @Test
    void relativeLinksReachFiles() throws IOException {
        List<Path> pages = new ArrayList<>(List.of(Path.of("README.md")));
        try (Stream<Path> docs = Files.list(Path.of("docs"))) {
            docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(pages::add);
        }
        List<String> broken = new ArrayList<>();
        for (Path page : pages) {
            Matcher m = LINK.matcher(Files.readString(page));
            while (m.find()) {
                String target = m.group(1);
                if (target.contains("://") || target.startsWith("mailto:")) {
                    continue;
                }
                Path resolved =
                        page.toAbsolutePath().getParent().resolve(target).normalize();
                if (!Files.exists(resolved)) {
                    broken.add(page + " -> " + target);
                }
            }
        }
        assertThat(pages).hasSizeGreaterThan(5);
        assertThat(broken).as("links to files that do not exist").isEmpty();
    }

    @Test
    void readmeStaysShort() throws IOException {
        // issue #15: a README a newcomer reads in one sitting; the details live in docs/
        assertThat(Files.size(Path.of("README.md"))).isLessThanOrEqualTo(25 * 1024);
    }
}
