package org.isos.server.bank;

import java.time.Instant;

/** A posted transfer. {@code repeated} is true when the id had been posted before and nothing moved now. */
public record Transfer(String id, String kind, long amountMicros, Instant posted, boolean repeated) {
}
