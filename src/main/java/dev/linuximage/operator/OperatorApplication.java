package dev.linuximage.operator;

import io.javaoperatorsdk.operator.Operator;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.QuarkusApplication;
import jakarta.inject.Inject;

/**
 * Operator mode. The operator is not started automatically ({@code quarkus.operator-sdk.start-operator=false} at
 * build time) so that core mode never touches Kubernetes; it is started here, then runs until SIGTERM.
 */
public class OperatorApplication implements QuarkusApplication {

    @Inject
    Operator operator;

    @Override
    public int run(String... args) {
        operator.start();
        Quarkus.waitForExit();
        return 0;
    }
}
