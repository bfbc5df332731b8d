/**
 * The bank: a double-entry ledger in the store. Money is counted in micro-credits ({@code long}); every
 * transfer has an id and posting the same id twice changes nothing; the sum over all ledger accounts
 * (users, escrow, the ISOS fee account) always equals deposits minus withdrawals.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.1.0")
package org.isos.server.bank;
