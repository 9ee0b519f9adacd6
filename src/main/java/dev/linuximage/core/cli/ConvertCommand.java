package dev.linuximage.core.cli;

import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

@Command(name = "convert", description = "Not implemented yet.")
public class ConvertCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        throw new CoreException(ExitCodes.ERROR, "'convert' is not implemented yet");
    }
}
