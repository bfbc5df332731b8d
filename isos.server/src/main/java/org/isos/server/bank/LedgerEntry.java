package org.isos.server.bank;

import java.time.Instant;

/**
 * One side of a transfer: {@code amountMicros} is positive when money came into {@code ledgerAccount},
 * negative when it left. {@code ledgerAccount} is an account id, {@code escrow:<leaseId>}, {@code isos:fees}
 * or {@code external}. {@code kind}: deposit, withdrawal, hold, release, usage, view
 * (a pay-per-view sale, migration V011), fee.
 */
public record LedgerEntry(String transferId, String kind, String ledgerAccount, long amountMicros, String memo,
        Instant posted) {
}
