package dev.linuximage.core.guest;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** The ordered record of the changes the patches made in one run. A second run on a patched guest leaves it empty. */
public final class ChangeLog {
    private final List<Change> changes = new ArrayList<>();

    public void add(Change c) {
        changes.add(c);
    }

    public List<Change> changes() {
        return Collections.unmodifiableList(changes);
    }

    public boolean isEmpty() {
        return changes.isEmpty();
    }

    public List<Change> forRequirement(String id) {
        return changes.stream().filter(c -> c.requirement().equals(id)).toList();
    }

    public Set<String> requirements() {
        Set<String> s = new LinkedHashSet<>();
        changes.forEach(c -> s.add(c.requirement()));
        return s;
    }
}
