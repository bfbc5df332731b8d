/**
 * Leases: a buyer's bundle placed on hosts that qualify (online, not suspended, whose owner's policy fits),
 * cheapest first and spread over owners, its escrow held by the bank; their life (PENDING, ACTIVE, then
 * EXPIRED, RELEASED, FAILED or SUSPENDED), their delivery to hosts with heartbeats, and the hosts' signed
 * usage records, priced at the posted prices and paid through the bank.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.3.0")
package org.isos.server.leases;
