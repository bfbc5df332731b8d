package org.isos.agent.host;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * An extra signal that the owner is using the machine (keyboard and mouse, a full-screen game, a
 * tray-icon "pause" button, a test). Register it as an OSGi service: the {@code ActivityMonitor}
 * asks every source at each sample (about once a second) and at once when it appears.
 *
 * <p>
 * A source that learns of activity between samples should not wait for the next one: it calls
 * {@link OwnerActivity#ownerActive(String)}, which suspends app work before it returns.
 */
@ConsumerType
public interface ActivitySource {

    /** Whether the owner is using the machine right now, by this source's measure. */
    boolean active();

    /** Names the source in the suspension reason the kernel and the owner see. */
    default String name() {
        return getClass().getSimpleName();
    }
}
