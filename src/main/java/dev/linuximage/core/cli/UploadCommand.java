package dev.linuximage.core.cli;

import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

@Command(name = "upload", description = "Not implemented yet.")
public class UploadCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        throw new CoreException(ExitCodes.ERROR, "'upload' is not implemented yet");
    }
}
