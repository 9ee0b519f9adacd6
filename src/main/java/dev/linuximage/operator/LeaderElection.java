package dev.linuximage.operator;

import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfigurationBuilder;
import io.quarkus.arc.Unremovable;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/**
 * Leader election (issue 12), so that two replicas can run and a rolling upgrade has no gap without a controller:
 * every replica starts its informers (caches warm, ready), only the holder of the Lease
 * {@value #LEASE_NAME} processes events. Quarkus Operator SDK looks this bean up when it builds its configuration
 * and activates it only in the profiles of {@code quarkus.operator-sdk.activate-leader-election-for-profiles}
 * ({@code prod}; tests run without it). The Lease lives in the operator's own namespace (the one of its
 * ServiceAccount; Role {@code linuximage-operator-leader-election} in {@code k8s/base/leader-election.yaml}); the
 * identity is the pod's HOSTNAME.
 */
@Singleton
public class LeaderElection {

    public static final String LEASE_NAME = "linuximage-operator";

    @Produces
    @Singleton
    @Unremovable // looked up programmatically by the Operator SDK's recorder, never injected
    LeaderElectionConfiguration leaderElectionConfiguration() {
        return LeaderElectionConfigurationBuilder.aLeaderElectionConfiguration(LEASE_NAME)
                .build();
    }
}
