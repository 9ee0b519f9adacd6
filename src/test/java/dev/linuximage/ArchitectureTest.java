package dev.linuximage;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideOutsideOfPackages;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The package boundaries (issue #15), checked on the main classes' byte code (ArchUnit, test
 * scope only; the product does no classpath scanning). Each rule says why it exists; a rule that no longer holds
 * fails with the offending dependencies listed.
 */
class ArchitectureTest {

    /**
     * The core packages the operator may use today: the report and error contract it reads from a Job's termination
     * message ({@code core.report}), the requirement catalogue ({@code core.compliance.Requirements}) and the blob
     * host allow-list it shares with the upload ({@code core.upload.BlobHostAllowList}).
     */
    static final String[] OPERATOR_MAY_USE = {
        "dev.linuximage.core.report", "dev.linuximage.core.compliance", "dev.linuximage.core.upload"
    };

    /** core.report's codecs and writers: the rest of the package is the report model. */
    static final Set<String> REPORT_IO = Set.of(
            "ReportOutput",
            "ReportJson",
            "JobResultCodec",
            "TerminationMessage",
            "ProgressEvent",
            "BadInputException",
            "CoreException");

    static final String[] IO_PACKAGES = {"java.io..", "java.nio.file..", "java.nio.channels..", "java.net.."};

    static JavaClasses classes;

    @BeforeAll
    static void importMainClasses() {
        classes = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("dev.linuximage");
    }

    @Test
    void coreDoesNotDependOnTheOperator() {
        noClasses()
                .that()
                .resideInAPackage("dev.linuximage.core..")
                .should()
                .dependOnClassesThat()
                .resideInAPackage("dev.linuximage.operator..")
                .because("the core runs alone in the conversion Job's pod (and as the CLI), without the operator")
                .check(classes);
    }

    @Test
    void onlyTheCliDependsOnTheCli() {
        noClasses()
                .that()
                .resideInAPackage("dev.linuximage.core..")
                .and()
                .resideOutsideOfPackage("dev.linuximage.core.cli..")
                .should()
                .dependOnClassesThat()
                .resideInAPackage("dev.linuximage.core.cli..")
                .because("the CLI is one front end of the core (picocli, exit codes, terminal output); the pipeline "
                        + "and the parsers are used without it")
                .check(classes);
    }

    @Test
    void operatorUsesOnlyTheCoreContract() {
        noClasses()
                .that()
                .resideInAPackage("dev.linuximage.operator..")
                .should()
                .dependOnClassesThat(
                        resideInAPackage("dev.linuximage.core..").and(resideOutsideOfPackages(OPERATOR_MAY_USE)))
                .because("the operator talks to the core through a Job: its arguments, the result in the termination "
                        + "message and the report; file systems, formats and guest patching are the core's inside")
                .check(classes);
    }

    @Test
    void reportModelDoesNoIo() {
        noClasses()
                .that(resideInAPackage("dev.linuximage.core.report").and(notIn(REPORT_IO)))
                .should()
                .dependOnClassesThat(resideInAnyPackage(IO_PACKAGES).or(resideInAPackage("io.fabric8..")))
                .because("the report model is plain data shared by the CLI, the Job and the operator; reading and "
                        + "writing it is the codecs' job (" + String.join(", ", REPORT_IO) + ")")
                .check(classes);
    }

    @Test
    void crdModelDoesNoIoAndUsesNoClient() {
        noClasses()
                .that()
                .resideInAPackage("dev.linuximage.operator.api..")
                .should()
                .dependOnClassesThat(resideInAnyPackage(IO_PACKAGES)
                        .or(resideInAPackage("io.fabric8.kubernetes.client..")
                                .and(DescribedPredicate.describe(
                                        "not CustomResource",
                                        c -> !c.getName().equals("io.fabric8.kubernetes.client.CustomResource")))))
                .because("the CRD model is what the API server stores; talking to the cluster is the reconciler's job "
                        + "(CustomResource, the custom resource base class, is the one class of the client package "
                        + "it extends)")
                .check(classes);
    }

    @Test
    void corePackagesAreFreeOfCycles() {
        slices().matching("dev.linuximage.core.(*)..")
                .should()
                .beFreeOfCycles()
                .because("a cycle ties packages together: neither can be understood, tested or replaced alone")
                .check(classes);
    }

    /** Classes whose top-level class has one of these simple names (nested records belong to their owner). */
    private static DescribedPredicate<JavaClass> notIn(Set<String> simpleNames) {
        return DescribedPredicate.describe("not one of " + simpleNames, c -> {
            String outer = c.getName().substring(c.getPackageName().length() + 1);
            int dollar = outer.indexOf('$');
            return !simpleNames.contains(dollar < 0 ? outer : outer.substring(0, dollar));
        });
    }
}
