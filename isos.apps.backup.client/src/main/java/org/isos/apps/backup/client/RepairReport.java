package org.isos.apps.backup.client;

import java.util.List;

/**
 * What a repair did.
 *
 * @param regenerated fragments rebuilt and stored on new holders
 * @param blocked     segments that needed repair but found no holders to take their fragments (why)
 * @param lost        segments with fewer than k fragments left: their files cannot be restored
 */
public record RepairReport(int regenerated, List<String> blocked, List<String> lost) {
    public RepairReport {
        blocked = List.copyOf(blocked);
        lost = List.copyOf(lost);
    }

    public boolean complete() {
        return blocked.isEmpty() && lost.isEmpty();
    }
}
