/**
 * The bundle repository: signed app jars that buyers upload, admitted by {@code isos.admission}'s rules
 * with the server's CA root as the only trust anchor, and kept by their SHA-256 for the hosts that run
 * them under a lease.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package org.isos.server.repository;
