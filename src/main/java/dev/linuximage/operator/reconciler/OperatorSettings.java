package dev.linuximage.operator.reconciler;

import dev.linuximage.operator.OperatorConfig;
import dev.linuximage.operator.job.JobDefaults;

/** Configuration to the pure factory's input. */
final class OperatorSettings {

    private OperatorSettings() {
    }

    static JobDefaults jobDefaults(OperatorConfig config, String image) {
        OperatorConfig.JobConfig j = config.job();
        return new JobDefaults(image, j.cpuRequest(), j.memoryRequest(), j.memoryLimit(),
                j.activeDeadlineSeconds(), j.backoffLimit(), j.ttlSecondsAfterFinished(), j.tmpSizeLimit(),
                config.security().allowedBlobHosts());
    }
}
