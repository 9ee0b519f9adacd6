package dev.linuximage.core.cli;

import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

@Command(name = "inspect", description = "Not implemented yet.")
public class InspectCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        throw new CoreException(ExitCodes.ERROR, "'inspect' is not implemented yet");
    }
}
