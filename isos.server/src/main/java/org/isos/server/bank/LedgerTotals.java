package org.isos.server.bank;

/**
 * Deposits and withdrawals ever posted, and the sum of all ledger accounts but {@code external}
 * (available balances, escrows, fees). The invariant: {@code sumOfAccountsMicros == depositsMicros - withdrawalsMicros}.
 */
public record LedgerTotals(long depositsMicros, long withdrawalsMicros, long sumOfAccountsMicros, long feesMicros) {

    public boolean balanced() {
        return sumOfAccountsMicros == depositsMicros - withdrawalsMicros;
    }
}
