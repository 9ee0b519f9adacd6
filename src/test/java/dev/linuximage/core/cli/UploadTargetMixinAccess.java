package dev.linuximage.core.cli;

import java.nio.file.Path;

/** Test access to {@link UploadTargetMixin#selectAuth} from other packages. */
public final class UploadTargetMixinAccess {
    private UploadTargetMixinAccess() {}

    /** @param fileFlag "sas-file", "cs-file" or null */
    public static String select(String mode, String fileFlag, boolean workloadIdentity) {
        UploadTargetMixin.Auth a = null;
        if (fileFlag != null || workloadIdentity) {
            a = new UploadTargetMixin.Auth();
            if ("sas-file".equals(fileFlag)) {
                a.sasFile = Path.of("sas");
            } else if ("cs-file".equals(fileFlag)) {
                a.connectionStringFile = Path.of("cs");
            }
            a.workloadIdentity = workloadIdentity;
        }
        return UploadTargetMixin.selectAuth(mode, a).name();
    }
}
