package org.isos.server.repository;

import java.sql.SQLException;
import java.util.List;
import java.util.Optional;

import org.isos.server.accounts.Account;
import org.osgi.annotation.versioning.ProviderType;

/** Signed app bundles by digest. Calls join the caller's store transaction. */
@ProviderType
public interface Repository {

    /** The largest jar the repository takes: 64 MiB. */
    long MAX_BUNDLE_BYTES = 64L * 1024 * 1024;

    /**
     * Admits {@code jar} for {@code buyer} ({@code BundleAdmission} with the CA root as the only anchor: signed
     * by a code-signing certificate whose CN is the buyer's id, imports only the kernel API ...) and stores it
     * under its SHA-256. Storing the same jar again changes nothing ({@link StoredBundle#added()} false).
     *
     * @throws BundleRefused NOT_A_BUYER, TOO_LARGE, or INADMISSIBLE with the rule's name first in the message
     */
    StoredBundle store(Account buyer, byte[] jar) throws BundleRefused, SQLException;

    /** The buyer's bundles, newest first. */
    List<StoredBundle> bundlesOf(Account buyer) throws SQLException;

    /** A bundle's record, if the repository has it. */
    Optional<StoredBundle> find(String sha256) throws SQLException;

    /** A bundle's jar bytes, if the repository has it. */
    Optional<byte[]> content(String sha256) throws SQLException;
}
