package org.isos.server.bank;

/** An account's money: available to spend, and held in escrow for its leases. */
public record Balance(String accountId, long availableMicros, long heldMicros) {
}
