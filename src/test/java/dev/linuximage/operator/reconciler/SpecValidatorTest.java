package dev.linuximage.operator.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import dev.linuximage.operator.api.v1alpha1.CredentialsSpec;
import dev.linuximage.operator.api.v1alpha1.LinuxImageSpec;
import dev.linuximage.operator.api.v1alpha1.Mode;
import dev.linuximage.operator.api.v1alpha1.OutputSpec;
import dev.linuximage.operator.api.v1alpha1.SourceSpec;
import dev.linuximage.operator.api.v1alpha1.UploadSpec;
import java.util.List;
import org.junit.jupiter.api.Test;

class SpecValidatorTest {

    static LinuxImageSpec valid() {
        LinuxImageSpec s = new LinuxImageSpec();
        s.setSource(new SourceSpec("disks", "builds/web.qcow2"));
        s.setUpload(new UploadSpec("https://acct.blob.core.windows.net/vhds/web.vhd", CredentialsSpec.secret("st")));
        return s;
    }

    @Test
    void validSpecPasses() {
        assertThat(SpecValidator.validate(valid())).isEmpty();
        LinuxImageSpec local = valid();
        local.getUpload().setBlobUrl("http://127.0.0.1:10000/devstoreaccount1/vhds/web.vhd");
        assertThat(SpecValidator.validate(local)).isEmpty();
    }

    @Test
    void pathsStayInsideTheClaim() {
        for (String bad : List.of("/etc/passwd", "../x.qcow2", "a/../../x", "a/..", "..")) {
            LinuxImageSpec s = valid();
            s.getSource().setPath(bad);
            assertThat(SpecValidator.validate(s))
                    .as(bad)
                    .singleElement()
                    .asString()
                    .startsWith("spec.source.path");
        }
        LinuxImageSpec s = valid();
        s.getSource().setPath("a/..b/c..d/x.qcow2");
        assertThat(SpecValidator.validate(s)).isEmpty();
    }

    @Test
    void noSasInTheSpec() {
        LinuxImageSpec s = valid();
        s.getUpload().setBlobUrl("https://acct.blob.core.windows.net/vhds/web.vhd?sv=2024&sig=abc");
        assertThat(SpecValidator.validate(s)).singleElement().asString().contains("query string");
        s.getUpload().setBlobUrl("http://acct.blob.core.windows.net/vhds/web.vhd");
        assertThat(SpecValidator.validate(s)).singleElement().asString().startsWith("spec.upload.blobUrl");
    }

    @Test
    void exactlyOneCredential() {
        LinuxImageSpec s = valid();
        s.getUpload()
                .getCredentials()
                .setWorkloadIdentity(CredentialsSpec.workloadIdentity("6e3f2a10-1b2c-4d3e-8f90-a1b2c3d4e5f6")
                        .getWorkloadIdentity());
        assertThat(SpecValidator.validate(s)).singleElement().asString().contains("exactly one");
        s.getUpload().setCredentials(new CredentialsSpec());
        assertThat(SpecValidator.validate(s)).singleElement().asString().contains("exactly one");
        s.getUpload().setCredentials(CredentialsSpec.workloadIdentity("not-a-uuid"));
        assertThat(SpecValidator.validate(s)).singleElement().asString().contains("clientId");
    }

    @Test
    void auditIsReadOnlyAndStreamingNeedsUpload() {
        LinuxImageSpec audit = valid();
        audit.setMode(Mode.Audit);
        assertThat(SpecValidator.validate(audit)).singleElement().asString().contains("Audit mode");
        LinuxImageSpec stream = valid();
        stream.setUpload(null);
        OutputSpec out = new OutputSpec();
        out.setStreamToUpload(true);
        stream.setOutput(out);
        assertThat(SpecValidator.validate(stream)).singleElement().asString().contains("streamToUpload");
    }

    @Test
    void guestTokens() {
        LinuxImageSpec s = valid();
        s.getGuest().getKernelArgs().setAdd(List.of("ok=1", "two words"));
        s.getGuest().getDeprovision().setRemoveUsers(List.of("Root!"));
        s.getGuest().setResourceDiskSwapMiB(-1);
        assertThat(SpecValidator.validate(s)).hasSize(3);
    }

