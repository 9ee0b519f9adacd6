package dev.linuximage.core.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.linuximage.core.fs.UnsupportedFsFeatureException;
import dev.linuximage.core.pipeline.FailureReason;
import dev.linuximage.core.report.CoreException;
import dev.linuximage.core.report.ExitCodes;
import dev.linuximage.core.report.ResultReasons;
import dev.linuximage.core.upload.StaleWriterException;
import dev.linuximage.core.upload.UploadException;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/** Exit codes and reasons: what a retry can fix exits 1, what it cannot exits 2/3/4 (the Job's podFailurePolicy). */
class ResultOutputMixinTest {

    @Test
    void refusedCredentialsAreNotRetriable() {
        UploadException refused = new UploadException("403 AuthorizationFailure", null, 403);
        assertThat(ResultOutputMixin.exitCode(refused)).isEqualTo(ExitCodes.USAGE);
        assertThat(FailureReason.of(refused, ExitCodes.USAGE)).isEqualTo(ResultReasons.UPLOAD_UNAUTHORIZED);
    }

    @Test
    void malformedCredentialsAreUsageErrors() {
        UploadException bad = new dev.linuximage.core.upload.CredentialsException(
                "connection-string file f is " + "malformed: AccountKey is not base64");
        assertThat(ResultOutputMixin.exitCode(bad)).isEqualTo(ExitCodes.USAGE);
        assertThat(FailureReason.of(bad, ExitCodes.USAGE)).isEqualTo(ResultReasons.MISSING_CREDENTIALS);
    }

    @Test
    void transientUploadFailuresAreRetriable() {
        UploadException busy = new UploadException("503 ServerBusy after retries", null, 503);
        assertThat(ResultOutputMixin.exitCode(busy)).isEqualTo(ExitCodes.ERROR);
        assertThat(FailureReason.of(busy, ExitCodes.ERROR)).isEqualTo(ResultReasons.UPLOAD_FAILED);
    }

    @Test
    void badInputAndSupersededWritersHaveTheirOwnReasons() {
        IOException fs = new UnsupportedFsFeatureException("ext4", "incompat feature encrypt");
        assertThat(ResultOutputMixin.exitCode(fs)).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(FailureReason.of(fs, ExitCodes.BAD_INPUT)).isEqualTo(ResultReasons.UNSUPPORTED_IMAGE);
        StaleWriterException stale = new StaleWriterException("generation 3 < 4");
        assertThat(FailureReason.of(stale, ResultOutputMixin.exitCode(stale))).isEqualTo(ResultReasons.SUPERSEDED);
    }

    @Test
    void reasonGivenWithTheErrorWins() {
        CoreException e = new CoreException(ExitCodes.USAGE, ResultReasons.SOURCE_NOT_FOUND, "no such file", null);
        assertThat(FailureReason.of(e, ResultOutputMixin.exitCode(e))).isEqualTo(ResultReasons.SOURCE_NOT_FOUND);
    }

    @Test
    void aFullOutputVolumeIsRetriableWithItsOwnReason() {
        IOException enospc = new IOException("No space left on device");
        assertThat(ResultOutputMixin.exitCode(enospc)).isEqualTo(ExitCodes.ERROR);
        assertThat(FailureReason.of(enospc, ExitCodes.ERROR)).isEqualTo(ResultReasons.OUTPUT_VOLUME_FULL);
        // as the ext4 writer or the overlay would surface it, wrapped
        java.io.UncheckedIOException wrapped =
                new java.io.UncheckedIOException("patching", new IOException("Disk quota exceeded"));
        assertThat(FailureReason.of(wrapped, ResultOutputMixin.exitCode(wrapped)))
                .isEqualTo(ResultReasons.OUTPUT_VOLUME_FULL);
        assertThat(FailureReason.of(new IOException("Input/output error"), ExitCodes.ERROR))
                .isEqualTo(ResultReasons.INTERNAL_ERROR);
    }
}
