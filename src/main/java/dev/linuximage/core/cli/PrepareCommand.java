package dev.linuximage.core.cli;

import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

@Command(name = "prepare", description = "Not implemented yet.")
public class PrepareCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        throw new CoreException(ExitCodes.ERROR, "'prepare' is not implemented yet");
    }
}
