package org.isos.server.store;

import java.sql.Connection;
import java.sql.SQLException;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The server's database. Every change that touches more than one row goes through
 * {@link #transaction} (or {@link #serializable}), so it is all or nothing, across crashes too.
 *
 * <p>Transactions nest: a call made while the same thread is already inside a transaction of this
 * store joins it (same connection, committed or rolled back with the outer one), so components can
 * compose their work into one transaction. Only the outermost call retries.
 */
@ProviderType
public interface Store {

    /** Work done on a connection inside a transaction. It may run more than once (see retries). */
    @FunctionalInterface
    interface Work<T> {
        T run(Connection connection) throws SQLException;
    }

    /** The database product behind the store, for the rare statement that must differ. */
    enum Dialect {
        H2, POSTGRESQL
    }

    /**
     * Runs {@code work} in a READ COMMITTED transaction and commits it. Any exception rolls it back and
     * propagates; a serialization failure or deadlock (SQLSTATE 40001/40P01, H2's concurrent-update and
     * lock-timeout errors) rolls back and runs {@code work} again, a bounded number of times, so
     * {@code work} must not have effects outside the database.
     */
    <T> T transaction(Work<T> work) throws SQLException;

    /** As {@link #transaction}, at SERIALIZABLE isolation (retries matter more here). */
    <T> T serializable(Work<T> work) throws SQLException;

    /**
     * A pooled connection in auto-commit mode, for single statements and reads; closing it returns
     * it to the pool. Inside a transaction of this store, prefer the connection given to the work.
     */
    Connection connection() throws SQLException;

    Dialect dialect();

    /** The schema version the migrations brought the database to. */
    int schemaVersion();
}
