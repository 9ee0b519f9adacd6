package dev.linuximage.operator;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;

/** Operator settings ({@code linuximage.*} in application.properties or LINUXIMAGE_* environment variables). */
@ConfigMapping(prefix = "linuximage")
public interface OperatorConfig {

    /** Defaults of the Jobs. */
    JobConfig job();

    /** How often a running Job's log tail is read for progress. */
    @WithDefault("10s")
    Duration progressInterval();

    /** How often a missing PersistentVolumeClaim is looked for again (it may be applied after the LinuxImage). */
    @WithDefault("60s")
    Duration recheckInterval();

    interface JobConfig {
        /** The Job's image; by default the operator's own (one executable, two modes). */
        @WithDefault("ghcr.io/linuximage/linuximage-operator:0.1.0")
        String image();

        @WithDefault("500m")
        String cpuRequest();

        @WithDefault("512Mi")
        String memoryRequest();

        @WithDefault("1Gi")
        String memoryLimit();

        @WithDefault("21600")
        long activeDeadlineSeconds();

        @WithDefault("1")
        int backoffLimit();

        @WithDefault("86400")
        int ttlSecondsAfterFinished();

        @WithDefault("1Gi")
        String tmpSizeLimit();
    }
}
