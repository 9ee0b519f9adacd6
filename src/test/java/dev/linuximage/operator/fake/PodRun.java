package dev.linuximage.operator.fake;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * One run of a Job's container as the fake kubelet sees it.
 *
 * @param job     the Job
 * @param pod     the pod created for it
 * @param args    the container's arguments, as in the pod spec
 * @param mounts  container mount path (e.g. {@code /disks/source}) to the local directory standing in for it
 * @param claims  PVC name to the local directory standing in for the claim
 * @param log     appends one line to the container's log (what {@code pods/log} returns)
 */
public record PodRun(
        Job job, Pod pod, List<String> args, Map<String, Path> mounts, Map<String, Path> claims, Consumer<String> log) {

    /** The local file behind a path the container sees, through the longest matching mount. */
    public Path local(String podPath) {
        String best = null;
        for (String m : mounts.keySet()) {
            if ((podPath.equals(m) || podPath.startsWith(m + "/")) && (best == null || m.length() > best.length())) {
                best = m;
            }
        }
        if (best == null) {
            throw new IllegalArgumentException(podPath + " is on no mounted volume");
        }
        String rest = podPath.substring(best.length());
        return rest.isEmpty() ? mounts.get(best) : mounts.get(best).resolve(rest.substring(1));
    }

    /** The arguments with every path under a mount replaced by its local file: ready for the real core. */
    public List<String> localArgs() {
        List<String> out = new ArrayList<>();
        for (String a : args) {
            boolean mapped =
                    a.startsWith("/") && mounts.keySet().stream().anyMatch(m -> a.equals(m) || a.startsWith(m + "/"));
            out.add(mapped ? local(a).toString() : a);
        }
        return out;
    }

    /**
     * {@link #localArgs()} with the termination-log path replaced by a local file: what running the real core
     * ({@code CoreCli.execute(...)}) in place of the pod needs; read the file back as the termination message.
     */
    public List<String> localArgs(Path terminationLog) {
        List<String> out = localArgs();
        int i = out.indexOf("--termination-log");
        if (i >= 0 && i + 1 < out.size()) {
            out.set(i + 1, terminationLog.toString());
        }
        return out;
    }

    /** The value following {@code flag} in the arguments, or null. */
    public String arg(String flag) {
        int i = args.indexOf(flag);
        return i < 0 || i + 1 >= args.size() ? null : args.get(i + 1);
    }
}
