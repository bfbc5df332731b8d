package org.isos.server.bank;

/**
 * A usage payment: what the buyer paid, what the owner got and the fee (paid = owner + fee), and how much
 * could not be paid ({@code shortMicros} &gt; 0: the buyer's funds ran out).
 */
public record Settlement(Transfer transfer, long paidMicros, long ownerMicros, long feeMicros, long shortMicros) {
}
