/**
 * The host registry: enrollment of a host by its owner (host id, host certificate, host row in one
 * transaction), heartbeats over mutual TLS (with the host's reported status), liveness (hosts whose
 * heartbeats stop become OFFLINE) and the owner's view of their hosts. Since 1.3 heartbeats
 * also carry the host's transport address and its owner's {@link org.isos.server.hosts.HostPolicy policy},
 * stored in columns of the host row so that lease matching is one indexed query. Since 1.4 the registry also
 * keeps each host's memory, its owner's allowed hours ({@link org.isos.server.hosts.DailyHours}) and its
 * {@link org.isos.server.hosts.Availability availability}.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.4.0")
package org.isos.server.hosts;
