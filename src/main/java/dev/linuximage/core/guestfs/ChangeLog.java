package dev.linuximage.core.guestfs;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The one ordered record of the changes made (or, in a dry run, that would be made) to a guest in one run: the
 * patches' changes by requirement (a second run on a patched guest leaves it empty) and, when a {@link GuestDisk} is
 * opened with it, each file operation of the storage engine. Thread-safe append.
 */
public final class ChangeLog {
    private final List<Change> changes = Collections.synchronizedList(new ArrayList<>());

    public void add(Change c) {
        changes.add(c);
    }

    /** A snapshot, in order. */
    public List<Change> changes() {
        synchronized (changes) {
            return List.copyOf(changes);
        }
    }

    public boolean isEmpty() {
        return changes.isEmpty();
    }

    public List<Change> forRequirement(String id) {
        return changes().stream().filter(c -> c.requirement().equals(id)).toList();
    }

    /** The requirement IDs of the changes, in order of first change. */
    public Set<String> requirements() {
        Set<String> s = new LinkedHashSet<>();
        changes().forEach(c -> s.add(c.requirement()));
        return s;
    }
}
