package org.isos.server.titles;

import java.time.Instant;

/**
 * A published title as anyone may see it (its manifest only comes with a view, or to its provider).
 *
 * @param name               the title's name: 1–100 of {@code A-Z a-z 0-9 . _ -}, not starting with '.', no '..'
 * @param provider           the buyer account that published it and leased its hosts; views are paid to it
 * @param providerName       that account's display name
 * @param pricePerViewMicros what one view costs
 * @param leases             the leases its manifest names (one per holder)
 * @param runningLeases      how many of them run now (PENDING or ACTIVE, not past their expiry)
 * @param neededLeases       how many must run for it to play (the manifest's k, else all)
 * @param sizeBytes          the movie's length as its manifest says (0 when it says none)
 * @param manifestBytes      the stored manifest's length
 * @param views              views sold (each view id counted once)
 * @param created            first published
 * @param updated            last published (a provider may publish a title again)
 * @param manifest           the manifest (JSON text), or null where the asker may not see it
 */
public record Title(String name, String provider, String providerName, long pricePerViewMicros, int leases,
        int runningLeases, int neededLeases, long sizeBytes, long manifestBytes, long views, Instant created,
        Instant updated, String manifest) {

    /** Whether enough of its leases run for it to play. */
    public boolean available() {
        return runningLeases >= neededLeases;
    }

    /** The same title without its manifest. */
    public Title withoutManifest() {
        return new Title(name, provider, providerName, pricePerViewMicros, leases, runningLeases, neededLeases,
                sizeBytes, manifestBytes, views, created, updated, null);
    }
}
