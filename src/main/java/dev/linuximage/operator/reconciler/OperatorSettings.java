package dev.linuximage.operator.reconciler;

import dev.linuximage.operator.OperatorConfig;
import dev.linuximage.operator.job.JobDefaults;
import dev.linuximage.operator.job.PodSettings;
import java.util.List;
import java.util.Map;

/** Configuration to the pure factory's input. */
final class OperatorSettings {

    private OperatorSettings() {}

    static JobDefaults jobDefaults(OperatorConfig config, String image) {
        return jobDefaults(config, image, System.getenv());
    }

    /** @param env the operator's environment: the proxy variables default to its own */
    static JobDefaults jobDefaults(OperatorConfig config, String image, Map<String, String> env) {
        OperatorConfig.JobConfig j = config.job();
        PodSettings pod = new PodSettings(
                j.fsGroup().orElse(null),
                j.imagePullSecrets().orElse(List.of()),
                PodSettings.proxyEnv(j.httpProxy(), j.httpsProxy(), j.noProxy(), env),
                j.caBundleConfigMap().filter(s -> !s.isBlank()).orElse(null),
                j.caBundleKey(),
                j.azureAuthorityHost());
        return new JobDefaults(
                image,
                j.cpuRequest(),
                j.memoryRequest(),
                j.memoryLimit(),
                j.activeDeadlineSeconds(),
                j.backoffLimit(),
                j.ttlSecondsAfterFinished(),
                j.tmpSizeLimit(),
                config.security().allowedBlobHosts(),
                pod);
    }
}
