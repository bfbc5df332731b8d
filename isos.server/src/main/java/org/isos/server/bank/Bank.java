package org.isos.server.bank;

import java.sql.SQLException;
import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Balances and transfers between ISOS accounts. Every method runs in a store transaction and joins the
 * caller's when there is one, so a caller can make a ledger change part of its own change (a lease granted
 * with its escrow, a usage record stored with its payment). Transfer ids are the caller's: posting an id
 * that was posted before returns the first posting and moves nothing.
 */
@ProviderType
public interface Bank {

    /** Money from outside into {@code accountId} (a simulated payment). */
    Transfer deposit(String transferId, String accountId, long amountMicros) throws BankRefused, SQLException;

    /** Money out of {@code accountId} to the outside; refused when it exceeds the available balance. */
    Transfer withdraw(String transferId, String accountId, long amountMicros) throws BankRefused, SQLException;

    /**
     * Moves {@code amountMicros} from the buyer's available balance into the escrow of {@code leaseId}.
     * Refused ({@link BankRefused.Reason#INSUFFICIENT_FUNDS}) when the buyer's available balance is short.
     */
    Transfer hold(String transferId, String buyerId, String leaseId, long amountMicros) throws BankRefused, SQLException;

    /** Returns what is left in the escrow of {@code leaseId} to its buyer (lease ended); zero is fine. */
    Transfer releaseHold(String transferId, String leaseId) throws BankRefused, SQLException;

    /**
     * Pays for metered use under a lease: {@code amountMicros} from the lease's escrow (then from the buyer's
     * available balance once the escrow is empty) to the owner, less the ISOS fee, which goes to the fee
     * account. When buyer and escrow together hold less, what they hold is paid and the settlement says
     * {@link Settlement#shortMicros()} &gt; 0: the caller suspends the buyer's leases (debt never grows).
     */
    Settlement settle(String transferId, String buyerId, String leaseId, String ownerId, long amountMicros)
            throws BankRefused, SQLException;

    /**
     * A viewer pays a provider for one view of {@code title}: {@code amountMicros} from the viewer's available
     * balance to the provider, less the ISOS fee, which goes to the fee account (the settlement says how it was
     * split; it never falls short). Refused ({@link BankRefused.Reason#INSUFFICIENT_FUNDS}) when the viewer's
     * available balance is below the price: then nothing moves. Zero (a free title) is recorded and moves nothing.
     */
    Settlement payForView(String transferId, String viewerId, String providerId, String title, long amountMicros)
            throws BankRefused, SQLException;

    /** An account's balance: available, and held in escrow for its leases. */
    Balance balance(String accountId) throws SQLException;

    /** The entries touching {@code accountId} (its escrows included), newest first, at most {@code limit}. */
    List<LedgerEntry> ledger(String accountId, int limit) throws SQLException;

    /** System totals, for the invariant sum(balances) == deposits - withdrawals. */
    LedgerTotals totals() throws SQLException;
}
