/**
 * The host registry: enrollment of a host by its owner (host id, host certificate, host row in one
 * transaction), heartbeats over mutual TLS (with the host's reported status), liveness (hosts whose
 * heartbeats stop become OFFLINE) and the owner's view of their hosts. Matching queries
 * arrive with later slices.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.2.0")
package org.isos.server.hosts;
