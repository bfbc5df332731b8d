package org.isos.toolkit.storage;

/** What the client knows about the host holding one fragment. */
public enum HolderState {
    /** Reachable, not audited lately. Counts as alive. */
    ALIVE,
    /** Passed its latest audit. Counts as alive, and is preferred as a repair source. */
    AUDITED_OK,
    /** Failed an audit: the fragment is treated as lost (and the host should not get it back). */
    FAILED,
    /** The host vanished (lease ended, unreachable past the grace period) or never had the fragment. */
    MISSING;

    public boolean alive() {
        return this == ALIVE || this == AUDITED_OK;
    }
}
