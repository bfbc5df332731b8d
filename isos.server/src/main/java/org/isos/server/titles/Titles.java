package org.isos.server.titles;

import java.sql.SQLException;
import java.util.List;

import org.isos.server.accounts.Account;
import org.isos.server.bank.BankRefused;
import org.osgi.annotation.versioning.ProviderType;

/** The registry of streaming titles and their pay-per-view sales. */
@ProviderType
public interface Titles {

    /** The longest manifest the registry keeps (compact JSON, UTF-8). */
    int MAX_MANIFEST_BYTES = 1_000_000;

    /** The most leases one manifest may name. */
    int MAX_LEASES = 1_000;

    /** The highest price of one view: 10^9 credits. */
    long MAX_PRICE_MICROS = 1_000_000_000_000_000L;

    /**
     * Publishes (or publishes again) a title of {@code provider}: {@code manifest} is the JSON the publisher wrote
     * ({@code {"format": 1, "manifest": {...}}}; the fields below are read from the inner object, or from the top
     * when there is none); the registry reads only its {@code holders[].leaseId} (each a running lease of the provider),
     * {@code provider} and {@code title} (when present, they must be the publisher and {@code name}),
     * {@code dataFragments} and {@code sizeBytes}.
     *
     * @return the title with its manifest; {@code created == updated} when it was new
     * @throws TitleRefused BAD_REQUEST (name, manifest, price), FORBIDDEN (not a buyer; a lease not its own),
     *         CONFLICT (another provider's title)
     */
    Title publish(Account provider, String name, String manifest, long pricePerViewMicros)
            throws TitleRefused, SQLException;

    /** Every title, by name, without manifests. */
    List<Title> titles() throws SQLException;

    /** One title; with its manifest only for its provider. */
    Title title(Account asker, String name) throws TitleRefused, SQLException;

    /**
     * Sells {@code viewer} a view of the title, charged once per view id: the price goes from the viewer to the
     * provider less the ISOS fee (bank transfer {@code view:<viewer>:<viewId>}), in one transaction with the view's
     * record. The same view id again charges nothing and answers the first sale (with the current manifest).
     *
     * @throws TitleRefused NOT_FOUND, UNAVAILABLE (a new view of a title whose leases no longer run), CONFLICT (the
     *         view id was used for another title), BAD_REQUEST (view id)
     * @throws BankRefused INSUFFICIENT_FUNDS when the viewer cannot pay: nothing is charged
     */
    View buyView(Account viewer, String name, String viewId) throws TitleRefused, BankRefused, SQLException;
}
