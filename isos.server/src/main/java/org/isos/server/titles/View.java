package org.isos.server.titles;

import java.time.Instant;

/**
 * A view bought: what the viewer paid, how it was split, and the manifest to play it with.
 *
 * @param id             the view id (the viewer's own, or one the server chose)
 * @param title          the title viewed
 * @param viewer         the paying account
 * @param provider       the title's provider, paid {@code providerMicros}
 * @param priceMicros    what the viewer paid (0 for a free title or the provider's own view)
 * @param feeMicros      the ISOS fee taken from it
 * @param providerMicros what the provider got: {@code priceMicros - feeMicros}
 * @param posted         when it was paid
 * @param repeated       true when this view id was bought before: nothing was charged now
 * @param manifest       the title's manifest (JSON text)
 */
public record View(String id, String title, String viewer, String provider, long priceMicros, long feeMicros,
        long providerMicros, Instant posted, boolean repeated, String manifest) {
}
