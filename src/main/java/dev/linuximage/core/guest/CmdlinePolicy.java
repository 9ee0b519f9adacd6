package dev.linuximage.core.guest;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What every boot entry's kernel command line must and must not contain (CMDLINE-CONSOLE, CMDLINE-NOQUIET,
 * KERNEL-NUMA and the user's additions/removals).
 *
 * @param required tokens that must be present, in the order they are appended
 * @param removed  removal patterns ({@code key=value} exact; bare {@code key} also matches {@code key=...})
 */
public record CmdlinePolicy(List<String> required, List<String> removed) {
    /**
     * CMDLINE-CONSOLE: serial console and classic interface names on every guest. {@code rootdelay=300} is not here:
     * whether it is added depends on what the guest's initramfs does with it ({@link RootDelayRule}).
     */
    public static final List<String> AZURE_REQUIRED = List.of("console=ttyS0", "earlyprintk=ttyS0", "net.ifnames=0");
    /** CMDLINE-NOQUIET (crashkernel=auto only unless kept). */
    public static final List<String> AZURE_REMOVED = List.of("rhgb", "quiet", "crashkernel=auto");
    /** Keys that may appear several times on a command line: never replaced, only added to. */
    private static final Set<String> MULTI = Set.of("console");
    /**
     * Required single-valued arguments a user argument may not contradict: CMDLINE-CONSOLE's (not {@code console},
     * which may appear several times) and KERNEL-NUMA's {@code numa=off}, required for some kernels only, which the
     * options cannot know before the guest is inspected. A user {@code key=other} would be removed by the product
     * and the product's token by the user's: the edit would never settle (a second prepare changes the line again).
     */
    public static final List<String> USER_MAY_NOT_CONTRADICT =
            List.of("earlyprintk=ttyS0", "net.ifnames=0", "numa=off");

    public CmdlinePolicy {
        required = List.copyOf(required);
        removed = List.copyOf(removed);
    }

    /**
     * Why these user arguments cannot all be required, or null when they can: an argument with the key of a required
     * one ({@link #USER_MAY_NOT_CONTRADICT}) but another value, or two arguments with one single-valued key and
     * different values. Either pair would make each token unwanted for the other.
     */
    public static String conflict(List<String> userArgs) {
        for (int i = 0; i < userArgs.size(); i++) {
            String a = userArgs.get(i);
            String k = KernelCmdline.key(a);
            for (String q : USER_MAY_NOT_CONTRADICT) {
                if (KernelCmdline.key(q).equals(k) && !q.equals(a)) {
                    return "'" + a + "' contradicts the required " + q + " ("
                            + (k.equals("numa") ? "KERNEL-NUMA" : CmdlinePatch.REQ) + "): leave it out or give " + q;
                }
            }
            if (MULTI.contains(k)) {
                continue;
            }
            for (int j = 0; j < i; j++) {
                String b = userArgs.get(j);
                if (KernelCmdline.key(b).equals(k) && !b.equals(a)) {
                    return "'" + b + "' and '" + a + "' give " + k + " two values: give one";
                }
            }
        }
        return null;
    }

    public static CmdlinePolicy of(PatchOptions o, boolean numaOff) {
        Set<String> req = new LinkedHashSet<>(AZURE_REQUIRED);
        if (numaOff) {
            req.add("numa=off");
        }
        req.addAll(o.kernelArgsAdd());
        List<String> rem = new ArrayList<>();
        for (String r : AZURE_REMOVED) {
            if (!(o.keepCrashkernel() && r.startsWith("crashkernel"))) {
                rem.add(r);
            }
        }
        for (String r : o.kernelArgsRemove()) {
            if (!rem.contains(r)) {
                rem.add(r);
            }
        }
        return new CmdlinePolicy(new ArrayList<>(req), rem);
    }

    /**
     * This policy with {@code first} required before its own required tokens (in that order) and {@code moreRemoved}
     * added to the removal patterns.
     */
    public CmdlinePolicy with(List<String> first, List<String> moreRemoved) {
        Set<String> req = new LinkedHashSet<>(first);
        req.addAll(required);
        List<String> rem = new ArrayList<>(removed);
        moreRemoved.stream().filter(r -> !rem.contains(r)).forEach(rem::add);
        return new CmdlinePolicy(new ArrayList<>(req), rem);
    }

    /** Tokens that must go: removal patterns, and {@code key=other} for a required {@code key=value}. */
    public boolean mustRemove(String token) {
        if (KernelCmdline.isVariable(token)) {
            return false;
        }
        for (String r : removed) {
            if (KernelCmdline.matchesRemoval(token, r) && required.stream().noneMatch(q -> q.equals(token))) {
                return true;
            }
        }
        for (String q : required) {
            String k = KernelCmdline.key(q);
            if (q.contains("=")
                    && !MULTI.contains(k)
                    && KernelCmdline.key(token).equals(k)
                    && token.contains("=")
                    && !token.equals(q)) {
                return true;
            }
        }
        return false;
    }

    /** Required tokens missing from the (effective) token list. */
    public List<String> missing(List<String> effective) {
        List<String> out = new ArrayList<>();
        for (String q : required) {
            if (!KernelCmdline.contains(effective, q)) {
                out.add(q);
            }
        }
        return out;
    }

    /** Tokens of {@code effective} that must go. */
    public List<String> unwanted(List<String> effective) {
        return effective.stream().filter(this::mustRemove).toList();
    }

    /**
     * Edits one literal argument string: drops unwanted tokens and appends the required ones missing from
     * {@code effectiveAfter} (the effective list this literal contributes to; pass null to use the literal itself,
     * or an empty list-producing function to add nothing). Returns the input unchanged when nothing changes.
     */
    public String edit(String literal, boolean add, List<String> effectiveOthers) {
        List<String> tokens = KernelCmdline.tokens(literal);
        List<String> kept = new ArrayList<>();
        for (String t : tokens) {
            if (!mustRemove(t)) {
                kept.add(t);
            }
        }
        if (add) {
            List<String> eff = new ArrayList<>(kept);
            if (effectiveOthers != null) {
                effectiveOthers.stream().filter(t -> !mustRemove(t)).forEach(eff::add);
            }
            // an unterminated double quote runs to the end of the line (the kernel's next_arg() does the same):
            // arguments appended after it would become part of that quoted value, so they go in front of it
            int at = !kept.isEmpty() && unbalanced(kept.get(kept.size() - 1)) ? kept.size() - 1 : kept.size();
            for (String q : missing(eff)) {
                kept.add(at++, q);
                eff.add(q);
            }
        }
        if (kept.equals(tokens)) {
            return literal;
        }
        return String.join(" ", kept);
    }

    private static boolean unbalanced(String token) {
        return token.chars().filter(c -> c == '"').count() % 2 == 1;
    }
}
