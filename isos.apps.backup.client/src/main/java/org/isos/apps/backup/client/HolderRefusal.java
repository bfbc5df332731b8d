package org.isos.apps.backup.client;

import java.io.IOException;

/** A holder answered but refused: no such fragment, a stored copy that no longer matches its id, the quota... */
public class HolderRefusal extends IOException {
    private static final long serialVersionUID = 1L;

    public HolderRefusal(String reason) {
        super(reason);
    }

    /** The host does not have the fragment (as opposed to having a bad copy, or refusing to store one). */
    public boolean noSuchFragment() {
        String m = getMessage();
        return m != null && m.startsWith("no fragment");
    }
}
