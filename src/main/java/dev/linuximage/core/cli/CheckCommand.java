package dev.linuximage.core.cli;

import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

@Command(name = "check", description = "Not implemented yet.")
public class CheckCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        throw new CoreException(ExitCodes.ERROR, "'check' is not implemented yet");
    }
}