    /**
     * An added kernel argument with a required argument's key and another value (or two values for one key) is an
     * InvalidSpec, as the core refuses it (CMDLINE-CONSOLE: net.ifnames=0, earlyprintk=ttyS0; KERNEL-NUMA: numa=off).
     */
    @Test
    void kernelArgsThatContradictTheRequiredOnesAreRefused() {
        LinuxImageSpec s = valid();
        s.getGuest().getKernelArgs().setAdd(List.of("net.ifnames=0nvme_c"));
        assertThat(SpecValidator.validate(s))
                .containsExactly(
                        "spec.guest.kernelArgs.add: 'net.ifnames=0nvme_c' contradicts the required net.ifnames=0");
        s.getGuest().getKernelArgs().setAdd(List.of("earlyprintk=vga", "numa=noacpi"));
        assertThat(SpecValidator.validate(s)).hasSize(2);
        s.getGuest().getKernelArgs().setAdd(List.of("a=1", "a=2"));
        assertThat(SpecValidator.validate(s)).singleElement().asString().contains("'a=1' and 'a=2'");
        // the required values themselves, the same argument twice, and several consoles are fine
        s.getGuest()
                .getKernelArgs()
                .setAdd(List.of("net.ifnames=0", "numa=off", "a=1", "a=1", "console=tty0", "console=ttyS1,115200"));
        assertThat(SpecValidator.validate(s)).isEmpty();
    }

    @Test
    void requiredKernelArgsAreTheCores() {
        assertThat(SpecValidator.REQUIRED_KERNEL_ARGS)
                .isEqualTo(dev.linuximage.core.guest.CmdlinePolicy.USER_MAY_NOT_CONTRADICT);
        // and the core refuses what the validator refuses
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> dev.linuximage.core.guest.PatchOptions.defaults()
                        .withKernelArgs(List.of("net.ifnames=1"), List.of(), false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("net.ifnames=0");
    }

    /** The claims' volumeMode (read from the PVCs): a Block claim is a whole device, source or output, with no path. */
    @Test
    void volumeModes() {
        LinuxImageSpec file = valid();
        assertThat(SpecValidator.volumeModes(file, false, false)).isEmpty();
        assertThat(SpecValidator.volumeModes(file, true, false))
                .anySatisfy(v -> assertThat(v).startsWith("spec.source.path: must be unset"));

        LinuxImageSpec block = valid();
        block.getSource().setPath(null);
        assertThat(SpecValidator.validate(block)).isEmpty(); // path is optional until the claim's mode is known
        assertThat(SpecValidator.volumeModes(block, false, false))
                .containsExactly("spec.source.path: required (claim 'disks' is a Filesystem volume)");
        // prepare from a Block claim: the VHD goes to a separate claim, with a path when that claim is a Filesystem
        assertThat(SpecValidator.volumeModes(block, true, false))
                .singleElement()
                .asString()
                .startsWith("spec.output.claimName: required and another claim");
        block.setOutput(new OutputSpec("disks", "out.vhd"));
        assertThat(SpecValidator.volumeModes(block, true, false))
                .singleElement()
                .asString()
                .startsWith("spec.output.claimName: required and another claim");
        block.setOutput(new OutputSpec("vhds", null));
        assertThat(SpecValidator.volumeModes(block, true, false))
                .singleElement()
                .asString()
                .startsWith("spec.output.path: required when the source claim 'disks' is a Block volume");
        // ... and none when the output claim is a Block volume too (device to device, as CDI imports)
        assertThat(SpecValidator.volumeModes(block, true, true)).isEmpty();
        block.setOutput(new OutputSpec("vhds", "out.vhd"));
        assertThat(SpecValidator.volumeModes(block, true, false)).isEmpty();
        // a Block output claim is the whole device: a path on it is refused
        assertThat(SpecValidator.volumeModes(block, true, true))
                .containsExactly("spec.output.path: must be unset: claim 'vhds' is a Block volume, the VHD is written"
                        + " onto the whole device");
        LinuxImageSpec toDevice = valid();
        toDevice.setOutput(new OutputSpec("vhds", null));
        assertThat(SpecValidator.volumeModes(toDevice, false, true)).isEmpty();
        toDevice.getOutput().setPath("web.vhd");
        assertThat(SpecValidator.volumeModes(toDevice, false, true))
                .singleElement()
                .asString()
                .startsWith("spec.output.path: must be unset");
        // a streamed upload writes no VHD: a Block output claim would be attached for nothing
        toDevice.getOutput().setPath(null);
        toDevice.getOutput().setStreamToUpload(true);
        assertThat(SpecValidator.volumeModes(toDevice, false, true))
                .singleElement()
                .asString()
                .startsWith("spec.output.streamToUpload: writes no VHD");
        // Audit reads only
        LinuxImageSpec audit = new LinuxImageSpec();
        audit.setSource(new SourceSpec("disks", null));
        audit.setMode(Mode.Audit);
        assertThat(SpecValidator.volumeModes(audit, true, false)).isEmpty();
    }

    @Test
    void missingSource() {
        LinuxImageSpec s = valid();
        s.setSource(null);
        assertThat(SpecValidator.validate(s)).containsExactly("spec.source: required");
        s.setSource(new SourceSpec("Bad_Claim", "x"));
        assertThat(SpecValidator.validate(s)).singleElement().asString().contains("not a valid claim name");
    }
}
